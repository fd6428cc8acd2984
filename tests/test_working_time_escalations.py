"""Escalations counted in the working time of the SLA's calendar (as OTRS's ``TimeWorkingHours``
with an SLA's ``Calendar``), stored on the tickets and recomputed in bulk when a calendar or an
SLA changes: by the model, by ``manage.py recompute_escalations`` and as a job.

The worked examples give the OTRS settings they stand for; the arithmetic itself is tested in
``test_working_time.py``.
"""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otrs_customer_admin.jobs import runner, start_recompute
from otrs_customer_admin.models import SLA, Calendar, Deadline, Job, Ticket, TicketState
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")
# OTRS: TimeWorkingHours Mon..Fri => [8 .. 16] (each hour 8:00-16:59 a working hour).
OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_16 = datetime.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # a Friday
MONDAY = datetime.datetime(2026, 11, 30, tzinfo=UTC)


def at(day, hour, minute=0, zone=UTC):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


@pytest.fixture
def office():
    return Calendar.objects.create(name="Office", time_zone="UTC", working_hours=OFFICE_WEEK)


def sla_in(calendar, name="Office hours", **targets):
    values = {"first_response_time": None, "update_time": None, "solution_time": None, **targets}
    return SLA.objects.create(name=name, calendar=calendar, **values)


def test_a_solution_time_of_4_hours_from_friday_16_00_falls_due_on_monday_11_00(acme, office):
    # OTRS: TimeWorkingHours Mon-Fri 8-16, SLA SolutionTime 240: Friday 16:00 + 4 h -> Monday 11:00.
    sla = sla_in(office, solution_time=240)
    ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    assert ticket.escalation_at == at(MONDAY.date(), 11)
    assert ticket.escalation_deadline == Deadline.SOLUTION
    ticket.refresh_from_db()
    assert ticket.escalation_at == at(MONDAY.date(), 11)


def test_an_sla_without_a_calendar_counts_around_the_clock_as_before(acme):
    sla = sla_in(None, name="24/7", solution_time=240)
    ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    assert ticket.escalation_at == FRIDAY_16 + datetime.timedelta(hours=4)


def test_each_deadline_counts_in_the_calendar_and_the_earliest_escalates(acme, office):
    sla = sla_in(office, first_response_time=120, update_time=180, solution_time=660)
    ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    due = {deadline.deadline: deadline.due_at for deadline in ticket.sla_deadlines()}
    assert due == {
        Deadline.FIRST_RESPONSE: at(MONDAY.date(), 9),
        Deadline.UPDATE: at(MONDAY.date(), 10),
        Deadline.SOLUTION: at(MONDAY.date() + datetime.timedelta(days=1), 9),
    }
    assert (ticket.escalation_deadline, ticket.escalation_at) == (Deadline.FIRST_RESPONSE, at(MONDAY.date(), 9))


def test_a_ticket_of_a_calendar_in_new_york_on_a_utc_site(acme, settings):
    # OTRS: TimeZone::Calendar1 America/New_York, TimeWorkingHours::Calendar1 Mon-Fri 9-16.
    settings.TIME_ZONE = "UTC"
    new_york = Calendar.objects.create(
        name="New York", time_zone="America/New_York", working_hours={day: "09:00-17:00" for day in OFFICE_WEEK}
    )
    sla = sla_in(new_york, solution_time=60)
    # Monday 13:30 UTC is 8:30 in New York (EST): the clock starts at 9:00 there, 14:00 UTC.
    ticket = make_ticket(acme, sla=sla, created_at=at(MONDAY.date(), 13, 30))
    assert ticket.escalation_at == at(MONDAY.date(), 15)


def test_time_spent_pending_over_a_weekend_does_not_count(acme, office):
    # The update clock started on Friday at 15:00, ran one working hour, and the ticket was
    # pending from 16:00 until the customer answered on Saturday at 10:00: one hour of the two
    # is left, and it runs from Monday 8:00.
    sla = sla_in(office, update_time=120)
    ticket = make_ticket(acme, sla=sla, created_at=at(FRIDAY_16.date(), 15), state=TicketState.OPEN)
    assert ticket.escalation_at == at(FRIDAY_16.date(), 17)  # 15:00 + 2 h
    ticket.state, ticket.pending_until = TicketState.PENDING_REMINDER, at(MONDAY.date(), 12)
    ticket.track_state_change(TicketState.OPEN, FRIDAY_16)
    assert ticket.pending_since == FRIDAY_16
    ticket.state = TicketState.OPEN
    ticket.track_state_change(TicketState.PENDING_REMINDER, at(FRIDAY_16.date() + datetime.timedelta(days=1), 10))
    ticket.compute_escalation()
    assert ticket.escalation_at == at(MONDAY.date(), 9)
    # Around the clock the same pause moves the deadline by the 18 hours it lasted.
    around = make_ticket(acme, sla=sla_in(None, name="24/7", update_time=120), created_at=at(FRIDAY_16.date(), 15))
    around.state, around.pending_until = TicketState.PENDING_REMINDER, at(MONDAY.date(), 12)
    around.track_state_change(TicketState.OPEN, FRIDAY_16)
    around.state = TicketState.OPEN
    around.track_state_change(TicketState.PENDING_REMINDER, at(FRIDAY_16.date() + datetime.timedelta(days=1), 10))
    around.compute_escalation()
    assert around.escalation_at == at(FRIDAY_16.date() + datetime.timedelta(days=1), 11)


