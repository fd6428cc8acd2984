"""Customer groups in the model layer: who sees and changes which customers, customer users and
tickets (``visible_to``, ``changeable_by``, ``may_view``, ``may_change``), and the groups every
new customer gets (``CUSTOMER_GROUP_ALWAYS``)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from otrs_customer_admin.models import Customer, CustomerGroup, CustomerUser, Ticket
from otrs_customer_admin.models.visibility import may_change, may_view
from tests.factories import build_customer, make_customer
from tests.teams import CHANGES, SEES, make_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    return make_teams()


@pytest.mark.parametrize("name", sorted(SEES))
def test_each_agent_sees_the_customers_people_and_tickets_of_their_groups(teams, name):
    user = teams.agent(name)
    customers = set(Customer.objects.visible_to(user).values_list("customer_id", flat=True))
    people = set(CustomerUser.objects.visible_to(user).values_list("customer__customer_id", flat=True))
    tickets = set(Ticket.objects.visible_to(user).values_list("customer__customer_id", flat=True))
    assert customers == people == tickets == SEES[name]
    assert {customer.customer_id for customer in Customer.objects.all() if may_view(user, customer)} == SEES[name]


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_only_a_read_write_link_lets_an_agent_change(teams, name):
    user = teams.agent(name)
    assert set(Customer.objects.changeable_by(user).values_list("customer_id", flat=True)) == (
        CHANGES[name] if name != "agent-all" else set()
    )
    assert {customer.customer_id for customer in Customer.objects.all() if may_change(user, customer)} == CHANGES[name]
    assert {person.customer.customer_id for person in CustomerUser.objects.all() if may_change(user, person)} == (
        CHANGES[name]
    )


def test_change_all_customers_lifts_the_limit_for_both(teams, django_user_model):
    from django.contrib.auth.models import Permission

    user = teams.agent("agent-ro")
    user.user_permissions.add(Permission.objects.get(codename="change_all_customers"))
    user = teams.agent("agent-ro")
    assert Customer.objects.changeable_by(user).count() == Customer.objects.visible_to(user).count() == 3
    assert may_change(user, teams.third)


def test_the_annotated_permission_answers_without_a_query(teams, django_assert_num_queries):
    user = teams.agent("agent-ro")
    user.get_all_permissions()  # the permission cache, as a request's earlier checks fill it
    rows = list(Customer.objects.visible_to(user).with_group_permission(user))
    with django_assert_num_queries(0):
        assert [(row.customer_id, may_view(user, row), may_change(user, row)) for row in rows] == [
            ("ALPHA", True, False)
        ]


def test_without_group_support_everyone_sees_everything(teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": False}
    user = teams.agent("agent-a")
    assert Customer.objects.visible_to(user).count() == 3
    assert may_change(user, teams.third)


def test_a_user_without_groups_or_an_anonymous_one_sees_nothing(teams, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    lonely = django_user_model.objects.create_user("lonely", is_staff=True)
    assert not Customer.objects.visible_to(lonely).exists()
    assert not Customer.objects.visible_to(AnonymousUser()).exists()
    assert Customer.objects.visible_to(None).count() == 3  # the site itself: a command without --user


def test_every_new_customer_gets_the_always_groups_read_write(teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True, "CUSTOMER_GROUP_ALWAYS": ["support", "team-a"]}
    saved = make_customer("NEW1", "New One")
    Customer.objects.bulk_create([build_customer("NEW2", "New Two")])
    for customer_id in ("NEW1", "NEW2"):
        links = CustomerGroup.objects.filter(customer__customer_id=customer_id)
        assert sorted(links.values_list("group__name", "permission")) == [("support", "rw"), ("team-a", "rw")]
    assert Group.objects.filter(name="support").exists()  # created when first needed
    saved.name = "New One Renamed"
    saved.save()
    assert CustomerGroup.objects.filter(customer=saved).count() == 2  # a change links nothing more
    assert may_change(teams.agent("agent-a"), saved)


def test_the_always_groups_wait_for_group_support(settings, db):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_ALWAYS": ["support"]}
    make_customer("NEW1", "New One")
    assert not CustomerGroup.objects.exists()


def test_a_customer_links_a_group_once(teams):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerGroup.objects.create(customer=teams.alpha, group=teams.groups["team-a"], permission="ro")


def test_the_always_setting_is_checked(settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_ALWAYS": "support"}
    with pytest.raises(CommandError, match="E040"):
        call_command("check")


def test_group_links_read_and_write_as_text():
    from django.core.exceptions import ValidationError

    from otrs_customer_admin.models.customer_groups import format_group_links, parse_group_links

    assert parse_group_links(" support:RW; billing ;; billing:rw ") == {"support": "rw", "billing": "rw"}
    assert parse_group_links("billing", default="rw") == {"billing": "rw"}
    assert parse_group_links("") == {}
    assert format_group_links({"support": "rw", "billing": "ro"}) == "billing:ro; support:rw"
    with pytest.raises(ValidationError, match="“support:admin” is not a group with :ro or :rw"):
        parse_group_links("support:admin")


def test_a_new_customer_needs_a_read_write_group_of_its_maker(teams, settings):
    from otrs_customer_admin.models.customer_groups import gives_rw

    agent = teams.agent("agent-a")
    assert gives_rw(agent, ["team-a"])
    assert not gives_rw(agent, ["team-b"])
    assert gives_rw(teams.agent("root"), [])
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True, "CUSTOMER_GROUP_ALWAYS": ["team-a"]}
    assert gives_rw(teams.agent("agent-a"), [])
