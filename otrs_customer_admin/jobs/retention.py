"""The retention rule as a periodic job: the task ``apply_retention_job`` (defined here, beside what
schedules it, so that the worker's housekeeping in ``jobs.runner`` needs no import of ``jobs.worker``) applies
``ANONYMIZE_INVALID_AFTER`` and enqueues itself again ``RETENTION_INTERVAL`` later.

It is scheduled once: ``schedule_retention()`` enqueues it when the setting is on and no run of it is
waiting or running. The worker's housekeeping calls it before each job, and so does ``manage.py
apply_retention``. Finding the waiting run needs a backend whose queue the database holds
(``django_tasks_db.DatabaseBackend``, the default worker) and that can defer a task; with
another backend, run ``manage.py apply_retention`` from cron.
"""

import datetime

from django.utils import timezone

from ..conf import settings
from .backends import DEFAULT_TASK_BACKEND_ALIAS, jobs_available, task, task_backends

RETENTION_INTERVAL = datetime.timedelta(days=1)
WAITING = ("READY", "RUNNING")


def queue_in_database():
    """The database backend's result model when the site's tasks use it (and it defers), else None."""
    if not jobs_available():
        return None
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not getattr(backend, "supports_defer", False) or type(backend).__module__.split(".")[0] != "django_tasks_db":
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def waiting_runs(results, *, running=True):
    return results.objects.filter(
        task_path=apply_retention_job.module_path, status__in=WAITING if running else WAITING[:1]
    )


def schedule_retention(*, after=None):
    """Enqueue the retention job (to run ``after`` from now, at once without) unless the setting is off,
    the backend cannot hold it, or a run of it is waiting or running already. Returns whether it enqueued."""
    results = queue_in_database()
    if results is None or settings.ANONYMIZE_INVALID_AFTER is None:
        return False
    if waiting_runs(results, running=after is None).exists():
        return False
    job = apply_retention_job
    if after is not None:
        job = job.using(run_after=timezone.now() + after)
    job.enqueue()
    return True


def run_retention():
    """What the task does: apply the rule, then come back a day later."""
    from ..privacy import apply_retention

    report = apply_retention()
    schedule_retention(after=RETENTION_INTERVAL)
    return len(report.due)


# Without the tasks framework there is no task (queue_in_database() is None then, and nothing schedules it).
if task is not None:

    @task
    def apply_retention_job():
        """Anonymise those invalid longer than ``ANONYMIZE_INVALID_AFTER``; enqueue this again a day later."""
        return run_retention()
