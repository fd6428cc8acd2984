"""SQLite's "database is locked": another process (an import, a sync) holds the one write lock
longer than this one waits for it (the ``timeout`` of the database's ``OPTIONS``).

The admin (``admin.mixins.busy``) and the commands (``management.base``) turn it into a sentence.
PostgreSQL locks rows, not the database, and never raises it.
"""

from django.db import OperationalError, connections

LOCKED = ("database is locked", "database table is locked")


def is_database_busy(error):
    """True when ``error`` is SQLite's refusal to wait any longer for another connection's write lock."""
    return isinstance(error, OperationalError) and any(text in str(error) for text in LOCKED)


def ask_sqlite_features_without_the_write_lock():
    """Let Django learn whether SQLite has JSON in a transaction that only reads.

    Django asks inside a transaction; with ``transaction_mode`` IMMEDIATE that transaction waits
    for the write lock, and when another process holds it past the timeout, Django concludes that
    SQLite has no JSON and the system checks fail with fields.E180 ("SQLite does not support
    JSONFields") instead of the command saying the database is busy. A read is never blocked
    (WAL), so asking in a deferred transaction gives the true answer at once.
    """
    for connection in connections.all():
        if connection.vendor != "sqlite" or "supports_json_field" in connection.features.__dict__:
            continue  # not SQLite, or asked already (a cached_property)
        connection.ensure_connection()  # which reads transaction_mode from the settings
        if not connection.transaction_mode:
            continue
        mode, connection.transaction_mode = connection.transaction_mode, None
        try:
            connection.features.supports_json_field  # noqa: B018 (caches the answer)
        finally:
            connection.transaction_mode = mode
