"""Working-hours calendars (``Calendar``): their ranges, holidays and time zone, as entered and as
OTRS's SysConfig writes them, and the working time they stand for (``calendar.hours``)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from otrs_customer_admin.models import SLA, Calendar
from otrs_customer_admin.models.calendars import parse_ranges, ranges_from_otrs_hours

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar(**fields):
    values = {"name": "Office", "time_zone": "Europe/Berlin", "working_hours": OFFICE_WEEK, **fields}
    return Calendar(**values)


def errors(record):
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    return refused.value.message_dict


def test_ranges_are_read_sorted_with_24_00_as_the_end_of_the_day():
    assert parse_ranges("13:00-17:00; 8-12") == (
        (datetime.time(8), datetime.time(12)),
        (datetime.time(13), datetime.time(17)),
    )
    assert parse_ranges("20:30-24:00") == ((datetime.time(20, 30), None),)
    assert parse_ranges("") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8 to 12", "8 to 12 is not a time range such as 8:00-17:00."),
        ("25:00-26:00", "25:00-26:00 is not a time of day."),
        ("17:00-8:00", "17:00-8:00 ends before it starts."),
        ("8:00-12:00, 11:00-13:00", "Two ranges of one day overlap."),
    ],
)
def test_a_range_that_is_none_is_refused_naming_it(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_ranges(text)
    assert refused.value.messages == [message]


def test_otrs_whole_hours_become_ranges():
    # OTRS SysConfig TimeWorkingHours: Mon: 8 9 10 11 13 14 15 16 (no 12: lunch).
    assert ranges_from_otrs_hours("8 9 10 11 13 14 15 16") == "08:00-12:00, 13:00-17:00"
    assert ranges_from_otrs_hours("23 0") == "00:00-01:00, 23:00-24:00"
    with pytest.raises(ValidationError):
        ranges_from_otrs_hours("8 24")


def test_a_calendar_is_checked_whole():
    assert errors(calendar(time_zone="Mars/Olympus")) == {
        "time_zone": ["Mars/Olympus is no time zone; use an IANA name such as Europe/Berlin."]
    }
    assert errors(calendar(working_hours={})) == {
        "working_hours": ["A calendar needs working time on at least one weekday."]
    }
    assert errors(calendar(holidays=["12-25", "13-01"])) == {
        "holidays": ["13-01 is no date such as 12-25 (every year) or 2027-04-02 (once)."]
    }
    assert "public_holidays_subdivision" in errors(calendar(public_holidays_subdivision="BY"))
    assert "public_holidays_country" in errors(calendar(public_holidays_country="DE", public_holidays_subdivision="XX"))


def test_the_name_is_unique_ignoring_case():
    calendar().save()
    assert errors(calendar(name="OFFICE")) == {"name": ["A calendar with this name already exists (ignoring case)."]}


def test_the_working_time_follows_holidays_and_public_holidays():
    # 2027-01-06 (Epiphany) is a public holiday in Bavaria, not in Berlin; both a Wednesday.
    bavaria = calendar(holidays=["12-25", "2027-04-02"], public_holidays_country="DE", public_holidays_subdivision="BY")
    bavaria.full_clean()
    start = datetime.datetime(2027, 1, 5, 16, 0, tzinfo=BERLIN)
    due = bavaria.hours.add(start, datetime.timedelta(hours=2))
    assert due == datetime.datetime(2027, 1, 7, 9, 0, tzinfo=BERLIN)
    berlin = calendar(public_holidays_country="DE", public_holidays_subdivision="BE")
    assert berlin.hours.add(start, datetime.timedelta(hours=2)) == datetime.datetime(2027, 1, 6, 9, 0, tzinfo=BERLIN)
    assert bavaria.hours.is_day_off(datetime.date(2027, 4, 2)) and bavaria.hours.is_day_off(datetime.date(2031, 12, 25))


def test_an_sla_names_its_calendar_and_a_calendar_in_use_is_kept():
    office = calendar()
    office.save()
    gold = SLA.objects.create(name="Gold", solution_time=240, calendar=office)
    assert list(office.slas.all()) == [gold]
    assert SLA.objects.create(name="Around the clock").calendar is None
    with pytest.raises(Exception, match="protected"):
        office.delete()
