"""The column mapping in a real Chromium: a file with columns that match no field is mapped, the
mapping saved as a profile and imported; a second file with the same headers, with the profile
picked, needs no mapping."""

import pytest

from otrs_customer_admin.models import Customer, ImportExportProfile
from tests.test_e2e_import import csv_file, expect

pytestmark = pytest.mark.e2e

IMPORT = "/admin/otrs_customer_admin/customer/import/"
HEADER = ["CustomerID", "Firma", "Land", "Notiz"]


def upload(page, rows, profile=None):
    page.set_input_files("#id_import_file", files=[csv_file(rows)])
    expect()(page.locator("#id_format")).to_have_value("0")
    if profile:
        page.locator("#id_profile").select_option(label=profile)
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()


def test_map_the_columns_save_them_as_a_profile_and_reuse_it(logged_in_page, live_server, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}{IMPORT}")
    upload(page, [HEADER, ["ACME", "Acme AG", "DE", "call first"], ["INI", "Initech", "AT", ""]])
    expect()(page.locator(".otrs-import-warning")).to_contain_text("Columns not imported: Firma, Land, Notiz.")
    mapping = page.locator(".otrs-column-mapping")
    expect()(mapping.locator("select")).to_have_count(3)
    screenshot(page, "mapping")

    mapping.get_by_label("Firma").select_option(label="Customer")
    mapping.get_by_label("Land").select_option(label="Country")
    mapping.get_by_label("Notiz").select_option(label="Comment")
    mapping.get_by_role("button", name="Preview with this mapping").click()
    expect()(page.locator(".otrs-import-counts")).to_have_text("2 rows: 2 to create, 0 to update, 0 unchanged.")
    expect()(page.locator(".otrs-import-warning")).to_have_count(0)
    expect()(page.locator(".otrs-import-result tbody tr").first).to_contain_text("Comment: call first")

    page.get_by_label("Profile name").fill("German CRM")
    page.get_by_role("button", name="Save this mapping as profile").click()
    expect()(page.locator("body")).to_contain_text("The profile German CRM was saved.")
    screenshot(page, "saved")
    assert ImportExportProfile.objects.get().columns == {"Firma": "name", "Land": "country", "Notiz": "comment"}

    page.get_by_role("button", name="Confirm import").click()
    expect()(page.locator("body")).to_contain_text("Import of customers finished: 2 created, 0 updated, 0 unchanged.")
    assert sorted(Customer.objects.values_list("customer_id", "name", "country", "comment")) == [
        ("ACME", "Acme AG", "DE", "call first"),
        ("INI", "Initech", "AT", ""),
    ]

    page.goto(f"{live_server.url}{IMPORT}")
    upload(page, [HEADER, ["GLOBEX", "Globex", "US", "new"]], profile="German CRM")
    expect()(page.locator(".otrs-import-counts")).to_have_text("1 row: 1 to create, 0 to update, 0 unchanged.")
    expect()(page.locator(".otrs-column-mapping")).to_have_count(0)
    expect()(page.locator(".otrs-import-warning")).to_have_count(0)
    screenshot(page, "profile-picked")
    page.get_by_role("button", name="Confirm import").click()
    expect()(page.locator("body")).to_contain_text("Import of customers finished: 1 created, 0 updated, 0 unchanged.")
    assert Customer.objects.get(customer_id="GLOBEX").name == "Globex"
