from django.contrib.admin.utils import quote
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display
from unfold.forms import PaginationInlineFormSet

from ..admin_urls import admin_url, may_change, site_admin
from ..bidi import Phrase, isolate_text
from ..importexport.resources import CustomerResource
from ..models import Customer, CustomerUser
from ..models.customer_groups import gives_rw
from ..models.visibility import group_support, restricted
from ..models.visibility import may_change as may_change_customer
from .base import SourcedRecordAdmin
from .customer_groups import CustomerGroupInline
from .display import card_link
from .filters import DataSourceFilter, PossibleDuplicatesFilter, ValidityFilter
from .forms import AdditionalLinkForm, SourcedRecordForm
from .mixins import Action, ActionGroup, ChoicesThroughGroupsMixin, MergeCustomersMixin
from .sync import DirectorySyncMixin


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
        return card_link(self.admin_site, obj, obj.full_name) if obj.pk else "-"

    # Adding or changing a customer's people here changes the customer: both admins must allow it.
    def _may_change_customer(self, request, customer):
        return customer is None or may_change(self.admin_site, request, Customer, customer)

    def has_add_permission(self, request, obj=None):
        user_admin = site_admin(self.admin_site, CustomerUser)
        may_add = user_admin.has_add_permission(request) if user_admin else super().has_add_permission(request, obj)
        return may_add and self._may_change_customer(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_change_customer(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class AdditionalLinkFormSet(PaginationInlineFormSet):
    @classmethod
    def get_default_prefix(cls):
        return "additional_customer_users"  # instead of the through model's "CustomerUser_additional_customers"


class AdditionalCustomerUserInline(ChoicesThroughGroupsMixin, TabularInline):
    """The people who also work for this customer, besides their own (OTRS's Customer User <-> Customers).

    It lists, and takes, only people the user's groups let them see; the others' links stay as they are."""

    model = CustomerUser.additional_customers.through
    form = AdditionalLinkForm
    formset = AdditionalLinkFormSet
    fk_name = "customer"
    autocomplete_fields = ["customeruser"]
    extra = 0
    tab = False
    verbose_name = _("customer user who also works here")
    verbose_name_plural = _("customer users who also work here")

    def get_queryset(self, request):
        links = super().get_queryset(request)
        if not restricted(request.user):
            return links
        return links.filter(customeruser__in=CustomerUser.objects.visible_to(request.user).values("pk"))

    # Linking people here changes the customer: it needs the customer linked read and write.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or may_change_customer(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may_change_customer(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may_change_customer(request.user, obj))


class CustomerAdmin(DirectorySyncMixin, MergeCustomersMixin, SourcedRecordAdmin):
    resource_classes = [CustomerResource]
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
    list_filter = [ValidityFilter, DataSourceFilter, PossibleDuplicatesFilter]
    search_fields = ["customer_id", "name", "city"]
    ordering = ["name_key"]
    inlines = [CustomerUserInline, AdditionalCustomerUserInline]
    fieldsets = [
        (_("Data source"), {"fields": ["data_source"]}),
        (_("Customer information"), {"fields": ["name", "customer_id", "valid"]}),
        (_("Address"), {"fields": ["street", "zip", "city", "country"]}),
        (_("Miscellaneous"), {"fields": ["url", "comment"]}),
    ]

    def has_add_permission(self, request):
        # A new customer must be one its creator may change: through a group of theirs linked in the
        # form's group inline, or CUSTOMER_GROUP_ALWAYS when they may not link groups.
        if not super().has_add_permission(request):
            return False
        return (
            not group_support()
            or CustomerGroupInline(self.model, self.admin_site).has_add_permission(request, None)
            or gives_rw(request.user, ())
        )

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        return [*inlines, CustomerGroupInline] if group_support() else inlines

    def get_queryset(self, request):
        return super().get_queryset(request).with_ticket_counts()  # the list, detail page and card show them

    def get_card_queryset(self, request):
        return super().get_card_queryset(request).with_customer_user_counts(request.user)

    def get_ordering(self, request):
        # Possible duplicates sit together: by match key, then by name (the match-key index's order).
        if request.GET.get(PossibleDuplicatesFilter.parameter_name) == "yes":
            return ["name_match_key", "name_key"]
        return super().get_ordering(request)

    # --- list columns ---

    @display(description=_("CustomerID"), ordering="customer_id_key")
    def customer_id_link(self, obj):
        return card_link(self.admin_site, obj, obj.customer_id)

    @display(description=_("Customer"), ordering="name_key")
    def name_link(self, obj):
        return card_link(self.admin_site, obj, obj.name)

    @display(description=_("Open tickets"), ordering="open_tickets")
    def open_tickets(self, obj):
        return obj.open_tickets

    @display(description=_("Closed tickets"), ordering="closed_tickets")
    def closed_tickets(self, obj):
        return obj.closed_tickets

    def edit_label(self, obj):
        return isolate_text(obj.name)

    # --- detail view ---

    def detail_title(self, obj):
        return Phrase("%(name)s (%(customer_id)s)", name=obj.name, customer_id=obj.customer_id)

    def detail_actions(self, request, obj):
        groups = super().detail_actions(request, obj)
        if self.has_merge_permission(request, obj):
            groups[0].actions.append(Action(gettext("Merge into…"), self.admin_url("merge", quote(obj.pk)), "merge"))
        people = ActionGroup(gettext("People"))
        user_admin = site_admin(self.admin_site, CustomerUser)
        # A customer user of this customer changes it: rw on it (customer groups) as well.
        if user_admin is not None and user_admin.has_add_permission(request) and may_change_customer(request.user, obj):
            url = admin_url(self.admin_site, CustomerUser, "add", query={"customer": obj.pk})
            people.actions.append(Action(gettext("Add Customer User"), url, "person_add"))
        return [*groups, people]
