"""SQLite's one write lock, held by another process: the admin and the commands wait for it, and
when the wait runs out they say so in a sentence and change nothing, instead of a 500 or a traceback.

Real processes on a real database file: the example site, migrated once for the module; a
second process holds the write lock (``BEGIN IMMEDIATE``) until the test lets it go; the admin
(Django's test client) and the commands run in processes of their own, with the example site's
settings and a short wait (``timeout``) where the wait is to run out.
"""

import json
import os
import select
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.importing import plain_csv

pytestmark = pytest.mark.sqlite

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
# Long enough for a process to start and ask for the lock; nothing here waits for it to run out.
PROCESS_TIMEOUT = 60
# The wait of a process that is to give up: short, so that the test does not idle.
SHORT_WAIT = 0.2
# How long a waiting process must still be waiting while the lock is held.
STILL_WAITING = 1.0

SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from otrs_customer_admin.models import Customer
get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
Customer.objects.create(customer_id="ACME", name="Acme Corporation", city="Berlin", country="DE")
Customer.objects.create(customer_id="GLOBEX", name="Globex", city="Springfield", country="US")
"""

# Settings as the example site's, but with this process's wait for the lock (argv[1]).
WAIT = """
import sys
from django.conf import settings
settings.DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = float(sys.argv[1])
"""

COMMAND = (
    WAIT
    + """
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[2:]])
"""
)

# The admin through Django's test client: logs in, says "ready", and on a line of input posts
# the pages named in argv[2:], one line of JSON each; on another line prints the records.
ADMIN = (
    WAIT
    + """
import json
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
from otrs_customer_admin.models import Customer
from otrs_customer_admin.models.preferences import WidgetPreference

setup_test_environment()  # the responses' context, for the messages
client = Client(raise_request_exception=False)
client.force_login(get_user_model().objects.get(username="admin"))
acme, globex = Customer.objects.get(customer_id="ACME"), Customer.objects.get(customer_id="GLOBEX")
base = "/admin/otrs_customer_admin/customer/"
change, detail = f"{base}{acme.pk}/change/", f"{base}{acme.pk}/detail/"
form = {
    "name": "Acme Corporation", "customer_id": "ACME", "valid": "1", "street": "", "zip": "",
    "city": "Hamburg", "country": "DE", "url": "", "comment": "",
    "customer_users-TOTAL_FORMS": "0", "customer_users-INITIAL_FORMS": "0",
    "additional_customer_users-TOTAL_FORMS": "0", "additional_customer_users-INITIAL_FORMS": "0",
}
posts = {
    "change form": (change, form, change),
    "set invalid": (f"{base}{acme.pk}/invalidate/", {}, detail),
    "widget layout": (f"{base}widgets/", {"action": "hide", "widget": "escalations", "next": detail}, detail),
    "merge": (f"{base}{acme.pk}/merge/", {"into": str(globex.pk)}, f"{base}{acme.pk}/merge/?into={globex.pk}"),
}
print("ready", flush=True)
sys.stdin.readline()
for name in sys.argv[2:]:
    path, data, page = posts[name]
    response = client.post(path, data, headers={"referer": page}, follow=True)
    chain = [url for url, _status in response.redirect_chain]
    print(json.dumps({
        "page": name,
        "status": response.status_code,
        "redirects": chain,
        "messages": [str(message) for message in response.context["messages"]] if response.context else [],
    }), flush=True)
sys.stdin.readline()
acme.refresh_from_db()
print(json.dumps({
    "city": acme.city,
    "valid": acme.valid,
    "preferences": WidgetPreference.objects.count(),
}), flush=True)
"""
)

# Cancel of a running job, while another process holds the write lock (as the job's own write
# does): starts a job that runs, says "ready", and on a line of input posts its Cancel.
CANCEL = (
    WAIT
    + """
import json
settings.MEDIA_ROOT = sys.argv[2]
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone
from otrs_customer_admin.jobs import channel
from otrs_customer_admin.models import Job

