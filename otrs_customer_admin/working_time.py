"""Working time: a duration added to a moment, and the time between two moments, counted only
inside a calendar's working hours, in the calendar's time zone (OTRS's working-time arithmetic:
``Kernel::System::Time::WorkingTime`` and ``DestinationTime``).

A calendar (``WorkingHours``) has working ranges for each weekday (any number a day, 8:00-12:00
and 13:00-17:00; none: a day off), recurring holidays (month, day), one-off days off, and
optionally a function naming more days off (public holidays). The clock runs only inside the
ranges, on days that are not off:

* Friday 16:00 + 4 hours, Monday to Friday 8:00-17:00, is Monday 11:00;
* a start outside the ranges starts the clock at the next range (Saturday 10:00 + 1 hour is
  Monday 9:00);
* a duration that ends exactly where a range ends ends there (Friday 16:00 + 1 hour is Friday
  17:00, not Monday 8:00), so that adding ``a`` then ``b`` is adding ``a + b``.

The ranges are wall-clock times of the calendar's zone and the clock counts real elapsed time
inside them: on the night clocks go forward, a range 0:00-24:00 holds 23 hours, a range
inside the skipped hour none, and one ending in it ends when the clocks jump (1:00-2:30 holds an
hour); on the night they go back, 0:00-24:00 holds 25 hours, and a wall time that happens twice
is its first occurrence. All arithmetic is done in
UTC: Python subtracts two datetimes of one time zone by their wall clocks, not their instants.
"""

