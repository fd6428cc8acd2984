"""Several email addresses per person: among valid people an address is used once, ignoring case,
as a primary or an additional address, on every write path (the model, the write kernel, the
admin form, the import, the directory sync); search finds a person by any of them; cards, widgets
and exports show them."""

import csv

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.admin.importexport import preview_changes
from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.exceptions import AddressTaken, RowsMoved
from otrs_customer_admin.importexport.formats import format_for
from otrs_customer_admin.importexport.importers import CustomerUserImport
from otrs_customer_admin.models import CustomerUser, CustomerUserEmail, Validity
from otrs_customer_admin.writes import load_addresses, replace_addresses, taken_addresses
from tests.factories import make_customer, make_customer_user
from tests.importing import import_customer_users, plain_csv, problems
from tests.markup import document, element, elements
from tests.people_source import PeopleFileSource
from tests.test_admin_customer_users import SOURCES, form_data
from tests.test_admin_customer_users import directory_user as directory_user  # a fixture
from tests.test_export import export, records

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(acme):
    return make_customer_user(acme, "jane", email="jane@acme.example")


@pytest.fixture
def max_(acme):
    return make_customer_user(acme, "max", "Max", "Muster", email="max@acme.example")


def addresses_of(person):
    return sorted(person.additional_emails.values_list("email", flat=True))


# --- the model ----------------------------------------------------------------------------------


