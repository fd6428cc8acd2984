"""The calendar admin: its list, its form of weekday fields and holiday lines (or OTRS's settings
pasted), the week view and the sample deadline check on its change page, the permissions; and the
calendar of an SLA in the SLA admin."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.admin.navigation import sidebar_group
from otrs_customer_admin.models import SLA, Calendar, Validity
from tests.markup import attribute, document, element, elements, text
from tests.test_admin_tickets import sla_form

pytestmark = pytest.mark.django_db

CALENDARS = reverse("admin:otrs_customer_admin_calendar_changelist")
CALENDAR_ADD = reverse("admin:otrs_customer_admin_calendar_add")
SLAS = reverse("admin:otrs_customer_admin_sla_changelist")
SLA_ADD = reverse("admin:otrs_customer_admin_sla_add")
OFFICE_WEEK = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def make_calendar(name="Office", **fields):
    values = {"time_zone": "Europe/Berlin", "working_hours": OFFICE_WEEK, **fields}
    return Calendar.objects.create(name=name, **values)


def change_url(obj):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_change", args=[obj.pk])


def calendar_form(**fields):
    data = {
        "name": "Office",
        "time_zone": "Europe/Berlin",
        "valid": "1",
        "comment": "",
        "public_holidays_country": "",
        "public_holidays_subdivision": "",
        "holidays": "",
        "otrs_settings": "",
        "otrs_calendar": "",
        **{day: "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    data.update(fields)
    return data


def staff(*codenames):
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="otrs_customer_admin", codename__in=codenames)
    )
    return user


def form_errors(response):
    return response.context["adminform"].form.errors


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_each_calendars_week_country_and_slas(admin_client):
    office = make_calendar(public_holidays_country="DE", public_holidays_subdivision="BY")
    make_calendar(
        "Shop", time_zone="America/New_York", working_hours={**OFFICE_WEEK, "fri": "08:00-12:00", "sat": "09:00-12:00"}
    )
    SLA.objects.create(name="Gold", calendar=office)
    SLA.objects.create(name="Silver", calendar=office)
    rows = elements(document(admin_client.get(CALENDARS)), "tr")[1:]
    assert [[text(cell) for cell in elements(row, "td")][1:6] for row in rows] == [  # after the checkbox
        ["Europe/Berlin", "Mon\N{EN DASH}Fri 08:00-17:00", "Germany (BY)", "2", "valid"],
        ["America/New_York", "Mon\N{EN DASH}Thu 08:00-17:00; Fri 08:00-12:00; Sat 09:00-12:00", "-", "0", "valid"],
    ]


def test_the_list_asks_no_query_per_calendar(admin_client):
    make_calendar()
    admin_client.get(CALENDARS)  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CALENDARS)
    for number in range(5):
        SLA.objects.create(name=f"SLA {number}", calendar=make_calendar(f"Calendar {number}"))
    with CaptureQueriesContext(connection) as many:
        assert len(admin_client.get(CALENDARS).context["cl"].result_list) == 6
    assert len(many) == len(few)


def test_the_list_searches_names_and_hides_invalid_calendars(admin_client):
    make_calendar()
    make_calendar("Old office", valid=Validity.INVALID)
    make_calendar("Shop")

    def names(**query):
        return [obj.name for obj in admin_client.get(CALENDARS, query).context["cl"].result_list]

    assert names() == ["Office", "Shop"]
    assert names(validity="all") == ["Office", "Old office", "Shop"]
    assert names(validity="all", q="off*") == ["Office", "Old office"]


def test_calendars_are_in_the_navigation_next_to_slas():
    items = [item["link"] for item in sidebar_group()["items"]]
    assert items.index(CALENDARS) == items.index(SLAS) + 1


# --- the form ------------------------------------------------------------------------


def test_a_calendar_is_entered_by_weekday_and_holiday_lines(admin_client):
    response = admin_client.post(
        CALENDAR_ADD,
        calendar_form(mon="8-12; 13:00-17:00", fri="08:00-15:00", holidays="12-25\n\n2027-04-02\n"),
    )
    assert response.status_code == 302
    office = Calendar.objects.get()
    assert office.working_hours == {
        "mon": "08:00-12:00, 13:00-17:00",
        "tue": "",
        "wed": "",
        "thu": "",
        "fri": "08:00-15:00",
        "sat": "",
        "sun": "",
    }
    assert office.holidays == ["12-25", "2027-04-02"]
    response = admin_client.get(change_url(office))
    assert attribute(element(document(response), "input", name="mon"), "value") == "08:00-12:00, 13:00-17:00"
    assert "12-25\n2027-04-02</textarea>" in response.content.decode()  # a holiday a line


def test_wrong_hours_and_holidays_are_named_at_their_fields_and_nothing_changes(admin_client):
    office = make_calendar(holidays=["12-25"])
    response = admin_client.post(
        change_url(office), calendar_form(mon="08:00-17:00", tue="17-8", holidays="12-24\n13-01", time_zone="Mars")
    )
    assert response.status_code == 200
    assert form_errors(response) == {
        "tue": ["17-8 ends before it starts."],
        "holidays": ["Line 2: 13-01 is no date such as 12-25 (every year) or 2027-04-02 (once)."],
        "time_zone": ["Mars is no time zone; use an IANA name such as Europe/Berlin."],
    }
    office.refresh_from_db()
    assert (office.working_hours, office.holidays, office.time_zone) == (OFFICE_WEEK, ["12-25"], "Europe/Berlin")


def test_a_calendar_without_working_time_is_refused(admin_client):
    response = admin_client.post(CALENDAR_ADD, calendar_form())
    assert response.status_code == 200
    assert form_errors(response) == {"__all__": ["A calendar needs working time on at least one weekday."]}
    assert not Calendar.objects.exists()


ZZZAUTO = r"""$Self->{'SecureMode'} =  '1';
$Self->{'TimeWorkingHours::Calendar1'} =  {
  'Mon' => [ '8', '9', '10', '11', '13', '14', '15', '16' ],
  'Tue' => [ '8', '9', '10', '11', '13', '14', '15', '16' ],
  'Sat' => []
};
$Self->{'TimeVacationDays::Calendar1'} =  { '12' => { '25' => 'First Christmas Day' } };
$Self->{'TimeVacationDaysOneTime::Calendar1'} =  { '2027' => { '4' => { '2' => 'Good Friday' } } };
$Self->{'TimeZone::Calendar1'} =  'America/New_York';
$Self->{'TimeZone::Calendar1Name'} =  'Support';
"""


def test_pasted_otrs_settings_fill_the_calendar(admin_client):
    # The weekday fields typed in the form are replaced by what the pasted settings set.
    response = admin_client.post(CALENDAR_ADD, calendar_form(name="", wed="08:00-17:00", otrs_settings=ZZZAUTO))
    assert response.status_code == 302
    support = Calendar.objects.get()
    assert support.name == "Support"
    assert support.time_zone == "America/New_York"
    assert support.working_hours["mon"] == support.working_hours["tue"] == "08:00-12:00, 13:00-17:00"
    assert support.working_hours["wed"] == ""
    assert support.holidays == ["12-25", "2027-04-02"]


def test_wrong_otrs_settings_are_named_by_line_and_nothing_is_saved(admin_client):
    pasted = "TimeWorkingHours\nMon: 8 9 10\nTue: 8 9 24\nTimeZone: Europe/Berlin\n"
    response = admin_client.post(CALENDAR_ADD, calendar_form(otrs_settings=pasted))
    assert response.status_code == 200
    assert form_errors(response) == {"otrs_settings": ["Line 3: OTRS lists working hours as whole hours from 0 to 23."]}
    kept = text(element(document(response), "textarea", name="otrs_settings"))
    assert kept == "TimeWorkingHours Mon: 8 9 10 Tue: 8 9 24 TimeZone: Europe/Berlin"  # to be corrected
    response = admin_client.post(CALENDAR_ADD, calendar_form(name="", otrs_settings="Mon: 8"))
    assert form_errors(response) == {"name": ["This field is required."]}
    assert not Calendar.objects.exists()


# --- the week view and the sample deadline check ---------------------------------------


def test_the_change_page_shows_the_week_as_a_table(admin_client):
    office = make_calendar(working_hours={**OFFICE_WEEK, "wed": "08:00-12:30", "sat": "10:00-12:00"})
    table = element(document(admin_client.get(change_url(office))), "table", class_="otrs-week")
    headers = [text(cell) for cell in elements(element(table, "thead"), "th")]
    assert headers == ["Hour", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday (day off)"]
    rows = {text(element(row, "th")): [text(cell) for cell in elements(row, "td")] for row in elements(table, "tr")[1:]}
    assert list(rows) == [f"{hour:02d}:00" for hour in range(8, 17)]  # from the week's first hour to its last
    assert rows["08:00"] == ["working", "working", "working", "working", "working", "", ""]
    assert rows["10:00"] == ["working"] * 6 + [""]
    assert rows["12:00"] == ["working", "working", "12:00-12:30", "working", "working", "", ""]
    assert rows["16:00"] == ["working", "working", "", "working", "working", "", ""]


def check(client, office, **query):
    return document(client.get(change_url(office), {"check_hours": "4", "check_minutes": "0", **query}))


def test_the_sample_check_shows_the_deadline_in_working_time(admin_client):
    # OTRS: TimeWorkingHours Mon-Fri 8..16; Friday 16:00 + 4 hours is Monday 11:00.
    office = make_calendar(time_zone="America/New_York")
    result = element(check(admin_client, office, check_start="2026-12-04T16:00"), "dl", class_="otrs-deadline-result")
    values = [text(value) for value in elements(result, "dd")]
    assert [text(term) for term in elements(result, "dt")] == [
        "Deadline (America/New_York)",
        "Deadline (Europe/Berlin)",
        "2 days without working time skipped:",
    ]
    assert values[0] == "Mon, Dec. 7, 2026, 11 a.m."
    assert values[1] == "Mon, Dec. 7, 2026, 5 p.m."  # the same moment on the site's clock
    assert values[2] == "Sat 12/05/2026, Sun 12/06/2026"
    assert attribute(element(elements(result, "dd")[0], "time"), "datetime") == "2026-12-07T11:00:00-05:00"


def test_the_sample_check_counts_holidays_as_days_off(admin_client):
    office = make_calendar(holidays=["12-25", "2026-12-24"])
    result = element(check(admin_client, office, check_start="2026-12-23T16:00"), "dl", class_="otrs-deadline-result")
    assert text(elements(result, "dd")[0]) == "Mon, Dec. 28, 2026, 11 a.m."


def test_bad_sample_input_gets_a_message_not_an_error_page(admin_client):
    office = make_calendar()
    page = check(admin_client, office, check_start="tomorrow", check_hours="-1", check_minutes="75")
    errors = [text(error) for error in elements(page, "p", class_="text-red-600")]
    assert errors == [
        "Enter a valid date/time.",
        "Ensure this value is greater than or equal to 0.",
        "Ensure this value is less than or equal to 59.",
    ]
    page = check(admin_client, office, check_start="2026-12-04T16:00", check_hours="10001")
    assert [text(error) for error in elements(page, "p", class_="text-red-600")] == [
        "Ensure this value is less than or equal to 10000."
    ]
    assert not elements(page, "dl", class_="otrs-deadline-result")


def test_a_calendar_with_errors_or_no_working_time_in_reach_gets_a_message(admin_client):
    # Saved before the rules were checked: a holiday that is no date.
    broken = make_calendar("Broken", holidays=["02-30"])
    page = check(admin_client, broken, check_start="2026-12-04T16:00")
    assert "This calendar cannot count working time until its errors are corrected." in text(page)
    # Mondays only, and every Monday of the next years a day off: no working time to count in.
    first_monday = datetime.date(2026, 12, 7)
    mondays = [(first_monday + datetime.timedelta(weeks=week)).isoformat() for week in range(53 * 4)]
    idle = make_calendar("Idle", working_hours={"mon": "08:00-09:00"}, holidays=mondays)
    page = check(admin_client, idle, check_start="2026-12-04T16:00")
    assert "This calendar has no working time in reach of that start." in text(page)
    assert not elements(page, "dl", class_="otrs-deadline-result")


def check_messages(page):
    return [text(error) for error in elements(page, "p", class_="text-red-600")]


def test_a_start_at_the_end_of_the_year_9999_gets_a_message_not_an_error_page(admin_client):
    office = make_calendar(time_zone="America/New_York")
    for start, hours in (("9999-12-31T10:00", "0"), ("9999-12-31T10:00", "4"), ("9999-12-31T23:00", "0")):
        page = check(admin_client, office, check_start=start, check_hours=hours)
        assert check_messages(page) == ["That is too close to the end of the year 9999 to count."], start
        assert not elements(page, "dl", class_="otrs-deadline-result")


def test_a_deadline_more_than_five_years_after_the_start_is_refused(admin_client):
    # A minute of working time a week: 10,000 hours would be 11,500 years of Mondays to count.
    minute = make_calendar("A minute a week", working_hours={"mon": "08:00-08:01"})
    page = check(admin_client, minute, check_start="2026-12-04T16:00", check_hours="10000")
    assert check_messages(page) == [
        "That deadline lies more than five years after the start; the check counts no further."
    ]
    assert not elements(page, "dl", class_="otrs-deadline-result")
    # Within five years it counts: 4 hours are 240 Mondays, Dec. 7, 2026 the first.
    page = check(admin_client, minute, check_start="2026-12-04T16:00", check_hours="4")
    result = element(page, "dl", class_="otrs-deadline-result")
    assert attribute(element(elements(result, "dd")[0], "time"), "datetime") == "2031-07-07T08:01:00+02:00"


def test_the_sample_start_is_read_on_the_calendars_clock_not_the_sites(admin_client):
    def deadline(page):
        return attribute(
            element(elements(element(page, "dl", class_="otrs-deadline-result"), "dd")[0], "time"), "datetime"
        )

    new_york = make_calendar(time_zone="America/New_York", working_hours={"sun": "00:00-24:00"})
    # 02:30 on 2026-03-29 never happens in Berlin (the site's zone), but does in New York.
    assert deadline(check(admin_client, new_york, check_start="2026-03-29T02:30")) == "2026-03-29T06:30:00-04:00"
    # On 2026-03-08 New York's clocks skip from 2:00 to 3:00: a message, no deadline.
    page = check(admin_client, new_york, check_start="2026-03-08T02:30")
    assert check_messages(page) == ["2026-03-08 02:30 does not exist in America/New_York: the clocks skip it."]
    assert not elements(page, "dl", class_="otrs-deadline-result")
    # On 2026-11-01 1:30 happens twice in New York: the first (summer time), and an hour later is
    # the second 1:30.
    page = check(admin_client, new_york, check_start="2026-11-01T01:30", check_hours="1")
    assert deadline(page) == "2026-11-01T01:30:00-05:00"
    # The same in the site's own zone, where Django's form refuses a time that happens twice.
    berlin = make_calendar("Berlin", working_hours={"sun": "00:00-24:00"})
    page = check(admin_client, berlin, check_start="2026-10-25T02:30", check_hours="1")
    assert deadline(page) == "2026-10-25T02:30:00+01:00"


def test_a_stored_time_zone_that_names_a_folder_gets_a_message(admin_client):
    office = make_calendar()
    Calendar.objects.filter(pk=office.pk).update(time_zone="Europe")  # stored around the form's checks
    page = check(admin_client, office, check_start="2026-12-04T16:00")
    assert check_messages(page) == ["This calendar cannot count working time until its errors are corrected."]


# --- permissions ---------------------------------------------------------------------


def test_a_user_who_may_only_view_sees_the_week_and_checks_deadlines(client):
    office = make_calendar()
    client.force_login(staff("view_calendar"))
    page = check(client, office, check_start="2026-12-04T16:00")
    assert elements(page, "table", class_="otrs-week")
    assert text(elements(element(page, "dl", class_="otrs-deadline-result"), "dd")[0]) == "Mon, Dec. 7, 2026, 11 a.m."
    assert not elements(page, "input", name="mon")  # read only
    assert not elements(page, "textarea", name="otrs_settings")
    assert "Monday 08:00-17:00" in text(page)
    assert "Saturday day off" in text(page)
    response = client.post(change_url(office), calendar_form(mon="09:00-10:00"))
    assert response.status_code == 403
    assert client.get(CALENDAR_ADD).status_code == 403
    delete = reverse("admin:otrs_customer_admin_calendar_delete", args=[office.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    office.refresh_from_db()
    assert office.working_hours == OFFICE_WEEK


def test_a_user_without_calendar_permissions_gets_no_calendar_page(client):
    office = make_calendar()
    client.force_login(staff("view_sla"))
    assert client.get(CALENDARS).status_code == 403
    assert client.get(change_url(office), {"check_start": "2026-12-04T16:00", "check_hours": "4"}).status_code == 403
    assert client.post(CALENDAR_ADD, calendar_form(mon="08:00-17:00", name="Mine")).status_code == 403
    assert list(Calendar.objects.values_list("name", flat=True)) == ["Office"]


def test_a_user_without_calendar_permissions_starts_no_count(client):
    # The permission is checked before the sample check counts (this start would overflow).
    office = make_calendar(time_zone="America/New_York")
    client.force_login(staff("view_sla"))
    response = client.get(change_url(office), {"check_start": "9999-12-31T10:00", "check_hours": "0"})
    assert response.status_code == 403


def test_add_and_change_need_their_permissions(client):
    office = make_calendar()
    client.force_login(staff("view_calendar", "add_calendar", "change_calendar"))
    assert client.post(CALENDAR_ADD, calendar_form(name="Shop", sat="10-14")).status_code == 302
    assert client.post(change_url(office), calendar_form(mon="09:00-10:00")).status_code == 302
    office.refresh_from_db()
    assert office.working_hours["mon"] == "09:00-10:00"
    assert Calendar.objects.get(name="Shop").working_hours["sat"] == "10:00-14:00"


# --- an SLA's calendar -------------------------------------------------------------------


def test_an_sla_is_given_a_valid_calendar(admin_client):
    office = make_calendar()
    retired = make_calendar("Retired", valid=Validity.INVALID)
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "otrs_customer_admin", "model_name": "sla", "field_name": "calendar", "term": ""},
    )
    assert [item["text"] for item in response.json()["results"]] == ["Office"]
    response = admin_client.post(SLA_ADD, sla_form(solution_time="240", calendar=str(retired.pk)))
    assert form_errors(response) == {"calendar": ["Retired is not valid; choose a valid calendar."]}
    assert admin_client.post(SLA_ADD, sla_form(solution_time="240", calendar=str(office.pk))).status_code == 302
    assert SLA.objects.get().calendar == office


def test_the_sla_list_names_the_calendar_and_filters_by_it(admin_client):
    office = make_calendar()
    SLA.objects.create(name="Gold", calendar=office)
    SLA.objects.create(name="Silver")
    rows = elements(document(admin_client.get(SLAS)), "tr")[1:]
    assert [[text(cell) for cell in elements(row, "td")][4] for row in rows] == ["Office", "Around the clock"]

    def names(**query):
        return [sla.name for sla in admin_client.get(SLAS, query).context["cl"].result_list]

    assert names(calendar=office.pk) == ["Gold"]
    assert names(calendar="none") == ["Silver"]
    assert names(calendar="x") == ["Gold", "Silver"]


def test_the_sla_list_asks_no_query_per_calendar(admin_client):
    SLA.objects.create(name="Gold", calendar=make_calendar())
    admin_client.get(SLAS)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(SLAS)
    for number in range(5):
        SLA.objects.create(name=f"SLA {number}", calendar=make_calendar(f"Calendar {number}"))
    with CaptureQueriesContext(connection) as many:
        admin_client.get(SLAS)
    assert len(many) == len(few)


RTL_NAME = "ساعات العمل"  # Arabic: isolated, so that it does not reorder the text around it


def test_calendar_names_are_isolated_wherever_the_admin_shows_them(admin_client):
    arabic = make_calendar(RTL_NAME)
    SLA.objects.create(name="Gold", calendar=arabic)
    row = elements(document(admin_client.get(CALENDARS)), "tr")[1]
    assert text(element(element(row, "a"), "bdi")) == RTL_NAME  # the name column, linked to the calendar
    row = elements(document(admin_client.get(SLAS)), "tr")[1]
    assert text(element(elements(row, "td")[4], "bdi")) == RTL_NAME
    # The SLA list's calendar filter: text, isolated by U+2068 ... U+2069.
    assert "\u2068" + RTL_NAME + "\u2069" in admin_client.get(SLAS).content.decode()
    caption = element(document(admin_client.get(change_url(arabic))), "caption")
    assert text(element(caption, "bdi")) == RTL_NAME


# --- new deadlines after a save -------------------------------------------------------------


def friday_ticket(sla):
    from tests.factories import make_customer, make_ticket

    friday_16 = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)  # 16:00 in Berlin
    return make_ticket(make_customer(), sla=sla, created_at=friday_16)


def test_without_jobs_saving_a_calendar_gives_its_open_tickets_new_deadlines_at_once(admin_client):
    office = make_calendar()
    ticket = friday_ticket(SLA.objects.create(name="Gold", solution_time=240, calendar=office))
    assert ticket.escalation_at == datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC)  # Monday 11:00
    week = {day: OFFICE_WEEK.get(day, "") for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    response = admin_client.post(change_url(office), calendar_form(**{**week, "sat": "09:00-13:00"}))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.escalation_at == datetime.datetime(2026, 11, 28, 11, 0, tzinfo=datetime.UTC)  # Saturday 12:00


def test_with_jobs_saving_an_sla_queues_the_recompute_and_links_its_job(admin_client, settings, tmp_path):
    from otrs_customer_admin.models import Job

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    office = make_calendar()
    sla = SLA.objects.create(name="Gold", solution_time=240)
    ticket = friday_ticket(sla)
    before = ticket.escalation_at
    data = sla_form(solution_time="240", calendar=str(office.pk))
    response = admin_client.post(change_url(sla), data, follow=True)
    assert response.status_code == 200
    job = Job.objects.get(kind=Job.Kind.RECOMPUTE)
    assert job.options["sla"] == sla.pk
    messages = [str(message) for message in response.context["messages"]]
    assert any("get their new deadlines in the background" in message for message in messages), messages
    assert reverse("admin:otrs_customer_admin_job_change", args=[job.pk]) in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.escalation_at == before  # the job's work, not the request's
    # A save that moves no deadline queues nothing.
    admin_client.post(
        change_url(sla), {**data, "comment": "Key accounts", "first_response_time": "", "update_time": ""}
    )
    assert Job.objects.filter(kind=Job.Kind.RECOMPUTE).count() == 1


def test_with_jobs_a_calendar_save_that_moves_no_deadline_queues_nothing(admin_client, settings, tmp_path):
    from otrs_customer_admin.models import Job

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    # Made in code, in a short form ("8-17", weekdays left out): the form writes it out in full.
    office = make_calendar(working_hours={"mon": "8-17"})
    SLA.objects.create(name="Gold", solution_time=240, calendar=office)
    spare = make_calendar(name="Spare")
    week = {"mon": "08:00-17:00"}
    admin_client.post(change_url(office), calendar_form(comment="Berlin", **week))
    assert not Job.objects.exists()
    # Hours changed, but no SLA counts in the calendar: no ticket to give new deadlines.
    admin_client.post(change_url(spare), calendar_form(name="Spare", sat="09:00-13:00"))
    assert not Job.objects.exists()
    admin_client.post(change_url(office), calendar_form(comment="Berlin", sat="09:00-13:00", **week))
    assert Job.objects.filter(kind=Job.Kind.RECOMPUTE, options__calendar=office.pk).count() == 1
