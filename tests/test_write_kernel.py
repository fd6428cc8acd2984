"""The write kernel the bulk writers share (otrs_customer_admin/writes.py): unique rules read from
the models' constraints, compare-and-set updates that write only the changed fields, many-to-many
links replaced only where they are still as read, and the admin history."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Q

from otrs_customer_admin.history import Change, record_history
from otrs_customer_admin.models import Customer, CustomerUser, Validity
from otrs_customer_admin.writes import (
    RowsMoved,
    load_links,
    meets,
    replace_links,
    unique_rules,
    update_rows,
)
from tests.factories import make_customer, make_customer_user

pytestmark = pytest.mark.django_db


def test_the_unique_rules_are_the_models_constraints_on_their_folded_twins():
    customer_rules = {rule.field: rule.condition for rule in unique_rules(Customer)}
    assert customer_rules == {"customer_id": None, "name": None}
    people = {rule.field: rule for rule in unique_rules(CustomerUser)}
    assert set(people) == {"login", "email"}
    # "email unique among valid users": the condition comes from the constraint, not from code.
    assert people["email"].condition == Q(valid=Validity.VALID) and people["email"].reads == {"valid"}
    assert meets(people["email"].condition, {"valid": Validity.VALID})
    assert not meets(people["email"].condition, {"valid": Validity.INVALID})


def test_an_update_writes_only_the_fields_it_changes_where_the_row_still_holds_what_was_read():
    acme = make_customer("ACME", "Acme", city="Berlin", comment="keep")
    # Someone else changed the comment since; the update of the city does not touch it.
    Customer.objects.filter(pk=acme.pk).update(comment="theirs")
    with transaction.atomic():
        update_rows(Customer, [(acme.pk, {"city": "Berlin"}, {"city": "Hamburg"})])
    acme.refresh_from_db()
    assert (acme.city, acme.comment) == ("Hamburg", "theirs")


def test_an_update_keeps_the_folded_twins_so_the_record_is_found_by_its_new_name_ignoring_case():
    acme = make_customer("ACME", "Acme", city="Berlin")
    with transaction.atomic():
        update_rows(Customer, [(acme.pk, {"name": "Acme"}, {"name": "Straße AG"})])
    assert Customer.objects.get(name_key="strasse ag").pk == acme.pk


def test_an_update_of_a_row_that_moved_is_refused_and_names_it_and_nothing_is_written():
    acme = make_customer("ACME", "Acme", city="Berlin")
    globex = make_customer("GLOBEX", "Globex", city="Berlin", comment="")
    Customer.objects.filter(pk=globex.pk).update(city="Paris")  # after the writer read "Berlin"
    updates = [
        (acme.pk, {"city": "Berlin"}, {"city": "Hamburg"}),
        (globex.pk, {"city": "Berlin"}, {"city": "Hamburg"}),
    ]
    with pytest.raises(RowsMoved) as moved, transaction.atomic():
        update_rows(Customer, updates)
    assert moved.value.pks == [globex.pk]
    assert dict(Customer.objects.values_list("customer_id", "city")) == {"ACME": "Berlin", "GLOBEX": "Paris"}


def test_a_foreign_key_is_compared_by_its_column():
    acme = make_customer("ACME", "Acme")
    person = make_customer_user(acme, "jdoe", email="")
    with transaction.atomic():
        update_rows(CustomerUser, [(person.pk, {"customer_id": acme.pk, "email": ""}, {"email": "j@example.com"})])
    person.refresh_from_db()
    assert person.email == "j@example.com"


def test_links_are_replaced_only_where_they_are_still_as_read():
    acme, globex, initech = make_customer("ACME", "Acme"), make_customer("GLOBEX", "Globex"), make_customer("I", "I")
    person = make_customer_user(acme, "jdoe")
    person.additional_customers.set([globex])
    read = load_links(CustomerUser, "additional_customers", [person.pk])
    assert read == {person.pk: (globex.pk,)}
    person.additional_customers.add(initech)  # another writer, since
    with pytest.raises(RowsMoved), transaction.atomic():
        replace_links(CustomerUser, "additional_customers", {person.pk: (acme.pk,)}, read=read)
    assert set(person.additional_customers.values_list("customer_id", flat=True)) == {"GLOBEX", "I"}

    read = load_links(CustomerUser, "additional_customers", [person.pk])
    replace_links(CustomerUser, "additional_customers", {person.pk: (initech.pk,)}, read=read)
    assert list(person.additional_customers.values_list("customer_id", flat=True)) == ["I"]


def test_the_history_is_written_as_the_admin_writes_it(django_user_model):
    agent = django_user_model.objects.create_user("agent")
    acme = make_customer("ACME", "Acme")
    record_history(agent, "import", Customer, [Change(acme.pk, acme, CHANGE, [{"changed": {"fields": ["City"]}}])])
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.object_repr, entry.get_change_message()) == (
        str(acme.pk),
        str(acme),
        "Changed City.",
    )
