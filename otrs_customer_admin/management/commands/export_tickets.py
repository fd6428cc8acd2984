from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from ...models import Customer, CustomerUser, Ticket
from ...models.ticket_states import Priority, TicketState
from ..base import known_value
from ..files import ExportCommand

YES_NO = {"yes": True, "no": False}


class Command(ExportCommand):
    """The ticket list's filters as options: open or closed, state, customer, customer user,
    priority, escalated, reminder due."""

    model = Ticket

    @property
    def help(self):
        return gettext("Export tickets to a CSV, TSV, XLSX or JSON file, with the ticket list's filters.")

    def add_filter_arguments(self, parser):
        parser.add_argument("--state-type", help=_("Only open (new, open, pending) or closed tickets: open or closed."))
        parser.add_argument("--state", help=_("Only tickets in this state (such as new, open, pending reminder)."))
        parser.add_argument("--customer", metavar="CUSTOMERID", help=_("Only the tickets of this customer."))
        parser.add_argument("--customer-user", metavar="LOGIN", help=_("Only the tickets of this customer user."))
        parser.add_argument("--priority", help=_("Only tickets of this priority, 1 (very low) to 5 (very high)."))
        parser.add_argument("--escalated", help=_("yes: only escalated tickets; no: only tickets not escalated."))
        parser.add_argument("--reminder-due", help=_("yes: only tickets whose reminder is due; no: only the others."))

    def filters(self, options):
        filters = {}
        if options["state_type"] is not None:
            filters["state_type"] = known_value(
                options["state_type"], ["open", "closed"], _("Unknown state type %(value)s: use one of %(known)s.")
            )
        if options["state"] is not None:
            filters["state"] = known_value(
                options["state"], TicketState.values, _("Unknown state %(value)s: use one of %(known)s.")
            )
        if options["customer"] is not None:
            if not Customer.objects.filter(customer_id__iexact=options["customer"]).exists():
                raise CommandError(_("There is no customer %(value)s.") % {"value": options["customer"]})
            filters["customer"] = options["customer"]
        if options["customer_user"] is not None:
            if not CustomerUser.objects.filter(login__iexact=options["customer_user"]).exists():
                raise CommandError(_("There is no customer user %(value)s.") % {"value": options["customer_user"]})
            filters["customer_user"] = options["customer_user"]
        if options["priority"] is not None:
            priorities = [str(value) for value in Priority.values]
            filters["priority"] = int(
                known_value(options["priority"], priorities, _("Unknown priority %(value)s: use one of %(known)s."))
            )
        for name in ("escalated", "reminder_due"):
            if options[name] is not None:
                answer = known_value(options[name], list(YES_NO), _("Unknown answer %(value)s: use one of %(known)s."))
                filters[name] = YES_NO[answer]
        return filters
