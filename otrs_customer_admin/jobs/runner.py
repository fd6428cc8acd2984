"""A job's work, as the worker runs it: an import (its preview, its confirm, or both at once), an
export into a result file, a directory sync, or new deadlines for open tickets.

The guarantees are the engines': an import writes all or nothing in one transaction, so a job that
fails, is cancelled (``JobCancelled`` raised from its progress callback) or whose worker is killed
leaves the data as it was. A confirm writes what its preview checked, and the write kernel refuses
records that moved since (``RecordImport.confirm``). The job's row is written outside that
transaction: when the job starts and when it ends.
"""

import logging
from datetime import UTC, datetime

from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..conf import settings
from ..datasources import SyncError, get_data_source
from ..directory_sync import run_sync
from ..importexport.exports import ExportRefused, filtered_queryset, write_export
from ..importexport.formats import FileProblem, FileRows, format_for
from ..importexport.importers import IMPORTERS
from ..models import Job
from ..models.ticket import recompute_summary, tickets_to_recompute
from . import files
from .channel import JobCancelled, Reporter, cancel_requested, read_progress
from .retention import schedule_retention

logger = logging.getLogger(__name__)

# The check a preview saved for its confirm.
SAVED_CHECK = "check.bin"
# Rows of a preview's old -> new table kept in the report.
PREVIEW_KEPT = 100
# Who builds an export's records from its options["records"]["kind"]: "filters" (the commands'
# filters, here) and whatever another layer registers (the admin registers its list's, "changelist").
RECORD_BUILDERS = {}


class JobFailed(Exception):
    """The job cannot do its work; the message says why, to the user."""


def record_builder(kind):
    """Register ``function(job) -> queryset`` for exports whose ``options["records"]["kind"]`` is ``kind``."""

    def register(function):
        RECORD_BUILDERS[kind] = function
        return function

    return register


@record_builder("filters")
def records_by_filters(job):
    return filtered_queryset(job.model_class, user=job.user, **job.options.get("records", {}).get("filters", {}))


def run(job_id):
    """Run the queued job ``job_id`` to its end; a job that is not queued (run already, cancelled) is left alone."""
    close_old_connections()
    sweep_lost_jobs()
    schedule_retention()
    job = Job.objects.select_related("user", "confirms").filter(pk=job_id).first()
    if job is None or job.state != Job.State.QUEUED:
        return
    if cancel_requested(job):
        finish(job, Job.State.CANCELLED, _("Cancelled before it started; nothing was written."))
        return
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(state=Job.State.RUNNING, started_at=now):
        return  # another worker took it
    job.state, job.started_at = Job.State.RUNNING, now
    with translation.override(job.options.get("language") or settings_language()):
        reporter = Reporter(job)
        try:
            with reporter:
                state, message = WORK[job.kind](job, reporter)
        except JobCancelled:
            state, message = Job.State.CANCELLED, _("Cancelled; nothing was written.")
        except (JobFailed, FileProblem, SyncError, ExportRefused) as error:
            state, message = Job.State.FAILED, str(error)
        except Exception as error:
            logger.exception("Job %s failed", job.pk)
            state, message = (
                Job.State.FAILED,
                _("The job failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"},
            )
        if state != Job.State.SUCCEEDED:
            delete_result(job)  # no file of a job that did not succeed
        finish(job, state, message, reporter.snapshot())
    clear_expired_jobs()


def settings_language():
    from django.conf import settings as django_settings

    return django_settings.LANGUAGE_CODE


def finish(job, state, message, counters=None):
    job.state, job.message, job.finished_at = state, message, timezone.now()
    fields = ["state", "message", "finished_at", "report", "result_file", "result_name", "result_expires_at"]
    if counters:
        job.phase = counters["phase"]
        for name in ("rows_read", "rows_checked", "rows_written", "rows_total"):
            setattr(job, name, counters[name] if counters[name] is not None else getattr(job, name))
        fields += ["phase", "rows_read", "rows_checked", "rows_written", "rows_total"]
    if job.result_file:
        job.result_expires_at = job.finished_at + settings.JOB_RESULT_TTL
    close_old_connections()  # a worker killed the connection of a failed write: start afresh
    job.save(update_fields=fields)


