"""The LDAP data source: its settings and system checks, Active Directory entries, TLS, Test connection."""

import os
import signal
import threading
import time
import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core import checks
from django.core.management.base import OutputWrapper
from django.test.utils import override_settings

from otrs_customer_admin.datasources import SyncAlreadyRunning, get_data_source
from otrs_customer_admin.directory_sync import check_connection, run_sync
from otrs_customer_admin.models import Customer, CustomerUser, SyncRun, Validity
from tests import harness
from tests.factories import make_customer
from tests.markup import document, elements

ldap = pytest.importorskip("ldap", reason=harness.PYTHON_LDAP_HINT)
config = pytest.importorskip("django_auth_ldap.config", reason=harness.PYTHON_LDAP_HINT)
LDAPSearch, LDAPSearchUnion = config.LDAPSearch, config.LDAPSearchUnion

BASE = harness.LDAP_SUFFIX
DATABASE = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
LDAP_BACKEND = "otrs_customer_admin.datasources.ldap.LDAPSource"
ORGANIZATIONS = LDAPSearch(f"ou=customers,{BASE}", ldap.SCOPE_SUBTREE, "(objectClass=organization)")
PEOPLE = LDAPSearch(BASE, ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)")


def configured(directory=None, **options):
    source = directory.source(**options) if directory else {"BACKEND": LDAP_BACKEND, **options}
    return override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": DATABASE, "directory": source}})


def check_messages(**options):
    with configured(**options):
        return {m.id: m for m in checks.run_checks() if m.id.startswith("otrs_customer_admin")}


# --- settings and system checks ----------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_a_well_configured_source_passes_the_checks():
    assert check_messages(CUSTOMER_SEARCH=ORGANIZATIONS, CUSTOMER_USER_SEARCH=PEOPLE) == {}


@pytest.mark.parametrize(
    ("options", "check_id", "text"),
    [
        ({"CUSTOMER_SEARCH": "ou=customers"}, "E021", "is a str, not an LDAPSearch or LDAPSearchUnion"),
        (
            {"CUSTOMER_USER_SEARCH": LDAPSearch(BASE, ldap.SCOPE_SUBTREE, "(uid=%(user)s)")},
            "E032",
            "placeholder",
        ),
        (
            {"SERVER_URI": "ldaps://ldap.example.com", "START_TLS": True, "CUSTOMER_SEARCH": ORGANIZATIONS},
            "E022",
            "START_TLS on an ldaps:// URI",
        ),
        (
            {"CUSTOMER_SEARCH": ORGANIZATIONS, "CUSTOMER_ATTR_MAP": {"customer_nr": "uid"}},
            "E023",
            "maps 'customer_nr', which is not a field",
        ),
        (
            {"CUSTOMER_USER_SEARCH": PEOPLE, "CUSTOMER_USER_ATTR_MAP": {"email": None}},
            "E024",
            "maps no attribute to email",
        ),
        (
            {"CUSTOMER_SEARCH": ORGANIZATIONS, "CUSTOMER_ATTR_MAP": {"DynamicField_Contract-Tier": "st"}},
            "E023",
            "maps 'DynamicField_Contract-Tier', which is no dynamic field name (letters and digits only)",
        ),
        ({"CUSTOMER_SEARCH": ORGANIZATIONS, "BIND_PASWORD": "x"}, "E025", "unknown option 'BIND_PASWORD'"),
        ({"CUSTOMER_SEARCH": ORGANIZATIONS, "PAGE_SIZE": 0}, "E026", "'PAGE_SIZE'] must be a positive number"),
        ({"CUSTOMER_SEARCH": ORGANIZATIONS, "CUSTOMER_ATTR_MAP": ["uid"]}, "E033", "must be a dict of field -> LDAP"),
        ({"CUSTOMER_SEARCH": ORGANIZATIONS, "CUSTOMER_ATTR_MAP": {"name": 7}}, "E034", "must be an attribute name"),
        ({"CUSTOMER_SEARCH": ORGANIZATIONS, "UUID_ATTRIBUTE": ""}, "E035", "['UUID_ATTRIBUTE'] is empty"),
        ({}, "E027", "neither CUSTOMER_SEARCH nor CUSTOMER_USER_SEARCH"),
    ],
)
def test_a_misconfigured_source_is_reported_with_a_hint(options, check_id, text):
    found = check_messages(**options)
    message = found[f"otrs_customer_admin.{check_id}"]
    assert text in message.msg
    assert "DATA_SOURCES']['directory']" in message.msg


