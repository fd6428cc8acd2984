"""Dynamic fields in the admin: the definitions' own admin, and the "Dynamic fields" section of the
customer and customer-user change forms (a directory's record included)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, Validity
from otrs_customer_admin.models.dynamic_values import replace_values
from tests.factories import make_customer, make_customer_user
from tests.markup import attribute, document, element, elements, text
from tests.test_valid_targets import change, submitted

pytestmark = pytest.mark.django_db

TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}
DEFINITIONS = reverse("admin:otrs_customer_admin_dynamicfield_changelist")
ADD_DEFINITION = reverse("admin:otrs_customer_admin_dynamicfield_add")


def define(name, field_type="text", object_type="customer", **options):
    return DynamicField.objects.create(
        object_type=object_type, name=name, label=options.pop("label", name), field_type=field_type, **options
    )


def definition_url(definition, view="change"):
    return reverse(f"admin:otrs_customer_admin_dynamicfield_{view}", args=[definition.pk])


def definition_data(**fields):
    return {
        "object_type": "customer",
        "name": "Tier",
        "label": "Contract tier",
        "field_type": "dropdown",
        "choices": "gold: Gold\nsilver: Silver",
        "default": "",
        "link_template": "",
        "valid": "1",
        "order": "0",
        **fields,
    }


def page(response):
    return document(response.content.decode())


def field_errors(response, name):
    """The messages unfold shows under the field ``name`` of a change form."""
    row = element(page(response), "div", class_="field-" + name)
    return text(row)


def opened(client, obj):
    """What the browser would submit from ``obj``'s change form as it was shown."""
    return submitted(client.get(change(obj)).content.decode(), f"{obj._meta.model_name}_form")


# --- the definitions' admin -------------------------------------------------------------------------


def test_the_definitions_list_shows_each_field_with_its_key_type_validity_and_where_it_shows(admin_client):
    define("Tier", "dropdown", choices=TIERS, label="Contract tier", show_in_card=True, filterable=True)
    define("Department", object_type="customer_user", valid=Validity.INVALID)

    listed = text(page(admin_client.get(DEFINITIONS)))

    for expected in ("Contract tier", "DynamicField_Tier", "dropdown", "business card, filter", "Department"):
        assert expected in listed
    only_people = text(page(admin_client.get(DEFINITIONS + "?object_type__exact=customer_user")))
    assert "Department" in only_people and "Contract tier" not in only_people
    only_invalid = text(page(admin_client.get(DEFINITIONS + f"?valid__exact={Validity.INVALID}")))
    assert "Department" in only_invalid and "Contract tier" not in only_invalid


def test_choices_are_written_one_key_and_label_a_line_and_shown_back_so(admin_client):
    response = admin_client.post(ADD_DEFINITION, definition_data(choices="gold: Gold\n\nsilver: Silver\nbronze\n"))

    assert response.status_code == 302
    tier = DynamicField.objects.get()
    assert tier.choices == {"gold": "Gold", "silver": "Silver", "bronze": "bronze"}
    shown = admin_client.get(definition_url(tier)).content.decode()
    assert text(element(document(shown), "textarea", name="choices")) == "gold: Gold silver: Silver bronze"
    assert "gold: Gold\nsilver: Silver\nbronze</textarea>" in shown  # one a line


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ("gold: Gold\n: Silver", "Line 2: a choice needs a key before the colon."),
        ("gold: Gold\nsilver: Silver\nGOLD: Gold again", "Line 3: the key GOLD is on line 1 already"),
        ("", "A dropdown or multiselect needs choices"),
    ],
)
def test_bad_choices_are_named_by_their_line_and_nothing_is_saved(admin_client, choices, message):
    response = admin_client.post(ADD_DEFINITION, definition_data(choices=choices))

    assert response.status_code == 200
    assert message in field_errors(response, "choices")
    assert not DynamicField.objects.exists()


def test_a_type_change_that_would_not_convert_is_refused_on_the_type_naming_how_many_and_one(admin_client):
    number = define("ErpNumber", label="ERP number")
    for customer_id, value in (("A", "12"), ("B", "C-77"), ("C", "X-1")):
        customer = make_customer(customer_id, f"Customer {customer_id}")
        customer.dynamic_fields["ErpNumber"] = value
        customer.save()
    data = definition_data(name="ErpNumber", label="ERP number", field_type="integer", choices="")

    response = admin_client.post(definition_url(number), data)

    assert response.status_code == 200
    assert "2 stored values would not convert, for example" in field_errors(response, "field_type")
    assert DynamicField.objects.get().field_type == "text"


