"""Bulk inserts: the package's querysets insert new records with one statement text per batch instead
of Django's value-by-value compiling, and the history of a bulk write is inserted from tuples. The
rows, keys and primary keys must be exactly what ``bulk_create`` would have written."""

import datetime

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db import connection

from otrs_customer_admin.folding import fold, folded_twin
from otrs_customer_admin.history import Change, record_history
from otrs_customer_admin.models import Customer, CustomerUser, Validity
from otrs_customer_admin.writes import WRITE_BATCH
from tests.factories import build_customer, build_customer_user, make_customer

pytestmark = pytest.mark.django_db


def test_new_customers_get_their_rows_keys_and_primary_keys():
    customers = [
        build_customer(f"C{i:04d}", f"Müller & Söhne {i}", city="Köln", country="DE", valid=Validity.INVALID)
        for i in range(WRITE_BATCH + 5)  # two batches, the second short
    ]

    created = Customer.objects.bulk_create(customers)

    assert created is not None and len(created) == len(customers)
    assert all(customer.pk and not customer._state.adding for customer in customers)
    stored = {row.pk: row for row in Customer.objects.all()}
    assert set(stored) == {customer.pk for customer in customers}
    for customer in (customers[0], customers[-1]):
        row = stored[customer.pk]
        assert (row.customer_id, row.name, row.city, row.country.code, row.valid) == (
            customer.customer_id,
            customer.name,
            "Köln",
            "DE",
            Validity.INVALID,
        )
        # The folded twins and keys the queryset computes, and the stamps the fields set.
        assert row.name_match_key == customer.name_match_key != ""
        assert isinstance(row.created_at, datetime.datetime) and row.created_at.tzinfo is not None
    # The folded twins the unique rules compare: "müller & söhne 1" finds the customer.
    twin = folded_twin("name")
    assert Customer.objects.filter(**{twin: fold("MÜLLER & SÖHNE 1")}).get().pk == customers[1].pk


def test_new_customer_users_keep_their_customer_and_values():
    acme = make_customer("ACME", "Acme")
    people = [build_customer_user(acme, f"user{i}", "Jane", "Doe", email=f"u{i}@example.com") for i in range(3)]

    CustomerUser.objects.bulk_create(people)

    assert list(acme.customer_users.order_by("login").values_list("pk", "login", "email")) == [
        (person.pk, person.login, person.email) for person in people
    ]


def test_records_with_a_primary_key_go_through_djangos_bulk_create():
    customer = build_customer("KEYED", "Keyed")
    customer.pk = 4242

    Customer.objects.bulk_create([customer])

    assert Customer.objects.get(pk=4242).customer_id == "KEYED"


def test_a_bulk_writes_history_is_the_admins():
    editor = User.objects.create_user("editor")
    acme = make_customer("ACME", "Acme")

    record_history(
        editor,
        "import",
        Customer,
        [Change(acme.pk, acme, ADDITION, [{"added": {}}]), Change(acme.pk, "x" * 300, CHANGE, "Changed.")],
    )

    first, second = LogEntry.objects.order_by("pk")
    assert (first.user, first.content_type.model_class(), first.object_id, first.object_repr) == (
        editor,
        Customer,
        str(acme.pk),
        str(acme),
    )
    assert (first.action_flag, first.get_change_message()) == (ADDITION, "Added.")
    assert (len(second.object_repr), second.change_message) == (200, "Changed.")
    assert first.action_time is not None


def test_one_statement_text_per_batch_size(django_assert_max_num_queries):
    customers = [build_customer(f"Q{i}", f"Q {i}") for i in range(10)]
    with django_assert_max_num_queries(3) as queries:  # the insert (and the group links' lookups)
        Customer.objects.bulk_create(customers)
    inserts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and connection.ops.quote_name("otrs_customer_admin_customer") in inserts[0]


def test_the_time_stamps_are_those_of_the_insert_and_stay_on_the_records():
    customers = [build_customer(f"T{i}", f"T {i}") for i in range(3)]

    Customer.objects.bulk_create(customers)

    for customer in customers:
        stored = Customer.objects.get(pk=customer.pk)
        assert customer.created_at == stored.created_at and customer.changed_at == stored.changed_at
        assert stored.created_at is not None
