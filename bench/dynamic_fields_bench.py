"""Dynamic fields in the customer list and the search at scale, each against its baseline in one run.

    make bench-dynamic-fields                          # SQLite, 100,000 customers
    DATABASE_URL=postgres://u:p@host/db make bench-dynamic-fields
    python bench/dynamic_fields_bench.py --customers 20000 --repeat 5

It builds (once; later runs reuse it) a database of 100,000 customers with bulk inserts, three
dynamic fields (Tier, a dropdown; Seats, an integer; Renewal, a date) and their values (every
customer has all three; one in 50 is gold, as one in 50 lives in each of the 50 cities). In a
second process it requests each page as a logged-in superuser through Django's test client
(middleware and templates, no network), once to warm up, then ``--repeat`` rounds of all pages
in turn, and prints one
Markdown table: the query count, the median time, its spread, and the ratio to the baseline:

* (a) the customer list with the three fields as columns, and with the columns and a filter
  on Tier, against the same list without them (the definitions are not shown in the list);
* (b) the search ``DynamicField_Tier:gold`` against a search for a city (the built-in
  free-text search, which compares the CustomerID, the name and the city);
* (c) on PostgreSQL, the plan of (b)'s query (``EXPLAIN``), which must read an index of the
  value table.

The goals (issue 18) are ratios: at most 1.2 for (a) and (b), the query count unchanged. They
live here and in bench/RESULTS.md, never as timing asserts in the tests.
"""

import argparse
import datetime
import json
import statistics
import sys
import time

from runner import bench_database, child, progress, setup_django, vendor

USERNAME = "bench-superuser"
BATCH = 5000
CITIES = [f"City{number:02d}" for number in range(50)]
TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze", "basic": "Basic"}
GOAL = 1.2


def build(database_url, customers):
    """Migrate, then add the customers, the three definitions and their values that are missing."""
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection, transaction

    from otrs_customer_admin.models import Customer, CustomerDynamicValue, DynamicField
    from otrs_customer_admin.models.dynamic_field_types import storage_rows
    from otrs_customer_admin.models.dynamic_fields import insert_rows

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fields = {}
    for name, field_type, options in (
        ("Tier", "dropdown", {"choices": TIERS}),
        ("Seats", "integer", {}),
        ("Renewal", "date", {}),
    ):
        fields[name], _created = DynamicField.objects.get_or_create(
            object_type="customer", name=name, defaults={"label": name, "field_type": field_type, **options}
        )
    have = Customer.objects.count()
    first_day = datetime.date(2026, 1, 1)
    for start in range(have, customers, BATCH):
        numbers = range(start, min(start + BATCH, customers))
        with transaction.atomic():
            made = Customer.objects.bulk_create(
                Customer(
                    customer_id=f"C{number:06d}",
                    name=f"Customer {number:06d} GmbH",
                    city=CITIES[number % len(CITIES)],
                    country="DE",
                )
                for number in numbers
            )
            values = []
            for number, customer in zip(numbers, made, strict=True):
                tier = "gold" if number % 50 == 7 else ("silver", "bronze", "basic")[number % 3]
                for field, value in (
                    (fields["Tier"], tier),
                    (fields["Seats"], number % 500),
                    (fields["Renewal"], first_day + datetime.timedelta(days=number % 730)),
                ):
                    values += [(customer.pk, field.pk, *row) for row in storage_rows(field.field_type, value)]
            insert_rows(CustomerDynamicValue, "default", values)
        progress(f"  {numbers[-1] + 1:,} customers")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    progress(f"  built in {time.perf_counter() - started:.0f} s")


