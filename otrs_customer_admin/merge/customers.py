"""Merging two customers that are one company ("ACME GmbH" and "Acme G.m.b.H." after two imports).

Everything of FROM moves to INTO: its customer users (and the customer users that have it as an
additional customer), its tickets; INTO's empty fields are filled from FROM; FROM is set invalid
with a comment naming INTO, never deleted. Each moved record and both customers get one entry in
the admin history. It all happens in one transaction: a merge that fails half-way changes nothing.

``plan_merge()`` says what a merge would do, or why it cannot be done; ``merge_customers()`` does
it (or, with ``dry_run``, reports the plan). The admin's "Merge into…" and ``manage.py
merge_customers`` both call them. The rules:

* A customer cannot be merged into itself, nor into a customer that is not valid (make it valid
  first); FROM may be invalid.
* A customer of a read-only source (a directory) cannot be merged away: only its sync changes it,
  and the sync would bring it back. Nor can one whose customer users, or customer users linked to it
  as an additional customer, belong to a read-only source: their customer is their directory's.
* INTO may belong to a read-only source: it receives the customer users and tickets (the counts of
  its tickets are the package's, not the directory's), but its own fields stay as they are.
* Only empty fields of INTO are filled. The address (street, zip, city) moves as a whole, and
  only when INTO has none of it and both customers are in the same country: a street from FROM
  beside a city of INTO would be an address that does not exist. URL, comment and each (valid)
  dynamic field are filled one by one.
"""

from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import RowsMoved
from ..history import Change, record_history
from ..models import Customer, CustomerUser, Ticket
from ..models.visibility import RW, may_change, restricted
from ..writes import before_write, load_links, load_values, replace_values
from .common import (
    MergeRefused,
    Plan,
    address_to_fill,
    dynamic_fields_to_fill,
    dynamic_state,
    fill,
    lock_pair,
    merged_comment,
    one_by_one_to_fill,
    retire,
    state_of,
    visible_people,
)

ADDRESS_FIELDS = ("street", "zip", "city")
FILLED_ONE_BY_ONE = ("url", "comment")
# How many ticket numbers a plan lists; it counts all of them.
TICKETS_LISTED = 20
# How many customer users a refusal names.
USERS_NAMED = 10
# What a merge compares of the customers it planned on.
PLANNED_FIELDS = ("data_source", "invalidated_by_sync", *Customer.RECORD_FIELDS)
USER_FIELDS = ("pk", "login", "title", "first_name", "last_name", "data_source", "customer_id")
USER_ORDER = ("last_name", "first_name", "login_key")


@dataclass
class MergePlan(Plan):
    """What merging the customer ``source`` (FROM) into ``target`` (INTO) moves and changes, or why it cannot."""

    customer_users: list = field(default_factory=list)
    additional_links: list = field(default_factory=list)
    # What a user whose groups limit them is shown (``plan_merge``'s ``viewer``): the people of
    # ``additional_links`` they see, and how many others move that they cannot see.
    shown_additional_links: list = field(default_factory=list)
    hidden_customer_users: int = 0

    def moved_summary(self):
        return moved_summary(len(self.customer_users), len(self.additional_links), self.ticket_count)


@dataclass
class MergeReport:
    """What ``merge_customers()`` did (or, in a dry run, would do)."""

    plan: MergePlan
    dry_run: bool
    customer_users: int
    additional_links: int
    tickets: int

    def moved_summary(self):
        return moved_summary(self.customer_users, self.additional_links, self.tickets)


def moved_summary(customer_users, additional_links, tickets):
    """What a merge moves, in words: "3 customer users, 50 tickets"."""
    parts = [
        ngettext("%(count)d customer user", "%(count)d customer users", customer_users) % {"count": customer_users},
        ngettext("%(count)d ticket", "%(count)d tickets", tickets) % {"count": tickets},
    ]
    if additional_links:
        parts.insert(
            1,
            ngettext("%(count)d additional customer link", "%(count)d additional customer links", additional_links)
            % {"count": additional_links},
        )
    return ", ".join(parts)


