"""Deadlines on the screen in the SLA's working time: the ticket detail view and the Escalations
widget say "due in" / "overdue by" counted in the calendar's working hours, show the wall-clock
deadline beside it (in the site's time zone, Europe/Berlin in the tests) and name the calendar;
an SLA without one counts around the clock and says so. The ticket list says the same in its
Escalation column. None of it costs a query per ticket.

The worked example is OTRS's: ``TimeWorkingHours`` Mon-Fri ``8 9 10 11 12 13 14 15 16`` (8:00 to
17:00), a solution time of 240 minutes, a ticket opened on Friday at 16:00: due Monday 11:00.
The pages measure from one instant, ``timezone.now()`` in their modules; the tests fix it.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from otrs_customer_admin.admin import ticket as ticket_admin
from otrs_customer_admin.admin.mixins import ticket_detail
from otrs_customer_admin.conf import settings
from otrs_customer_admin.models import Calendar, Ticket, TicketState
from otrs_customer_admin.widgets import builtin
from tests.factories import make_customer, make_sla, make_ticket
from tests.markup import attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY_16 = datetime(2026, 3, 6, 16, 0, tzinfo=BERLIN)
MONDAY_11 = datetime(2026, 3, 9, 11, 0, tzinfo=BERLIN)
HOUR, MINUTE, DAY = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
# An Arabic name: shown isolated, so that it does not reorder the text around it.
RTL_NAME = "ساعات العمل"
PAYLOAD = '<script>alert("x")</script>'


class FixedClock:
    now_value = None

    @classmethod
    def now(cls):
        return cls.now_value


@pytest.fixture
def clock(monkeypatch):
    """Sets the instant the detail view and the widgets measure from: ``clock(moment)``."""
    monkeypatch.setattr(ticket_detail, "timezone", FixedClock)
    monkeypatch.setattr(builtin, "timezone", FixedClock)
    monkeypatch.setattr(ticket_admin, "timezone", FixedClock)

    def set_now(moment):
        FixedClock.now_value = moment

    return set_now


def make_calendar(name="Office hours", **fields):
    values = {"time_zone": "Europe/Berlin", "working_hours": OFFICE_WEEK, **fields}
    calendar = Calendar(name=name, **values)
    calendar.full_clean()
    calendar.save()
    return calendar


@pytest.fixture
def office():
    """OTRS: TimeWorkingHours Mon-Fri 8 9 10 11 12 13 14 15 16, TimeZone Europe/Berlin."""
    return make_calendar()


@pytest.fixture
def office_sla(office):
    """Solution within 4 hours of working time, first response within 30 minutes."""
    return make_sla("Office", first_response_time=30, update_time=None, solution_time=240, calendar=office)


@pytest.fixture
def friday_ticket(acme, office_sla):
    """Opened on Friday at 16:00: first response due Friday 16:30, solution Monday 11:00."""
    return make_ticket(acme, title="Friday's ticket", sla=office_sla, state=TicketState.OPEN, created_at=FRIDAY_16)


def detail(client, ticket):
    response = client.get(reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200, response.status_code
    return document(response)


def deadline_rows(page):
    """The SLA table: ``{deadline: (status text, (datetime, shown due time))}``."""
    rows = elements(element(page, "table", class_="otrs-deadlines"), "tr", data_deadline=True)
    result = {}
    for row in rows:
        due = elements(elements(row, "td")[1], "time")
        result[attribute(row, "data-deadline")] = (
            text(element(row, "td", class_="otrs-deadline-status")),
            (attribute(due[0], "datetime"), text(due[0])) if due else None,
        )
    return result


def shown(moment):
    """A moment as the pages show it: ``<time datetime>`` and the short form, in the site's zone."""
    local = timezone.localtime(moment)
    return local.isoformat(), formats.date_format(local, "SHORT_DATETIME_FORMAT")


def clock_line(page):
    return element(page, "p", class_="otrs-ticket-clock")


def escalation_rows(client, customer):
    """The Escalations widget's rows: ``{ticket number: (status, (datetime, shown), calendar)}``."""
    page = document(client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[customer.pk])))
    widget = element(page, "section", data_widget="escalations")
    result = {}
    for row in elements(widget, "tr", data_ticket=True):
        cell = element(row, "td", class_="otrs-overdue")
        due = element(cell, "time")
        result[attribute(row, "data-ticket")] = (
            text(element(cell, "span", class_="otrs-due-status")),
            (attribute(due, "datetime"), text(due)),
            text(element(cell, "span", class_="otrs-clock")),
        )
    return result


