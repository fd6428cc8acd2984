"""The customer list, detail page, create and edit as an admin uses them."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.urls import reverse
from django.utils.text import capfirst
from unfold.widgets import UnfoldAdminSelectWidget

from otrs_customer_admin.admin.customer import CustomerAdmin
from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import Customer, CustomerUser, Ticket, TicketState, Validity
from tests.factories import build_customer, build_customer_user, build_ticket, make_customer, make_ticket
from tests.markup import action_groups, attribute, document, element, elements, text

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:otrs_customer_admin_customer_changelist")
ADD = reverse("admin:otrs_customer_admin_customer_add")

SOURCES = {
    "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
    "archive": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource", "LABEL": "Archive DB"},
    "directory": {"BACKEND": "tests.sources.DirectorySource", "LABEL": "Head office LDAP"},
}


def url(name, obj):
    return reverse(f"admin:otrs_customer_admin_customer_{name}", args=[obj.pk])


def form_data(**fields):
    return {
        "data_source": "database",
        "name": "Initech",
        "customer_id": "INITECH",
        "valid": "1",
        "street": "",
        "zip": "",
        "city": "Austin",
        "country": "US",
        "url": "",
        "comment": "",
        "customer_users-TOTAL_FORMS": "0",
        "customer_users-INITIAL_FORMS": "0",
        "customer_users-MIN_NUM_FORMS": "0",
        "customer_users-MAX_NUM_FORMS": "1000",
        "additional_customer_users-TOTAL_FORMS": "0",
        "additional_customer_users-INITIAL_FORMS": "0",
        **fields,
    }


@pytest.fixture
def directory_customer():
    with override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES}), get_data_source("directory").writing():
        return make_customer("DIR", "Directory Inc", data_source="directory")


# --- the list ---------------------------------------------------------------


def test_the_list_shows_valid_customers_by_default_and_filters_the_others(admin_client):
    make_customer("A", "Alpha", valid=Validity.VALID)
    make_customer("B", "Beta", valid=Validity.INVALID)
    make_customer("C", "Gamma", valid=Validity.INVALID_TEMPORARILY)

    def shown(query=""):
        response = admin_client.get(CHANGELIST + query)
        return sorted(obj.customer_id for obj in response.context["cl"].result_list)

    assert shown() == ["A"]
    assert shown("?validity=invalid") == ["B"]
    assert shown("?validity=invalid-temporarily") == ["C"]
    assert shown("?validity=all") == ["A", "B", "C"]
    assert shown("?validity=nonsense") == ["A"]


def test_the_list_columns(admin_client):
    acme = make_customer(city="Berlin", url="https://acme.example")
    for state in (TicketState.OPEN, TicketState.NEW, TicketState.CLOSED_SUCCESSFUL, TicketState.MERGED):
        make_ticket(acme, "t", state=state)
    response = admin_client.get(CHANGELIST)
    page = response.content.decode()
    headers = [capfirst(str(header["text"])) for header in response.context["result_headers"]]
    assert headers == [
        "CustomerID",
        "Customer",
        "City",
        "Country",
        "Validity",
        "Data source",
        "Open tickets",
        "Closed tickets",
        "Edit",
    ]
    row = [str(cell) for cell in response.context["results"][0]]
    assert "Germany" in row[3] and "valid" in row[4] and "Database" in row[5]
    assert ">2<" in row[6].replace(" ", "") and ">1<" in row[7].replace(" ", "")
    # CustomerID and name open the detail view and carry the card; the pencil opens the form.
    assert len(elements(document(page), "a", href=url("detail", acme), data_otrs_card=url("card", acme))) == 2
    assert elements(document(page), "a", href=url("change", acme), title="Edit Acme Corporation")


def test_the_list_has_no_bulk_actions(admin_client):
    make_customer()
    page = admin_client.get(CHANGELIST).content.decode()
    assert "action-checkbox" not in page
    assert "delete_selected" not in page


def test_search_uses_otrs_syntax_over_id_name_and_city(admin_client):
    make_customer("ACME", "Acme Corporation", city="Berlin")
    make_customer("GLOBEX", "Globex", city="Springfield")
    make_customer("INITECH", "Initech", city="Austin")

    def found(query):
        response = admin_client.get(CHANGELIST, {"q": query})
        return sorted(obj.customer_id for obj in response.context["cl"].result_list)

    assert found("ac*e") == ["ACME"]
    assert found("spring") == ["GLOBEX"]
    assert found("acme || austin") == ["ACME", "INITECH"]
    assert found("!acme && !globex") == ["INITECH"]


def test_a_malformed_search_is_matched_literally_with_a_message(admin_client):
    make_customer("ACME", "Acme (Berlin")
    response = admin_client.get(CHANGELIST, {"q": "(berlin"}, follow=True)
    assert response.status_code == 200
    assert [obj.customer_id for obj in response.context["cl"].result_list] == ["ACME"]
    assert "matched literally" in response.content.decode()


@pytest.mark.parametrize("per_page", [10, 100])
def test_list_query_count_does_not_grow_with_rows_or_tickets(
    admin_client, per_page, monkeypatch, django_assert_max_num_queries
):
    customers = Customer.objects.bulk_create(build_customer(f"C{i:03d}", f"Customer {i:03d}") for i in range(100))
    Ticket.objects.bulk_create(
        build_ticket(c, "t", number=f"N{c.pk}-{n}", state=TicketState.OPEN) for c in customers for n in range(5)
    )
    admin_client.get(CHANGELIST)  # warm caches (content types, session)
    monkeypatch.setattr(CustomerAdmin, "list_per_page", per_page)
    # The same handful of queries for 10 rows as for 100.
    with django_assert_max_num_queries(6):
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == per_page


# --- detail view --------------------------------------------------------------


def test_the_detail_view_has_the_title_and_actions(admin_client):
    acme = make_customer()
    page = admin_client.get(url("detail", acme)).content.decode()
    assert text(element(document(page), "h2", class_="otrs-detail-title")) == "Acme Corporation (ACME)"
    assert elements(document(page), href=url("change", acme))
    add_user = reverse("admin:otrs_customer_admin_customeruser_add") + f"?customer={acme.pk}"
    assert elements(document(page), href=add_user)
    assert action_groups(document(page)) == {
        "Organize": [
            ("Edit", url("change", acme)),
            ("Set invalid", url("invalidate", acme)),
            ("Merge into…", url("merge", acme)),
        ],
        "People": [("Add Customer User", add_user)],
    }


def test_add_customer_user_needs_add_permission(client):
    acme = make_customer()
    user = User.objects.create_user("agent", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_customer", "change_customer", "view_customeruser"])
    )
    client.force_login(user)
    page = client.get(url("detail", acme)).content.decode()
    assert "Add Customer User" not in page
    assert action_groups(document(page)) == {
        "Organize": [("Edit", url("change", acme)), ("Set invalid", url("invalidate", acme))]
    }


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"directory": SOURCES["directory"]}})
def test_add_customer_user_is_hidden_without_a_writable_source(admin_client):
    with get_data_source("directory").writing():
        acme = make_customer(data_source="directory")
    page = admin_client.get(url("detail", acme)).content.decode()
    assert "Add Customer User" not in page
    assert "Head office LDAP" in page


def test_the_prefilled_customer_user_form(admin_client):
    acme = make_customer()
    response = admin_client.get(reverse("admin:otrs_customer_admin_customeruser_add"), {"customer": acme.pk})
    assert response.context["adminform"].form.initial["customer"] == str(acme.pk)
    assert "Acme Corporation (ACME)" in response.content.decode()


# --- create and edit -----------------------------------------------------------


def test_with_one_writable_source_the_form_opens_directly(admin_client):
    response = admin_client.get(ADD)
    assert "adminform" in response.context
    assert admin_client.post(ADD, form_data()).status_code == 302
    assert Customer.objects.get().data_source == "database"


def unfold_classes(widget_class):
    return set(widget_class().attrs["class"].split())


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_the_data_source_selects_are_unfolds(admin_client):
    # The step before the form, and the add form: unfold's select, labelled as unfold labels fields.
    for response in (admin_client.get(ADD), admin_client.get(ADD, {"data_source": "archive"})):
        select = element(document(response), "select", name="data_source")
        assert unfold_classes(UnfoldAdminSelectWidget) <= set(attribute(select, "class").split())
    field = element(document(admin_client.get(ADD)), "div", class_="form-field")
    assert text(element(field, "label", **{"for": "id_data_source"})).startswith("Data source")
    assert element(field, "select", name="data_source") is not None


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_with_several_writable_sources_adding_starts_by_selecting_one(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert "select data source" in page.lower()
    assert elements(document(page), value="database") and elements(document(page), value="archive")
    assert "directory" not in page  # read-only sources are never offered
    response = admin_client.get(ADD, {"data_source": "archive"})
    form = response.context["adminform"].form
    assert form.initial["data_source"] == "archive"
    assert [key for key, _label in form.fields["data_source"].choices] == ["database", "archive"]
    assert admin_client.post(ADD + "?data_source=archive", form_data(data_source="archive")).status_code == 302
    assert Customer.objects.get().data_source == "archive"
    response = admin_client.post(ADD, form_data(data_source="directory", customer_id="X", name="X"))
    assert "data_source" in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"customer_id": "acme corp"}, "customer_id", "may contain only letters"),
        ({"customer_id": "acme"}, "customer_id", "already exists"),
        ({"name": "ACME CORPORATION"}, "name", "already exists"),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid URL"),
        ({"comment": "c" * 251}, "comment", "at most 250"),
        ({"country": ""}, "country", "required"),
    ],
)
def test_errors_appear_next_to_their_fields(admin_client, fields, field, message):
    make_customer()
    response = admin_client.post(ADD, form_data(**fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Customer.objects.count() == 1


def country_options(page):
    """``(value, selected)`` of each option of the form's country select."""
    select = element(document(page), "select", name="country")
    return [
        (attribute(option, "value"), "selected" in dict(option.attributes)) for option in elements(select, "option")
    ]