# --- additional customers ---------------------------------------------------------------------


def additional_link_users(customer):
    """The customer users that have ``customer`` as an additional customer (each once)."""
    return list(customer.additional_customer_users.only(*USER_FIELDS).order_by(*USER_ORDER))


def move_additional_links(source, target, moved_user_ids=()):
    """Make the links to ``source`` as an additional customer links to ``target``; returns how many moved.

    A link ``target`` already has, or one to the customer user's own customer, is dropped instead,
    and so are the links to ``target`` of the customer users who just moved to it
    (``moved_user_ids``): ``target`` is their customer now.
    """
    through = CustomerUser.additional_customers.through.objects
    links = through.filter(customer=source)
    user_ids = set(links.values_list("customeruser_id", flat=True))
    already = set(
        through.filter(customer=target, customeruser_id__in=user_ids).values_list("customeruser_id", flat=True)
    )
    already |= set(CustomerUser.objects.filter(pk__in=user_ids, customer=target).values_list("pk", flat=True))
    links.filter(customeruser_id__in=already).delete()
    links.update(customer=target)
    through.filter(customer=target, customeruser_id__in=list(moved_user_ids)).delete()
    return len(user_ids)


# --- the plan -------------------------------------------------------------------------------


def plan_merge(source, target, viewer=None):
    """The ``MergePlan`` of merging ``source`` into ``target``; reads, never writes.

    ``viewer``: the user the merge is for (None: the site itself). Their groups must let them change
    both customers; the plan names only the people they see and counts the others. A merge never
    touches group links: each customer keeps its own."""
    plan = MergePlan(source=source, target=target)
    dynamic = load_values(Customer, {source.pk, target.pk})
    plan.state = f"{planned_state(source, dynamic[source.pk])}:{planned_state(target, dynamic[target.pk])}"
    if source.pk == target.pk:
        plan.refusals.append(_("A customer cannot be merged into itself."))
        return plan
    plan.refusals += group_refusals(viewer, source, target)
    plan.refusals += source_refusals(source)
    if not target.is_valid:
        plan.refusals.append(
            _("%(customer)s is not valid; make it valid before merging into it.") % {"customer": target}
        )
    plan.customer_users = list(source.customer_users.only(*USER_FIELDS).order_by(*USER_ORDER))
    plan.additional_links = additional_link_users(source)
    seen = visible_people(viewer, plan.customer_users + plan.additional_links)
    plan.shown_additional_links = [person for person in plan.additional_links if person.pk in seen]
    plan.hidden_customer_users = len(plan.additional_links) - len(plan.shown_additional_links)
    refuse_read_only_users(
        plan,
        [user for user in plan.customer_users if user.is_read_only],
        seen,
        _(
            "These customer users of %(customer)s belong to a read-only data source, so their customer cannot "
            "change: %(users)s."
        ),
    )
    refuse_read_only_users(
        plan,
        [user for user in plan.additional_links if user.is_read_only],
        seen,
        _(
            "These customer users with %(customer)s as an additional customer belong to a read-only data "
            "source, so their customers cannot change: %(users)s."
        ),
    )
    tickets = Ticket.objects.filter(customer=source)
    plan.ticket_count = tickets.count()
    plan.ticket_numbers = list(tickets.order_by("number").values_list("number", flat=True)[:TICKETS_LISTED])
    plan.filled = fields_to_fill(plan)
    if not target.is_read_only:
        plan.dynamic_filled = dynamic_fields_to_fill(dynamic[source.pk], dynamic[target.pk])
        plan.dynamic_read = {name: dynamic[target.pk][name] for name in plan.dynamic_filled}
    plan.source_comment = merged_comment(source.comment, target)
    return plan


def source_refusals(source):
    """Why ``source`` cannot be merged into any customer, whatever its customer users: a list of sentences."""
    if not source.is_read_only:
        return []
    return [
        _(
            "%(customer)s belongs to the read-only data source %(source)s: only its sync changes it, "
            "so it cannot be merged away."
        )
        % {"customer": source, "source": source.source}
    ]


