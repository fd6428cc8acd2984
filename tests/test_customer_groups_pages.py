"""Customer groups on the admin's pages: the permission matrix.

The six agents of ``tests.teams`` over every page that reads customers, customer users and
tickets: lists, their counts, searches and filters, detail views and their widgets, business
cards, the ticket detail view, history pages and the autocomplete. Each agent finds exactly the
CustomerIDs, logins and ticket titles of the customers their groups give them; every URL of a
record they do not see answers 404, as a record that does not exist. A few pages run in German
too: what is hidden stays hidden whatever the language.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.admin.pagination import EstimatedCountPaginator
from otrs_customer_admin.models import Customer, DynamicField, TicketState
from tests.factories import build_customer, make_customer, make_customer_user, make_sla, make_ticket
from tests.markup import attribute, document, element, elements, text
from tests.teams import AGENTS, CHANGES, SEES, make_teams

pytestmark = pytest.mark.django_db

TICKET_WIDGETS = ["escalations", "reminders", "open-tickets", "ticket-list"]
# Group support on, and every widget on both detail views.
GROUPS_ON = {
    "CUSTOMER_GROUP_SUPPORT": True,
    "CUSTOMER_WIDGETS": ["customer-information", *TICKET_WIDGETS, "customer-users"],
    "CUSTOMER_USER_WIDGETS": ["customer-user-information", *TICKET_WIDGETS],
}
GROUPS_OFF = {**GROUPS_ON, "CUSTOMER_GROUP_SUPPORT": False}
CUSTOMERS = reverse("admin:otrs_customer_admin_customer_changelist")
CUSTOMER_USERS = reverse("admin:otrs_customer_admin_customeruser_changelist")
TICKETS = reverse("admin:otrs_customer_admin_ticket_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")

# The people and whose they are; Bruno also works for ALPHA.
OWN_CUSTOMER = {"anna": "ALPHA", "bruno": "BRAVO", "theo": "THIRD"}
WORKS_FOR = {"ALPHA": {"anna", "bruno"}, "BRAVO": {"bruno"}, "THIRD": {"theo"}}
NAMES = {"ALPHA": "Alpha Industries", "BRAVO": "Bravo Logistics", "THIRD": "Third Party Ltd"}
PEOPLE_NAMES = {"anna": "Anna Alpha", "bruno": "Bruno Bravo", "theo": "Theo Third"}
# ALPHA's tickets whose customer user is Bruno: those who see ALPHA see them, and his name on
# them; only those who also see BRAVO see him (his card, his detail).
ALPHA_FOR_BRUNO = ("Alpha overdue for Bruno", "Alpha reminder for Bruno")
# Every ticket title, by CustomerID, and their customer user's login.
TICKETS_OF = {
    "ALPHA": {"Alpha printer": "anna", ALPHA_FOR_BRUNO[0]: "bruno", ALPHA_FOR_BRUNO[1]: "bruno"},
    "BRAVO": {"Bravo forklift": "bruno"},
    "THIRD": {"Third invoice": "theo"},
}


@pytest.fixture
def teams(db, settings):
    settings.OTRS_CUSTOMER_ADMIN = GROUPS_ON
    teams = make_teams()
    now = timezone.now()
    sla = make_sla()  # first response within an hour: a ticket of five hours ago is escalated
    make_ticket(
        teams.alpha,
        ALPHA_FOR_BRUNO[0],
        customer_user=teams.bruno,
        sla=sla,
        state=TicketState.OPEN,
        created_at=now - timedelta(hours=5),
    )
    make_ticket(
        teams.alpha,
        ALPHA_FOR_BRUNO[1],
        customer_user=teams.bruno,
        state=TicketState.PENDING_REMINDER,
        pending_until=now - timedelta(hours=1),
    )
    return teams


@pytest.fixture(params=["en", "de"])
def language(request, client):
    """The page in English, and in German (the language cookie, as the language menu sets it)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = request.param
    return request.param


def login(client, teams, name):
    client.force_login(teams.agent(name))
    return client


