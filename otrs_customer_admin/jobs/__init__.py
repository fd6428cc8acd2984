"""Background jobs: imports, exports and syncs run by a worker of Django's tasks framework.

The admin and the commands start jobs here; ``runner`` does their work in the worker (the task
``otrs_customer_admin.jobs.worker.run_job``). Without a task backend that has a worker
(``jobs_available()`` False) the admin keeps doing the work in the request.

    job = start_import(user, CustomerUser, upload, format_name="csv", preview=True)
    ...                                  # the worker checks it; its page shows the preview
    confirm = confirm_import(job, user)  # the write, refused if the data moved since the preview
    cancel(confirm)
"""

from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import Job
from . import files
from .backends import jobs_available
from .channel import request_cancel
from .runner import clear_expired_jobs, delete_files, done_and_total, live_state, record_builder, sweep_lost_jobs

__all__ = [
    "JobRefused",
    "cancel",
    "clear_expired_jobs",
    "confirm_import",
    "delete_files",
    "done_and_total",
    "enqueue",
    "jobs_available",
    "live_state",
    "preview_again",
    "record_builder",
    "start_export",
    "start_import",
    "start_recompute",
    "start_sync",
    "sweep_lost_jobs",
]


class JobRefused(Exception):
    """A job that cannot be started or changed; the message says why, to the user."""


def enqueue(job):
    """Hand ``job`` to the task backend once the transaction that made it commits."""
    from .worker import run_job

    def send():
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:100])

    transaction.on_commit(send)
    return job


def new_job(user, kind, model=None, **fields):
    # The language of the page that started it: the report's messages are written in it.
    options = {**fields.pop("options", {}), "language": get_language() or ""}
    return Job.objects.create(
        kind=kind,
        model=model._meta.label_lower if model is not None else "",
        user=user if user is not None and user.pk else None,
        options=options,
        **fields,
    )


def start_import(user, model, upload, *, format_name, preview=True, options=None):
    """Store ``upload`` (a file object with a ``name``) and queue its import: its check and preview
    (``preview=True``; ``confirm_import`` then writes it) or its check and write at once."""
    job = new_job(
        user,
        Job.Kind.IMPORT,
        model,
        preview=preview,
        input_name=getattr(upload, "name", "")[:255],
        options={"format": format_name, **(options or {})},
    )
    extension = format_name.lower().lstrip(".")
    job.input_file = files.save_file(job, f"upload.{extension}", upload)
    job.save(update_fields=["input_file"])
    return enqueue(job)


def confirm_import(preview, user):
    """Queue the write of a finished preview's upload, as ``user`` (who must have started it)."""
    if preview.kind != Job.Kind.IMPORT or not preview.preview or preview.user_id != getattr(user, "pk", None):
        raise JobRefused(_("Only the preview you started can be confirmed."))
    if preview.state != Job.State.SUCCEEDED or preview.report.get("problems"):
        raise JobRefused(_("This preview cannot be confirmed: it did not finish without problems."))
    if not (preview.report.get("created") or preview.report.get("updated")):
        raise JobRefused(_("This file changes nothing; there is nothing to confirm."))
    if not preview.input_file:
        raise JobRefused(_("The preview of this upload is no longer available: upload the file again."))
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=preview.pk)
        if locked.confirmed_by.exists():
            raise JobRefused(_("This preview was confirmed already."))
        job = enqueue(import_of_upload(locked, user, confirms=locked))
    return job


def preview_again(preview, user, mapping):
    """Queue a new preview of a finished preview's upload, with the column ``mapping`` (header ->
    field, "" to ignore) instead of the one it had; the other options stay."""
    if preview.kind != Job.Kind.IMPORT or not preview.preview or preview.user_id != getattr(user, "pk", None):
        raise JobRefused(_("Only the preview you started can be previewed again."))
    if not preview.finished:
        raise JobRefused(_("This preview is still running; wait for it to finish."))
    if not preview.input_file:
        raise JobRefused(_("The preview of this upload is no longer available: upload the file again."))
    return enqueue(import_of_upload(preview, user, preview=True, options={**preview.options, "mapping": mapping}))


def import_of_upload(earlier, user, **fields):
    """A new import job of the upload of the ``earlier`` one, started by ``user``, with its options unless
    ``fields`` say otherwise."""
    return new_job(
        user,
        Job.Kind.IMPORT,
        earlier.model_class,
        input_file=earlier.input_file,
        input_name=earlier.input_name,
        **{"options": earlier.options, **fields},
    )


def start_export(user, model, *, format_name, records=None, columns=None):
    """Queue an export of ``model`` to a file: the records ``records`` names (``{"kind": "filters",
    "filters": {...}}`` for the commands' filters, or another registered kind), as ``user`` sees them."""
    return enqueue(
        new_job(
            user,
            Job.Kind.EXPORT,
            model,
            options={"format": format_name, "records": records or {"kind": "filters"}, "columns": columns or []},
        )
    )


def start_sync(user, source_key):
    return enqueue(new_job(user, Job.Kind.SYNC, options={"source": source_key}))


def start_recompute(user, *, sla=None, calendar=None):
    """Queue new deadlines for the open tickets of ``sla``, of the SLAs counting in ``calendar``,
    or (neither) of every SLA: what a change of an SLA's times or of a calendar asks for."""
    from ..models import Ticket

    return enqueue(
        new_job(
            user,
            Job.Kind.RECOMPUTE,
            Ticket,
            options={"sla": sla.pk if sla else None, "calendar": calendar.pk if calendar else None},
        )
    )


def cancel(job):
    """Cancel ``job``: a queued one at once, a running one when its worker sees it (between chunks;
    its write rolls back). Returns False when it has finished already."""
    if job.finished:
        return False
    request_cancel(job)
    # A running job's Cancel travels through its file only: on SQLite its write may hold the only
    # write lock, and even an UPDATE that changes no row would wait for it.
    if job.state == Job.State.QUEUED:
        Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
            state=Job.State.CANCELLED, message=_("Cancelled before it started; nothing was written.")
        )
    return True
