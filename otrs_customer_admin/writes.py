"""What the bulk writers (the import, the directory sync, the merge) share: the write kernel.

* ``unique_rules``: the "unique ignoring case" rules, derived from the models' constraints on
  the folded twins, so that a new unique field is one constraint and no code in any engine;
  ``folded_lookup`` and ``meets`` check values against them in bulk.
* ``load_links`` and ``replace_links``: many-to-many values, read and replaced in batches.
* ``update_rows``: the one way a bulk writer updates records. It writes only the fields each
  row changes, row by row, and only where the row still holds the values the writer read
  (compare-and-set); a row that moved under it raises ``RowsMoved``, inside the writer's
  transaction, so that nothing is written and nothing another writer saved is overwritten.
* ``load_group_links`` and ``replace_group_links``: customers' group links (``CustomerGroup``),
  read in batches and replaced compare-and-set, as ``replace_links``.
* ``load_values``, ``replace_values`` and ``defaults_of``: dynamic field values, read and
  replaced in batches, compare-and-set as ``update_rows`` (from ``models.dynamic_values``);
  ``insert_values`` for the records a writer has just created.
* ``load_addresses`` and ``replace_addresses``: people's additional email addresses, read in
  batches and set exactly, compare-and-set as ``replace_links``; ``address_holders``,
  ``taken_addresses`` and ``refuse_taken_addresses`` (from ``models.customer_user``): the rule
  that among valid people an address is used once, checked before a write (for messages) and
  after it, under one lock (for the truth).
* ``field_label``: a field's name in the history and in messages (the history itself is
  written by ``history.record_history``).
* ``move_addresses``: one customer user's addresses become another's additional addresses (the merge).
* ``before_write``: sent between a writer's plan and its write: a seam for tests that make
  another writer run in between (a receiver may wait there), and for nothing else.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import router, transaction
from django.db.models import Q, UniqueConstraint
from django.utils.text import capfirst

from .exceptions import RowsMoved
from .folding import fold
from .models.base import folded_twin
from .models.customer import Customer
from .models.customer_groups import CustomerGroup, group_links_of
from .models.customer_user import CustomerUser, CustomerUserEmail
from .models.customer_user import TakenAddress as TakenAddress
from .models.customer_user import address_holders as address_holders
from .models.customer_user import address_order as address_order
from .models.customer_user import lock_addresses as lock_addresses
from .models.customer_user import refuse_taken_addresses as refuse_taken_addresses
from .models.customer_user import split_addresses as split_addresses
from .models.customer_user import taken_addresses as taken_addresses
from .models.dynamic_fields import field_definition, unprefixed

# Dynamic field values are read and written by the functions of their model layer, which
# ``record.save()`` uses as well; the bulk writers take them from here.
from .models.dynamic_values import defaults_of as defaults_of
from .models.dynamic_values import insert_values as insert_values
from .models.dynamic_values import load_values as load_values
from .models.dynamic_values import replace_values as replace_values

# The compare-and-set update of rows lives with the models, whose own bulk writes (the
# escalation recompute) use it too.
from .models.updates import LOOKUP_BATCH as LOOKUP_BATCH
from .models.updates import WRITE_BATCH as WRITE_BATCH
from .models.updates import before_write as before_write
from .models.updates import update_rows as update_rows

# --- unique values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UniqueRule:
    """A field unique ignoring case within ``condition`` (``None``: among all records)."""

    field: str
    condition: Q | None
    reads: frozenset  # the fields the condition reads
    message: str  # the constraint's message, for a value that another record already has


def unique_rules(model):
    """The model's "unique ignoring case" constraints: one rule per unique constraint on the
    folded twin of one of its ``FOLDED_FIELDS``."""
    field_of_twin = {folded_twin(name): name for name in model.FOLDED_FIELDS}
    rules = []
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or len(constraint.fields) != 1:
            continue
        name = field_of_twin.get(constraint.fields[0])
        if name is not None:
            condition = constraint.condition
            rules.append(UniqueRule(name, condition, condition_fields(condition), constraint.violation_error_message))
    return rules


def condition_fields(condition):
    """The fields a constraint's condition reads; it may only use exact lookups, as ``Q(valid=1)``."""
    if condition is None:
        return frozenset()
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= condition_fields(child)
            continue
        name, _separator, lookup = child[0].partition("__")
        if lookup not in ("", "exact"):
            raise ValueError(f"The bulk writers check only exact lookups in constraint conditions, not {child[0]!r}.")
        names.add(name)
    return frozenset(names)


def meets(condition, values):
    """Whether ``values`` (field -> value) meet ``condition``, in Python: one query per row would be too slow."""
    if condition is None:
        return True
    results = (
        meets(child, values) if isinstance(child, Q) else values.get(child[0].partition("__")[0]) == child[1]
        for child in condition.children
    )
    met = all(results) if condition.connector == Q.AND else any(results)
    return met != condition.negated


