"""manage.py sync_data_sources: mirror the directory sources (LDAP, Active Directory) into the database."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...datasources import SyncError, get_data_source, syncable_data_sources
from ...directory_sync import DETAILS_SHOWN, run_sync, word_labels
from ..base import PackageCommand
from ..progress import Progress
from ..users import find_user


class Command(PackageCommand):
    @property
    def help(self):
        # A plain string in the active language: argparse cannot format a lazy one.
        return _(
            "Bring the records of the directory data sources (LDAP, Active Directory) up to date. A sync that cannot "
            "read everything changes nothing; entries that vanished make their records invalid, never deleted."
        )

    def add_arguments(self, parser):
        parser.add_argument("--source", help=_("Sync only the data source with this key (default: every one)."))
        parser.add_argument("--dry-run", action="store_true", help=_("Report what the sync would do; write nothing."))
        parser.add_argument(
            "--allow-mass-invalidation",
            action="store_true",
            help=_("Go on even when the sync would set many records invalid (the directory really lost them)."),
        )
        parser.add_argument("--user", help=_("The username the admin history names (default: the sync's account)."))

    def handle(self, *args, **options):
        sources = self.sources(options["source"])
        user = find_user(options["user"]) if options["user"] else None
        # Entries per second on a terminal; nothing off one (cron mails stay short).
        progress = Progress(self.stdout, "entries", lines_off_a_terminal=False)
        failed = []
        for source in sources:
            try:
                report = run_sync(
                    source,
                    dry_run=options["dry_run"],
                    allow_mass_invalidation=options["allow_mass_invalidation"],
                    user=user,
                    progress=progress,
                )
            except SyncError as error:
                self.stderr.write(str(error))
                failed.append(source.key)
                continue
            self.print_report(report)
        if failed:
            raise CommandError(
                _("The sync of %(sources)s failed; nothing of it was changed.") % {"sources": ", ".join(failed)}
            )

    def sources(self, key):
        if key:
            source = get_data_source(key)
            if source is None or not source.can_sync:
                known = ", ".join(source.key for source in syncable_data_sources()) or _("none")
                raise CommandError(
                    _("%(key)s is not a data source that syncs (those that do: %(known)s).")
                    % {"key": key, "known": known}
                )
            return [source]
        sources = syncable_data_sources()
        if not sources:
            self.stdout.write(_("No data source syncs: OTRS_CUSTOMER_ADMIN['DATA_SOURCES'] has no directory."))
        return sources

    def print_report(self, report):
        head = _("%(source)s (dry run, nothing written)") if report.dry_run else _("%(source)s")
        rate = report.entries / report.seconds if report.seconds else 0
        self.stdout.write(
            (head % {"source": report.source.label})
            + ": "
            + _("%(entries)d entries in %(seconds).1f s (%(rate).0f entries/s)")
            % {"entries": report.entries, "seconds": report.seconds, "rate": rate}
        )
        for line in report.summary_lines():
            self.stdout.write(f"  {line}")
        if report.problems:
            self.stdout.write("  " + _("problems:"))
            for _model_key, why in report.problems:
                self.stdout.write(f"    {why}")
        labels = word_labels()
        for word in ("skipped", "conflicts", "invalidated", "reactivated"):
            details = report.details.get(word, [])
            if not details:
                continue
            self.stdout.write(f"  {labels[word]}:")
            for _model_key, dn, why in details[:DETAILS_SHOWN]:
                self.stdout.write(f"    {dn}: {why}")
            if len(details) > DETAILS_SHOWN:
                hidden = len(details) - DETAILS_SHOWN
                self.stdout.write(
                    "    " + ngettext("… and %(count)d more", "… and %(count)d more", hidden) % {"count": hidden}
                )
