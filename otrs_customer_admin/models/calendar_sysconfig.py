"""OTRS's calendar settings, as written in its SysConfig or ``Kernel/Config.pm``, read into a
``Calendar``'s field values (``calendar_values_from_otrs``).

Two forms are understood:

* Perl, as ``Config.pm`` and ``ZZZAuto.pm`` hold them (a whole ``ZZZAuto.pm`` may be pasted:
  settings other than the calendar's are passed over)::

      $Self->{'TimeWorkingHours::Calendar1'} = { 'Mon' => ['8', '9', '10'], 'Sat' => [] };
      $Self->{'TimeVacationDays::Calendar1'} = { '12' => { '25' => 'First Christmas Day' } };
      $Self->{'TimeVacationDaysOneTime::Calendar1'} = { '2027' => { '4' => { '2' => 'Good Friday' } } };
      $Self->{'TimeZone::Calendar1'} = 'Europe/Berlin';
      $Self->{'TimeZone::Calendar1Name'} = 'Support';

* plain lines, as the SysConfig screen shows them: a setting's name on a line of its own starts
  it, then ``Mon: 8 9 10 11`` (whole hours), ``12-25 Christmas`` (every year) or
  ``2027-04-02 Good Friday`` (once); a time zone or name follows its setting's name after a colon
  (``TimeZone::Calendar1: Europe/Berlin``). Lines before any setting's name belong to the
  default calendar.

OTRS counts in whole hours (``Mon: 8 9 10 11 13 14 15 16`` is 8:00-12:00 and 13:00-17:00).
OTRS 5 wrote a time zone as an offset in hours (``TimeZone::Calendar1 = '+2'``): that is a fixed
offset without daylight saving, and becomes the IANA zone of that offset (``Etc/GMT-2``).
"""

import bisect
import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from .calendars import VALUE_SHOWN, WEEKDAYS, parse_holiday, ranges_from_otrs_hours, validate_time_zone

OTRS_WEEKDAYS = {day.capitalize(): day for day in WEEKDAYS}  # Mon -> mon
HASH_SETTINGS = ("TimeWorkingHours", "TimeVacationDays", "TimeVacationDaysOneTime")
# TimeWorkingHours, TimeVacationDays::Calendar3, TimeZone::Calendar1Name, OTRSTimeZone… (OTRS numbers 1 to 9)
SETTING = re.compile(
    r"(?P<base>TimeWorkingHours|TimeVacationDaysOneTime|TimeVacationDays|OTRSTimeZone|TimeZone)"
    r"(?:::Calendar(?P<number>[0-9]{1,2})(?P<name>Name)?)?"
)
PERL_STATEMENT = re.compile(r"\$Self\s*->\s*\{\s*(['\"]?)(?P<key>[\w:]+)\1\s*\}\s*=\s*")
PERL_TOKEN = re.compile(
    r"""\s*(?:\#[^\n]*\n\s*)*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
        |(?P<word>[-+]?\w+)
        |(?P<symbol>=>|[{}\[\],;])
    )""",
    re.VERBOSE,
)
# No two runs that can take the same blanks stand side by side: such a pattern backtracks over a
# long line of blanks for minutes. The hours' group takes the blanks before the hours itself.
PLAIN_WEEKDAY = re.compile(r"(?P<day>[A-Za-z]{3})[a-z]*(?:[ \t]*[:=])?(?P<hours>[0-9\s,]*)")
PLAIN_DATE = re.compile(r"(?P<date>(?:[0-9]+-)?[0-9]+-[0-9]+)(?:\s.*|\s*[:=]\s.*)?")
OFFSET = re.compile(r"[-+]?[0-9]{1,2}")
BLANKS = re.compile(r"\s*")
MAX_TEXT = 200_000  # characters: a whole ZZZAuto.pm is a few thousand
MAX_DEPTH = 6  # OTRS's values nest 3 deep ({year => {month => {day => name}}})
ERRORS_SHOWN = 20  # the form lists these; a text of thousands of wrong lines is wrong as a whole


class Text(str):
    """A value of the pasted text that knows its line, for messages."""

    line = 0


def line_error(line, message):
    return ValidationError(
        gettext("Line %(line)d: %(problem)s") % {"line": line, "problem": message}, code="otrs_setting"
    )


