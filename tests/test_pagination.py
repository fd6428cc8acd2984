"""The lists count exactly, except very long lists on PostgreSQL, which show the planner's estimate and say so."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.admin.pagination import EstimatedCountPaginator
from otrs_customer_admin.models import Customer
from tests.factories import build_customer
from tests.markup import document, text

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("admin:otrs_customer_admin_customer_changelist")


@pytest.fixture
def customers():
    Customer.objects.bulk_create([build_customer(f"C{number:03d}", f"Customer {number:03d}") for number in range(250)])


def test_a_list_below_the_threshold_is_counted_exactly(admin_client, customers):
    response = admin_client.get(CUSTOMERS)
    assert "250 customers" in text(document(response)) and "estimated" not in response.content.decode()
    paginator = EstimatedCountPaginator(Customer.objects.all(), 100)
    assert (paginator.count, paginator.estimated, paginator.num_pages) == (250, False, 3)


def test_a_list_is_counted_once_per_request(admin_client, customers):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(f"{CUSTOMERS}?q=Customer*")
    counts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(")]
    assert len(counts) == 1, counts


@pytest.mark.postgres
def test_on_postgresql_a_very_long_list_shows_the_estimate_and_says_so(admin_client, customers, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otrs_customer_admin_customer")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 100)

    page = text(document(admin_client.get(CUSTOMERS)))

    assert re.search(r"about 2\d\d customers \(estimated\)", page), page[-3000:]
    last = admin_client.get(f"{CUSTOMERS}?p=99")  # past the real end: an empty page, not an error
    assert last.status_code == 200
