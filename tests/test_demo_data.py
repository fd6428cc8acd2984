"""The demo data: ``load_demo_data`` (believable, repeatable, cheap in queries) and ``demo_superuser``."""

import json
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otrs_customer_admin.datasources import default_data_source_key
from otrs_customer_admin.demo import DemoDataGenerator
from otrs_customer_admin.demo.generator import _CustomerInfo
from otrs_customer_admin.models import (
    CLOSED_STATES,
    PENDING_STATES,
    SLA,
    Calendar,
    Customer,
    CustomerGroup,
    CustomerUser,
    DynamicField,
    Ticket,
    TicketState,
    Validity,
)
from tests.teams import make_agent

SMALL = {"customers": 6, "customer_users": 15, "tickets": 40}


def load(**options):
    out = StringIO()
    call_command("load_demo_data", stdout=out, **options)
    return out.getvalue()


def counts():
    return (SLA.objects.count(), Customer.objects.count(), CustomerUser.objects.count(), Ticket.objects.count())


@pytest.mark.django_db
def test_small_run_creates_the_requested_numbers_and_reports_them():
    output = load(**SMALL)

    assert counts() == (3, 6, 15, 40)
    assert "Customers: 6 created, 0 already present" in output
    assert "Customer users: 15 created, 0 already present" in output
    assert "Tickets: 40 created, 0 already present" in output
    assert "SLAs: 3 created, 0 already present" in output
    assert re.search(r"^Demo data loaded in \d+\.\d seconds\.$", output, re.M), output
    # Even a small run shows every ticket state and every validity.
    assert set(Ticket.objects.values_list("state", flat=True)) == set(TicketState.values)
    assert set(Customer.objects.values_list("valid", flat=True)) == set(Validity.values)


@pytest.mark.django_db
def test_default_run_is_believable():
    load()

    assert Customer.objects.count() == 50
    assert CustomerUser.objects.count() == 300
    assert Ticket.objects.count() == 2000
    assert set(SLA.objects.values_list("name", flat=True)) == {"Gold", "Silver", "Bronze"}

    # Customers: several countries, all three validities (mostly valid), https URLs, some comments.
    validities = dict(Customer.objects.values_list("valid").annotate(n=Count("pk")))
    assert set(validities) == set(Validity.values)
    assert validities[Validity.VALID] > 50 * 0.6
    assert Customer.objects.values("country").distinct().count() >= 5
    urls = [url for url in Customer.objects.values_list("url", flat=True) if url]
    assert urls and all(url.startswith("https://") for url in urls)
    assert Customer.objects.exclude(comment="").exists()
    assert not Customer.objects.filter(street="").exists()
    assert not Customer.objects.filter(zip="").exists()
    assert not Customer.objects.filter(city="").exists()

    # Customer users: unique logins and emails, phones, all validities.
    users = CustomerUser.objects.all()
    assert set(users.values_list("valid", flat=True)) == set(Validity.values)
    emails = [email.lower() for email in users.values_list("email", flat=True)]
    assert len(set(emails)) == len(emails)
    assert not users.filter(phone="").exists()

    # Tickets: every state, mostly closed, escalations due and not yet due, reminders due and later.
    states = dict(Ticket.objects.values_list("state").annotate(n=Count("pk")))
    assert set(states) == set(TicketState.values)
    closed = sum(states[state] for state in CLOSED_STATES)
    assert closed > 2000 / 2
    assert Ticket.objects.open().count() > 2000 / 5
    now = timezone.now()
    assert Ticket.objects.escalated(now).exists()
    assert Ticket.objects.open().filter(escalation_at__gt=now).exists()
    reminders = Ticket.objects.filter(state=TicketState.PENDING_REMINDER)
    assert 0 < Ticket.objects.reminders_due(now).count() < reminders.count()
    assert Ticket.objects.filter(sla__isnull=False).exists()
    assert Ticket.objects.filter(sla__isnull=True).exists()
    oldest = Ticket.objects.order_by("created_at").first().created_at
    assert timezone.timedelta(days=100) < now - oldest <= timezone.timedelta(days=181)


