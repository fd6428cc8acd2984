"""Privacy: anonymising a person leaves nothing personal in the database, erasure, the Art. 15 export,
the retention rule and its periodic job (otrs_customer_admin.privacy, and its commands)."""

import datetime
import io
import json

import pytest
from auditlog.models import LogEntry as ValueEntry
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.history import Change, record_history
from otrs_customer_admin.merge import merge_customer_users
from otrs_customer_admin.models import (
    CustomerGroup,
    CustomerUser,
    CustomerUserEmail,
    DynamicField,
    Job,
    SyncRun,
    Ticket,
    TicketState,
    Validity,
)
from otrs_customer_admin.privacy import (
    AnonymizationRefused,
    anonymize_customer_users,
    apply_retention,
    erase_customer_users,
    plan_anonymization,
    retention_due,
)
from tests.factories import make_customer, make_customer_user, make_ticket

pytestmark = pytest.mark.django_db

SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}

# The person's values before: every one must be gone from the database afterwards.
OLD = {
    "title": "Dr.",
    "first_name": "Gwendolyn",
    "last_name": "Quixotewright",
    "login": "gquixote",
    "email": "gwendolyn.quixotewright@acme.example",
    "phone": "+49 30 5550101",
    "fax": "+49 30 5550102",
    "mobile": "+49 170 5550103",
    "street": "Zebrastreifenweg 17",
    "zip": "10999",
    "city": "Quedlinburg",
    "comment": "Prefers calls after nine",
}
# What the form changed them from, and what an import changed them from: gone as well.
FORM_OLD = {"phone": "+49 30 5550199", "city": "Wernigerode"}
IMPORT_OLD = {"street": "Alte Gasse 3", "mobile": "+49 170 5550177"}
ADDRESSES = ["gq.private@mailbox.example", "gwen.q@oldjob.example"]
PERSONAL_DYNAMIC = "Birthday-1979-03-14"
NOT_PERSONAL = "Gold"