def hidden(name):
    return {"ALPHA", "BRAVO", "THIRD"} - SEES[name]


def people_seen(name):
    return {login for login, customer_id in OWN_CUSTOMER.items() if customer_id in SEES[name]}


def titles_seen(name):
    return {title for customer_id in SEES[name] for title in TICKETS_OF[customer_id]}


def records(teams):
    """Every record of the world, with the CustomerID that decides who sees it."""
    yield "customer", teams.alpha, "ALPHA"
    yield "customer", teams.bravo, "BRAVO"
    yield "customer", teams.third, "THIRD"
    yield "customeruser", teams.anna, "ALPHA"
    yield "customeruser", teams.bruno, "BRAVO"
    yield "customeruser", teams.theo, "THIRD"
    for customer_id, ticket in teams.tickets.items():
        yield "ticket", ticket, customer_id


def detail_url(model, obj):
    return reverse(f"admin:otrs_customer_admin_{model}_detail", args=[obj.pk])


def linked_urls(page):
    """Every link of the page (hrefs and business-card URLs)."""
    return {attribute(node, "href") for node in elements(page, "a", href=True)} | {
        attribute(node, "data-otrs-card") for node in elements(page, "a", data_otrs_card=True)
    }


def assert_no_link_to_hidden(page, teams, name):
    """No link of the page opens a record ``name`` does not see (its detail view or its card)."""
    urls = linked_urls(page)
    for model, obj, customer_id in records(teams):
        if customer_id in SEES[name]:
            continue
        for view in ("detail", "card"):
            try:
                url = reverse(f"admin:otrs_customer_admin_{model}_{view}", args=[obj.pk])
            except Exception:  # tickets have no card
                continue
            assert url not in urls, (name, model, obj)


def assert_names_nothing_hidden(page, name):
    """The page names no customer ``name`` does not see, neither by name nor by CustomerID."""
    shown = text(page)
    for customer_id in hidden(name):
        assert NAMES[customer_id] not in shown, (name, customer_id)
        assert not re.search(rf"\b{customer_id}\b", shown), (name, customer_id)


def listed(response):
    """The records of a changelist page: CustomerIDs, logins or ticket titles."""
    assert response.status_code == 200, response
    rows = response.context["cl"].result_list
    return {getattr(row, "login", None) or getattr(row, "title", None) or row.customer_id for row in rows}


# --- lists, their counts, searches and filters ---------------------------------------------------


@pytest.mark.parametrize("name", AGENTS)
def test_the_customer_list_its_count_and_search_show_only_visible_customers(client, teams, name, language):
    login(client, teams, name)
    response = client.get(CUSTOMERS)
    assert response.headers["Content-Language"] == language
    assert listed(response) == SEES[name]
    assert response.context["cl"].result_count == len(SEES[name])
    page = document(response)
    assert_names_nothing_hidden(page, name)
    assert_no_link_to_hidden(page, teams, name)
    assert listed(client.get(CUSTOMERS, {"q": "Alpha OR Bravo* OR *Party"})) == SEES[name]
    assert listed(client.get(CUSTOMERS, {"q": "NOT nothing-like-this"})) == SEES[name]


@pytest.mark.parametrize("name", AGENTS)
def test_the_lists_edit_links_only_where_the_agent_may_change(client, teams, name):
    login(client, teams, name)
    for model, changelist, obj_of in (
        ("customer", CUSTOMERS, {"ALPHA": teams.alpha, "BRAVO": teams.bravo, "THIRD": teams.third}),
        ("customeruser", CUSTOMER_USERS, {"ALPHA": teams.anna, "BRAVO": teams.bruno, "THIRD": teams.theo}),
    ):
        edits = {
            attribute(node, "href") for node in elements(document(client.get(changelist)), "a", class_="otrs-edit-link")
        }
        expected = {
            reverse(f"admin:otrs_customer_admin_{model}_change", args=[obj_of[key].pk]) for key in CHANGES[name]
        }
        assert edits == expected, model


