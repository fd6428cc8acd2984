"""The harness every test module shares.

Rules it enforces:

* Real parts only: the database, a slapd started here, Debian's Chromium. A test whose part is
  missing skips with a hint how to install it, and with ``CI=true`` every skip is a failure.
* Tests marked ``postgres`` are deselected (not skipped) unless the database is PostgreSQL, those
  marked ``sqlite`` unless it is SQLite, and
  tests marked ``django_tasks`` unless Django's tasks framework is there (``django.tasks`` on
  Django 6, the django-tasks backport on 5.2).
* Browser tests (marked ``e2e``; tests using a Playwright fixture get the marker) run last, and
  only they run with ``DJANGO_ALLOW_ASYNC_UNSAFE=true``: Playwright's sync API keeps an event
  loop running in the main thread, and Django refuses database access while a loop runs.
  Every other test still catches async misuse.
* Tests using the directory fixtures get the ``ldap`` marker.

The package tests run with ``tests/settings.py`` (the package's defaults); ``example_site`` adds
the example site's extras for a test that needs them.

Fixtures for other modules: ``acme`` (``tests.factories.make_customer()``; the factories make
every other record), ``admin_user_credentials``, ``logged_in_page``, ``screenshot``
(plus pytest-playwright's ``page``/``context``/``browser``, set up for Debian's Chromium) and
``slapd``, ``ldap_directory``, ``ldap_connection``, and ``make_directory`` for a directory a
test may change.
"""

import importlib.util
import os

import django
import pytest

from tests import harness

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
DESELECTED = pytest.StashKey[dict]()
LDAP_FIXTURES = frozenset({"slapd", "ldap_directory", "ldap_connection", "make_directory"})


# ---------------------------------------------------------------------------
# Markers, selection and order
# ---------------------------------------------------------------------------


def pytest_report_header(config):
    vendor = harness.database_vendor() or "not configured"
    line = f"harness: database {vendor}"
    if vendor != "postgresql":
        line += " (tests marked postgres are deselected)"
    if harness.ci_enabled():
        line += "; CI=true: a skipped test fails"
    return line


def pytest_itemcollected(item):
    # Runs before -m selects, so "-m 'not e2e'" also leaves out an unmarked browser test.
    names = set(getattr(item, "fixturenames", ()))
    if names & harness.E2E_FIXTURES and item.get_closest_marker("e2e") is None:
        item.add_marker(pytest.mark.e2e)
    if names & LDAP_FIXTURES and item.get_closest_marker("ldap") is None:
        item.add_marker(pytest.mark.ldap)


def tasks_framework_installed():
    """Django's tasks framework: ``django.tasks`` on Django 6, the django-tasks backport on 5.2."""
    return importlib.util.find_spec("django.tasks") is not None or importlib.util.find_spec("django_tasks") is not None


def deselecting_markers():
    """Marker -> why its tests cannot run here: they are deselected (not skipped, so that
    ``CI=true`` passes on SQLite and on Django 5.2) and counted in the summary."""
    reasons = {}
    vendor = harness.database_vendor()
    if vendor != "postgresql":
        reasons["postgres"] = f"the database is {vendor or 'not configured'}; {harness.POSTGRES_HINT}"
    if vendor != "sqlite3":
        reasons["sqlite"] = f"the database is {vendor or 'not configured'}; these tests are about SQLite's write lock"
    if not tasks_framework_installed():
        reasons["django_tasks"] = (
            f"Django {django.get_version()} has no tasks framework and the django-tasks backport is not "
            "installed: pip install -e '.[jobs]'"
        )
    return reasons


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    deselected_by = {}
    for marker, reason in deselecting_markers().items():
        deselected = [item for item in items if item.get_closest_marker(marker)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.get_closest_marker(marker) is None]
            deselected_by[marker] = (len(deselected), reason)
    config.stash[DESELECTED] = deselected_by
    # Browser tests last (stable sort): Playwright's event loop runs from the first of them
    # until the end of the session.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for marker, (count, reason) in config.stash.get(DESELECTED, {}).items():
        terminalreporter.write_line(f"{count} test(s) marked {marker} deselected: {reason}")


# ---------------------------------------------------------------------------
# CI=true: a skip is a failure
# ---------------------------------------------------------------------------