def table_dump():
    """Every value of every table of the database, as text: what a person with a database dump sees."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                texts.extend(
                    value.decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
                    for value in (bytes(v) if isinstance(v, memoryview) else v for v in row)
                )
    return "\n".join(texts)


def found_in_dump(values):
    dump = table_dump()
    dump_lower = dump.lower()
    return [value for value in values if value.lower() in dump_lower]


def form_data(person, **fields):
    data = {name: getattr(person, name) for name in OLD}
    data.update(data_source="database", valid="1", customer=str(person.customer_id), country="DE", **fields)
    data["additional_emails"] = "\n".join(person.additional_emails.values_list("email", flat=True))
    return data


@pytest.fixture
def agent():
    return User.objects.create_superuser("agent", "agent@site.example", "x")


@pytest.fixture
def person(client, agent, acme):
    """A person seeded through the real paths: the admin form changed them, an import's history
    recorded old -> new values, dynamic fields (one personal), additional addresses, two tickets."""
    DynamicField.objects.create(object_type="customer_user", name="Birthday", label="Birthday", personal=True)
    DynamicField.objects.create(object_type="customer_user", name="Tier", label="Tier")
    start = {**OLD, **FORM_OLD}
    seeded = make_customer_user(
        acme,
        **{name: start[name] for name in ("login", "first_name", "last_name")},
        **{name: value for name, value in start.items() if name not in ("login", "first_name", "last_name")},
        country="DE",
    )
    seeded.dynamic_fields["Birthday"] = PERSONAL_DYNAMIC
    seeded.dynamic_fields["Tier"] = NOT_PERSONAL
    seeded.save()
    for address in ADDRESSES:
        CustomerUserEmail.objects.create(customer_user=seeded, email=address)
    client.force_login(agent)
    url = reverse("admin:otrs_customer_admin_customeruser_change", args=[seeded.pk])
    response = client.post(
        url,
        form_data(
            seeded,
            **{name: OLD[name] for name in FORM_OLD},
            DynamicField_Birthday=PERSONAL_DYNAMIC,
            DynamicField_Tier=NOT_PERSONAL,
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    # As an import writes its history: old -> new of each changed field.
    record_history(
        agent,
        "import",
        CustomerUser,
        [
            Change(
                seeded.pk,
                str(seeded),
                CHANGE,
                [{"changed": {"fields": ["Street", "Mobile"]}}],
                values={name: (old, OLD[name]) for name, old in IMPORT_OLD.items()},
            )
        ],
    )
    seeded.refresh_from_db()
    for number, title in (("7001", "Printer jammed"), ("7002", "VPN down")):
        make_ticket(acme, title=title, number=number, customer_user=seeded, state=TicketState.OPEN)
    return CustomerUser.objects.get(pk=seeded.pk)


def all_old_values():
    values = [*OLD.values(), *FORM_OLD.values(), *IMPORT_OLD.values(), *ADDRESSES, PERSONAL_DYNAMIC]
    values.append(f"{OLD['first_name']} {OLD['last_name']}")
    return values


# --- anonymisation --------------------------------------------------------------------------------


def test_anonymisation_leaves_no_personal_value_anywhere_in_the_database(person, agent, acme):
    # The seed put every value somewhere: the form's and the import's old values in the history.
    assert set(found_in_dump(all_old_values())) == set(all_old_values())
    # A job's report and a sync run's details that name the person.
    Job.objects.create(kind="import", user=agent, report={"rows": [[OLD["login"], OLD["email"]]]})
    SyncRun.objects.create(source="database", details={"skipped": [{"dn": f"uid={OLD['login']},ou=people"}]})

    anonymize_customer_users([person], user=agent)

    assert found_in_dump(all_old_values()) == []
    tickets = Ticket.objects.filter(customer_user=person).order_by("number")
    assert [(t.number, t.title, t.customer_id) for t in tickets] == [
        ("7001", "Printer jammed", acme.pk),
        ("7002", "VPN down", acme.pk),
    ]
    person.refresh_from_db()
    assert (person.login, person.email, person.valid) == (
        f"anonymized-{person.pk}",
        f"anonymized-{person.pk}@anonymized.invalid",
        Validity.INVALID,
    )
    assert person.open_ticket_count == 2
    assert person.customer == acme
    assert person.dynamic_fields["Tier"] == NOT_PERSONAL  # not personal: kept
    assert person.dynamic_fields["Birthday"] is None
    assert not person.additional_emails.exists()


def test_one_entry_says_it_happened_by_whom_and_with_which_writer_without_old_values(person, agent):
    anonymize_customer_users([person], user=agent)
    newest = ValueEntry.objects.filter(object_id=person.pk).order_by("-timestamp", "-pk").first()
    assert newest.actor == agent
    assert newest.additional_data == {"writer": "anonymise"}
    assert newest.changes["login"] == ["***", f"anonymized-{person.pk}"]
    admin_entry = LogEntry.objects.filter(object_id=str(person.pk)).order_by("-pk").first()
    assert admin_entry.change_message == "Anonymised: personal data replaced, set invalid."
    assert admin_entry.user == agent


def test_the_records_merged_into_a_person_are_anonymised_with_them(agent, acme):
    # Gwendolyn twice, merged: the record merged away keeps her old values, so it goes with her.
    oldest = make_customer_user(acme, "gq.1999", "Gwendolyn", "Quist", email="gq@1999.example", phone="+49 1999")
    twin = make_customer_user(acme, "gquist.old", "Gwendolyn", "Quist-Zebrowski", email="gq@old.example")
    keeper = make_customer_user(acme, "gquist", "Gwendolyn", "Quist-Zebrowski", email="gq@new.example")
    merge_customer_users(oldest, twin, user=agent)  # a chain: 1999 -> old -> new
    merge_customer_users(CustomerUser.objects.get(pk=twin.pk), keeper, user=agent)
    assert "gquist" in CustomerUser.objects.get(pk=twin.pk).comment  # "Merged into Gwendolyn … (gquist)."

    report = anonymize_customer_users([CustomerUser.objects.get(pk=keeper.pk)], user=agent)

    assert sorted(plan.person.pk for plan in report.anonymized) == sorted([oldest.pk, twin.pk, keeper.pk])
    for person in (oldest, twin, keeper):
        assert CustomerUser.objects.get(pk=person.pk).login == f"anonymized-{person.pk}"
    old_values = ["gq.1999", "gquist.old", "Quist-Zebrowski", "gq@1999.example", "gq@old.example", "gq@new.example"]
    assert found_in_dump([*old_values, "+49 1999"]) == []


def test_other_records_entries_naming_many_people_lose_their_names_in_one_run(agent, acme):
    people = [make_customer_user(acme, f"pers{n:03d}", f"Firstname{n:03d}", f"Surname{n:03d}") for n in range(60)]
    ticket = make_ticket(acme, title="Shared printer", number="9001")
    message = "Customer user changed: " + ", ".join(str(person) for person in people)
    record_history(agent, "form", Ticket, [Change(ticket.pk, str(ticket), CHANGE, message)])
    record_history(agent, "form", CustomerUser, [Change(people[0].pk, "x", CHANGE, "", values={"city": ("A", "B")})])

    anonymize_customer_users(people, user=agent)

    assert found_in_dump([person.login for person in people] + [person.last_name for person in people]) == []
    entry = LogEntry.objects.get(object_id=str(ticket.pk), content_type__model="ticket")
    assert entry.object_repr == str(ticket) and entry.change_message.startswith("Customer user changed: ***")


def test_the_dry_run_changes_nothing_and_lists_the_changes(person, agent):
    stdout = io.StringIO()
    call_command("anonymize_customer_users", OLD["login"].upper(), "--dry-run", stdout=stdout)
    output = stdout.getvalue()
    assert "dry run" in output
    assert f"Last name: {OLD['last_name']} → #{person.pk}" in output
    assert f"Additional email address: {ADDRESSES[0]} → (deleted)" in output
    assert "Birthday: " + PERSONAL_DYNAMIC + " → (cleared)" in output
    assert "tickets kept: 2" in output
    assert CustomerUser.objects.get(pk=person.pk).login == OLD["login"]


def test_the_command_anonymises_and_a_second_run_leaves_them_as_they_are(person, agent):
    call_command("anonymize_customer_users", OLD["login"], "--user", "agent", stdout=io.StringIO())
    person.refresh_from_db()
    assert person.login == f"anonymized-{person.pk}"
    entries = ValueEntry.objects.filter(object_id=person.pk).count()
    stdout = io.StringIO()
    call_command("anonymize_customer_users", person.login, stdout=stdout)
    assert "anonymised already" in stdout.getvalue()
    assert ValueEntry.objects.filter(object_id=person.pk).count() == entries


def test_an_unknown_login_is_a_sentence_not_a_traceback(person):
    with pytest.raises(CommandError, match="no customer user with the login nobody"):
        call_command("anonymize_customer_users", "nobody", OLD["login"])
    assert CustomerUser.objects.get(pk=person.pk).login == OLD["login"]


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_directorys_person_is_refused_while_the_directory_holds_them_and_anonymised_once_gone(acme):
    with get_data_source("directory").writing():
        dora = make_customer_user(
            acme, "dora", "Dora", "Directory", data_source="directory", external_dn="uid=dora,ou=people"
        )
    with pytest.raises(AnonymizationRefused, match="still holds the entry"):
        anonymize_customer_users([dora], user=None)
    # Disabled in the directory: invalid by the sync, but the entry (its DN) is still there.
    with get_data_source("directory").writing():
        CustomerUser.objects.filter(pk=dora.pk).update(valid=Validity.INVALID, invalidated_by_sync=True)
    dora.refresh_from_db()
    assert not plan_anonymization(dora).allowed
    # The sync found the entry gone: it cleared the DN.
    with get_data_source("directory").writing():
        CustomerUser.objects.filter(pk=dora.pk).update(external_dn="")
    dora.refresh_from_db()
    anonymize_customer_users([dora], user=None)
    dora.refresh_from_db()
    assert (dora.login, dora.first_name, dora.invalidated_by_sync) == (f"anonymized-{dora.pk}", "Anonymized", False)


@override_settings(OTRS_CUSTOMER_ADMIN={"CUSTOMER_GROUP_SUPPORT": True})
def test_with_customer_groups_anonymising_needs_read_and_write_on_the_persons_customer(person):
    clerk = User.objects.create_user("clerk", is_staff=True)
    support = Group.objects.create(name="support")
    clerk.groups.add(support)
    CustomerGroup.objects.create(customer=person.customer, group=support, permission="ro")
    with pytest.raises(AnonymizationRefused, match="groups do not let you change"):
        anonymize_customer_users([person], user=clerk, viewer=clerk)
    assert CustomerUser.objects.get(pk=person.pk).login == OLD["login"]
    CustomerGroup.objects.filter(group=support).update(permission="rw")
    clerk = User.objects.get(pk=clerk.pk)
    anonymize_customer_users([person], user=clerk, viewer=clerk)
    assert CustomerUser.objects.get(pk=person.pk).login == f"anonymized-{person.pk}"


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_needs_allow_delete(person, agent):
    with pytest.raises(AnonymizationRefused, match="ALLOW_DELETE"):
        erase_customer_users([person], user=agent)


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_erasing_a_person_without_tickets_deletes_them_and_leaves_a_tombstone(person, agent):
    Ticket.objects.filter(customer_user=person).delete()
    pk = person.pk
    report = erase_customer_users([person], user=agent)
    assert report.deleted == [OLD["login"]]
    assert not CustomerUser.objects.filter(pk=pk).exists()
    tombstone = ValueEntry.objects.filter(object_id=pk).order_by("-timestamp", "-pk").first()
    assert (tombstone.action, tombstone.object_repr, tombstone.additional_data) == (
        ValueEntry.Action.DELETE,
        f"erased-{pk}",
        {"writer": "erase"},
    )
    admin_tombstone = LogEntry.objects.get(object_id=str(pk), action_flag=DELETION)
    assert admin_tombstone.object_repr == f"erased-{pk}"
    assert found_in_dump(all_old_values()) == []


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_erasing_a_person_with_tickets_anonymises_them_and_says_so(person, agent):
    stdout = io.StringIO()
    call_command("anonymize_customer_users", OLD["login"], "--erase", stdout=stdout)
    assert f"{OLD['login']} has 2 tickets: anonymised instead of deleted." in stdout.getvalue()
    person.refresh_from_db()
    assert person.login == f"anonymized-{person.pk}"
    assert Ticket.objects.filter(customer_user=person).count() == 2
    newest = ValueEntry.objects.filter(object_id=person.pk).order_by("-timestamp", "-pk").first()
    assert newest.additional_data == {"writer": "erase"}


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_the_erasure_dry_run_changes_nothing(person):
    stdout = io.StringIO()
    call_command("anonymize_customer_users", OLD["login"], "--erase", "--dry-run", stdout=stdout)
    assert "dry run" in stdout.getvalue()
    assert CustomerUser.objects.get(pk=person.pk).login == OLD["login"]


# --- export (Art. 15) -----------------------------------------------------------------------------


def test_the_export_of_a_person_holds_record_addresses_customers_fields_tickets_and_history(person, agent, tmp_path):
    other = make_customer("GLOBEX", "Globex")
    person.additional_customers.add(other)
    target = tmp_path / "person.json"
    call_command("export_person", OLD["login"], "--output", str(target))
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["customer_user"]["login"] == OLD["login"]
    assert data["customer_user"]["city"] == OLD["city"]
    assert data["customer_user"]["customer"] == {"customer_id": "ACME", "name": "Acme Corporation"}
    assert [address["email"] for address in data["additional_emails"]] == ADDRESSES
    assert all(address["added_at"] for address in data["additional_emails"])
    assert data["additional_customers"] == [{"customer_id": "GLOBEX", "name": "Globex"}]
    assert data["dynamic_fields"]["DynamicField_Birthday"] == {"label": "Birthday", "value": PERSONAL_DYNAMIC}
    assert [(t["number"], t["title"], t["state"]) for t in data["tickets"]] == [
        ("7001", "Printer jammed", "open"),
        ("7002", "VPN down", "open"),
    ]
    assert data["history"][0]["writer"] == "import"
    assert data["history"][0]["who"] == "agent"
    assert data["history"][0]["changes"]["street"] == {"old": IMPORT_OLD["street"], "new": OLD["street"]}
    assert "Changed" in data["admin_history"][-1]["message"]


def test_the_export_goes_to_standard_output_without_output(person):
    stdout = io.StringIO()
    call_command("export_person", OLD["login"], stdout=stdout)
    assert json.loads(stdout.getvalue())["customer_user"]["email"] == OLD["email"]


def test_the_export_of_an_unknown_login_is_a_sentence(person):
    with pytest.raises(CommandError, match="no customer user with the login nobody"):
        call_command("export_person", "nobody")


# --- retention ------------------------------------------------------------------------------------


def set_invalid_at(person, when, agent):
    """``person`` set invalid at ``when``: the history's entry and ``changed_at`` as of then."""
    record_history(agent, "form", CustomerUser, [Change(person.pk, str(person), CHANGE, "", values={"valid": (1, 2)})])
    ValueEntry.objects.filter(object_id=person.pk, changes__has_key="valid").update(timestamp=when)
    CustomerUser.objects.filter(pk=person.pk).update(valid=Validity.INVALID, changed_at=when)


