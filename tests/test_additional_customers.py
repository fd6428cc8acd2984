"""Customer users who work for several customers: ``CustomerUser.additional_customers``
(OTRS's "Customer User <-> Customers"), in the model, the admin, the widgets, the import
and export, and the LDAP sync."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.importexport.resources import CustomerUserResource
from otrs_customer_admin.models import Customer, CustomerUser, Ticket, Validity
from tests import harness
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket
from tests.importing import import_customer_users, plain_csv, problems
from tests.markup import attribute, document, element, elements, text
from tests.test_admin_customer_users import form_data
from tests.test_admin_tickets import TICKET_ADD, ticket_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def firms():
    """Acme (Jane's own customer), Globex (where Jane also works) and Initech (a stranger)."""
    acme = make_customer("ACME", "Acme Corporation")
    globex = make_customer("GLOBEX", "Globex Corporation")
    initech = make_customer("INITECH", "Initech")
    jane = make_customer_user(acme, "jdoe")
    jane.additional_customers.add(globex)
    return acme, globex, initech, jane


def detail(client, customer):
    return client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[customer.pk]))


def people_rows(page):
    widget = element(document(page), "section", id="widget-customer-users")
    return {attribute(row, "data-login"): row for row in elements(widget, "tr", **{"data-login": True})}


# --- the model -----------------------------------------------------------------------------


def test_working_for_lists_a_customers_own_and_additional_people_once(firms):
    acme, globex, initech, jane = firms
    hank = make_customer_user(globex, "hank", "Hank", "Scorpio")
    hank.additional_customers.add(acme)

    assert set(CustomerUser.objects.working_for(acme)) == {jane, hank}
    assert set(CustomerUser.objects.working_for(globex)) == {jane, hank}
    assert list(CustomerUser.objects.working_for(initech)) == []
    assert CustomerUser.objects.working_for(acme).count() == 2  # no row twice
    assert jane.works_for(acme.pk) and jane.works_for(globex.pk) and not jane.works_for(initech.pk)


def test_a_ticket_may_name_a_person_of_either_kind_and_no_stranger(firms):
    acme, globex, initech, jane = firms
    make_ticket(acme, customer_user=jane)
    make_ticket(globex, customer_user=jane)

    with pytest.raises(ValidationError, match="another customer"):
        make_ticket(initech, customer_user=jane)
    stranger = build_ticket(initech, "t", customer_user=jane)
    with pytest.raises(ValidationError, match="another customer"):
        stranger.full_clean()
    with pytest.raises(ValidationError, match="another customer"):
        Ticket.objects.bulk_create([stranger])
    with pytest.raises(ValidationError, match="another customer"):
        Ticket.objects.filter(customer=globex).update(customer=initech)
    assert Ticket.objects.filter(customer=initech).count() == 0
    assert Ticket.objects.filter(customer=globex).count() == 1  # the refused update left it


def test_the_ticket_form_takes_an_additional_customers_person_and_refuses_a_stranger(admin_client, firms):
    _acme, globex, initech, jane = firms
    assert admin_client.post(TICKET_ADD, ticket_form(globex, jane)).status_code == 302
    response = admin_client.post(TICKET_ADD, ticket_form(initech, jane))
    assert response.status_code == 200
    assert "another customer" in " ".join(response.context["adminform"].form.errors["customer_user"])
    assert list(Ticket.objects.values_list("customer__customer_id", flat=True)) == ["GLOBEX"]


# --- the detail view, the card and the lists ----------------------------------------------


def test_a_person_of_two_customers_is_in_both_customer_users_widgets(admin_client, firms):
    acme, globex, _initech, jane = firms

    own = people_rows(detail(admin_client, acme).content.decode())["jdoe"]
    also = people_rows(detail(admin_client, globex).content.decode())["jdoe"]

    assert text(element(own, "span", **{"data-link": "primary"})) == "primary"
    assert text(element(also, "span", **{"data-link": "additional"})) == "also works for"
    assert "(own customer: ACME)" in text(also)
    # Create ticket opens the form for the customer of the page, with the person.
    create = attribute(element(also, "a", **{"class": "otrs-create-ticket"}), "href")
    assert create == f"{TICKET_ADD}?customer={globex.pk}&customer_user={jane.pk}"


