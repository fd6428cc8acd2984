"""Import and export in the admin: django-import-export's flow with unfold's forms,
the package's formats and bulk engine, and its own permission rules."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.widgets import UnfoldAdminSelectWidget

from ..conf import settings
from ..importexport.formats import EXPORT_FORMATS, IMPORT_FORMATS, LINE_COLUMN, FileProblem

#: The import form's fields the confirm step carries on as hidden fields.
IMPORT_DEFAULTS = ("default_country", "default_customer")
#: Problems of a refused confirm listed as messages; the rest are counted.
CONFIRM_PROBLEMS_SHOWN = 20


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
                    "The file is %(size)s; uploads take at most %(limit)s. "
                    "Split it, or import it with the import_customers / import_customer_users command."
                )
                # filesizeformat, as Django's own upload messages: binary units, and bytes for small limits.
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


class DefaultCustomerMixin(forms.Form):
    default_customer = forms.CharField(
        label=_("Default customer"),
        required=False,
        max_length=150,
        help_text=_("CustomerID of the customer for new customer users whose row names none (Zammad's users)."),
    )


class CustomerUserImportForm(DefaultCustomerMixin, CustomerImportForm):
    pass


def country_choices():
    return [("", ""), *countries]


class CustomerConfirmImportForm(ConfirmImportForm):
    # A choice, not any text: the hidden field comes back from the browser.
    default_country = forms.ChoiceField(widget=forms.HiddenInput(), required=False, choices=country_choices)


class CustomerUserConfirmImportForm(CustomerConfirmImportForm):
    # Checked by the import itself, which names an unknown CustomerID.
    default_customer = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=150)


def with_row_limit(format_class, max_rows):
    """The format, refusing files with more than ``max_rows`` rows (for browser uploads)."""

    class Limited(format_class):
        def create_dataset(self, in_stream, **kwargs):
            dataset = super().create_dataset(in_stream, max_rows=max_rows, **kwargs)
            # Said here, not as django-import-export's "No valid data to import".
            if not dataset.height:
                if [header for header in dataset.headers or [] if header != LINE_COLUMN]:
                    raise FileProblem(_("The file has a header but no rows to import."))
                raise FileProblem(_("The file is empty."))
            return dataset

    Limited.__name__ = Limited.__qualname__ = format_class.__name__
    return Limited


def import_columns(resource_class, fields):
    importer_class = getattr(resource_class, "importer_class", None)
    return list(importer_class.data_fields) if importer_class is not None else fields


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

    def is_skip_import_confirm_enabled(self):
        # The preview always comes first, whatever IMPORT_EXPORT_SKIP_ADMIN_CONFIRM says.
        return False

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

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("fields_list"):
            # "This importer will import the following fields": the engine's columns, not
            # the resource's export columns (data_source is exported, never imported).
            resource_classes = self.get_import_resource_classes(request)
            context["fields_list"] = [
                (name, import_columns(resource_class, fields))
                for (name, fields), resource_class in zip(context["fields_list"], resource_classes, strict=False)
            ]
        return response

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (FileNotFoundError, FileProblem):
            # The stored upload is gone: confirmed already (a double click, the back
            # button) or expired from the temporary storage.
            messages.error(
                request,
                gettext(
                    "The uploaded file is no longer available: it was imported already, or the upload expired. "
                    "Upload the file again to see its preview."
                ),
            )
            return HttpResponseRedirect(self.import_url())

    def process_result(self, result, request):
        report = getattr(result, "report", None)
        if report is None or report.ok:
            return super().process_result(result, request)
        # The database changed between the preview and the confirm: nothing was written.
        messages.error(
            request,
            ngettext(
                "Nothing was imported: since the preview, the data changed and the file now has %(count)d problem. "
                "Correct the file and upload it again.",
                "Nothing was imported: since the preview, the data changed and the file now has %(count)d problems. "
                "Correct the file and upload it again.",
                report.problem_count,
            )
            % {"count": report.problem_count},
        )
        for problem in report.problems[:CONFIRM_PROBLEMS_SHOWN]:
            messages.error(request, str(problem))
        hidden = report.problem_count - CONFIRM_PROBLEMS_SHOWN
        if hidden > 0:
            messages.error(
                request, ngettext("… and %(count)d more.", "… and %(count)d more.", hidden) % {"count": hidden}
            )
        return HttpResponseRedirect(self.import_url())

    def add_success_message(self, result, request):
        report = getattr(result, "report", None)
        if report is None:
            return super().add_success_message(result, request)
        messages.success(
            request,
            gettext(
                "Import of %(records)s finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
            )
            % {
                "records": self.model._meta.verbose_name_plural,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )

    def import_url(self):
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_import", current_app=self.admin_site.name)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            for name in IMPORT_DEFAULTS:
                if name in import_form.fields:
                    initial[name] = import_form.cleaned_data.get(name, "")
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        chosen = form.cleaned_data if form is not None and form.is_bound else {}
        resource_kwargs["default_country"] = chosen.get("default_country", "") or settings.DEFAULT_COUNTRY
        if form is not None and "default_customer" in form.fields:
            resource_kwargs["default_customer"] = chosen.get("default_customer", "").strip()
        return resource_kwargs


class TicketExportMixin(PermissionsMixin, ExportMixin):
    export_form_class = ExportForm

    def get_export_formats(self):
        return list(EXPORT_FORMATS)
