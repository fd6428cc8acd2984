"""SQLite's "database is locked": another process (an import, a sync) holds the one write lock
longer than this one waits for it (the ``timeout`` of the database's ``OPTIONS``).

The admin (``admin.mixins.busy``) and the commands (``management.base``) turn it into a sentence.
PostgreSQL locks rows, not the database, and never raises it.
"""

from django.db import OperationalError

LOCKED = ("database is locked", "database table is locked")


def is_database_busy(error):
    """True when ``error`` is SQLite's refusal to wait any longer for another connection's write lock."""
    return isinstance(error, OperationalError) and any(text in str(error) for text in LOCKED)
