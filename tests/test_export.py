"""Export from the admin: what the list shows (filters, search), every record, every format;
cells a spreadsheet would run are neutralised; an export imports back with no changes."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.importexport.formats import format_for
from otrs_customer_admin.importexport.importers import CustomerImport, CustomerUserImport
from otrs_customer_admin.models import Customer, CustomerUser, TicketState, Validity
from tests.factories import build_customer, build_customer_user, make_customer, make_customer_user, make_ticket
from tests.markup import attribute, document, element
from tests.test_dynamic_fields import define

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "tsv", "xlsx", "json"]
# The positions of the admin's export formats: the export form's "format" value.
EXPORT_FORMAT = {"csv": "0", "tsv": "1", "xlsx": "2", "json": "3"}
IMPORT_FORMAT = {"csv": "0", "tsv": "1", "xlsx": "2", "json": "3"}


def url(model, name):
    return reverse(f"admin:otrs_customer_admin_{model}_{name}")


def export(client, model, file_format="csv", query=""):
    """The file the admin's export form gives for the list at ``?query``."""
    path = url(model, "export") + (f"?{query}" if query else "")
    form = client.get(path)
    assert form.status_code == 200
    response = client.post(path, {"format": EXPORT_FORMAT[file_format]})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].rstrip('"').endswith(f".{file_format}")
    return streamed(response)


def streamed(response):
    """The file a streamed export response sends, whole."""
    assert response.streaming
    return b"".join(response.streaming_content)


def records(data, file_format="csv"):
    """The exported rows as dicts of the exported text (as the import reads them)."""
    dataset = format_for(file_format).create_dataset(data)
    headers = dataset.headers[1:]
    return [dict(zip(headers, row[1:], strict=True)) for row in dataset]


def column(data, name, file_format="csv"):
    return sorted(row[name] for row in records(data, file_format))


@pytest.fixture
def customers():
    return [
        make_customer("ACME", "Acme Corporation", city="Berlin"),
        make_customer("ACME-OLD", "Acme (old)", city="Bonn", valid=Validity.INVALID),
        make_customer("GLOBEX", "Globex", city="Springfield", country="US"),
        make_customer("ACMEWAY", "Roadrunner", city="Acme", valid=Validity.INVALID_TEMPORARILY),
    ]


# ---------------------------------------------------------------------------
# What is exported: the list as filtered, all of it
# ---------------------------------------------------------------------------


def test_the_export_of_the_default_list_has_the_valid_customers(admin_client, customers):
    assert column(export(admin_client, "customer"), "customer_id") == ["ACME", "GLOBEX"]


def test_the_export_follows_the_validity_filter_and_the_search(admin_client, customers):
    def exported(query):
        return column(export(admin_client, "customer", query=query), "customer_id")

    assert exported("validity=all") == ["ACME", "ACME-OLD", "ACMEWAY", "GLOBEX"]
    assert exported("validity=invalid") == ["ACME-OLD"]
    assert exported("validity=all&q=acme") == ["ACME", "ACME-OLD", "ACMEWAY"]
    assert exported("q=acme") == ["ACME"]
    assert exported("validity=all&q=acme+%26%26+%21old") == ["ACME", "ACMEWAY"]  # OTRS syntax: acme && !old
    assert exported("q=nobody") == []


def test_the_lists_export_button_carries_its_filters(admin_client, customers):
    page = document(admin_client.get(url("customer", "changelist"), {"validity": "all", "q": "acme"}))
    button = element(page, href=lambda href: href.startswith(f"{url('customer', 'export')}?"))
    link = attribute(button, "href")
    response = admin_client.post(link, {"format": EXPORT_FORMAT["csv"]})
    assert column(streamed(response), "customer_id") == ["ACME", "ACME-OLD", "ACMEWAY"]


def test_customer_users_export_follows_the_customer_and_validity_filters(admin_client, customers):
    acme, _, globex, _ = customers
    for login, company, valid in (
        ("jdoe", acme, Validity.VALID),
        ("gone", acme, Validity.INVALID),
        ("hank", globex, Validity.VALID),
    ):
        make_customer_user(company, login, login, "X", email=f"{login}@example.com", valid=valid)

    def exported(query=""):
        return column(export(admin_client, "customeruser", query=query), "login")

    assert exported() == ["hank", "jdoe"]
    assert exported("validity=all") == ["gone", "hank", "jdoe"]
    assert exported(f"validity=all&customer__id__exact={acme.pk}") == ["gone", "jdoe"]
    assert exported("q=globex") == ["hank"]


