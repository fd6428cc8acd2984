from django.contrib.admin.utils import quote
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from ..datasources import writable_data_sources
from ..importexport.resources import CustomerResource
from ..models import CustomerUser
from .display import VALIDITY_LABELS, card_link, edit_link, validity_badge
from .filters import DataSourceFilter, OtrsSearchMixin, ValidityFilter
from .forms import SourcedRecordForm
from .importexport import RecordImportExportMixin
from .pagination import KeyedPagesMixin
from .sync import DirectorySyncMixin
from .views import Action, ActionGroup, RecordPagesMixin, admin_url


class CustomerUserInline(TabularInline):
    model = CustomerUser
    form = SourcedRecordForm
    fields = ["person", "login", "first_name", "last_name", "email", "valid"]
    readonly_fields = ["person"]
    extra = 0
    per_page = 10
    ordering = ["last_name", "first_name", "login_key"]
    show_change_link = True
    tab = False
    verbose_name_plural = _("customer users")

    @display(description=_("Customer user"))
    def person(self, obj):
        return card_link(obj, obj.full_name) if obj.pk else "-"

    def _parent_writable(self, obj):
        return obj is None or not obj.is_read_only

    def has_add_permission(self, request, obj=None):
        return self._parent_writable(obj) and bool(writable_data_sources()) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_writable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerAdmin(
    KeyedPagesMixin, OtrsSearchMixin, DirectorySyncMixin, RecordPagesMixin, RecordImportExportMixin, ModelAdmin
):
    resource_classes = [CustomerResource]
    form = SourcedRecordForm
    card_template = "otrs_customer_admin/cards/customer.html"
    list_display = [
        "customer_id_link",
        "name_link",
        "city",
        "country",
        "validity",
        "data_source_label",
        "open_tickets",
        "closed_tickets",
        "edit",
    ]
    list_display_links = None
    list_filter = [ValidityFilter, DataSourceFilter]
    search_fields = ["customer_id", "name", "city"]
    ordering = ["name_key"]
    actions = None
    inlines = [CustomerUserInline]
    fieldsets = [
        (_("Data source"), {"fields": ["data_source"]}),
        (_("Customer information"), {"fields": ["name", "customer_id", "valid"]}),
        (_("Address"), {"fields": ["street", "zip", "city", "country"]}),
        (_("Miscellaneous"), {"fields": ["url", "comment"]}),
    ]

    class Media:
        css = {"all": ["otrs_customer_admin/otrs_customer_admin.css"]}
        js = ["otrs_customer_admin/cards.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_ticket_counts()

    # --- list columns ---

    @display(description=_("CustomerID"), ordering="customer_id_key")
    def customer_id_link(self, obj):
        return card_link(obj, obj.customer_id, self.admin_site.name)

    @display(description=_("Customer"), ordering="name_key")
    def name_link(self, obj):
        return card_link(obj, obj.name, self.admin_site.name)

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)

    @display(description=_("Open tickets"), ordering="open_tickets")
    def open_tickets(self, obj):
        return obj.open_tickets

    @display(description=_("Closed tickets"), ordering="closed_tickets")
    def closed_tickets(self, obj):
        return obj.closed_tickets

    @display(description=_("Edit"))
    def edit(self, obj):
        if obj.is_read_only:
            return ""
        return edit_link(self.admin_url("change", quote(obj.pk)), gettext("Edit %(name)s") % {"name": obj.name})

    def get_list_display(self, request):
        # The pencil column is there only for users who may change customers.
        columns = list(super().get_list_display(request))
        if not super().has_change_permission(request):
            columns.remove("edit")
        return columns

    # --- detail view ---

    def detail_title(self, obj):
        return f"{obj.name} ({obj.customer_id})"

    def detail_actions(self, request, obj):
        groups = super().detail_actions(request, obj)
        people = ActionGroup(gettext("People"))
        user_admin = self.admin_site._registry.get(CustomerUser)
        if user_admin is not None and user_admin.has_add_permission(request):
            url = admin_url(user_admin, "add", query=f"customer={obj.pk}")
            people.actions.append(Action(gettext("Add Customer User"), url, "person_add"))
        return [*groups, people]
