"""The customer-user list, detail page, create and edit as an admin uses them."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.urls import reverse

from otrs_customer_admin.admin.customer_user import CustomerUserAdmin
from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, CustomerUser, Ticket, TicketState, Validity
from tests.factories import (
    build_customer,
    build_customer_user,
    build_ticket,
    make_customer,
    make_customer_user,
    make_ticket,
)
from tests.markup import action_groups, assert_in_html, document, element, elements, text
from tests.test_admin_customers import selected_country

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:otrs_customer_admin_customeruser_changelist")
ADD = reverse("admin:otrs_customer_admin_customeruser_add")
TICKET_ADD = reverse("admin:otrs_customer_admin_ticket_add")
AUTOCOMPLETE = reverse("admin:autocomplete")

SOURCES = {
    "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
    "archive": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource", "LABEL": "Archive DB"},
    "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
}


def url(name, obj):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_{name}", args=[obj.pk])


def form_data(company, **fields):
    return {
        "data_source": "database",
        "title": "",
        "first_name": "John",
        "last_name": "Smith",
        "login": "jsmith",
        "email": "john.smith@acme.example",
        "valid": "1",
        "customer": str(company.pk),
        "phone": "",
        "fax": "",
        "mobile": "",
        "street": "",
        "zip": "",
        "city": "",
        "country": "",
        "comment": "",
        **fields,
    }


def shown(client, path=CHANGELIST, **query):
    response = client.get(path, query)
    assert response.status_code == 200
    return sorted(obj.login for obj in response.context["cl"].result_list)


@pytest.fixture
def directory_user():
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES}), get_data_source("directory").writing():
        company = make_customer("DIR", "Directory Inc", data_source="directory")
        return make_customer_user(company, "dir.user", "Dora", "Directory", data_source="directory")


# --- the list ---------------------------------------------------------------


def test_the_list_shows_valid_customer_users_by_default_and_filters_the_others(admin_client, acme):
    make_customer_user(acme, "valid")
    make_customer_user(acme, "gone", valid=Validity.INVALID)
    make_customer_user(acme, "away", valid=Validity.INVALID_TEMPORARILY)
    assert shown(admin_client) == ["valid"]
    assert shown(admin_client, validity="invalid") == ["gone"]
    assert shown(admin_client, validity="invalid-temporarily") == ["away"]
    assert shown(admin_client, validity="all") == ["away", "gone", "valid"]


def test_the_list_filters_by_customer(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    make_customer_user(acme, "jdoe")
    make_customer_user(globex, "hank")
    page = document(admin_client.get(CHANGELIST))
    # unfold's AutocompleteSelectFilter is Django's related filter: customer__id__exact.
    assert elements(page, name="customer__id__exact")
    assert shown(admin_client, customer__id__exact=globex.pk) == ["hank"]
    assert shown(admin_client, customer__id__exact=acme.pk) == ["jdoe"]
    # The filter's own picker asks the autocomplete of the customer-user admin's customer field.
    response = admin_client.get(
        AUTOCOMPLETE,
        {"app_label": "otrs_customer_admin", "model_name": "customeruser", "field_name": "customer", "term": "glob"},
    )
    assert [item["text"] for item in response.json()["results"]] == ["Globex (GLOBEX)"]


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_the_list_filters_by_data_source(admin_client, acme, directory_user):
    make_customer_user(acme, "db.user")
    make_customer_user(acme, "old.user", data_source="archive")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Archive DB" in page and "Head office LDAP" in page
    assert shown(admin_client, data_source="archive") == ["old.user"]
    assert shown(admin_client, data_source="directory") == ["dir.user"]
    assert shown(admin_client, data_source="database") == ["db.user"]
    assert shown(admin_client) == ["db.user", "dir.user", "old.user"]


def test_search_uses_otrs_syntax_over_login_names_email_and_customer_id(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    make_customer_user(acme, "jdoe", "Jane", "Doe", email="jane@acme.example")
    make_customer_user(acme, "mmuster", "Max", "Mustermann", email="max@mail.example")
    make_customer_user(globex, "hsimpson", "Homer", "Simpson", email="homer@springfield.example")

    def found(query):
        return shown(admin_client, q=query)

    assert found("jdoe") == ["jdoe"]
    assert found("HOMER") == ["hsimpson"]
    assert found("muster*") == ["mmuster"]
    assert found("springfield.example") == ["hsimpson"]
    assert found("globex") == ["hsimpson"]  # the customer's CustomerID
    assert found("acme") == ["jdoe", "mmuster"]
    assert found("acme && !jane") == ["mmuster"]
    assert found("doe || simpson") == ["hsimpson", "jdoe"]
    assert found('"max@mail"') == ["mmuster"]
    # The customer's name is not one of the searched fields, only its CustomerID.
    assert found("corporation") == []


def test_the_list_columns_link_to_the_detail_view_with_cards(admin_client, acme):
    jane = make_customer_user(acme)
    response = admin_client.get(CHANGELIST)
    page = document(response)
    headers = [str(header["text"]).capitalize() for header in response.context["result_headers"]]
    assert headers == ["Login", "Name", "Email", "Customer", "Validity", "Data source", "Edit"]
    # Login and name open the detail view and show the card.
    assert len(elements(page, "a", href=url("detail", jane), data_otrs_card=url("card", jane))) == 2
    assert len(elements(page, data_otrs_card=url("card", jane))) == 2
    # The customer column opens the customer's detail view and shows its card.
    assert elements(page, "a", href=url("detail", acme), data_otrs_card=url("card", acme))
    assert elements(page, "a", href=url("change", jane), title="Edit Jane Doe")
    assert "action-checkbox" not in response.content.decode()


def test_sorting_by_the_customer_column_sorts_what_it_shows(admin_client):
    # The column shows the CustomerID; sorting by it must not order by the customer's name.
    make_customer_user(make_customer("ZULU", "Alpha Industries"), "first")
    make_customer_user(make_customer("ALPHA", "Zulu Trading"), "second")
    headers = admin_client.get(CHANGELIST).context["result_headers"]
    header = next(header for header in headers if str(header["text"]) == "Customer")
    # Click the header once (ascending), then again (descending).
    response = admin_client.get(CHANGELIST + header["url_primary"])
    assert [user.customer.customer_id for user in response.context["cl"].result_list] == ["ALPHA", "ZULU"]
    header = next(h for h in response.context["result_headers"] if str(h["text"]) == "Customer")
    response = admin_client.get(CHANGELIST + header["url_primary"])
    assert [user.customer.customer_id for user in response.context["cl"].result_list] == ["ZULU", "ALPHA"]


def test_list_query_count_does_not_grow_with_rows_or_tickets(
    admin_client, monkeypatch, django_assert_num_queries, django_assert_max_num_queries
):
    companies = Customer.objects.bulk_create(build_customer(f"C{i:03d}", f"Customer {i:03d}") for i in range(10))
    users = CustomerUser.objects.bulk_create(
        build_customer_user(companies[i % 10], f"user{i:03d}", "U", f"{i:03d}", email=f"u{i}@c.example")
        for i in range(200)
    )
    Ticket.objects.bulk_create(
        build_ticket(u.customer, "t", number=f"N{u.pk}-{n}", customer_user=u, state=state)
        for u in users
        for n, state in enumerate((TicketState.OPEN, TicketState.CLOSED_SUCCESSFUL, TicketState.NEW))
    )
    admin_client.get(CHANGELIST)  # warm caches (content types, session)

    def list_page(per_page, **query):
        monkeypatch.setattr(CustomerUserAdmin, "list_per_page", per_page)
        response = admin_client.get(CHANGELIST, query)
        assert len(response.context["cl"].result_list) == per_page

    # PostgreSQL's page costs one query more than SQLite's (the planner's estimate of the count,
    # admin.pagination); the dynamic fields' definitions are one query a request, whatever the rows.
    with django_assert_max_num_queries(6) as ten_rows:
        list_page(10)
    with django_assert_num_queries(len(ten_rows)):
        list_page(100)
    # With a customer chosen in the filter (its picker shows the choice) and a search.
    filtered = {"customer__id__exact": companies[0].pk, "q": "user*"}
    with django_assert_max_num_queries(8) as ten_rows:
        list_page(10, **filtered)
    with django_assert_num_queries(len(ten_rows)):
        list_page(20, **filtered)


# --- detail view --------------------------------------------------------------


def test_the_detail_view_has_the_title_summary_and_actions(admin_client, acme):
    jane = make_customer_user(acme, title="Dr.", phone="+49 30 123")
    make_ticket(acme, "Printer", customer_user=jane)
    page = admin_client.get(url("detail", jane)).content.decode()
    assert text(element(document(page), "h2", class_="otrs-detail-title")) == "Dr. Jane Doe (jdoe)"
    assert action_groups(document(page)) == {
        "Organize": [
            ("Edit", url("change", jane)),
            ("Set invalid", url("invalidate", jane)),
            ("Anonymise", url("anonymize", jane)),
            ("Export personal data", url("export_personal_data", jane)),
            ("Merge into…", url("merge", jane)),
        ],
        "Tickets": [("Create Ticket", f"{TICKET_ADD}?customer={acme.pk}&customer_user={jane.pk}")],
    }
    assert elements(document(page), href=url("change", jane))
    assert elements(document(page), href=url("invalidate", jane))
    create_ticket = f"{TICKET_ADD}?customer={acme.pk}&customer_user={jane.pk}"
    assert elements(document(page), href=create_ticket) and "Create Ticket" in text(document(page))
    for value in ("jdoe@acme.example", "Acme Corporation (ACME)", "+49 30 123", "Database"):
        assert value in text(document(page))


def test_the_create_ticket_link_opens_a_prefilled_ticket_form(admin_client, acme):
    # A customer whose pk differs from the customer user's, so a mix-up would show.
    make_customer("OTHER", "Other")
    globex = make_customer("GLOBEX", "Globex")
    hank = make_customer_user(globex, "hank")
    assert hank.pk != globex.pk
    response = admin_client.get(TICKET_ADD, {"customer": globex.pk, "customer_user": hank.pk})
    initial = response.context["adminform"].form.initial
    assert (initial["customer"], initial["customer_user"]) == (str(globex.pk), str(hank.pk))
    page = document(admin_client.get(url("detail", hank)))
    assert elements(page, "a", href=f"{TICKET_ADD}?customer={globex.pk}&customer_user={hank.pk}")


def test_create_ticket_needs_ticket_add_permission(client, acme):
    jane = make_customer_user(acme)
    agent = User.objects.create_user("agent", password="pw", is_staff=True)
    agent.user_permissions.set(
        Permission.objects.filter(codename__in=["view_customeruser", "change_customeruser", "view_ticket"])
    )
    client.force_login(agent)
    page = client.get(url("detail", jane)).content.decode()
    assert "Create Ticket" not in page and TICKET_ADD not in page
    assert elements(document(page), href=url("change", jane))
    agent.user_permissions.add(Permission.objects.get(codename="add_ticket"))
    assert "Create Ticket" in text(document(client.get(url("detail", jane))))


def test_the_card_shows_the_customer_user(admin_client, acme):
    jane = make_customer_user(acme)
    text = admin_client.get(url("card", jane)).content.decode()
    assert "Jane Doe" in text and "jdoe@acme.example" in text and "ACME" in text


# --- set invalid ---------------------------------------------------------------


def test_set_invalid_asks_then_invalidates_and_records_it(admin_client, acme):
    jane = make_customer_user(acme)
    confirm = admin_client.get(url("invalidate", jane))
    assert confirm.status_code == 200 and "Yes, set invalid" in confirm.content.decode()
    jane.refresh_from_db()
    assert jane.is_valid
    response = admin_client.post(url("invalidate", jane))
    assert response.status_code == 302 and response["Location"] == url("detail", jane)
    jane.refresh_from_db()
    assert jane.valid == Validity.INVALID
    assert LogEntry.objects.get(object_id=str(jane.pk)).get_change_message() == "Changed Valid."
    # Once invalid, the user leaves the list and Set invalid is no longer offered.
    assert shown(admin_client) == []
    assert url("invalidate", jane) not in admin_client.get(url("detail", jane)).content.decode()
    assert admin_client.post(url("invalidate", jane)).status_code == 403


# --- add and edit ---------------------------------------------------------------


def test_the_add_form_prefills_the_customer(admin_client, acme):
    make_customer("GLOBEX", "Globex")
    response = admin_client.get(ADD, {"customer": acme.pk})
    assert response.context["adminform"].form.initial["customer"] == str(acme.pk)
    assert_in_html(f'<option value="{acme.pk}" selected>Acme Corporation (ACME)</option>', document(response))
    assert "Globex" not in response.content.decode()


def prefill_messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("customer=<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("customer=abc", "abc"),
        ("customer=99999", "99999"),  # no such customer
        ("customer=-1", "-1"),
        ("additional_customers={acme},x", "{acme},x"),
    ],
)
def test_a_prefill_the_field_cannot_take_is_left_out_with_a_message(admin_client, acme, query, shown):
    query, shown = query.format(acme=acme.pk), shown.format(acme=acme.pk)
    response = admin_client.get(f"{ADD}?{query}")
    assert response.status_code == 200
    name = query.split("=")[0]
    label = {"customer": "customer", "additional_customers": "additional customers"}[name]
    assert prefill_messages(response) == [
        f"“{shown}” from the address is not a value {label} can take; it was not filled in."
    ]
    form = response.context["adminform"].form
    assert name not in form.initial
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page  # the message shows the value escaped
    customer_select = page.split('name="customer"')[1].split("</select>")[0]
    assert "selected" not in customer_select  # the field opens empty
    # The rest of the form is as always, and it saves.
    assert form.initial["data_source"] == "database"
    assert admin_client.post(ADD, form_data(acme)).status_code == 302


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_the_prefill_survives_the_select_data_source_step(admin_client, acme):
    page = document(admin_client.get(ADD, {"customer": acme.pk}))
    assert "select data source" in text(page).lower()
    assert elements(page, name="customer", value=str(acme.pk))
    response = admin_client.get(ADD, {"customer": acme.pk, "data_source": "archive"})
    initial = response.context["adminform"].form.initial
    assert (initial["customer"], initial["data_source"]) == (str(acme.pk), "archive")


def test_adding_a_customer_user(admin_client, acme):
    response = admin_client.post(ADD, form_data(acme))
    assert response.status_code == 302
    john = CustomerUser.objects.get()
    assert (john.login, john.full_name, john.customer, john.data_source) == ("jsmith", "John Smith", acme, "database")


@override_settings(OTRS_CUSTOMER_ADMIN={"DEFAULT_COUNTRY": "AT"})
def test_a_customer_users_country_is_optional_and_starts_empty(admin_client, acme):
    # Neither the list's first country nor DEFAULT_COUNTRY (that is for customers).
    assert selected_country(admin_client.get(ADD).content.decode()) == [""]
    assert admin_client.post(ADD, form_data(acme, country="")).status_code == 302
    assert not CustomerUser.objects.get().country


def test_editing_a_customer_user_is_in_the_history(admin_client, acme):
    jane = make_customer_user(acme)
    data = form_data(acme, first_name="Jane", last_name="Doe", login="jdoe", email=jane.email, phone="+49 1")
    response = admin_client.post(url("change", jane), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    jane.refresh_from_db()
    assert jane.phone == "+49 1"
    assert LogEntry.objects.get(object_id=str(jane.pk)).get_change_message() == "Changed Phone."


def test_the_edit_form_shows_the_customer_and_offers_set_invalid(admin_client, acme):
    jane = make_customer_user(acme)
    page = admin_client.get(url("change", jane)).content.decode()
    assert_in_html(f'<option value="{acme.pk}" selected>Acme Corporation (ACME)</option>', document(page))
    assert url("invalidate", jane) in page and elements(document(page), name="_save")
    assert "read-only data source" not in page


def test_the_form_sections_are_otrs_s(admin_client):
    titles = [str(fieldset.name) for fieldset in admin_client.get(ADD).context["adminform"]]
    assert titles == ["Data source", "Customer user information", "Customer", "Contact", "Address", "Miscellaneous"]


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"login": "JDOE"}, "login", "already exists"),
        ({"email": "JDOE@Acme.Example"}, "email", "already exists"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"email": "jane@@acme.example"}, "email", "valid email"),
        ({"login": ""}, "login", "required"),
        ({"customer": ""}, "customer", "required"),
    ],
)
def test_errors_appear_next_to_their_fields(admin_client, acme, fields, field, message):
    make_customer_user(acme, "jdoe", email="jdoe@acme.example")
    response = admin_client.post(ADD, form_data(acme, **fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert CustomerUser.objects.count() == 1


def test_an_invalid_customer_user_may_share_an_email(admin_client, acme):
    make_customer_user(acme, "jdoe", email="jdoe@acme.example")
    response = admin_client.post(ADD, form_data(acme, email="JDOE@acme.example", valid=str(Validity.INVALID)))
    assert response.status_code == 302
    assert CustomerUser.objects.filter(email__iexact="jdoe@acme.example").count() == 2
    # Making the second one valid again is refused, next to the email.
    second = CustomerUser.objects.get(login="jsmith")
    data = form_data(acme, email="JDOE@acme.example", valid=str(Validity.VALID))
    response = admin_client.post(url("change", second), data)
    assert list(response.context["adminform"].form.errors) == ["email"]
    second.refresh_from_db()
    assert second.valid == Validity.INVALID


def test_a_login_stays_unique_even_among_invalid_users(admin_client, acme):
    make_customer_user(acme, "jdoe", valid=Validity.INVALID)
    response = admin_client.post(ADD, form_data(acme, login="JDoe"))
    assert list(response.context["adminform"].form.errors) == ["login"]
    assert CustomerUser.objects.count() == 1


# --- read-only sources -------------------------------------------------------


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_a_read_only_customer_user_opens_read_only_with_a_notice(admin_client, directory_user):
    for view in ("change", "detail"):
        page = admin_client.get(url(view, directory_user)).content.decode()
        assert "read-only data source Head office LDAP" in page
        assert 'name="_save"' not in page
        assert "Set invalid" not in page
        assert url("invalidate", directory_user) not in page
    page = admin_client.get(CHANGELIST).content.decode()
    assert url("change", directory_user) not in page


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_no_admin_route_changes_a_read_only_customer_user(admin_client, directory_user):
    data = form_data(
        directory_user.customer,
        data_source="directory",
        login="dir.user",
        first_name="Hacked",
        last_name="Directory",
        email=directory_user.email,
    )
    assert admin_client.post(url("change", directory_user), data).status_code == 403
    assert admin_client.post(url("invalidate", directory_user)).status_code == 403
    assert admin_client.post(url("delete", directory_user), {"post": "yes"}).status_code == 403
    directory_user.refresh_from_db()
    assert (directory_user.first_name, directory_user.valid) == ("Dora", Validity.VALID)


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_a_new_customer_user_cannot_be_put_into_a_read_only_source(admin_client, acme):
    response = admin_client.post(ADD + "?data_source=directory", form_data(acme, data_source="directory"))
    assert response.status_code == 200
    assert "data_source" in response.context["adminform"].form.errors
    assert not CustomerUser.objects.exists()


# --- pickers -------------------------------------------------------------------


def autocomplete(client, field_name, term=""):
    response = client.get(
        AUTOCOMPLETE,
        {"app_label": "otrs_customer_admin", "model_name": "ticket", "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return sorted(item["text"] for item in response.json()["results"])


def test_the_ticket_form_pickers_offer_only_valid_records(admin_client, acme):
    make_customer("ACMEOLD", "Acme Old", valid=Validity.INVALID)
    make_customer("ACMETMP", "Acme Temp", valid=Validity.INVALID_TEMPORARILY)
    make_customer_user(acme, "jdoe", "Jane", "Doe")
    make_customer_user(acme, "jold", "Jane", "Old", valid=Validity.INVALID)
    make_customer_user(acme, "jtmp", "Jane", "Temp", valid=Validity.INVALID_TEMPORARILY)
    assert autocomplete(admin_client, "customer", "acme") == ["Acme Corporation (ACME)"]
    assert autocomplete(admin_client, "customer") == ["Acme Corporation (ACME)"]
    assert autocomplete(admin_client, "customer_user", "jane") == ["Jane Doe (jdoe)"]
    assert autocomplete(admin_client, "customer_user", "j*") == ["Jane Doe (jdoe)"]
    # The pickers search in OTRS syntax too.
    assert autocomplete(admin_client, "customer_user", "doe || old") == ["Jane Doe (jdoe)"]
