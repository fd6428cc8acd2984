"""The detail-view widgets: framework, per-user screens, selection rules, query counts."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.models import SLA, Customer, CustomerUser, Ticket, TicketState, Validity, WidgetPreference
from otrs_customer_admin.widgets import CUSTOMER, CUSTOMER_USER, Layout, Widget, available_widgets, get_widget, register
from otrs_customer_admin.widgets.base import _registered

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DEFAULT_CUSTOMER_SCREEN = [
    "customer-information",
    "open-tickets-by-priority",  # the example site's own widget, placed by its settings
    "escalations",
    "reminders",
    "open-tickets",
    "customer-users",
]


@pytest.fixture
def acme():
    return Customer.objects.create(
        customer_id="ACME",
        name="Acme & Söhne",
        street="Hauptstraße 1",
        zip="10115",
        city="Berlin",
        country="DE",
        url="https://acme.example",
    )


@pytest.fixture
def jane(acme):
    return CustomerUser.objects.create(
        login="jdoe", first_name="Jane", last_name="Doe", email="j@acme.example", customer=acme
    )


def detail(client, obj):
    model = obj._meta.model_name
    return client.get(reverse(f"admin:otrs_customer_admin_{model}_detail", args=[obj.pk]))


def widget_order(page):
    return re.findall(r'data-widget="([^"]+)"', page)


def change_screen(client, screen, action, widget="", next_url="/admin/"):
    return client.post(
        reverse(f"admin:otrs_customer_admin_{screen}_widgets"), {"action": action, "widget": widget, "next": next_url}
    )


# --- framework -----------------------------------------------------------------


def test_the_default_screens(admin_client, acme, jane):
    assert widget_order(detail(admin_client, acme).content.decode()) == DEFAULT_CUSTOMER_SCREEN
    assert widget_order(detail(admin_client, jane).content.decode()) == [
        "customer-user-information",
        "open-tickets",
        "ticket-list",
    ]


def test_ticket_list_is_available_but_has_to_be_added(admin_client, acme):
    page = detail(admin_client, acme).content.decode()
    assert "ticket-list" in available_widgets(CUSTOMER)
    assert 'data-widget="ticket-list"' not in page
    assert '<option value="ticket-list">Ticket List</option>' in page


@override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": ["ticket-list", "customer-information"]})
def test_the_screen_configuration_comes_from_settings(admin_client, acme):
    assert widget_order(detail(admin_client, acme).content.decode()) == ["ticket-list", "customer-information"]


def test_a_widget_registered_by_decorator_is_available_and_configurable(admin_client, acme):
    @register
    class NotesWidget(Widget):
        key = "test-notes"
        title = "Notes"
        template = "otrs_customer_admin/widgets/frame.html"

    try:
        assert "test-notes" in available_widgets(CUSTOMER)
        assert "test-notes" not in available_widgets(CUSTOMER_USER)
        with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": ["test-notes"]}):
            assert widget_order(detail(admin_client, acme).content.decode()) == ["test-notes"]
        with pytest.raises(ImproperlyConfigured, match="Two widgets use the key"):
            register(type("Other", (Widget,), {"key": "test-notes"}))
    finally:
        _registered.pop("test-notes")


def test_widgets_need_their_permissions(client, acme):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    client.force_login(user)
    # Without view_ticket and view_customeruser only Customer Information is left.
    assert widget_order(detail(client, acme).content.decode()) == ["customer-information"]


# --- per-user screens --------------------------------------------------------------


def test_hide_show_and_move_are_kept_per_user_until_reset(admin_client, admin_user, acme):
    back = reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
    assert change_screen(admin_client, "customer", "hide", "escalations", back)["Location"] == back
    change_screen(admin_client, "customer", "up", "customer-users")
    change_screen(admin_client, "customer", "show", "ticket-list")
    expected = [
        "customer-information",
        "open-tickets-by-priority",
        "reminders",
        "customer-users",
        "open-tickets",
        "ticket-list",
    ]
    assert widget_order(detail(admin_client, acme).content.decode()) == expected

    # Kept in the database: a new session (after logout) sees the same screen.
    admin_client.logout()
    other_session = Client()
    other_session.force_login(admin_user)
    assert widget_order(detail(other_session, acme).content.decode()) == expected

    # Other users keep the default.
    someone = User.objects.create_superuser("someone", "s@example.com", "pw")
    other_session.force_login(someone)
    assert widget_order(detail(other_session, acme).content.decode()) == DEFAULT_CUSTOMER_SCREEN

    other_session.force_login(admin_user)
    page = detail(other_session, acme).content.decode()
    assert "Reset to default" in page
    change_screen(other_session, "customer", "reset")
    assert widget_order(detail(other_session, acme).content.decode()) == DEFAULT_CUSTOMER_SCREEN
    assert not WidgetPreference.objects.filter(user=admin_user).exists()


def test_the_two_screens_are_separate(admin_client, acme, jane):
    change_screen(admin_client, "customeruser", "hide", "open-tickets")
    assert "open-tickets" in widget_order(detail(admin_client, acme).content.decode())
    assert "open-tickets" not in widget_order(detail(admin_client, jane).content.decode())


def test_changes_that_do_not_apply_change_nothing(admin_client, admin_user, acme):
    for action, widget in [
        ("up", "customer-information"),
        ("down", "customer-users"),
        ("show", "escalations"),
        ("hide", "nonsense"),
        ("explode", "escalations"),
    ]:
        response = change_screen(admin_client, "customer", action, widget)
        assert response.status_code == 302
    assert not WidgetPreference.objects.exists()
    assert Layout(admin_user, CUSTOMER).visible == DEFAULT_CUSTOMER_SCREEN


def test_the_screen_endpoint_takes_only_a_csrf_protected_post(admin_user, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    url = reverse("admin:otrs_customer_admin_customer_widgets")
    assert client.get(url).status_code == 405
    assert client.post(url, {"action": "hide", "widget": "escalations"}).status_code == 403
    assert not WidgetPreference.objects.exists()


def test_the_screen_endpoint_redirects_only_to_this_site(admin_client):
    response = change_screen(admin_client, "customer", "hide", "escalations", "https://evil.example/")
    assert response["Location"] == reverse("admin:otrs_customer_admin_customer_changelist")


def test_the_screen_endpoint_needs_view_permission(client):
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    assert change_screen(client, "customer", "hide", "escalations").status_code == 403


# --- query counts ---------------------------------------------------------------------


def make_tickets(customer, user, count, sla):
    now = timezone.now()
    states = list(TicketState)
    tickets = []
    for i in range(count):
        ticket = Ticket(
            number=f"Q{customer.pk}-{i}",
            title=f"Ticket {i}",
            customer=customer,
            customer_user=user,
            state=states[i % len(states)],
            sla=sla,
            created_at=now - timedelta(hours=i % 50),
            pending_until=now + timedelta(hours=i % 48 - 24),
        )
        ticket.prepare_for_save(now)
        tickets.append(ticket)
    Ticket.objects.bulk_create(tickets, batch_size=1000)


def test_the_page_costs_the_same_queries_for_5_and_5000_tickets(admin_client):
    sla = SLA.objects.create(name="Gold", first_response_time=60, update_time=120, solution_time=480)
    counts = {}
    with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": [w for w in available_widgets(CUSTOMER)]}):
        for size in (5, 5000):
            customer = Customer.objects.create(customer_id=f"C{size}", name=f"Customer {size}", country="DE")
            users = CustomerUser.objects.bulk_create(
                CustomerUser(
                    login=f"u{size}-{i}",
                    first_name="U",
                    last_name=str(i),
                    email=f"u{size}-{i}@x.example",
                    customer=customer,
                )
                for i in range(min(size, 40))
            )
            make_tickets(customer, users[0], size, sla)
            detail(admin_client, customer)  # warm caches
            with CaptureQueriesContext(connection) as queries:
                response = detail(admin_client, customer)
            assert response.status_code == 200
            counts[size] = len(queries)
    assert counts[5] == counts[5000], counts


# --- selection rules, at the edges of their windows ----------------------------------


def selected(widget_key, customer, now):
    widget = get_widget(widget_key)
    return list(widget.select(Ticket.objects.filter(customer=customer), now).values_list("title", flat=True))


def test_escalations_are_tickets_past_their_deadline_most_overdue_first(acme):
    sla = SLA.objects.create(name="Hour", first_response_time=60)
    now = timezone.now()
    cases = {
        "overdue an hour": now - 2 * HOUR,
        "overdue a minute": now - HOUR - MINUTE,
        "due exactly now": now - HOUR,
        "due in a minute": now - HOUR + MINUTE,
    }
    for title, created in cases.items():
        Ticket.objects.create(title=title, customer=acme, sla=sla, created_at=created, state=TicketState.OPEN)
    for state in (TicketState.CLOSED_SUCCESSFUL, TicketState.MERGED, TicketState.REMOVED, TicketState.PENDING_REMINDER):
        Ticket.objects.create(
            title=str(state), customer=acme, sla=sla, created_at=now - 5 * HOUR, state=state, pending_until=now
        )
    # Pending tickets keep their first-response deadline (only the update clock pauses).
    assert selected("escalations", acme, now) == [
        TicketState.PENDING_REMINDER.value,
        "overdue an hour",
        "overdue a minute",
        "due exactly now",
    ]


@override_settings(OTRS_CUSTOMER_ADMIN={"REMINDER_WINDOW": 2 * HOUR})
def test_reminders_are_pending_reminder_tickets_due_soonest_first(acme):
    now = timezone.now()
    cases = {
        "in the window": now + HOUR,
        "passed": now - HOUR,
        "due exactly now": now,
        "a minute before the window ends": now + 2 * HOUR - MINUTE,
        "a minute after the window": now + 2 * HOUR + MINUTE,
    }
    for title, until in cases.items():
        Ticket.objects.create(title=title, customer=acme, state=TicketState.PENDING_REMINDER, pending_until=until)
    Ticket.objects.create(
        title="auto close", customer=acme, state=TicketState.PENDING_AUTO_CLOSE_PLUS, pending_until=now
    )
    Ticket.objects.create(title="open", customer=acme, state=TicketState.OPEN)
    assert selected("reminders", acme, now) == [
        "passed",
        "due exactly now",
        "in the window",
        "a minute before the window ends",
    ]


def test_open_tickets_are_new_open_and_pending_newest_first(acme):
    now = timezone.now()
    for age, state in enumerate(TicketState):
        Ticket.objects.create(
            title=str(state), customer=acme, state=state, created_at=now - age * HOUR, pending_until=now
        )
    assert selected("open-tickets", acme, now) == [
        "new",
        "open",
        "pending reminder",
        "pending auto close+",
        "pending auto close-",
    ]


# --- what the widgets show ------------------------------------------------------------


def test_every_widget_has_an_empty_state(admin_client, acme):
    with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": available_widgets(CUSTOMER)}):
        page = detail(admin_client, acme).content.decode()
    for message in (
        "No escalated tickets.",
        "No reminders due.",
        "No open tickets.",
        "No customer users.",
        "No tickets.",
    ):
        assert message in page


def test_long_lists_are_cut_with_a_link_to_the_filtered_ticket_list(admin_client, acme):
    Ticket.objects.bulk_create(
        Ticket(number=f"N{i}", title=f"T{i}", customer=acme, state=TicketState.OPEN) for i in range(14)
    )
    page = detail(admin_client, acme).content.decode()
    open_widget = page.split('data-widget="open-tickets"')[1].split("</section>")[0]
    assert open_widget.count("<tr data-ticket=") == 10
    link = (
        reverse("admin:otrs_customer_admin_ticket_changelist") + f"?customer__id__exact={acme.pk}&amp;state_type=open"
    )
    assert f'href="{link}">Show all 14 tickets' in open_widget
    listing = admin_client.get(link.replace("&amp;", "&"))
    assert listing.context["cl"].result_count == 14


def test_clicking_a_ticket_opens_it(admin_client, acme):
    ticket = Ticket.objects.create(title="Printer", customer=acme, state=TicketState.OPEN)
    page = detail(admin_client, acme).content.decode()
    assert f'href="{reverse("admin:otrs_customer_admin_ticket_change", args=[ticket.pk])}"' in page


def test_customer_information(admin_client, acme):
    Ticket.objects.create(title="a", customer=acme, state=TicketState.OPEN)
    Ticket.objects.create(title="b", customer=acme, state=TicketState.CLOSED_SUCCESSFUL)
    page = detail(admin_client, acme).content.decode()
    info = page.split('data-widget="customer-information"')[1].split("</section>")[0]
    tickets = reverse("admin:otrs_customer_admin_ticket_changelist")
    assert f'href="{tickets}?customer__id__exact={acme.pk}&amp;state_type=open"' in info
    assert f'href="{tickets}?customer__id__exact={acme.pk}&amp;state_type=closed"' in info
    assert reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]) in info
    address = quote("Hauptstraße 1, 10115 Berlin, Germany")
    assert f'href="https://www.openstreetmap.org/search?query={address}"' in info
    name = quote("Acme & Söhne")
    assert f'href="https://www.linkedin.com/search/results/companies/?keywords={name}"' in info
    assert 'href="https://acme.example"' in info
    for text in ("Acme &amp; Söhne", "ACME", "valid", "Germany", "Database"):
        assert text in info


@override_settings(
    OTRS_CUSTOMER_ADMIN={
        "MAP_URL": "https://maps.example/?q={address}",
        "SOCIAL_LINKS": [("Search", "https://search.example/?q={name}&kind=company")],
    }
)
def test_map_and_social_links_are_configurable(admin_client, acme):
    page = detail(admin_client, acme).content.decode()
    assert f'href="https://maps.example/?q={quote(acme.address_line)}"' in page
    assert f'href="https://search.example/?q={quote(acme.name)}&amp;kind=company"' in page


def test_customer_users_widget(admin_client, acme, jane):
    Ticket.objects.create(title="a", customer=acme, customer_user=jane, state=TicketState.OPEN)
    Ticket.objects.create(title="b", customer=acme, customer_user=jane, state=TicketState.CLOSED_SUCCESSFUL)
    page = detail(admin_client, acme).content.decode()
    users = page.split('data-widget="customer-users"')[1].split("</section>")[0]
    card = reverse("admin:otrs_customer_admin_customeruser_card", args=[jane.pk])
    assert (
        f'href="{reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk])}" data-otrs-card="{card}"'
        in users
    )
    assert f"{reverse('admin:otrs_customer_admin_ticket_add')}?customer={acme.pk}&amp;customer_user={jane.pk}" in users
    assert reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk]) in users
    assert f"{reverse('admin:otrs_customer_admin_customeruser_add')}?customer={acme.pk}" in users
    assert 'state_type=open">1</a>' in users and 'state_type=closed">1</a>' in users


def test_ticket_list_pages_and_filters_by_state(admin_client, acme):
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            number=f"N{i}",
            title=f"T{i}",
            customer=acme,
            created_at=now - i * MINUTE,
            state=TicketState.OPEN if i % 2 else TicketState.CLOSED_SUCCESSFUL,
        )
        for i in range(25)
    )
    with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": ["ticket-list"]}):
        url = reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
        first = admin_client.get(url).content.decode()
        assert first.count("<tr data-ticket=") == 10
        assert "?ticket-list-page=3" in first
        third = admin_client.get(url, {"ticket-list-page": 3}).content.decode()
        assert third.count("<tr data-ticket=") == 5
        only_open = admin_client.get(url, {"ticket-list-state": "any-open"}).content.decode()
        assert "closed successful" not in only_open.split("<tbody>")[1]
        assert "ticket-list-state=any-open&amp;ticket-list-page=2" in only_open
        closed = admin_client.get(url, {"ticket-list-state": "closed successful"}).content.decode()
        assert closed.count("<tr data-ticket=") == 10


def test_customer_user_screen_shows_that_user_s_tickets(admin_client, acme, jane):
    other = CustomerUser.objects.create(login="o", first_name="O", last_name="O", email="o@acme.example", customer=acme)
    Ticket.objects.create(title="Jane's", customer=acme, customer_user=jane, state=TicketState.OPEN)
    Ticket.objects.create(title="Other's", customer=acme, customer_user=other, state=TicketState.OPEN)
    page = detail(admin_client, jane).content.decode()
    assert "Jane&#x27;s" in page and "Other&#x27;s" not in page
    assert "jdoe" in page and "j@acme.example" in page


def test_invalid_customer_users_are_marked(admin_client, acme, jane):
    jane.valid = Validity.INVALID
    jane.save()
    page = detail(admin_client, acme).content.decode()
    assert "(invalid)" in page.split('data-widget="customer-users"')[1]


def test_moving_skips_widgets_the_user_may_not_see(client, acme):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_customer", "view_customeruser"]))
    client.force_login(user)
    # On the page: customer-information, customer-users (the ticket widgets need view_ticket).
    assert widget_order(detail(client, acme).content.decode()) == ["customer-information", "customer-users"]
    change_screen(client, "customer", "up", "customer-users")
    assert widget_order(detail(client, acme).content.decode()) == ["customer-users", "customer-information"]
