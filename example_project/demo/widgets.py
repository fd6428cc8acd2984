"""An example of a site's own detail-view widget, registered through settings."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from otrs_customer_admin.models import Priority, Ticket
from otrs_customer_admin.widgets import CUSTOMER, Widget


class OpenTicketsByPriorityWidget(Widget):
    """How the customer's open tickets spread over the priorities: one aggregate query."""

    key = "open-tickets-by-priority"
    title = _("Open tickets by priority")
    template = "demo/open_tickets_by_priority.html"
    screens = (CUSTOMER,)
    permissions = ("otrs_customer_admin.view_ticket",)
    empty_message = _("No open tickets.")

    def get_context(self, request, obj):
        counts = dict(
            Ticket.objects.filter(customer=obj).open().values_list("priority").annotate(total=Count("pk")).order_by()
        )
        rows = [(label, counts.get(value, 0)) for value, label in reversed(Priority.choices)]
        return {"rows": rows, "any": any(counts.values())}
