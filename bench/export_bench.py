"""Streamed exports against a plain ``values_list`` + ``csv.writer`` with the same columns, in one run.

    make bench-export                                    # SQLite, 100,000 and 500,000 customer users
    DATABASE_URL=postgres://u:p@host/db make bench-export
    python bench/export_bench.py --rows 20000 100000 --before 6389e64

For each size it builds (once; later runs reuse it) a database of that many customer users with
the demo's bulk generator (one customer for every 20 customer users; its dynamic fields made
invalid afterwards, so that the export's columns are the ones the baseline can read too), then
measures, each in a process of its own whose peak resident memory (max RSS) it reads from
``wait4``:

* the baseline: ``CustomerUser.objects.order_by("login").values_list(<the export's columns>)``
  through ``iterator()`` and ``csv.writer`` into a file (the customer's CustomerID through the
  join, the additional customers' through the export's subquery; nothing rendered or neutralised);
* ``manage.py export_customer_users FILE.csv`` and ``FILE.xlsx``;
* with ``--before REV``, the same CSV command of the code at the git revision ``REV`` (the code
  before the export streamed), at the largest size.

The goals (issue 20): CSV at most 1.5x the baseline, its peak under 150 MB at every size (so it
does not grow with the rows), XLSX at most 4x the baseline. The figures and the goals go to
bench/RESULTS.md; they are never timing asserts in the tests.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runner import ROOT, bench_database, progress, setup_django, vendor

USERS_PER_CUSTOMER = 20
CSV_GOAL, XLSX_GOAL, MEMORY_GOAL = 1.5, 4.0, 150
SCRIPT = str(Path(__file__).resolve())


def build(database_url, rows):
    """Migrate, then load the demo's customers and customer users when the database has fewer."""
    setup_django(database_url)
    from django.core.management import call_command

    from otrs_customer_admin.demo.generator import DemoDataGenerator
    from otrs_customer_admin.models import CustomerUser, DynamicField, Validity

    call_command("migrate", verbosity=0)
    if CustomerUser.objects.count() < rows:
        DemoDataGenerator(customers=rows // USERS_PER_CUSTOMER, customer_users=rows, tickets=0).run()
    DynamicField.objects.update(valid=Validity.INVALID)
    sys.stdout.write("0\n")


def baseline(database_url, path):
    """The plain export: the same columns through values_list and csv.writer."""
    setup_django(database_url)
    from otrs_customer_admin.importexport.exports import export_columns
    from otrs_customer_admin.models import CustomerUser

    columns = [column for column in export_columns(CustomerUser) if column.read]
    annotations = {column.read: column.annotation for column in columns if column.annotation is not None}
    started = time.perf_counter()
    rows = CustomerUser.objects.annotate(**annotations).order_by("login")
    rows = rows.values_list(*(column.read for column in columns))
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([column.header for column in columns])
        writer.writerows(rows.iterator(chunk_size=2000))
    sys.stdout.write(f"{time.perf_counter() - started:.3f}\n")


def command(database_url, code, name, *args):
    """Run the command ``name`` of the code in the folder ``code`` in this process; print its seconds."""
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="example_project.settings", DJANGO_DEBUG="0")
    sys.path.insert(0, code)  # this tree's package, or the one of --before
    import django
    from django.core.management import call_command

    django.setup()

    started = time.perf_counter()
    call_command(name, *args, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    sys.stdout.write(f"{time.perf_counter() - started:.3f}\n")


def measure(database_url, *args):
    """Run this script with ``args`` in a process of its own: (the seconds it prints, its peak MB)."""
    env = {**os.environ, "DJANGO_DEBUG": "0"}
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen([sys.executable, SCRIPT, *args], env=env, stdout=output, stderr=output, cwd=ROOT)
        _pid, status, usage = os.wait4(process.pid, 0)
        output.seek(0)
        lines = output.read().splitlines()
    if os.waitstatus_to_exitcode(status):
        sys.stderr.write("\n".join(lines) + "\n")
        raise SystemExit(1)
    return float(lines[-1]), usage.ru_maxrss / 1024


def old_code(revision, folder):
    """The package and example site at git ``revision``, unpacked into ``folder``."""
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "otrs_customer_admin", "example_project"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--before", metavar="REV", help="also the CSV command of the code at this git revision")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="otrs-export-bench-") as folder:
        folder = Path(folder)
        code = old_code(args.before, folder / "before") if args.before else None
        for rows in sorted(args.rows):
            url = bench_database(f"export-{rows}")
            progress(f"{vendor()}, {rows:,} customer users: building (once)")
            measure(url, "build", url, str(rows))
            figures = {"rows": rows}
            for name, arguments in (
                ("baseline", ["baseline", url, str(folder / "plain.csv")]),
                ("csv", ["command", url, str(ROOT), "export_customer_users", str(folder / "export.csv")]),
                ("xlsx", ["command", url, str(ROOT), "export_customer_users", str(folder / "export.xlsx")]),
            ):
                progress(f"  {name}")
                figures[name] = measure(url, *arguments)
            if code and rows == max(args.rows):
                progress(f"  csv before ({args.before})")
                figures["before"] = measure(
                    url, "command", url, str(code), "export_customer_users", str(folder / "before.csv")
                )
            results.append(figures)
    report(results)


def report(results):
    lines = [
        f"{vendor()}, one run (seconds of the export itself, peak memory of its whole process):",
        "",
        "| customer users | baseline s / MB | CSV s / MB | CSV ratio (goal <= 1.5x) | CSV peak (goal < 150 MB) "
        "| XLSX s / MB | XLSX ratio (goal <= 4x) | CSV before s / MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for figures in results:
        base, text, sheet = figures["baseline"], figures["csv"], figures["xlsx"]
        before = figures.get("before")
        csv_ratio, xlsx_ratio = text[0] / base[0], sheet[0] / base[0]
        lines.append(
            f"| {figures['rows']:,} | {base[0]:.1f} / {base[1]:.0f} | {text[0]:.1f} / {text[1]:.0f} "
            f"| {csv_ratio:.2f}x {met(csv_ratio <= CSV_GOAL)} | {text[1]:.0f} MB {met(text[1] < MEMORY_GOAL)} "
            f"| {sheet[0]:.1f} / {sheet[1]:.0f} | {xlsx_ratio:.2f}x {met(xlsx_ratio <= XLSX_GOAL)} "
            f"| {f'{before[0]:.1f} / {before[1]:.0f}' if before else '-'} |"
        )
    sys.stdout.write("\n" + "\n".join(lines) + "\n")


def met(ok):
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    if sys.argv[1:2] == ["build"]:
        build(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["baseline"]:
        baseline(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["command"]:
        command(*sys.argv[2:])
    else:
        main()
