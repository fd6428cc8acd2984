"""Dynamic fields in import and export: a ``DynamicField_<Name>`` column per valid field (and the
label as an alias), values read by type with line-numbered problems, written compare-and-set in
the import's one transaction, unknown ``DynamicField_`` columns named, and round trips unchanged."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.importexport.formats import format_for
from otrs_customer_admin.importexport.importers import CustomerImport, CustomerUserImport
from otrs_customer_admin.models import Customer, CustomerUser, Validity
from otrs_customer_admin.models.dynamic_values import load_values
from tests.factories import make_customer, make_customer_user
from tests.importing import import_customer_users, import_customers, plain_csv, problems
from tests.markup import document, text
from tests.test_admin_import_export import CUSTOMER, confirm, upload
from tests.test_dynamic_fields import DIRECTORY, TIERS, define
from tests.test_export import export

pytestmark = pytest.mark.django_db

# Written for these tests in the layout of an OTRS/Znuny ImportExport customer export.
OTRS_EXPORT = Path(__file__).parent / "data" / "otrs-customers-dynamic-fields.csv"
REGIONS = {"north": "North", "south": "South", "east": "East", "west": "West"}


def values_of(customer_id):
    return dict(Customer.objects.get(customer_id=customer_id).dynamic_fields)


def snapshot():
    """Every record and every stored dynamic value."""
    customers = list(Customer.objects.order_by("pk").values())
    people = list(CustomerUser.objects.order_by("pk").values())
    return (
        customers,
        people,
        load_values(Customer, [row["id"] for row in customers]),
        load_values(CustomerUser, [row["id"] for row in people]),
    )


# --- columns ------------------------------------------------------------------------------------


def test_a_dynamic_field_column_is_its_otrs_name_or_its_label_ignoring_case():
    define("Tier", "dropdown", choices=TIERS, label="Contract tier")
    define("ErpNumber", label="ERP number")
    report = import_customers(
        plain_csv(
            [
                ["CustomerID", "Name", "Country", "dynamicfield_tier", " erp  NUMBER "],
                ["ACME", "Acme", "DE", "gold", "4711"],
            ]
        )
    )
    assert (problems(report), report.warnings) == ([], [])
    assert values_of("ACME") == {"Tier": "gold", "ErpNumber": "4711"}


def test_a_label_two_fields_share_or_a_built_in_column_name_is_no_alias():
    define("Town", label="City")
    define("A", label="Code")
    define("B", label="code")
    header = ["CustomerID", "Name", "Country", "City", "Code", "DynamicField_A"]
    report = import_customers(plain_csv([header, ["X", "X", "DE", "Bonn", "1", "2"]]))
    assert report.warnings == ["Columns not imported: Code."]
    assert Customer.objects.get(customer_id="X").city == "Bonn"
    # Their DynamicField_ columns still work.
    assert values_of("X") == {"Town": None, "A": "2", "B": None}


def test_values_are_read_by_type():
    define("Seats", "integer")
    define("Rate", "decimal")
    define("Renewal", "date")
    define("Audit", "datetime")
    define("Vip", "checkbox")
    define("Tier", "dropdown", choices=TIERS)
    define("Regions", "multiselect", choices=REGIONS)
    define("Site", "url")
    define("Contact", "email")
    define("Notes", "textarea")
    header = ["CustomerID", "Name", "Country", *(f"DynamicField_{name}" for name in ("Seats", "Rate", "Renewal"))]
    header += ["DynamicField_Audit", "DynamicField_Vip", "DynamicField_Tier", "DynamicField_Regions"]
    header += ["DynamicField_Site", "DynamicField_Contact", "DynamicField_Notes"]
    row = ["ACME", "Acme", "DE", "1 200", "12,50", "2027-01-31 00:00:00", "2026-05-01 10:30"]
    # A dropdown takes a key or a label; a multiselect's keys or labels are separated as additional customers are.
    row += ["yes", "Silver", "north; South|west,north", "https://acme.example", "info@acme.example", "one\ntwo"]
    report = import_customers(plain_csv([header, row]))
    assert (problems(report), report.warnings) == ([], [])
    audit = timezone.make_aware(datetime.datetime(2026, 5, 1, 10, 30))
    assert values_of("ACME") == {
        "Seats": 1200,
        "Rate": Decimal("12.5"),
        "Renewal": datetime.date(2027, 1, 31),
        "Audit": audit,
        "Vip": True,
        "Tier": "silver",
        "Regions": ["north", "south", "west"],
        "Site": "https://acme.example",
        "Contact": "info@acme.example",
        "Notes": "one\ntwo",
    }


def test_a_bad_value_is_a_problem_of_its_line_and_column_and_nothing_is_written():
    define("Seats", "integer")
    define("Tier", "dropdown", choices=TIERS)
    define("Regions", "multiselect", choices=REGIONS)
    acme = make_customer("ACME", "Acme", city="Berlin")
    acme.dynamic_fields["Seats"] = 5
    acme.save()
    before = snapshot()
    data = plain_csv(
        [
            ["CustomerID", "Name", "City", "Country", "DynamicField_Seats", "Tier", "DynamicField_Regions"],
            ["ACME", "Acme", "Hamburg", "DE", "many", "gold", "north"],
            ["GLOBEX", "Globex", "Springfield", "Narnia", "3", "platinum", "north; middle"],
        ]
    )
    report = import_customers(data)
    assert problems(report) == [
        "Line 2, DynamicField_Seats: 'many' is not a whole number.",
        "Line 3, Country: Unknown country 'Narnia': use an ISO code such as DE or an English name such as Germany.",
        "Line 3, DynamicField_Regions: 'middle' is not one of the choices (north, south, east, west).",
        "Line 3, Tier: 'platinum' is not one of the choices (gold, silver, bronze).",
    ]
    # The other cells of the rows are checked as with a bad country: the update of ACME counts.
    assert (report.created, report.updated) == (1, 1)
    assert snapshot() == before


def test_an_empty_cell_keeps_the_value_and_a_zero_unticks_a_checkbox():
    define("Tier", "dropdown", choices=TIERS)
    define("Regions", "multiselect", choices=REGIONS)
    define("Vip", "checkbox")
    acme = make_customer("ACME", "Acme")
    acme.dynamic_fields.update({"Tier": "gold", "Regions": ["north"], "Vip": True})
    acme.save()
    header = ["CustomerID", "DynamicField_Tier", "DynamicField_Regions", "DynamicField_Vip"]
    report = import_customers(plain_csv([header, ["ACME", "", "", ""]]))
    assert (problems(report), report.unchanged) == ([], 1)
    report = import_customers(plain_csv([header, ["ACME", "", "", "0"]]))
    assert (problems(report), report.updated) == ([], 1)
    assert values_of("ACME") == {"Tier": "gold", "Regions": ["north"], "Vip": False}


def test_a_new_record_gets_the_defaults_and_needs_its_required_fields():
    define("Tier", "dropdown", choices=TIERS, default="bronze")
    define("ErpNumber", required=True)
    define("Approved", "checkbox", required=True)  # unticked is a value
    define("Manager", required=True, default="Petra")
    make_customer("OLD", "Old")  # an existing record: its empty required fields are not the file's business
    header = ["CustomerID", "Name", "Country", "DynamicField_ErpNumber"]
    report = import_customers(plain_csv([header, ["NEW", "New", "DE", ""], ["OLD", "Old", "DE", ""]]))
    assert problems(report) == ["Line 2, DynamicField_ErpNumber: required for a new record."]
    report = import_customers(plain_csv([["CustomerID", "Name", "Country"], ["NEW", "New", "DE"]]))
    assert problems(report) == ["Line 2, DynamicField_ErpNumber: required for a new record."]
    assert not Customer.objects.filter(customer_id="NEW").exists()

    report = import_customers(plain_csv([header, ["NEW", "New", "DE", "4711"]]))
    assert problems(report) == []
    assert values_of("NEW") == {"Tier": "bronze", "ErpNumber": "4711", "Approved": False, "Manager": "Petra"}


def test_unknown_and_retired_dynamic_field_columns_are_named_in_warnings():
    define("Tier", "dropdown", choices=TIERS)
    define("Legacy", valid=Validity.INVALID)
    define("Size", object_type="customer_user")  # a field of customer users, not of customers
    header = ["CustomerID", "Name", "Country", "DynamicField_Tier", "DynamicField_Legacy", "DynamicField_Size"]
    report = import_customers(plain_csv([[*header, "Shoe size"], ["ACME", "Acme", "DE", "gold", "x", "L", "44"]]))
    assert problems(report) == []
    assert report.warnings == [
        "Columns not imported: Shoe size.",
        "Column DynamicField_Legacy not imported: the dynamic field Legacy is not valid (retired); make it valid "
        "to import its values.",
        "Column DynamicField_Size not imported: no dynamic field of customers is called Size; define it to import "
        "its values.",
    ]
    assert values_of("ACME") == {"Tier": "gold"}


def test_customer_users_have_their_own_columns():
    define("Department", object_type="customer_user", label="Abteilung")
    acme = make_customer("ACME", "Acme")
    make_customer_user(acme, "jdoe", "Jane", "Doe", email="jdoe@acme.example")
    report = import_customer_users(plain_csv([["UserLogin", "abteilung"], ["JDOE", "Sales"]]))
    assert problems(report) == []
    assert dict(CustomerUser.objects.get(login="jdoe").dynamic_fields) == {"Department": "Sales"}


# --- writing ------------------------------------------------------------------------------------


def test_only_the_changed_values_are_written_with_the_history_naming_them_by_label(admin_user):
    define("Tier", "dropdown", choices=TIERS, label="Contract tier")
    define("ErpNumber", label="ERP number")
    acme = make_customer("ACME", "Acme")
    acme.dynamic_fields.update({"Tier": "gold", "ErpNumber": "1"})
    acme.save()
    changed_at = Customer.objects.get(pk=acme.pk).changed_at
    header = ["CustomerID", "DynamicField_Tier", "DynamicField_ErpNumber"]
    report = CustomerImport(user=admin_user).run(
        format_for("x.csv").create_dataset(plain_csv([header, ["ACME", "silver", "1"]]))
    )
    assert (problems(report), report.updated) == ([], 1)
    assert values_of("ACME") == {"Tier": "silver", "ErpNumber": "1"}
    assert Customer.objects.get(pk=acme.pk).changed_at > changed_at
    (entry,) = LogEntry.objects.all()
    assert entry.get_change_message() == "Changed Contract tier."


@override_settings(OTRS_CUSTOMER_ADMIN=DIRECTORY)
def test_a_directory_record_takes_the_fields_its_source_does_not_map_and_no_other():
    define("Tier", "dropdown", choices=TIERS)
    define("AccountManager")
    with get_data_source("directory").writing():
        customer = make_customer("DIR", "Directory customer", data_source="directory")
        customer.dynamic_fields["Tier"] = "gold"
        customer.save()
    report = import_customers(plain_csv([["CustomerID", "DynamicField_AccountManager"], ["DIR", "Petra"]]))
    assert (problems(report), report.updated) == ([], 1)
    report = import_customers(plain_csv([["CustomerID", "DynamicField_Tier"], ["DIR", "silver"]]))
    assert problems(report) == [
        "Line 2, CustomerID: DIR belongs to the read-only data source Company directory; only its sync may change it."
    ]
    assert values_of("DIR") == {"Tier": "gold", "AccountManager": "Petra"}


def test_the_preview_shows_dynamic_field_changes_by_label(admin_client):
    define("Tier", "dropdown", choices=TIERS, label="Contract tier")
    define("Vip", "checkbox", label="VIP")
    acme = make_customer("ACME", "Acme", city="Berlin")
    acme.dynamic_fields["Tier"] = "gold"
    acme.save()
    data = plain_csv(
        [
            ["CustomerID", "Name", "City", "Country", "DynamicField_Tier", "DynamicField_Vip"],
            ["ACME", "Acme", "Berlin", "DE", "silver", ""],
            ["GLOBEX", "Globex", "Springfield", "US", "", "1"],
        ]
    )
    preview = upload(admin_client, data)
    page = text(document(preview))
    assert "2 Update ACME Contract tier: Gold → Silver" in page
    assert "VIP: Yes" in page
    confirm(admin_client, preview)
    assert values_of("ACME") == {"Tier": "silver", "Vip": False}
    assert values_of("GLOBEX") == {"Tier": None, "Vip": True}


def test_a_value_another_writer_changed_since_the_check_refuses_the_import():
    """The import's second reading finds the value changed (the race with real processes is in
    test_write_races.py): nothing of the file is written, the other writer's value stands."""
    define("Tier", "dropdown", choices=TIERS)
    acme = make_customer("ACME", "Acme")
    make_customer("GLOBEX", "Globex")
    importer = CustomerImport()
    rows = format_for("x.csv").create_dataset(
        plain_csv([["CustomerID", "DynamicField_Tier"], ["GLOBEX", "bronze"], ["ACME", "gold"]])
    )
    importer.check(importer_source(rows))
    assert importer.report.ok
    acme.dynamic_fields["Tier"] = "silver"
    acme.save()
    importer.write_checked(importer_source(rows))
    assert [str(problem) for problem in importer.report.problems] == [
        "Nothing was imported: ACME changed while this file was being imported (another import, a sync, a merge "
        "or a user saved them). Nothing was overwritten; import the file again."
    ]
    assert (values_of("ACME"), values_of("GLOBEX")) == ({"Tier": "silver"}, {"Tier": None})