def test_the_name_is_fixed_once_values_exist(admin_client):
    tier = define("Tier", "dropdown", choices=TIERS)
    customer = make_customer()
    customer.dynamic_fields["Tier"] = "gold"
    customer.save()

    response = admin_client.post(definition_url(tier), definition_data(name="Level", choices="gold\nsilver\nbronze"))

    assert "Fixed once values exist" in field_errors(response, "name")
    assert DynamicField.objects.get().name == "Tier"


def test_a_definition_with_values_is_retired_not_deleted(admin_client):
    tier = define("Tier", "dropdown", choices=TIERS, label="Contract tier")
    customer = make_customer()
    customer.dynamic_fields["Tier"] = "gold"
    customer.save()

    form = page(admin_client.get(definition_url(tier)))
    assert not elements(form, "a", href=definition_url(tier, "delete"))
    assert "set it invalid to retire it" in text(form)
    for request in (admin_client.get, admin_client.post):
        response = request(definition_url(tier, "delete"), {"post": "yes"}, follow=True)
        assert response.status_code == 200
        assert "Contract tier holds values of 1 record, so it cannot be deleted. Set it invalid" in text(page(response))
    assert DynamicField.objects.filter(pk=tier.pk).exists()
    assert dict(Customer.objects.get().dynamic_fields) == {"Tier": "gold"}


