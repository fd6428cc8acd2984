"""Data sources: the registry, read-only sources refusing writes through the model layer, and a
syncing source of a site's own."""

import pytest
from django.core import checks
from django.test import override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import (
    data_source_choices,
    default_data_source_key,
    get_data_source,
    writable_data_sources,
)
from otrs_customer_admin.directory_sync import run_sync
from otrs_customer_admin.exceptions import DeletionNotAllowed, ReadOnlySourceError
from otrs_customer_admin.models import Customer, CustomerUser, SyncRun, Validity
from tests.factories import build_customer, make_customer, make_customer_user
from tests.markup import document, text

pytestmark = pytest.mark.django_db

WITH_DIRECTORY = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


def test_the_database_is_the_default_source():
    source = get_data_source("database")
    assert not source.read_only
    assert str(source) == "Database"
    assert default_data_source_key() == "database"
    assert data_source_choices() == [("database", source.label)]


@override_settings(OTRS_CUSTOMER_ADMIN=WITH_DIRECTORY)
def test_configured_sources_are_listed_in_order_with_their_labels():
    assert [key for key, _label in data_source_choices()] == ["database", "directory"]
    assert str(get_data_source("directory")) == "Head office LDAP"
    assert [source.key for source in writable_data_sources()] == ["database"]
    assert get_data_source("nowhere") is None


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"directory": {"BACKEND": "tests.sources.DirectorySource"}}})
def test_without_a_writable_source_there_is_no_default():
    assert default_data_source_key() == ""


def test_an_unknown_data_source_key_is_a_field_error():
    customer = build_customer("A", "A", data_source="nowhere")
    with pytest.raises(Exception) as caught:
        customer.full_clean()
    assert "data_source" in caught.value.message_dict


@pytest.fixture
def directory_customer():
    """A customer of the read-only source, written the only allowed way: by its sync."""
    with override_settings(OTRS_CUSTOMER_ADMIN=WITH_DIRECTORY):
        source = get_data_source("directory")
        with source.writing():
            customer = make_customer("DIR", "Directory Inc", data_source="directory")
            make_customer_user(customer, "dir.user", "D", "U", email="d@dir.example", data_source="directory")
        yield customer


def test_read_only_records_cannot_be_saved(directory_customer):
    directory_customer.name = "Changed"
    with pytest.raises(ReadOnlySourceError, match="Head office LDAP"):
        directory_customer.save()
    assert Customer.objects.get().name == "Directory Inc"


def test_read_only_records_cannot_be_created_outside_the_sync(directory_customer):
    with pytest.raises(ReadOnlySourceError):
        make_customer("NEW", "New", data_source="directory")
    with pytest.raises(ReadOnlySourceError):
        Customer.objects.bulk_create([build_customer("NEW", "New", data_source="directory")])
    assert Customer.objects.count() == 1


def test_read_only_records_cannot_be_moved_out_of_their_source(directory_customer):
    customer = Customer.objects.get()
    customer.data_source = "database"
    with pytest.raises(ReadOnlySourceError):
        customer.save()
    with pytest.raises(ReadOnlySourceError):
        Customer.objects.update(data_source="database")
    assert Customer.objects.get().data_source == "directory"


def test_writable_records_cannot_be_moved_into_a_read_only_source(directory_customer):
    customer = make_customer("DB", "Database GmbH")
    customer.data_source = "directory"
    with pytest.raises(ReadOnlySourceError):
        customer.save()
    with pytest.raises(ReadOnlySourceError):
        Customer.objects.filter(pk=customer.pk).update(data_source="directory")


def test_queryset_updates_touching_read_only_rows_are_refused(directory_customer):
    make_customer("DB", "Database GmbH")
    with pytest.raises(ReadOnlySourceError):
        Customer.objects.update(valid=Validity.INVALID)
    with pytest.raises(ReadOnlySourceError):
        CustomerUser.objects.update(valid=Validity.INVALID)
    with pytest.raises(ReadOnlySourceError):
        Customer.objects.bulk_update([directory_customer], ["valid"])
    # Rows of writable sources alone are fine.
    assert Customer.objects.filter(data_source="database").update(city="Bonn") == 1


@override_settings(OTRS_CUSTOMER_ADMIN={**WITH_DIRECTORY, "ALLOW_DELETE": True})
def test_read_only_records_cannot_be_deleted_even_when_deleting_is_allowed(directory_customer):
    user = CustomerUser.objects.get()
    with pytest.raises(ReadOnlySourceError):
        user.delete()
    with pytest.raises(ReadOnlySourceError):
        CustomerUser.objects.all().delete()
    assert CustomerUser.objects.count() == 1


