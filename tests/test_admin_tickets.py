"""The ticket and SLA admin: lists, filters, search, forms and escalation as an agent sees them."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import formats, timezone

from otrs_customer_admin.admin.ticket import TicketAdmin
from otrs_customer_admin.models import SLA, Customer, CustomerUser, Deadline, Ticket, TicketState, Validity
from tests.factories import (
    build_customer,
    build_customer_user,
    build_ticket,
    make_customer,
    make_customer_user,
    make_ticket,
)
from tests.markup import assert_in_html, document, element, elements, text

pytestmark = pytest.mark.django_db

TICKETS = reverse("admin:otrs_customer_admin_ticket_changelist")
TICKET_ADD = reverse("admin:otrs_customer_admin_ticket_add")
SLAS = reverse("admin:otrs_customer_admin_sla_changelist")
SLA_ADD = reverse("admin:otrs_customer_admin_sla_add")
HOUR = timedelta(hours=1)


def url(name, obj):
    return reverse(f"admin:otrs_customer_admin_{obj._meta.model_name}_{name}", args=[obj.pk])


def split(when):
    """The date and time halves of the admin's split date-time widget."""
    local = timezone.localtime(when)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def ticket_form(company, user=None, **fields):
    created_date, created_time = split(fields.pop("created_at", timezone.now()))
    data = {
        "title": "Printer on fire",
        "customer": str(company.pk),
        "customer_user": str(user.pk) if user else "",
        "state": TicketState.NEW,
        "priority": "3",
        "pending_until_0": "",
        "pending_until_1": "",
        "sla": "",
        "created_at_0": created_date,
        "created_at_1": created_time,
        "first_response_at_0": "",
        "first_response_at_1": "",
        "last_update_at_0": "",
        "last_update_at_1": "",
    }
    for name, value in fields.items():
        if name in ("pending_until", "first_response_at", "last_update_at"):
            data[f"{name}_0"], data[f"{name}_1"] = split(value)
        else:
            data[name] = value
    return data


def sla_form(**fields):
    return {
        "name": "Gold",
        "valid": "1",
        "comment": "",
        "first_response_time": "",
        "update_time": "",
        "solution_time": "",
        **fields,
    }


def titles(client, path=TICKETS, **query):
    response = client.get(path, query)
    assert response.status_code == 200
    return sorted(obj.title for obj in response.context["cl"].result_list)


def escalation_text(when, deadline):
    return f"{deadline}: {formats.date_format(timezone.localtime(when), 'SHORT_DATETIME_FORMAT')}"


# --- the ticket list -------------------------------------------------------------


def test_the_list_filters_by_state(admin_client, acme):
    for state in (TicketState.NEW, TicketState.OPEN, TicketState.CLOSED_SUCCESSFUL):
        make_ticket(acme, title=state.value, state=state)
    assert titles(admin_client) == ["closed successful", "new", "open"]
    assert titles(admin_client, state__exact="open") == ["open"]
    assert titles(admin_client, state__exact="closed successful") == ["closed successful"]
    assert elements(document(admin_client.get(TICKETS)), name="state__exact")


