"""Dynamic fields from LDAP: ``DynamicField_<Name>`` keys of the attribute maps, synced against a real slapd
like the built-in fields (typed, compared, written only when they change, reported when malformed)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.directory_sync import check_connection, run_sync
from otrs_customer_admin.exceptions import ReadOnlySourceError
from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, SyncRun, Validity
from tests import harness
from tests.markup import document, element, text

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

BASE = harness.LDAP_SUFFIX
ACME = f"o=ACME,ou=america,ou=customers,{BASE}"
GLOBEX = f"o=Globex,ou=america,ou=customers,{BASE}"
WCOYOTE = f"uid=wcoyote,ou=people,{BASE}"
DATABASE = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}
INDUSTRIES = {"software": "Software", "hardware": "Hardware", "retail": "Retail"}
TIERS = {"gold": "Gold", "silver": "Silver"}
# A multiselect from a multi-valued attribute, a dropdown and a text from single values.
CUSTOMER_MAP = {"DynamicField_Industries": "businessCategory", "DynamicField_Tier": "st"}
PERSON_MAP = {"DynamicField_Department": "departmentNumber"}


def define(name, field_type="text", object_type="customer", **options):
    return DynamicField.objects.create(
        object_type=object_type, name=name, label=options.pop("label", name), field_type=field_type, **options
    )


@pytest.fixture
def fields():
    return {
        "industries": define("Industries", "multiselect", choices=INDUSTRIES, label="Industries served"),
        "tier": define("Tier", "dropdown", choices=TIERS, label="Contract tier"),
        "department": define("Department", object_type="customer_user", label="Department"),
    }


@pytest.fixture
def site(make_directory, directory_settings):
    """``site(**options)``: the database and a fresh directory whose maps hold dynamic fields, ACME
    in two industries of tier Gold, Wile E. Coyote in R&D."""

    def configure(directory=None, **options):
        if directory is None:
            directory = make_directory()
            directory.modify(ACME, businessCategory=["Software", "hardware"], st="Gold")
            directory.modify(WCOYOTE, departmentNumber="R&D")
        options.setdefault("CUSTOMER_ATTR_MAP", CUSTOMER_MAP)
        options.setdefault("CUSTOMER_USER_ATTR_MAP", PERSON_MAP)
        return directory_settings(directory, **options)

    return configure


def sync(**kwargs):
    return run_sync(get_data_source("directory"), **kwargs)


def values_of(model, **lookup):
    return dict(model.objects.get(**lookup).dynamic_fields)


def last_history(record):
    model = type(record)._meta.model_name
    return (
        LogEntry.objects.filter(object_id=str(record.pk), content_type__model=model).latest("pk").get_change_message()
    )


# --- the first sync ---------------------------------------------------------------------------


def test_a_multi_valued_attribute_fills_a_multiselect_and_single_values_a_dropdown_and_a_text(site, fields):
    site()
    report = sync()

    assert report.counts["customers"]["created"] == 4 and not report.details.get("skipped", [])[1:]
    assert values_of(Customer, customer_id="ACME") == {"Industries": ["software", "hardware"], "Tier": "gold"}
    assert values_of(Customer, customer_id="Globex") == {"Industries": [], "Tier": None}
    assert values_of(CustomerUser, login="wcoyote") == {"Department": "R&D"}
    # Found by the field, as the lists and the search find it.
    assert list(
        Customer.objects.filter_dynamic_field("Industries", "hardware").values_list("customer_id", flat=True)
    ) == ["ACME"]


def test_a_new_record_gets_the_defaults_of_the_fields_the_source_does_not_map(site, fields):
    define("Region", default="Americas")
    site()
    sync()

    assert values_of(Customer, customer_id="ACME")["Region"] == "Americas"


# --- later syncs ---------------------------------------------------------------------------------


def test_a_changed_value_is_written_with_a_history_entry_naming_the_fields_label(site, fields):
    directory = site()
    sync()
    directory.modify(ACME, businessCategory=["Retail"])

    report = sync()

    assert report.counts["customers"]["updated"] == 1 and report.counts["customers"]["unchanged"] == 3
    assert values_of(Customer, customer_id="ACME") == {"Industries": ["retail"], "Tier": "gold"}
    assert (
        last_history(Customer.objects.get(customer_id="ACME"))
        == "Changed by sync of Company directory: Industries served."
    )


def test_a_removed_attribute_clears_the_value(site, fields):
    directory = site()
    sync()
    directory.modify(ACME, businessCategory=None, st=None)
    directory.modify(WCOYOTE, departmentNumber=None)

    report = sync()

    assert report.counts["customers"]["updated"] == report.counts["customer_users"]["updated"] == 1
    assert values_of(Customer, customer_id="ACME") == {"Industries": [], "Tier": None}
    assert values_of(CustomerUser, login="wcoyote") == {"Department": None}
    history = last_history(CustomerUser.objects.get(login="wcoyote"))
    assert history == "Changed by sync of Company directory: Department."


def test_a_resync_of_unchanged_values_writes_nothing(site, fields):
    site()
    sync()

    with CaptureQueriesContext(connection) as queries:
        report = sync()

    assert report.total("updated") == report.total("created") == 0
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert all("otrs_customer_admin_syncrun" in sql for sql in writes), writes


def test_a_dry_run_counts_value_changes_and_writes_none(site, fields):
    directory = site()
    sync()
    directory.modify(ACME, st="Silver")

    dry = sync(dry_run=True)

    assert dry.counts["customers"]["updated"] == 1
    assert values_of(Customer, customer_id="ACME")["Tier"] == "gold"
    assert sync().counts == dry.counts
    assert values_of(Customer, customer_id="ACME")["Tier"] == "silver"


def test_fields_the_source_does_not_map_are_left_to_people(site, fields):
    define("AccountManager", label="Account manager")
    directory = site()
    sync()
    acme = Customer.objects.get(customer_id="ACME")
    acme.dynamic_fields["AccountManager"] = "Petra"
    acme.save_dynamic_fields()  # a person may edit what the directory does not map
    acme.dynamic_fields["Tier"] = "silver"
    with pytest.raises(ReadOnlySourceError, match="DynamicField_Tier"):
        acme.save_dynamic_fields()  # but not what it maps
    directory.modify(ACME, businessCategory=["Retail"], st="Silver")

    sync()

    assert values_of(Customer, customer_id="ACME") == {
        "Industries": ["retail"],
        "Tier": "silver",
        "AccountManager": "Petra",
    }


def test_a_retired_definition_is_not_synced_and_keeps_its_values(site, fields):
    directory = site()
    sync()
    fields["tier"].valid = Validity.INVALID
    fields["tier"].save()
    directory.modify(ACME, st="Silver")

    report = sync()

    assert report.counts["customers"]["updated"] == 0
    [(model_key, problem)] = report.problems
    assert model_key == "customers"
    assert problem == (
        "CUSTOMER_ATTR_MAP maps DynamicField_Tier, but customers have no valid dynamic field Tier: "
        "its attribute st is not synced."
    )
    fields["tier"].valid = Validity.VALID
    fields["tier"].save()
    assert values_of(Customer, customer_id="ACME")["Tier"] == "gold"


# --- what is reported ----------------------------------------------------------------------------


def test_several_values_for_a_single_valued_field_are_malformed_with_the_reason(site, fields):
    directory = site()
    sync()
    directory.modify(ACME, st=["Gold", "Silver"], l="Tucson")

    report = sync()

    assert report.counts["customers"]["skipped"] == 1
    [(_model_key, dn, why)] = [detail for detail in report.details["skipped"] if detail[0] == "customers"]
    assert dn == ACME
    assert why == "Contract tier (st): 2 values, but the field holds one (Gold; Silver)"
    acme = Customer.objects.get(customer_id="ACME")
    assert acme.city == "Phoenix" and acme.dynamic_fields["Tier"] == "gold"  # kept as it was


def test_a_value_that_does_not_clean_is_malformed_with_the_fields_message(site, fields, capsys):
    directory = site()
    directory.modify(GLOBEX, businessCategory=["Software", "Aerospace"])

    call_command("sync_data_sources", "--source", "directory")

    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith(GLOBEX))
    assert "Industries served (businessCategory): " in line and "'Software; Aerospace'" in line
    assert "Aerospace" in line.split("(businessCategory): ")[1]
    assert not Customer.objects.filter(customer_id="Globex").exists()
    run = SyncRun.objects.latest("pk")
    kept = [detail for detail in run.details["skipped"] if detail["dn"] == GLOBEX]
    assert kept and "Industries served (businessCategory)" in kept[0]["why"]


def test_a_map_naming_no_dynamic_field_is_reported_never_a_crash(site, fields, capsys, admin_client):
    site(CUSTOMER_ATTR_MAP={**CUSTOMER_MAP, "DynamicField_Nope": "seeAlso"})

    call_command("sync_data_sources", "--source", "directory")

    expected = (
        "CUSTOMER_ATTR_MAP maps DynamicField_Nope, but customers have no valid dynamic field Nope: "
        "its attribute seeAlso is not synced."
    )
    assert expected in capsys.readouterr().out
    assert values_of(Customer, customer_id="ACME")["Tier"] == "gold"  # the rest synced
    run = SyncRun.objects.latest("pk")
    assert run.details["problems"] == [{"model": "customers", "why": expected}]
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_syncrun_change", args=[run.pk])))
    section = element(page, "div", data_details="problems")
    assert expected in text(section)
    report = check_connection(get_data_source("directory"))
    assert ("Dynamic fields", False, expected) in [(check.label, check.ok, check.detail) for check in report.checks]
    assert not report.ok


# --- Test connection --------------------------------------------------------------------------


def test_test_connection_shows_the_dynamic_field_values_of_the_first_entries(site, fields, admin_client):
    directory = site()
    directory.modify(GLOBEX, st="Platinum")

    report = check_connection(get_data_source("directory"))

    customers, people = report.searches
    samples = {dn: (values, problems) for dn, values, _missing, problems in customers.entries}
    values, problems = samples[ACME]
    assert (values["DynamicField_Industries"], values["DynamicField_Tier"], problems) == (
        "Software; hardware",
        "Gold",
        [],
    )
    values, problems = samples[GLOBEX]
    assert values["DynamicField_Tier"] == "Platinum"
    assert [problem for problem in problems if problem.startswith("Contract tier (st): ")]
    person = next(values for dn, values, _missing, _problems in people.entries if dn == WCOYOTE)
    assert person["DynamicField_Department"] == "R&D"

    url = reverse("admin:otrs_customer_admin_customer_sync_test", args=["directory"])
    page = admin_client.post(url).content.decode()
    assert "DynamicField_Industries" in page and "Software; hardware" in page
    assert not Customer.objects.exists()  # it only looks


def test_the_queries_of_a_sync_do_not_grow_with_the_entries_that_carry_dynamic_fields(make_directory, fields):
    define("Region", object_type="customer_user", default="EMEA")  # a default for every new person

    def first_sync_queries(people):
        directory = make_directory(harness.sync_directory_ldif(generated_people=people))
        options = {"CUSTOMER_ATTR_MAP": CUSTOMER_MAP, "CUSTOMER_USER_ATTR_MAP": {"DynamicField_Department": "sn"}}
        with override_settings(
            OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"database": DATABASE, "directory": directory.source(**options)}}
        ):
            with CaptureQueriesContext(connection) as queries:
                report = sync()
            assert report.counts["customer_users"]["created"] == 4 + people
            last = f"person{people:03d}"
            assert values_of(CustomerUser, login=last) == {"Department": f"Person {people:03d}", "Region": "EMEA"}
        # Start afresh (the plain manager: the package's own refuses to delete a directory's records).
        CustomerUser._base_manager.all().delete()
        Customer._base_manager.all().delete()
        return len(queries)

    first_sync_queries(1)  # the sync's account and the content types, once
    assert first_sync_queries(3) == first_sync_queries(30)