def test_the_customer_users_widget_costs_the_same_queries_for_many_linked_people(
    admin_client, firms, django_assert_num_queries
):
    acme, globex, _initech, _jane = firms
    detail(admin_client, globex)  # warm caches
    with CaptureQueriesContext(connection) as few:
        detail(admin_client, globex)
    baseline = len(few.captured_queries)
    for number in range(12):
        person = make_customer_user(acme, f"p{number}", "P", f"Person {number}")
        person.additional_customers.add(globex)
    with django_assert_num_queries(baseline):
        page = detail(admin_client, globex).content.decode()
    assert len(people_rows(page)) == 10  # cut at WIDGET_ROWS, linking to all 13
    more = element(element(document(page), "section", id="widget-customer-users"), "p", **{"class": "otrs-widget-more"})
    assert "13" in text(more)


def test_the_customer_user_list_filtered_by_customer_shows_both_kinds(admin_client, firms):
    _acme, globex, _initech, _jane = firms
    make_customer_user(globex, "hank", "Hank", "Scorpio")
    page = admin_client.get(
        reverse("admin:otrs_customer_admin_customeruser_changelist"), {"customer__id__exact": globex.pk}
    )
    logins = [row.login for row in page.context["cl"].result_list]
    assert sorted(logins) == ["hank", "jdoe"]


def test_the_customer_card_counts_own_and_additional_people(admin_client, firms):
    acme, globex, _initech, _jane = firms
    make_customer_user(globex, "hank", "Hank", "Scorpio")
    card = admin_client.get(reverse("admin:otrs_customer_admin_customer_card", args=[globex.pk])).content.decode()
    assert text(element(document(card), "dd", **{"data-count": "customer-users"})) == "1 own, 1 also works here"
    card = admin_client.get(reverse("admin:otrs_customer_admin_customer_card", args=[acme.pk])).content.decode()
    assert text(element(document(card), "dd", **{"data-count": "customer-users"})) == "1 own"


# --- editing the links ------------------------------------------------------------------------


def user_form(user, **fields):
    """The customer-user form of ``user`` as it stands, with ``fields`` changed."""
    person = {"first_name": user.first_name, "last_name": user.last_name, "login": user.login, "email": user.email}
    return form_data(user.customer, valid=str(user.valid), **person, **fields)


def test_the_customer_user_form_edits_the_additional_customers(admin_client, firms):
    acme, globex, initech, jane = firms
    url = reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk])
    response = admin_client.post(url, user_form(jane, additional_customers=[str(initech.pk)]))
    assert response.status_code == 302
    assert list(jane.additional_customers.all()) == [initech]

    refused = admin_client.post(url, user_form(jane, additional_customers=[str(acme.pk), str(globex.pk)]))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors["additional_customers"]
    assert errors == ["Acme Corporation (ACME) is this person's own customer; list only the others here."]


def test_the_additional_customers_picker_offers_valid_customers_only(admin_client, firms):
    _acme, _globex, initech, _jane = firms
    Customer.objects.filter(pk=initech.pk).update(valid=Validity.INVALID)
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "otrs_customer_admin", "model_name": "customeruser", "field_name": "additional_customers"},
    )
    names = [result["text"] for result in response.json()["results"]]
    assert names == ["Acme Corporation (ACME)", "Globex Corporation (GLOBEX)"]


def customer_form(customer, links=(), initial=0):
    data = {
        "data_source": "database",
        "name": customer.name,
        "customer_id": customer.customer_id,
        "valid": "1",
        "street": "",
        "zip": "",
        "city": "",
        "country": "DE",
        "url": "",
        "comment": "",
        "customer_users-TOTAL_FORMS": "0",
        "customer_users-INITIAL_FORMS": "0",
        "additional_customer_users-TOTAL_FORMS": str(len(links)),
        "additional_customer_users-INITIAL_FORMS": str(initial),
    }
    for index, person in enumerate(links):
        data[f"additional_customer_users-{index}-customeruser"] = str(person.pk)
        data[f"additional_customer_users-{index}-customer"] = str(customer.pk)
    return data