def test_a_definition_without_values_can_be_deleted(admin_client):
    typo = define("Tire")

    response = admin_client.post(definition_url(typo, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not DynamicField.objects.exists()


def test_the_definitions_admin_asks_the_standard_model_permissions(client):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dynamicfield"))
    client.force_login(staff)
    tier = define("Tier")

    assert client.get(DEFINITIONS).status_code == 200
    assert client.get(ADD_DEFINITION).status_code == 403
    assert client.post(definition_url(tier), definition_data(field_type="text", choices="")).status_code == 403
    assert DynamicField.objects.get().label == "Tier"


# --- the record forms -----------------------------------------------------------------------------

ALL_TYPES = [
    ("Note", "text", {}),
    ("Remarks", "textarea", {}),
    ("Seats", "integer", {}),
    ("Revenue", "decimal", {}),
    ("RenewsOn", "date", {}),
    ("LastAudit", "datetime", {}),
    ("Vip", "checkbox", {}),
    ("Tier", "dropdown", {"choices": TIERS}),
    ("Products", "multiselect", {"choices": {"erp": "ERP", "crm": "CRM", "hr": "HR"}}),
    ("Portal", "url", {}),
    ("Billing", "email", {}),
]


@pytest.fixture
def every_type():
    for order, (name, field_type, options) in enumerate(ALL_TYPES):
        define(name, field_type, label=f"{name} label", order=order, **options)


def inputs_named(form, name):
    return [
        node
        for tag in ("input", "select", "textarea")
        for node in elements(form, tag)
        if attribute(node, "name") == name and attribute(node, "type") != "hidden"
    ]


def test_the_customer_form_has_a_dynamic_fields_section_with_the_widget_of_each_type(admin_client, every_type):
    acme = make_customer()

    form = element(page(admin_client.get(change(acme))), "form", id="customer_form")

    assert "Dynamic fields" in [text(node) for node in elements(form, "h2")]
    kinds = {}
    for name, _field_type, _options in ALL_TYPES:
        key = f"DynamicField_{name}"
        found = inputs_named(form, key) or inputs_named(form, key + "_0")
        assert found, key
        kinds[name] = found[0].name if found[0].name != "input" else attribute(found[0], "type")
        assert f"{name} label" in text(element(form, "div", class_="field-" + key))
    assert kinds == {
        "Note": "text",
        "Remarks": "textarea",
        "Seats": "number",
        "Revenue": "number",
        "RenewsOn": "text",  # unfold's date picker
        "LastAudit": "text",  # a date and a time input (_0, _1)
        "Vip": "checkbox",
        "Tier": "select",
        "Products": "checkbox",  # a checkbox per choice
        "Portal": "url",
        "Billing": "email",
    }
    assert inputs_named(form, "DynamicField_LastAudit_1")
    assert [attribute(node, "value") for node in inputs_named(form, "DynamicField_Products")] == ["erp", "crm", "hr"]


def test_the_values_are_saved_typed_shown_back_and_named_in_the_history(admin_client, every_type):
    acme = make_customer()
    shown = opened(admin_client, acme)
    values = {
        "DynamicField_Note": "Key account",
        "DynamicField_Remarks": "Line one\nLine two",
        "DynamicField_Seats": "250",
        "DynamicField_Revenue": "1234.50",
        "DynamicField_RenewsOn": "2030-01-31",
        "DynamicField_LastAudit_0": "2024-05-06",
        "DynamicField_LastAudit_1": "14:30:00",
        "DynamicField_Vip": "on",
        "DynamicField_Tier": "silver",
        "DynamicField_Products": ["erp", "hr"],
        "DynamicField_Portal": "https://portal.acme.example",
        "DynamicField_Billing": "billing@acme.example",
    }

    response = admin_client.post(change(acme), {**shown, **values})

    assert response.status_code == 302, field_errors(response, "DynamicField_Note")
    stored = dict(Customer.objects.get().dynamic_fields)
    assert stored == {
        "Note": "Key account",
        "Remarks": "Line one\nLine two",
        "Seats": 250,
        "Revenue": Decimal("1234.5"),
        "RenewsOn": datetime.date(2030, 1, 31),
        "LastAudit": timezone.make_aware(datetime.datetime(2024, 5, 6, 14, 30)),
        "Vip": True,
        "Tier": "silver",
        "Products": ["erp", "hr"],
        "Portal": "https://portal.acme.example",
        "Billing": "billing@acme.example",
    }
    shown_again = admin_client.get(change(acme)).content.decode()
    again = submitted(shown_again, "customer_form")
    del values["DynamicField_Remarks"]
    assert {key: again.get(key) for key in values} == {**values, "DynamicField_Revenue": "1234.5"}
    assert "Line one\nLine two</textarea>" in shown_again
    message = LogEntry.objects.get(object_id=str(acme.pk)).get_change_message()
    assert message.startswith("Changed Note label, Remarks label, Seats label,")
    assert "Tier label" in message and "Billing label" in message


def test_a_change_writes_only_the_dynamic_fields_its_user_changed(admin_client):
    define("Tier", "dropdown", choices=TIERS)
    define("AccountManager", label="Account manager")
    acme = make_customer()
    acme.dynamic_fields = {"Tier": "gold", "AccountManager": "Petra"}
    acme.save()
    shown = opened(admin_client, acme)
    # An import writes the account manager while the form is open.
    replace_values(Customer, {acme.pk: {"AccountManager": "Paul"}})

    response = admin_client.post(change(acme), {**shown, "DynamicField_Tier": "silver"})

    assert response.status_code == 302
    assert dict(Customer.objects.get().dynamic_fields) == {"Tier": "silver", "AccountManager": "Paul"}
    assert LogEntry.objects.get(object_id=str(acme.pk)).get_change_message() == "Changed Tier."


def test_required_and_choices_are_enforced_on_their_fields_and_nothing_is_saved(admin_client):
    define("Tier", "dropdown", choices=TIERS, required=True, label="Contract tier")
    define("Seats", "integer")
    acme = make_customer()
    shown = opened(admin_client, acme)

    response = admin_client.post(
        change(acme), {**shown, "name": "Renamed", "DynamicField_Tier": "platinum", "DynamicField_Seats": "many"}
    )

    assert response.status_code == 200
    assert "Select a valid choice. platinum is not one of the available choices." in field_errors(
        response, "DynamicField_Tier"
    )
    assert "Enter a whole number." in field_errors(response, "DynamicField_Seats")
    response = admin_client.post(change(acme), {**shown, "name": "Renamed", "DynamicField_Tier": ""})
    assert "This field is required." in field_errors(response, "DynamicField_Tier")
    acme.refresh_from_db()
    assert acme.name == "Acme Corporation" and dict(acme.dynamic_fields) == {"Tier": None, "Seats": None}


def test_the_model_rules_show_on_their_field(admin_client):
    define("Portal", "url")
    acme = make_customer()
    shown = opened(admin_client, acme)

    response = admin_client.post(change(acme), {**shown, "DynamicField_Portal": "ftp://files.acme.example"})

    assert response.status_code == 200
    assert "Enter a valid URL." in field_errors(response, "DynamicField_Portal") or (
        "is not an http or https URL" in field_errors(response, "DynamicField_Portal")
    )
    assert Customer.objects.get().dynamic_fields["Portal"] is None


def test_a_new_record_starts_with_the_defaults(admin_client):
    define("Tier", "dropdown", choices=TIERS, default="bronze")
    define("Newsletter", "checkbox", default="1")
    add = reverse("admin:otrs_customer_admin_customer_add")
    form = submitted(admin_client.get(add).content.decode(), "customer_form")
    assert form["DynamicField_Tier"] == "bronze" and form["DynamicField_Newsletter"] == "on"
    form.update(
        {
            "name": "Initech",
            "customer_id": "INITECH",
            "country": "US",
            "customer_users-TOTAL_FORMS": "0",
            "customer_users-INITIAL_FORMS": "0",
            "additional_customer_users-TOTAL_FORMS": "0",
            "additional_customer_users-INITIAL_FORMS": "0",
        }
    )

    response = admin_client.post(add, form)

    assert response.status_code == 302
    assert dict(Customer.objects.get().dynamic_fields) == {"Tier": "bronze", "Newsletter": True}


def test_the_add_customer_user_prefill_keeps_working_with_dynamic_fields(admin_client):
    define("Department", object_type="customer_user", required=True)
    define("Since", "datetime", object_type="customer_user")
    acme = make_customer()
    add = reverse("admin:otrs_customer_admin_customeruser_add")

    response = admin_client.get(f"{add}?customer={acme.pk}&DynamicField_Department=Sales&DynamicField_Since=soon")

    assert response.status_code == 200
    form = submitted(response.content.decode(), "customeruser_form")
    assert form["customer"] == str(acme.pk)
    assert form["DynamicField_Department"] == "Sales"
    assert "“soon” from the address is not a value Since can take; it was not filled in." in text(page(response))
    form.update({"login": "jdoe", "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example"})
    form.update({"country": "DE"})
    response = admin_client.post(add, form)
    assert response.status_code == 302, text(page(response))
    assert dict(CustomerUser.objects.get().dynamic_fields) == {"Department": "Sales", "Since": None}


def test_an_inline_row_shows_a_dynamic_field_error_by_the_fields_label(admin_client):
    """The customer's page adds people in rows without dynamic-field inputs: a required field of
    people is a message naming it, not a crash."""
    define("Department", object_type="customer_user", required=True, label="Department")
    acme = make_customer()
    shown = opened(admin_client, acme)
    row = {
        "customer_users-TOTAL_FORMS": "1",
        "customer_users-0-login": "jdoe",
        "customer_users-0-first_name": "Jane",
        "customer_users-0-last_name": "Doe",
        "customer_users-0-email": "jane@acme.example",
        "customer_users-0-valid": "1",
        "customer_users-0-customer": str(acme.pk),
    }

    response = admin_client.post(change(acme), {**shown, **row})

    assert response.status_code == 200
    assert "Department: This field is required." in text(page(response))
    assert not CustomerUser.objects.exists()


# --- a directory's record ---------------------------------------------------------------------------

DIRECTORY = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {
            "BACKEND": "tests.sources.MappedDirectorySource",
            "LABEL": "Head office LDAP",
            "CUSTOMER_ATTR_MAP": {"name": "o", "DynamicField_Tier": "businessCategory"},
        },
    }
}


