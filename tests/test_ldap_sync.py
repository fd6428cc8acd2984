"""The LDAP sync against a real slapd: complete, exact, and changing nothing when it cannot read everything."""

import os
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from otrs_customer_admin.datasources import MassInvalidation, SyncAlreadyRunning, SyncError, get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.models import Customer, CustomerUser, SyncRun, Ticket, Validity
from tests import harness
from tests.factories import make_customer, make_ticket

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

BASE = harness.LDAP_SUFFIX
PEOPLE = f"ou=people,{BASE}"
AMERICA = f"ou=america,ou=customers,{BASE}"


@pytest.fixture
def site(directory_settings):
    """``site(directory=None, **options)``: the package configured with the database and that directory."""
    return directory_settings


def sync(**kwargs):
    return run_sync(get_data_source("directory"), **kwargs)


def snapshot():
    """Everything a sync could change, to compare before and after."""
    customers = list(Customer.objects.order_by("pk").values())
    users = list(CustomerUser.objects.order_by("pk").values())
    return customers, users, LogEntry.objects.count()


# --- a first sync ----------------------------------------------------------------


def test_the_first_sync_creates_every_customer_and_customer_user(site):
    site()
    report = sync()

    assert report.counts["customers"]["created"] == 4
    assert report.counts["customer_users"]["created"] == 4
    assert set(Customer.objects.values_list("customer_id", flat=True)) == {
        "ACME",
        "Globex",
        "mueller-gmbh",
        "Bäckerei-Körner",
    }
    mueller = Customer.objects.get(customer_id="mueller-gmbh")
    assert (mueller.name, mueller.street, mueller.city, mueller.country.code) == (
        "Müller & Söhne GmbH",
        "Hauptstraße 5",
        "München",
        "DE",
    )
    assert mueller.data_source == "directory" and mueller.is_read_only
    assert mueller.external_dn == f"o=mueller-gmbh,ou=europe,ou=customers,{BASE}"
    assert len(mueller.external_id) == 36  # the entry's entryUUID


def test_people_are_linked_by_their_attribute_or_by_the_organization_they_sit_under(site):
    site()
    sync()

    assert CustomerUser.objects.get(login="wcoyote").customer.customer_id == "ACME"
    assert CustomerUser.objects.get(login="hscorpio").customer.customer_id == "Globex"  # no o attribute
    jurgen = CustomerUser.objects.get(login="jmüller")
    assert (jurgen.first_name, jurgen.last_name, jurgen.customer.customer_id) == ("Jürgen", "Müller", "mueller-gmbh")


def test_missing_optional_attributes_leave_fields_empty(site):
    site()
    sync()

    koerner = Customer.objects.get(customer_id="Bäckerei-Körner")
    assert (koerner.street, koerner.zip, koerner.city, koerner.url) == ("", "", "", "")
    assert koerner.country.code == "DE"  # DEFAULT_COUNTRY
    rrunner = CustomerUser.objects.get(login="rrunner")
    assert (rrunner.first_name, rrunner.phone) == ("", "")


def test_a_malformed_entry_is_reported_by_its_dn_and_skipped(site):
    site()
    report = sync()

    assert report.counts["customer_users"]["skipped"] == 1
    [(model_key, dn, why)] = report.details["skipped"]
    assert (model_key, dn) == ("customer_users", f"uid=nomail,{PEOPLE}")
    assert "Email is missing" in why
    assert not CustomerUser.objects.filter(login="nomail").exists()


@override_settings()
def test_a_setting_makes_a_malformed_entry_fail_the_whole_sync(site, settings):
    site()
    settings.OTRS_CUSTOMER_ADMIN = {**settings.OTRS_CUSTOMER_ADMIN, "SYNC_FAIL_ON_MALFORMED": True}

    with pytest.raises(SyncError, match="uid=nomail"):
        sync()
    assert not Customer.objects.exists() and not CustomerUser.objects.exists()