import datetime
from dataclasses import dataclass, field

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
ZERO = datetime.timedelta(0)
# How far ahead a calendar is searched for working time before it is taken to have none.
SEARCH_LIMIT_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time in reach (no ranges, or only days off ahead)."""


@dataclass(frozen=True)
class WorkingHours:
    """A calendar's working time.

    ``time_zone``: a ``zoneinfo.ZoneInfo``. ``ranges``: seven tuples, Monday first, of
    ``(start, end)`` ``datetime.time`` pairs, sorted and not overlapping; ``end`` ``None`` means
    24:00. ``holidays``: recurring days off as ``(month, day)``; ``days_off``: one-off dates;
    ``is_public_holiday``: a function of a date, for a country's public holidays.
    """

    time_zone: datetime.tzinfo
    ranges: tuple
    holidays: frozenset = frozenset()
    days_off: frozenset = frozenset()
    is_public_holiday: object = field(default=None, compare=False)
    # The periods of each local date asked for: a bulk recompute asks for the same few days
    # for thousands of tickets.
    _periods: dict = field(default_factory=dict, compare=False, repr=False)

    def is_day_off(self, day):
        return (
            (day.month, day.day) in self.holidays
            or day in self.days_off
            or (self.is_public_holiday is not None and self.is_public_holiday(day))
        )

    def periods(self, day):
        """The working periods of the local date ``day``, as ``(start, end)`` in UTC."""
        periods = self._periods.get(day)
        if periods is None:
            periods = self._periods[day] = self._day_periods(day)
        return periods

    def _day_periods(self, day):
        if self.is_day_off(day):
            return ()
        periods = []
        for start, end in self.ranges[day.weekday()]:
            begins = self._instant(day, start)
            ends = self._instant(day + ONE_DAY, datetime.time()) if end is None else self._instant(day, end)
            if ends > begins:  # a range inside the hour skipped when clocks go forward is empty
                periods.append((begins, ends))
        return tuple(periods)

    def _instant(self, day, moment):
        """The wall time ``moment`` of the local date ``day`` as a UTC instant. A wall time the
        clocks skip (the night they go forward) is the instant they jump: a range that starts or
        ends in the skipped hour starts or ends then. A wall time that happens twice (the night
        they go back) is its first occurrence."""
        local = datetime.datetime.combine(day, moment, tzinfo=self.time_zone)
        instant = local.astimezone(UTC)
        if instant.astimezone(self.time_zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            return instant
        return self._jump(local.replace(fold=1).astimezone(UTC), instant)

    def _jump(self, before, after):
        """The instant between ``before`` and ``after`` at which the zone's offset changes, to the
        second (zone transitions fall on whole seconds)."""
        offset = before.astimezone(self.time_zone).utcoffset()
        low, high = int(before.timestamp()), int(after.timestamp())
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.datetime.fromtimestamp(middle, UTC).astimezone(self.time_zone).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return datetime.datetime.fromtimestamp(high, UTC)

    def _periods_from(self, moment):
        """The working periods from the local date holding ``moment`` on, in order; raises
        ``NoWorkingTime`` after ``SEARCH_LIMIT_DAYS`` days in a row without any."""
        day = moment.astimezone(self.time_zone).date() - ONE_DAY  # a range may reach into the next day
        empty_days = 0
        while empty_days < SEARCH_LIMIT_DAYS:
            periods = self.periods(day)
            empty_days = 0 if periods else empty_days + 1
            yield from periods
            day += ONE_DAY
        raise NoWorkingTime(f"No working time in {SEARCH_LIMIT_DAYS} days in a row.")

    def _periods_before(self, moment):
        """The working periods up to the local date holding ``moment``, latest first."""
        day = moment.astimezone(self.time_zone).date() + ONE_DAY
        empty_days = 0
        while empty_days < SEARCH_LIMIT_DAYS:
            periods = self.periods(day)
            empty_days = 0 if periods else empty_days + 1
            yield from reversed(periods)
            day -= ONE_DAY
        raise NoWorkingTime(f"No working time in {SEARCH_LIMIT_DAYS} days in a row.")

    def add(self, start, duration):
        """The moment ``duration`` (a ``timedelta``) of working time after the aware ``start``."""
        if duration < ZERO:
            raise ValueError("Working time is added, never taken away.")
        start = start.astimezone(UTC)
        if duration == ZERO:
            return start
        # The loop of _periods_from, written out: a bulk recompute adds for every open ticket.
        remaining = duration
        day = start.astimezone(self.time_zone).date() - ONE_DAY  # a range may reach into the next day
        cached, empty_days = self._periods, 0
        while empty_days < SEARCH_LIMIT_DAYS:
            periods = cached.get(day)
            if periods is None:
                periods = self.periods(day)
            empty_days = 0 if periods else empty_days + 1
            for begins, ends in periods:
                if ends <= start:
                    continue
                if begins < start:
                    begins = start
                available = ends - begins
                if remaining <= available:
                    return begins + remaining
                remaining -= available
            day += ONE_DAY
        raise NoWorkingTime(f"No working time in {SEARCH_LIMIT_DAYS} days in a row.")

    def between(self, start, end):
        """The working time from the aware ``start`` to the aware ``end`` (zero when ``end`` is not later)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = ZERO
        if end <= start:
            return total
        try:
            for begins, ends in self._periods_from(start):
                if begins >= end:
                    return total
                begins, ends = max(begins, start), min(ends, end)
                if ends > begins:
                    total += ends - begins
        except NoWorkingTime:  # none ahead: what was counted is all there is
            return total

    def subtract(self, end, duration):
        """The latest moment ``duration`` of working time before the aware ``end``: where a clock
        must have started to have run ``duration`` by ``end`` (a pending ticket's update clock
        resumes from there)."""
        if duration < ZERO:
            raise ValueError("Working time is taken away, never added.")
        end = end.astimezone(UTC)
        remaining = duration
        if remaining == ZERO:
            return end
        for begins, ends in self._periods_before(end):
            if begins >= end:
                continue
            ends = min(ends, end)
            available = ends - begins
            if remaining <= available:
                return ends - remaining
            remaining -= available


class AroundTheClock:
    """Wall-clock time, with the API of ``WorkingHours``: the clock of an SLA without a calendar."""

    @staticmethod
    def add(start, duration):
        return start + duration

    @staticmethod
    def between(start, end):
        return max(end.astimezone(UTC) - start.astimezone(UTC), ZERO)

    @staticmethod
    def subtract(end, duration):
        return end - duration


AROUND_THE_CLOCK = AroundTheClock()
