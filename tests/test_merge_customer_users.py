"""Merging two customer users (otrs_customer_admin.merge.people) and manage.py merge_customer_users."""

import io

import pytest
from auditlog.models import LogEntry as ValueEntry
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from otrs_customer_admin import merge
from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.folding import fold
from otrs_customer_admin.history import entries_of, writer_label
from otrs_customer_admin.merge import MergeRefused, merge_customer_users, plan_merge_customer_users
from otrs_customer_admin.models import (
    Customer,
    CustomerUser,
    CustomerUserEmail,
    DynamicField,
    Ticket,
    TicketState,
    Validity,
)
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket
from tests.teams import make_teams
from tests.test_merge import refuse_inserts_into

pytestmark = pytest.mark.django_db

SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}
OPEN, CLOSED = TicketState.OPEN, TicketState.CLOSED_SUCCESSFUL


@pytest.fixture
def agent():
    return User.objects.create_user("agent", is_staff=True)


@pytest.fixture
def acme():
    return make_customer("ACME", "ACME GmbH")


@pytest.fixture
def globex():
    return make_customer("GLOBEX", "Globex")


@pytest.fixture
def into(acme):
    """INTO: Jane Doe (jdoe) of ACME, who stays: no phone or address, one open ticket."""
    jane = make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane.doe@acme.example")
    make_ticket(acme, title="old", number="1000", state=OPEN, customer_user=jane)
    return jane


@pytest.fixture
def source(acme, globex, into):
    """FROM: Jane Doe again (jane.d), from an old import: a phone, an address, GLOBEX as an
    additional customer, three additional addresses (one of them INTO's primary address in
    other letters) and 50 tickets (40 open), 5 of them GLOBEX's."""
    twin = make_customer_user(
        acme,
        "jane.d",
        "Jane",
        "Doe",
        email="jane@old.example",
        phone="+49 30 1234",
        street="Main Street 1",
        zip="10115",
        city="Berlin",
        country="DE",
    )
    twin.additional_customers.add(globex)
    # Written as rows, past the address rule: one of them is INTO's primary address, as a file
    # imported before the rule (or a site's own code) may have left it.
    CustomerUserEmail.objects.bulk_create(
        CustomerUserEmail(customer_user=twin, email=email, email_key=fold(email))
        for email in ["JANE@private.example", "Jane.Doe@ACME.example", "jd@acme.example"]
    )
    Ticket.objects.bulk_create(
        build_ticket(
            globex if n >= 45 else acme,
            f"t{n}",
            number=f"2{n:03d}",
            state=OPEN if n < 40 else CLOSED,
            customer_user=twin,
        )
        for n in range(50)
    )
    return twin


def snapshot():
    """Everything a merge could change, as plain values."""
    return {
        "people": list(CustomerUser.objects.order_by("pk").values()),
        "links": list(CustomerUser.additional_customers.through.objects.order_by("pk").values()),
        "addresses": list(CustomerUserEmail.objects.order_by("pk").values()),
        "tickets": list(
            Ticket.objects.order_by("pk").values_list("pk", "customer_id", "customer_user_id", "changed_at")
        ),
        "history": (LogEntry.objects.count(), ValueEntry.objects.count()),
    }


def counts(person):
    person.refresh_from_db()
    return person.open_ticket_count, person.closed_ticket_count


def addresses(person):
    return list(person.additional_emails.order_by("added_at", "pk").values_list("email", flat=True))


# --- the merge ---------------------------------------------------------------------------------


