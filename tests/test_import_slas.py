"""Import and export of SLAs: their targets, and their calendar by name (OTRS's AdminSLA columns),
all rows or none; an SLA whose targets or calendar change gets its open tickets' deadlines anew."""

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from otrs_customer_admin.importexport.importers import SLAImport
from otrs_customer_admin.models import SLA, Calendar, TicketState, Validity
from otrs_customer_admin.working_time import AROUND_THE_CLOCK
from tests.factories import make_customer, make_sla, make_ticket
from tests.importing import dataset, excel_csv, plain_csv, problems
from tests.test_admin_import_export import FORMAT, confirm, counts, url
from tests.test_admin_import_export import problems as preview_problems
from tests.test_export import export, records

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# OTRS: TimeWorkingHours Mon-Fri 8 9 10 11 12 13 14 15 16, TimeZone Europe/Berlin.
OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
OTRS_HEADER = ["Name", "FirstResponseTime", "UpdateTime", "SolutionTime", "Calendar", "Comment", "Valid"]
SLA_MODEL = "sla"


def office(name="Office", **fields):
    return Calendar.objects.create(name=name, time_zone="Europe/Berlin", working_hours=OFFICE_WEEK, **fields)


def import_slas(data, name="slas.csv", dry_run=False):
    return SLAImport().run(dataset(data, name), dry_run=dry_run)


def snapshot():
    return list(SLA.objects.order_by("pk").values())


def test_an_otrs_sla_file_creates_slas_with_their_calendar_named_ignoring_case():
    calendar = office()
    report = import_slas(
        excel_csv(
            [
                OTRS_HEADER,
                ["Gold", "60", "120", "240", "office", "Key accounts", "valid"],
                ["Silver", "240", "", "2880", "", "", "invalid-temporarily"],
            ]
        )
    )
    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    gold, silver = SLA.objects.get(name="Gold"), SLA.objects.get(name="Silver")
    assert (gold.targets(), gold.calendar, gold.comment, gold.valid) == ((60, 120, 240), calendar, "Key accounts", 1)
    # No calendar: around the clock; an empty target: none.
    assert (silver.targets(), silver.calendar, silver.valid) == ((240, None, 2880), None, Validity.INVALID_TEMPORARILY)
    assert silver.clock is AROUND_THE_CLOCK


def test_an_unknown_or_invalid_calendar_and_bad_minutes_are_problems_of_their_lines_and_nothing_is_written():
    office()
    office("Retired", valid=Validity.INVALID)
    make_sla("Gold")
    before = snapshot()
    report = import_slas(
        plain_csv(
            [
                OTRS_HEADER,
                ["Gold", "60", "120", "240", "Office", "", "valid"],
                ["Silver", "60", "", "", "Nowhere", "", "valid"],
                ["Bronze", "60", "", "", "retired", "", "valid"],
                ["Tin", "four hours", "-5", "", "", "", "valid"],
                ["Lead", "60", "", "525601", "", "", "valid"],
            ]
        )
    )
    assert problems(report) == [
        "Line 3, Calendar: no calendar called Nowhere.",
        "Line 4, Calendar: the calendar Retired is not valid; name a valid calendar.",
        "Line 5, FirstResponseTime: 'four hours' is no number of minutes: write a whole number such as 240.",
        "Line 5, UpdateTime: '-5' is no number of minutes: write a whole number such as 240.",
        "Line 6, SolutionTime: 525601 minutes are more than a year, the most an SLA target holds (525600).",
    ]
    assert snapshot() == before


def test_an_sla_keeps_an_invalid_calendar_it_already_counts_in():
    retired = office("Retired")
    make_sla("Gold", calendar=retired)
    Calendar.objects.filter(pk=retired.pk).update(valid=Validity.INVALID)
    report = import_slas(plain_csv([["name", "calendar", "comment"], ["gold", "Retired", "still"]]))
    assert problems(report) == []
    assert (report.updated, SLA.objects.get().calendar_id, SLA.objects.get().comment) == (1, retired.pk, "still")


def test_changing_an_slas_calendar_or_times_by_import_gives_its_open_tickets_new_deadlines():
    gold = make_sla("Gold", first_response_time=None, update_time=None, solution_time=240)
    office()
    acme = make_customer()
    friday_four = datetime.datetime(2026, 3, 6, 16, 0, tzinfo=BERLIN)
    open_ticket = make_ticket(acme, sla=gold, created_at=friday_four)
    closed = make_ticket(acme, title="Done", sla=gold, created_at=friday_four, state=TicketState.CLOSED_SUCCESSFUL)
    # Around the clock: Friday 16:00 + 4 h is Friday 20:00.
    assert open_ticket.escalation_at == datetime.datetime(2026, 3, 6, 20, 0, tzinfo=BERLIN)

    report = import_slas(plain_csv([["name", "calendar"], ["Gold", "Office"]]))
    assert problems(report) == [] and report.updated == 1
    # Mon-Fri 8-17 (OTRS: TimeWorkingHours Mon-Fri 8 ... 16): Friday 16:00 + 4 h is Monday 11:00.
    open_ticket.refresh_from_db()
    assert open_ticket.escalation_at == datetime.datetime(2026, 3, 9, 11, 0, tzinfo=BERLIN)
    assert open_ticket.escalation_deadline == "solution"
    closed.refresh_from_db()
    assert closed.escalation_at is None

    report = import_slas(plain_csv([["name", "SolutionTime"], ["Gold", "480"]]))
    assert problems(report) == [] and report.updated == 1
    open_ticket.refresh_from_db()
    assert open_ticket.escalation_at == datetime.datetime(2026, 3, 9, 15, 0, tzinfo=BERLIN)