def test_country_values_go_through_the_import_parser(site, make_directory):
    directory = site(CUSTOMER_ATTR_MAP={"country": "businessCategory"})
    directory.modify(f"o=ACME,{AMERICA}", businessCategory="United States of America")
    directory.modify(f"o=Globex,{AMERICA}", businessCategory="Atlantis")
    report = sync()

    assert Customer.objects.get(customer_id="ACME").country.code == "US"
    assert not Customer.objects.filter(customer_id="Globex").exists()
    assert any("Unknown country 'Atlantis'" in why for _key, _dn, why in report.details["skipped"])


# --- unchanged, changed, renamed, deleted, back ------------------------------------------


def test_a_resync_of_an_unchanged_directory_writes_nothing(site):
    site()
    sync()
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        report = sync()

    assert report.counts["customers"]["unchanged"] == 4 and report.counts["customer_users"]["unchanged"] == 4
    assert report.total("created") == report.total("updated") == report.total("invalidated") == 0
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert all("otrs_customer_admin_syncrun" in sql for sql in writes), writes
    assert snapshot() == before


def test_a_changed_attribute_updates_the_record_with_a_history_entry(site):
    directory = site()
    sync()
    directory.modify(f"o=ACME,{AMERICA}", l="Tucson", street=None)

    report = sync()

    assert report.counts["customers"]["updated"] == 1
    acme = Customer.objects.get(customer_id="ACME")
    assert (acme.city, acme.street) == ("Tucson", "")
    entry = LogEntry.objects.filter(object_id=str(acme.pk), content_type__model="customer").latest("pk")
    assert entry.get_change_message() == "Changed by sync of Company directory: Street, City."


def test_a_renamed_or_moved_entry_keeps_its_record(site):
    directory = site()
    sync()
    acme = Customer.objects.get(customer_id="ACME")
    wile = CustomerUser.objects.get(login="wcoyote")
    directory.rename(f"o=ACME,{AMERICA}", "o=ACME-Corp", new_superior=f"ou=europe,ou=customers,{BASE}")
    directory.modify(f"uid=wcoyote,{PEOPLE}", o="ACME-Corp")
    directory.modify(f"uid=rrunner,{PEOPLE}", o="ACME-Corp")
    directory.rename(f"uid=wcoyote,{PEOPLE}", "uid=wile")

    report = sync()

    assert report.counts["customers"] == {**report.counts["customers"], "updated": 1, "created": 0, "invalidated": 0}
    acme.refresh_from_db()
    assert (acme.customer_id, acme.external_dn) == ("ACME-Corp", f"o=ACME-Corp,ou=europe,ou=customers,{BASE}")
    wile.refresh_from_db()
    assert (wile.login, wile.customer_id, wile.is_valid) == ("wile", acme.pk, True)
    assert Customer.objects.count() == 4 and CustomerUser.objects.count() == 4


def test_a_deleted_entry_is_set_invalid_never_deleted_and_keeps_its_tickets(site):
    directory = site()
    sync()
    wile = CustomerUser.objects.get(login="wcoyote")
    ticket = make_ticket(wile.customer, "Anvil", number="1", customer_user=wile)
    directory.delete(f"uid=wcoyote,{PEOPLE}")

    report = sync()

    assert report.counts["customer_users"]["invalidated"] == 1
    wile.refresh_from_db()
    assert (wile.valid, wile.invalidated_by_sync) == (Validity.INVALID, True)
    assert Ticket.objects.get(pk=ticket.pk).customer_user_id == wile.pk
    entry = LogEntry.objects.filter(object_id=str(wile.pk), content_type__model="customeruser").latest("pk")
    assert entry.get_change_message() == "Set invalid by sync of Company directory: no longer in the directory."


