"""Importing customers: OTRS, Znuny and Zammad files, all or nothing, line-numbered problems."""

import pytest
from django.test import override_settings

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, Validity
from tests.factories import make_customer
from tests.importing import excel_csv, import_customers, plain_csv, problems

pytestmark = pytest.mark.django_db

OTRS_HEADER = [
    "CustomerID",
    "CustomerCompanyName",
    "CustomerCompanyStreet",
    "CustomerCompanyZIP",
    "CustomerCompanyCity",
    "CustomerCompanyCountry",
    "CustomerCompanyURL",
    "CustomerCompanyComment",
    "Valid",
]


def otrs_file(*rows):
    return excel_csv([OTRS_HEADER, *rows])


def snapshot():
    return list(Customer.objects.order_by("pk").values())


def test_an_otrs_export_creates_customers():
    report = import_customers(
        otrs_file(
            [
                "ACME",
                "Acme Corporation",
                "Main Street 1",
                "10115",
                "Berlin",
                "Germany",
                "https://acme.example",
                "Key",
                "valid",
            ],
            ["GLOBEX", "Globex", "", "", "Springfield", "United States", "", "", "invalid-temporarily"],
            ["INITECH", "Initech", "", "", "Austin", "USA", "", "", "invalid"],
        )
    )
    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    acme = Customer.objects.get(customer_id="ACME")
    assert (acme.name, acme.zip, acme.country.code, acme.url, acme.comment) == (
        "Acme Corporation",
        "10115",
        "DE",
        "https://acme.example",
        "Key",
    )
    assert dict(Customer.objects.values_list("customer_id", "valid")) == {
        "ACME": Validity.VALID,
        "GLOBEX": Validity.INVALID_TEMPORARILY,
        "INITECH": Validity.INVALID,
    }


def test_headers_match_ignoring_case_and_spaces_and_accept_our_names_and_labels():
    data = plain_csv([[" customerid ", "NAME", "Country", " valid id"], ["A", "Alpha", "AT", "1"]])
    assert problems(import_customers(data)) == []
    data = plain_csv([["customer_id", "Customer", "country", "validity"], ["B", "Beta", "aut", "2"]])
    assert problems(import_customers(data)) == []
    assert dict(Customer.objects.values_list("customer_id", "country")) == {"A": "AT", "B": "AT"}


def test_rows_update_by_customer_id_ignoring_case_and_empty_cells_keep_values():
    make_customer("ACME", "Acme", city="Berlin", street="Old Street")
    report = import_customers(otrs_file(["acme", "Acme", "", "", "Hamburg", "", "", "", ""]))
    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    acme = Customer.objects.get()
    assert (acme.customer_id, acme.city, acme.street, acme.country.code) == ("ACME", "Hamburg", "Old Street", "DE")


def test_rows_that_change_nothing_are_unchanged_and_not_written():
    make_customer("ACME", "Acme", city="Berlin")
    before = snapshot()
    report = import_customers(otrs_file(["ACME", "Acme", "", "", "Berlin", "DE", "", "", "valid"]))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert snapshot() == before  # changed_at included


def test_a_dry_run_counts_and_writes_nothing():
    make_customer("ACME", "Acme", city="Berlin")
    before = snapshot()
    report = import_customers(
        otrs_file(["ACME", "Acme", "", "", "Bonn", "", "", "", ""], ["NEW", "New", "", "", "", "FR", "", "", ""]),
        dry_run=True,
    )
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert snapshot() == before


