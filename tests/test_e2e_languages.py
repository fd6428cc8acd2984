"""The example site in German, in a real Chromium: the browser's language, then the language menu."""

import re

import pytest
from django.test import override_settings

import example_project.settings
from tests.factories import ACME_ADDRESS, make_customer, make_customer_user, make_ticket

# The example site as it is served: its URLs (with set_language) and its unfold settings (with the menu).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("example_site")]

GERMAN_WIDGETS = {
    "customer-information": "Kundeninformation",
    "open-tickets-by-priority": "Offene Tickets nach Priorität",
    "escalations": "Eskalationen",
    "reminders": "Erinnerungen",
    "open-tickets": "Offene Tickets",
    "customer-users": "Kundenbenutzer",
}
ENGLISH_WIDGETS = {
    "customer-information": "Customer Information",
    "open-tickets-by-priority": "Open tickets by priority",
    "escalations": "Escalations",
    "reminders": "Reminders",
    "open-tickets": "Open Tickets",
    "customer-users": "Customer Users",
}


@pytest.fixture(autouse=True)
def served_as_the_example_site():
    with override_settings(ROOT_URLCONF=example_project.settings.ROOT_URLCONF, UNFOLD=example_project.settings.UNFOLD):
        yield


@pytest.fixture
def acme():
    acme = make_customer(name="Müller & Söhne GmbH", **ACME_ADDRESS)
    jane = make_customer_user(acme)
    make_ticket(acme, customer_user=jane, title="Drucker druckt nicht")
    return acme


def expect():
    from playwright.sync_api import expect

    return expect


def widget_titles(page):
    """Each widget's title, without the count some show after it ("Offene Tickets 1")."""
    titles = {}
    for key in GERMAN_WIDGETS:
        title = page.locator(f'section[data-widget="{key}"] #widget-{key}-title').inner_text()
        titles[key] = re.sub(r"\s+\d+$", "", title.strip())
    return titles


def choose_language(page, name):
    """The language menu under the user's name (unfold's SHOW_LANGUAGES), as a person uses it."""
    page.locator('[x-on\\:click*="openUserLinks = !openUserLinks"]').click()
    page.locator("nav form button", has_text=name).click()


@pytest.fixture
def german_page(browser):
    """A page of a browser that asks for German first (Accept-Language: de-DE), as in a German office."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_detail_view_follows_the_browser_and_the_language_menu(
    german_page, live_server, admin_user_credentials, acme, screenshot
):
    page = german_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    expect()(page.locator("button[type=submit]")).to_have_text(re.compile("Anmelden"))
    page.fill("#id_username", admin_user_credentials["username"])
    page.fill("#id_password", admin_user_credentials["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    detail = f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/"
    page.goto(detail)
    assert page.locator("html").get_attribute("lang") == "de"
    assert widget_titles(page) == GERMAN_WIDGETS
    information = page.locator('section[data-widget="customer-information"]')
    expect()(information).to_contain_text("Kundennummer")
    expect()(information).to_contain_text("Deutschland")
    expect()(page.locator("body")).to_contain_text("Kundenbenutzer hinzufügen")
    expect()(page.locator("body")).to_contain_text("Keine Erinnerungen fällig.")
    expect()(page.locator("body")).to_contain_text("Beispiel-Helpdesk")
    screenshot(page, "de")

    # The language menu overrides the browser: English, and back to German.
    choose_language(page, "English")
    page.wait_for_url(detail)
    assert page.locator("html").get_attribute("lang") == "en"
    assert widget_titles(page) == ENGLISH_WIDGETS
    screenshot(page, "en")

    choose_language(page, "Deutsch")
    page.wait_for_url(detail)
    assert widget_titles(page) == GERMAN_WIDGETS