RETENTION = {"ANONYMIZE_INVALID_AFTER": datetime.timedelta(days=365)}


@override_settings(OTRS_CUSTOMER_ADMIN=RETENTION)
def test_retention_anonymises_people_invalid_longer_than_the_setting_from_when_they_became_invalid(agent, acme):
    now = timezone.now()
    old = make_customer_user(acme, "old", "Olga", "Oldtimer")
    recent = make_customer_user(acme, "recent", "Rita", "Recent")
    touched = make_customer_user(acme, "touched", "Theo", "Touched")
    make_customer_user(acme, "valid", "Vera", "Valid")
    set_invalid_at(old, now - datetime.timedelta(days=400), agent)
    set_invalid_at(recent, now - datetime.timedelta(days=100), agent)
    # Invalid for long, but changed since (its changed_at is recent): the history's entry counts.
    set_invalid_at(touched, now - datetime.timedelta(days=500), agent)
    CustomerUser.objects.filter(pk=touched.pk).update(changed_at=now - datetime.timedelta(days=1))
    # Without a history entry, changed_at counts.
    quiet = make_customer_user(acme, "quiet", "Quentin", "Quiet")
    CustomerUser.objects.filter(pk=quiet.pk).update(
        valid=Validity.INVALID, changed_at=now - datetime.timedelta(days=366)
    )

    stdout = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=stdout)
    output = stdout.getvalue()
    assert "Due for anonymisation (dry run, nothing written): 3" in output
    assert "longer than 365 days" in output
    assert "Olga Oldtimer" in output and "Rita" not in output
    assert CustomerUser.objects.get(pk=old.pk).login == "old"

    call_command("apply_retention", stdout=io.StringIO())
    logins = dict(CustomerUser.objects.values_list("pk", "login"))
    assert logins[old.pk] == f"anonymized-{old.pk}"
    assert logins[touched.pk] == f"anonymized-{touched.pk}"
    assert logins[quiet.pk] == f"anonymized-{quiet.pk}"
    assert logins[recent.pk] == "recent"
    newest = ValueEntry.objects.filter(object_id=old.pk).order_by("-timestamp", "-pk").first()
    assert newest.additional_data == {"writer": "retention"}
    # Anonymised people are not anonymised again.
    assert retention_due() == []
    assert apply_retention().due == []


