"""Importing customer users: OTRS/Znuny and Zammad files, links to customers, email rules."""

import pytest

from otrs_customer_admin.models import Customer, CustomerUser, Validity
from tests.factories import make_customer, make_customer_user
from tests.importing import excel_csv, import_customer_users, plain_csv, problems

pytestmark = pytest.mark.django_db

OTRS_HEADER = [
    "UserLogin",
    "UserTitle",
    "UserFirstname",
    "UserLastname",
    "UserEmail",
    "UserCustomerID",
    "UserPhone",
    "UserFax",
    "UserMobile",
    "UserStreet",
    "UserZip",
    "UserCity",
    "UserCountry",
    "UserComment",
    "UserPassword",
    "Valid",
]


def user_row(login, email, customer="ACME", password="", valid="valid", **extra):
    row = {name: "" for name in OTRS_HEADER}
    row.update(
        UserLogin=login,
        UserFirstname="Jane",
        UserLastname=login.title(),
        UserEmail=email,
        UserCustomerID=customer,
        UserPassword=password,
        Valid=valid,
        **extra,
    )
    return [row[name] for name in OTRS_HEADER]


def otrs_file(*rows):
    return excel_csv([OTRS_HEADER, *rows])


@pytest.fixture(autouse=True)
def customers():
    make_customer("ACME", "Acme")
    make_customer("GLOBEX", "Globex Corporation", country="US")


def test_an_otrs_export_creates_customer_users_linked_by_customer_id_ignoring_case():
    report = import_customer_users(
        otrs_file(
            user_row(
                "jdoe", "jane@acme.example", "acme", password="secret", UserPhone="+49 30 1234", UserCountry="Germany"
            ),
            user_row("hsimpson", "homer@globex.example", "Globex", valid="invalid"),
        )
    )
    assert problems(report) == []
    assert report.created == 2
    jane = CustomerUser.objects.get(login="jdoe")
    assert (jane.customer.customer_id, jane.phone, jane.country.code) == ("ACME", "+49 30 1234", "DE")
    assert CustomerUser.objects.get(login="hsimpson").valid == Validity.INVALID
    # The password column is read past and never stored anywhere.
    assert "secret" not in str(list(CustomerUser.objects.values()))


def test_an_unknown_customer_is_a_problem_on_its_line():
    report = import_customer_users(otrs_file(user_row("jdoe", "j@acme.example", "NOPE")))
    assert problems(report) == ["Line 2, UserCustomerID: no customer with the CustomerID NOPE."]
    assert not CustomerUser.objects.exists()


def test_emails_are_unique_ignoring_case_among_valid_users():
    make_customer_user(Customer.objects.get(customer_id="ACME"), "old", "O", "O", email="Jane@Acme.example")
    report = import_customer_users(
        otrs_file(
            user_row("jdoe", "jane@acme.example"),
            user_row("twin", "twin@acme.example"),
            user_row("twin2", "TWIN@acme.example"),
            user_row("archived", "JANE@ACME.EXAMPLE", valid="invalid"),
        )
    )
    assert problems(report) == [
        "Line 2, UserEmail: another valid customer user has the address jane@acme.example.",
        "Line 4, UserEmail: TWIN@acme.example appears again (first on line 3).",
    ]


def test_malformed_emails_and_missing_required_fields():
    row = user_row("jdoe", "not-an-address")
    row[OTRS_HEADER.index("UserLastname")] = ""
    report = import_customer_users(otrs_file(row))
    assert problems(report) == [
        "Line 2, UserEmail: Enter a valid email address.",
        "Line 2, UserLastname: required for a new record.",
    ]


def test_logins_match_ignoring_case_and_empty_cells_keep_values():
    acme = Customer.objects.get(customer_id="ACME")
    make_customer_user(acme, "JDoe", "Jane", "Doe", email="j@acme.example", phone="1")
    row = user_row("jdoe", "", "", UserCity="Berlin")
    row[OTRS_HEADER.index("UserFirstname")] = ""
    row[OTRS_HEADER.index("UserLastname")] = ""
    report = import_customer_users(otrs_file(row))
    assert problems(report) == []
    assert (report.created, report.updated) == (0, 1)
    jane = CustomerUser.objects.get()
    assert (jane.login, jane.first_name, jane.email, jane.phone, jane.city) == (
        "JDoe",
        "Jane",
        "j@acme.example",
        "1",
        "Berlin",
    )


def test_zammad_users_link_by_organization_name():
    data = plain_csv(
        [
            ["login", "firstname", "lastname", "email", "organization", "active", "password"],
            ["jdoe", "Jane", "Doe", "jane@globex.example", "globex corporation", "true", "x"],
            ["nobody", "No", "Body", "no@where.example", "Nowhere Inc", "false", ""],
        ]
    )
    report = import_customer_users(data)
    assert problems(report) == ["Line 3, organization: no customer called Nowhere Inc."]
    assert not CustomerUser.objects.exists()
    report = import_customer_users(data.replace(b"Nowhere Inc", b"Globex Corporation"))
    assert problems(report) == [] and report.created == 2
    assert set(CustomerUser.objects.values_list("customer__customer_id", flat=True)) == {"GLOBEX"}
    assert CustomerUser.objects.get(login="nobody").valid == Validity.INVALID


def test_duplicate_logins_in_the_file():
    report = import_customer_users(otrs_file(user_row("jdoe", "a@acme.example"), user_row("JDOE", "b@acme.example")))
    assert problems(report) == ["Line 3, UserLogin: JDOE appears again (first on line 2); each record may appear once."]


def existing_user(login, email, valid=Validity.VALID):
    acme = Customer.objects.get(customer_id="ACME")
    return make_customer_user(acme, login, "F", "L", email=email, valid=valid)


def test_making_a_user_valid_checks_its_address_even_without_an_email_column():
    existing_user("inuse", "jane@acme.example")
    existing_user("archived", "JANE@acme.example", valid=Validity.INVALID)
    report = import_customer_users(plain_csv([["login", "valid"], ["archived", "valid"]]))
    assert problems(report) == ["Line 2, Email: another valid customer user has the address JANE@acme.example."]
    assert CustomerUser.objects.get(login="archived").valid == Validity.INVALID


def test_a_row_without_login_and_with_a_taken_address_reports_both():
    existing_user("inuse", "jane@acme.example")
    row = user_row("", "jane@acme.example")
    row[OTRS_HEADER.index("UserLastname")] = "Doe"
    assert problems(import_customer_users(otrs_file(row))) == [
        "Line 2, UserEmail: another valid customer user has the address jane@acme.example.",
        "Line 2, UserLogin: required for a new record.",
    ]


def test_a_row_that_keeps_its_address_is_not_blamed_for_another_row_taking_it():
    existing_user("inuse", "jane@acme.example")
    report = import_customer_users(
        plain_csv(
            [
                ["login", "first_name", "last_name", "email", "customer", "phone"],
                ["new", "New", "User", "jane@acme.example", "ACME", ""],
                ["inuse", "", "", "jane@acme.example", "", "123"],
            ]
        )
    )
    assert problems(report) == ["Line 2, email: another valid customer user has the address jane@acme.example."]
