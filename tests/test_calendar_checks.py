"""System checks of the stored calendars: valid ones that cannot count working time, written around
``Calendar.clean()`` (a bulk update, a fixture, SQL), and valid SLAs counting in an invalid one."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from otrs_customer_admin.checks import check_calendars
from otrs_customer_admin.models import Calendar, Validity
from tests.factories import make_sla
from tests.test_migrations import APP, migrated  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def office(name="Office", **fields):
    values = {"time_zone": "Europe/Berlin", "working_hours": OFFICE_WEEK, **fields}
    return Calendar.objects.create(name=name, **values)  # not validated, as a script writes it


def found():
    """(id, message, hint) of the package's messages."""
    return [
        (message.id.removeprefix("otrs_customer_admin."), message.msg, message.hint)
        for message in checks.run_checks()
        if message.id and message.id.startswith("otrs_customer_admin")
    ]


def test_a_sound_calendar_and_its_slas_pass():
    make_sla("Gold", calendar=office(public_holidays_country="DE", public_holidays_subdivision="BY"))
    assert found() == []


def test_overlapping_or_unreadable_ranges_name_the_calendar_and_the_weekday():
    calendar = office()
    Calendar.objects.filter(pk=calendar.pk).update(
        working_hours={**OFFICE_WEEK, "mon": "08:00-12:00, 11:00-17:00", "fri": "8 to 5"}
    )
    assert found() == [
        (
            "E042",
            "Calendar Office, Monday: Two ranges of one day overlap.",
            "Correct its working hours in the admin, such as 08:00-12:00, 13:00-17:00.",
        ),
        (
            "E042",
            "Calendar Office, Friday: 8 to 5 is not a time range such as 8:00-17:00.",
            "Correct its working hours in the admin, such as 08:00-12:00, 13:00-17:00.",
        ),
    ]


def test_holidays_that_are_no_dates():
    office(holidays=["12-25", "Christmas"])
    assert found() == [
        (
            "E043",
            "Calendar Office: Christmas is no date such as 12-25 (every year) or 2027-04-02 (once).",
            "Correct its holidays in the admin: 12-25 for every year, 2027-04-02 for once.",
        )
    ]


def test_holidays_with_a_number_too_big_for_a_date():
    office(holidays=["99999999999999999999-1", "12-25"])
    assert found() == [
        (
            "E043",
            "Calendar Office: 99999999999999999999-1 is no date such as 12-25 (every year) or 2027-04-02 (once).",
            "Correct its holidays in the admin: 12-25 for every year, 2027-04-02 for once.",
        )
    ]


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "Europe"])  # Europe: a folder of zones, not a zone
def test_an_unknown_time_zone(zone):
    office(time_zone=zone)
    assert found() == [
        (
            "E044",
            f"Calendar Office: {zone} is no time zone; use an IANA name such as Europe/Berlin.",
            "Choose its time zone in the admin.",
        )
    ]


@pytest.mark.parametrize(
    ("country", "subdivision", "check_id", "problem"),
    [
        ("XX", "", "E045", "the holidays package knows no public holidays of XX."),  # no country at all
        ("DE", "XX", "E046", "the holidays package knows no subdivision XX of DE."),
        ("", "BY", "E047", "its public holidays name the subdivision BY but no country."),
    ],
)
def test_public_holidays_the_holidays_package_does_not_know(country, subdivision, check_id, problem):
    office(public_holidays_country=country, public_holidays_subdivision=subdivision)
    assert found() == [
        (
            check_id,
            f"Calendar Office: {problem}",
            "Choose a country and subdivision the holidays package knows, or clear them.",
        )
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"working_hours": {}},  # all seven days off
        {
            "working_hours": {"sat": "10:00-14:00"},
            "holidays": [
                f"{month:02d}-{day:02d}"
                for month in range(1, 13)
                for day in range(1, 32)
                if (month, day) not in ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))
            ],
        },
    ],
    ids=["no-working-hours", "every-day-a-holiday"],
)
def test_a_calendar_without_any_working_time(fields):
    office(**fields)
    assert found() == [
        (
            "E048",
            "Calendar Office: it has no working time: no weekday has working hours, or its holidays take every "
            "working day.",
            "Give at least one weekday working hours, or set the calendar invalid.",
        )
    ]


def test_an_invalid_calendar_is_not_checked_but_a_valid_sla_counting_in_it_is_named():
    broken = office("Old office", working_hours={}, time_zone="Europe/Atlantis")
    make_sla("Gold", calendar=broken)
    make_sla("Retired", calendar=broken, valid=Validity.INVALID)
    Calendar.objects.filter(pk=broken.pk).update(valid=Validity.INVALID)
    assert found() == [
        (
            "W002",
            "SLA Gold counts its deadlines in the calendar Old office, which is not valid.",
            "Give the SLA a valid calendar (or none, for around the clock), or make the calendar valid.",
        )
    ]


def test_manage_py_check_fails_on_a_broken_calendar():
    office(time_zone="Europe/Atlantis")
    with pytest.raises(SystemCheckError, match=r"otrs_customer_admin\.E044"):
        call_command("check")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated")
def test_nothing_is_reported_before_the_calendars_are_migrated():
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, "0015_customeruser_full_name_key")])
    try:
        assert check_calendars() == []
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
