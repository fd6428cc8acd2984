"""Merging two customers: the rule (otrs_customer_admin.merge) and manage.py merge_customers."""

import datetime
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
from django.utils import formats

from otrs_customer_admin import merge
from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.history import entries_of, writer_label
from otrs_customer_admin.merge import MergeRefused, merge_customers, merged_comment, plan_merge
from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, Ticket, TicketState, Validity
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket

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
def into():
    """INTO: the customer that stays, with no address or URL of its own and one open ticket."""
    acme = make_customer("ACME", "ACME GmbH")
    make_ticket(acme, title="old", number="1000", state=OPEN)
    return acme


@pytest.fixture
def source():
    """FROM: the twin from the second import, with an address, three people and 50 tickets (40 open)."""
    twin = make_customer(
        "ACME-2", "Acme G.m.b.H.", street="Main Street 1", zip="10115", city="Berlin", url="https://acme.example"
    )
    people = [make_customer_user(twin, login, first, "Doe") for login, first in [("jane", "Jane"), ("john", "John")]]
    people.append(make_customer_user(twin, "jim", "Jim", "Beam"))
    Ticket.objects.bulk_create(
        build_ticket(twin, f"t{n}", number=f"2{n:03d}", state=OPEN if n < 40 else CLOSED, customer_user=people[n % 3])
        for n in range(50)
    )
    people[2].invalidate()  # Jim left; his tickets keep him
    return twin


def snapshot():
    """Everything a merge could change, as plain values."""
    return {
        "customers": list(Customer.objects.order_by("pk").values()),
        "users": list(CustomerUser.objects.order_by("pk").values()),
        "tickets": list(
            Ticket.objects.order_by("pk").values_list("pk", "customer_id", "customer_user_id", "changed_at")
        ),
        "history": LogEntry.objects.count(),
        "values": ValueEntry.objects.count(),
    }


def counts(customer):
    customer.refresh_from_db()
    return customer.open_ticket_count, customer.closed_ticket_count


# --- the merge ---------------------------------------------------------------------------------


def test_a_merge_moves_3_users_and_50_tickets_in_one_transaction(source, into, agent):
    assert (counts(source), counts(into)) == ((40, 10), (1, 0))
    with CaptureQueriesContext(connection) as queries:
        report = merge_customers(source, into, user=agent)

    # One atomic block from the first query to the last.
    statements = [query["sql"] for query in queries.captured_queries]
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE SAVEPOINT")
    assert statements[0].split()[-1] == statements[-1].split()[-1]

    assert (report.customer_users, report.tickets, report.dry_run) == (3, 50, False)
    assert report.moved_summary() == "3 customer users, 50 tickets"
    assert set(CustomerUser.objects.values_list("customer__customer_id", flat=True)) == {"ACME"}
    assert Ticket.objects.filter(customer=into).count() == 51
    assert (counts(source), counts(into)) == ((0, 0), (41, 10))

    source.refresh_from_db()
    into.refresh_from_db()
    assert source.valid == Validity.INVALID and not source.invalidated_by_sync
    assert source.comment == "Merged into ACME GmbH (ACME)."
    assert (into.street, into.zip, into.city, into.url) == ("Main Street 1", "10115", "Berlin", "https://acme.example")
    assert into.is_valid and into.comment == ""


def test_the_history_has_one_entry_per_customer_and_moved_record(source, into, agent):
    merge_customers(source, into, user=agent)
    entries = LogEntry.objects.filter(user=agent)
    assert entries.count() == 2 + 3 + 50
    by_object = {(entry.content_type.model, entry.object_id): entry.get_change_message() for entry in entries}
    assert by_object[("customer", str(source.pk))] == (
        "Merged into ACME GmbH (ACME): 3 customer users, 50 tickets moved; set invalid."
    )
    assert by_object[("customer", str(into.pk))] == (
        "Merged Acme G.m.b.H. (ACME-2) into this customer: 3 customer users, 50 tickets moved. "
        "Filled from it: Street, Zip, City, URL."
    )
    jane = CustomerUser.objects.get(login="jane")
    assert by_object[("customeruser", str(jane.pk))] == "Moved from ACME-2 by merging into ACME."
    ticket = Ticket.objects.get(number="2007")
    assert by_object[("ticket", str(ticket.pk))] == "Moved from ACME-2 by merging into ACME."
    assert entries.get(content_type__model="ticket", object_id=str(ticket.pk)).object_repr == "2007: t7"