@pytest.mark.django_db
def test_bronze_counts_in_the_office_hours_calendar_so_its_tickets_escalate_in_working_time():
    output = load()
    assert "Calendars: 1 created, 0 already present" in output
    office = Calendar.objects.get()
    assert (office.name, office.time_zone, str(office.public_holidays_country)) == (
        "Office hours",
        "Europe/Berlin",
        "DE",
    )
    assert office.holidays == ["12-25", "12-26", "01-01"]
    office.full_clean()
    assert dict(SLA.objects.values_list("name", "calendar__name")) == {
        "Gold": None,
        "Silver": None,
        "Bronze": "Office hours",
    }
    # Every deadline of a Bronze ticket falls inside the working hours: a weekday from 8:00 to
    # 17:00 in Berlin that is no holiday; around the clock, some would fall on a weekend.
    public = office.public_holiday_days()
    escalations = Ticket.objects.exclude(escalation_at=None)
    bronze = [
        timezone.localtime(when, office.hours.time_zone)
        for when in escalations.filter(sla__name="Bronze").values_list("escalation_at", flat=True)
    ]
    assert len(bronze) > 20
    for when in bronze:
        assert when.weekday() < 5 and (8, 0) <= (when.hour, when.minute) <= (17, 0), when
        assert when.date() not in public and (when.month, when.day) not in {(12, 25), (12, 26), (1, 1)}, when
    gold = [
        timezone.localtime(when)
        for when in escalations.filter(sla__name="Gold").values_list("escalation_at", flat=True)
    ]
    assert any(when.weekday() >= 5 or not 8 <= when.hour < 17 for when in gold)
    # A second run finds the calendar and leaves it.
    assert "Calendars: 0 created, 1 already present" in load()


@pytest.mark.django_db
def test_records_are_consistent():
    load(customers=10, customer_users=40, tickets=300)
    now = timezone.now()

    demo_ids = set(Customer.objects.values_list("pk", flat=True))
    assert set(CustomerUser.objects.values_list("customer_id", flat=True)) <= demo_ids
    with_user = Ticket.objects.exclude(customer_user=None)
    assert with_user.exists()
    assert not with_user.exclude(customer_user__customer=F("customer")).exists()

    assert not Ticket.objects.filter(state__in=PENDING_STATES, pending_until=None).exists()
    assert not Ticket.objects.exclude(state__in=PENDING_STATES).exclude(pending_until=None).exists()
    closed = Ticket.objects.filter(state__in=CLOSED_STATES)
    assert not closed.filter(closed_at=None).exists()
    assert not closed.filter(closed_at__lt=F("created_at")).exists()
    assert not closed.filter(closed_at__gt=now).exists()
    assert not Ticket.objects.filter(first_response_at__lt=F("created_at")).exists()
    assert not Ticket.objects.filter(created_at__gt=now).exists()
    # Only open tickets escalate.
    assert not Ticket.objects.exclude(state__in=TicketState.values[:5]).exclude(escalation_at=None).exists()
    # Demo tickets are numbered apart from the YYYYMMDD numbers of real ones.
    assert all(number.startswith("DEMO") for number in Ticket.objects.values_list("number", flat=True))
    assert set(Customer.objects.values_list("data_source", flat=True)) == {default_data_source_key()}
    assert set(CustomerUser.objects.values_list("data_source", flat=True)) == {default_data_source_key()}


@pytest.mark.django_db
def test_running_again_creates_nothing_and_larger_numbers_add_the_difference():
    load(**SMALL)
    before = {
        "customers": list(Customer.objects.order_by("customer_id").values_list("customer_id", "name", "city")),
        "users": list(CustomerUser.objects.order_by("login").values_list("login", "email", "customer_id")),
        "tickets": list(Ticket.objects.order_by("number").values_list("number", "title", "state", "created_at")),
    }

    output = load(**SMALL)
    assert counts() == (3, 6, 15, 40)
    assert "Customers: 0 created, 6 already present" in output
    assert "Tickets: 0 created, 40 already present" in output

    output = load(customers=9, customer_users=20, tickets=70)
    assert counts() == (3, 9, 20, 70)
    assert "Customers: 3 created, 6 already present" in output
    assert "Customer users: 5 created, 15 already present" in output
    assert "Tickets: 30 created, 40 already present" in output
    customers = Customer.objects.filter(customer_id__in=[row[0] for row in before["customers"]])
    assert list(customers.order_by("customer_id").values_list("customer_id", "name", "city")) == before["customers"]
    tickets = Ticket.objects.filter(number__in=[row[0] for row in before["tickets"]])
    assert list(tickets.order_by("number").values_list("number", "title", "state", "created_at")) == before["tickets"]

    # A smaller run afterwards neither adds nor removes anything.
    load(customers=2, customer_users=3, tickets=5)
    assert counts() == (3, 9, 20, 70)