def test_a_changed_calendar_gives_the_open_tickets_of_its_slas_new_deadlines(acme, office):
    sla = sla_in(office, solution_time=240)
    other = sla_in(None, name="24/7", solution_time=240)
    open_ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    closed = make_ticket(acme, sla=sla, created_at=FRIDAY_16, state=TicketState.CLOSED_SUCCESSFUL)
    around = make_ticket(acme, sla=other, created_at=FRIDAY_16)
    office.working_hours = {**OFFICE_WEEK, "sat": "09:00-13:00"}
    office.save()
    open_ticket.refresh_from_db()
    # Friday 16:00-17:00, then Saturday 9:00-12:00.
    assert open_ticket.escalation_at == at(FRIDAY_16.date() + datetime.timedelta(days=1), 12)
    closed.refresh_from_db()
    assert closed.escalation_at is None
    around.refresh_from_db()
    assert around.escalation_at == FRIDAY_16 + datetime.timedelta(hours=4)


def test_a_holiday_added_to_the_calendar_moves_the_deadlines(acme, office):
    sla = sla_in(office, solution_time=240)
    ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    office.holidays = ["2026-11-30"]  # that Monday, once
    office.save()
    ticket.refresh_from_db()
    assert ticket.escalation_at == at(MONDAY.date() + datetime.timedelta(days=1), 11)


def test_giving_an_sla_a_calendar_recomputes_its_open_tickets(acme, office):
    sla = sla_in(None, name="Gold", solution_time=240)
    ticket = make_ticket(acme, sla=sla, created_at=FRIDAY_16)
    assert ticket.escalation_at == FRIDAY_16 + datetime.timedelta(hours=4)
    sla.calendar = office
    sla.save()
    ticket.refresh_from_db()
    assert ticket.escalation_at == at(MONDAY.date(), 11)


def test_an_sla_cannot_be_given_an_invalid_calendar(office):
    office.valid = 2
    office.save()
    sla = SLA(name="Gold", solution_time=60, calendar=office)
    with pytest.raises(Exception) as refused:
        sla.full_clean()
    assert "Office is not valid" in str(refused.value)


def test_a_calendar_valid_slas_count_in_cannot_be_set_invalid(office):
    sla_in(office, name="Gold", solution_time=60)
    office.valid = 2
    with pytest.raises(Exception) as refused:
        office.full_clean()
    assert "Gold" in str(refused.value)


def test_the_recompute_writes_only_what_changes_and_its_queries_do_not_grow(acme, office):
    sla = sla_in(office, solution_time=240)
    tickets = [make_ticket(acme, sla=sla, created_at=FRIDAY_16) for _ in range(40)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:10]]).update(escalation_at=None, escalation_deadline="")
    assert Ticket.objects.recompute_escalations(batch_size=7) == 10
    assert set(Ticket.objects.values_list("escalation_at", flat=True)) == {at(MONDAY.date(), 11)}
    queries = []
    for count in (5, 40):
        Ticket.objects.update(escalation_at=None, escalation_deadline="")
        with CaptureQueriesContext(connection) as captured:
            changed = Ticket.objects.filter(pk__in=[t.pk for t in tickets[:count]]).recompute_escalations()
        assert changed == count
        queries.append(len(captured))
    assert queries[0] == queries[1]


def test_the_command_recomputes_the_open_tickets_of_one_sla_or_all(acme, office):
    gold, silver = sla_in(office, name="Gold", solution_time=240), sla_in(office, name="Silver", solution_time=180)
    gold_ticket = make_ticket(acme, sla=gold, created_at=FRIDAY_16)
    silver_ticket = make_ticket(acme, sla=silver, created_at=FRIDAY_16)
    # Changed without the model's save (a database restore, a script): the stored deadlines are stale.
    Calendar.objects.filter(pk=office.pk).update(working_hours={**OFFICE_WEEK, "fri": "08:00-18:00"})
    out = io.StringIO()
    call_command("recompute_escalations", "--sla", "gold", stdout=out)
    assert "1 open ticket checked, 1 with new deadlines." in out.getvalue()
    gold_ticket.refresh_from_db(), silver_ticket.refresh_from_db()
    assert gold_ticket.escalation_at == at(MONDAY.date(), 10)
    assert silver_ticket.escalation_at == at(MONDAY.date(), 10)  # not recomputed yet
    out = io.StringIO()
    call_command("recompute_escalations", stdout=out)
    assert "2 open tickets checked, 1 with new deadlines." in out.getvalue()
    silver_ticket.refresh_from_db()
    assert silver_ticket.escalation_at == at(MONDAY.date(), 9)  # Friday 16:00-18:00, then Monday 8:00-9:00