def test_an_additional_address_of_another_valid_person_is_refused_ignoring_case(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    address = CustomerUserEmail(customer_user=max_, email="TEAM@ÄRZTE.example")
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert refused.value.message_dict["email"] == ["another valid customer user has the address TEAM@ÄRZTE.example."]
    with pytest.raises(ValidationError):
        address.save()
    assert addresses_of(max_) == []


def test_another_persons_primary_address_is_refused_as_an_additional_one(jane, max_):
    address = CustomerUserEmail(customer_user=max_, email="JANE@acme.example")
    with pytest.raises(ValidationError, match="another valid customer user has the address"):
        address.full_clean()
    with pytest.raises(ValidationError):
        address.save()


def test_an_additional_address_may_not_repeat_the_persons_primary_one(jane):
    address = CustomerUserEmail(customer_user=jane, email="Jane@Acme.example")
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert "is this person's primary address" in refused.value.message_dict["email"][0]


def test_a_primary_address_that_is_another_valid_persons_additional_one_is_refused(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    max_.email = "TEAM@ÄRZTE.example"
    with pytest.raises(ValidationError) as refused:
        max_.full_clean()
    assert refused.value.message_dict["email"] == ["another valid customer user has the address TEAM@ÄRZTE.example."]
    with pytest.raises(ValidationError):
        max_.save()
    assert CustomerUser.objects.get(pk=max_.pk).email == "max@acme.example"


def test_invalid_people_do_not_hold_their_addresses(jane, max_):
    replace_addresses({jane.pk: ["shared@acme.example"]})
    jane.valid = Validity.INVALID
    jane.save()
    max_.email = "Shared@acme.example"
    max_.full_clean()
    max_.save()
    # Making Jane valid again is refused while Max has her old address.
    jane.valid = Validity.VALID
    with pytest.raises(ValidationError, match=r"shared@acme\.example"):
        jane.save()
    assert CustomerUser.objects.get(pk=jane.pk).valid == Validity.INVALID


# --- the write kernel ---------------------------------------------------------------------------


def test_replace_addresses_sets_them_exactly_and_keeps_the_added_time_of_those_kept(jane):
    replace_addresses({jane.pk: ["a@acme.example", "b@acme.example"]})
    kept = CustomerUserEmail.objects.get(email="a@acme.example")
    replace_addresses({jane.pk: ["A@acme.example", "c@acme.example"]}, read=load_addresses([jane.pk]))
    assert addresses_of(jane) == ["A@acme.example", "c@acme.example"]
    respelled = CustomerUserEmail.objects.get(email="A@acme.example")
    assert (respelled.pk, respelled.added_at) == (kept.pk, kept.added_at)


def test_replace_addresses_refuses_people_whose_addresses_moved_since_they_were_read(jane):
    read = load_addresses([jane.pk])
    replace_addresses({jane.pk: ["a@acme.example"]})
    with pytest.raises(RowsMoved):
        replace_addresses({jane.pk: ["b@acme.example"]}, read=read)
    assert addresses_of(jane) == ["a@acme.example"]


def test_replace_addresses_refuses_an_address_another_valid_person_has_folded(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    with pytest.raises(AddressTaken) as taken:
        replace_addresses({max_.pk: ["TEAM@ÄRZTE.example"]})
    assert [(c.person, c.address, c.holder) for c in taken.value.conflicts] == [
        (max_.pk, "TEAM@ÄRZTE.example", jane.pk)
    ]
    assert addresses_of(max_) == []
    with pytest.raises(AddressTaken):
        replace_addresses({max_.pk: ["JANE@acme.example"]})


def test_taken_addresses_finds_the_owners_across_both_tables_and_among_the_people_checked(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    taken = taken_addresses(
        {
            max_.pk: ("max@acme.example", ("TEAM@ÄRZTE.example", "new@acme.example")),
            "line 3": ("JANE@acme.example", ("NEW@acme.example",)),
        }
    )
    assert {(c.person, c.address, c.holder) for c in taken} == {
        (max_.pk, "TEAM@ÄRZTE.example", jane.pk),
        ("line 3", "NEW@acme.example", max_.pk),
        ("line 3", "JANE@acme.example", jane.pk),
    }


# --- search -------------------------------------------------------------------------------------


def changelist_logins(client, query):
    response = client.get(reverse("admin:otrs_customer_admin_customeruser_changelist"), {"q": query})
    assert response.status_code == 200
    return [row.login for row in response.context["cl"].result_list]


def test_the_customer_user_list_finds_a_person_by_an_additional_address_once(admin_client, jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example", "jane.doe@ärzte.example"]})
    assert changelist_logins(admin_client, "TEAM@ÄRZTE.example") == ["jane"]
    # Two of her addresses match: she is listed once.
    assert changelist_logins(admin_client, "ärzte") == ["jane"]
    assert changelist_logins(admin_client, "*@ärzte.example AND NOT max") == ["jane"]
    assert changelist_logins(admin_client, "nobody@ärzte.example") == []


def test_the_customer_user_picker_finds_a_person_by_an_additional_address(admin_client, jane, max_):
    replace_addresses({max_.pk: ["mm@privat.example"]})
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "mm@privat", "app_label": "otrs_customer_admin", "model_name": "ticket"}
        | {"field_name": "customer_user"},
    )
    assert [result["text"] for result in response.json()["results"]] == [str(max_)]


def test_searching_by_address_costs_no_query_more_with_more_addresses(admin_client, acme, jane):
    url = reverse("admin:otrs_customer_admin_customeruser_changelist")

    def count():
        admin_client.get(url, {"q": "*@ärzte*"})
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(url, {"q": "*@ärzte*"})
        return len(queries)

    before = count()
    people = [make_customer_user(acme, f"p{n}", email=f"p{n}@acme.example") for n in range(20)]
    replace_addresses({person.pk: [f"p{n}@ärzte.example", f"x{n}@ärzte.example"] for n, person in enumerate(people)})
    assert count() == before


# --- import and export --------------------------------------------------------------------------

HEADER = ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "additional_emails"]


def test_an_import_sets_exactly_the_listed_additional_addresses(acme, jane):
    replace_addresses({jane.pk: ["old@acme.example", "kept@acme.example"]})
    kept = CustomerUserEmail.objects.get(email="kept@acme.example")
    report = import_customer_users(
        plain_csv(
            [
                HEADER,
                ["jane", "Jane", "Doe", "jane@acme.example", "ACME", "KEPT@acme.example; new@acme.example"],
                ["newbie", "New", "Bie", "newbie@acme.example", "ACME", "nb@home.example, nb@work.example"],
            ]
        )
    )
    assert problems(report) == []
    assert (report.created, report.updated) == (1, 1)
    assert addresses_of(jane) == ["KEPT@acme.example", "new@acme.example"]
    assert CustomerUserEmail.objects.get(email="KEPT@acme.example").added_at == kept.added_at
    assert addresses_of(CustomerUser.objects.get(login="newbie")) == ["nb@home.example", "nb@work.example"]


def test_an_import_without_the_column_or_with_an_empty_cell_leaves_the_addresses(acme, jane):
    replace_addresses({jane.pk: ["kept@acme.example"]})
    report = import_customer_users(plain_csv([HEADER[:5], ["jane", "Jane", "Doe", "jane@acme.example", "ACME"]]))
    assert problems(report) == []
    report = import_customer_users(plain_csv([HEADER, ["jane", "Janet", "Doe", "jane@acme.example", "ACME", ""]]))
    assert problems(report) == [] and report.updated == 1
    assert addresses_of(jane) == ["kept@acme.example"]


def test_an_import_refuses_addresses_taken_across_primary_and_additional_folded(acme, jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    report = import_customer_users(
        plain_csv(
            [
                HEADER,
                ["max", "Max", "Muster", "max@acme.example", "ACME", "TEAM@ÄRZTE.example"],
                ["anna", "Anna", "A", "JANE@acme.example", "ACME", ""],
                ["bert", "Bert", "B", "bert@acme.example", "ACME", "bert@acme.example"],
                ["carl", "Carl", "C", "carl@acme.example", "ACME", "shared@acme.example; not an address"],
                ["dora", "Dora", "D", "dora@acme.example", "ACME", "Shared@Acme.example"],
                ["emil", "Emil", "E", "shared@ACME.example", "ACME", ""],
                ["fritz", "Fritz", "F", "team@ÄRZTE.example", "ACME", ""],
            ]
        ),
        dry_run=False,
    )
    assert problems(report) == [
        "Line 2, additional_emails: another valid customer user has the address TEAM@ÄRZTE.example.",
        "Line 3, UserEmail: another valid customer user has the address JANE@acme.example.",
        "Line 4, additional_emails: bert@acme.example is this person's primary address; list only their other "
        "addresses here.",
        "Line 5, additional_emails: not is not a valid email address.",
        "Line 7, UserEmail: shared@ACME.example appears again (first on line 6).",
        "Line 8, UserEmail: another valid customer user has the address team@ÄRZTE.example.",
    ]
    assert CustomerUser.objects.count() == 2
    assert addresses_of(max_) == []


def test_the_import_preview_and_dry_run_show_the_addresses_old_and_new(admin_client, acme, jane):
    replace_addresses({jane.pk: ["old@acme.example"]})
    report = import_customer_users(
        plain_csv([HEADER, ["jane", "Jane", "Doe", "jane@acme.example", "ACME", "new@acme.example"]]), dry_run=True
    )
    assert problems(report) == [] and report.updated == 1
    shown = preview_changes(CustomerUser, report.preview)
    assert shown == [(2, "update", "jane", [("Additional email addresses", "old@acme.example", "new@acme.example")])]
    assert addresses_of(jane) == ["old@acme.example"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_additional_emails_column_round_trips(admin_client, acme, jane, max_, file_format):
    replace_addresses({jane.pk: ["b@acme.example", "A@ärzte.example"], max_.pk: ["=cmd@acme.example"]})
    data = export(admin_client, "customeruser", file_format)
    exported = {row["login"]: row["additional_emails"] for row in records(data, file_format)}
    # Sorted ignoring case, separated as additional customers; a formula neutralised as in every column.
    assert exported == {"jane": "A@ärzte.example; b@acme.example", "max": "'=cmd@acme.example"}
    headers = format_for(file_format).create_dataset(data).headers
    assert headers.index("additional_emails") == headers.index("additional_customers") + 1
    CustomerUserEmail.objects.all().delete()
    report = CustomerUserImport().run(format_for(file_format).create_dataset(data))
    assert problems(report) == []
    assert addresses_of(jane) == ["A@ärzte.example", "b@acme.example"]
    assert addresses_of(max_) == ["=cmd@acme.example"]
    again = CustomerUserImport().run(format_for(file_format).create_dataset(data), dry_run=True)
    assert (again.updated, again.unchanged) == (0, 2)


def test_the_export_reads_the_addresses_in_its_one_query_a_batch(acme, jane, max_):
    from otrs_customer_admin.importexport.exports import chosen_columns, export_queryset

    replace_addresses({jane.pk: ["a@acme.example"], max_.pk: ["b@acme.example", "c@acme.example"]})
    columns = chosen_columns(CustomerUser, None, ["login", "additional_emails"])
    assert [column.header for column in columns] == ["login", "additional_emails"]
    assert "additional_emails" in [column.header for column in chosen_columns(CustomerUser)]
    queryset = export_queryset(CustomerUser).annotate(
        **{column.read: column.annotation for column in columns if column.annotation is not None}
    )
    with CaptureQueriesContext(connection) as queries:
        rows = {
            row["login"]: row["additional_email_addresses"]
            for row in queryset.values("login", *[c.read for c in columns[1:]])
        }
    assert len(queries) == 1
    assert sorted(rows["max"].split(";")) == ["b@acme.example", "c@acme.example"]


# --- the admin ----------------------------------------------------------------------------------


def change_form(client, person, follow=False, **fields):
    data = form_data(person.customer, **{"login": person.login, "email": person.email, **fields})
    return client.post(reverse("admin:otrs_customer_admin_customeruser_change", args=[person.pk]), data, follow=follow)


def form_errors(response, field):
    assert response.status_code == 200, "the form was saved"
    return response.context["adminform"].form.errors.get(field, [])


def test_the_change_form_saves_the_additional_addresses_one_a_line(admin_client, jane):
    response = change_form(
        admin_client, jane, additional_emails="jd@home.example\r\nJane.Doe@work.example; x@y.example"
    )
    assert response.status_code == 302
    assert addresses_of(jane) == ["Jane.Doe@work.example", "jd@home.example", "x@y.example"]
    page = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk]))
    assert element(document(page.content.decode()), "textarea", name="additional_emails") is not None


def test_the_form_refuses_an_address_another_valid_person_has_folded_naming_them(admin_client, jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    response = change_form(admin_client, max_, additional_emails="TEAM@ÄRZTE.example")
    assert form_errors(response, "additional_emails") == [
        f"{jane} has the address TEAM@ÄRZTE.example already; an address belongs to one valid person."
    ]
    response = change_form(admin_client, max_, additional_emails="JANE@acme.example")
    assert form_errors(response, "additional_emails") == [
        f"{jane} has the address JANE@acme.example already; an address belongs to one valid person."
    ]
    response = change_form(admin_client, max_, additional_emails="Max@acme.example")
    assert form_errors(response, "additional_emails") == [
        "Max@acme.example is this person's primary address; list only their other addresses here."
    ]
    response = change_form(admin_client, max_, additional_emails="not-an-address")
    assert form_errors(response, "additional_emails") == ["not-an-address is not a valid email address."]
    # The primary address against another's additional one: the model's rule, on the email field.
    response = change_form(admin_client, max_, email="TEAM@ÄRZTE.example")
    assert form_errors(response, "email") == ["another valid customer user has the address TEAM@ÄRZTE.example."]
    assert addresses_of(max_) == []


@pytest.mark.parametrize("field", ["additional_emails", "email"])
def test_an_address_given_to_someone_else_while_the_form_saves_is_a_message_not_an_error_page(
    admin_client, jane, max_, field
):
    # The form checked the address; before its save checks again, under the lock, another writer
    # gives it to Jane (here: a receiver in the save, as another process would in between).
    def meanwhile(sender, instance, **kwargs):
        if instance.pk == max_.pk:
            CustomerUserEmail.objects.bulk_create(
                [CustomerUserEmail(customer_user=jane, email="shared@acme.example", email_key="shared@acme.example")]
            )

    pre_save.connect(meanwhile, sender=CustomerUser)
    try:
        response = change_form(admin_client, max_, **{field: "shared@acme.example"}, follow=True)
    finally:
        pre_save.disconnect(meanwhile, sender=CustomerUser)
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "Nothing was saved: another valid customer user was given <bdi>shared@acme.example</bdi> meanwhile."
    ]
    max_.refresh_from_db()
    assert (max_.email, addresses_of(max_)) == ("max@acme.example", [])
    assert not CustomerUserEmail.objects.filter(customer_user=jane).exists()  # rolled back with the save


def test_the_form_names_the_other_person_only_to_a_user_who_may_see_them(client, settings, acme, jane, max_):
    from django.contrib.auth.models import Group, Permission, User

    from otrs_customer_admin.models import CustomerGroup

    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    other = make_customer("OTHER", "Other Ltd")
    hidden = make_customer_user(other, "hidden", "Hidden", "Person", email="hidden@other.example")
    replace_addresses({hidden.pk: ["secret@other.example"]})
    group = Group.objects.create(name="acme-team")
    CustomerGroup.objects.create(customer=acme, group=group, permission="rw")
    agent = User.objects.create_user("agent", is_staff=True)
    agent.groups.add(group)
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["view_customeruser", "change_customeruser"]))
    client.force_login(agent)
    response = change_form(client, max_, additional_emails="SECRET@other.example")
    assert form_errors(response, "additional_emails") == [
        "Another valid customer user has the address SECRET@other.example."
    ]


