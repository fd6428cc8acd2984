"""Customer groups in import and export: the ``groups`` column ("billing:ro; support:rw"), what
the importing user may create and change, and what an export holds for whom (admin and commands)."""

import csv
import io

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otrs_customer_admin.models import Customer, CustomerGroup, CustomerUser
from otrs_customer_admin.writes import RowsMoved, before_write, load_group_links, replace_group_links
from tests.importing import import_customer_users, import_customers, plain_csv, problems
from tests.teams import make_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    return make_teams()


def links(customer_id):
    customer = Customer.objects.get(customer_id=customer_id)
    return dict(CustomerGroup.objects.filter(customer=customer).values_list("group__name", "permission"))


def customers_file(*rows, header=("CustomerID", "CustomerCompanyName", "CustomerCompanyCountry", "groups")):
    return plain_csv([list(header), *rows])


# --- the groups column on import -------------------------------------------------------------------


def test_a_groups_column_makes_the_links_exactly_those_listed(teams):
    report = import_customers(
        customers_file(["ALPHA", "Alpha Industries", "DE", "team-b:ro; readers:rw"], ["THIRD", "", "", "team-a"])
    )
    assert problems(report) == []
    assert report.updated == 2
    assert links("ALPHA") == {"team-b": "ro", "readers": "rw"}
    assert links("THIRD") == {"team-a": "ro"}  # no permission: read only
    assert links("BRAVO") == {"team-b": "rw"}  # not in the file


def test_the_always_groups_stay_and_new_customers_get_them(teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True, "CUSTOMER_GROUP_ALWAYS": ["support"]}
    support = Group.objects.create(name="support")
    CustomerGroup.objects.create(customer=teams.alpha, group=support, permission="rw")
    report = import_customers(
        customers_file(
            ["ALPHA", "", "", "team-b:ro"],
            ["NEW", "New Ltd", "DE", "support:ro; team-a:rw"],
            ["NEXT", "Next", "DE", ""],
        )
    )
    assert problems(report) == []
    assert links("ALPHA") == {"team-b": "ro", "support": "rw"}
    assert links("NEW") == {"team-a": "rw", "support": "rw"}
    assert links("NEXT") == {"support": "rw"}


def test_a_file_without_the_groups_column_leaves_the_links_alone(teams):
    report = import_customers(plain_csv([["CustomerID", "CustomerCompanyCity"], ["ALPHA", "Köln"]]))
    assert problems(report) == []
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}
    assert Customer.objects.get(customer_id="ALPHA").city == "Köln"


def test_an_empty_groups_cell_leaves_the_links_alone(teams):
    report = import_customers(customers_file(["ALPHA", "Alpha Industries", "DE", ""]))
    assert problems(report) == []
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}


def test_unknown_groups_and_bad_permissions_are_line_problems_and_nothing_is_written(teams):
    report = import_customers(
        customers_file(
            ["ALPHA", "Alpha Renamed", "DE", "team-b:rw"],
            ["BRAVO", "", "", "nobody:rw; team-a"],
            ["THIRD", "", "", "team-a:write"],
        )
    )
    assert problems(report) == [
        "Line 3, groups: no group named “nobody”.",
        "Line 4, groups: “team-a:write” is not a group with :ro or :rw (for example “support:rw; billing:ro”).",
    ]
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}
    assert not Group.objects.filter(name="nobody").exists()
    assert Customer.objects.get(customer_id="ALPHA").name == "Alpha Industries"


def test_the_dry_run_previews_the_link_change_and_writes_nothing(teams):
    report = import_customers(customers_file(["ALPHA", "", "", "team-b:ro"]), dry_run=True)
    assert problems(report) == []
    assert report.preview == [
        (2, "update", "ALPHA", [("groups", (("readers", "ro"), ("team-a", "rw")), (("team-b", "ro"),))])
    ]
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}


