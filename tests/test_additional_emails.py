"""Several email addresses per person: among valid people an address is used once, ignoring case,
as a primary or an additional address, on every write path (the model, the write kernel, the
admin form, the import, the directory sync); search finds a person by any of them; cards, widgets
and exports show them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs_customer_admin.exceptions import AddressTaken, RowsMoved
from otrs_customer_admin.models import CustomerUser, CustomerUserEmail, Validity
from otrs_customer_admin.writes import load_addresses, replace_addresses, taken_addresses
from tests.factories import make_customer_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(acme):
    return make_customer_user(acme, "jane", email="jane@acme.example")


@pytest.fixture
def max_(acme):
    return make_customer_user(acme, "max", "Max", "Muster", email="max@acme.example")


def addresses_of(person):
    return sorted(person.additional_emails.values_list("email", flat=True))


# --- the model ----------------------------------------------------------------------------------


def test_an_additional_address_of_another_valid_person_is_refused_ignoring_case(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    address = CustomerUserEmail(customer_user=max_, email="TEAM@ÄRZTE.example")
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert refused.value.message_dict["email"] == ["another valid customer user has the address TEAM@ÄRZTE.example."]
    with pytest.raises(ValidationError):
        address.save()
    assert addresses_of(max_) == []


def test_another_persons_primary_address_is_refused_as_an_additional_one(jane, max_):
    address = CustomerUserEmail(customer_user=max_, email="JANE@acme.example")
    with pytest.raises(ValidationError, match="another valid customer user has the address"):
        address.full_clean()
    with pytest.raises(ValidationError):
        address.save()


def test_an_additional_address_may_not_repeat_the_persons_primary_one(jane):
    address = CustomerUserEmail(customer_user=jane, email="Jane@Acme.example")
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert "is this person's primary address" in refused.value.message_dict["email"][0]


def test_a_primary_address_that_is_another_valid_persons_additional_one_is_refused(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    max_.email = "TEAM@ÄRZTE.example"
    with pytest.raises(ValidationError) as refused:
        max_.full_clean()
    assert refused.value.message_dict["email"] == ["another valid customer user has the address TEAM@ÄRZTE.example."]
    with pytest.raises(ValidationError):
        max_.save()
    assert CustomerUser.objects.get(pk=max_.pk).email == "max@acme.example"


def test_invalid_people_do_not_hold_their_addresses(jane, max_):
    replace_addresses({jane.pk: ["shared@acme.example"]})
    jane.valid = Validity.INVALID
    jane.save()
    max_.email = "Shared@acme.example"
    max_.full_clean()
    max_.save()
    # Making Jane valid again is refused while Max has her old address.
    jane.valid = Validity.VALID
    with pytest.raises(ValidationError, match=r"shared@acme\.example"):
        jane.save()
    assert CustomerUser.objects.get(pk=jane.pk).valid == Validity.INVALID


# --- the write kernel ---------------------------------------------------------------------------


def test_replace_addresses_sets_them_exactly_and_keeps_the_added_time_of_those_kept(jane):
    replace_addresses({jane.pk: ["a@acme.example", "b@acme.example"]})
    kept = CustomerUserEmail.objects.get(email="a@acme.example")
    replace_addresses({jane.pk: ["A@acme.example", "c@acme.example"]}, read=load_addresses([jane.pk]))
    assert addresses_of(jane) == ["A@acme.example", "c@acme.example"]
    respelled = CustomerUserEmail.objects.get(email="A@acme.example")
    assert (respelled.pk, respelled.added_at) == (kept.pk, kept.added_at)


def test_replace_addresses_refuses_people_whose_addresses_moved_since_they_were_read(jane):
    read = load_addresses([jane.pk])
    replace_addresses({jane.pk: ["a@acme.example"]})
    with pytest.raises(RowsMoved):
        replace_addresses({jane.pk: ["b@acme.example"]}, read=read)
    assert addresses_of(jane) == ["a@acme.example"]


def test_replace_addresses_refuses_an_address_another_valid_person_has_folded(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    with pytest.raises(AddressTaken) as taken:
        replace_addresses({max_.pk: ["TEAM@ÄRZTE.example"]})
    assert [(c.person, c.address, c.holder) for c in taken.value.conflicts] == [
        (max_.pk, "TEAM@ÄRZTE.example", jane.pk)
    ]
    assert addresses_of(max_) == []
    with pytest.raises(AddressTaken):
        replace_addresses({max_.pk: ["JANE@acme.example"]})


def test_taken_addresses_finds_the_owners_across_both_tables_and_among_the_people_checked(jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example"]})
    taken = taken_addresses(
        {
            max_.pk: ("max@acme.example", ("TEAM@ÄRZTE.example", "new@acme.example")),
            "line 3": ("JANE@acme.example", ("NEW@acme.example",)),
        }
    )
    assert {(c.person, c.address, c.holder) for c in taken} == {
        (max_.pk, "TEAM@ÄRZTE.example", jane.pk),
        ("line 3", "NEW@acme.example", max_.pk),
        ("line 3", "JANE@acme.example", jane.pk),
    }


# --- search -------------------------------------------------------------------------------------


def changelist_logins(client, query):
    response = client.get(reverse("admin:otrs_customer_admin_customeruser_changelist"), {"q": query})
    assert response.status_code == 200
    return [row.login for row in response.context["cl"].result_list]


def test_the_customer_user_list_finds_a_person_by_an_additional_address_once(admin_client, jane, max_):
    replace_addresses({jane.pk: ["team@ärzte.example", "jane.doe@ärzte.example"]})
    assert changelist_logins(admin_client, "TEAM@ÄRZTE.example") == ["jane"]
    # Two of her addresses match: she is listed once.
    assert changelist_logins(admin_client, "ärzte") == ["jane"]
    assert changelist_logins(admin_client, "*@ärzte.example AND NOT max") == ["jane"]
    assert changelist_logins(admin_client, "nobody@ärzte.example") == []


def test_the_customer_user_picker_finds_a_person_by_an_additional_address(admin_client, jane, max_):
    replace_addresses({max_.pk: ["mm@privat.example"]})
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "mm@privat", "app_label": "otrs_customer_admin", "model_name": "ticket"}
        | {"field_name": "customer_user"},
    )
    assert [result["text"] for result in response.json()["results"]] == [str(max_)]


def test_searching_by_address_costs_no_query_more_with_more_addresses(admin_client, acme, jane):
    url = reverse("admin:otrs_customer_admin_customeruser_changelist")

    def count():
        admin_client.get(url, {"q": "*@ärzte*"})
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(url, {"q": "*@ärzte*"})
        return len(queries)

    before = count()
    people = [make_customer_user(acme, f"p{n}", email=f"p{n}@acme.example") for n in range(20)]
    replace_addresses({person.pk: [f"p{n}@ärzte.example", f"x{n}@ärzte.example"] for n, person in enumerate(people)})
    assert count() == before
