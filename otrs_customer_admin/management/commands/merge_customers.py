"""manage.py merge_customers FROM INTO: move everything of one customer to another, and set the first invalid."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...folding import fold
from ...merge import merge_customers
from ...models import Customer
from ..merging import MergeCommand

# How many customer users the report names; it counts all of them.
USERS_SHOWN = 50


class Command(MergeCommand):
    help = _(
        "Merge the customer FROM into the customer INTO (CustomerIDs, ignoring case): its customer users and "
        "tickets move to INTO, INTO's empty fields are filled from it, and FROM is set invalid, never deleted. "
        "All in one transaction."
    )
    source_help = gettext_lazy("The CustomerID of the customer that is merged away.")
    target_help = gettext_lazy("The CustomerID of the customer that stays.")

    def merge(self, source, target, **options):
        return merge_customers(source, target, **options)

    def find(self, customer_id):
        customer = Customer.objects.filter(customer_id_key=fold(customer_id)).first()
        if customer is None:
            raise CommandError(_("There is no customer with the CustomerID %(id)s.") % {"id": customer_id})
        return customer

    def print_report(self, report):
        plan = report.plan
        names = {"source": plan.source, "target": plan.target}
        if report.dry_run:
            self.stdout.write(_("Merging %(source)s into %(target)s (dry run, nothing written):") % names)
        else:
            self.stdout.write(_("Merged %(source)s into %(target)s:") % names)
        self.stdout.write("  " + _("customer users moved: %(count)d") % {"count": report.customer_users})
        for person in plan.customer_users[:USERS_SHOWN]:
            self.stdout.write(f"    {person}")
        if len(plan.customer_users) > USERS_SHOWN:
            more = len(plan.customer_users) - USERS_SHOWN
            self.stdout.write("    " + _("… and %(count)d more") % {"count": more})
        if plan.additional_links:
            self.stdout.write(
                "  " + _("additional customer links moved: %(count)d") % {"count": report.additional_links}
            )
            for person in plan.shown_additional_links[:USERS_SHOWN]:
                self.stdout.write(f"    {person}")
            if plan.hidden_customer_users:
                self.stdout.write("    " + _("… and %(count)d you cannot see") % {"count": plan.hidden_customer_users})
        self.stdout.write("  " + _("tickets moved: %(count)d") % {"count": report.tickets})
        if plan.ticket_numbers:
            numbers = ", ".join(plan.ticket_numbers)
            if plan.more_tickets:
                numbers += " " + _("… and %(count)d more") % {"count": plan.more_tickets}
            self.stdout.write(f"    {numbers}")
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
