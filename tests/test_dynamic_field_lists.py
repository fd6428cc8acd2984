"""Dynamic fields in the customer and customer-user lists: a column per field shown in lists, a
filter per filterable field, sorting, and the same queries whatever the rows and columns."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from otrs_customer_admin.models import Customer, CustomerUser, DynamicField, Validity
from otrs_customer_admin.models.dynamic_values import replace_values
from tests.factories import build_customer, make_customer, make_customer_user
from tests.markup import document, elements, text

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("admin:otrs_customer_admin_customer_changelist")
CUSTOMER_USERS = reverse("admin:otrs_customer_admin_customeruser_changelist")
TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}


def define(name, field_type="text", object_type="customer", **options):
    return DynamicField.objects.create(
        object_type=object_type, name=name, label=options.pop("label", name), field_type=field_type, **options
    )


def with_values(customer, **values):
    customer.dynamic_fields = values
    customer.save()
    return customer


def headers(response):
    return [capfirst(str(header["text"])) for header in response.context["result_headers"]]


def shown(client, url, query=""):
    response = client.get(url + query)
    assert response.status_code == 200, response
    return [obj.customer_id if isinstance(obj, Customer) else obj.login for obj in response.context["cl"].result_list]


def cells(response, column):
    """The text of each row's cell under the header ``column``."""
    index = headers(response).index(column)
    return [text(document(str(row[index]))) for row in response.context["results"]]


# --- columns ------------------------------------------------------------------------------------


def test_a_column_per_field_shown_in_lists_after_the_built_in_columns_and_before_edit(admin_client):
    define("Tier", "dropdown", choices=TIERS, label="Contract tier", show_in_list=True, order=2)
    define("Seats", "integer", show_in_list=True, order=1)
    define("Hidden", show_in_list=False)
    define("Retired", show_in_list=True, valid=Validity.INVALID)
    with_values(make_customer(), Tier="gold", Seats=250, Hidden="x")
    response = admin_client.get(CUSTOMERS)
    assert headers(response) == [
        "CustomerID",
        "Customer",
        "City",
        "Country",
        "Validity",
        "Data source",
        "Open tickets",
        "Closed tickets",
        "Seats",
        "Contract tier",
        "Edit",
    ]
    assert cells(response, "Contract tier") == ["Gold"]  # the label of the choice
    assert cells(response, "Seats") == ["250"]


def test_values_show_as_a_person_reads_them_and_empty_ones_as_a_dash(admin_client):
    define("Renewal", "date", show_in_list=True)
    define("VIP", "checkbox", show_in_list=True)
    # (Keys in the order PostgreSQL's jsonb keeps them: shorter first.)
    define("Products", "multiselect", choices={"crm": "CRM", "mail": "Mail"}, show_in_list=True)
    define("ERP", show_in_list=True)
    with_values(make_customer("A", "Alpha"), Renewal="2027-03-31", VIP=True, Products="mail; crm")
    make_customer("B", "Beta")
    response = admin_client.get(CUSTOMERS)
    assert cells(response, "Renewal") == ["03/31/2027", "-"]
    assert cells(response, "VIP") == ["Yes", "No"]
    assert cells(response, "Products") == ["CRM, Mail", "-"]
    assert cells(response, "ERP") == ["-", "-"]


def test_a_link_template_makes_the_value_a_link_and_values_are_escaped_and_isolated(admin_client):
    define("ERP", show_in_list=True, link_template="https://erp.example.com/{value}")
    define("Note", show_in_list=True)
    define("Products", "multiselect", choices={"mail": "Mail", "crm": "CRM"}, show_in_list=True)
    DynamicField.objects.filter(name="Products").update(link_template="https://shop.example/{value}")
    with_values(make_customer(), ERP="4711/a b", Note="<script>alert(1)</script>\u202eevil", Products="mail; crm")
    page = admin_client.get(CUSTOMERS).content.decode()
    (link,) = elements(document(page), "a", href="https://erp.example.com/4711%2Fa%20b")
    assert text(link) == "4711/a b"
    assert "<script>alert(1)" not in page
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;\u202eevil</bdi>" in page
    assert elements(document(page), "a", href="https://shop.example/mail")
    assert elements(document(page), "a", href="https://shop.example/crm")


def test_the_label_is_the_header_isolated_as_user_text(admin_client):
    define("Tier", show_in_list=True, label="\u05d3\u05e8\u05d2\u05d4")  # Hebrew
    make_customer()
    assert "\u2068\u05d3\u05e8\u05d2\u05d4\u2069" in headers(admin_client.get(CUSTOMERS))


