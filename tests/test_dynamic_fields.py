"""Dynamic fields: definitions as data, typed values on records, queries over them, no lost values."""

import datetime
from decimal import Decimal

import pytest
from django.core import checks
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.exceptions import ReadOnlySourceError, RowsMoved
from otrs_customer_admin.models import Customer, CustomerDynamicValue, CustomerUser, DynamicField, Validity
from otrs_customer_admin.models.dynamic_values import annotated_value, load_values, replace_values
from tests.factories import make_customer, make_customer_user

pytestmark = pytest.mark.django_db

TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}


def define(name, field_type="text", object_type="customer", **options):
    return DynamicField.objects.create(
        object_type=object_type, name=name, label=options.pop("label", name), field_type=field_type, **options
    )


def errors_of(record):
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    return caught.value.message_dict


# --- definitions ------------------------------------------------------------------------------------


def test_a_name_is_letters_and_digits_and_unique_per_object_type_ignoring_case():
    define("Tier", "dropdown", choices=TIERS)
    clash = DynamicField(object_type="customer", name="TIER", label="Tier", field_type="text")
    assert "name" in errors_of(clash)
    assert "name" in errors_of(DynamicField(object_type="customer", name="ERP-Number", label="ERP"))
    DynamicField(object_type="customer_user", name="Tier", label="Tier").full_clean()  # another object type


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"field_type": "dropdown"}, "choices", "needs choices"),
        ({"field_type": "text", "link_template": "https://erp.example.com/"}, "link_template", "{value}"),
        ({"field_type": "text", "link_template": "javascript:alert({value})"}, "link_template", "http or https"),
        ({"field_type": "integer", "default": "many"}, "default", "not a whole number"),
        ({"field_type": "text", "filterable": True}, "filterable", "list filter"),
        ({"field_type": "multiselect", "choices": {"a;b": "A and B"}}, "choices", "list separator"),
    ],
)
def test_definitions_that_cannot_work_are_refused(options, field, words):
    messages = errors_of(DynamicField(object_type="customer", name="Broken", label="Broken", **options))
    assert words in " ".join(messages[field])


def test_name_and_object_type_are_fixed_once_values_exist():
    field = define("ERP")
    customer = make_customer()
    customer.dynamic_fields["ERP"] = "4711"
    customer.save()
    field = DynamicField.objects.get(pk=field.pk)
    field.name = "ERPNumber"
    field.object_type = "customer_user"
    messages = errors_of(field)
    assert "Fixed once values exist" in messages["name"][0]
    assert "Fixed once values exist" in messages["object_type"][0]


# --- values -----------------------------------------------------------------------------------------


def test_values_are_typed_assignable_and_written_by_save():
    define("Tier", "dropdown", choices=TIERS)
    define("Seats", "integer")
    define("Revenue", "decimal")
    define("Renewal", "date")
    define("LastAudit", "datetime")
    define("VIP", "checkbox")
    define("Products", "multiselect", choices={"mail": "Mail", "crm": "CRM", "erp": "ERP"})
    customer = make_customer()
    customer.dynamic_fields = {
        "Tier": "Gold",  # a label finds its key
        "seats": "250",  # names ignore case
        "Revenue": "1,5",
        "Renewal": "2027-03-31",
        "LastAudit": "2026-11-02 14:30",
        "VIP": "yes",
        "DynamicField_Products": "erp; mail",
    }
    customer.full_clean()
    customer.save()
    fresh = Customer.objects.get(pk=customer.pk)
    assert dict(fresh.dynamic_fields) == {
        "Tier": "gold",
        "Seats": 250,
        "Revenue": Decimal("1.5"),
        "Renewal": datetime.date(2027, 3, 31),
        "LastAudit": timezone.make_aware(datetime.datetime(2026, 11, 2, 14, 30)),
        "VIP": True,
        "Products": ["mail", "erp"],  # the order of the choices
    }


def test_empty_values_are_none_false_or_an_empty_list():
    define("ERP")
    define("VIP", "checkbox")
    define("Products", "multiselect", choices={"mail": "Mail"})
    assert dict(make_customer().dynamic_fields) == {"ERP": None, "VIP": False, "Products": []}


def test_full_clean_names_the_field_and_says_what_is_wrong_and_save_refuses_it_too():
    define("Seats", "integer")
    define("Tier", "dropdown", choices=TIERS, required=True)
    customer = make_customer()
    customer.dynamic_fields["Seats"] = "a lot"
    messages = errors_of(customer)
    assert messages["DynamicField_Seats"] == ["'a lot' is not a whole number."]
    assert messages["DynamicField_Tier"] == ["This field is required."]
    with pytest.raises(ValidationError):
        customer.save()
    assert not CustomerDynamicValue.objects.exists()


def test_unknown_names_are_a_key_error():
    customer = make_customer()
    with pytest.raises(KeyError):
        customer.dynamic_fields["Nope"] = 1


