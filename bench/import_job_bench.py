"""New customer users imported through a job, by a real worker: rows per second and the worker's peak memory.

    make bench-import-job                       # 1,000,000 customer users, SQLite
    python bench/import_job_bench.py --rows 100000
    DATABASE_URL=postgres://u:p@host/db python bench/import_job_bench.py

It writes an OTRS-style customer-user CSV file (as bench/import_memory.py does) and its customers,
migrates a fresh database, imports the customers with the command, starts ``manage.py db_worker``
(the example site with its database task queue, the job storage in a temporary folder), and then,
as the admin does: uploads the file as a preview job (checked, nothing written), waits for it,
confirms it (the write job) and waits again. Rows per second are the file's rows over each job's
time from start to end in the worker; the peak is the worker process's (``VmHWM``), which ran both.
The goals: at least 5,000 rows/s for the whole import (preview and confirm) on SQLite, and the
worker's peak under 600 MB.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_memory import prepared_import

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
SETTINGS = "bench.job_settings"
USERNAME = "bench-importer"


def environment(database_url, media_root):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "BENCH_MEDIA_ROOT": str(media_root),
    }


def peak_mb(pid):
    """The peak resident memory of a running process, from /proc (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def setup_django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_job(path, wait_seconds):
    """In a child with the bench's settings: the preview job of ``path``, then its confirm; each one's
    seconds in the worker and outcome, as JSON on the last line."""
    setup_django()
    from django.contrib.auth import get_user_model

    from otrs_customer_admin import jobs
    from otrs_customer_admin.models import CustomerUser

    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )

    def wait(job):
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                return {
                    "state": job.state,
                    "message": job.message,
                    "seconds": (job.finished_at - job.started_at).total_seconds(),
                }
            time.sleep(0.5)
        raise SystemExit(f"job {job.pk} did not finish within {wait_seconds} s")

    with open(path, "rb") as upload:
        preview = jobs.start_import(user, CustomerUser, upload, format_name="csv", preview=True)
    checked = wait(preview)
    preview.refresh_from_db()
    confirm = jobs.confirm_import(preview, user)
    written = wait(confirm)
    result = {"preview": checked, "confirm": written, "people": CustomerUser.objects.count()}
    sys.stdout.write(json.dumps(result) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("FILE", "WAIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_job(args.child[0], float(args.child[1]))
    rows = args.rows
    with tempfile.TemporaryDirectory(prefix="otrs-import-job-") as folder:
        folder = Path(folder)
        users, customers, media = folder / "users.csv", folder / "customers.csv", folder / "media"
        database = prepared_import(folder, rows, users, customers)
        env = environment(database, media)
        log = open(folder / "worker.log", "w")
        worker = subprocess.Popen(
            [sys.executable, str(MANAGE), "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(users), str(max(600, rows / 100))],
                env=env,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if output.returncode:
                sys.stderr.write(output.stderr)
                sys.exit(output.returncode)
            result = json.loads(output.stdout.strip().splitlines()[-1])
            peak = peak_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait()
            log.close()
        file_mb = users.stat().st_size / 2**20
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    preview, confirm = result["preview"], result["confirm"]
    total = preview["seconds"] + confirm["seconds"]
    out = sys.stdout
    out.write(f"New customer users imported through a job (db_worker), {engine}, {rows:,} rows ({file_mb:,.0f} MB)\n\n")
    out.write("| job | state | seconds | rows/s |\n|---|---|---:|---:|\n")
    for label, step in (("preview (check)", preview), ("confirm (write)", confirm)):
        out.write(f"| {label} | {step['state']} | {step['seconds']:.1f} | {rows / step['seconds']:,.0f} |\n")
    out.write(f"| both | | {total:.1f} | {rows / total:,.0f} |\n\n")
    out.write(f"Customer users in the database afterwards: {result['people']:,}\n\n")
    out.write("| goal | measured | target | met |\n|------|---------:|--------|-----|\n")
    out.write(
        f"| rows/s, preview and confirm | {rows / total:,.0f} | ≥ 5,000 | {'yes' if rows / total >= 5000 else 'no'} |\n"
    )
    out.write(f"| worker's peak memory | {peak:,.0f} MB | < 600 MB | {'yes' if peak < 600 else 'no'} |\n")


if __name__ == "__main__":
    main()
