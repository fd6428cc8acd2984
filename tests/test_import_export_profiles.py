"""Saved import/export profiles: their admin (list, add, change, delete, columns and defaults
checked), picked on the import and export forms, saved from a preview's column mapping, and
``--profile NAME`` on the import commands."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs_customer_admin.models import Customer, CustomerUser, ImportExportProfile
from tests.factories import make_customer
from tests.importing import excel_csv, plain_csv
from tests.markup import document, element, elements, text
from tests.test_admin_import_export import (
    CUSTOMER,
    CUSTOMER_USER,
    FORMAT,
    confirm,
    confirm_fields,
    counts,
    messages_of,
    page_text,
    problems,
    staff,
    url,
)
from tests.test_column_mapping import GERMAN, hidden, mapping_selects, remap
from tests.test_export import EXPORT_FORMAT, records
from tests.test_import_commands import refused, run, write

pytestmark = pytest.mark.django_db

PROFILES = "importexportprofile"


def profile_form(**fields):
    return {"name": "German", "model": "otrs_customer_admin.customer", "direction": "import", "columns": "", **fields}


def german_profile(**fields):
    values = {
        "name": "German",
        "model": "otrs_customer_admin.customer",
        "direction": "import",
        "columns": {"Firma": "name", "Land": "country", "Ort": ""},
        "defaults": {},
        **fields,
    }
    return ImportExportProfile.objects.create(**values)


def form_errors(response):
    form = response.context["adminform"].form
    return {name: [str(error) for error in errors] for name, errors in form.errors.items()}


# --- the admin of profiles ----------------------------------------------------------------------


def test_add_change_list_and_delete_a_profile(admin_client, admin_user):
    make_customer("ACME")
    added = admin_client.post(
        url(PROFILES, "add"),
        profile_form(
            model="otrs_customer_admin.customeruser",
            columns="Benutzer: login\nNotiz:\nTel.: phone",
            default_country="AT",
            default_customer="acme",
        ),
    )
    assert added.status_code == 302, form_errors(added)
    profile = ImportExportProfile.objects.get()
    assert profile.columns == {"Benutzer": "login", "Notiz": "", "Tel.": "phone"}
    assert profile.defaults == {"default_country": "AT", "default_customer": "ACME"}
    assert profile.created_by == admin_user

    listing = page_text(admin_client.get(url(PROFILES, "changelist")))
    assert "German" in listing and "Customer users" in listing

    change = reverse("admin:otrs_customer_admin_importexportprofile_change", args=[profile.pk])
    page = document(admin_client.get(change))
    assert text(element(page, "textarea", name="columns")) == "Benutzer: login Notiz: Tel.: phone"
    changed = admin_client.post(
        change,
        profile_form(model="otrs_customer_admin.customeruser", columns="Benutzer: login", default_country=""),
    )
    assert changed.status_code == 302, form_errors(changed)
    profile.refresh_from_db()
    assert profile.columns == {"Benutzer": "login"} and profile.defaults == {}

    delete = reverse("admin:otrs_customer_admin_importexportprofile_delete", args=[profile.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not ImportExportProfile.objects.exists()


def test_an_export_profile_lists_export_columns_in_order(admin_client):
    added = admin_client.post(
        url(PROFILES, "add"),
        profile_form(name="Short", direction="export", columns="name\ncustomer_id\ncity"),
    )
    assert added.status_code == 302, form_errors(added)
    assert ImportExportProfile.objects.get().columns == ["name", "customer_id", "city"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"columns": "Firma: nonsense"},
            "columns",
            "The column Firma is mapped to nonsense, which is not a field of customers.",
        ),
        ({"columns": "Firma: name\nfirma: city"}, "columns", "The column firma is mapped twice."),
        ({"direction": "export", "columns": "name\nsecret"}, "columns", "secret is not an export column of customers"),
        ({"direction": "export", "columns": "name\nname"}, "columns", "The column name is listed twice."),
        ({"model": "otrs_customer_admin.ticket"}, "direction", "Tickets are exported only."),
        (
            {"model": "otrs_customer_admin.customeruser", "default_customer": "NOPE"},
            "__all__",
            "Default customer: no customer with the CustomerID NOPE.",
        ),
        ({"default_customer": "ACME"}, "__all__", "Customers have no default customer; leave it empty."),
    ],
)
def test_a_profile_with_unknown_fields_columns_or_defaults_is_refused(admin_client, fields, field, message):
    response = admin_client.post(url(PROFILES, "add"), profile_form(**fields))
    assert response.status_code == 200
    assert any(message in error for error in form_errors(response).get(field, [])), form_errors(response)
    assert not ImportExportProfile.objects.exists()


def test_a_second_profile_of_the_same_name_is_refused(admin_client):
    german_profile()
    response = admin_client.post(url(PROFILES, "add"), profile_form(columns="Firma: name"))
    assert response.status_code == 200
    assert ImportExportProfile.objects.count() == 1


def test_profiles_need_their_model_permissions_and_show_in_the_sidebar(client, admin_client):
    client.force_login(staff("view_customer", username="viewer"))
    assert client.get(url(PROFILES, "add")).status_code == 403
    page = document(admin_client.get(url(CUSTOMER, "changelist")))
    assert elements(page, "a", href=url(PROFILES, "changelist"))


# --- profiles on the import and export forms --------------------------------------------------------


def upload_with(client, data, model=CUSTOMER, name="file.csv", **fields):
    return client.post(
        url(model, "import"), {"format": FORMAT["csv"], "import_file": SimpleUploadedFile(name, data), **fields}
    )


def test_the_import_form_offers_the_models_import_profiles(admin_client):
    german_profile()
    german_profile(name="Users", model="otrs_customer_admin.customeruser")
    german_profile(name="Out", direction="export", columns=["name"])
    select = element(document(admin_client.get(url(CUSTOMER, "import"))), "select", name="profile")
    assert [text(option) for option in elements(select, "option")] == ["No profile", "German"]


def test_a_profile_applies_its_mapping_and_defaults_and_the_forms_own_defaults_win(admin_client):
    acme, globex = make_customer("ACME"), make_customer("GLOBEX", "Globex")
    profile = german_profile(
        name="Users",
        model="otrs_customer_admin.customeruser",
        columns={"Benutzer": "login", "Vorname": "first_name", "Nachname": "last_name", "Mail": "email"},
        defaults={"default_country": "AT", "default_customer": "ACME"},
    )
    rows = [["Benutzer", "Vorname", "Nachname", "Mail"], ["jdoe", "Jane", "Doe", "jane@acme.example"]]
    preview = upload_with(admin_client, plain_csv(rows), model=CUSTOMER_USER, profile=profile.pk)
    assert problems(preview) == []
    assert mapping_selects(preview, CUSTOMER_USER) is None  # the profile mapped every column
    confirm(admin_client, preview, model=CUSTOMER_USER)
    person = CustomerUser.objects.get()
    assert (person.login, person.customer, person.country.code) == ("jdoe", acme, "AT")

    rows[1] = ["mmax", "Max", "Muster", "max@globex.example"]
    preview = upload_with(
        admin_client, plain_csv(rows), model=CUSTOMER_USER, profile=profile.pk, default_customer="GLOBEX"
    )
    confirm(admin_client, preview, model=CUSTOMER_USER)
    assert CustomerUser.objects.get(login="mmax").customer == globex


def test_another_models_profile_is_no_choice(admin_client):
    other = german_profile(name="Users", model="otrs_customer_admin.customeruser")
    response = upload_with(admin_client, excel_csv(GERMAN), profile=other.pk)
    assert "profile" in response.context["form"].errors
    assert Customer.objects.count() == 0


def test_the_export_form_takes_a_profiles_columns_in_its_order(admin_client):
    make_customer("ACME", city="Berlin")
    profile = german_profile(name="Short", direction="export", columns=["city", "customer_id"])
    response = admin_client.post(
        url(CUSTOMER, "export") + "?validity=all", {"format": EXPORT_FORMAT["csv"], "profile": profile.pk}
    )
    assert response.status_code == 200
    assert records(b"".join(response.streaming_content)) == [{"city": "Berlin", "customer_id": "ACME"}]


# --- saving a preview's mapping as a profile ---------------------------------------------------------


def save_profile(client, preview, name):
    data = {**hidden(preview, url(CUSTOMER, "import_profile")), "profile_name": name}
    return client.post(url(CUSTOMER, "import_profile"), data)


def test_a_previews_mapping_is_saved_as_a_profile_and_reused(admin_client):
    first = upload_with(admin_client, excel_csv(GERMAN), default_country="DE")
    mapped = remap(admin_client, first, {"Firma": "name", "Land": "", "Ort": "city"})
    saved = save_profile(admin_client, mapped, "German")
    assert "The profile German was saved." in messages_of(saved)
    profile = ImportExportProfile.objects.get()
    assert (profile.model, profile.direction) == ("otrs_customer_admin.customer", "import")
    assert profile.columns == {"Firma": "name", "Land": "", "Ort": "city"}
    assert profile.defaults == {"default_country": "DE"}
    # The page is the preview again, ready to confirm.
    assert counts(saved) == (2, 2, 0, 0)
    assert confirm_fields(saved) is not None

    again = remap(admin_client, first, {"Firma": "name", "Land": "country", "Ort": ""})
    updated = save_profile(admin_client, again, "German")
    assert "The profile German was updated." in messages_of(updated)
    profile.refresh_from_db()
    assert profile.columns == {"Firma": "name", "Land": "country", "Ort": ""}


def test_saving_over_a_profile_needs_the_change_permission(client):
    user = staff("add_customer", "change_customer", "view_customer", "add_importexportprofile")
    client.force_login(user)
    german_profile(columns={"Firma": "city"})
    first = upload_with(client, excel_csv(GERMAN))
    mapped = remap(client, first, {"Firma": "name", "Land": "country"})
    refused_save = save_profile(client, mapped, "German")
    assert "A profile called German exists already and you may not change it; choose another name." in messages_of(
        refused_save
    )
    assert ImportExportProfile.objects.get().columns == {"Firma": "city"}
    assert "The profile Mine was saved." in messages_of(save_profile(client, mapped, "Mine"))


def test_without_profile_permissions_the_preview_offers_no_saving(client):
    client.force_login(staff("add_customer", "change_customer", "view_customer"))
    first = upload_with(client, excel_csv(GERMAN))
    mapped = remap(client, first, {"Firma": "name", "Land": "country"})
    assert not elements(document(mapped), "form", action=url(CUSTOMER, "import_profile"))
    data = {**confirm_fields(mapped), "profile_name": "Mine"}
    response = client.post(url(CUSTOMER, "import_profile"), data)
    assert "You may not add import/export profiles." in messages_of(response)
    assert not ImportExportProfile.objects.exists()


# --- --profile on the import commands -------------------------------------------------------------


def test_the_import_commands_apply_a_profile_and_their_options_win(tmp_path):
    german_profile(defaults={"default_country": "AT"})
    path = write(tmp_path, "kunden.csv", plain_csv([["CustomerID", "Firma", "Ort"], ["ACME", "Acme", "Berlin"]]))
    run("import_customers", str(path), "--profile", "German")
    assert Customer.objects.values_list("name", "country", "city").get() == ("Acme", "AT", "")

    path = write(tmp_path, "more.csv", plain_csv([["CustomerID", "Firma"], ["INI", "Initech"]]))
    run("import_customers", str(path), "--profile", "German", "--default-country", "CH")
    assert Customer.objects.get(customer_id="INI").country.code == "CH"


def test_the_customer_user_command_takes_the_profiles_default_customer(tmp_path):
    acme = make_customer("ACME")
    german_profile(
        name="Users",
        model="otrs_customer_admin.customeruser",
        columns={"Benutzer": "login"},
        defaults={"default_customer": "ACME"},
    )
    rows = [["Benutzer", "first_name", "last_name", "email"], ["jdoe", "Jane", "Doe", "jane@acme.example"]]
    run("import_customer_users", str(write(tmp_path, "u.csv", plain_csv(rows))), "--profile", "Users")
    assert CustomerUser.objects.get().customer == acme


def test_an_unknown_profile_names_the_known_ones(tmp_path):
    path = write(tmp_path, "kunden.csv", plain_csv([["CustomerID", "name"], ["ACME", "Acme"]]))
    message, _err = refused("import_customers", str(path), "--profile", "Nope")
    assert message == "No import profile called Nope: customers have no import profiles yet."
    german_profile()
    german_profile(name="Dutch")
    german_profile(name="Users", model="otrs_customer_admin.customeruser")
    message, _err = refused("import_customers", str(path), "--profile", "Nope")
    assert message == "No import profile called Nope for customers: use one of Dutch, German."
    assert not Customer.objects.exists()


def test_an_export_profile_whose_column_is_gone_is_refused_with_a_message(admin_client):
    make_customer("ACME", city="Berlin")
    # Saved while a dynamic field existed; the field was deleted since.
    profile = german_profile(name="Old", direction="export", columns=["customer_id", "DynamicField_Region"])
    export_url = url(CUSTOMER, "export") + "?validity=all"

    response = admin_client.post(export_url, {"format": EXPORT_FORMAT["csv"], "profile": profile.pk}, follow=True)

    assert response.status_code == 200
    assert any("DynamicField_Region" in message for message in messages_of(response))
