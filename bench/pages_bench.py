"""Admin page speed at scale, each page against its baseline in the same run.

    make bench-pages                     # SQLite: 100,000 customers, 500,000 customer users, 1,000,000 tickets
    DATABASE_URL=postgres://u:p@host/db make bench-pages
    python bench/pages_bench.py --customers 10000 --customer-users 50000 --tickets 100000 --repeat 5

It builds (once; later runs reuse them) two databases with ``load_demo_data``: the big one
at the given sizes, where four key accounts hold 10,000 tickets and more and most
customers a handful, and one with the default demo data. In a process per database it
requests every page as a logged-in superuser through Django's test client (the whole
middleware and template stack, no network), ``--repeat`` times after one warm-up, and
prints one Markdown table: each page's query count, the median time and its spread
(min-max), and the ratio to its baseline:

* list pages against a plain unfold ``ModelAdmin`` of the same model on a separate admin
  site (``search_fields`` with ``icontains``, no annotations), on the same data;
* the detail view of the biggest key account against one of a customer with 10 tickets;
* the business card against the detail view;
* every page on the big database against the same page on the demo data.

The goals are ratios (docs/performance.md); they live here, never as timing asserts in the tests.
"""

import argparse
import io
import json
import statistics
import sys
import time

from runner import bench_database, child, progress, setup_django, vendor

USERNAME = "bench-superuser"


# --- the baseline admin site (this module is the URLconf of the measuring process) -------------


def plain_site():
    """A separate unfold admin site with plain ModelAdmins of the package's models."""
    from unfold.admin import ModelAdmin
    from unfold.sites import UnfoldAdminSite

    from otrs_customer_admin.models import Customer, CustomerUser, Ticket

    site = UnfoldAdminSite(name="plain")

    class PlainCustomerAdmin(ModelAdmin):
        list_display = ["customer_id", "name", "city", "country", "valid", "data_source"]
        search_fields = ["customer_id", "name", "city"]
        list_filter = ["valid"]

    class PlainCustomerUserAdmin(ModelAdmin):
        list_display = ["login", "first_name", "last_name", "email", "customer", "valid", "data_source"]
        list_select_related = ["customer"]
        search_fields = ["login", "first_name", "last_name", "email", "customer__customer_id"]

    class PlainTicketAdmin(ModelAdmin):
        list_display = ["number", "title", "customer", "customer_user", "state", "priority", "created_at"]
        list_select_related = ["customer", "customer_user"]
        list_filter = ["state"]  # a customer filter would list all 100,000 customers
        search_fields = ["number", "title"]

    site.register(Customer, PlainCustomerAdmin)
    site.register(CustomerUser, PlainCustomerUserAdmin)
    site.register(Ticket, PlainTicketAdmin)
    return site


def urlpatterns():
    from django.contrib import admin
    from django.urls import include, path

    # set_language too: the admin's language menu links to it, as on the example site.
    return [
        path("admin/", admin.site.urls),
        path("plain/", plain_site().urls),
        path("i18n/", include("django.conf.urls.i18n")),
    ]


# --- the measuring process -------------------------------------------------------------------


def build(database_url, sizes):
    """Migrate and load the demo data (``load_demo_data`` adds only what is missing)."""
    setup_django(database_url, urlconf="bench.pages_bench_urls")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    options = {"customers": sizes[0], "customer_users": sizes[1], "tickets": sizes[2]} if sizes else {}
    started = time.perf_counter()
    call_command("load_demo_data", verbosity=0, stdout=io.StringIO(), **options)
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum does on a live PostgreSQL site: statistics, and the visibility map
        # that index-only scans need. SQLite gets its statistics.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    progress(f"  loaded in {time.perf_counter() - started:.0f} s")