def test_a_merge_moves_50_tickets_and_3_addresses_in_one_transaction(source, into, acme, globex, agent):
    assert (counts(source), counts(into)) == ((40, 10), (1, 0))
    with CaptureQueriesContext(connection) as queries:
        report = merge_customer_users(source, into, user=agent)

    # One atomic block from the first query to the last.
    statements = [query["sql"] for query in queries.captured_queries]
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE SAVEPOINT")
    assert statements[0].split()[-1] == statements[-1].split()[-1]

    assert (report.tickets, report.addresses, report.additional_customers, report.dry_run) == (50, 3, 1, False)
    assert report.moved_summary() == "50 tickets, 3 email addresses, 1 additional customer"
    # The tickets have INTO as their customer user and keep their customers.
    assert Ticket.objects.filter(customer_user=into).count() == 51
    assert Ticket.objects.filter(customer_user=into, customer=globex).count() == 5
    assert not Ticket.objects.filter(customer_user=source).exists()
    assert (counts(source), counts(into)) == ((0, 0), (41, 10))
    # INTO works for GLOBEX now, and has FROM's addresses but the one it had (those moved keep when
    # they were added; FROM's primary address is added now).
    assert list(into.additional_customers.all()) == [globex]
    assert addresses(into) == ["JANE@private.example", "jd@acme.example", "jane@old.example"]
    assert addresses(source) == []

    source.refresh_from_db()
    into.refresh_from_db()
    assert source.valid == Validity.INVALID and not source.invalidated_by_sync
    assert source.comment == "Merged into Jane Doe (jdoe)."
    assert source.email == "jane@old.example"  # FROM keeps its record; it is invalid
    assert (into.phone, into.street, into.zip, into.city, into.country.code) == (
        "+49 30 1234",
        "Main Street 1",
        "10115",
        "Berlin",
        "DE",
    )
    assert into.is_valid and into.comment == ""


def test_its_dry_run_reports_the_same_and_changes_nothing(source, into, agent):
    before = snapshot()
    dry = merge_customer_users(source, into, user=agent, dry_run=True)
    assert snapshot() == before
    assert dry.dry_run

    done = merge_customer_users(source, into, user=agent)
    assert (dry.tickets, dry.addresses, dry.additional_customers) == (50, 3, 1)
    assert (dry.tickets, dry.addresses, dry.additional_customers) == (
        done.tickets,
        done.addresses,
        done.additional_customers,
    )
    assert dry.plan.addresses == done.plan.addresses == ["jane@old.example", "JANE@private.example", "jd@acme.example"]
    assert dry.plan.known_addresses == ["Jane.Doe@ACME.example"]
    assert dry.plan.filled == done.plan.filled
    assert dry.plan.source_comment == done.plan.source_comment