def test_maps_may_name_dynamic_fields():
    # Definitions are data: whether DynamicField_Tier has one is the sync's and Test connection's to say.
    assert (
        check_messages(
            CUSTOMER_SEARCH=ORGANIZATIONS,
            CUSTOMER_USER_SEARCH=PEOPLE,
            CUSTOMER_ATTR_MAP={"DynamicField_Tier": "st", "dynamicfield_Industries": "businessCategory"},
            CUSTOMER_USER_ATTR_MAP={"DynamicField_Department": "departmentNumber"},
        )
        == {}
    )


def test_the_sync_settings_are_checked():
    with override_settings(OTRS_CUSTOMER_ADMIN={"SYNC_MASS_INVALIDATION": {"PERCENT": 200, "MINIMUM": 5}}):
        ids = [m.id for m in checks.run_checks()]
    assert "otrs_customer_admin.E028" in ids


def test_the_maps_fall_back_to_the_documented_defaults():
    with configured(CUSTOMER_SEARCH=ORGANIZATIONS, CUSTOMER_USER_ATTR_MAP={"customer": "departmentNumber"}):
        source = get_data_source("directory")
        assert source.attr_map("customer")["customer_id"] == "o"
        assert source.attr_map("customer")["name"] == "description"
        assert source.attr_map("customer_user")["customer"] == "departmentNumber"
        assert source.attr_map("customer_user")["email"] == "mail"
        assert source.read_only and source.can_sync


def test_connection_settings_left_out_come_from_django_auth_ldap(settings):
    settings.AUTH_LDAP_SERVER_URI = "ldap://directory.example.com"
    settings.AUTH_LDAP_BIND_DN = "cn=auth,dc=example,dc=com"
    with configured(CUSTOMER_SEARCH=ORGANIZATIONS, BIND_PASSWORD="own"):
        source = get_data_source("directory")
        assert source.option("SERVER_URI") == "ldap://directory.example.com"
        assert source.option("BIND_DN") == "cn=auth,dc=example,dc=com"
        assert source.option("BIND_PASSWORD") == "own"
        assert source.option("PAGE_SIZE") == 500


def test_the_select_data_source_step_never_offers_the_directory(admin_client, make_directory):
    directory = make_directory()
    with override_settings(
        OTRS_CUSTOMER_ADMIN={
            "DATA_SOURCES": {"database": DATABASE, "archive": DATABASE, "directory": directory.source()}
        }
    ):
        response = admin_client.get("/admin/otrs_customer_admin/customer/add/")
    assert elements(document(response), value="database") and elements(document(response), value="archive")
    assert 'value="directory"' not in response.content.decode()


# --- a real directory -------------------------------------------------------------------------


def test_an_ldap_search_union_reads_every_search(make_directory):
    directory = make_directory()
    union = LDAPSearchUnion(
        LDAPSearch(f"ou=europe,ou=customers,{BASE}", ldap.SCOPE_SUBTREE, "(objectClass=organization)"),
        LDAPSearch(f"ou=america,ou=customers,{BASE}", ldap.SCOPE_SUBTREE, "(objectClass=organization)"),
    )
    with configured(directory, CUSTOMER_SEARCH=union, CUSTOMER_USER_SEARCH=None):
        report = run_sync(get_data_source("directory"))
    assert report.counts["customers"]["created"] == 4