def test_a_form_that_did_not_touch_the_addresses_does_not_write_them(admin_client, jane):
    page = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk]))
    assert page.status_code == 200
    shown = page.context["adminform"].form["additional_emails"].value()
    # Another writer adds an address while the page is open; the user changes the name only.
    replace_addresses({jane.pk: ["added.meanwhile@acme.example"]})
    response = change_form(
        admin_client,
        jane,
        first_name="Janet",
        additional_emails=shown,
        **{"initial-additional_emails": shown, "initial-first_name": "Jane"},
    )
    assert response.status_code == 302
    assert addresses_of(jane) == ["added.meanwhile@acme.example"]
    assert CustomerUser.objects.get(pk=jane.pk).first_name == "Janet"


def test_a_directory_persons_addresses_are_shown_read_only(admin_client, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"DATA_SOURCES": SOURCES}
    with get_data_source("directory").writing():
        company = make_customer("DIR", "Directory Inc", data_source="directory")
        directory_user = make_customer_user(company, "dir.user", "Dora", "Directory", data_source="directory")
        replace_addresses({directory_user.pk: ["dora@home.example"]})
    page = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_change", args=[directory_user.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "dora@home.example" in html
    assert elements(document(html), "textarea", name="additional_emails") == []


def test_the_card_and_the_information_widget_list_the_addresses_escaped_and_isolated(admin_client, jane):
    replace_addresses({jane.pk: ["jd@home.example"]})
    CustomerUserEmail.objects.filter(customer_user=jane).update(email="<b>\u05d0@x.example")
    for name in ("card", "detail"):
        page = admin_client.get(reverse(f"admin:otrs_customer_admin_customeruser_{name}", args=[jane.pk]))
        html = page.content.decode()
        assert "Additional email addresses" in html
        assert "<bdi>&lt;b&gt;\u05d0@x.example</bdi>" in html


