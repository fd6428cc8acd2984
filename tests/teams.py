"""The permission matrix's world: two teams and a third party, and the agents who look at them.

* Team A's customer ``ALPHA`` (Alpha Industries) with Anna and a ticket, team B's ``BRAVO``
  (Bravo Logistics) with Bruno and a ticket, and ``THIRD`` (Third Party Ltd), linked to no
  group, with Theo and a ticket. Bruno also works for ALPHA (an additional customer): he shows
  there only to those who see BRAVO.
* Agents (staff, with every model permission of the package): ``agent-a`` (group ``team-a``
  rw on ALPHA), ``agent-b`` (``team-b`` rw on BRAVO), ``agent-ab`` (both groups), ``agent-ro``
  (``readers``, ro on ALPHA), ``agent-all`` (``view_all_customers``) and ``root`` (superuser).
  Every password is ``pw``.

``make_teams()`` builds it and returns a ``Teams``; the ``teams`` fixture (in the modules that
use it) turns group support on first::

    @pytest.fixture
    def teams(db, settings):
        settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
        return make_teams()
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission, User

from otrs_customer_admin.models import CustomerGroup
from tests.factories import make_customer, make_customer_user, make_ticket

PASSWORD = "pw"
# The package's model permissions every agent has; customer groups decide the rest.
AGENT_MODELS = ("customer", "customeruser", "ticket", "sla", "syncrun", "dynamicfield", "customergroup")
AGENTS = ("agent-a", "agent-b", "agent-ab", "agent-ro", "agent-all", "root")


@dataclass
class Teams:
    alpha: object
    bravo: object
    third: object
    anna: object
    bruno: object
    theo: object
    tickets: dict = field(default_factory=dict)  # customer id -> its ticket
    groups: dict = field(default_factory=dict)  # group name -> Group
    agents: dict = field(default_factory=dict)  # username -> User

    def agent(self, name):
        """A fresh copy of the agent ``name``: looked-up rights and permissions are kept per user object."""
        return User.objects.get(username=name)


def agent_permissions():
    return Permission.objects.filter(
        content_type__app_label="otrs_customer_admin", content_type__model__in=AGENT_MODELS
    )


def make_agent(username, groups=(), *, superuser=False, extra_permissions=()):
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, is_superuser=superuser)
    user.user_permissions.add(*agent_permissions().exclude(codename__in=["view_all_customers", "change_all_customers"]))
    for codename in extra_permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    user.groups.add(*groups)
    return user


def link(customer, group, permission="rw"):
    return CustomerGroup.objects.create(customer=customer, group=group, permission=permission)


def make_teams():
    alpha = make_customer("ALPHA", "Alpha Industries", city="Aachen")
    bravo = make_customer("BRAVO", "Bravo Logistics", city="Bremen")
    third = make_customer("THIRD", "Third Party Ltd", city="Trier")
    anna = make_customer_user(alpha, "anna", "Anna", "Alpha")
    bruno = make_customer_user(bravo, "bruno", "Bruno", "Bravo")
    bruno.additional_customers.add(alpha)
    theo = make_customer_user(third, "theo", "Theo", "Third")
    tickets = {
        "ALPHA": make_ticket(alpha, "Alpha printer", customer_user=anna),
        "BRAVO": make_ticket(bravo, "Bravo forklift", customer_user=bruno),
        "THIRD": make_ticket(third, "Third invoice", customer_user=theo),
    }
    groups = {name: Group.objects.create(name=name) for name in ("team-a", "team-b", "readers")}
    link(alpha, groups["team-a"], "rw")
    link(bravo, groups["team-b"], "rw")
    link(alpha, groups["readers"], "ro")
    agents = {
        "agent-a": make_agent("agent-a", [groups["team-a"]]),
        "agent-b": make_agent("agent-b", [groups["team-b"]]),
        "agent-ab": make_agent("agent-ab", [groups["team-a"], groups["team-b"]]),
        "agent-ro": make_agent("agent-ro", [groups["readers"]]),
        "agent-all": make_agent("agent-all", extra_permissions=["view_all_customers"]),
        "root": make_agent("root", superuser=True),
    }
    return Teams(alpha, bravo, third, anna, bruno, theo, tickets, groups, agents)


# Which customers each agent sees and changes (CustomerIDs).
SEES = {
    "agent-a": {"ALPHA"},
    "agent-b": {"BRAVO"},
    "agent-ab": {"ALPHA", "BRAVO"},
    "agent-ro": {"ALPHA"},
    "agent-all": {"ALPHA", "BRAVO", "THIRD"},
    "root": {"ALPHA", "BRAVO", "THIRD"},
}
CHANGES = {
    "agent-a": {"ALPHA"},
    "agent-b": {"BRAVO"},
    "agent-ab": {"ALPHA", "BRAVO"},
    "agent-ro": set(),
    "agent-all": set(),
    "root": {"ALPHA", "BRAVO", "THIRD"},
}