def pages():
    """(name, URL, baseline name or None), resolved against this database."""
    from django.db.models import Count

    from otrs_customer_admin.models import Customer, CustomerUser, Ticket

    customers = Customer.objects.count()
    middle = max(customers // 100 // 2, 1)  # 100 rows a page
    ours, plain = "/admin/otrs_customer_admin", "/plain/otrs_customer_admin"
    biggest = Customer.objects.annotate(n=Count("tickets")).order_by("-n").values_list("pk", "n").first()
    small = (
        Customer.objects.annotate(n=Count("tickets")).filter(n__gte=8, n__lte=12).values_list("pk", "n").first()
        or biggest
    )
    user = CustomerUser.objects.order_by("pk").values_list("pk", flat=True).first()
    city = Customer.objects.exclude(city="").order_by("pk").values_list("city", flat=True).first()
    notes = {
        "customer detail, ~10 tickets": f"{small[1]} tickets",
        "customer detail, biggest account": f"{biggest[1]:,} tickets",
    }
    rows = [
        ("customer list", f"{ours}/customer/", f"{plain}/customer/"),
        ("customer list, middle page", f"{ours}/customer/?p={middle}", f"{plain}/customer/?p={middle}"),
        ("customer search, OTRS wildcard", f"{ours}/customer/?q={city[:4]}*", f"{plain}/customer/?q={city[:4]}"),
        (
            "customer search, AND / NOT",
            f"{ours}/customer/?q={city[:4]}*+AND+NOT+GmbH",
            f"{plain}/customer/?q={city[:4]}",
        ),
        ("customer list, validity all", f"{ours}/customer/?validity=all", f"{plain}/customer/"),
        ("customer list, by open tickets", f"{ours}/customer/?o=-6", f"{plain}/customer/?o=-1"),
        ("customer detail, ~10 tickets", f"{ours}/customer/{small[0]}/detail/", None),
        ("customer detail, biggest account", f"{ours}/customer/{biggest[0]}/detail/", "customer detail, ~10 tickets"),
        ("business card", f"{ours}/customer/{biggest[0]}/card/", "customer detail, biggest account"),
        ("customer-user list", f"{ours}/customeruser/", f"{plain}/customeruser/"),
        ("customer-user search", f"{ours}/customeruser/?q=mar*", f"{plain}/customeruser/?q=mar"),
        (
            "ticket list, one customer",
            f"{ours}/ticket/?customer__id__exact={biggest[0]}",
            f"{plain}/ticket/?customer__id__exact={biggest[0]}",
        ),
        ("ticket list, escalated", f"{ours}/ticket/?escalated=yes", f"{plain}/ticket/"),
        ("customer-user detail", f"{ours}/customeruser/{user}/detail/", None),
    ]
    return rows, notes, Ticket.objects.count()


def measure(database_url, repeat):
    setup_django(database_url, urlconf="bench.pages_bench_urls")
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # One connection for the whole run, as a production site keeps them (CONN_MAX_AGE), and so
    # that the queries of a request can be counted.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    rows, notes, tickets = pages()
    results = {"_notes": notes, "_tickets": tickets}
    for name, url, baseline in rows:
        for target, label in ((url, name), (baseline, f"{name} (plain)")):
            if not isinstance(target, str) or not target.startswith("/"):
                continue
            response = client.get(target)  # warm-up
            assert response.status_code == 200, (target, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                client.get(target)
            count = len(queries)  # now: the next request's reset_queries empties the log
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(target)
                times.append((time.perf_counter() - started) * 1000)
            results[label] = {"queries": count, "times": times, "baseline": baseline}
    sys.stdout.write(json.dumps(results) + "\n")


# --- the parent --------------------------------------------------------------------------------


def row_for(label, result, baseline_result, demo_result):
    times = result["times"]
    cells = [label, str(result["queries"]), f"{statistics.median(times):.0f}", f"{min(times):.0f}-{max(times):.0f}"]
    if baseline_result:
        cells += [
            f"{statistics.median(baseline_result['times']):.0f}",
            f"{statistics.median(times) / statistics.median(baseline_result['times']):.2f}",
        ]
    else:
        cells += ["", ""]
    if demo_result:
        cells += [
            str(demo_result["queries"]),
            f"{statistics.median(times) / statistics.median(demo_result['times']):.2f}",
        ]
    else:
        cells += ["", ""]
    return "| " + " | ".join(cells) + " |\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--customer-users", type=int, default=500_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--build", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("DATABASE_URL", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build[0], [int(size) for size in args.build[1:]] or None)
        return
    if args.measure:
        measure(args.measure[0], int(args.measure[1]))
        return

    sizes = [args.customers, args.customer_users, args.tickets]
    tag = "-".join(str(size) for size in sizes)
    urls = {"big": bench_database(f"pages-{tag}"), "demo": bench_database("pages-demo")}
    for key, extra in (("big", [str(size) for size in sizes]), ("demo", [])):
        progress(f"database {key}: building or reusing {urls[key]}")
        child(__file__, "--build", urls[key], *extra)
    results = {}
    for key in ("big", "demo"):
        progress(f"database {key}: measuring every page {args.repeat} times")
        results[key] = json.loads(child(__file__, "--measure", urls[key], str(args.repeat)))

    big, demo = results["big"], results["demo"]
    tickets, notes, demo_notes = big.pop("_tickets"), big.pop("_notes"), demo.pop("_notes")
    demo.pop("_tickets")
    table = io.StringIO()
    table.write(
        f"{args.customers:,} customers, {args.customer_users:,} customer users, {tickets:,} tickets; {vendor()}; "
        f"median of {args.repeat} requests after a warm-up, ms\n\n"
    )
    table.write("| page | queries | median | spread | baseline | ratio | queries on demo data | ratio to demo data |\n")
    table.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for label, result in big.items():
        if label.endswith("(plain)"):
            continue
        baseline = result["baseline"]
        baseline_result = big.get(f"{label} (plain)") or big.get(baseline or "")
        table.write(row_for(label, result, baseline_result, demo.get(label)))
    table.write("\n")
    for label, note in notes.items():
        table.write(f"- {label}: {note} here, {demo_notes[label]} on the demo data\n")
    sys.stdout.write(table.getvalue())


if __name__ == "__main__":
    main()