def refuse_read_only_users(plan, users, seen, sentence):
    """Refuse the plan because of ``users``: those in ``seen`` (pks) by login, the others counted."""
    if not users:
        return
    shown = [user for user in users if user.pk in seen]
    named = ", ".join(user.login for user in shown[:USERS_NAMED])
    if len(shown) > USERS_NAMED:
        named += " " + _("and %(count)d more") % {"count": len(shown) - USERS_NAMED}
    hidden = len(users) - len(shown)
    if hidden:
        unseen = ngettext(
            "%(count)d customer user you cannot see", "%(count)d customer users you cannot see", hidden
        ) % {"count": hidden}
        named = _("%(named)s and %(unseen)s") % {"named": named, "unseen": unseen} if named else unseen
    plan.refusals.append(sentence % {"customer": plan.source, "users": named})


def group_refusals(viewer, source, target):
    """Why ``viewer``'s groups do not let them merge: both customers need a read-and-write link.
    Named by the CustomerID the viewer chose, not by name."""
    if not restricted(viewer, RW):
        return []
    return [
        _("Your groups do not let you change the customer %(id)s (a merge needs read and write on both).")
        % {"id": customer.customer_id}
        for customer in (source, target)
        if not may_change(viewer, customer)
    ]


def fields_to_fill(plan):
    """The empty fields of INTO and FROM's values for them (none when INTO is read-only)."""
    source, target = plan.source, plan.target
    if target.is_read_only:
        plan.notes.append(
            _(
                "%(customer)s belongs to the read-only data source %(source)s: it receives the customer users "
                "and tickets, but its empty fields are not filled."
            )
            % {"customer": target, "source": target.source}
        )
        return {}
    filled, other_country = address_to_fill(source, target, ADDRESS_FIELDS)
    if other_country:
        plan.notes.append(
            _("The address of %(source)s is in another country than %(target)s; it is not taken over.")
            % {"source": source, "target": target}
        )
    return {**filled, **one_by_one_to_fill(source, target, FILLED_ONE_BY_ONE)}


# --- the merge -------------------------------------------------------------------------------


def merge_customers(source, target, *, user, dry_run=False, planned=None, viewer=None):
    """Merge ``source`` (FROM) into ``target`` (INTO), in one transaction; returns a ``MergeReport``.

    ``user`` is who the history names. Raises ``MergeRefused`` (changing nothing) when the
    plan refuses, or when a customer changed since it was planned: since ``source`` and ``target``
    were read, or since the plan whose ``state`` is ``planned`` (the confirm page's). With ``dry_run``
    nothing is written and the report gives the plan's numbers. ``viewer``: as for ``plan_merge``.
    """
    if dry_run:
        plan = plan_merge(source, target, viewer)
        if not plan.allowed:
            raise MergeRefused(plan.refusals, plan)
        return MergeReport(plan, True, len(plan.customer_users), len(plan.additional_links), plan.ticket_count)
    before_write.send(sender="merge")
    with transaction.atomic():
        source, target = locked(source, target, planned)
        plan = plan_merge(source, target, viewer)
        if not plan.allowed:
            raise MergeRefused(plan.refusals, plan)
        now = timezone.now()
        tickets = list(Ticket.objects.filter(customer=source).order_by("pk").values_list("pk", "number", "title"))
        relinked = [person.pk for person in plan.additional_links]
        links_before = load_links(CustomerUser, "additional_customers", relinked)
        moved_users = CustomerUser.objects.filter(customer=source).update(customer=target, changed_at=now)
        moved_links = move_additional_links(source, target, [person.pk for person in plan.customer_users])
        moved_tickets = Ticket.objects.filter(customer=source).update(customer=target, changed_at=now)
        filled = fill(target, plan.filled)
        try:
            replace_values(Customer, {target.pk: plan.dynamic_filled}, read={target.pk: plan.dynamic_read})
        except RowsMoved:
            raise MergeRefused([changed_message() % {"customer": target}]) from None
        filled.update(
            {f"DynamicField_{name}": (plan.dynamic_read[name], value) for name, value in plan.dynamic_filled.items()}
        )
        retired = retire(source, plan.source_comment)
        links = {
            "before": links_before,
            "after": load_links(CustomerUser, "additional_customers", relinked),
        }
        report = MergeReport(plan, False, moved_users, moved_links, moved_tickets)
        log_merge(report, tickets, user, retired=retired, filled=filled, links=links)
    return report


