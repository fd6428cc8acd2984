"""The ticket detail view in a real Chromium: a customer's Escalations widget opens it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from otrs_customer_admin.models import TicketState
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket

pytestmark = pytest.mark.e2e


def expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def printer():
    """Acme's escalated ticket: Jane's, on Gold, its solution overdue for three days."""
    acme = make_customer(street="Main Street 1", zip="10115", city="Berlin")
    jane = make_customer_user(acme, email="jane@acme.example")
    gold = make_sla("Gold", first_response_time=60, update_time=240, solution_time=480)
    created = timezone.now() - timedelta(days=3, hours=8)
    return make_ticket(
        acme,
        title="Printer on fire",
        customer_user=jane,
        sla=gold,
        state=TicketState.OPEN,
        priority=4,
        created_at=created,
        first_response_at=created + timedelta(minutes=20),
        last_update_at=timezone.now() - timedelta(hours=1),
    )


def test_the_escalations_widget_opens_the_ticket_detail_view(logged_in_page, live_server, printer, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customer/{printer.customer.pk}/detail/")
    row = page.locator(f'section[data-widget="escalations"] tr[data-ticket="{printer.number}"]')
    row.get_by_role("link", name=printer.number, exact=True).click()

    page.wait_for_url(f"{live_server.url}/admin/otrs_customer_admin/ticket/{printer.pk}/detail/")
    expect()(page.locator("h2.otrs-detail-title")).to_have_text(f"{printer.number}: Printer on fire")
    expect()(page.locator('tr[data-deadline="solution"]')).to_have_class("otrs-escalation-current")
    expect()(page.locator('tr[data-deadline="solution"] .otrs-deadline-status')).to_contain_text("overdue by 3")
    expect()(page.locator('tr[data-deadline="response"] .otrs-deadline-status')).to_contain_text("met in time")
    screenshot(page)

    # The customer user's business card opens on hover, as in the lists.
    page.locator('dd[data-field="customer_user"] a[data-otrs-card]').hover()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    expect()(card).to_contain_text("jane@acme.example")
    screenshot(page, "card")

    page.locator("a.otrs-action", has_text="Edit").click()
    page.wait_for_url(f"{live_server.url}/admin/otrs_customer_admin/ticket/{printer.pk}/change/")
    expect()(page.locator("#id_title")).to_have_value("Printer on fire")


def test_a_deadline_in_working_time_is_told_so_in_the_widget_and_the_detail_view(
    logged_in_page, live_server, monkeypatch, screenshot
):
    """OTRS's example: Mon-Fri 8:00-17:00 in Berlin, a solution time of 240 minutes, a ticket
    opened on Friday at 16:00; seen on Monday at 12:15, it is due at 11:00 and overdue by 1 hour
    and 15 minutes of working time (the server's clock fixed in its pages' modules)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from otrs_customer_admin.admin.mixins import ticket_detail
    from otrs_customer_admin.models import Calendar
    from otrs_customer_admin.widgets import builtin

    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 9, 12, 15, tzinfo=berlin)

    class FixedClock:
        @staticmethod
        def now():
            return now

    monkeypatch.setattr(ticket_detail, "timezone", FixedClock)
    monkeypatch.setattr(builtin, "timezone", FixedClock)
    office = Calendar.objects.create(
        name="Office hours",
        time_zone="Europe/Berlin",
        working_hours={day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    sla = make_sla("Office", first_response_time=None, update_time=None, solution_time=240, calendar=office)
    acme = make_customer()
    ticket = make_ticket(
        acme,
        title="Friday's ticket",
        sla=sla,
        state=TicketState.OPEN,
        created_at=datetime(2026, 3, 6, 16, tzinfo=berlin),
    )

    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/")
    row = page.locator(f'section[data-widget="escalations"] tr[data-ticket="{ticket.number}"]')
    expect()(row.locator(".otrs-due-status")).to_have_text("overdue by 1 hour, 15 minutes (working time)")
    expect()(row.locator(".otrs-clock")).to_have_text("Office hours")
    row.get_by_role("link", name=ticket.number, exact=True).click()

    page.wait_for_url(f"{live_server.url}/admin/otrs_customer_admin/ticket/{ticket.pk}/detail/")
    solution = page.locator('tr[data-deadline="solution"]')
    expect()(solution.locator(".otrs-deadline-status")).to_have_text("overdue by 1 hour, 15 minutes (working time)")
    expect()(solution.locator("time")).to_have_attribute("datetime", "2026-03-09T11:00:00+01:00")
    expect()(page.locator(".otrs-ticket-clock")).to_contain_text(
        "Office hours (Europe/Berlin): Mon\N{EN DASH}Fri 08:00-17:00"
    )
    screenshot(page)
