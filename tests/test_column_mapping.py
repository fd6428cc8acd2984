"""Column mapping in the admin's import preview: a file whose columns match no field gets a select
per unknown column (a field, or "Ignore this column"), the same stored upload is previewed again
with that mapping, and the confirm writes what the signed token's mapping says."""

import pytest

from otrs_customer_admin.admin.column_mapping import ColumnMappingForm
from otrs_customer_admin.models import Customer, CustomerUser
from tests.factories import make_customer
from tests.importing import excel_csv, import_customers
from tests.markup import attribute, document, element, elements, text
from tests.test_admin_import_export import (
    CUSTOMER,
    CUSTOMER_USER,
    confirm,
    confirm_fields,
    counts,
    messages_of,
    page_text,
    problems,
    upload,
    url,
)
from tests.test_dynamic_fields import define

pytestmark = pytest.mark.django_db

GERMAN = [["CustomerID", "Firma", "Land", "Ort"], ["ACME", "Acme AG", "DE", "Berlin"], ["INI", "Initech", "AT", "Wien"]]


def mapping_selects(response, model=CUSTOMER):
    """Header -> (the select's name, its options as {value: label}, the chosen value); None without a mapping form."""
    forms = elements(document(response), "form", action=url(model, "import_map"))
    if not forms:
        return None
    found = {}
    for row in elements(forms[0], "tr"):
        select = elements(row, "select")
        if not select:
            continue
        options = {attribute(option, "value"): text(option) for option in elements(select[0], "option")}
        chosen = [
            attribute(option, "value")
            for option in elements(select[0], "option")
            if attribute(option, "selected") is not None
        ]
        found[text(element(row, "label"))] = (attribute(select[0], "name"), options, chosen[0] if chosen else "")
    return found


def hidden(response, action):
    form = element(document(response), "form", action=action)
    return {
        attribute(field, "name"): attribute(field, "value") or "" for field in elements(form, "input", type="hidden")
    }


def remap(client, preview, choices, model=CUSTOMER, **extra):
    """Post the preview's mapping form with ``choices`` (header -> field) and ``extra`` fields."""
    selects = mapping_selects(preview, model)
    data = {
        **hidden(preview, url(model, "import_map")),
        **{selects[h][0]: field for h, field in choices.items()},
        **extra,
    }
    return client.post(url(model, "import_map"), data)


def test_a_preview_with_unknown_columns_offers_a_select_of_fields_for_each(admin_client):
    define("Region", label="Sales region")
    preview = upload(admin_client, excel_csv(GERMAN))
    assert "Columns not imported: Firma, Land, Ort." in page_text(preview)
    selects = mapping_selects(preview)
    assert list(selects) == ["Firma", "Land", "Ort"]  # CustomerID is known
    _name, options, chosen = selects["Firma"]
    assert chosen == ""
    assert options[""] == "Ignore this column"
    assert options["name"] == "Customer" and options["country"] == "Country"
    assert options["DynamicField_Region"] == "Sales region (DynamicField_Region)"
    assert "customer_id" not in options  # taken by the CustomerID column
    # The mapping's button previews the same upload again.
    assert "Preview with this mapping" in text(element(document(preview), "form", action=url(CUSTOMER, "import_map")))


def test_the_mapping_imports_the_columns_into_the_mapped_fields_and_ignores_the_ignored(admin_client):
    first = upload(admin_client, excel_csv(GERMAN))
    assert confirm_fields(first) is None  # new customers without a name: rejected
    mapped = remap(admin_client, first, {"Firma": "name", "Land": "country", "Ort": ""})
    assert mapped.status_code == 200
    assert counts(mapped) == (2, 2, 0, 0)
    assert problems(mapped) == []
    assert "Columns not imported" not in page_text(mapped)  # Ort is ignored on purpose
    assert Customer.objects.count() == 0
    done = confirm(admin_client, mapped)
    assert "Import of customers finished: 2 created, 0 updated, 0 unchanged." in messages_of(done)
    assert sorted(Customer.objects.values_list("customer_id", "name", "country", "city")) == [
        ("ACME", "Acme AG", "DE", ""),
        ("INI", "Initech", "AT", ""),
    ]


