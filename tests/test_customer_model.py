"""The customer rules of docs/models.md (``Customer``), enforced by the model and the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from otrs_customer_admin.models import Customer, Validity
from tests.factories import build_customer, make_customer, make_customer_user, make_ticket


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


pytestmark = pytest.mark.django_db


def test_a_complete_customer_is_valid_and_valid_by_default():
    customer = build_customer(street="Main St 1", zip="10115", city="Berlin", url="https://acme.example")
    customer.full_clean()
    customer.save()
    assert customer.valid == Validity.VALID
    assert customer.is_valid
    assert customer.data_source == "database"
    assert customer.created_at and customer.changed_at
    assert str(customer) == "Acme Corporation (ACME)"
    assert customer.address_line == "Main St 1, 10115 Berlin, Germany"


@pytest.mark.parametrize("customer_id", ["acme", "ACME-2", "a.b_c-d@e+f", "Müller", "x" * 150, "7"])
def test_customer_id_accepts_letters_digits_and_the_allowed_marks(customer_id):
    build_customer(customer_id=customer_id).full_clean()


@pytest.mark.parametrize("customer_id", ["acme corp", "acme(1)", "a/b", "a,b", "<script>", "a;b", "x" * 151, ""])
def test_customer_id_refuses_other_characters_and_lengths(customer_id):
    assert "customer_id" in errors_of(build_customer(customer_id=customer_id))


def test_customer_id_that_differs_only_in_case_is_a_duplicate_on_the_field():
    build_customer().save()
    errors = errors_of(build_customer(customer_id="acme", name="Other"))
    assert errors == {"customer_id": ["A customer with this CustomerID already exists (ignoring case)."]}


def test_name_that_differs_only_in_case_is_a_duplicate_on_the_field():
    build_customer().save()
    errors = errors_of(build_customer(customer_id="OTHER", name="ACME corporation"))
    assert errors == {"name": ["A customer with this name already exists (ignoring case)."]}


def test_the_database_itself_refuses_case_variants():
    build_customer().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([build_customer(customer_id="aCmE", name="Another")])
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([build_customer(customer_id="OTHER", name="ACME CORPORATION")])


def test_the_database_refuses_empty_keys_and_unknown_validity():
    for fields in ({"customer_id": ""}, {"name": ""}, {"valid": 7}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Customer.objects.bulk_create([build_customer(**fields)])


def test_renaming_the_customer_id_keeps_the_links(django_assert_num_queries):
    customer = make_customer()
    jane = make_customer_user(customer)
    ticket = make_ticket(customer, customer_user=jane)

    customer.customer_id = "ACME-NEW"
    customer.full_clean()
    # Links are by primary key: the rename is one UPDATE of the customer row, no cascade.
    with django_assert_num_queries(1):
        customer.save(update_fields=["customer_id"])

    renamed = Customer.objects.get(pk=customer.pk)
    assert renamed.customer_id == "ACME-NEW"
    assert list(renamed.customer_users.all()) == [jane]
    assert list(renamed.tickets.all()) == [ticket]
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.customer_user) == (renamed, jane)
    assert not Customer.objects.filter(customer_id="ACME").exists()


def test_name_is_required_and_at_most_200_characters():
    assert "name" in errors_of(build_customer(name=""))
    assert "name" in errors_of(build_customer(name="n" * 201))
    build_customer(name="n" * 200).full_clean()


def test_country_is_required_and_must_be_an_iso_code():
    assert "country" in errors_of(build_customer(country=""))
    assert "country" in errors_of(build_customer(country="XX"))
    build_customer(country="AT").full_clean()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "ftp://acme.example"]
)
def test_url_accepts_only_http_and_https(url):
    assert "url" in errors_of(build_customer(url=url))


def test_url_http_and_https_are_fine_and_the_database_refuses_other_schemes():
    build_customer(url="http://acme.example/path?q=1").full_clean()
    build_customer(url="https://acme.example").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([build_customer(url="javascript:alert(1)")])


def test_comment_is_at_most_250_characters():
    assert "comment" in errors_of(build_customer(comment="c" * 251))
    build_customer(comment="c" * 250).full_clean()


def test_validity_has_exactly_the_three_otrs_values():
    assert [(v.value, v.label) for v in Validity] == [(1, "valid"), (2, "invalid"), (3, "invalid-temporarily")]
    assert "valid" in errors_of(build_customer(valid=4))


def test_only_valid_counts_as_usable():
    build_customer(customer_id="A", name="A", valid=Validity.VALID).save()
    build_customer(customer_id="B", name="B", valid=Validity.INVALID).save()
    build_customer(customer_id="C", name="C", valid=Validity.INVALID_TEMPORARILY).save()
    assert list(Customer.objects.valid().values_list("customer_id", flat=True)) == ["A"]
    assert sorted(Customer.objects.not_valid().values_list("customer_id", flat=True)) == ["B", "C"]
    assert Customer.objects.count() == 3


def test_changed_timestamp_moves_on_save():
    customer = build_customer()
    customer.save()
    first = customer.changed_at
    customer.city = "Hamburg"
    customer.save()
    assert customer.changed_at > first
