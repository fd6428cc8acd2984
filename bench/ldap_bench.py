"""LDAP sync speed, measured in one run against ldapsearch paging through the same entries.

    make bench-ldap                                  # 10,000 customers, 50,000 customer users, SQLite
    DATABASE_URL=postgres://u:p@host/db make bench-ldap   # PostgreSQL (a database <db>_ldap_bench is made)
    python bench/ldap_bench.py --customers 1000 --customer-users 5000

It starts a real slapd (python-ldap's slapdtest) with the generated directory, limits
ordinary users to 1,000 entries a search as Active Directory does (paging goes past
it), and times, binding as that ordinary user:

* ``ldapsearch -E pr=500/noprompt`` reading both searches' attributes (the floor:
  what reading the directory costs at all),
* the first sync into an empty database,
* a re-sync of the unchanged directory,

each sync in its own process, so that its peak memory (max RSS) is its own. The
goals are: first sync at least 2,000 entries/s, re-sync at least 5,000 entries/s,
peak memory under 400 MB; the table shows each time's ratio to ldapsearch.
"""

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = "dc=example,dc=com"
READER_DN = f"uid=reader,ou=system,{SUFFIX}"
READER_PASSWORD = "reader-secret"
PAGE_SIZE = 500
REGIONS = ["europe", "america", "asia", "africa", "oceania"]
CITIES = ["Berlin", "München", "Zürich", "Paris", "Amsterdam", "London", "Boston", "Malmö", "Milano", "Sevilla"]
FIRST_NAMES = ["Anna", "Jürgen", "Mia", "Noah", "Lena", "Élodie", "Omar", "Sofía", "Li", "Ingrid"]
LAST_NAMES = ["Müller", "Schmidt", "Dubois", "García", "Smith", "Rossi", "Nowak", "Jensen", "Kim", "Öztürk"]


