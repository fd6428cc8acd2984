from django.contrib.admin.utils import quote
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from ..admin_urls import admin_url
from ..bidi import isolate
from ..durations import deadline_status
from ..importexport.resources import SLAResource, TicketResource
from ..models.calendars import share_hours
from ..models.visibility import may_view_related
from .display import VALIDITY_LABELS, card_link, moment, moment_text, validity_badge
from .filters import (
    CalendarFilter,
    EscalatedFilter,
    OtrsSearchMixin,
    ReminderDueFilter,
    StateTypeFilter,
    ValidityFilter,
    VisibleAutocompleteSelectFilter,
)
from .forms import TicketForm
from .importexport import RecordImportExportMixin, SLAImportForm, TicketExportMixin
from .mixins import (
    CustomerGroupsMixin,
    DatabaseBusyMixin,
    PrefillMixin,
    RecomputeDeadlinesMixin,
    SaveChangedFieldsMixin,
    TicketDetailMixin,
)
from .pagination import KeyedPagesMixin


class TicketAdmin(
    DatabaseBusyMixin,
    KeyedPagesMixin,
    OtrsSearchMixin,
    TicketDetailMixin,
    PrefillMixin,
    TicketExportMixin,
    SaveChangedFieldsMixin,
    CustomerGroupsMixin,
    ModelAdmin,
):
    form = TicketForm
    view_on_site = False  # its absolute URL is this form; the detail view is the page to open
    resource_classes = [TicketResource]
    picker_valid_only = False
    list_display = [
        "number_link",
        "title",
        "customer_link",
        "customer_user_link",
        "state",
        "priority",
        "pending_until_moment",
        "escalation",
        "created_moment",
    ]
    list_display_links = None
    list_filter = [
        StateTypeFilter,
        ("state", ChoicesDropdownFilter),
        ("customer", VisibleAutocompleteSelectFilter),
        ("customer_user", VisibleAutocompleteSelectFilter),
        EscalatedFilter,
        ReminderDueFilter,
        "priority",
    ]
    list_filter_submit = True
    list_select_related = ["customer", "customer_user", "sla__calendar"]
    search_fields = ["number", "title", "customer__customer_id", "customer__name"]
    autocomplete_fields = ["customer", "customer_user", "sla"]
    readonly_fields = ["number", "closed_at", "escalation_at", "escalation_deadline"]
    date_hierarchy = None
    fieldsets = [
        (None, {"fields": ["number", "title", "customer", "customer_user"]}),
        (_("State"), {"fields": ["state", "priority", "pending_until", "closed_at"]}),
        (_("Service level"), {"fields": ["sla", "created_at", "first_response_at", "last_update_at"]}),
        (_("Escalation"), {"fields": ["escalation_at", "escalation_deadline"]}),
    ]

    def get_queryset(self, request):
        # A ticket's customer user may work for a customer the user does not see: named, not linked.
        return super().get_queryset(request).with_visibility_of(request.user, "customer_user")

    @display(description=_("Ticket number"), ordering="number")
    def number_link(self, obj):
        url = admin_url(self.admin_site, obj, "detail", quote(obj.pk))
        return format_html(
            '<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, isolate(obj.number)
        )

    @display(description=_("Customer"), ordering="customer__name")
    def customer_link(self, obj):
        return card_link(self.admin_site, obj.customer, obj.customer.name)

    @display(description=_("Customer user"), ordering="customer_user__last_name")
    def customer_user_link(self, obj):
        if obj.customer_user is None:
            return "-"
        if not may_view_related(None, obj, "customer_user"):  # get_queryset's annotation answers
            return isolate(obj.customer_user.full_name)
        return card_link(self.admin_site, obj.customer_user, obj.customer_user.full_name)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The page's tickets of one calendar count in one working time ("overdue by" below).
        share_hours(ticket.sla.calendar for ticket in changelist.result_list if ticket.sla is not None)
        return changelist

    @display(description=_("Escalation"), ordering="escalation_at")
    def escalation(self, obj):
        if obj.escalation_at is None:
            return "-"
        status = deadline_status(obj.escalation_at, timezone.now(), obj.clock)[1]
        return f"{obj.get_escalation_deadline_display()}: {moment_text(obj.escalation_at)} ({status})"

    @display(description=_("Pending until"), ordering="pending_until")
    def pending_until_moment(self, obj):
        return moment(obj.pending_until)

    @display(description=_("Created"), ordering="created_at")
    def created_moment(self, obj):
        return moment(obj.created_at)


class SLAAdmin(
    DatabaseBusyMixin, OtrsSearchMixin, PrefillMixin, RecomputeDeadlinesMixin, RecordImportExportMixin, ModelAdmin
):
    recompute_scope = "sla"
    resource_classes = [SLAResource]
    import_form_class = SLAImportForm
    list_display = ["name", "first_response_time", "update_time", "solution_time", "calendar_name", "validity"]
    list_filter = [ValidityFilter, CalendarFilter]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    autocomplete_fields = ["calendar"]  # offers valid calendars only (OtrsSearchMixin)
    fieldsets = [
        (None, {"fields": ["name", "valid", "comment"]}),
        (_("Targets in minutes"), {"fields": ["first_response_time", "update_time", "solution_time", "calendar"]}),
    ]

    @display(description=_("Calendar"), ordering="calendar__name")
    def calendar_name(self, obj):
        return isolate(obj.calendar.name) if obj.calendar_id else gettext("Around the clock")

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)