@override_settings(OTRS_CUSTOMER_ADMIN=RETENTION)
def test_a_person_valid_again_since_is_not_due(agent, acme):
    back = make_customer_user(acme, "back", "Bea", "Back")
    set_invalid_at(back, timezone.now() - datetime.timedelta(days=800), agent)
    record_history(agent, "form", CustomerUser, [Change(back.pk, str(back), CHANGE, "", values={"valid": (2, 1)})])
    record_history(agent, "form", CustomerUser, [Change(back.pk, str(back), CHANGE, "", values={"valid": (1, 2)})])
    assert retention_due() == []


def test_without_the_setting_retention_does_nothing(agent, acme):
    gone = make_customer_user(acme, "gone", "Gina", "Gone")
    set_invalid_at(gone, timezone.now() - datetime.timedelta(days=4000), agent)
    stdout = io.StringIO()
    call_command("apply_retention", stdout=stdout)
    assert "not set" in stdout.getvalue()
    assert CustomerUser.objects.get(pk=gone.pk).login == "gone"


TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# runner.run starts with close_old_connections(), as a worker does: this test commits.
@pytest.mark.django_db(transaction=True)
@override_settings(OTRS_CUSTOMER_ADMIN=RETENTION, TASKS=TASKS)
def test_the_periodic_job_applies_retention_and_comes_back_a_day_later_scheduled_once(agent, acme):
    from django_tasks_db.models import DBTaskResult

    from otrs_customer_admin.jobs import runner
    from otrs_customer_admin.jobs.retention import schedule_retention

    gone = make_customer_user(acme, "gone", "Gina", "Gone")
    set_invalid_at(gone, timezone.now() - datetime.timedelta(days=400), agent)
    # The worker's housekeeping before a job schedules it; again, it finds it waiting.
    runner.run(0)
    runner.run(0)
    assert not schedule_retention()
    waiting = DBTaskResult.objects.filter(task_path__endswith="apply_retention_job")
    assert waiting.count() == 1
    # The worker runs it: retention applied, the next run a day later.
    result = waiting.get()
    waiting.update(status="RUNNING")  # as the worker marks the task it runs
    result.task.call()
    result.delete()
    assert CustomerUser.objects.get(pk=gone.pk).login == f"anonymized-{gone.pk}"
    later = waiting.get()
    assert later.run_after > timezone.now() + datetime.timedelta(hours=23)
    assert not schedule_retention()


# --- a directory's people, against a real slapd ----------------------------------------------------


@pytest.mark.ldap
def test_a_person_the_directory_holds_is_refused_once_their_entry_vanished_they_are_anonymised(directory_settings):
    from otrs_customer_admin.directory_sync import run_sync
    from tests import harness

    directory = directory_settings()
    run_sync(get_data_source("directory"))
    wile = CustomerUser.objects.get(login="wcoyote")
    with pytest.raises(AnonymizationRefused, match="still holds the entry"):
        anonymize_customer_users([wile], user=None)

    directory.delete(f"uid=wcoyote,ou=people,{harness.LDAP_SUFFIX}")
    run_sync(get_data_source("directory"))
    wile.refresh_from_db()
    assert (wile.valid, wile.invalidated_by_sync, wile.external_dn) == (Validity.INVALID, True, "")
    anonymize_customer_users([wile], user=None)

    # The next sync leaves the anonymised person alone.
    report = run_sync(get_data_source("directory"))
    assert report.counts["customer_users"]["updated"] == 0
    wile.refresh_from_db()
    assert (wile.login, wile.valid, wile.external_id) == (f"anonymized-{wile.pk}", Validity.INVALID, "")
    assert found_in_dump(["wcoyote", "Coyote"]) == []