setup_test_environment()
admin = get_user_model().objects.get(username="admin")
client = Client(raise_request_exception=False)
client.force_login(admin)
job = Job.objects.create(
    kind="import", model="otrs_customer_admin.customer", user=admin, preview=True, state="running",
    started_at=timezone.now(),
)
print("ready", flush=True)
sys.stdin.readline()
response = client.post(f"/admin/otrs_customer_admin/job/{job.pk}/cancel/", follow=True)
print(json.dumps({
    "status": response.status_code,
    "messages": [str(message) for message in response.context["messages"]] if response.context else [],
    "cancel_requested": channel.cancel_requested(job),
}), flush=True)
"""
)

LOCKER = """
import sqlite3, sys
database = sqlite3.connect(sys.argv[1], isolation_level=None)
database.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
database.execute("COMMIT")
"""

BUSY_MESSAGE = (
    "The database is busy with another write (an import or a sync?). Nothing was saved; try again in a moment."
)
BUSY_COMMAND = (
    "CommandError: The database is busy with another write (an import or a sync?) and stayed so longer than "
    "this command waits; run it again when that write has finished."
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example site on a fresh SQLite file, migrated, with an admin, ACME and GLOBEX."""
    folder = tmp_path_factory.mktemp("busy")
    database = folder / "site.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=120)
    python(env, SETUP, check=True)
    return {"env": env, "database": database, "folder": folder}


def python(env, script, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        **kwargs,
    )


def start(env, script, *args):
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tell(process, line=""):
    process.stdin.write(line + "\n")
    process.stdin.flush()


def read_line(process):
    ready, _, _ = select.select([process.stdout], [], [], PROCESS_TIMEOUT)
    assert ready, "the process said nothing"
    line = process.stdout.readline()
    assert line, process.stderr.read()
    return line.strip()


@contextmanager
def write_lock(site):
    """Another process holds the database's write lock until the block ends, then commits."""
    locker = start(site["env"], LOCKER, site["database"])
    try:
        assert read_line(locker) == "locked"
        yield
    finally:
        tell(locker)
        locker.wait(timeout=PROCESS_TIMEOUT)
    assert locker.returncode == 0, locker.stderr.read()


def still_running(process):
    """True when ``process`` has not finished ``STILL_WAITING`` seconds from now (it waits for the lock)."""
    try:
        process.wait(timeout=STILL_WAITING)
    except subprocess.TimeoutExpired:
        return True
    return False


def records(site):
    return json.loads(
        python(
            site["env"],
            """
            import json, django
            django.setup()
            from otrs_customer_admin.models import Customer
            print(json.dumps({c.customer_id: [c.city, c.valid] for c in Customer.objects.all()}))
            """,
        ).stdout
    )


def customers_file(site, name, *rows):
    path = site["folder"] / name
    path.write_bytes(plain_csv([["CustomerID", "Name", "Country"], *rows]))
    return path


# --- the wait runs out -----------------------------------------------------------------------


def test_admin_pages_that_write_say_the_database_is_busy_and_save_nothing(site):
    pages = ["change form", "set invalid", "widget layout", "merge"]
    admin = start(site["env"], ADMIN, SHORT_WAIT, *pages)
    assert read_line(admin) == "ready"
    with write_lock(site):
        tell(admin)
        answers = [json.loads(read_line(admin)) for _page in pages]
    tell(admin)
    state = json.loads(read_line(admin))
    admin.wait(timeout=PROCESS_TIMEOUT)
    assert admin.returncode == 0, admin.stderr.read()
    base = "/admin/otrs_customer_admin/customer/"
    for answer in answers:
        # Back to the page the user was on, which says why; no 500.
        assert (answer["status"], answer["messages"]) == (200, [BUSY_MESSAGE]), answer
        assert len(answer["redirects"]) == 1 and answer["redirects"][0].startswith(base), answer
    assert state == {"city": "Berlin", "valid": 1, "preferences": 0}
    assert records(site) == {"ACME": ["Berlin", 1], "GLOBEX": ["Springfield", 1]}
    assert "Traceback" not in admin.stderr.read()