def fail_at_the_history(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(merge.people, "record_history", refuse)
    return RuntimeError


def fail_in_the_database(monkeypatch):
    # The history is written last: a trigger makes the database refuse its rows.
    refuse_inserts_into(ValueEntry._meta.db_table)
    return IntegrityError


@pytest.mark.parametrize("failure", [fail_at_the_history, fail_in_the_database], ids=["raised", "database-error"])
def test_a_merge_that_fails_half_way_leaves_everything_as_it_was(source, into, agent, monkeypatch, failure):
    error = failure(monkeypatch)
    before = snapshot()
    with pytest.raises(error):
        merge_customer_users(source, into, user=agent)
    assert snapshot() == before
    assert (counts(source), counts(into)) == ((40, 10), (1, 0))


def test_the_history_of_each_record_touched_has_its_old_and_new_values(source, into, acme, globex, agent):
    merge_customer_users(source, into, user=agent)

    retired = entries_of(CustomerUser, source.pk).get()
    assert (retired.actor, writer_label(retired)) == (agent, "merge")
    assert retired.changes == {
        "valid": [1, 2],
        "comment": ["", "Merged into Jane Doe (jdoe)."],
        "additional_emails": [["JANE@private.example", "Jane.Doe@ACME.example", "jd@acme.example"], []],
        "merged_into": [None, into.pk],  # where FROM went: anonymising INTO finds FROM by it
    }
    assert entries_of(CustomerUser, into.pk).get().changes == {
        "phone": ["", "+49 30 1234"],
        "street": ["", "Main Street 1"],
        "zip": ["", "10115"],
        "city": ["", "Berlin"],
        "country": ["", "DE"],
        "additional_emails": [[], ["JANE@private.example", "jd@acme.example", "jane@old.example"]],
        "additional_customers": [[], [globex.pk]],
    }
    ticket = Ticket.objects.get(number="2007")
    assert entries_of(Ticket, ticket.pk).get().changes == {"customer_user": [source.pk, into.pk]}
    assert ValueEntry.objects.count() == 2 + 50

    # The admin's own entries, one a record.
    entries = LogEntry.objects.filter(user=agent)
    assert entries.count() == 2 + 50
    by_object = {(entry.content_type.model, entry.object_id): entry.get_change_message() for entry in entries}
    assert by_object[("customeruser", str(source.pk))] == (
        "Merged into Jane Doe (jdoe): 50 tickets, 3 email addresses, 1 additional customer moved; set invalid."
    )
    assert by_object[("customeruser", str(into.pk))] == (
        "Merged Jane Doe (jane.d) into this customer user: 50 tickets, 3 email addresses, 1 additional customer "
        "moved. Filled from it: Phone, Street, Zip, City, Country."
    )
    assert by_object[("ticket", str(ticket.pk))] == "Moved from jane.d by merging into jdoe."


def test_a_person_changed_since_the_merge_was_planned_refuses_it(source, into, agent):
    stale = CustomerUser.objects.get(pk=source.pk)
    CustomerUser.objects.filter(pk=source.pk).update(comment="Second import")
    with pytest.raises(MergeRefused) as refused:
        merge_customer_users(stale, into, user=agent)
    assert refused.value.reasons == [
        "Jane Doe (jane.d) changed since the merge was planned (an import, a sync or a user saved them); run the "
        "merge again."
    ]
    assert CustomerUser.objects.get(pk=source.pk).is_valid and not ValueEntry.objects.exists()

    report = merge_customer_users(CustomerUser.objects.get(pk=source.pk), into, user=agent)
    assert report.plan.source_comment == "Second import Merged into Jane Doe (jdoe)."


def test_an_address_added_since_the_confirm_page_refuses_the_merge(source, into, agent):
    planned = plan_merge_customer_users(source, into).state
    # Someone, in between (as rows: the fixture's legacy address would refuse a checked write).
    CustomerUserEmail.objects.bulk_create(
        [CustomerUserEmail(customer_user=into, email="jane@new.example", email_key="jane@new.example")]
    )
    with pytest.raises(MergeRefused, match=r"^Jane Doe \(jdoe\) changed since the merge was planned"):
        merge_customer_users(source, into, user=agent, planned=planned)
    assert CustomerUser.objects.get(pk=source.pk).is_valid
    merge_customer_users(source, into, user=agent, planned=plan_merge_customer_users(source, into).state)
    assert sorted(addresses(into)) == [
        "JANE@private.example",
        "jane@new.example",
        "jane@old.example",
        "jd@acme.example",
    ]


def test_the_queries_do_not_grow_with_the_tickets_moved(acme, agent):
    def merge_queries(size):
        twin = make_customer_user(acme, f"twin{size}")
        keeper = make_customer_user(acme, f"keeper{size}")
        Ticket.objects.bulk_create(
            build_ticket(acme, "t", number=f"{size}-{n}", customer_user=twin) for n in range(size)
        )
        with CaptureQueriesContext(connection) as queries:
            merge_customer_users(twin, keeper, user=agent)
        return len(queries)

    merge_queries(1)  # the content types of the history, cached from then on
    assert merge_queries(2) == merge_queries(40)


# --- what fills, what stays ----------------------------------------------------------------------


def test_only_empty_fields_of_into_are_filled_and_the_address_only_as_a_whole(acme, agent):
    source = make_customer_user(acme, "a", title="Dr.", mobile="0170", street="Old Road 2", city="Bonn", country="DE")
    into = make_customer_user(acme, "b", mobile="0171", city="Köln")
    plan = plan_merge_customer_users(source, into)
    assert plan.filled == {"title": "Dr."}  # INTO has a city: no street from FROM beside it
    assert plan.filled_fields() == [("Title", "Dr.")]


def test_empty_dynamic_fields_of_into_are_filled(acme, agent):
    DynamicField.objects.create(object_type="customer_user", name="Badge", label="Badge number", field_type="text")
    DynamicField.objects.create(object_type="customer_user", name="Desk", label="Desk", field_type="text")
    source = make_customer_user(acme, "a")
    source.dynamic_fields.update(Badge="B-17", Desk="4.12")
    source.save()
    into = make_customer_user(acme, "b")
    into.dynamic_fields.update(Desk="1.01")
    into.save()

    plan = plan_merge_customer_users(source, into)
    assert plan.filled_fields() == [("Badge number", "B-17")]
    merge_customer_users(source, into, user=agent)
    assert dict(CustomerUser.objects.get(pk=into.pk).dynamic_fields) == {"Badge": "B-17", "Desk": "1.01"}
    assert entries_of(CustomerUser, into.pk).get().changes == {
        "DynamicField_Badge": [None, "B-17"],
        "additional_emails": [[], ["a@acme.example"]],
    }


def test_an_invalid_from_may_be_merged(source, into, agent):
    source.invalidate()
    report = merge_customer_users(CustomerUser.objects.get(pk=source.pk), into, user=agent)
    assert report.tickets == 50


# --- refusals ------------------------------------------------------------------------------------


def refusals(source, target, viewer=None):
    return plan_merge_customer_users(source, target, viewer).refusals


def test_a_customer_user_cannot_be_merged_into_themselves(into, agent):
    assert refusals(into, into) == ["A customer user cannot be merged into themselves."]
    with pytest.raises(MergeRefused):
        merge_customer_users(into, into, user=agent)


def test_into_must_be_valid(source, into, agent):
    into.invalidate()
    assert refusals(source, into) == ["Jane Doe (jdoe) is not valid; make them valid before merging into them."]
    before = snapshot()
    with pytest.raises(MergeRefused):
        merge_customer_users(source, CustomerUser.objects.get(pk=into.pk), user=agent)
    assert snapshot() == before


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_customer_user_of_a_read_only_source_cannot_be_merged_away(acme, into, agent):
    with get_data_source("directory").writing():
        directory = make_customer_user(acme, "ldap-jane", data_source="directory")
    assert refusals(directory, into) == [
        "Jane Doe (ldap-jane) belongs to the read-only data source Head office LDAP: only its sync changes them, so "
        "they cannot be merged away."
    ]
    before = snapshot()
    with pytest.raises(MergeRefused):
        merge_customer_users(directory, into, user=agent)
    assert snapshot() == before


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_into_receives_the_tickets_but_nothing_of_its_own_record_changes(acme, agent):
    with get_data_source("directory").writing():
        directory = make_customer_user(acme, "ldap-jane", email="jane@ldap.example", data_source="directory")
    source = make_customer_user(acme, "jane.d", phone="123")
    CustomerUserEmail.objects.create(customer_user=source, email="jane@private.example")
    Ticket.objects.bulk_create(build_ticket(acme, "t", number=f"9{n}", customer_user=source) for n in range(3))

    plan = plan_merge_customer_users(source, directory)
    assert plan.allowed and (plan.filled, plan.addresses, plan.additional_customers) == ({}, [], [])
    assert plan.notes == [
        "Jane Doe (ldap-jane) belongs to the read-only data source Head office LDAP: it receives the tickets, but "
        "its own record stays as it is (no field filled, no address or additional customer taken over)."
    ]
    report = merge_customer_users(source, directory, user=agent)
    assert (report.tickets, report.addresses) == (3, 0)
    directory.refresh_from_db()
    assert (directory.phone, addresses(directory), counts(directory)) == ("", [], (3, 0))
    assert addresses(source) == ["jane@private.example"]  # FROM keeps what INTO could not take


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_into_that_does_not_work_for_a_ticket_s_customer_refuses(source, acme, agent):
    with get_data_source("directory").writing():
        directory = make_customer_user(acme, "ldap-jane", email="jane@ldap.example", data_source="directory")
    assert refusals(source, directory) == [
        "Jane Doe (ldap-jane) does not work for GLOBEX, whose tickets would move to them, and belongs to a read-only "
        "data source: add these customers in the directory first."
    ]


# --- customer groups -----------------------------------------------------------------------------


@pytest.fixture
def teams(db, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    teams = make_teams()
    # Anna twice: anna2 also works for BRAVO, where one of her tickets is.
    twin = make_customer_user(teams.alpha, "anna2", teams.anna.first_name, teams.anna.last_name)
    twin.additional_customers.add(teams.bravo)
    make_ticket(teams.alpha, title="alpha", number="7001", customer_user=twin)
    make_ticket(teams.bravo, title="bravo", number="7002", customer_user=twin)
    teams.twin = twin
    return teams


def test_a_merge_needs_read_and_write_on_both_people_s_customers(teams):
    assert refusals(teams.twin, teams.bruno, teams.agent("agent-a")) == [
        "Your groups do not let you change the customer user bruno (a merge needs read and write on the customers "
        "of both)."
    ]
    assert refusals(teams.twin, teams.anna, teams.agent("agent-ro")) == [
        "Your groups do not let you change the customer user anna2 (a merge needs read and write on the customers "
        "of both).",
        "Your groups do not let you change the customer user anna (a merge needs read and write on the customers "
        "of both).",
    ]


def test_a_viewer_sees_counts_of_what_they_cannot_see_not_names(teams):
    plan = plan_merge_customer_users(teams.twin, teams.anna, teams.agent("agent-a"))
    assert plan.allowed
    assert (plan.ticket_count, plan.ticket_numbers, plan.hidden_tickets) == (2, ["7001"], 1)
    assert (plan.shown_additional_customers, plan.hidden_additional_customers) == ([], 1)

    out = run("anna2", "anna", "--user", "agent-a", "--dry-run")
    assert "    7001" in out.splitlines() and "7002" not in out and "BRAVO" not in out
    assert out.count("… and 1 you cannot see") == 2


# --- manage.py merge_customer_users --------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("merge_customer_users", *args, stdout=out)
    return out.getvalue()


def test_the_command_merges_and_lists_what_moved(source, into):
    output = run("JANE.D", "jdoe")  # logins ignoring case
    lines = output.splitlines()
    assert lines[0] == "Merged Jane Doe (jane.d) into Jane Doe (jdoe):"
    assert "  tickets moved: 50" in lines
    assert any(line.startswith("    2000, 2001,") and line.endswith("… and 30 more") for line in lines)
    assert "  email addresses added to Jane Doe (jdoe): 3" in lines
    assert "    JANE@private.example" in lines
    assert "  email addresses Jane Doe (jdoe) already has: Jane.Doe@ACME.example" in lines
    assert "  additional customers of Jane Doe (jdoe) added: 1" in lines
    assert "    Globex (GLOBEX)" in lines
    assert "    City: Berlin" in lines
    assert lines[-1] == "  Jane Doe (jane.d) was set invalid, with the comment: Merged into Jane Doe (jdoe)."
    assert Ticket.objects.filter(customer_user=into).count() == 51
    # Nobody started it in the admin: the package's own account is named in the history.
    assert set(LogEntry.objects.values_list("user__username", flat=True)) == {"otrs-customer-admin-sync"}


def test_the_command_names_the_given_user_in_the_history(source, into, agent):
    run("jane.d", "jdoe", "--user", "agent")
    assert set(LogEntry.objects.values_list("user__username", flat=True)) == {"agent"}
    assert set(ValueEntry.objects.values_list("actor__username", flat=True)) == {"agent"}


def test_the_command_s_dry_run_prints_the_same_plan_and_changes_nothing(source, into):
    before = snapshot()
    dry = run("jane.d", "jdoe", "--dry-run")
    assert snapshot() == before
    assert dry.splitlines()[0] == "Merging Jane Doe (jane.d) into Jane Doe (jdoe) (dry run, nothing written):"
    done = run("jane.d", "jdoe")
    assert dry.splitlines()[1:-1] == done.splitlines()[1:-1]
    assert dry.splitlines()[-1].startswith("  Jane Doe (jane.d) would be set invalid")


def test_a_refused_merge_exits_with_the_reason(into):
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        run("jdoe", "JDOE")
    assert str(refused.value) == (
        "Jane Doe (jdoe) cannot be merged into Jane Doe (jdoe): A customer user cannot be merged into themselves."
    )
    assert refused.value.returncode == 1
    assert snapshot() == before


def test_unknown_logins_and_users_are_named(into, acme):
    with pytest.raises(CommandError, match=r"^There is no customer user with the login nope\.$"):
        run("nope", "jdoe")
    make_customer_user(acme, "other")
    with pytest.raises(CommandError, match=r"^There is no user ghost\.$"):
        run("other", "jdoe", "--user", "ghost")


def test_the_customer_merge_still_moves_people_between_customers(source, into, acme, globex, agent):
    # The two engines side by side: a customer merge afterwards carries INTO and its tickets along.
    merge_customer_users(source, into, user=agent)
    merge.merge_customers(globex, make_customer("GLOBEX-2", "Globex AG"), user=agent)
    assert Customer.objects.get(pk=globex.pk).valid == Validity.INVALID