def test_starttls_with_the_servers_certificate(make_directory):
    directory = make_directory()
    options = {ldap.OPT_X_TLS_CACERTFILE: directory.server.cafile, ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND}
    with configured(directory, START_TLS=True, CONNECTION_OPTIONS=options):
        report = check_connection(get_data_source("directory"))
        assert [check.label for check in report.checks][:3] == ["Connect", "TLS", "Bind"]
        assert run_sync(get_data_source("directory")).counts["customers"]["created"] == 4


def test_starttls_that_fails_says_so(make_directory):
    directory = make_directory()
    options = {ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND}  # the test CA is not trusted
    with configured(directory, START_TLS=True, CONNECTION_OPTIONS=options):
        with pytest.raises(Exception, match="Company directory: StartTLS failed at ldap://"):
            run_sync(get_data_source("directory"))
    assert not Customer.objects.exists()


def ad_person(number, guid, *, disabled=False):
    return harness.ldif_record(
        f"cn=Person {number},ou=users,{BASE}",
        ["inetOrgPerson", "adAccount"],
        cn=f"Person {number}",
        sn=f"Person {number}",
        givenName="AD",
        mail=f"ad{number}@acme.example",
        sAMAccountName=f"ad{number}",
        objectGUID=guid.bytes_le,
        userAccountControl=str(512 | (2 if disabled else 0)),
        o="ACME",
    )


def test_active_directory_people_by_objectguid_and_useraccountcontrol(make_directory):
    """AD-shaped entries: objectGUID identity (bytes), sAMAccountName login, disabled accounts invalid."""
    guids = [uuid.uuid4() for _ in range(3)]
    ldif = "\n".join(
        [
            harness.sync_directory_ldif(),
            harness.unit(f"ou=users,{BASE}", "users"),
            *(ad_person(number, guid, disabled=number == 2) for number, guid in enumerate(guids)),
        ]
    )
    directory = make_directory(ldif, schemas=[harness.AD_SCHEMA_LDIF])
    ad_map = {"login": "sAMAccountName", "valid": "userAccountControl"}
    search = LDAPSearch(f"ou=users,{BASE}", ldap.SCOPE_SUBTREE, "(objectClass=adAccount)")
    make_customer("ACME", "ACME Corporation", country="US")  # in the database
    with configured(
        directory,
        UUID_ATTRIBUTE="objectGUID",
        CUSTOMER_SEARCH=None,
        CUSTOMER_USER_SEARCH=search,
        CUSTOMER_USER_ATTR_MAP=ad_map,
    ):
        report = run_sync(get_data_source("directory"))
        assert report.counts["customer_users"]["created"] == 3, report.details
        people = {user.login: user for user in CustomerUser.objects.all()}
        assert people["ad0"].external_id == str(guids[0])
        assert (people["ad2"].valid, people["ad2"].invalidated_by_sync) == (Validity.INVALID, True)

        directory.modify(f"cn=Person 2,ou=users,{BASE}", userAccountControl="512")  # enabled again
        directory.modify(f"cn=Person 0,ou=users,{BASE}", userAccountControl="514")  # disabled
        report = run_sync(get_data_source("directory"))
    assert (report.counts["customer_users"]["reactivated"], report.counts["customer_users"]["invalidated"]) == (1, 1)
    assert set(CustomerUser.objects.valid().values_list("login", flat=True)) == {"ad1", "ad2"}


def test_an_objectguid_is_read_little_endian_as_active_directory_writes_it():
    from otrs_customer_admin.datasources.ldap import guid_text

    # The example of Microsoft's objectGUID documentation: {6F9619FF-8B86-D011-B42D-00C04FC964FF}.
    raw = bytes.fromhex("FF19966F868B11D0B42D00C04FC964FF")
    assert guid_text(raw) == "6f9619ff-8b86-d011-b42d-00c04fc964ff"


