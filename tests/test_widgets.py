"""The detail-view widgets: framework, per-user screens, selection rules, query counts."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.models import (
    SLA,
    Customer,
    CustomerUser,
    DynamicField,
    Ticket,
    TicketState,
    Validity,
    WidgetPreference,
)
from otrs_customer_admin.widgets import CUSTOMER, CUSTOMER_USER, Layout, Widget, available_widgets, get_widget, register
from otrs_customer_admin.widgets.base import _registered
from tests.factories import (
    ACME_ADDRESS,
    build_customer_user,
    build_ticket,
    make_customer,
    make_customer_user,
    make_sla,
    make_ticket,
)
from tests.markup import assert_in_html, attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DEFAULT_CUSTOMER_SCREEN = [  # the package's default (tests/settings.py has no OTRS_CUSTOMER_ADMIN)
    "customer-information",
    "escalations",
    "reminders",
    "open-tickets",
    "customer-users",
    "history",
]


@pytest.fixture
def acme():
    """This module's ACME: a name and street that need escaping and URL-encoding."""
    return make_customer(name="Acme & Söhne", **{**ACME_ADDRESS, "street": "Hauptstraße 1"})


@pytest.fixture
def jane(acme):
    return make_customer_user(acme, email="j@acme.example")


def detail(client, obj):
    model = obj._meta.model_name
    return client.get(reverse(f"admin:otrs_customer_admin_{model}_detail", args=[obj.pk]))


def widget_order(page):
    """The keys of the widgets on the page, top to bottom."""
    return [attribute(widget, "data-widget") for widget in elements(document(page), data_widget=True)]


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
        "history",
    ]


def test_the_example_sites_own_widget_is_registered_and_placed_by_its_settings(admin_client, acme, example_site):
    make_ticket(acme, state=TicketState.OPEN, priority=5)
    make_ticket(acme, state=TicketState.NEW, priority=5)
    make_ticket(acme, state=TicketState.CLOSED_SUCCESSFUL, priority=5)
    page = document(detail(admin_client, acme))
    assert [attribute(section, "data-widget") for section in elements(page, "section", class_="otrs-widget")] == [
        "customer-information",
        "open-tickets-by-priority",
        *DEFAULT_CUSTOMER_SCREEN[1:],
    ]
    widget = element(page, "section", data_widget="open-tickets-by-priority")
    assert "Open tickets by priority" in text(widget)
    rows = [(text(element(row, "th")), text(element(row, "td"))) for row in elements(widget, "tr")]
    assert rows == [("5 very high", "2"), ("4 high", "0"), ("3 normal", "0"), ("2 low", "0"), ("1 very low", "0")]


def test_ticket_list_is_available_but_has_to_be_added(admin_client, acme):
    page = detail(admin_client, acme).content.decode()
    assert "ticket-list" in available_widgets(CUSTOMER)
    assert 'data-widget="ticket-list"' not in page
    assert_in_html('<option value="ticket-list">Ticket List</option>', document(page))


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


def test_a_widget_named_in_settings_leaves_with_its_setting():
    example = "example_project.demo.widgets.OpenTicketsByPriorityWidget"
    with override_settings(OTRS_CUSTOMER_ADMIN={"WIDGETS": [example]}):
        assert "open-tickets-by-priority" in available_widgets(CUSTOMER)
    assert "open-tickets-by-priority" not in available_widgets(CUSTOMER)


def test_a_widget_named_in_settings_may_not_take_a_registered_key():
    class Impostor(Widget):
        key = "escalations"
        template = "otrs_customer_admin/widgets/frame.html"

    with override_settings(OTRS_CUSTOMER_ADMIN={"WIDGETS": [f"{__name__}.IMPOSTOR"]}):
        globals()["IMPOSTOR"] = Impostor
        try:
            with pytest.raises(ImproperlyConfigured, match="Two widgets use the key 'escalations'"):
                available_widgets(CUSTOMER)
        finally:
            del globals()["IMPOSTOR"]


def test_widgets_need_their_permissions(client, acme):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    client.force_login(user)
    # Without view_ticket and view_customeruser only Customer Information and the record's History are left.
    assert widget_order(detail(client, acme).content.decode()) == ["customer-information", "history"]