# --- the ticket detail view -------------------------------------------------------------------


def test_friday_16_00_plus_4_working_hours_is_due_monday_11_00(admin_client, friday_ticket, clock):
    clock(FRIDAY_16 + 20 * MINUTE)
    page = detail(admin_client, friday_ticket)
    rows = deadline_rows(page)
    # 40 minutes on Friday and 3 hours on Monday morning, the weekend not counted.
    assert rows["solution"] == ("due in 3 hours, 40 minutes (working time)", shown(MONDAY_11))
    assert rows["response"] == ("due in 10 minutes (working time)", shown(FRIDAY_16 + 30 * MINUTE))
    # The calendar is named, with its working week and time zone.
    line = clock_line(page)
    assert attribute(line, "data-calendar") == str(friday_ticket.sla.calendar_id)
    assert text(line) == (
        "Deadlines count in the working time of the calendar Office hours (Europe/Berlin): "
        "Mon\N{EN DASH}Fri 08:00-17:00"
    )


def test_overdue_by_working_time_with_the_wall_clock_deadline_beside(admin_client, friday_ticket, clock):
    clock(MONDAY_11 + HOUR + 15 * MINUTE)
    page = detail(admin_client, friday_ticket)
    rows = deadline_rows(page)
    assert rows["solution"] == ("overdue by 1 hour, 15 minutes (working time)", shown(MONDAY_11))
    # Due on Friday at 16:30: the 68 hours since count 4 hours, 45 minutes of working time.
    assert rows["response"] == ("overdue by 4 hours, 45 minutes (working time)", shown(FRIDAY_16 + 30 * MINUTE))


def test_working_time_is_told_in_hours_not_days_of_24_hours(admin_client, friday_ticket, clock):
    # A week later: five working days of 9 hours, not "1 week".
    clock(MONDAY_11 + 7 * DAY)
    rows = deadline_rows(detail(admin_client, friday_ticket))
    assert rows["solution"][0] == "overdue by 45 hours (working time)"


def test_a_target_met_late_is_late_by_working_time(admin_client, friday_ticket, clock):
    friday_ticket.first_response_at = datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)
    friday_ticket.save()
    clock(MONDAY_11 - HOUR)
    rows = deadline_rows(detail(admin_client, friday_ticket))
    # Due Friday 16:30, met Monday 9:00: half an hour on Friday, an hour on Monday.
    assert rows["response"][0] == "met, 1 hour, 30 minutes late (working time)"


def test_a_target_met_outside_working_time_after_it_fell_due_is_met_in_time(admin_client, acme, office_sla, clock):
    # Opened Friday 16:30, first response due at 17:00, given on Saturday: no working time late.
    ticket = make_ticket(acme, sla=office_sla, state=TicketState.OPEN, created_at=FRIDAY_16 + 30 * MINUTE)
    ticket.first_response_at = datetime(2026, 3, 7, 10, 0, tzinfo=BERLIN)
    ticket.save()
    clock(MONDAY_11 - HOUR)
    assert deadline_rows(detail(admin_client, ticket))["response"][0] == "met in time"


def test_the_ticket_page_and_the_calendar_list_show_one_week_line(admin_client, acme, clock):
    weeks = {
        "Shop": {**OFFICE_WEEK, "fri": "08:00-12:00", "sat": "09:00-12:00"},
        "Idle": {},
        "Broken": {"mon": "17:00-08:00"},  # stored around the form's checks
    }
    tickets = {}
    for name, hours in weeks.items():
        calendar = make_calendar(name)
        sla = make_sla(name, first_response_time=None, update_time=None, solution_time=None, calendar=calendar)
        tickets[name] = make_ticket(acme, sla=sla, state=TicketState.OPEN, created_at=FRIDAY_16)
        Calendar.objects.filter(pk=calendar.pk).update(working_hours=hours)
    listed = document(admin_client.get(reverse("admin:otrs_customer_admin_calendar_changelist")))
    lines = {text(element(row, "a")): text(elements(row, "td")[2]) for row in elements(listed, "tr")[1:]}
    assert lines == {
        "Shop": "Mon\N{EN DASH}Thu 08:00-17:00; Fri 08:00-12:00; Sat 09:00-12:00",
        "Idle": "No working time",
        "Broken": "Working hours with errors",
    }
    clock(FRIDAY_16)
    for name in ("Shop", "Idle"):  # a ticket of the broken calendar cannot count its deadlines
        ticket = tickets[name]
        assert (
            text(element(clock_line(detail(admin_client, ticket)), "span", class_="otrs-working-week")) == lines[name]
        )


