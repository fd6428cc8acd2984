"""No lost update: a change form writes only what its user changed, so an import's or a sync's
other fields, written while the form was open, survive its save; and a ticket saved for a
customer while that customer is merged away ends up at the merge's target or is refused."""

import json
import os
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from otrs_customer_admin.folding import name_match_key
from otrs_customer_admin.models import Customer, CustomerUser, Ticket
from otrs_customer_admin.models.ticket_states import TicketState
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket
from tests.test_valid_targets import change, submitted

pytestmark = pytest.mark.django_db


def opened(client, obj):
    """What the browser would submit from ``obj``'s change form as it was shown."""
    return submitted(client.get(change(obj)).content.decode(), f"{obj._meta.model_name}_form")


# --- the change forms ------------------------------------------------------------------------------


def test_the_customer_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer("ACME", "Acme Corporation", city="Berlin", comment="Key account")
    shown = opened(admin_client, acme)
    Customer.objects.filter(pk=acme.pk).update(comment="from import", city="Hamburg")

    response = admin_client.post(change(acme), {**shown, "name": "ACME Straße GmbH"})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.comment, acme.city) == ("ACME Straße GmbH", "from import", "Hamburg")
    # What the model keeps beside the name follows it: the folded twin and the match key.
    assert acme.name_key == "acme straße gmbh".casefold()
    assert acme.name_match_key == name_match_key("ACME Straße GmbH") != name_match_key("Acme Corporation")


def test_the_customer_form_writes_back_a_field_its_user_changed_last(admin_client):
    acme = make_customer("ACME", "Acme Corporation", city="Berlin")
    shown = opened(admin_client, acme)
    Customer.objects.filter(pk=acme.pk).update(city="Hamburg", comment="from import")

    admin_client.post(change(acme), {**shown, "city": "Bonn"})

    acme.refresh_from_db()
    assert (acme.city, acme.comment) == ("Bonn", "from import")  # the user's change wins, the rest stays


def test_the_customer_user_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer()
    jane = make_customer_user(acme, "jdoe", "Jane", "Doe", phone="+49 30 1")
    shown = opened(admin_client, jane)
    CustomerUser.objects.filter(pk=jane.pk).update(phone="+49 30 2", email="jane@new.example")

    response = admin_client.post(change(jane), {**shown, "first_name": "Janet"})

    assert response.status_code == 302
    jane.refresh_from_db()
    assert (jane.first_name, jane.phone, jane.email) == ("Janet", "+49 30 2", "jane@new.example")
    assert LogEntry.objects.get(object_id=str(jane.pk)).get_change_message() == "Changed First name."


def test_the_customer_user_form_keeps_additional_customers_linked_while_it_was_open(admin_client):
    acme, globex = make_customer(), make_customer("GLOBEX", "Globex")
    jane = make_customer_user(acme)
    shown = opened(admin_client, jane)
    jane.additional_customers.add(globex)  # a sync linked her meanwhile

    admin_client.post(change(jane), {**shown, "first_name": "Janet"})

    jane.refresh_from_db()
    assert jane.first_name == "Janet"
    assert list(jane.additional_customers.all()) == [globex]