@pytest.fixture
def directory_customer(settings):
    settings.OTRS_CUSTOMER_ADMIN = DIRECTORY
    define("Tier", "dropdown", choices=TIERS, label="Contract tier")
    define("AccountManager", label="Account manager")
    with get_data_source("directory").writing():
        customer = make_customer("DIR", "Directory Inc", data_source="directory")
        customer.dynamic_fields["Tier"] = "gold"
        customer.save()
    return Customer.objects.get(pk=customer.pk)


def test_a_directory_record_changes_its_unmapped_dynamic_fields_and_nothing_else(admin_client, directory_customer):
    response = admin_client.get(change(directory_customer))
    form = element(page(response), "form", id="customer_form")

    assert inputs_named(form, "DynamicField_AccountManager")
    for read_only in ("DynamicField_Tier", "name", "customer_id", "city", "valid"):
        assert not inputs_named(form, read_only), read_only
    assert "Contract tier Gold" in text(form)
    assert "Set invalid" not in text(page(response))
    assert "Only its dynamic fields that the source does not fill can be changed here" in text(page(response))
    shown = submitted(response.content.decode(), "customer_form")

    response = admin_client.post(change(directory_customer), {**shown, "DynamicField_AccountManager": "Petra"})

    assert response.status_code == 302
    record = Customer.objects.get()
    assert dict(record.dynamic_fields) == {"Tier": "gold", "AccountManager": "Petra"}
    assert record.name == "Directory Inc"
    assert LogEntry.objects.get(object_id=str(record.pk)).get_change_message() == "Changed Account manager."