def test_a_calendar_in_new_york_shows_its_deadlines_in_the_sites_time_zone(admin_client, acme, clock):
    new_york = make_calendar(
        "New York office", time_zone="America/New_York", working_hours={"fri": "9-17", "mon": "9-17"}
    )
    sla = make_sla("NY", first_response_time=None, update_time=None, solution_time=240, calendar=new_york)
    created = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)
    ticket = make_ticket(acme, sla=sla, state=TicketState.OPEN, created_at=created)
    clock(created)
    page = detail(admin_client, ticket)
    # One hour on Friday, three on Monday (9:00-12:00 in New York: 17:00 in Berlin, clocks in the
    # USA having gone forward on Sunday, Europe's not yet).
    due = datetime(2026, 3, 9, 12, 0, tzinfo=NEW_YORK)
    assert deadline_rows(page)["solution"] == ("due in 4 hours (working time)", shown(due))
    assert timezone.localtime(due).hour == 17
    assert "(America/New_York)" in text(clock_line(page))


def test_around_the_clock_names_no_calendar(admin_client, acme, clock):
    sla = make_sla("Wall clock", first_response_time=None, update_time=None, solution_time=240)
    ticket = make_ticket(acme, sla=sla, state=TicketState.OPEN, created_at=FRIDAY_16)
    clock(FRIDAY_16 + HOUR)
    page = detail(admin_client, ticket)
    assert deadline_rows(page)["solution"] == ("due in 3 hours", shown(FRIDAY_16 + 4 * HOUR))
    assert text(clock_line(page)) == "Deadlines count around the clock (no calendar)."
    assert attribute(clock_line(page), "data-calendar") == ""
    assert "working time" not in text(element(page, "section", data_section="sla"))


def test_the_calendar_name_is_escaped_and_isolated(admin_client, acme, clock):
    hostile = make_sla("S", solution_time=240, calendar=make_calendar(PAYLOAD))
    arabic = make_sla("A", solution_time=240, calendar=make_calendar(RTL_NAME))
    clock(FRIDAY_16)
    for sla, name in ((hostile, PAYLOAD), (arabic, RTL_NAME)):
        ticket = make_ticket(acme, sla=sla, state=TicketState.OPEN, created_at=FRIDAY_16 - 3 * DAY)
        response = admin_client.get(reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]))
        assert "<script>alert" not in response.content.decode()
        line = clock_line(document(response))
        assert text(element(line, "bdi")) == name
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])))
    names = [text(element(cell, "bdi")) for cell in elements(page, "span", class_="otrs-clock")]
    assert sorted(names) == sorted([PAYLOAD, RTL_NAME])


def test_the_detail_view_runs_the_same_queries_with_and_without_a_calendar(
    admin_client, acme, friday_ticket, clock, django_assert_num_queries
):
    clock(MONDAY_11)
    wall_clock = make_ticket(acme, sla=make_sla("Wall clock"), state=TicketState.OPEN, created_at=FRIDAY_16)
    detail(admin_client, wall_clock)  # warm the caches
    with django_assert_num_queries(3) as around_the_clock:  # session, user, the ticket with all it shows
        detail(admin_client, wall_clock)
    with django_assert_num_queries(len(around_the_clock)):
        detail(admin_client, friday_ticket)


# --- the Escalations widget ------------------------------------------------------------------------


def test_the_escalations_widget_tells_overdue_in_working_time_and_names_the_calendar(
    admin_client, acme, friday_ticket, clock
):
    wall_clock = make_sla("Wall clock", first_response_time=None, update_time=None, solution_time=240)
    around = make_ticket(acme, title="around", sla=wall_clock, state=TicketState.OPEN, created_at=FRIDAY_16)
    clock(MONDAY_11 + HOUR + 15 * MINUTE)
    rows = escalation_rows(admin_client, acme)
    # The Friday ticket's current escalation is its first response, due Friday 16:30.
    assert rows[friday_ticket.number] == (
        "overdue by 4 hours, 45 minutes (working time)",
        shown(FRIDAY_16 + 30 * MINUTE),
        "Office hours",
    )
    # Around the clock: the weekend counts, and told in days.
    assert rows[around.number] == ("overdue by 2 days, 16 hours", shown(FRIDAY_16 + 4 * HOUR), "around the clock")


