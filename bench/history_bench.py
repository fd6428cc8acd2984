"""What the history of old -> new values costs the bulk writers, and what a long history costs a page.

    make bench-history                                   # 100,000 rows and entries, SQLite
    python bench/history_bench.py --rows 20000 --entries 5000
    DATABASE_URL=postgres://u:p@host/db make bench-history   # PostgreSQL (databases <db>_history_bench_* are made)

In one run, each writer with the ``HISTORY`` setting off and then on, each in a process of its own
on a fresh database (the imports twice, off and on in turns, the best time of each):

* an import of ``--rows`` customer users (new), then of the same file with every row changed;
* a sync of a real slapd (``ldap_bench``'s directory) of ``--entries`` entries (new), then of a
  second directory whose every person has a changed telephone number;
* the customer detail view (all default widgets, the History widget among them) of a customer with
  10 changes and of one with 10,000: queries and time.

The goal: with the history on, at least 0.8x the rows (entries) per second of the run without it;
the detail view the same queries for 10 and 10,000 changes.
"""

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import ldap_bench  # noqa: E402  (the directory and its slapd)

CUSTOMERS = 1000
GOAL = 0.8


def write_users(path, rows, changed):
    """A customer-user file of ``rows`` people at ``CUSTOMERS`` customers; ``changed`` changes every row."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "UserCity"])
        for number in range(rows):
            city = "Hamburg" if changed else "Berlin"
            last = f"Doe {number}" + (" (new)" if changed else "")
            email = f"user{number:06d}@example.com"
            writer.writerow([f"user{number:06d}", "Jane", last, email, f"CUST-{number % CUSTOMERS:06d}", city])


# --- the children: one measurement each, in a process of its own -------------------------------------


def setup_django(database_url, history):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {**settings.OTRS_CUSTOMER_ADMIN, "HISTORY": history}


def superuser():
    from django.contrib.auth.models import User

    return User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})[0]


def child_import(database_url, history, new_file, changed_file):
    package = setup_django(database_url, history)
    from django.test.utils import override_settings

    from otrs_customer_admin.importexport.formats import format_for
    from otrs_customer_admin.importexport.importers import CustomerUserImport
    from otrs_customer_admin.models import Customer

    override_settings(OTRS_CUSTOMER_ADMIN=package).enable()
    Customer.objects.bulk_create(
        Customer(customer_id=f"CUST-{n:06d}", name=f"Customer {n:06d}", country="DE") for n in range(CUSTOMERS)
    )
    user = superuser()
    seconds = {}
    for label, path in (("new", new_file), ("changed", changed_file)):
        with open(path, encoding="utf-8") as handle:
            dataset = format_for(path).create_dataset(handle.read())
        started = time.perf_counter()
        report = CustomerUserImport(user=user).run(dataset)
        seconds[label] = time.perf_counter() - started
        assert report.ok, report.problems[:3]
    sys.stdout.write(json.dumps(seconds) + "\n")


def child_sync(database_url, history, first_uri, changed_uri):
    package = setup_django(database_url, history)
    from django.test.utils import override_settings

    from otrs_customer_admin.datasources import get_data_source
    from otrs_customer_admin.directory_sync import run_sync

    seconds, counts = {}, {}
    for label, uri in (("new", first_uri), ("changed", changed_uri)):
        database = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
        sources = {"database": database, "bench": ldap_bench.source_options(uri)}
        with override_settings(OTRS_CUSTOMER_ADMIN={**package, "DATA_SOURCES": sources}):
            started = time.perf_counter()
            report = run_sync(get_data_source("bench"), allow_mass_invalidation=True)
            seconds[label] = time.perf_counter() - started
            counts[label] = report.counts
    sys.stdout.write(json.dumps({"seconds": seconds, "counts": counts}) + "\n")


def child_widget(database_url):
    package = setup_django(database_url, True)
    from django.contrib.admin.models import CHANGE
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from otrs_customer_admin.history import Change, record_history
    from otrs_customer_admin.models import Customer

    override_settings(OTRS_CUSTOMER_ADMIN=package, ALLOWED_HOSTS=["testserver"]).enable()
    user = superuser()
    client = Client()
    client.force_login(user)
    results = {}
    for count in (10, 10_000):
        customer = Customer.objects.create(customer_id=f"H{count}", name=f"History {count}", country="DE")
        changes = [
            Change(customer.pk, customer.name, CHANGE, "", {"city": (f"c{n}", f"c{n + 1}")}) for n in range(count)
        ]
        record_history(user, "import", Customer, changes)
        url = reverse("admin:otrs_customer_admin_customer_detail", args=[customer.pk])
        client.get(url)  # caches warm
        times = []
        for _run in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200 and b'data-widget="history"' in response.content
        results[count] = {"queries": len(queries), "ms": sorted(times)[len(times) // 2] * 1000}
    sys.stdout.write(json.dumps(results) + "\n")


def run_child(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode:
        sys.exit(f"{args[0]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the parent ---------------------------------------------------------------------------------------


def database_url(folder, name):
    """SQLite in ``folder``, or a database of its own beside DATABASE_URL's PostgreSQL one."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        return f"sqlite:///{folder}/{name}.sqlite3"
    import psycopg

    parts = urlsplit(given)
    database = f"{parts.path.lstrip('/')}_history_bench_{name}"
    admin = psycopg.connect(given, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
    admin.execute(f'CREATE DATABASE "{database}"')
    admin.close()
    return urlunsplit(parts._replace(path=f"/{database}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="customer users imported")
    parser.add_argument("--entries", type=int, default=100_000, help="directory entries synced")
    parser.add_argument("--no-sync", action="store_true", help="leave out the sync (no slapd here)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "import":
            child_import(rest[0], rest[1] == "on", rest[2], rest[3])
        elif kind == "sync":
            child_sync(rest[0], rest[1] == "on", rest[2], rest[3])
        else:
            child_widget(rest[0])
        return

    folder = Path(tempfile.mkdtemp(prefix="history-bench-"))
    vendor = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    table = io.StringIO()
    table.write(f"{vendor}, one run\n\n| writer | rows | history off, rows/s | history on, rows/s | ratio |\n")
    table.write("|---|---:|---:|---:|---:|\n")
    try:
        new_file, changed_file = folder / "new.csv", folder / "changed.csv"
        write_users(new_file, args.rows, changed=False)
        write_users(changed_file, args.rows, changed=True)
        # Off and on in turns, twice, the best time of each: the machine's other load hits both alike.
        imports = {"off": {}, "on": {}}
        for attempt in range(2):
            for history in ("off", "on"):
                url = database_url(folder, f"import_{history}_{attempt}")
                measured = run_child("import", url, history, str(new_file), str(changed_file))
                progress(f"import, history {history}: {measured}")
                for label, seconds in measured.items():
                    imports[history][label] = min(seconds, imports[history].get(label, seconds))
        ratios = []
        for label in ("new", "changed"):
            off, on = args.rows / imports["off"][label], args.rows / imports["on"][label]
            ratios.append(on / off)
            table.write(
                f"| import, {label} customer users | {args.rows:,} | {off:,.0f} | {on:,.0f} | {on / off:.2f} |\n"
            )
        if not args.no_sync:
            ratios += bench_sync(folder, args.entries, table)
        widget = run_child("widget", database_url(folder, "widget"))
        progress(f"widget: {widget}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    table.write("\n| customer detail view with | queries | ms (median of 5) |\n|---|---:|---:|\n")
    for count, measured in widget.items():
        table.write(f"| {int(count):,} changes | {measured['queries']} | {measured['ms']:.0f} |\n")
    same = len({measured["queries"] for measured in widget.values()}) == 1
    table.write(f"\nGoal: history on at least {GOAL}x the rows/s of history off (lowest: {min(ratios):.2f}); ")
    table.write(f"the same queries for 10 and 10,000 changes ({'yes' if same else 'NO'}).\n")
    sys.stdout.write(table.getvalue())


def bench_sync(folder, entries, table):
    customers = max(1, entries // 100)
    people = entries - customers
    ldif = ldap_bench.directory_ldif(customers, people)
    changed = ldif.replace("telephoneNumber: +49 30 ", "telephoneNumber: +49 40 ")
    started = time.perf_counter()
    (folder / "slapd-first").mkdir()
    (folder / "slapd-changed").mkdir()
    first = ldap_bench.start_directory(folder / "slapd-first", ldif)
    second = ldap_bench.start_directory(folder / "slapd-changed", changed)
    progress(f"directories: 2 x {entries:,} entries loaded into slapd in {time.perf_counter() - started:.1f} s")
    syncs = {}
    try:
        for history in ("off", "on"):
            url = database_url(folder, f"sync_{history}")
            syncs[history] = run_child("sync", url, history, first.ldap_uri, second.ldap_uri)
            progress(f"sync, history {history}: {syncs[history]['seconds']}")
    finally:
        first.stop()
        second.stop()
    for history in ("off", "on"):
        counts = syncs[history]["counts"]
        assert counts["new"]["customer_users"]["created"] == people, counts["new"]
        assert counts["changed"]["customer_users"]["updated"] == people, counts["changed"]
    ratios = []
    for label in ("new", "changed"):
        off, on = entries / syncs["off"]["seconds"][label], entries / syncs["on"]["seconds"][label]
        ratios.append(on / off)
        table.write(f"| sync, {label} entries | {entries:,} | {off:,.0f} | {on:,.0f} | {on / off:.2f} |\n")
    return ratios


def progress(text):
    sys.stderr.write(text + "\n")


if __name__ == "__main__":
    main()