def test_the_admin_preview_shows_the_links_as_the_column_writes_them(teams, client):
    client.force_login(teams.agents["root"])
    upload = io.BytesIO(customers_file(["ALPHA", "", "", "team-b:ro"]))
    upload.name = "customers.csv"
    response = client.post(
        "/admin/otrs_customer_admin/customer/import/", {"import_file": upload, "format": "0", "resource": "0"}
    )
    page = response.content.decode()
    assert "readers:ro; team-a:rw" in page
    assert "team-b:ro" in page
    assert 'name="token"' in page  # the confirm step
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}


def test_an_import_with_a_user_writes_the_link_change_into_the_history(teams):
    root = teams.agent("root")
    report = import_customers(customers_file(["ALPHA", "", "", "team-b:ro"]), user=root)
    assert problems(report) == []
    entry = LogEntry.objects.get(object_id=str(teams.alpha.pk), user=root)
    assert entry.get_change_message() == "Changed Groups."


def test_links_changed_since_the_import_read_them_refuse_it(teams):
    def another_writer(sender, **kwargs):
        CustomerGroup.objects.create(customer=teams.alpha, group=teams.groups["team-b"], permission="ro")

    before_write.connect(another_writer, sender="import")
    try:
        report = import_customers(customers_file(["ALPHA", "Alpha Renamed", "", "team-a:rw"]))
    finally:
        before_write.disconnect(another_writer, sender="import")
    assert len(problems(report)) == 1
    assert problems(report)[0].startswith("Nothing was imported: ALPHA changed while this file was being imported")
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro", "team-b": "ro"}
    assert Customer.objects.get(customer_id="ALPHA").name == "Alpha Industries"


def test_the_kernel_refuses_links_that_moved_since_they_were_read(teams):
    read = load_group_links([teams.alpha.pk])
    CustomerGroup.objects.filter(customer=teams.alpha, group__name="readers").delete()
    with pytest.raises(RowsMoved) as moved:
        replace_group_links({teams.alpha.pk: {"team-b": "rw"}}, read=read)
    assert moved.value.pks == [teams.alpha.pk]
    assert links("ALPHA") == {"team-a": "rw"}


def test_without_group_support_a_groups_column_is_not_imported(teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {}
    report = import_customers(customers_file(["ALPHA", "Alpha Renamed", "DE", "team-b:rw"]))
    assert problems(report) == []
    assert report.warnings == ["Columns not imported: groups."]
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}
    assert Customer.objects.get(customer_id="ALPHA").name == "Alpha Renamed"


# --- what the importing user may create and change -----------------------------------------------


def test_an_agent_may_not_change_a_customer_of_another_team_or_one_they_only_read(teams):
    report = import_customers(
        customers_file(["ALPHA", "Alpha Renamed", "", ""], ["BRAVO", "Bravo Renamed", "", ""]),
        user=teams.agent("agent-a"),
    )
    assert problems(report) == [
        "Line 3, CustomerID: you may not change the customer BRAVO: none of your groups may change it."
    ]
    report = import_customers(customers_file(["ALPHA", "Alpha Renamed", "", ""]), user=teams.agent("agent-ro"))
    assert problems(report) == [
        "Line 2, CustomerID: you may not change the customer ALPHA: none of your groups may change it."
    ]
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "Alpha Industries",
        "Bravo Logistics",
        "Third Party Ltd",
    }


def test_an_agent_changes_the_customers_of_their_groups(teams):
    report = import_customers(
        customers_file(["ALPHA", "Alpha Renamed", "", "team-a:rw; team-b:ro"]), user=teams.agent("agent-a")
    )
    assert problems(report) == []
    assert Customer.objects.get(customer_id="ALPHA").name == "Alpha Renamed"
    assert links("ALPHA") == {"team-a": "rw", "team-b": "ro"}


