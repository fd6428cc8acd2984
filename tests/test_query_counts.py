"""Every page costs the same number of queries on a small and a big data set (the times are bench/'s)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.demo import load_demo_data
from otrs_customer_admin.models import Customer, CustomerUser, Validity

pytestmark = pytest.mark.django_db

SMALL = {"customers": 3, "customer_users": 4, "tickets": 8}
BIG = {"customers": 150, "customer_users": 400, "tickets": 3000}


def pages():
    """The pages of the page benchmark, for the data that is loaded now."""
    biggest = Customer.objects.order_by("pk").first()  # a key account: the first customers are
    user = CustomerUser.objects.filter(customer=biggest).order_by("pk").first()
    customers = reverse("admin:otrs_customer_admin_customer_changelist")
    users = reverse("admin:otrs_customer_admin_customeruser_changelist")
    tickets = reverse("admin:otrs_customer_admin_ticket_changelist")
    return {
        "customer list": customers,
        "customer search": f"{customers}?q=a*+AND+NOT+zz",
        "customer list, validity all, by open tickets": f"{customers}?validity=all&o=-6",
        "customer detail": reverse("admin:otrs_customer_admin_customer_detail", args=[biggest.pk]),
        "customer card": reverse("admin:otrs_customer_admin_customer_card", args=[biggest.pk]),
        "customer-user list": users,
        "customer-user search": f"{users}?q=a*",
        "customer-user detail": reverse("admin:otrs_customer_admin_customeruser_detail", args=[user.pk]),
        "customer-user card": reverse("admin:otrs_customer_admin_customeruser_card", args=[user.pk]),
        "ticket list, one customer": f"{tickets}?customer__id__exact={biggest.pk}",
        "ticket list, escalated": f"{tickets}?escalated=yes",
    }


def query_counts(client):
    counts = {}
    for name, url in pages().items():
        client.get(url)  # caches warm (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        counts[name] = len(queries)
    return counts


def test_no_page_costs_more_queries_with_more_rows_or_tickets(admin_client):
    load_demo_data(**SMALL)
    small = query_counts(admin_client)
    load_demo_data(**BIG)  # adds what is missing: more customers, users, and tickets per customer
    assert Customer.objects.order_by("pk").first().tickets.count() > 100

    assert query_counts(admin_client) == small


def test_a_later_page_costs_one_query_more_than_the_first_whatever_its_number(admin_client):
    """Beyond the first page the rows are fetched by key (keys, then rows): one query more, always."""
    load_demo_data(customers=350, customer_users=10, tickets=10)
    customers = reverse("admin:otrs_customer_admin_customer_changelist")
    counts = []
    for page in (1, 2, 3):
        admin_client.get(f"{customers}?p={page}&validity=all")
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(f"{customers}?p={page}&validity=all")
        counts.append(len(queries))
    assert counts[1] == counts[2] == counts[0] + 1


def test_dynamic_field_columns_filters_and_searches_cost_no_query_more_with_rows_or_fields(admin_client):
    """Three dynamic-field columns and a dynamic-field filter: the list's queries are those of the list
    without them (the definitions are read once per request either way), on small and big data; a
    detail view reads the values of its fields in one query."""
    from otrs_customer_admin.models import DynamicField
    from otrs_customer_admin.models.dynamic_values import replace_values

    customers = reverse("admin:otrs_customer_admin_customer_changelist")
    users = reverse("admin:otrs_customer_admin_customeruser_changelist")
    dynamic_pages = {
        "customer list, by tier, gold only": f"{customers}?o=-9&DynamicField_Level=gold",
        "customer search on a field": f"{customers}?q=DynamicField_Level:gold+AND+NOT+DynamicField_Premium:1",
        "customer-user search on a field": f"{users}?q=DynamicField_Team:sales",
    }

    def counts():
        measured = query_counts(admin_client)
        for name, url in dynamic_pages.items():
            admin_client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(url).status_code == 200, name
            measured[name] = len(queries)
        return measured

    def fill():
        replace_values(
            Customer,
            {
                pk: {"Level": "gold", "Seats": pk, "Premium": pk % 2 == 0}
                for pk in Customer.objects.values_list("pk", flat=True)
            },
        )

    load_demo_data(**SMALL)
    # The demo's own fields retired: the fields below are all there are (and a second load keeps them retired).
    DynamicField.objects.update(valid=Validity.INVALID)
    DynamicField.objects.create(
        object_type="customer_user", name="Team", label="Team", show_in_list=True, searchable=True
    )
    without = query_counts(admin_client)
    tiers = {"gold": "Gold", "silver": "Silver"}
    for name, field_type, options in (
        ("Level", "dropdown", {"choices": tiers, "filterable": True}),
        ("Seats", "integer", {}),
        ("Premium", "checkbox", {"filterable": True}),
    ):
        DynamicField.objects.create(
            object_type="customer", name=name, label=name, field_type=field_type, show_in_list=True, **options
        )
    fill()
    small = counts()
    # The customer's detail view reads the values of its fields once it has any: one query, whatever their number.
    assert {name: small[name] for name in without} == {**without, "customer detail": without["customer detail"] + 1}
    assert small["customer list, by tier, gold only"] == small["customer list"]
    load_demo_data(**BIG)
    fill()
    assert counts() == small


def test_the_history_of_a_record_with_10000_changes_opens_with_the_queries_of_one_with_10(admin_client, admin_user):
    """The History widget reads a page of entries, their count, and the customers and dynamic fields
    they name once each: the same queries whatever the number of entries."""
    from django.contrib.admin.models import CHANGE

    from otrs_customer_admin.history import Change, record_history
    from otrs_customer_admin.models import DynamicField
    from tests.factories import make_customer, make_customer_user

    DynamicField.objects.create(object_type="customer_user", name="Tier", label="Tier")
    acme, globex = make_customer("ACME", "Acme"), make_customer("GLOBEX", "Globex")
    jane = make_customer_user(acme, email="jane@acme.example")
    customer_url = reverse("admin:otrs_customer_admin_customer_detail", args=[acme.pk])
    user_url = reverse("admin:otrs_customer_admin_customeruser_detail", args=[jane.pk])

    def record(count):
        customers = [(acme.pk, globex.pk), (globex.pk, acme.pk)]
        record_history(
            admin_user,
            "import",
            CustomerUser,
            [
                Change(jane.pk, "jdoe", CHANGE, "", {"customer": customers[n % 2], "DynamicField_Tier": (n, n + 1)})
                for n in range(count)
            ],
        )
        record_history(
            admin_user,
            "import",
            Customer,
            [Change(acme.pk, "Acme", CHANGE, "", {"city": (n, n + 1)}) for n in range(count)],
        )

    def counts():
        found = []
        for url in (customer_url, user_url):
            admin_client.get(url)
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(url)
            assert response.status_code == 200 and 'data-widget="history"' in response.content.decode()
            found.append(len(queries))
        return found

    record(10)
    few = counts()
    record(9990)
    assert counts() == few
