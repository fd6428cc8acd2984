"""Customer groups in a real Chromium: team A's agent finds nothing of team B's (nor of the third
party's) by the lists, their searches, a card, an autocomplete, a typed-in address or an export.
The world is ``tests/teams.py``'s: agent-a is in team-a, linked rw to ALPHA only."""

import csv
import io

import pytest

from tests.teams import PASSWORD, make_teams

pytestmark = pytest.mark.e2e

ADMIN = "/admin/otrs_customer_admin"
# What only team B and the third party have: their customers, people and tickets.
HIDDEN = ["Bravo Logistics", "BRAVO", "Bruno", "Bravo forklift", "Third Party", "THIRD", "Theo", "Third invoice"]


def expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def teams(live_server, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": True}
    return make_teams()


def log_in(page, live_server, username):
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def shows_nothing_hidden(locator):
    for text in HIDDEN:
        expect()(locator).not_to_contain_text(text)


def search(page, live_server, model, text):
    page.goto(f"{live_server.url}{ADMIN}/{model}/")
    page.fill("#searchbar", text)
    page.press("#searchbar", "Enter")
    page.wait_for_url(f"**/{model}/?q=*")
    return page.locator("#content")


def test_team_a_finds_nothing_of_team_b_by_list_search_card_autocomplete_url_or_export(
    page, live_server, teams, screenshot
):
    log_in(page, live_server, "agent-a")

    # The lists: ALPHA, its person and its ticket; nothing else, not even in the counts.
    for model, own in (("customer", "Alpha Industries"), ("customeruser", "Anna"), ("ticket", "Alpha printer")):
        page.goto(f"{live_server.url}{ADMIN}/{model}/")
        expect()(page.locator("#result_list tbody tr")).to_have_count(1)
        expect()(page.locator("#result_list")).to_contain_text(own)
        shows_nothing_hidden(page.locator("#content"))
    screenshot(page, "tickets")

    # The searches: team B's names find nothing.
    searches = [("customer", "Bravo"), ("customer", "BRAVO"), ("customeruser", "bruno"), ("ticket", "forklift")]
    for model, text in searches:
        content = search(page, live_server, model, text)
        expect()(page.locator("#result_list tbody tr")).to_have_count(0)
        shows_nothing_hidden(content)
    content = search(page, live_server, "customer", "*")
    expect()(page.locator("#result_list tbody tr")).to_have_count(1)
    shows_nothing_hidden(content)

    # A card: ALPHA's opens on hover; BRAVO's, fetched as cards.js fetches, answers 404.
    page.goto(f"{live_server.url}{ADMIN}/ticket/")
    page.locator("#result_list a[data-otrs-card]", has_text="Alpha Industries").first.hover()
    card = page.locator("#otrs-card-popover")
    expect()(card).to_be_visible()
    expect()(card).to_contain_text("ALPHA")
    shows_nothing_hidden(card)
    fetched = page.evaluate(
        """async (urls) => {
            const answers = [];
            for (const url of urls) {
                const headers = {"X-Requested-With": "XMLHttpRequest"};
                const response = await fetch(url, {credentials: "same-origin", headers: headers});
                answers.push([url, response.status, await response.text()]);
            }
            return answers;
        }""",
        [
            f"{ADMIN}/customer/{teams.bravo.pk}/card/",
            f"{ADMIN}/customer/{teams.third.pk}/card/",
            f"{ADMIN}/customeruser/{teams.bruno.pk}/card/",
        ],
    )
    for url, status, body in fetched:
        assert status == 404, url
        assert not any(text in body for text in HIDDEN), url

    # The autocomplete of the customer user form's customer picker offers ALPHA only.
    page.goto(f"{live_server.url}{ADMIN}/customeruser/add/")
    page.locator(".field-customer .select2-selection").first.click()
    search_field = page.locator("input[aria-controls='select2-id_customer-results']")
    results = page.locator("#select2-id_customer-results")
    search_field.fill("a")
    expect()(results.locator(".select2-results__option", has_text="Alpha Industries")).to_be_visible()
    shows_nothing_hidden(results)
    search_field.fill("Bravo")
    expect()(results.locator(".select2-results__option")).to_have_text(["No results found"])
    screenshot(page, "autocomplete")

    # Typed-in addresses of team B's records: each answers 404, as for a record that does not
    # exist, and names nothing.
    for path, pk in (
        ("customer/{}/detail/", teams.bravo.pk),
        ("customeruser/{}/detail/", teams.bruno.pk),
        ("ticket/{}/detail/", teams.tickets["BRAVO"].pk),
        ("customer/{}/detail/", teams.third.pk),
        ("customer/{}/change/", teams.bravo.pk),
        ("customer/{}/history/", teams.bravo.pk),
        ("customeruser/{}/change/", teams.bruno.pk),
        ("ticket/{}/change/", teams.tickets["BRAVO"].pk),
    ):
        answers = []
        for candidate in (pk, 999_999):
            response = page.goto(f"{live_server.url}{ADMIN}/{path.format(candidate)}")
            shows_nothing_hidden(page.locator("body"))
            answers.append((response.status, page.url.removeprefix(live_server.url).replace(f"/{candidate}/", "/ID/")))
        assert answers[0] == answers[1], path
        assert answers[0][0] == 404, path
    screenshot(page, "hidden-detail")

    # The admin's exports, downloaded and read: ALPHA's rows only.
    exports = [
        ("customer", "customer_id", "ALPHA"),
        ("customeruser", "login", "anna"),
        ("ticket", "title", "Alpha printer"),
    ]
    for model, key, own in exports:
        page.goto(f"{live_server.url}{ADMIN}/{model}/export/")
        page.select_option("#id_format", label="csv")
        with page.expect_download() as download:
            page.locator("form button[type=submit]").last.click()
        data = download.value.path().read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(data)))
        assert [row[key] for row in rows] == [own]
        assert not any(text in data for text in HIDDEN)


def test_with_group_support_off_the_same_agent_sees_every_team(page, live_server, teams, settings):
    settings.OTRS_CUSTOMER_ADMIN = {"CUSTOMER_GROUP_SUPPORT": False}
    log_in(page, live_server, "agent-a")
    page.goto(f"{live_server.url}{ADMIN}/customer/")
    expect()(page.locator("#result_list tbody tr")).to_have_count(3)
    expect()(page.locator("#result_list")).to_contain_text("Bravo Logistics")
    response = page.goto(f"{live_server.url}{ADMIN}/customer/{teams.bravo.pk}/detail/")
    assert response.status == 200