@pytest.mark.django_db
def test_tickets_are_stored_as_bulk_create_would_store_them():
    load(customers=2, customer_users=3, tickets=0)
    generator = DemoDataGenerator(customers=2, customer_users=3, tickets=40)
    generator.data_source = default_data_source_key()
    user = CustomerUser.objects.select_related("customer").first()
    sla = SLA.objects.get(name="Gold")
    senders = [(user.pk, _CustomerInfo(pk=user.customer_id, country="DE", domain="x.example", sla=sla))]
    written, created = [], []
    for index in range(20):
        for target in (written, created):
            ticket = generator.make_ticket(index, senders)
            ticket.prepare_for_save(generator.now)
            ticket.changed_at = generator.now
            target.append(ticket)
    for ticket in created:
        ticket.number = "ORM" + ticket.number
    generator.ticket_writer.insert(written)
    Ticket.objects.bulk_create(created)
    Ticket.objects.filter(number__startswith="ORM").update(changed_at=generator.now)
    Ticket.objects.filter(number__startswith="DEMO").update(changed_at=generator.now)

    # As text, so that SQLite's stored datetime format is compared too (it sorts and filters by it).
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"CAST({quote(field.column)} AS TEXT)"
        for field in Ticket._meta.concrete_fields
        if field.name not in ("id", "number")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number, {columns} FROM {quote(Ticket._meta.db_table)}")
        rows = {number: values for number, *values in cursor.fetchall()}
    assert len(rows) == 40
    for index in range(20):
        number = f"DEMO{index + 1:07d}"
        assert rows[number] == rows["ORM" + number]


def test_values_of_a_record_do_not_depend_on_the_counts():
    small = DemoDataGenerator(customers=3, customer_users=3, tickets=3, now=timezone.now())
    large = DemoDataGenerator(customers=900, customer_users=900, tickets=90000, now=small.now)
    for generator in (small, large):
        generator.data_source = "database"
    fields = ("customer_id", "name", "street", "zip", "city", "url", "comment", "valid")
    for index in (0, 1, 2):
        one, other = small.make_customer(index, set()), large.make_customer(index, set())
        assert [getattr(one, name) for name in fields] == [getattr(other, name) for name in fields]
        assert small.expected_login(index) == large.expected_login(index)

    senders = [(7, _CustomerInfo(pk=3, country="DE", domain="example.example", sla=None))]
    fields = ("number", "title", "state", "priority", "created_at", "first_response_at", "pending_until")
    for index in (0, 1, 2):
        one, other = small.make_ticket(index, senders), large.make_ticket(index, senders)
        assert [getattr(one, name) for name in fields] == [getattr(other, name) for name in fields]