class SkipUnderCI:
    """The ``longrepr`` of a skip turned failure: printed in full and in the short summary."""

    def __init__(self, reason, path="", lineno=0):
        self.message = f"skipped under CI=true: {reason}"
        self.reprcrash = harness.CrashLine(path=path, lineno=lineno, message=self.message)

    def toterminal(self, out):
        out.line(self.message)

    def __str__(self):
        return self.message


def fail_skip_under_ci(report):
    path, lineno = "", 0
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        path, lineno = report.longrepr[0], report.longrepr[1] or 0
    report.longrepr = SkipUnderCI(harness.skip_reason(report.longrepr), path, lineno)
    report.outcome = "failed"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # xfail reports are "skipped" too but carry wasxfail: they stay as they are.
    if report.skipped and not hasattr(report, "wasxfail") and harness.ci_enabled():
        fail_skip_under_ci(report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector):
    report = yield
    if report.skipped and harness.ci_enabled():
        fail_skip_under_ci(report)
    return report


# ---------------------------------------------------------------------------
# Settings: the example site's extras, on request
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request through LocaleMiddleware (a German
    page, say) leaves its language active in the thread, and later tests would speak it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def example_site():
    """The example site's extras on the package's test settings: its ``example_project.demo`` app
    (the open-tickets-by-priority widget, ``demo_superuser``), its ``OTRS_CUSTOMER_ADMIN`` and its
    ``LOCALE_PATHS`` (the German of its own strings)."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(**settings.EXAMPLE_SITE):
        yield


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


@pytest.fixture
def acme(db):
    """The customer most tests need: ``factories.make_customer()`` (ACME, Acme Corporation, Germany)."""
    from tests.factories import make_customer  # models: not before Django is set up

    return make_customer()


# ---------------------------------------------------------------------------
# Browser: pytest-playwright's fixtures on Debian's Chromium
# ---------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # A hook, not an autouse fixture: the session fixtures (test database, Playwright,
    # live server) are set up inside the first browser test's setup, before any
    # function-scoped fixture would run.
    if item.get_closest_marker("e2e") is None:
        return (yield)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        return (yield)
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


class PlaywrightMissing:
    """Stands in for pytest-playwright when it is not installed (or disabled): its fixtures skip."""

    @pytest.fixture(scope="session")
    def playwright(self):
        pytest.skip(harness.PLAYWRIGHT_HINT)

    @pytest.fixture(scope="session")
    def browser(self):
        pytest.skip(harness.PLAYWRIGHT_HINT)

    @pytest.fixture
    def context(self):
        pytest.skip(harness.PLAYWRIGHT_HINT)

    @pytest.fixture
    def page(self):
        pytest.skip(harness.PLAYWRIGHT_HINT)


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("playwright"):
        config.pluginmanager.register(PlaywrightMissing(), "otrs-harness-playwright-missing")


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    # Start Playwright (and its event loop) after the test database exists, so that it
    # also stops before the test database is destroyed.
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):
    if browser_name != "chromium" or browser_type_launch_args.get("channel"):
        return browser_type_launch_args
    executable = harness.chromium_executable()
    if executable is None:
        pytest.skip(harness.CHROMIUM_HINT)
    return {**browser_type_launch_args, "executable_path": executable, "args": harness.CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def admin_user_credentials(admin_user):
    """``{"username": ..., "password": ...}`` of a superuser in the test database (pytest-django's ``admin_user``)."""
    return {"username": admin_user.get_username(), "password": "password"}


@pytest.fixture
def logged_in_page(page, live_server, admin_user_credentials):
    """A Playwright page logged into ``live_server.url + "/admin/"`` through the real login form."""
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", admin_user_credentials["username"])
    page.fill("#id_password", admin_user_credentials["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name="")``: a full-page PNG in ``test-artifacts/<test>[-<name>].png``; returns the path."""

    def save(page, name="", *, full_page=True):
        path = harness.artifact_path(request.node.nodeid, name, ".png")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


# ---------------------------------------------------------------------------
# Directory: a real slapd
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """A running slapd (``slapdtest.SlapdObject``) serving ``tests/data/directory.ldif`` and 120 generated companies.

    Shared by the whole session: search it, do not change it.
    """
    reason = harness.missing_ldap_part()
    if reason:
        pytest.skip(reason)
    server = harness.start_slapd(
        tmp_path_factory.mktemp("slapd"),
        harness.LDAP_DIRECTORY_LDIF.read_text(encoding="utf-8"),
        harness.generated_organizations_ldif(),
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ldap_directory(slapd):
    """``harness.LdapDirectory``: URI, root bind DN and password, and the DNs of the directory's branches."""
    return harness.LdapDirectory(uri=slapd.ldap_uri, bind_dn=slapd.root_dn, bind_password=slapd.root_pw)


@pytest.fixture
def ldap_connection(ldap_directory):
    """A python-ldap connection to the test directory, bound as its root DN."""
    import ldap

    connection = ldap.initialize(ldap_directory.uri)
    connection.set_option(ldap.OPT_REFERRALS, 0)
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
    connection.simple_bind_s(ldap_directory.bind_dn, ldap_directory.bind_password)
    yield connection
    connection.unbind_s()


class WritableDirectory:
    """A slapd of one test's own, which the test may change (see ``make_directory``)."""

    def __init__(self, server):
        self.server = server
        self.uri = server.ldap_uri

    def connection(self):
        """python-ldap, bound as the root DN (which no limit applies to)."""
        import ldap

        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(self.server.root_dn, self.server.root_pw)
        return connection

    def modify(self, dn, **attributes):
        import ldap

        connection = self.connection()

        def encoded(value):  # a text, a list of texts (a multi-valued attribute), or nothing to delete it
            if not value:
                return None
            return [item.encode() for item in value] if isinstance(value, list) else [value.encode()]

        changes = [(ldap.MOD_REPLACE, name, encoded(value)) for name, value in attributes.items()]
        connection.modify_s(dn, changes)
        connection.unbind_s()

    def rename(self, dn, new_rdn, new_superior=None):
        connection = self.connection()
        connection.rename_s(dn, new_rdn, newsuperior=new_superior, delold=1)
        connection.unbind_s()

    def delete(self, *dns):
        connection = self.connection()
        for dn in dns:
            connection.delete_s(dn)
        connection.unbind_s()

    def add(self, ldif):
        self.server.ldapadd(ldif)

    def source(self, **options):
        """A ``DATA_SOURCES`` entry for this directory, bound as the ordinary reader."""
        import ldap
        from django_auth_ldap.config import LDAPSearch

        base = harness.LDAP_SUFFIX
        return {
            "BACKEND": "otrs_customer_admin.datasources.ldap.LDAPSource",
            "LABEL": "Company directory",
            "SERVER_URI": self.uri,
            "BIND_DN": harness.READER_DN,
            "BIND_PASSWORD": harness.READER_PASSWORD,
            "PAGE_SIZE": 50,
            "TIMEOUT": 5,
            "DEFAULT_COUNTRY": "DE",
            "CUSTOMER_SEARCH": LDAPSearch(f"ou=customers,{base}", ldap.SCOPE_SUBTREE, "(objectClass=organization)"),
            "CUSTOMER_USER_SEARCH": LDAPSearch(base, ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)"),
            **options,
        }


@pytest.fixture
def make_directory(tmp_path):
    """``make_directory(ldif=..., database_config=..., schemas=...)``: a fresh slapd for this test.

    Serves ``harness.sync_directory_ldif()`` unless given other LDIF; stopped after the test.
    """
    reason = harness.missing_ldap_part()
    if reason:
        pytest.skip(reason)
    servers = []

    def make(ldif=None, *, database_config="", schemas=()):
        rundir = tmp_path / f"slapd-{len(servers)}"
        rundir.mkdir()
        server = harness.start_slapd(
            rundir, ldif or harness.sync_directory_ldif(), database_config=database_config, schemas=schemas
        )
        servers.append(server)
        return WritableDirectory(server)

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def directory_settings(make_directory):
    """``directory_settings(directory=None, package=None, **options)``: the package configured with the
    database source and that directory (a fresh one of ``make_directory`` if none) as the source
    ``directory``, with the directory source's ``options`` and the package's other settings
    ``package`` (``{"CUSTOMER_GROUP_SUPPORT": True}``); back as it was after the test."""
    from django.test.utils import override_settings

    overrides = []

    def configure(directory=None, package=None, **options):
        directory = directory or make_directory()
        database = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
        sources = {"database": database, "directory": directory.source(**options)}
        override = override_settings(OTRS_CUSTOMER_ADMIN={**(package or {}), "DATA_SOURCES": sources})
        override.enable()
        overrides.append(override)
        return directory

    yield configure
    for override in reversed(overrides):
        override.disable()
