"""The admin of working-hours calendars (``Calendar``): a list with a summary of each week, a form
of seven weekday fields and a holiday per line instead of the JSON the model keeps (or OTRS's
settings pasted as they are written), and on the change page a week view of the working hours and
a check that shows the deadline of a sample start and duration.

The sample check is a GET form outside the change form: it changes nothing, so viewing the
calendar is enough to use it.
"""

import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count
from django.forms.fields import BaseTemporalField
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from ..bidi import isolate
from ..models import Calendar
from ..models.calendar_sysconfig import calendar_values_from_otrs
from ..models.calendars import WEEKDAY_LABELS, WEEKDAYS, format_ranges, parse_holiday, parse_ranges
from ..working_time import NoWorkingTime
from .display import VALIDITY_LABELS, validity_badge, working_week
from .filters import OtrsSearchMixin, ValidityFilter
from .mixins import DatabaseBusyMixin, RecomputeDeadlinesMixin

OTRS_CALENDAR_NUMBERS = [("", _("the default calendar (TimeWorkingHours)")), *((str(n), str(n)) for n in range(1, 10))]


def weekday_field(label):
    return forms.CharField(
        label=label,
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "08:00-12:00, 13:00-17:00"}),
    )


def holidays_text(values):
    return "\n".join(str(value) for value in values or ())


class CalendarForm(forms.ModelForm):
    """Seven weekday fields and a holiday per line, kept as the model's ``working_hours`` and
    ``holidays``; OTRS's settings pasted into ``otrs_settings`` replace what they set."""

    mon, tue, wed, thu, fri, sat, sun = (weekday_field(label) for label in WEEKDAY_LABELS)
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}),
        help_text=_("One a line: 12-25 every year, 2027-04-02 once."),
    )
    otrs_settings = forms.CharField(
        label=_("OTRS settings"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 8}),
        help_text=_(
            "Paste TimeWorkingHours, TimeVacationDays, TimeVacationDaysOneTime and TimeZone as OTRS's "
            "SysConfig or Config.pm writes them. They replace the working hours, holidays and time zone "
            "above (and the name, if it is empty)."
        ),
    )
    otrs_calendar = forms.ChoiceField(
        label=_("OTRS calendar"),
        required=False,
        choices=OTRS_CALENDAR_NUMBERS,
        widget=UnfoldAdminSelectWidget(choices=OTRS_CALENDAR_NUMBERS),
        help_text=_("Which of the pasted calendars: TimeWorkingHours::Calendar1 is 1."),
    )

    class Meta:
        model = Calendar
        fields = [
            "name",
            "time_zone",
            "public_holidays_country",
            "public_holidays_subdivision",
            "comment",
            "valid",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.working_hours if isinstance(self.instance.working_hours, dict) else {}
        for day in WEEKDAYS:
            self.initial.setdefault(day, hours.get(day, ""))
        self.initial["holidays"] = holidays_text(self.instance.holidays)  # the model's list, a line each
        if "name" in self.fields:  # not on a read-only page
            self.fields["name"].required = False  # pasted settings may name the calendar

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("otrs_settings") or "").strip():
            try:
                pasted = calendar_values_from_otrs(cleaned["otrs_settings"], cleaned.get("otrs_calendar"))
            except ValidationError as error:
                self.add_error("otrs_settings", error)
                return cleaned
            self.take_pasted(cleaned, pasted)
        if not cleaned.get("name"):
            self.add_error("name", forms.Field.default_error_messages["required"])
        working_hours = {}
        for day in WEEKDAYS:
            try:
                working_hours[day] = format_ranges(parse_ranges(cleaned.get(day, "")))
            except ValidationError as error:
                self.add_error(day, error)
        self.instance.working_hours = working_hours
        cleaned["holidays"] = self.instance.holidays = self.holiday_lines(cleaned.get("holidays", ""))
        return cleaned

    def take_pasted(self, cleaned, pasted):
        for day, ranges in pasted.get("working_hours", {}).items():
            cleaned[day] = ranges
        if "holidays" in pasted:
            cleaned["holidays"] = holidays_text(pasted["holidays"])
        if "time_zone" in pasted:
            cleaned["time_zone"] = pasted["time_zone"]
            self.errors.pop("time_zone", None)
        if pasted.get("name") and not cleaned.get("name"):
            cleaned["name"] = pasted["name"]

    def holiday_lines(self, text):
        holidays = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                parse_holiday(line)
            except ValidationError as error:
                message = gettext("Line %(line)d: %(problem)s") % {"line": number, "problem": error.messages[0]}
                self.add_error("holidays", message)
            else:
                holidays.append(line.strip())
        return holidays

    def _update_errors(self, errors):
        # The model names its JSON fields; the form shows them as the weekday fields and the lines.
        if hasattr(errors, "error_dict") and "working_hours" in errors.error_dict:
            messages = errors.error_dict.pop("working_hours")
            if not any(name in self.errors for name in (*WEEKDAYS, "otrs_settings")):  # named there already
                errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(messages)
        if hasattr(errors, "error_dict") and "holidays" in errors.error_dict and "holidays" in self.errors:
            del errors.error_dict["holidays"]
        super()._update_errors(errors)


