"""The history of old -> new values: every writer records them with its user and its name; the History
widget and the admin's history page show them."""

import io

import pytest
from auditlog.models import LogEntry as ValueEntry
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.history import Change, entries_of, record_history
from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, Validity
from tests.factories import make_customer, make_customer_user
from tests.importing import excel_csv, import_customer_users, import_customers
from tests.markup import attribute, document, element, elements, text
from tests.teams import make_teams
from tests.test_admin_customers import form_data
from tests.test_valid_targets import submitted

pytestmark = pytest.mark.django_db

TIERS = {"gold": "Gold", "silver": "Silver"}
DIRECTORY = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {
            "BACKEND": "tests.sources.MappedDirectorySource",
            "LABEL": "Head office LDAP",
            "CUSTOMER_ATTR_MAP": {"name": "o"},
        },
    }
}


def url(obj, view):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_{view}", args=[obj.pk])


def recorded(obj):
    """``obj``'s value entries, newest first: (writer, user name, action, changes)."""
    return [
        (
            entry.additional_data["writer"],
            entry.actor.get_username() if entry.actor else None,
            entry.action,
            entry.changes,
        )
        for entry in entries_of(type(obj), obj.pk)
    ]


def tier():
    return DynamicField.objects.create(
        object_type="customer", name="Tier", label="Contract tier", field_type="dropdown", choices=TIERS
    )


def customer_form(**fields):
    return form_data(**{"DynamicField_Tier": "gold", **fields})


def history_widget(client, obj, query="", language="en"):
    response = client.get(url(obj, "detail") + query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return element(document(response.content.decode()), "section", data_widget="history")


def rows(widget):
    return [text(row) for row in elements(widget, "tr", data_history_entry=True)]


# --- the writers ----------------------------------------------------------------------------------


def test_the_form_records_an_addition_and_a_change_with_old_and_new_values_and_one_admin_entry(
    admin_client, admin_user
):
    tier()
    add = reverse("admin:otrs_customer_admin_customer_add")
    assert admin_client.post(add, customer_form()).status_code == 302
    initech = Customer.objects.get()
    change = customer_form(city="Dallas", DynamicField_Tier="silver")
    assert admin_client.post(url(initech, "change"), change).status_code == 302

    (changed, added) = recorded(initech)
    assert changed == (
        "form",
        admin_user.username,
        ValueEntry.Action.UPDATE,
        {"city": ["Austin", "Dallas"], "DynamicField_Tier": ["gold", "silver"]},
    )
    assert added[:3] == ("form", admin_user.username, ValueEntry.Action.CREATE)
    assert added[3]["name"] == [None, "Initech"] and added[3]["DynamicField_Tier"] == [None, "gold"]
    assert added[3]["country"] == [None, "US"]
    # One admin entry a save, as before.
    messages = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(initech.pk)).order_by("pk")]
    assert messages == ["Added.", "Changed City and Contract tier."]