def test_people_are_linked_from_the_customer_side(admin_client, firms):
    acme, _globex, initech, jane = firms
    url = reverse("admin:otrs_customer_admin_customer_change", args=[initech.pk])
    page = admin_client.get(url).content.decode()
    assert "customer users who also work here" in page.lower()
    # The inline's column is headed as everywhere else, not by the through table's field name.
    headers = [text(cell) for cell in elements(document(page), "th") if "Customeruser" in text(cell)]
    assert headers == []
    labels = admin_client.get(url).context["inline_admin_formsets"][1].fields()
    assert [str(field["label"]) for field in labels if field["name"] == "customeruser"] == ["Customer user"]

    assert admin_client.post(url, customer_form(initech, [jane])).status_code == 302
    assert set(jane.additional_customers.all()) == {firms[1], initech}

    own = admin_client.post(
        reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]), customer_form(acme, [jane])
    )
    assert own.status_code == 200
    errors = own.context["inline_admin_formsets"][1].formset.errors
    assert errors == [{"__all__": ["Jane Doe (jdoe) works for this customer already."]}]


# --- import and export -------------------------------------------------------------------------


def header(*names):
    return ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", *names]


def test_an_otrs_file_with_user_customer_ids_links_the_additional_customers(firms):
    acme, globex, initech, _jane = firms
    rows = [
        header("UserCustomerIDs"),
        ["jdoe", "Jane", "Doe", "jdoe@acme.example", "ACME", "ACME;GLOBEX, INITECH"],
        ["hank", "Hank", "Scorpio", "hank@globex.example", "GLOBEX", "initech | ACME"],
    ]
    report = import_customer_users(plain_csv(rows), user=None)
    assert problems(report) == []
    jane, hank = CustomerUser.objects.get(login="jdoe"), CustomerUser.objects.get(login="hank")
    # The person's own customer is not one of their additional ones, even where the file lists it.
    assert set(jane.additional_customers.all()) == {globex, initech}
    assert set(hank.additional_customers.all()) == {acme, initech}
    assert (report.created, report.updated) == (1, 1)


def test_a_zammad_users_file_with_organizations_links_them_by_name(firms):
    _acme, globex, _initech, _jane = firms
    make_customer("ACME-INC", "Acme, Inc.")
    rows = [
        ["login", "firstname", "lastname", "email", "organization", "organizations"],
        ["nick", "Nick", "Nobody", "nick@zammad.example", "Globex Corporation", "Acme, Inc.~~~Acme Corporation"],
    ]
    report = import_customer_users(plain_csv(rows))
    assert problems(report) == []
    nick = CustomerUser.objects.get(login="nick")
    assert nick.customer == globex
    assert set(nick.additional_customers.values_list("customer_id", flat=True)) == {"ACME-INC", "ACME"}


def test_an_unknown_additional_customer_is_a_problem_of_its_line_and_nothing_is_written(firms):
    rows = [
        header("UserCustomerIDs"),
        ["jdoe", "Jane", "Doe", "jdoe@acme.example", "ACME", "GLOBEX"],
        ["hank", "Hank", "Scorpio", "hank@globex.example", "GLOBEX", "NOPE; ACME; GONE"],
    ]
    report = import_customer_users(plain_csv(rows))
    assert problems(report) == [
        "Line 3, UserCustomerIDs: no customers with the CustomerIDs or names NOPE, GONE.",
    ]
    assert not CustomerUser.objects.filter(login="hank").exists()


def test_the_export_and_its_reimport_are_a_round_trip(firms):
    _acme, globex, initech, jane = firms
    jane.additional_customers.add(initech)
    exported = CustomerUserResource().export()
    row = dict(zip(exported.headers, exported[0], strict=True))
    assert row["additional_customers"] == "GLOBEX; INITECH"

    report = import_customer_users(exported.export("csv").encode())
    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert set(jane.additional_customers.all()) == {globex, initech}


def test_a_changed_list_of_additional_customers_replaces_the_old_one_and_is_logged(firms, admin_user):
    from django.contrib.admin.models import LogEntry

    _acme, _globex, initech, jane = firms
    rows = [header("UserCustomerIDs"), ["jdoe", "Jane", "Doe", "jdoe@acme.example", "ACME", "INITECH"]]
    report = import_customer_users(plain_csv(rows), user=admin_user)
    assert (report.updated, problems(report)) == (1, [])
    assert list(jane.additional_customers.all()) == [initech]
    assert "Additional customers" in LogEntry.objects.get(object_id=str(jane.pk)).get_change_message()


# --- users without a customer (Zammad) -------------------------------------------------------

ZAMMAD_USERS = plain_csv(
    [
        ["login", "firstname", "lastname", "email"],
        ["nicole.braun@zammad.org", "Nicole", "Braun", "nicole.braun@zammad.org"],
    ]
)