def folded_lookup(queryset, field_name, keys, fields):
    """Rows of ``queryset`` whose ``field_name`` matches one of the folded ``keys`` ignoring case,
    keyed by the folded value (through the field's folded twin, so one index lookup a batch)."""
    found = {}
    keys = sorted(keys)
    twin = folded_twin(field_name)
    for start in range(0, len(keys), LOOKUP_BATCH):
        batch = keys[start : start + LOOKUP_BATCH]
        for row in queryset.filter(**{f"{twin}__in": batch}).values(twin, *fields):
            found[row.pop(twin)] = row
    return found


# --- labels -------------------------------------------------------------------------------------


def field_label(model, name):
    """A field's name in messages and history: its verbose name, capitalised; a dynamic field's
    (``DynamicField_<Name>``) its definition's label, retired or not; the name itself for what is
    neither. A writer labelling many records looks each name up once (a dynamic field's label is a query)."""
    dynamic = unprefixed(name)
    object_type = getattr(model, "DYNAMIC_OBJECT_TYPE", None)
    if dynamic is not None and object_type:
        definition = field_definition(object_type, dynamic, include_invalid=True)
        return definition.label or definition.name if definition is not None else name
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))
    except Exception:
        return name


# --- many-to-many links -------------------------------------------------------------------------


def link_columns(model, name):
    """The through table of many-to-many field ``name``, and its columns for this model and the other."""
    model_field = model._meta.get_field(name)
    return (
        model_field.remote_field.through,
        f"{model_field.m2m_field_name()}_id",
        f"{model_field.m2m_reverse_field_name()}_id",
    )


def load_links(model, name, pks):
    """Record pk -> the sorted tuple of the pks it links to through many-to-many field ``name``
    (every one of ``pks`` present, linked or not)."""
    through, own, other = link_columns(model, name)
    linked = defaultdict(list)
    pks = list(pks)
    for start in range(0, len(pks), LOOKUP_BATCH):
        batch = through.objects.filter(**{f"{own}__in": pks[start : start + LOOKUP_BATCH]})
        for record_pk, target in batch.values_list(own, other):
            linked[record_pk].append(target)
    return {pk: tuple(sorted(linked.get(pk, ()))) for pk in pks}


def replace_links(model, name, links, *, read=None):
    """Replace the many-to-many values of field ``name``: ``links`` maps a record's pk to the pks it
    is to link to. With ``read`` (record pk -> the links the writer read, as from ``load_links``)
    the links must still be those, else ``RowsMoved``."""
    through, own, other = link_columns(model, name)
    pks = list(links)
    if read is not None:
        now = load_links(model, name, pks)
        moved = [pk for pk in pks if pk in read and now[pk] != tuple(sorted(read[pk]))]
        if moved:
            raise RowsMoved(model, moved)
    for start in range(0, len(pks), WRITE_BATCH):
        through.objects.filter(**{f"{own}__in": pks[start : start + WRITE_BATCH]}).delete()
    rows = [through(**{own: pk, other: target}) for pk, targets in links.items() for target in targets]
    through.objects.bulk_create(rows, batch_size=WRITE_BATCH)


# --- customer group links -----------------------------------------------------------------------


def load_group_links(pks):
    """Customer pk -> its group links as a sorted tuple of ``(group name, permission)`` pairs
    (every one of ``pks`` present, linked or not)."""
    pks = list(pks)
    links = {}
    for start in range(0, len(pks), LOOKUP_BATCH):
        links.update(group_links_of(pks[start : start + LOOKUP_BATCH]))
    return {pk: tuple(sorted(links[pk].items())) for pk in pks}


def replace_group_links(links, *, read=None):
    """Replace customers' group links: ``links`` maps a customer's pk to its links after the write
    (``{group name: permission}`` or pairs), every name one of an existing group. With ``read``
    (customer pk -> the links the writer read, as from ``load_group_links``) the links must still be
    those, else ``RowsMoved``."""
    links = {pk: dict(pairs) for pk, pairs in links.items()}
    pks = sorted(links)
    if not pks:
        return
    database = router.db_for_write(CustomerGroup)
    with transaction.atomic(using=database):
        # The customers stay locked until the writer commits: the links checked are the links replaced.
        for start in range(0, len(pks), WRITE_BATCH):
            list(
                Customer._base_manager.using(database)
                .filter(pk__in=pks[start : start + WRITE_BATCH])
                .select_for_update()
                .values_list("pk")
            )
        if read is not None:
            now = load_group_links(pks)
            moved = [pk for pk in pks if pk in read and now[pk] != tuple(sorted(read[pk]))]
            if moved:
                raise RowsMoved(Customer, moved)
        names = {name for pairs in links.values() for name in pairs}
        group_pks = dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
        for start in range(0, len(pks), WRITE_BATCH):
            CustomerGroup.objects.filter(customer__in=pks[start : start + WRITE_BATCH]).delete()
        rows = [
            CustomerGroup(customer_id=pk, group_id=group_pks[name], permission=permission)
            for pk, pairs in links.items()
            for name, permission in pairs.items()
        ]
        CustomerGroup.objects.bulk_create(rows, batch_size=WRITE_BATCH)


# --- additional email addresses -----------------------------------------------------------------


