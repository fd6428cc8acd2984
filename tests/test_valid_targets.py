"""Only valid records are usable: new tickets, new customer users and changes that move a ticket
or a person to another record need a valid one, in the model layer, the admin forms and the
import. What was linked before its record became invalid stays linked."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.urls import reverse

from otrs_customer_admin.datasources import get_data_source
from otrs_customer_admin.models import CustomerUser, Ticket, Validity
from tests.factories import build_customer_user, build_ticket, make_customer, make_customer_user, make_ticket
from tests.importing import import_customer_users, plain_csv, problems
from tests.markup import attribute, document, element, elements, text
from tests.test_additional_customers import customer_form
from tests.test_admin_customer_users import form_data as person_form
from tests.test_admin_tickets import TICKET_ADD, ticket_form

pytestmark = pytest.mark.django_db

OLD = "Customer Acme Old (ACME-OLD) is not valid; choose a valid customer."
GONE = "Customer user Gone Away (gone) is not valid; choose a valid customer user."
PERSON_ADD = reverse("admin:otrs_customer_admin_customeruser_add")


@pytest.fixture
def firms():
    """Acme (valid) with Jane; Acme Old, invalid since Olga and a ticket of hers joined it; Gone, a
    person of Acme who left after a ticket of theirs."""
    acme = make_customer("ACME", "Acme Corporation")
    old = make_customer("ACME-OLD", "Acme Old")
    jane = make_customer_user(acme, "jdoe")
    gone = make_customer_user(acme, "gone", "Gone", "Away")
    olga = make_customer_user(old, "olga", "Olga", "Old")
    make_ticket(old, "Olga's printer", customer_user=olga)
    make_ticket(acme, "Gone's printer", customer_user=gone)
    old.invalidate()
    gone.invalidate()
    return acme, old, jane, gone, olga


def errors_of(caught):
    return caught.value.message_dict


def change(obj):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_change", args=[obj.pk])


# --- tickets, in the model -------------------------------------------------------------------------


def test_a_new_ticket_needs_a_valid_customer_and_customer_user(firms):
    acme, old, _jane, gone, _olga = firms
    before = Ticket.objects.count()
    for ticket, field, message in (
        (build_ticket(old, "t"), "customer", OLD),
        (build_ticket(acme, "t", customer_user=gone), "customer_user", GONE),
    ):
        with pytest.raises(ValidationError) as caught:
            ticket.full_clean()
        assert errors_of(caught)[field] == [message]
        with pytest.raises(ValidationError) as caught:
            ticket.save()
        assert errors_of(caught) == {field: [message]}
        with pytest.raises(ValidationError):
            Ticket.objects.bulk_create([ticket])
    assert Ticket.objects.count() == before


def test_a_ticket_moves_only_to_a_valid_customer_and_customer_user(firms):
    acme, old, jane, gone, _olga = firms
    ticket = make_ticket(acme, "Jane's printer")
    ticket.customer = old
    with pytest.raises(ValidationError, match="Acme Old"):
        ticket.full_clean()
    with pytest.raises(ValidationError, match="Acme Old"):
        ticket.save()
    with pytest.raises(ValidationError, match="Acme Old"):
        Ticket.objects.bulk_update([ticket], ["customer"])
    with pytest.raises(ValidationError, match="Acme Old"):
        Ticket.objects.filter(pk=ticket.pk).update(customer=old)
    ticket.customer, ticket.customer_user = acme, gone
    with pytest.raises(ValidationError, match="Gone Away"):
        ticket.save()
    with pytest.raises(ValidationError, match="Gone Away"):
        Ticket.objects.filter(pk=ticket.pk).update(customer_user=gone)
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.customer_user) == (acme, None)
    ticket.customer_user = jane
    ticket.save()  # a valid person of its customer it may take


def test_a_ticket_keeps_a_customer_and_customer_user_that_became_invalid(firms):
    _acme, old, _jane, _gone, _olga = firms
    olgas = Ticket.objects.get(customer=old)
    olgas.title = "Olga's printer, again"
    olgas.full_clean()
    olgas.save()
    gones = Ticket.objects.get(customer_user__login="gone")
    gones.state = "open"
    Ticket.objects.bulk_update([gones], ["state", "customer", "customer_user"])
    Ticket.objects.filter(pk__in=[olgas.pk, gones.pk]).update(customer_user=F("customer_user"))
    assert Ticket.objects.get(pk=gones.pk).state == "open"
    assert Ticket.objects.get(pk=olgas.pk).title == "Olga's printer, again"


# --- customer users, in the model ---------------------------------------------------------------


def test_a_new_customer_user_needs_a_valid_customer(firms):
    _acme, old, _jane, _gone, _olga = firms
    person = build_customer_user(old, "new", "New", "Person")
    with pytest.raises(ValidationError) as caught:
        person.full_clean()
    assert errors_of(caught)["customer"] == [OLD]
    with pytest.raises(ValidationError, match="Acme Old"):
        person.save()
    with pytest.raises(ValidationError, match="Acme Old"):
        CustomerUser.objects.bulk_create([person])
    assert not CustomerUser.objects.filter(login="new").exists()


def test_a_customer_user_moves_only_to_a_valid_customer(firms):
    acme, old, jane, _gone, _olga = firms
    jane.customer = old
    with pytest.raises(ValidationError, match="Acme Old"):
        jane.full_clean()
    with pytest.raises(ValidationError, match="Acme Old"):
        jane.save()
    with pytest.raises(ValidationError, match="Acme Old"):
        CustomerUser.objects.bulk_update([jane], ["customer"])
    with pytest.raises(ValidationError, match="Acme Old"):
        CustomerUser.objects.filter(pk=jane.pk).update(customer=old)
    jane.refresh_from_db()
    assert jane.customer == acme


def test_a_customer_user_keeps_a_customer_that_became_invalid(firms):
    _acme, old, _jane, _gone, olga = firms
    olga.phone = "+49 30 1"
    olga.full_clean()
    olga.save()
    CustomerUser.objects.bulk_update([olga], ["phone", "customer"])
    CustomerUser.objects.filter(pk=olga.pk).update(customer=old)
    assert CustomerUser.objects.get(pk=olga.pk).customer == old


def test_an_additional_customer_must_be_valid_when_it_is_linked(firms):
    acme, old, jane, _gone, olga = firms
    # Django links without a savepoint: a refusal breaks the transaction around it, as a database error would.
    with pytest.raises(ValidationError, match="Acme Old"), transaction.atomic():
        jane.additional_customers.add(old)
    with pytest.raises(ValidationError, match="Acme Old"), transaction.atomic():
        old.additional_customer_users.add(jane)
    assert list(jane.additional_customers.all()) == []
    globex = make_customer("GLOBEX", "Globex")
    olga.additional_customers.add(globex)
    globex.invalidate()
    olga.additional_customers.set([globex, acme])  # the link made before stays, a valid one joins it
    assert set(olga.additional_customers.all()) == {globex, acme}


SOURCES = {
    "DATA_SOURCES": {
        "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
        "directory": {"BACKEND": "tests.sources.DirectorySource"},
    }
}


@override_settings(OTRS_CUSTOMER_ADMIN=SOURCES)
def test_a_directorys_people_follow_their_sync_to_any_customer(firms):
    _acme, old, _jane, _gone, _olga = firms
    with get_data_source("directory").writing():
        person = make_customer_user(old, "dir", "Dora", "Directory", data_source="directory")
    assert person.customer == old


# --- the merge ------------------------------------------------------------------------------------


def test_a_merge_moves_everything_into_a_valid_customer_and_then_retires_from(firms):
    acme, _old, _jane, _gone, _olga = firms
    twin = make_customer("ACME-2", "Acme Twin")
    make_ticket(twin, "Twin's ticket", customer_user=make_customer_user(twin, "twin", "Tim", "Twin"))
    call_command("merge_customers", "ACME-2", "ACME")
    twin.refresh_from_db()
    assert not twin.is_valid
    assert Ticket.objects.get(title="Twin's ticket").customer == acme
    assert CustomerUser.objects.get(login="twin").customer == acme


# --- the admin forms ---------------------------------------------------------------------------


def test_the_ticket_form_refuses_an_invalid_customer_or_customer_user(admin_client, firms):
    acme, old, _jane, gone, _olga = firms
    before = Ticket.objects.count()
    for data, field, message in (
        (ticket_form(old), "customer", OLD),
        (ticket_form(acme, gone), "customer_user", GONE),
    ):
        response = admin_client.post(TICKET_ADD, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors[field] == [message]
    assert Ticket.objects.count() == before


def test_the_ticket_form_saves_a_ticket_whose_customer_became_invalid(admin_client, firms):
    _acme, old, _jane, _gone, olga = firms
    ticket = Ticket.objects.get(customer=old)
    response = admin_client.post(change(ticket), ticket_form(old, olga, title="Still Olga's printer"))
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).title == "Still Olga's printer"


def test_the_customer_user_form_refuses_an_invalid_customer_and_additional_customer(admin_client, firms):
    acme, old, jane, _gone, olga = firms
    response = admin_client.post(PERSON_ADD, person_form(old))
    assert response.context["adminform"].form.errors["customer"] == [OLD]
    moved = person_form(old, login="jdoe", first_name="Jane", last_name="Doe", email=jane.email)
    response = admin_client.post(change(jane), moved)
    assert response.context["adminform"].form.errors["customer"] == [OLD]
    response = admin_client.post(PERSON_ADD, person_form(acme, additional_customers=[str(old.pk)]))
    assert response.context["adminform"].form.errors["additional_customers"] == [OLD]
    assert not CustomerUser.objects.filter(login="jsmith").exists()
    assert CustomerUser.objects.get(pk=jane.pk).customer == acme
    # Olga stays at her customer, which became invalid after she joined it.
    kept = person_form(old, login="olga", first_name="Olga", last_name="Old", email=olga.email, phone="+49 1")
    assert admin_client.post(change(olga), kept).status_code == 302
    assert CustomerUser.objects.get(pk=olga.pk).phone == "+49 1"


def test_the_customer_page_links_only_valid_people_to_a_valid_customer(admin_client, firms):
    _acme, old, jane, gone, _olga = firms
    globex = make_customer("GLOBEX", "Globex Corporation")
    response = admin_client.post(change(globex), customer_form(globex, [gone]))
    assert response.context["inline_admin_formsets"][1].formset.errors == [{"__all__": [GONE]}]
    data = customer_form(old, [jane])
    data.update(valid=str(Validity.INVALID), customer_id="ACME-OLD")
    response = admin_client.post(change(old), data)
    assert response.context["inline_admin_formsets"][1].formset.errors == [{"__all__": [OLD]}]
    assert list(jane.additional_customers.all()) == []


def test_a_person_added_on_an_invalid_customers_page_is_refused_where_it_shows(admin_client, firms):
    _acme, old, _jane, _gone, _olga = firms
    data = customer_form(old)
    data.update(valid=str(Validity.INVALID), customer_id="ACME-OLD")
    data.update(
        {
            "customer_users-TOTAL_FORMS": "1",
            "customer_users-0-login": "new",
            "customer_users-0-first_name": "New",
            "customer_users-0-last_name": "Person",
            "customer_users-0-email": "new@acme.example",
            "customer_users-0-valid": "1",
            "customer_users-0-customer": str(old.pk),
        }
    )
    response = admin_client.post(change(old), data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors == [{"__all__": [OLD]}]
    assert OLD in response.content.decode()
    assert not CustomerUser.objects.filter(login="new").exists()


# --- the race with a merge ----------------------------------------------------------------------


def submitted(page, form_id="ticket_form"):
    """What a browser submits from the page's change form: its named inputs, selects and text areas."""
    form = element(document(page), "form", id=form_id)
    values = {}
    for field in elements(form, "input"):
        name, kind = attribute(field, "name"), attribute(field, "type") or "text"
        if (
            name
            and kind not in ("submit", "button", "file")
            and (kind != "checkbox" or "checked" in dict(field.attributes))
        ):
            # A checkbox without a value sends "on"; inputs sharing a name (checkboxes of one
            # multiselect, the hidden initial values of one) send all their values.
            value = attribute(field, "value") or ("on" if kind == "checkbox" else "")
            if name in values:
                before = values[name]
                values[name] = [*before, value] if isinstance(before, list) else [before, value]
            else:
                values[name] = value
    for field in elements(form, "select"):
        chosen = [
            attribute(option, "value") for option in elements(field, "option") if "selected" in dict(option.attributes)
        ]
        if attribute(field, "name"):
            multiple = "multiple" in dict(field.attributes)
            values[attribute(field, "name")] = chosen if multiple else chosen[0] if chosen else ""
    for field in elements(form, "textarea"):
        values[attribute(field, "name")] = text(field)
    return values