def test_a_new_record_gets_the_defaults():
    define("Tier", "dropdown", choices=TIERS, default="silver")
    define("Seats", "integer", default="10")
    customer = make_customer()
    assert dict(Customer.objects.get(pk=customer.pk).dynamic_fields) == {"Tier": "silver", "Seats": 10}


def test_save_writes_only_the_changed_fields_and_refuses_a_value_that_moved():
    define("ERP")
    define("Tier", "dropdown", choices=TIERS)
    customer = make_customer()
    customer.dynamic_fields = {"ERP": "1", "Tier": "gold"}
    customer.save()
    mine = Customer.objects.get(pk=customer.pk)
    theirs = Customer.objects.get(pk=customer.pk)
    mine.dynamic_fields["ERP"], theirs.dynamic_fields["Tier"] = "2", "silver"
    mine.save()
    theirs.save()  # another field: both kept
    assert dict(Customer.objects.get(pk=customer.pk).dynamic_fields) == {"ERP": "2", "Tier": "silver"}
    late = Customer.objects.get(pk=customer.pk)
    late.dynamic_fields["ERP"]  # read
    writer = Customer.objects.get(pk=customer.pk)
    writer.dynamic_fields["ERP"] = "3"
    writer.save()
    late.dynamic_fields["ERP"] = "4"
    with pytest.raises(RowsMoved):
        late.save()
    assert Customer.objects.get(pk=customer.pk).dynamic_fields["ERP"] == "3"


def test_a_retired_definition_hides_its_field_and_keeps_its_values():
    tier = define("Tier", "dropdown", choices=TIERS)
    customer = make_customer()
    customer.dynamic_fields["Tier"] = "gold"
    customer.save()
    tier.valid = Validity.INVALID
    tier.save()
    hidden = Customer.objects.get(pk=customer.pk)
    assert "Tier" not in hidden.dynamic_fields
    hidden.name = "Acme Renamed"
    hidden.save()
    tier.valid = Validity.VALID
    tier.save()
    assert Customer.objects.get(pk=customer.pk).dynamic_fields["Tier"] == "gold"


def test_a_type_change_converts_the_values_or_is_refused_naming_how_many_and_one():
    seats = define("Seats", "text")
    for number, text in enumerate(["12", "40", "many", "some"]):
        customer = make_customer(f"C{number}", f"Customer {number}")
        customer.dynamic_fields["Seats"] = text
        customer.save()
    seats = DynamicField.objects.get(pk=seats.pk)
    seats.field_type = "integer"
    messages = errors_of(seats)
    assert messages["field_type"][0].startswith("2 stored values would not convert, for example")
    assert "not a whole number" in messages["field_type"][0]
    CustomerDynamicValue.objects.filter(value_text__in=["many", "some"]).delete()
    seats.full_clean()
    seats.save()
    values = load_values(Customer, Customer.objects.values_list("pk", flat=True))
    assert sorted(value["Seats"] for value in values.values() if value["Seats"]) == [12, 40]


def test_removing_a_choice_in_use_is_refused():
    tier = define("Tier", "dropdown", choices=TIERS)
    customer = make_customer()
    customer.dynamic_fields["Tier"] = "bronze"
    customer.save()
    tier = DynamicField.objects.get(pk=tier.pk)
    tier.choices = {"gold": "Gold", "silver": "Silver"}
    assert "1 stored value would not convert" in errors_of(tier)["choices"][0]


def test_customer_users_have_their_own_fields():
    define("Department", object_type="customer_user")
    person = make_customer_user(make_customer())
    person.dynamic_fields["Department"] = "Sales"
    person.save()
    assert CustomerUser.objects.filter_dynamic_field("Department", "sales").get() == person
    assert "Department" not in make_customer("OTHER", "Other").dynamic_fields


# --- queries ----------------------------------------------------------------------------------------


@pytest.fixture
def three_customers():
    define("Tier", "dropdown", choices=TIERS)
    define("Seats", "integer")
    define("Renewal", "date")
    define("VIP", "checkbox")
    define("Products", "multiselect", choices={"mail": "Mail", "crm": "CRM"})
    define("Note", "textarea")
    rows = [
        ("A", {"Tier": "gold", "Seats": 10, "Renewal": "2027-01-01", "VIP": True, "Products": ["mail", "crm"]}),
        ("B", {"Tier": "silver", "Seats": 200, "Renewal": "2027-06-01", "Note": "Prefers Müller"}),
        ("C", {}),
    ]
    made = {}
    for key, values in rows:
        customer = make_customer(key, f"Customer {key}")
        customer.dynamic_fields = values
        customer.save()
        made[key] = customer
    return made


def ids(queryset):
    return sorted(queryset.values_list("customer_id", flat=True))