def test_a_new_customer_must_end_up_changeable_by_the_agent_who_imports_it(teams):
    agent = teams.agent("agent-a")
    report = import_customers(
        customers_file(["NEW1", "New One", "DE", "team-b:rw"], ["NEW2", "New Two", "DE", "team-a:ro"]), user=agent
    )
    message = (
        "you could not change this new customer: link it read and write to one of your groups "
        "(for example “team-a:rw”)."
    )
    assert problems(report) == [f"Line 2, groups: {message}", f"Line 3, groups: {message}"]
    report = import_customers(
        plain_csv([["CustomerID", "CustomerCompanyName", "CustomerCompanyCountry"], ["NEW3", "New Three", "DE"]]),
        user=agent,
    )
    assert problems(report) == [f"Line 2, Groups: {message}"]
    assert not Customer.objects.filter(customer_id__startswith="NEW").exists()
    report = import_customers(customers_file(["NEW1", "New One", "DE", "team-a:rw"]), user=agent)
    assert problems(report) == []
    assert links("NEW1") == {"team-a": "rw"}


def test_a_superuser_and_a_change_all_user_import_anything(teams, django_user_model):
    report = import_customers(
        customers_file(["BRAVO", "Bravo Renamed", "", ""], ["NEW", "New", "DE", ""]), user=teams.agent("root")
    )
    assert problems(report) == []
    assert report.created == 1


