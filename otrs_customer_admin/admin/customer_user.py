from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from ..admin_urls import admin_url, site_admin
from ..bidi import Phrase, isolate_text
from ..exceptions import AddressTaken
from ..importexport.resources import CustomerUserResource
from ..models import Ticket, with_ticket_counts_for
from ..models.customer_user import duplicate_group
from ..models.visibility import may_change
from .base import SourcedRecordAdmin
from .display import card_link
from .filters import DataSourceFilter, PossibleDuplicatesFilter, ValidityFilter, WorksForCustomerFilter
from .forms import CustomerUserForm
from .importexport import CustomerUserImportForm
from .mixins import Action, ActionGroup, MergeCustomerUsersMixin, PrivacyMixin


class CustomerUserAdmin(MergeCustomerUsersMixin, PrivacyMixin, SourcedRecordAdmin):
    resource_classes = [CustomerUserResource]
    import_form_class = CustomerUserImportForm
    list_display = ["login_link", "name_link", "email", "customer_link", "validity", "data_source_label", "edit"]
    list_filter = [ValidityFilter, ("customer", WorksForCustomerFilter), DataSourceFilter, PossibleDuplicatesFilter]
    list_filter_submit = True
    list_select_related = ["customer"]
    search_fields = ["login", "first_name", "last_name", "email", "additional_emails__email", "customer__customer_id"]
    ordering = ["last_name", "first_name", "login_key"]
    form = CustomerUserForm
    actions_detail = ["invalidate", *PrivacyMixin.actions_detail]
    autocomplete_fields = ["customer", "additional_customers"]
    fieldsets = [
        (_("Data source"), {"fields": ["data_source"]}),
        (
            _("Customer user information"),
            {"fields": ["title", "first_name", "last_name", "login", "email", "additional_emails", "valid"]},
        ),
        (_("Customer"), {"fields": ["customer", "additional_customers"]}),
        (_("Contact"), {"fields": ["phone", "fax", "mobile"]}),
        (_("Address"), {"fields": ["street", "zip", "city", "country"]}),
        (_("Miscellaneous"), {"fields": ["comment"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"viewer": request.user})

    @display(description=_("Additional email addresses"))
    def additional_emails(self, obj):
        """The addresses as a read-only page shows them (a directory's person, a user who may only view)."""
        return format_html_join(
            mark_safe("<br>"), "{}", ((isolate_text(row.email),) for row in obj.additional_emails.all())
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form checked the addresses; another writer may give one of them to someone else
        # before this save's own check under the lock (writes.refuse_taken_addresses). Then the
        # save's transaction rolls back, and the user is told instead of shown an error page.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AddressTaken as taken:
            addresses = [conflict.address for conflict in taken.conflicts]
        except ValidationError as error:  # the same, found by the record's save() (its primary address)
            errors = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
            taken = [e for field_errors in errors.values() for e in field_errors if e.code == "address_taken"]
            if not taken:
                raise
            addresses = [e.params["value"] for e in taken]
        message = gettext("Nothing was saved: another valid customer user was given %(addresses)s meanwhile.")
        messages.error(request, Phrase(message, addresses=", ".join(addresses)).html())
        return HttpResponseRedirect(request.get_full_path())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    def get_ordering(self, request):
        # Possible duplicates sit together: by what each group shares, then by name.
        if request.GET.get(PossibleDuplicatesFilter.parameter_name) == "yes":
            return [duplicate_group().asc(), "full_name_key", "login_key"]
        return super().get_ordering(request)

    # The list shows no ticket counts; the detail page (its widgets) and the card do.
    def get_detail_queryset(self, request):
        return with_ticket_counts_for(super().get_detail_queryset(request), request.user).with_additional_emails()

    def get_card_queryset(self, request):
        return with_ticket_counts_for(super().get_card_queryset(request), request.user).with_additional_emails()

    @display(description=_("Login"), ordering="login_key")
    def login_link(self, obj):
        return card_link(self.admin_site, obj, obj.login)

    @display(description=_("Name"), ordering="last_name")
    def name_link(self, obj):
        return card_link(self.admin_site, obj, obj.full_name)

    @display(description=_("Customer"), ordering="customer__customer_id")
    def customer_link(self, obj):
        return card_link(self.admin_site, obj.customer, obj.customer.customer_id)

    def edit_label(self, obj):
        return isolate_text(obj.full_name)

    def detail_title(self, obj):
        return Phrase("%(name)s (%(login)s)", name=obj.full_name, login=obj.login)

    def detail_actions(self, request, obj):
        groups = super().detail_actions(request, obj)
        if self.has_merge_permission(request, obj):
            groups[0].actions.append(Action(gettext("Merge into…"), self.admin_url("merge", quote(obj.pk)), "merge"))
        tickets = ActionGroup(gettext("Tickets"))
        ticket_admin = site_admin(self.admin_site, Ticket)
        # A ticket for this person is one of their customer's: it needs that customer linked read and write.
        if ticket_admin is not None and ticket_admin.has_add_permission(request) and may_change(request.user, obj):
            query = {"customer": obj.customer_id, "customer_user": obj.pk}
            url = admin_url(self.admin_site, Ticket, "add", query=query)
            tickets.actions.append(Action(gettext("Create Ticket"), url, "confirmation_number"))
        return [*groups, tickets]
