"""Import and export in the admin: django-import-export's flow with unfold's forms,
the package's formats and bulk engine, and its own permission rules."""

from dataclasses import replace

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_countries import countries
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.signals import post_export
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from ..admin_urls import admin_url, job_page_url
from ..bidi import isolate
from ..conf import settings
from ..importexport.exports import ExportRefused, stream_export
from ..importexport.formats import EXPORT_FORMATS, IMPORT_FORMATS, LINE_COLUMN, FileProblem
from ..importexport.previews import Preview, PreviewRefused, PreviewUpload, clear_expired
from ..importexport.profiles import export_profiles, import_profiles, profile_import_options
from ..jobs import jobs_available, start_export, start_import
from ..models import Calendar, Customer, ImportExportProfile, Validity
from ..models.customer_groups import format_group_links
from ..models.dynamic_field_types import display_value
from ..models.dynamic_fields import field_definitions
from ..writes import field_label
from .column_mapping import ColumnMappingForm

#: The import form's fields the confirm step takes over, in the preview's signed token.
IMPORT_DEFAULTS = ("default_country", "default_customer")
#: Problems of a refused confirm listed as messages; the rest are counted.
CONFIRM_PROBLEMS_SHOWN = 20


class ProfileChoiceMixin(forms.Form):
    """A "Profile" select of the saved profiles of the form's model (its resource's) and ``direction``."""

    direction = ImportExportProfile.Direction.IMPORT
    profile = forms.ModelChoiceField(
        label=_("Profile"),
        queryset=ImportExportProfile.objects.none(),
        required=False,
        empty_label=_("No profile"),
    )

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        model = resources[0]._meta.model
        field = self.fields["profile"]
        profiles = import_profiles if self.direction == ImportExportProfile.Direction.IMPORT else export_profiles
        field.widget = UnfoldAdminSelectWidget()
        # Set after the widget: its choices follow the queryset, read only when the select is shown.
        field.queryset = profiles(model).order_by("name")


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
        field.widget = UnfoldAdminSelectWidget(choices=field.choices)


class UploadLimitMixin(forms.Form):
    """The upload's size, against the limit of the request or of a job."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        # A job's worker reads the file a chunk at a time; the request reads it whole.
        limit = settings.JOB_MAX_UPLOAD_SIZE if jobs_available() else settings.IMPORT_MAX_UPLOAD_SIZE
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


class CustomerImportForm(ProfileChoiceMixin, DefaultCountryMixin, UploadLimitMixin, ImportForm):
    field_order = ["resource", "import_file", "format", "profile"]


class SLAImportForm(ProfileChoiceMixin, UploadLimitMixin, ImportForm):
    """SLAs have no country: the file, its format and a profile."""

    field_order = CustomerImportForm.field_order


class DefaultCustomerMixin(forms.Form):
    default_customer = forms.CharField(
        label=_("Default customer"),
        required=False,
        max_length=150,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("CustomerID of the customer for new customer users whose row names none (Zammad's users)."),
    )


class CustomerUserImportForm(DefaultCustomerMixin, CustomerImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_country"].help_text = _(
            "For new customer users whose row has no country; a customer user's country is optional."
        )


class ProfileExportForm(ProfileChoiceMixin, ExportForm):
    """The export form with a "Profile" select: its columns, in its order."""

    direction = ImportExportProfile.Direction.EXPORT


class PreviewMappingForm(ColumnMappingForm):
    """The column mapping of a preview, with the preview's signed token (which stored upload, read how)."""

    token = forms.CharField(widget=forms.HiddenInput())


class SaveProfileForm(forms.Form):
    """ "Save this mapping as profile": a name; the mapping and the defaults come from the preview's token."""

    token = forms.CharField(widget=forms.HiddenInput())
    profile_name = forms.CharField(
        label=_("Profile name"),
        max_length=100,
        widget=UnfoldAdminTextInputWidget,
        help_text=_(
            "Saves this mapping and the defaults to pick them on the next import; a profile of that name is updated."
        ),
    )


