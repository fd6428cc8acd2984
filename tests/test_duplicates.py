"""Possible duplicates: the name match key ("ACME GmbH" = "Acme G.m.b.H."), kept on every write, and the list
filter; of customer users, a shared address or the same full name (``full_name_key``) at one customer."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.folding import fold, full_name_key, name_match_key
from otrs_customer_admin.models import Customer, CustomerUser, CustomerUserEmail, Validity
from otrs_customer_admin.models.customer_user import duplicate_group
from otrs_customer_admin.writes import update_rows
from tests.factories import build_customer, build_customer_user, make_customer, make_customer_user

CHANGELIST = reverse("admin:otrs_customer_admin_customer_changelist")
APP = "otrs_customer_admin"

ONE_COMPANY = [
    "ACME GmbH",
    "Acme G.m.b.H.",
    "ACME AG",
    "Äcme",
    "acme",
    "Acme, Inc.",
    "ACME Corp.",
    "Acme Corporation",
    "Acme Ltd",
    "Acme Limited",
    "Acme S.A.",
    "Acme S. A.",
    "Acme SA",
    "Acme SARL",
    "Acme S.à r.l.",
    "Acme S.L.",
    "Acme B.V.",
    "Acme N.V.",
    "Acme S.p.A.",
    "Acme Srl",
    "Acme A/S",
    "Acme ApS",
    "Acme Oy",
    "AB Acme",
    "Acme e.V.",
    "Acme GmbH & Co. KG",
    "Acme GmbH&Co.KG",
    "Acme UG (haftungsbeschränkt)",
    "Acme Sp. z o.o.",
    "Acme Co., Ltd.",
    "Acme and Co.",
    "ACME PLC",
    "Acme LLC",
    "  Acme   GmbH  ",
    "ＡＣＭＥ ＧｍｂＨ",  # noqa: RUF001 - full-width letters fold to plain ones
]
OTHER_COMPANIES = [
    pytest.param("Acme Systems GmbH", id="another-word"),
    pytest.param("Acme Berlin AG", id="a-branch"),
    pytest.param("Acmes", id="another-letter"),
    pytest.param("Agfa", id="legal-form-letters-inside-a-word"),
    pytest.param("Acme GmbH Hamburg", id="legal-form-in-the-middle-stays"),
]


@pytest.mark.parametrize("name", ONE_COMPANY)
def test_names_of_one_company_share_the_key(name):
    assert name_match_key(name) == "acme"


@pytest.mark.parametrize("name", OTHER_COMPANIES)
def test_names_of_other_companies_do_not(name):
    assert name_match_key(name) != "acme"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Müller-Lüdenscheidt", "mullerludenscheidt"),
        ("Ørsted A/S", "orsted"),
        ("Straße & Söhne", "strassesohne"),
        ("Smith & Wesson Inc", "smithwesson"),
        ("GmbH", "gmbh"),  # never every word
        ("AG AG", "ag"),
        ("!!!", "!!!"),  # nothing but punctuation: the folded name
        ("Ελληνικά Α.Ε.", "ελληνικααε"),  # noqa: RUF001 - a Greek name keeps its letters
    ],
)
def test_what_the_key_keeps(name, key):
    assert name_match_key(name) == key


def test_the_key_fits_its_field():
    assert len(name_match_key("ﷺ" * 200)) == Customer._meta.get_field("name_match_key").max_length


# --- kept on every write path ------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_and_its_update_fields_keep_the_key():
    acme = make_customer("ACME", "Acme G.m.b.H.")
    assert stored_key(acme) == "acme"
    acme.name = "Globex AG"
    acme.save(update_fields=["name"])
    assert stored_key(acme) == "globex"
    acme.name = "Initech Inc."
    acme.city = "Austin"
    acme.save(update_fields=["city"])  # the name is not saved, nor is its key
    assert stored_key(acme) == "globex"


@pytest.mark.django_db
def test_bulk_create_bulk_update_and_update_keep_the_key():
    first, second = Customer.objects.bulk_create(
        [build_customer("A", "Acme GmbH"), build_customer("B", "Globex Corporation")]
    )
    assert (stored_key(first), stored_key(second)) == ("acme", "globex")

    first.name, second.name = "Initech LLC", "Umbrella Ltd"
    Customer.objects.bulk_update([first, second], ["name"])
    assert (stored_key(first), stored_key(second)) == ("initech", "umbrella")

    Customer.objects.filter(pk=first.pk).update(name="Hooli, Inc.")
    assert stored_key(first) == "hooli"
    with pytest.raises(ValueError, match=r"^update\(\) sets name only to text"):
        Customer.objects.filter(pk=first.pk).update(name=F("city"))


@pytest.mark.django_db
def test_the_key_is_not_in_the_form(admin_client, acme):
    response = admin_client.get(reverse("admin:otrs_customer_admin_customer_change", args=[acme.pk]))
    assert "name_match_key" not in response.content.decode()


def stored_key(customer):
    return Customer.objects.values_list("name_match_key", flat=True).get(pk=customer.pk)


@pytest.fixture
def migrated(django_db_use_migrations):
    if not django_db_use_migrations:
        pytest.skip("the test database was built without migrations (--no-migrations): run without it")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_key_of_existing_customers(migrated):
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, "0008_customeruser_additional_customers")])
    old_apps = executor.loader.project_state([(APP, "0008_customeruser_additional_customers")]).apps
    old_apps.get_model(APP, "Customer").objects.create(
        customer_id="ACME-2", name="Acme G.m.b.H.", name_key="acme g.m.b.h.", country="DE", data_source="database"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Customer.objects.values_list("name_match_key", flat=True).get() == "acme"
    Customer.objects.all()._raw_delete(Customer.objects.db)


# --- the list filter ------------------------------------------------------------------------------------


@pytest.fixture
def companies(db):
    for customer_id, name in [
        ("ACME", "ACME GmbH"),
        ("GLOBEX", "Globex"),
        ("ACME-2", "Acme G.m.b.H."),
        ("INITECH", "Initech"),
        ("GLOBEX-US", "Globex Corporation"),
        ("ACME-AT", "Äcme AG"),
        ("HOOLI", "Hooli"),
    ]:
        make_customer(customer_id, name)
    make_customer("HOOLI-OLD", "Hooli Inc.", valid=Validity.INVALID)  # merged away: no longer counts


@pytest.mark.django_db
def test_possible_duplicates_are_the_customers_sharing_a_key_among_the_valid(companies):
    assert sorted(Customer.objects.possible_duplicates().values_list("customer_id", flat=True)) == [
        "ACME",
        "ACME-2",
        "ACME-AT",
        "GLOBEX",
        "GLOBEX-US",
    ]


@pytest.mark.django_db
def test_the_filter_lists_them_together_by_key_then_name(admin_client, companies):
    response = admin_client.get(f"{CHANGELIST}?duplicates=yes")
    assert response.status_code == 200
    names = [obj.name for obj in response.context["cl"].result_list]
    assert names == ["Acme G.m.b.H.", "ACME GmbH", "Äcme AG", "Globex", "Globex Corporation"]
    assert [obj.name for obj in admin_client.get(f"{CHANGELIST}?duplicates=no").context["cl"].result_list] == [
        "Hooli",
        "Initech",
    ]
    assert "possible duplicates" in response.content.decode().lower()


@pytest.mark.django_db
def test_with_every_validity_the_merged_away_customer_shows_beside_its_twin(admin_client, companies):
    make_customer("HOOLI-2", "HOOLI AG")
    response = admin_client.get(f"{CHANGELIST}?duplicates=yes&validity=all")
    names = [obj.name for obj in response.context["cl"].result_list]
    assert names[-3:] == ["Hooli", "HOOLI AG", "Hooli Inc."]


@pytest.mark.django_db
def test_the_filtered_list_keeps_a_constant_query_count(admin_client, django_assert_num_queries):
    def queries(count):
        Customer.objects.bulk_create(
            build_customer(f"C{count}-{n}", f"Company {count}-{n // 2}" + (" GmbH" if n % 2 else " AG"))
            for n in range(count)
        )
        admin_client.get(f"{CHANGELIST}?duplicates=yes")  # caches warm
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(f"{CHANGELIST}?duplicates=yes")
        assert response.status_code == 200
        return len(captured)

    assert queries(6) == queries(120)


@pytest.mark.django_db
def test_the_filter_reads_the_match_key_index_not_every_pair():
    Customer.objects.bulk_create(
        build_customer(f"C{n}", f"Company {n // 2} " + ("GmbH" if n % 2 else "AG")) for n in range(400)
    )
    # As the list asks for it: valid customers, possible duplicates, with their counts, by key then name.
    queryset = (
        Customer.objects.valid().possible_duplicates().with_ticket_counts().order_by("name_match_key", "name_key")
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otrs_customer_admin_customer" if connection.vendor == "postgresql" else "ANALYZE")
    plan = queryset.explain()
    if connection.vendor == "postgresql":
        # One grouping pass over the valid customers, joined to them by key (a hash or merge join,
        # or an index lookup): never a nested loop that pairs customers with customers.
        assert plan.count("Aggregate") == 1, plan
        assert "Nested Loop" not in plan or "Index" in plan.split("Nested Loop", 1)[1], plan
    else:
        # The groups from one pass over the index, the rows looked up by key through it, in its order;
        assert "SCAN U0 USING COVERING INDEX otrs_customer_name_match" in plan, plan
        assert "SEARCH otrs_customer_admin_customer USING INDEX otrs_customer_name_match (name_match_key=?)" in plan
        # no scan of the table, no sorting, no customer joined with customers.
        assert "SCAN otrs_customer_admin_customer" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert plan.count("otrs_customer_admin_customer") == 1, plan
    assert queryset.count() == 400


# --- customer users: the same address, or the same full name at the same customer --------------------------

PEOPLE = reverse("admin:otrs_customer_admin_customeruser_changelist")


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [("Jane", "Doe"), ("JANE", "DOE"), ("  jane ", "  doe"), ("Jäne", "Dœ"), ("Ｊａｎｅ", "Ｄｏｅ")],  # noqa: RUF001 - full-width letters fold
)
def test_spellings_of_one_full_name_share_the_key(first_name, last_name):
    assert full_name_key(first_name, last_name) == "jane doe"


def test_the_full_name_key_fits_its_field():
    length = CustomerUser._meta.get_field("full_name_key").max_length
    assert len(full_name_key("ﷺ" * 100, "ﷺ" * 100)) == length


def stored_full_name_key(person):
    return CustomerUser.objects.values_list("full_name_key", flat=True).get(pk=person.pk)


@pytest.mark.django_db
def test_every_write_path_keeps_the_full_name_key(acme):
    person = make_customer_user(acme, "jdoe", "Jane", "Doe")
    assert stored_full_name_key(person) == "jane doe"
    person.first_name = "Janet"
    person.save(update_fields=["first_name"])  # one of the two fields: the key follows
    assert stored_full_name_key(person) == "janet doe"

    first, second = CustomerUser.objects.bulk_create(
        [build_customer_user(acme, "a", "Ann", "Lee"), build_customer_user(acme, "b", "Bo", "Kim")]
    )
    assert (stored_full_name_key(first), stored_full_name_key(second)) == ("ann lee", "bo kim")
    first.last_name, second.first_name = "Lée", "Bó"
    CustomerUser.objects.bulk_update([first, second], ["last_name", "first_name"])
    assert (stored_full_name_key(first), stored_full_name_key(second)) == ("ann lee", "bo kim")

    CustomerUser.objects.filter(pk=first.pk).update(first_name="Anne", last_name="Li")
    assert stored_full_name_key(first) == "anne li"
    # Only one of the two: each row's key from its own other name.
    CustomerUser.objects.filter(pk__in=[first.pk, second.pk]).update(first_name="Sam")
    assert (stored_full_name_key(first), stored_full_name_key(second)) == ("sam li", "sam kim")


@pytest.mark.django_db
def test_the_write_kernel_keeps_the_key_when_a_writer_changes_one_name(acme):
    # As the import writes a changed first name: only that field, compared with what it read.
    person = make_customer_user(acme, "jdoe", "Jane", "Doe")
    update_rows(CustomerUser, [(person.pk, {"first_name": "Jane"}, {"first_name": "Janet"})])
    assert stored_full_name_key(person) == "janet doe"

    # The other name it did not read is compared too: changed since, the row moved.
    CustomerUser.objects.filter(pk=person.pk).update(last_name="Smith")
    update_rows(CustomerUser, [(person.pk, {"first_name": "Janet"}, {"first_name": "Jenny"})])
    assert stored_full_name_key(person) == "jenny smith"


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_full_name_key_of_existing_people(migrated):
    before = [(APP, "0014_people")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    customer = old_apps.get_model(APP, "Customer").objects.create(
        customer_id="ACME", customer_id_key="acme", name="Acme", name_key="acme", country="DE", data_source="database"
    )
    old_apps.get_model(APP, "CustomerUser").objects.create(
        login="jdoe", login_key="jdoe", first_name="Jäne", last_name="DOE", email="j@x.example", customer=customer
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert CustomerUser.objects.values_list("full_name_key", flat=True).get() == "jane doe"
    CustomerUser.objects.all()._raw_delete(CustomerUser.objects.db)
    Customer.objects.all()._raw_delete(Customer.objects.db)


@pytest.fixture
def people(db):
    """Jane Doe twice at ACME (and once at GLOBEX, another person); Bob Smith's address as an
    additional address of Robert Smith at GLOBEX; one address as an additional address of Carl
    and Dora; Eve, and a Jane Doe at ACME merged away (invalid), who no longer counts."""
    acme, globex = make_customer("ACME", "Acme"), make_customer("GLOBEX", "Globex")
    make_customer_user(acme, "jdoe", "Jane", "Doe")
    make_customer_user(acme, "jane.d", "JANE", "DOE")
    make_customer_user(globex, "jane.g", "Jane", "Doe")
    bob = make_customer_user(acme, "bob", "Bob", "Smith", email="bob@smith.example")
    rob = make_customer_user(globex, "rob", "Robert", "Smith")
    carl = make_customer_user(acme, "carl", "Carl", "Cole")
    dora = make_customer_user(globex, "dora", "Dora", "Dunn")
    make_customer_user(acme, "eve", "Eve", "East")
    make_customer_user(acme, "jane.old", "Jane", "Doe", valid=Validity.INVALID)
    make_customer_user(globex, "rob.old", "Rob", "Smith", valid=Validity.INVALID, email="rob@smith.example")
    # Addresses as data from before the rule that an address is one valid person's (or an
    # invalid person's): written as rows.
    CustomerUserEmail.objects.bulk_create(
        CustomerUserEmail(customer_user=person, email=email, email_key=fold(email))
        for person, email in [
            (rob, "BOB@Smith.example"),
            (rob, "rob@smith.example"),  # rob.old's, who is invalid: not shared
            (carl, "office@cole.example"),
            (dora, "Office@Cole.example"),
        ]
    )
    return bob


@pytest.mark.django_db
def test_possible_duplicate_people_share_an_address_or_a_full_name_at_one_customer(people):
    assert sorted(CustomerUser.objects.possible_duplicates().values_list("login", flat=True)) == [
        "bob",
        "carl",
        "dora",
        "jane.d",
        "jane.old",  # invalid, beside two valid twins: the list shows it with every validity
        "jdoe",
        "rob",
    ]


@pytest.mark.django_db
def test_the_people_filter_lists_them_together(admin_client, people):
    response = admin_client.get(f"{PEOPLE}?duplicates=yes")
    assert response.status_code == 200
    logins = [person.login for person in response.context["cl"].result_list]
    assert logins == ["jane.d", "jdoe", "bob", "rob", "carl", "dora"]  # each group together
    no = admin_client.get(f"{PEOPLE}?duplicates=no").context["cl"].result_list
    assert sorted(person.login for person in no) == ["eve", "jane.g"]
    assert "possible duplicates" in response.content.decode().lower()


@pytest.mark.django_db
def test_the_filtered_people_list_keeps_a_constant_query_count(admin_client):
    acme = make_customer("ACME", "Acme")

    def queries(count):
        CustomerUser.objects.bulk_create(
            build_customer_user(acme, f"p{count}-{n}", f"First{count}-{n // 2}", "Last") for n in range(count)
        )
        admin_client.get(f"{PEOPLE}?duplicates=yes")  # caches warm
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(f"{PEOPLE}?duplicates=yes")
        assert response.status_code == 200
        return len(captured)

    assert queries(6) == queries(120)


@pytest.mark.django_db
def test_the_people_filter_reads_the_indexes_not_every_pair():
    customers = Customer.objects.bulk_create(build_customer(f"C{n}", f"Company {n}") for n in range(20))
    people = CustomerUser.objects.bulk_create(
        build_customer_user(customers[n // 2 % 20], f"p{n}", f"First {n // 2}", "Last") for n in range(400)
    )
    CustomerUserEmail.objects.bulk_create(
        CustomerUserEmail(customer_user=person, email=f"a{n // 2}@x.example", email_key=f"a{n // 2}@x.example")
        for n, person in enumerate(people[:100])
    )
    # As the list asks for it: valid people, possible duplicates, each group together.
    queryset = (
        CustomerUser.objects.valid()
        .possible_duplicates()
        .select_related("customer")
        .order_by(duplicate_group().asc(), "full_name_key", "login_key")
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor != "postgresql" else "ANALYZE otrs_customer_admin_customeruser")
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE otrs_customer_admin_customeruseremail")
    plan = queryset.explain()
    if connection.vendor == "postgresql":
        # The shared addresses grouped once (hashed subplans, GROUP BY … HAVING count(*) > 1);
        # each person's name group counted in the (customer, full name) index alone.
        assert "Filter: (count(*) > 1)" in plan and "hashed SubPlan" in plan, plan
        assert "Index Only Scan using otrs_customeruser_full_name" in plan, plan
        assert "Index Cond: ((customer_id = otrs_customer_admin_customeruser.customer_id) AND (full_name_key" in plan
    else:
        # The shared addresses from one pass over the address index, run once (a list subquery);
        assert "LIST SUBQUERY" in plan and "SCAN U0 USING INDEX otrs_customeruseremail_key" in plan, plan
        # each name group looked up in the covering index.
        assert (
            "SEARCH U0 USING COVERING INDEX otrs_customeruser_full_name (customer_id=? AND full_name_key=? AND valid=?)"
            in plan
        ), plan
    assert queryset.count() == 400
