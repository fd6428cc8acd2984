"""New deadlines for open tickets after their calendars changed: ``recompute_escalations`` in
tickets per second, against the per-ticket way it replaced.

    make bench-recompute                               # 200,000 open tickets, SQLite
    python bench/recompute_bench.py --tickets 50000
    DATABASE_URL=postgres://u:p@host/db make bench-recompute   # PostgreSQL (database <db>_recompute_<N>)

The data set is built once and reused (bench/data/recompute-<N>): ``--tickets`` open tickets
created over the last 60 days at 1,000 customers, in four SLAs (first response 2 h, update 4 h,
solution 16 h): three count in calendars (Berlin, Monday to Friday 8:00-17:00 with Bavaria's
public holidays; New York, 9:00-12:00 and 13:00-17:00; a 24/7 operations desk of two shifts, in
Tokyo), one around the clock. Every measurement runs in a process of its own, in one run:

* **changed**: every calendar moves an hour west (Berlin to London, and back in the next round),
  then ``manage.py recompute_escalations``'s work: every ticket read, those whose escalation
  moves written (about half: a deadline inside a range stays where it was);
* **unchanged**: the same again with nothing changed: every ticket read, none written;
* **per ticket** (the way before): each ticket loaded as a model instance with its SLA and
  calendar, ``compute_escalation()``, and ``bulk_update`` of the changed ones.

Goal (issue 22): at least 20,000 tickets per second on SQLite for the changed run.
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runner import bench_database, child, progress, setup_django, vendor

CUSTOMERS = 1000
GOAL = 20_000
WEEK = ("mon", "tue", "wed", "thu", "fri")
CALENDARS = {
    "Berlin office": {
        "time_zone": "Europe/Berlin",
        "working_hours": {day: "08:00-17:00" for day in WEEK},
        "holidays": ["12-24", "12-31"],
        "public_holidays_country": "DE",
        "public_holidays_subdivision": "BY",
    },
    "New York office": {
        "time_zone": "America/New_York",
        "working_hours": {day: "09:00-12:00, 13:00-17:00" for day in WEEK},
        "holidays": ["07-04", "12-25"],
    },
    "Operations desk": {
        "time_zone": "Asia/Tokyo",
        "working_hours": {day: "06:00-14:00, 14:00-22:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    },
}
# The change measured: each calendar moves to the time zone an hour west of its own (and back in
# the next round), which moves every deadline counted in it.
MOVED = {"Europe/Berlin": "Europe/London", "America/New_York": "America/Chicago", "Asia/Tokyo": "Asia/Shanghai"}


def build(tickets):
    """The data set, unless the database holds it already."""
    from otrs_customer_admin.models import SLA, Calendar, Customer, Ticket, TicketState

    if Ticket.objects.count() == tickets:
        return
    if Customer.objects.exists():
        raise SystemExit("The benchmark database holds a data set not finished: drop it and run again.")
    customers = Customer.objects.bulk_create(
        Customer(customer_id=f"CUST-{n:06d}", name=f"Customer {n:06d}", country="DE") for n in range(CUSTOMERS)
    )
    slas = [
        SLA.objects.create(
            name=name or "Around the clock",
            first_response_time=120,
            update_time=240,
            solution_time=960,
            calendar=Calendar.objects.create(name=name, **CALENDARS[name]) if name else None,
        )
        for name in (*CALENDARS, None)
    ]
    now = datetime.datetime.now(datetime.UTC)
    states = (TicketState.NEW, TicketState.OPEN, TicketState.OPEN, TicketState.PENDING_REMINDER)
    batch = []
    for number in range(tickets):
        state = states[number % len(states)]
        created = now - datetime.timedelta(minutes=(number * 37) % (60 * 24 * 60))
        ticket = Ticket(
            number=f"B{number:09d}",
            title=f"Ticket {number}",
            customer=customers[number % CUSTOMERS],
            sla=slas[number % len(slas)],
            state=state,
            created_at=created,
            first_response_at=created + datetime.timedelta(minutes=30) if number % 3 == 0 else None,
            last_update_at=created + datetime.timedelta(minutes=90) if number % 5 == 0 else None,
            pending_until=now + datetime.timedelta(days=1) if state == TicketState.PENDING_REMINDER else None,
        )
        ticket.prepare_for_save(now)
        batch.append(ticket)
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
            progress(f"built {number + 1:,} tickets")
    Ticket.objects.bulk_create(batch)


def toggle_calendars():
    """Move every calendar an hour west, or back, without the model's save (which would recompute)."""
    from otrs_customer_admin.models import Calendar

    back = {west: east for east, west in MOVED.items()}
    for calendar in Calendar.objects.all():
        zone = MOVED.get(calendar.time_zone) or back[calendar.time_zone]
        Calendar.objects.filter(pk=calendar.pk).update(time_zone=zone)


