"""A person's privacy on their detail view: "Anonymise" (confirmation, then only the POST acts),
"Export personal data" (a JSON download), and the admin's own delete, which erases."""

import json

import pytest
from auditlog.models import LogEntry as ValueEntry
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import CustomerUser, CustomerUserEmail, Validity
from tests.factories import make_customer_user, make_ticket
from tests.markup import action_groups, document, element, text
from tests.teams import PASSWORD, make_teams

pytestmark = pytest.mark.django_db

SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


def url(name, obj):
    return reverse(f"admin:otrs_customer_admin_customeruser_{name}", args=[obj.pk])


@pytest.fixture
def jane(acme):
    person = make_customer_user(acme, phone="+49 30 123", city="Berlin")
    CustomerUserEmail.objects.create(customer_user=person, email="jane.private@mail.example")
    make_ticket(acme, "Printer", customer_user=person, number="4711")
    return person


def staff(*codenames, username="clerk"):
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_the_detail_view_offers_anonymise_and_export(admin_client, jane):
    organize = action_groups(document(admin_client.get(url("detail", jane))))["Organize"]
    assert ("Anonymise", url("anonymize", jane)) in organize
    assert ("Export personal data", url("export_personal_data", jane)) in organize


def test_anonymise_asks_listing_what_changes_and_only_the_post_acts(admin_client, jane):
    page = document(admin_client.get(url("anonymize", jane)))
    changes = text(element(page, "section", data_anonymize="changes"))
    for shown in ("Last name Doe", "Login jdoe anonymized-", "Phone +49 30 123 (empty)", "City Berlin (empty)"):
        assert shown in changes
    assert "Additional email address jane.private@mail.example (deleted)" in changes
    assert "1 ticket," in text(element(page, "section", data_anonymize="kept"))
    assert CustomerUser.objects.get(pk=jane.pk).login == "jdoe"

    response = admin_client.post(url("anonymize", jane))

    assert response.status_code == 302 and response["Location"] == url("detail", jane)
    jane.refresh_from_db()
    assert (jane.login, jane.phone, jane.city, jane.valid) == (f"anonymized-{jane.pk}", "", "", Validity.INVALID)
    assert jane.tickets.get().number == "4711"
    # Anonymised: no second time.
    assert admin_client.get(url("anonymize", jane)).status_code == 403


def test_anonymise_lists_and_anonymises_the_record_merged_into_them(admin_client, admin_user, acme, jane):
    from otrs_customer_admin.merge import merge_customer_users

    twin = make_customer_user(acme, "jane.old", "Jane", "Doe", email="jane@old.example")
    merge_customer_users(twin, jane, user=admin_user)
    # The merged-away record's history says where it went.
    history = text(element(document(admin_client.get(url("detail", twin))), "section", data_widget="history"))
    assert "Merged into: — → Jane Doe (jdoe)" in history

    page = document(admin_client.get(url("anonymize", jane)))
    assert text(element(page, "section", data_anonymize="merged")).endswith("Jane Doe (jane.old)")
    admin_client.post(url("anonymize", jane))

    assert CustomerUser.objects.get(pk=twin.pk).login == f"anonymized-{twin.pk}"


def test_anonymise_needs_the_csrf_token(admin_user, jane):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(url("anonymize", jane)).status_code == 403
    assert CustomerUser.objects.get(pk=jane.pk).login == "jdoe"


def test_anonymise_needs_change_permission_export_needs_view_permission(jane):
    viewer = staff("view_customeruser", "view_customer")
    assert viewer.get(url("anonymize", jane)).status_code == 403
    assert viewer.post(url("anonymize", jane)).status_code == 403
    assert CustomerUser.objects.get(pk=jane.pk).login == "jdoe"
    response = viewer.get(url("export_personal_data", jane))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="personal-data-{jane.pk}.json"'
    data = json.loads(response.content)
    assert data["customer_user"]["login"] == "jdoe"
    assert data["additional_emails"][0]["email"] == "jane.private@mail.example"
    assert data["tickets"][0]["number"] == "4711"
    nobody = staff(username="nobody")
    assert nobody.get(url("export_personal_data", jane)).status_code == 403


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_directorys_person_it_still_holds_is_not_offered_anonymise(admin_client, acme):
    with get_data_source("directory").writing():
        dora = make_customer_user(acme, "dora", "Dora", "D", data_source="directory", external_dn="uid=dora")
    assert admin_client.get(url("anonymize", dora)).status_code == 403
    with get_data_source("directory").writing():
        CustomerUser.objects.filter(pk=dora.pk).update(valid=2, invalidated_by_sync=True, external_dn="")
    assert admin_client.get(url("anonymize", dora)).status_code == 200
    assert admin_client.post(url("anonymize", dora)).status_code == 302
    assert CustomerUser.objects.get(pk=dora.pk).login == f"anonymized-{dora.pk}"


@pytest.fixture
def teams(db, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    return make_teams()


def test_with_customer_groups_hidden_people_answer_404_read_only_ones_403(teams):
    client = Client()
    client.force_login(teams.agent("agent-a"))
    for name in ("anonymize", "export_personal_data"):
        assert client.get(url(name, teams.theo)).status_code == 404
    reader = Client()
    reader.force_login(teams.agent("agent-ro"))
    assert reader.get(url("anonymize", teams.anna)).status_code == 403
    assert reader.post(url("anonymize", teams.anna)).status_code == 403
    assert reader.get(url("export_personal_data", teams.anna)).status_code == 200
    assert client.post(url("anonymize", teams.anna)).status_code == 302
    assert CustomerUser.objects.get(pk=teams.anna.pk).login == f"anonymized-{teams.anna.pk}"


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_the_admins_delete_erases_leaving_a_tombstone_and_no_personal_value_in_the_history(admin_client, acme):
    sam = make_customer_user(acme, "sam", "Samantha", "Sparrowhawk")
    data = {
        "data_source": "database",
        **{name: getattr(sam, name) for name in ("title", "first_name", "last_name", "login", "email")},
        **dict.fromkeys(("phone", "fax", "mobile", "street", "zip", "city", "country", "comment"), ""),
        "city": "Sparrowford",
        "valid": "1",
        "customer": str(acme.pk),
    }
    assert admin_client.post(url("change", sam), data).status_code == 302
    pk = sam.pk

    response = admin_client.post(url("delete", sam), {"post": "yes"})

    assert response.status_code == 302
    assert not CustomerUser.objects.filter(pk=pk).exists()
    entries = LogEntry.objects.filter(object_id=str(pk))
    assert {entry.object_repr for entry in entries} == {f"erased-{pk}"}
    assert entries.filter(action_flag=3).count() == 1
    assert ValueEntry.objects.get(object_id=pk, action=ValueEntry.Action.DELETE).additional_data == {"writer": "erase"}
    for entry in entries:
        assert "Samantha" not in entry.change_message and "sam" not in entry.object_repr.replace(f"erased-{pk}", "")
