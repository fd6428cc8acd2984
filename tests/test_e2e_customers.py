"""Issue walkthroughs in a real Chromium: what an admin does with customers."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from otrs_customer_admin.models import Customer, CustomerUser, TicketState
from tests.factories import make_customer, make_customer_user, make_ticket

pytestmark = pytest.mark.e2e

CUSTOMERS = "/admin/otrs_customer_admin/customer/"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def acme():
    """This module's ACME: an address, two open tickets and a closed one."""
    acme = make_customer(street="Main Street 1", zip="10115", city="Berlin")
    for state in (TicketState.OPEN, TicketState.NEW, TicketState.CLOSED_SUCCESSFUL):
        make_ticket(acme, title="t", state=state)
    return acme


def expect():
    from playwright.sync_api import expect

    return expect


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_list_card_detail_edit_history(logged_in_page, live_server, acme, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}")
    name = page.locator("#result_list a[data-otrs-card]", has_text="Acme Corporation")
    name.hover()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    expect()(card).to_contain_text("ACME")
    expect()(card).to_contain_text("10115 Berlin")
    expect()(card).to_contain_text("2 open, 1 closed")
    screenshot(page, "card")

    name.click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("Acme Corporation (ACME)")
    page.go_back()
    page.locator("a.otrs-edit-link").first.click()
    page.fill("#id_city", "Hamburg")
    page.locator("button[name=_save]").click()
    expect()(page.locator("#result_list")).to_contain_text("Hamburg")

    page.goto(f"{live_server.url}{CUSTOMERS}{acme.pk}/history/")
    expect()(page.locator("#content")).to_contain_text("Changed City.")


def test_the_card_opens_with_the_keyboard(logged_in_page, live_server, acme):
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}")
    page.locator("#result_list a[data-otrs-card]").first.focus()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    assert page.locator("#result_list a[data-otrs-card]").first.get_attribute("aria-describedby") == "otrs-card-popover"
    page.keyboard.press("Escape")
    expect()(card).to_be_hidden()


SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "branch": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource", "LABEL": "Branch office"},
        "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
    }
}


def test_add_a_customer_through_the_data_source_step(logged_in_page, live_server, screenshot):
    page = logged_in_page
    with override_settings(OTRS_CUSTOMER_ADMIN=SOURCES):
        page.goto(f"{live_server.url}{CUSTOMERS}add/")
        options = page.locator("#id_data_source option").all_inner_texts()
        assert options == ["Database", "Branch office"]
        # unfold's select, not the browser's: its own border and arrow.
        select = page.locator("#id_data_source")
        assert select.evaluate("element => getComputedStyle(element).appearance") == "none"
        screenshot(page, "select-data-source")
        page.select_option("#id_data_source", "branch")
        page.locator("button[type=submit]", has_text="Next").click()
        assert page.locator("#id_data_source").evaluate("element => getComputedStyle(element).appearance") == "none"

        page.fill("#id_name", "Initech")
        page.fill("#id_customer_id", "INI TECH")  # a space is not allowed
        page.select_option("#id_country", "US")
        page.locator("button[name=_save]").click()
        expect()(page.locator("body")).to_contain_text("may contain only letters")
        screenshot(page, "field-error")

        page.fill("#id_customer_id", "INITECH")
        page.locator("button[name=_save]").click()
        expect()(page.locator("#result_list")).to_contain_text("Initech")
    assert Customer.objects.get().data_source == "branch"


def test_add_customer_user_from_the_detail_view_arrives_prefilled(logged_in_page, live_server, acme):
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}{acme.pk}/detail/")
    page.locator("nav.otrs-actions a.otrs-action", has_text="Add Customer User").click()
    expect()(page.locator(".field-customer")).to_contain_text("Acme Corporation (ACME)")
    page.fill("#id_first_name", "Jane")
    page.fill("#id_last_name", "Doe")
    page.fill("#id_login", "jdoe")
    page.fill("#id_email", "jane@acme.example")
    page.locator("button[name=_save]").click()
    expect()(page.locator("#result_list")).to_contain_text("jdoe")
    assert CustomerUser.objects.get().customer == acme


def test_a_view_only_user_sees_no_edit_controls(page, live_server, acme):
    user = User.objects.create_user("viewer", password="viewer-pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_customer", "view_customeruser"]))
    log_in(page, live_server, "viewer", "viewer-pw")
    page.goto(f"{live_server.url}{CUSTOMERS}")
    expect()(page.locator("#result_list")).to_contain_text("Acme Corporation")
    assert page.locator("a.otrs-edit-link").count() == 0
    page.goto(f"{live_server.url}{CUSTOMERS}{acme.pk}/detail/")
    expect()(page.locator("h2.otrs-detail-title")).to_be_visible()
    assert page.locator("a.otrs-action").count() == 0
    page.goto(f"{live_server.url}{CUSTOMERS}{acme.pk}/change/")
    assert page.locator("button[name=_save]").count() == 0
    assert page.locator("input#id_name").count() == 0


def test_script_payloads_open_no_dialog_anywhere(logged_in_page, live_server):
    hostile = make_customer("X" + PAYLOAD, "N" + PAYLOAD, city=PAYLOAD)
    make_customer_user(hostile, "L" + PAYLOAD, PAYLOAD, PAYLOAD, email="x@example.com")
    page = logged_in_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        CUSTOMERS,
        f"{CUSTOMERS}{hostile.pk}/detail/",
        f"{CUSTOMERS}{hostile.pk}/change/",
        f"{CUSTOMERS}{hostile.pk}/history/",
        "/admin/otrs_customer_admin/customeruser/",
    ):
        page.goto(f"{live_server.url}{path}")
        for link in page.locator("a[data-otrs-card]").all()[:3]:
            link.hover()
            page.wait_for_timeout(400)
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
