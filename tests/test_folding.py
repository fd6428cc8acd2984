"""Unique ignoring case means Unicode case folding, on SQLite as on PostgreSQL: models, writes, forms,
imports, searches."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.forms import modelform_factory

from otrs_customer_admin.folding import fold, folded_twin
from otrs_customer_admin.importexport.importers import CustomerImport
from otrs_customer_admin.models import SLA, Customer, CustomerUser, Validity
from otrs_customer_admin.search import DynamicFieldSearch, folded_search_fields, search_q
from tests.factories import build_customer, make_customer, make_customer_user
from tests.importing import dataset, import_customers, plain_csv, problems

pytestmark = pytest.mark.django_db

NFD_CAFE = unicodedata.normalize("NFD", "CAFÉ")

SAME = [
    pytest.param("ÄRZTE-1", "ärzte-1", id="umlauts"),
    pytest.param("STRASSE", "straße", id="sharp-s"),
    pytest.param("STRAẞE", "Straße", id="capital-sharp-s"),
    pytest.param("ΟΔΟΣ", "οδος", id="final-sigma"),
    pytest.param("café", NFD_CAFE, id="composed-and-decomposed-accent"),
    pytest.param("İSTANBUL", "i̇stanbul", id="turkish-dotted-capital-i"),
]
DIFFERENT = [
    pytest.param("ISTANBUL", "ıstanbul", id="turkish-dotless-i"),  # noqa: RUF001 - the dotless i is the point
    pytest.param("Müller", "Muller", id="accents-are-letters"),
    pytest.param("ACME", "ACME-1", id="other-text"),
]


@pytest.mark.parametrize(("first", "second"), SAME)
def test_folding_makes_these_the_same(first, second):
    assert fold(first) == fold(second)


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_folding_keeps_these_apart(first, second):
    assert fold(first) != fold(second)


def test_the_issues_example_is_refused_on_every_database():
    make_customer("ÄRZTE-1", "Ärztekammer Süd")
    duplicate = build_customer("ärzte-1", "ärztekammer süd")

    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert set(error.value.message_dict) == {"customer_id", "name"}
    assert error.value.message_dict["customer_id"] == [
        "A customer with this CustomerID already exists (ignoring case)."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(("first", "second"), SAME)
def test_names_logins_and_emails_that_fold_alike_are_refused(first, second):
    acme = make_customer("ACME", first)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_customer("OTHER", second)
    make_customer_user(acme, first, "A", "B", email=f"{first}@example.com")
    for login, email in ((second, "other@example.com"), ("other", f"{second}@example.com")):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_customer_user(acme, login, "C", "D", email=email)


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_names_that_do_not_fold_alike_may_both_exist(first, second):
    make_customer("A", first)
    make_customer("B", second)
    assert Customer.objects.count() == 2


def test_an_email_may_repeat_among_invalid_customer_users():
    acme = make_customer("ACME", "Acme")
    fields = {"first_name": "A", "last_name": "B", "customer": acme}
    CustomerUser.objects.create(login="a", email="ÄRZTIN@example.com", valid=Validity.INVALID, **fields)
    CustomerUser.objects.create(login="b", email="ärztin@example.com", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerUser.objects.create(login="c", email="Ärztin@Example.com", **fields)


def test_every_write_path_keeps_the_folded_keys():
    [acme, globex] = Customer.objects.bulk_create(
        [
            build_customer("ACME", "Straße 1"),
            build_customer("GLOBEX", "G"),
        ]
    )
    assert Customer.objects.get(pk=acme.pk).name_key == "strasse 1"

    acme.name = "ΟΔΟΣ"
    Customer.objects.bulk_update([acme], ["name"])
    assert Customer.objects.get(pk=acme.pk).name_key == "οδοσ"

    Customer.objects.filter(pk=globex.pk).update(customer_id="ÄRZTE-1")
    assert Customer.objects.get(pk=globex.pk).customer_id_key == "ärzte-1"

    globex.name = "Ärztekammer"
    globex.save(update_fields=["name"])
    assert Customer.objects.get(pk=globex.pk).name_key == "ärztekammer"

    with pytest.raises(ValueError, match="update\\(\\) sets name only to text"):
        Customer.objects.update(name=Upper("name"))


@pytest.mark.parametrize("model", [Customer, CustomerUser, SLA])
def test_each_folded_field_has_the_twin_one_rule_names(model):
    # Models, searches and imports all find a field's twin through folding.folded_twin.
    for name in model.FOLDED_FIELDS:
        twin = model._meta.get_field(folded_twin(name))
        assert not twin.editable
        assert any(twin.name in constraint.fields for constraint in model._meta.constraints)


def test_slas_fold_their_names_too():
    SLA.objects.create(name="Gold Straße")
    with pytest.raises(IntegrityError), transaction.atomic():
        SLA.objects.bulk_create([SLA(name="GOLD STRASSE")])


def test_a_form_reports_the_clash_on_its_field():
    make_customer("ÄRZTE-1", "Ärztekammer Süd")
    form_class = modelform_factory(Customer, fields=["customer_id", "name", "country"])

    form = form_class(data={"customer_id": "ärzte-1", "name": "Other", "country": "DE"})

    assert not form.is_valid()
    assert form.errors == {"customer_id": ["A customer with this CustomerID already exists (ignoring case)."]}


def test_an_import_matches_records_by_their_folded_key():
    existing = make_customer("ÄRZTE-1", "Ärztekammer Süd", city="Ulm")

    report = import_customers(plain_csv([["CustomerID", "name", "city"], ["ärzte-1", "ÄRZTEKAMMER SÜD", "München"]]))

    assert (report.created, report.updated) == (0, 1), problems(report)
    existing.refresh_from_db()
    assert existing.city == "München"


def test_an_import_refuses_a_name_that_folds_like_another_customers():
    make_customer("ACME", "Hauptstraße Werke")

    report = import_customers(plain_csv([["CustomerID", "name", "country"], ["NEW", "HAUPTSTRASSE WERKE", "DE"]]))

    assert problems(report) == ["Line 2, name: another customer is already called HAUPTSTRASSE WERKE."]


@pytest.mark.parametrize(
    ("query", "found"),
    [("ärzte*", True), ("ÄRZTE-1", True), ("*STRASSE*", True), ("strasse", True), ("muller", False)],
)
def test_searches_fold_as_the_uniqueness_does(query, found):
    make_customer("ÄRZTE-1", "Hauptstraße Müller")
    fields = folded_search_fields(Customer, ["customer_id", "name", "city"])
    assert fields == ["customer_id_key", "name_key", "city", DynamicFieldSearch(Customer)]
    assert Customer.objects.filter(search_q(query, fields)).exists() is found


def test_searches_through_a_relation_use_the_related_models_twin():
    assert folded_search_fields(CustomerUser, ["login", "customer__customer_id", "last_name"]) == [
        "login_key",
        "customer__customer_id_key",
        "last_name",
        DynamicFieldSearch(CustomerUser),  # a model with dynamic fields searches them too
    ]


def test_an_import_that_collides_with_another_writer_says_what_happened():
    class RacedImport(CustomerImport):
        def write(self, rows):
            # What a second import of the same file committed between our check and our write.
            make_customer("race-1", "Somebody else")
            super().write(rows)

    data = plain_csv([["CustomerID", "name", "country"], ["RACE-1", "Racing", "DE"], ["CALM-1", "Calm", "DE"]])
    report = RacedImport().run(dataset(data))

    assert problems(report) == [
        "Nothing was imported: while this file was being imported, another import or user saved a customer with "
        "the same CustomerID as one of its rows. Import the file again: the rows concerned will then be listed."
    ]
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["race-1"]
