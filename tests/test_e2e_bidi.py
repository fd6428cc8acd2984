"""Display spoofing in a real Chromium: a U+202E in one field must not reverse the fields after it."""

import pytest

from tests.factories import make_customer, make_customer_user

pytestmark = pytest.mark.e2e

RLO = "\u202e"

# Whether the words of ``word`` in the element read left to right as written: the left edge of its
# first letter lies left of its last letter's. A right-to-left override before it turns that round.
READS_FORWARD = """([selector, word]) => {
    const root = document.querySelector(selector);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(word);
        if (at < 0) continue;
        const edge = (offset) => {
            const range = document.createRange();
            range.setStart(node, offset);
            range.setEnd(node, offset + 1);
            return range.getBoundingClientRect().left;
        };
        return edge(at) < edge(at + word.length - 1);
    }
    throw new Error(`${word} not found in ${selector}`);
}"""


def test_an_override_in_one_field_does_not_reverse_the_next(logged_in_page, live_server, screenshot):
    acme = make_customer(name=f"Acme{RLO} Evil", street="Main Street 1", zip=f"10115{RLO}", city="Berlin")
    make_customer_user(acme, first_name=f"Jane{RLO}", last_name="Doe", email="jane@acme.example")
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/otrs_customer_admin/customer/{acme.pk}/detail/")

    information = 'section[data-widget="customer-information"] dl'
    people = 'section[data-widget="customer-users"] td.otrs-widget-text'
    assert page.evaluate(READS_FORWARD, [information, "Berlin"])  # after the zip
    assert page.evaluate(READS_FORWARD, [people, "Doe"])  # after the first name
    assert page.evaluate(READS_FORWARD, [people, "jane@acme.example"])
    assert page.evaluate(READS_FORWARD, ["h2.otrs-detail-title", "ACME"])  # after the name
    screenshot(page)