def calendar_values_from_otrs(text, calendar=None):
    """The ``Calendar`` field values OTRS's settings in ``text`` give: ``working_hours`` (all
    seven days), ``holidays``, ``time_zone`` and ``name``, each only where ``text`` sets it.

    ``calendar`` chooses the numbered calendar (``1`` for ``TimeWorkingHours::Calendar1`` …);
    ``None`` takes the default one (``TimeWorkingHours``), or the only numbered one there is.
    A ``ValidationError`` lists every line that is wrong, each named by its number.
    """
    text = text or ""
    if len(text) > MAX_TEXT:
        raise ValidationError(
            gettext("The text is %(length)s characters long; paste at most %(limit)s, the calendar settings only.")
            % {"length": f"{len(text):,}", "limit": f"{MAX_TEXT:,}"},
            code="too_long",
        )
    reader = PerlSettings if PERL_STATEMENT.search(text) else PlainSettings
    settings = reader(text)
    calendars = settings.with_fallback_zone()
    errors = list(settings.errors)
    chosen = str(calendar).strip() if calendar not in (None, "") else None
    chosen = str(int(chosen)) if chosen and chosen.isdigit() and len(chosen) <= 2 else chosen
    if chosen is None and None not in calendars and len(calendars) > 1:
        errors.append(
            ValidationError(
                gettext("The settings hold calendars %(numbers)s; choose one.")
                % {"numbers": ", ".join(sorted(calendars, key=int))},
                code="several_calendars",
            )
        )
    elif chosen is None and None not in calendars and calendars:
        chosen = next(iter(calendars))
    if len(errors) > ERRORS_SHOWN:
        hidden = len(errors) - ERRORS_SHOWN
        more = ngettext("… and %(count)s more.", "… and %(count)s more.", hidden) % {"count": hidden}
        errors = [*errors[:ERRORS_SHOWN], ValidationError(more, code="more_errors")]
    if errors:
        raise ValidationError(errors)
    if chosen not in calendars:
        message = (
            gettext("The settings hold no calendar %(number)s.") % {"number": chosen}
            if chosen is not None
            else gettext("The text holds no OTRS calendar setting (TimeWorkingHours, TimeVacationDays, TimeZone).")
        )
        raise ValidationError(message, code="no_calendar")
    return values_of(calendars[chosen])


def values_of(found):
    values = {}
    if "hours" in found:
        values["working_hours"] = {day: found["hours"].get(day, "") for day in WEEKDAYS}
    if "recurring" in found or "once" in found:
        recurring = sorted(found.get("recurring", ()))
        once = sorted(found.get("once", ()))
        values["holidays"] = [f"{month:02d}-{day:02d}" for month, day in recurring] + [day.isoformat() for day in once]
    for key in ("time_zone", "name"):
        if key in found:
            values[key] = found[key]
    return values


