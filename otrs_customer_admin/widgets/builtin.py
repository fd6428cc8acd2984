"""The widgets of OTRS's customer detail view, and the customer user's.

Every widget runs a fixed number of queries, whatever the number of tickets:
lists are cut at ``WIDGET_ROWS`` and link to the full, filtered ticket list.
"""

from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import settings
from ..datasources import writable_data_sources
from ..models import CLOSED_STATES, OPEN_STATES, Customer, CustomerUser, Ticket, TicketState
from .base import CUSTOMER, CUSTOMER_USER, Widget, register

TICKET_PERMISSION = "otrs_customer_admin.view_ticket"


def owner_filter(obj):
    """Ticket-list parameters and queryset lookup for a customer or a customer user."""
    field = "customer" if isinstance(obj, Customer) else "customer_user"
    return {f"{field}__id__exact": obj.pk}


def owned_tickets(obj):
    return Ticket.objects.filter(**owner_filter(obj)).select_related("customer_user")


def ticket_counts(request, obj):
    """The open and closed counts (annotated on ``obj``), each linking to those tickets."""
    owner = owner_filter(obj)
    return {
        "ticket_counts": [
            (_("open"), obj.open_tickets, admin_list_url("ticket", **owner, state_type="open")),
            (_("closed"), obj.closed_tickets, admin_list_url("ticket", **owner, state_type="closed")),
        ],
        "can_see_tickets": request.user.has_perm(TICKET_PERMISSION),
    }


def admin_list_url(model_name, **params):
    url = reverse(f"admin:otrs_customer_admin_{model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


class TicketsWidget(Widget):
    """A list of the object's tickets, cut at ``WIDGET_ROWS``, with a link to all of them."""

    template = "otrs_customer_admin/widgets/tickets.html"
    screens = (CUSTOMER, CUSTOMER_USER)
    permissions = (TICKET_PERMISSION,)
    # Ticket-list filter parameters that select the same tickets in the admin list.
    list_filter = {}
    # Extra columns of the rows: "overdue", "pending".
    show = ()

    def select(self, tickets, now):
        raise NotImplementedError

    def get_context(self, request, obj):
        now = timezone.now()
        tickets = self.select(owned_tickets(obj), now)
        rows = list(tickets[: settings.WIDGET_ROWS])
        total = tickets.count()
        return {
            "tickets": rows,
            "total": total,
            "more": total - len(rows),
            "now": now,
            "show": self.show,
            "show_customer_user": isinstance(obj, Customer),
            "full_list_url": admin_list_url("ticket", **owner_filter(obj), **self.list_filter),
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
class TicketListWidget(Widget):
    """All tickets, a page at a time, filterable by state."""

    key = "ticket-list"
    title = _("Ticket List")
    template = "otrs_customer_admin/widgets/ticket_list.html"
    screens = (CUSTOMER, CUSTOMER_USER)
    permissions = (TICKET_PERMISSION,)
    empty_message = _("No tickets.")

    def state_choices(self):
        # The state "open" is one of OTRS's open states, hence "any-open" for all of them.
        return [("", _("all")), ("any-open", _("open (any)")), ("any-closed", _("closed (any)")), *TicketState.choices]

    def get_context(self, request, obj):
        state = request.GET.get(f"{self.key}-state", "")
        tickets = (
            Ticket.objects.filter(**owner_filter(obj)).select_related("customer_user").order_by("-created_at", "-pk")
        )
        if state == "any-open":
            tickets = tickets.filter(state__in=OPEN_STATES)
        elif state == "any-closed":
            tickets = tickets.filter(state__in=CLOSED_STATES)
        elif state in TicketState.values:
            tickets = tickets.filter(state=state)
        else:
            state = ""
        page = Paginator(tickets, settings.WIDGET_ROWS).get_page(request.GET.get(f"{self.key}-page"))
        # Other widgets' and the page's own parameters survive paging and filtering here.
        kept = [(key, value) for key, value in request.GET.items() if not key.startswith(f"{self.key}-")]
        state_parameter = [(f"{self.key}-state", state)] if state else []
        page_links = [
            (
                number,
                None
                if number in (page.number, Paginator.ELLIPSIS)
                else "?" + urlencode([*kept, *state_parameter, (f"{self.key}-page", number)]),
            )
            for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        ]
        return {
            "page": page,
            "tickets": page.object_list,
            "total": page.paginator.count,
            "state": state,
            "state_choices": self.state_choices(),
            "state_parameter": f"{self.key}-state",
            "kept_parameters": kept,
            "page_links": page_links if page.paginator.num_pages > 1 else [],
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
            **ticket_counts(request, obj),
            "edit_url": self._edit_url(request, obj),
            "map_url": settings.MAP_URL.format(address=url_quote(obj.address_line)) if obj.address_line else "",
            "social_links": [
                (label, template.format(name=url_quote(obj.name))) for label, template in settings.SOCIAL_LINKS
            ],
        }

    def _edit_url(self, request, obj):
        if obj.is_read_only or not request.user.has_perm("otrs_customer_admin.change_customer"):
            return ""
        return reverse("admin:otrs_customer_admin_customer_change", args=[obj.pk])


@register
class CustomerUserInformationWidget(Widget):
    key = "customer-user-information"
    title = _("Customer User Information")
    template = "otrs_customer_admin/widgets/customer_user_information.html"
    screens = (CUSTOMER_USER,)

    def get_context(self, request, obj):
        editable = not obj.is_read_only and request.user.has_perm("otrs_customer_admin.change_customeruser")
        return {
            **ticket_counts(request, obj),
            "edit_url": reverse("admin:otrs_customer_admin_customeruser_change", args=[obj.pk]) if editable else "",
        }


@register
class CustomerUsersWidget(Widget):
    """The customer's people, with their ticket counts and what one does with them."""

    key = "customer-users"
    title = _("Customer Users")
    template = "otrs_customer_admin/widgets/customer_users.html"
    screens = (CUSTOMER,)
    permissions = ("otrs_customer_admin.view_customeruser",)
    empty_message = _("No customer users.")

    def get_context(self, request, obj):
        users = CustomerUser.objects.filter(customer=obj).with_ticket_counts().order_by("valid", "last_name", "pk")
        rows = list(users[: settings.WIDGET_ROWS])
        total = users.count()
        perms = request.user
        can_add_user = bool(writable_data_sources()) and perms.has_perm("otrs_customer_admin.add_customeruser")
        return {
            "users": rows,
            "total": total,
            "more": total - len(rows),
            "can_edit": perms.has_perm("otrs_customer_admin.change_customeruser"),
            "can_create_ticket": perms.has_perm("otrs_customer_admin.add_ticket"),
            "can_see_tickets": perms.has_perm(TICKET_PERMISSION),
            "add_user_url": admin_add_url("customeruser", customer=obj.pk) if can_add_user else "",
            "full_list_url": admin_list_url("customeruser", customer__id__exact=obj.pk, validity="all"),
        }


def admin_add_url(model_name, **params):
    url = reverse(f"admin:otrs_customer_admin_{model_name}_add")
    return f"{url}?{urlencode(params)}"
