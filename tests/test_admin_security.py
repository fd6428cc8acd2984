"""User text is escaped everywhere it is shown: lists, detail views, cards, history."""

import pytest
from django.urls import reverse

from otrs_customer_admin.models import Ticket, TicketState
from tests.factories import make_customer, make_customer_user, make_ticket

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
DANGEROUS = ("<script>alert", "<img src=x", "onerror=alert(1)>")


@pytest.fixture
def hostile():
    """Every text field holds the payload (created without validation, as an import bug might)."""
    customer = make_customer(
        "X" + PAYLOAD,
        "N" + PAYLOAD,
        street=PAYLOAD,
        zip=PAYLOAD,
        city=PAYLOAD,
        url="https://example.com/" + PAYLOAD,
        comment=PAYLOAD,
    )
    user = make_customer_user(
        customer,
        "L" + PAYLOAD,
        "F" + PAYLOAD,
        PAYLOAD,
        title=PAYLOAD[:50],  # the field holds 50 characters
        email="e@example.com",
        phone=PAYLOAD,
        fax=PAYLOAD,
        mobile=PAYLOAD,
        street=PAYLOAD,
        zip=PAYLOAD,
        city=PAYLOAD,
        comment=PAYLOAD,
    )
    make_ticket(customer, PAYLOAD, customer_user=user, state=TicketState.OPEN)
    return customer, user


def assert_escaped(page, where):
    for fragment in DANGEROUS:
        assert fragment not in page, f"{where}: unescaped {fragment!r}"


def test_payloads_are_escaped_on_every_page(admin_client, hostile):
    customer, user = hostile
    for model, obj in (("customer", customer), ("customeruser", user)):
        confirm = admin_client.get(reverse(f"admin:otrs_customer_admin_{model}_invalidate", args=[obj.pk]))
        assert_escaped(confirm.content.decode(), f"{model} invalidate")
    # A change through the admin puts the payload into the history as well.
    admin_client.post(reverse("admin:otrs_customer_admin_customer_invalidate", args=[customer.pk]))
    admin_client.post(reverse("admin:otrs_customer_admin_customeruser_invalidate", args=[user.pk]))
    pages = {}
    for model, obj in (("customer", customer), ("customeruser", user)):
        for name in ("detail", "card", "change", "history"):
            pages[f"{model} {name}"] = reverse(f"admin:otrs_customer_admin_{model}_{name}", args=[obj.pk])
        pages[f"{model} list"] = reverse(f"admin:otrs_customer_admin_{model}_changelist") + "?validity=all"
        pages[f"{model} search"] = pages[f"{model} list"] + "&q=" + "%22" + PAYLOAD[:20]
    pages["ticket list"] = reverse("admin:otrs_customer_admin_ticket_changelist")
    pages["ticket change"] = reverse("admin:otrs_customer_admin_ticket_change", args=[Ticket.objects.get().pk])
    pages["ticket detail"] = reverse("admin:otrs_customer_admin_ticket_detail", args=[Ticket.objects.get().pk])
    pages["recent actions"] = reverse("admin:index")
    for where, url in pages.items():
        response = admin_client.get(url, follow=True)
        assert response.status_code == 200, where
        page = response.content.decode()
        assert_escaped(page, where)
        assert "&lt;script&gt;" in page or "&lt;img" in page or where == "recent actions", where