def test_an_entry_that_returns_makes_its_record_valid_again(site):
    directory = site()
    sync()
    wile = CustomerUser.objects.get(login="wcoyote")
    directory.delete(f"uid=wcoyote,{PEOPLE}")
    sync()
    directory.add(
        harness.person(f"uid=wcoyote,{PEOPLE}", "wcoyote", "Coyote", "wile.coyote@acme.example", o="ACME")
    )  # a new entry, so a new entryUUID: found again by its login

    report = sync()

    assert report.counts["customer_users"]["reactivated"] == 1 and report.total("created") == 0
    wile.refresh_from_db()
    assert (wile.valid, wile.invalidated_by_sync) == (Validity.VALID, False)


def test_a_record_invalidated_by_hand_is_not_made_valid_again(site):
    site()
    sync()
    source = get_data_source("directory")
    wile = CustomerUser.objects.get(login="wcoyote")
    with source.writing():  # as a site's own code or shell would do it
        wile.valid = Validity.INVALID
        wile.save()

    report = sync()

    wile.refresh_from_db()
    assert wile.valid == Validity.INVALID
    assert report.counts["customer_users"]["unchanged"] == 4


def test_records_of_a_search_the_source_does_not_configure_are_left_alone(site):
    site()
    sync()
    site(CUSTOMER_USER_SEARCH=None)

    report = sync()

    assert report.counts["customer_users"] == dict.fromkeys(report.counts["customer_users"], 0)
    assert CustomerUser.objects.valid().count() == 4


def test_two_customers_may_swap_their_names_in_one_sync(site):
    directory = site()
    sync()
    directory.modify(f"o=ACME,{AMERICA}", description="Globex Corporation")
    directory.modify(f"o=Globex,{AMERICA}", description="ACME Corporation")

    report = sync()

    assert report.counts["customers"]["updated"] == 2
    assert Customer.objects.get(customer_id="ACME").name == "Globex Corporation"
    assert Customer.objects.get(customer_id="Globex").name == "ACME Corporation"


def test_a_new_person_may_take_the_email_of_one_who_left(site):
    directory = site()
    sync()
    directory.delete(f"uid=rrunner,{PEOPLE}")
    directory.add(harness.person(f"uid=roadie,{PEOPLE}", "roadie", "Runner", "road.runner@acme.example", o="ACME"))

    report = sync()

    assert (report.counts["customer_users"]["created"], report.counts["customer_users"]["invalidated"]) == (1, 1)
    assert CustomerUser.objects.valid().get(email="road.runner@acme.example").login == "roadie"


def test_the_email_of_a_record_invalidated_by_hand_is_free(site):
    directory = site()
    sync()
    with get_data_source("directory").writing():
        CustomerUser.objects.filter(login="rrunner").update(valid=Validity.INVALID)
    directory.add(harness.person(f"uid=roadie,{PEOPLE}", "roadie", "Runner", "road.runner@acme.example", o="ACME"))

    report = sync()

    assert report.counts["customer_users"]["created"] == 1 and report.counts["customer_users"]["conflicts"] == 0


def test_a_conflicting_entrys_record_keeps_its_values_for_itself(site):
    directory = site()
    sync()
    make_customer("INITECH", "Initech", country="US")
    directory.modify(f"o=ACME,{AMERICA}", description="Initech")  # taken: ACME's record stays "ACME Corporation"
    directory.modify(f"o=Globex,{AMERICA}", description="ACME Corporation")  # so this one must wait

    report = sync()

    assert report.counts["customers"]["conflicts"] == 2
    why = dict((dn, why) for _key, dn, why in report.details["conflicts"])
    assert "belongs to a record of another data source" in why[f"o=ACME,{AMERICA}"]
    assert "which this sync leaves alone" in why[f"o=Globex,{AMERICA}"]
    assert Customer.objects.get(customer_id="ACME").name == "ACME Corporation"
    assert Customer.objects.get(customer_id="Globex").name == "Globex Corporation"