def test_the_history_keeps_each_changed_value_old_and_new_written_by_the_merge(source, into, agent):
    merge_customers(source, into, user=agent)
    retired = entries_of(Customer, source.pk).get()
    assert (retired.actor, writer_label(retired)) == (agent, "merge")
    assert retired.changes == {"valid": [1, 2], "comment": ["", "Merged into ACME GmbH (ACME)."]}
    assert entries_of(Customer, into.pk).get().changes == {
        "street": ["", "Main Street 1"],
        "zip": ["", "10115"],
        "city": ["", "Berlin"],
        "url": ["", "https://acme.example"],
    }
    jane = CustomerUser.objects.get(login="jane")
    assert entries_of(CustomerUser, jane.pk).get().changes == {"customer": [source.pk, into.pk]}
    ticket = Ticket.objects.get(number="2007")
    assert entries_of(Ticket, ticket.pk).get().changes == {"customer": [source.pk, into.pk]}
    assert ValueEntry.objects.count() == 2 + 3 + 50


def test_its_dry_run_reports_the_same_numbers_and_changes_nothing(source, into, agent):
    before = snapshot()
    dry = merge_customers(source, into, user=agent, dry_run=True)
    assert snapshot() == before
    assert dry.dry_run

    done = merge_customers(source, into, user=agent)
    assert (dry.customer_users, dry.additional_links, dry.tickets) == (done.customer_users, done.additional_links, 50)
    assert (dry.customer_users, dry.tickets) == (3, 50)
    assert dry.plan.filled == done.plan.filled
    assert dry.plan.source_comment == done.plan.source_comment


