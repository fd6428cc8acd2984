"""manage.py apply_retention: anonymise the people invalid for longer than ANONYMIZE_INVALID_AFTER (for cron)."""

from django.utils.translation import gettext as _

from ...conf import settings
from ...jobs.retention import schedule_retention
from ...privacy import apply_retention
from ..base import PackageCommand


class Command(PackageCommand):
    help = _(
        "Anonymise the customer users that have not been valid for longer than ANONYMIZE_INVALID_AFTER "
        "(and are not anonymised yet). Run it from cron, or let the periodic job do it where jobs run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("List who would be anonymised and why."))

    def handle(self, *args, **options):
        if settings.ANONYMIZE_INVALID_AFTER is None:
            self.stdout.write(_("ANONYMIZE_INVALID_AFTER is not set: nobody is anonymised."))
            return
        dry_run = options["dry_run"]
        report = apply_retention(dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                _("Due for anonymisation (dry run, nothing written): %(count)d") % {"count": len(report.due)}
            )
        else:
            self.stdout.write(_("Anonymised: %(count)d") % {"count": len(report.due)})
        for person, _since, why in report.due:
            self.stdout.write(f"  {person}: {why}")
        for person, reasons in report.refused:
            self.stdout.write(
                "  " + _("%(person)s left as it is: %(reasons)s") % {"person": person, "reasons": " ".join(reasons)}
            )
        if not dry_run:
            schedule_retention()
