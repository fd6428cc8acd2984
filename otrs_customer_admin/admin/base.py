"""``SourcedRecordAdmin``: what the customer and customer-user admins share.

It is the one home of "who may do what to this record": the model permissions, and the
rules of the record's data source (read-only directories, no deletion unless allowed).
Widgets, inlines and list columns ask its ``has_*_permission`` methods.
"""

from django.contrib.admin.utils import quote
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ..conf import settings
from ..datasources import writable_data_sources
from ..models.visibility import changeable_row
from .display import VALIDITY_LABELS, edit_link, validity_badge
from .filters import OtrsSearchMixin
from .forms import SourcedRecordChangeForm
from .importexport import RecordImportExportMixin
from .mixins import (
    BusinessCardMixin,
    CustomerGroupsMixin,
    DatabaseBusyMixin,
    DataSourceStepMixin,
    DetailViewMixin,
    DynamicFieldsListMixin,
    DynamicFieldsMixin,
    PrefillMixin,
    RecordHistoryMixin,
    SaveChangedFieldsMixin,
    SetInvalidMixin,
)
from .pagination import KeyedPagesMixin


class SourcedRecordAdmin(
    DatabaseBusyMixin,
    KeyedPagesMixin,
    DynamicFieldsListMixin,
    OtrsSearchMixin,
    RecordHistoryMixin,
    DetailViewMixin,
    BusinessCardMixin,
    SetInvalidMixin,
    DataSourceStepMixin,
    PrefillMixin,
    RecordImportExportMixin,
    DynamicFieldsMixin,
    SaveChangedFieldsMixin,
    CustomerGroupsMixin,
    ModelAdmin,
):
    form = SourcedRecordChangeForm
    view_on_site = False
    change_form_outer_before_template = "otrs_customer_admin/change_form_header.html"
    list_display_links = None
    actions = None

    # --- who may do what -------------------------------------------------------

    def has_add_permission(self, request):
        return bool(writable_data_sources()) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        # A directory's record changes only through its sync; its change view may still change the
        # dynamic fields its source does not map (``changing_dynamic_fields_only``).
        if obj is not None and obj.is_read_only and not self.changing_dynamic_fields_only(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_dynamic_fields_permission(self, request, obj):
        """Whether the user may change ``obj``'s dynamic fields and nothing else of it: a directory's
        record with fields its source does not map, and the model's change permission."""
        return obj.is_read_only and bool(obj.dynamic_fields.editable()) and super().has_change_permission(request, obj)

    def has_edit_permission(self, request, obj):
        # The record, or its dynamic fields alone.
        return self.has_change_permission(request, obj) or self.has_dynamic_fields_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not settings.ALLOW_DELETE or (obj is not None and obj.is_read_only):
            return False
        return super().has_delete_permission(request, obj)

    # --- list columns ------------------------------------------------------------

    def edit_label(self, obj):
        return str(obj)

    @display(description=_("Edit"))
    def edit(self, obj):
        # The column is there only for users who may change records (get_list_display);
        # per row, the record's own rule.
        if obj.is_read_only or not changeable_row(obj):  # customer groups: ro on its customer
            return ""
        label = gettext("Edit %(name)s") % {"name": self.edit_label(obj)}
        return edit_link(self.admin_url("change", quote(obj.pk)), label)

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if "edit" in columns and not self.has_change_permission(request):
            columns.remove("edit")
        return columns
