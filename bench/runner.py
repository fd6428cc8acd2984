"""What the page benchmarks share (pages_bench, dynamic_fields_bench, customer_groups_bench).

Each builds its data set once in a database of its own, which later runs reuse, and measures in
child processes of its own script, so that the build's memory and caches do not colour the
figures. A bench script imports this module by name: Python puts the script's folder first on
the path.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"


def vendor():
    """ "PostgreSQL" when ``DATABASE_URL`` names a PostgreSQL server, else "SQLite"."""
    return "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"


def bench_database(name):
    """The URL of the benchmark database ``name`` ("customer-groups-100000"): a file in bench/data
    for SQLite, or a database beside ``DATABASE_URL``'s on its PostgreSQL server
    (``<database>_customer_groups_100000``), created when missing."""
    given = os.environ.get("DATABASE_URL", "")
    if vendor() == "SQLite":
        DATA.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA / f'{name}.sqlite3'}"
    import psycopg

    parts = urlsplit(given)
    database = f"{parts.path.lstrip('/')}_{name.replace('-', '_')}"
    with psycopg.connect(given, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            admin.execute(f'CREATE DATABASE "{database}"')
    return urlunsplit(parts._replace(path=f"/{database}"))


def setup_django(database_url, urlconf=None):
    """Django for the example site on ``database_url``, as a child process measures it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    os.environ["DJANGO_DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = ["testserver"]
    if urlconf:
        settings.ROOT_URLCONF = urlconf


def child(script, *args):
    """Run ``script`` (a bench's ``__file__``) with ``args`` in a new process; its last line of output."""
    output = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, cwd=ROOT)
    if output.returncode:
        sys.stderr.write(output.stderr)
        raise SystemExit(output.returncode)
    return output.stdout.strip().splitlines()[-1] if output.stdout.strip() else ""


def progress(text):
    sys.stderr.write(text + "\n")
