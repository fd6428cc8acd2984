"""Jobs run by a real worker process, started and stopped here: ``manage.py db_worker`` (the database
queue of django-tasks-db) on SQLite and on PostgreSQL, and django-rq's ``rqworker`` (django-tasks-rq)
on a real ``redis-server``.

The worker and this test share a database of their own, migrated by ``manage.py migrate``: an
SQLite file, or on PostgreSQL a database beside the suite's (the suite's SQLite database is in
memory, which another process cannot see). While the module runs, this process's default
connection points at it. Both processes run the tests' settings with the same job storage
(``MEDIA_ROOT``) and task backend (``tests/job_worker_settings.py``). The records of each test have
logins and customer IDs of their own, so that the tests do not depend on each other's order.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.harness import drop_postgres_database, on_postgres_server
from tests.importing import plain_csv

pytestmark = pytest.mark.django_tasks

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
JOB_DATABASE = "otrs_customer_admin_jobs_worker"
# Long enough for any job here to end on a busy machine; nothing waits for it to run out.
WAIT = 300
# The customer users of the large import, and how many share a customer.
LARGE = 100_000
# The imports that are cancelled or whose worker is killed while they write.
INTERRUPTED = 50_000
PER_CUSTOMER = 20
# A worker gives no sign of life for this long: it is taken as lost (the test's setting; 2 minutes by default).
HEARTBEAT_TIMEOUT = timedelta(seconds=3)
# How often the test reads a job, as its page would (the worker publishes its progress every second).
POLL_EVERY = 0.25  # seconds
REDIS_HINT = "redis-server not found: apt-get install redis-server (or run make test as root)"
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@dataclass
class JobSite:
    env: dict
    media: Path
    folder: Path


@contextmanager
def default_connection(url):
    """This process's default database connection on ``url`` for the block; the suite's after it."""
    from django.db import connections
    from django.db.utils import load_backend

    from example_project.settings import database_from_url

    settings_dict = connections.configure_settings({"default": database_from_url(url)})["default"]
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    suite = connections["default"]
    connections["default"] = connection
    try:
        yield
    finally:
        connection.close()
        connections["default"] = suite


@pytest.fixture(scope="module")
def job_site(tmp_path_factory, django_db_blocker):
    """The database and job storage that this process and the workers share, migrated."""
    folder = tmp_path_factory.mktemp("jobs")
    media = folder / "media"
    media.mkdir()
    suite_url = os.environ.get("DATABASE_URL", "")
    postgres = suite_url.startswith("postgres")
    if postgres:
        drop_postgres_database(suite_url, JOB_DATABASE)
        on_postgres_server(suite_url, f'CREATE DATABASE "{JOB_DATABASE}"')
        url = urlunsplit(urlsplit(suite_url)._replace(path=f"/{JOB_DATABASE}"))
    else:
        url = f"sqlite:///{folder / 'jobs.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.job_worker_settings",
        "JOBS_TEST_MEDIA_ROOT": str(media),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=300)
    with django_db_blocker.unblock(), default_connection(url):
        yield JobSite(env=env, media=media, folder=folder)
    if postgres:
        drop_postgres_database(suite_url, JOB_DATABASE)


@pytest.fixture(scope="module")
def people(job_site):
    """Alice and Bob, staff who may import and export customer users, and Root, a superuser."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    User = get_user_model()
    permissions = Permission.objects.filter(content_type__app_label="otrs_customer_admin")
    staff = {}
    for name in ("alice", "bob"):
        staff[name] = User.objects.create_user(name, password="password", is_staff=True)
        staff[name].user_permissions.set(permissions)
    staff["root"] = User.objects.create_superuser("root", password="password")
    return staff


# --- workers ----------------------------------------------------------------------------------