def test_a_mapping_can_fill_a_missing_required_column(admin_client):
    make_customer("ACME")
    rows = [
        ["Benutzer", "Vorname", "Nachname", "email", "customer"],
        ["jdoe", "Jane", "Doe", "jane@acme.example", "ACME"],
    ]
    preview = upload(admin_client, excel_csv(rows), name="users.csv", model=CUSTOMER_USER)
    assert "Line 1: The column Login is missing." in problems(preview)
    assert list(mapping_selects(preview, CUSTOMER_USER)) == ["Benutzer", "Vorname", "Nachname"]
    mapped = remap(
        admin_client,
        preview,
        {"Benutzer": "login", "Vorname": "first_name", "Nachname": "last_name"},
        model=CUSTOMER_USER,
    )
    assert problems(mapped) == []
    confirm(admin_client, mapped, model=CUSTOMER_USER)
    assert CustomerUser.objects.get().login == "jdoe"
    assert CustomerUser.objects.get().first_name == "Jane"


def test_a_forged_field_or_column_is_refused_with_a_message_and_nothing_changes(admin_client):
    first = upload(admin_client, excel_csv(GERMAN))
    # A field that is no choice (the data source is not importable).
    forged = remap(admin_client, first, {"Firma": "data_source", "Land": "country"})
    assert forged.status_code == 200
    form = forged.context["mapping_form"]
    assert form.errors["column-1"] == ["Select a valid choice. data_source is not one of the available choices."]
    assert "Select a valid choice" in text(element(document(forged), "form", action=url(CUSTOMER, "import_map")))
    # A column the file does not have.
    other = remap(admin_client, first, {"Firma": "name"}, **{"column-9": "city"})
    assert "The mapping names a column the file does not have; upload the file again." in page_text(other)
    # One field for two columns.
    twice = remap(admin_client, first, {"Firma": "name", "Land": "name"})
    assert twice.context["mapping_form"].errors["column-2"] == ["Customer is chosen for the column Firma already."]
    # A token that is not the preview's.
    data = {**hidden(first, url(CUSTOMER, "import_map")), "token": "forged"}
    refused = admin_client.post(url(CUSTOMER, "import_map"), data)
    assert refused.status_code == 400
    assert "This confirmation does not come from a preview of yours" in page_text(refused)
    assert Customer.objects.count() == 0


def test_aliases_and_dynamic_field_columns_need_no_mapping(admin_client):
    define("Region")
    rows = [
        ["CustomerID", "CustomerCompanyName", "CustomerCompanyCountry", "DynamicField_Region", "website"],
        ["ACME", "Acme", "DE", "north", "acme.example"],
    ]
    preview = upload(admin_client, excel_csv(rows))
    assert mapping_selects(preview) is None
    assert counts(preview) == (1, 1, 0, 0)
    confirm(admin_client, preview)
    assert dict(Customer.objects.get().dynamic_fields) == {"Region": "north"}


def test_the_confirm_writes_the_tokens_mapping_not_what_the_browser_sends(admin_client):
    first = upload(admin_client, excel_csv(GERMAN))
    mapped = remap(admin_client, first, {"Firma": "name", "Land": "country", "Ort": ""})
    fields = confirm_fields(mapped)
    # The browser adds its own mapping to the confirm: Ort as the name, Firma as the city.
    forged = {**fields, "column-1": "city", "column-3": "name", "mapping": '{"Ort": "name"}'}
    admin_client.post(url(CUSTOMER, "process_import"), forged, follow=True)
    assert sorted(Customer.objects.values_list("name", "city")) == [("Acme AG", ""), ("Initech", "")]


def test_the_report_lists_the_unknown_columns_for_a_mapping_in_file_order():
    report = import_customers(
        excel_csv([["CustomerID", "name", "Notiz", "DynamicField_Nope"], ["ACME", "Acme", "x", "y"]]), dry_run=True
    )
    assert report.unknown_columns == ["Notiz", "DynamicField_Nope"]


def test_the_mapping_form_standalone_returns_the_mapping():
    form = ColumnMappingForm(
        headers=["CustomerID", "Firma", "Notiz"],
        model=Customer,
        data={"column-1": "name", "column-2": ""},
    )
    assert form.is_valid(), form.errors
    assert form.mapping == {"Firma": "name", "Notiz": ""}