def fail_at_the_history(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(merge.customers, "record_history", refuse)
    return RuntimeError


def fail_in_the_database(monkeypatch):
    # The history is written last: a trigger makes the database refuse its rows.
    refuse_inserts_into(ValueEntry._meta.db_table)
    return IntegrityError


def refuse_inserts_into(table):
    """Make the database refuse every row written to ``table`` from now on (until the test's transaction ends)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'the disk is full' USING ERRCODE = 'integrity_constraint_violation'; END; "
                "$$ LANGUAGE plpgsql"
            )
            cursor.execute(f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} EXECUTE FUNCTION refuse_insert()")
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
            )


@pytest.mark.parametrize("failure", [fail_at_the_history, fail_in_the_database], ids=["raised", "database-error"])
def test_a_merge_that_fails_half_way_leaves_both_customers_unchanged(source, into, agent, monkeypatch, failure):
    error = failure(monkeypatch)
    before = snapshot()
    with pytest.raises(error):
        merge_customers(source, into, user=agent)
    assert snapshot() == before
    assert (counts(source), counts(into)) == ((40, 10), (1, 0))
    source.refresh_from_db()
    assert source.is_valid and source.comment == ""


def test_a_customer_changed_since_the_merge_was_planned_refuses_it_and_the_next_merge_reads_afresh(source, into, agent):
    stale = Customer.objects.get(pk=source.pk)
    Customer.objects.filter(pk=source.pk).update(comment="Second import")
    with pytest.raises(MergeRefused) as refused:
        merge_customers(stale, into, user=agent)
    assert refused.value.reasons == [
        "Acme G.m.b.H. (ACME-2) changed since the merge was planned (an import, a sync or a user saved it); run "
        "the merge again."
    ]
    assert Customer.objects.get(pk=source.pk).is_valid and not LogEntry.objects.exists()

    report = merge_customers(Customer.objects.get(pk=source.pk), into, user=agent)
    assert report.plan.source_comment == "Second import Merged into ACME GmbH (ACME)."
    into.refresh_from_db()
    assert into.comment == "Second import"


def test_the_queries_do_not_grow_with_the_records_moved(agent):
    def merge_queries(size):
        twin, target = make_customer(f"T{size}", f"Twin {size}"), make_customer(f"K{size}", f"Keeper {size}")
        for n in range(size):
            make_customer_user(twin, f"u{size}-{n}")
        Ticket.objects.bulk_create(build_ticket(twin, "t", number=f"{size}-{n}") for n in range(size * 10))
        with CaptureQueriesContext(connection) as queries:
            merge_customers(twin, target, user=agent)
        return len(queries)

    # One history entry per moved record, in one INSERT a history table: Django caps an INSERT's
    # parameters (999 on SQLite before Django 6), and beyond that cap each further batch is one
    # more query. The value entries (auditlog's) have the more columns.
    per_insert = min(
        connection.ops.bulk_batch_size([f for f in model._meta.concrete_fields if not f.primary_key], [None] * 1000)
        for model in (LogEntry, ValueEntry)
    )
    size = min(30, (per_insert - 2) // 11)  # size users + 10 * size tickets + the two customers
    assert size > 2
    merge_queries(1)  # the content types of the history, cached from then on
    assert merge_queries(2) == merge_queries(size)


# --- what fills, what stays ----------------------------------------------------------------------


def test_only_empty_fields_of_into_are_filled(agent):
    source = make_customer("A2", "A 2", street="Elm 1", city="Bonn", url="https://a2.example", comment="From import")
    into = make_customer("A1", "A 1", url="https://a1.example")
    plan = plan_merge(source, into)
    assert plan.filled == {"street": "Elm 1", "city": "Bonn", "comment": "From import"}
    assert plan.filled_fields() == [("Street", "Elm 1"), ("City", "Bonn"), ("Comment", "From import")]


def test_the_address_moves_only_as_a_whole(agent):
    source = make_customer("A2", "A 2", street="Elm 1", zip="53111", city="Bonn")
    into = make_customer("A1", "A 1", city="Köln")
    assert plan_merge(source, into).filled == {}


def test_an_address_in_another_country_stays_behind_with_a_note(agent):
    source = make_customer("A2", "A 2", street="Ring 1", city="Wien", country="AT")
    into = make_customer("A1", "A 1")
    plan = plan_merge(source, into)
    assert plan.filled == {}
    assert plan.notes == ["The address of A 2 (A2) is in another country than A 1 (A1); it is not taken over."]


def test_the_comment_of_from_keeps_its_text_where_it_fits():
    into = Customer(customer_id="ACME", name="ACME GmbH")
    assert merged_comment("", into) == "Merged into ACME GmbH (ACME)."
    assert merged_comment("Imported 2024", into) == "Imported 2024 Merged into ACME GmbH (ACME)."
    long = merged_comment("x" * 250, into)
    assert len(long) == 250 and long.endswith("x… Merged into ACME GmbH (ACME).")
    huge = Customer(customer_id="C" * 150, name="N" * 200)
    assert merged_comment("kept?", huge) == f"Merged into {'N' * 200} ({'C' * 150})."[:250]


def test_an_invalid_from_may_be_merged(agent):
    source = make_customer("OLD", "Old Acme")
    make_customer_user(source, "old")
    source.invalidate()
    into = make_customer()
    assert merge_customers(source, into, user=agent).customer_users == 1


# --- refusals --------------------------------------------------------------------------------------


def refusals(source, into):
    plan = plan_merge(source, into)
    assert not plan.allowed
    return plan.refusals


def test_a_customer_cannot_be_merged_into_itself(acme, agent):
    assert refusals(acme, acme) == ["A customer cannot be merged into itself."]
    with pytest.raises(MergeRefused, match="into itself"):
        merge_customers(acme, acme, user=agent)


def test_into_must_be_valid(acme, agent):
    into = make_customer("GONE", "Gone Inc", valid=Validity.INVALID_TEMPORARILY)
    assert refusals(acme, into) == ["Gone Inc (GONE) is not valid; make it valid before merging into it."]


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_customer_of_a_read_only_source_cannot_be_merged_away(into, agent):
    with get_data_source("directory").writing():
        directory = make_customer("DIR", "Acme AG", data_source="directory")
    before = snapshot()
    assert refusals(directory, into) == [
        "Acme AG (DIR) belongs to the read-only data source Head office LDAP: only its sync changes it, "
        "so it cannot be merged away."
    ]
    with pytest.raises(MergeRefused):
        merge_customers(directory, into, user=agent)
    assert snapshot() == before


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_read_only_customer_users_of_from_refuse_the_merge(source, into, agent):
    with get_data_source("directory").writing():
        make_customer_user(source, "ldap-jo", data_source="directory")
    assert refusals(source, into) == [
        "These customer users of Acme G.m.b.H. (ACME-2) belong to a read-only data source, so their customer "
        "cannot change: ldap-jo."
    ]


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_into_receives_people_and_tickets_but_no_fields(source, agent):
    with get_data_source("directory").writing():
        directory = make_customer("DIR", "Acme AG", data_source="directory")
    plan = plan_merge(source, directory)
    assert plan.allowed and plan.filled == {}
    assert plan.notes == [
        "Acme AG (DIR) belongs to the read-only data source Head office LDAP: it receives the customer users "
        "and tickets, but its empty fields are not filled."
    ]
    report = merge_customers(source, directory, user=agent)
    assert (report.customer_users, report.tickets) == (3, 50)
    assert counts(directory) == (40, 10)
    directory.refresh_from_db()
    assert directory.street == ""


def test_additional_customer_links_move_with_the_merge(source, into, agent):
    other = make_customer("OTHER", "Other Ltd")
    linked = make_customer_user(other, "linked")
    both = make_customer_user(other, "both")
    linked.additional_customers.add(source)
    both.additional_customers.add(source, into)
    jane = CustomerUser.objects.get(login="jane")
    jane.additional_customers.add(into)  # INTO becomes her customer: the link goes

    report = merge_customers(source, into, user=agent)
    assert report.additional_links == 2
    assert report.moved_summary() == "3 customer users, 2 additional customer links, 50 tickets"
    assert list(linked.additional_customers.all()) == [into]
    assert list(both.additional_customers.all()) == [into]
    assert list(jane.additional_customers.all()) == []
    assert LogEntry.objects.get(object_id=str(linked.pk), content_type__model="customeruser").get_change_message() == (
        "Additional customer ACME-2 replaced by ACME by merging the customers."
    )


# --- manage.py merge_customers -----------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("merge_customers", *args, stdout=out)
    return out.getvalue()


def test_the_command_merges_and_lists_what_moved(source, into):
    output = run("acme-2", "ACME")  # CustomerIDs ignoring case
    lines = output.splitlines()
    assert lines[0] == "Merged Acme G.m.b.H. (ACME-2) into ACME GmbH (ACME):"
    assert "  customer users moved: 3" in lines
    assert "    Jim Beam (jim)" in lines
    assert "  tickets moved: 50" in lines
    assert any(line.startswith("    2000, 2001,") and line.endswith("… and 30 more") for line in lines)
    assert "    City: Berlin" in lines
    assert lines[-1] == "  Acme G.m.b.H. (ACME-2) was set invalid, with the comment: Merged into ACME GmbH (ACME)."
    assert Ticket.objects.filter(customer=into).count() == 51
    # Nobody started it in the admin: the package's own account is named in the history.
    assert set(LogEntry.objects.values_list("user__username", flat=True)) == {"otrs-customer-admin-sync"}


def test_the_command_names_the_given_user_in_the_history(source, into, agent):
    run("ACME-2", "ACME", "--user", "agent")
    assert set(LogEntry.objects.values_list("user__username", flat=True)) == {"agent"}


def test_the_dry_run_prints_the_same_plan_and_changes_nothing(source, into):
    before = snapshot()
    dry = run("ACME-2", "ACME", "--dry-run")
    assert snapshot() == before
    assert dry.splitlines()[0] == "Merging Acme G.m.b.H. (ACME-2) into ACME GmbH (ACME) (dry run, nothing written):"
    done = run("ACME-2", "ACME")
    assert dry.splitlines()[1:-1] == done.splitlines()[1:-1]
    assert dry.splitlines()[-1].startswith("  Acme G.m.b.H. (ACME-2) would be set invalid")


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_refused_merge_exits_with_the_reason(into):
    with get_data_source("directory").writing():
        make_customer("DIR", "Acme AG", data_source="directory")
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        run("DIR", "ACME")
    assert str(refused.value) == (
        "Acme AG (DIR) cannot be merged into ACME GmbH (ACME): Acme AG (DIR) belongs to the read-only data "
        "source Head office LDAP: only its sync changes it, so it cannot be merged away."
    )
    assert refused.value.returncode == 1
    assert snapshot() == before


def test_unknown_customers_and_users_are_named(into):
    with pytest.raises(CommandError, match=r"^There is no customer with the CustomerID NOPE\.$"):
        run("NOPE", "ACME")
    make_customer("ACME-2", "Acme G.m.b.H.")
    with pytest.raises(CommandError, match=r"^There is no user ghost\.$"):
        run("ACME-2", "ACME", "--user", "ghost")


# --- dynamic fields ------------------------------------------------------------------------------


@pytest.fixture
def dynamic_twins():
    """Tier and ERP number on both customers; Industries and Renewal only on FROM."""
    for name, field_type, label, choices in [
        ("Tier", "dropdown", "Contract tier", {"gold": "Gold", "silver": "Silver"}),
        ("Industries", "multiselect", "Industries served", {"software": "Software", "retail": "Retail"}),
        ("ERP", "text", "ERP number", {}),
        ("Renewal", "date", "Renewal date", {}),
    ]:
        DynamicField.objects.create(
            object_type="customer", name=name, label=label, field_type=field_type, choices=choices
        )
    source = make_customer("A2", "A 2", city="Bonn")
    source.dynamic_fields.update(Tier="gold", Industries="software; retail", ERP="4711", Renewal="2027-03-31")
    source.save()
    into = make_customer("A1", "A 1")
    into.dynamic_fields.update(Tier="silver", ERP="0815")
    into.save()
    return source, into


def test_empty_dynamic_fields_of_into_are_filled_from_from_and_the_plan_lists_them_by_label(dynamic_twins, agent):
    source, into = dynamic_twins
    plan = plan_merge(source, into)
    assert plan.dynamic_filled == {"Industries": ["software", "retail"], "Renewal": datetime.date(2027, 3, 31)}
    assert plan.filled_fields() == [
        ("City", "Bonn"),
        ("Industries served", "Software, Retail"),
        ("Renewal date", formats.date_format(datetime.date(2027, 3, 31), "SHORT_DATE_FORMAT")),
    ]

    merge_customers(source, into, user=agent)

    assert dict(Customer.objects.get(pk=into.pk).dynamic_fields) == {
        "Tier": "silver",  # INTO's own values stay
        "Industries": ["software", "retail"],
        "ERP": "0815",
        "Renewal": datetime.date(2027, 3, 31),
    }
    assert dict(Customer.objects.get(pk=source.pk).dynamic_fields)["Tier"] == "gold"  # FROM keeps its values
    entry = LogEntry.objects.filter(object_id=str(into.pk)).get()
    assert entry.change_message.endswith("Filled from it: City, Industries served, Renewal date.")


def test_the_dry_run_lists_the_dynamic_fields_it_would_fill(dynamic_twins):
    _source, into = dynamic_twins
    dry = run("A2", "A1", "--dry-run")
    assert "    Industries served: Software, Retail" in dry.splitlines()
    assert dict(Customer.objects.get(pk=into.pk).dynamic_fields)["Industries"] == []


def test_a_dynamic_field_of_into_filled_since_the_plan_refuses_the_merge(dynamic_twins, agent):
    source, into = dynamic_twins
    planned = plan_merge(source, into).state
    changed = Customer.objects.get(pk=into.pk)
    changed.dynamic_fields["Industries"] = "retail"  # a user, in between
    changed.save()
    with pytest.raises(MergeRefused, match=r"A 1 \(A1\) changed since the merge was planned"):
        merge_customers(source, into, user=agent, planned=planned)
    assert dict(Customer.objects.get(pk=into.pk).dynamic_fields)["Industries"] == ["retail"]
    assert Customer.objects.get(pk=source.pk).is_valid


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_into_gets_no_dynamic_fields_filled(dynamic_twins, agent):
    source, _into = dynamic_twins
    with get_data_source("directory").writing():
        directory = make_customer("DIR", "Acme AG", data_source="directory")
    plan = plan_merge(source, directory)
    assert plan.allowed and plan.dynamic_filled == {}
    merge_customers(source, directory, user=agent)
    assert dict(Customer.objects.get(pk=directory.pk).dynamic_fields)["Industries"] == []