# --- the directory sync (a source of the site's own; the LDAP sync: tests/test_ldap_additional_emails.py) --


class PeopleFileWithAddresses(PeopleFileSource):
    """The people file with a column ``more``: further addresses of the person, separated by spaces."""

    def read(self, progress=None):
        read = super().read(progress)
        with open(self.option("PATH"), encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        for entry, row in zip(read.customer_users, rows, strict=True):
            entry.additional_emails = row["more"].split()
        return read


def people_file(tmp_path, *rows):
    path = tmp_path / "people.csv"
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([["id", "user", "mail", "company", "more"], *rows])
    return str(path)


def test_the_sync_refuses_an_address_another_valid_person_has_folded(settings, tmp_path, acme, jane):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    path = people_file(
        tmp_path,
        ["1", "anna", "anna@acme.example", "ACME", "TEAM@ÄRZTE.example"],
        ["2", "bert", "bert@acme.example", "ACME", "bert@home.example Bert@Acme.example"],
    )
    settings.OTRS_CUSTOMER_ADMIN = {
        "DATA_SOURCES": {
            "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
            "people": {"BACKEND": "tests.test_additional_emails.PeopleFileWithAddresses", "PATH": path},
        }
    }
    report = run_sync(get_data_source("people"))
    assert report.counts["customer_users"]["conflicts"] == 1
    assert report.details["conflicts"] == [
        ("customer_users", "user=anna", "Email TEAM@ÄRZTE.example belongs to a record of another data source")
    ]
    assert not CustomerUser.objects.filter(login="anna").exists()
    # The entry's primary address given again among the others is not an additional address.
    assert addresses_of(CustomerUser.objects.get(login="bert")) == ["bert@home.example"]


def test_an_import_making_a_person_valid_again_checks_their_addresses(acme, jane, max_):
    replace_addresses({jane.pk: ["shared@acme.example"]})
    jane.valid = Validity.INVALID
    jane.save()
    replace_addresses({max_.pk: ["SHARED@acme.example"]})
    report = import_customer_users(plain_csv([["UserLogin", "Valid"], ["jane", "valid"]]))
    assert problems(report) == [
        "Line 2, Additional email addresses: another valid customer user has the address shared@acme.example."
    ]
    assert CustomerUser.objects.get(pk=jane.pk).valid == Validity.INVALID
