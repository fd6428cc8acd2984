"""The import and export commands: files, options, the summary, errors and exit codes, progress."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.importexport.engine import CHUNK_ROWS
from otrs_customer_admin.importexport.formats import FileProblem, FileRows, format_for
from otrs_customer_admin.importexport.importers import CustomerUserImport
from otrs_customer_admin.models import Customer, CustomerUser, Validity
from tests.factories import make_customer, make_customer_user
from tests.importing import excel_csv, plain_csv

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
HEADER = ["CustomerID", "CustomerCompanyName", "CustomerCompanyCity", "CustomerCompanyCountry", "Valid"]
USER_HEADER = ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "UserPhone"]


def run(*args):
    """``call_command``: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args):
    """``call_command`` that must fail: (the CommandError's message, stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return str(raised.value), err.getvalue()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def format_rows(data, file_format="csv"):
    dataset = format_for(file_format).create_dataset(data)
    return [dict(zip(dataset.headers[1:], row[1:], strict=True)) for row in dataset]


def rows_of(path):
    return format_rows(Path(path).read_bytes(), path)


@pytest.fixture
def customers_file(tmp_path):
    return write(
        tmp_path,
        "customers.csv",
        excel_csv(
            [
                HEADER,
                ["ACME", "Acme Corporation", "Berlin", "Germany", "valid"],
                ["GLOBEX", "Globex", "Springfield", "US", "invalid"],
                ["INITECH", "Initech", "Austin", "USA", "valid"],
            ]
        ),
    )


# ---------------------------------------------------------------------------
# import_customers / import_customer_users
# ---------------------------------------------------------------------------


def test_import_customers_creates_and_summarises(customers_file):
    out, _ = run("import_customers", customers_file)
    assert out.startswith("3 created, 0 updated, 0 unchanged (3 rows in ")
    assert dict(Customer.objects.values_list("customer_id", "valid")) == {
        "ACME": Validity.VALID,
        "GLOBEX": Validity.INVALID,
        "INITECH": Validity.VALID,
    }
    # Without --user nothing goes into the admin history.
    assert not LogEntry.objects.exists()

    Customer.objects.filter(customer_id="ACME").update(city="Hamburg")
    out, _ = run("import_customers", customers_file)
    assert out.startswith("0 created, 1 updated, 2 unchanged (3 rows in ")
    assert Customer.objects.get(customer_id="ACME").city == "Berlin"


def test_dry_run_counts_and_writes_nothing(customers_file):
    make_customer("acme", "Acme Corporation", city="Bonn")
    out, _ = run("import_customers", customers_file, "--dry-run")
    assert out.splitlines()[0].startswith("2 created, 1 updated, 0 unchanged (3 rows in ")
    assert out.splitlines()[1] == "Dry run: nothing was written."
    assert list(Customer.objects.values_list("customer_id", "city")) == [("acme", "Bonn")]


def test_user_records_the_changes_in_the_admin_history(customers_file, admin_user):
    make_customer("ACME", "Acme Corporation", city="Bonn")
    run("import_customers", customers_file, "--user", admin_user.username)
    entries = LogEntry.objects.order_by("object_repr")
    assert [(entry.object_repr, entry.action_flag, entry.user) for entry in entries] == [
        ("Acme Corporation (ACME)", CHANGE, admin_user),
        ("Globex (GLOBEX)", ADDITION, admin_user),
        ("Initech (INITECH)", ADDITION, admin_user),
    ]
    assert entries[0].get_change_message() == "Changed City."
    message, _ = refused("import_customers", customers_file, "--user", "nobody")
    assert message == "There is no user nobody."  # as merge_customers and sync_data_sources say it


def test_a_rejected_file_lists_its_problems_by_line_and_writes_nothing(tmp_path):
    path = write(
        tmp_path,
        "customers.csv",
        plain_csv(
            [
                HEADER,
                ["ACME", "Acme", "Berlin", "DE", "valid"],
                ["GLOBEX", "Globex", "", "Narnia", "valid"],
                ["INITECH", "Initech", "", "US", "maybe"],
            ]
        ),
    )
    message, err = refused("import_customers", path)
    assert message == "The file was rejected with 2 problem(s); nothing was written."
    assert (
        "Line 3, CustomerCompanyCountry: Unknown country 'Narnia': use an ISO code such as DE "
        "or an English name such as Germany." in err.splitlines()
    )
    assert "Line 4, Valid: Unknown validity 'maybe'" in err
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (
            "CustomerID;Name\r\nMÜLLER;Müller\r\n".encode("cp1252"),
            "customers.csv",
            "Line 2, CustomerID: The file is not",
        ),
        (b"", "customers.csv", "The file is empty."),
        (b"CustomerID,Name\n", "customers.xlsx", "This is not an Excel (.xlsx) file but text, probably CSV."),
        (b"", "customers.ods", "OpenDocument (.ods) files cannot be read."),
    ],
    ids=["latin-1", "empty", "csv-named-xlsx", "ods"],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path, data, name, expected):
    message, _ = refused("import_customers", write(tmp_path, name, data))
    assert message.startswith(expected)


def test_a_missing_file_or_an_unknown_country_is_refused(tmp_path, customers_file):
    assert refused("import_customers", str(tmp_path / "nope.csv"))[0] == f"No such file: {tmp_path / 'nope.csv'}"
    message, _ = refused("import_customers", customers_file, "--default-country", "Narnia")
    assert message.startswith("Unknown country 'Narnia'")


def test_format_overrides_the_file_name(tmp_path):
    records = [{"CustomerID": "ACME", "name": "Acme", "country": "DE"}]
    path = write(tmp_path, "customers.export", json.dumps(records).encode())
    message, _ = refused("import_customers", path)
    assert message.startswith("Unknown file format customers.export")
    out, _ = run("import_customers", path, "--format", "json")
    assert out.startswith("1 created")
    book = openpyxl.Workbook()
    book.active.append(["CustomerID", "Name", "Country"])
    book.active.append(["GLOBEX", "Globex", "US"])
    book.save(tmp_path / "sheet")
    out, _ = run("import_customers", str(tmp_path / "sheet"), "--format", "xlsx")
    assert out.startswith("1 created")
    assert sorted(Customer.objects.values_list("customer_id", flat=True)) == ["ACME", "GLOBEX"]


ZAMMAD_ORGANIZATIONS = plain_csv(
    [
        ["id", "name", "shared", "domain", "domain_assignment", "active", "note", "vip"],
        ["1", "Acme & Co", "true", "acme.example", "false", "true", "Key account", "false"],
        ["2", "Zammad Foundation", "true", "", "false", "false", "", "false"],
    ]
)


def test_default_country_completes_a_zammad_file(tmp_path):
    path = write(tmp_path, "organizations.csv", ZAMMAD_ORGANIZATIONS)
    _, err = refused("import_customers", path)
    assert "choose a default country (--default-country" in err
    out, _ = run("import_customers", path, "--default-country", "Austria")
    assert out.startswith("2 created")
    assert set(Customer.objects.values_list("country", flat=True)) == {"AT"}
    with override_settings(OTRS_CUSTOMER_ADMIN={"DEFAULT_COUNTRY": "CH"}):
        out, _ = run("import_customers", path)
    assert out.startswith("0 created, 0 updated, 2 unchanged")


def test_default_country_fills_in_new_customer_users_without_one(tmp_path):
    acme = make_customer("ACME", "Acme")
    make_customer_user(acme, "jdoe", "Jane", "Doe", email="j@acme.example")
    header = ["login", "first_name", "last_name", "email", "customer", "country"]
    rows = [
        header,
        ["jdoe", "Jane", "Doe", "j@acme.example", "ACME", ""],  # existing: left as it is
        ["mmax", "Max", "Muster", "m@acme.example", "ACME", ""],  # new, no country: the default
        ["erika", "Erika", "Muster", "e@acme.example", "ACME", "CH"],  # new with a country: its own
    ]
    out, _ = run("import_customer_users", write(tmp_path, "users.csv", plain_csv(rows)), "--default-country", "Austria")
    assert out.startswith("2 created, 0 updated, 1 unchanged")
    assert dict(CustomerUser.objects.values_list("login", "country")) == {"jdoe": "", "mmax": "AT", "erika": "CH"}


def test_import_customer_users(tmp_path, admin_user):
    acme = make_customer("ACME", "Acme")
    rows = [
        USER_HEADER,
        ["jdoe", "Jane", "Doe", "jane@acme.example", "acme", "+49 30 1234"],
        ["mmax", "Max", "Muster", "max@acme.example", "ACME", ""],
    ]
    path = write(tmp_path, "users.csv", plain_csv(rows))
    out, _ = run("import_customer_users", path, "--dry-run")
    assert out.startswith("2 created, 0 updated, 0 unchanged") and not CustomerUser.objects.exists()
    out, _ = run("import_customer_users", path, "--user", admin_user.username)
    assert out.startswith("2 created")
    jdoe = CustomerUser.objects.get(login="jdoe")
    assert (jdoe.customer, jdoe.phone) == (acme, "+49 30 1234")
    assert LogEntry.objects.filter(user=admin_user, action_flag=ADDITION).count() == 2

    bad = write(tmp_path, "bad.csv", plain_csv([USER_HEADER, ["x", "X", "Y", "x@x.example", "NOPE", ""]]))
    message, err = refused("import_customer_users", bad)
    assert message == "The file was rejected with 1 problem(s); nothing was written."
    assert "Line 2, UserCustomerID: no customer with the CustomerID NOPE." in err


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path):
    rows = [["CustomerID", "Name", "Country"], *[[f"C{n:04d}", f"Customer {n:04d}", "DE"] for n in range(2100)]]
    out, err = run("import_customers", write(tmp_path, "big.csv", plain_csv(rows)))
    assert out.startswith("2100 created")
    lines = err.splitlines()
    assert "\r" not in err
    assert [line.split(":")[0] for line in lines] == ["checking"] * 3 + ["writing"] * 3
    assert lines[2].startswith("checking: 2,100/2,100 rows, ")
    assert lines[-1].startswith("writing: 2,100/2,100 rows, ") and lines[-1].endswith(" rows/s")


# ---------------------------------------------------------------------------
# Files of any size: read a chunk at a time, checked whole, written all or nothing
# ---------------------------------------------------------------------------


def user_rows(count):
    return [[f"user{n:05d}", "Jane", f"Doe {n}", f"user{n:05d}@acme.example", "ACME", ""] for n in range(count)]


ROWS = 2 * CHUNK_ROWS + 500  # three chunks, the last one short


@pytest.fixture
def acme():
    return Customer.objects.create(customer_id="ACME", name="Acme", country="DE")


def test_a_file_of_several_chunks_imports_every_row(tmp_path, acme):
    rows = user_rows(ROWS)
    path = write(tmp_path, "users.csv", plain_csv([USER_HEADER, *rows]))
    out, _ = run("import_customer_users", path)
    assert out.startswith(f"{ROWS} created, 0 updated, 0 unchanged ({ROWS} rows in ")
    assert CustomerUser.objects.filter(customer=acme).count() == ROWS
    last = CustomerUser.objects.get(login=f"user{ROWS - 1:05d}")
    assert (last.last_name, last.email) == (f"Doe {ROWS - 1}", f"user{ROWS - 1:05d}@acme.example")

    rows[-1][5] = "+49 30 1234"  # one change, in the last chunk
    path = write(tmp_path, "users.csv", plain_csv([USER_HEADER, *rows]))
    out, _ = run("import_customer_users", path)
    assert out.startswith(f"0 created, 1 updated, {ROWS - 1} unchanged")
    assert CustomerUser.objects.get(login=f"user{ROWS - 1:05d}").phone == "+49 30 1234"


def test_a_problem_in_the_last_chunk_writes_nothing(tmp_path, acme):
    rows = user_rows(ROWS)
    rows[-1][4] = "NOPE"
    message, err = refused("import_customer_users", write(tmp_path, "users.csv", plain_csv([USER_HEADER, *rows])))
    assert message == "The file was rejected with 1 problem(s); nothing was written."
    assert f"Line {ROWS + 1}, UserCustomerID: no customer with the CustomerID NOPE." in err.splitlines()
    assert not CustomerUser.objects.exists()


def test_a_login_or_address_repeated_in_another_chunk_names_both_lines(tmp_path, acme):
    rows = user_rows(ROWS)
    rows[2200][0] = "USER00003"  # line 2202 repeats the login of line 5
    rows[2300][3] = "USER00010@Acme.example"  # line 2302 repeats the address of line 12
    message, err = refused("import_customer_users", write(tmp_path, "users.csv", plain_csv([USER_HEADER, *rows])))
    assert message == "The file was rejected with 2 problem(s); nothing was written."
    problems = [line for line in err.splitlines() if line.startswith("Line ")]
    assert problems == [
        "Line 2202, UserLogin: USER00003 appears again (first on line 5); each record may appear once.",
        "Line 2302, UserEmail: USER00010@Acme.example appears again (first on line 12).",
    ]
    assert not CustomerUser.objects.exists()


def test_thousands_of_problems_print_the_first_thousand_and_count_the_rest(tmp_path, acme):
    rows = [[*row[:4], "NOPE", ""] for row in user_rows(1500)]
    message, err = refused("import_customer_users", write(tmp_path, "users.csv", plain_csv([USER_HEADER, *rows])))
    assert message == "The file was rejected with 1500 problem(s); nothing was written."
    problems = [line for line in err.splitlines() if line.startswith("Line ")]
    assert len(problems) == 1000
    assert problems[0] == "Line 2, UserCustomerID: no customer with the CustomerID NOPE."
    assert problems[-1] == "Line 1001, UserCustomerID: no customer with the CustomerID NOPE."
    assert err.splitlines()[-1] == "… and 500 more."


def test_a_file_changed_between_the_check_and_the_write_writes_nothing(tmp_path, acme):
    path = Path(write(tmp_path, "users.csv", plain_csv([USER_HEADER, *user_rows(3)])))

    def edit_when_checked(phase, done, total):
        # Someone saves the file again after the check read it, before the write reads it again.
        if phase == "check" and done == total:
            with path.open("a") as file:
                file.write("late,Late,Comer,late@acme.example,ACME,\n")

    importer = CustomerUserImport(progress=edit_when_checked)
    with pytest.raises(FileProblem) as raised:
        importer.run(FileRows(path, format_for(path.name)))
    assert (
        str(raised.value) == "The file changed while it was being imported, so nothing was imported. Import it again."
    )
    assert not CustomerUser.objects.exists()


# ---------------------------------------------------------------------------
# export_customers / export_customer_users
# ---------------------------------------------------------------------------


@pytest.fixture
def records():
    acme = make_customer("ACME", "Acme", comment="=1+1")
    make_customer("OLD", "Old", valid=Validity.INVALID)
    make_customer("AWAY", "Away", valid=Validity.INVALID_TEMPORARILY)
    make_customer_user(acme, "jdoe", "Jane", "Doe", email="j@acme.example", phone="+49 30 1")
    make_customer_user(acme, "gone", "G", "One", email="g@acme.example", valid=Validity.INVALID)
    return acme


@pytest.mark.parametrize("file_format", ["csv", "tsv", "xlsx", "json"])
def test_export_customers_in_each_format_imports_back_unchanged(tmp_path, records, file_format):
    path = str(tmp_path / f"customers.{file_format}")
    out, err = run("export_customers", path)
    assert err == f"3 records written to {path}.\n"
    exported = rows_of(path)
    assert [row["customer_id"] for row in exported] == ["ACME", "AWAY", "OLD"]
    assert exported[0]["comment"] == "'=1+1"
    out, _ = run("import_customers", path)
    assert out.startswith("0 created, 0 updated, 3 unchanged")

    users = str(tmp_path / f"users.{file_format}")
    run("export_customer_users", users)
    assert [(row["login"], row["customer"], row["phone"]) for row in rows_of(users)] == [
        ("gone", "ACME", ""),
        ("jdoe", "ACME", "+49 30 1"),
    ]
    out, _ = run("import_customer_users", users)
    assert out.startswith("0 created, 0 updated, 2 unchanged")


def test_export_filters_by_validity_and_data_source(tmp_path, records):
    def exported(*options, name="out.csv"):
        path = str(tmp_path / name)
        run("export_customers", path, *options)
        return [row["customer_id"] for row in rows_of(path)]

    assert exported("--validity", "valid") == ["ACME"]
    assert exported("--validity", "invalid") == ["OLD"]
    assert exported("--validity", "invalid-temporarily") == ["AWAY"]
    assert exported("--validity", "all") == ["ACME", "AWAY", "OLD"]
    assert exported() == ["ACME", "AWAY", "OLD"]
    sources = {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        with get_data_source("directory").writing():
            make_customer("DIR", "Directory", data_source="directory")
        assert exported("--data-source", "directory") == ["DIR"]
        assert exported("--data-source", "database", "--validity", "valid") == ["ACME"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--validity", "sometimes"],
            "Unknown validity sometimes: use one of valid, invalid, invalid-temporarily, all.",
        ),
        (["--data-source", "nope"], "Unknown data source nope: use one of database."),
        (["--data-source", ""], "Unknown data source : use one of database."),
    ],
)
@pytest.mark.parametrize("command", ["export_customers", "export_customer_users"])
def test_an_unknown_validity_or_data_source_is_refused_and_nothing_is_written(
    tmp_path, records, command, option, message
):
    path = tmp_path / "out.csv"
    assert refused(command, str(path), *option)[0] == message
    assert not path.exists()
    assert refused(command, "-", *option)[0] == message


def test_an_export_to_a_place_that_cannot_be_written_says_why(tmp_path, records):
    path = tmp_path / "no-such-folder" / "out.csv"
    assert refused("export_customers", str(path))[0] == f"{path} cannot be written: No such file or directory."


def test_export_to_standard_output(records):
    out, _ = run("export_customer_users", "-", "--validity", "valid")
    assert out.splitlines()[0].startswith("login,title,first_name,last_name,email,customer,phone")
    assert [row["login"] for row in format_rows(out.encode())] == ["jdoe"]
    out, _ = run("export_customers", "-", "--format", "json")
    assert [record["customer_id"] for record in json.loads(out)] == ["ACME", "AWAY", "OLD"]
    assert refused("export_customers", "-", "--format", "xlsx")[0] == "Write XLSX to a file, not to standard output."


def test_export_format_overrides_the_file_name(records, tmp_path):
    path = tmp_path / "customers.data"
    message, _ = refused("export_customers", str(path))
    assert message.startswith("Unknown file format")
    run("export_customers", str(path), "--format", "tsv", "--validity", "valid")
    assert path.read_bytes().decode("utf-8-sig").splitlines() == [
        "customer_id\tname\tstreet\tzip\tcity\tcountry\turl\tcomment\tvalid\tdata_source",
        "ACME\tAcme\t\t\t\tDE\t\t'=1+1\tvalid\tdatabase",
    ]


def test_export_to_a_binary_standard_output_writes_its_bytes(records):
    # As on a real terminal or pipe: a text stream over bytes. The CSV's own CRLF and
    # UTF-8 pass through unchanged, without a byte order mark.
    make_customer("KOELN", "Köln\nGmbH")
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    call_command("export_customers", "-", "--validity", "valid", stdout=stdout, stderr=io.StringIO())
    stdout.flush()
    data = raw.getvalue()
    assert data.startswith(b"customer_id,name,")
    assert '"Köln\nGmbH"'.encode() in data
    assert [row["customer_id"] for row in format_rows(data)] == ["ACME", "KOELN"]


def test_export_xlsx_writes_text_cells_only(tmp_path, records):
    path = tmp_path / "customers.xlsx"
    run("export_customers", str(path), "--validity", "valid")
    sheet = openpyxl.load_workbook(path).active
    types = [cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert len(types) == 16 and set(types) == {"s"}
    assert sheet["H2"].value == "'=1+1"


# ---------------------------------------------------------------------------
# As a shell runs them: exit codes, stdout, progress on a pipe and on a terminal
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example site on a fresh SQLite file, migrated: the environment to run manage.py with."""
    database = tmp_path_factory.mktemp("site") / "site.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=60)
    return env


