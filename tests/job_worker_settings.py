"""Settings of the job workers that tests/test_jobs_worker.py starts: the tests' settings with a task
backend, on the database (``DATABASE_URL``) and the job storage (``JOBS_TEST_MEDIA_ROOT``) the test
names in the worker's environment. With ``JOBS_TEST_REDIS_URL`` the queue is RQ on that Redis
(django-tasks-rq, run by django-rq's ``rqworker``); without, the database queue (``db_worker``)."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

MEDIA_ROOT = os.environ["JOBS_TEST_MEDIA_ROOT"]

if os.environ.get("JOBS_TEST_REDIS_URL"):
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ["JOBS_TEST_REDIS_URL"]}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