def week_grid(weekday_ranges):
    """The rows of the week view: an hour each, from the first working hour of the week to the
    last, each with seven cells ``(state, text)``: ``full``, ``part`` (and which minutes) or ``off``."""
    starts = [start.hour for ranges in weekday_ranges for start, _end in ranges]
    ends = [
        24 if end is None else end.hour + (1 if end.minute else 0) for ranges in weekday_ranges for _s, end in ranges
    ]
    if not starts:
        return []
    rows = []
    for hour in range(min(starts), max(ends)):
        cells = []
        hour_start, hour_end = hour * 60, hour * 60 + 60
        for ranges in weekday_ranges:
            covered = []
            for start, end in ranges:
                start_minute = start.hour * 60 + start.minute
                end_minute = 24 * 60 if end is None else end.hour * 60 + end.minute
                low, high = max(start_minute, hour_start), min(end_minute, hour_end)
                if low < high:
                    covered.append((low, high))
            if sum(high - low for low, high in covered) == 60:
                cells.append(("full", gettext("working")))
            elif covered:
                text = ", ".join(
                    f"{low // 60:02d}:{low % 60:02d}-{high // 60:02d}:{high % 60:02d}" for low, high in covered
                )
                cells.append(("part", text))
            else:
                cells.append(("off", ""))
        rows.append({"hour": f"{hour:02d}:00", "cells": cells})
    return rows


# How far ahead of its start the sample check looks for a deadline: five years (one of them a
# leap year). Further would let anyone who may view a calendar make the request count working
# time for millions of days (a minute a week and 10,000 hours).
CHECK_REACH = datetime.timedelta(days=5 * 365 + 1)


class WallClockField(forms.DateTimeField):
    """A date and time as typed, without a time zone: the check reads it on the calendar's clock,
    not the site's (``forms.DateTimeField`` would make it aware in the site's zone, and refuse a
    time that does not exist there though it does in the calendar's)."""

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return BaseTemporalField.to_python(self, value)


