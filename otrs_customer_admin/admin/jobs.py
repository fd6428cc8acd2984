"""Background jobs in the admin: the "Jobs" list and each job's page (its progress while it runs,
Cancel, and at the end its report, an import preview's Confirm or an export's Download).

Jobs are made by Import, Export and Sync now; here they are only watched, cancelled, confirmed,
downloaded and, once finished, deleted with their files. A user sees their own jobs, a superuser
everyone's; another user's job answers 404 on every page.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.test import RequestFactory
from django.urls import path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ..admin_urls import admin_url, site_admin
from ..bidi import Phrase, isolate
from ..datasources import get_data_source
from ..importexport.formats import FileProblem
from ..jobs import (
    JobRefused,
    cancel,
    confirm_import,
    delete_files,
    done_and_total,
    files,
    live_state,
    preview_again,
    record_builder,
    sweep_lost_jobs,
)
from ..jobs.runner import JobFailed
from ..models import SLA, Calendar, Job, SyncRun
from .column_mapping import ColumnMappingForm
from .importexport import preview_table
from .mixins import DatabaseBusyMixin, RecordPageMixin

STATE_LABELS = {
    Job.State.QUEUED: "info",
    Job.State.RUNNING: "primary",
    Job.State.SUCCEEDED: "success",
    Job.State.FAILED: "danger",
    Job.State.CANCELLED: "warning",
}

# The engines' phases, as the page names them.
PHASES = {
    "read": gettext_lazy("reading"),
    "check": gettext_lazy("checking"),
    "write": gettext_lazy("writing"),
    "export": gettext_lazy("exporting"),
}


def job_progress(job, live=None):
    """What a job's progress bar shows: ``{"phase", "done", "total", "percent", "rows_per_second", "text"}``
    from the job's row and, while it runs, its worker's last published progress (``live_state``)."""
    live = live or live_state(job)
    phase = live["phase"]
    done, total = done_and_total(live)
    if job.state == Job.State.SUCCEEDED:
        percent = 100
    elif total:
        percent = min(100, done * 100 // total)
    else:
        percent = 0
    rate = None
    if job.started_at and done:
        seconds = ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
        rate = round(done / seconds) if seconds > 0 else None
    values = {"done": number_format(done, force_grouping=True), "phase": PHASES.get(phase, phase)}
    if not phase:
        text = ""
    elif total:
        values["total"] = number_format(total, force_grouping=True)
        text = _("%(phase)s: %(done)s of %(total)s rows") % values
    else:
        text = _("%(phase)s: %(done)s rows") % values
    if rate is not None and not job.finished:
        text += " · " + _("%(rate)s rows per second") % {"rate": number_format(rate, force_grouping=True)}
    return {
        "phase": phase,
        "phase_label": str(PHASES.get(phase, phase)),
        "done": done,
        "total": total,
        "percent": percent,
        "rows_per_second": rate,
        "text": text,
    }


def recompute_scope(job):
    """Whose open tickets a recompute job gives new deadlines: an SLA's, a calendar's, or every SLA's."""
    options = job.options
    if options.get("sla"):
        name = SLA.objects.filter(pk=options["sla"]).values_list("name", flat=True).first()
        return Phrase(_("the SLA %(name)s"), name=name or options["sla"])
    if options.get("calendar"):
        name = Calendar.objects.filter(pk=options["calendar"]).values_list("name", flat=True).first()
        return Phrase(_("the SLAs of the calendar %(name)s"), name=name or options["calendar"])
    return _("every SLA")


def source_label(job):
    """The data source a sync job syncs, by its label (its key when the site no longer has it)."""
    key = job.options.get("source", "")
    source = get_data_source(key)
    return str(source) if source is not None else key


def report_problems(report):
    """The report's problems as people read them: "Line 3, Country: Unknown country 'Narnia'."."""
    return [
        str(FileProblem(problem["message"], line=problem.get("line"), column=problem.get("column")))
        for problem in report.get("problems", [])
    ]