@pytest.mark.parametrize("name", AGENTS)
def test_a_dynamic_field_search_finds_only_visible_customers(client, teams, name):
    DynamicField.objects.create(
        object_type="customer", name="Region", label="Region", field_type="text", searchable=True
    )
    for customer in (teams.alpha, teams.bravo, teams.third):
        customer.dynamic_fields = {"Region": "north"}
        customer.save()
    login(client, teams, name)
    assert listed(client.get(CUSTOMERS, {"q": "DynamicField_Region:north"})) == SEES[name]


@pytest.mark.parametrize("name", AGENTS)
def test_the_customer_user_list_its_count_and_search_show_only_visible_people(client, teams, name, language):
    login(client, teams, name)
    response = client.get(CUSTOMER_USERS)
    assert listed(response) == people_seen(name)
    assert response.context["cl"].result_count == len(people_seen(name))
    page = document(response)
    assert_names_nothing_hidden(page, name)
    assert_no_link_to_hidden(page, teams, name)
    assert listed(client.get(CUSTOMER_USERS, {"q": "anna OR bruno OR theo"})) == people_seen(name)
    assert listed(client.get(CUSTOMER_USERS, {"q": "ALPHA OR BRAVO OR THIRD"})) == people_seen(name)


@pytest.mark.parametrize("name", AGENTS)
@pytest.mark.parametrize("customer_id", ["ALPHA", "BRAVO", "THIRD"])
def test_the_customer_filter_of_the_customer_user_list_names_and_matches_only_visible_customers(
    client, teams, name, customer_id
):
    """Bruno also works for ALPHA: filtered by ALPHA, he shows only to those who see BRAVO; and
    BRAVO's agent, typing ALPHA's key into the URL, learns neither its name nor that Bruno works there."""
    customer = Customer.objects.get(customer_id=customer_id)
    login(client, teams, name)
    response = client.get(CUSTOMER_USERS, {"customer__id__exact": customer.pk})
    expected = {person for person in WORKS_FOR[customer_id] if person in people_seen(name)}
    assert listed(response) == (expected if customer_id in SEES[name] else set())
    assert_names_nothing_hidden(document(response), name)


@pytest.mark.parametrize("name", AGENTS)
def test_the_ticket_list_its_count_and_search_show_only_tickets_of_visible_customers(client, teams, name, language):
    login(client, teams, name)
    response = client.get(TICKETS)
    assert listed(response) == titles_seen(name)
    assert response.context["cl"].result_count == len(titles_seen(name))
    page = document(response)
    assert_names_nothing_hidden(page, name)
    assert_no_link_to_hidden(page, teams, name)
    assert listed(client.get(TICKETS, {"q": "Alpha* OR Bravo* OR Third*"})) == titles_seen(name)


def test_the_ticket_list_names_a_hidden_customer_user_without_linking_them(client, teams):
    login(client, teams, "agent-a")
    response = client.get(TICKETS)
    row = next(
        row
        for row, ticket in zip(response.context["results"], response.context["cl"].result_list, strict=True)
        if ticket.title == ALPHA_FOR_BRUNO[0]
    )
    cell = document(" ".join(str(cell) for cell in row))
    assert "Bruno Bravo" in text(cell)
    assert detail_url("customeruser", teams.bruno) not in linked_urls(cell)
    # Those who see him get his card.
    login(client, teams, "agent-ab")
    assert detail_url("customeruser", teams.bruno) in linked_urls(document(client.get(TICKETS)))