def directory_ldif(customers, customer_users):
    """The benchmark's directory: customers in five regional OUs, people under ou=people naming theirs."""
    lines = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
        f"dn: ou=system,{SUFFIX}\nobjectClass: organizationalUnit\nou: system\n",
        f"dn: {READER_DN}\nobjectClass: account\nobjectClass: simpleSecurityObject\nuid: reader\n"
        f"userPassword: {READER_PASSWORD}\n",
        f"dn: ou=customers,{SUFFIX}\nobjectClass: organizationalUnit\nou: customers\n",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        *(
            f"dn: ou={region},ou=customers,{SUFFIX}\nobjectClass: organizationalUnit\nou: {region}\n"
            for region in REGIONS
        ),
    ]
    for number in range(customers):
        region = REGIONS[number % len(REGIONS)]
        lines.append(
            f"dn: o=CUST-{number:06d},ou={region},ou=customers,{SUFFIX}\nobjectClass: organization\n"
            f"o: CUST-{number:06d}\ndescription: Customer {number:06d} GmbH\n"
            f"street: Station Street {number % 200 + 1}\npostalCode: {10000 + number % 89999}\n"
            f"l:: {b64(CITIES[number % len(CITIES)])}\n"
        )
    for number in range(customer_users):
        first, last = FIRST_NAMES[number % 10], LAST_NAMES[number // 10 % 10]
        lines.append(
            f"dn: uid=user{number:06d},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: user{number:06d}\n"
            f"cn:: {b64(f'{first} {last}')}\ngivenName:: {b64(first)}\nsn:: {b64(last)}\n"
            f"mail: user{number:06d}@customer-{number % customers:06d}.example\n"
            f"telephoneNumber: +49 30 {number:07d}\no: CUST-{number % customers:06d}\n"
        )
    return "\n".join(lines)


def b64(text):
    import base64

    return base64.b64encode(text.encode()).decode()


def source_options(uri):
    import ldap
    from django_auth_ldap.config import LDAPSearch

    return {
        "BACKEND": "otrs_customer_admin.datasources.ldap.LDAPSource",
        "LABEL": "Benchmark directory",
        "SERVER_URI": uri,
        "BIND_DN": READER_DN,
        "BIND_PASSWORD": READER_PASSWORD,
        "PAGE_SIZE": PAGE_SIZE,
        "DEFAULT_COUNTRY": "DE",
        "CUSTOMER_SEARCH": LDAPSearch(f"ou=customers,{SUFFIX}", ldap.SCOPE_SUBTREE, "(objectClass=organization)"),
        "CUSTOMER_USER_SEARCH": LDAPSearch(f"ou=people,{SUFFIX}", ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)"),
    }


# --- the sync, in a process of its own ---------------------------------------------------------


def child_sync(uri, database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    database = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
    override_settings(
        OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": database, "bench": source_options(uri)}}
    ).enable()
    from otrs_customer_admin.datasources import get_data_source
    from otrs_customer_admin.directory_sync import run_sync

    started = time.perf_counter()
    report = run_sync(get_data_source("bench"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "peak_mb": peak, "entries": report.entries, "counts": report.counts}
    sys.stdout.write(json.dumps(result) + "\n")


def run_child(uri, database_url):
    output = subprocess.run(
        [sys.executable, __file__, "--child", uri, database_url], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- the parent ------------------------------------------------------------------------------


def start_directory(rundir, ldif):
    os.environ["TMP"] = str(rundir)
    import slapdtest

    class BenchDirectory(slapdtest.SlapdObject):
        TMPDIR = str(rundir)
        suffix = SUFFIX
        openldap_schema_files = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")
        slapd_loglevel = "none"
        # Like Active Directory's MaxPageSize: 1,000 entries a search, a paged search unlimited.
        slapd_conf_template = (
            slapdtest.SlapdObject.slapd_conf_template
            + "olcLimits: users size.soft=1000 size.hard=1000 size.prtotal=unlimited\n"
            + "olcDbMaxSize: 2147483648\n"  # the 10 MB default holds a few thousand entries
        )

    server = BenchDirectory()
    server.start()
    server.slapadd(ldif)
    return server


def time_ldapsearch(uri):
    ldapsearch = shutil.which("ldapsearch")
    if ldapsearch is None:
        sys.exit("ldapsearch not found: apt-get install ldap-utils")
    searches = [
        (
            f"ou=customers,{SUFFIX}",
            "(objectClass=organization)",
            "entryUUID o description street postalCode l c labeledURI",
        ),
        (
            f"ou=people,{SUFFIX}",
            "(objectClass=inetOrgPerson)",
            "entryUUID uid givenName sn mail telephoneNumber facsimileTelephoneNumber mobile street postalCode l o",
        ),
    ]
    started = time.perf_counter()
    entries = 0
    for base, filterstr, attributes in searches:
        command = [ldapsearch, "-LLL", "-x", "-H", uri, "-D", READER_DN, "-w", READER_PASSWORD, "-b", base]
        command += ["-E", f"pr={PAGE_SIZE}/noprompt", filterstr, *attributes.split()]
        result = subprocess.run(command, check=True, capture_output=True)
        entries += result.stdout.count(b"\ndn: ") + result.stdout.startswith(b"dn: ")
    return time.perf_counter() - started, entries


def bench_database_url():
    """SQLite in a temporary file, or a database of its own beside DATABASE_URL's PostgreSQL one."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        return f"sqlite:///{tempfile.mkdtemp(prefix='ldap-bench-')}/bench.sqlite3", "SQLite"
    import psycopg

    parts = urlsplit(given)
    name = parts.path.lstrip("/") + "_ldap_bench"
    admin = psycopg.connect(given, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunsplit(parts._replace(path=f"/{name}")), "PostgreSQL"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--customer-users", type=int, default=50_000)
    parser.add_argument("--child", nargs=2, metavar=("URI", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_sync(*args.child)
        return

    total = args.customers + args.customer_users
    rundir = Path(tempfile.mkdtemp(prefix="ldap-bench-slapd-"))
    started = time.perf_counter()
    server = start_directory(rundir, directory_ldif(args.customers, args.customer_users))
    progress(f"directory: {total:,} entries loaded into slapd in {time.perf_counter() - started:.1f} s")
    try:
        floor, found = time_ldapsearch(server.ldap_uri)
        assert found == total, f"ldapsearch found {found} entries, not {total}"
        progress(f"ldapsearch -E pr={PAGE_SIZE}/noprompt: {floor:.2f} s")
        database_url, vendor = bench_database_url()
        first = run_child(server.ldap_uri, database_url)
        progress(f"first sync: {first['seconds']:.2f} s")
        again = run_child(server.ldap_uri, database_url)
        progress(f"re-sync: {again['seconds']:.2f} s")
    finally:
        server.stop()
        shutil.rmtree(rundir, ignore_errors=True)

    assert first["counts"]["customer_users"]["created"] == args.customer_users, first["counts"]
    assert again["counts"]["customer_users"]["unchanged"] == args.customer_users, again["counts"]
    table = io.StringIO()
    table.write(f"{args.customers:,} customers and {args.customer_users:,} customer users, {vendor}, ")
    table.write(f"page size {PAGE_SIZE}, one run\n\n")
    table.write("| run | seconds | entries/s | ratio to ldapsearch | peak MB |\n|---|---:|---:|---:|---:|\n")
    table.write(f"| ldapsearch -E pr={PAGE_SIZE}/noprompt | {floor:.2f} | {total / floor:,.0f} | 1.00 | |\n")
    for label, run in (("first sync", first), ("re-sync, unchanged", again)):
        seconds, peak = run["seconds"], run["peak_mb"]
        table.write(f"| {label} | {seconds:.2f} | {total / seconds:,.0f} | {seconds / floor:.1f} | {peak:.0f} |\n")
    goals = [
        ("first sync, entries/s", total / first["seconds"], ">= 2,000"),
        ("re-sync, entries/s", total / again["seconds"], ">= 5,000"),
        ("peak memory, MB", max(first["peak_mb"], again["peak_mb"]), "< 400"),
    ]
    table.write("\n| goal | measured | target |\n|------|---------:|--------|\n")
    for label, value, target in goals:
        table.write(f"| {label} | {value:,.0f} | {target} |\n")
    sys.stdout.write(table.getvalue())


def progress(text):
    sys.stderr.write(text + "\n")


if __name__ == "__main__":
    main()
