"""Writing many records fast: the bulk writer of the demo data (internal to this package).

``RowWriter`` inserts a batch of unsaved instances with one ``executemany``,
``Constructor`` makes those instances cheaply, and the context managers around a run
keep it in one transaction, with a large SQLite page cache and garbage collected once
per batch.
"""

import gc
from contextlib import ExitStack, contextmanager

from django.conf import settings as django_settings
from django.db import connections, router, transaction


@contextmanager
def collecting_garbage_per_batch():
    """Collect garbage once per batch (``gc.collect(0)``) instead of whenever allocations pile up.

    A batch is thousands of model instances that all stay alive until it is written,
    next to hundreds of thousands of long-lived index entries; the automatic collector
    would scan them again and again. Model instances hold no reference cycles, so
    reference counting frees a written batch at once.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def one_transaction(*models):
    """The whole run in one transaction on each database ``models`` are written to: all of
    the demo data, or (after an error) none.

    It is also much faster than a commit per batch: tickets have ten indexes, most of
    them on random keys, so every batch changes pages all over them, and each commit
    writes those pages again (twice, with SQLite's rollback journal). With a commit per
    5,000 tickets, a million tickets wrote 22 GB; in one transaction each page is
    written about once.
    """
    with ExitStack() as stack:
        for using in {router.db_for_write(model) for model in models}:
            stack.enter_context(transaction.atomic(using=using))
        yield


@contextmanager
def large_sqlite_cache(model, megabytes=256):
    """On SQLite, a page cache that holds most of the indexes of ``model`` (the tickets) being loaded.

    With the default (2 MB) every insert into the ticket indexes reads and writes pages
    through the operating system, and pages changed in the transaction spill to disk
    again and again before the commit. SQLite allocates the cache as pages are used, so
    small runs stay small. Per connection, and restored afterwards.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class RowWriter:
    """Insert unsaved instances of ``model``: one ``executemany`` per batch, in a transaction.

    ``bulk_create`` prepares every value of every row through the field API and spends
    about 120 µs a ticket doing so, more than half of a run at a million tickets. Here
    each column gets its adapter once: the backend's ``adapt_datetimefield_value`` for
    datetimes, ``str``/``int`` for plain text and numbers, ``get_db_prep_save`` for
    anything else. ``pre_save`` still runs for ``auto_now`` fields. The statement goes
    through Django's cursor, so query logging, ``execute_wrapper`` and
    ``CaptureQueriesContext`` see it (as one query per batch).

    Only for models whose writes need no queryset logic: tickets (customers and customer
    users go through their ``bulk_create``, which enforces the read-only data sources).
    """

    def __init__(self, model):
        opts = model._meta
        self.using = router.db_for_write(model)
        connection = connections[self.using]
        self.fields = [
            field
            for field in opts.concrete_fields
            if not getattr(field, "generated", False) and not (field.primary_key and field.db_returning)
        ]
        self.attnames = [field.attname for field in self.fields]
        self.pre_save = [field for field in self.fields if getattr(field, "auto_now", False)]
        self.adapters = [self._adapter(field, connection) for field in self.fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"

    @staticmethod
    def _adapter(field, connection):
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        if kind == "DateTimeField":
            adapt = connection.ops.adapt_datetimefield_value
            if connection.vendor != "sqlite" or not django_settings.USE_TZ:
                return adapt
            zone = connection.timezone

            # What SQLite's adapt_datetimefield_value() makes of an aware datetime, without
            # its checks per value: they cost 60 % of preparing a ticket row.
            def adapt_aware(value):
                if value is None or value.tzinfo is None:
                    return adapt(value)
                return str(value.astimezone(zone).replace(tzinfo=None))

            return adapt_aware
        if kind in ("CharField", "TextField", "EmailField", "SlugField", "URLField"):
            return lambda value: None if value is None else str(value)
        if kind in ("AutoField", "BigAutoField", "SmallAutoField") or kind.endswith("IntegerField"):
            return lambda value: None if value is None else int(value)
        return lambda value: field.get_db_prep_save(value, connection=connection)

    def insert(self, objs):
        for obj in objs:
            for field in self.pre_save:
                field.pre_save(obj, add=True)
        pairs = list(zip(self.attnames, self.adapters, strict=True))
        rows = [[adapt(values[name]) for name, adapt in pairs] for values in (obj.__dict__ for obj in objs)]
        with transaction.atomic(using=self.using, savepoint=False), connections[self.using].cursor() as cursor:
            cursor.executemany(self.sql, rows)


class Constructor:
    """Make unsaved instances of ``model`` from keyword values, through ``model(*args)``.

    Positional arguments skip most of ``Model.__init__``'s keyword handling, which is
    three quarters of its cost; that counts at a million tickets. Fields not given get
    their default.
    """

    def __init__(self, model):
        fields = model._meta.concrete_fields
        self.model = model
        self.positions = {field.attname: position for position, field in enumerate(fields)}
        self.defaults = [None if field.primary_key else field.get_default() for field in fields]

    def __call__(self, **values):
        args = self.defaults.copy()
        positions = self.positions
        for name, value in values.items():
            args[positions[name]] = value
        return self.model(*args)