@pytest.mark.parametrize("name", AGENTS)
@pytest.mark.parametrize("field", ["customer", "customer_user"])
def test_the_ticket_lists_customer_filters_name_and_match_only_visible_records(client, teams, name, field):
    login(client, teams, name)
    if field == "customer":
        choices = {customer_id: Customer.objects.get(customer_id=customer_id) for customer_id in NAMES}
        expected = {key: set(TICKETS_OF[key]) if key in SEES[name] else set() for key in choices}
    else:
        choices = {"anna": teams.anna, "bruno": teams.bruno, "theo": teams.theo}
        expected = {
            person: {
                title
                for customer_id in SEES[name]
                for title, owner in TICKETS_OF[customer_id].items()
                if owner == person
            }
            if person in people_seen(name)
            else set()
            for person in choices
        }
    for key, record in choices.items():
        response = client.get(TICKETS, {f"{field}__id__exact": record.pk})
        assert listed(response) == expected[key], (field, key)
        page = document(response)
        assert_names_nothing_hidden(page, name)
        if field == "customer_user" and key not in people_seen(name):
            # The filter's chosen value is not named either.
            assert not elements(page, "option", value=str(record.pk), selected=True)


@pytest.mark.parametrize("name", AGENTS)
def test_the_autocomplete_offers_only_visible_customers_and_people(client, teams, name):
    login(client, teams, name)

    def offered(model_name, field_name):
        response = client.get(
            AUTOCOMPLETE,
            {"app_label": "otrs_customer_admin", "model_name": model_name, "field_name": field_name, "term": ""},
        )
        assert response.status_code == 200
        return {item["text"] for item in response.json()["results"]}

    customers = {f"{NAMES[customer_id]} ({customer_id})" for customer_id in SEES[name]}
    assert offered("customeruser", "customer") == customers
    assert offered("ticket", "customer") == customers
    people = offered("ticket", "customer_user")
    assert {login for login in OWN_CUSTOMER if any(login in offer for offer in people)} == people_seen(name)


