"""A directory's multi-valued mail against a real slapd: the first value is the person's primary
address, the others their additional ones, written compare-and-set; an address another valid
person has is a conflict, reported as the sync's others."""

import pytest

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.models import CustomerUser, CustomerUserEmail
from otrs_customer_admin.writes import replace_addresses
from tests import harness
from tests.factories import make_customer, make_customer_user

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

PEOPLE = f"ou=people,{harness.LDAP_SUFFIX}"


def sync():
    return run_sync(get_data_source("directory"))


def addresses_of(login):
    return sorted(CustomerUserEmail.objects.filter(customer_user__login=login).values_list("email", flat=True))


def test_a_multi_valued_mail_gives_the_primary_and_the_additional_addresses(directory_settings):
    directory = directory_settings()
    directory.modify(
        f"uid=wcoyote,{PEOPLE}",
        mail=["wile.coyote@acme.example", "wile@home.example", "W.Coyote@acme.example"],
    )
    report = sync()
    assert report.counts["customer_users"]["created"] == 4
    wile = CustomerUser.objects.get(login="wcoyote")
    assert wile.email == "wile.coyote@acme.example"
    assert addresses_of("wcoyote") == ["W.Coyote@acme.example", "wile@home.example"]
    kept = CustomerUserEmail.objects.get(email="wile@home.example")

    directory.modify(
        f"uid=wcoyote,{PEOPLE}", mail=["wile.coyote@acme.example", "wile@home.example", "new@acme.example"]
    )
    report = sync()
    assert report.counts["customer_users"]["updated"] == 1
    assert addresses_of("wcoyote") == ["new@acme.example", "wile@home.example"]
    assert CustomerUserEmail.objects.get(email="wile@home.example").added_at == kept.added_at
    assert sync().counts["customer_users"]["unchanged"] == 4

    directory.modify(f"uid=wcoyote,{PEOPLE}", mail="wile.coyote@acme.example")
    sync()
    assert addresses_of("wcoyote") == []


def test_an_address_another_valid_person_has_is_a_conflict_folded(directory_settings):
    directory = directory_settings()
    sync()
    local = make_customer("LOCAL", "Local Ltd")
    nurse = make_customer_user(local, "nurse", email="nurse@local.example")
    replace_addresses({nurse.pk: ["team@aerzte.example"]})
    directory.modify(f"uid=wcoyote,{PEOPLE}", mail=["wile.coyote@acme.example", "TEAM@AERZTE.example"])
    directory.modify(f"uid=rrunner,{PEOPLE}", mail=["road.runner@acme.example", "NURSE@local.example"])

    report = sync()

    assert report.counts["customer_users"]["conflicts"] == 2
    why = {dn: why for _key, dn, why in report.details["conflicts"]}
    assert why[f"uid=wcoyote,{PEOPLE}"] == "Email TEAM@AERZTE.example belongs to a record of another data source"
    assert why[f"uid=rrunner,{PEOPLE}"] == "Email NURSE@local.example belongs to a record of another data source"
    assert addresses_of("wcoyote") == [] and addresses_of("rrunner") == []


def test_two_entries_may_not_share_an_address(directory_settings):
    directory = directory_settings()
    directory.modify(f"uid=wcoyote,{PEOPLE}", mail=["wile.coyote@acme.example", "shared@acme.example"])
    directory.modify(f"uid=rrunner,{PEOPLE}", mail=["road.runner@acme.example", "SHARED@acme.example"])

    report = sync()

    assert report.counts["customer_users"]["conflicts"] == 1
    ((_key, _dn, why),) = report.details["conflicts"]
    assert "is used by the entry" in why
    assert CustomerUserEmail.objects.filter(email_key="shared@acme.example").count() == 1