class JobAdmin(DatabaseBusyMixin, RecordPageMixin, ModelAdmin):
    """Every job a user started (a superuser: everyone's), read-only; its page replaces the change form."""

    list_display = [
        "job_title",
        "kind",
        "model_name",
        "file_name",
        "state_badge",
        "progress",
        "user",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    job_template = "otrs_customer_admin/job.html"

    class Media:
        css = RecordPageMixin.Media.css  # the package's stylesheet; the page's script instead of the cards'
        js = ["otrs_customer_admin/jobs.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # --- permissions: every staff user watches their own jobs; nobody adds or changes one ---

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        """A finished job may go, with its files; not one still running, nor a preview whose confirm is
        still to run (it reads the preview's upload)."""
        if not self.has_view_permission(request):
            return False
        return obj is None or (obj.finished and not obj.confirmed_by.exclude(state__in=Job.FINISHED).exists())

    def delete_model(self, request, obj):
        delete_files(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The list's "Delete selected" leaves the jobs that have not finished.
        deletable = [job for job in queryset if self.has_delete_permission(request, job)]
        for job in deletable:
            delete_files(job)
        Job.objects.filter(pk__in=[job.pk for job in deletable]).delete()

    # --- the list ---

    @display(description=gettext_lazy("Job"), ordering="pk")
    def job_title(self, obj):
        return str(obj)

    @display(description=gettext_lazy("Model"), ordering="model")
    def model_name(self, obj):
        model = obj.model_class if obj.model else None
        if model is None:
            return source_label(obj) if obj.kind == Job.Kind.SYNC else "-"
        return model._meta.verbose_name_plural

    @display(description=gettext_lazy("File"))
    def file_name(self, obj):
        return isolate(obj.input_name or obj.result_name) or "-"

    @display(description=gettext_lazy("State"), ordering="state", label=STATE_LABELS)
    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=gettext_lazy("Progress"))
    def progress(self, obj):
        return job_progress(obj)["text"] or "-"

    # --- the job's pages ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("<path:object_id>/status/", wrap(self.status_view), name=self.url_name("status")),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name=self.url_name("cancel")),
            path("<path:object_id>/confirm/", wrap(self.confirm_view), name=self.url_name("confirm")),
            path("<path:object_id>/map/", wrap(self.map_view), name=self.url_name("map")),
            path("<path:object_id>/download/", wrap(self.download_view), name=self.url_name("download")),
        ]
        return own + super().get_urls()

    def current_job(self, request, object_id):
        """The job of the URL, as it is now: a running job whose worker was lost is marked failed first."""
        job = self.get_viewable_object(request, object_id)
        if job.state == Job.State.RUNNING and sweep_lost_jobs():
            job.refresh_from_db()
        return job

    def delete_view(self, request, object_id, extra_context=None):
        # Django's views send a job they cannot find to the index; another user's job is a 404 here.
        self.get_viewable_object(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.get_viewable_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.current_job(request, object_id)
        return self.render_page(request, self.job_template, self.job_context(request, job))

    def job_heading(self, job):
        model = job.model_class
        if job.kind == Job.Kind.SYNC:
            return Phrase(_("Sync of %(source)s (job %(id)s)"), source=source_label(job), id=job.pk)
        if job.kind == Job.Kind.RECOMPUTE:
            return Phrase(
                _("New deadlines for the open tickets of %(scope)s (job %(id)s)"), scope=recompute_scope(job), id=job.pk
            )
        if job.kind == Job.Kind.EXPORT:
            pattern = _("Export of %(records)s (job %(id)s)")
        elif job.preview:
            pattern = _("Import preview of %(records)s (job %(id)s)")
        else:
            pattern = _("Import of %(records)s (job %(id)s)")
        return Phrase(pattern, records=model._meta.verbose_name_plural if model else job.model, id=job.pk)

    def job_context(self, request, job):
        pk = quote(job.pk)
        report = job.report or {}
        context = {
            **self.phrase_titles(self.job_heading(job)),
            "original": job,
            "job": job,
            "progress": job_progress(job),
            "state_variant": STATE_LABELS.get(job.state, ""),
            "status_url": self.admin_url("status", pk),
            "list_url": self.admin_url("changelist"),
            "report": report,
            "problems": report_problems(report),
        }
        if not job.finished:
            context["cancel_url"] = self.admin_url("cancel", pk)
        if self.has_delete_permission(request, job):
            context["delete_url"] = self.admin_url("delete", pk)
        if job.confirms_id and self.get_queryset(request).filter(pk=job.confirms_id).exists():
            context["preview_url"] = self.admin_url("change", quote(job.confirms_id))
        if job.kind == Job.Kind.IMPORT and job.state == Job.State.SUCCEEDED and job.preview:
            context.update(self.preview_context(request, job))
            context.update(self.mapping_context(request, job))
        if job.kind == Job.Kind.EXPORT and self.downloadable(job):
            context["download_url"] = self.admin_url("download", pk)
        if job.kind == Job.Kind.EXPORT and job.state == Job.State.SUCCEEDED and not self.downloadable(job):
            context["download_gone"] = True
        if job.kind == Job.Kind.SYNC and report.get("run") and site_admin(self.admin_site, SyncRun):
            context["sync_run_url"] = admin_url(self.admin_site, SyncRun, "change", quote(report["run"]))
        return context

    def preview_context(self, request, job):
        report = job.report
        context = {"changes": preview_table(job.model_class, report.get("preview", []))}
        confirm = job.confirmed_by.order_by("-pk").first()
        if confirm is not None:
            context["confirm_job_url"] = self.admin_url("change", quote(confirm.pk))
        elif not report.get("problems") and (report.get("created") or report.get("updated")) and job.input_file:
            if job.user_id == request.user.pk and self.may_import(request, job):
                context["confirm_url"] = self.admin_url("confirm", quote(job.pk))
        return context

    def mapping_context(self, request, job, data=None):
        """The column mapping of a finished preview whose file has columns no field is known by: the
        form that previews the same upload again with the columns mapped (its starter only)."""
        report = job.report or {}
        if not (job.preview and job.finished and report.get("unknown_columns") and job.input_file):
            return {}
        if job.user_id != request.user.pk or not self.may_import(request, job):
            return {}
        form = ColumnMappingForm(
            data,
            headers=report.get("headers") or report["unknown_columns"],
            model=job.model_class,
            mapping=job.options.get("mapping") or {},
        )
        return {"mapping_form": form, "mapping_action": self.admin_url("map", quote(job.pk))}

    def map_view(self, request, object_id):
        return require_POST(self._map)(request, object_id)

    def _map(self, request, object_id):
        preview = self.current_job(request, object_id)
        if preview.kind != Job.Kind.IMPORT or not self.may_import(request, preview):
            raise PermissionDenied
        mapping = self.mapping_context(request, preview, data=request.POST)
        form = mapping.get("mapping_form")
        if form is None:
            messages.error(request, _("This preview offers no column mapping."))
            return HttpResponseRedirect(self.admin_url("change", quote(preview.pk)))
        if not form.is_valid():
            context = {**self.job_context(request, preview), **mapping}
            response = self.render_page(request, self.job_template, context)
            response.status_code = 400
            return response
        try:
            job = preview_again(preview, request.user, {**(preview.options.get("mapping") or {}), **form.mapping})
        except JobRefused as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(self.admin_url("change", quote(preview.pk)))
        messages.info(request, _("The file is being checked again with your mapping; this page shows its progress."))
        return HttpResponseRedirect(self.admin_url("change", quote(job.pk)))

    def may_import(self, request, job):
        model_admin = site_admin(self.admin_site, job.model_class)
        return model_admin is not None and model_admin.has_import_permission(request)

    def downloadable(self, job):
        return (
            job.state == Job.State.SUCCEEDED
            and bool(job.result_file)
            and (job.result_expires_at is None or job.result_expires_at > timezone.now())
        )

    def status_view(self, request, object_id):
        """The job's state for its page's progress bar, polled while the job runs."""
        job = self.current_job(request, object_id)
        return JsonResponse(
            {
                "state": job.state,
                "state_label": job.get_state_display(),
                "finished": job.finished,
                "message": job.message,
                **job_progress(job),
            }
        )

    def cancel_view(self, request, object_id):
        return require_POST(self._cancel)(request, object_id)

    def _cancel(self, request, object_id):
        job = self.current_job(request, object_id)
        if cancel(job):
            messages.info(request, _("Cancel requested: the job stops at its next step and writes nothing."))
        else:
            messages.warning(request, _("The job has finished already; there is nothing to cancel."))
        return HttpResponseRedirect(self.admin_url("change", quote(job.pk)))

    def confirm_view(self, request, object_id):
        return require_POST(self._confirm)(request, object_id)

    def _confirm(self, request, object_id):
        preview = self.current_job(request, object_id)
        if preview.kind != Job.Kind.IMPORT or not self.may_import(request, preview):
            raise PermissionDenied
        try:
            job = confirm_import(preview, request.user)
        except JobRefused as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(self.admin_url("change", quote(preview.pk)))
        messages.info(request, _("The import is queued; this page shows its progress."))
        return HttpResponseRedirect(self.admin_url("change", quote(job.pk)))

    def download_view(self, request, object_id):
        job = self.get_viewable_object(request, object_id)
        if job.kind != Job.Kind.EXPORT or not self.downloadable(job):
            raise Http404(_("This export's file is no longer available."))
        try:
            stream = files.job_storage().open(job.result_file, "rb")
        except (FileNotFoundError, OSError):
            raise Http404(_("This export's file is no longer available.")) from None
        return FileResponse(stream, as_attachment=True, filename=job.result_name)


# --- the export of a list, rebuilt in the worker --------------------------------------------------


def named_site(name):
    from django.contrib.admin.sites import all_sites

    for site in all_sites:
        if site.name == name:
            return site
    return admin.site


@record_builder("changelist")
def changelist_records(job):
    """The records of the list the export was started from: its filters and search, as ``job.user``
    sees them, rebuilt by the list's own admin from the query string the list had."""
    records = job.options.get("records", {})
    site = named_site(records.get("site", admin.site.name))
    model = job.model_class
    model_admin = site_admin(site, model)
    if model_admin is None or job.user is None:
        raise JobFailed(_("This export cannot be run here: its list is not known to the worker."))
    request = RequestFactory().get(f"{admin_url(site, model, 'changelist')}?{records.get('query', '')}")
    request.user = job.user
    if not model_admin.has_export_permission(request):
        raise JobFailed(_("The user who started this export may no longer export these records."))
    try:
        if hasattr(model_admin, "get_export_queryset"):
            return model_admin.get_export_queryset(request)
        return model_admin.get_changelist_instance(request).get_queryset(request)
    except IncorrectLookupParameters:
        raise JobFailed(_("Nothing was exported: the filters in the address are not ones this list knows.")) from None
