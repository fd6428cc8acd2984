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


# --- OTRS's calendar settings, pasted as its SysConfig or Config.pm writes them -------------

# Calendar 1 as OTRS writes it into Kernel/Config/Files/ZZZAuto.pm, with a setting of another kind
# before it (a whole file may be pasted).
ZZZAUTO = r"""
$Self->{'SecureMode'} =  '1';
$Self->{'TimeWorkingHours::Calendar1'} =  {
  'Fri' => [ '8', '9', '10', '11', '12', '13', '14' ],
  'Mon' => [ '8', '9', '10', '11', '13', '14', '15', '16' ],
  'Sat' => [],
  'Sun' => []
};
$Self->{'TimeVacationDays::Calendar1'} =  {
  '1' => { '1' => 'New Year\'s Day' },
  '12' => { '25' => 'First Christmas Day', '26' => 'Second Christmas Day' }
};
$Self->{'TimeVacationDaysOneTime::Calendar1'} =  { '2027' => { '4' => { '2' => 'Good Friday' } } };
$Self->{'TimeZone::Calendar1'} =  'Europe/Berlin';
$Self->{'TimeZone::Calendar1Name'} =  'Support Berlin';
"""


def test_otrs_zzzauto_settings_become_a_calendars_fields():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    # Mon 8..16 without 12 (lunch), Fri 8..14: whole hours read as ranges; days not listed are off.
    assert calendar_values_from_otrs(ZZZAUTO) == {
        "working_hours": {
            "mon": "08:00-12:00, 13:00-17:00",
            "tue": "",
            "wed": "",
            "thu": "",
            "fri": "08:00-15:00",
            "sat": "",
            "sun": "",
        },
        "holidays": ["01-01", "12-25", "12-26", "2027-04-02"],
        "time_zone": "Europe/Berlin",
        "name": "Support Berlin",
    }


def test_otrs_config_pm_settings_with_bare_keys_and_numbers():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    # Kernel/Config.pm as a person writes it; OTRS 5's TimeZone is a fixed offset in hours.
    config_pm = """
        $Self->{TimeWorkingHours} = { Mon => [8,9,10,11,12,13,14,15,16], Sat => [10, 11] };
        $Self->{TimeVacationDays} = { 12 => { 24 => "Christmas Eve" } };  # only Christmas Eve
        $Self->{TimeZone} = '+2';
    """
    values = calendar_values_from_otrs(config_pm)
    assert values["working_hours"]["mon"] == "08:00-17:00"
    assert values["working_hours"]["sat"] == "10:00-12:00"
    assert values["holidays"] == ["12-24"]
    assert values["time_zone"] == "Etc/GMT-2"  # POSIX's sign: two hours east of UTC, no daylight saving
    assert calendar_values_from_otrs("$Self->{'TimeZone'} = '0';")["time_zone"] == "UTC"


def test_otrs_settings_as_plain_sysconfig_lines():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    plain = """
        TimeWorkingHours::Calendar2
        Mon: 8 9 10 11 13 14 15 16
        Tue: 8 9 10 11 13 14 15 16
        TimeVacationDays::Calendar2
        12-25 First Christmas Day
        1-1: New Year
        TimeVacationDaysOneTime::Calendar2
        2027-04-02 Good Friday
        TimeZone::Calendar2: America/New_York
    """
    values = calendar_values_from_otrs(plain)
    assert values["working_hours"]["tue"] == "08:00-12:00, 13:00-17:00"
    assert values["working_hours"]["wed"] == ""
    assert values["holidays"] == ["01-01", "12-25", "2027-04-02"]
    assert values["time_zone"] == "America/New_York"
    # Lines before any setting's name are the default calendar's; only what the text sets is given.
    assert calendar_values_from_otrs("Mon: 9 10\nFri: 9") == {
        "working_hours": {
            "mon": "09:00-11:00",
            "tue": "",
            "wed": "",
            "thu": "",
            "fri": "09:00-10:00",
            "sat": "",
            "sun": "",
        }
    }


