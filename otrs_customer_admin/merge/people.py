"""Merging two customer users that are one person twice (a new login after a migration, an old address).

Everything of FROM that INTO can take moves to INTO: FROM's tickets (they keep their customer),
its additional customers (INTO works for the union of both, and for FROM's own customer when that
is another one: the tickets that move stay with their customers), its addresses (the primary
and the additional ones become additional addresses of INTO; one INTO already has is skipped,
ignoring case). INTO's empty fields are filled from FROM; FROM is set invalid with a comment
naming INTO, never deleted. FROM, INTO and every moved ticket get a history entry with the old
and new values. It all happens in one transaction, both people locked: a merge that fails
half-way changes nothing.

``plan_merge_customer_users()`` says what a merge would do, or why it cannot be done;
``merge_customer_users()`` does it (or, with ``dry_run``, reports the plan). The admin's "Merge
into…" and ``manage.py merge_customer_users`` both call them. The rules, as for customers:

* A customer user cannot be merged into themselves, nor into one who is not valid (make them
  valid first); FROM may be invalid.
* A customer user of a read-only source (a directory) cannot be merged away: only its sync changes
  them, and the sync would bring them back.
* INTO may belong to a read-only source: it receives the tickets (they are the package's, not the
  directory's), but its own record stays as it is: no field is filled, and no address or
  additional customer is taken over (FROM keeps them). So such a merge is refused when a ticket
  of FROM belongs to a customer INTO does not work for.
* Only empty fields of INTO are filled. The postal address (street, zip, city, country) moves as
  a whole, and only when INTO has none of it; title, phone, fax, mobile, comment and each (valid)
  dynamic field are filled one by one.
* With customer groups, the user needs read and write on the customers of both people, and is
  shown counts, not names, of the tickets and customers they cannot see.
"""

from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import AddressTaken, RowsMoved
from ..folding import fold
from ..history import MERGED_INTO, Change, record_history
from ..models import Customer, CustomerUser, CustomerUserEmail, Ticket
from ..models.visibility import RW, may_change, restricted
from ..writes import before_write, load_links, load_values, move_addresses, replace_links, replace_values
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
)

ADDRESS_FIELDS = ("street", "zip", "city", "country")
FILLED_ONE_BY_ONE = ("title", "phone", "fax", "mobile", "comment")
# How many ticket numbers a plan lists; it counts all of them.
TICKETS_LISTED = 20
# What a merge compares of the people it planned on (the customer as its pk: no query).
PLANNED_FIELDS = (
    "data_source",
    "invalidated_by_sync",
    *("customer_id" if name == "customer" else name for name in CustomerUser.RECORD_FIELDS),
)
LINKS = "additional_customers"


@dataclass
class CustomerUserMergePlan(Plan):
    """What merging the customer user ``source`` (FROM) into ``target`` (INTO) moves and changes, or why it cannot."""

    # FROM's addresses INTO gains (primary first), and those INTO already has.
    addresses: list = field(default_factory=list)
    known_addresses: list = field(default_factory=list)
    # The customers INTO gains as additional customers: those the viewer sees, and how many others.
    additional_customers: list = field(default_factory=list)
    shown_additional_customers: list = field(default_factory=list)
    hidden_additional_customers: int = 0
    # What the plan read of INTO's additional customers and FROM's additional addresses (compare-and-set).
    target_links: tuple = ()
    source_addresses: list = field(default_factory=list)

    def moved_summary(self):
        return moved_summary(self.ticket_count, len(self.addresses), len(self.additional_customers))


@dataclass
class CustomerUserMergeReport:
    """What ``merge_customer_users()`` did (or, in a dry run, would do)."""

    plan: CustomerUserMergePlan
    dry_run: bool
    tickets: int
    addresses: int
    additional_customers: int

    def moved_summary(self):
        return moved_summary(self.tickets, self.addresses, self.additional_customers)


def moved_summary(tickets, addresses, additional_customers):
    """What a merge of people moves, in words: "50 tickets, 3 email addresses"."""
    parts = [ngettext("%(count)d ticket", "%(count)d tickets", tickets) % {"count": tickets}]
    parts.append(ngettext("%(count)d email address", "%(count)d email addresses", addresses) % {"count": addresses})
    if additional_customers:
        parts.append(
            ngettext("%(count)d additional customer", "%(count)d additional customers", additional_customers)
            % {"count": additional_customers}
        )
    return ", ".join(parts)