class Settings:
    """What a text sets, per calendar (``None``: the default one), and the errors of its lines.

    OTRS 6's ``OTRSTimeZone`` is the zone of every calendar that has none of its own
    (``fallback_zone``), not a calendar: a ZZZAuto.pm with it and ``TimeWorkingHours::Calendar1``
    holds calendar 1 only."""

    def __init__(self, text):
        self.calendars = {}
        self.errors = []
        self.fallback_zone = None
        self.read(text)

    def of(self, number):
        if number is not None:
            number = str(int(number))  # Calendar01 is Calendar1
        return self.calendars.setdefault(number, {})

    def with_fallback_zone(self):
        """``calendars``, each with ``OTRSTimeZone`` where it sets no zone of its own (the default
        calendar's, if the text sets nothing else)."""
        if self.fallback_zone is None:
            return self.calendars
        calendars = self.calendars or {None: {}}
        return {number: {"time_zone": self.fallback_zone, **found} for number, found in calendars.items()}

    def fail(self, line, message):
        self.errors.append(line_error(line, message))

    def set_scalar(self, match, value, line):
        """``TimeZone…`` (a zone, or OTRS 5's offset in hours), ``TimeZone::CalendarNName`` or
        ``OTRSTimeZone`` (the zone of the calendars without one)."""
        value = value.strip()
        if not value:
            return  # OTRS 6: a calendar without a zone of its own counts in OTRSTimeZone
        if match["name"]:
            self.of(match["number"])["name"] = value
            return
        zone = zone_of_offset(value) if OFFSET.fullmatch(value) else value
        try:
            validate_time_zone(zone)
        except ValidationError as error:
            self.fail(line, error.messages[0])
        else:
            if match["base"] == "OTRSTimeZone":
                self.fallback_zone = zone
            else:
                self.of(match["number"])["time_zone"] = zone

    def set_hours(self, number, day, hours, line):
        weekday = OTRS_WEEKDAYS.get(str(day).strip().capitalize())
        if weekday is None:
            self.fail(
                line, gettext("%(day)s is not a weekday (Mon … Sun).") % {"day": Truncator(str(day)).chars(VALUE_SHOWN)}
            )
            return
        try:
            self.of(number).setdefault("hours", {})[weekday] = ranges_from_otrs_hours(" ".join(hours))
        except ValidationError as error:
            self.fail(line, error.messages[0])

    def add_holiday(self, number, written, line, *, once):
        date_text = "-".join(part.strip().zfill(2) for part in written.split("-"))  # OTRS writes 4, not 04
        shown = Truncator(written.strip()).chars(VALUE_SHOWN)  # as written, not as padded
        try:
            value = parse_holiday(date_text)
        except ValidationError as error:
            self.fail(line, ValidationError(error.message, params={"value": shown}).messages[0])
            return
        if isinstance(value, datetime.date) != once:
            self.fail(line, wrong_kind_message(shown, once))
            return
        self.of(number).setdefault("once" if once else "recurring", set()).add(value)

    def start_holidays(self, number, once):
        self.of(number).setdefault("once" if once else "recurring", set())


def wrong_kind_message(date_text, once):
    if once:
        return gettext("%(value)s has no year: TimeVacationDaysOneTime lists dates such as 2027-04-02.") % {
            "value": date_text
        }
    return gettext("%(value)s has a year: TimeVacationDays lists days of every year, such as 12-25.") % {
        "value": date_text
    }


def zone_of_offset(value):
    """OTRS 5's fixed offset in hours as an IANA zone: ``+2`` is ``Etc/GMT-2`` (POSIX's sign)."""
    hours = int(value)
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{-hours:+d}"


class PlainSettings(Settings):
    def read(self, text):
        number, section = None, None
        for line, raw in enumerate(text.splitlines(), 1):
            content = raw.strip()
            if not content or content.startswith("#"):
                continue
            setting = SETTING.match(content)
            rest = content[setting.end() :].strip() if setting else ""
            if setting and (not rest or rest[0] in ":="):
                value = rest[1:].strip() if rest else ""
                if setting["base"] in HASH_SETTINGS and not setting["name"]:
                    number, section = setting["number"], setting["base"]
                    if section != "TimeWorkingHours":
                        self.start_holidays(number, section == "TimeVacationDaysOneTime")
                    if value:
                        self.fail(
                            line,
                            gettext("Write the entries of %(setting)s on the lines below it.")
                            % {"setting": setting.group()},
                        )
                elif value:
                    self.set_scalar(setting, value, line)
                else:
                    self.fail(line, gettext("%(setting)s needs a value after a colon.") % {"setting": setting.group()})
                continue
            if date := PLAIN_DATE.fullmatch(content):
                once = date["date"].count("-") == 2
                if section in ("TimeVacationDays", "TimeVacationDaysOneTime"):
                    once_expected = section == "TimeVacationDaysOneTime"
                    if once != once_expected:
                        self.fail(line, wrong_kind_message(date["date"], once_expected))
                        continue
                self.add_holiday(number, date["date"], line, once=once)
                continue
            if weekday := PLAIN_WEEKDAY.fullmatch(content):
                self.set_hours(number, weekday["day"], weekday["hours"].replace(",", " ").split(), line)
                continue
            self.fail(line, gettext("%(text)s is no OTRS calendar setting.") % {"text": content[:60]})