def test_the_list_filters_by_customer(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    make_ticket(acme, title="Acme's")
    make_ticket(globex, title="Globex's")
    assert elements(document(admin_client.get(TICKETS)), name="customer__id__exact")
    assert titles(admin_client, customer__id__exact=globex.pk) == ["Globex's"]
    assert titles(admin_client, customer__id__exact=acme.pk) == ["Acme's"]


def test_the_list_filters_escalated_tickets(admin_client, acme):
    sla = SLA.objects.create(name="Gold", solution_time=60)
    now = timezone.now()
    make_ticket(acme, title="overdue", sla=sla, created_at=now - 2 * HOUR)
    make_ticket(acme, title="in time", sla=sla, created_at=now - timedelta(minutes=10))
    make_ticket(acme, title="no sla", created_at=now - 100 * HOUR)
    make_ticket(acme, title="closed late", sla=sla, created_at=now - 5 * HOUR, state=TicketState.CLOSED_SUCCESSFUL)
    assert titles(admin_client, escalated="yes") == ["overdue"]
    assert titles(admin_client, escalated="no") == ["closed late", "in time", "no sla"]
    assert titles(admin_client) == ["closed late", "in time", "no sla", "overdue"]


@pytest.mark.parametrize("window", [timedelta(hours=24), timedelta(hours=2)])
def test_the_list_filters_due_reminders(admin_client, acme, window):
    now = timezone.now()
    pending = TicketState.PENDING_REMINDER
    make_ticket(acme, title="passed", state=pending, pending_until=now - HOUR)
    make_ticket(acme, title="in 1 hour", state=pending, pending_until=now + HOUR)
    make_ticket(acme, title="in 12 hours", state=pending, pending_until=now + 12 * HOUR)
    make_ticket(acme, title="in 3 days", state=pending, pending_until=now + 72 * HOUR)
    make_ticket(acme, title="auto close", state=TicketState.PENDING_AUTO_CLOSE_PLUS, pending_until=now - HOUR)
    make_ticket(acme, title="open", state=TicketState.OPEN)
    with override_settings(OTRS_CUSTOMER_ADMIN={"REMINDER_WINDOW": window}):
        due = titles(admin_client, reminder_due="yes")
        not_due = titles(admin_client, reminder_due="no")
    if window == timedelta(hours=24):
        assert due == ["in 1 hour", "in 12 hours", "passed"]
        assert not_due == ["auto close", "in 3 days", "open"]
    else:
        assert due == ["in 1 hour", "passed"]
        assert not_due == ["auto close", "in 12 hours", "in 3 days", "open"]


def test_filters_combine(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    sla = SLA.objects.create(name="Gold", solution_time=60)
    past = timezone.now() - 2 * HOUR
    make_ticket(acme, title="acme overdue", sla=sla, created_at=past, state=TicketState.OPEN)
    make_ticket(globex, title="globex overdue", sla=sla, created_at=past, state=TicketState.OPEN)
    make_ticket(globex, title="globex new", sla=sla, created_at=past)
    query = {"customer__id__exact": globex.pk, "escalated": "yes", "state__exact": "open"}
    assert titles(admin_client, **query) == ["globex overdue"]


def test_search_by_number_title_and_customer_id(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    printer = make_ticket(acme, title="Printer on fire")
    make_ticket(acme, title="Mail is slow")
    make_ticket(globex, title="VPN down")
    assert titles(admin_client, q=printer.number) == ["Printer on fire"]
    assert titles(admin_client, q="printer") == ["Printer on fire"]
    assert titles(admin_client, q="globex") == ["VPN down"]
    assert titles(admin_client, q="acme") == ["Mail is slow", "Printer on fire"]


def test_the_list_columns(admin_client, acme):
    jane = make_customer_user(acme)
    sla = SLA.objects.create(name="Gold", solution_time=60)
    printer = make_ticket(acme, customer_user=jane, sla=sla, state=TicketState.OPEN)
    response = admin_client.get(TICKETS)
    page = document(response)
    assert text(element(page, "a", href=url("detail", printer))) == printer.number
    assert elements(page, "a", href=url("detail", acme), data_otrs_card=url("card", acme))
    assert elements(page, "a", href=url("detail", jane), data_otrs_card=url("card", jane))
    assert escalation_text(printer.escalation_at, "solution") in text(page)


def test_list_query_count_does_not_grow_with_page_size(
    admin_client, monkeypatch, django_assert_num_queries, django_assert_max_num_queries
):
    sla = SLA.objects.create(name="Gold", first_response_time=30, solution_time=60)
    companies = Customer.objects.bulk_create(build_customer(f"C{i:03d}", f"Customer {i:03d}") for i in range(20))
    users = CustomerUser.objects.bulk_create(
        build_customer_user(c, f"u{i}", "U", str(i), email=f"u{i}@c.example") for i, c in enumerate(companies)
    )
    tickets = []
    for n in range(150):
        item = build_ticket(
            companies[n % 20],
            f"Ticket {n}",
            number=f"N{n:05d}",
            customer_user=users[n % 20] if n % 3 else None,
            sla=sla,
            state=TicketState.OPEN,
            created_at=timezone.now() - n * HOUR,
        )
        item.prepare_for_save()
        tickets.append(item)
    Ticket.objects.bulk_create(tickets)
    admin_client.get(TICKETS)  # warm caches (content types, session)

    def list_page(per_page, **query):
        monkeypatch.setattr(TicketAdmin, "list_per_page", per_page)
        response = admin_client.get(TICKETS, query)
        assert len(response.context["cl"].result_list) == per_page

    with django_assert_max_num_queries(5) as ten_rows:
        list_page(10)
    with django_assert_num_queries(len(ten_rows)):
        list_page(100)
    filtered = {"customer__id__exact": companies[0].pk, "escalated": "yes", "q": "ticket"}
    with django_assert_max_num_queries(7) as two_rows:
        list_page(2, **filtered)
    with django_assert_num_queries(len(two_rows)):
        list_page(5, **filtered)


# --- adding and editing tickets -------------------------------------------------------


def test_the_add_form_is_prefilled_with_customer_and_customer_user(admin_client, acme):
    make_customer("OTHER", "Other")
    globex = make_customer("GLOBEX", "Globex")
    hank = make_customer_user(globex, "hank", "Hank", "Scorpio")
    response = admin_client.get(TICKET_ADD, {"customer": globex.pk, "customer_user": hank.pk})
    initial = response.context["adminform"].form.initial
    assert (initial["customer"], initial["customer_user"]) == (str(globex.pk), str(hank.pk))
    page = document(response)
    assert_in_html(f'<option value="{globex.pk}" selected>Globex (GLOBEX)</option>', page)
    assert_in_html(f'<option value="{hank.pk}" selected>Hank Scorpio (hank)</option>', page)


def test_a_prefill_the_form_cannot_take_is_left_out_with_a_message(admin_client, acme):
    jane = make_customer_user(acme)
    query = f"customer=abc&customer_user={jane.pk}&sla=99999&pending_until=soon&state=gone&title=Printer"
    response = admin_client.get(f"{TICKET_ADD}?{query}")
    assert response.status_code == 200
    assert sorted(str(message) for message in response.context["messages"]) == [
        "“99999” from the address is not a value SLA can take; it was not filled in.",
        "“abc” from the address is not a value customer can take; it was not filled in.",
        "“gone” from the address is not a value state can take; it was not filled in.",
        "“soon” from the address is not a value pending until can take; it was not filled in.",
    ]
    initial = response.context["adminform"].form.initial
    assert not {"customer", "sla", "pending_until", "state"} & set(initial)
    # What it can take is filled in.
    assert (initial["customer_user"], initial["title"]) == (str(jane.pk), "Printer")
    assert elements(document(response), "option", value=str(jane.pk), selected=True)


def test_a_prefilled_pending_time_shows_as_date_and_time(admin_client, acme):
    response = admin_client.get(TICKET_ADD, {"customer": acme.pk, "pending_until": "2031-02-03 10:30"})
    assert response.status_code == 200 and not list(response.context["messages"])
    page = document(response)
    assert elements(page, "input", name="pending_until_0", value="2031-02-03")
    assert elements(page, "input", name="pending_until_1", value="10:30:00")


def test_saving_a_ticket_through_the_form_numbers_it_and_computes_its_escalation(admin_client, acme):
    jane = make_customer_user(acme)
    sla = SLA.objects.create(name="Gold", first_response_time=60, solution_time=480)
    created = (timezone.now() - 2 * HOUR).replace(microsecond=0)
    data = ticket_form(acme, jane, sla=str(sla.pk), created_at=created, state=TicketState.OPEN)
    response = admin_client.post(TICKET_ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Ticket.objects.get()
    assert saved.number == timezone.localtime().strftime("%Y%m%d") + "00000001"
    assert (saved.customer, saved.customer_user, saved.sla) == (acme, jane, sla)
    assert saved.escalation_at == created + HOUR
    assert saved.escalation_deadline == Deadline.FIRST_RESPONSE
    assert titles(admin_client, escalated="yes") == ["Printer on fire"]


def test_editing_a_ticket_updates_its_escalation(admin_client, acme):
    sla = SLA.objects.create(name="Gold", first_response_time=60, solution_time=480)
    created = (timezone.now() - 2 * HOUR).replace(microsecond=0)
    printer = make_ticket(acme, sla=sla, created_at=created, state=TicketState.OPEN)
    assert printer.escalation_deadline == Deadline.FIRST_RESPONSE
    data = ticket_form(
        acme,
        sla=str(sla.pk),
        created_at=created,
        state=TicketState.OPEN,
        first_response_at=created + HOUR / 2,
        title="Printer still on fire",
    )
    response = admin_client.post(url("change", printer), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    printer.refresh_from_db()
    assert printer.title == "Printer still on fire"
    assert (printer.escalation_deadline, printer.escalation_at) == (Deadline.SOLUTION, created + 8 * HOUR)
    page = admin_client.get(url("change", printer)).content.decode()
    assert printer.number in page  # shown, not editable


def test_closing_a_ticket_through_the_form_records_when(admin_client, acme):
    printer = make_ticket(acme, state=TicketState.OPEN, created_at=timezone.now() - HOUR)
    data = ticket_form(acme, state=TicketState.CLOSED_SUCCESSFUL, created_at=printer.created_at)
    assert admin_client.post(url("change", printer), data).status_code == 302
    printer.refresh_from_db()
    assert printer.closed_at is not None and printer.escalation_at is None


def test_a_pending_state_needs_a_pending_time(admin_client, acme):
    response = admin_client.post(TICKET_ADD, ticket_form(acme, state=TicketState.PENDING_REMINDER))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["pending_until"]
    assert "pending time" in " ".join(errors["pending_until"])
    assert not Ticket.objects.exists()
    data = ticket_form(acme, state=TicketState.PENDING_REMINDER, pending_until=timezone.now() + HOUR)
    assert admin_client.post(TICKET_ADD, data).status_code == 302
    assert titles(admin_client, reminder_due="yes") == ["Printer on fire"]


def test_a_customer_user_of_another_customer_is_refused(admin_client, acme):
    globex = make_customer("GLOBEX", "Globex")
    hank = make_customer_user(globex, "hank")
    response = admin_client.post(TICKET_ADD, ticket_form(acme, hank))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["customer_user"]
    assert "another customer" in " ".join(errors["customer_user"])
    assert not Ticket.objects.exists()


def test_the_ticket_form_offers_only_valid_slas(admin_client):
    SLA.objects.create(name="Gold")
    SLA.objects.create(name="Retired", valid=Validity.INVALID)
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "otrs_customer_admin", "model_name": "ticket", "field_name": "sla", "term": ""},
    )
    assert [item["text"] for item in response.json()["results"]] == ["Gold"]


# --- SLAs ---------------------------------------------------------------------------


def test_the_sla_list_shows_valid_slas_by_default(admin_client):
    SLA.objects.create(name="Gold", solution_time=60)
    SLA.objects.create(name="Retired", valid=Validity.INVALID)
    assert [sla.name for sla in admin_client.get(SLAS).context["cl"].result_list] == ["Gold"]
    response = admin_client.get(SLAS, {"validity": "all"})
    assert [sla.name for sla in response.context["cl"].result_list] == ["Gold", "Retired"]
    assert [sla.name for sla in admin_client.get(SLAS, {"q": "gol"}).context["cl"].result_list] == ["Gold"]


def test_creating_and_editing_an_sla(admin_client):
    response = admin_client.post(SLA_ADD, sla_form(first_response_time="30", solution_time="240"))
    assert response.status_code == 302
    gold = SLA.objects.get()
    assert gold.targets() == (30, None, 240)
    response = admin_client.post(url("change", gold), sla_form(name="Gold plus", update_time="60"))
    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.name, gold.targets()) == ("Gold plus", (None, 60, None))


def test_an_sla_name_is_unique_ignoring_case(admin_client):
    SLA.objects.create(name="Gold")
    response = admin_client.post(SLA_ADD, sla_form(name="GOLD"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["name"]
    assert "already exists" in " ".join(errors["name"])
    assert SLA.objects.count() == 1


def test_changing_an_sla_target_recomputes_its_tickets_escalations(admin_client, acme):
    gold = SLA.objects.create(name="Gold", solution_time=480)
    silver = SLA.objects.create(name="Silver", solution_time=480)
    created = timezone.now() - 2 * HOUR
    gold_ticket = make_ticket(acme, title="gold", sla=gold, created_at=created, state=TicketState.OPEN)
    silver_ticket = make_ticket(acme, title="silver", sla=silver, created_at=created, state=TicketState.OPEN)
    assert titles(admin_client, escalated="yes") == []
    response = admin_client.post(url("change", gold), sla_form(solution_time="60"))
    assert response.status_code == 302
    assert titles(admin_client, escalated="yes") == ["gold"]
    page = text(document(admin_client.get(TICKETS)))
    assert escalation_text(created + HOUR, "solution") in page
    assert escalation_text(created + 8 * HOUR, "solution") in page  # Silver's ticket is unchanged
    silver_ticket.refresh_from_db()
    gold_ticket.refresh_from_db()
    assert silver_ticket.escalation_at == created + 8 * HOUR
    assert gold_ticket.escalation_at == created + HOUR
    # Removing the target stops the escalation altogether.
    admin_client.post(url("change", gold), sla_form(solution_time=""))
    assert titles(admin_client, escalated="yes") == []
    gold_ticket.refresh_from_db()
    assert gold_ticket.escalation_at is None
