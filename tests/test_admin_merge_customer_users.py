"""Merge into… on the customer-user detail view: the two pages, the POST that merges, and who may."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.history import entries_of
from otrs_customer_admin.models import Customer, CustomerUser, CustomerUserEmail, Ticket, TicketState, Validity
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket
from tests.markup import action_groups, attribute, document, element, elements, text
from tests.teams import make_teams

pytestmark = pytest.mark.django_db

SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


def url(name, obj, **query):
    address = reverse(f"admin:otrs_customer_admin_customeruser_{name}", args=[obj.pk])
    return address + "".join(f"?{key}={value}" for key, value in query.items())


@pytest.fixture
def acme():
    return make_customer("ACME", "ACME GmbH")


@pytest.fixture
def into(acme):
    return make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane.doe@acme.example")


@pytest.fixture
def source(acme):
    """Jane Doe twice: jane.d, with a phone, an additional address and 25 open tickets."""
    twin = make_customer_user(acme, "jane.d", "JANE", "DOE", email="jane@old.example", phone="+49 30 1234")
    CustomerUserEmail.objects.create(customer_user=twin, email="jane@private.example")
    Ticket.objects.bulk_create(
        build_ticket(acme, "t", number=f"2026{n:04d}", state=TicketState.OPEN, customer_user=twin) for n in range(25)
    )
    return twin


def state():
    return (
        list(CustomerUser.objects.order_by("pk").values()),
        list(CustomerUserEmail.objects.order_by("pk").values_list("pk", "customer_user_id")),
        list(Ticket.objects.order_by("pk").values_list("pk", "customer_user_id")),
    )


def staff(*codenames):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


MAY_MERGE = ("view_customer", "view_customeruser", "change_customeruser", "view_ticket", "change_ticket")


def planned_of(page):
    return attribute(element(element(page, "div", id="content-main"), "input", name="planned"), "value")


# --- the action -----------------------------------------------------------------------------------


def test_the_detail_view_offers_merge_into(admin_client, source):
    groups = action_groups(document(admin_client.get(url("detail", source))))
    assert ("Merge into…", url("merge", source)) in groups["Organize"]


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_customer_user_offers_no_merge_and_is_refused_with_the_reason(admin_client, acme, into):
    with get_data_source("directory").writing():
        directory = make_customer_user(acme, "ldap-jane", data_source="directory")
    groups = action_groups(document(admin_client.get(url("detail", directory))))
    assert all(title != "Merge into…" for actions in groups.values() for title, _href in actions)
    before = state()
    for response in (
        admin_client.get(url("merge", directory)),
        admin_client.post(url("merge", directory), {"into": into.pk}),
    ):
        page = document(response)
        assert response.status_code == 200
        assert text(element(page, "div", class_="otrs-merge-refusals")) == (
            "This customer user cannot be merged: Jane Doe (ldap-jane) belongs to the read-only data source "
            "Head office LDAP: only its sync changes them, so they cannot be merged away."
        )
        assert not elements(page, "select", name="into")
    assert state() == before


@pytest.mark.parametrize(
    ("codenames", "offered", "status"),
    [
        (MAY_MERGE, True, 200),
        (("view_customer", "view_customeruser", "view_ticket", "change_ticket"), False, 403),
        (("view_customer", "view_customeruser", "change_customeruser", "view_ticket"), False, 403),
    ],
    ids=["customer-users-and-tickets", "no-customer-user-change", "no-ticket-change"],
)
def test_merging_needs_change_permission_on_customer_users_and_tickets(
    client, source, into, codenames, offered, status
):
    client.force_login(staff(*codenames))
    groups = action_groups(document(client.get(url("detail", source))))
    assert (("Merge into…", url("merge", source)) in groups.get("Organize", [])) is offered
    before = state()
    assert client.get(url("merge", source)).status_code == status
    assert client.get(url("merge", source, into=into.pk)).status_code == status
    response = client.post(url("merge", source), {"into": into.pk})
    if status == 403:
        assert response.status_code == 403
        assert state() == before
    else:
        assert response.status_code == 302


# --- step 1: which customer user --------------------------------------------------------------------


def test_the_first_step_asks_for_a_valid_person_and_offers_the_possible_duplicates(admin_client, acme, source, into):
    make_customer_user(acme, "other", "Other", "Person")
    make_customer_user(acme, "jane.old", "Jane", "Doe", valid=Validity.INVALID)  # a duplicate, but not valid
    before = state()
    page = document(admin_client.get(url("merge", source)))
    select = element(page, "select", name="into")
    assert "admin-autocomplete" in attribute(select, "class")
    assert (attribute(select, "data-model-name"), attribute(select, "data-field-name")) == ("ticket", "customer_user")
    shortcuts = elements(page, "a", class_="otrs-merge-duplicate")
    assert [(text(link), attribute(link, "href")) for link in shortcuts] == [
        ("Jane Doe (jdoe)", url("merge", source, into=into.pk))
    ]
    assert state() == before


def test_the_autocomplete_behind_the_picker_offers_valid_people(admin_client, acme, source, into):
    make_customer_user(acme, "jane.old", "Jane", "Doe", valid=Validity.INVALID)
    query = "app_label=otrs_customer_admin&model_name=ticket&field_name=customer_user&term=jane"
    found = admin_client.get(f"{reverse('admin:autocomplete')}?{query}").json()["results"]
    assert sorted(result["text"] for result in found) == ["JANE DOE (jane.d)", "Jane Doe (jdoe)"]


@pytest.mark.parametrize("choice", ["self", "invalid", "missing", "garbage"])
def test_a_person_who_cannot_be_chosen_is_asked_for_again(admin_client, acme, source, choice):
    invalid = make_customer_user(acme, "gone", valid=Validity.INVALID)
    value = {"self": source.pk, "invalid": invalid.pk, "missing": 999999, "garbage": "x"}[choice]
    before = state()
    for response in (
        admin_client.get(url("merge", source, into=value)),
        admin_client.post(url("merge", source), {"into": value}),
    ):
        assert response.status_code == 200
        assert "Choose a valid customer user other than this one." in text(
            element(document(response), "div", class_="otrs-merge-errors")
        )
    assert state() == before


# --- step 2: what moves, and the POST --------------------------------------------------------------------


def test_the_confirmation_lists_exactly_what_moves_and_changes_nothing(admin_client, source, into):
    before = state()
    page = document(admin_client.get(url("merge", source, into=into.pk)))
    tickets = element(page, "section", data_merge="tickets")
    assert text(element(tickets, "h3")) == "25 tickets move"
    listed = text(element(tickets, "p", class_="otrs-merge-tickets"))
    assert listed.startswith("20260000, 20260001,") and listed.endswith("20260019 … and 5 more")
    addresses = element(page, "section", data_merge="addresses")
    assert text(element(addresses, "h3")) == "2 email addresses become additional addresses of Jane Doe (jdoe)"
    assert [text(item) for item in elements(addresses, "li")] == ["jane@old.example", "jane@private.example"]
    assert not elements(page, "section", data_merge="additional-customers")  # the same customer
    assert text(element(element(page, "section", data_merge="filled"), "dl")) == "Phone +49 30 1234"
    assert text(element(element(page, "section", data_merge="retired"), "q")) == "Merged into Jane Doe (jdoe)."
    form = element(element(page, "div", id="content-main"), "form", method="post")
    assert element(form, "input", name="into").attributes.count(("value", str(into.pk))) == 1
    assert elements(form, "input", name="csrfmiddlewaretoken")
    assert text(element(form, "button", type="submit")) == "Yes, merge"
    assert state() == before


def test_yes_merges_and_opens_into_with_a_message(admin_client, admin_user, source, into):
    page = document(admin_client.get(url("merge", source, into=into.pk)))
    response = admin_client.post(url("merge", source), {"into": into.pk, "planned": planned_of(page)}, follow=True)
    assert response.redirect_chain == [(url("detail", into), 302)]
    assert "JANE DOE (jane.d) was merged into Jane Doe (jdoe): 25 tickets, 2 email addresses moved." in text(
        document(response)
    )
    source.refresh_from_db()
    into.refresh_from_db()
    assert not source.is_valid and into.phone == "+49 30 1234" and into.open_ticket_count == 25
    assert entries_of(CustomerUser, into.pk).get().actor == admin_user


def test_a_get_never_merges_and_a_post_needs_the_csrf_token(admin_user, source, into):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(admin_user)
    before = state()
    assert checked.post(url("merge", source), {"into": into.pk}).status_code == 403
    assert checked.get(url("merge", source, into=into.pk)).status_code == 200
    assert state() == before


def test_a_person_changed_after_the_confirm_page_was_shown_is_not_merged(admin_client, source, into):
    planned = planned_of(document(admin_client.get(url("merge", source, into=into.pk))))
    CustomerUserEmail.objects.create(customer_user=into, email="jane@home.example")  # a user, in between
    before = state()
    response = admin_client.post(url("merge", source), {"into": into.pk, "planned": planned}, follow=True)
    assert (
        "Nothing was merged: Jane Doe (jdoe) changed since the merge was planned (an import, a sync or a user "
        "saved them); run the merge again." in text(document(response))
    )
    assert state() == before


def test_an_into_set_invalid_meanwhile_is_asked_for_again(admin_client, source, into):
    CustomerUser.objects.filter(pk=into.pk).update(valid=Validity.INVALID)
    # INTO is no choice any more: the first step asks again.
    response = admin_client.get(url("merge", source, into=into.pk))
    assert "Choose a valid customer user other than this one." in response.content.decode()


# --- customer groups ---------------------------------------------------------------------------------


@pytest.fixture
def teams(db, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    teams = make_teams()
    twin = make_customer_user(teams.alpha, "anna2", teams.anna.first_name, teams.anna.last_name)
    twin.additional_customers.add(teams.bravo)
    make_ticket(teams.alpha, title="alpha", number="7001", customer_user=twin)
    make_ticket(teams.bravo, title="bravo", number="7002", customer_user=twin)
    teams.twin = twin
    return teams


def test_the_plan_counts_tickets_and_customers_the_agent_cannot_see_and_names_none(client, teams):
    client.force_login(teams.agent("agent-a"))
    response = client.get(url("merge", teams.twin, into=teams.anna.pk))
    page = document(response)
    assert text(element(page, "span", data_merge="hidden-tickets")) == "and 1 ticket you cannot see"
    assert text(element(page, "li", data_merge="hidden-customers")) == "and 1 customer you cannot see"
    content = response.content.decode()
    assert "7002" not in content and "BRAVO" not in content and "Bravo" not in content
    response = client.post(url("merge", teams.twin), {"into": teams.anna.pk, "planned": planned_of(page)})
    assert response.status_code == 302
    assert Ticket.objects.filter(customer_user=teams.anna).count() == 3  # Anna's own and the two


@pytest.mark.parametrize(("agent", "status"), [("agent-b", 404), ("agent-ro", 403)])
def test_a_hidden_person_is_not_found_and_a_read_only_one_refused(client, teams, agent, status):
    client.force_login(teams.agent(agent))
    assert client.get(url("merge", teams.twin)).status_code == status
    assert client.post(url("merge", teams.twin), {"into": teams.anna.pk}).status_code == status
    assert CustomerUser.objects.get(pk=teams.twin.pk).is_valid


def test_a_merge_goes_only_into_a_person_the_agent_changes(client, teams):
    client.force_login(teams.agent("agent-a"))
    response = client.post(url("merge", teams.twin), {"into": teams.bruno.pk})  # BRAVO's
    assert response.context["form"].errors["into"] == [
        "Choose a valid customer user other than this one, that your groups let you change."
    ]
    assert CustomerUser.objects.get(pk=teams.twin.pk).is_valid
    assert Customer.objects.get(pk=teams.bravo.pk).is_valid
