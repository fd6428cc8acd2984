"""What the two merge commands share (``merge_customers``, ``merge_customer_users``): the arguments
``FROM INTO [--dry-run] [--user]``, finding both records, the engine's refusal as one sentence."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ..directory_sync import history_user
from ..merge import MergeRefused
from .base import PackageCommand
from .users import find_user


class MergeCommand(PackageCommand):
    """A merge engine's command. The subclass sets ``help``, ``source_help`` and ``target_help``, and
    defines ``find(key)`` (the record, or ``CommandError``), ``merge(source, target, **options)`` (the
    engine) and ``print_report(report)``."""

    source_help = target_help = ""

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FROM", help=str(self.source_help))
        parser.add_argument("target", metavar="INTO", help=str(self.target_help))
        parser.add_argument("--dry-run", action="store_true", help=_("Report what the merge would do; write nothing."))
        parser.add_argument(
            "--user",
            help=_(
                "The username the admin history names (default: the package's own account); with customer "
                "groups on, the merge must be one this user may do."
            ),
        )

    def handle(self, *args, **options):
        source = self.find(options["source"])
        target = self.find(options["target"])
        user = find_user(options["user"]) if options["user"] else None
        dry_run = options["dry_run"]
        try:
            report = self.merge(
                source, target, user=None if dry_run else history_user(user), dry_run=dry_run, viewer=user
            )
        except MergeRefused as refused:
            raise CommandError(
                _("%(source)s cannot be merged into %(target)s: %(reasons)s")
                % {"source": source, "target": target, "reasons": " ".join(refused.reasons)}
            ) from None
        self.print_report(report)

    def find(self, key):
        raise NotImplementedError

    def merge(self, source, target, **options):
        raise NotImplementedError

    def print_report(self, report):
        raise NotImplementedError
