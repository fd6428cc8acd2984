"""The widgets of OTRS's customer detail view, and the customer user's.

Every widget runs a fixed number of queries, whatever the number of tickets:
lists are cut at ``WIDGET_ROWS`` and link to the full, filtered ticket list.
With customer groups (``models.visibility``) each shows, counts and links only what the
request's user sees: a customer user's tickets of other customers, and the people who also
work for a customer, belong to customers the user may not see.
"""

from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import history
from ..admin_urls import may_change
from ..conf import settings
from ..durations import deadline_status
from ..models import (
    CLOSED_STATES,
    OPEN_STATES,
    Customer,
    CustomerUser,
    Ticket,
    TicketState,
    visibility,
    with_ticket_counts_for,
)
from ..models.calendars import share_hours
from .base import CUSTOMER, CUSTOMER_USER, Widget, register


class ModelListWidget(Widget):
    """A widget listing records of ``model``: shown to those whose admin of it lets them view it."""

    model = None

    def has_permission(self, request, obj):
        model_admin = self.admin_for(self.model)
        return (
            model_admin is not None
            and model_admin.has_view_permission(request)
            and super().has_permission(request, obj)
        )


def owner_filter(obj):
    """Ticket-list parameters and queryset lookup for a customer or a customer user."""
    field = "customer" if isinstance(obj, Customer) else "customer_user"
    return {f"{field}__id__exact": obj.pk}


def owned_tickets(obj, user):
    """``obj``'s tickets that ``user`` sees, each knowing whether its customer user is visible too."""
    return (
        Ticket.objects.visible_to(user)
        .filter(**owner_filter(obj))
        .select_related("customer_user")
        .with_visibility_of(user, "customer_user")
    )


def ticket_counts(widget, request, obj):
    """The open and closed counts (stored on ``obj``), each linking to those tickets."""
    ticket_admin = widget.admin_for(Ticket)

    def tickets_url(state_type):
        return widget.url(Ticket, "changelist", query={**owner_filter(obj), "state_type": state_type})

    return {
        "ticket_counts": [
            (_("open"), obj.open_tickets, tickets_url("open")),
            (_("closed"), obj.closed_tickets, tickets_url("closed")),
        ],
        "can_see_tickets": ticket_admin is not None and ticket_admin.has_view_permission(request),
    }


def kept_parameters(request, key):
    """The request's parameters besides the widget ``key``'s own: other widgets' and the page's
    survive paging and filtering in one widget."""
    return [(name, value) for name, value in request.GET.items() if not name.startswith(f"{key}-")]


def page_links(request, key, page, parameters=()):
    """``(number, link)`` of the pages of widget ``key`` (``None`` for the page shown and the
    ellipses; no links at all for one page); each link keeps the other parameters and adds ``parameters``."""
    if page.paginator.num_pages <= 1:
        return []
    kept = [*kept_parameters(request, key), *parameters]
    return [
        (
            number,
            None if number in (page.number, Paginator.ELLIPSIS) else "?" + urlencode([*kept, (f"{key}-page", number)]),
        )
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]


def link_ticket_rows(widget, request, tickets):
    """Give each ticket its link (to its detail view), and its customer user's detail and card
    links where the user sees them (otherwise the row names them only)."""
    tickets = list(tickets)
    for ticket in tickets:
        ticket.link = widget.url(Ticket, "detail", quote(ticket.pk))
        if visibility.may_view_related(request.user, ticket, "customer_user"):
            ticket.customer_user.links = widget.record_links(ticket.customer_user)
    return tickets


def tell_escalations(tickets, now):
    """Give each ticket (loaded with its SLA and calendar) ``escalation_status``: "overdue by 3
    days", in the working time of its SLA's calendar where it has one. The tickets of one
    calendar share its working time, built once."""
    share_hours(ticket.sla.calendar for ticket in tickets if ticket.sla is not None)
    for ticket in tickets:
        if ticket.escalation_at is not None:
            ticket.escalation_status = deadline_status(ticket.escalation_at, now, ticket.clock)[1]