class SampleDeadlineForm(forms.Form):
    """A start in the calendar's zone and a duration: the deadline they give in its working time."""

    check_start = WallClockField(
        label=_("Start"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    check_hours = forms.IntegerField(
        label=_("Hours"), min_value=0, max_value=10000, initial=4, widget=UnfoldAdminIntegerFieldWidget
    )
    check_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=59, initial=0, required=False, widget=UnfoldAdminIntegerFieldWidget
    )

    def deadline(self, calendar):
        """A dict of what the check shows, or ``None`` with the form's errors set."""
        try:
            hours = calendar.hours
        except ValidationError:  # stored around clean(): a zone naming a folder ("Europe"), a bad range
            self.add_error(None, gettext("This calendar cannot count working time until its errors are corrected."))
            return None
        try:
            return self.count(hours)
        except NoWorkingTime:
            self.add_error(None, gettext("This calendar has no working time in reach of that start."))
        except OverflowError:
            self.add_error(None, gettext("That is too close to the end of the year 9999 to count."))
        return None

    def count(self, hours):
        zone = hours.time_zone
        start = wall_clock_moment(self.cleaned_data["check_start"], zone)
        if start is None:
            self.add_error(
                "check_start",
                gettext("%(start)s does not exist in %(zone)s: the clocks skip it.")
                % {"start": self.cleaned_data["check_start"].strftime("%Y-%m-%d %H:%M"), "zone": zone},
            )
            return None
        duration = datetime.timedelta(
            hours=self.cleaned_data["check_hours"], minutes=self.cleaned_data["check_minutes"] or 0
        )
        if duration:
            # Counted over a bounded span first: the addition below then loops no further.
            reachable = hours.between(start, start + CHECK_REACH)
            if not reachable:
                raise NoWorkingTime
            if reachable < duration:
                self.add_error(
                    None,
                    gettext("That deadline lies more than five years after the start; the check counts no further."),
                )
                return None
        deadline = hours.add(start, duration)
        site_zone = timezone.get_current_timezone()
        return {
            "start": start,
            "deadline": deadline.astimezone(zone),
            "deadline_text": moment_in_zone(deadline, zone),
            "site_deadline": deadline.astimezone(site_zone),
            "site_deadline_text": moment_in_zone(deadline, site_zone),
            "site_zone": str(site_zone),
            "days_off": days_off_between(hours, start, deadline.astimezone(zone)),
        }


def wall_clock_moment(naive, zone):
    """The moment the wall clock of ``zone`` shows ``naive``: the first of a time that happens
    twice (clocks going back), ``None`` for one that never happens (clocks going forward)."""
    moment = naive.replace(tzinfo=zone, fold=0)
    if moment.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return moment


def moment_in_zone(value, zone):
    """ "Mon, Dec. 7, 2026, 11 a.m." on the wall clock of ``zone`` (the template filters would show the site's)."""
    local = value.astimezone(zone)
    return f"{formats.date_format(local, 'D')}, {formats.date_format(local, 'DATETIME_FORMAT')}"


def days_off_between(hours, start, deadline, limit=14):
    """The dates from ``start`` to ``deadline`` without working time (weekends, holidays), the first ``limit``."""
    days, day = [], start.date()
    while day <= deadline.date() and len(days) < limit:
        if hours.is_day_off(day) or not hours.ranges[day.weekday()]:
            days.append(f"{WEEKDAYS_ABBR[day.weekday()]} {formats.date_format(day, 'SHORT_DATE_FORMAT')}")
        day += datetime.timedelta(days=1)
    return days


def weekday_display(day, label):
    """A weekday's ranges on the read-only page of a user who may only view (the form's field is not the model's)."""

    @display(description=label)
    def show(model_admin, obj):
        hours = obj.working_hours if isinstance(obj.working_hours, dict) else {}
        return hours.get(day) or gettext("day off")

    return show


class CalendarAdmin(DatabaseBusyMixin, OtrsSearchMixin, RecomputeDeadlinesMixin, ModelAdmin):
    recompute_scope = "calendar"
    form = CalendarForm
    list_display = ["name_text", "time_zone", "week", "public_holidays", "sla_count", "validity"]
    list_filter = [ValidityFilter]
    search_fields = ["name"]
    change_form_outer_after_template = "otrs_customer_admin/calendar/week.html"
    fieldsets = [
        (None, {"fields": ["name", "time_zone", "valid", "comment"]}),
        (_("Working hours"), {"fields": list(WEEKDAYS), "description": _("Empty: a day off.")}),
        (_("Holidays"), {"fields": ["holidays", "public_holidays_country", "public_holidays_subdivision"]}),
        (_("Enter OTRS's settings"), {"fields": ["otrs_settings", "otrs_calendar"], "classes": ["collapse"]}),
    ]

    class Media:
        css = {"all": ["otrs_customer_admin/otrs_customer_admin.css"]}

    mon, tue, wed, thu, fri, sat, sun = (
        weekday_display(day, label) for day, label in zip(WEEKDAYS, WEEKDAY_LABELS, strict=True)
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets[:-1]  # nothing to paste into on a read-only page
        return fieldsets

    def get_queryset(self, request):
        # A GROUP BY drops the model's ordering; the pickers page through this queryset.
        return super().get_queryset(request).annotate(sla_count=Count("slas")).order_by("name")

    @display(description=_("Name"), ordering="name")
    def name_text(self, obj):
        return isolate(obj.name)

    @display(description=_("Working hours"))
    def week(self, obj):
        return working_week(obj)

    @display(description=_("Public holidays of"), ordering="public_holidays_country")
    def public_holidays(self, obj):
        if not obj.public_holidays_country:
            return "-"
        name = obj.public_holidays_country.name
        return f"{name} ({obj.public_holidays_subdivision})" if obj.public_holidays_subdivision else name

    @display(description=_("SLAs"), ordering="sla_count")
    def sla_count(self, obj):
        return obj.sla_count

    @display(description=_("Validity"), ordering="valid", label=VALIDITY_LABELS)
    def validity(self, obj):
        return validity_badge(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Here, not in change_view: only after the admin has checked that the user may view it.
        if obj is not None:
            context.update(self.week_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def week_context(self, request, obj):
        try:
            ranges = obj.weekday_ranges()
        except ValidationError:
            ranges = None
        check = SampleDeadlineForm(request.GET if "check_start" in request.GET else None)
        result = check.deadline(obj) if check.is_valid() else None
        return {
            "week_days": [
                {"label": label, "day_off": not day_ranges}
                for label, day_ranges in zip(WEEKDAY_LABELS, ranges or ((),) * 7, strict=True)
            ],
            "week_rows": week_grid(ranges) if ranges else [],
            "week_holidays": obj.holidays if isinstance(obj.holidays, list) else [],
            "deadline_check": check,
            "deadline_result": result,
            "deadline_days_off_text": (
                ngettext(
                    "%(count)d day without working time skipped:",
                    "%(count)d days without working time skipped:",
                    len(result["days_off"]),
                )
                % {"count": len(result["days_off"])}
                if result and result["days_off"]
                else ""
            ),
        }