def test_the_source_s_own_sync_may_write(directory_customer):
    with override_settings(OTRS_CUSTOMER_ADMIN=WITH_DIRECTORY), get_data_source("directory").writing():
        directory_customer.name = "Renamed by sync"
        directory_customer.save()
        Customer.objects.filter(data_source="directory").update(city="Köln")
    directory_customer.refresh_from_db()
    assert (directory_customer.name, directory_customer.city) == ("Renamed by sync", "Köln")


def test_another_source_s_sync_may_not_write(directory_customer):
    settings = {
        "DATA_SOURCES": {**WITH_DIRECTORY["DATA_SOURCES"], "other": {"BACKEND": "tests.sources.DirectorySource"}}
    }
    with override_settings(OTRS_CUSTOMER_ADMIN=settings), get_data_source("other").writing():
        directory_customer.name = "Hijacked"
        with pytest.raises(ReadOnlySourceError):
            directory_customer.save()


def test_nothing_is_deleted_by_default():
    customer = make_customer("A", "A")
    with pytest.raises(DeletionNotAllowed):
        customer.delete()
    with pytest.raises(DeletionNotAllowed):
        Customer.objects.all().delete()
    assert Customer.objects.count() == 1


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_allow_delete_turns_deletion_on():
    make_customer("A", "A").delete()
    assert not Customer.objects.exists()


# ---------------------------------------------------------------------------
# A syncing source of a site's own (docs/data-sources.md: "Writing a source of your own")
# ---------------------------------------------------------------------------

PEOPLE_CSV = "id,user,mail,company\n1,jdoe,jdoe@acme.example,ACME\n2,nomail,,ACME\n"


@pytest.fixture
def people_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    sources = {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "people": {"BACKEND": "tests.people_source.PeopleFileSource", "PATH": str(path)},
    }
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        yield path


def test_a_source_of_a_site_s_own_passes_the_checks_and_syncs_with_run_sync(people_file):
    make_customer()
    assert [message.id for message in checks.run_checks() if message.id.startswith("otrs_customer_admin")] == []

    report = run_sync(get_data_source("people"))

    assert report.counts["customer_users"]["created"] == 1
    assert report.details["skipped"] == [("customer_users", "user=nomail", "Email is missing")]
    person = CustomerUser.objects.get(login="jdoe")
    assert (person.data_source, person.customer.customer_id, person.external_id) == ("people", "ACME", "1")
    with pytest.raises(ReadOnlySourceError):
        person.save()  # only its own sync writes it
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.SUCCEEDED


def test_a_source_of_a_site_s_own_has_sync_now_and_test_connection_in_the_admin(admin_client, people_file):
    make_customer()
    changelist = reverse("admin:otrs_customer_admin_customer_changelist")
    test_url = reverse("admin:otrs_customer_admin_customer_sync_test", args=["people"])
    assert f'action="{test_url}"' in admin_client.get(changelist).content.decode()

    page = text(document(admin_client.post(test_url).content.decode()))

    assert "Test connection: People file" in page
    assert "Customer users: 2 entries" in page
    assert "user=nomail" in page and "email: mail missing" in page and "Email is missing" in page
    assert not CustomerUser.objects.exists()  # it only looks

    people_file.unlink()
    page = text(document(admin_client.post(test_url).content.decode()))
    assert "Read: People file: [Errno 2] No such file or directory" in page

    people_file.write_text(PEOPLE_CSV, encoding="utf-8")
    sync_url = reverse("admin:otrs_customer_admin_customer_sync", args=["people"])
    page = text(document(admin_client.post(sync_url, follow=True).content.decode()))
    assert "People file synced. Customer users: 1 created, 1 skipped" in page


def test_a_source_key_is_shown_by_its_label_or_itself_once_unconfigured(admin_client, directory_customer):
    # One rule for the label of a source key, wherever a record or a sync run names its source.
    person = directory_customer.customer_users.get()
    run = SyncRun.objects.create(source="directory")
    card = reverse("admin:otrs_customer_admin_customer_card", args=[directory_customer.pk])
    assert [directory_customer.source_label, person.source_label, run.source_label] == ["Head office LDAP"] * 3
    assert "<dd>Head office LDAP</dd>" in admin_client.get(card).content.decode()
    with override_settings(OTRS_CUSTOMER_ADMIN={}):  # the source left the settings: its key stays
        assert [directory_customer.source_label, person.source_label, run.source_label] == ["directory"] * 3
        assert "<dd>directory</dd>" in admin_client.get(card).content.decode()
