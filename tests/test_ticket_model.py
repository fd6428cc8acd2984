"""Ticket states, escalation and reminders as OTRS computes them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otrs_customer_admin.models import (
    CLOSED_STATES,
    OPEN_STATES,
    SLA,
    Deadline,
    StateType,
    Ticket,
    TicketState,
)
from tests.factories import build_ticket, make_customer, make_customer_user, make_sla, make_ticket

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def sla():
    return make_sla()


def test_states_and_state_types_are_otrs_s():
    assert [state.value for state in TicketState] == [
        "new",
        "open",
        "pending reminder",
        "pending auto close+",
        "pending auto close-",
        "closed successful",
        "closed unsuccessful",
        "merged",
        "removed",
    ]
    assert OPEN_STATES == ["new", "open", "pending reminder", "pending auto close+", "pending auto close-"]
    assert CLOSED_STATES == ["closed successful", "closed unsuccessful"]


def test_merged_and_removed_are_neither_open_nor_closed(acme):
    for state in TicketState:
        make_ticket(acme, state=state, pending_until=timezone.now())
    assert Ticket.objects.open().count() == 5
    assert Ticket.objects.closed().count() == 2
    merged = Ticket.objects.get(state=TicketState.MERGED)
    assert merged.state_type == StateType.MERGED
    assert not merged.is_open


def test_numbers_are_date_based_and_count_up(acme):
    first, second = make_ticket(acme), make_ticket(acme)
    today = timezone.localtime().strftime("%Y%m%d")
    assert first.number == f"{today}00000001"
    assert second.number == f"{today}00000002"


def test_without_sla_nothing_escalates(acme):
    assert make_ticket(acme, created_at=timezone.now() - 100 * HOUR).escalation_at is None


def test_earliest_unmet_deadline_is_the_first_response(acme, sla):
    created = timezone.now() - 2 * HOUR
    t = make_ticket(acme, sla=sla, created_at=created)
    assert t.escalation_at == created + timedelta(minutes=60)
    assert t.escalation_deadline == Deadline.FIRST_RESPONSE
    assert t.is_escalated()
    assert list(Ticket.objects.escalated()) == [t]


def test_a_first_response_moves_escalation_to_the_update_deadline(acme, sla):
    created = timezone.now() - 2 * HOUR
    t = make_ticket(acme, sla=sla, created_at=created)
    t.first_response_at = created + timedelta(minutes=30)
    t.last_update_at = created + timedelta(minutes=30)
    t.save()
    assert t.escalation_deadline == Deadline.UPDATE
    assert t.escalation_at == created + timedelta(minutes=30 + 120)
    assert not t.is_escalated()


def test_solution_deadline_when_it_is_the_earliest(acme):
    sla = SLA.objects.create(name="Solve fast", first_response_time=600, solution_time=30)
    created = timezone.now()
    t = make_ticket(acme, sla=sla, created_at=created)
    assert (t.escalation_deadline, t.escalation_at) == (Deadline.SOLUTION, created + timedelta(minutes=30))


def test_a_pending_ticket_s_update_clock_does_not_run(acme):
    sla = SLA.objects.create(name="Updates only", update_time=60)
    created = timezone.now() - 3 * HOUR
    t = make_ticket(acme, sla=sla, created_at=created, state=TicketState.PENDING_REMINDER, pending_until=timezone.now())
    # Pending: the update deadline (created + 1h) has passed, yet nothing escalates.
    assert t.escalation_at is None
    assert not Ticket.objects.escalated().exists()


def test_time_spent_pending_does_not_count_against_the_update_deadline(acme):
    sla = SLA.objects.create(name="Updates only", update_time=60)
    created = timezone.now() - 3 * HOUR
    t = make_ticket(acme, sla=sla, created_at=created, state=TicketState.OPEN)
    assert t.escalation_at == created + HOUR
    t.state = TicketState.PENDING_AUTO_CLOSE_PLUS
    t.pending_until = timezone.now() + HOUR
    t.save()
    assert t.escalation_at is None
    # It went pending 30 minutes after creation and stayed so for two hours.
    t.pending_since = created + timedelta(minutes=30)
    Ticket.objects.filter(pk=t.pk).update(pending_since=t.pending_since)
    t.state = TicketState.OPEN
    t.save()
    paused = t.update_clock_from - created
    assert abs(paused - timedelta(minutes=150)) < timedelta(seconds=5)
    assert t.escalation_at == t.update_clock_from + HOUR
    assert not t.is_escalated()
    assert t.pending_until is None


def test_a_ticket_closed_after_its_deadline_no_longer_escalates(acme, sla):
    t = make_ticket(acme, sla=sla, created_at=timezone.now() - 10 * HOUR)
    assert t.is_escalated()
    t.state = TicketState.CLOSED_UNSUCCESSFUL
    t.save()
    assert t.escalation_at is None and t.escalation_deadline == ""
    assert t.closed_at is not None
    assert not Ticket.objects.escalated().exists()


@pytest.mark.parametrize("state", [TicketState.MERGED, TicketState.REMOVED, TicketState.CLOSED_SUCCESSFUL])
def test_closed_merged_and_removed_tickets_never_escalate(acme, sla, state):
    assert make_ticket(acme, sla=sla, created_at=timezone.now() - 10 * HOUR, state=state).escalation_at is None


def test_a_reopened_ticket_has_met_its_solution_target(acme):
    sla = SLA.objects.create(name="Solution only", solution_time=60)
    t = make_ticket(acme, sla=sla, created_at=timezone.now() - 10 * HOUR, state=TicketState.CLOSED_SUCCESSFUL)
    t.state = TicketState.OPEN
    t.save()
    assert t.escalation_at is None


def test_changing_the_sla_recomputes_its_tickets(acme, sla):
    created = timezone.now() - 2 * HOUR
    t = make_ticket(acme, sla=sla, created_at=created)
    closed = make_ticket(acme, sla=sla, created_at=created, state=TicketState.CLOSED_SUCCESSFUL)
    assert t.escalation_at == created + timedelta(minutes=60)
    sla.first_response_time = 30
    sla.save()
    t.refresh_from_db()
    assert t.escalation_at == created + timedelta(minutes=30)
    closed.refresh_from_db()
    assert closed.escalation_at is None


def test_recompute_escalations_batches_updates(acme, sla):
    """The queries of a recompute do not grow with the tickets of a batch."""
    created = timezone.now() - 2 * HOUR
    queries = []
    for count in (30, 90):
        for _ in range(count - Ticket.objects.count()):
            make_ticket(acme, sla=sla, created_at=created)
        Ticket.objects.update(escalation_at=None, escalation_deadline="")
        with CaptureQueriesContext(connection) as captured:
            assert Ticket.objects.recompute_escalations(batch_size=1000) == count
        queries.append(len(captured))
        assert Ticket.objects.escalated().count() == count
    assert queries[0] == queries[1]


def test_pending_states_need_a_pending_time(acme):
    t = build_ticket(acme, "x", state=TicketState.PENDING_REMINDER)
    with pytest.raises(ValidationError) as caught:
        t.full_clean()
    assert "pending_until" in caught.value.message_dict


def test_customer_user_must_belong_to_the_ticket_s_customer(acme):
    stranger = make_customer_user(make_customer("OTHER", "Other", country="FR"), "s", "S", "T")
    t = build_ticket(acme, "x", customer_user=stranger)
    with pytest.raises(ValidationError) as caught:
        t.full_clean()
    assert "customer_user" in caught.value.message_dict


@override_settings(OTRS_CUSTOMER_ADMIN={"REMINDER_WINDOW": timedelta(hours=2)})
def test_reminders_are_due_when_passed_or_within_the_window_at_its_edges(acme):
    now = timezone.now()
    minute = timedelta(minutes=1)
    window = timedelta(hours=2)
    due = {
        "passed": now - HOUR,
        "exactly now": now,
        "inside the window": now + HOUR,
        "at the window's edge": now + window,
    }
    not_due = {"a minute after the window": now + window + minute}
    for title, until in {**due, **not_due}.items():
        make_ticket(acme, title=title, state=TicketState.PENDING_REMINDER, pending_until=until)
    make_ticket(acme, title="auto close, passed", state=TicketState.PENDING_AUTO_CLOSE_MINUS, pending_until=now - HOUR)
    assert set(Ticket.objects.reminders_due(now=now).values_list("title", flat=True)) == set(due)


def test_escalated_at_its_edges(acme):
    sla = SLA.objects.create(name="One hour", first_response_time=60)
    now = timezone.now()
    minute = timedelta(minutes=1)
    for title, created in {"due now": now - HOUR, "overdue a minute": now - HOUR - minute}.items():
        make_ticket(acme, sla=sla, title=title, created_at=created)
    make_ticket(acme, sla=sla, title="due in a minute", created_at=now - HOUR + minute)
    assert set(Ticket.objects.escalated(now=now).values_list("title", flat=True)) == {"due now", "overdue a minute"}


def test_the_customer_widget_queries_use_indexes(acme, sla):
    """Open, escalated and pending lookups of one customer are index scans, not table scans."""
    make_ticket(acme, sla=sla)
    queries = {
        "open": Ticket.objects.filter(customer=acme).open(),
        "escalated": Ticket.objects.filter(customer=acme).escalated(),
        "reminders": Ticket.objects.filter(customer=acme).reminders_due(),
    }
    for name, queryset in queries.items():
        plan = explain(queryset)
        assert "otrs_ticket_" in plan, f"{name}: {plan}"
        assert "Seq Scan" not in plan and "SCAN otrs_customer_admin_ticket\n" not in plan + "\n", f"{name}: {plan}"


def explain(queryset):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
    return queryset.explain()