def test_different_seeds_give_different_data():
    first = DemoDataGenerator(seed=1)
    second = DemoDataGenerator(seed=2)
    first.data_source = second.data_source = "database"
    names = [(first.make_customer(i, set()).name, second.make_customer(i, set()).name) for i in range(10)]
    assert any(one != other for one, other in names)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_numbers():
    def queries_for(**options):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            load(**options)
            transaction.set_rollback(True)
        return len(captured.captured_queries)

    def rows_per_insert(model, wanted):
        # Django caps one INSERT's parameters (999 on SQLite before Django 6); above that cap
        # one more query per batch is what the last assertion below allows for.
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        return min(wanted, connection.ops.bulk_batch_size(fields, [None] * wanted))

    small = queries_for(customers=3, customer_users=5, tickets=20)
    customers, customer_users = rows_per_insert(Customer, 30), rows_per_insert(CustomerUser, 50)
    large = queries_for(customers=customers, customer_users=customer_users, tickets=200)
    assert customers > 3 and customer_users > 5
    assert small == large
    # Per model (the calendar too): one query for the existing keys, one insert; plus the savepoint,
    # SQLite's cache-size pragmas and the two updates of the ticket counters; for the dynamic
    # fields, one look at the definitions and one insert of the missing ones, and per record model
    # one read of its definitions, one of its stored values, one insert of the new ones; for the
    # group links, one read and one insert of the demo's groups, one of the links and one insert.
    assert large <= 32
    # More than one batch costs one insert per extra batch, nothing per record.
    batched = queries_for(customers=customers, customer_users=customer_users, tickets=200, batch_size=100)
    assert batched == large + 1


@pytest.mark.django_db
def test_demo_data_goes_to_the_default_writable_source():
    sources = {
        "directory": {"BACKEND": "tests.sources.DirectorySource"},
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
    }
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        load(customers=2, customer_users=2, tickets=2)
    assert set(Customer.objects.values_list("data_source", flat=True)) == {"database"}
    assert set(CustomerUser.objects.values_list("data_source", flat=True)) == {"database"}


@pytest.mark.django_db
@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"directory": {"BACKEND": "tests.sources.DirectorySource"}}})
def test_without_a_writable_source_the_command_fails_and_writes_nothing():
    with pytest.raises(CommandError, match="writable"):
        load(**SMALL)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_options_are_checked_and_quiet_prints_nothing():
    with pytest.raises(CommandError):
        load(tickets=-1)
    with pytest.raises(CommandError, match="customers"):
        load(customers=0, customer_users=0, tickets=5)
    assert load(customers=2, customer_users=2, tickets=2, quiet=True) == ""
    assert counts() == (3, 2, 2, 2)


@pytest.mark.django_db
def test_demo_superuser_can_log_in_and_running_it_again_resets_the_password(client, example_site):
    out = StringIO()
    call_command("demo_superuser", stdout=out)
    assert "Demo login: admin / admin at http://127.0.0.1:8000/admin/" in out.getvalue()
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.email == "admin@example.com"
    assert client.login(username="admin", password="admin")

    user.set_password("changed")
    user.is_superuser = False
    user.save()
    out = StringIO()
    call_command("demo_superuser", stdout=out)
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert get_user_model().objects.get(username="admin").is_superuser
    assert client.login(username="admin", password="admin")
    assert "Demo login: admin / admin" in out.getvalue()


@pytest.mark.django_db
def test_demo_superuser_takes_another_name_and_password(client, example_site):
    out = StringIO()
    call_command("demo_superuser", "--username", "demo", "--password", "s3cret", stdout=out)
    assert "Demo login: demo / s3cret at http://127.0.0.1:8000/admin/" in out.getvalue()
    assert client.login(username="demo", password="s3cret")