# --- per-user screens --------------------------------------------------------------


def test_hide_show_and_move_are_kept_per_user_until_reset(admin_client, admin_user, acme):
    back = reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
    assert change_screen(admin_client, "customer", "hide", "escalations", back)["Location"] == back
    change_screen(admin_client, "customer", "up", "customer-users")
    change_screen(admin_client, "customer", "show", "ticket-list")
    expected = [
        "customer-information",
        "reminders",
        "customer-users",
        "open-tickets",
        "history",
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
    assert "Reset to default" in text(document(detail(other_session, acme)))
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
        ("down", "history"),
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
        ticket = build_ticket(
            customer,
            f"Ticket {i}",
            number=f"Q{customer.pk}-{i}",
            customer_user=user,
            state=states[i % len(states)],
            sla=sla,
            created_at=now - timedelta(hours=i % 50),
            pending_until=now + timedelta(hours=i % 48 - 24),
        )
        ticket.prepare_for_save(now)
        tickets.append(ticket)
    Ticket.objects.bulk_create(tickets, batch_size=1000)


def test_the_page_costs_the_same_queries_for_5_and_5000_tickets(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    sla = make_sla()

    def customer_with_tickets(size):
        customer = make_customer(f"C{size}", f"Customer {size}")
        users = CustomerUser.objects.bulk_create(
            build_customer_user(customer, f"u{size}-{i}", "U", str(i), email=f"u{size}-{i}@x.example")
            for i in range(min(size, 40))
        )
        make_tickets(customer, users[0], size, sla)
        detail(admin_client, customer)  # warm caches
        return customer

    with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": [w for w in available_widgets(CUSTOMER)]}):
        small, big = customer_with_tickets(5), customer_with_tickets(5000)
        # Every widget on the screen (15 queries when this was written), whatever the ticket count.
        with django_assert_max_num_queries(16) as five_tickets:
            assert detail(admin_client, small).status_code == 200
        with django_assert_num_queries(len(five_tickets)):
            assert detail(admin_client, big).status_code == 200


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
        make_ticket(acme, title=title, sla=sla, created_at=created, state=TicketState.OPEN)
    for state in (TicketState.CLOSED_SUCCESSFUL, TicketState.MERGED, TicketState.REMOVED, TicketState.PENDING_REMINDER):
        make_ticket(acme, title=str(state), sla=sla, created_at=now - 5 * HOUR, state=state, pending_until=now)
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
        make_ticket(acme, title=title, state=TicketState.PENDING_REMINDER, pending_until=until)
    make_ticket(acme, title="auto close", state=TicketState.PENDING_AUTO_CLOSE_PLUS, pending_until=now)
    make_ticket(acme, title="open", state=TicketState.OPEN)
    assert selected("reminders", acme, now) == [
        "passed",
        "due exactly now",
        "in the window",
        "a minute before the window ends",
    ]


def test_open_tickets_are_new_open_and_pending_newest_first(acme):
    now = timezone.now()
    for age, state in enumerate(TicketState):
        make_ticket(acme, title=str(state), state=state, created_at=now - age * HOUR, pending_until=now)
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
        page = text(document(detail(admin_client, acme)))
    for message in (
        "No escalated tickets.",
        "No reminders due.",
        "No open tickets.",
        "No customer users.",
        "No tickets.",
    ):
        assert message in page


def test_long_lists_are_cut_with_a_link_to_the_filtered_ticket_list(admin_client, acme):
    Ticket.objects.bulk_create(build_ticket(acme, f"T{i}", number=f"N{i}", state=TicketState.OPEN) for i in range(14))
    open_widget = element(document(detail(admin_client, acme)), "section", data_widget="open-tickets")
    assert len(elements(open_widget, "tr", data_ticket=True)) == 10
    link = reverse("admin:otrs_customer_admin_ticket_changelist") + f"?customer__id__exact={acme.pk}&state_type=open"
    assert text(element(open_widget, "a", href=link)).startswith("Show all 14 tickets")
    listing = admin_client.get(link)
    assert listing.context["cl"].result_count == 14


def test_clicking_a_ticket_opens_its_detail_view(admin_client, acme):
    ticket = make_ticket(acme, title="Printer", state=TicketState.OPEN)
    page = document(detail(admin_client, acme))
    row = element(page, "tr", data_ticket=True)
    assert elements(row, "a", href=reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]))