def test_test_connection_reports_bind_paging_counts_and_mapped_entries(make_directory):
    directory = make_directory()
    with configured(directory):
        report = check_connection(get_data_source("directory"))

    assert report.ok is True
    assert [(check.label, check.ok) for check in report.checks] == [
        ("Connect", True),
        ("Bind", True),
        ("Paged results supported", True),
    ]
    customers, people = report.searches
    assert (customers.count, people.count) == (4, 5)
    _dn, values, missing, problems = next(entry for entry in people.entries if entry[0].startswith("uid=nomail"))
    assert values["login"] == "nomail"
    assert "email: mail missing" in missing and problems == ["Email is missing"]


def test_test_connection_answers_within_ten_seconds_when_the_server_hangs(make_directory):
    directory = make_directory()
    harness.stop_process(directory.server._proc.pid)
    try:
        with configured(directory, TIMEOUT=30):
            started = time.monotonic()
            report = check_connection(get_data_source("directory"))
            elapsed = time.monotonic() - started
    finally:
        os.kill(directory.server._proc.pid, signal.SIGCONT)
    assert elapsed < 10
    assert report.ok is False and "timed out" in report.checks[0].detail


def test_test_connection_reports_a_wrong_password(make_directory):
    directory = make_directory()
    with configured(directory, BIND_PASSWORD="wrong"):
        report = check_connection(get_data_source("directory"))
    assert report.ok is False
    assert "Invalid credentials" in report.checks[0].detail


# --- history, progress, one run at a time ----------------------------------------------------------


def test_history_names_the_sync_account_or_the_user_who_started_it(make_directory):
    directory = make_directory()
    with configured(directory):
        run_sync(get_data_source("directory"))
        account = User.objects.get(username="otrs-customer-admin-sync")
        assert not account.is_active and not account.has_usable_password()
        assert set(LogEntry.objects.values_list("user_id", flat=True)) == {account.pk}

        directory.modify(f"o=ACME,ou=america,ou=customers,{BASE}", l="Tucson")
        agent = User.objects.create_user("agent")
        run_sync(get_data_source("directory"), user=agent)
    assert LogEntry.objects.latest("pk").user == agent
    assert LogEntry.objects.latest("pk").get_change_message() == "Changed by sync of Company directory: City."


class Terminal:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_on_a_terminal_the_command_shows_entries_per_second(make_directory):
    from django.core.management import call_command

    directory = make_directory(
        harness.sync_directory_ldif(generated_people=600), database_config=harness.reader_size_limit(1000)
    )
    terminal = Terminal()
    with configured(directory):
        call_command("sync_data_sources", stdout=OutputWrapper(terminal))
    # A count while the pages come in, then the phase's full bar with the total.
    assert "customer users: 500 entries" in terminal.text
    assert "entries/s" in terminal.text
    assert f"customer users [{'#' * 30}] 605/605 entries" in terminal.text


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_one_runs_and_the_other_exits_at_once(make_directory):
    directory = make_directory()
    reading, release = threading.Event(), threading.Event()
    outcome = {}

    def wait_while_reading(phase, done, total):
        if phase == "customers" and total is not None:
            reading.set()
            release.wait(10)

    def first():
        try:
            outcome["report"] = run_sync(get_data_source("directory"), progress=wait_while_reading)
        finally:
            from django.db import connection

            connection.close()

    with configured(directory):
        thread = threading.Thread(target=first)
        thread.start()
        assert reading.wait(10)
        try:
            with pytest.raises(SyncAlreadyRunning, match="a sync is already running"):
                run_sync(get_data_source("directory"))
        finally:
            release.set()
            thread.join(20)
    assert outcome["report"].counts["customers"]["created"] == 4
    assert list(SyncRun.objects.values_list("outcome", flat=True)) == [SyncRun.Outcome.SUCCEEDED]