class PerlSettings(Settings):
    """``$Self->{'Setting'} = …;`` statements: Perl's hashes, arrays, quoted strings and numbers."""

    def read(self, text):
        self.text = text
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        for statement in PERL_STATEMENT.finditer(text):
            setting = SETTING.fullmatch(statement["key"])
            if setting is None:
                continue  # another setting of a pasted ZZZAuto.pm
            line = self.line_at(statement.start())
            try:
                value, _end = self.value(statement.end())
            except ValidationError as error:
                self.errors.append(error)
                continue
            self.take(setting, value, line)

    def line_at(self, position):
        return bisect.bisect_right(self.line_starts, position)

    def token(self, position):
        match = PERL_TOKEN.match(self.text, position)
        if match is None:
            position = BLANKS.match(self.text, position).end()
            found = self.text[position : position + 20].strip().partition("\n")[0]
            raise line_error(
                self.line_at(position),
                gettext("Perl's hash, list or quoted text was expected, not %(text)s.")
                % {"text": found or gettext("the end")},
            )
        return match

    def value(self, position, depth=1):
        """The value at ``position`` (dict, list or ``Text``) and where it ends; ``depth``: how deep
        in hashes and lists it stands."""
        match = self.token(position)
        if match["string"] is not None:
            body = match["string"][1:-1]
            value = Text(re.sub(r"\\(.)", r"\1", body))
        elif match["word"] is not None:
            value = Text(match["word"])
        elif match["symbol"] in ("{", "[") and depth > MAX_DEPTH:
            raise line_error(
                self.line_at(match.start("symbol")),
                gettext("Hashes and lists are nested more than %(depth)d deep; OTRS's settings are not.")
                % {"depth": MAX_DEPTH},
            )
        elif match["symbol"] == "{":
            return self.items(match.end(), "}", dict, depth)
        elif match["symbol"] == "[":
            return self.items(match.end(), "]", list, depth)
        else:
            raise line_error(
                self.line_at(match.start("symbol")),
                gettext("Perl's hash, list or quoted text was expected, not %(text)s.") % {"text": match["symbol"]},
            )
        value.line = self.line_at(match.start(match.lastgroup))  # not the blank lines before it
        return value, match.end()

    def items(self, position, closing, kind, depth):
        found = {} if kind is dict else []
        while True:
            match = self.token(position)
            if match["symbol"] == closing:
                return found, match.end()
            if match["symbol"] == ",":
                position = match.end()
                continue
            value, position = self.value(position, depth + 1)
            if kind is list:
                found.append(value)
                continue
            if not isinstance(value, str):
                raise line_error(
                    self.line_at(match.start(match.lastgroup)),
                    gettext("A key of a hash is a quoted text or a number, not a hash or list."),
                )
            arrow = self.token(position)
            if arrow["symbol"] not in ("=>", ","):
                raise line_error(
                    self.line_at(arrow.start(arrow.lastgroup)), gettext("=> was expected after a key of a hash.")
                )
            item, position = self.value(arrow.end(), depth + 1)
            found[value] = item

    def take(self, setting, value, line):
        base, number = setting["base"], setting["number"]
        if base not in HASH_SETTINGS or setting["name"]:
            if isinstance(value, str):
                self.set_scalar(setting, value, line)
            else:
                self.fail(line, gettext("%(setting)s is a single value.") % {"setting": setting.group()})
            return
        if not isinstance(value, dict):
            self.fail(line, gettext("%(setting)s is a hash ({ … }).") % {"setting": setting.group()})
            return
        if base == "TimeWorkingHours":
            self.of(number).setdefault("hours", {})
            for day, hours in value.items():
                if not isinstance(hours, list):
                    self.fail(day.line, gettext("The hours of %(day)s are a list ([8, 9, …]).") % {"day": day})
                    continue
                self.set_hours(number, day, [str(hour) for hour in hours], day.line)
            return
        once = base == "TimeVacationDaysOneTime"
        self.start_holidays(number, once)
        for date_text, date_line in self.dates(value, 3 if once else 2):
            self.add_holiday(number, date_text, date_line, once=once)

    def dates(self, value, depth):
        """``("2027-4-2", line)`` of each day of a nested {year => {month => {day => name}}}."""
        for key, inner in value.items():
            if depth == 1:
                yield str(key), key.line
            elif isinstance(inner, dict):
                yield from ((f"{key}-{rest}", line) for rest, line in self.dates(inner, depth - 1))
            else:
                self.fail(key.line, gettext("%(key)s should hold a hash of days ({ … }).") % {"key": key})