def additional_addresses(pks):
    """Person pk -> their additional addresses, oldest first (every one of ``pks`` present)."""
    addresses = {pk: [] for pk in pks}
    rows = CustomerUserEmail.objects.filter(customer_user__in=list(pks)).order_by("added_at", "pk")
    for person, email in rows.values_list("customer_user_id", "email"):
        addresses[person].append(email)
    return addresses


def planned_state(person, dynamic=None, addresses=(), links=()):
    """What the merge plans on of ``person``: its fields, its dynamic field values (as
    ``load_values`` reads them), its additional addresses and customers; the confirm page sends it."""
    extra = [*dynamic_state(dynamic), f"addresses={list(addresses)!r}", f"links={sorted(links)!r}"]
    return state_of(person, PLANNED_FIELDS, extra)


# --- the plan -------------------------------------------------------------------------------


def plan_merge_customer_users(source, target, viewer=None):
    """The ``CustomerUserMergePlan`` of merging ``source`` into ``target``; reads, never writes.

    ``viewer``: the user the merge is for (None: the site itself). Their groups must let them
    change both people's customers; the plan names only the tickets and customers they see and
    counts the others."""
    plan = CustomerUserMergePlan(source=source, target=target)
    pks = {source.pk, target.pk}
    dynamic = load_values(CustomerUser, pks)
    addresses = additional_addresses(pks)
    links = load_links(CustomerUser, LINKS, pks)
    plan.state = ":".join(
        planned_state(person, dynamic[person.pk], addresses[person.pk], links[person.pk]) for person in (source, target)
    )
    if source.pk == target.pk:
        plan.refusals.append(_("A customer user cannot be merged into themselves."))
        return plan
    plan.refusals += group_refusals(viewer, source, target)
    plan.refusals += source_refusals(source)
    if not target.is_valid:
        plan.refusals.append(
            _("%(customer_user)s is not valid; make them valid before merging into them.") % {"customer_user": target}
        )
    plan.target_links = links[target.pk]
    plan.source_addresses = addresses[source.pk]

    tickets = Ticket.objects.filter(customer_user=source)
    plan.ticket_count = tickets.count()
    seen = tickets.visible_to(viewer) if restricted(viewer) else tickets
    plan.hidden_tickets = plan.ticket_count - seen.count() if restricted(viewer) else 0
    plan.ticket_numbers = list(seen.order_by("number").values_list("number", flat=True)[:TICKETS_LISTED])
    ticket_customers = set(tickets.order_by().values_list("customer_id", flat=True).distinct())

    works_for = {target.customer_id, *links[target.pk]}
    if target.is_read_only:
        refuse_strange_tickets(plan, ticket_customers - works_for, viewer)
        plan.notes.append(
            _(
                "%(customer_user)s belongs to the read-only data source %(source)s: it receives the tickets, but "
                "its own record stays as it is (no field filled, no address or additional customer taken over)."
            )
            % {"customer_user": target, "source": target.source}
        )
    else:
        gained = ({source.customer_id, *links[source.pk]} | ticket_customers) - works_for
        plan.additional_customers = list(Customer.objects.filter(pk__in=gained).order_by("name_key"))
        shown = set(Customer.objects.visible_to(viewer).filter(pk__in=gained).values_list("pk", flat=True))
        plan.shown_additional_customers = [customer for customer in plan.additional_customers if customer.pk in shown]
        plan.hidden_additional_customers = len(plan.additional_customers) - len(plan.shown_additional_customers)
        plan.addresses, plan.known_addresses = addresses_to_move(source, target, addresses)
        # The country is part of a person's address: it moves with it, never stays behind.
        filled, _other_country = address_to_fill(source, target, ADDRESS_FIELDS)
        filled.update(one_by_one_to_fill(source, target, FILLED_ONE_BY_ONE))
        plan.filled = {name: filled[name] for name in PLANNED_FIELDS if name in filled}  # in the form's order
        plan.dynamic_filled = dynamic_fields_to_fill(dynamic[source.pk], dynamic[target.pk])
        plan.dynamic_read = {name: dynamic[target.pk][name] for name in plan.dynamic_filled}
    plan.source_comment = merged_comment(source.comment, target)
    return plan


