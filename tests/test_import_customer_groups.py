"""Customer groups in import and export: the ``groups`` column ("billing:ro; support:rw"), what
the importing user may create and change, and what an export holds for whom (admin and commands)."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group

from otrs_customer_admin.models import Customer, CustomerGroup
from otrs_customer_admin.writes import RowsMoved, before_write, load_group_links, replace_group_links
from tests.importing import import_customers, plain_csv, problems
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