def test_the_customer_user_list_has_its_own_columns(admin_client):
    define("Department", object_type="customer_user", show_in_list=True)
    define("Tier", "dropdown", choices=TIERS, show_in_list=True)  # a customer's field
    user = make_customer_user(make_customer())
    user.dynamic_fields["Department"] = "Sales"
    user.save()
    response = admin_client.get(CUSTOMER_USERS)
    assert "Department" in headers(response) and "Tier" not in headers(response)
    assert headers(response)[-2:] == ["Department", "Edit"]
    assert cells(response, "Department") == ["Sales"]


def test_users_who_may_not_change_see_the_columns_without_edit(client, django_user_model):
    from django.contrib.auth.models import Permission

    define("Seats", "integer", show_in_list=True)
    with_values(make_customer(), Seats=3)
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    assert headers(client.get(CUSTOMERS))[-1] == "Seats"


# --- sorting --------------------------------------------------------------------------------------


def sorted_by(client, column_name, descending=False, url=CUSTOMERS):
    response = client.get(url)
    index = headers(response).index(column_name)
    assert response.context["result_headers"][index]["sortable"]
    return shown(client, url, f"?o={'-' if descending else ''}{index}")


def test_sortable_types_sort_by_their_value_and_the_others_do_not_sort(admin_client):
    define("Seats", "integer", show_in_list=True)
    define("Renewal", "date", show_in_list=True)
    define("ERP", show_in_list=True)
    define("Products", "multiselect", choices={"mail": "Mail"}, show_in_list=True)
    define("Notes", "textarea", show_in_list=True)
    with_values(make_customer("A", "Alpha"), Seats=30, Renewal="2027-01-01", ERP="b")
    with_values(make_customer("B", "Beta"), Seats=4, Renewal="2026-01-01", ERP="c")
    with_values(make_customer("C", "Gamma"), Seats=200, Renewal="2028-01-01", ERP="a")
    assert sorted_by(admin_client, "Seats") == ["B", "A", "C"]  # as numbers, not as text
    assert sorted_by(admin_client, "Seats", descending=True) == ["C", "A", "B"]
    assert sorted_by(admin_client, "Renewal") == ["B", "A", "C"]
    assert sorted_by(admin_client, "ERP") == ["C", "A", "B"]
    response = admin_client.get(CUSTOMERS)
    for name in ("Products", "Notes"):
        assert not response.context["result_headers"][headers(response).index(name)]["sortable"]


def test_sorting_by_a_column_holds_across_the_pages_fetched_by_key(admin_client, monkeypatch):
    from otrs_customer_admin.admin.customer import CustomerAdmin

    define("Seats", "integer", show_in_list=True)
    customers = Customer.objects.bulk_create(build_customer(f"C{i:02d}", f"Customer {i:02d}") for i in range(25))
    replace_values(Customer, {customer.pk: {"Seats": (i * 7) % 25} for i, customer in enumerate(customers)})
    monkeypatch.setattr(CustomerAdmin, "list_per_page", 10)
    index = headers(admin_client.get(CUSTOMERS)).index("Seats")
    seen = []
    for page in (1, 2, 3):
        response = admin_client.get(f"{CUSTOMERS}?o={index}&p={page}")
        seen += [int(value) for value in cells(response, "Seats")]
    assert seen == list(range(25))


# --- queries --------------------------------------------------------------------------------------


def test_the_query_count_does_not_change_with_rows_or_dynamic_columns(admin_client, monkeypatch):
    from otrs_customer_admin.admin.customer import CustomerAdmin

    monkeypatch.setattr(CustomerAdmin, "list_per_page", 20)

    def count(url):
        admin_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    Customer.objects.bulk_create(build_customer(f"C{i:02d}", f"Customer {i:02d}") for i in range(3))
    without = count(CUSTOMERS)
    tier = define("Tier", "dropdown", choices=TIERS, show_in_list=True, filterable=True)
    define("Seats", "integer", show_in_list=True)
    define("Renewal", "date", show_in_list=True, filterable=True)
    few = count(CUSTOMERS)
    customers = Customer.objects.bulk_create(build_customer(f"D{i:02d}", f"More {i:02d}") for i in range(60))
    replace_values(
        Customer, {customer.pk: {"Tier": "gold", "Seats": 5, "Renewal": "2027-01-01"} for customer in customers}
    )
    define("ERP", show_in_list=True)
    define("VIP", "checkbox", show_in_list=True, filterable=True)
    assert count(CUSTOMERS) == few == without
    assert count(f"{CUSTOMERS}?{tier.key}=gold&o=-9") == few  # filtered and sorted by Tier
    assert count(f"{CUSTOMERS}?p=2") == few + 1  # a later page: its keys, then its rows


# --- filters --------------------------------------------------------------------------------------


def filter_titles(response):
    return [str(spec.title) for spec in response.context["cl"].filter_specs]


