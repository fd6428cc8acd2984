"""Customer-user rules: login and email uniqueness, required fields, the customer link."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import override_settings

from otrs_customer_admin.models import Customer, CustomerUser, Validity
from tests.factories import build_customer_user, make_ticket

pytestmark = pytest.mark.django_db


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_a_complete_customer_user_saves(acme):
    user = build_customer_user(acme, title="Dr.", phone="+49 30 1234", country="AT")
    user.full_clean()
    user.save()
    assert str(user) == "Dr. Jane Doe (jdoe)"
    assert list(acme.customer_users.all()) == [user]


@pytest.mark.parametrize("field", ["login", "first_name", "last_name", "email"])
def test_required_fields(acme, field):
    assert field in errors_of(build_customer_user(acme, **{field: ""}))


def test_customer_is_required(acme):
    assert "customer" in errors_of(build_customer_user(None))


def test_email_must_be_an_address(acme):
    assert "email" in errors_of(build_customer_user(acme, email="not-an-address"))


def test_login_is_unique_ignoring_case(acme):
    build_customer_user(acme).save()
    errors = errors_of(build_customer_user(acme, login="JDOE", email="other@acme.example"))
    assert errors == {"login": ["A customer user with this login already exists (ignoring case)."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerUser.objects.bulk_create([build_customer_user(acme, login="JDoe", email="x@acme.example")])


def test_email_is_unique_ignoring_case_among_valid_users(acme):
    build_customer_user(acme).save()
    errors = errors_of(build_customer_user(acme, login="other", email="JDOE@acme.example"))
    assert errors == {"email": ["A valid customer user with this email address already exists."]}


def test_an_invalid_user_may_share_an_email(acme):
    build_customer_user(acme).save()
    for number, validity in enumerate((Validity.INVALID, Validity.INVALID_TEMPORARILY)):
        twin = build_customer_user(acme, login=f"old{number}", email="JDoe@Acme.example", valid=validity)
        twin.full_clean()
        twin.save()
    assert CustomerUser.objects.filter(email__iexact="jdoe@acme.example").count() == 3


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_a_customer_with_users_is_protected_even_when_delete_is_allowed(acme):
    build_customer_user(acme).save()
    with pytest.raises(ProtectedError):
        acme.delete()


def test_ticket_counts_are_annotated_in_one_query(acme, django_assert_num_queries):
    from otrs_customer_admin.models import TicketState

    user = build_customer_user(acme)
    user.save()
    for state in (TicketState.OPEN, TicketState.NEW, TicketState.CLOSED_SUCCESSFUL, TicketState.MERGED):
        make_ticket(acme, title="t", customer_user=user, state=state)
    with django_assert_num_queries(1):
        annotated = CustomerUser.objects.with_ticket_counts().get()
    assert (annotated.open_tickets, annotated.closed_tickets) == (2, 1)
    with django_assert_num_queries(1):
        annotated = Customer.objects.with_ticket_counts().get()
    assert (annotated.open_tickets, annotated.closed_tickets) == (2, 1)