class Worker:
    """A worker process of the test's own; its output goes to a log the failures show."""

    def __init__(self, name, command, env, log):
        self.name, self.log = name, log
        with open(log, "wb") as output:
            self.process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)

    def output(self):
        return Path(self.log).read_text(errors="replace")[-4000:]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        # A second SIGTERM stops rqworker at once: after the first, it waits for the next job or
        # the end of its wait for one (minutes). db_worker ends on the first when idle.
        for timeout in (5, 30):
            if self.process.poll() is not None:
                return
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@pytest.fixture
def start_worker(job_site, tmp_path):
    """``start_worker()``: a ``manage.py db_worker`` on the shared database; ``start_worker(redis_url)``:
    django-rq's ``rqworker`` with django-tasks-rq's job class on that Redis. Stopped after the test."""
    workers = []

    def start(redis_url=None):
        env, log = job_site.env, tmp_path / f"worker-{len(workers)}.log"
        if redis_url:
            env = {**env, "JOBS_TEST_REDIS_URL": redis_url}
            command = ["rqworker", "default", "--job-class", "django_tasks_rq.Job"]
        else:
            command = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
        worker = Worker(command[0], [sys.executable, MANAGE, *command], env, log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server of the module's own on a free port, without persistence: its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(REDIS_HINT)
    import redis

    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with open(folder / "redis.log", "wb") as log:
        server = subprocess.Popen([*command, "--dir", str(folder)], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start:\n{(folder / 'redis.log').read_text(errors='replace')}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def job_settings(job_site):
    """This process's settings for jobs: the database queue, the shared job storage, a short heartbeat timeout."""
    from django.test import override_settings

    with override_settings(
        TASKS=DB_QUEUE, MEDIA_ROOT=str(job_site.media), OTRS_CUSTOMER_ADMIN={"JOB_HEARTBEAT_TIMEOUT": HEARTBEAT_TIMEOUT}
    ):
        yield


@pytest.fixture(params=["db_worker", "rqworker"])
def queue_worker(request, job_settings, start_worker):
    """Each queue with a worker running: the database queue and ``db_worker``, RQ and ``rqworker``."""
    from django.test import override_settings

    if request.param == "db_worker":
        yield start_worker()
        return
    url = request.getfixturevalue("redis_url")
    rq = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq, RQ_QUEUES={"default": {"URL": url}}):
        yield start_worker(url)


# --- helpers ------------------------------------------------------------------------------------


def make_customers(prefix, count):
    from otrs_customer_admin.models import Customer
    from tests.factories import build_customer

    customers = [build_customer(f"{prefix}-{n:05d}", f"{prefix} Customer {n} GmbH") for n in range(count)]
    Customer.objects.bulk_create(customers, batch_size=1000)


def customer_users_csv(prefix, rows):
    """A customer-user file as OTRS exports one, ``PER_CUSTOMER`` people to each of ``prefix``'s customers."""
    lines = [["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "UserCity"]]
    for i in range(rows):
        login = f"{prefix.lower()}{i:06d}"
        customer = f"{prefix}-{i // PER_CUSTOMER:05d}"
        lines.append([login, "Zoë", "Müller", f"{login}@{prefix.lower()}.example", customer, "Köln"])
    return plain_csv(lines)


def upload(data, name):
    from django.core.files.base import ContentFile

    return ContentFile(data, name=name)


def people_of(prefix):
    from otrs_customer_admin.models import CustomerUser

    return CustomerUser.objects.filter(login__startswith=prefix.lower()).count()


def wait_for(job, worker, until=None, seen=None):
    """Poll ``job`` (as its page does) until ``until(job, live_state)`` holds, by default until it
    finished; ``seen`` collects each live state read. Fails when the worker died or after ``WAIT``."""
    from otrs_customer_admin.jobs import live_state

    until = until or (lambda job, state: job.finished)
    deadline = time.monotonic() + WAIT
    while True:
        job.refresh_from_db()
        state = live_state(job)
        if seen is not None:
            seen.append((job.state, state))
        if until(job, state):
            return job
        if worker.process.poll() is not None:
            pytest.fail(f"the worker stopped (exit {worker.process.returncode}):\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"job {job.pk} still {job.state} ({state}) after {WAIT} s:\n{worker.output()}")
        time.sleep(POLL_EVERY)


def assert_succeeded(job, worker):
    assert job.state == job.State.SUCCEEDED, f"{job.message}\n{worker.output()}"


def moving(seen, counter):
    """The values of ``counter`` that the polls saw while the job ran, between nothing and all."""
    values = [state[counter] for job_state, state in seen if job_state == "running"]
    assert values == sorted(values), f"{counter} went back: {values}"
    return sorted({value for value in values if value and value < max(values)})


def writing(job, state):
    return job.finished or (state["phase"] == "write" and state["rows_written"] > 0)


# --- the tests ----------------------------------------------------------------------------------


def test_import_confirm_export_and_reimport_unchanged(queue_worker, people):
    """The job core on each queue: an import previewed (nothing written), confirmed (written), the
    records exported to a file in the job storage, and that file imported again changes nothing."""
    from otrs_customer_admin import jobs
    from otrs_customer_admin.jobs import files
    from otrs_customer_admin.models import CustomerUser

    prefix = {"db_worker": "DBQ", "rqworker": "RQQ"}[queue_worker.name]
    make_customers(prefix, 10)
    alice = people["alice"]
    preview = jobs.start_import(
        alice, CustomerUser, upload(customer_users_csv(prefix, 200), "people.csv"), format_name="csv"
    )
    wait_for(preview, queue_worker)
    assert_succeeded(preview, queue_worker)
    assert (preview.report["created"], preview.report["updated"], preview.report["problems"]) == (200, 0, [])
    assert people_of(prefix) == 0

    confirm = wait_for(jobs.confirm_import(preview, alice), queue_worker)
    assert_succeeded(confirm, queue_worker)
    assert confirm.message == "200 created, 0 updated, 0 unchanged."
    assert people_of(prefix) == 200
    assert CustomerUser.objects.get(login=f"{prefix.lower()}000042").customer.customer_id == f"{prefix}-00002"

    export = wait_for(jobs.start_export(alice, CustomerUser, format_name="csv"), queue_worker)
    assert_succeeded(export, queue_worker)
    assert export.result_name.endswith(".csv")
    exported = files.read_file(export.result_file)
    assert f"{prefix.lower()}000042".encode() in exported
    assert "Müller".encode() in exported

    again = jobs.start_import(alice, CustomerUser, upload(exported, export.result_name), format_name="csv")
    wait_for(again, queue_worker)
    assert_succeeded(again, queue_worker)
    report = again.report
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, export.report["rows"])
    with pytest.raises(jobs.JobRefused, match="changes nothing"):
        jobs.confirm_import(again, alice)


def test_users_see_their_own_jobs(job_settings, start_worker, people):
    from otrs_customer_admin import jobs
    from otrs_customer_admin.models import CustomerUser, Job

    worker = start_worker()
    alice, bob, root = people["alice"], people["bob"], people["root"]
    alices = wait_for(jobs.start_export(alice, CustomerUser, format_name="csv"), worker)
    bobs = wait_for(jobs.start_export(bob, CustomerUser, format_name="xlsx"), worker)
    assert_succeeded(alices, worker)
    assert_succeeded(bobs, worker)
    mine = {alices.pk, bobs.pk}
    assert {job.pk for job in Job.objects.visible_to(alice)} & mine == {alices.pk}
    assert {job.pk for job in Job.objects.visible_to(bob)} & mine == {bobs.pk}
    assert {job.pk for job in Job.objects.visible_to(root)} & mine == mine


def test_import_of_100000_rows_with_progress(job_settings, start_worker, people):
    """A 100,000-row file: its check and its write are seen moving while the worker runs them; the
    preview writes nothing, the confirm everything."""
    from otrs_customer_admin import jobs
    from otrs_customer_admin.models import CustomerUser

    worker = start_worker()
    make_customers("BIG", LARGE // PER_CUSTOMER)
    alice = people["alice"]
    seen = []
    preview = jobs.start_import(
        alice, CustomerUser, upload(customer_users_csv("BIG", LARGE), "people.csv"), format_name="csv"
    )
    wait_for(preview, worker, seen=seen)
    assert_succeeded(preview, worker)
    assert (preview.report["created"], preview.report["problems"]) == (LARGE, [])
    assert (preview.rows_checked, preview.rows_total) == (LARGE, LARGE)
    assert len(moving(seen, "rows_checked")) >= 2, seen
    assert people_of("BIG") == 0

    seen = []
    confirm = wait_for(jobs.confirm_import(preview, alice), worker, seen=seen)
    assert_succeeded(confirm, worker)
    assert confirm.rows_written == LARGE
    assert len(moving(seen, "rows_written")) >= 2, seen
    assert people_of("BIG") == LARGE


def test_cancel_mid_write_writes_nothing(job_settings, start_worker, people):
    from otrs_customer_admin import jobs
    from otrs_customer_admin.models import CustomerUser

    worker = start_worker()
    make_customers("CAN", INTERRUPTED // PER_CUSTOMER)
    data = upload(customer_users_csv("CAN", INTERRUPTED), "people.csv")
    job = jobs.start_import(people["alice"], CustomerUser, data, format_name="csv", preview=False)
    wait_for(job, worker, until=writing)
    assert job.state == job.State.RUNNING, "the write ended before the test could cancel it"
    assert jobs.cancel(job)
    wait_for(job, worker)
    assert (job.state, job.message) == (job.State.CANCELLED, "Cancelled; nothing was written.")
    assert people_of("CAN") == 0


def test_worker_killed_mid_write_writes_nothing_and_its_job_fails(job_settings, start_worker, people):
    from otrs_customer_admin import jobs
    from otrs_customer_admin.jobs.channel import read_progress
    from otrs_customer_admin.models import CustomerUser

    worker = start_worker()
    make_customers("KIL", INTERRUPTED // PER_CUSTOMER)
    data = upload(customer_users_csv("KIL", INTERRUPTED), "people.csv")
    job = jobs.start_import(people["alice"], CustomerUser, data, format_name="csv", preview=False)
    wait_for(job, worker, until=writing)
    assert job.state == job.State.RUNNING, "the write ended before the test could kill its worker"
    worker.kill()
    assert people_of("KIL") == 0
    last_beat = read_progress(job)["beat"]
    # At its last sign of life the job was not lost; once nothing beat for the timeout, the sweep
    # (each worker runs it before a job) marks it failed.
    assert jobs.sweep_lost_jobs(now=datetime.fromtimestamp(last_beat, tz=UTC)) == 0
    time.sleep(max(0, last_beat + HEARTBEAT_TIMEOUT.total_seconds() - time.time()) + 0.1)
    assert jobs.sweep_lost_jobs() == 1
    job.refresh_from_db()
    assert job.state == job.State.FAILED
    assert job.message == "The worker running this job stopped (killed or lost); nothing was written."
    assert people_of("KIL") == 0