def locked(source, target, planned=None):
    """Both customers, fresh from the database and locked until the transaction ends (where the database locks rows).

    While FROM is locked no customer user or ticket can be added to it (their foreign key waits).
    The merge was planned on the customers as the caller read them (the confirm page, the
    command): if another writer changed one since, what was planned is not what would be merged.
    """
    states = (planned or "").split(":")

    def differs(position, read, now):
        if changed_since(read, now):
            return True
        if planned is None:
            return False
        return states[position : position + 1] != [planned_state(now, load_values(Customer, [now.pk])[now.pk])]

    return lock_pair(
        Customer,
        source,
        target,
        gone=lambda customer: _("%(customer)s no longer exists.") % {"customer": customer},
        changed=lambda customer: changed_message() % {"customer": customer},
        differs=differs,
    )


def changed_message():
    return _(
        "%(customer)s changed since the merge was planned (an import, a sync or a user saved it); run the merge again."
    )


def planned_state(customer, dynamic=None):
    """What the merge plans on of ``customer`` (its fields and ``dynamic``, its dynamic field values
    as ``load_values`` reads them), as text: the confirm page sends it with its POST."""
    return state_of(customer, PLANNED_FIELDS, dynamic_state(dynamic))


def changed_since(read, now):
    """Whether the customer ``now`` (fresh from the database) differs from ``read``, as the caller read it,
    in what the customer's writers write (not the ticket counters every ticket write keeps)."""
    return any(getattr(read, name) != getattr(now, name) for name in PLANNED_FIELDS)


def log_merge(report, tickets, user, *, retired, filled, links):
    """The history of each moved record and each of the two customers, in bulk, with old -> new
    values (``retired`` and ``filled``: ``{field: (old, new)}`` of FROM and INTO; ``links``:
    the additional customers of the relinked people before and after).

    Stored as text: the customers' own texts (``str()``) isolate their values."""
    plan = report.plan
    source, target = plan.source, plan.target
    names = {"source": source.customer_id, "target": target.customer_id}
    moved = _("Moved from %(source)s by merging into %(target)s.") % names
    relinked = _("Additional customer %(source)s replaced by %(target)s by merging the customers.") % names
    summary = report.moved_summary()
    source_message = _("Merged into %(target)s: %(moved)s moved; set invalid.") % {"target": target, "moved": summary}
    target_message = _("Merged %(source)s into this customer: %(moved)s moved.") % {"source": source, "moved": summary}
    if plan.filled or plan.dynamic_filled:
        target_message += " " + _("Filled from it: %(fields)s.") % {
            "fields": ", ".join(label for label, _value in plan.filled_fields())
        }
    record_history(
        user,
        "merge",
        Customer,
        [
            Change(source.pk, source, CHANGE, source_message, retired),
            Change(target.pk, target, CHANGE, target_message, filled),
        ],
    )
    customer = {"customer": (source.pk, target.pk)}
    people = [Change(person.pk, person, CHANGE, moved, customer) for person in plan.customer_users]
    people += [
        Change(
            person.pk,
            person,
            CHANGE,
            relinked,
            {"additional_customers": (list(links["before"][person.pk]), list(links["after"][person.pk]))},
        )
        for person in plan.additional_links
    ]
    record_history(user, "merge", CustomerUser, people)
    record_history(
        user,
        "merge",
        Ticket,
        [Change(pk, f"{number}: {title}", CHANGE, moved, customer) for pk, number, title in tickets],
    )
