"""Customer groups from LDAP: a source's CUSTOMER_ATTR_MAP maps ``groups`` to an attribute whose values
name groups (with ``:ro`` or ``:rw``, ``ro`` when none), synced against a real slapd like the other fields."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core import checks

from otrs_customer_admin.datasources import SyncError, get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.models import Customer, CustomerGroup
from otrs_customer_admin.writes import before_write
from tests import harness

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

BASE = harness.LDAP_SUFFIX
ACME = f"o=ACME,ou=america,ou=customers,{BASE}"
GLOBEX = f"o=Globex,ou=america,ou=customers,{BASE}"
GROUP_MAP = {"groups": "businessCategory"}


@pytest.fixture
def site(make_directory, directory_settings):
    """``site(support=True, always=(), **options)``: the database and a fresh directory whose customers
    map ``groups`` to businessCategory, ACME in team-a (rw) and readers (ro), with group support on
    (or off) and CUSTOMER_GROUP_ALWAYS ``always``."""

    def configure(directory=None, *, support=True, always=(), **options):
        if directory is None:
            directory = make_directory()
            directory.modify(ACME, businessCategory=["team-a:rw", "readers"])
        options.setdefault("CUSTOMER_ATTR_MAP", GROUP_MAP)
        package = {"CUSTOMER_GROUP_SUPPORT": support, "CUSTOMER_GROUP_ALWAYS": list(always)}
        return directory_settings(directory, package=package, **options)

    return configure


@pytest.fixture
def groups(db):
    return {name: Group.objects.create(name=name) for name in ("team-a", "team-b", "readers")}


def sync(**kwargs):
    return run_sync(get_data_source("directory"), **kwargs)


def links(customer_id):
    customer = Customer.objects.get(customer_id=customer_id)
    return dict(CustomerGroup.objects.filter(customer=customer).values_list("group__name", "permission"))


def test_the_sync_links_each_customer_to_the_groups_its_entry_names(site, groups):
    site()
    report = sync()
    assert report.problems == []
    assert links("ACME") == {"team-a": "rw", "readers": "ro"}
    assert links("Globex") == {}


def test_a_later_sync_makes_the_links_exactly_those_of_the_entry(site, groups):
    directory = site()
    sync()
    directory.modify(ACME, businessCategory=["team-b:RW"])
    directory.modify(GLOBEX, businessCategory=["readers:ro"])
    report = sync()
    assert links("ACME") == {"team-b": "rw"}
    assert links("Globex") == {"readers": "ro"}
    assert report.counts["customers"]["updated"] == 2
    acme = Customer.objects.get(customer_id="ACME")
    entry = LogEntry.objects.filter(object_id=str(acme.pk), content_type__model="customer").latest("pk")
    assert entry.get_change_message() == "Changed by sync of Company directory: Groups."
    assert sync().counts["customers"]["updated"] == 0  # nothing changed since: nothing written


def test_the_always_groups_stay_and_new_customers_get_them(site, groups):
    directory = site(always=["support"])
    report = sync()
    assert report.problems == []
    assert links("ACME") == {"team-a": "rw", "readers": "ro", "support": "rw"}
    assert links("Globex") == {"support": "rw"}
    directory.modify(ACME, businessCategory=["support:ro"])
    sync()
    assert links("ACME") == {"support": "rw"}


def test_unknown_groups_are_skipped_and_reported_and_none_is_created(site, groups):
    directory = site()
    directory.modify(GLOBEX, businessCategory=["nobody:rw", "readers", "team-a:write"])
    directory.modify(ACME, businessCategory=["team-a:rw", "nobody"])
    report = sync()
    assert links("ACME") == {"team-a": "rw"}
    assert links("Globex") == {"readers": "ro"}
    assert not Group.objects.filter(name="nobody").exists()
    problems = [why for model_key, why in report.problems if model_key == "customers"]
    assert problems == [
        f"businessCategory names the group “nobody” (2 entries, the first {ACME}), but there is no such group: not "
        "linked. Create the group to link it.",
        f"businessCategory ({GLOBEX}): “team-a:write” is not a group with :ro or :rw (for example “support:rw; "
        "billing:ro”).",
    ]
    assert report.run.details["problems"][0]["why"] == problems[0]


def test_links_changed_since_the_sync_read_them_stop_it(site, groups):
    directory = site()
    sync()
    directory.modify(ACME, businessCategory=["team-b"])
    acme = Customer.objects.get(customer_id="ACME")

    def another_writer(sender, **kwargs):
        CustomerGroup.objects.filter(customer=acme, group__name="readers").update(permission="rw")

    before_write.connect(another_writer, sender="sync")
    try:
        with pytest.raises(SyncError, match=r"nothing was written: .*ACME.* changed while the sync ran"):
            sync()
    finally:
        before_write.disconnect(another_writer, sender="sync")
    assert links("ACME") == {"team-a": "rw", "readers": "rw"}


def test_a_source_that_does_not_map_groups_leaves_links_alone(site, groups):
    site(CUSTOMER_ATTR_MAP={})
    sync()
    acme = Customer.objects.get(customer_id="ACME")
    CustomerGroup.objects.create(customer=acme, group=groups["team-b"], permission="rw")
    report = sync()
    assert report.problems == []
    assert links("ACME") == {"team-b": "rw"}


def test_with_group_support_off_a_mapped_groups_attribute_is_inert_and_reported(site, groups):
    site(support=False)
    report = sync()
    assert report.problems == [
        (
            "customers",
            "CUSTOMER_ATTR_MAP maps groups, but CUSTOMER_GROUP_SUPPORT is off: its attribute is not synced.",
        )
    ]
    assert CustomerGroup.objects.count() == 0
    assert Customer.objects.filter(customer_id="ACME").exists()  # the rest synced


def test_the_map_checks_accept_groups_for_customers_only(site, groups):
    site(CUSTOMER_USER_ATTR_MAP={"groups": "ou"})
    messages = [m for m in checks.run_checks() if m.id == "otrs_customer_admin.E023"]
    assert [m.msg for m in messages] == [
        "OTRS_CUSTOMER_ADMIN['DATA_SOURCES']['directory']['CUSTOMER_USER_ATTR_MAP'] maps 'groups', which is not a "
        "field."
    ]
    assert "groups" not in messages[0].hint.split("Fields: ")[1].split(", and")[0].split(", ")


def test_an_import_sets_a_directory_customers_links_unless_its_source_maps_groups(site, groups):
    from tests.importing import import_customers, plain_csv, problems

    site(CUSTOMER_ATTR_MAP={})
    sync()
    file = plain_csv([["CustomerID", "groups"], ["ACME", "team-b:rw"]])
    assert problems(import_customers(file)) == []
    assert links("ACME") == {"team-b": "rw"}
    site()
    assert problems(import_customers(plain_csv([["CustomerID", "groups"], ["ACME", "readers"]]))) == [
        "Line 2, CustomerID: ACME belongs to the read-only data source Company directory; only its sync may change it."
    ]
    assert links("ACME") == {"team-b": "rw"}


def test_new_customers_of_a_source_that_does_not_map_groups_get_the_always_groups(site, groups):
    site(CUSTOMER_ATTR_MAP={}, always=["support"])
    report = sync()
    assert report.counts["customers"]["created"] == 4
    assert links("ACME") == {"support": "rw"}
    assert set(CustomerGroup.objects.values_list("group__name", "permission")) == {("support", "rw")}
    assert CustomerGroup.objects.count() == 4