def pages():
    """(name, URL, the baseline's name or None, how the definitions show: {name: (in list, filterable)})."""
    customers = "/admin/otrs_customer_admin/customer/"
    hidden = {"Tier": (False, False), "Seats": (False, False), "Renewal": (False, False)}
    columns = {"Tier": (True, False), "Seats": (True, False), "Renewal": (True, False)}
    filtered = {"Tier": (True, True), "Seats": (True, False), "Renewal": (True, False)}
    return [
        ("customer list, no dynamic fields", customers, None, hidden),
        ("customer list, 3 dynamic-field columns", customers, "customer list, no dynamic fields", columns),
        (
            "(a) customer list, 3 columns + Tier filter (gold)",
            f"{customers}?DynamicField_Tier=gold",
            "customer list, no dynamic fields",
            filtered,
        ),
        (
            "customer list, 3 columns, sorted by Seats",
            f"{customers}?o=9",
            "customer list, no dynamic fields",
            columns,
        ),
        ("search, city (built-in)", f"{customers}?q={CITIES[7]}", None, hidden),
        (
            "(b) search, DynamicField_Tier:gold",
            f"{customers}?q=DynamicField_Tier:gold",
            "search, city (built-in)",
            hidden,
        ),
    ]


def measure(database_url, repeat):
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from otrs_customer_admin.models import Customer, DynamicField
    from otrs_customer_admin.search import folded_search_fields, search_q

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    def show(shown):
        for field, (in_list, filterable) in shown.items():
            DynamicField.objects.filter(object_type="customer", name=field).update(
                show_in_list=in_list, filterable=filterable
            )

    results = {}
    for name, url, baseline, shown in pages():
        show(shown)
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[name] = {"queries": len(queries), "times": [], "baseline": baseline}
    # The pages in turn, ``repeat`` rounds: a machine that slows down or speeds up during the run
    # weighs on every page alike.
    for _ in range(repeat):
        for name, url, _baseline, shown in pages():
            show(shown)
            started = time.perf_counter()
            client.get(url)
            results[name]["times"].append((time.perf_counter() - started) * 1000)
    fields = folded_search_fields(Customer, ["customer_id", "name", "city"])
    found = {
        "gold": Customer.objects.filter_dynamic_field("Tier", "gold").count(),
        "city": Customer.objects.filter(search_q(CITIES[7], fields)).count(),
    }
    plan = None
    if connection.vendor == "postgresql":
        plan = Customer.objects.filter(search_q("DynamicField_Tier:gold", fields)).order_by().explain()
    sys.stdout.write(json.dumps({"pages": results, "plan": plan, "found": found}) + "\n")


# --- the parent --------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--build", nargs=2, metavar=("DATABASE_URL", "CUSTOMERS"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("DATABASE_URL", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build[0], int(args.build[1]))
        return
    if args.measure:
        measure(args.measure[0], int(args.measure[1]))
        return

    url = bench_database(f"dynamic-fields-{args.customers}")
    progress(f"building or reusing {url}")
    child(__file__, "--build", url, str(args.customers))
    progress(f"measuring every page {args.repeat} times")
    measured = json.loads(child(__file__, "--measure", url, str(args.repeat)))
    results = measured["pages"]
    lines = [
        f"{args.customers:,} customers with 3 dynamic fields; {vendor()}; "
        f"median of {args.repeat} requests after a warm-up, ms",
        "",
        "| page | queries | median | spread | baseline | ratio | goal |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        times = result["times"]
        median = statistics.median(times)
        cells = [
            name,
            str(result["queries"]),
            f"{median:.0f}",
            f"{min(times):.0f}-{max(times):.0f}",
        ]
        baseline = results.get(result["baseline"] or "")
        if baseline:
            ratio = median / statistics.median(baseline["times"])
            same = result["queries"] == baseline["queries"]
            goal = ""
            if name.startswith("("):
                met = ratio <= GOAL and same
                queries = "unchanged" if same else "changed"
                goal = f"{'met' if met else '**missed**'} (at most {GOAL}x, queries {queries})"
            cells += [f"{statistics.median(baseline['times']):.0f}", f"{ratio:.2f}", goal]
        else:
            cells += ["", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    found = measured["found"]
    lines += ["", f"Gold customers: {found['gold']:,}; customers in {CITIES[7]}: {found['city']:,}."]
    if measured["plan"]:
        lines += ["", "(c) EXPLAIN of `DynamicField_Tier:gold`:", "", "```", measured["plan"], "```"]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
