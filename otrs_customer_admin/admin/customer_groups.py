"""The links between customers and groups in the admin (``CustomerGroup``, OTRS's Customers <->
Groups): an inline on the customer's form, and the group's side, a list of links filtered by group.

Both exist only with ``CUSTOMER_GROUP_SUPPORT`` on; without it the list is registered but nobody
may open it, and the customer's form has no inline. Who may see and change which link is
decided by its customer (``models.visibility``)."""

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from ..admin_urls import admin_url
from ..bidi import isolate
from ..models import CustomerGroup
from ..models.customer_groups import creation_refusal, starting_links
from ..models.visibility import RW, group_support, may_change
from .display import card_link
from .mixins import ChoicesThroughGroupsMixin

SYNCED_LINKS = _("This customer's groups come from the data source %(source)s; its sync sets them.")


class GroupLinkForm(forms.ModelForm):
    def has_changed(self):
        # A row the add form starts with (the user's own groups) is saved as it stands.
        return super().has_changed() or (self.instance.pk is None and bool(self.initial.get("group")))


class GroupLinkFormSet(BaseInlineFormSet):
    """The group links of a customer's form; a new customer's must give its creator ``rw``."""

    creator = None  # the user of the form (``CustomerGroupInline.get_formset``)
    starting = ()  # the rows a new customer's form starts with

    def __init__(self, *args, **kwargs):
        if self.starting and kwargs.get("initial") is None:
            kwargs["initial"] = list(self.starting)
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.instance.pk is not None or any(self.errors):
            return
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        rw_groups = [row["group"].name for row in kept if row.get("group") and row.get("permission") == RW]
        refusal = creation_refusal(self.creator, rw_groups)
        if refusal:
            raise ValidationError(refusal, code="creator_needs_rw")


def changeable_link(user, link):
    """Whether ``user`` may change or remove ``link``: its customer linked ``rw`` for them, and its
    links not those of a directory that maps ``groups`` (its sync sets them)."""
    return may_change(user, link) and not link.customer.group_links_synced


class LinkForm(forms.ModelForm):
    """The links list's form: a new link of a customer whose directory sets its groups is refused."""

    def clean_customer(self):
        customer = self.cleaned_data["customer"]
        if customer.group_links_synced:
            raise ValidationError(SYNCED_LINKS % {"source": customer.source_label}, code="links_synced")
        return customer


class GroupChoicesMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            kwargs.setdefault("queryset", Group.objects.order_by("name"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CustomerGroupInline(GroupChoicesMixin, TabularInline):
    """The customer's groups, each ``ro`` or ``rw``: changed by those who may change the customer and
    the links, shown read-only to the others."""

    model = CustomerGroup
    form = GroupLinkForm
    formset = GroupLinkFormSet
    fields = ["group", "permission"]
    extra = 0
    tab = False
    verbose_name = _("group")
    verbose_name_plural = _("groups")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group").order_by("group__name")

    def get_formset(self, request, obj=None, **kwargs):
        starting = starting_links(request.user) if obj is None else []
        if starting:
            kwargs["extra"] = len(starting)
        formset = super().get_formset(request, obj, **kwargs)
        formset.creator, formset.starting = request.user, starting
        return formset

    def _may_change_customer(self, request, obj):
        return obj is None or (may_change(request.user, obj) and not obj.group_links_synced)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._may_change_customer(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_change_customer(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_change_customer(request, obj)


class CustomerGroupAdmin(GroupChoicesMixin, ChoicesThroughGroupsMixin, ModelAdmin):
    """The group's side: which customers a group sees or changes. Add links a customer, delete
    unlinks it; a change sets the permission. An agent whose groups limit them sees the links of
    the customers they see, and links or unlinks only customers they change."""

    list_display = ["customer_link", "customer_id", "group_link", "permission"]
    list_filter = [("group", RelatedDropdownFilter), ("permission", ChoicesDropdownFilter)]
    list_filter_submit = True
    search_fields = ["customer__customer_id", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "group"]
    ordering = ["group__name", "customer__name_key"]
    actions = None  # a bulk delete would reach links of customers the user only reads
    fields = ["group", "customer", "permission"]
    form = LinkForm

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        # A link is the pair: changing it means its permission; another pair is another link.
        return ["group", "customer"] if obj is not None else []

    def has_module_permission(self, request):
        return group_support() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return group_support() and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return group_support() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return (
            group_support()
            and super().has_change_permission(request, obj)
            and (obj is None or changeable_link(request.user, obj))
        )

    def has_delete_permission(self, request, obj=None):
        return (
            group_support()
            and super().has_delete_permission(request, obj)
            and (obj is None or changeable_link(request.user, obj))
        )

    @display(description=_("Customer"), ordering="customer__name_key")
    def customer_link(self, obj):
        return card_link(self.admin_site, obj.customer, obj.customer.name)

    @display(description=_("Group"), ordering="group__name")
    def group_link(self, obj):
        # The group's customers: this list filtered by the group.
        url = admin_url(self.admin_site, CustomerGroup, "changelist", query={"group__id__exact": obj.group_id})
        name = isolate(obj.group.name)
        return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, name)

    @display(description=_("CustomerID"), ordering="customer__customer_id_key")
    def customer_id(self, obj):
        return obj.customer.customer_id
