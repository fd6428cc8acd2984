"""The open and closed ticket counts kept on customers and customer users, through every ticket write."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils.module_loading import import_string

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, Ticket, TicketState, recount_tickets
from otrs_customer_admin.models.ticket_counters import ticket_count_annotations
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket
from tests.markup import document, element, elements, text

pytestmark = pytest.mark.django_db

OPEN, CLOSED = TicketState.OPEN, TicketState.CLOSED_SUCCESSFUL


@pytest.fixture
def globex():
    return make_customer("GLOBEX", "Globex")


def stored(obj):
    obj.refresh_from_db()
    return obj.open_ticket_count, obj.closed_ticket_count


def counted(obj):
    """What counting the tickets says, for comparison with what is stored."""
    owner = "customer" if isinstance(obj, Customer) else "customer_user"
    row = type(obj).objects.filter(pk=obj.pk).annotate(**ticket_count_annotations(owner)).get()
    return row.open_tickets, row.closed_tickets


def test_saving_and_deleting_tickets_keep_the_counts(acme, globex):
    wile = make_customer_user(acme, "wile")
    ticket = make_ticket(acme, title="t", customer_user=wile, state=OPEN)
    make_ticket(acme, title="t", state=CLOSED)
    assert (stored(acme), stored(wile)) == ((1, 1), (1, 0))

    ticket.state = CLOSED
    ticket.save()
    assert (stored(acme), stored(wile)) == ((0, 2), (0, 1))

    ticket.customer, ticket.customer_user = globex, None
    ticket.save()
    assert (stored(acme), stored(globex), stored(wile)) == ((0, 1), (0, 1), (0, 0))

    ticket.delete()
    assert stored(globex) == (0, 0)


def test_merged_and_removed_tickets_count_as_neither(acme):
    make_ticket(acme, title="t", state=TicketState.MERGED)
    make_ticket(acme, title="t", state=TicketState.REMOVED)
    assert stored(acme) == (0, 0)


def test_queryset_writes_keep_the_counts(acme, globex):
    tickets = Ticket.objects.bulk_create([build_ticket(acme, f"t{n}", number=f"N{n}", state=OPEN) for n in range(4)])
    assert stored(acme) == (4, 0)

    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(state=CLOSED)
    assert stored(acme) == (2, 2)

    Ticket.objects.filter(pk=tickets[2].pk).update(customer=globex)
    assert (stored(acme), stored(globex)) == ((1, 2), (1, 0))

    tickets[3].customer = globex
    Ticket.objects.bulk_update([tickets[3]], ["customer"])
    assert (stored(acme), stored(globex)) == ((0, 2), (2, 0))

    Ticket.objects.filter(customer=globex).delete()
    assert stored(globex) == (0, 0)
    assert stored(acme) == counted(acme)


def test_writes_that_touch_no_counted_field_cost_no_recount(acme, django_assert_num_queries):
    make_ticket(acme, title="t", state=OPEN)
    with django_assert_num_queries(1):
        Ticket.objects.filter(customer=acme).update(title="renamed")


def test_a_read_only_sources_records_get_their_counts_too(acme):
    sources = {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource"},
    }
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        with get_data_source("directory").writing():
            directory = make_customer("DIR", "Dir", data_source="directory")
        make_ticket(directory, title="t", state=OPEN)
        assert stored(directory) == (1, 0)


def test_the_demo_data_and_a_full_recount_agree():
    call_command("load_demo_data", customers=8, customer_users=20, tickets=300, verbosity=0)
    stored_counts = {c.pk: (c.open_ticket_count, c.closed_ticket_count) for c in Customer.objects.all()}
    assert all(stored_counts[c.pk] == counted(c) for c in Customer.objects.all())
    assert sum(opened + closed for opened, closed in stored_counts.values()) > 0

    Customer.objects.filter(pk=min(stored_counts)).update(name="Renamed")  # no counter is touched
    Customer._base_manager.update(open_ticket_count=0, closed_ticket_count=0)
    recount_tickets()
    assert {c.pk: (c.open_ticket_count, c.closed_ticket_count) for c in Customer.objects.all()} == stored_counts


def test_the_customer_list_sorts_by_the_stored_counts(admin_client, acme, globex):
    for _ in range(3):
        make_ticket(globex, title="t", state=OPEN)
    page = document(admin_client.get("/admin/otrs_customer_admin/customer/?o=-6"))
    rows = elements(element(page, "table", id="result_list"), "tr", class_="data-row")  # unfold: a tbody per row
    shown = [next(text(cell) for cell in elements(row) if text(cell) in ("ACME", "GLOBEX")) for row in rows]
    assert shown == ["GLOBEX", "ACME"]


def test_the_recount_for_raw_sql_is_where_the_docs_name_it():
    # docs/models.md tells site builders which function to call after writing tickets with raw SQL.
    docs = (Path(__file__).resolve().parent.parent / "docs" / "models.md").read_text(encoding="utf-8")
    named = re.search(r"`(otrs_customer_admin\.models\.\w+)\(\)` recounts", docs).group(1)
    assert import_string(named) is recount_tickets
