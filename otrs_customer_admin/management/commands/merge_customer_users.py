"""manage.py merge_customer_users FROM INTO: move everything of one person to another, set the first invalid."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...folding import fold
from ...merge import merge_customer_users
from ...models import CustomerUser
from ..merging import MergeCommand


class Command(MergeCommand):
    help = _(
        "Merge the customer user FROM into the customer user INTO (logins, ignoring case): their tickets, "
        "additional customers and email addresses move to INTO, INTO's empty fields are filled from FROM, and "
        "FROM is set invalid, never deleted. All in one transaction."
    )
    source_help = gettext_lazy("The login of the customer user who is merged away.")
    target_help = gettext_lazy("The login of the customer user who stays.")

    def merge(self, source, target, **options):
        return merge_customer_users(source, target, **options)

    def find(self, login):
        person = CustomerUser.objects.filter(login_key=fold(login)).first()
        if person is None:
            raise CommandError(_("There is no customer user with the login %(login)s.") % {"login": login})
        return person

    def print_report(self, report):
        plan = report.plan
        names = {"source": plan.source, "target": plan.target}
        if report.dry_run:
            self.stdout.write(_("Merging %(source)s into %(target)s (dry run, nothing written):") % names)
        else:
            self.stdout.write(_("Merged %(source)s into %(target)s:") % names)
        self.stdout.write("  " + _("tickets moved: %(count)d") % {"count": report.tickets})
        if plan.ticket_numbers:
            numbers = ", ".join(plan.ticket_numbers)
            if plan.more_tickets:
                numbers += " " + _("… and %(count)d more") % {"count": plan.more_tickets}
            self.stdout.write(f"    {numbers}")
        if plan.hidden_tickets:
            self.stdout.write("    " + _("… and %(count)d you cannot see") % {"count": plan.hidden_tickets})
        self.stdout.write(
            "  " + _("email addresses added to %(target)s: %(count)d") % {**names, "count": report.addresses}
        )
        for address in plan.addresses:
            self.stdout.write(f"    {address}")
        if plan.known_addresses:
            self.stdout.write(
                "  "
                + _("email addresses %(target)s already has: %(addresses)s")
                % {**names, "addresses": ", ".join(plan.known_addresses)}
            )
        if plan.additional_customers:
            self.stdout.write(
                "  "
                + _("additional customers of %(target)s added: %(count)d")
                % {**names, "count": report.additional_customers}
            )
            for customer in plan.shown_additional_customers:
                self.stdout.write(f"    {customer}")
            if plan.hidden_additional_customers:
                self.stdout.write(
                    "    " + _("… and %(count)d you cannot see") % {"count": plan.hidden_additional_customers}
                )
        filled = plan.filled_fields()
        if filled:
            self.stdout.write("  " + _("fields of %(target)s filled from %(source)s:") % names)
            for label, value in filled:
                self.stdout.write(f"    {label}: {value}")
        else:
            self.stdout.write("  " + _("fields of %(target)s filled: none") % names)
        for note in plan.notes:
            self.stdout.write(f"  {note}")
        if report.dry_run:
            retired = _("%(source)s would be set invalid, with the comment: %(comment)s")
        else:
            retired = _("%(source)s was set invalid, with the comment: %(comment)s")
        self.stdout.write("  " + retired % {"source": plan.source, "comment": plan.source_comment})
