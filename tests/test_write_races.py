"""Two bulk writers at once (the import, the merge), in real processes: the one that would write
over what the other saved since it read is refused and writes nothing, and no value in the
database is older than the last write that succeeded.

The example site on a database of its own (a SQLite file; with ``DATABASE_URL`` set to
PostgreSQL, a fresh database on that server). The interleaving is made, not waited for: the
first writer runs with a receiver of ``writes.before_write`` that says "planned" and waits for a
line of input, and the other writer runs to its end in between.
"""

import json
import os
import select
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.harness import on_postgres_server
from tests.importing import plain_csv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANAGE = os.path.join(ROOT, "example_project", "manage.py")
# Long enough for a process to start, plan and write; nothing here waits for it to run out.
PROCESS_TIMEOUT = 120

# The records back as they start (records are never deleted here: they are set back).
RESET = """
import django
django.setup()
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from otrs_customer_admin.models import Customer, CustomerUser
LogEntry.objects.all().delete()
get_user_model().objects.get_or_create(username="admin", defaults={"is_superuser": True, "is_staff": True})
for customer_id, name in (("A", "Acme"), ("B", "Bravo"), ("C", "Charlie")):
    Customer.objects.update_or_create(
        customer_id=customer_id,
        defaults={"name": name, "city": "Berlin", "country": "DE", "valid": 1, "comment": ""},
    )
CustomerUser.objects.update_or_create(
    login="jdoe",
    defaults={
        "first_name": "Jane", "last_name": "Doe", "email": "jdoe@example.com",
        "customer": Customer.objects.get(customer_id="C"), "valid": 1,
    },
)
"""

