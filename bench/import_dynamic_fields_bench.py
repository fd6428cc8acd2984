"""Customer import speed with five dynamic-field columns against the same import without them.

    python bench/import_dynamic_fields_bench.py --rows 20000

Two CSV files of the same N customers (the nine customer columns of ``import_bench.py``, from
the same fixed seed); the second has five ``DynamicField_`` columns more: a text, an integer, a
dropdown (by label), a date and a multiselect. Each file is imported the way the commands
import (from disk, checked, then read again and written), each run in its own process on its
own new SQLite database of the example site (with DEBUG off), migrated and with the five
definitions made before the clock starts:

* create: into the empty database;
* re-import: the same file again, unchanged;
* update: a file whose every row changes the city (and, in the dynamic file, every dynamic value).

The goal: with the dynamic fields, at least 0.7x the rows per second of the import without
them, creating (measured in one run; the other ratios are reported too).
"""

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_bench  # the sibling benchmark: its file and its Django set-up

ROOT = import_bench.ROOT
DYNAMIC_COLUMNS = ["DynamicField_ErpNumber", "DynamicField_Seats", "DynamicField_Tier", "DynamicField_Renewal"]
DYNAMIC_COLUMNS += ["DynamicField_Regions"]
TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}
REGIONS = {"north": "North", "south": "South", "east": "East", "west": "West"}
DEFINITIONS = [
    {"name": "ErpNumber", "field_type": "text"},
    {"name": "Seats", "field_type": "integer"},
    {"name": "Tier", "field_type": "dropdown", "choices": TIERS},
    {"name": "Renewal", "field_type": "date"},
    {"name": "Regions", "field_type": "multiselect", "choices": REGIONS},
]


def write_files(folder, rows):
    """customers.csv, and dynamic.csv (the same with the five columns); for each an update
    file whose every row changes (the city, and the dynamic values)."""
    plain = folder / "customers.csv"
    import_bench.write_csv(plain, rows)
    with open(plain, newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1:]
    rng = random.Random(7)
    labels, regions = list(TIERS.values()), list(REGIONS)
    dynamic = [
        [
            f"ERP-{index:07d}",
            str(rng.randrange(1, 5000)),
            rng.choice(labels),
            f"20{rng.randrange(26, 35)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "; ".join(sorted(rng.sample(regions, rng.randrange(1, 3)), key=regions.index)),
        ]
        for index in range(len(body))
    ]
    changed = [
        [
            f"ERP-{index:07d}-X",
            str(int(values[1]) + 1),
            labels[(labels.index(values[2]) + 1) % len(labels)],
            f"2040-{int(values[3][5:7]):02d}-01",
            "east",
        ]
        for index, values in enumerate(dynamic)
    ]
    city = header.index("city")
    moved = [[*row[:city], row[city] + " Nord", *row[city + 1 :]] for row in body]
    files = {
        "plain": plain,
        "plain-update": folder / "customers-update.csv",
        "dynamic": folder / "dynamic.csv",
        "dynamic-update": folder / "dynamic-update.csv",
    }
    contents = {
        "plain-update": [header, *moved],
        "dynamic": [header + DYNAMIC_COLUMNS, *(row + extra for row, extra in zip(body, dynamic, strict=True))],
        "dynamic-update": [header + DYNAMIC_COLUMNS, *(row + extra for row, extra in zip(moved, changed, strict=True))],
    }
    for name, rows_of_file in contents.items():
        with open(files[name], "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows_of_file)
    return files


def prepare(database):
    """Migrate, and define the five fields (outside the timed runs)."""
    import_bench.setup_django(database)
    from otrs_customer_admin.models import DynamicField

    for definition in DEFINITIONS:
        DynamicField.objects.get_or_create(
            object_type="customer", name=definition["name"], defaults={**definition, "label": definition["name"]}
        )


def run_child(path, database):
    import_bench.setup_django(database)
    from django.db import connection

    from otrs_customer_admin.importexport.formats import FileRows, format_for
    from otrs_customer_admin.importexport.importers import CustomerImport

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)  # counted, not logged: logging would cost the run with more parameters more
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        report = CustomerImport().run(FileRows(Path(path), format_for(path)))
    seconds = time.perf_counter() - started
    assert report.ok and not report.warnings, (report.problems[:5], report.warnings)
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    sys.stdout.write(json.dumps({"seconds": seconds, "queries": len(queries), "counts": counts}))
    sys.stdout.write("\n")


def measure(path, database):
    output = subprocess.run(
        [sys.executable, __file__, "--child", "--file", str(path), "--database", str(database)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        # As a production site runs: DEBUG would log every query with its parameters.
        env={**os.environ, "DJANGO_DEBUG": "0"},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--file")
    parser.add_argument("--database")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.database)
        return
    if args.child:
        run_child(args.file, args.database)
        return

    results = {}
    with tempfile.TemporaryDirectory(prefix="otrs-bench-") as folder:
        folder = Path(folder)
        files = write_files(folder, args.rows)
        for kind in ("plain", "dynamic"):
            database = folder / f"{kind}.sqlite3"
            subprocess.run([sys.executable, __file__, "--prepare", "--database", str(database)], check=True, cwd=ROOT)
            steps = (("create", files[kind]), ("re-import", files[kind]), ("update", files[f"{kind}-update"]))
            for step, path in steps:
                label = f"{kind} {step}"
                results[label] = measure(path, database)
                sys.stderr.write(f"{label}: {results[label]['seconds']:.2f} s\n")

    table = io.StringIO()
    table.write(f"Customer import with and without five dynamic-field columns, {args.rows:,} rows, SQLite, one run\n\n")
    table.write("| run | seconds | rows/s | queries | counts |\n|---|---:|---:|---:|---|\n")
    for label, result in results.items():
        seconds, queries, counts = result["seconds"], result["queries"], result["counts"]
        table.write(f"| {label} | {seconds:.2f} | {args.rows / seconds:,.0f} | {queries} | {counts} |\n")
    table.write("\n| rows per second, with / without dynamic fields | measured | target |\n|---|---:|---|\n")
    for step in ("create", "re-import", "update"):
        ratio = results[f"plain {step}"]["seconds"] / results[f"dynamic {step}"]["seconds"]
        table.write(f"| {step} | {ratio:.2f} | {'>= 0.7' if step == 'create' else '(reported)'} |\n")
    sys.stdout.write(table.getvalue())


if __name__ == "__main__":
    main()