def test_the_command_names_an_unknown_sla_and_the_known_ones(office):
    sla_in(office, name="Gold", solution_time=60)
    with pytest.raises(CommandError, match=r"There is no SLA named Platinum.*Gold"):
        call_command("recompute_escalations", "--sla", "Platinum")
    # An empty name (an unset shell variable) is refused, never taken for "every SLA".
    with pytest.raises(CommandError, match=r"There is no SLA named  \(there are: Gold\)"):
        call_command("recompute_escalations", "--sla", "")
    # A name that was not UTF-8 on the command line (a surrogate escape) is a name no SLA has.
    with pytest.raises(CommandError, match=r"There is no calendar named"):
        call_command("recompute_escalations", "--calendar", "Caf\udce9")


def test_an_sla_target_is_at_most_a_year_and_a_larger_stored_one_gives_no_deadline(acme, office):
    sla = SLA(name="Forever", solution_time=365 * 24 * 60 + 1, calendar=office)
    with pytest.raises(ValidationError) as refused:
        sla.full_clean()
    assert "solution_time" in refused.value.message_dict
    # Written around the model's validation: the ticket gets no deadline, and no error page.
    SLA.objects.bulk_create([sla])
    sla = SLA.objects.get(name="Forever")
    SLA.objects.filter(pk=sla.pk).update(solution_time=2_000_000_000)
    ticket = make_ticket(acme, sla=SLA.objects.get(pk=sla.pk), created_at=FRIDAY_16)
    assert ticket.escalation_at is None
    assert Ticket.objects.recompute_escalations() == 0


@pytest.mark.django_db(transaction=True)
def test_the_recompute_runs_as_a_job(acme, admin_user, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    office = Calendar.objects.create(name="Office", time_zone="UTC", working_hours=OFFICE_WEEK)
    sla = sla_in(office, solution_time=240)
    tickets = [make_ticket(acme, sla=sla, created_at=FRIDAY_16) for _ in range(3)]
    Calendar.objects.filter(pk=office.pk).update(holidays=["11-30"])
    job = start_recompute(admin_user, calendar=office)
    runner.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.message
    assert job.message == "3 open tickets checked, 3 with new deadlines."
    assert job.rows_checked == 3
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.escalation_at == at(MONDAY.date() + datetime.timedelta(days=1), 11)


def test_a_calendar_stored_around_its_validation_counts_around_the_clock_not_an_error_page(acme, office, admin_client):
    sla = sla_in(office, solution_time=240)
    Calendar.objects.filter(pk=office.pk).update(working_hours={"mon": "17:00-08:00"})
    ticket = make_ticket(acme, sla=SLA.objects.get(pk=sla.pk), created_at=FRIDAY_16)
    assert ticket.escalation_at == FRIDAY_16 + datetime.timedelta(hours=4)
    Calendar.objects.filter(pk=office.pk).update(working_hours=OFFICE_WEEK, time_zone="Europe")
    assert Ticket.objects.recompute_escalations() == 0  # the same clock: around it
    page = admin_client.get(ticket.get_absolute_url())
    assert page.status_code == 200


def test_the_earliest_deadline_alone_is_the_earliest_of_all_deadlines(office):
    """What save() and the recompute store (only the shorter of first response and solution
    added) is what the earliest of every running deadline would be, across states and clocks."""
    import random

    from otrs_customer_admin.models.ticket import escalation_of, running_deadlines
    from otrs_customer_admin.working_time import AROUND_THE_CLOCK

    rng = random.Random(22)
    states = [state.value for state in TicketState]
    for _ in range(2000):
        clock = rng.choice([office.hours, AROUND_THE_CLOCK])
        targets = tuple(rng.choice([None, 0, 30, 60, 240, 241, 600, 5000]) for _ in range(3))
        created = FRIDAY_16 + datetime.timedelta(minutes=rng.randrange(20000))
        later = created + datetime.timedelta(minutes=rng.randrange(3000))
        inputs = (
            rng.choice(states),
            created,
            rng.choice([None, later]),
            rng.choice([None, later]),
            rng.choice([None, later]),
            rng.choice([None, later]),
        )
        assert escalation_of(running_deadlines(targets, clock, *inputs, earliest_only=True)) == escalation_of(
            running_deadlines(targets, clock, *inputs)
        )