def test_a_customer_user_form_records_the_customer_moved_from_and_to(admin_client, admin_user):
    acme, globex = make_customer("ACME", "Acme"), make_customer("GLOBEX", "Globex")
    jane = make_customer_user(acme, email="jane@acme.example")
    data = {
        "data_source": "database",
        "login": "jdoe",
        "title": "",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@acme.example",
        "customer": str(globex.pk),
        "phone": "",
        "fax": "",
        "mobile": "",
        "street": "",
        "zip": "",
        "city": "",
        "country": "",
        "comment": "",
        "valid": "1",
    }
    response = admin_client.post(url(jane, "change"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert recorded(jane)[0] == (
        "form",
        admin_user.username,
        ValueEntry.Action.UPDATE,
        {"customer": [acme.pk, globex.pk]},
    )
    assert "Customer: Acme → Globex" in rows(history_widget(admin_client, jane))[0]


def test_a_customer_the_readers_groups_hide_is_not_named_in_the_history(client, settings, admin_user):
    # Bruno moved from THIRD (hidden from agent-b) to BRAVO: agent-b sees that he moved, not from where.
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    teams = make_teams()
    bruno = teams.bruno
    record_history(
        admin_user,
        "import",
        CustomerUser,
        [Change(bruno.pk, str(bruno), CHANGE, "", {"customer": (teams.third.pk, teams.bravo.pk)})],
    )
    client.force_login(teams.agent("agent-b"))
    assert "Customer: another customer → Bravo Logistics" in rows(history_widget(client, bruno))[0]
    client.force_login(teams.agent("root"))
    assert "Customer: Third Party Ltd → Bravo Logistics" in rows(history_widget(client, bruno))[0]


def test_set_invalid_records_valid_to_invalid(admin_client, admin_user):
    acme = make_customer()
    assert admin_client.post(url(acme, "invalidate")).status_code == 302
    assert recorded(acme) == [
        ("form", admin_user.username, ValueEntry.Action.UPDATE, {"valid": [Validity.VALID, Validity.INVALID]})
    ]
    assert LogEntry.objects.get(object_id=str(acme.pk)).get_change_message() == "Changed Valid."
    assert "Validity: valid → invalid" in rows(history_widget(admin_client, acme))[0]


def test_a_directory_records_dynamic_field_change_is_one_admin_entry_and_one_value_entry(
    admin_client, admin_user, settings
):
    settings.OTRS_CUSTOMER_ADMIN = DIRECTORY
    DynamicField.objects.create(object_type="customer", name="AccountManager", label="Account manager")
    with get_data_source("directory").writing():
        record = make_customer("DIR", "Directory Inc", data_source="directory")
    shown = submitted(admin_client.get(url(record, "change")).content.decode(), "customer_form")
    response = admin_client.post(url(record, "change"), {**shown, "DynamicField_AccountManager": "Petra"})
    assert response.status_code == 302
    assert recorded(record) == [
        ("form", admin_user.username, ValueEntry.Action.UPDATE, {"DynamicField_AccountManager": [None, "Petra"]})
    ]
    assert LogEntry.objects.filter(object_id=str(record.pk)).count() == 1


def test_an_import_records_old_and_new_values_dynamic_fields_and_links(admin_user):
    tier()
    acme = make_customer("ACME", "Acme", city="Berlin")
    report = import_customers(
        excel_csv(
            [["CustomerID", "Name", "City", "Country", "DynamicField_Tier"], ["ACME", "Acme", "Bonn", "DE", "gold"]]
        ),
        user=admin_user,
    )
    assert report.ok
    assert recorded(acme) == [
        (
            "import",
            admin_user.username,
            ValueEntry.Action.UPDATE,
            {"city": ["Berlin", "Bonn"], "DynamicField_Tier": [None, "gold"]},
        )
    ]
    globex = make_customer("GLOBEX", "Globex", country="US")
    header = ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", "additional_customers"]
    import_customer_users(excel_csv([header, ["jdoe", "Jane", "Doe", "j@acme.example", "ACME", ""]]), user=admin_user)
    jane = CustomerUser.objects.get()
    ((_writer, _user, action, added),) = recorded(jane)
    assert (
        action == ValueEntry.Action.CREATE and added["login"] == [None, "jdoe"] and added["customer"] == [None, acme.pk]
    )
    import_customer_users(
        excel_csv([header, ["jdoe", "Jane", "Roe", "j@acme.example", "ACME", "GLOBEX"]]), user=admin_user
    )
    assert recorded(jane)[0][3] == {"last_name": ["Doe", "Roe"], "additional_customers": [[], [globex.pk]]}


def test_an_import_without_a_user_records_the_values_without_one():
    acme = make_customer("ACME", "Acme", city="Berlin")
    import_customers(excel_csv([["CustomerID", "Name", "City", "Country"], ["ACME", "Acme", "Bonn", "DE"]]))
    assert recorded(acme) == [("import", None, ValueEntry.Action.UPDATE, {"city": ["Berlin", "Bonn"]})]
    assert not LogEntry.objects.exists()  # the admin's entries need a user


@pytest.mark.django_db(transaction=True)
def test_an_import_job_run_in_process_records_the_user_who_started_it(settings, tmp_path):
    from otrs_customer_admin.jobs import runner, start_import

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    clerk = User.objects.create_user("clerk", is_staff=True, is_superuser=True)
    acme = make_customer("ACME", "Acme", city="Berlin")
    upload = io.BytesIO(b"CustomerID,Name,City,Country\r\nACME,Acme,Bonn,DE\r\n")
    upload.name = "customers.csv"
    job = start_import(clerk, Customer, upload, format_name="csv", preview=False)
    runner.run(job.pk)
    assert recorded(acme) == [("import", "clerk", ValueEntry.Action.UPDATE, {"city": ["Berlin", "Bonn"]})]


def test_with_history_off_only_the_admins_entries_are_written(admin_client):
    acme = make_customer("ACME", "Acme", city="Berlin")
    with override_settings(OTRS_CUSTOMER_ADMIN={"HISTORY": False}):
        assert admin_client.post(url(acme, "invalidate")).status_code == 302
        import_customers(excel_csv([["CustomerID", "Name", "City", "Country"], ["ACME", "Acme", "Bonn", "DE"]]))
        history_page = admin_client.get(url(acme, "history")).content.decode()
    assert not ValueEntry.objects.exists()
    assert LogEntry.objects.filter(object_id=str(acme.pk)).count() == 1
    assert "Changed Valid." in history_page  # Django's own page of admin entries


# --- the widget -----------------------------------------------------------------------------------


def test_the_widget_shows_each_change_newest_first_with_labels_and_display_values(admin_client, admin_user):
    tier()
    acme = make_customer("ACME", "Acme", city="Berlin", country="DE")
    import_customers(
        excel_csv(
            [["CustomerID", "Name", "City", "Country", "DynamicField_Tier"], ["ACME", "Acme", "Bonn", "AT", "gold"]]
        ),
        user=admin_user,
    )
    admin_client.post(url(acme, "invalidate"))

    widget = history_widget(admin_client, acme)
    newest, older = rows(widget)
    assert "admin" in newest and "form" in newest and "Validity: valid → invalid" in newest
    assert "import" in older and "changed" in older
    assert "City: Berlin → Bonn" in older
    assert "Country: Germany → Austria" in older
    assert "Contract tier: — → Gold" in older


def test_the_widget_in_german(admin_client, admin_user):
    acme = make_customer("ACME", "Acme", city="Berlin")
    admin_client.post(url(acme, "invalidate"))
    with translation.override("de"):
        widget = history_widget(admin_client, acme, language="de")
    heading = text(element(widget, "thead"))
    assert heading == "Zeit Benutzer Herkunft Aktion Änderungen"
    (row,) = rows(widget)
    assert "Formular" in row and "geändert" in row and "Gültigkeit: gültig → ungültig" in row
    # Django's admin says "Geschichte" for its History link; the widget says it alike.
    assert "Geschichte" in text(element(widget, "span", id="widget-history-title"))


def test_the_widget_is_paginated_with_its_own_parameter(admin_client, admin_user, settings):
    acme = make_customer("ACME", "Acme", city="city 0")
    for number in range(1, 13):
        import_customers(
            excel_csv([["CustomerID", "Name", "City", "Country"], ["ACME", "Acme", f"city {number}", "DE"]]),
            user=admin_user,
        )
    settings.OTRS_CUSTOMER_ADMIN = {"WIDGET_ROWS": 5}
    first = history_widget(admin_client, acme)
    assert len(rows(first)) == 5 and "city 11 → city 12" in rows(first)[0]
    assert "12" in text(element(first, "span", id="widget-history-title"))
    links = [attribute(a, "href") for a in elements(element(first, "nav", class_="otrs-widget-pages"), "a")]
    assert "?history-page=2#widget-history" in links
    third = history_widget(admin_client, acme, "?ticket-list-page=1&history-page=3")
    assert [row.split("City: ")[1] for row in rows(third)] == ["city 1 → city 2", "city 0 → city 1"]


def test_the_widget_escapes_and_isolates_user_values(admin_client, admin_user):
    acme = make_customer("ACME", "Acme", city="Berlin")
    hostile = "<script>alert(1)</script>\u202eevil"
    import_customers(
        excel_csv([["CustomerID", "Name", "City", "Country"], ["ACME", "Acme", hostile, "DE"]]), user=admin_user
    )
    response = admin_client.get(url(acme, "detail"))
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;\u202eevil\u2069</bdi>" in content or (
        "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;" in content
    )


def test_the_widget_is_empty_for_a_record_without_history(admin_client):
    acme = make_customer()
    assert "No changes recorded." in text(history_widget(admin_client, acme))


# --- the admin's history page ---------------------------------------------------------------------


def test_the_admins_history_page_shows_the_same_entries_paginated_above_the_admins_own(admin_client, admin_user):
    jane = make_customer_user(make_customer(), email="jane@acme.example", city="c0")
    header = ["UserLogin", "UserCity"]
    for number in range(1, 4):
        import_customer_users(excel_csv([header, ["jdoe", f"c{number}"]]), user=admin_user)

    def values(query=""):
        page = document(admin_client.get(url(jane, "history") + query).content.decode())
        return element(page, "section", class_="otrs-history-page"), page

    shown, page = values()
    assert [row.split("City: ")[1] for row in rows(shown)] == ["c2 → c3", "c1 → c2", "c0 → c1"]
    assert "3 entries" in text(shown)
    assert "Changed City." in text(page)  # the admin's own entries, below

    # A page holds 50 entries: the 51st (the oldest) is on the second.
    changes = [Change(jane.pk, "jdoe", CHANGE, "Changed.", {"zip": (str(n), str(n + 1))}) for n in range(48)]
    record_history(admin_user, "import", CustomerUser, changes)
    first, _page = values()
    assert len(rows(first)) == 50 and "51 entries" in text(first)
    second, _page = values("?history-page=2")
    assert [row.split("City: ")[1] for row in rows(second)] == ["c0 → c1"]


def test_auditlogs_own_admin_is_not_on_the_packages_site():
    """Its list shows every entry to whoever may view entries, whatever customer groups hide: the
    package's pages show a record's history to those who may see the record."""
    assert not admin.site.is_registered(ValueEntry)


# --- the directory sync (a real slapd) --------------------------------------------------------------


@pytest.mark.ldap
def test_a_sync_records_created_updated_invalidated_and_reactivated_with_old_and_new_values(directory_settings):
    from otrs_customer_admin.directory_sync import run_sync
    from otrs_customer_admin.directory_sync.run import history_user
    from tests import harness

    people, america = f"ou=people,{harness.LDAP_SUFFIX}", f"ou=america,ou=customers,{harness.LDAP_SUFFIX}"
    directory = directory_settings()

    def sync():
        run_sync(get_data_source("directory"))

    sync()
    acme = Customer.objects.get(customer_id="ACME")
    wile = CustomerUser.objects.get(login="wcoyote")
    directory.modify(f"o=ACME,{america}", l="Tucson")
    sync()
    directory.delete(f"uid=wcoyote,{people}")
    sync()
    directory.add(harness.person(f"uid=wcoyote,{people}", "wcoyote", "Coyote", "wile.coyote@acme.example", o="ACME"))
    sync()

    account = history_user(None).get_username()
    ((writer, user, action, changed), (_w, _u, created, added)) = recorded(acme)
    assert (writer, user, action, created) == ("sync", account, ValueEntry.Action.UPDATE, ValueEntry.Action.CREATE)
    assert changed == {"city": [added["city"][1], "Tucson"]}
    assert added["customer_id"] == [None, "ACME"] and added["external_dn"] == [None, f"o=ACME,{america}"]
    back, gone, _added = recorded(wile)
    assert gone[3] == {"valid": [Validity.VALID, Validity.INVALID]}
    assert back[3]["valid"] == [Validity.INVALID, Validity.VALID]
    assert _added[3]["customer"] == [None, acme.pk]
