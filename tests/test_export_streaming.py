"""Streamed exports: the file is written a chunk of rows at a time (the commands, jobs and the
admin without jobs), byte for byte the file the exports always wrote; the columns an export
profile chooses; queries that do not grow with the rows."""

import codecs
import csv
import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.importexport.exports import CHUNK_ROWS, ExportRefused, filtered_queryset, write_export
from otrs_customer_admin.importexport.formats import format_for
from otrs_customer_admin.models import Customer, CustomerUser, ImportExportProfile, Validity
from otrs_customer_admin.writes import replace_addresses
from tests.factories import build_customer, build_customer_user, make_customer, make_customer_user
from tests.teams import link
from tests.test_dynamic_fields import define

pytestmark = pytest.mark.django_db

CUSTOMER_HEADERS = ["customer_id", "name", "street", "zip", "city", "country", "url", "comment", "valid", "data_source"]
PERSON_HEADERS = [
    *("login", "title", "first_name", "last_name", "email", "customer", "phone", "fax", "mobile"),
    *("street", "zip", "city", "country", "comment", "valid", "additional_customers"),
    *("additional_emails", "data_source"),
]


@pytest.fixture
def world(settings):
    """Two customers and two customer users with every kind of column: values a spreadsheet would
    run, phone numbers, dynamic fields, group links, additional customers."""
    from django.contrib.auth.models import Group

    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    define("Seats", "integer", order=1)
    define("Note", order=2)
    define("Desk", object_type="customer_user")
    acme = make_customer("ACME", "=Acme", street="Main 1", zip="-0815", city="Köln", comment="two\nlines")
    acme.dynamic_fields.update({"Seats": -3, "Note": "@note"})
    acme.save()
    home = make_customer("@HOME", "Home", country="AT")
    link(acme, Group.objects.create(name="support"), "rw")
    link(acme, Group.objects.create(name="billing"), "ro")
    jane = make_customer_user(
        acme, "jdoe", "Jane", "-Doe", email="jane@acme.example", phone="+49 30 1", mobile="=1+1", country="DE"
    )
    jane.additional_customers.add(home)
    replace_addresses({jane.pk: ["-jane@home.example"]})
    jane.dynamic_fields.update({"Desk": "B-12"})
    jane.save()
    make_customer_user(home, "hank", "Hank", "Hill", email="hank@home.example", valid=Validity.INVALID)
    # Paused after its people joined it: their links stay.
    Customer.objects.filter(pk=home.pk).update(valid=Validity.INVALID_TEMPORARILY)
    return acme


EXPECTED = {
    Customer: [
        [*CUSTOMER_HEADERS, "groups", "DynamicField_Seats", "DynamicField_Note"],
        ["'@HOME", "Home", "", "", "", "AT", "", "", "invalid-temporarily", "database", "", "", ""],
        [
            *("ACME", "'=Acme", "Main 1", "-0815", "Köln", "DE", "", "two\nlines", "valid", "database"),
            *("billing:ro; support:rw", "-3", "'@note"),
        ],
    ],
    CustomerUser: [
        [*PERSON_HEADERS, "DynamicField_Desk"],
        [
            *("hank", "", "Hank", "Hill", "hank@home.example", "'@HOME", "", "", "", "", "", "", "", ""),
            *("invalid", "", "", "database", ""),
        ],
        [
            *("jdoe", "", "Jane", "'-Doe", "jane@acme.example", "ACME", "+49 30 1", "", "'=1+1", "", "", "", "DE"),
            *("", "valid", "'@HOME", "'-jane@home.example", "database", "B-12"),
        ],
    ],
}


def exported(model, name, **kwargs):
    stream = io.BytesIO()
    count = write_export(filtered_queryset(model), format_for(name), stream, **kwargs)
    return count, stream.getvalue()