def test_several_otrs_calendars_are_chosen_by_number():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    text = "TimeWorkingHours::Calendar1\nMon: 8\nTimeWorkingHours::Calendar3\nMon: 9"
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(text)
    assert refused.value.messages == ["The settings hold calendars 1, 3; choose one."]
    assert calendar_values_from_otrs(text, 3)["working_hours"]["mon"] == "09:00-10:00"
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(text, 2)
    assert refused.value.messages == ["The settings hold no calendar 2."]


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "Mon: 8 9 25\nFunday: 8\n12-32\nhello world\nTimeZone: Mars/Olympus",
            [
                "Line 1: OTRS lists working hours as whole hours from 0 to 23.",
                "Line 2: Fun is not a weekday (Mon … Sun).",
                "Line 3: 12-32 is no date such as 12-25 (every year) or 2027-04-02 (once).",
                "Line 4: hello world is no OTRS calendar setting.",
                "Line 5: Mars/Olympus is no time zone; use an IANA name such as Europe/Berlin.",
            ],
        ),
        (
            "TimeVacationDays\n2027-04-02\nTimeVacationDaysOneTime\n04-02",
            [
                "Line 2: 2027-04-02 has a year: TimeVacationDays lists days of every year, such as 12-25.",
                "Line 4: 04-02 has no year: TimeVacationDaysOneTime lists dates such as 2027-04-02.",
            ],
        ),
        (
            "$Self->{'TimeWorkingHours'} = {\n  'Mon' => [ '8', '9' },\n};",
            ["Line 2: Perl's hash, list or quoted text was expected, not }."],
        ),
        (
            "$Self->{'TimeWorkingHours'} = {\n  'Mon' => '8 9',\n};\n$Self->{'TimeZone'} = { 'x' => 1 };",
            ["Line 2: The hours of Mon are a list ([8, 9, …]).", "Line 4: TimeZone is a single value."],
        ),
        ("", ["The text holds no OTRS calendar setting (TimeWorkingHours, TimeVacationDays, TimeZone)."]),
    ],
)
def test_wrong_otrs_settings_are_named_by_their_line(text, messages):
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(text)
    assert refused.value.messages == messages


# --- Hostile or unusual input: refused by line, never an error page -----------------------------


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe", "Europe"),  # a folder of zones, not a zone
        ("America/Argentina", "America/Argentina"),
        ("x" * 300, "x" * 69 + "…"),  # longer than a file's name may be; the message repeats its start
    ],
)
def test_a_time_zone_that_is_a_folder_or_too_long_is_refused(zone, shown):
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    message = f"{shown} is no time zone; use an IANA name such as Europe/Berlin."
    calendar = Calendar(name="Office", time_zone=zone, working_hours={"mon": "08:00-17:00"})
    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()
    assert message in refused.value.message_dict["time_zone"]
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(f"TimeWorkingHours\nMon: 8 9\nTimeZone: {zone}")
    assert refused.value.messages == [f"Line 3: {message}"]
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(f"$Self->{{'TimeZone'}} = '{zone}';")
    assert refused.value.messages == [f"Line 1: {message}"]


@pytest.mark.parametrize("text", ["99999999999999999999-1", "1-99999999999999999999", "2027-99999999999999999999-1"])
def test_a_holiday_with_a_huge_number_is_no_date(text):
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    message = f"{text} is no date such as 12-25 (every year) or 2027-04-02 (once)."
    with pytest.raises(ValidationError) as refused:
        Calendar(name="Office", working_hours={"mon": "08:00-17:00"}, holidays=[text]).full_clean()
    assert refused.value.message_dict["holidays"] == [message]
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(f"TimeVacationDays{'OneTime' if text.count('-') == 2 else ''}\n{text}")
    assert refused.value.messages == [f"Line 2: {message}"]
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs("$Self->{'TimeVacationDays'} = {\n  '99999999999999999999' => { '1' => 'x' },\n};")
    assert refused.value.messages == [
        "Line 2: 99999999999999999999-1 is no date such as 12-25 (every year) or 2027-04-02 (once)."
    ]
    # A key of thousands of digits: the message repeats its start.
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(f"$Self->{{'TimeVacationDays'}} = {{ '{'9' * 5000}' => {{ '1' => 'x' }} }};")
    assert refused.value.messages == [
        f"Line 1: {'9' * 69}… is no date such as 12-25 (every year) or 2027-04-02 (once)."
    ]


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        # A hash or list where a key goes.
        (
            "$Self->{'TimeWorkingHours'} = {\n  {} => [] };",
            ["Line 2: A key of a hash is a quoted text or a number, not a hash or list."],
        ),
        (
            "$Self->{'TimeVacationDays'} = { '12' => { [1] => 'x' } };",
            ["Line 1: A key of a hash is a quoted text or a number, not a hash or list."],
        ),
        # Nested deeper than any setting of OTRS (3 levels) by far.
        (
            "$Self->{'TimeWorkingHours'} =\n" + "[" * 3000 + "]" * 3000 + ";",
            ["Line 2: Hashes and lists are nested more than 6 deep; OTRS's settings are not."],
        ),
    ],
)
def test_hostile_perl_is_named_by_its_line(text, messages):
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(text)
    assert refused.value.messages == messages