def load_addresses(pks):
    """Person pk -> their additional addresses, a tuple sorted ignoring case (every one of ``pks``
    present, with addresses or not)."""
    pks = list(pks)
    found = defaultdict(list)
    for start in range(0, len(pks), LOOKUP_BATCH):
        rows = CustomerUserEmail.objects.filter(customer_user__in=pks[start : start + LOOKUP_BATCH])
        for pk, address in rows.values_list("customer_user_id", "email"):
            found[pk].append(address)
    return {pk: tuple(sorted(found.get(pk, ()), key=address_order)) for pk in pks}


def replace_addresses(addresses, *, read=None):
    """Set people's additional addresses exactly: ``addresses`` maps a person's pk to their
    addresses after the write (texts; one folded address once). An address kept (ignoring case)
    keeps its row and ``added_at``, its spelling updated; the others are deleted or inserted.
    With ``read`` (pk -> the addresses the writer read, as from ``load_addresses``) they must
    still be those, else ``RowsMoved``. Then the rule is checked for these people
    (``refuse_taken_addresses``, under its lock): ``AddressTaken``, and the caller's transaction
    rolls back. Refuses people of read-only sources (but those of the source whose sync writes)."""
    addresses = {pk: list(values) for pk, values in addresses.items()}
    pks = sorted(addresses)
    if not pks:
        return
    database = router.db_for_write(CustomerUserEmail)
    with transaction.atomic(using=database):
        # The people stay locked until the writer commits: the addresses checked are those replaced.
        for start in range(0, len(pks), WRITE_BATCH):
            batch = pks[start : start + WRITE_BATCH]
            list(CustomerUser._base_manager.using(database).filter(pk__in=batch).select_for_update().values_list("pk"))
            CustomerUser.objects.using(database).filter(pk__in=batch)._refuse_read_only_rows()
        if read is not None:
            now = load_addresses(pks)
            moved = [pk for pk in pks if pk in read and now[pk] != tuple(sorted(read[pk], key=address_order))]
            if moved:
                raise RowsMoved(CustomerUser, moved)
        stored = defaultdict(dict)  # pk -> folded address -> (row pk, address)
        for start in range(0, len(pks), LOOKUP_BATCH):
            rows = CustomerUserEmail.objects.using(database).filter(customer_user__in=pks[start : start + LOOKUP_BATCH])
            for row_pk, pk, address, key in rows.values_list("pk", "customer_user_id", "email", "email_key"):
                stored[pk][key] = (row_pk, address)
        gone, respelled, added = [], [], []
        for pk in pks:
            wanted = {fold(address): address for address in addresses[pk]}
            for key, (row_pk, address) in stored[pk].items():
                if key not in wanted:
                    gone.append(row_pk)
                elif wanted[key] != address:
                    respelled.append(CustomerUserEmail(pk=row_pk, email=wanted[key], email_key=key))
            added += [
                CustomerUserEmail(customer_user_id=pk, email=address, email_key=key)
                for key, address in wanted.items()
                if key not in stored[pk]
            ]
        for start in range(0, len(gone), WRITE_BATCH):
            CustomerUserEmail.objects.using(database).filter(pk__in=gone[start : start + WRITE_BATCH]).delete()
        CustomerUserEmail.objects.using(database).bulk_update(respelled, ["email"], batch_size=WRITE_BATCH)
        CustomerUserEmail.objects.using(database).bulk_create(added, batch_size=WRITE_BATCH)
        refuse_taken_addresses(pks, using=database)


# --- additional email addresses -----------------------------------------------------------------


def move_addresses(source_pk, target_pk, primary):
    """Give the customer user ``target_pk`` the addresses of the customer user ``source_pk`` as
    additional addresses: ``primary`` (``source_pk``'s primary address, a new row) and its
    additional ones (their rows move, keeping when they were added). An address ``target_pk``
    already has, primary or additional, ignoring case, is dropped. Returns the addresses
    ``target_pk`` gained, ``primary`` first. Call it inside the writer's transaction."""
    held = set(CustomerUserEmail.objects.filter(customer_user=target_pk).values_list("email_key", flat=True))
    held.add(CustomerUser._base_manager.filter(pk=target_pk).values_list("email_key", flat=True).get())
    gained, moving, dropped = [], [], []
    if primary and fold(primary) not in held:
        held.add(fold(primary))
        gained.append(primary)
    for pk, email, key in (
        CustomerUserEmail.objects.filter(customer_user=source_pk)
        .order_by("added_at", "pk")
        .values_list("pk", "email", "email_key")
    ):
        if key in held:
            dropped.append(pk)
            continue
        held.add(key)
        moving.append(pk)
        gained.append(email)
    CustomerUserEmail.objects.filter(pk__in=dropped).delete()
    CustomerUserEmail.objects.filter(pk__in=moving).update(customer_user=target_pk)
    if primary and gained and gained[0] == primary:
        CustomerUserEmail.objects.bulk_create(
            [CustomerUserEmail(customer_user_id=target_pk, email=primary, email_key=fold(primary))]
        )
    # An address is one valid person's: raises AddressTaken when another valid person holds one gained.
    refuse_taken_addresses([target_pk])
    return gained
