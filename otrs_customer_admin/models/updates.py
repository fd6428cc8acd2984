"""The write kernel's update of rows (``writes.update_rows``): only the fields each row changes,
only where the row still holds what the writer read (compare-and-set). It lives with the models
so that their own bulk writes (``TicketQuerySet.recompute_escalations``) go through it as well.
"""

from collections import defaultdict

from django.db import connections, router
from django.dispatch import Signal

from ..exceptions import RowsMoved
from .inserts import plain_types

# Rows written, and keys looked up, in one statement.
WRITE_BATCH = 1000
LOOKUP_BATCH = 2000

# Sent with ``sender`` the writer's name ("import", "sync", "merge", "recompute") after the
# writer has read and planned and before it writes (and, for the import, before its second
# reading): a seam for tests that make another writer run in between.
before_write = Signal()

# How each database says "equal, or both NULL" (the SQL standard's IS NOT DISTINCT FROM).
SAME = {"sqlite": "IS", "mysql": "<=>"}


def update_rows(model, updates):
    """Update rows of ``model`` where they still hold what was read: ``updates`` are
    ``(pk, old, new)``, ``old`` the values read of the fields compared (field or attname ->
    value), ``new`` the values to write (only the fields that change, and e.g. ``changed_at``).

    Rows changing the same fields are written by one prepared statement, one execution a row
    (``executemany``); when fewer rows matched than were given, ``RowsMoved`` names those that
    moved. Call it inside the writer's transaction, which the exception is to roll back. As the
    model's queryset writes do, it keeps the stored keys (the folded twins) and refuses rows of
    read-only sources (but those of the source whose sync is writing).
    """
    groups = defaultdict(list)
    stored_keys = getattr(model, "stored_keys", None)
    updates = [(pk, old, new) for pk, old, new in updates if new]
    if stored_keys is not None:
        updates = with_key_inputs(model, updates)
    for pk, old, new in updates:
        if stored_keys is not None:
            new = {
                **new,
                **{
                    key: function(*(new.get(name, old.get(name)) or "" for name in names))
                    for key, names, function in stored_keys(new)
                },
            }
        groups[(tuple(old), tuple(new))].append((pk, old, new))
    if not groups:
        return
    if hasattr(model.objects.none(), "_refuse_read_only_rows"):
        pks = [pk for rows in groups.values() for pk, _old, _new in rows]
        for start in range(0, len(pks), LOOKUP_BATCH):
            model.objects.filter(pk__in=pks[start : start + LOOKUP_BATCH])._refuse_read_only_rows()
    database = router.db_for_write(model)
    connection = connections[database]
    meta = model._meta
    quote = connection.ops.quote_name
    same = SAME.get(connection.vendor, "IS NOT DISTINCT FROM")
    for (compared, written), rows in groups.items():
        old_fields = [meta.get_field(name) for name in compared]
        new_fields = [meta.get_field(name) for name in written]
        sql = "UPDATE {table} SET {values} WHERE {pk} = %s{compare}".format(
            table=quote(meta.db_table),
            values=", ".join(f"{quote(f.column)} = %s" for f in new_fields),
            pk=quote(meta.pk.column),
            compare="".join(f" AND {quote(f.column)} {same} %s" for f in old_fields),
        )
        new_specs = [(name, preparer(f, connection)) for f, name in zip(new_fields, written, strict=True)]
        old_specs = [(name, preparer(f, connection)) for f, name in zip(old_fields, compared, strict=True)]
        prepare_pk = preparer(meta.pk, connection)
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params = [
                [
                    *(prepare(new[name]) for name, prepare in new_specs),
                    prepare_pk(pk),
                    *(prepare(old[name]) for name, prepare in old_specs),
                ]
                for pk, old, new in batch
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, params)
                count = cursor.rowcount
            if count != len(batch):
                raise RowsMoved(model, moved_rows(model, database, batch, written))


def preparer(field, connection):
    """``value -> field's database value``, which passes the value as it is where the field would
    not change it (as ``inserts`` does): ``None``, a text of a text field, a whole number of a
    whole-number field or of a key to one. The other values go through the field."""
    plain = plain_types(field.target_field if field.is_relation else field)
    prepare = field.get_db_prep_save
    return lambda value: value if value is None or type(value) in plain else prepare(value, connection)


def with_key_inputs(model, updates):
    """``updates`` whose ``old`` also holds the other fields of a stored key of several fields of
    which ``new`` writes some (a new first name, the same last name): read here, and compared on
    write like the rest, so that the key is computed from what the row holds."""
    missing = {}
    for pk, old, new in updates:
        for _key, names, _function in model.stored_keys(new):
            unread = [name for name in names if name not in new and name not in old]
            if unread:
                missing.setdefault(pk, set()).update(unread)
    if not missing:
        return updates
    fields = sorted(set().union(*missing.values()))
    pks = sorted(missing)
    read = {}
    for start in range(0, len(pks), LOOKUP_BATCH):
        rows = model._base_manager.filter(pk__in=pks[start : start + LOOKUP_BATCH]).values("pk", *fields)
        read.update({row.pop("pk"): row for row in rows})
    return [
        (pk, {**old, **{name: read[pk][name] for name in missing[pk]}} if pk in missing and pk in read else old, new)
        for pk, old, new in updates
    ]


def moved_rows(model, database, batch, written):
    """The pks of the rows of ``batch`` that the update did not write (they do not hold its values)."""
    pks = [pk for pk, _old, _new in batch]
    now = {row.pop("pk"): row for row in model._base_manager.using(database).filter(pk__in=pks).values("pk", *written)}
    moved = [pk for pk, _old, new in batch if now.get(pk) != new]
    return moved or pks