def test_customer_information(admin_client, acme):
    make_ticket(acme, title="a", state=TicketState.OPEN)
    make_ticket(acme, title="b", state=TicketState.CLOSED_SUCCESSFUL)
    info = element(document(detail(admin_client, acme)), "section", data_widget="customer-information")
    tickets = reverse("admin:otrs_customer_admin_ticket_changelist")
    assert text(element(info, "a", href=f"{tickets}?customer__id__exact={acme.pk}&state_type=open")) == "1 open"
    assert text(element(info, "a", href=f"{tickets}?customer__id__exact={acme.pk}&state_type=closed")) == "1 closed"
    assert elements(info, "a", href=reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]))
    address = quote("Hauptstraße 1, 10115 Berlin, Germany")
    assert elements(info, "a", href=f"https://www.openstreetmap.org/search?query={address}")
    name = quote("Acme & Söhne")
    assert elements(info, "a", href=f"https://www.linkedin.com/search/results/companies/?keywords={name}")
    assert elements(info, "a", href="https://acme.example")
    shown = text(info)
    for expected in ("Acme & Söhne", "ACME", "valid", "Germany", "Database"):
        assert expected in shown


@override_settings(
    OTRS_CUSTOMER_ADMIN={
        "MAP_URL": "https://maps.example/?q={address}",
        "SOCIAL_LINKS": [("Search", "https://search.example/?q={name}&kind=company")],
    }
)
def test_map_and_social_links_are_configurable(admin_client, acme):
    page = document(detail(admin_client, acme))
    assert elements(page, "a", href=f"https://maps.example/?q={quote(acme.address_line)}")
    assert elements(page, "a", href=f"https://search.example/?q={quote(acme.name)}&kind=company")


def test_customer_users_widget(admin_client, acme, jane):
    make_ticket(acme, title="a", customer_user=jane, state=TicketState.OPEN)
    make_ticket(acme, title="b", customer_user=jane, state=TicketState.CLOSED_SUCCESSFUL)
    users = element(document(detail(admin_client, acme)), "section", data_widget="customer-users")
    row = element(users, "tr", data_login="jdoe")
    card = reverse("admin:otrs_customer_admin_customeruser_card", args=[jane.pk])
    detail_url = reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk])
    assert [text(link) for link in elements(row, "a", href=detail_url, data_otrs_card=card)] == ["jdoe", "Jane Doe"]
    create = f"{reverse('admin:otrs_customer_admin_ticket_add')}?customer={acme.pk}&customer_user={jane.pk}"
    assert elements(row, "a", href=create)
    assert elements(row, "a", href=reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk]))
    assert elements(users, "a", href=f"{reverse('admin:otrs_customer_admin_customeruser_add')}?customer={acme.pk}")
    counts = {
        state: text(element(row, "a", href=lambda href, state=state: href.endswith(f"state_type={state}")))
        for state in ("open", "closed")
    }
    assert counts == {"open": "1", "closed": "1"}


def test_ticket_list_pages_and_filters_by_state(admin_client, acme):
    now = timezone.now()
    Ticket.objects.bulk_create(
        build_ticket(
            acme,
            f"T{i}",
            number=f"N{i}",
            created_at=now - i * MINUTE,
            state=TicketState.OPEN if i % 2 else TicketState.CLOSED_SUCCESSFUL,
        )
        for i in range(25)
    )
    with override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": ["ticket-list"]}):
        url = reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
        first = document(admin_client.get(url))
        assert len(elements(first, "tr", data_ticket=True)) == 10
        assert elements(first, "a", href=lambda href: "?ticket-list-page=3" in href)
        third = document(admin_client.get(url, {"ticket-list-page": 3}))
        assert len(elements(third, "tr", data_ticket=True)) == 5
        only_open = document(admin_client.get(url, {"ticket-list-state": "any-open"}))
        rows = element(element(only_open, "section", data_widget="ticket-list"), "tbody")
        assert len(elements(rows, "tr", data_ticket=True)) == 10
        assert "closed successful" not in text(rows)
        assert elements(only_open, "a", href=lambda href: "ticket-list-state=any-open&ticket-list-page=2" in href)
        closed = document(admin_client.get(url, {"ticket-list-state": "closed successful"}))
        assert len(elements(closed, "tr", data_ticket=True)) == 10