@pytest.fixture
def tiers():
    define("Tier", "dropdown", choices=TIERS, label="Contract tier", filterable=True)
    define("Products", "multiselect", choices={"mail": "Mail", "crm": "CRM"}, filterable=True)
    define("VIP", "checkbox", filterable=True)
    define("Renewal", "date", filterable=True)
    define("Seats", "integer")  # no filter: not filterable
    today = timezone.localdate()
    with_values(make_customer("A", "Alpha"), Tier="gold", Products="mail; crm", VIP=True, Renewal=today)
    with_values(make_customer("B", "Beta"), Tier="silver", Products="crm", Renewal=today - datetime.timedelta(days=3))
    with_values(make_customer("C", "Gamma"), Renewal=today + datetime.timedelta(days=10))
    with_values(make_customer("D", "Delta"), Renewal=today + datetime.timedelta(days=400))
    make_customer("E", "Epsilon")


@pytest.mark.usefixtures("tiers")
class TestFilters:
    def test_one_filter_per_filterable_field_named_by_its_label(self, admin_client):
        titles = filter_titles(admin_client.get(CUSTOMERS))
        assert titles[-4:] == ["Products", "Renewal", "Contract tier", "VIP"]  # the fields' order, then names
        assert "Seats" not in titles

    def test_dropdown_and_multiselect_by_one_choice(self, admin_client):
        assert shown(admin_client, CUSTOMERS, "?DynamicField_Tier=gold") == ["A"]
        assert shown(admin_client, CUSTOMERS, "?DynamicField_Products=crm") == ["A", "B"]
        assert shown(admin_client, CUSTOMERS, "?DynamicField_Products=mail&DynamicField_Tier=gold") == ["A"]
        page = admin_client.get(CUSTOMERS).content.decode()
        (choice,) = elements(document(page), "a", href="?DynamicField_Tier=silver")
        assert text(choice) == "Silver"

    def test_checkbox_yes_and_no(self, admin_client):
        assert shown(admin_client, CUSTOMERS, "?DynamicField_VIP=yes") == ["A"]
        assert shown(admin_client, CUSTOMERS, "?DynamicField_VIP=no") == ["B", "D", "E", "C"]  # by name

    @pytest.mark.parametrize(
        ("preset", "expected"),
        [
            ("past", ["B"]),
            ("today", ["A"]),
            ("next-30-days", ["A", "C"]),
            ("later", ["D", "C"]),
            ("empty", ["E"]),
        ],
    )
    def test_date_presets(self, admin_client, preset, expected):
        assert shown(admin_client, CUSTOMERS, f"?DynamicField_Renewal={preset}") == expected

    def test_this_year(self, admin_client):
        year = timezone.localdate().year
        found = shown(admin_client, CUSTOMERS, "?DynamicField_Renewal=this-year")
        expected = [
            customer.customer_id
            for customer in Customer.objects.order_by("name_key")
            if (renewal := customer.dynamic_fields["Renewal"]) and renewal.year == year
        ]
        assert found == expected and "A" in found

    @pytest.mark.parametrize(
        "query", ["?DynamicField_Tier=platinum", "?DynamicField_VIP=maybe", "?DynamicField_Renewal=2027-01-01"]
    )
    def test_a_value_the_filter_does_not_offer_goes_back_to_the_list_not_to_a_500(self, admin_client, query):
        response = admin_client.get(CUSTOMERS + query, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[0][0].endswith("?e=1")

    def test_a_retired_fields_parameter_is_no_500(self, admin_client):
        DynamicField.objects.filter(name="Tier").update(valid=Validity.INVALID)
        response = admin_client.get(CUSTOMERS + "?DynamicField_Tier=gold", follow=True)
        assert response.status_code in (200, 400)
        assert "Contract tier" not in filter_titles(admin_client.get(CUSTOMERS))

    def test_facet_counts_cost_the_same_queries_whatever_the_rows(self, admin_client):
        def count():
            admin_client.get(CUSTOMERS + "?_facets=True")
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(CUSTOMERS + "?_facets=True")
            assert response.status_code == 200
            return len(queries), response

        few, response = count()
        (gold,) = elements(document(response.content.decode()), "a", href="?DynamicField_Tier=gold&_facets=True")
        assert " ".join(text(gold).split()) == "Gold (1)"
        customers = Customer.objects.bulk_create(build_customer(f"X{i:02d}", f"More {i:02d}") for i in range(40))
        replace_values(Customer, {customer.pk: {"Tier": "gold", "VIP": True} for customer in customers})
        assert count()[0] == few


def test_customer_users_filter_by_their_own_fields(admin_client):
    define("Department", "dropdown", object_type="customer_user", choices={"s": "Sales", "i": "IT"}, filterable=True)
    acme = make_customer()
    for login, department in (("ann", "s"), ("bob", "i"), ("cy", None)):
        user = make_customer_user(acme, login=login, last_name=login)
        user.dynamic_fields["Department"] = department
        user.save()
    assert shown(admin_client, CUSTOMER_USERS, "?DynamicField_Department=s") == ["ann"]
    assert CustomerUser.objects.count() == 3
