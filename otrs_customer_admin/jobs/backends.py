"""Django's tasks framework, whichever provides it: ``django.tasks`` on Django 6, the ``django-tasks``
backport on Django 5.2. Jobs run in a worker when the site's default task backend is one that has
a worker (``django_tasks_db.DatabaseBackend``, ``django_tasks_rq.RQBackend``, ...); with the
immediate or dummy backend, or none, the admin keeps doing the work in the request."""

try:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
    from django.tasks.backends.dummy import DummyBackend
    from django.tasks.backends.immediate import ImmediateBackend
except ImportError:  # Django 5.2
    try:
        from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
        from django_tasks.backends.dummy import DummyBackend
        from django_tasks.backends.immediate import ImmediateBackend
    except ImportError:  # neither: no jobs
        DEFAULT_TASK_BACKEND_ALIAS = "default"
        task = task_backends = None
        DummyBackend = ImmediateBackend = ()

from django.conf import settings as django_settings

__all__ = ["DEFAULT_TASK_BACKEND_ALIAS", "jobs_available", "task", "task_backends"]


def jobs_available():
    """True when the site's default task backend hands tasks to a worker."""
    if task is None or not django_settings.is_overridden("TASKS"):
        return False
    try:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    except Exception:  # a misconfigured TASKS: Django's own checks report it
        return False
    return not isinstance(backend, (ImmediateBackend, DummyBackend))
