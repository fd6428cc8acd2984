"""The detail view's widgets in a real Chromium: order, hiding, reset, and their links."""

import re
from urllib.parse import quote

import pytest

from tests.factories import make_customer, make_customer_user

# The example site's screen, with its own widget second.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("example_site")]

DEFAULT_ORDER = [
    "customer-information",
    "open-tickets-by-priority",
    "escalations",
    "reminders",
    "open-tickets",
    "customer-users",
    "history",
]


@pytest.fixture
def acme():
    """This module's ACME: a name and street that need escaping and URL-encoding, and Jane Doe."""
    acme = make_customer(name="Acme & Söhne", street="Hauptstraße 1", zip="10115", city="Berlin")
    make_customer_user(acme, email="j@acme.example")
    return acme


def expect():
    from playwright.sync_api import expect

    return expect


def widget_keys(page):
    return page.locator("section.otrs-widget").evaluate_all("nodes => nodes.map(n => n.dataset.widget)")


def test_hide_reload_and_reset(logged_in_page, live_server, acme, screenshot):
    page = logged_in_page
    url = f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/"
    page.goto(url)
    assert widget_keys(page) == DEFAULT_ORDER
    screenshot(page, "default")

    page.locator('section[data-widget="reminders"] button[data-action="hide"]').click()
    page.wait_for_url(url)
    assert "reminders" not in widget_keys(page)
    page.reload()
    assert "reminders" not in widget_keys(page)

    page.locator('section[data-widget="customer-users"] button[data-action="up"]').click()
    assert widget_keys(page)[-3:] == ["customer-users", "open-tickets", "history"]

    page.select_option("#otrs-show-widget", "ticket-list")
    page.locator(".otrs-customize-show button").click()
    assert widget_keys(page)[-1] == "ticket-list"
    screenshot(page, "customized")

    page.locator(".otrs-customize-reset button").click()
    assert widget_keys(page) == DEFAULT_ORDER


def test_create_ticket_from_the_customer_users_widget_opens_a_prefilled_form(logged_in_page, live_server, acme):
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/")
    page.locator('section[data-widget="customer-users"] a.otrs-create-ticket').click()
    expect()(page.locator(".field-customer")).to_contain_text("Acme & Söhne (ACME)")
    expect()(page.locator(".field-customer_user")).to_contain_text("Jane Doe (jdoe)")
    page.fill("#id_title", "Printer on fire")
    page.locator("button[name=_save]").click()
    expect()(page.locator("#result_list")).to_contain_text("Printer on fire")


def test_map_and_social_links_carry_the_encoded_address_and_name(logged_in_page, live_server, acme):
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/")
    info = page.locator('section[data-widget="customer-information"]')
    map_link = info.locator("a.otrs-map-link").get_attribute("href")
    assert map_link == "https://www.openstreetmap.org/search?query=" + quote("Hauptstraße 1, 10115 Berlin, Germany")
    social = info.locator(".otrs-social-links a").evaluate_all("nodes => nodes.map(n => n.href)")
    assert social and all(quote("Acme & Söhne") in link for link in social)
    assert all(re.match(r"https://", link) for link in social)
    # They open in a new tab without handing over this page.
    assert info.locator("a.otrs-map-link").get_attribute("rel") == "noopener noreferrer"