def test_otrs_calendar_numbers_are_one_or_two_digits():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    # OTRS numbers its calendars 1 to 9: a setting with 5,000 digits is none of the calendar's.
    huge = "TimeWorkingHours::Calendar" + "9" * 5000
    perl = f"$Self->{{'{huge}'}} = {{ Mon => [8] }};\n$Self->{{'TimeWorkingHours::Calendar2'}} = {{ Tue => [9] }};"
    assert calendar_values_from_otrs(perl)["working_hours"]["tue"] == "09:00-10:00"
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(f"{huge}\nMon: 8\nTimeWorkingHours::Calendar2\nTue: 9")
    assert refused.value.messages == [f"Line 1: {huge[:60]} is no OTRS calendar setting."]
    # Calendar01 is calendar 1, as the form's choice names it.
    assert calendar_values_from_otrs("TimeWorkingHours::Calendar01\nMon: 8", "1")["working_hours"]["mon"] == (
        "08:00-09:00"
    )


def test_a_long_line_of_blanks_is_refused_not_backtracked_over():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    # The weekday's pattern once had three runs that could each take these blanks: this line kept it
    # busy for days. It is no setting, and is named as such at once.
    line = "Mon" + " " * 100_000 + "x"
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(line)
    assert refused.value.messages == [f"Line 1: {line[:60]} is no OTRS calendar setting."]
    # Blanks, colons and commas where people write them still read.
    assert calendar_values_from_otrs("Monday :  8, 9\nTue=10 11\nWed\t9\nThu:\n12-25:  Christmas") == {
        "working_hours": {
            "mon": "08:00-10:00",
            "tue": "10:00-12:00",
            "wed": "09:00-10:00",
            "thu": "",
            "fri": "",
            "sat": "",
            "sun": "",
        },
        "holidays": ["12-25"],
    }


def test_a_long_text_is_refused_and_a_long_paste_names_its_lines():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs("#" * 200_001)
    assert refused.value.messages == [
        "The text is 200,001 characters long; paste at most 200,000, the calendar settings only."
    ]
    # Thousands of wrong lines: the first 20 are named, the rest counted.
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs("hello world\n" * 5000)
    assert refused.value.messages == [
        *(f"Line {line}: hello world is no OTRS calendar setting." for line in range(1, 21)),
        "… and 4980 more.",
    ]
    # A ZZZAuto.pm of many settings: the line of a mistake near its end is still counted right.
    settings = "".join(f"$Self->{{'Setting{number}'}} = '{number}';\n" for number in range(5000))
    text = settings + "$Self->{'TimeWorkingHours'} = {\n  'Mon' => '8 9',\n};"
    assert len(text) < 200_000
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(text)
    assert refused.value.messages == ["Line 5002: The hours of Mon are a list ([8, 9, …])."]


def test_otrs_time_zone_is_the_zone_of_every_calendar_without_its_own():
    from otrs_customer_admin.models.calendar_sysconfig import calendar_values_from_otrs

    # OTRS 6's ZZZAuto.pm: calendar 1 and the system's zone, no calendar chosen.
    plain = "TimeWorkingHours::Calendar1\nMon: 8 9\nOTRSTimeZone: Europe/Berlin"
    perl = (
        "$Self->{'TimeWorkingHours::Calendar1'} = { 'Mon' => [ '8', '9' ] };\n"
        "$Self->{'OTRSTimeZone'} = 'Europe/Berlin';"
    )
    calendar_1 = {
        "working_hours": {"mon": "08:00-10:00", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "", "sun": ""},
        "time_zone": "Europe/Berlin",
    }
    assert calendar_values_from_otrs(plain) == calendar_1
    assert calendar_values_from_otrs(perl) == calendar_1
    assert calendar_values_from_otrs(perl, 1) == calendar_1
    # A calendar's own zone wins, whichever comes first.
    own = "OTRSTimeZone: Europe/Berlin\nTimeZone::Calendar1: America/New_York\n" + plain
    assert calendar_values_from_otrs(own)["time_zone"] == "America/New_York"
    assert calendar_values_from_otrs("OTRSTimeZone: Europe/Berlin") == {"time_zone": "Europe/Berlin"}
    with pytest.raises(ValidationError) as refused:
        calendar_values_from_otrs(plain + "\nTimeWorkingHours::Calendar2\nTue: 8")
    assert refused.value.messages == ["The settings hold calendars 1, 2; choose one."]