# A command of the example site (argv[1:]) that stops between its plan and its write: it says
# "planned" and goes on when it reads a line.
PAUSED = """
import os
import sys
import django
from django.conf import settings

if os.environ.get("PEOPLE_FILE"):  # the sync's source: the people file, writable by the import too
    from tests.people_source import PeopleFileSource

    class WritablePeopleFile(PeopleFileSource):
        read_only = False

    settings.OTRS_CUSTOMER_ADMIN = {
        **settings.OTRS_CUSTOMER_ADMIN,
        "DATA_SOURCES": {
            "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
            "people": {"BACKEND": "__main__.WritablePeopleFile", "PATH": os.environ["PEOPLE_FILE"]},
        },
    }
django.setup()
from otrs_customer_admin.writes import before_write

def pause(sender, **kwargs):
    print("planned", flush=True)
    sys.stdin.readline()

before_write.connect(pause)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""

RECORDS = """
import json
import django
django.setup()
from otrs_customer_admin.models import Customer, CustomerUser
print(json.dumps({
    "customers": {
        c.customer_id: {"city": c.city, "valid": c.valid, "comment": c.comment} for c in Customer.objects.all()
    },
    "people": {p.login: p.customer.customer_id for p in CustomerUser.objects.select_related("customer")},
}))
"""


RACES_DATABASE = "otrs_customer_admin_write_races"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("races")
    suite_url = os.environ.get("DATABASE_URL", "")
    postgres = suite_url.startswith("postgres")
    if postgres:
        drop = f'DROP DATABASE IF EXISTS "{RACES_DATABASE}"'
        on_postgres_server(suite_url, drop, f'CREATE DATABASE "{RACES_DATABASE}"')
        url = urlunsplit(urlsplit(suite_url)._replace(path=f"/{RACES_DATABASE}"))
    else:
        url = f"sqlite:///{folder / 'site.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=300)
    yield {"env": env, "folder": folder}
    if postgres:
        on_postgres_server(suite_url, drop)


@pytest.fixture
def records(site):
    """The customers A (Acme), B (Bravo) and C (Charlie), all in Berlin, and Jane Doe (jdoe) of C;
    calling it reads them back."""
    reset = python(site, RESET)
    assert reset.returncode == 0, reset.stderr
    return lambda: json.loads(python(site, RECORDS).stdout)


def python(site, script, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        env=site["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        **kwargs,
    )


def command(site, *arguments):
    """A command of the example site, run to its end (as ``PAUSED`` runs it, without the pause)."""
    script = PAUSED.replace("before_write.connect(pause)", "")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, arguments)],
        env=site["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )


class Paused:
    """A command started with ``PAUSED``: ``planned()`` waits for it to reach its write,
    ``finish()`` lets it go on and returns (exit code, standard error)."""

    def __init__(self, site, *arguments):
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(PAUSED), *map(str, arguments)],
            env=site["env"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def planned(self):
        ready, _, _ = select.select([self.process.stdout], [], [], PROCESS_TIMEOUT)
        assert ready, "the command said nothing"
        line = self.process.stdout.readline()
        assert line.strip() == "planned", self.process.stderr.read()

    def finish(self):
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        _out, err = self.process.communicate(timeout=PROCESS_TIMEOUT)
        return self.process.returncode, err


def customers_file(site, name, *rows):
    path = site["folder"] / name
    path.write_bytes(plain_csv([["CustomerID", "Name", "City", "Valid"], *rows]))
    return path


def people_file(site, name, *rows):
    path = site["folder"] / name
    path.write_bytes(plain_csv([["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID"], *rows]))
    return path


def test_a_merge_between_the_imports_check_and_its_write_refuses_the_import(site, records):
    path = customers_file(site, "a.csv", ["A", "Acme", "Hamburg", "valid"], ["C", "Charlie", "Köln", "valid"])
    importing = Paused(site, "import_customers", path)
    importing.planned()

    merged = command(site, "merge_customers", "A", "B")
    assert merged.returncode == 0, merged.stderr
    code, err = importing.finish()

    assert code == 1
    assert (
        "Nothing was imported: A changed while this file was being imported (another import, a sync, a merge or "
        "a user saved them). Nothing was overwritten; import the file again." in err
    )
    after = records()["customers"]
    # The merge's values stand: A stays retired; and the import wrote nothing, C included.
    assert after["A"]["valid"] != 1 and after["A"]["comment"].startswith("Merged into")
    assert (after["A"]["city"], after["C"]["city"]) == ("Berlin", "Berlin")


def test_an_import_between_the_merges_plan_and_its_write_refuses_the_merge(site, records):
    merging = Paused(site, "merge_customers", "A", "B")
    merging.planned()

    imported = command(site, "import_customers", customers_file(site, "a.csv", ["A", "Acme", "Hamburg", "valid"]))
    assert imported.returncode == 0, imported.stderr
    code, err = merging.finish()

    assert code == 1
    assert (
        "Acme (A) cannot be merged into Bravo (B): Acme (A) changed since the merge was planned (an import, a sync "
        "or a user saved it); run the merge again." in err
    )
    after = records()
    assert after["customers"]["A"] == {"city": "Hamburg", "valid": 1, "comment": ""}
    assert after["customers"]["B"]["comment"] == ""


def test_a_customer_user_import_does_not_move_a_person_to_the_customer_a_merge_retired_meanwhile(site, records):
    path = people_file(site, "people.csv", ["jdoe", "Jane", "Doe", "jdoe@example.com", "A"])
    importing = Paused(site, "import_customer_users", path)
    importing.planned()

    merged = command(site, "merge_customers", "A", "B")
    assert merged.returncode == 0, merged.stderr
    code, err = importing.finish()

    assert code == 1 and "nothing was written" in err
    after = records()
    assert after["people"] == {"jdoe": "C"}
    assert after["customers"]["A"]["valid"] != 1


def test_of_two_imports_of_overlapping_files_the_one_that_read_first_is_refused(site, records):
    first = customers_file(site, "first.csv", ["A", "Acme", "Hamburg", "valid"], ["C", "Charlie", "Köln", "valid"])
    second = customers_file(site, "second.csv", ["A", "Acme", "München", "valid"])
    importing = Paused(site, "import_customers", first)
    importing.planned()

    imported = command(site, "import_customers", second)
    assert imported.returncode == 0, imported.stderr
    code, err = importing.finish()

    assert code == 1
    assert "Nothing was imported: A changed while this file was being imported" in err
    after = records()["customers"]
    assert (after["A"]["city"], after["C"]["city"]) == ("München", "Berlin")


def test_an_import_between_the_syncs_plan_and_its_write_refuses_the_sync(site, records):
    directory = site["folder"] / "people-directory.csv"
    site["env"]["PEOPLE_FILE"] = str(directory)
    try:
        directory.write_text("id,user,mail,company\n1,pat,pat@example.com,A\n", encoding="utf-8")
        first = command(site, "sync_data_sources")
        assert first.returncode == 0, first.stderr
        directory.write_text("id,user,mail,company\n1,pat,pat@directory.example,B\n", encoding="utf-8")
        syncing = Paused(site, "sync_data_sources")
        syncing.planned()

        path = people_file(site, "pat.csv", ["pat", "Pat", "Smith", "pat@imported.example", "C"])
        imported = command(site, "import_customer_users", path)
        assert imported.returncode == 0, imported.stderr
        code, err = syncing.finish()
    finally:
        del site["env"]["PEOPLE_FILE"]

    assert code == 1
    assert "nothing was written: user=pat changed while the sync ran" in err and "Run the sync again." in err
    assert records()["people"]["pat"] == "C"
    email = python(
        site,
        "import django; django.setup(); from otrs_customer_admin.models import CustomerUser; "
        "print(CustomerUser.objects.get(login='pat').email)",
    ).stdout.strip()
    assert email == "pat@imported.example"


# The dynamic field Tier of customers, and the customers' Tier set as argv pairs (CustomerID, key;
# an empty key clears it), each by a model save, as a form saves it; prints every customer's Tier.
TIERS = """
import json
import sys
import django
django.setup()
from otrs_customer_admin.models import Customer, DynamicField
DynamicField.objects.get_or_create(
    object_type="customer",
    name="Tier",
    defaults={
        "label": "Tier",
        "field_type": "dropdown",
        "choices": {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"},
    },
)
for customer_id, tier in zip(sys.argv[1::2], sys.argv[2::2]):
    customer = Customer.objects.get(customer_id=customer_id)
    customer.dynamic_fields["Tier"] = tier or None
    customer.save()
print(json.dumps({c.customer_id: c.dynamic_fields["Tier"] for c in Customer.objects.order_by("customer_id")}))
"""


def tiers(site, *pairs):
    done = python(site, TIERS, *pairs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def tiers_file(site, name, *rows):
    path = site["folder"] / name
    path.write_bytes(plain_csv([["CustomerID", "DynamicField_Tier"], *rows]))
    return path


def test_a_save_of_a_dynamic_field_between_the_imports_check_and_its_write_refuses_the_import(site, records):
    records()
    tiers(site, "A", "bronze", "C", "bronze")
    importing = Paused(site, "import_customers", tiers_file(site, "tiers.csv", ["C", "gold"], ["A", "gold"]))
    importing.planned()

    assert tiers(site, "A", "silver")["A"] == "silver"  # a person saves A meanwhile
    code, err = importing.finish()

    assert code == 1
    assert "Nothing was imported: A changed while this file was being imported" in err
    # The save stands, and the import wrote nothing, C included.
    assert tiers(site) == {"A": "silver", "B": None, "C": "bronze"}


def test_of_two_imports_of_one_dynamic_field_the_one_that_read_first_is_refused(site, records):
    records()
    tiers(site, "A", "bronze", "C", "bronze")
    importing = Paused(site, "import_customers", tiers_file(site, "first.csv", ["A", "gold"], ["C", "gold"]))
    importing.planned()

    imported = command(site, "import_customers", tiers_file(site, "second.csv", ["A", "silver"]))
    assert imported.returncode == 0, imported.stderr
    code, err = importing.finish()

    assert code == 1
    assert "Nothing was imported: A changed while this file was being imported" in err
    assert tiers(site) == {"A": "silver", "B": None, "C": "bronze"}


ADDRESSES = """
import json
import django
django.setup()
from otrs_customer_admin.models import CustomerUserEmail
rows = CustomerUserEmail.objects.values_list("customer_user__login", "email")
print(json.dumps(sorted(rows)))
"""


def addresses_file(site, name, *rows):
    path = site["folder"] / name
    header = ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "additional_emails"]
    path.write_bytes(plain_csv([header, *rows]))
    return path


def test_of_two_imports_giving_one_address_to_two_people_the_one_that_checked_first_is_refused(site, records):
    records()
    python(
        site,
        "import django; django.setup(); from otrs_customer_admin.models import CustomerUserEmail; "
        "CustomerUserEmail.objects.all().delete()",
    )
    first = addresses_file(site, "first.csv", ["jdoe", "Jane", "Doe", "jdoe@example.com", "C", "team@ärzte.example"])
    second = addresses_file(site, "second.csv", ["max", "Max", "Muster", "max@example.com", "C", "TEAM@ÄRZTE.example"])
    importing = Paused(site, "import_customer_users", first)
    importing.planned()  # checked: nobody has the address yet

    other = command(site, "import_customer_users", second)
    assert other.returncode == 0, other.stderr

    code, err = importing.finish()
    assert code != 0
    assert "another import or user gave the address team@ärzte.example to another valid customer user" in err
    assert json.loads(python(site, ADDRESSES).stdout) == [["max", "TEAM@ÄRZTE.example"]]


ESCALATION_SITE = """
import datetime
import django
django.setup()
from otrs_customer_admin.models import SLA, Calendar, Customer, Ticket
week = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
Ticket.objects.all().delete()
SLA.objects.all().delete()
Calendar.objects.all().delete()
office = Calendar.objects.create(name="Office", time_zone="UTC", working_hours=week)
gold = SLA.objects.create(name="Gold", first_response_time=120, solution_time=240, calendar=office)
friday = datetime.datetime(2026, 11, 27, 16, 0, tzinfo=datetime.UTC)
acme = Customer.objects.get(customer_id="C")
Ticket.objects.create(title="Printer on fire", customer=acme, sla=gold, created_at=friday)
# Saturday mornings become working time without the model's save: the stored deadlines are stale.
Calendar.objects.update(working_hours={**week, "sat": "09:00-13:00"})
"""

ANSWERED = """
import datetime
import django
django.setup()
from otrs_customer_admin.models import Ticket
ticket = Ticket.objects.get()
ticket.first_response_at = datetime.datetime(2026, 11, 27, 16, 30, tzinfo=datetime.UTC)
ticket.save()
"""

ESCALATION = """
import django
django.setup()
from otrs_customer_admin.models import Ticket
ticket = Ticket.objects.get()
print(ticket.escalation_deadline, ticket.escalation_at.isoformat())
Ticket.objects.all().delete()
"""


def test_a_ticket_saved_between_the_recomputes_read_and_its_write_keeps_what_its_save_computed(site, records):
    made = python(site, ESCALATION_SITE)
    assert made.returncode == 0, made.stderr
    recomputing = Paused(site, "recompute_escalations")
    recomputing.planned()

    answered = python(site, ANSWERED)  # the first response is given: its save computes the solution deadline
    assert answered.returncode == 0, answered.stderr
    code, err = recomputing.finish()

    assert code == 0, err
    # The recompute read the ticket unanswered (first response due Saturday 10:00 in the new week);
    # its write was refused, it read the batch again and left the answered ticket as its save
    # stored it: the solution, Friday 16:00-17:00 and Saturday 9:00-12:00.
    escalation = python(site, ESCALATION)
    assert escalation.stdout.split() == ["solution", "2026-11-28T12:00:00+00:00"]