def test_a_dry_run_changes_no_sla_and_no_deadline():
    gold = make_sla("Gold", first_response_time=None, update_time=None, solution_time=240)
    office()
    ticket = make_ticket(make_customer(), sla=gold, created_at=datetime.datetime(2026, 3, 6, 16, tzinfo=BERLIN))
    before, escalation = snapshot(), ticket.escalation_at
    report = import_slas(plain_csv([["name", "calendar"], ["Gold", "Office"]]), dry_run=True)
    assert (problems(report), report.updated) == ([], 1)
    ticket.refresh_from_db()
    assert (snapshot(), ticket.escalation_at) == (before, escalation)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_names_the_calendar_and_imports_back_unchanged(admin_client, file_format):
    calendar = office()
    make_sla("Gold", calendar=calendar, comment="=HYPERLINK(1)")
    make_sla("Silver", first_response_time=None, valid=Validity.INVALID)
    data = export(admin_client, SLA_MODEL, file_format, query="validity=all")
    assert records(data, file_format) == [
        {
            "name": "Gold",
            "first_response_time": "60",
            "update_time": "120",
            "solution_time": "480",
            "calendar": "Office",
            "comment": "'=HYPERLINK(1)",  # a formula, neutralised
            "valid": "valid",
        },
        {
            "name": "Silver",
            "first_response_time": "",
            "update_time": "120",
            "solution_time": "480",
            "calendar": "",
            "comment": "",
            "valid": "invalid",
        },
    ]
    report = import_slas(data, name=f"slas.{file_format}")
    assert (problems(report), report.created, report.updated, report.unchanged) == ([], 0, 0, 2)


def test_the_admin_previews_and_imports_slas(admin_client):
    office()
    data = plain_csv([["name", "solution_time", "calendar"], ["Gold", "240", "Office"], ["Silver", "x", "Nowhere"]])
    refused = admin_client.post(
        url(SLA_MODEL, "import"), {"format": FORMAT["csv"], "import_file": SimpleUploadedFile("slas.csv", data)}
    )
    assert preview_problems(refused) == [
        "Line 3, calendar: no calendar called Nowhere.",
        "Line 3, solution_time: 'x' is no number of minutes: write a whole number such as 240.",
    ]
    data = plain_csv([["name", "solution_time", "calendar"], ["Gold", "240", "Office"]])
    preview = admin_client.post(
        url(SLA_MODEL, "import"), {"format": FORMAT["csv"], "import_file": SimpleUploadedFile("slas.csv", data)}
    )
    assert counts(preview) == (1, 1, 0, 0)
    assert "Office" in preview.content.decode()  # the preview names the calendar, not its key
    assert not SLA.objects.exists()
    done = confirm(admin_client, preview, SLA_MODEL)
    assert done.status_code == 200
    assert SLA.objects.get().calendar.name == "Office"


def test_the_commands_import_and_export_slas(tmp_path):
    office()
    source = tmp_path / "slas.xlsx"
    book = openpyxl.Workbook()
    book.active.append(OTRS_HEADER)
    book.active.append(["Gold", 60, 120, 240.0, "Office", "", "valid"])  # Excel's numbers
    book.save(source)
    out = io.StringIO()
    call_command("import_slas", str(source), stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("1 created, 0 updated, 0 unchanged")
    assert SLA.objects.get().targets() == (60, 120, 240)
    target = tmp_path / "out.csv"
    call_command("export_slas", str(target), "--validity", "valid", stdout=io.StringIO(), stderr=io.StringIO())
    assert records(target.read_bytes()) == [
        {
            "name": "Gold",
            "first_response_time": "60",
            "update_time": "120",
            "solution_time": "240",
            "calendar": "Office",
            "comment": "",
            "valid": "valid",
        }
    ]
    with pytest.raises(CommandError, match="unrecognized arguments: --data-source"):
        call_command("export_slas", str(target), "--data-source", "database")


def test_a_calendar_set_invalid_between_the_preview_and_the_confirm_refuses_the_import():
    calendar = office()
    data = dataset(plain_csv([["name", "calendar"], ["Gold", "Office"]]))
    checked = SLAImport()
    assert problems(checked.run(data, dry_run=True)) == []
    Calendar.objects.filter(pk=calendar.pk).update(valid=Validity.INVALID)
    report = SLAImport().confirm(data, checked.saved_check())
    assert problems(report) == ["Line 2, calendar: the calendar Office is not valid; name a valid calendar."]
    assert not SLA.objects.exists()