def people_file(
    *rows, header=("UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "UserCustomerIDs")
):
    return plain_csv([list(header), *rows])


def test_a_hidden_customer_named_in_a_customer_user_row_reads_as_unknown(teams):
    agent = teams.agent("agent-a")
    report = import_customer_users(
        people_file(["new", "New", "Person", "new@example.com", "BRAVO", ""], ["anna", "", "", "", "", "THIRD"]),
        user=agent,
    )
    assert problems(report) == [
        "Line 2, UserCustomerID: no customer with the CustomerID BRAVO.",
        "Line 3, UserCustomerIDs: no customer with the CustomerID or name THIRD.",
    ]
    unknown = import_customer_users(people_file(["new", "New", "Person", "new@example.com", "NOWHERE", ""]), user=agent)
    assert problems(unknown) == ["Line 2, UserCustomerID: no customer with the CustomerID NOWHERE."]


def test_an_agent_may_change_only_people_of_customers_they_may_change(teams):
    report = import_customer_users(
        people_file(["bruno", "Brunhilde", "", "", "", ""], ["theo", "", "", "", "", ""]), user=teams.agent("agent-a")
    )
    assert problems(report) == [
        "Line 2, UserLogin: you may not change the customer user bruno: none of your groups may change their customer.",
        "Line 3, UserLogin: you may not change the customer user theo: none of your groups may change their customer.",
    ]
    report = import_customer_users(
        people_file(["anna", "Annabel", "", "", "", ""], ["new", "New", "Person", "new@example.com", "ALPHA", ""]),
        user=teams.agent("agent-ro"),
    )
    assert problems(report) == [
        "Line 2, UserLogin: you may not change the customer user anna: none of your groups may change their customer.",
        "Line 3, UserCustomerID: you may not add customer users to the customer Alpha Industries (ALPHA): none of "
        "your groups may change it.",
    ]
    assert CustomerUser.objects.get(login="anna").first_name == "Anna"
    assert not CustomerUser.objects.filter(login="new").exists()


def test_moving_a_person_or_linking_an_additional_customer_needs_rw_on_both(teams):
    agent = teams.agent("agent-ab")
    # agent-ab changes ALPHA and BRAVO, and only reads THIRD through a read-only link.
    CustomerGroup.objects.create(customer=teams.third, group=teams.groups["team-a"], permission="ro")
    report = import_customer_users(
        people_file(["anna", "", "", "", "THIRD", ""], ["bruno", "", "", "", "", "ALPHA; THIRD"]), user=agent
    )
    assert problems(report) == [
        "Line 2, UserCustomerID: you may not add customer users to the customer Third Party Ltd (THIRD): none of "
        "your groups may change it.",
        "Line 3, UserCustomerIDs: you may not link or unlink the additional customer Third Party Ltd (THIRD): none "
        "of your groups may change it.",
    ]
    report = import_customer_users(people_file(["anna", "", "", "", "BRAVO", "ALPHA"]), user=agent)
    assert problems(report) == []
    anna = CustomerUser.objects.get(login="anna")
    assert (anna.customer, list(anna.additional_customers.all())) == (teams.bravo, [teams.alpha])


def test_hidden_additional_customers_of_a_person_stay_when_an_agent_imports_them(teams):
    # Bruno (BRAVO) works for ALPHA too; agent-b sees BRAVO only, and names no additional customer.
    report = import_customer_users(
        people_file(["bruno", "Brunhilde", "", "", "", "BRAVO"]), user=teams.agent("agent-b")
    )
    assert problems(report) == []
    bruno = CustomerUser.objects.get(login="bruno")
    assert bruno.first_name == "Brunhilde"
    assert list(bruno.additional_customers.all()) == [teams.alpha]


def test_the_import_commands_take_the_user_whose_rights_count(teams, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(customers_file(["BRAVO", "Bravo Renamed", "", ""]))
    with pytest.raises(CommandError, match="There is no user nobody"):
        call_command("import_customers", str(path), "--user", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected with 1 problem"):
        call_command("import_customers", str(path), "--user", "agent-a", stdout=io.StringIO(), stderr=err)
    assert "Line 2, CustomerID: you may not change the customer BRAVO" in err.getvalue()
    people = tmp_path / "people.csv"
    people.write_bytes(people_file(["bruno", "Brunhilde", "", "", "", ""]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_customer_users", str(people), "--user", "agent-a", stdout=io.StringIO(), stderr=err)
    assert "you may not change the customer user bruno" in err.getvalue()
    # Without --user: everything, as before.
    call_command("import_customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    call_command("import_customer_users", str(people), stdout=io.StringIO(), stderr=io.StringIO())
    assert Customer.objects.get(customer_id="BRAVO").name == "Bravo Renamed"
    assert CustomerUser.objects.get(login="bruno").first_name == "Brunhilde"


def test_the_default_customer_of_an_import_is_one_the_user_may_change(teams, tmp_path):
    people = tmp_path / "people.csv"
    people.write_bytes(
        plain_csv([["login", "first_name", "last_name", "email"], ["nina", "Nina", "New", "nina@x.example"]])
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected with 1 problem"):
        call_command(
            "import_customer_users",
            str(people),
            "--user",
            "agent-ro",
            "--default-customer",
            "ALPHA",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "you may not add customer users to the customer Alpha Industries (ALPHA)" in err.getvalue()
    call_command(
        "import_customer_users",
        str(people),
        "--user",
        "agent-a",
        "--default-customer",
        "ALPHA",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert CustomerUser.objects.get(login="nina").customer == teams.alpha


# --- export -----------------------------------------------------------------------------------------

CUSTOMER_COLUMNS = ["customer_id", "name", "street", "zip", "city", "country", "url", "comment", "valid", "data_source"]


def exported(command, *args, tmp_path, name="export.csv"):
    """The rows of a file ``command`` writes, as dicts (CSV or a real .xlsx)."""
    path = tmp_path / name
    call_command(command, str(path), *args, stdout=io.StringIO(), stderr=io.StringIO())
    if name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(path).active
        rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("name", ["export.csv", "export.xlsx"])
def test_the_export_has_a_groups_column_as_the_import_reads_it(teams, tmp_path, name):
    header, rows = exported("export_customers", tmp_path=tmp_path, name=name)
    assert header == [*CUSTOMER_COLUMNS, "groups"]
    assert {row["customer_id"]: row["groups"] for row in rows} == {
        "ALPHA": "readers:ro; team-a:rw",
        "BRAVO": "team-b:rw",
        "THIRD": "",
    }
    # Read back, the file changes nothing.
    assert problems(import_customers((tmp_path / name).read_bytes(), name=name)) == []
    assert links("ALPHA") == {"team-a": "rw", "readers": "ro"}


def test_the_groups_column_costs_the_same_queries_whatever_the_customers(teams, tmp_path):
    with CaptureQueriesContext(connection) as few:
        exported("export_customers", tmp_path=tmp_path)
    for number in range(30):
        customer = Customer.objects.create(customer_id=f"C{number}", name=f"C {number}", country="DE")
        CustomerGroup.objects.create(customer=customer, group=teams.groups["team-a"], permission="ro")
    with CaptureQueriesContext(connection) as many:
        _header, rows = exported("export_customers", tmp_path=tmp_path)
    assert len(rows) == 33
    assert {row["customer_id"]: row["groups"] for row in rows}["C29"] == "team-a:ro"
    assert len(many) == len(few)


def test_without_group_support_the_export_has_no_groups_column(teams, tmp_path, settings):
    settings.OTRS_CUSTOMER_ADMIN = {}
    header, _rows = exported("export_customers", tmp_path=tmp_path, name="export.xlsx")
    assert header == CUSTOMER_COLUMNS


def test_an_export_command_with_a_user_holds_what_that_user_sees(teams, tmp_path):
    _header, rows = exported("export_customers", "--user", "agent-a", tmp_path=tmp_path)
    assert [row["customer_id"] for row in rows] == ["ALPHA"]
    _header, rows = exported("export_customer_users", "--user", "agent-a", tmp_path=tmp_path)
    assert [row["login"] for row in rows] == ["anna"]
    # Bruno (BRAVO) works for ALPHA too, which agent-b does not see: his row does not name it.
    _header, rows = exported("export_customer_users", "--user", "agent-b", tmp_path=tmp_path)
    assert [(row["login"], row["additional_customers"]) for row in rows] == [("bruno", "")]
    _header, rows = exported("export_customer_users", "--user", "agent-ab", tmp_path=tmp_path)
    assert [(row["login"], row["additional_customers"]) for row in rows] == [("anna", ""), ("bruno", "ALPHA")]
    # Without --user: everything, as before.
    _header, rows = exported("export_customer_users", tmp_path=tmp_path)
    assert [row["login"] for row in rows] == ["anna", "bruno", "theo"]
    with pytest.raises(CommandError, match="There is no user nobody"):
        exported("export_customers", "--user", "nobody", tmp_path=tmp_path)


def admin_export(client, model):
    response = client.post(f"/admin/otrs_customer_admin/{model}/export/", {"format": "0"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_an_agents_admin_export_holds_nothing_of_another_team(teams, client):
    client.force_login(teams.agent("agent-a"))
    customers = admin_export(client, "customer")
    people = admin_export(client, "customeruser")
    assert [(row["customer_id"], row["groups"]) for row in customers] == [("ALPHA", "readers:ro; team-a:rw")]
    assert [(row["login"], row["customer"]) for row in people] == [("anna", "ALPHA")]
    text = repr(customers) + repr(people)
    assert "BRAVO" not in text and "bruno" not in text.lower()
    client.force_login(teams.agent("agent-b"))
    people = admin_export(client, "customeruser")
    assert [(row["login"], row["additional_customers"]) for row in people] == [("bruno", "")]


def test_the_admin_import_refuses_what_the_agent_may_not_change(teams, client):
    client.force_login(teams.agent("agent-a"))
    upload = io.BytesIO(customers_file(["ALPHA", "Alpha Renamed", "", ""], ["BRAVO", "Bravo Renamed", "", ""]))
    upload.name = "customers.csv"
    response = client.post(
        "/admin/otrs_customer_admin/customer/import/", {"import_file": upload, "format": "0", "resource": "0"}
    )
    page = response.content.decode()
    assert "you may not change the customer BRAVO: none of your groups may change it." in page
    assert 'name="token"' not in page  # nothing to confirm
    assert Customer.objects.get(customer_id="ALPHA").name == "Alpha Industries"