def test_a_ticket_form_opened_before_a_merge_cannot_put_the_ticket_back_on_the_merged_customer(admin_client):
    acme = make_customer("ACME", "Acme Corporation")
    twin = make_customer("ACME-2", "Acme Twin")
    tim = make_customer_user(twin, "tim", "Tim", "Twin")
    ticket = make_ticket(twin, "Printer on fire", customer_user=tim)
    opened = submitted(admin_client.get(change(ticket)).content.decode())
    new_opened = submitted(admin_client.get(TICKET_ADD, {"customer": twin.pk, "customer_user": tim.pk}).content)
    assert opened["customer"] == new_opened["customer"] == str(twin.pk)

    call_command("merge_customers", "ACME-2", "ACME")

    response = admin_client.post(change(ticket), {**opened, "title": "Printer still on fire"})
    assert response.status_code == 200
    message = "Customer Acme Twin (ACME-2) is not valid; choose a valid customer."
    assert response.context["adminform"].form.errors["customer"] == [message]
    ticket.refresh_from_db()
    assert (ticket.title, ticket.customer) == ("Printer on fire", acme)

    response = admin_client.post(TICKET_ADD, {**new_opened, "title": "Another printer"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"] == [message]
    assert not Ticket.objects.filter(title="Another printer").exists()


# --- the import -----------------------------------------------------------------------------------


def header(*names):
    return ["UserLogin", "UserFirstname", "UserLastname", "UserEmail", "UserCustomerID", *names]


def test_the_import_links_people_only_to_valid_customers(firms):
    _acme, _old, jane, _gone, _olga = firms
    rows = [
        header("UserCustomerIDs"),
        ["new", "New", "Person", "new@acme.example", "acme-old", ""],
        ["jdoe", "Jane", "Doe", jane.email, "ACME-OLD", ""],
        ["hank", "Hank", "Scorpio", "hank@acme.example", "ACME", "ACME; Acme Old"],
    ]
    report = import_customer_users(plain_csv(rows))
    assert problems(report) == [
        "Line 2, UserCustomerID: the customer Acme Old (ACME-OLD) is not valid; name a valid customer.",
        "Line 3, UserCustomerID: the customer Acme Old (ACME-OLD) is not valid; name a valid customer.",
        "Line 4, UserCustomerIDs: the additional customer Acme Old (ACME-OLD) is not valid; name only valid customers.",
    ]
    assert not CustomerUser.objects.filter(login__in=["new", "hank"]).exists()
    assert CustomerUser.objects.get(login="jdoe").customer.customer_id == "ACME"


def test_the_import_keeps_people_at_customers_that_became_invalid(firms):
    _acme, old, _jane, _gone, olga = firms
    globex = make_customer("GLOBEX", "Globex")
    olga.additional_customers.add(globex)
    globex.invalidate()
    rows = [header("UserCustomerIDs", "UserPhone"), ["olga", "Olga", "Old", olga.email, "ACME-OLD", "GLOBEX", "+49 1"]]
    report = import_customer_users(plain_csv(rows))
    assert (problems(report), report.updated) == ([], 1)
    olga.refresh_from_db()
    assert (olga.customer, olga.phone, list(olga.additional_customers.all())) == (old, "+49 1", [globex])


def test_an_invalid_default_customer_is_refused(firms):
    rows = [["login", "firstname", "lastname", "email"], ["nick", "Nick", "Nobody", "nick@example.com"]]
    report = import_customer_users(plain_csv(rows), default_customer="acme-old")
    assert problems(report) == [
        "Default customer: the customer Acme Old (ACME-OLD) is not valid; choose a valid customer.",
    ]
    assert not CustomerUser.objects.filter(login="nick").exists()
