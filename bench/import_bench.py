"""Customer import speed, measured in one run against three baselines.

    make bench                      # 100,000 rows
    python bench/import_bench.py --rows 20000

On the same generated CSV it times

* this package's import (the command's path: file -> dataset -> bulk engine),
* the same file through a plain django-import-export ``ModelResource`` for
  ``Customer`` with ``import_id_fields = ("customer_id",)``,
* that resource in django-import-export's bulk mode (``use_bulk = True``:
  ``bulk_create``/``bulk_update`` in batches instead of a save per row),
* raw ``bulk_create`` of the same rows (read with the csv module),

each creating into an empty SQLite database, and then re-importing the
unchanged file with the first three. Every contender runs in its own process on
its own database file, so the peak memory (max RSS) is its own. The goals are
ratios, not times: creating at least 10x faster than the plain resource and
within 2x of raw bulk_create; re-importing at least 20x faster than the plain
resource; peak memory under 400 MB for 100,000 rows. The bulk mode's ratios
are reported without a goal.
"""

import argparse
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["customer_id", "name", "street", "zip", "city", "country", "url", "comment", "valid"]
COUNTRIES = ["DE", "AT", "CH", "FR", "NL", "GB", "US", "SE", "IT", "ES"]
CITIES = ["Berlin", "Wien", "Zürich", "Paris", "Amsterdam", "London", "Boston", "Malmö", "Milano", "Sevilla"]


def write_csv(path, rows):
    rng = random.Random(42)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            country = rng.randrange(len(COUNTRIES))
            writer.writerow(
                [
                    f"CUST-{i:06d}",
                    f"Customer {i:06d} {rng.choice(['GmbH', 'AG', 'Ltd', 'Inc', 'SARL', 'BV'])}",
                    f"{rng.choice(['Main', 'Station', 'Park', 'Mill'])} Street {rng.randrange(1, 200)}",
                    f"{rng.randrange(10000, 99999)}",
                    CITIES[country],
                    COUNTRIES[country],
                    f"https://customer-{i}.example.com",
                    "Imported for the benchmark" if i % 3 == 0 else "",
                    "1",
                ]
            )


def setup_django(database):
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    if not Path(database).exists() or Path(database).stat().st_size == 0:
        call_command("migrate", verbosity=0)


def contender_ours(path):
    from otrs_customer_admin.importexport.formats import FileRows, format_for
    from otrs_customer_admin.importexport.importers import CustomerImport

    # As the commands read a file: from disk, a chunk at a time, twice (check, then write).
    report = CustomerImport().run(FileRows(Path(path), format_for(path)))
    assert report.ok, report.problems[:5]
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}


def import_with_plain_resource(path, bulk):
    from import_export import resources
    from import_export.formats.base_formats import CSV

    from otrs_customer_admin.models import Customer

    class PlainCustomerResource(resources.ModelResource):
        class Meta:
            model = Customer
            import_id_fields = ("customer_id",)
            fields = tuple(COLUMNS)
            use_bulk = bulk

    dataset = CSV(encoding="utf-8").create_dataset(Path(path).read_text(encoding="utf-8"))
    result = PlainCustomerResource().import_data(dataset, dry_run=False, raise_errors=True)
    return {key.lower(): value for key, value in result.totals.items() if value}


def contender_plain(path):
    return import_with_plain_resource(path, bulk=False)


def contender_plain_bulk(path):
    return import_with_plain_resource(path, bulk=True)


def contender_bulk_create(path):
    from otrs_customer_admin.models import Customer

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        customers = [Customer(**{**row, "valid": int(row["valid"])}) for row in reader]
    Customer.objects.bulk_create(customers, batch_size=1000)
    return {"created": len(customers)}


CONTENDERS = {
    "ours": contender_ours,
    "plain": contender_plain,
    "plain_bulk": contender_plain_bulk,
    "bulk_create": contender_bulk_create,
}


def run_contender(name, path, database):
    """In this (child) process: set up, time one import, print JSON."""
    setup_django(database)
    started = time.perf_counter()
    counts = CONTENDERS[name](path)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "counts": counts}) + "\n")


def measure(name, path, database):
    output = subprocess.run(
        [sys.executable, __file__, "--child", name, "--file", str(path), "--database", str(database)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=sorted(CONTENDERS))
    parser.add_argument("--file")
    parser.add_argument("--database")
    parser.add_argument("--migrate", action="store_true")
    args = parser.parse_args()
    if args.migrate:
        setup_django(args.database)
        return
    if args.child:
        run_contender(args.child, args.file, args.database)
        return

    with tempfile.TemporaryDirectory(prefix="otrs-bench-") as folder:
        folder = Path(folder)
        path = folder / "customers.csv"
        write_csv(path, args.rows)
        databases = {name: folder / f"{name}.sqlite3" for name in CONTENDERS}
        for database in databases.values():
            # Migrated outside the timed runs.
            subprocess.run([sys.executable, __file__, "--migrate", "--database", str(database)], check=True, cwd=ROOT)
        results = {}
        runs = [(f"{name} create", name) for name in ("bulk_create", "ours", "plain", "plain_bulk")]
        runs += [(f"{name} re-import", name) for name in ("ours", "plain", "plain_bulk")]
        for label, name in runs:
            results[label] = measure(name, path, databases[name])
            # Each result as it comes: the plain resource takes minutes per run.
            sys.stderr.write(f"{label}: {results[label]['seconds']:.2f} s, {results[label]['peak_mb']:.0f} MB\n")

    table = io.StringIO()
    table.write(f"Customer import, {args.rows:,} rows, SQLite, one run\n\n")
    table.write(f"| {'run':<20} | {'seconds':>8} | {'rows/s':>9} | {'peak MB':>8} | counts |\n")
    table.write(f"|{'-' * 22}|{'-' * 10}:|{'-' * 10}:|{'-' * 9}:|--------|\n")
    for name, result in results.items():
        seconds, peak, counts = result["seconds"], result["peak_mb"], result["counts"]
        table.write(f"| {name:<20} | {seconds:>8.2f} | {args.rows / seconds:>9,.0f} | {peak:>8.0f} | {counts} |\n")
    ours, plain, raw = results["ours create"], results["plain create"], results["bulk_create create"]
    again, plain_again = results["ours re-import"], results["plain re-import"]
    bulk, bulk_again = results["plain_bulk create"], results["plain_bulk re-import"]
    goals = [
        ("create: plain resource / ours", plain["seconds"] / ours["seconds"], ">= 10"),
        ("create: ours / raw bulk_create", ours["seconds"] / raw["seconds"], "<= 2"),
        ("re-import: plain resource / ours", plain_again["seconds"] / again["seconds"], ">= 20"),
        ("peak memory of ours, MB", max(ours["peak_mb"], again["peak_mb"]), "< 400"),
        ("create: plain bulk resource / ours", bulk["seconds"] / ours["seconds"], "(none)"),
        ("re-import: plain bulk resource / ours", bulk_again["seconds"] / again["seconds"], "(none)"),
    ]
    table.write("\n| goal | measured | target |\n|------|---------:|--------|\n")
    for label, value, target in goals:
        table.write(f"| {label} | {value:.1f} | {target} |\n")
    sys.stdout.write(table.getvalue())


if __name__ == "__main__":
    main()