def test_a_name_of_this_sources_vanished_record_is_named_as_such(site):
    directory = site()
    sync()
    directory.delete(f"o=Bäckerei-Körner,ou=europe,ou=customers,{BASE}")
    directory.add(harness.organization(f"o=koerner,ou=europe,ou=customers,{BASE}", "koerner", "Bäckerei Körner"))

    report = sync()

    [(_key, _dn, why)] = report.details["conflicts"]
    assert why == (
        "Name Bäckerei Körner belongs to this source's record of "
        f"o=Bäckerei-Körner,ou=europe,ou=customers,{BASE}, whose entry vanished"
    )


def test_a_url_that_is_not_http_is_a_malformed_entry(site):
    directory = site(CUSTOMER_ATTR_MAP={"url": "businessCategory"})  # organization has no labeledURI
    directory.modify(f"o=ACME,{AMERICA}", businessCategory="javascript:alert(1)")
    directory.modify(f"o=Globex,{AMERICA}", businessCategory="https://globex.example")

    report = sync()

    assert Customer.objects.get(customer_id="Globex").url == "https://globex.example"
    assert not Customer.objects.filter(customer_id="ACME").exists()
    assert any("URL: Enter a valid URL." in why for _key, _dn, why in report.details["skipped"])


def test_a_customer_attribute_naming_no_known_customer_is_reported(site):
    directory = site()
    directory.modify(f"uid=rrunner,{PEOPLE}", o="Acme Inc.")

    report = sync()

    assert ("customer_users", f"uid=rrunner,{PEOPLE}", "its customer Acme Inc. is not a known CustomerID") in (
        report.details["skipped"]
    )


def test_the_default_customer_may_come_from_the_same_sync(site):
    directory = site(DEFAULT_CUSTOMER="Globex")
    directory.add(harness.person(f"uid=lone,{PEOPLE}", "lone", "Wolf", "lone@example.com"))

    sync()

    assert CustomerUser.objects.get(login="lone").customer.customer_id == "Globex"


def test_a_record_of_the_source_from_before_its_uuid_was_stored_is_adopted(site):
    site()
    with get_data_source("directory").writing():
        acme = make_customer("acme", "ACME Corporation", data_source="directory")

    report = sync()

    assert report.counts["customers"]["updated"] == 1 and report.counts["customers"]["created"] == 3
    acme.refresh_from_db()
    assert acme.customer_id == "ACME" and len(acme.external_id) == 36
    entry = LogEntry.objects.filter(object_id=str(acme.pk), content_type__model="customer").latest("pk")
    assert entry.get_change_message() == (
        "Changed by sync of Company directory: CustomerID, Street, Zip, City, directory DN, external ID."
    )


# --- the mass-invalidation guard ------------------------------------------------------


def test_emptying_the_people_ou_is_stopped_by_the_guard(site):
    directory = site()
    sync()
    people = [f"uid={uid},{PEOPLE}" for uid in ("wcoyote", "rrunner", "jmüller", "nomail")]
    directory.delete(*people, f"uid=hscorpio,o=Globex,{AMERICA}")
    before = snapshot()

    with pytest.raises(MassInvalidation, match="would set 4 of 4 valid customer users invalid"):
        sync()

    assert snapshot() == before
    assert SyncRun.objects.latest("pk").outcome == SyncRun.Outcome.STOPPED
    report = sync(allow_mass_invalidation=True)
    assert report.counts["customer_users"]["invalidated"] == 4
    assert not CustomerUser.objects.valid().exists()


@pytest.mark.parametrize(("deleted", "stopped"), [(3, False), (12, True)])
def test_the_guard_stops_above_its_share_of_valid_records(site, make_directory, settings, deleted, stopped):
    directory = site(make_directory(harness.sync_directory_ldif(generated_people=96)))
    settings.OTRS_CUSTOMER_ADMIN = {
        **settings.OTRS_CUSTOMER_ADMIN,
        "SYNC_MASS_INVALIDATION": {"PERCENT": 10, "MINIMUM": 5},
    }
    sync()
    assert CustomerUser.objects.valid().count() == 100
    directory.delete(*[f"uid=person{number:03d},ou=many,{BASE}" for number in range(1, deleted + 1)])

    if stopped:
        with pytest.raises(MassInvalidation, match=f"{deleted} of 100"):
            sync()
        assert CustomerUser.objects.valid().count() == 100
    else:
        assert sync().counts["customer_users"]["invalidated"] == deleted