class TicketsWidget(ModelListWidget):
    """A list of the object's tickets, cut at ``WIDGET_ROWS``, with a link to all of them."""

    template = "otrs_customer_admin/widgets/tickets.html"
    screens = (CUSTOMER, CUSTOMER_USER)
    model = Ticket
    # Ticket-list filter parameters that select the same tickets in the admin list.
    list_filter = {}
    # Extra columns of the rows: "overdue", "pending".
    show = ()

    def select(self, tickets, now):
        raise NotImplementedError

    def get_context(self, request, obj):
        now = timezone.now()
        tickets = self.select(owned_tickets(obj, request.user), now)
        if "overdue" in self.show:
            tickets = tickets.select_related("sla__calendar")
        rows = link_ticket_rows(self, request, list(tickets[: settings.WIDGET_ROWS]))
        if "overdue" in self.show:
            tell_escalations(rows, now)
        total = tickets.count()
        return {
            "tickets": rows,
            "total": total,
            "more": total - len(rows),
            "now": now,
            "show": self.show,
            "show_customer_user": isinstance(obj, Customer),
            "full_list_url": self.url(Ticket, "changelist", query={**owner_filter(obj), **self.list_filter}),
        }


@register
class EscalationsWidget(TicketsWidget):
    key = "escalations"
    title = _("Escalations")
    empty_message = _("No escalated tickets.")
    list_filter = {"escalated": "yes"}
    show = ("overdue",)

    def select(self, tickets, now):
        # Most overdue first.
        return tickets.escalated(now).order_by("escalation_at", "pk")


@register
class RemindersWidget(TicketsWidget):
    key = "reminders"
    title = _("Reminders")
    empty_message = _("No reminders due.")
    list_filter = {"reminder_due": "yes"}
    show = ("pending",)

    def select(self, tickets, now):
        return tickets.reminders_due(now).order_by("pending_until", "pk")


@register
class OpenTicketsWidget(TicketsWidget):
    key = "open-tickets"
    title = _("Open Tickets")
    empty_message = _("No open tickets.")
    list_filter = {"state_type": "open"}

    def select(self, tickets, now):
        return tickets.open().order_by("-created_at", "-pk")


@register
class TicketListWidget(ModelListWidget):
    """All tickets, a page at a time, filterable by state."""

    key = "ticket-list"
    title = _("Ticket List")
    template = "otrs_customer_admin/widgets/ticket_list.html"
    screens = (CUSTOMER, CUSTOMER_USER)
    model = Ticket
    empty_message = _("No tickets.")

    def state_choices(self):
        # The state "open" is one of OTRS's open states, hence "any-open" for all of them.
        return [("", _("all")), ("any-open", _("open (any)")), ("any-closed", _("closed (any)")), *TicketState.choices]

    def get_context(self, request, obj):
        state = request.GET.get(f"{self.key}-state", "")
        tickets = owned_tickets(obj, request.user).order_by("-created_at", "-pk")
        if state == "any-open":
            tickets = tickets.filter(state__in=OPEN_STATES)
        elif state == "any-closed":
            tickets = tickets.filter(state__in=CLOSED_STATES)
        elif state in TicketState.values:
            tickets = tickets.filter(state=state)
        else:
            state = ""
        page = Paginator(tickets, settings.WIDGET_ROWS).get_page(request.GET.get(f"{self.key}-page"))
        state_parameter = [(f"{self.key}-state", state)] if state else []
        return {
            "page": page,
            "tickets": link_ticket_rows(self, request, page.object_list),
            "total": page.paginator.count,
            "state": state,
            "state_choices": self.state_choices(),
            "state_parameter": f"{self.key}-state",
            "kept_parameters": kept_parameters(request, self.key),
            "page_links": page_links(request, self.key, page, state_parameter),
            "show": (),
            "now": timezone.now(),
            "show_customer_user": isinstance(obj, Customer),
        }


@register
class CustomerInformationWidget(Widget):
    """Who the customer is, its ticket counts, and links to act on it, find it on a map and on the web."""

    key = "customer-information"
    title = _("Customer Information")
    template = "otrs_customer_admin/widgets/customer_information.html"
    screens = (CUSTOMER,)

    def get_context(self, request, obj):
        return {
            **ticket_counts(self, request, obj),
            "edit_url": self.edit_url(request, obj),
            "map_url": settings.MAP_URL.format(address=url_quote(obj.address_line)) if obj.address_line else "",
            "social_links": [
                (label, template.format(name=url_quote(obj.name))) for label, template in settings.SOCIAL_LINKS
            ],
        }

    def edit_url(self, request, obj):
        if not self.model_admin.has_edit_permission(request, obj):
            return ""
        return self.url(type(obj), "change", quote(obj.pk))


