"""Merging a duplicate customer from its detail view, in a real Chromium."""

import pytest

from otrs_customer_admin.models import Customer, CustomerUser, Ticket, TicketState
from tests.factories import build_ticket, make_customer, make_customer_user, make_ticket

pytestmark = pytest.mark.e2e

CUSTOMERS = "/admin/otrs_customer_admin/customer/"


def expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def twins():
    """ACME GmbH and its twin from a second import, Acme G.m.b.H., with three people and twelve tickets."""
    into = make_customer("ACME", "ACME GmbH")
    source = make_customer("ACME-2", "Acme G.m.b.H.", street="Main Street 1", zip="10115", city="Berlin")
    for login, first, last in [("jane", "Jane", "Doe"), ("john", "John", "Doe"), ("jim", "Jim", "Beam")]:
        make_customer_user(source, login, first, last)
    Ticket.objects.bulk_create(
        build_ticket(source, f"Ticket {n}", number=f"2026{n:04d}", state=TicketState.OPEN) for n in range(12)
    )
    make_customer("GLOBEX", "Globex")
    return source, into


def test_merge_a_duplicate_from_its_detail_view(logged_in_page, live_server, twins, screenshot):
    source, into = twins
    page = logged_in_page
    page.goto(f"{live_server.url}{CUSTOMERS}?duplicates=yes")
    rows = page.locator("#result_list tbody tr")
    expect()(rows).to_have_count(2)
    screenshot(page, "possible-duplicates")

    page.locator("#result_list a", has_text="Acme G.m.b.H.").first.click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("Acme G.m.b.H. (ACME-2)")
    page.locator("nav.otrs-actions a.otrs-action", has_text="Merge into…").click()

    # Step 1: the customer that stays, through the admin's autocomplete.
    expect()(page.locator("h2.otrs-merge-title")).to_have_text("Merge Acme G.m.b.H. (ACME-2) into another customer")
    expect()(page.locator(".otrs-merge-duplicates")).to_contain_text("ACME GmbH (ACME)")
    page.locator(".otrs-merge-form .select2-selection").click()
    page.locator(".select2-search__field").fill("ACME")
    option = page.locator(".select2-results__option", has_text="ACME GmbH (ACME)")
    expect()(option).to_be_visible()
    expect()(page.locator(".select2-results__option", has_text="Globex")).to_have_count(0)
    option.click()
    screenshot(page, "choose")
    page.locator("button.otrs-merge-next").click()

    # Step 2: exactly what moves; nothing has changed yet.
    expect()(page.locator("h2.otrs-merge-title")).to_have_text("Merge Acme G.m.b.H. (ACME-2) into ACME GmbH (ACME)?")
    confirm = page.locator(".otrs-merge-confirm")
    expect()(confirm.locator("[data-merge=customer-users] h3")).to_have_text("3 customer users move")
    expect()(confirm.locator("[data-merge=customer-users] li")).to_have_text(
        ["Jim Beam (jim)", "Jane Doe (jane)", "John Doe (john)"]
    )
    expect()(confirm.locator("[data-merge=tickets] h3")).to_have_text("12 tickets move")
    expect()(confirm.locator("[data-merge=filled]")).to_contain_text("Berlin")
    expect()(confirm.locator(".otrs-merge-comment")).to_have_text("Merged into ACME GmbH (ACME).")
    assert Customer.objects.get(pk=source.pk).is_valid
    screenshot(page, "confirm")

    confirm.locator("button.otrs-confirm-button", has_text="Yes, merge").click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("ACME GmbH (ACME)")
    expect()(page.locator("body")).to_contain_text(
        "Acme G.m.b.H. (ACME-2) was merged into ACME GmbH (ACME): 3 customer users, 12 tickets moved."
    )
    screenshot(page, "merged")

    source.refresh_from_db()
    into.refresh_from_db()
    assert not source.is_valid and source.comment == "Merged into ACME GmbH (ACME)."
    assert into.city == "Berlin" and into.open_ticket_count == 12
    assert set(CustomerUser.objects.values_list("customer_id", flat=True)) == {into.pk}

    # The duplicates filter no longer lists the pair: the merged-away customer is invalid.
    page.goto(f"{live_server.url}{CUSTOMERS}?duplicates=yes")
    expect()(page.locator("#result_list tbody tr")).to_have_count(0)


