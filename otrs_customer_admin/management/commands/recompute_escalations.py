"""manage.py recompute_escalations: new deadlines for open tickets, after their SLAs or calendars changed."""

import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ...folding import fold
from ...models import SLA, Calendar
from ...models.ticket import recompute_summary, tickets_to_recompute
from ..base import PackageCommand
from ..progress import Progress


class Command(PackageCommand):
    @property
    def help(self):
        # A plain string in the active language: argparse cannot format a lazy one.
        return _(
            "Compute the escalation times of open tickets again, in the working time of their SLAs' calendars: "
            "after a calendar or an SLA changed outside the admin (which does it itself), or after an upgrade."
        )

    def add_arguments(self, parser):
        parser.add_argument("--sla", help=_("Only the open tickets of the SLA with this name (ignoring case)."))
        parser.add_argument(
            "--calendar", help=_("Only the open tickets of the SLAs counting in the calendar with this name.")
        )

    def handle(self, *args, **options):
        sla = self.find(SLA, options["sla"])
        calendar = self.find(Calendar, options["calendar"])
        progress = Progress(self.stdout, "tickets", lines_off_a_terminal=False)
        tickets = tickets_to_recompute(sla=sla, calendar=calendar)
        started = time.monotonic()
        checked = [0]

        def report(phase, done, total=None):
            checked[0] = done
            progress(phase, done, total)

        changed = tickets.recompute_escalations(progress=report)
        seconds = time.monotonic() - started
        count = checked[0]
        self.stdout.write(
            recompute_summary(count, changed)
            + " "
            + _("%(seconds).1f s (%(rate).0f tickets/s)")
            % {"seconds": seconds, "rate": count / seconds if seconds else 0}
        )

    @staticmethod
    def find(model, name):
        """The record of ``model`` named ``name`` (ignoring case); ``None`` without the option. An
        empty name is no name: it never means "every one"."""
        if name is None:
            return None
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # not UTF-8 on the command line: no record has that name
            name, record = name.encode("utf-8", "replace").decode(), None
        else:
            record = model.objects.filter(name_key=fold(name.strip())).first() if name.strip() else None
        if record is None:
            known = ", ".join(model.objects.values_list("name", flat=True)[:20]) or _("none")
            raise CommandError(
                _("There is no %(model)s named %(name)s (there are: %(known)s).")
                % {"model": model._meta.verbose_name, "name": name, "known": known}
            )
        return record