def manage(site, *args, **kwargs):
    return subprocess.run(
        [sys.executable, MANAGE, *args], env=site, capture_output=True, text=True, timeout=60, **kwargs
    )


def test_manage_py_exits_non_zero_with_the_problems_and_plain_progress_on_a_pipe(site, tmp_path):
    rows = [HEADER, ["ACME", "Acme", "", "DE", "valid"], ["GLOBEX", "Globex", "", "Narnia", "valid"]]
    result = manage(site, "import_customers", write(tmp_path, "bad.csv", plain_csv(rows)))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        result.stderr.splitlines()[0],
        "Line 3, CustomerCompanyCountry: Unknown country 'Narnia': use an ISO code such as DE "
        "or an English name such as Germany.",
        "CommandError: The file was rejected with 1 problem(s); nothing was written.",
    ]
    # Progress on a pipe: a plain line, no carriage return, no colour.
    assert result.stderr.startswith("checking: 2/2 rows, ")
    assert "\r" not in result.stderr and "\x1b[" not in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["export_customers", "{out}", "--data-source", "nope"],
        ["export_customer_users", "{out}", "--validity", "nope"],
        ["export_customers", "{out}", "--format", "nope"],
        ["import_customers", "{file}", "--format", "nope"],
        ["import_customers", "{file}", "--default-country", "nope"],
        ["import_customers", "{file}", "--user", "nope"],
        ["import_customer_users", "{file}", "--default-customer", "nope"],
        ["merge_customers", "nope", "ACME"],
        ["sync_data_sources", "--source", "nope"],
    ],
)
def test_manage_py_refuses_an_unknown_value_with_a_sentence_and_exit_status_1(site, tmp_path, arguments):
    file = write(tmp_path, "customers.csv", plain_csv([HEADER, ["ACME", "Acme", "", "DE", "valid"]]))
    out = tmp_path / "out.csv"
    result = manage(site, *[argument.format(out=out, file=file) for argument in arguments])
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith("CommandError: ")
    assert "nope" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_manage_py_draws_a_bar_on_a_terminal_and_exits_zero(site, tmp_path):
    import pty

    rows = [["CustomerID", "Name", "Country"], *[[f"T{n:04d}", f"Terminal {n:04d}", "DE"] for n in range(1100)]]
    path = write(tmp_path, "big.csv", plain_csv(rows))
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, MANAGE, "import_customers", path],
            env=site,
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        follower = None
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            output += chunk
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(leader)
        if follower is not None:
            os.close(follower)
    assert process.returncode == 0
    assert stdout.decode().startswith("1100 created, 0 updated, 0 unchanged (1100 rows in ")
    bar = output.decode()
    # One line per phase, redrawn with carriage returns: no newline between the updates.
    lines = [line for line in bar.replace("\r\n", "\n").split("\n") if line]
    assert len(lines) == 2, bar
    assert lines[0].count("\r") == 2 and lines[1].count("\r") == 2
    assert lines[0].endswith("rows/s") and " checking [##############################] 1,100/1,100 rows, " in lines[0]
    assert "  writing [###########################---] 1,000/1,100 rows, " in lines[1]
    assert "  writing [##############################] 1,100/1,100 rows, " in lines[1]
    assert "\x1b[" not in bar  # not in the error colour