def importer_source(dataset):
    from otrs_customer_admin.importexport.formats import DatasetRows

    return DatasetRows(dataset)


# --- round trips and OTRS ------------------------------------------------------------------------


def every_type():
    """A customer and a customer user with a value in a field of every type, and others with none."""
    fields = {
        "Label": define("Label"),
        "Notes": define("Notes", "textarea"),
        "Seats": define("Seats", "integer"),
        "Rate": define("Rate", "decimal"),
        "Renewal": define("Renewal", "date"),
        "Audit": define("Audit", "datetime"),
        "Vip": define("Vip", "checkbox"),
        "Tier": define("Tier", "dropdown", choices=TIERS),
        "Regions": define("Regions", "multiselect", choices=REGIONS),
        "Site": define("Site", "url"),
        "Contact": define("Contact", "email"),
    }
    define("Department", "dropdown", object_type="customer_user", choices={"-sales": "Sales", "it": "IT"})
    define("Started", "date", object_type="customer_user")
    acme = make_customer("ACME", "Acme")
    acme.dynamic_fields.update(
        {
            "Label": "=1+1",
            "Notes": "first line\nsecond; line",
            "Seats": -12,
            "Rate": "-0.125",
            "Renewal": datetime.date(2027, 1, 31),
            "Audit": timezone.make_aware(datetime.datetime(2026, 5, 1, 10, 30, 15)),
            "Vip": True,
            "Tier": "silver",
            "Regions": ["north", "west"],
            "Site": "https://acme.example/?a=1",
            "Contact": "info@acme.example",
        }
    )
    acme.save()
    make_customer("EMPTY", "Empty")
    person = make_customer_user(acme, "jdoe", "Jane", "Doe", email="jdoe@acme.example")
    person.dynamic_fields.update({"Department": "-sales", "Started": datetime.date(2020, 2, 29)})
    person.save()
    make_customer_user(acme, "nobody", "No", "Body", email="nobody@acme.example")
    return fields


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_with_every_type_imports_back_unchanged(admin_client, file_format):
    every_type()
    before = snapshot()
    columns = {"customer": 11, "customeruser": 2}
    for model, importer_class in (("customer", CustomerImport), ("customeruser", CustomerUserImport)):
        data = export(admin_client, model, file_format, query="validity=all")
        dataset = format_for(file_format).create_dataset(data)
        assert len([header for header in dataset.headers if header.startswith("DynamicField_")]) == columns[model]
        report = importer_class().run(dataset)
        assert (problems(report), report.warnings) == ([], [])
        assert (report.rows, report.created, report.updated, report.unchanged) == (2, 0, 0, 2)
    assert snapshot() == before