def addresses_to_move(source, target, addresses):
    """FROM's addresses (primary first) that INTO gains, and those INTO already has (ignoring case)."""
    held = {target.email_key or fold(target.email), *(fold(email) for email in addresses[target.pk])}
    gained, known = [], []
    for email in (source.email, *addresses[source.pk]):
        if not email:
            continue
        (known if fold(email) in held else gained).append(email)
        held.add(fold(email))
    return gained, known


def source_refusals(source):
    """Why the customer user ``source`` cannot be merged into anyone: a list of sentences."""
    if not source.is_read_only:
        return []
    return [
        _(
            "%(customer_user)s belongs to the read-only data source %(source)s: only its sync changes them, "
            "so they cannot be merged away."
        )
        % {"customer_user": source, "source": source.source}
    ]


def group_refusals(viewer, source, target):
    """Why ``viewer``'s groups do not let them merge: both people's customers need a read-and-write link."""
    if not restricted(viewer, RW):
        return []
    return [
        _(
            "Your groups do not let you change the customer user %(login)s (a merge needs read and write on the "
            "customers of both)."
        )
        % {"login": person.login}
        for person in (source, target)
        if not may_change(viewer, person)
    ]


def refuse_strange_tickets(plan, customer_pks, viewer):
    """Refuse a merge into a read-only INTO that does not work for the customers ``customer_pks`` of FROM's tickets."""
    if not customer_pks:
        return
    customers = Customer.objects.filter(pk__in=customer_pks).order_by("name_key")
    seen = set(Customer.objects.visible_to(viewer).filter(pk__in=customer_pks).values_list("pk", flat=True))
    named = ", ".join(customer.customer_id for customer in customers if customer.pk in seen)
    hidden = len(customer_pks) - len(seen)
    if hidden:
        unseen = ngettext("%(count)d customer you cannot see", "%(count)d customers you cannot see", hidden) % {
            "count": hidden
        }
        named = _("%(named)s and %(unseen)s") % {"named": named, "unseen": unseen} if named else unseen
    plan.refusals.append(
        _(
            "%(customer_user)s does not work for %(customers)s, whose tickets would move to them, and belongs to a "
            "read-only data source: add these customers in the directory first."
        )
        % {"customer_user": plan.target, "customers": named}
    )


# --- the merge -------------------------------------------------------------------------------


def merge_customer_users(source, target, *, user, dry_run=False, planned=None, viewer=None):
    """Merge the customer user ``source`` (FROM) into ``target`` (INTO), in one transaction;
    returns a ``CustomerUserMergeReport``.

    ``user`` is who the history names. Raises ``MergeRefused`` (changing nothing) when the plan
    refuses, or when a person changed since it was planned: since ``source`` and ``target`` were
    read, or since the plan whose ``state`` is ``planned`` (the confirm page's). With ``dry_run``
    nothing is written and the report gives the plan's numbers. ``viewer``: as for the plan.
    """
    if dry_run:
        plan = plan_merge_customer_users(source, target, viewer)
        if not plan.allowed:
            raise MergeRefused(plan.refusals, plan)
        return CustomerUserMergeReport(
            plan, True, plan.ticket_count, len(plan.addresses), len(plan.additional_customers)
        )
    before_write.send(sender="merge")
    with transaction.atomic():
        source, target = locked(source, target, planned)
        plan = plan_merge_customer_users(source, target, viewer)
        if not plan.allowed:
            raise MergeRefused(plan.refusals, plan)
        # FROM first: once it is invalid, its addresses are free for INTO (an address is one valid person's).
        retired = retire(source, plan.source_comment)
        links_after = tuple(sorted({*plan.target_links, *(customer.pk for customer in plan.additional_customers)}))
        try:
            if plan.additional_customers:
                # INTO works for the customers of the tickets before they move to it.
                replace_links(CustomerUser, LINKS, {target.pk: links_after}, read={target.pk: plan.target_links})
            tickets = list(
                Ticket.objects.filter(customer_user=source).order_by("pk").values_list("pk", "number", "title")
            )
            moved_tickets = Ticket.objects.filter(customer_user=source).update(
                customer_user=target, changed_at=timezone.now()
            )
            addresses = move_addresses(source.pk, target.pk, source.email) if plan.addresses else []
            filled = fill(target, plan.filled)
            replace_values(CustomerUser, {target.pk: plan.dynamic_filled}, read={target.pk: plan.dynamic_read})
        except RowsMoved:
            raise MergeRefused([changed_message() % {"customer_user": target}]) from None
        except AddressTaken as taken:
            reasons = [taken_message() % {"address": conflict.address} for conflict in taken.conflicts]
            raise MergeRefused(reasons) from None
        filled.update(
            {f"DynamicField_{name}": (plan.dynamic_read[name], value) for name, value in plan.dynamic_filled.items()}
        )
        if addresses:
            retired["additional_emails"] = (plan.source_addresses, [])
            target_addresses = additional_addresses([target.pk])[target.pk]
            before = [email for email in target_addresses if email not in addresses]
            filled["additional_emails"] = (before, target_addresses)
        if plan.additional_customers:
            filled[LINKS] = (list(plan.target_links), list(links_after))
        report = CustomerUserMergeReport(plan, False, moved_tickets, len(addresses), len(plan.additional_customers))
        log_merge(report, tickets, user, retired=retired, filled=filled)
    return report