def delete_result(job):
    files.delete_file(job.result_file)
    job.result_file = job.result_name = ""


# --- imports ------------------------------------------------------------------------------------


def run_import(job, reporter):
    model = job.model_class
    options = job.options
    importer = IMPORTERS[model](
        default_country=options.get("default_country") or settings.DEFAULT_COUNTRY,
        default_customer=options.get("default_customer", ""),
        user=job.user,
        progress=reporter,
        mapping=options.get("mapping") or None,
    )
    file_format = format_for(options.get("format") or job.input_name)
    with files.local_copy(job.input_file, suffix=f".{file_format.get_extension()}") as path:
        rows = FileRows(path, file_format, max_rows=settings.JOB_MAX_ROWS)
        if job.preview:
            report = importer.run(rows, dry_run=True)
            if report.ok and report.created + report.updated:
                files.save_file(job, SAVED_CHECK, importer.saved_check())
        elif job.confirms_id:
            saved = files.read_file(files.job_file(job.confirms, SAVED_CHECK))
            if saved is None:
                raise JobFailed(_("The preview of this upload is no longer available: upload the file again."))
            report = importer.confirm(rows, saved)
        else:
            report = importer.run(rows)
    job.report = report_data(report)
    if not report.ok:
        message = ngettext(
            "The file was rejected with %(count)d problem; nothing was written.",
            "The file was rejected with %(count)d problems; nothing was written.",
            report.problem_count,
        ) % {"count": report.problem_count}
        return (Job.State.SUCCEEDED if job.preview else Job.State.FAILED), message
    summary = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }
    if job.preview:
        summary = _("Checked, nothing written yet: %(summary)s") % {"summary": summary}
    return Job.State.SUCCEEDED, summary


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return str(value)