def test_filter_by_one_dynamic_field(three_customers):
    customers = Customer.objects
    assert ids(customers.filter_dynamic_field("Tier", "GOLD")) == ["A"]
    assert ids(customers.filter_dynamic_field("Tier", "Silver")) == ["B"]  # the label
    assert ids(customers.filter_dynamic_field("Seats", 100, lookup="gt")) == ["B"]
    assert ids(customers.filter_dynamic_field("Renewal", ("2027-05-01", "2027-12-31"), lookup="range")) == ["B"]
    assert ids(customers.filter_dynamic_field("VIP", True)) == ["A"]
    assert ids(customers.filter_dynamic_field("VIP", False)) == ["B", "C"]
    assert ids(customers.filter_dynamic_field("Products", "crm")) == ["A"]
    assert ids(customers.filter_dynamic_field("Note", "müller", lookup="contains")) == ["B"]
    assert ids(customers.filter_dynamic_field("Tier", True, lookup="isnull")) == ["C"]
    assert ids(customers.filter_dynamic_field("Tier", ["gold", "silver"], lookup="in")) == ["A", "B"]


def test_values_are_annotated_for_a_list_in_its_one_query(three_customers, django_assert_num_queries):
    fields = {field.name: field for field in DynamicField.objects.all()}
    listed = Customer.objects.with_dynamic_fields("Tier", "Products", "VIP").order_by("customer_id")
    with django_assert_num_queries(1):
        rows = list(listed)
    assert [annotated_value(fields["Tier"], row.DynamicField_Tier) for row in rows] == ["gold", "silver", None]
    assert [annotated_value(fields["Products"], row.DynamicField_Products) for row in rows] == [["mail", "crm"], [], []]
    assert [annotated_value(fields["VIP"], row.DynamicField_VIP) for row in rows] == [True, False, False]
    ordered = Customer.objects.with_dynamic_fields("Seats").order_by(F("DynamicField_Seats").desc(nulls_last=True))
    assert [row.customer_id for row in ordered][:2] == ["B", "A"]


# --- directories --------------------------------------------------------------------------------


DIRECTORY = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {
            "BACKEND": "tests.sources.MappedDirectorySource",
            "CUSTOMER_ATTR_MAP": {"DynamicField_Tier": "businessCategory"},
        },
    }
}


@override_settings(OTRS_CUSTOMER_ADMIN=DIRECTORY)
def test_a_directory_record_keeps_its_mapped_fields_read_only_and_the_others_editable():
    define("Tier", "dropdown", choices=TIERS)
    define("AccountManager")
    source = get_data_source("directory")
    with source.writing():
        customer = make_customer(data_source="directory")
        customer.dynamic_fields["Tier"] = "gold"
        customer.save()
    record = Customer.objects.get(pk=customer.pk)
    assert [field.name for field in record.dynamic_fields.editable()] == ["AccountManager"]
    record.dynamic_fields["AccountManager"] = "Petra"
    record.save_dynamic_fields()
    record.dynamic_fields["Tier"] = "silver"
    with pytest.raises(ReadOnlySourceError, match="DynamicField_Tier"):
        record.save_dynamic_fields()
    assert dict(Customer.objects.get(pk=customer.pk).dynamic_fields) == {"Tier": "gold", "AccountManager": "Petra"}


# --- system checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"field_type": "dropdown", "choices": {}}, "E036"),
        ({"field_type": "text", "link_template": "https://erp.example.com/"}, "E037"),
        ({"field_type": "integer", "default": "many"}, "E038"),
        ({"field_type": "text", "filterable": True}, "E039"),
    ],
)
def test_system_checks_report_stored_definitions_that_cannot_work(options, check_id):
    DynamicField.objects.create(object_type="customer", name="Broken", label="Broken", **options)  # not validated
    found = [message for message in checks.run_checks() if message.id.startswith("otrs_customer_admin")]
    assert [message.id for message in found] == [f"otrs_customer_admin.{check_id}"]
    assert found[0].msg.startswith("Dynamic field DynamicField_Broken of customer: ")
    DynamicField.objects.filter(name="Broken").update(valid=Validity.INVALID)  # a retired one does not matter
    assert not [message for message in checks.run_checks() if message.id.startswith("otrs_customer_admin")]


def test_the_bulk_write_takes_names_as_the_files_write_them_and_compares_what_was_read():
    define("ERP")
    customer = make_customer()
    replace_values(Customer, {customer.pk: {"DynamicField_erp": "1"}}, read={customer.pk: {"DynamicField_erp": None}})
    assert Customer.objects.get(pk=customer.pk).dynamic_fields["ERP"] == "1"
    with pytest.raises(RowsMoved):
        replace_values(
            Customer, {customer.pk: {"DynamicField_ERP": "2"}}, read={customer.pk: {"DynamicField_ERP": None}}
        )
    assert Customer.objects.get(pk=customer.pk).dynamic_fields["ERP"] == "1"


def test_a_multiselect_links_its_key_not_the_letters_of_it():
    field = define(
        "Products", "multiselect", choices={"mail": "Mail", "crm": "CRM"}, link_template="https://x.example/{value}"
    )
    assert field.link(["mail", "crm"]) == "https://x.example/mail"
    assert field.link(["crm"]) == "https://x.example/crm"
    assert define("ERP", link_template="https://erp.example/{value}").link("a b/c") == "https://erp.example/a%20b%2Fc"
