"""The documentation's screenshots, taken in a real Chromium from the example site, in English and German.

Every run walks the pages and checks they show what the docs say. With ``DOCS_SCREENSHOTS=1``
(``make screenshots``) the PNGs go to ``docs/images/`` (``<name>.png``, and ``<name>.de.png`` for
the browser locale de-DE), where the docs use them; otherwise to ``test-artifacts/``, so that
``make test`` leaves the working tree as it was.
"""

import csv
import io
import os

import pytest

from tests import harness

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("example_site")]

ADMIN = "/admin/otrs_customer_admin"
VIEWPORT = {"width": 1440, "height": 900}
LANGUAGES = {"en": "en-US", "de": "de-DE"}
IMAGES = harness.REPO_ROOT / "docs" / "images"


def expect():
    from playwright.sync_api import expect

    return expect


def image_path(request, name, language):
    """Where the screenshot ``name`` goes: docs/images/ when asked for, test-artifacts/ otherwise."""
    file_name = f"{name}.png" if language == "en" else f"{name}.{language}.png"
    if os.environ.get("DOCS_SCREENSHOTS", "").strip().lower() in {"1", "true", "yes"}:
        IMAGES.mkdir(parents=True, exist_ok=True)
        return IMAGES / file_name
    return harness.artifact_path(request.node.nodeid, file_name.removesuffix(".png"), ".png")


@pytest.fixture
def shoot(request):
    def save(page, name, language):
        path = image_path(request, name, language)
        page.screenshot(path=str(path), full_page=False)
        return path

    return save


@pytest.fixture
def demo_data():
    """The example site's demo data set (``make demo`` loads the same)."""
    from otrs_customer_admin.demo import load_demo_data

    load_demo_data()


@pytest.fixture(params=sorted(LANGUAGES))
def language(request):
    return request.param


@pytest.fixture
def admin_page(browser, live_server, admin_user_credentials, language):
    """A page of a new browser context in ``language``'s locale, logged in as a superuser."""
    context = browser.new_context(locale=LANGUAGES[language], viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", admin_user_credentials["username"])
    page.fill("#id_password", admin_user_credentials["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    context.close()


def busiest_customer():
    from otrs_customer_admin.models import Customer

    return Customer.objects.valid().order_by("-open_ticket_count", "customer_id").first()


def test_customer_list_with_a_business_card(admin_page, live_server, demo_data, shoot, language):
    page = admin_page
    page.goto(f"{live_server.url}{ADMIN}/customer/")
    link = page.locator("#result_list a[data-otrs-card]").nth(1)
    link.hover()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    expect()(card).not_to_be_empty()
    page.wait_for_timeout(300)  # the card's fade-in
    shoot(page, "customer-list", language)


def test_customer_detail_view(admin_page, live_server, demo_data, shoot, language):
    page = admin_page
    customer = busiest_customer()
    page.goto(f"{live_server.url}{ADMIN}/customer/{customer.pk}/detail/")
    expect()(page.locator("h2.otrs-detail-title")).to_have_text(f"{customer.name} ({customer.customer_id})")
    expect()(page.locator('section[data-widget="open-tickets"] tbody tr').first).to_be_visible()
    shoot(page, "customer-detail", language)


def test_customer_user_detail_view(admin_page, live_server, demo_data, shoot, language):
    from otrs_customer_admin.models import CustomerUser

    page = admin_page
    person = CustomerUser.objects.valid().filter(customer=busiest_customer()).order_by("-open_ticket_count").first()
    page.goto(f"{live_server.url}{ADMIN}/customeruser/{person.pk}/detail/")
    expect()(page.locator("h2.otrs-detail-title")).to_contain_text(person.login)
    expect()(page.locator('section[data-widget="customer-user-information"]')).to_be_visible()
    shoot(page, "customer-user-detail", language)


def test_ticket_detail_view(admin_page, live_server, demo_data, shoot, language):
    from otrs_customer_admin.models import Ticket

    page = admin_page
    ticket = Ticket.objects.escalated().filter(sla__isnull=False).order_by("number").first()
    page.goto(f"{live_server.url}{ADMIN}/ticket/{ticket.pk}/detail/")
    expect()(page.locator("h2.otrs-detail-title")).to_have_text(f"{ticket.number}: {ticket.title}")
    shoot(page, "ticket-detail", language)


def test_dynamic_fields_admin(admin_page, live_server, demo_data, shoot, language):
    page = admin_page
    page.goto(f"{live_server.url}{ADMIN}/dynamicfield/")
    expect()(page.locator("#result_list")).to_contain_text("DynamicField_Tier")
    shoot(page, "dynamic-fields", language)


def test_customer_form_with_dynamic_fields(admin_page, live_server, demo_data, shoot, language):
    page = admin_page
    customer = busiest_customer()
    page.goto(f"{live_server.url}{ADMIN}/customer/{customer.pk}/change/")
    section = page.locator("#id_DynamicField_Tier")
    expect()(section).to_be_visible()
    section.scroll_into_view_if_needed()
    page.mouse.wheel(0, 250)
    page.wait_for_timeout(300)
    shoot(page, "customer-form-dynamic-fields", language)


def otrs_file():
    """A customer file as OTRS's ImportExport add-on writes it: semicolons, country names, validity by name."""
    rows = [
        ["CustomerID", "CustomerCompanyName", "CustomerCompanyCity", "CustomerCompanyCountry", "Valid"],
        ["NORTHWIND", "Northwind Traders", "Seattle", "United States", "valid"],
        ["CONTOSO", "Contoso Ltd", "Dublin", "Ireland", "valid"],
        ["FABRIKAM", "Fabrikam GmbH", "München", "Germany", "invalid-temporarily"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return {"name": "customers.csv", "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}


def test_import_preview(admin_page, live_server, demo_data, shoot, language):
    page = admin_page
    page.goto(f"{live_server.url}{ADMIN}/customer/import/")
    page.set_input_files("#id_import_file", files=[otrs_file()])
    expect()(page.locator("#id_format")).to_have_value("0")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect()(page.locator(".otrs-import-result tbody tr")).to_have_count(3)
    expect()(page.locator(".otrs-import-problems")).to_have_count(0)
    page.locator(".otrs-import-counts").scroll_into_view_if_needed()
    shoot(page, "import-preview", language)


@pytest.fixture
def directory_site(make_directory):
    from django.test import override_settings

    directory = make_directory()
    sources = {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": directory.source(),
    }
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": sources}):
        yield directory


def test_sync_status_after_sync_now(admin_page, live_server, directory_site, shoot, language):
    page = admin_page
    page.goto(f"{live_server.url}{ADMIN}/customer/")
    page.locator(".otrs-sync-now").first.click()
    status = page.locator(".otrs-sync-status")
    expect()(status).to_contain_text("Company directory")
    expect()(page.locator("#result_list")).to_contain_text("Müller & Söhne GmbH")
    shoot(page, "sync-status", language)