# ---------------------------------------------------------------------------
# The list's filters: the export reads them as the list does
# ---------------------------------------------------------------------------

# What identifies a row in each model's export, and the same on the list's objects.
KEYS = {"customer": "customer_id", "customeruser": "login", "ticket": "number"}


@pytest.fixture
def people_and_tickets(customers):
    acme, _, globex, _ = customers
    make_customer("ACME-GMBH", "ACME G.m.b.H.", city="Munich")  # a possible duplicate of Acme Corporation
    jane = make_customer_user(acme, "jdoe")
    make_customer_user(acme, "gone", "Gone", "Away", valid=Validity.INVALID)
    hank = make_customer_user(globex, "hank", "Hank", "Scorpio")
    hank.additional_customers.add(acme)
    make_ticket(acme, "Printer on fire", customer_user=jane, state=TicketState.OPEN, priority=4)
    make_ticket(acme, "Closed one", state=TicketState.CLOSED_SUCCESSFUL)
    make_ticket(globex, "Other customer", customer_user=hank, state=TicketState.NEW)
    return {"acme": acme, "globex": globex, "jane": jane, "hank": hank}


def listed(client, model, query):
    """The rows the list shows at ``?query`` (one page holds them all here), by their export key."""
    response = client.get(url(model, "changelist") + f"?{query}")
    assert response.status_code == 200, response.get("Location")
    return [str(getattr(obj, KEYS[model])) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("customer", ""),
        ("customer", "validity=all"),
        ("customer", "validity=invalid-temporarily"),
        ("customer", "validity=nonsense"),  # the list falls back to the valid ones
        ("customer", "validity=all&q=acme&o=-2"),
        ("customer", "duplicates=yes"),
        ("customer", "duplicates=no&data_source=database"),
        ("customeruser", ""),
        ("customeruser", "validity=all&customer__id__exact={acme}"),
        ("customeruser", "customer__id__exact={acme}"),
        ("customeruser", "q=globex"),
        ("ticket", "state_type=open"),
        ("ticket", "customer__id__exact={acme}&o=1"),
        ("ticket", "customer_user__id__exact={hank}"),
        ("ticket", "priority__exact=4"),
        ("ticket", "q=printer"),
    ],
)
def test_the_export_has_exactly_the_rows_the_list_shows(admin_client, people_and_tickets, model, query):
    query = query.format(acme=people_and_tickets["acme"].pk, hank=people_and_tickets["hank"].pk)
    shown = listed(admin_client, model, query)
    assert shown  # each case shows something, so a wrong filter would show
    assert [row[KEYS[model]] for row in records(export(admin_client, model, query=query))] == shown


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("customer", "valid=all"),  # a field the list has no filter for, with a value it is not
        ("customer", "foo=1"),
        ("customer", "customer_users__id__exact=abc"),
        ("customeruser", "customer__id__exact=abc"),
        ("customeruser", "foo=1"),
        ("ticket", "customer__id__exact=abc"),
        ("ticket", "created_at__gte=yesterday"),
    ],
)
def test_filters_the_list_cannot_read_send_the_export_back_to_the_list(admin_client, people_and_tickets, model, query):
    changelist = url(model, "changelist")
    # The list itself answers such an address by showing itself without the filters (?e=1).
    response = admin_client.get(f"{changelist}?{query}")
    assert (response.status_code, response["Location"]) == (302, f"{changelist}?e=1")
    export_url = f"{url(model, 'export')}?{query}"
    for response in (
        admin_client.get(export_url, follow=True),
        admin_client.post(export_url, {"format": EXPORT_FORMAT["csv"]}, follow=True),
    ):
        assert response.redirect_chain == [(f"{changelist}?e=1", 302)]
        assert [str(message) for message in response.context["messages"]] == [
            "Nothing was exported: the filters in the address are not ones this list knows. "
            "Choose the filters on the list, then export again."
        ]
    # Without the filters it exports.
    assert len(records(export(admin_client, model))) >= 2


