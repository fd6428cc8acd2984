from django.contrib.admin.utils import quote
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.decorators import display

from ..importexport.resources import CustomerUserResource
from ..models import Ticket
from .display import VALIDITY_LABELS, card_link, edit_link, validity_badge
from .filters import DataSourceFilter, OtrsSearchMixin, ValidityFilter
from .forms import SourcedRecordForm
from .importexport import RecordImportExportMixin
from .pagination import KeyedPagesMixin
from .views import Action, ActionGroup, RecordPagesMixin, admin_url


class CustomerUserAdmin(KeyedPagesMixin, OtrsSearchMixin, RecordPagesMixin, RecordImportExportMixin, ModelAdmin):
    resource_classes = [CustomerUserResource]
    form = SourcedRecordForm
    card_template = "otrs_customer_admin/cards/customer_user.html"
    list_display = ["login_link", "name_link", "email", "customer_link", "validity", "data_source_label", "edit"]
    list_display_links = None
    list_filter = [ValidityFilter, ("customer", AutocompleteSelectFilter), DataSourceFilter]
    list_filter_submit = True
    list_select_related = ["customer"]
    search_fields = ["login", "first_name", "last_name", "email", "customer__customer_id"]
    ordering = ["last_name", "first_name", "login_key"]
    actions = None
    autocomplete_fields = ["customer"]
    fieldsets = [
        (_("Data source"), {"fields": ["data_source"]}),
        (_("Customer user information"), {"fields": ["title", "first_name", "last_name", "login", "email", "valid"]}),
        (_("Customer"), {"fields": ["customer"]}),
        (_("Contact"), {"fields": ["phone", "fax", "mobile"]}),
        (_("Address"), {"fields": ["street", "zip", "city", "country"]}),
        (_("Miscellaneous"), {"fields": ["comment"]}),
    ]

    class Media:
        css = {"all": ["otrs_customer_admin/otrs_customer_admin.css"]}
        js = ["otrs_customer_admin/cards.js"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("customer")
        # The list shows no ticket counts; the card, detail view and widgets do.
        match = request.resolver_match
        if match is not None and match.url_name == self.url_name("changelist"):
            return queryset
        return queryset.with_ticket_counts()

    @display(description=_("Login"), ordering="login_key")
    def login_link(self, obj):
        return card_link(obj, obj.login, self.admin_site.name)

    @display(description=_("Name"), ordering="last_name")
    def name_link(self, obj):
        return card_link(obj, obj.full_name, self.admin_site.name)

    @display(description=_("Customer"), ordering="customer__customer_id")
    def customer_link(self, obj):
        return card_link(obj.customer, obj.customer.customer_id, self.admin_site.name)

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)

    @display(description=_("Edit"))
    def edit(self, obj):
        if obj.is_read_only:
            return ""
        return edit_link(self.admin_url("change", quote(obj.pk)), gettext("Edit %(name)s") % {"name": obj.full_name})

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not super().has_change_permission(request):
            columns.remove("edit")
        return columns

    def detail_actions(self, request, obj):
        groups = super().detail_actions(request, obj)
        tickets = ActionGroup(gettext("Tickets"))
        ticket_admin = self.admin_site._registry.get(Ticket)
        if ticket_admin is not None and ticket_admin.has_add_permission(request):
            query = f"customer={obj.customer_id}&customer_user={obj.pk}"
            url = admin_url(ticket_admin, "add", query=query)
            tickets.actions.append(Action(gettext("Create Ticket"), url, "confirmation_number"))
        return [*groups, tickets]