def child_measure(database_url, kind):
    setup_django(database_url)
    from otrs_customer_admin.models import Ticket
    from otrs_customer_admin.models.ticket import tickets_to_recompute

    if kind != "unchanged":
        toggle_calendars()
    started = time.perf_counter()
    if kind == "per-ticket":
        checked, changed = per_ticket(Ticket.objects.open())
    else:
        checked = tickets_to_recompute().count()
        changed = tickets_to_recompute().recompute_escalations()
    seconds = time.perf_counter() - started
    sys.stdout.write(json.dumps({"checked": checked, "changed": changed, "seconds": seconds}) + "\n")


def per_ticket(tickets, batch_size=2000):
    """The recompute as it was before: model instances, one at a time, ``bulk_update`` of the changed."""
    from otrs_customer_admin.models import Ticket

    checked, changed, pending = 0, 0, []
    for ticket in tickets.select_related("sla__calendar").iterator(chunk_size=batch_size):
        checked += 1
        before = (ticket.escalation_at, ticket.escalation_deadline)
        ticket.compute_escalation()
        if (ticket.escalation_at, ticket.escalation_deadline) != before:
            pending.append(ticket)
        if len(pending) >= batch_size:
            Ticket.objects.bulk_update(pending, ["escalation_at", "escalation_deadline"])
            changed, pending = changed + len(pending), []
    Ticket.objects.bulk_update(pending, ["escalation_at", "escalation_deadline"])
    return checked, changed + len(pending)


def child_build(database_url, tickets):
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(int(tickets))
    sys.stdout.write(json.dumps({"seconds": time.perf_counter() - started}) + "\n")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        {"build": child_build, "measure": child_measure}[sys.argv[2]](*sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    args = parser.parse_args()
    url = bench_database(f"recompute-{args.tickets}")
    built = json.loads(child(__file__, "--child", "build", url, str(args.tickets)))
    progress(f"data set ready in {built['seconds']:.1f} s")
    results = {}
    # The per-ticket way twice as well, in turns with the bulk one: the machine's other load hits both alike.
    for kind in ("changed", "unchanged", "per-ticket", "changed", "unchanged", "per-ticket"):
        measured = json.loads(child(__file__, "--child", "measure", url, kind))
        progress(f"{kind}: {measured}")
        if kind not in results or measured["seconds"] < results[kind]["seconds"]:
            results[kind] = measured
    rows = []
    for kind, label in (
        ("changed", "recompute_escalations, every calendar changed"),
        ("unchanged", "recompute_escalations, nothing changed"),
        ("per-ticket", "per ticket (model instances, bulk_update), every calendar changed"),
    ):
        measured = results[kind]
        rate = measured["checked"] / measured["seconds"]
        rows.append(
            f"| {label} | {measured['checked']:,} | {measured['changed']:,} | {measured['seconds']:.2f} | {rate:,.0f} |"
        )
    bulk = results["changed"]["checked"] / results["changed"]["seconds"]
    before = results["per-ticket"]["checked"] / results["per-ticket"]["seconds"]
    sys.stdout.write(f"{vendor()}, one run, {args.tickets:,} open tickets (best of two)\n" + "\n")
    sys.stdout.write("| recompute | tickets read | written | seconds | tickets/s |\n|---|---:|---:|---:|---:|" + "\n")
    sys.stdout.write("\n".join(rows) + "\n")
    sys.stdout.write(
        f"\nGoal: at least {GOAL:,} tickets/s ({'met' if bulk >= GOAL else 'NOT met'}: {bulk:,.0f}); " + "\n"
    )
    sys.stdout.write(f"{bulk / before:.1f}x the per-ticket way." + "\n")


if __name__ == "__main__":
    main()