def test_every_matching_record_is_exported(admin_client):
    Customer.objects.bulk_create(
        build_customer(
            f"C{number:04d}", f"Customer {number:04d}", valid=Validity.INVALID if number % 2 else Validity.VALID
        )
        for number in range(1200)
    )
    assert len(records(export(admin_client, "customer", query="validity=all"))) == 1200
    assert len(records(export(admin_client, "customer", "xlsx"), "xlsx")) == 600
    assert len(records(export(admin_client, "customer", "json", query="validity=all&q=C1*"), "json")) == 200


def test_the_customer_user_export_costs_the_same_queries_for_more_rows(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    companies = Customer.objects.bulk_create(build_customer(f"C{number}", f"Customer {number}") for number in range(40))

    def make(count, valid):
        # Customer users are never deleted: each round exports its own validity.
        CustomerUser.objects.bulk_create(
            build_customer_user(
                companies[number % len(companies)],
                f"u{valid}-{number}",
                "F",
                "L",
                email=f"u{valid}-{number}@example.com",
                valid=valid,
            )
            for number in range(count)
        )

    def exported(count, valid):
        validity = {Validity.VALID: "valid", Validity.INVALID: "invalid"}[valid]
        assert len(records(export(admin_client, "customeruser", query=f"validity={validity}"))) == count

    make(10, Validity.VALID)
    make(400, Validity.INVALID)
    # One of them reads the dynamic field definitions (the export's columns), one the export
    # profiles the form offers.
    with django_assert_max_num_queries(8) as ten_rows:
        exported(10, Validity.VALID)
    with django_assert_num_queries(len(ten_rows)):
        exported(400, Validity.INVALID)


# ---------------------------------------------------------------------------
# Formula neutralisation
# ---------------------------------------------------------------------------


@pytest.fixture
def tricky():
    """Values a spreadsheet would run, and values that only look like it in the phone and zip columns."""
    acme = make_customer(
        "ACME",
        '=HYPERLINK("http://evil.example","Acme")',
        street="-dash Street 1",
        zip="-0815",
        city="@home",
        comment="=1+1",
        url="https://acme.example/?a=1",
    )
    make_customer("PLUS", "+Plus GmbH", comment="\tTabbed", city="\rReturn", zip="+49")
    make_customer("QUOTE", "'=Quoted", comment="'plain quote", city="Köln", valid=Validity.INVALID)
    make_customer_user(
        acme,
        "jdoe",
        "=cmd|' /C calc'!A0",
        "-Doe",
        email="jdoe@acme.example",
        phone="+49 30 1234",
        fax="-",
        mobile="=1+1",
        zip="-0815",
        comment="@home\nsecond line",
    )
    return acme


def test_an_xlsx_export_has_no_formula_and_neutralised_values(admin_client, tricky):
    data = export(admin_client, "customer", "xlsx", query="validity=all")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    by_id = {row[0]: dict(zip(headers, row, strict=True)) for row in rows[1:]}
    assert by_id["ACME"]["name"] == '\'=HYPERLINK("http://evil.example","Acme")'
    assert by_id["ACME"]["street"] == "'-dash Street 1"
    assert by_id["ACME"]["city"] == "'@home"
    assert by_id["ACME"]["comment"] == "'=1+1"
    assert by_id["ACME"]["zip"] == "-0815"  # a postal code, exempt
    assert by_id["ACME"]["url"] == "https://acme.example/?a=1"
    assert by_id["PLUS"]["name"] == "'+Plus GmbH"
    assert by_id["PLUS"]["comment"] == "'\tTabbed"
    assert by_id["PLUS"]["city"] == "'_x000D_Return"  # Office's escape for a CR, which Excel shows as one
    assert by_id["PLUS"]["zip"] == "+49"
    # A value starting with ' before a formula character gets one more, so that it comes back unchanged.
    assert by_id["QUOTE"]["name"] == "''=Quoted"
    assert by_id["QUOTE"]["comment"] == "'plain quote"
    assert by_id["QUOTE"]["valid"] == "invalid"

    data = export(admin_client, "customeruser", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    headers, row = list(sheet.iter_rows(values_only=True))
    jdoe = dict(zip(headers, row, strict=True))
    assert jdoe["first_name"] == "'=cmd|' /C calc'!A0"
    assert jdoe["last_name"] == "'-Doe"
    assert jdoe["comment"] == "'@home\nsecond line"
    assert (jdoe["phone"], jdoe["fax"], jdoe["zip"]) == ("+49 30 1234", "-", "-0815")
    # The phone columns keep phone numbers as they are, but not a formula.
    assert jdoe["mobile"] == "'=1+1"


@pytest.mark.parametrize("file_format", ["csv", "tsv", "json"])
def test_text_exports_neutralise_the_same_cells(admin_client, tricky, file_format):
    data = export(admin_client, "customeruser", file_format)
    if file_format == "json":
        (jdoe,) = json.loads(data)
    else:
        delimiter = "\t" if file_format == "tsv" else ","
        (jdoe,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    assert jdoe["first_name"] == "'=cmd|' /C calc'!A0"
    assert jdoe["last_name"] == "'-Doe"
    assert jdoe["mobile"] == "'=1+1"
    assert (jdoe["phone"], jdoe["fax"], jdoe["zip"]) == ("+49 30 1234", "-", "-0815")
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if file_format == "csv" else []:
        for cell in row:
            assert not cell.startswith(("=", "@", "\t", "\r")), cell


# ---------------------------------------------------------------------------
# Round trips: export, import the same file, nothing changes
# ---------------------------------------------------------------------------


def round_trip_data():
    acme = make_customer(
        "ACME",
        "Acme Corporation",
        street="Main Street 1",
        zip="01067",
        city="Dresden",
        url="https://acme.example",
        comment="=1+1",
    )
    home = make_customer("@home", "-dash Ltd", city="@home", zip="+49", comment="-dash")
    make_customer("PLUS+1", "+Plus GmbH", comment="\tTabbed\nand two lines", country="AT", valid=Validity.INVALID)
    make_customer("QUOTE", "'=Quoted", comment="#N/A", street="TRUE", city="Zürich", country="CH")
    globex = make_customer("GLOBEX", "Globex", city="Springfield", country="US")
    make_customer_user(
        acme,
        "jdoe",
        "Jane",
        "Doe",
        title="Dr.",
        email="jane@acme.example",
        phone="+49 30 1234",
        fax="-",
        mobile="=1+1",
        street="@home street",
        zip="01067",
        city="Dresden",
        country="DE",
        comment="-dash",
    )
    make_customer_user(
        home,
        "@hank",
        "=Hank",
        "'-Scorpio",
        email="hank@globex.example",
        phone="+1 555 0100 ext. 12",
        mobile="004930123456789012",
        zip="1E5",
        comment="'plain quote",
        valid=Validity.INVALID,
    )
    make_customer_user(globex, "ggg", "G", "G", email="g@globex.example", phone="=1+1")
    # Paused after Hank joined it: his link stays.
    Customer.objects.filter(pk=home.pk).update(valid=Validity.INVALID_TEMPORARILY)


def snapshot():
    return (
        list(Customer.objects.order_by("pk").values()),
        list(CustomerUser.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_export_imports_back_through_the_engine_with_no_changes(admin_client, file_format):
    round_trip_data()
    before = snapshot()
    for model, importer_class, expected in (("customer", CustomerImport, 5), ("customeruser", CustomerUserImport, 3)):
        data = export(admin_client, model, file_format, query="validity=all")
        report = importer_class().run(format_for(file_format).create_dataset(data))
        assert [str(problem) for problem in report.problems] == []
        assert report.warnings == []
        assert (report.rows, report.created, report.updated, report.unchanged) == (expected, 0, 0, expected)
    assert snapshot() == before


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_export_uploads_back_through_the_admin_with_no_changes(admin_client, file_format):
    round_trip_data()
    before = snapshot()
    for model, expected in (("customer", 5), ("customeruser", 3)):
        data = export(admin_client, model, file_format, query="validity=all")
        preview = admin_client.post(
            url(model, "import"),
            {"format": IMPORT_FORMAT[file_format], "import_file": SimpleUploadedFile(f"export.{file_format}", data)},
        )
        report = preview.context["result"].report
        assert [str(problem) for problem in report.problems] == []
        assert (report.created, report.updated, report.unchanged) == (0, 0, expected)
    assert snapshot() == before


def test_an_edited_export_imports_only_the_edit(admin_client):
    round_trip_data()
    data = export(admin_client, "customer", "xlsx", query="validity=all")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "GLOBEX":
            row[headers.index("city")].value = "Shelbyville"
    buffer = io.BytesIO()
    book.save(buffer)
    report = CustomerImport().run(format_for("xlsx").create_dataset(buffer.getvalue()))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert Customer.objects.get(customer_id="GLOBEX").city == "Shelbyville"
    assert Customer.objects.get(customer_id="ACME").comment == "=1+1"


# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------


def test_the_ticket_list_exports_with_its_filter(admin_client):
    acme = make_customer("ACME", "Acme")
    globex = make_customer("GLOBEX", "Globex")
    jdoe = make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane@acme.example")
    printer = make_ticket(acme, "=Printer on fire", customer_user=jdoe, state=TicketState.OPEN)
    make_ticket(acme, "Closed one", state=TicketState.CLOSED_SUCCESSFUL)
    make_ticket(globex, "Other customer", state=TicketState.NEW)

    rows = records(export(admin_client, "ticket", query=f"state_type=open&customer__id__exact={acme.pk}"))
    assert len(rows) == 1
    (row,) = rows
    assert list(row) == [
        "number",
        "title",
        "customer",
        "customer_user",
        "state",
        "priority",
        "sla",
        "created_at",
        "pending_until",
        "escalation_at",
        "escalation_deadline",
        "closed_at",
    ]
    assert row["number"] == printer.number and row["number"].isdigit()
    assert row["title"] == "'=Printer on fire"
    assert (row["customer"], row["customer_user"], row["state"]) == ("ACME", "jdoe", "open")
    assert row["priority"] == str(printer.priority)

    assert len(records(export(admin_client, "ticket"))) == 3
    assert column(export(admin_client, "ticket", query="state_type=closed"), "title") == ["Closed one"]
    assert column(export(admin_client, "ticket", "json", query="q=other"), "title", "json") == ["Other customer"]
    data = export(admin_client, "ticket", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


# ---------------------------------------------------------------------------
# Dynamic fields
# ---------------------------------------------------------------------------


def test_dynamic_fields_are_columns_after_the_built_in_ones_written_as_the_import_reads_them(admin_client):
    define("Seats", "integer", order=2)
    define("Label", order=1)
    define("Rate", "decimal", order=3)
    define("Renewal", "date", order=4)
    define("Vip", "checkbox", order=5)
    define("Regions", "multiselect", order=6, choices={"north": "North", "south": "South", "west": "West"})
    define("Retired", valid=Validity.INVALID)
    define("Department", object_type="customer_user")
    acme = make_customer("ACME", "Acme")
    acme.dynamic_fields.update(
        {
            "Label": "=1+1",
            "Seats": -12,
            "Rate": "-0.5",
            "Renewal": "2027-01-31",
            "Vip": True,
            "Regions": ["west", "north"],
        }
    )
    acme.save()
    make_customer("EMPTY", "Empty")
    dynamic = ["DynamicField_Label", "DynamicField_Seats", "DynamicField_Rate", "DynamicField_Renewal"]
    dynamic += ["DynamicField_Vip", "DynamicField_Regions"]
    for file_format in ("csv", "xlsx"):
        data = export(admin_client, "customer", file_format)
        rows = {row["customer_id"]: row for row in records(data, file_format)}
        assert list(rows["ACME"])[-7:] == ["data_source", *dynamic]
        # A text that a spreadsheet would run is neutralised; a negative number is a number.
        assert [rows["ACME"][name] for name in dynamic] == ["'=1+1", "-12", "-0.5", "2027-01-31", "1", "north; west"]
        assert [rows["EMPTY"][name] for name in dynamic] == ["", "", "", "", "0", ""]
    sheet = openpyxl.load_workbook(io.BytesIO(export(admin_client, "customer", "xlsx"))).active
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_dynamic_field_values_cost_a_query_per_thousand_records_not_per_row(admin_client):
    define("Tier", "dropdown", choices={"gold": "Gold"})
    define("Seats", "integer")
    Customer.objects.bulk_create(build_customer(f"C{number:03d}", f"Customer {number}") for number in range(400))
    customer = Customer.objects.get(customer_id="C001")
    customer.dynamic_fields.update({"Tier": "gold", "Seats": 3})
    customer.save()
    Customer.objects.filter(customer_id__gte="C010").update(valid=Validity.INVALID)

    def queries(validity):
        with CaptureQueriesContext(connection) as context:
            exported = records(export(admin_client, "customer", query=f"validity={validity}"))
        return len(context.captured_queries), exported

    few, exported = queries("valid")
    assert len(exported) == 10 and {row["DynamicField_Tier"] for row in exported} == {"gold", ""}
    many, exported = queries("invalid")
    assert len(exported) == 390
    assert many == few