# --- customer users ------------------------------------------------------------------------------------

PEOPLE = "/admin/otrs_customer_admin/customeruser/"


@pytest.fixture
def two_janes():
    """Jane Doe twice at ACME (a new login after a migration), the old one with five tickets; and Jim with one."""
    acme = make_customer("ACME", "ACME GmbH")
    into = make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane.doe@acme.example")
    source = make_customer_user(acme, "jane.d", "JANE", "DOE", email="jane@old.example", phone="+49 30 1234")
    jim = make_customer_user(acme, "jim", "Jim", "Beam")
    make_ticket(acme, "Jim's", number="20279999", customer_user=jim)
    Ticket.objects.bulk_create(
        build_ticket(acme, f"Printer {n}", number=f"2027{n:04d}", state=TicketState.OPEN, customer_user=source)
        for n in range(5)
    )
    return source, into


def test_merge_a_duplicate_person_from_the_duplicates_filter(logged_in_page, live_server, two_janes, screenshot):
    source, into = two_janes
    page = logged_in_page
    page.goto(f"{live_server.url}{PEOPLE}?duplicates=yes")
    rows = page.locator("#result_list tbody tr")
    expect()(rows).to_have_count(2)
    screenshot(page, "people-possible-duplicates")

    page.locator("#result_list a", has_text="jane.d").first.click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("JANE DOE (jane.d)")
    page.locator("nav.otrs-actions a.otrs-action", has_text="Merge into…").click()

    # Step 1: the person who stays, offered as a possible duplicate and through the autocomplete.
    expect()(page.locator("h2.otrs-merge-title")).to_have_text("Merge JANE DOE (jane.d) into another customer user")
    expect()(page.locator(".otrs-merge-duplicates")).to_contain_text("Jane Doe (jdoe)")
    page.locator(".otrs-merge-form .select2-selection").click()
    page.locator(".select2-search__field").fill("jdoe")
    option = page.locator(".select2-results__option", has_text="Jane Doe (jdoe)")
    expect()(option).to_be_visible()
    option.click()
    page.locator("button.otrs-merge-next").click()

    # Step 2: exactly what moves; nothing has changed yet.
    expect()(page.locator("h2.otrs-merge-title")).to_have_text("Merge JANE DOE (jane.d) into Jane Doe (jdoe)?")
    confirm = page.locator(".otrs-merge-confirm")
    expect()(confirm.locator("[data-merge=tickets] h3")).to_have_text("5 tickets move")
    expect()(confirm.locator("[data-merge=addresses] li")).to_have_text(["jane@old.example"])
    expect()(confirm.locator("[data-merge=filled]")).to_contain_text("+49 30 1234")
    expect()(confirm.locator(".otrs-merge-comment")).to_have_text("Merged into Jane Doe (jdoe).")
    assert CustomerUser.objects.get(pk=source.pk).is_valid
    screenshot(page, "people-confirm")

    confirm.locator("button.otrs-confirm-button", has_text="Yes, merge").click()
    expect()(page.locator("h2.otrs-detail-title")).to_have_text("Jane Doe (jdoe)")
    expect()(page.locator("body")).to_contain_text(
        "JANE DOE (jane.d) was merged into Jane Doe (jdoe): 5 tickets, 1 email address moved."
    )
    # Her tickets are Jane's now: the ticket list of jdoe shows them.
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/ticket/?customer_user={into.pk}")
    expect()(page.locator("#result_list tbody tr")).to_have_count(5)
    expect()(page.locator("#result_list")).to_contain_text("Printer 4")
    screenshot(page, "people-merged")

    source.refresh_from_db()
    assert not source.is_valid and source.comment == "Merged into Jane Doe (jdoe)."
    assert Ticket.objects.filter(customer_user=into).count() == 5
    # The duplicates filter no longer lists the pair: the merged-away person is invalid.
    page.goto(f"{live_server.url}{PEOPLE}?duplicates=yes")
    expect()(page.locator("#result_list tbody tr")).to_have_count(0)
