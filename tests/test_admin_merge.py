"""Merge into… in the customer admin: the two pages, the POST that merges, and who may."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, Ticket, TicketState, Validity
from tests.factories import build_ticket, make_customer, make_customer_user
from tests.markup import action_groups, attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


def url(name, obj, **query):
    address = reverse(f"admin:otrs_customer_admin_customer_{name}", args=[obj.pk])
    return address + "".join(f"?{key}={value}" for key, value in query.items())


@pytest.fixture
def into():
    return make_customer("ACME", "ACME GmbH")


@pytest.fixture
def source():
    twin = make_customer("ACME-2", "Acme G.m.b.H.", city="Berlin", url="https://acme.example")
    make_customer_user(twin, "jane", "Jane", "Doe")
    make_customer_user(twin, "john", "John", "Doe")
    make_customer_user(twin, "jim", "Jim", "Beam")
    Ticket.objects.bulk_create(
        build_ticket(twin, "t", number=f"2026{n:04d}", state=TicketState.OPEN) for n in range(25)
    )
    return twin


def state():
    return (
        list(Customer.objects.order_by("pk").values()),
        list(CustomerUser.objects.order_by("pk").values_list("pk", "customer_id")),
        list(Ticket.objects.order_by("pk").values_list("pk", "customer_id")),
        LogEntry.objects.count(),
    )


def staff(*codenames):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


MAY_MERGE = ("view_customer", "change_customer", "view_customeruser", "change_customeruser")


# --- the action -----------------------------------------------------------------------------------


def test_the_detail_view_offers_merge_into(admin_client, source):
    groups = action_groups(document(admin_client.get(url("detail", source))))
    assert ("Merge into…", url("merge", source)) in groups["Organize"]


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_customer_offers_no_merge(admin_client):
    with get_data_source("directory").writing():
        directory = make_customer("DIR", "Directory Inc", data_source="directory")
    groups = action_groups(document(admin_client.get(url("detail", directory))))
    assert all(title != "Merge into…" for actions in groups.values() for title, _href in actions)


@pytest.mark.parametrize(
    ("codenames", "offered", "status"),
    [
        (MAY_MERGE, True, 200),
        (("view_customer", "change_customer", "view_customeruser"), False, 403),
        (("view_customer", "view_customeruser", "change_customeruser"), False, 403),
    ],
    ids=["customers-and-customer-users", "no-customer-user-change", "no-customer-change"],
)
def test_merging_needs_change_permission_on_customers_and_customer_users(
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


# --- step 1: which customer -------------------------------------------------------------------------


def test_the_first_step_asks_for_a_valid_customer_and_offers_the_possible_duplicates(admin_client, source, into):
    make_customer("OTHER", "Other Ltd")
    make_customer("OLD", "ACME AG", valid=Validity.INVALID)  # a duplicate, but not valid
    before = state()
    response = admin_client.get(url("merge", source))
    assert response.status_code == 200
    page = document(response)
    select = element(page, "select", name="into")
    assert "admin-autocomplete" in attribute(select, "class")
    assert attribute(select, "data-ajax--url") == reverse("admin:autocomplete")
    assert (attribute(select, "data-model-name"), attribute(select, "data-field-name")) == ("customeruser", "customer")
    shortcuts = elements(page, "a", class_="otrs-merge-duplicate")
    assert [(text(link), attribute(link, "href")) for link in shortcuts] == [
        ("ACME GmbH (ACME)", url("merge", source, into=into.pk))
    ]
    assert element(page, "form", class_="otrs-merge-form").attributes.count(("method", "get")) == 1
    assert state() == before


def test_the_autocomplete_behind_the_picker_offers_valid_customers(admin_client, source, into):
    make_customer("OLD", "Acme Old", valid=Validity.INVALID)
    query = "app_label=otrs_customer_admin&model_name=customeruser&field_name=customer&term=acme"
    found = admin_client.get(f"{reverse('admin:autocomplete')}?{query}").json()["results"]
    assert sorted(result["text"] for result in found) == ["ACME GmbH (ACME)", "Acme G.m.b.H. (ACME-2)"]


@pytest.mark.parametrize("choice", ["self", "invalid", "missing", "garbage"])
def test_a_customer_that_cannot_be_chosen_is_asked_for_again(admin_client, source, choice):
    invalid = make_customer("GONE", "Gone Inc", valid=Validity.INVALID)
    value = {"self": source.pk, "invalid": invalid.pk, "missing": 999999, "garbage": "x"}[choice]
    before = state()
    for response in (
        admin_client.get(url("merge", source, into=value)),
        admin_client.post(url("merge", source), {"into": value}),
    ):
        assert response.status_code == 200
        assert "Choose a valid customer other than this one." in text(
            element(document(response), "div", class_="otrs-merge-errors")
        )
    assert state() == before


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_read_only_customer_is_refused_with_the_reason(admin_client, into):
    with get_data_source("directory").writing():
        directory = make_customer("DIR", "Directory Inc", data_source="directory")
    before = state()
    for response in (
        admin_client.get(url("merge", directory)),
        admin_client.post(url("merge", directory), {"into": into.pk}),
    ):
        page = document(response)
        assert response.status_code == 200
        assert text(element(page, "div", class_="otrs-merge-refusals")) == (
            "This customer cannot be merged: Directory Inc (DIR) belongs to the read-only data source "
            "Head office LDAP: only its sync changes it, so it cannot be merged away."
        )
        assert not elements(page, "select", name="into")
    assert state() == before


# --- step 2: what moves --------------------------------------------------------------------------------


def test_the_confirmation_lists_exactly_what_moves_and_changes_nothing(admin_client, source, into):
    before = state()
    response = admin_client.get(url("merge", source, into=into.pk))
    assert response.status_code == 200
    page = document(response)
    people = element(page, "section", data_merge="customer-users")
    assert text(element(people, "h3")) == "3 customer users move"
    assert [text(item) for item in elements(people, "li")] == ["Jim Beam (jim)", "Jane Doe (jane)", "John Doe (john)"]
    tickets = element(page, "section", data_merge="tickets")
    assert text(element(tickets, "h3")) == "25 tickets move"
    listed = text(element(tickets, "p", class_="otrs-merge-tickets"))
    assert listed.startswith("20260000, 20260001,") and listed.endswith("20260019 … and 5 more")
    filled = element(page, "section", data_merge="filled")
    assert text(element(filled, "dl")) == "City Berlin URL https://acme.example"
    retired = element(page, "section", data_merge="retired")
    assert text(element(retired, "q")) == "Merged into ACME GmbH (ACME)."
    form = element(element(page, "div", id="content-main"), "form", method="post")
    assert element(form, "input", name="into").attributes.count(("value", str(into.pk))) == 1
    assert elements(form, "input", name="csrfmiddlewaretoken")
    assert text(element(form, "button", type="submit")) == "Yes, merge"
    assert state() == before


def test_the_confirmation_lists_the_dynamic_fields_it_fills_by_label_and_yes_fills_them(admin_client, source, into):
    DynamicField.objects.create(
        object_type="customer", name="Tier", label="Contract tier", field_type="dropdown", choices={"gold": "Gold"}
    )
    source.dynamic_fields["Tier"] = "gold"
    source.save()
    page = document(admin_client.get(url("merge", source, into=into.pk)))
    filled = element(page, "section", data_merge="filled")
    assert text(element(filled, "dl")) == "City Berlin URL https://acme.example Contract tier Gold"
    planned = attribute(element(element(page, "div", id="content-main"), "input", name="planned"), "value")

    admin_client.post(url("merge", source), {"into": into.pk, "planned": planned})

    assert Customer.objects.get(pk=into.pk).dynamic_fields["Tier"] == "gold"


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_refused_plan_shows_its_reasons_and_no_yes(admin_client, source, into):
    with get_data_source("directory").writing():
        make_customer_user(source, "ldap-jo", data_source="directory")
    before = state()
    page = document(admin_client.get(url("merge", source, into=into.pk)))
    assert "ldap-jo" in text(element(page, "div", class_="otrs-merge-refusals"))
    assert not elements(element(page, "div", id="content-main"), "button", type="submit")

    response = admin_client.post(url("merge", source), {"into": into.pk}, follow=True)
    assert response.redirect_chain == [(url("merge", source, into=into.pk), 302)]
    assert "Nothing was merged: These customer users of Acme G.m.b.H. (ACME-2)" in response.content.decode()
    assert state() == before


# --- the POST -----------------------------------------------------------------------------------------


def test_yes_merges_and_opens_into_with_a_message(admin_client, admin_user, source, into):
    response = admin_client.post(url("merge", source), {"into": into.pk}, follow=True)
    assert response.redirect_chain == [(url("detail", into), 302)]
    assert "Acme G.m.b.H. (ACME-2) was merged into ACME GmbH (ACME): 3 customer users, 25 tickets moved." in text(
        document(response)
    )
    source.refresh_from_db()
    into.refresh_from_db()
    assert not source.is_valid and into.city == "Berlin"
    assert into.open_ticket_count == 25 and into.customer_users.count() == 3
    assert LogEntry.objects.filter(user=admin_user).count() == 2 + 3 + 25


def test_a_customer_changed_after_the_confirm_page_was_shown_is_not_merged(admin_client, source, into):
    page = document(admin_client.get(url("merge", source, into=into.pk)))
    planned = attribute(element(element(page, "div", id="content-main"), "input", name="planned"), "value")
    Customer.objects.filter(pk=into.pk).update(city="Hamburg")  # an import, say, in between
    before = state()

    response = admin_client.post(url("merge", source), {"into": into.pk, "planned": planned}, follow=True)
    assert (
        "Nothing was merged: ACME GmbH (ACME) changed since the merge was planned (an import, a sync or a user "
        "saved it); run the merge again." in text(document(response))
    )
    assert state() == before

    page = document(response)  # the confirm page again, planned on what is there now
    planned = attribute(element(element(page, "div", id="content-main"), "input", name="planned"), "value")
    response = admin_client.post(url("merge", source), {"into": into.pk, "planned": planned})
    assert response.status_code == 302 and Ticket.objects.filter(customer=into).count() == 25


def test_only_a_post_with_its_csrf_token_merges(admin_client, admin_user, source, into):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = state()
    assert client.post(url("merge", source), {"into": into.pk}).status_code == 403
    assert admin_client.put(url("merge", source), {"into": into.pk}).status_code == 405
    assert state() == before

    page = document(client.get(url("merge", source, into=into.pk)))
    token = attribute(element(element(page, "div", id="content-main"), "input", name="csrfmiddlewaretoken"), "value")
    response = client.post(url("merge", source), {"into": into.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == url("detail", into)
    assert Ticket.objects.filter(customer=into).count() == 25


def test_the_history_of_both_customers_tells_of_the_merge(admin_client, source, into):
    admin_client.post(url("merge", source), {"into": into.pk})
    history = admin_client.get(url("history", into)).content.decode()
    assert "Merged Acme G.m.b.H. (ACME-2) into this customer: 3 customer users, 25 tickets moved." in history
    history = admin_client.get(url("history", source)).content.decode()
    assert "Merged into ACME GmbH (ACME): 3 customer users, 25 tickets moved; set invalid." in history