@register
class CustomerUserInformationWidget(Widget):
    key = "customer-user-information"
    title = _("Customer User Information")
    template = "otrs_customer_admin/widgets/customer_user_information.html"
    screens = (CUSTOMER_USER,)

    def get_context(self, request, obj):
        editable = self.model_admin.has_edit_permission(request, obj)
        return {
            **ticket_counts(self, request, obj),
            "customer_links": self.record_links(obj.customer),
            "edit_url": self.url(CustomerUser, "change", quote(obj.pk)) if editable else "",
        }


@register
class CustomerUsersWidget(ModelListWidget):
    """The customer's people, with their ticket counts and what one does with them."""

    key = "customer-users"
    title = _("Customer Users")
    template = "otrs_customer_admin/widgets/customer_users.html"
    screens = (CUSTOMER,)
    model = CustomerUser
    empty_message = _("No customer users.")

    def get_context(self, request, obj):
        viewer = request.user
        people = CustomerUser.objects.visible_to(viewer).working_for(obj).with_group_permission(viewer)
        users = (
            with_ticket_counts_for(people, viewer)
            .annotate(is_primary=ExpressionWrapper(Q(customer=obj), output_field=BooleanField()))
            .select_related("customer")
            .order_by("valid", "-is_primary", "last_name", "pk")
        )
        rows = list(users[: settings.WIDGET_ROWS])
        total = users.count()
        user_admin, ticket_admin = self.admin_for(CustomerUser), self.admin_for(Ticket)
        can_edit = may_change(self.model_admin.admin_site, request, CustomerUser)
        # A ticket or a customer user for this customer changes it: rw on it, as well as the model permission.
        changes_customer = visibility.may_change(viewer, obj)
        can_create_ticket = changes_customer and ticket_admin is not None and ticket_admin.has_add_permission(request)
        for user in rows:
            user.links = self.user_links(request, obj, user, can_edit, can_create_ticket)
        can_add_user = changes_customer and user_admin is not None and user_admin.has_add_permission(request)
        return {
            "users": rows,
            "total": total,
            "more": total - len(rows),
            "can_edit": can_edit,
            "can_create_ticket": can_create_ticket,
            "can_see_tickets": ticket_admin is not None and ticket_admin.has_view_permission(request),
            "add_user_url": self.url(CustomerUser, "add", query={"customer": obj.pk}) if can_add_user else "",
            "full_list_url": self.url(
                CustomerUser, "changelist", query={"customer__id__exact": obj.pk, "validity": "all"}
            ),
        }

    def user_links(self, request, customer, user, can_edit, can_create_ticket):
        owner = {"customer_user__id__exact": user.pk}
        return {
            **self.record_links(user),
            "open_tickets": self.url(Ticket, "changelist", query={**owner, "state_type": "open"}),
            "closed_tickets": self.url(Ticket, "changelist", query={**owner, "state_type": "closed"}),
            # A ticket for this customer, also from someone whose own customer is another one.
            "create_ticket": self.url(Ticket, "add", query={"customer": customer.pk, "customer_user": user.pk})
            if can_create_ticket
            else "",
            "edit": self.url(CustomerUser, "change", quote(user.pk))
            if can_edit and may_change(self.model_admin.admin_site, request, CustomerUser, user)
            else "",
        }


@register
class HistoryWidget(Widget):
    """The record's history, newest first, a page at a time: who changed which field from what to
    what, and with which writer (``history``)."""

    key = "history"
    title = _("History")
    template = "otrs_customer_admin/widgets/history.html"
    screens = (CUSTOMER, CUSTOMER_USER)
    empty_message = _("No changes recorded.")

    def has_permission(self, request, obj):
        # The admin's history page asks the same of the record.
        return self.model_admin.has_view_or_change_permission(request, obj) and super().has_permission(request, obj)

    def get_context(self, request, obj):
        model = type(obj)
        page = Paginator(history.entries_of(model, obj.pk), settings.WIDGET_ROWS).get_page(
            request.GET.get(f"{self.key}-page")
        )
        return {
            "page": page,
            "entries": history.shown_entries(model, page.object_list, viewer=request.user),
            "total": page.paginator.count,
            "page_links": page_links(request, self.key, page),
        }
