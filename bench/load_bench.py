"""The example site under load: a production WSGI server with several workers on PostgreSQL.

    DATABASE_URL=postgres://u:p@127.0.0.1/db make bench-load
    python bench/load_bench.py --clients 20 --seconds 60 --workers 4

It serves the example site with gunicorn on a loopback port, on the database that
``bench/pages_bench.py`` built beside DATABASE_URL (the big one if it exists, else the demo
data), logs a superuser in, and lets ``--clients`` threads request the customer list, a
search, a customer's detail view and business card and the customer-user list in turn,
each on a keep-alive connection, for ``--seconds`` (and at most ``--max-requests`` in all).
It prints, per page, the requests, errors, throughput and the 50th and 95th percentile of
the response time. Every request goes to 127.0.0.1 only.
"""

import argparse
import http.client
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url(given, tag):
    parts = urlsplit(given)
    base = parts.path.lstrip("/")
    import psycopg

    with psycopg.connect(given, autocommit=True) as admin:
        for name in (f"{base}_pages_{tag}", f"{base}_pages_demo"):
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return urlunsplit(parts._replace(path=f"/{name}")), name
    sys.exit("No benchmark database: run make bench-pages with this DATABASE_URL first.")


def session_and_pages(url):
    """A logged-in superuser's session cookie and the pages to request, from the database itself."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from otrs_customer_admin.models import Customer

    user, _created = get_user_model().objects.get_or_create(
        username="bench-superuser", defaults={"is_staff": True, "is_superuser": True}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    biggest = Customer.objects.annotate(n=Count("tickets")).order_by("-n").values_list("pk", flat=True).first()
    typical = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    prefix = "/admin/otrs_customer_admin"
    pages = {
        "customer list": f"{prefix}/customer/",
        "customer search": f"{prefix}/customer/?q=ber*",
        "customer detail, biggest account": f"{prefix}/customer/{biggest}/detail/",
        "customer detail, typical": f"{prefix}/customer/{typical}/detail/",
        "business card": f"{prefix}/customer/{typical}/card/",
        "customer-user list": f"{prefix}/customeruser/",
    }
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", pages


def client(port, cookie, pages, deadline, budget, results, lock):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    names = list(pages)
    turn = 0
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        name = names[turn % len(names)]
        turn += 1
        started = time.perf_counter()
        try:
            connection.request("GET", pages[name], headers={"Cookie": cookie, "Host": f"{HOST}:{port}"})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        elapsed = time.perf_counter() - started
        with lock:
            results.setdefault(name, []).append((elapsed, ok))
    connection.close()


def wait_until_serving(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--database", default="100000_500000_1000000", help="the size tag of pages_bench's database")
    args = parser.parse_args()
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        sys.exit("The load benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    url, name = database_url(given, args.database)
    cookie, pages = session_and_pages(url)

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    command = [sys.executable, "-m", "gunicorn", "example_project.wsgi:application", "--workers", str(args.workers)]
    server = subprocess.Popen(
        [*command, "--bind", f"{HOST}:{port}", "--log-level", "warning", "--keep-alive", "30"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_serving(port)
        results, lock, budget = {}, threading.Lock(), [args.max_requests]
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=client, args=(port, cookie, pages, deadline, budget, results, lock))
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + 60)
        wall = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    table = io.StringIO()
    total = sum(len(samples) for samples in results.values())
    errors = sum(not ok for samples in results.values() for _elapsed, ok in samples)
    table.write(
        f"{name}: gunicorn with {args.workers} workers, {args.clients} clients for {wall:.0f} s on {HOST}; "
        f"{total:,} requests, {errors} errors, {total / wall:.1f} requests/s\n\n"
    )
    table.write("| page | requests | errors | requests/s | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|---:|\n")
    for page, samples in results.items():
        times = sorted(elapsed * 1000 for elapsed, _ok in samples)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        failed = sum(not ok for _elapsed, ok in samples)
        table.write(
            f"| {page} | {len(samples):,} | {failed} | {len(samples) / wall:.1f} | "
            f"{statistics.median(times):.0f} | {p95:.0f} |\n"
        )
    sys.stdout.write(table.getvalue())


if __name__ == "__main__":
    main()