def test_the_guard_needs_at_least_its_minimum(site, make_directory):
    directory = site(make_directory(harness.sync_directory_ldif(generated_people=96)))
    sync()
    directory.delete(*[f"uid=person{number:03d},ou=many,{BASE}" for number in range(1, 31)])  # 30 %, but < 50

    assert sync().counts["customer_users"]["invalidated"] == 30


# --- conflicts ----------------------------------------------------------------------


def test_a_customer_id_of_a_database_customer_is_a_conflict_and_left_alone(site):
    site()
    acme = make_customer("acme", "Acme (ours)", country="US")

    report = sync()

    assert report.counts["customers"]["conflicts"] == 1
    [(_key, dn, why)] = report.details["conflicts"]
    assert dn == f"o=ACME,{AMERICA}"
    assert "CustomerID ACME belongs to a record of another data source" in why
    acme.refresh_from_db()
    assert (acme.name, acme.data_source) == ("Acme (ours)", "database")
    # Its people name ACME: a CustomerID of any source.
    assert CustomerUser.objects.get(login="wcoyote").customer == acme


def test_a_setting_makes_a_conflict_fail_the_whole_sync(site, settings):
    site()
    settings.OTRS_CUSTOMER_ADMIN = {**settings.OTRS_CUSTOMER_ADMIN, "SYNC_FAIL_ON_CONFLICT": True}
    make_customer("Globex", "Globex (ours)", country="US")

    with pytest.raises(SyncError, match="CustomerID Globex belongs to a record of another data source"):
        sync()
    assert Customer.objects.count() == 1


# --- dry run and the record of each run -------------------------------------------------


def test_a_dry_run_writes_nothing_and_reports_what_the_real_run_does(site):
    directory = site()
    sync()
    directory.modify(f"o=Globex,{AMERICA}", l="Cypress Creek")
    directory.delete(f"uid=rrunner,{PEOPLE}")
    directory.add(harness.person(f"uid=new,{PEOPLE}", "new", "Newman", "new@acme.example", o="ACME"))
    before = snapshot()

    dry = sync(dry_run=True)

    assert snapshot() == before
    real = sync()
    assert dry.counts == real.counts
    assert real.counts["customers"]["updated"] == 1
    assert (real.counts["customer_users"]["created"], real.counts["customer_users"]["invalidated"]) == (1, 1)


def test_each_run_is_recorded(site):
    site()
    sync(dry_run=True)
    sync()

    real, dry = SyncRun.objects.order_by("-pk")[:2]
    assert (dry.dry_run, real.dry_run) == (True, False)
    assert real.outcome == SyncRun.Outcome.SUCCEEDED and real.finished_at >= real.started_at
    assert real.count("customers", "created") == 4
    assert "Customer users: 4 created" in real.message


# --- faults: nothing is lost ------------------------------------------------------------------


def test_a_wrong_password_changes_nothing(site):
    directory = site()
    sync()
    before = snapshot()
    site(directory, BIND_PASSWORD="wrong")

    with pytest.raises(SyncError, match=r"Company directory: bind failed at ldap://.*Invalid credentials"):
        sync()
    assert snapshot() == before
    assert SyncRun.objects.latest("pk").outcome == SyncRun.Outcome.FAILED


def test_a_stopped_server_changes_nothing(site):
    directory = site()
    sync()
    before = snapshot()
    directory.server.stop()

    with pytest.raises(SyncError, match=r"Company directory: bind failed .*Can't contact LDAP server"):
        sync()
    assert snapshot() == before