def report_data(report):
    """An ``ImportReport`` as the job keeps it (JSON)."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "problems": [
            {"line": problem.line, "column": problem.column, "message": problem.message} for problem in report.problems
        ],
        "more_problems": report.more_problems,
        "warnings": [str(warning) for warning in report.warnings],
        "unknown_columns": report.unknown_columns,
        "headers": report.headers,
        "preview": [
            [line, kind, jsonable(record), [[name, jsonable(old), jsonable(new)] for name, old, new in changes]]
            for line, kind, record, changes in report.preview[:PREVIEW_KEPT]
        ],
    }


# --- exports ------------------------------------------------------------------------------------


def run_export(job, reporter):
    model = job.model_class
    options = job.options
    file_format = format_for(options.get("format") or "csv")
    records = options.get("records", {"kind": "filters"})
    builder = RECORD_BUILDERS.get(records.get("kind"))
    if builder is None:
        raise JobFailed(_("This export cannot be run here: its list is not known to the worker."))
    queryset = builder(job)
    extension = file_format.get_extension()
    name = f"result.{extension}"
    with files.result_writer(job, name) as stream:
        count = write_export(
            queryset, file_format, stream, user=job.user, columns=options.get("columns"), progress=reporter
        )
    job.result_file = files.job_file(job, name)
    job.result_name = f"{model._meta.verbose_name_plural}-{timezone.localdate():%Y-%m-%d}.{extension}".replace(" ", "-")
    job.report = {"rows": count}
    message = ngettext("%(count)d record exported.", "%(count)d records exported.", count) % {"count": count}
    return Job.State.SUCCEEDED, message


# --- syncs ----------------------------------------------------------------------------------------


def run_sync_job(job, reporter):
    key = job.options.get("source", "")
    source = get_data_source(key)
    if source is None or not source.can_sync:
        raise JobFailed(_("%(key)s is not a data source that syncs.") % {"key": key})
    report = run_sync(source, user=job.user, progress=reporter)
    job.report = {"counts": report.counts, "run": report.run.pk if report.run else None}
    return Job.State.SUCCEEDED, "\n".join(report.summary_lines())


# --- deadline recomputes ---------------------------------------------------------------------------


def run_recompute_job(job, reporter):
    options = job.options
    tickets = tickets_to_recompute(sla=options.get("sla"), calendar=options.get("calendar"))
    try:
        changed = tickets.recompute_escalations(progress=reporter)
    except JobCancelled:
        # Each batch is committed on its own (deadlines are derived: a batch written is right).
        return Job.State.CANCELLED, _(
            "Cancelled; the tickets recomputed so far keep their new deadlines, the others their old ones."
        )
    checked = reporter.snapshot()["rows_checked"]
    job.report = {"checked": checked, "changed": changed}
    return Job.State.SUCCEEDED, recompute_summary(checked, changed)


WORK = {
    Job.Kind.IMPORT: run_import,
    Job.Kind.EXPORT: run_export,
    Job.Kind.SYNC: run_sync_job,
    Job.Kind.RECOMPUTE: run_recompute_job,
}


# --- housekeeping ---------------------------------------------------------------------------------


def sweep_lost_jobs(now=None):
    """Mark failed the running jobs whose worker gave no sign of life for ``JOB_HEARTBEAT_TIMEOUT``
    (killed, or its machine lost): their write never committed, so nothing was written. Returns how many."""
    now = now or timezone.now()
    silent_since = now - settings.JOB_HEARTBEAT_TIMEOUT
    lost = 0
    for job in Job.objects.filter(state=Job.State.RUNNING, started_at__lt=silent_since):
        progress = read_progress(job) or {}
        beat = progress.get("beat")
        last_sign = datetime.fromtimestamp(beat, tz=UTC) if beat else job.started_at
        if last_sign >= silent_since:
            continue
        lost += Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
            state=Job.State.FAILED,
            finished_at=now,
            phase=progress.get("phase", job.phase),
            message=_("The worker running this job stopped (killed or lost); nothing was written."),
        )
    return lost


def delete_files(job):
    """Delete the job's files; its upload stays while another job reads it (a preview's confirm, a
    preview again with another column mapping)."""
    shared = bool(job.input_file) and Job.objects.filter(input_file=job.input_file).exclude(pk=job.pk).exists()
    files.delete_job_files(job, keep={job.input_file} if shared else ())


def clear_expired_jobs(now=None):
    """Delete the files of jobs finished more than ``JOB_RESULT_TTL`` ago (their uploads and results;
    the jobs stay, their reports too). Returns how many jobs lost their files."""
    now = now or timezone.now()
    expired = Job.objects.filter(finished_at__lt=now - settings.JOB_RESULT_TTL, state__in=Job.FINISHED).exclude(
        input_file="", result_file=""
    )
    count = 0
    for job in expired:
        delete_files(job)
        Job.objects.filter(pk=job.pk).update(input_file="", result_file="", result_expires_at=None)
        count += 1
    return count


def done_and_total(live):
    """``(rows done, rows in all)`` of the phase a job is in, from its counters (``live_state``): the
    counter each phase moves (``channel.Reporter.COUNTERS``), a write's against the records it writes."""
    phase = live["phase"]
    if phase == "write":
        return live["rows_written"], live["to_write"]
    if phase == "export":
        return live["rows_written"], live["rows_total"]
    return max(live["rows_checked"], live["rows_read"]), live["rows_total"]


def live_state(job):
    """The job as its page shows it: its row, with the worker's last published progress while it runs."""
    state = {name: getattr(job, name) for name in ("phase", "rows_read", "rows_checked", "rows_written", "rows_total")}
    state["to_write"] = None
    if job.state == Job.State.RUNNING:
        progress = read_progress(job) or {}
        state.update({name: progress[name] for name in state if progress.get(name) is not None})
    return state