class PreviewConfirmForm(forms.Form):
    """The confirm step: a signed token of the preview, and nothing else the browser could change.

    Valid, its cleaned data is what django-import-export's confirm form would hold (file name,
    format, resource) plus the import form's defaults, all taken from the token.
    """

    token = forms.CharField(widget=forms.HiddenInput())

    def __init__(self, *args, user, model, formats, resources, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.model, self.formats, self.resources = user, model, formats, resources
        self.preview = None

    def clean(self):
        token = self.cleaned_data.get("token")
        try:
            if not token:
                raise PreviewRefused
            preview = Preview.from_token(token, user=self.user, model=self.model)
            # Genuine but no longer fitting (the site's formats changed since): refused alike.
            if not (0 <= preview.format < self.formats and 0 <= preview.resource < self.resources):
                raise PreviewRefused
        except PreviewRefused as refused:
            raise forms.ValidationError(refused.message) from None
        self.preview = preview
        return {
            "token": token,
            "import_file_name": preview.file,
            "original_file_name": preview.original_file_name,
            "format": preview.format,
            "resource": preview.resource,
            **preview.options,
        }


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


class PermissionsMixin:
    """Import needs add and change permission, export view permission, whatever the
    site's IMPORT_EXPORT_* settings say."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


def preview_changes(model, preview):
    """The engine's preview rows for people: field labels, and values as the admin shows them
    (CustomerIDs instead of primary keys, validity names; a dynamic field by its label, its value
    as its forms and cards show it); ``None`` for an empty value."""
    object_type = getattr(model, "DYNAMIC_OBJECT_TYPE", None)
    dynamic = {field.key: field for field in field_definitions(object_type)} if object_type else {}
    customer_pks, calendar_pks = set(), set()
    for _line, _kind, _key, changes in preview:
        for name, old, new in changes:
            if name == "customer":
                customer_pks |= {old, new}
            elif name == "additional_customers":
                customer_pks |= {*(old or ()), *(new or ())}
            elif name == "calendar":
                calendar_pks |= {old, new}
    customer_ids = dict(Customer.objects.filter(pk__in=customer_pks - {None}).values_list("pk", "customer_id"))
    calendar_names = dict(Calendar.objects.filter(pk__in=calendar_pks - {None}).values_list("pk", "name"))

    def shown(name, value):
        if name in dynamic:
            return display_value(dynamic[name], value) or None
        if value in (None, "", ()):
            return None
        if name == "customer":
            return customer_ids.get(value, value)
        if name == "calendar":
            return calendar_names.get(value, value)
        if name == "additional_customers":
            return ", ".join(sorted(str(customer_ids.get(pk, pk)) for pk in value))
        if name == "additional_emails":
            return "; ".join(value)
        if name == "valid":
            return Validity(value).label
        if name == "groups":
            return format_group_links(dict(value))
        return value

    def label(name):
        if name == "groups":
            return gettext("Groups")
        if name == "additional_emails":
            return gettext("Additional email addresses")
        return dynamic[name].label if name in dynamic else field_label(model, name)

    return [
        (
            line,
            kind,
            key,
            [(label(name), shown(name, old), shown(name, new)) for name, old, new in changes],
        )
        for line, kind, key, changes in preview
    ]


def preview_table(model, preview):
    """The preview's changes as unfold's table component takes them: a row per record, with its
    line, New or Update, its key and each field's value before (on an update) and after."""

    def shown(value):
        return gettext("(empty)") if value is None else isolate(value)

    def change(kind, label, old, new):
        before = format_html('<span class="otrs-import-old text-subtle">{}</span> → ', shown(old))
        return format_html(
            '<li><span class="font-semibold">{}:</span> {}<span class="otrs-import-new">{}</span></li>',
            label,
            before if kind == "update" else "",
            shown(new),
        )

    labels = {
        "new": render_to_string("unfold/helpers/label.html", {"text": gettext("New"), "variant": "success"}),
        "update": render_to_string("unfold/helpers/label.html", {"text": gettext("Update"), "variant": "info"}),
    }
    rows = []
    for line, kind, key, changed in preview_changes(model, preview):
        changes = format_html_join("", "{}", ((change(kind, *field),) for field in changed))
        cells = [line, labels[kind], isolate(key)]
        cells.append(format_html('<ul class="otrs-import-changes flex flex-col gap-0.5">{}</ul>', changes))
        rows.append({"attrs": {"data-change": kind}, "cols": cells})
    return {"headers": [gettext("Line"), gettext("Change"), gettext("Record"), gettext("Changes")], "rows": rows}


class ListExportMixin(PermissionsMixin):
    """The export takes the list's filters and search from its address, through the list's own
    ChangeList; filters the list cannot read send the user back to the list, as the list does."""

    def export_action(self, request):
        try:
            if jobs_available() and request.method == "POST":
                started = self.start_export_job(request)
                if started is not None:
                    return started
            return super().export_action(request)
        except IncorrectLookupParameters:
            messages.error(
                request,
                gettext(
                    "Nothing was exported: the filters in the address are not ones this list knows. "
                    "Choose the filters on the list, then export again."
                ),
            )
            return HttpResponseRedirect(admin_url(self.admin_site, self.model, "changelist", query={ERROR_FLAG: 1}))

    def start_export_job(self, request):
        """With a task backend: the export form's file made by a job, of the records of the list the
        export page came from (its filters and search, in the page's query string); the user lands on
        the job's page. ``None`` when the form is not valid (the export page then says why)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        form = self.get_export_form_class()(formats, self.get_export_resource_classes(request), data=request.POST)
        if not form.is_valid():
            return None
        self.get_export_queryset(request)  # filters the list cannot read are refused now, not in the worker
        query = request.GET.copy()
        query.pop("_changelist_filters", None)
        job = start_export(
            request.user,
            self.model,
            format_name=formats[int(form.cleaned_data["format"])]().get_extension(),
            records={"kind": "changelist", "query": query.urlencode(), "site": self.admin_site.name},
            columns=self.profile_columns(form),
        )
        messages.info(request, gettext("The export is queued; this page shows its progress."))
        list_url = admin_url(self.admin_site, self.model, "changelist")
        return HttpResponseRedirect(job_page_url(self.admin_site, job) or list_url)

    @staticmethod
    def profile_columns(form):
        """A chosen export profile's columns, in its order; None for every column."""
        profile = form.cleaned_data.get("profile") if form is not None and hasattr(form, "cleaned_data") else None
        return list(profile.columns) if profile is not None and profile.columns else None

    def get_export_resource_kwargs(self, request, **kwargs):
        # The columns read beyond the rows (a person's additional customers) hold only what the user sees.
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """The file of the list's records, streamed: its first bytes leave while the rows are still
        being read, and memory does not grow with the rows (``exports.stream_export``)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            pieces = stream_export(queryset, file_format, user=request.user, columns=self.profile_columns(export_form))
        except ExportRefused as refused:  # a profile's column that is gone (its dynamic field deleted)
            messages.error(request, str(refused))
            return HttpResponseRedirect(request.get_full_path())
        response = StreamingHttpResponse(pieces, content_type=file_format.get_content_type())
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response

    def init_request_context_data(self, request, form):
        # "This exporter will export the following fields": the file's columns. django-import-export
        # lists get_user_visible_fields() there, which are the import's columns on both pages.
        context = super().init_request_context_data(request, form)
        resource_kwargs = self.get_export_resource_kwargs(request)
        context["fields_list"] = [
            (resource_class.get_display_name(), resource_class(**resource_kwargs).get_export_headers())
            for resource_class in self.get_export_resource_classes(request)
        ]
        return context


class RecordImportExportMixin(ListExportMixin, ImportExportMixin):
    import_form_class = CustomerImportForm
    confirm_form_class = PreviewConfirmForm
    export_form_class = ProfileExportForm
    import_template_name = "otrs_customer_admin/import.html"
    confirm_refused_template_name = "otrs_customer_admin/import_refused.html"
    # Uploads kept in the package's own directory, under its own names, whatever the site's
    # IMPORT_EXPORT_TMP_STORAGE_CLASS says: the confirm step reads only those.
    tmp_storage_class = PreviewUpload
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

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = (
            ("import/map/", self.import_map_view, "import_map"),
            ("import/profile/", self.import_profile_view, "import_profile"),
        )
        return [
            *(path(route, self.admin_site.admin_view(view), name=f"{prefix}_{name}") for route, view, name in views),
            *super().get_urls(),
        ]

    def import_action(self, request, **kwargs):
        if jobs_available() and request.method == "POST":
            started = self.start_import_job(request)
            if started is not None:
                return started
        # Uploads whose preview nobody confirmed in time go when the next import starts.
        clear_expired()
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        self.keep_upload_only_for_confirm(request, context)
        return response

    def start_import_job(self, request):
        """With a task backend: the upload checked and previewed by a job, with the form's defaults;
        the user lands on the job's page (the preview, then Confirm). ``None`` when the form is not
        valid (the import page then says why)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        chosen = form.cleaned_data
        file_format = self.get_import_formats()[int(chosen["format"])]()
        options = self.import_options(form)
        job = start_import(
            request.user,
            self.model,
            chosen["import_file"],
            format_name=file_format.get_extension(),
            preview=True,
            options=options,
        )
        messages.info(request, gettext("The file is being checked; this page shows its progress and then its preview."))
        return HttpResponseRedirect(job_page_url(self.admin_site, job) or self.import_url())

    def keep_upload_only_for_confirm(self, request, context):
        """Delete the stored upload at once when its preview offers neither a confirm nor a column
        mapping: refused, or nothing to change (then the preview says so instead of offering the button)."""
        # From request.FILES: a file that cannot be read is no longer in the form's cleaned data.
        name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if name is None:
            return  # no upload, or refused before it was stored
        report = getattr(context.get("result"), "report", None)
        if report is not None:
            self.add_preview_context(request, context, self.preview_of(request, context["form"]))
        if not (context.get("confirm_form") or context.get("mapping_form")):
            PreviewUpload(name=name).remove()

    def add_preview_context(self, request, context, preview, mapping_form=None):
        """The preview's table, and which of Confirm, the column mapping and "Save this mapping as
        profile" it offers (``context["result"]`` is its result)."""
        report = context["result"].report
        if context.get("confirm_form") and not (report.created or report.updated):
            context["confirm_form"] = None
        context["preview_table"] = preview_table(self.model, report.preview)
        mapping = preview.options.get("mapping") or {}
        token = preview.sign()
        if mapping_form is None and (report.unknown_columns or (mapping and not report.ok)):
            headers = self.preview_headers(preview)
            if headers is not None:
                mapping_form = PreviewMappingForm(
                    headers=headers, model=self.model, mapping=mapping, initial={"token": token}
                )
        if mapping_form is not None:
            context["mapping_form"] = mapping_form
            context["mapping_action"] = self.import_url("import_map")
        if mapping and (context.get("confirm_form") or mapping_form) and self.may_save_profiles(request):
            context["profile_form"] = SaveProfileForm(initial={"token": token})
            context["profile_action"] = self.import_url("import_profile")

    def preview_headers(self, preview):
        """The headers of a preview's stored upload; None when it cannot be read (any more)."""
        try:
            dataset = self.preview_dataset(preview)
        except (FileNotFoundError, FileProblem):
            return None
        return [header for header in dataset.headers or [] if header != LINE_COLUMN]

    def preview_dataset(self, preview):
        return self.get_import_formats()[preview.format]().create_dataset(PreviewUpload(name=preview.file).read())

    def may_save_profiles(self, request):
        return any(
            request.user.has_perm(f"{self.opts.app_label}.{action}_importexportprofile") for action in ("add", "change")
        )

    def preview_from_token(self, request):
        """The preview the posted token names, checked as the confirm checks it: ``(preview, None)``,
        or ``(None, errors)`` for a token that is forged, another user's or model's, or expired."""
        form = self.create_confirm_form(request)
        return (form.preview, None) if form.is_valid() else (None, form.non_field_errors())

    def refused(self, request, errors):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import"),
            "opts": self.opts,
            "media": self.media,
            "errors": errors,
            "import_url": self.import_url(),
        }
        return TemplateResponse(request, self.confirm_refused_template_name, context, status=400)

    def upload_gone(self, request):
        # The stored upload is gone: confirmed already (a double click, the back button) or cleared as expired.
        messages.error(
            request,
            gettext(
                "The uploaded file is no longer available: it was imported already, or the upload expired. "
                "Upload the file again to see its preview."
            ),
        )
        return HttpResponseRedirect(self.import_url())

    @method_decorator(require_POST)
    def import_map_view(self, request):
        """Preview the same stored upload again with the posted column mapping (checked against the
        file's headers and the model's fields); the mapping goes into the new preview's token."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        preview, errors = self.preview_from_token(request)
        if preview is None:
            return self.refused(request, errors)
        headers = self.preview_headers(preview)
        if headers is None:
            return self.upload_gone(request)
        form = PreviewMappingForm(request.POST, headers=headers, model=self.model)
        if not form.is_valid():
            return self.preview_response(request, preview, mapping_form=form)
        return self.preview_response(request, replace(preview, options={**preview.options, "mapping": form.mapping}))

    @method_decorator(require_POST)
    def import_profile_view(self, request):
        """Save the mapping and defaults of the posted preview's token as a profile, and show the preview again."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        preview, errors = self.preview_from_token(request)
        if preview is None:
            return self.refused(request, errors)
        form = SaveProfileForm(request.POST)
        name = form.cleaned_data["profile_name"].strip() if form.is_valid() else ""
        self.save_profile(request, preview, name)
        return self.preview_response(request, preview)

    def save_profile(self, request, preview, name):
        """Create the import profile ``name`` of this model from the preview's options, or update it
        (with the change permission); a message says which, or why not."""
        perm = f"{self.opts.app_label}.%s_importexportprofile"
        values = {
            "columns": preview.options.get("mapping") or {},
            "defaults": {key: preview.options[key] for key in IMPORT_DEFAULTS if preview.options.get(key)},
        }
        if not name:
            messages.error(request, gettext("Give the profile a name of at most 100 characters."))
            return
        profile = import_profiles(self.model).filter(name=name).first()
        if profile is None:
            if not request.user.has_perm(perm % "add"):
                messages.error(request, gettext("You may not add import/export profiles."))
                return
            ImportExportProfile.objects.create(
                name=name,
                model=self.opts.label_lower,
                direction=ImportExportProfile.Direction.IMPORT,
                created_by=request.user,
                **values,
            )
            messages.success(request, gettext("The profile %(name)s was saved.") % {"name": name})
            return
        if not request.user.has_perm(perm % "change"):
            messages.error(
                request,
                gettext("A profile called %(name)s exists already and you may not change it; choose another name.")
                % {"name": name},
            )
            return
        for field, value in values.items():
            setattr(profile, field, value)
        profile.save(update_fields=[*values, "changed_at"])
        messages.success(request, gettext("The profile %(name)s was updated.") % {"name": name})

    def preview_response(self, request, preview, mapping_form=None):
        """The import page with the preview of ``preview``'s stored upload, checked again with its options."""
        try:
            dataset = self.preview_dataset(preview)
        except (FileNotFoundError, FileProblem):
            return self.upload_gone(request)
        resource_class = self.get_import_resource_classes(request)[preview.resource]
        resource = resource_class(**self.engine_kwargs(preview.options))
        result = resource.import_data(
            dataset, dry_run=True, raise_errors=False, file_name=preview.original_file_name, user=request.user
        )
        import_form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request)
        )
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": gettext("Import"),
            "form": import_form,
            "opts": self.opts,
            "media": self.media + import_form.media,
            "result": result,
            "import_error_display": self.import_error_display,
        }
        if result.report.ok:
            context["confirm_form"] = self.confirm_form_class(
                initial={"token": preview.sign()}, **self.token_form_kwargs(request)
            )
        self.add_preview_context(request, context, preview, mapping_form)
        if not (context.get("confirm_form") or context.get("mapping_form")):
            PreviewUpload(name=preview.file).remove()
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), **self.token_form_kwargs(request)}

    def token_form_kwargs(self, request):
        """What a preview's token is checked against: the user, the model, the formats and resources."""
        return {
            "user": request.user,
            "model": self.opts.label_lower,
            "formats": len(self.get_import_formats()),
            "resources": len(self.get_import_resource_classes(request)),
        }

    def get_confirm_form_initial(self, request, import_form):
        if import_form is None:
            return {}
        return {"token": self.preview_of(request, import_form).sign()}

    def preview_of(self, request, import_form):
        """The preview of an upload: its stored file, format and resource, and its import options
        (the form's defaults, those it leaves empty from its profile, and the profile's mapping)."""
        chosen = import_form.cleaned_data
        return Preview(
            user=str(request.user.pk),
            model=self.opts.label_lower,
            file=chosen["import_file"].tmp_storage_name,
            original_file_name=chosen["import_file"].name,
            format=int(chosen["format"]),
            resource=self.get_resource_index(import_form),
            options=self.import_options(import_form),
        )

    @staticmethod
    def import_options(import_form):
        chosen = import_form.cleaned_data
        given = {name: chosen.get(name, "") for name in IMPORT_DEFAULTS if name in import_form.fields}
        return profile_import_options(chosen.get("profile"), given)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """django-import-export's confirm step, reading only the upload the token names."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return self.refused(request, confirm_form.non_field_errors())
        preview = confirm_form.preview
        upload = PreviewUpload(name=preview.file)
        try:
            dataset = self.preview_dataset(preview)
        except (FileNotFoundError, FileProblem):
            return self.upload_gone(request)
        result = self.process_dataset(dataset, confirm_form, request, **kwargs)
        upload.remove()
        return self.process_result(result, request)

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
                request, ngettext("… and %(count)s more.", "… and %(count)s more.", hidden) % {"count": hidden}
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

    def import_url(self, view="import"):
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_{view}", current_app=self.admin_site.name)

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if isinstance(form, PreviewConfirmForm) and form.preview is not None:
            options = form.preview.options  # the confirm: the token's options, never the browser's
        elif form is not None and form.is_bound and hasattr(form, "cleaned_data"):
            options = self.import_options(form)
        else:
            options = {}
        return {**resource_kwargs, **self.engine_kwargs(options)}

    @staticmethod
    def engine_kwargs(options):
        """The import engine's options from a preview's options."""
        return {
            "default_country": options.get("default_country", "") or settings.DEFAULT_COUNTRY,
            "default_customer": (options.get("default_customer") or "").strip(),
            "mapping": options.get("mapping") or {},
        }


class TicketExportMixin(ListExportMixin, ExportMixin):
    export_form_class = ProfileExportForm

    def get_export_formats(self):
        return list(EXPORT_FORMATS)