def excel_csv(rows, delimiter=","):
    """What Excel writes as "CSV UTF-8": a byte order mark, CRLF, quotes only where needed (by hand)."""

    def cell(value):
        if any(char in value for char in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return codecs.BOM_UTF8 + "".join(delimiter.join(map(cell, row)) + "\r\n" for row in rows).encode()


@pytest.mark.parametrize("model", [Customer, CustomerUser])
def test_the_streamed_file_is_the_one_exports_always_wrote_in_every_format(world, model):
    header, *rows = EXPECTED[model]
    assert exported(model, "csv") == (2, excel_csv(EXPECTED[model]))
    assert exported(model, "tsv") == (2, excel_csv(EXPECTED[model], "\t"))
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert exported(model, "json")[1].decode() == json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    sheet = openpyxl.load_workbook(io.BytesIO(exported(model, "xlsx")[1])).active
    assert [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)] == EXPECTED[model]
    assert {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None} == {"s"}
    assert sheet.calculate_dimension() == f"A1:{chr(ord('A') + len(header) - 1)}3"


class Pieces(io.RawIOBase):
    """A binary stream that keeps each write apart."""

    def __init__(self):
        self.pieces = []

    def writable(self):
        return True

    def write(self, data):
        self.pieces.append(bytes(data))
        return len(data)


def test_the_file_is_written_a_chunk_at_a_time_with_progress_after_each(db):
    Customer.objects.bulk_create(build_customer(f"C{number:05d}", f"Customer {number}") for number in range(2500))
    stream, calls = Pieces(), []
    count = write_export(
        filtered_queryset(Customer), format_for("csv"), stream, progress=lambda *call: calls.append(call)
    )
    assert count == 2500
    assert calls == [("export", 0, 2500), ("export", 1000, 2500), ("export", 2000, 2500), ("export", 2500, 2500)]
    # The header first, then one piece per chunk of rows.
    assert stream.pieces[0] == excel_csv([CUSTOMER_HEADERS])
    assert [piece.count(b"\r\n") for piece in stream.pieces] == [1, CHUNK_ROWS, CHUNK_ROWS, 500]
    rows = list(csv.reader(io.StringIO(b"".join(stream.pieces).decode("utf-8-sig"), newline="")))
    assert [row[0] for row in rows[1:]] == [f"C{number:05d}" for number in range(2500)]


def test_the_queries_of_an_export_do_not_grow_with_its_rows(world):
    companies = Customer.objects.bulk_create(build_customer(f"X{number}", f"X {number}") for number in range(10))
    people = CustomerUser.objects.bulk_create(
        build_customer_user(companies[number % 10], f"p{number:03d}", valid=Validity.INVALID_TEMPORARILY)
        for number in range(100)
    )
    for person in people:
        person.additional_customers.add(companies[0], companies[1])

    def queries(model, validity):
        with CaptureQueriesContext(connection) as context:
            count = write_export(filtered_queryset(model, validity=validity), format_for("csv"), io.BytesIO())
        return count, len(context.captured_queries)

    ten_customers, hundred_people = queries(Customer, "valid"), queries(CustomerUser, "invalid-temporarily")
    assert ten_customers[0] == 11 and hundred_people[0] == 100
    assert queries(Customer, "invalid-temporarily")[1] == ten_customers[1]  # one customer
    assert queries(CustomerUser, "valid")[1] == hundred_people[1]  # one person


# --- columns: an export profile's choice ------------------------------------------------------------


def test_columns_pick_and_order_the_exported_ones(world):
    columns = ["DynamicField_Note", "name", "customer_id", "groups"]
    _count, data = exported(Customer, "csv", columns=columns)
    assert data == excel_csv(
        [columns, ["", "Home", "'@HOME", ""], ["'@note", "'=Acme", "ACME", "billing:ro; support:rw"]]
    )


