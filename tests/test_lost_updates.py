"""No lost update: a change form writes only what its user changed, so an import's or a sync's
other fields, written while the form was open, survive its save; and a ticket saved for a
customer while that customer is merged away ends up at the merge's target or is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from otrs_customer_admin.folding import name_match_key
from otrs_customer_admin.models import Customer, CustomerUser, Ticket
from otrs_customer_admin.models.ticket_states import TicketState
from tests.factories import make_customer, make_customer_user, make_sla, make_ticket
from tests.test_valid_targets import change, submitted

pytestmark = pytest.mark.django_db


def opened(client, obj):
    """What the browser would submit from ``obj``'s change form as it was shown."""
    return submitted(client.get(change(obj)).content.decode(), f"{obj._meta.model_name}_form")


# --- the change forms ------------------------------------------------------------------------------


def test_the_customer_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer("ACME", "Acme Corporation", city="Berlin", comment="Key account")
    shown = opened(admin_client, acme)
    Customer.objects.filter(pk=acme.pk).update(comment="from import", city="Hamburg")

    response = admin_client.post(change(acme), {**shown, "name": "ACME Straße GmbH"})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.comment, acme.city) == ("ACME Straße GmbH", "from import", "Hamburg")
    # What the model keeps beside the name follows it: the folded twin and the match key.
    assert acme.name_key == "acme straße gmbh".casefold()
    assert acme.name_match_key == name_match_key("ACME Straße GmbH") != name_match_key("Acme Corporation")


def test_the_customer_form_writes_back_a_field_its_user_changed_last(admin_client):
    acme = make_customer("ACME", "Acme Corporation", city="Berlin")
    shown = opened(admin_client, acme)
    Customer.objects.filter(pk=acme.pk).update(city="Hamburg", comment="from import")

    admin_client.post(change(acme), {**shown, "city": "Bonn"})

    acme.refresh_from_db()
    assert (acme.city, acme.comment) == ("Bonn", "from import")  # the user's change wins, the rest stays


def test_the_customer_user_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer()
    jane = make_customer_user(acme, "jdoe", "Jane", "Doe", phone="+49 30 1")
    shown = opened(admin_client, jane)
    CustomerUser.objects.filter(pk=jane.pk).update(phone="+49 30 2", email="jane@new.example")

    response = admin_client.post(change(jane), {**shown, "first_name": "Janet"})

    assert response.status_code == 302
    jane.refresh_from_db()
    assert (jane.first_name, jane.phone, jane.email) == ("Janet", "+49 30 2", "jane@new.example")


def test_the_customer_user_form_keeps_additional_customers_linked_while_it_was_open(admin_client):
    acme, globex = make_customer(), make_customer("GLOBEX", "Globex")
    jane = make_customer_user(acme)
    shown = opened(admin_client, jane)
    jane.additional_customers.add(globex)  # a sync linked her meanwhile

    admin_client.post(change(jane), {**shown, "first_name": "Janet"})

    jane.refresh_from_db()
    assert jane.first_name == "Janet"
    assert list(jane.additional_customers.all()) == [globex]


def test_the_ticket_form_keeps_what_an_import_wrote_while_it_was_open(admin_client):
    acme = make_customer()
    ticket = make_ticket(acme, "Printer on fire")
    shown = opened(admin_client, ticket)
    answered = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(priority=5, first_response_at=answered)

    response = admin_client.post(change(ticket), {**shown, "title": "Printer still on fire"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.first_response_at) == ("Printer still on fire", 5, answered)


def test_the_ticket_form_writes_what_the_model_derives_from_the_change(admin_client):
    acme = make_customer()
    ticket = make_ticket(acme, "Printer on fire", sla=make_sla())
    assert ticket.escalation_at is not None
    shown = opened(admin_client, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(priority=5)

    admin_client.post(change(ticket), {**shown, "state": TicketState.CLOSED_SUCCESSFUL})

    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority) == (TicketState.CLOSED_SUCCESSFUL, 5)
    assert ticket.closed_at is not None and ticket.escalation_at is None
    acme.refresh_from_db()
    assert (acme.open_ticket_count, acme.closed_ticket_count) == (0, 1)
