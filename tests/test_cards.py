"""Business cards: loaded on demand, cheap, permission-checked and escaped."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, TicketState, Validity
from tests.factories import ACME_ADDRESS, make_customer, make_customer_user, make_ticket
from tests.markup import attribute, document, element, elements
from tests.markup import text as markup_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    """This module's ACME: a full address, invalid-temporarily (since after Jane and her tickets came),
    and Jane with two open tickets and a closed one."""
    acme = make_customer(**ACME_ADDRESS)
    jane = make_customer_user(
        acme, email="jane@acme.example", phone="+49 30 123", mobile="+49 170 456", fax="+49 30 999"
    )
    for state in (TicketState.OPEN, TicketState.PENDING_REMINDER, TicketState.CLOSED_SUCCESSFUL):
        make_ticket(acme, title="t", customer_user=jane, state=state, pending_until="2030-01-01T00:00Z")
    Customer.objects.filter(pk=acme.pk).update(valid=Validity.INVALID_TEMPORARILY)
    acme.refresh_from_db()
    return acme


def page_text(response):
    return markup_text(document(response))


def card(client, model, pk):
    return client.get(reverse(f"admin:otrs_customer_admin_{model}_card", args=[pk]))


def test_the_customer_card_shows_the_customer(admin_client, acme):
    response = card(admin_client, "customer", acme.pk)
    text = page_text(response)
    for expected in (
        "Acme Corporation",
        "ACME",
        "invalid-temporarily",
        "Main Street 1",
        "10115 Berlin",
        "Germany",
        "https://acme.example",
        "Database",
        "2 open, 1 closed",
    ):
        assert expected in text
    assert "<html" not in response.content.decode()  # a fragment, for the popover


def test_the_customer_user_card_shows_the_person(admin_client, acme):
    jane = CustomerUser.objects.get()
    text = page_text(card(admin_client, "customeruser", jane.pk))
    for expected in (
        "Jane Doe",
        "jdoe",
        "jane@acme.example",
        "+49 30 123",
        "+49 170 456",
        "+49 30 999",
        "Acme Corporation (ACME)",
        "2 open, 1 closed",
    ):
        assert expected in text


@pytest.mark.parametrize("model", ["customer", "customeruser"])
def test_a_card_costs_at_most_five_queries_whatever_its_dynamic_fields(
    admin_client, acme, model, django_assert_max_num_queries
):
    record = acme if model == "customer" else CustomerUser.objects.get()
    object_type = "customer" if model == "customer" else "customer_user"
    for number in range(6):
        DynamicField.objects.create(
            object_type=object_type, name=f"Field{number}", label=f"Field {number}", show_in_card=True
        )
    record = type(record).objects.get(pk=record.pk)
    record.dynamic_fields = {f"Field{number}": f"value {number}" for number in range(6)}
    record.save_dynamic_fields()
    card(admin_client, model, record.pk)
    # Session, user, the record with its counts, the field definitions, and all their values.
    with django_assert_max_num_queries(5):
        response = card(admin_client, model, record.pk)
    text = page_text(response)
    assert all(f"Field {number} value {number}" in text for number in range(6))


def test_a_card_needs_view_permission(client, acme):
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    client.force_login(user)
    assert card(client, "customer", acme.pk).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    assert card(client, "customer", acme.pk).status_code == 200
    assert card(client, "customeruser", CustomerUser.objects.get().pk).status_code == 403


def test_an_unknown_record_has_no_card(admin_client):
    assert card(admin_client, "customer", 999).status_code == 404


def test_cards_are_offered_wherever_customers_are_listed(admin_client, acme):
    jane = CustomerUser.objects.get()
    customer_card = reverse("admin:otrs_customer_admin_customer_card", args=[acme.pk])
    user_card = reverse("admin:otrs_customer_admin_customeruser_card", args=[jane.pk])
    pages = {
        "customer list": (reverse("admin:otrs_customer_admin_customer_changelist") + "?validity=all", [customer_card]),
        "customer user list": (
            reverse("admin:otrs_customer_admin_customeruser_changelist"),
            [user_card, customer_card],
        ),
        "ticket list": (reverse("admin:otrs_customer_admin_ticket_changelist"), [customer_card, user_card]),
        "customer inline": (reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]), [user_card]),
    }
    for name, (url, cards) in pages.items():
        page = document(admin_client.get(url))
        for expected in cards:
            assert elements(page, data_otrs_card=expected), name
        assert elements(page, "script", src=lambda src: src.endswith("otrs_customer_admin/cards.js")), name


def test_every_page_of_the_package_carries_its_stylesheet_and_script_once(admin_client, acme):
    # One way to attach them: the admins' Media, which Django's pages and the package's own render.
    jane = CustomerUser.objects.get()
    ticket = jane.tickets.first()
    pages = {
        "customer detail": reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk]),
        "customer user detail": reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk]),
        "ticket detail": reverse("admin:otrs_customer_admin_ticket_detail", args=[ticket.pk]),
        "merge": reverse("admin:otrs_customer_admin_customer_merge", args=[acme.pk]),
        "change form": reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]),
        "ticket list": reverse("admin:otrs_customer_admin_ticket_changelist"),
    }
    for name, url in pages.items():
        page = admin_client.get(url).content.decode()
        assert page.count('href="/static/otrs_customer_admin/otrs_customer_admin.css"') == 1, name
        assert page.count('src="/static/otrs_customer_admin/cards.js"') == 1, name
    # The import page: the stylesheet; its scripts are django-import-export's.
    page = admin_client.get(reverse("admin:otrs_customer_admin_customer_import")).content.decode()
    assert page.count('href="/static/otrs_customer_admin/otrs_customer_admin.css"') == 1
    refused = admin_client.post(reverse("admin:otrs_customer_admin_customer_process_import"), {"token": "forged"})
    assert refused.status_code == 400
    assert refused.content.decode().count('href="/static/otrs_customer_admin/otrs_customer_admin.css"') == 1


# --- dynamic fields ------------------------------------------------------------------------------


def test_the_card_shows_the_dynamic_fields_marked_for_it_as_people_read_them(admin_client, acme):
    DynamicField.objects.create(
        object_type="customer",
        name="Tier",
        label="Contract tier",
        field_type="dropdown",
        choices={"gold": "Gold"},
        link_template="https://crm.example/tier/{value}",
        show_in_card=True,
    )
    DynamicField.objects.create(object_type="customer", name="Note", label="Note", show_in_card=True)
    DynamicField.objects.create(object_type="customer", name="Internal", label="Internal", show_in_card=False)
    DynamicField.objects.create(object_type="customer", name="Retired", label="Retired", show_in_card=True)
    DynamicField.objects.create(object_type="customer", name="Empty", label="Empty field", show_in_card=True)
    record = Customer.objects.get(pk=acme.pk)
    record.dynamic_fields = {
        "Tier": "gold",
        "Note": "<b>bold</b> \u202eevil",
        "Internal": "secret",
        "Retired": "kept",
    }
    record.save_dynamic_fields()
    DynamicField.objects.filter(name="Retired").update(valid=Validity.INVALID)

    response = card(admin_client, "customer", acme.pk)
    content = response.content.decode()
    body = document(response)

    link = element(body, "a", href="https://crm.example/tier/gold")
    assert (attribute(link, "target"), attribute(link, "rel"), markup_text(link)) == (
        "_blank",
        "noopener noreferrer",
        "Gold",
    )
    text = markup_text(body)
    assert "Contract tier Gold" in text and "Note <b>bold</b> \u202eevil" in text
    assert "<b>bold</b>" not in content and "<bdi>&lt;b&gt;bold&lt;/b&gt; \u202eevil</bdi>" in content
    for hidden in ("Internal", "secret", "Retired", "kept", "Empty field"):
        assert hidden not in text
