"""The ticket detail view: OTRS's "ticket zoom", read-only, which every ticket link opens.

One page with the ticket's number and title, its state, priority and pending time, its SLA's
deadlines (when each falls due, whether it was met, how long until or since: in the working
time of the SLA's calendar, which the page names, or around the clock), its customer
and customer user with their business cards, and Edit for those who may change tickets.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ...bidi import Phrase
from ...durations import deadline_status, working_span
from ...models import SLADeadline
from ...models.visibility import may_view_related
from ...working_time import AROUND_THE_CLOCK
from ..display import working_week
from .detail import DetailPageMixin

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
    """The rows of the ticket's SLA deadlines, with "due in 2 hours", "overdue by 3 days"… measured
    at ``now``, in the working time of the SLA's calendar where it has one."""
    rows = []
    for deadline in ticket.sla_deadlines():
        if deadline.status == SLADeadline.RUNNING:
            overdue, status = deadline_status(deadline.due_at, now, deadline.clock)
            kind = "overdue" if overdue else "due"
        elif deadline.met_late and deadline.clock is AROUND_THE_CLOCK:
            kind, status = "late", _("met, %(time)s late") % {"time": timesince(deadline.due_at, deadline.met_at)}
        elif deadline.met_late and (late := deadline.clock.between(deadline.due_at, deadline.met_at)):
            kind, status = "late", _("met, %(time)s late (working time)") % {"time": working_span(late)}
        elif deadline.status == SLADeadline.MET:
            # Also met after the wall-clock deadline with no working time between (due on Friday
            # at 17:00, met on Saturday): in working time, that is in time.
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


class TicketDetailMixin(DetailPageMixin):
    def get_detail_queryset(self, request):
        # Everything the page shows comes with the ticket, in one query.
        return super().get_detail_queryset(request).select_related("customer", "customer_user", "sla__calendar")

    def detail_title(self, obj):
        return Phrase("%(number)s: %(title)s", number=obj.number, title=obj.title)

    def get_detail_context(self, request, obj):
        now = timezone.now()
        calendar = obj.sla.calendar if obj.sla else None
        return {
            "now": now,
            "deadlines": deadline_rows(obj, now),
            # The clock the deadlines count in, named: its calendar and working hours, or none.
            "calendar": calendar,
            "working_week": working_week(calendar) if calendar else "",
            "escalated": obj.is_escalated(now),
            "reminder_due": obj.is_reminder_due(now),
            "customer_links": self.record_links(obj.customer),
            # A visible ticket's customer user may be hidden (their own customer is): named, not linked.
            "customer_user_links": self.record_links(obj.customer_user)
            if may_view_related(request.user, obj, "customer_user")
            else None,
        }