@pytest.mark.postgres
def test_on_postgresql_the_estimated_count_is_of_the_visible_rows_not_the_table(client, teams, monkeypatch):
    Customer.objects.bulk_create([build_customer(f"C{number:03d}", f"Customer {number:03d}") for number in range(300)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 0)  # every list shows the estimate
    login(client, teams, "root")
    assert re.search(r"about 3\d\d customers \(estimated\)", text(document(client.get(CUSTOMERS))))
    login(client, teams, "agent-a")
    response = client.get(CUSTOMERS)
    shown = text(document(response))
    estimate = re.search(r"about (\d+) customers? \(estimated\)", shown)
    assert estimate, shown[-2000:]
    assert int(estimate.group(1)) < 100  # the planner's guess at agent-a's customers, not at the 303 of the table
    assert listed(response) == {"ALPHA"}


# --- detail views, their widgets, cards --------------------------------------------------------


def widget(page, key):
    return element(page, "section", data_widget=key)


def widget_count(page, key):
    return int(text(element(widget(page, key), "span", class_="otrs-widget-count")))


def ticket_titles(node):
    return {title for titles in TICKETS_OF.values() for title in titles if title in text(node)}


@pytest.mark.parametrize("name", [name for name in AGENTS if "ALPHA" in SEES[name]])
def test_a_customers_people_widget_lists_counts_and_offers_only_what_the_agent_may(client, teams, name, language):
    login(client, teams, name)
    page = document(client.get(detail_url("customer", teams.alpha)))
    people = widget(page, "customer-users")
    rows = elements(people, "tr", data_login=True)
    expected = {person for person in WORKS_FOR["ALPHA"] if person in people_seen(name)}
    assert {attribute(row, "data-login") for row in rows} == expected
    assert widget_count(page, "customer-users") == len(expected)
    changes = "ALPHA" in CHANGES[name]
    add_user = reverse("admin:otrs_customer_admin_customeruser_add") + f"?customer={teams.alpha.pk}"
    assert (add_user in linked_urls(people)) is changes
    assert bool(elements(people, "a", class_="otrs-create-ticket")) is changes
    edits = {attribute(node, "href") for node in elements(people, "a", class_="otrs-edit-link")}
    assert edits == (
        {reverse("admin:otrs_customer_admin_customeruser_change", args=[teams.anna.pk])} if changes else set()
    ) | (
        {reverse("admin:otrs_customer_admin_customeruser_change", args=[teams.bruno.pk])}
        if "BRAVO" in CHANGES[name]
        else set()
    )
    # The ticket widgets: every ticket of ALPHA; Bruno's name on his, linked only for those who see him.
    tickets = widget(page, "ticket-list")
    assert ticket_titles(tickets) == set(TICKETS_OF["ALPHA"])
    assert widget_count(page, "ticket-list") == 3
    assert "Bruno Bravo" in text(tickets)
    assert (detail_url("customeruser", teams.bruno) in linked_urls(page)) is ("BRAVO" in SEES[name])
    assert_no_link_to_hidden(page, teams, name)
    # Actions of the page: Add Customer User with rw only.
    assert (add_user in linked_urls(page)) is changes
    # Customer Information: ALPHA's own counts, three open tickets.
    counts = [int(text(node)) for node in elements(widget(page, "customer-information"), "strong")]
    assert counts[:2] == [3, 0]
    # Anna's page offers Create Ticket (for ALPHA) with rw on ALPHA only.
    create = (
        reverse("admin:otrs_customer_admin_ticket_add") + f"?customer={teams.alpha.pk}&customer_user={teams.anna.pk}"
    )
    assert (create in linked_urls(document(client.get(detail_url("customeruser", teams.anna))))) is changes


@pytest.mark.parametrize("name", [name for name in AGENTS if "ALPHA" in SEES[name]])
def test_show_all_customer_users_counts_the_visible_ones_and_leads_to_them(client, teams, name, settings):
    settings.OTRS_CUSTOMER_ADMIN = {**GROUPS_ON, "WIDGET_ROWS": 1}
    login(client, teams, name)
    people = widget(document(client.get(detail_url("customer", teams.alpha))), "customer-users")
    expected = {person for person in WORKS_FOR["ALPHA"] if person in people_seen(name)}
    more = elements(people, "p", class_="otrs-widget-more")
    if len(expected) == 1:
        assert more == []
        return
    assert text(more[0]) == f"Show all {len(expected)} customer users"
    assert listed(client.get(attribute(element(more[0], "a"), "href"))) == expected


@pytest.mark.parametrize("name", [name for name in AGENTS if "BRAVO" in SEES[name]])
def test_a_customer_users_ticket_widgets_show_and_count_only_tickets_of_visible_customers(
    client, teams, name, settings, language
):
    """Bruno's tickets are BRAVO's and ALPHA's: agent-b sees BRAVO's only, in every widget and count."""
    settings.OTRS_CUSTOMER_ADMIN = {**GROUPS_ON, "WIDGET_ROWS": 1}
    login(client, teams, name)
    page = document(client.get(detail_url("customeruser", teams.bruno)))
    sees_alpha = "ALPHA" in SEES[name]
    visible = {"Bravo forklift", *(ALPHA_FOR_BRUNO if sees_alpha else ())}
    assert ticket_titles(page) <= visible
    if not sees_alpha:
        assert not ticket_titles(page) & set(ALPHA_FOR_BRUNO)
    assert widget_count(page, "escalations") == (1 if sees_alpha else 0)
    assert widget_count(page, "reminders") == (1 if sees_alpha else 0)
    assert widget_count(page, "open-tickets") == len(visible)
    assert widget_count(page, "ticket-list") == len(visible)
    more = [text(node) for node in elements(page, "p", class_="otrs-widget-more")]
    if sees_alpha:
        assert any("3" in line for line in more), more  # "Show all 3 tickets" / "Alle 3 Tickets anzeigen"
    else:
        assert more == []  # one ticket, one row: nothing more to show
    # Customer User Information: the open and closed counts of the visible tickets.
    information = widget(page, "customer-user-information")
    counts = [int(text(node)) for node in elements(information, "strong")]
    assert counts[:2] == [len(visible), 0]
    assert_no_link_to_hidden(page, teams, name)
    assert_names_nothing_hidden(page, name)


@pytest.mark.parametrize("name", AGENTS)
def test_cards_count_only_what_the_agent_sees(client, teams, name, language):
    login(client, teams, name)
    for model, obj, customer_id in records(teams):
        if model == "ticket":
            continue
        response = client.get(reverse(f"admin:otrs_customer_admin_{model}_card", args=[obj.pk]))
        assert response.status_code == (200 if customer_id in SEES[name] else 404), (model, customer_id)
    if "ALPHA" in SEES[name]:
        card = document(client.get(reverse("admin:otrs_customer_admin_customer_card", args=[teams.alpha.pk])))
        # Anna is ALPHA's own; Bruno also works there, counted for those who see him.
        counted = text(element(card, "dd", data_count="customer-users"))
        assert counted.startswith("1 ")
        assert ("2" not in counted and "," not in counted) is ("BRAVO" not in SEES[name]), counted
    if "BRAVO" in SEES[name]:
        card = document(client.get(reverse("admin:otrs_customer_admin_customeruser_card", args=[teams.bruno.pk])))
        open_tickets = 3 if "ALPHA" in SEES[name] else 1
        assert re.search(rf"\b{open_tickets}\b", text(card)), text(card)
        assert_names_nothing_hidden(card, name)


@pytest.mark.parametrize("name", [name for name in AGENTS if "ALPHA" in SEES[name]])
def test_the_ticket_detail_names_a_hidden_customer_user_without_links(client, teams, name, language):
    ticket = teams.alpha.tickets.get(title=ALPHA_FOR_BRUNO[0])
    login(client, teams, name)
    page = document(client.get(detail_url("ticket", ticket)))
    person = element(page, "dd", data_field="customer_user")
    assert "Bruno Bravo (bruno)" in text(person)
    assert bool(elements(person, "a")) is ("BRAVO" in SEES[name])
    assert_no_link_to_hidden(page, teams, name)


# --- every URL of a hidden record answers 404 -------------------------------------------------------


RECORD_VIEWS = {
    "customer": ("detail", "card", "change", "history", "delete", "merge", "invalidate"),
    "customeruser": ("detail", "card", "change", "history", "delete", "invalidate"),
    "ticket": ("detail", "change", "history", "delete"),
}


@pytest.mark.parametrize("name", AGENTS)
def test_every_url_of_a_hidden_record_answers_404_and_of_a_visible_one_opens(client, teams, name, language):
    login(client, teams, name)
    for model, obj, customer_id in records(teams):
        for view in RECORD_VIEWS[model]:
            url = reverse(f"admin:otrs_customer_admin_{model}_{view}", args=[obj.pk])
            status = client.get(url).status_code
            if customer_id not in SEES[name]:
                assert status == 404, (model, customer_id, view, status)
                assert client.post(url, {"post": "yes"}).status_code == 404, (model, customer_id, view)
            elif view in ("detail", "card", "change", "history"):
                # A ro agent's change view is Django's view-only form.
                assert status == 200, (model, customer_id, view, status)
            else:
                assert status in (200, 302, 403), (model, customer_id, view, status)
    assert Customer.objects.count() == 3 and all(customer.is_valid for customer in Customer.objects.all())


@pytest.mark.parametrize("name", ["agent-a", "agent-ro"])
def test_a_hidden_record_and_a_missing_one_answer_alike(client, teams, name):
    login(client, teams, name)
    for view in ("detail", "change", "history", "delete"):
        hidden_record = client.get(reverse(f"admin:otrs_customer_admin_customer_{view}", args=[teams.bravo.pk]))
        missing = client.get(reverse(f"admin:otrs_customer_admin_customer_{view}", args=[99999]))
        assert hidden_record.status_code == missing.status_code == 404, view


def test_a_ro_agents_change_view_is_the_view_only_form(client, teams):
    login(client, teams, "agent-ro")
    response = client.get(reverse("admin:otrs_customer_admin_customer_change", args=[teams.alpha.pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert (
        client.post(
            reverse("admin:otrs_customer_admin_customer_change", args=[teams.alpha.pk]), {"name": "Renamed"}
        ).status_code
        == 403
    )
    teams.alpha.refresh_from_db()
    assert teams.alpha.name == "Alpha Industries"


def test_the_widgets_post_of_a_detail_view_leads_back_to_a_404_for_a_hidden_record(client, teams):
    login(client, teams, "agent-a")
    next_url = detail_url("customer", teams.bravo)
    response = client.post(
        reverse("admin:otrs_customer_admin_customer_widgets"),
        {"action": "hide", "widget": "customer-users", "next": next_url},
        follow=True,
    )
    assert response.status_code == 404
    assert "Bravo" not in response.content.decode()


def test_without_group_support_a_missing_record_redirects_as_django_does(client, teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = GROUPS_OFF
    login(client, teams, "agent-a")
    assert client.get(detail_url("customer", teams.bravo)).status_code == 200  # everyone sees everything
    response = client.get(reverse("admin:otrs_customer_admin_customer_change", args=[99999]))
    assert response.status_code == 302


# --- query counts ----------------------------------------------------------------------------------


def test_a_visible_customers_detail_view_costs_at_most_one_query_more_than_without_groups(client, teams, settings):
    login(client, teams, "agent-a")
    url = detail_url("customer", teams.alpha)

    def queries():
        client.get(url)  # caches warm
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    with_groups = queries()
    settings.OTRS_CUSTOMER_ADMIN = GROUPS_OFF
    without = queries()
    assert with_groups <= without + 1, (with_groups, without)


@pytest.mark.parametrize("name", ["agent-ab", "agent-all"])
def test_a_customers_detail_view_costs_the_same_queries_for_more_people_and_tickets(client, teams, name):
    """Each row's links and counts come with the rows: no query per person, ticket or customer."""
    login(client, teams, name)
    url = detail_url("customer", teams.alpha)

    def queries():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    few = queries()
    for number in range(15):
        person = make_customer_user(teams.bravo, f"extra{number}", "Extra", f"Person {number}")
        person.additional_customers.add(teams.alpha)
        make_ticket(teams.alpha, f"Extra ticket {number}", customer_user=person)
        stranger = make_customer_user(make_customer(f"X{number}", f"Stranger {number}"), f"x{number}", "X", "Y")
        stranger.additional_customers.add(teams.alpha)  # of a customer nobody but agent-all sees
        make_ticket(teams.alpha, f"Stranger ticket {number}", customer_user=stranger)
    assert queries() == few


# --- the sync keeps today's permissions ------------------------------------------------------------


@pytest.mark.ldap
def test_a_restricted_agent_with_the_permissions_still_syncs_tests_and_reads_the_runs(
    client, teams, settings, make_directory
):
    """A sync writes its whole source, whoever sees which of its records: Sync now, Test connection
    and the sync runs need the model permissions they always needed, and no group."""
    from otrs_customer_admin.models import SyncRun

    directory = make_directory()
    settings.OTRS_CUSTOMER_ADMIN = {
        **GROUPS_ON,
        "DATA_SOURCES": {
            "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
            "directory": directory.source(),
        },
    }
    login(client, teams, "agent-a")
    assert "Sync now" in client.get(CUSTOMERS).content.decode()
    assert client.post(reverse("admin:otrs_customer_admin_customer_sync_test", args=["directory"])).status_code == 200
    response = client.post(reverse("admin:otrs_customer_admin_customer_sync", args=["directory"]))
    assert response.status_code == 302
    run = SyncRun.objects.get()
    assert run.user.username == "agent-a"
    assert "Company directory" in client.get(reverse("admin:otrs_customer_admin_syncrun_changelist")).content.decode()
    assert client.get(reverse("admin:otrs_customer_admin_syncrun_change", args=[run.pk])).status_code == 200
    # agent-ro has the same permissions but no rw anywhere: syncing does not ask for one.
    login(client, teams, "agent-ro")
    assert client.post(reverse("admin:otrs_customer_admin_customer_sync", args=["directory"])).status_code == 302
    assert SyncRun.objects.count() == 2
