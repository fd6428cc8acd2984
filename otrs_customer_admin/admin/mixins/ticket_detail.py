"""The ticket detail view: OTRS's "ticket zoom", read-only, which every ticket link opens.

One page with the ticket's number and title, its state, priority and pending time, its SLA's
deadlines (when each falls due, whether it was met, how long until or since), its customer
and customer user with their business cards, and Edit for those who may change tickets.
"""

from dataclasses import dataclass

from django.contrib.admin.utils import quote
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ...admin_urls import admin_url, site_admin
from ...bidi import Phrase
from ...durations import span_since, span_until
from ...models import SLADeadline
from .detail import Action, ActionGroup
from .pages import RecordPageMixin

# unfold's label variants for each kind of deadline row.
DEADLINE_VARIANTS = {
    "met": "success",
    "late": "warning",
    "due": "info",
    "overdue": "danger",
    "paused": "default",
    "stopped": "default",
}


@dataclass
class DeadlineRow:
    """An ``SLADeadline`` as the page shows it: its kind, the text of its status, and whether
    it is the ticket's current escalation."""

    deadline: SLADeadline
    kind: str
    status: str
    current: bool

    @property
    def variant(self):
        return DEADLINE_VARIANTS[self.kind]


def deadline_rows(ticket, now):
    """The rows of the ticket's SLA deadlines, with "due in 2 hours", "overdue by 3 days"… measured at ``now``."""
    rows = []
    for deadline in ticket.sla_deadlines():
        if deadline.status == SLADeadline.RUNNING and deadline.is_overdue(now):
            kind, status = "overdue", _("overdue by %(time)s") % {"time": span_since(deadline.due_at, now)}
        elif deadline.status == SLADeadline.RUNNING:
            kind, status = "due", _("due in %(time)s") % {"time": span_until(deadline.due_at, now)}
        elif deadline.met_late:
            kind, status = "late", _("met, %(time)s late") % {"time": timesince(deadline.due_at, deadline.met_at)}
        elif deadline.status == SLADeadline.MET:
            kind, status = "met", _("met in time")
        elif deadline.status == SLADeadline.PAUSED:
            kind, status = "paused", _("paused while the ticket is pending")
        else:
            kind, status = (
                "stopped",
                _("not running: the ticket is %(state_type)s") % {"state_type": ticket.state_type.label},
            )
        current = (
            deadline.status == SLADeadline.RUNNING
            and ticket.escalation_at is not None
            and deadline.deadline == ticket.escalation_deadline
        )
        rows.append(DeadlineRow(deadline, kind, status, current))
    return rows


class TicketDetailMixin(RecordPageMixin):
    ticket_detail_template = "otrs_customer_admin/ticket_detail.html"
    # Everything the page shows comes with the ticket, in one query.
    detail_select_related = ("customer", "customer_user", "sla")

    def get_urls(self):
        detail = path(
            "<path:object_id>/detail/", self.admin_site.admin_view(self.detail_view), name=self.url_name("detail")
        )
        return [detail, *super().get_urls()]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == self.url_name("detail"):
            return queryset.select_related(*self.detail_select_related)
        return queryset

    def detail_title(self, obj):
        return Phrase("%(number)s: %(title)s", number=obj.number, title=obj.title)

    def detail_actions(self, request, obj):
        """The action groups of the page, as on the customer's detail view; subclasses extend this."""
        organize = ActionGroup(_("Organize"))
        if self.has_change_permission(request, obj):
            organize.actions.append(Action(_("Edit"), self.admin_url("change", quote(obj.pk)), "edit"))
        return [organize]

    def record_links(self, obj):
        """``obj``'s detail and card URLs on this site, or ``None`` when the site has no admin for it."""
        if obj is None or site_admin(self.admin_site, type(obj)) is None:
            return None
        return {
            "detail": admin_url(self.admin_site, obj, "detail", quote(obj.pk)),
            "card": admin_url(self.admin_site, obj, "card", quote(obj.pk)),
        }

    def detail_view(self, request, object_id):
        ticket = self.get_viewable_object(request, object_id)
        now = timezone.now()
        context = {
            "original": ticket,
            **self.title_context(ticket),
            "action_groups": [group for group in self.detail_actions(request, ticket) if group.actions],
            "now": now,
            "deadlines": deadline_rows(ticket, now),
            "escalated": ticket.is_escalated(now),
            "reminder_due": ticket.is_reminder_due(now),
            "customer_links": self.record_links(ticket.customer),
            "customer_user_links": self.record_links(ticket.customer_user),
        }
        return self.render_page(request, self.ticket_detail_template, context)