def selected_country(page):
    return [value for value, selected in country_options(page) if selected]


def test_a_new_customer_has_no_country_until_one_is_chosen(admin_client):
    options = country_options(admin_client.get(ADD).content.decode())
    assert options[0] == ("", True)  # the empty choice, selected
    assert selected_country(admin_client.get(ADD).content.decode()) == [""]  # not Afghanistan, the list's first
    response = admin_client.post(ADD, form_data(country=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["country"] == ["This field is required."]
    assert not Customer.objects.exists()


@override_settings(OTRS_CUSTOMER_ADMIN={"DEFAULT_COUNTRY": "AT"})
def test_a_new_customer_starts_from_the_default_country_setting(admin_client):
    options = country_options(admin_client.get(ADD).content.decode())
    assert [value for value, selected in options if selected] == ["AT"]
    assert ("", False) in options  # and may still be emptied, which the form refuses
    acme = make_customer(country="DE")
    assert selected_country(admin_client.get(url("change", acme)).content.decode()) == [
        "DE"
    ]  # a saved customer keeps its own


def test_the_form_sections_are_otrs_s(admin_client):
    titles = [fieldset.name for fieldset in admin_client.get(ADD).context["adminform"]]
    assert [str(t) for t in titles] == ["Data source", "Customer information", "Address", "Miscellaneous"]


def test_every_change_is_in_the_history_with_its_fields(admin_client):
    acme = make_customer(city="Berlin")
    response = admin_client.post(
        url("change", acme), form_data(customer_id="ACME", name="Acme Corporation", city="Bonn", country="DE")
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(acme.pk))
    assert entry.get_change_message() == "Changed City."
    # The history page shows the values: from what to what.
    history = admin_client.get(url("history", acme)).content.decode()
    assert "<bdi>Berlin</bdi> &rarr; <bdi>Bonn</bdi>" in history


# --- read-only sources -------------------------------------------------------


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_a_read_only_customer_opens_read_only_with_a_notice(admin_client, directory_customer):
    page = admin_client.get(url("change", directory_customer)).content.decode()
    assert "read-only data source Head office LDAP" in page
    assert 'name="_save"' not in page
    assert "Set invalid" not in page


@override_settings(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": SOURCES})
def test_no_admin_route_changes_a_read_only_customer(admin_client, directory_customer):
    data = form_data(data_source="directory", customer_id="DIR", name="Hacked", country="DE")
    assert admin_client.post(url("change", directory_customer), data).status_code == 403
    data.update({"customer_users-TOTAL_FORMS": "1", "customer_users-0-login": "x", "customer_users-0-first_name": "x"})
    assert admin_client.post(url("change", directory_customer), data).status_code == 403
    assert admin_client.post(url("invalidate", directory_customer)).status_code == 403
    assert admin_client.post(url("delete", directory_customer), {"post": "yes"}).status_code == 403
    directory_customer.refresh_from_db()
    assert (directory_customer.name, directory_customer.valid) == ("Directory Inc", Validity.VALID)
    assert not CustomerUser.objects.exists()


# --- set invalid and delete ------------------------------------------------------


def test_set_invalid_asks_then_invalidates_and_records_it(admin_client):
    acme = make_customer()
    confirm = admin_client.get(url("invalidate", acme))
    assert confirm.status_code == 200 and "Yes, set invalid" in confirm.content.decode()
    acme.refresh_from_db()
    assert acme.is_valid
    response = admin_client.post(url("invalidate", acme))
    assert response.status_code == 302 and response["Location"] == url("detail", acme)
    acme.refresh_from_db()
    assert acme.valid == Validity.INVALID
    assert LogEntry.objects.get(object_id=str(acme.pk)).get_change_message() == "Changed Valid."


def test_set_invalid_is_offered_on_the_detail_and_edit_pages(admin_client):
    acme = make_customer()
    for page in (url("detail", acme), url("change", acme)):
        assert url("invalidate", acme) in admin_client.get(page).content.decode()


def test_no_delete_by_default(admin_client):
    acme = make_customer()
    assert admin_client.post(url("delete", acme), {"post": "yes"}).status_code == 403
    assert "deletelink" not in admin_client.get(url("change", acme)).content.decode()
    assert Customer.objects.exists()


@override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True})
def test_allow_delete_deletes_but_protects_customers_with_users_or_tickets(admin_client):
    plain = make_customer("PLAIN", "Plain")
    busy = make_customer("BUSY", "Busy")
    make_ticket(busy, "Still open")
    page = admin_client.get(url("delete", busy)).content.decode()
    assert "protected related objects" in page and "Still open" in page
    admin_client.post(url("delete", busy), {"post": "yes"})
    assert Customer.objects.filter(pk=busy.pk).exists()
    assert admin_client.post(url("delete", plain), {"post": "yes"}).status_code == 302
    assert not Customer.objects.filter(pk=plain.pk).exists()


# --- customer users inline ---------------------------------------------------------


def test_customer_users_are_inline_ten_a_page_and_editable(admin_client):
    acme = make_customer()
    users = CustomerUser.objects.bulk_create(
        build_customer_user(acme, f"user{i:02d}", "U", f"{i:02d}", email=f"u{i}@a.example") for i in range(15)
    )
    response = admin_client.get(url("change", acme))
    formset = response.context["inline_admin_formsets"][0].formset
    assert len(formset.forms) == 10
    second_page = admin_client.get(url("change", acme), {formset.prefix + "-page": 2}).context["inline_admin_formsets"][
        0
    ]
    assert len(second_page.formset.forms) == 5
    data = form_data(customer_id="ACME", name="Acme Corporation", country="DE")
    data.update(
        {
            "customer_users-TOTAL_FORMS": "1",
            "customer_users-INITIAL_FORMS": "1",
            "customer_users-0-id": str(users[0].pk),
            "customer_users-0-customer": str(acme.pk),
            "customer_users-0-login": "user00",
            "customer_users-0-first_name": "Renamed",
            "customer_users-0-last_name": "00",
            "customer_users-0-email": "u0@a.example",
            "customer_users-0-valid": "1",
        }
    )
    response = admin_client.post(url("change", acme), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    users[0].refresh_from_db()
    assert users[0].first_name == "Renamed"
