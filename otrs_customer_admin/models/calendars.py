"""Working-hours calendars: when an SLA's clock runs (``working_time``), as OTRS's
``TimeWorkingHours``, ``TimeVacationDays``, ``TimeVacationDaysOneTime`` and ``TimeZone``.

A ``Calendar`` stores its working ranges per weekday as text ("8:00-12:00, 13:00-17:00"), its
holidays as dates ("12-25" every year, "2027-04-02" once), and optionally a country (and
subdivision) whose public holidays the ``holidays`` package knows. ``calendar.hours`` is the
``working_time.WorkingHours`` it stands for.

OTRS writes working hours as whole hours a weekday (``Mon: 8 9 10 11 12 13 14 15 16``);
``ranges_from_otrs_hours`` reads that form, so that a site can enter them as they are written
in OTRS's SysConfig.
"""

import datetime
import itertools
import re
import zoneinfo
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from ..bidi import isolate_text
from ..working_time import WorkingHours
from .base import (
    FoldedUniqueFields,
    FoldedUniqueFieldsQuerySet,
    Validity,
    folded_key_field,
    unique_ignoring_case,
    validity_constraint,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
# "8:00-12:00", "8-12", "13:30-24:00"; ranges separated by commas or semicolons.
RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")
RANGE_SEPARATORS = re.compile(r"[,;]")
VALUE_SHOWN = 70  # characters of a wrong value a message repeats (a paste may hold a line of thousands)
# "12-25" (every year) or "2027-04-02" (once); ASCII digits only.
HOLIDAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[ \t]*-[ \t]*[0-9]{1,2}")


def parse_ranges(text):
    """``(start, end)`` ``datetime.time`` pairs of a weekday's text, sorted (``end`` ``None`` for
    24:00); ``ValidationError`` naming the range that is not one, or ranges that overlap."""
    ranges = []
    for part in RANGE_SEPARATORS.split(text or ""):
        if not part.strip():
            continue
        match = RANGE.match(part)
        if match is None:
            raise ValidationError(
                _("%(range)s is not a time range such as 8:00-17:00."), code="bad_range", params={"range": part.strip()}
            )
        start_hour, start_minute, end_hour, end_minute = (int(value or 0) for value in match.groups())
        if start_hour > 23 or start_minute > 59 or end_hour > 24 or end_minute > 59 or (end_hour == 24 and end_minute):
            raise ValidationError(_("%(range)s is not a time of day."), code="bad_time", params={"range": part.strip()})
        start = datetime.time(start_hour, start_minute)
        end = None if end_hour == 24 else datetime.time(end_hour, end_minute)
        if end is not None and end <= start:
            raise ValidationError(
                _("%(range)s ends before it starts."), code="backwards", params={"range": part.strip()}
            )
        ranges.append((start, end))
    ranges.sort(key=lambda pair: pair[0])
    for (_start, end), (next_start, _end) in itertools.pairwise(ranges):
        if end is None or end > next_start:
            raise ValidationError(_("Two ranges of one day overlap."), code="overlap")
    return tuple(ranges)


def format_ranges(ranges):
    return ", ".join(f"{start:%H:%M}-{'24:00' if end is None else f'{end:%H:%M}'}" for start, end in ranges)


def ranges_from_otrs_hours(text):
    """OTRS's whole hours of a weekday ("8 9 10 11 13 14 15 16") as ranges ("08:00-12:00, 13:00-17:00")."""
    try:
        hours = sorted({int(value) for value in text.split()})
    except ValueError:
        raise ValidationError(_("OTRS lists working hours as whole hours from 0 to 23."), code="bad_hours") from None
    if any(hour < 0 or hour > 23 for hour in hours):
        raise ValidationError(_("OTRS lists working hours as whole hours from 0 to 23."), code="bad_hours")
    ranges = []
    for hour in hours:
        if ranges and ranges[-1][1] == hour:
            ranges[-1][1] = hour + 1
        else:
            ranges.append([hour, hour + 1])
    return ", ".join(f"{start:02d}:00-{end:02d}:00" for start, end in ranges)


def parse_holiday(text):
    """``(month, day)`` of a recurring holiday ("12-25"), or the ``date`` of a one-off one ("2027-04-02")."""
    text = text.strip()
    # Matched before converting: int() of a long run of digits overflows date(), or passes the digit limit.
    if HOLIDAY.fullmatch(text):
        try:
            if text.count("-") == 2:
                return datetime.date.fromisoformat(text)
            month, day = (int(part) for part in text.split("-"))
            datetime.date(2000, month, day)  # a leap year: 02-29 is a day
            return month, day
        except ValueError:
            pass
    raise ValidationError(
        _("%(value)s is no date such as 12-25 (every year) or 2027-04-02 (once)."),
        code="bad_holiday",
        params={"value": Truncator(text).chars(VALUE_SHOWN)},
    )


def validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("Europe"), a name too long
        raise ValidationError(
            _("%(value)s is no time zone; use an IANA name such as Europe/Berlin."),
            code="bad_time_zone",
            params={"value": Truncator(value).chars(VALUE_SHOWN)},
        ) from None


class Calendar(FoldedUniqueFields, models.Model):
    """When an SLA's clock runs: working hours per weekday, holidays, a time zone."""

    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("An IANA name, such as Europe/Berlin."),
    )
    working_hours = models.JSONField(
        _("working hours"),
        default=dict,
        blank=True,
        help_text=_("Weekday (mon … sun) -> its ranges, such as 08:00-12:00, 13:00-17:00; a day without is a day off."),
    )
    holidays = models.JSONField(
        _("holidays"), default=list, blank=True, help_text=_("12-25 every year, 2027-04-02 once.")
    )
    public_holidays_country = CountryField(_("public holidays of"), blank=True)
    public_holidays_subdivision = models.CharField(
        _("subdivision"), max_length=10, blank=True, help_text=_("A state or province of that country, such as BY.")
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    valid = models.PositiveSmallIntegerField(_("valid"), choices=Validity.choices, default=Validity.VALID)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    name_key = folded_key_field("name", 200)

    FOLDED_FIELDS = ("name",)

    objects = FoldedUniqueFieldsQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["name"]
        constraints = [
            unique_ignoring_case(
                "otrs_calendar", "name", _("A calendar with this name already exists (ignoring case).")
            ),
            validity_constraint("otrs_calendar"),
        ]

    # What its working time is made of: a change gives the open tickets of its SLAs new deadlines.
    WORKING_TIME_FIELDS = (
        "time_zone",
        "working_hours",
        "holidays",
        "public_holidays_country",
        "public_holidays_subdivision",
    )

    def __str__(self):
        return self.name

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        if all(name in instance.__dict__ for name in cls.WORKING_TIME_FIELDS):
            instance._loaded_clock = instance.clock_inputs()
        return instance

    def clock_inputs(self):
        """What its working time is made of, as read (``{"mon": "8-17"}`` is ``{"mon":
        "08:00-17:00", "tue": ""}``); as written where that does not parse."""
        try:
            hours, holidays = self.weekday_ranges(), self.parsed_holidays()
        except ValidationError:
            hours, holidays = str(self.working_hours), str(self.holidays)
        country, subdivision = str(self.public_holidays_country), self.public_holidays_subdivision
        return (self.time_zone, hours, holidays, country, subdivision)

    def moves_deadlines(self):
        """Whether saving it now moves the deadlines of open tickets: what its working time is
        made of changed, and SLAs count in it."""
        changed = getattr(self, "_loaded_clock", None) not in (None, self.clock_inputs())
        return changed and self.slas.exists()

    def save(self, *args, recompute=True, **kwargs):
        """``recompute=False`` leaves the deadlines of the open tickets of its SLAs to the caller
        (who queues ``jobs.start_recompute``, or runs ``recompute_escalations``)."""
        clock_changed = recompute and self.moves_deadlines()
        super().save(*args, **kwargs)
        self._loaded_clock = self.clock_inputs()
        self.__dict__.pop("hours", None)
        if clock_changed:
            from .ticket import tickets_to_recompute

            tickets_to_recompute(calendar=self).recompute_escalations()

    def clean(self):
        super().clean()
        errors = {}
        if self.pk and self.valid != Validity.VALID:
            used_by = list(self.slas.filter(valid=Validity.VALID).values_list("name", flat=True)[:5])
            if used_by:
                errors["valid"] = [
                    gettext("Valid SLAs count in this calendar (%(slas)s); give them another calendar first.")
                    % {"slas": ", ".join(isolate_text(name) for name in used_by)}
                ]
        try:
            week = self.weekday_ranges()
        except ValidationError as error:
            errors["working_hours"] = error.messages
        else:
            if not any(week):
                errors["working_hours"] = [gettext("A calendar needs working time on at least one weekday.")]
        try:
            self.parsed_holidays()
        except ValidationError as error:
            errors["holidays"] = error.messages
        if self.public_holidays_subdivision and not self.public_holidays_country:
            errors["public_holidays_subdivision"] = [gettext("Choose the country of the subdivision.")]
        elif self.public_holidays_country:
            try:
                self.public_holiday_days()
            except NotImplementedError as error:
                errors["public_holidays_country"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def weekday_ranges(self):
        """Seven tuples of ranges, Monday first."""
        hours = self.working_hours if isinstance(self.working_hours, dict) else {}
        return tuple(parse_ranges(hours.get(day, "")) for day in WEEKDAYS)

    def parsed_holidays(self):
        """``(recurring (month, day) pairs, one-off dates)``."""
        recurring, once = set(), set()
        for text in self.holidays if isinstance(self.holidays, list) else []:
            value = parse_holiday(str(text))
            (once if isinstance(value, datetime.date) else recurring).add(value)
        return frozenset(recurring), frozenset(once)

    def public_holiday_days(self):
        """The ``holidays`` package's calendar of the country (and subdivision), or ``None``."""
        if not self.public_holidays_country:
            return None
        import holidays

        return holidays.country_holidays(
            str(self.public_holidays_country), subdiv=self.public_holidays_subdivision or None
        )

    @cached_property
    def hours(self):
        """The ``working_time.WorkingHours`` this calendar stands for; ``ValidationError`` when
        what is stored cannot be read (written around ``clean()``: the system checks name it)."""
        try:
            recurring, once = self.parsed_holidays()
            public = self.public_holiday_days()
            return WorkingHours(
                zoneinfo.ZoneInfo(self.time_zone),
                self.weekday_ranges(),
                holidays=recurring,
                days_off=once,
                is_public_holiday=public.__contains__ if public is not None else None,
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError, NotImplementedError) as error:
            raise ValidationError(
                gettext("The calendar %(calendar)s cannot be read: %(error)s")
                % {"calendar": isolate_text(self.name), "error": error}
            ) from error


def share_hours(calendars):
    """Give the instances of one calendar one ``hours``: rows loaded with ``select_related``
    (a page of tickets with their SLAs' calendars) hold a calendar instance each, and each would
    build its working time (and its country's public holidays) again."""
    shared = {}
    for calendar in calendars:
        if calendar is None:
            continue
        if calendar.pk in shared:
            calendar.__dict__["hours"] = shared[calendar.pk]
        else:
            try:
                shared[calendar.pk] = calendar.hours
            except ValidationError:  # stored hours it cannot read: its SLAs count around the clock
                continue
