"""The test harness's plain helpers: real parts (browser, directory, database) and where to find them.

The fixtures built on these live in ``tests/conftest.py``. Nothing here imports Django,
Playwright or python-ldap at module level, so the harness loads on a machine without them
and the tests that need them skip with a hint how to install them.
"""

import importlib.util
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"

# ---------------------------------------------------------------------------
# CI: a skip there is a failure
# ---------------------------------------------------------------------------


def ci_enabled(environ=None):
    """True when ``CI`` says so (``true``, ``1`` or ``yes``, as CI services set it)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in {"true", "1", "yes"}


@dataclass(frozen=True)
class CrashLine:
    """Where and why a test failed, as pytest's short summary and junitxml read it (``reprcrash``)."""

    path: str
    lineno: int
    message: str


def skip_reason(longrepr):
    """The reason of a skipped report: ``(path, lineno, "Skipped: why")`` -> ``"why"``."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        longrepr = longrepr[2]
    return str(longrepr).removeprefix("Skipped: ")


# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------

POSTGRES_HINT = "set DATABASE_URL=postgres://user:password@host:5432/name to run them"


def database_vendor():
    """``"postgresql"``, ``"sqlite"``, ... for the configured default database, or None without Django."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    engine = settings.DATABASES.get("default", {}).get("ENGINE", "")
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    return engine.rsplit(".", 1)[-1] or None


def on_postgres_server(url, *statements):
    """Run ``statements`` (``CREATE DATABASE ...``) on the PostgreSQL server of ``url``, outside any
    database of the suite: for the tests whose processes share a database of their own."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def drop_postgres_database(url, name, wait=60):
    """Drop the database ``name`` of the PostgreSQL server of ``url``, with the sessions still in it.

    ``WITH (FORCE)`` ends the sessions of the suite's own role; one of the server's own processes
    (an autovacuum worker, after a test wrote much) it may not end, and then says so: such a
    process finishes within seconds, so the drop is tried again until ``wait`` seconds passed."""
    import psycopg

    deadline = time.monotonic() + wait
    while True:
        try:
            on_postgres_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# ---------------------------------------------------------------------------
# Browser: Playwright driving Debian's Chromium
# ---------------------------------------------------------------------------

PLAYWRIGHT_HINT = "playwright not installed: pip install -e '.[test]'"
CHROMIUM_HINT = "chromium not found: apt-get install chromium (or run make test as root; or set CHROMIUM=/path/to/it)"

# --no-sandbox: CI runs as root. The rest keep Chromium from phoning home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

E2E_FIXTURES = frozenset({"page", "context", "new_context", "browser", "browser_type", "playwright", "logged_in_page"})


def chromium_executable():
    """Debian's Chromium (``$CHROMIUM``, ``chromium`` on PATH or /usr/bin/chromium), or None."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def artifact_path(nodeid, name="", suffix=".png"):
    """``test-artifacts/<test>[-<name>]<suffix>`` for a pytest node id; creates the directory."""
    test = nodeid.removeprefix("tests/").replace(".py::", "-")
    stem = re.sub(r"[^A-Za-z0-9_.]+", "-", f"{test}-{name}" if name else test).strip("-.")
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / f"{stem[:180]}{suffix}"


# ---------------------------------------------------------------------------
# Translations: GNU gettext's tools, which makemessages and compilemessages run
# ---------------------------------------------------------------------------

GETTEXT_HINT = "{command} not found: apt-get install gettext (or run make test as root)"


def missing_gettext_tool(*commands):
    """Why makemessages or compilemessages cannot run here (a skip reason with an install hint), or None."""
    for command in commands or ("xgettext", "msgmerge", "msguniq", "msgattrib", "msgfmt"):
        if not shutil.which(command):
            return GETTEXT_HINT.format(command=command)
    return None


# ---------------------------------------------------------------------------
# Directory: a real slapd through python-ldap's slapdtest
# ---------------------------------------------------------------------------

PYTHON_LDAP_HINT = "python-ldap not installed: apt-get install libldap2-dev libsasl2-dev && pip install -e '.[ldap]'"
SLAPD_HINT = "slapd not found: apt-get install slapd ldap-utils"
LDAP_UTILS_HINT = "{command} not found: apt-get install ldap-utils"
SCHEMA_HINT = "OpenLDAP schemas not found in /etc/ldap/schema: apt-get install slapd (or set SCHEMA=/path/to/schema)"

