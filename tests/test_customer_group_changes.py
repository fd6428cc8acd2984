"""Customer groups, the write side: who links customers and groups (the customer's group inline,
the group's list of links), who creates a customer, which customers and people a form takes, the
customer's people inlines, the detail actions and the merge. The world is ``tests.teams``."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse

from otrs_customer_admin.admin.navigation import sidebar_group
from otrs_customer_admin.models import Customer, CustomerGroup, CustomerUser, Ticket
from tests.factories import make_customer
from tests.markup import action_groups, document
from tests.teams import link, make_teams

pytestmark = pytest.mark.django_db

GROUP_PREFIX = "group_links"
REFUSED_CUSTOMER = "Choose a customer you may change (one of your groups links it read and write)."
REFUSED_PERSON = "Choose a customer user you may see."


@pytest.fixture
def teams(settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    return make_teams()


def as_agent(client, teams, name):
    client.force_login(teams.agents[name])
    return client


def url(obj, view, *args):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_{view}", args=args or [obj.pk])


def model_url(model_name, view, *args):
    return reverse(f"admin:otrs_customer_admin_{model_name}_{view}", args=args)


def customer_form(customer=None, groups=(), links=(), **fields):
    """The customer form's POST: ``groups`` are new group rows ``(group, permission)``, ``links`` the
    stored ``CustomerGroup`` rows as the page shows them."""
    data = {
        "data_source": "database",
        "name": customer.name if customer else "Delta Dynamics",
        "customer_id": customer.customer_id if customer else "DELTA",
        "valid": "1",
        "street": "",
        "zip": "",
        "city": "",
        "country": "DE",
        "url": "",
        "comment": "",
        "customer_users-TOTAL_FORMS": "0",
        "customer_users-INITIAL_FORMS": "0",
        "additional_customer_users-TOTAL_FORMS": "0",
        "additional_customer_users-INITIAL_FORMS": "0",
        f"{GROUP_PREFIX}-TOTAL_FORMS": str(len(links) + len(groups)),
        f"{GROUP_PREFIX}-INITIAL_FORMS": str(len(links)),
        **fields,
    }
    for index, row in enumerate(links):
        data[f"{GROUP_PREFIX}-{index}-id"] = str(row.pk)
        data[f"{GROUP_PREFIX}-{index}-customer"] = str(customer.pk)
        data[f"{GROUP_PREFIX}-{index}-group"] = str(row.group_id)
        data[f"{GROUP_PREFIX}-{index}-permission"] = row.permission
    for index, (group, permission) in enumerate(groups, start=len(links)):
        data[f"{GROUP_PREFIX}-{index}-group"] = str(group.pk)
        data[f"{GROUP_PREFIX}-{index}-permission"] = permission
    return data


def links_of(customer):
    return set(CustomerGroup.objects.filter(customer=customer).values_list("group__name", "permission"))


def group_formset(response):
    return next(inline for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == GROUP_PREFIX)


# --- 1. the customer form's group inline -----------------------------------------------------------


def test_an_agent_who_changes_the_customer_edits_its_groups_on_its_form(client, teams):
    as_agent(client, teams, "agent-a")
    page = client.get(url(teams.alpha, "change"))
    inline = group_formset(page)
    assert inline.has_add_permission and inline.has_change_permission and inline.has_delete_permission
    rows = sorted((form.instance.group.name, form.instance.permission) for form in inline.formset.initial_forms)
    assert rows == [("readers", "ro"), ("team-a", "rw")]

    stored = list(CustomerGroup.objects.filter(customer=teams.alpha).order_by("group__name"))
    response = client.post(
        url(teams.alpha, "change"), customer_form(teams.alpha, [(teams.groups["team-b"], "ro")], stored)
    )
    assert response.status_code == 302
    assert links_of(teams.alpha) == {("readers", "ro"), ("team-a", "rw"), ("team-b", "ro")}


def test_the_group_inline_is_read_only_without_rw_or_without_the_link_permissions(client, teams):
    as_agent(client, teams, "agent-ro")
    inline = group_formset(client.get(url(teams.alpha, "change")))
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)

    agent = teams.agents["agent-a"]
    agent.user_permissions.remove(
        *Permission.objects.filter(codename__in=["add_customergroup", "change_customergroup", "delete_customergroup"])
    )
    as_agent(client, teams, "agent-a")
    page = client.get(url(teams.alpha, "change"))
    inline = group_formset(page)
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    assert len(inline.formset.initial_forms) == 2  # shown, as read-only rows


def test_without_group_support_the_customer_form_is_as_before(admin_client, teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": False}
    response = admin_client.get(url(teams.alpha, "change"))
    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert prefixes == ["customer_users", "additional_customer_users"]
    data = customer_form(teams.alpha)
    data = {key: value for key, value in data.items() if not key.startswith(GROUP_PREFIX)}
    assert admin_client.post(url(teams.alpha, "change"), data).status_code == 302
    assert links_of(teams.alpha) == {("readers", "ro"), ("team-a", "rw")}


# --- 3. creating a customer ------------------------------------------------------------------


def test_the_add_form_starts_with_the_agents_own_groups_read_write_and_saves_them(client, teams):
    as_agent(client, teams, "agent-ab")
    inline = group_formset(client.get(model_url("customer", "add")))
    starting = [(form.initial["group"], form.initial["permission"]) for form in inline.formset.extra_forms]
    assert starting == [(teams.groups["team-a"].pk, "rw"), (teams.groups["team-b"].pk, "rw")]

    # Posted as the page shows it: the starting rows are saved although nobody changed them.
    data = customer_form(groups=[(teams.groups["team-a"], "rw"), (teams.groups["team-b"], "rw")])
    assert client.post(model_url("customer", "add"), data).status_code == 302
    delta = Customer.objects.get(customer_id="DELTA")
    assert links_of(delta) == {("team-a", "rw"), ("team-b", "rw")}
    assert client.get(url(delta, "change")).status_code == 200


@pytest.mark.parametrize("groups", [[], [("team-a", "ro")], [("team-b", "rw")]])
def test_a_customer_its_creator_could_not_change_is_refused_with_the_reason(client, teams, groups):
    as_agent(client, teams, "agent-a")
    data = customer_form(groups=[(teams.groups[name], permission) for name, permission in groups])
    response = client.post(model_url("customer", "add"), data)
    assert response.status_code == 200
    assert group_formset(response).formset.non_form_errors() == [
        "Link one of your own groups to the new customer with “read and write”: otherwise you could neither "
        "see nor change it once it is saved."
    ]
    assert not Customer.objects.filter(customer_id="DELTA").exists()


def test_an_unlimited_agent_or_the_always_groups_need_no_starting_rows(client, teams, settings):
    as_agent(client, teams, "root")
    assert group_formset(client.get(model_url("customer", "add"))).formset.extra_forms == []
    assert client.post(model_url("customer", "add"), customer_form()).status_code == 302

    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True, "CUSTOMER_GROUP_ALWAYS": ["team-b"]}
    as_agent(client, teams, "agent-b")
    assert group_formset(client.get(model_url("customer", "add"))).formset.extra_forms == []
    data = customer_form(name="Echo", customer_id="ECHO")
    assert client.post(model_url("customer", "add"), data).status_code == 302
    assert links_of(Customer.objects.get(customer_id="ECHO")) == {("team-b", "rw")}


def test_an_agent_who_may_not_link_groups_may_not_create_customers_they_would_lose(client, teams):
    agent = teams.agents["agent-a"]
    agent.user_permissions.remove(*Permission.objects.filter(codename="add_customergroup"))
    as_agent(client, teams, "agent-a")
    assert client.get(model_url("customer", "add")).status_code == 403
    assert client.post(model_url("customer", "add"), customer_form()).status_code == 403
    assert not Customer.objects.filter(customer_id="DELTA").exists()


# --- 2. the group's side -----------------------------------------------------------------------


def listed_links(response):
    return sorted(
        (row.customer.customer_id, row.group.name, row.permission) for row in response.context["cl"].result_list
    )


def test_the_links_list_shows_the_links_of_customers_the_agent_sees_filtered_by_group(client, teams):
    as_agent(client, teams, "agent-a")
    response = client.get(model_url("customergroup", "changelist"))
    assert listed_links(response) == [("ALPHA", "readers", "ro"), ("ALPHA", "team-a", "rw")]
    assert "Bravo" not in response.content.decode()

    as_agent(client, teams, "agent-ab")
    team_b = teams.groups["team-b"]
    response = client.get(model_url("customergroup", "changelist"), {"group__id__exact": team_b.pk})
    assert listed_links(response) == [("BRAVO", "team-b", "rw")]
    # The group's customers link to their card, the group to its customers.
    page = response.content.decode()
    assert url(teams.bravo, "card") in page
    assert f'{model_url("customergroup", "changelist")}?group__id__exact={team_b.pk}"' in page
    response = client.get(model_url("customergroup", "changelist"), {"q": "alpha"})
    assert listed_links(response) == [("ALPHA", "readers", "ro"), ("ALPHA", "team-a", "rw")]


def link_form(customer, group, permission="rw"):
    return {"customer": str(customer.pk), "group": str(group.pk), "permission": permission}


def test_an_agent_links_and_unlinks_only_customers_they_change(client, teams):
    as_agent(client, teams, "agent-a")
    add = model_url("customergroup", "add")
    assert client.post(add, link_form(teams.alpha, teams.groups["team-b"], "ro")).status_code == 302
    assert ("team-b", "ro") in links_of(teams.alpha)

    for customer in (teams.bravo, teams.third):  # hidden ones: refused, not named
        response = client.post(add, link_form(customer, teams.groups["team-a"]))
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["customer"] == [REFUSED_CUSTOMER]
        assert customer.name not in response.content.decode()
    assert links_of(teams.third) == set()

    readers = CustomerGroup.objects.get(customer=teams.alpha, group=teams.groups["readers"])
    changed = client.post(model_url("customergroup", "change", readers.pk), {"permission": "rw"})
    assert changed.status_code == 302
    assert ("readers", "rw") in links_of(teams.alpha)
    assert client.post(model_url("customergroup", "delete", readers.pk), {"post": "yes"}).status_code == 302
    assert ("readers", "rw") not in links_of(teams.alpha)

    bravo_link = CustomerGroup.objects.get(customer=teams.bravo)
    assert client.post(model_url("customergroup", "delete", bravo_link.pk), {"post": "yes"}).status_code != 200
    assert links_of(teams.bravo) == {("team-b", "rw")}


def test_a_read_only_agent_sees_links_but_changes_none(client, teams):
    as_agent(client, teams, "agent-ro")
    add = model_url("customergroup", "add")
    response = client.post(add, link_form(teams.alpha, teams.groups["readers"]))
    assert response.context["adminform"].form.errors["customer"] == [REFUSED_CUSTOMER]
    link_row = CustomerGroup.objects.get(customer=teams.alpha, group=teams.groups["readers"])
    assert client.post(model_url("customergroup", "change", link_row.pk), {"permission": "rw"}).status_code == 403
    assert client.post(model_url("customergroup", "delete", link_row.pk), {"post": "yes"}).status_code == 403
    assert links_of(teams.alpha) == {("readers", "ro"), ("team-a", "rw")}


def sidebar_titles(user):
    request = RequestFactory().get("/")
    request.user = user
    return [str(item["title"]) for item in sidebar_group()["items"] if item["permission"](request)]


def test_the_links_pages_exist_only_with_group_support(client, teams, settings):
    as_agent(client, teams, "agent-a")
    assert "Customer groups" in sidebar_titles(teams.agent("agent-a"))
    assert client.get(model_url("customergroup", "changelist")).status_code == 200

    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": False}
    assert "Customer groups" not in sidebar_titles(teams.agent("root"))
    as_agent(client, teams, "root")
    assert client.get(model_url("customergroup", "changelist")).status_code == 403
    assert client.get(model_url("customergroup", "add")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert model_url("customergroup", "changelist") not in index


# --- 4. form fields take what the user may choose ---------------------------------------------------


def person_form(customer, **fields):
    return {
        "data_source": "database",
        "title": "",
        "first_name": "Dora",
        "last_name": "Delta",
        "login": "dora",
        "email": "dora@example.com",
        "valid": "1",
        "customer": str(customer.pk),
        "phone": "",
        "fax": "",
        "mobile": "",
        "street": "",
        "zip": "",
        "city": "",
        "country": "",
        "comment": "",
        **fields,
    }


@pytest.mark.parametrize(("agent", "customer"), [("agent-a", "bravo"), ("agent-a", "third"), ("agent-ro", "alpha")])
def test_a_customer_user_goes_only_to_a_customer_the_agent_changes(client, teams, agent, customer):
    as_agent(client, teams, agent)
    customer = getattr(teams, customer)
    response = client.post(model_url("customeruser", "add"), person_form(customer))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"] == [REFUSED_CUSTOMER]
    assert customer.name not in response.content.decode()
    assert not CustomerUser.objects.filter(login="dora").exists()


def test_additional_customers_take_only_customers_the_agent_changes(client, teams):
    as_agent(client, teams, "agent-a")
    data = person_form(teams.alpha, additional_customers=[str(teams.bravo.pk)])
    response = client.post(model_url("customeruser", "add"), data)
    assert response.context["adminform"].form.errors["additional_customers"] == [REFUSED_CUSTOMER]
    assert "Bravo" not in response.content.decode()


def bruno_form(teams, **fields):
    bruno = teams.bruno
    own = {"first_name": bruno.first_name, "last_name": bruno.last_name, "login": bruno.login, "email": bruno.email}
    return person_form(teams.bravo, **{**own, **fields})


def test_hidden_additional_customers_are_neither_shown_nor_lost(client, teams):
    as_agent(client, teams, "agent-b")
    page = client.get(url(teams.bruno, "change"))
    assert page.context["adminform"].form.initial["additional_customers"] == []
    assert "Alpha" not in page.content.decode() and "ALPHA" not in page.content.decode()

    response = client.post(url(teams.bruno, "change"), bruno_form(teams, first_name="Brunello"))
    assert response.status_code == 302
    bruno = CustomerUser.objects.get(pk=teams.bruno.pk)
    assert bruno.first_name == "Brunello"
    assert list(bruno.additional_customers.values_list("customer_id", flat=True)) == ["ALPHA"]

    # Choosing a customer of their own adds it beside the hidden one.
    extra = make_customer("BRAVO2", "Bravo Two")
    link(extra, teams.groups["team-b"])
    data = bruno_form(teams, first_name="Brunello", additional_customers=[str(extra.pk)])
    assert client.post(url(teams.bruno, "change"), data).status_code == 302
    assert set(bruno.additional_customers.values_list("customer_id", flat=True)) == {"ALPHA", "BRAVO2"}


def ticket_form(customer, person=None):
    from tests.test_admin_tickets import ticket_form as full_form

    return full_form(customer, person)


def test_a_ticket_takes_a_customer_the_agent_changes_and_a_person_they_see(client, teams):
    as_agent(client, teams, "agent-a")
    add = model_url("ticket", "add")
    refused = client.post(add, ticket_form(teams.third, teams.theo))
    errors = refused.context["adminform"].form.errors
    assert errors["customer"] == [REFUSED_CUSTOMER] and errors["customer_user"] == [REFUSED_PERSON]
    assert "Third Party" not in refused.content.decode() and "Theo" not in refused.content.decode()

    # Bruno works for ALPHA too, but agent-a does not see him.
    refused = client.post(add, ticket_form(teams.alpha, teams.bruno))
    assert refused.context["adminform"].form.errors["customer_user"] == [REFUSED_PERSON]
    assert "Bruno" not in refused.content.decode()
    assert client.post(add, ticket_form(teams.alpha, teams.anna)).status_code == 302

    as_agent(client, teams, "agent-ro")
    refused = client.post(add, ticket_form(teams.alpha, teams.anna))
    assert refused.context["adminform"].form.errors["customer"] == [REFUSED_CUSTOMER]


def test_a_tickets_hidden_customer_user_stays_when_the_ticket_is_saved(client, teams):
    ticket = Ticket.objects.create(
        number="2099", title="Bruno at Alpha", customer=teams.alpha, customer_user=teams.bruno, priority=3
    )
    as_agent(client, teams, "agent-a")
    data = ticket_form(teams.alpha, teams.bruno)
    data["title"] = "Bruno at Alpha, again"
    assert client.post(url(ticket, "change"), data).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.customer_user_id) == ("Bruno at Alpha, again", teams.bruno.pk)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_the_prefill_refuses_hidden_and_read_only_records_without_naming_them(client, teams):
    as_agent(client, teams, "agent-a")
    response = client.get(model_url("customeruser", "add"), {"customer": teams.bravo.pk})
    assert messages_of(response) == [
        f"“{teams.bravo.pk}” from the address is not a value customer can take; it was not filled in."
    ]
    assert "Bravo" not in response.content.decode()

    response = client.get(model_url("ticket", "add"), {"customer": teams.alpha.pk, "customer_user": teams.bruno.pk})
    assert messages_of(response) == [
        f"“{teams.bruno.pk}” from the address is not a value customer user can take; it was not filled in."
    ]
    assert response.context["adminform"].form.initial["customer"] == str(teams.alpha.pk)
    assert "Bruno" not in response.content.decode()

    as_agent(client, teams, "agent-ro")
    response = client.get(model_url("customeruser", "add"), {"customer": teams.alpha.pk})
    assert messages_of(response) == [
        f"“{teams.alpha.pk}” from the address is not a value customer can take; it was not filled in."
    ]


def test_without_group_support_the_form_fields_offer_every_customer(admin_client, teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": False}
    agent = teams.agent("agent-a")
    admin_client.force_login(agent)
    assert admin_client.post(model_url("customeruser", "add"), person_form(teams.third)).status_code == 302


# --- 5. the customer's people inlines ---------------------------------------------------------------


def additional_formset(response):
    return next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "additional_customer_users"
    )


def test_the_customer_form_lists_only_people_the_agent_sees_and_keeps_the_others(client, teams):
    as_agent(client, teams, "agent-a")
    page = client.get(url(teams.alpha, "change"))
    assert additional_formset(page).formset.initial_forms == []
    assert "Bruno" not in page.content.decode() and "bruno" not in page.content.decode()

    stored = list(CustomerGroup.objects.filter(customer=teams.alpha))
    assert client.post(url(teams.alpha, "change"), customer_form(teams.alpha, links=stored)).status_code == 302
    assert teams.bruno.additional_customers.filter(pk=teams.alpha.pk).exists()

    as_agent(client, teams, "agent-ab")
    page = client.get(url(teams.alpha, "change"))
    assert [form.instance.customeruser for form in additional_formset(page).formset.initial_forms] == [teams.bruno]


def test_an_agent_links_as_additional_customer_users_only_people_they_see(client, teams):
    as_agent(client, teams, "agent-a")
    stored = list(CustomerGroup.objects.filter(customer=teams.alpha))
    data = customer_form(teams.alpha, links=stored)
    data.update(
        {
            "additional_customer_users-TOTAL_FORMS": "1",
            "additional_customer_users-0-customeruser": str(teams.theo.pk),
            "additional_customer_users-0-customer": str(teams.alpha.pk),
        }
    )
    response = client.post(url(teams.alpha, "change"), data)
    assert response.status_code == 200
    assert additional_formset(response).formset.errors == [{"customeruser": [REFUSED_PERSON]}]
    assert "Theo" not in response.content.decode()
    assert not teams.theo.additional_customers.exists()


# --- 6. detail actions ----------------------------------------------------------------------


def action_labels(client, obj):
    groups = action_groups(document(client.get(url(obj, "detail")).content.decode()))
    return {label for actions in groups.values() for label, _href in actions}


def test_actions_that_change_a_customer_show_only_with_rw(client, teams):
    as_agent(client, teams, "agent-a")
    assert {"Edit", "Set invalid", "Merge into…", "Add Customer User"} <= action_labels(client, teams.alpha)
    assert "Create Ticket" in action_labels(client, teams.anna)

    as_agent(client, teams, "agent-ro")
    assert action_labels(client, teams.alpha) & {"Edit", "Set invalid", "Merge into…", "Add Customer User"} == set()
    assert action_labels(client, teams.anna) & {"Edit", "Set invalid", "Create Ticket"} == set()


@pytest.mark.parametrize(("agent", "status"), [("agent-ro", 403), ("agent-b", 404)])
def test_a_read_only_agent_is_refused_and_a_hidden_record_is_not_found(client, teams, agent, status):
    as_agent(client, teams, agent)
    for obj in (teams.alpha, teams.anna):
        assert client.post(url(obj, "invalidate")).status_code == status
        # The change form answers a hidden record as one that does not exist: 404.
        assert client.post(url(obj, "change"), {}).status_code == status
    assert client.get(url(teams.alpha, "merge")).status_code == status
    assert Customer.objects.get(pk=teams.alpha.pk).is_valid and CustomerUser.objects.get(pk=teams.anna.pk).is_valid


def test_a_read_only_agent_opens_the_form_view_only(client, teams):
    as_agent(client, teams, "agent-ro")
    response = client.get(url(teams.alpha, "change"))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# --- 7. merge ---------------------------------------------------------------------------------


@pytest.fixture
def alpha_two(teams):
    customer = make_customer("ALPHA2", "Alpha Industries Two", city="Aachen")
    link(customer, teams.groups["team-a"], "rw")
    return customer


def test_the_merge_plan_counts_people_the_agent_cannot_see_and_names_none(client, teams, alpha_two):
    as_agent(client, teams, "agent-a")
    response = client.get(url(teams.alpha, "merge"), {"into": alpha_two.pk})
    page = response.content.decode()
    assert "and 1 customer user you cannot see" in page
    assert "Bruno" not in page and "bruno" not in page
    assert "anna" in page  # ALPHA's own people are named

    planned = response.context["plan"].state
    assert client.post(url(teams.alpha, "merge"), {"into": alpha_two.pk, "planned": planned}).status_code == 302
    assert teams.bruno.additional_customers.filter(pk=alpha_two.pk).exists()
    # Group links are no part of a merge: each customer keeps its own.
    assert links_of(teams.alpha) == {("readers", "ro"), ("team-a", "rw")}
    assert links_of(alpha_two) == {("team-a", "rw")}


@pytest.mark.parametrize("target", ["bravo", "third", "alpha_ro"])
def test_a_merge_goes_only_into_a_customer_the_agent_changes(client, teams, alpha_two, target):
    as_agent(client, teams, "agent-a")
    if target == "alpha_ro":
        into = make_customer("ALPHA3", "Alpha Readers Only")
        link(into, teams.groups["team-a"], "ro")
    else:
        into = getattr(teams, target)
    response = client.post(url(alpha_two, "merge"), {"into": into.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["into"] == [
        "Choose a valid customer other than this one, that your groups let you change."
    ]
    assert into.name not in response.content.decode()
    assert Customer.objects.get(pk=alpha_two.pk).is_valid


def test_the_merge_command_with_a_user_does_only_what_that_user_may(teams, alpha_two):
    with pytest.raises(CommandError) as refused:
        call_command("merge_customers", "ALPHA", "BRAVO", "--user", "agent-a")
    assert "Your groups do not let you change the customer BRAVO" in str(refused.value)
    assert Customer.objects.get(pk=teams.alpha.pk).is_valid

    from io import StringIO

    out = StringIO()
    call_command("merge_customers", "ALPHA", "ALPHA2", "--user", "agent-a", "--dry-run", stdout=out)
    assert "… and 1 you cannot see" in out.getvalue() and "bruno" not in out.getvalue()

    out = StringIO()
    call_command("merge_customers", "ALPHA", "BRAVO", stdout=out)  # the site itself: as before
    assert not Customer.objects.get(pk=teams.alpha.pk).is_valid
    assert links_of(teams.bravo) == {("team-b", "rw")}


def test_the_merge_page_offers_as_duplicates_only_customers_the_agent_changes(client, teams, alpha_two):
    twin = make_customer("ALPHA-GMBH", "Alpha Industries GmbH")
    link(twin, teams.groups["team-b"], "rw")
    assert twin.name_match_key == teams.alpha.name_match_key  # a possible duplicate of ALPHA
    as_agent(client, teams, "agent-a")
    response = client.get(url(teams.alpha, "merge"))
    assert response.context["duplicates"] == []
    assert "GmbH" not in response.content.decode()

    link(twin, teams.groups["team-a"], "rw")
    response = client.get(url(teams.alpha, "merge"))
    assert response.context["duplicates"] == [twin]


def test_the_link_forms_customer_picker_finds_customers_the_agent_sees(client, teams):
    as_agent(client, teams, "agent-a")
    query = {"app_label": "otrs_customer_admin", "model_name": "customergroup", "field_name": "customer", "term": ""}
    found = client.get(reverse("admin:autocomplete"), query).json()["results"]
    assert [result["id"] for result in found] == [str(teams.alpha.pk)]


def test_a_refused_merge_names_only_the_directory_people_the_agent_sees(settings, alpha_two, teams):
    from otrs_customer_admin.datasources import get_data_source
    from otrs_customer_admin.merge import plan_merge
    from tests.factories import make_customer_user

    settings.OTRS_CUSTOMER_ADMIN = {
        "CUSTOMER_GROUP_SUPPORT": True,
        "DATA_SOURCES": {
            "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
            "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
        },
    }
    with get_data_source("directory").writing():
        make_customer_user(teams.alpha, "ldap-ann", data_source="directory")
        hidden = make_customer_user(teams.bravo, "ldap-bob", data_source="directory")
        hidden.additional_customers.add(teams.alpha)
    refusals = plan_merge(teams.alpha, alpha_two, teams.agent("agent-a")).refusals
    assert refusals == [
        "These customer users of Alpha Industries (ALPHA) belong to a read-only data source, so their customer "
        "cannot change: ldap-ann.",
        "These customer users with Alpha Industries (ALPHA) as an additional customer belong to a read-only data "
        "source, so their customers cannot change: 1 customer user you cannot see.",
    ]
    assert "ldap-bob" in plan_merge(teams.alpha, alpha_two, teams.agent("agent-ab")).refusals[1]


# --- a directory that maps groups -------------------------------------------------------------------


@pytest.fixture
def directory_customer(teams, settings):
    """DIR of a read-only source; its groups come from the directory when ``map_groups``."""

    def make(map_groups):
        attr_map = {"name": "o", "groups": "memberOf"} if map_groups else {"name": "o"}
        settings.OTRS_CUSTOMER_ADMIN = {
            "CUSTOMER_GROUP_SUPPORT": True,
            "DATA_SOURCES": {
                "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
                "directory": {
                    "BACKEND": "tests.sources.MappedDirectorySource",
                    "LABEL": "Head office LDAP",
                    "CUSTOMER_ATTR_MAP": attr_map,
                },
            },
        }
        from otrs_customer_admin.datasources import get_data_source

        with get_data_source("directory").writing():
            customer = make_customer("DIR", "Directory Inc", data_source="directory")
        link(customer, teams.groups["team-a"], "rw")
        return customer

    return make


@pytest.mark.parametrize("map_groups", [True, False])
def test_the_links_of_a_directory_that_maps_groups_change_only_through_its_sync(
    admin_client, directory_customer, teams, map_groups
):
    from django.contrib import admin

    from otrs_customer_admin.admin.customer_groups import CustomerGroupInline

    customer = directory_customer(map_groups)
    request = RequestFactory().get("/")
    request.user = teams.agent("root")
    # The inline the customer's form shows when it is editable (a directory record's unmapped dynamic fields).
    inline = CustomerGroupInline(Customer, admin.site)
    assert bool(inline.has_add_permission(request, customer) and inline.has_delete_permission(request, customer)) is (
        not map_groups
    )

    response = admin_client.post(model_url("customergroup", "add"), link_form(customer, teams.groups["team-b"]))
    existing = CustomerGroup.objects.get(customer=customer, group=teams.groups["team-a"])
    deleted = admin_client.post(model_url("customergroup", "delete", existing.pk), {"post": "yes"})
    if map_groups:
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["customer"] == [
            "This customer's groups come from the data source Head office LDAP; its sync sets them."
        ]
        assert deleted.status_code == 403
        assert links_of(customer) == {("team-a", "rw")}
    else:
        assert response.status_code == deleted.status_code == 302
        assert links_of(customer) == {("team-b", "rw")}
