"""The demo's dynamic fields: a few definitions a real site would have, and believable values.

The definitions are created when missing (found by object type and name, so a site's own
changes to them stay); records of the demo that have none of their values get some, drawn
from the demo's seed like every other value.
"""

from datetime import timedelta

from django.db import router

from ..models import DynamicField
from ..models.dynamic_field_types import clean_value, storage_rows
from ..models.dynamic_fields import field_definitions, insert_rows, value_model_of
from ..models.dynamic_values import object_type_of
from ..writes import load_values

TIERS = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}
DEPARTMENTS = {
    "it": "IT",
    "purchasing": "Purchasing",
    "finance": "Finance",
    "management": "Management",
    "support": "Support",
}
LANGUAGES = {"de": "German", "en": "English", "fr": "French", "es": "Spanish"}

# (object type, name, label, type, options)
DEFINITIONS = (
    (
        "customer",
        "Tier",
        "Contract tier",
        "dropdown",
        {"choices": TIERS, "show_in_list": True, "show_in_card": True, "filterable": True, "order": 10},
    ),
    (
        "customer",
        "ERPNumber",
        "ERP number",
        "text",
        {
            "searchable": True,
            "show_in_card": True,
            "link_template": "https://erp.example.com/customers/{value}",
            "order": 20,
        },
    ),
    ("customer", "KeyAccount", "Key account", "checkbox", {"filterable": True, "order": 30}),
    ("customer", "Renewal", "Contract renewal", "date", {"filterable": True, "order": 40}),
    (
        "customer_user",
        "Department",
        "Department",
        "dropdown",
        {"choices": DEPARTMENTS, "show_in_list": True, "show_in_card": True, "filterable": True, "order": 10},
    ),
    (
        "customer_user",
        "Languages",
        "Languages",
        "multiselect",
        {"choices": LANGUAGES, "show_in_card": True, "order": 20},
    ),
)


def load_definitions():
    """The demo's definitions, created where missing (one query to look, one to insert)."""
    existing = set(DynamicField.objects.values_list("object_type", "name_key"))
    missing = []
    for object_type, name, label, field_type, options in DEFINITIONS:
        if (object_type, name.casefold()) not in existing:
            definition = DynamicField(object_type=object_type, name=name, label=label, field_type=field_type, **options)
            definition.clean_fields()
            definition.clean()
            missing.append(definition)
    DynamicField.objects.bulk_create(missing)


def customer_values(rng, index, key_account, today):
    tier = "gold" if key_account else rng.choices(["silver", "bronze", None], weights=[3, 5, 2])[0]
    return {
        "Tier": tier,
        "ERPNumber": f"ERP-{10000 + index}",
        "KeyAccount": key_account,
        "Renewal": today + timedelta(days=rng.randrange(14, 730)),
    }


def customer_user_values(rng):
    languages = rng.sample(sorted(LANGUAGES), rng.choice([1, 1, 2, 2, 3]))
    return {"Department": rng.choice(sorted(DEPARTMENTS)), "Languages": languages}


def fill_missing(model, values_by_pk, batch_size):
    """Store ``values_by_pk`` (pk -> {name: value}) for the records that have none of the valid
    fields among them yet (a site may have retired one of the demo's). Only rows are added, as
    the demo adds its records; a record another writer gave values meanwhile keeps them (the
    value table's unique key refuses a second value)."""
    fields = {field.name: field for field in field_definitions(object_type_of(model))}
    fields = {name: field for name, field in fields.items() if any(name in values for values in values_by_pk.values())}
    if not fields:
        return
    pks = list(values_by_pk)
    for start in range(0, len(pks), batch_size):
        batch = pks[start : start + batch_size]
        stored = load_values(model, batch, fields.values())
        rows = [
            (pk, fields[name].pk, *row)
            for pk in batch
            if not any(_filled(value) for value in stored[pk].values())
            for name, value in values_by_pk[pk].items()
            if name in fields
            for row in storage_rows(fields[name].field_type, clean_value(fields[name], value))
        ]
        insert_rows(value_model_of(object_type_of(model)), router.db_for_write(model), rows)


def _filled(value):
    return value not in (None, False, [], "")