def test_an_unknown_column_is_refused_naming_the_known_ones(world):
    with pytest.raises(ExportRefused) as refused:
        exported(CustomerUser, "csv", columns=["login", "nickname", "DynamicField_Seats"])
    assert str(refused.value) == (
        "Unknown export columns nickname, DynamicField_Seats: use some of "
        + ", ".join([*PERSON_HEADERS, "DynamicField_Desk"])
        + "."
    )


def profile(name, model, columns, direction="export"):
    return ImportExportProfile.objects.create(
        name=name, model=model._meta.label_lower, direction=direction, columns=columns
    )


def test_the_profile_option_picks_and_orders_the_columns(world, tmp_path):
    profile("Mailing", CustomerUser, ["email", "last_name", "customer"])
    path = tmp_path / "people.csv"
    call_command("export_customer_users", str(path), "--profile", "Mailing", stdout=io.StringIO(), stderr=io.StringIO())
    assert path.read_bytes() == excel_csv(
        [
            ["email", "last_name", "customer"],
            ["hank@home.example", "Hill", "'@HOME"],
            ["jane@acme.example", "'-Doe", "ACME"],
        ]
    )


def test_an_unknown_profile_is_refused_with_the_known_ones_and_nothing_is_written(world, tmp_path):
    path = tmp_path / "out.csv"

    def refused(*args):
        with pytest.raises(CommandError) as raised:
            call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
        return str(raised.value)

    assert refused("export_customers", str(path), "--profile", "Mailing") == (
        "No export profile called Mailing: customers have no export profiles yet."
    )
    profile("Mailing", CustomerUser, ["email"])  # another model's
    profile("Short", Customer, ["customer_id"], direction="import")  # an import's
    profile("Names", Customer, ["name"])
    profile("Cities", Customer, ["city", "customer_id"])
    assert refused("export_customers", str(path), "--profile", "Mailing") == (
        "No export profile called Mailing for customers: use one of Cities, Names."
    )
    # A profile whose column is gone (its dynamic field deleted since) is refused too.
    profile("Old", Customer, ["customer_id", "DynamicField_Gone"])
    assert refused("export_customers", str(path), "--profile", "Old").startswith(
        "Unknown export columns DynamicField_Gone: use some of customer_id, name,"
    )
    assert not path.exists()


# --- the admin without jobs ---------------------------------------------------------------------------


def test_the_admins_export_streams_its_file(admin_client, world):
    address = reverse("admin:otrs_customer_admin_customeruser_export") + "?validity=all"
    response = admin_client.post(address, {"format": "0"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="CustomerUser-')
    pieces = iter(response.streaming_content)
    # The header leaves before a single row is read.
    with CaptureQueriesContext(connection) as queries:
        first = next(pieces)
    assert first == excel_csv([EXPECTED[CustomerUser][0]])
    assert not [query for query in queries.captured_queries if "customeruser" in query["sql"]]
    # The list's order: by last name ("-Doe" before "Hill").
    header, hank, jane = EXPECTED[CustomerUser]
    assert first + b"".join(pieces) == excel_csv([header, jane, hank])


def test_xlsx_rows_keep_every_text_as_it_was(db):
    texts = ["a <b> & c", "  spaced  ", "literal _x000D_ text", "bell \x07 and\r\nlines", "#N/A", "=1+1", "ü 東京"]
    Customer.objects.bulk_create(build_customer(f"X{number}", text) for number, text in enumerate(texts))
    data = exported(Customer, "xlsx", columns=["customer_id", "name"])[1]
    # The import reads back what was written (the formula neutralised, as in every format)...
    rows = format_for("xlsx").create_dataset(data)
    assert [row[2] for row in rows] == [text if text != "=1+1" else "'=1+1" for text in texts]
    # ... and so does openpyxl, as Excel shows them (Office's _xHHHH_ escape read as openpyxl does).
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)][:4] == [
        "a <b> & c",
        "  spaced  ",
        "literal _x005F_x000D_ text",
        "bell _x0007_ and_x000D_\nlines",
    ]
