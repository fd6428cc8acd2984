"""Working time (``otrs_customer_admin.working_time``): OTRS's arithmetic, worked examples and properties.

Each example names the OTRS setting it corresponds to. OTRS lists working hours as whole hours a
weekday (``TimeWorkingHours``: ``Mon: 8 9 10 11 12 13 14 15 16`` is 8:00-17:00), recurring
holidays as ``TimeVacationDays`` (month, day) and one-off ones as ``TimeVacationDaysOneTime``.
"""

import datetime
import random
from zoneinfo import ZoneInfo

import pytest

from otrs_customer_admin.working_time import NoWorkingTime, WorkingHours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = datetime.UTC


def hours(*ranges):
    """``(start, end)`` ranges from ``"8:00-17:00"`` texts; ``24:00`` ends the day."""
    parsed = []
    for text in ranges:
        start, end = text.split("-")
        parsed.append(
            (
                datetime.time.fromisoformat(start.zfill(5)),
                None if end == "24:00" else datetime.time.fromisoformat(end.zfill(5)),
            )
        )
    return tuple(parsed)


def weekdays(*ranges, weekend=()):
    return (*[hours(*ranges)] * 5, hours(*weekend), hours(*weekend))


# OTRS: TimeWorkingHours Mon-Fri 8 9 10 11 12 13 14 15 16, Sat and Sun none.
OFFICE = WorkingHours(BERLIN, weekdays("8:00-17:00"))


def at(text, zone=BERLIN):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


def local(moment, zone=BERLIN):
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


H = datetime.timedelta(hours=1)


# --- worked examples ---------------------------------------------------------------------------


def test_friday_afternoon_plus_four_hours_is_monday_eleven():
    # 2026-12-04 is a Friday: 16:00-17:00 counts one hour, Monday 8:00-11:00 the other three.
    assert local(OFFICE.add(at("2026-12-04 16:00"), 4 * H)) == "2026-12-07T11:00"


def test_a_start_outside_working_hours_starts_the_clock_at_the_next_range():
    assert local(OFFICE.add(at("2026-12-05 10:00"), H)) == "2026-12-07T09:00"  # Saturday
    assert local(OFFICE.add(at("2026-12-07 06:00"), H / 2)) == "2026-12-07T08:30"  # Monday, early
    assert local(OFFICE.add(at("2026-12-07 19:00"), H)) == "2026-12-08T09:00"  # Monday, late


def test_a_duration_ending_where_a_range_ends_ends_there():
    assert local(OFFICE.add(at("2026-12-04 16:00"), H)) == "2026-12-04T17:00"


def test_a_start_on_a_holiday():
    # OTRS: TimeVacationDays 12-25 (Christmas Day, every year); 2026-12-25 is a Friday.
    christmas = WorkingHours(BERLIN, weekdays("8:00-17:00"), holidays=frozenset({(12, 25)}))
    assert local(christmas.add(at("2026-12-25 10:00"), 2 * H)) == "2026-12-28T10:00"
    assert local(christmas.add(at("2026-12-24 16:00"), 2 * H)) == "2026-12-28T09:00"


def test_a_duration_longer_than_a_week():
    # 60 hours from Monday 8:00: 45 hours a week, then Monday 9 and Tuesday 6 of the next.
    assert local(OFFICE.add(at("2026-12-07 08:00"), 60 * H)) == "2026-12-15T14:00"


def test_a_lunch_break():
    # OTRS: TimeWorkingHours Mon-Fri 8 9 10 11 13 14 15 16 (no 12).
    lunch = WorkingHours(BERLIN, weekdays("8:00-12:00", "13:00-17:00"))
    assert local(lunch.add(at("2026-12-07 11:00"), 2 * H)) == "2026-12-07T14:00"
    assert local(lunch.add(at("2026-12-07 12:30"), H)) == "2026-12-07T14:00"


def test_a_one_off_holiday():
    # OTRS: TimeVacationDaysOneTime 2027-04-02 (a Friday).
    bridge = WorkingHours(BERLIN, weekdays("8:00-17:00"), days_off=frozenset({datetime.date(2027, 4, 2)}))
    assert local(bridge.add(at("2027-04-01 16:00"), 2 * H)) == "2027-04-05T09:00"
    assert local(OFFICE.add(at("2027-04-01 16:00"), 2 * H)) == "2027-04-02T09:00"


