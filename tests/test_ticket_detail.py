"""The ticket detail view: what it shows, the SLA's deadlines, permissions, escaping, its query
count, and the ticket links of the widgets and the ticket list that open it.

The page measures "due in" and "overdue by" from one instant, ``timezone.now()`` in its
module; the tests fix that instant (``page_clock``) and give every ticket times around it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import formats, timezone

from otrs_customer_admin.admin.mixins import ticket_detail
from otrs_customer_admin.admin.mixins.ticket_detail import deadline_rows
from otrs_customer_admin.models import Deadline, SLADeadline, Ticket, TicketState
from tests.factories import build_ticket, make_customer, make_customer_user, make_sla, make_ticket
from tests.markup import action_groups, attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # 12:00 in Berlin, the tests' time zone
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class FixedClock:
    """Stands in for ``django.utils.timezone`` in the ticket detail module only."""

    @staticmethod
    def now():
        return NOW


@pytest.fixture
def page_clock(monkeypatch):
    monkeypatch.setattr(ticket_detail, "timezone", FixedClock)
    return NOW


@pytest.fixture
def jane(acme):
    return make_customer_user(acme, email="jane@acme.example")


@pytest.fixture
def gold():
    """Gold: first response within 1 hour, an update every 4 hours, the solution within 8 hours."""
    return make_sla("Gold", first_response_time=60, update_time=240, solution_time=480)


@pytest.fixture
def escalated(acme, jane, gold):
    """Open for 3 days and 8 hours: first response given in time, the next update due in 2 hours,
    the solution 3 days overdue (the current escalation)."""
    created = NOW - 3 * DAY - 8 * HOUR
    return make_ticket(
        acme,
        title="Printer on fire",
        customer_user=jane,
        sla=gold,
        state=TicketState.OPEN,
        priority=4,
        created_at=created,
        first_response_at=created + 20 * MINUTE,
        last_update_at=NOW - 2 * HOUR,
    )


def detail_url(ticket):
    return reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk])


def show(client, ticket):
    response = client.get(detail_url(ticket))
    assert response.status_code == 200, response.status_code
    return document(response)


def fact(page, name):
    return text(element(page, "dd", data_field=name))


def moment(when):
    """What the page shows of a moment: its ``<time datetime>`` and its local short form."""
    local = timezone.localtime(when)
    return local.isoformat(), formats.date_format(local, "SHORT_DATETIME_FORMAT")


def relative(node):
    return text(element(node, "span", class_="otrs-relative-time"))


def time_of(node):
    found = element(node, "time")
    return attribute(found, "datetime"), text(found)


def deadlines(page):
    """The SLA table: ``{deadline: (kind, status text, current?)}``."""
    rows = elements(element(page, "table", class_="otrs-deadlines"), "tr", data_deadline=True)
    return {
        attribute(row, "data-deadline"): (
            attribute(row, "data-kind"),
            text(element(row, "td", class_="otrs-deadline-status")),
            "otrs-escalation-current" in (attribute(row, "class") or ""),
        )
        for row in rows
    }


def staff(*codenames):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


# --- the URL -------------------------------------------------------------------------


def test_the_url_name_takes_the_object_id_and_its_path_contains_detail(escalated):
    assert detail_url(escalated) == f"/admin/otrs_customer_admin/ticket/{escalated.pk}/detail/"


# --- what the page shows -------------------------------------------------------------------


def test_the_page_shows_the_ticket(admin_client, escalated, page_clock):
    page = show(admin_client, escalated)
    title = f"{escalated.number}: Printer on fire"
    assert text(element(page, "h2", class_="otrs-detail-title")) == title
    assert text(element(page, "title")).startswith(title)
    assert fact(page, "number") == escalated.number
    assert fact(page, "title") == "Printer on fire"
    assert (fact(page, "state"), fact(page, "state_type")) == ("open", "open")
    assert fact(page, "priority") == "4 high"
    created = element(page, "dd", data_field="created_at")
    assert time_of(created) == moment(escalated.created_at)
    assert relative(created) == "(3 days, 8 hours ago)"
    assert time_of(element(page, "dd", data_field="first_response_at")) == moment(escalated.first_response_at)
    assert not elements(page, "dd", data_field="closed_at")
    assert not elements(page, "dd", data_field="pending_until")


def test_the_customer_and_customer_user_link_to_their_detail_views_with_business_cards(
    admin_client, escalated, acme, jane
):
    page = show(admin_client, escalated)
    customer = element(element(page, "dd", data_field="customer"), "a")
    assert attribute(customer, "href") == reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
    assert attribute(customer, "data-otrs-card") == reverse("admin:otrs_customer_admin_customer_card", args=[acme.pk])
    assert text(customer) == "Acme Corporation (ACME)"
    person = element(element(page, "dd", data_field="customer_user"), "a")
    assert attribute(person, "href") == reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk])
    assert attribute(person, "data-otrs-card") == reverse("admin:otrs_customer_admin_customeruser_card", args=[jane.pk])
    assert text(person) == "Jane Doe (jdoe)"
    assert elements(page, "a", href="mailto:jane@acme.example")
    # The business cards' script and the package's styles come with the page.
    assert elements(page, "script", src="/static/otrs_customer_admin/cards.js")
    assert elements(page, "link", href="/static/otrs_customer_admin/otrs_customer_admin.css")


def test_a_ticket_without_customer_user_or_sla_says_so(admin_client, acme):
    ticket = make_ticket(acme, title="Mail is slow")
    page = show(admin_client, ticket)
    assert fact(page, "customer_user") == "none"
    sla = element(page, "section", data_section="sla")
    assert text(element(sla, "p", class_="otrs-widget-empty")) == "No SLA: this ticket does not escalate."
    assert not elements(sla, "table")


def test_the_deadlines_of_an_open_ticket_with_an_sla(admin_client, escalated, page_clock):
    page = show(admin_client, escalated)
    sla = element(page, "section", data_section="sla")
    assert "Gold" in text(sla)
    assert deadlines(page) == {
        "response": ("met", "met in time", False),
        "update": ("due", "due in 2 hours", False),
        "solution": ("overdue", "overdue by 3 days", True),
    }
    created = escalated.created_at
    rows = {attribute(row, "data-deadline"): row for row in elements(sla, "tr", data_deadline=True)}
    response_times = [attribute(node, "datetime") for node in elements(rows["response"], "time")]
    assert response_times == [moment(created + HOUR)[0], moment(escalated.first_response_at)[0]]
    assert time_of(rows["update"]) == moment(NOW + 2 * HOUR)
    assert time_of(rows["solution"]) == moment(created + 8 * HOUR)
    assert not any(elements(elements(rows[name], "td")[2], "time") for name in ("update", "solution"))  # not met
    assert "current escalation" in text(rows["solution"])
    assert "480 minutes" in text(rows["solution"])
    # The summary: the escalation's deadline and time, and that it has come.
    summary = element(sla, "p", class_="otrs-ticket-escalation")
    assert attribute(summary, "data-escalation") == "solution"
    assert time_of(summary) == moment(created + 8 * HOUR)
    assert "Escalation: solution" in text(summary)
    assert text(element(summary, "span", class_="otrs-escalated")) == "escalated"


def test_a_ticket_whose_escalation_has_not_come_is_not_marked_escalated(admin_client, acme, gold, page_clock):
    ticket = make_ticket(acme, sla=gold, state=TicketState.NEW, created_at=NOW - 30 * MINUTE)
    page = show(admin_client, ticket)
    assert deadlines(page) == {
        "response": ("due", "due in 30 minutes", True),
        "update": ("due", "due in 3 hours, 30 minutes", False),
        "solution": ("due", "due in 7 hours, 30 minutes", False),
    }
    summary = element(page, "p", class_="otrs-ticket-escalation")
    assert "Escalation: first response" in text(summary)
    assert not elements(summary, "span", class_="otrs-escalated")


def test_a_pending_ticket_shows_its_pending_time_and_its_paused_update_clock(admin_client, acme, gold, page_clock):
    ticket = make_ticket(
        acme,
        sla=gold,
        state=TicketState.PENDING_REMINDER,
        pending_until=NOW + 3 * HOUR,
        created_at=NOW - 2 * HOUR,
        first_response_at=NOW - 30 * MINUTE,  # 90 minutes after creation: 30 minutes late
    )
    page = show(admin_client, ticket)
    pending = element(page, "dd", data_field="pending_until")
    assert time_of(pending) == moment(NOW + 3 * HOUR)
    assert relative(pending) == "(in 3 hours)"
    assert text(element(pending, "span", class_="otrs-reminder-due")) == "reminder due"  # within 24 hours
    assert (fact(page, "state"), fact(page, "state_type")) == ("pending reminder", "pending reminder")
    assert deadlines(page) == {
        "response": ("late", "met, 30 minutes late", False),
        "update": ("paused", "paused while the ticket is pending", False),
        "solution": ("due", "due in 6 hours", True),
    }


def test_a_pending_time_further_off_than_the_reminder_window_is_no_reminder(admin_client, acme, page_clock):
    ticket = make_ticket(acme, state=TicketState.PENDING_AUTO_CLOSE_PLUS, pending_until=NOW + 2 * DAY)
    page = show(admin_client, ticket)
    pending = element(page, "dd", data_field="pending_until")
    assert relative(pending) == "(in 2 days)"
    assert not elements(pending, "span", class_="otrs-reminder-due")
    assert fact(page, "state_type") == "pending auto"


def test_a_closed_ticket_shows_when_it_was_closed_and_no_escalation(admin_client, acme, gold, page_clock):
    ticket = make_ticket(acme, sla=gold, state=TicketState.OPEN, created_at=NOW - 2 * DAY)
    ticket.state = TicketState.CLOSED_SUCCESSFUL
    ticket.save()
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=NOW - DAY)  # closed a day ago, not just now
    ticket.refresh_from_db()
    page = show(admin_client, ticket)
    closed = element(page, "dd", data_field="closed_at")
    assert time_of(closed) == moment(NOW - DAY)
    assert relative(closed) == "(1 day ago)"
    assert (fact(page, "state"), fact(page, "state_type")) == ("closed successful", "closed")
    summary = element(page, "p", class_="otrs-ticket-escalation")
    assert text(summary) == "No escalation: the ticket is closed."
    assert not elements(page, "span", class_="otrs-escalated")
    assert deadlines(page) == {
        "response": ("stopped", "not running: the ticket is closed", False),
        "update": ("stopped", "not running: the ticket is closed", False),
        "solution": ("late", "met, 16 hours late", False),
    }


# --- the deadlines, measured at a fixed time ----------------------------------------------------


def rows_at(now, **fields):
    sla = make_sla("Silver", first_response_time=60, update_time=240, solution_time=480)
    ticket = build_ticket(make_customer("GLOBEX", "Globex"), sla=sla, **fields)
    ticket.prepare_for_save(now)
    rows = deadline_rows(ticket, now)
    return [(row.deadline.deadline, row.kind, row.status.replace("\xa0", " "), row.current) for row in rows]


def test_deadline_rows_say_how_long_until_or_since_each_deadline():
    created = NOW - 3 * DAY - 8 * HOUR
    rows = rows_at(
        NOW, state=TicketState.OPEN, created_at=created, first_response_at=created + 20 * MINUTE, last_update_at=NOW
    )
    assert rows == [
        (Deadline.FIRST_RESPONSE, "met", "met in time", False),
        (Deadline.UPDATE, "due", "due in 4 hours", False),
        (Deadline.SOLUTION, "overdue", "overdue by 3 days", True),
    ]


def test_a_deadline_due_right_now_is_overdue():
    rows = rows_at(NOW, state=TicketState.NEW, created_at=NOW - HOUR)
    assert rows[0] == (Deadline.FIRST_RESPONSE, "overdue", "overdue by 0 minutes", True)


def test_an_sla_without_some_targets_shows_only_the_others():
    sla = make_sla("Bronze", first_response_time=None, update_time=None, solution_time=120)
    ticket = build_ticket(make_customer("GLOBEX", "Globex"), sla=sla, state=TicketState.OPEN, created_at=NOW)
    ticket.prepare_for_save(NOW)
    assert ticket.sla_deadlines() == [SLADeadline(Deadline.SOLUTION, 120, SLADeadline.RUNNING, NOW + 2 * HOUR)]


def test_merged_tickets_deadlines_have_stopped():
    rows = rows_at(NOW, state=TicketState.MERGED, created_at=NOW - DAY)
    assert {status for _deadline, _kind, status, _current in rows} == {"not running: the ticket is merged"}


# --- Edit, permissions, unknown tickets ------------------------------------------------------------


def test_edit_is_offered_to_users_who_may_change_tickets(admin_client, escalated):
    change = reverse("admin:otrs_customer_admin_ticket_change", args=[escalated.pk])
    assert action_groups(show(admin_client, escalated)) == {"Organize": [("Edit", change)]}


def test_a_change_user_sees_edit(client, escalated):
    client.force_login(staff("view_ticket", "change_ticket"))
    change = reverse("admin:otrs_customer_admin_ticket_change", args=[escalated.pk])
    assert action_groups(show(client, escalated)) == {"Organize": [("Edit", change)]}


def test_a_view_only_user_sees_the_page_without_edit(client, escalated):
    client.force_login(staff("view_ticket"))
    page = show(client, escalated)
    assert action_groups(page) == {}
    assert not elements(page, "a", class_="otrs-action")
    assert text(element(page, "h2", class_="otrs-detail-title")) == f"{escalated.number}: Printer on fire"


def test_without_view_permission_the_page_is_forbidden(client, escalated):
    client.force_login(staff("view_customer", "view_customeruser"))
    assert client.get(detail_url(escalated)).status_code == 403


def test_anonymous_users_are_sent_to_the_login(client, escalated):
    response = client.get(detail_url(escalated))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_unknown_ticket_is_not_found(admin_client):
    assert admin_client.get(reverse("admin:otrs_customer_admin_ticket_detail", args=[999])).status_code == 404
    assert admin_client.get("/admin/otrs_customer_admin/ticket/not-a-number/detail/").status_code == 404


# --- escaping and query count -----------------------------------------------------------------------


def test_user_text_is_escaped(admin_client):
    customer = make_customer("X-1", "N" + PAYLOAD)
    person = make_customer_user(customer, "x", "F" + PAYLOAD, PAYLOAD)
    sla = make_sla("S" + PAYLOAD)
    ticket = make_ticket(customer, title=PAYLOAD, customer_user=person, sla=sla, state=TicketState.OPEN)
    response = admin_client.get(detail_url(ticket))
    page = response.content.decode()
    for fragment in ("<script>alert", "<img src=x", "onerror=alert(1)>"):
        assert fragment not in page
    assert page.count("&lt;script&gt;") >= 5  # the heading, <title>, the title, customer, customer user, SLA
    parsed = document(response)
    assert fact(parsed, "title") == PAYLOAD
    assert text(element(parsed, "h2", class_="otrs-detail-title")) == f"{ticket.number}: {PAYLOAD}"


def test_the_page_runs_the_same_queries_whatever_the_ticket(
    admin_client, escalated, acme, django_assert_num_queries, django_assert_max_num_queries
):
    bare = make_ticket(acme, title="No one, no SLA")
    admin_client.get(detail_url(bare))  # warm the caches (content types, site)
    # Session, user, and the ticket with its customer, customer user and SLA.
    with django_assert_max_num_queries(3) as full:
        show(admin_client, escalated)
    with django_assert_num_queries(len(full)):
        show(admin_client, bare)


def test_a_view_only_users_page_has_a_fixed_query_count(client, escalated, acme, django_assert_num_queries):
    client.force_login(staff("view_ticket"))
    bare = make_ticket(acme, title="No one, no SLA")
    client.get(detail_url(bare))
    with django_assert_num_queries(5) as full:  # and the user's and their groups' permissions
        show(client, escalated)
    with django_assert_num_queries(len(full)):
        show(client, bare)


# --- every ticket link opens it ------------------------------------------------------------------------


def test_the_ticket_lists_number_opens_the_detail_view(admin_client, escalated):
    listing = document(admin_client.get(reverse("admin:otrs_customer_admin_ticket_changelist")))
    link = element(listing, "a", href=detail_url(escalated))
    assert text(link) == escalated.number


@pytest.mark.parametrize(
    "screen, widget",
    [
        ("customer", "escalations"),
        ("customer", "open-tickets"),
        ("customeruser", "open-tickets"),
        ("customeruser", "ticket-list"),
    ],
)
def test_the_widgets_ticket_rows_open_the_detail_view(admin_client, escalated, acme, jane, screen, widget):
    owner = acme if screen == "customer" else jane
    page = document(admin_client.get(reverse(f"admin:otrs_customer_admin_{screen}_detail", args=[owner.pk])))
    row = element(element(page, "section", data_widget=widget), "tr", data_ticket=escalated.number)
    links = [attribute(link, "href") for link in elements(row, "a") if "data-otrs-card" not in dict(link.attributes)]
    assert links == [detail_url(escalated), detail_url(escalated)]  # the number and the title


def test_the_reminders_widget_opens_the_detail_view(admin_client, acme):
    ticket = make_ticket(acme, state=TicketState.PENDING_REMINDER, pending_until=timezone.now() + HOUR)
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])))
    row = element(element(page, "section", data_widget="reminders"), "tr", data_ticket=ticket.number)
    assert elements(row, "a", href=detail_url(ticket))


@pytest.mark.urls("tests.second_site_urls")
def test_on_a_second_site_the_page_and_its_links_stay_on_that_site(admin_client, escalated, acme, jane):
    site = "/helpdesk/otrs_customer_admin"
    page = show_at(admin_client, f"{site}/ticket/{escalated.pk}/detail/")
    hrefs = [attribute(link, "href") for link in elements(element(page, "div", id="content-main"), "a")]
    assert f"{site}/ticket/{escalated.pk}/change/" in hrefs
    assert f"{site}/customer/{acme.pk}/detail/" in hrefs
    assert f"{site}/customeruser/{jane.pk}/detail/" in hrefs
    assert all(href.startswith((site, "mailto:")) for href in hrefs), hrefs
    listing = show_at(admin_client, f"{site}/ticket/")
    assert elements(listing, "a", href=f"{site}/ticket/{escalated.pk}/detail/")


def show_at(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return document(response)
