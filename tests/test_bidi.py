"""Display spoofing: a U+202E RIGHT-TO-LEFT OVERRIDE in one value must not reverse the text after it.

Every user value gets a marker; each page is parsed (tests/markup.py) and every piece of text
holding the marker must sit in an isolate: alone in a ``<bdi>`` (or an element with
``dir="auto"``), alone in a table cell (a paragraph of its own), or, where no element can go
(``<title>``, ``<option>``, ``title=""``, a message stored as text), between U+2068 FIRST
STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.test.html import Element
from django.urls import reverse

from otrs_customer_admin.bidi import Phrase, balanced, isolate, isolate_text, needs_isolation
from otrs_customer_admin.models import TicketState
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket
from tests.markup import attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

RLO = "\u202e"
FSI, PDI = "\u2068", "\u2069"
MARK = "MARK"
TEXT_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")


def hostile(name):
    """A user value: a right-to-left override in the middle, the marker at the end."""
    return f"{name}{RLO}{MARK}"


@pytest.fixture
def records():
    # A CustomerID allows no U+202E; it is user text all the same, and marked.
    acme = make_customer(
        f"ACME{MARK}",
        hostile("Acme"),
        street=hostile("Street"),
        zip=hostile("12345"),
        city=hostile("Berlin"),
        comment=hostile("Comment"),
        url=f"https://acme.example/{MARK}",
    )
    jane = make_customer_user(
        acme,
        login=hostile("jdoe"),
        first_name=hostile("Jane"),
        last_name=hostile("Doe"),
        email=f"jane{RLO}{MARK}@acme.example",
        phone=hostile("030"),
        mobile=hostile("0170"),
        fax=hostile("0309"),
        street=hostile("Lane"),
        zip=hostile("54321"),
        city=hostile("Potsdam"),
    )
    sla = make_sla(hostile("Gold"))
    ticket = make_ticket(acme, title=hostile("Printer"), customer_user=jane, sla=sla, state=TicketState.OPEN)
    return acme, jane, ticket


def values_of(records):
    acme, jane, ticket = records
    values = {acme.customer_id, acme.name, acme.street, acme.zip, acme.city, acme.comment, acme.url, ticket.title}
    values |= {jane.login, jane.first_name, jane.last_name, jane.full_name, jane.email, jane.phone, jane.mobile}
    values |= {jane.fax, jane.street, jane.zip, jane.city, ticket.sla.name}
    return values


def isolated_as_text(text, values):
    """Each value in ``text`` that needs it stands between U+2068 and U+2069."""
    for value in sorted(values, key=len, reverse=True):
        if value in text and needs_isolation(value):
            if FSI + value + PDI not in text:
                return False
            text = text.replace(FSI + value + PDI, "")
    return MARK not in text or all(not needs_isolation(value) for value in values if value in text)


def unisolated(response, values):
    """Every text or text attribute of the page with the marker that is not isolated: ``(where, text)``."""
    found = []

    def visit(node):
        for child in node.children:
            if isinstance(child, Element):
                for name in TEXT_ATTRIBUTES:
                    value = attribute(child, name)
                    if value and MARK in value and not isolated_as_text(value, values):
                        found.append((f"<{child.name} {name}>", value))
                visit(child)
            elif MARK in child and not isolated(node, child, values):
                found.append((f"<{node.name}>", child))

    def isolated(parent, text, values):
        alone = len(parent.children) == 1 and text.strip() in values
        if alone and (parent.name == "bdi" or attribute(parent, "dir") == "auto" or parent.name in ("td", "th")):
            return True
        return isolated_as_text(text, values)

    visit(document(response))
    return found


def assert_isolated(response, records):
    assert response.status_code == 200
    page = response.content.decode()
    assert MARK in page
    assert unisolated(response, values_of(records)) == []


@pytest.mark.parametrize("model", ["customer", "customeruser", "ticket"])
def test_the_lists_isolate_user_values(admin_client, records, model):
    response = admin_client.get(reverse(f"admin:otrs_customer_admin_{model}_changelist"))
    assert_isolated(response, records)


@pytest.mark.parametrize("model", ["customer", "customeruser"])
def test_the_cards_isolate_user_values(admin_client, records, model):
    obj = records[0] if model == "customer" else records[1]
    response = admin_client.get(reverse(f"admin:otrs_customer_admin_{model}_card", args=[obj.pk]))
    assert_isolated(response, records)


@pytest.mark.parametrize("model", ["customer", "customeruser", "ticket"])
def test_the_detail_views_and_their_widgets_isolate_user_values(admin_client, records, model):
    obj = {"customer": records[0], "customeruser": records[1], "ticket": records[2]}[model]
    response = admin_client.get(reverse(f"admin:otrs_customer_admin_{model}_detail", args=[obj.pk]))
    assert_isolated(response, records)
    # The <title> is plain text: isolated with U+2068 … U+2069.
    assert FSI in text(element(document(response), "title"))


def test_the_set_invalid_page_and_its_message_isolate_user_values(admin_client, records):
    acme = records[0]
    url = reverse("admin:otrs_customer_admin_customer_invalidate", args=[acme.pk])
    assert_isolated(admin_client.get(url), records)
    response = admin_client.post(url, follow=True)
    assert [text(document(str(message))) for message in response.context["messages"]] == [
        f"{acme.name} ({acme.customer_id}) is now invalid."
    ]
    assert_isolated(response, records)


def test_merging_its_pages_message_and_history_isolate_user_values(admin_client, records):
    acme, _jane, _ticket = records
    twin = make_customer(f"TWIN{MARK}", hostile("Twin"), city=hostile("Hamburg"))
    values = values_of(records) | {twin.customer_id, twin.name, twin.city}
    merge = reverse("admin:otrs_customer_admin_customer_merge", args=[acme.pk])

    for response in (admin_client.get(merge), admin_client.get(merge, {"into": twin.pk})):
        assert response.status_code == 200 and unisolated(response, values) == []
    response = admin_client.post(merge, {"into": twin.pk}, follow=True)
    assert response.status_code == 200 and unisolated(response, values) == []
    assert any("<bdi>" in str(message) for message in response.context["messages"])

    # The history is stored as text: each value between U+2068 and U+2069.
    message = LogEntry.objects.get(content_type__model="customer", object_id=str(twin.pk)).change_message
    assert f"{FSI}{acme.name}{PDI} ({acme.customer_id})" in message
    history = admin_client.get(reverse("admin:otrs_customer_admin_customer_history", args=[twin.pk]))
    assert history.status_code == 200 and unisolated(history, values) == []
    assert f"{FSI}{twin.name}{PDI}" in history.context["title"]


def test_the_value_cannot_close_the_isolate_around_it():
    # A stray U+2069 would end the isolate early; an isolate the value opens would swallow its end.
    assert balanced(f"a{PDI}{RLO}b") == f"a{RLO}b"
    assert balanced("a\u2067b") == f"a\u2067b{PDI}"
    assert isolate(f"x{PDI}<b>") == "<bdi>x&lt;b&gt;</bdi>"
    assert isolate_text(f"Acme{RLO}") == f"{FSI}Acme{RLO}{PDI}"
    assert isolate_text("Acme GmbH") == "Acme GmbH"  # nothing to isolate in left-to-right text
    assert isolate_text("שלום") == f"{FSI}שלום{PDI}"
    phrase = Phrase("%(name)s <%(email)s>", name=f"A{RLO}", email="a@b")
    assert str(phrase) == f"{FSI}A{RLO}{PDI} <a@b>"
    assert phrase.html() == f"<bdi>A{RLO}</bdi> &lt;<bdi>a@b</bdi>&gt;"


def test_a_picker_option_isolates_the_record_it_names(admin_client, records):
    # An <option> holds text only: the record's text isolates its values with U+2068 … U+2069.
    acme, jane, _ticket = records
    page = document(admin_client.get(reverse("admin:otrs_customer_admin_customeruser_change", args=[jane.pk])))
    [option] = [node for node in elements(page, "option", selected=True) if MARK in text(node)]
    assert text(option) == f"{FSI}{acme.name}{PDI} ({acme.customer_id})"