def test_the_nights_clocks_change_in_berlin_count_real_time():
    around_the_clock = WorkingHours(BERLIN, (hours("0:00-24:00"),) * 7)
    # 2027-03-28: 2:00 becomes 3:00. 24 hours after Saturday noon is Sunday 13:00 on the wall.
    assert local(around_the_clock.add(at("2027-03-27 12:00"), 24 * H)) == "2027-03-28T13:00"
    # 2026-10-25: 3:00 becomes 2:00 again. 24 hours after Saturday noon is Sunday 11:00.
    assert local(around_the_clock.add(at("2026-10-24 12:00"), 24 * H)) == "2026-10-25T11:00"
    # A range inside the skipped hour holds nothing that night.
    night = WorkingHours(BERLIN, (hours("2:00-3:00"),) * 7)
    assert night.between(at("2027-03-28 00:00"), at("2027-03-29 00:00")) == datetime.timedelta(0)
    assert night.between(at("2026-10-25 00:00"), at("2026-10-26 00:00")) == 2 * H
    inside = WorkingHours(BERLIN, (hours("2:15-2:45"),) * 7)
    assert inside.between(at("2027-03-28 00:00"), at("2027-03-29 00:00")) == datetime.timedelta(0)
    # A range ending or starting in the skipped hour ends or starts when the clocks jump (1:00 UTC).
    ending = WorkingHours(BERLIN, (hours("1:00-2:30"),) * 7)
    assert ending.between(at("2027-03-28 00:00"), at("2027-03-29 00:00")) == H
    assert local(ending.add(at("2027-03-28 00:00"), H)) == "2027-03-28T03:00"
    starting = WorkingHours(BERLIN, (hours("2:30-4:00"),) * 7)
    assert starting.between(at("2027-03-28 00:00"), at("2027-03-29 00:00")) == H
    assert local(starting.add(at("2027-03-28 00:00"), 30 * datetime.timedelta(minutes=1))) == "2027-03-28T03:30"


def test_a_calendar_in_new_york_for_a_site_in_utc():
    new_york = WorkingHours(NEW_YORK, weekdays("9:00-17:00"))
    # Friday 21:00 UTC is 16:00 in New York: one hour that day, one on Monday.
    due = new_york.add(datetime.datetime(2026, 12, 4, 21, 0, tzinfo=UTC), 2 * H)
    assert due == datetime.datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


def test_pending_time_across_a_weekend():
    # Pending from Friday 16:00 to Monday 10:00: three working hours passed, not 66.
    assert OFFICE.between(at("2026-12-04 16:00"), at("2026-12-07 10:00")) == 3 * H


def test_public_holidays_come_from_a_function():
    reunification = WorkingHours(
        BERLIN, weekdays("8:00-17:00"), is_public_holiday=lambda day: day == datetime.date(2029, 10, 3)
    )
    # 2029-10-03 is a Wednesday.
    assert local(reunification.add(at("2029-10-02 16:00"), 2 * H)) == "2029-10-04T09:00"


def test_a_calendar_without_working_time_says_so():
    with pytest.raises(NoWorkingTime):
        WorkingHours(BERLIN, (hours(),) * 7).add(at("2026-12-04 16:00"), H)
    with pytest.raises(ValueError):
        OFFICE.add(at("2026-12-04 16:00"), -H)


def test_nothing_added_is_the_start():
    assert OFFICE.add(at("2026-12-05 10:00"), datetime.timedelta(0)) == at("2026-12-05 10:00")


# --- properties --------------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    WorkingHours(BERLIN, weekdays("8:00-12:00", "13:00-17:00"), holidays=frozenset({(12, 25), (1, 1)})),
    WorkingHours(BERLIN, (hours("0:00-24:00"),) * 7),
    WorkingHours(NEW_YORK, weekdays("9:00-17:00", weekend=("10:00-14:00",))),
]


def samples(seed, count=300):
    """Starts over two years (both clock changes of each) and durations up to two working weeks."""
    rng = random.Random(seed)
    first = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    for _number in range(count):
        start = first + datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        yield (
            start,
            datetime.timedelta(minutes=rng.randrange(80 * 60)),
            datetime.timedelta(minutes=rng.randrange(80 * 60)),
        )


@pytest.mark.parametrize(
    ("seed", "calendar"), enumerate(CALENDARS), ids=["office", "lunch-holidays", "around-the-clock", "new-york"]
)
def test_adding_is_monotonic_additive_and_measured_back_by_between(seed, calendar):
    for start, a, b in samples(seed):
        shorter, longer = sorted((a, b))
        assert calendar.add(start, shorter) <= calendar.add(start, longer)
        assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)
        assert calendar.between(start, calendar.add(start, a)) == a


@pytest.mark.parametrize(
    ("seed", "calendar"), enumerate(CALENDARS), ids=["office", "lunch-holidays", "around-the-clock", "new-york"]
)
def test_subtracting_is_measured_back_by_between_and_undone_by_adding(seed, calendar):
    """Where a paused clock resumes from: ``subtract(end, d)`` is the latest moment with ``d`` of
    working time up to ``end``, and adding ``d`` and more to it is adding the rest to ``end``."""
    for end, ran, rest in samples(seed + 10):
        start = calendar.subtract(end, ran)
        assert start <= end
        assert calendar.between(start, end) == ran
        if rest:
            assert calendar.add(start, ran + rest) == calendar.add(end, rest)