def test_customer_user_screen_shows_that_user_s_tickets(admin_client, acme, jane):
    other = make_customer_user(acme, "o", "O", "O")
    make_ticket(acme, title="Jane's", customer_user=jane, state=TicketState.OPEN)
    make_ticket(acme, title="Other's", customer_user=other, state=TicketState.OPEN)
    response = detail(admin_client, jane)
    page = text(document(response))
    assert "Jane's" in page and "Other&#x27;s" not in response.content.decode()
    assert "jdoe" in page and "j@acme.example" in page


def test_invalid_customer_users_are_marked(admin_client, acme, jane):
    jane.valid = Validity.INVALID
    jane.save()
    users = element(document(detail(admin_client, acme)), "section", data_widget="customer-users")
    assert "(invalid)" in text(element(users, "tr", data_login="jdoe"))


def test_moving_skips_widgets_the_user_may_not_see(client, acme):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_customer", "view_customeruser"]))
    client.force_login(user)
    # On the page: customer-information, customer-users, history (the ticket widgets need view_ticket).
    assert widget_order(detail(client, acme).content.decode()) == ["customer-information", "customer-users", "history"]
    change_screen(client, "customer", "up", "customer-users")
    assert widget_order(detail(client, acme).content.decode()) == ["customer-users", "customer-information", "history"]


# --- dynamic fields ------------------------------------------------------------------------------


def information(client, obj):
    key = "customer-information" if obj._meta.model_name == "customer" else "customer-user-information"
    return element(document(detail(client, obj).content.decode()), data_widget=key)


@pytest.mark.parametrize("person", [False, True])
def test_the_information_widget_shows_every_valid_dynamic_field_with_a_value(admin_client, jane, person):
    record = jane if person else jane.customer
    object_type = "customer_user" if person else "customer"
    for name, label, options in (
        ("Erp", "ERP number", {"link_template": "https://erp.example/{value}"}),
        ("Vip", "VIP", {"field_type": "checkbox"}),
        ("Since", "Customer since", {"field_type": "date"}),
        ("Unset", "Never filled", {}),
    ):
        DynamicField.objects.create(object_type=object_type, name=name, label=label, **options)
    record = type(record).objects.get(pk=record.pk)
    record.dynamic_fields = {"Erp": "A&B 7", "Vip": True, "Since": "2020-02-29"}
    record.save_dynamic_fields()

    widget = information(admin_client, record)

    shown = text(widget)
    assert "ERP number A&B 7" in shown and "VIP Yes" in shown and "Customer since 02/29/2020" in shown
    assert "Never filled" not in shown
    link = element(widget, "a", href="https://erp.example/A%26B%207")
    assert (attribute(link, "target"), attribute(link, "rel")) == ("_blank", "noopener noreferrer")


def test_the_detail_page_costs_the_same_queries_for_one_and_six_dynamic_fields(
    admin_client, acme, django_assert_num_queries, django_assert_max_num_queries
):
    def with_fields(count):
        for number in range(DynamicField.objects.count(), count):
            DynamicField.objects.create(object_type="customer", name=f"Field{number}", label=f"Field {number}")
        record = Customer.objects.get(pk=acme.pk)
        record.dynamic_fields = {f"Field{number}": "x" for number in range(count)}
        record.save_dynamic_fields()
        detail(admin_client, acme)  # caches warm

    with_fields(1)
    with django_assert_max_num_queries(16) as one_field:
        assert detail(admin_client, acme).status_code == 200
    queries = len(one_field)
    with_fields(6)
    with django_assert_num_queries(queries):
        assert detail(admin_client, acme).status_code == 200
