"""The history of customers and customer users: who changed which field from what to what, and
with which writer (the form, an import, a sync, a merge, an anonymisation, the retention rule).

Every writer hands what it did to ``record_history``, in bulk, as ``Change`` objects. It writes two
entries a record:

* the admin's own ``LogEntry`` ("Changed name and city."), which the admin's recent actions and
  its history link read, as before;
* with the ``HISTORY`` setting on (the default), a django-auditlog ``LogEntry``: the values,
  ``changes`` = ``{field name: [old, new]}`` (dynamic fields as ``DynamicField_<Name>``), the
  actor, and the writer in ``additional_data`` (``{"writer": "import"}``). The History widget
  and the admin's history page read these (``entries_of``).

Values are stored as JSON (``stored_value``): a date as ISO text, a country as its code, a
related record as its primary key, a multiselect as a list.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.models import LogEntry as ValueEntry
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .bidi import isolate
from .conf import settings
from .models.base import Validity
from .models.customer import Customer
from .models.customer_user import CustomerUser
from .models.dynamic_field_types import clean_value, display_value
from .models.dynamic_fields import field_definitions, prefixed, unprefixed
from .models.inserts import insert_tuples
from .writes import field_label

# The history's key of a customer user merged away: the pk of the one they were merged into.
MERGED_INTO = "merged_into"

# Entries written by one statement.
HISTORY_BATCH = 1000

# The writers, as the history names them.
WRITERS = {
    "form": _("form"),
    "import": _("import"),
    "sync": _("directory sync"),
    "merge": _("merge"),
    "anonymise": _("anonymisation"),
    "retention": _("retention rule"),
    "erase": _("erasure"),
}

# The admin's action flag -> auditlog's action.
ACTIONS = {ADDITION: ValueEntry.Action.CREATE, CHANGE: ValueEntry.Action.UPDATE, DELETION: ValueEntry.Action.DELETE}


@dataclass
class Change:
    """What a writer did to one record.

    ``text`` is the record's ``str()`` (the entries keep it: the record may change or go);
    ``flag`` the admin's ``ADDITION``/``CHANGE``/``DELETION``; ``message`` the admin entry's
    text or its JSON structure (a list, as the admin writes it); ``values`` field name ->
    ``(old, new)`` of each field changed (``old`` ``None`` for an addition).
    """

    object_id: int
    text: str
    flag: int
    message: str | list
    values: dict = field(default_factory=dict)


def stored_value(value):
    """``value`` as the history stores it: JSON's own types, else text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):  # links: in a stable order
        return sorted((stored_value(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [stored_value(item) for item in value]
    if isinstance(value, dict):  # a customer's group links: {group name: permission}
        return [f"{name}:{value[name]}" for name in sorted(value)]
    if isinstance(value, models.Model):
        return value.pk
    code = getattr(value, "code", None)  # a django-countries Country
    if isinstance(code, str):
        return code
    return str(value)


def stored_changes(values):
    """``{name: [old, new]}`` of the pairs that differ, as stored (empty to empty is no change)."""
    changes = {}
    for name, (old, new) in values.items():
        old, new = stored_value(old), stored_value(new)
        if old != new and not (is_blank(old) and is_blank(new)):
            changes[name] = [old, new]
    return changes


def is_blank(value):
    return value is None or value == "" or value == []


def record_history(user, writer, model, changes):
    """Write the history of what ``writer`` (a key of ``WRITERS``) did for ``user`` to records of
    ``model``: ``changes`` is an iterable of ``Change``. Call it inside the writer's transaction,
    so that the history is written with the change or not at all."""
    changes = list(changes)
    if not changes:
        return
    content_type = ContentType.objects.get_for_model(model)
    user_pk = user.pk if user is not None else None
    texts = [str(change.text) for change in changes]  # a record's str() may cost: once for both entries
    # What is the same in every entry of a call is converted once a batch (insert_tuples' constants).
    if user_pk is not None:  # the admin's entries need a user; the value entries do not
        admin_rows = [
            (
                str(change.object_id),
                text[:200],
                change.flag,
                change.message if isinstance(change.message, str) else json.dumps(change.message),
            )
            for change, text in zip(changes, texts, strict=True)
        ]
        names = ("object_id", "object_repr", "action_flag", "change_message")
        constants = {"user": user_pk, "content_type": content_type.pk}
        insert_tuples(AdminEntry, names, admin_rows, router.db_for_write(AdminEntry), HISTORY_BATCH, constants)
    if not settings.HISTORY:
        return
    value_rows = []
    for change, text in zip(changes, texts, strict=True):
        values = stored_changes(change.values)
        if change.flag == CHANGE and not values:
            continue  # only links or nothing of the record's own values changed
        value_rows.append((str(change.object_id), change.object_id, text, ACTIONS[change.flag], values))
    names = ("object_pk", "object_id", "object_repr", "action", "changes")
    constants = {
        "content_type": content_type.pk,
        "actor": user_pk,
        "timestamp": timezone.now(),
        "additional_data": {"writer": writer},
    }
    insert_tuples(ValueEntry, names, value_rows, router.db_for_write(ValueEntry), HISTORY_BATCH, constants)


def entries_of(model, pk):
    """The value entries of the record ``model`` ``pk``, newest first, with their actors."""
    content_type = ContentType.objects.get_for_model(model)
    return (
        ValueEntry.objects.filter(content_type=content_type, object_id=pk)
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )


# --- reading: what the History widget and the admin's history page show ----------------------

# auditlog's actions as the history names them.
ACTION_LABELS = {
    ValueEntry.Action.CREATE: _("added"),
    ValueEntry.Action.UPDATE: _("changed"),
    ValueEntry.Action.DELETE: _("deleted"),
}
# The names of what is not a model field of its own.
OWN_LABELS = {
    "valid": _("Validity"),
    "external_dn": _("directory DN"),
    "external_id": _("external ID"),
    "groups": _("Groups"),
    "additional_emails": _("Additional email addresses"),
    MERGED_INTO: _("Merged into"),
}
# An empty value: no value before an addition, an emptied field.
EMPTY = "\u2014"
# A customer the history names that the reader may not see (or that was deleted).
HIDDEN_CUSTOMER = _("another customer")
HIDDEN_PERSON = _("another customer user")


@dataclass
class ShownEntry:
    """One value entry as a person reads it; ``fields`` are ``(label, old, new)``, the values HTML."""

    timestamp: datetime.datetime
    user: str
    writer: str
    action: str
    fields: list


def shown_entries(model, entries, viewer=None):
    """``entries`` (a page of ``entries_of``) as ``ShownEntry``: field labels, and values as a person
    reads them (a validity's label, a country's name, a customer's name, a date in the site's format),
    escaped and isolated. A fixed number of queries, whatever the entries: the customers they name
    in one, the dynamic field definitions in one (once a request). ``viewer``: the user who reads
    them; a customer their groups hide is not named."""
    entries = list(entries)
    shown_values = ValueDisplay(model, entries, viewer)
    labels = {}
    shown = []
    for entry in entries:
        fields = []
        for name, pair in (entry.changes_dict or {}).items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            if name not in labels:
                labels[name] = shown_values.label(name)
            fields.append((labels[name], shown_values.html(name, old), shown_values.html(name, new)))
        actor = entry.actor
        shown.append(
            ShownEntry(
                timestamp=entry.timestamp,
                user=actor.get_username() if actor is not None else "",
                writer=writer_label(entry),
                action=ACTION_LABELS.get(entry.action, ""),
                fields=fields,
            )
        )
    return shown


class ValueDisplay:
    """The labels and display values of the fields of ``model`` that ``entries`` name."""

    # Fields that name customers by primary key.
    CUSTOMER_FIELDS = ("customer", "additional_customers")

    def __init__(self, model, entries, viewer=None):
        self.model = model
        object_type = getattr(model, "DYNAMIC_OBJECT_TYPE", None)
        self.definitions = {}
        if object_type and any(unprefixed(name) for entry in entries for name in entry.changes_dict or {}):
            self.definitions = {
                prefixed(definition.name).casefold(): definition
                for definition in field_definitions(object_type, include_invalid=True)
            }
        pks = set()
        for entry in entries:
            for name in self.CUSTOMER_FIELDS:
                for value in (entry.changes_dict or {}).get(name, ()):
                    pks.update(value if isinstance(value, list) else [value])
        pks = {pk for pk in pks if isinstance(pk, int)}
        customers = Customer.objects.visible_to(viewer) if viewer is not None else Customer.objects.all()
        self.customers = dict(customers.filter(pk__in=pks).values_list("pk", "name")) if pks else {}
        merged = {entry.changes_dict.get(MERGED_INTO, [None, None])[1] for entry in entries if entry.changes_dict}
        merged = {pk for pk in merged if isinstance(pk, int)}
        people = CustomerUser.objects.visible_to(viewer) if viewer is not None else CustomerUser.objects.all()
        named = people.filter(pk__in=merged).values_list("pk", "first_name", "last_name", "login") if merged else ()
        self.people = {pk: f"{first} {last} ({login})" for pk, first, last, login in named}

    def label(self, name):
        definition = self.definitions.get(name.casefold())
        if definition is not None:
            return definition.label or definition.name
        if name in OWN_LABELS:
            return OWN_LABELS[name]
        if name == "name" and self.model is Customer:
            return _("Name")  # the field's verbose name is "customer", as in OTRS's forms
        return field_label(self.model, name)

    def html(self, name, value):
        if is_blank(value):
            return EMPTY
        text = self.text(name, value)
        return isolate(text) if text not in ("", None) else EMPTY

    def text(self, name, value):
        definition = self.definitions.get(name.casefold())
        if definition is not None:
            try:
                return display_value(definition, clean_value(definition, value))
            except (ValidationError, TypeError, ValueError):
                return joined(value)
        if name == MERGED_INTO:
            return self.people.get(value, HIDDEN_PERSON)
        if name in self.CUSTOMER_FIELDS:
            pks = value if isinstance(value, list) else [value]
            # A customer deleted since, or one the viewer's groups hide, is not named.
            return ", ".join(str(self.customers.get(pk, HIDDEN_CUSTOMER)) for pk in pks)
        if isinstance(value, list):
            return joined(value)
        try:
            model_field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if name == "valid":
            return str(Validity(value).label) if value in Validity.values else str(value)
        if name == "country":
            return str(countries.name(value) or value)
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
            moment = parse_datetime(value)
            if moment is not None:
                return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        elif isinstance(model_field, models.DateField) and isinstance(value, str):
            day = parse_date(value)
            if day is not None:
                return formats.date_format(day, "SHORT_DATE_FORMAT")
        return str(value)


def joined(value):
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)


def writer_label(entry):
    """The writer of a value entry, as the history names it."""
    writer = (entry.additional_data or {}).get("writer", "")
    return WRITERS.get(writer, writer)
