"""Dynamic fields in a real Chromium: define one in the admin, fill it on a customer, see it in
the list, the card and the detail view, and find the customer by it."""

import pytest

from otrs_customer_admin.models import DynamicField
from tests.factories import make_customer

pytestmark = pytest.mark.e2e

ADMIN = "/admin/otrs_customer_admin"


def expect():
    from playwright.sync_api import expect

    return expect


def test_define_fill_list_card_detail_and_find(logged_in_page, live_server, screenshot):
    acme = make_customer(city="Berlin")
    make_customer("GLOBEX", "Globex Inc", city="Berlin")
    page = logged_in_page

    page.goto(f"{live_server.url}{ADMIN}/dynamicfield/add/")
    page.select_option("#id_object_type", "customer")
    page.fill("#id_name", "Tier")
    page.fill("#id_label", "Contract tier")
    page.select_option("#id_field_type", "dropdown")
    page.fill("#id_choices", "gold: Gold\nsilver: Silver")
    for box in ("show_in_list", "show_in_card", "filterable"):
        page.check(f"#id_{box}")
    page.locator("button[name=_save]").click()
    expect()(page.locator("#result_list")).to_contain_text("DynamicField_Tier")
    assert DynamicField.objects.get().choices == {"gold": "Gold", "silver": "Silver"}

    page.goto(f"{live_server.url}{ADMIN}/customer/{acme.pk}/change/")
    expect()(page.locator("#content")).to_contain_text("Dynamic fields")
    page.select_option("#id_DynamicField_Tier", "gold")
    screenshot(page, "change-form")
    page.locator("button[name=_save]").click()

    results = page.locator("#result_list")
    expect()(results.locator("thead")).to_contain_text("Contract tier")
    acme_row = results.locator("tr", has_text="Acme Corporation")
    expect()(acme_row).to_contain_text("Gold")
    expect()(results.locator("tr", has_text="Globex Inc")).not_to_contain_text("Gold")

    acme_row.locator("a[data-otrs-card]").first.hover()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    expect()(card).to_contain_text("Contract tier")
    expect()(card).to_contain_text("Gold")
    screenshot(page, "card")

    acme_row.locator("a[data-otrs-card]").first.click()
    information = page.locator("#content")
    expect()(information).to_contain_text("Contract tier")
    expect()(information).to_contain_text("Gold")

    page.goto(f"{live_server.url}{ADMIN}/customer/?q=DynamicField_Tier:gold")
    results = page.locator("#result_list")
    expect()(results).to_contain_text("Acme Corporation")
    expect()(results).not_to_contain_text("Globex Inc")
    page.goto(f"{live_server.url}{ADMIN}/customer/?DynamicField_Tier=gold")
    expect()(page.locator("#result_list")).to_contain_text("Acme Corporation")
    expect()(page.locator("#result_list")).not_to_contain_text("Globex Inc")
    screenshot(page, "found")