def test_a_ticket_not_yet_overdue_in_working_time_is_not_in_the_widget(admin_client, friday_ticket, acme, clock):
    # Saturday: around the clock the solution would be overdue; in working time it is due Monday.
    friday_ticket.first_response_at = FRIDAY_16 + 10 * MINUTE
    friday_ticket.save()
    clock(FRIDAY_16 + DAY)
    assert escalation_rows(admin_client, acme) == {}
    assert deadline_rows(detail(admin_client, friday_ticket))["solution"][0] == ("due in 3 hours (working time)")


def test_the_widget_costs_the_same_queries_for_one_ticket_and_for_many_over_several_calendars(
    admin_client, acme, clock, django_assert_num_queries
):
    clock(MONDAY_11 + 7 * DAY)
    solo = make_sla("Solo", calendar=make_calendar("Solo"))
    make_ticket(acme, sla=solo, state=TicketState.OPEN, created_at=FRIDAY_16)
    other = make_customer("OTHER", "Other Ltd")
    slas = [make_sla(f"SLA {i}", calendar=make_calendar(f"Calendar {i}")) for i in range(3)]
    slas.append(make_sla("Wall clock"))
    for i in range(12):
        make_ticket(other, sla=slas[i % 4], state=TicketState.OPEN, created_at=FRIDAY_16 - i * HOUR)
    one, many = (reverse("admin:otrs_customer_admin_customer_detail", args=[pk]) for pk in (acme.pk, other.pk))
    admin_client.get(one)  # warm the caches
    with CaptureQueriesContext(connection) as one_ticket:
        admin_client.get(one)
    with django_assert_num_queries(len(one_ticket)):
        assert admin_client.get(many).status_code == 200
    rows = escalation_rows(admin_client, other)
    assert len(rows) == settings.WIDGET_ROWS
    assert {calendar for _status, _due, calendar in rows.values()} == {
        "Calendar 0",
        "Calendar 1",
        "Calendar 2",
        "around the clock",
    }


def test_the_rows_of_one_calendar_share_its_working_time(acme, office_sla):
    from otrs_customer_admin.widgets.builtin import tell_escalations

    for hours in range(3):
        make_ticket(acme, sla=office_sla, state=TicketState.OPEN, created_at=FRIDAY_16 - hours * HOUR)
    tickets = list(Ticket.objects.select_related("sla__calendar"))
    assert len({id(ticket.sla.calendar) for ticket in tickets}) == 3  # one instance a row
    tell_escalations(tickets, MONDAY_11)
    assert len({id(ticket.sla.calendar.hours) for ticket in tickets}) == 1
    assert {text(ticket.escalation_status) for ticket in tickets} == {
        "overdue by 3 hours, 30 minutes (working time)",
        "overdue by 4 hours, 30 minutes (working time)",
        "overdue by 5 hours, 30 minutes (working time)",
    }


# --- the ticket list ----------------------------------------------------------------------------


def escalation_column(client):
    """The ticket list's Escalation cells: ``{ticket number: text}``."""
    page = document(client.get(reverse("admin:otrs_customer_admin_ticket_changelist")))
    return {
        text(element(row, class_="field-number_link")): text(element(row, "td", class_="field-escalation"))
        for row in elements(element(page, "table", id="result_list"), "tr")
        if elements(row, "td", class_="field-escalation")
    }


def test_the_ticket_list_tells_overdue_in_working_time(admin_client, acme, friday_ticket, clock):
    around = make_ticket(acme, sla=make_sla("Wall clock", first_response_time=30), created_at=FRIDAY_16)
    clock(MONDAY_11 + HOUR + 15 * MINUTE)
    friday = formats.date_format(timezone.localtime(FRIDAY_16 + 30 * MINUTE), "SHORT_DATETIME_FORMAT")
    assert escalation_column(admin_client) == {
        friday_ticket.number: f"first response: {friday} (overdue by 4 hours, 45 minutes (working time))",
        around.number: f"first response: {friday} (overdue by 2 days, 19 hours)",
    }


def test_the_ticket_list_costs_the_same_queries_for_one_calendar_and_for_several(
    admin_client, acme, friday_ticket, clock, django_assert_num_queries
):
    clock(MONDAY_11)
    url = reverse("admin:otrs_customer_admin_ticket_changelist")
    admin_client.get(url)  # warm the caches
    with CaptureQueriesContext(connection) as one_calendar:
        admin_client.get(url)
    for i in range(3):
        sla = make_sla(f"SLA {i}", calendar=make_calendar(f"Calendar {i}"))
        make_ticket(acme, sla=sla, state=TicketState.OPEN, created_at=FRIDAY_16 - i * HOUR)
    with django_assert_num_queries(len(one_calendar)):
        assert admin_client.get(url).status_code == 200