def locked(source, target, planned=None):
    """Both people, fresh from the database and locked until the transaction ends (where the database
    locks rows). While FROM is locked no ticket can be added to it (its foreign key waits). If
    another writer changed one since the caller read it (the confirm page, the command), what was
    planned is not what would be merged."""
    states = (planned or "").split(":")

    def differs(position, read, now):
        if any(getattr(read, name) != getattr(now, name) for name in PLANNED_FIELDS):
            return True
        if planned is None:
            return False
        state = planned_state(
            now,
            load_values(CustomerUser, [now.pk])[now.pk],
            additional_addresses([now.pk])[now.pk],
            load_links(CustomerUser, LINKS, [now.pk])[now.pk],
        )
        return states[position : position + 1] != [state]

    return lock_pair(
        CustomerUser,
        source,
        target,
        gone=lambda person: _("%(customer_user)s no longer exists.") % {"customer_user": person},
        changed=lambda person: changed_message() % {"customer_user": person},
        differs=differs,
    )


def taken_message():
    return _("Another valid customer user has the address %(address)s; an address belongs to one valid person.")


def changed_message():
    return _(
        "%(customer_user)s changed since the merge was planned (an import, a sync or a user saved them); run the "
        "merge again."
    )


def log_merge(report, tickets, user, *, retired, filled):
    """The history of FROM, INTO and each moved ticket, in bulk, with old -> new values
    (``retired`` and ``filled``: ``{field: (old, new)}`` of FROM and INTO)."""
    plan = report.plan
    source, target = plan.source, plan.target
    summary = report.moved_summary()
    source_message = _("Merged into %(target)s: %(moved)s moved; set invalid.") % {"target": target, "moved": summary}
    target_message = _("Merged %(source)s into this customer user: %(moved)s moved.") % {
        "source": source,
        "moved": summary,
    }
    if plan.filled or plan.dynamic_filled:
        target_message += " " + _("Filled from it: %(fields)s.") % {
            "fields": ", ".join(label for label, _value in plan.filled_fields())
        }
    record_history(
        user,
        "merge",
        CustomerUser,
        [
            # merged_into: the person FROM went into (anonymising them finds FROM by it).
            Change(source.pk, source, CHANGE, source_message, {**retired, MERGED_INTO: (None, target.pk)}),
            Change(target.pk, target, CHANGE, target_message, filled),
        ],
    )
    moved = _("Moved from %(source)s by merging into %(target)s.") % {"source": source.login, "target": target.login}
    owner = {"customer_user": (source.pk, target.pk)}
    record_history(
        user, "merge", Ticket, [Change(pk, f"{number}: {title}", CHANGE, moved, owner) for pk, number, title in tickets]
    )
