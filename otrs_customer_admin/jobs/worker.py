"""The task the worker runs (Django's tasks framework: ``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2): ``run_job`` does a queued ``Job``'s work."""

from .backends import task

if task is None:
    raise ImportError("Jobs need Django 6's django.tasks or the django-tasks package.")


@task
def run_job(job_id):
    """Run the queued ``Job`` ``job_id``; its row records the outcome."""
    from .runner import run

    run(job_id)