BROKEN = {
    "unknown country": (
        ["X1", "X One", "", "", "", "Narnia", "", "", ""],
        "Line 3, CustomerCompanyCountry: Unknown country 'Narnia'",
    ),
    "bad URL": (["X1", "X One", "", "", "", "DE", "javascript:alert(1)", "", ""], "Line 3, CustomerCompanyURL:"),
    "bad CustomerID": (
        ["X 1", "X One", "", "", "", "DE", "", "", ""],
        "Line 3, CustomerID: A CustomerID may contain only",
    ),
    "too long": (
        ["X1", "X" * 201, "", "", "", "DE", "", "", ""],
        "Line 3, CustomerCompanyName: Ensure this value has at most 200",
    ),
    "comment too long": (["X1", "X", "", "", "", "DE", "", "c" * 251, ""], "Line 3, CustomerCompanyComment: Ensure"),
    "bad validity": (["X1", "X", "", "", "", "DE", "", "", "maybe"], "Line 3, Valid:"),
    "no name for a new customer": (["X1", "", "", "", "", "DE", "", "", ""], "Line 3, CustomerCompanyName: required"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_bad_row_rejects_the_whole_file_with_its_line_and_column(case):
    row, message = BROKEN[case]
    make_customer("KEEP", "Keep")
    before = snapshot()
    report = import_customers(otrs_file(["GOOD", "Good Row", "", "", "", "DE", "", "", ""], row))
    assert report.problems, case
    assert any(text.startswith(message) for text in problems(report)), problems(report)
    assert snapshot() == before


def test_every_problem_is_reported_not_just_the_first():
    report = import_customers(
        otrs_file(
            ["A", "A", "", "", "", "Narnia", "", "", ""],
            ["B", "B", "", "", "", "DE", "ftp://x", "", ""],
            ["C", "C", "", "", "", "DE", "", "", "nope"],
        )
    )
    assert [problem.line for problem in report.problems] == [2, 3, 4]


def test_duplicate_customer_ids_in_different_case_name_both_lines():
    report = import_customers(
        otrs_file(["ACME", "Acme", "", "", "", "DE", "", "", ""], ["Acme", "Acme Two", "", "", "", "DE", "", "", ""])
    )
    assert problems(report) == [
        "Line 3, CustomerID: Acme appears again (first on line 2); each record may appear once."
    ]
    assert not Customer.objects.exists()


def test_a_name_taken_by_another_customer_is_refused():
    make_customer("ACME", "Acme")
    report = import_customers(otrs_file(["OTHER", "ACME", "", "", "", "DE", "", "", ""]))
    assert problems(report) == ["Line 2, CustomerCompanyName: another customer is already called ACME."]


def test_line_numbers_are_those_of_the_file():
    header = ";".join(OTRS_HEADER)
    data = (
        f"\ufeff{header}\r\n"
        'ACME;Acme;"Main Street 1\r\nBuilding B";10115;Berlin;DE;;;valid\r\n'
        "\r\n"
        "BAD;Bad;;;;Narnia;;;valid\r\n"
    ).encode()
    assert [(problem.line, problem.column) for problem in import_customers(data).problems] == [
        (5, "CustomerCompanyCountry")
    ]


def test_a_missing_key_column_is_reported():
    report = import_customers(plain_csv([["CustomerCompanyCity", "CustomerCompanyCountry"], ["Berlin", "DE"]]))
    assert problems(report) and problems(report)[0].startswith("Line 1")


def test_a_header_without_rows_is_reported():
    assert problems(import_customers(otrs_file())) == ["The file has a header but no rows to import."]


def test_unknown_columns_are_a_warning_and_passwords_are_never_read():
    report = import_customers(plain_csv([["CustomerID", "name", "country", "Shoe size"], ["A", "Alpha", "DE", "44"]]))
    assert problems(report) == []
    assert report.warnings == ["Columns not imported: Shoe size."]


def test_a_header_of_many_unknown_columns_names_the_first_ten_and_counts_the_rest():
    unknown = [f"Extra {number}" for number in range(1000)]
    report = import_customers(plain_csv([["CustomerID", "name", "country", *unknown], ["A", "Alpha", "DE"]]))
    assert problems(report) == []
    named = ", ".join(f"Extra {number}" for number in range(10))
    assert report.warnings == [f"Columns not imported: {named} and 990 more."]


READ_ONLY = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


@override_settings(OTRS_CUSTOMER_ADMIN=READ_ONLY)
def test_rows_touching_a_read_only_customer_are_rejected():
    with get_data_source("directory").writing():
        make_customer("DIR", "Directory", data_source="directory")
    report = import_customers(
        otrs_file(["NEW", "New", "", "", "", "DE", "", "", ""], ["dir", "Directory", "", "", "Köln", "", "", "", ""])
    )
    assert problems(report) == [
        "Line 3, CustomerID: DIR belongs to the read-only data source Head office LDAP; only its sync may change it."
    ]
    assert Customer.objects.count() == 1
    # An unchanged row of a read-only customer is harmless.
    assert import_customers(otrs_file(["DIR", "Directory", "", "", "", "", "", "", ""])).ok


ZAMMAD_ORGANIZATIONS = plain_csv(
    [
        ["id", "name", "shared", "domain", "domain_assignment", "active", "note", "vip"],
        ["", "Acme & Co", "true", "acme.example", "false", "true", "Key account", "false"],
        ["", "Zammad Foundation", "true", "", "false", "false", "", "false"],
    ]
)


def test_zammad_organizations_need_a_country():
    report = import_customers(ZAMMAD_ORGANIZATIONS)
    assert len(report.problems) == 2
    assert "choose a default country" in problems(report)[0]
    assert not Customer.objects.exists()


def test_zammad_organizations_with_a_default_country():
    report = import_customers(ZAMMAD_ORGANIZATIONS, default_country="AT")
    assert problems(report) == [] and report.created == 2
    acme = Customer.objects.get(name="Acme & Co")
    assert acme.customer_id.startswith("Acme-Co-") and len(acme.customer_id) <= 150
    assert (acme.country.code, acme.url, acme.comment, acme.valid) == ("AT", "https://acme.example", "Key account", 1)
    assert Customer.objects.get(name="Zammad Foundation").valid == Validity.INVALID
    # The same file again matches by name: nothing changes, no second CustomerID.
    again = import_customers(ZAMMAD_ORGANIZATIONS, default_country="AT")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@override_settings(OTRS_CUSTOMER_ADMIN={"DEFAULT_COUNTRY": "CH"})
def test_the_default_country_setting_is_used_by_the_resource():
    from otrs_customer_admin.importexport.resources import CustomerResource
    from tests.importing import dataset

    result = CustomerResource(default_country="CH").import_data(dataset(ZAMMAD_ORGANIZATIONS), dry_run=False)
    assert not result.has_errors()
    assert set(Customer.objects.values_list("country", flat=True)) == {"CH"}


def test_derived_customer_ids_are_stable_and_distinct():
    from otrs_customer_admin.importexport.importers import derived_customer_id

    assert derived_customer_id("Acme") == "Acme"
    assert derived_customer_id("Acme & Co") == derived_customer_id("Acme & Co")
    assert derived_customer_id("Acme & Co") != derived_customer_id("Acme + Co")
    assert len(derived_customer_id("x" * 300)) <= 150


def test_the_default_country_may_be_a_name_and_a_wrong_one_is_a_problem():
    assert import_customers(ZAMMAD_ORGANIZATIONS, default_country="Austria").ok
    assert set(Customer.objects.values_list("country", flat=True)) == {"AT"}
    report = import_customers(ZAMMAD_ORGANIZATIONS, default_country="Narnia")
    assert problems(report)[0].startswith("Default country: Unknown country 'Narnia'")
