"""The admin import in a real Chromium: a file with a mistake, its preview, the corrected file, confirm."""

import csv
import io

import pytest

from otrs_customer_admin.models import Customer

pytestmark = pytest.mark.e2e

CUSTOMERS = "/admin/otrs_customer_admin/customer/"


def expect():
    from playwright.sync_api import expect

    return expect


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return {"name": "customers.csv", "mimeType": "text/csv", "buffer": "\ufeff".encode() + buffer.getvalue().encode()}


HEADER = ["CustomerID", "CustomerCompanyName", "CustomerCompanyCity", "CustomerCompanyCountry"]
ROWS = [
    ["ACME", "Acme Corporation", "Berlin", "Germany"],
    ["GLOBEX", "Globex", "Springfield", "Narnia"],
    ["INITECH", "Initech", "Austin", "US"],
]


def upload(page, rows):
    page.set_input_files("#id_import_file", files=[csv_file(rows)])
    # django-import-export's script picks the format from the file name.
    expect()(page.locator("#id_format")).to_have_value("0")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()


def test_upload_see_the_problem_fix_the_file_and_confirm(logged_in_page, live_server, screenshot):
    Customer.objects.create(customer_id="INITECH", name="Initech", city="Dallas", country="US")
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}")
    page.locator(f"a[href='{CUSTOMERS}import/']").click()
    expect()(page.locator("#id_import_file")).to_be_attached()
    screenshot(page, "form")

    upload(page, [HEADER, *ROWS])
    expect()(page.locator(".otrs-import-counts")).to_have_text("3 rows: 2 to create, 1 to update, 0 unchanged.")
    problems = page.locator(".otrs-import-problems li")
    expect()(problems).to_have_count(1)
    expect()(problems).to_have_text(
        "Line 3, CustomerCompanyCountry: Unknown country 'Narnia': use an ISO code such as DE "
        "or an English name such as Germany."
    )
    expect()(page.locator(".otrs-import-rejected")).to_contain_text("Nothing was written")
    assert page.get_by_role("button", name="Confirm import").count() == 0
    screenshot(page, "rejected")
    assert Customer.objects.count() == 1

    fixed = [row if row[0] != "GLOBEX" else [*row[:3], "US"] for row in ROWS]
    upload(page, [HEADER, *fixed])
    # A changed token is refused with a message and the way back.
    page.locator("input[name=token]").evaluate("element => { element.value = element.value.slice(0, -2) + 'xx'; }")
    page.get_by_role("button", name="Confirm import").click()
    expect()(page.locator(".otrs-import-refused")).to_contain_text(
        "This confirmation does not come from a preview of yours, so nothing was imported."
    )
    screenshot(page, "refused")
    assert Customer.objects.count() == 1
    page.get_by_role("link", name="Upload the file again").click()
    upload(page, [HEADER, *fixed])
    expect()(page.locator(".otrs-import-counts")).to_have_text("3 rows: 2 to create, 1 to update, 0 unchanged.")
    expect()(page.locator(".otrs-import-problems")).to_have_count(0)
    preview = page.locator(".otrs-import-result tbody tr")
    expect()(preview).to_have_count(3)
    expect()(preview.nth(1)).to_contain_text("GLOBEX")
    # The update names its field with the value now and after the import.
    expect()(preview.nth(2)).to_contain_text("City: Dallas → Austin")
    screenshot(page, "preview")
    assert Customer.objects.count() == 1

    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url(f"{live_server.url}{CUSTOMERS}")
    expect()(page.locator("body")).to_contain_text("Import of customers finished: 2 created, 1 updated, 0 unchanged.")
    results = page.locator("#result_list")
    for name in ("Acme Corporation", "Globex", "Initech"):
        expect()(results).to_contain_text(name)
    expect()(results).to_contain_text("Austin")
    screenshot(page, "imported")
    assert sorted(Customer.objects.values_list("customer_id", "country")) == [
        ("ACME", "DE"),
        ("GLOBEX", "US"),
        ("INITECH", "US"),
    ]


def test_the_customer_user_import_form_and_a_preview_that_changes_nothing(logged_in_page, live_server, screenshot):
    Customer.objects.create(customer_id="ACME", name="Acme Corporation", city="Berlin", country="DE")
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customeruser/import/")
    box = page.locator("#id_default_customer")
    # A visible box: unfold's bordered text input, as wide as the selects above it.
    assert box.evaluate("element => getComputedStyle(element).borderTopWidth") != "0px"
    assert box.bounding_box()["width"] == page.locator("#id_default_country").bounding_box()["width"]
    expect()(page.locator(".form-field:has(#id_default_country)")).to_contain_text(
        "For new customer users whose row has no country"
    )
    screenshot(page, "customer-users-form")

    page.goto(f"{live_server.url}{CUSTOMERS}import/")
    upload(page, [HEADER, ["ACME", "Acme Corporation", "Berlin", "DE"]])
    expect()(page.locator(".otrs-import-counts")).to_have_text("1 row: 0 to create, 0 to update, 1 unchanged.")
    expect()(page.locator(".otrs-import-nothing")).to_have_text(
        "Nothing to import: every row matches the data as it is."
    )
    assert page.get_by_role("button", name="Confirm import").count() == 0
    screenshot(page, "nothing-to-import")