@pytest.mark.parametrize(
    "arguments",
    [
        ["import_customers", "{file}"],
        ["merge_customers", "ACME", "GLOBEX"],
        ["load_demo_data", "--customers", "1", "--customer-users", "0", "--tickets", "0"],
    ],
)
def test_commands_that_write_say_the_database_is_busy_in_a_sentence_and_exit_1(site, arguments):
    file = customers_file(site, "new.csv", ["INITECH", "Initech", "US"])
    with write_lock(site):
        result = python(site["env"], COMMAND, SHORT_WAIT, *[argument.format(file=file) for argument in arguments])
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == BUSY_COMMAND
    assert "Traceback" not in result.stderr
    assert records(site) == {"ACME": ["Berlin", 1], "GLOBEX": ["Springfield", 1]}


def test_cancel_of_a_running_job_goes_through_while_another_process_holds_the_write_lock(site):
    # The job's own write holds the lock for as long as it runs; its Cancel must not wait for it.
    canceller = start(site["env"], CANCEL, SHORT_WAIT, site["folder"] / "media")
    assert read_line(canceller) == "ready"
    with write_lock(site):
        tell(canceller)
        answer = json.loads(read_line(canceller))
    canceller.wait(timeout=PROCESS_TIMEOUT)
    assert (answer["status"], answer["messages"], answer["cancel_requested"]) == (
        200,
        ["Cancel requested: the job stops at its next step and writes nothing."],
        True,
    ), answer


# --- the wait is long enough -----------------------------------------------------------------


def test_with_the_sites_wait_an_admin_save_and_an_import_wait_for_the_lock_and_succeed(site):
    admin = start(site["env"], ADMIN, 20, "change form")
    assert read_line(admin) == "ready"
    file = customers_file(site, "waiting.csv", ["WAITING", "Waiting Ltd", "GB"])
    with write_lock(site):
        importer = start(site["env"], COMMAND, 20, "import_customers", file)
        tell(admin)
        # Both wait while the other process holds the lock; neither gives up.
        assert still_running(importer)
        ready, _, _ = select.select([admin.stdout], [], [], 0)
        assert not ready, "the admin answered while the lock was held"
    answer = json.loads(read_line(admin))
    assert answer["status"] == 200 and answer["messages"][0].endswith("was changed successfully."), answer
    tell(admin)
    assert json.loads(read_line(admin))["city"] == "Hamburg"
    admin.wait(timeout=PROCESS_TIMEOUT)
    out, err = importer.communicate(timeout=PROCESS_TIMEOUT)
    assert importer.returncode == 0, err
    assert out.startswith("1 created, 0 updated, 0 unchanged")
    assert records(site)["WAITING"] == ["", 1]


# --- DATABASE_URL ----------------------------------------------------------------------------


def test_a_database_url_gives_its_options_and_a_sqlite_one_keeps_the_sites_wait_immediate_and_wal():
    from example_project.settings import database_from_url

    sqlite = database_from_url("sqlite:////srv/otrs/site.sqlite3?timeout=5")
    assert (sqlite["ENGINE"], sqlite["NAME"]) == ("django.db.backends.sqlite3", "/srv/otrs/site.sqlite3")
    assert sqlite["OPTIONS"] == {
        "timeout": 5,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL",
    }
    assert database_from_url("sqlite://")["NAME"] == ":memory:"

    postgres = database_from_url("postgres://otrs:p%40ss@db.example:5433/otrs?sslmode=require")
    assert {key: postgres[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST")} == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "otrs",
        "USER": "otrs",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
    }
    assert str(postgres["PORT"]) == "5433"
    assert postgres["OPTIONS"] == {"sslmode": "require"}