@pytest.mark.parametrize(
    ("tampered", "named"),
    [({"city": "Hamburg"}, "City"), ({"DynamicField_Tier": "silver"}, "Contract tier")],
)
def test_a_directory_record_refuses_a_change_of_anything_else_with_a_message(
    admin_client, directory_customer, tampered, named
):
    shown = opened(admin_client, directory_customer)

    response = admin_client.post(
        change(directory_customer), {**shown, "DynamicField_AccountManager": "Petra", **tampered}
    )

    assert response.status_code == 200
    message = text(page(response))
    assert f"{named} cannot be changed here: this record belongs to the read-only data source Head office LDAP" in (
        message
    )
    assert "only its dynamic fields Account manager can" in message
    record = Customer.objects.get()
    assert (record.name, dict(record.dynamic_fields)) == ("Directory Inc", {"Tier": "gold", "AccountManager": None})


def test_a_directory_record_offers_edit_where_its_dynamic_fields_may_change(admin_client, directory_customer):
    detail = reverse("admin:otrs_customer_admin_customer_detail", args=[directory_customer.pk])

    body = page(admin_client.get(detail))

    assert elements(body, "a", href=change(directory_customer))
    assert not elements(
        body, "a", href=reverse("admin:otrs_customer_admin_customer_invalidate", args=[directory_customer.pk])
    )


def test_a_directory_record_stays_view_only_when_its_source_maps_every_dynamic_field(admin_client, directory_customer):
    DynamicField.objects.filter(name="AccountManager").update(valid=Validity.INVALID)

    response = admin_client.get(change(directory_customer))

    assert response.status_code == 200
    assert not inputs_named(element(page(response), "form", id="customer_form"), "DynamicField_Tier")
    assert "Gold" in text(page(response))
    assert admin_client.post(change(directory_customer), {"DynamicField_Tier": "silver"}).status_code == 403
    assert Customer.objects.get().dynamic_fields["Tier"] == "gold"


def test_a_user_who_may_only_view_sees_the_dynamic_fields_read_only(client, directory_customer):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)

    response = client.get(change(directory_customer))

    assert response.status_code == 200
    assert not inputs_named(element(page(response), "form", id="customer_form"), "DynamicField_AccountManager")
    assert client.post(change(directory_customer), {"DynamicField_AccountManager": "Petra"}).status_code == 403


def test_a_field_made_required_later_does_not_block_the_inline_rows_of_people_saved_before(admin_client):
    acme = make_customer()
    make_customer_user(acme)
    define("Department", object_type="customer_user", required=True, label="Department")
    shown = opened(admin_client, acme)

    response = admin_client.post(change(acme), {**shown, "city": "Hamburg", "customer_users-0-first_name": "Janet"})

    assert response.status_code == 302, text(page(response))
    assert Customer.objects.get().city == "Hamburg"
    assert CustomerUser.objects.get().first_name == "Janet"


def test_the_customer_user_form_has_the_fields_of_people(admin_client):
    define("Tier", "dropdown", choices=TIERS)  # a customer's, not a person's
    define("Department", object_type="customer_user", label="Department")
    jane = make_customer_user(make_customer())
    shown = opened(admin_client, jane)
    assert "DynamicField_Tier" not in shown

    response = admin_client.post(change(jane), {**shown, "DynamicField_Department": "Sales"})

    assert response.status_code == 302
    assert dict(CustomerUser.objects.get().dynamic_fields) == {"Department": "Sales"}
    assert LogEntry.objects.get(object_id=str(jane.pk)).get_change_message() == "Changed Department."