def test_a_row_without_a_customer_is_refused_with_the_way_through(firms):
    report = import_customer_users(ZAMMAD_USERS)
    assert problems(report) == [
        "Line 2, Customer: a new customer user needs a customer: add a customer column (UserCustomerID, customer "
        "or organization), or choose a default customer (--default-customer CUSTOMER_ID, or the import form's "
        "default customer)."
    ]


def test_the_command_takes_a_default_customer(firms, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(ZAMMAD_USERS)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_customer_users", str(path), verbosity=0)
    call_command("import_customer_users", str(path), "--default-customer", "globex", verbosity=0)
    assert CustomerUser.objects.get(login="nicole.braun@zammad.org").customer.customer_id == "GLOBEX"
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_customer_users", str(path), "--default-customer", "NOPE", stderr=errors)
    assert "Default customer: no customer with the CustomerID NOPE." in errors.getvalue()


def test_the_admin_import_form_takes_a_default_customer(admin_client, firms):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:otrs_customer_admin_customeruser_import")
    assert "default_customer" in admin_client.get(url).context["form"].fields
    upload = SimpleUploadedFile("users.csv", ZAMMAD_USERS, content_type="text/csv")
    preview = admin_client.post(url, {"format": "0", "import_file": upload, "default_customer": "INITECH"})
    # The confirm form's token carries the default customer of the preview.
    data = preview.context["confirm_form"].initial
    response = admin_client.post(reverse("admin:otrs_customer_admin_customeruser_process_import"), data)
    assert response.status_code == 302
    assert CustomerUser.objects.get(login="nicole.braun@zammad.org").customer.customer_id == "INITECH"


# --- the LDAP sync -------------------------------------------------------------------------------


@pytest.mark.ldap
def test_a_multi_valued_customer_attribute_gives_own_and_additional_customers(make_directory):
    directory = make_directory()
    people = f"ou=people,{harness.LDAP_SUFFIX}"
    database = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
    with override_settings(
        OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": database, "directory": directory.source()}}
    ):
        directory.modify(f"uid=wcoyote,{people}", o=["ACME", "Globex", "mueller-gmbh"])
        run_sync(get_data_source("directory"))
        wile = CustomerUser.objects.get(login="wcoyote")
        assert wile.customer.customer_id == "ACME"
        assert set(wile.additional_customers.values_list("customer_id", flat=True)) == {"Globex", "mueller-gmbh"}

        directory.modify(f"uid=wcoyote,{people}", o=["ACME", "Globex"])
        report = run_sync(get_data_source("directory"))
        assert report.counts["customer_users"]["updated"] == 1, report.details
        assert set(wile.additional_customers.values_list("customer_id", flat=True)) == {"Globex"}

        unchanged = run_sync(get_data_source("directory"))
        assert unchanged.counts["customer_users"]["updated"] == 0
        skipped_before = unchanged.counts["customer_users"]["skipped"]  # the directory has a broken entry

        directory.modify(f"uid=wcoyote,{people}", o=["ACME", "Nowhere"])
        skipped = run_sync(get_data_source("directory"))
        assert skipped.counts["customer_users"]["skipped"] == skipped_before + 1
        assert "its additional customer Nowhere is not a known CustomerID" in str(skipped.details)
        assert set(wile.additional_customers.values_list("customer_id", flat=True)) == {"Globex"}


@pytest.mark.ldap
def test_a_person_without_customer_is_skipped_naming_default_customer_then_taken_with_it(make_directory):
    directory = make_directory()
    directory.add(harness.person(f"uid=loner,ou=people,{harness.LDAP_SUFFIX}", "loner", "Loner", "loner@example.com"))
    database = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
    with override_settings(
        OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": database, "directory": directory.source()}}
    ):
        report = run_sync(get_data_source("directory"))
    reasons = [why for _model, dn, why in report.details["skipped"] if dn.startswith("uid=loner,")]
    assert reasons == [
        "it names no customer and is not under a customer entry; the source's DEFAULT_CUSTOMER option would give it one"
    ]
    with override_settings(
        OTRS_CUSTOMER_ADMIN={
            "DATA_SOURCES": {"database": database, "directory": directory.source(DEFAULT_CUSTOMER="Globex")}
        }
    ):
        run_sync(get_data_source("directory"))
    assert CustomerUser.objects.get(login="loner").customer.customer_id == "Globex"
