"""Inserting many new rows at once, as ``QuerySet.bulk_create`` does, for less Python.

Django compiles a bulk insert value by value (each through the field's ``pre_save`` and
``get_db_prep_save`` and a placeholder of its own): for a million new customer users with their
history entries that costs more than the database itself. ``insert_rows`` gives the same rows and
the same primary keys (``INSERT ... VALUES (...), (...) RETURNING pk``) from one statement text per
batch size, and converts a value only where its field would change it: a text is a text and a
whole number a whole number, while dates, times and everything else go through the field.
``insert_tuples`` does the same for rows given as tuples (no model instances at all, no primary
keys returned: any database).

``insert_rows`` takes new objects only (no primary key set), no conflict handling and databases
that return the rows they insert (SQLite 3.35+, PostgreSQL, MariaDB 10.5+); ``can_insert`` says
whether it applies, and callers fall back to ``bulk_create`` otherwise.
"""

import datetime

from django.db import connections, models
from django.utils import timezone

# Values of these types are what every database adapter takes as they are, for these fields.
PLAIN = ((str, (models.CharField, models.TextField)), (int, (models.IntegerField,)), (bool, (models.BooleanField,)))


def can_insert(model, objs, using, **options):
    """Whether ``insert_rows`` writes ``objs`` as ``bulk_create(objs, **options)`` would."""
    return (
        connections[using].features.can_return_rows_from_bulk_insert
        and not any(options.get(name) for name in ("ignore_conflicts", "update_conflicts"))
        and not any(field.db_default is not models.NOT_PROVIDED for field in insertable(model))
        and all(obj.pk is None for obj in objs)
    )


def insertable(model):
    """The fields an insert of a new row writes: the concrete ones but the primary key and generated ones."""
    pk = model._meta.pk
    return [
        field for field in model._meta.concrete_fields if field is not pk and not getattr(field, "generated", False)
    ]


def is_stamp(field):
    return isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)


def stamp_now(field):
    """What a time stamp field's ``pre_save`` would set now."""
    return timezone.now() if isinstance(field, models.DateTimeField) else datetime.date.today()


def plain_types(field):
    return tuple(kind for kind, classes in PLAIN if isinstance(field, classes))


def insert_rows(model, objs, using, batch_size):
    """Insert the new ``objs`` of ``model`` in batches of at most ``batch_size``; sets their primary
    keys and marks them saved, as ``bulk_create`` does. Returns ``objs``."""
    connection = connections[using]
    # The time stamps (auto_now, auto_now_add) last: one time for a batch, converted once, as one
    # statement writes them.
    stamps = [field for field in insertable(model) if is_stamp(field)]
    fields = [field for field in insertable(model) if not is_stamp(field)]
    # (attname, pre_save when the field computes its value, plain types, prepare)
    specs = [
        (
            field.attname,
            field.pre_save if type(field).pre_save is not models.Field.pre_save else None,
            plain_types(field),
            field.get_db_prep_save,
        )
        for field in fields
    ]

    def params_of(batch):
        params = []
        append = params.append
        times = {field.attname: stamp_now(field) for field in stamps}
        stamped = [field.get_db_prep_save(times[field.attname], connection) for field in stamps]
        for obj in batch:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            values = obj.__dict__
            for attname, pre_save, plain, prepare in specs:
                value = pre_save(obj, True) if pre_save else values[attname]
                append(value if value is None or type(value) in plain else prepare(value, connection))
            params.extend(stamped)
            values.update(times)
        return params

    pk = model._meta.pk
    for batch, keys in execute(model, fields + stamps, objs, params_of, using, batch_size, returning=True):
        for obj, (value,) in zip(batch, keys, strict=True):
            setattr(obj, pk.attname, value)
            obj._state.adding = False
            obj._state.db = using
    return objs


def insert_tuples(model, names, rows, using, batch_size, constants=None):
    """Insert ``rows`` (tuples of the values of the fields ``names``, in that order) into ``model``'s
    table; ``constants`` (field name -> value) are the same in every row, and the other fields take
    their defaults: both converted once a batch (a time is one time for a statement). For rows
    nobody needs as instances afterwards (history entries)."""
    connection = connections[using]
    constants = constants or {}
    given = [model._meta.get_field(name) for name in names]
    fixed = [model._meta.get_field(name) for name in constants]
    defaults = [field for field in insertable(model) if field not in given and field not in fixed]
    specs = [(plain_types(field), field.get_db_prep_save) for field in given]

    def params_of(batch):
        params = []
        append = params.append
        defaulted = [field.get_db_prep_save(constants[field.name], connection) for field in fixed]
        defaulted += [field.get_db_prep_save(field.get_default(), connection) for field in defaults]
        for row in batch:
            for value, (plain, prepare) in zip(row, specs, strict=True):
                append(value if value is None or type(value) in plain else prepare(value, connection))
            params.extend(defaulted)
        return params

    for _batch, _keys in execute(model, given + fixed + defaults, rows, params_of, using, batch_size, returning=False):
        pass


def execute(model, fields, items, params_of, using, batch_size, *, returning):
    """Yield ``(batch, returned primary keys)`` after inserting each batch of ``items``."""
    connection = connections[using]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, items) or batch_size))
    statements = {}
    with connection.cursor() as cursor:
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            if len(batch) not in statements:
                statements[len(batch)] = head + ", ".join([row_placeholder] * len(batch)) + tail
            cursor.execute(statements[len(batch)], params_of(batch))
            yield batch, cursor.fetchall() if returning else ()