LDAP_SUFFIX = "dc=example,dc=com"
LDAP_SCHEMAS = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")
LDAP_DIRECTORY_LDIF = DATA_DIR / "directory.ldif"
GENERATED_ORGANIZATIONS = 120
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


@dataclass(frozen=True)
class LdapDirectory:
    """Where the test directory lives and how to bind to it (see ``tests/data/directory.ldif``)."""

    uri: str
    bind_dn: str
    bind_password: str
    base_dn: str = LDAP_SUFFIX
    customers_dn: str = f"ou=customers,{LDAP_SUFFIX}"
    people_dn: str = f"ou=people,{LDAP_SUFFIX}"
    groups_dn: str = f"ou=groups,{LDAP_SUFFIX}"
    generated_dn: str = f"ou=generated,{LDAP_SUFFIX}"
    generated_count: int = GENERATED_ORGANIZATIONS
    user_password: str = "secret"


def missing_ldap_part():
    """Why a real directory cannot run here (a skip reason with an install hint), or None."""
    if importlib.util.find_spec("ldap") is None or importlib.util.find_spec("slapdtest") is None:
        return PYTHON_LDAP_HINT
    search_path = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN_DIRS])
    if not (os.environ.get("SLAPD") or shutil.which("slapd", path=search_path)):
        return SLAPD_HINT
    for command in ("slapadd", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami"):
        if not shutil.which(command, path=search_path):
            return SLAPD_HINT if command == "slapadd" else LDAP_UTILS_HINT.format(command=command)
    schema_dir = os.environ.get("SCHEMA") or next(
        (path for path in ("/etc/openldap/schema", "/etc/ldap/schema") if os.path.isdir(path)), None
    )
    if not schema_dir or not all(os.path.isfile(os.path.join(schema_dir, name)) for name in LDAP_SCHEMAS):
        return SCHEMA_HINT
    return None


def generated_organizations_ldif(count=GENERATED_ORGANIZATIONS, base_dn=f"ou=generated,{LDAP_SUFFIX}"):
    """``count`` customer companies ``o=customer-001`` ... as LDIF, for searches over many pages."""
    records = []
    for number in range(1, count + 1):
        records.append(
            f"dn: o=customer-{number:03d},{base_dn}\n"
            "objectClass: organization\n"
            f"o: customer-{number:03d}\n"
            f"description: Generated Customer {number:03d} Ltd\n"
            f"street: {number} Generated Street\n"
            f"postalCode: {10000 + number}\n"
            "l: Testville\n"
        )
    return "\n".join(records)


def start_slapd(rundir, *ldif_texts, database_config="", schemas=()):
    """Start a slapd (``slapdtest.SlapdObject``) in ``rundir`` and load ``ldif_texts`` with slapadd.

    ``database_config`` adds ``olc…`` lines to the database's configuration (limits, say);
    ``schemas`` adds schema LDIF files. The caller stops it with ``server.stop()``, which
    also removes its run directory.
    """
    import slapdtest

    class CustomerDirectory(slapdtest.SlapdObject):
        # slapdtest reads $TMP once, at import, and else uses the current directory.
        TMPDIR = str(rundir)
        suffix = LDAP_SUFFIX
        openldap_schema_files = (*LDAP_SCHEMAS, *map(str, schemas))
        slapd_loglevel = "none"
        slapd_conf_template = slapdtest.SlapdObject.slapd_conf_template + database_config

    server = CustomerDirectory()
    server.start()
    try:
        for ldif in ldif_texts:
            server.slapadd(ldif)
    except BaseException:
        server.stop()
        raise
    return server


# ---------------------------------------------------------------------------
# Directories for the sync: built per test, changed by the test
# ---------------------------------------------------------------------------

READER_DN = f"uid=reader,ou=system,{LDAP_SUFFIX}"
READER_PASSWORD = "reader-secret"
AD_SCHEMA_LDIF = DATA_DIR / "ad-attributes.ldif"


def ldif_record(dn, object_classes, **attributes):
    """One LDIF record; values that are not plain ASCII are base64 encoded, as LDIF wants."""
    import base64

    def line(name, value):
        if isinstance(value, bytes) or not value.isascii() or value[:1] in (" ", ":", "<"):
            raw = value if isinstance(value, bytes) else value.encode()
            return f"{name}:: {base64.b64encode(raw).decode()}"
        return f"{name}: {value}"

    lines = [line("dn", dn), *(f"objectClass: {name}" for name in object_classes)]
    for name, values in attributes.items():
        for value in values if isinstance(values, list) else [values]:
            lines.append(line(name, value))
    return "\n".join(lines) + "\n"


def organization(dn, o, description=None, **attributes):
    extra = {"description": description} if description else {}
    return ldif_record(dn, ["organization"], o=o, **extra, **attributes)


def person(dn, uid, sn, mail=None, **attributes):
    extra = {"mail": mail} if mail else {}
    cn = " ".join(part for part in (attributes.get("givenName", ""), sn) if part)
    return ldif_record(dn, ["inetOrgPerson"], uid=uid, cn=cn, sn=sn, **extra, **attributes)


def unit(dn, ou):
    return ldif_record(dn, ["organizationalUnit"], ou=ou)


def sync_directory_ldif(generated_people=0):
    """The directory the sync tests start from; see ``tests/test_ldap_sync.py`` for what each entry proves.

    Customers sit in several OUs, one with a UTF-8 DN; people sit under ou=people (linked
    by ``o``) or under their organization (no ``o``: found by their DN). ``generated_people``
    adds that many more people of ACME under ``ou=many``.
    """
    base = LDAP_SUFFIX
    records = [
        ldif_record(base, ["dcObject", "organization"], dc="example", o="Example Helpdesk"),
        unit(f"ou=system,{base}", "system"),
        ldif_record(READER_DN, ["account", "simpleSecurityObject"], uid="reader", userPassword=READER_PASSWORD),
        unit(f"ou=customers,{base}", "customers"),
        unit(f"ou=europe,ou=customers,{base}", "europe"),
        unit(f"ou=america,ou=customers,{base}", "america"),
        organization(
            f"o=ACME,ou=america,ou=customers,{base}",
            "ACME",
            "ACME Corporation",
            street="1 Road Runner Way",
            postalCode="85001",
            l="Phoenix",
        ),
        organization(f"o=Globex,ou=america,ou=customers,{base}", "Globex", "Globex Corporation", l="Springfield"),
        organization(
            f"o=mueller-gmbh,ou=europe,ou=customers,{base}",
            "mueller-gmbh",
            "Müller & Söhne GmbH",
            street="Hauptstraße 5",
            postalCode="80331",
            l="München",
        ),
        # A UTF-8 DN, and nothing but the mandatory attributes.
        organization(f"o=Bäckerei-Körner,ou=europe,ou=customers,{base}", "Bäckerei-Körner", "Bäckerei Körner"),
        unit(f"ou=people,{base}", "people"),
        person(
            f"uid=wcoyote,ou=people,{base}",
            "wcoyote",
            "Coyote",
            "wile.coyote@acme.example",
            givenName="Wile E.",
            o="ACME",
            telephoneNumber="+1 602 555 0101",
        ),
        person(f"uid=rrunner,ou=people,{base}", "rrunner", "Runner", "road.runner@acme.example", o="ACME"),
        person(
            f"uid=jmüller,ou=people,{base}",
            "jmüller",
            "Müller",
            "juergen.mueller@mueller.example",
            givenName="Jürgen",
            o="mueller-gmbh",
        ),
        # Under their organization, without an o attribute.
        person(
            f"uid=hscorpio,o=Globex,ou=america,ou=customers,{base}",
            "hscorpio",
            "Scorpio",
            "hank.scorpio@globex.example",
            givenName="Hank",
        ),
        # Malformed: no email.
        person(f"uid=nomail,ou=people,{base}", "nomail", "Nomail", o="ACME"),
        unit(f"ou=many,{base}", "many"),
    ]
    for number in range(1, generated_people + 1):
        records.append(
            person(
                f"uid=person{number:03d},ou=many,{base}",
                f"person{number:03d}",
                f"Person {number:03d}",
                f"person{number:03d}@acme.example",
                o="ACME",
            )
        )
    return "\n".join(records)


def reader_size_limit(size, *, paged_total="unlimited"):
    """slapd limits for ordinary users (the reader): ``size`` entries a search, ``paged_total`` in all pages.

    ``paged_total="unlimited"`` is how Active Directory behaves (MaxPageSize); without it a
    paged search is cut at ``size`` entries in all.
    """
    total = f" size.prtotal={paged_total}" if paged_total else ""
    # "users": every bound user but the root DN. (A dn.exact pattern cannot be parsed here:
    # slapdtest loads the schemas after the database's configuration.)
    return f"olcLimits: users size.soft={size} size.hard={size}{total}\n"


def stop_process(pid, timeout=10):
    """SIGSTOP ``pid`` and wait until each of its threads has stopped: a thread takes the signal
    only when it next runs, so on a busy machine a stopped slapd could still answer a request."""
    import signal

    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {timeout} s")
