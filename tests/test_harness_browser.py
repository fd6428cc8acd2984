"""The browser harness: Debian's Chromium, through Playwright, logs into the example admin."""

import asyncio
import os

import pytest

from otrs_customer_admin.models import Customer

pytestmark = pytest.mark.harness

CHANGELIST = "/admin/otrs_customer_admin/customer/"


@pytest.mark.e2e
def test_the_customer_list_shows_a_customer_created_in_the_test(logged_in_page, live_server, screenshot):
    from playwright.sync_api import expect

    Customer.objects.create(
        customer_id="acme-e2e",
        name="ACME Rockets (browser test)",
        street="1 Road Runner Way",
        city="Phoenix",
        country="US",
    )
    page = logged_in_page

    response = page.goto(f"{live_server.url}{CHANGELIST}")

    assert response is not None and response.ok
    expect(page.locator("#result_list")).to_contain_text("ACME Rockets (browser test)")
    expect(page.locator("#result_list")).to_contain_text("acme-e2e")
    # Unfold's stylesheet is served by the live server: the page is styled, not bare HTML.
    stylesheet = page.locator("link[rel=stylesheet][href*='unfold/']").first
    assert page.request.get(f"{live_server.url}{stylesheet.get_attribute('href')}").ok
    path = screenshot(page, "customer-list")
    assert path.is_file() and path.stat().st_size > 10_000


@pytest.mark.e2e
def test_a_wrong_password_stays_on_the_login_form(page, live_server, admin_user_credentials):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", admin_user_credentials["username"])
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")

    assert "/admin/login/" in page.url
    assert page.locator("#id_password").is_visible()


def test_browser_tests_run_with_async_unsafe_allowed(page):
    # Playwright's sync API runs an event loop in this thread; Django needs the permission.
    asyncio.get_running_loop()
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == "true"


def test_other_tests_run_before_the_browser_and_without_async_unsafe():
    # Defined last, run first: browser tests run at the end of the session, so no Playwright
    # event loop is running yet and Django's async-safety check stays on.
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
