"""The directory in a real Chromium: sync it from the customer list, open a synced customer, test the connection."""

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

CUSTOMERS = "/admin/otrs_customer_admin/customer/"
DATABASE = {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"}


def expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def directory_site(make_directory):
    directory = make_directory()
    settings = {"DATA_SOURCES": {"database": DATABASE, "directory": directory.source()}}
    with override_settings(OTRS_CUSTOMER_ADMIN=settings):
        yield directory


def test_sync_now_then_a_synced_customer_opens_read_only(logged_in_page, live_server, directory_site, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}")
    status = page.locator(".otrs-sync-status")
    expect()(status).to_contain_text("Company directory")
    expect()(status).to_contain_text("Never synced.")

    page.get_by_role("button", name="Sync now").click()
    expect()(page.locator(".messagelist, #main")).to_contain_text("Company directory synced. Customers: 4 created")
    row = page.locator("#result_list tr", has_text="Müller & Söhne GmbH")
    expect()(row).to_contain_text("Company directory")
    screenshot(page, "list")

    row.locator("a[data-otrs-card]", has_text="Müller & Söhne GmbH").click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("Müller & Söhne GmbH (mueller-gmbh)")
    expect()(page.locator(".otrs-notice")).to_contain_text("read-only data source Company directory")
    expect()(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect()(page.get_by_role("link", name="Set invalid")).to_have_count(0)
    screenshot(page, "detail")


def test_test_connection_shows_what_a_sync_would_see(logged_in_page, live_server, directory_site, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}")
    page.get_by_role("button", name="Test connection").click()

    result = page.locator(".otrs-sync-test-result")
    expect()(result).to_contain_text("Paged results supported")
    expect()(result.locator(".otrs-sync-search").first).to_contain_text("Customers: 4 entries")
    expect()(result.locator(".otrs-sync-search").nth(1)).to_contain_text("Customer users: 5 entries")
    expect()(result).to_contain_text("uid=nomail,ou=people,dc=example,dc=com")
    screenshot(page, "test-connection")
