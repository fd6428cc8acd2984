"""The base of the package's commands: a failure the user can act on is one sentence on
standard error and exit status 1 (a ``CommandError``), never a traceback."""

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from django.utils.translation import gettext as _

from ..busy import ask_sqlite_features_without_the_write_lock, is_database_busy


class PackageCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            if self.requires_system_checks and not options.get("skip_checks"):
                ask_sqlite_features_without_the_write_lock()
            return super().execute(*args, **options)
        except OperationalError as error:
            if not is_database_busy(error):
                raise
            # SQLite's write lock, held by another process longer than the database's timeout.
            raise CommandError(
                _(
                    "The database is busy with another write (an import or a sync?) and stayed so longer than "
                    "this command waits; run it again when that write has finished."
                )
            ) from None


def known_value(value, known, message):
    """``value`` if it is one of ``known``; else a ``CommandError`` with ``message`` naming the known values."""
    if value not in known:
        raise CommandError(message % {"value": value, "known": ", ".join(known)})
    return value
