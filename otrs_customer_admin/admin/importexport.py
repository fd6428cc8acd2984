"""Import and export in the admin: django-import-export's flow with unfold's forms,
the package's formats and bulk engine, and its own permission rules."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.widgets import UnfoldAdminSelectWidget

from ..conf import settings
from ..importexport.formats import EXPORT_FORMATS, IMPORT_FORMATS, FileProblem


class DefaultCountryMixin(forms.Form):
    default_country = forms.ChoiceField(
        label=_("Default country"),
        required=False,
        help_text=_("For new records whose row has no country (Zammad's files have none)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["default_country"]
        field.choices = [("", _("From the file (or the DEFAULT_COUNTRY setting)")), *countries]
        if not isinstance(field.widget, forms.HiddenInput):
            field.widget = UnfoldAdminSelectWidget(choices=field.choices)


class CustomerImportForm(DefaultCountryMixin, ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_UPLOAD_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size).1f MB; uploads take at most %(limit).1f MB. "
                    "Split it, or import it with the import_customers / import_customer_users command."
                )
                % {"size": upload.size / 1e6, "limit": limit / 1e6}
            )
        return upload


class CustomerConfirmImportForm(ConfirmImportForm):
    default_country = forms.CharField(widget=forms.HiddenInput(), required=False)


def with_row_limit(format_class, max_rows):
    """The format, refusing files with more than ``max_rows`` rows (for browser uploads)."""

    class Limited(format_class):
        def create_dataset(self, in_stream, **kwargs):
            return super().create_dataset(in_stream, max_rows=max_rows, **kwargs)

    Limited.__name__ = Limited.__qualname__ = format_class.__name__
    return Limited


class PermissionsMixin:
    """Import needs add and change permission, export view permission, whatever the
    site's IMPORT_EXPORT_* settings say."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class RecordImportExportMixin(PermissionsMixin, ImportExportMixin):
    import_form_class = CustomerImportForm
    confirm_form_class = CustomerConfirmImportForm
    export_form_class = ExportForm
    import_template_name = "otrs_customer_admin/import.html"
    # The engine writes the admin history itself, in bulk.
    skip_admin_log = True

    def get_import_formats(self):
        return [with_row_limit(format_class, settings.IMPORT_MAX_ROWS) for format_class in IMPORT_FORMATS]

    def get_export_formats(self):
        return list(EXPORT_FORMATS)

    def add_data_read_fail_error_to_form(self, form, error):
        # A file that cannot be read says why, with its line and column.
        if isinstance(error, FileProblem):
            form.add_error("import_file", str(error))
        else:
            super().add_data_read_fail_error_to_form(form, error)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["default_country"] = import_form.cleaned_data.get("default_country", "")
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        chosen = form.cleaned_data.get("default_country", "") if form is not None and form.is_bound else ""
        resource_kwargs["default_country"] = chosen or settings.DEFAULT_COUNTRY
        return resource_kwargs


class TicketExportMixin(PermissionsMixin, ExportMixin):
    export_form_class = ExportForm

    def get_export_formats(self):
        return list(EXPORT_FORMATS)