@pytest.mark.django_db
def test_a_few_key_accounts_hold_many_tickets_most_customers_a_handful():
    load(customers=200, customer_users=600, tickets=8000)

    per_customer = sorted(Customer.objects.annotate(n=Count("tickets")).values_list("n", flat=True), reverse=True)
    median = per_customer[len(per_customer) // 2]
    assert all(count > 4 * median for count in per_customer[:4]), (median, per_customer[:8])
    assert sum(per_customer[:4]) > 0.04 * 8000


def test_demo_superuser_prints_the_address_the_site_is_served_on(db, example_site):
    out = StringIO()
    call_command("demo_superuser", "--address", "127.0.0.1:8765", stdout=out)
    assert "Demo login: admin / admin at http://127.0.0.1:8765/admin/" in out.getvalue()


@pytest.mark.django_db
def test_verbose_loading_reports_progress_as_the_other_commands_do():
    # Off a terminal, as the import command does: done of total per model, and the rate.
    lines = load(verbosity=2, **SMALL).splitlines()
    progress = [line for line in lines if "/s" in line]
    assert [line.split(":")[0] for line in progress] == ["Customers", "Customer users", "Tickets"]
    assert progress[0].startswith("Customers: 6/6 records, ") and progress[0].endswith(" records/s")
    assert progress[2].startswith("Tickets: 40/40 records, ")


@pytest.mark.django_db
def test_the_demo_has_dynamic_fields_with_values_and_a_second_run_keeps_a_changed_one():
    load(customers=6, customer_users=10, tickets=0)
    assert set(DynamicField.objects.values_list("name", flat=True)) == {
        "Tier",
        "ERPNumber",
        "KeyAccount",
        "Renewal",
        "Department",
        "Languages",
    }
    key_account = Customer.objects.get(customer_id="DEMO-00001")
    assert key_account.dynamic_fields["Tier"] == "gold" and key_account.dynamic_fields["KeyAccount"] is True
    assert key_account.dynamic_fields["ERPNumber"] == "ERP-10000"
    assert Customer.objects.filter_dynamic_field("ERPNumber", True, lookup="isnull").count() == 0
    assert CustomerUser.objects.filter_dynamic_field("Department", True, lookup="isnull").count() == 0
    key_account.dynamic_fields["ERPNumber"] = "ERP-OWN"
    key_account.save()
    load(customers=6, customer_users=10, tickets=0)
    assert DynamicField.objects.count() == 6
    assert Customer.objects.get(pk=key_account.pk).dynamic_fields["ERPNumber"] == "ERP-OWN"


def groups_of(customer_id):
    return dict(
        CustomerGroup.objects.filter(customer__customer_id=customer_id).values_list("group__name", "permission")
    )


@pytest.mark.django_db
def test_the_demo_links_its_customers_to_first_level_and_key_accounts(settings):
    output = load(customers=6, customer_users=10, tickets=0)

    assert "Customer groups: 10 created, 0 already present" in output
    # DEMO-00001 to DEMO-00004 are the key accounts.
    assert groups_of("DEMO-00001") == {"Key accounts": "rw", "First level": "ro"}
    assert groups_of("DEMO-00006") == {"First level": "rw"}
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    first_level = make_agent("first-level-agent", [Group.objects.get(name="First level")])
    key_accounts = make_agent("key-account-agent", [Group.objects.get(name="Key accounts")])
    assert Customer.objects.visible_to(first_level).count() == 6
    assert set(Customer.objects.changeable_by(first_level).values_list("customer_id", flat=True)) == {
        "DEMO-00005",
        "DEMO-00006",
    }
    assert set(Customer.objects.visible_to(key_accounts).values_list("customer_id", flat=True)) == {
        "DEMO-00001",
        "DEMO-00002",
        "DEMO-00003",
        "DEMO-00004",
    }


@pytest.mark.django_db
def test_a_second_demo_run_keeps_changed_group_links_and_links_new_customers():
    load(customers=6, customer_users=10, tickets=0)
    CustomerGroup.objects.filter(customer__customer_id="DEMO-00001", group__name="First level").delete()

    output = load(customers=7, customer_users=10, tickets=0)

    assert "Customer groups: 1 created, 9 already present" in output
    assert groups_of("DEMO-00001") == {"Key accounts": "rw"}
    assert groups_of("DEMO-00007") == {"First level": "rw"}
    assert Group.objects.filter(name__in=["First level", "Key accounts"]).count() == 2


def example_settings(environment):
    """The example site's OTRS_CUSTOMER_ADMIN as a fresh process reads it from ``environment``."""
    code = "import json, example_project.settings as s; print(json.dumps(s.OTRS_CUSTOMER_ADMIN))"
    env = {key: value for key, value in os.environ.items() if key != "CUSTOMER_GROUP_SUPPORT"}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**env, **environment}, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_the_example_site_turns_customer_groups_on_by_environment_only():
    assert example_settings({})["CUSTOMER_GROUP_SUPPORT"] is False
    assert example_settings({"CUSTOMER_GROUP_SUPPORT": "1"})["CUSTOMER_GROUP_SUPPORT"] is True
    assert example_settings({"CUSTOMER_GROUP_SUPPORT": "0"})["CUSTOMER_GROUP_SUPPORT"] is False