def test_a_hanging_server_times_out_and_changes_nothing(site):
    directory = site(TIMEOUT=1)
    sync()
    before = snapshot()
    harness.stop_process(directory.server._proc.pid)
    try:
        started = time.monotonic()
        with pytest.raises(SyncError, match="timed out"):
            sync()
        assert time.monotonic() - started < 5
    finally:
        os.kill(directory.server._proc.pid, signal.SIGCONT)
    assert snapshot() == before


def test_paging_reads_past_a_size_limit_like_active_directorys(site, make_directory):
    """size.hard=20 per search, no limit on a paged search's total: what AD's MaxPageSize does."""
    directory = make_directory(
        harness.sync_directory_ldif(generated_people=60), database_config=harness.reader_size_limit(20)
    )
    site(directory, PAGE_SIZE=15)

    report = sync()

    assert report.counts["customer_users"]["created"] == 64
    assert CustomerUser.objects.count() == 64


def test_a_size_limit_on_the_whole_paged_search_is_a_failed_read(site, make_directory):
    """Without size.prtotal, slapd cuts a paged search at the limit: the sync must notice, not truncate."""
    directory = make_directory(
        harness.sync_directory_ldif(generated_people=60), database_config=harness.reader_size_limit(30, paged_total="")
    )
    site(directory, PAGE_SIZE=10)

    with pytest.raises(SyncError, match=r"Company directory: search failed at page \d+ .*after \d+ entries"):
        sync()
    assert not CustomerUser.objects.exists()


# --- one at a time --------------------------------------------------------------------------


def test_a_second_sync_while_one_runs_exits_at_once(site):
    site()
    SyncRun.objects.create(source="directory", host="other-host", pid=1)  # another machine's run

    started = time.monotonic()
    with pytest.raises(SyncAlreadyRunning, match=r"a sync is already running .* on other-host"):
        sync()
    assert time.monotonic() - started < 2
    assert not Customer.objects.exists()
    sync(dry_run=True)  # a dry run writes nothing and needs no lock


def test_a_run_whose_process_died_does_not_block_the_next(site):
    site()
    process = subprocess.Popen(["true"])
    process.wait()
    dead = SyncRun.objects.create(source="directory", host=socket.gethostname(), pid=process.pid)
    # Silent for longer than a live run's heartbeat: a process of this name elsewhere would beat.
    SyncRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))

    sync()

    dead.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.ABANDONED


# --- the command -----------------------------------------------------------------------------


def test_a_run_of_this_host_name_that_still_beats_is_not_taken_for_dead(site):
    site()
    # Its process is not here, but it beat just now: a container that shares the host name.
    SyncRun.objects.create(source="directory", host=socket.gethostname(), pid=2**22 - 1)

    with pytest.raises(SyncAlreadyRunning):
        sync()


def test_a_run_silent_for_longer_than_the_stale_setting_is_abandoned(site):
    site()
    stale = SyncRun.objects.create(source="directory", host="other-host", pid=1)
    SyncRun.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))

    sync()

    stale.refresh_from_db()
    assert stale.outcome == SyncRun.Outcome.ABANDONED


def test_the_command_prints_the_counts_per_model(site, capsys):
    site()
    call_command("sync_data_sources", "--source", "directory")

    out = capsys.readouterr().out
    assert "Company directory: 9 entries" in out
    assert "Customers: 4 created, 0 updated, 0 unchanged, 0 invalidated, 0 reactivated, 0 skipped, 0 conflicts" in out
    assert f"uid=nomail,{PEOPLE}: Email is missing" in out


def test_the_command_exits_non_zero_naming_the_source_when_the_read_fails(site, capsys):
    directory = site()
    site(directory, BIND_PASSWORD="wrong")

    with pytest.raises(CommandError, match=r"The sync of directory failed; nothing of it was changed\."):
        call_command("sync_data_sources")
    assert "Company directory: bind failed" in capsys.readouterr().err


def test_the_command_refuses_a_source_that_does_not_sync(site):
    site()
    with pytest.raises(CommandError, match=r"database is not a data source that syncs .*directory"):
        call_command("sync_data_sources", "--source", "database")
