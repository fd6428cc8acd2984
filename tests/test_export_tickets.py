"""export_tickets: the ticket list's filters as options, what the user sees, a profile's columns;
the same filters for an export job."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from otrs_customer_admin.jobs import runner, start_export
from otrs_customer_admin.jobs.files import read_file
from otrs_customer_admin.models import ImportExportProfile, Job, Ticket, TicketState
from tests.factories import make_customer, make_customer_user, make_ticket
from tests.teams import make_teams

pytestmark = pytest.mark.django_db

TICKET_HEADERS = [
    *("number", "title", "customer", "customer_user", "state", "priority", "sla", "created_at"),
    *("pending_until", "escalation_at", "escalation_deadline", "closed_at"),
]


@pytest.fixture
def tickets():
    acme, globex = make_customer("ACME", "Acme"), make_customer("GLOBEX", "Globex")
    jane = make_customer_user(acme, "jdoe")
    made = {
        "printer": make_ticket(acme, "=Printer", customer_user=jane, state=TicketState.OPEN, priority=4),
        "closed": make_ticket(acme, "Closed", state=TicketState.CLOSED_SUCCESSFUL),
        "globex": make_ticket(globex, "Globex new", state=TicketState.NEW, priority=1),
        "reminder": make_ticket(acme, "Call back", state=TicketState.PENDING_REMINDER),
    }
    past = timezone.now() - datetime.timedelta(hours=2)
    Ticket.objects.filter(pk=made["printer"].pk).update(escalation_at=past)
    Ticket.objects.filter(pk=made["reminder"].pk).update(pending_until=past)
    # Each its own creation time, for the export's order (newest first).
    for minutes, name in enumerate(["printer", "closed", "globex", "reminder"]):
        Ticket.objects.filter(pk=made[name].pk).update(created_at=past + datetime.timedelta(minutes=minutes))
    return made


def export(*options, name="tickets.csv", tmp_path):
    path = tmp_path / name
    out, err = io.StringIO(), io.StringIO()
    call_command("export_tickets", str(path), *options, stdout=out, stderr=err)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    return err.getvalue(), rows


def titles(*options, tmp_path):
    _err, rows = export(*options, tmp_path=tmp_path)
    assert rows[0] == TICKET_HEADERS
    return [row[1] for row in rows[1:]]


def test_export_tickets_writes_every_ticket_newest_first(tickets, tmp_path):
    err, rows = export(tmp_path=tmp_path)
    assert err == f"4 records written to {tmp_path / 'tickets.csv'}.\n"
    assert [row[1] for row in rows[1:]] == ["Call back", "Globex new", "Closed", "'=Printer"]
    printer = dict(zip(TICKET_HEADERS, rows[-1], strict=True))
    assert (printer["customer"], printer["customer_user"], printer["state"], printer["priority"]) == (
        "ACME",
        "jdoe",
        "open",
        "4",
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--state-type", "open"], ["Call back", "Globex new", "'=Printer"]),
        (["--state-type", "closed"], ["Closed"]),
        (["--state", "new"], ["Globex new"]),
        (["--customer", "acme"], ["Call back", "Closed", "'=Printer"]),
        (["--customer-user", "jdoe"], ["'=Printer"]),
        (["--priority", "1"], ["Globex new"]),
        (["--escalated", "yes"], ["'=Printer"]),
        (["--escalated", "no"], ["Call back", "Globex new", "Closed"]),
        (["--reminder-due", "yes"], ["Call back"]),
        (["--state-type", "open", "--customer", "ACME", "--escalated", "no"], ["Call back"]),
    ],
)
def test_the_ticket_lists_filters_are_options(tickets, tmp_path, options, expected):
    assert titles(*options, tmp_path=tmp_path) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--state-type", "pending"], "Unknown state type pending: use one of open, closed."),
        (["--state", "gone"], "Unknown state gone: use one of " + ", ".join(TicketState.values) + "."),
        (["--customer", "NOPE"], "There is no customer NOPE."),
        (["--customer-user", "nobody"], "There is no customer user nobody."),
        (["--priority", "9"], "Unknown priority 9: use one of 1, 2, 3, 4, 5."),
        (["--escalated", "maybe"], "Unknown answer maybe: use one of yes, no."),
        (["--profile", "Short"], "No export profile called Short: tickets have no export profiles yet."),
    ],
)
def test_an_unknown_filter_value_is_refused_and_nothing_is_written(tickets, tmp_path, options, message):
    path = tmp_path / "tickets.csv"
    with pytest.raises(CommandError) as refused:
        call_command("export_tickets", str(path), *options, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(refused.value) == message
    assert not path.exists()


def test_a_profile_picks_the_ticket_columns(tickets, tmp_path):
    ImportExportProfile.objects.create(
        name="Short", model="otrs_customer_admin.ticket", direction="export", columns=["title", "state", "customer"]
    )
    _err, rows = export("--profile", "Short", "--state-type", "closed", tmp_path=tmp_path)
    assert rows == [["title", "state", "customer"], ["Closed", "closed successful", "ACME"]]


def test_to_standard_output_in_json(tickets):
    out = io.StringIO()
    call_command("export_tickets", "-", "--format", "json", "--priority", "4", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith('[\n  {\n    "number": ')
    assert '"title": "\'=Printer"' in out.getvalue()


def test_with_a_user_only_the_tickets_that_user_sees(settings, tmp_path):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    make_teams()
    assert titles("--user", "agent-a", tmp_path=tmp_path) == ["Alpha printer"]
    assert sorted(titles("--user", "agent-ab", tmp_path=tmp_path)) == ["Alpha printer", "Bravo forklift"]
    # A customer the user does not see: nothing, as on the list.
    assert titles("--user", "agent-a", "--customer", "BRAVO", tmp_path=tmp_path) == []


# transaction=True: the runner closes the connection it finds, as a worker does between jobs.
@pytest.mark.django_db(transaction=True)
def test_an_export_job_takes_the_same_filters(tickets, admin_user, settings, tmp_path):
    # Through the settings fixture only: an override_settings decorator around it would be undone
    # before the fixture's own override, and leave TASKS set for the tests after this one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    job = start_export(
        admin_user,
        Ticket,
        format_name="csv",
        records={"kind": "filters", "filters": {"state_type": "open", "escalated": False, "customer": "ACME"}},
    )
    runner.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.message
    rows = list(csv.reader(io.StringIO(read_file(job.result_file).decode("utf-8-sig"), newline="")))
    assert [row[1] for row in rows[1:]] == ["Call back"]
