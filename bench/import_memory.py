"""Peak memory of the import commands against the size of the file.

    make bench-import-memory                     # 250,000, 500,000 and 1,000,000 customer users, SQLite
    python bench/import_memory.py --rows 20000 80000
    DATABASE_URL=postgres://u:p@host/db python bench/import_memory.py

For each size it writes a customer-user CSV file as OTRS exports one (UserLogin, UserEmail,
UserCustomerID, ...; one customer for every 20 customer users) and the customers' file,
migrates a fresh database (an SQLite file in a temporary folder, or a new PostgreSQL database
named after DATABASE_URL's), imports the customers, and then runs

    manage.py import_customer_users FILE --dry-run
    manage.py import_customer_users FILE

each in a process of its own, whose peak resident memory (max RSS) it reads from ``wait4``.
The goals: the peak under 3x the file's size at 1,000,000 rows, and memory that grows less than
the file: the peak at the largest size under 4x the peak at a quarter of it.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from import_bench import write_csv as write_customers

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
HEADER = [
    "UserLogin",
    "UserTitle",
    "UserFirstname",
    "UserLastname",
    "UserEmail",
    "UserCustomerID",
    "UserPhone",
    "UserStreet",
    "UserZip",
    "UserCity",
    "UserCountry",
    "UserComment",
    "ValidID",
]
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]
USERS_PER_CUSTOMER = 20


def write_customer_users(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]
            customer = i // USERS_PER_CUSTOMER
            writer.writerow(
                [
                    f"user{i:07d}",
                    "Dr." if i % 7 == 0 else "",
                    first,
                    last,
                    f"{first.lower()}.{i:07d}@customer-{customer}.example.com",
                    f"CUST-{customer:06d}",
                    f"+49 30 {i:07d}",
                    f"Main Street {i % 200 + 1}",
                    f"{10000 + i % 89999}",
                    "Berlin",
                    "DE",
                    "Imported for the benchmark" if i % 3 == 0 else "",
                    "valid",
                ]
            )


def fresh_database(folder, rows):
    """A new, empty database for one size: its DATABASE_URL."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        return f"sqlite:///{folder / f'import-memory-{rows}.sqlite3'}"
    import psycopg

    parts = urlsplit(given)
    name = f"{parts.path.lstrip('/')}_import_memory_{rows}"
    with psycopg.connect(given, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepared_import(folder, rows, users, customers):
    """Write the customer-user file ``users`` of ``rows`` rows and its customers' file ``customers``,
    migrate a fresh database and import the customers into it; returns its DATABASE_URL."""
    write_customer_users(users, rows)
    write_customers(customers, -(-rows // USERS_PER_CUSTOMER))
    database = fresh_database(folder, rows)
    for step in (("migrate", "--noinput", "-v", "0"), ("import_customers", str(customers))):
        code, _seconds, _peak, last = manage(database, *step)
        if code:
            sys.exit(f"{step[0]} failed: {last}")
    return database


def manage(database_url, *args):
    """Run manage.py in a process of its own: (exit code, seconds, peak MB, last line of its output)."""
    # PYTHONPATH: the code of this tree, whatever the virtualenv has installed.
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "DJANGO_DEBUG": "0"}
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(MANAGE), *args], env=env, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        lines = [line for line in output.read().splitlines() if line.strip()]
    return process.returncode, seconds, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="otrs-import-memory-") as folder:
        folder = Path(folder)
        for rows in args.rows:
            users, customers = folder / f"users-{rows}.csv", folder / f"customers-{rows}.csv"
            database = prepared_import(folder, rows, users, customers)
            file_mb = users.stat().st_size / 2**20
            for label, options in (("dry run", ["--dry-run"]), ("import", [])):
                code, seconds, peak, last = manage(database, "import_customer_users", str(users), *options)
                if code:
                    sys.exit(f"import_customer_users {' '.join(options)} failed: {last}")
                results.append((rows, label, file_mb, peak, seconds))
                sys.stderr.write(f"{rows:,} rows, {label}: {peak:,.0f} MB peak, {seconds:.1f} s ({last})\n")
            users.unlink()
            customers.unlink()
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    out = sys.stdout
    out.write(f"import_customer_users, {engine}, one run per size\n\n")
    out.write("| rows | run | file MB | peak MB | peak / file | seconds | rows/s |\n")
    out.write("|---:|---|---:|---:|---:|---:|---:|\n")
    for rows, label, file_mb, peak, seconds in results:
        out.write(
            f"| {rows:,} | {label} | {file_mb:,.0f} | {peak:,.0f} | {peak / file_mb:.2f} | {seconds:.1f} | "
            f"{rows / seconds:,.0f} |\n"
        )
    peaks = {(rows, label): peak for rows, label, _file, peak, _seconds in results}
    largest, smallest = max(args.rows), min(args.rows)
    out.write("\n| goal | measured | target |\n|------|---------:|--------|\n")
    for label in ("dry run", "import"):
        file_mb = next(mb for rows, run, mb, _peak, _s in results if rows == largest and run == label)
        out.write(f"| {label}: peak / file at {largest:,} rows | {peaks[largest, label] / file_mb:.2f} | < 3 |\n")
        out.write(
            f"| {label}: peak at {largest:,} / peak at {smallest:,} rows | "
            f"{peaks[largest, label] / peaks[smallest, label]:.2f} | < {largest / smallest:.0f} (the file's growth) |\n"
        )


if __name__ == "__main__":
    main()
