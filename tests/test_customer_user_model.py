"""Customer-user rules: login and email uniqueness, required fields, the customer link."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import override_settings

from otrs_customer_admin.models import Customer, CustomerUser, Validity

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return Customer.objects.create(customer_id="ACME", name="Acme", country="DE")


def make_user(customer, **fields):
    values = {
        "login": "jdoe",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@acme.example",
        "customer": customer,
        **fields,
    }
    return CustomerUser(**values)


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_a_complete_customer_user_saves(customer):
    user = make_user(customer, title="Dr.", phone="+49 30 1234", country="AT")
    user.full_clean()
    user.save()
    assert str(user) == "Dr. Jane Doe (jdoe)"
    assert list(customer.customer_users.all()) == [user]


@pytest.mark.parametrize("field", ["login", "first_name", "last_name", "email"])
def test_required_fields(customer, field):
    assert field in errors_of(make_user(customer, **{field: ""}))


def test_customer_is_required(customer):
    assert "customer" in errors_of(make_user(None))


def test_email_must_be_an_address(customer):
    assert "email" in errors_of(make_user(customer, email="not-an-address"))


def test_login_is_unique_ignoring_case(customer):
    make_user(customer).save()
    errors = errors_of(make_user(customer, login="JDOE", email="other@acme.example"))
    assert errors == {"login": ["A customer user with this login already exists (ignoring case)."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerUser.objects.bulk_create([make_user(customer, login="JDoe", email="x@acme.example")])


def test_email_is_unique_ignoring_case_among_valid_users(customer):
    make_user(customer).save()
    errors = errors_of(make_user(customer, login="other", email="JANE@acme.example"))
    assert errors == {"email": ["A valid customer user with this email address already exists."]}


def test_an_invalid_user_may_share_an_email(customer):
    make_user(customer).save()
    for number, validity in enumerate((Validity.INVALID, Validity.INVALID_TEMPORARILY)):
        twin = make_user(customer, login=f"old{number}", email="Jane@Acme.example", valid=validity)
        twin.full_clean()
        twin.save()
    assert CustomerUser.objects.filter(email__iexact="jane@acme.example").count() == 3


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_a_customer_with_users_is_protected_even_when_delete_is_allowed(customer):
    make_user(customer).save()
    with pytest.raises(ProtectedError):
        customer.delete()


def test_ticket_counts_are_annotated_in_one_query(customer, django_assert_num_queries):
    from otrs_customer_admin.models import Ticket, TicketState

    user = make_user(customer)
    user.save()
    for state in (TicketState.OPEN, TicketState.NEW, TicketState.CLOSED_SUCCESSFUL, TicketState.MERGED):
        Ticket.objects.create(title="t", customer=customer, customer_user=user, state=state)
    with django_assert_num_queries(1):
        annotated = CustomerUser.objects.with_ticket_counts().get()
    assert (annotated.open_tickets, annotated.closed_tickets) == (2, 1)
    with django_assert_num_queries(1):
        annotated = Customer.objects.with_ticket_counts().get()
    assert (annotated.open_tickets, annotated.closed_tickets) == (2, 1)