def test_the_ticket_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer()
    ticket = make_ticket(acme, "Printer on fire")
    shown = opened(admin_client, ticket)
    answered = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(priority=5, first_response_at=answered)

    response = admin_client.post(change(ticket), {**shown, "title": "Printer still on fire"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.first_response_at) == ("Printer still on fire", 5, answered)
    assert LogEntry.objects.get(object_id=str(ticket.pk)).get_change_message() == "Changed Title."


def test_the_ticket_form_writes_what_the_model_derives_from_the_change(admin_client):
    acme = make_customer()
    ticket = make_ticket(acme, "Printer on fire", sla=make_sla())
    assert ticket.escalation_at is not None
    shown = opened(admin_client, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(priority=5)

    admin_client.post(change(ticket), {**shown, "state": TicketState.CLOSED_SUCCESSFUL})

    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority) == (TicketState.CLOSED_SUCCESSFUL, 5)
    assert ticket.closed_at is not None and ticket.escalation_at is None
    acme.refresh_from_db()
    assert (acme.open_ticket_count, acme.closed_ticket_count) == (0, 1)


# --- a merge while tickets are saved for the merged-away customer ---------------------------------
#
# Real processes on one database: the test's own (PostgreSQL), or a migrated SQLite file. One
# process saves tickets for ACME-2 (new ones through the admin's form, edits through forms shown
# before the merge, and whole saves of tickets, without a customer user, loaded before it); halfway it says "go" and
# another process merges ACME-2 into ACME. Each save then happens before the merge (which moves
# its ticket) or after it (and is refused); no ticket is left on ACME-2.

ROUNDS = 20
NOT_VALID = "Customer Acme Twin (ACME-2) is not valid; choose a valid customer."

RACE_SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from otrs_customer_admin.models import Customer, CustomerUser, Ticket
get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
acme = Customer.objects.create(customer_id="ACME", name="Acme Corporation", country="DE")
twin = Customer.objects.create(customer_id="ACME-2", name="Acme Twin", country="DE")
tim = CustomerUser.objects.create(customer=twin, login="tim", first_name="Tim", last_name="Twin", email="t@x.example")
for number in range(2 * ROUNDS + 2):
    Ticket.objects.create(customer=twin, customer_user=tim if number <= ROUNDS else None, title=f"Printer {number}")
"""

# Says "ready" when it has the pages and tickets as shown before the merge, waits for a line,
# saves ROUNDS times (saying "go" after the third), waits for a line (the merge is done), saves
# once more, and prints what each save did: one line of JSON.
TICKET_SAVER = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.test.utils import setup_test_environment
from otrs_customer_admin.models import Customer, CustomerUser, Ticket
from tests.test_valid_targets import submitted

rounds = int(sys.argv[1])
setup_test_environment()
client = Client(raise_request_exception=False)
client.force_login(get_user_model().objects.get(username="admin"))
twin, tim = Customer.objects.get(customer_id="ACME-2"), CustomerUser.objects.get(login="tim")
base = "/admin/otrs_customer_admin/ticket/"
tickets = list(Ticket.objects.filter(customer=twin).order_by("pk"))
edited, loaded = tickets[: rounds + 1], tickets[rounds + 1 :]
shown = {ticket.pk: submitted(client.get(f"{base}{ticket.pk}/change/").content.decode()) for ticket in edited}
new = submitted(client.get(f"{base}add/", {"customer": twin.pk, "customer_user": tim.pk}).content.decode())
results = []

def post(kind, path, data):
    response = client.post(path, data)
    form = response.context["adminform"].form if response.status_code == 200 else None
    errors = sorted(str(error) for errors in form.errors.values() for error in errors) if form else []
    results.append({"kind": kind, "status": response.status_code, "errors": errors})

def save_whole(ticket, title):
    ticket.title = title
    try:
        ticket.save()
        results.append({"kind": "whole save", "status": "saved", "errors": []})
    except ValidationError as error:
        results.append({"kind": "whole save", "status": "refused", "errors": error.messages})

def save(number):
    post("new ticket", f"{base}add/", {**new, "title": f"New {number}"})
    ticket = edited[number]
    post("edit", f"{base}{ticket.pk}/change/", {**shown[ticket.pk], "title": f"Edited {number}"})
    save_whole(loaded[number], f"Saved {number}")

print("ready", flush=True)
sys.stdin.readline()
for number in range(rounds):
    save(number)
    if number == 2:
        print("go", flush=True)
sys.stdin.readline()
save(rounds)
print(json.dumps(results), flush=True)
"""

MERGER = """
import io, sys
import django
django.setup()
from django.core.management import call_command
print("ready", flush=True)
sys.stdin.readline()
call_command("merge_customers", "ACME-2", "ACME", stdout=io.StringIO())
print("merged", flush=True)
"""

RACE_RESULT = """
import json
import django
django.setup()
from otrs_customer_admin.models import Customer, Ticket
counts = {c.customer_id: [c.open_ticket_count, c.valid] for c in Customer.objects.all()}
on = {c.customer_id: Ticket.objects.filter(customer=c).count() for c in Customer.objects.all()}
print(json.dumps({"counts": counts, "tickets": on, "all": Ticket.objects.count()}))
"""


@pytest.fixture
def shared_database(tmp_path):
    """The environment of processes that share one database with the test: its own PostgreSQL
    database (committed, emptied afterwards), or a fresh, migrated SQLite file."""
    from django.db import connection

    from tests.test_database_busy import python

    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    else:
        db = connection.settings_dict
        url = f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if connection.vendor == "sqlite":
        migrate = python(
            env, "from django.core.management import execute_from_command_line as run\nrun(['x', 'migrate', '-v', '0'])"
        )
        assert migrate.returncode == 0, migrate.stderr
    return env


@pytest.mark.django_db(transaction=True)  # the processes' rows are committed: emptied afterwards
def test_a_ticket_saved_while_its_customer_is_merged_away_is_moved_or_refused(shared_database):
    from tests.test_database_busy import python, read_line, start, tell

    env = shared_database
    setup = python(env, f"ROUNDS = {ROUNDS}\n" + RACE_SETUP)
    assert setup.returncode == 0, setup.stderr
    saver, merger = start(env, TICKET_SAVER, ROUNDS), start(env, MERGER)
    try:
        assert read_line(saver) == "ready" and read_line(merger) == "ready"
        tell(saver)
        assert read_line(saver) == "go"
        tell(merger)
        assert read_line(merger) == "merged"
        tell(saver)
        results = json.loads(read_line(saver))
    finally:
        for process in (saver, merger):
            process.kill() if process.poll() is None else None
    # A refused edit may also hear that Tim, moved by the merge, does not work for ACME-2.
    for result in results:
        assert result["status"] in (302, "saved") or NOT_VALID in result["errors"], result
    # After the merge had finished, every kind of save was refused with the sentence.
    assert all(NOT_VALID in result["errors"] for result in results[-3:]), results[-3:]
    state = json.loads(python(env, RACE_RESULT).stdout)
    assert state["tickets"]["ACME-2"] == 0
    assert state["counts"]["ACME-2"] == [0, 2]
    assert state["counts"]["ACME"][0] == state["tickets"]["ACME"] == state["all"]