def test_otrs_exports_with_dynamic_field_columns_import_as_they_are():
    """A Znuny/OTRS customer export with dynamic fields, as the ImportExport add-on writes it (its
    column names, every value quoted, semicolons, CRLF; dates with midnight, checkboxes 1/0, a
    multiselect's keys), in a file of our own."""
    define("CustomerType", "dropdown", choices={"partner": "Partner", "reseller": "Reseller"}, label="Customer type")
    define("ContractEnd", "date")
    define("Vip", "checkbox")
    define("Products", "multiselect", choices={"itsm": "ITSM", "faq": "FAQ", "survey": "Survey"})
    define("ErpNumber", "integer")
    report = import_customers(OTRS_EXPORT.read_bytes())
    assert problems(report) == []
    assert report.warnings == [
        "Column DynamicField_Obsolete not imported: no dynamic field of customers is called Obsolete; define it to "
        "import its values."
    ]
    assert values_of("ACME") == {
        "CustomerType": "partner",
        "ContractEnd": datetime.date(2027, 12, 31),
        "Vip": True,
        "Products": ["itsm", "faq"],
        "ErpNumber": 100234,
    }
    assert values_of("GLOBEX") == {
        "CustomerType": "reseller",
        "ContractEnd": None,
        "Vip": False,
        "Products": [],
        "ErpNumber": None,
    }
    again = import_customers(OTRS_EXPORT.read_bytes(), dry_run=True)
    assert (problems(again), again.unchanged) == ([], 2)


def test_the_import_page_lists_the_dynamic_field_columns(admin_client):
    define("Tier", "dropdown", choices=TIERS)
    page = text(document(admin_client.get(reverse("admin:otrs_customer_admin_customer_import"))))
    assert "DynamicField_Tier" in page


def test_an_edited_xlsx_export_changes_only_the_edited_value(admin_client):
    every_type()
    data = export(admin_client, CUSTOMER, "xlsx", query="validity=all")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "EMPTY":
            row[headers.index("DynamicField_Regions")].value = "East, North"
    buffer = io.BytesIO()
    book.save(buffer)
    report = CustomerImport().run(format_for("xlsx").create_dataset(buffer.getvalue()))
    assert (problems(report), report.updated, report.unchanged) == ([], 1, 1)
    assert values_of("EMPTY")["Regions"] == ["north", "east"]
