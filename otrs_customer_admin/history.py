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
from django.db import models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import settings
from .models.inserts import insert_tuples

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
    if isinstance(value, list | tuple | set | frozenset):
        return [stored_value(item) for item in value]
    if isinstance(value, models.Model):
        return value.pk
    code = getattr(value, "code", None)  # a django-countries Country
    if isinstance(code, str):
        return code
    return str(value)


def stored_changes(values):
    """``{name: [old, new]}`` of the pairs that differ, as stored."""
    changes = {}
    for name, (old, new) in values.items():
        old, new = stored_value(old), stored_value(new)
        if old != new:
            changes[name] = [old, new]
    return changes


def record_history(user, writer, model, changes):
    """Write the history of what ``writer`` (a key of ``WRITERS``) did for ``user`` to records of
    ``model``: ``changes`` is an iterable of ``Change``. Call it inside the writer's transaction,
    so that the history is written with the change or not at all."""
    changes = list(changes)
    if not changes:
        return
    content_type = ContentType.objects.get_for_model(model)
    user_pk = user.pk if user is not None else None
    admin_rows = [
        (
            user_pk,
            content_type.pk,
            str(change.object_id),
            str(change.text)[:200],
            change.flag,
            change.message if isinstance(change.message, str) else json.dumps(change.message),
        )
        for change in changes
    ]
    if user_pk is not None:  # the admin's entries need a user; the value entries do not
        names = ("user", "content_type", "object_id", "object_repr", "action_flag", "change_message")
        insert_tuples(AdminEntry, names, admin_rows, router.db_for_write(AdminEntry), HISTORY_BATCH)
    if not settings.HISTORY:
        return
    now = timezone.now()
    additional = {"writer": writer}
    value_rows = []
    for change in changes:
        values = stored_changes(change.values)
        if change.flag == CHANGE and not values:
            continue  # only links or nothing of the record's own values changed
        value_rows.append(
            (
                content_type.pk,
                str(change.object_id),
                change.object_id,
                str(change.text),
                ACTIONS[change.flag],
                values,
                user_pk,
                now,
                additional,
            )
        )
    names = (
        "content_type",
        "object_pk",
        "object_id",
        "object_repr",
        "action",
        "changes",
        "actor",
        "timestamp",
        "additional_data",
    )
    insert_tuples(ValueEntry, names, value_rows, router.db_for_write(ValueEntry), HISTORY_BATCH)


def entries_of(model, pk):
    """The value entries of the record ``model`` ``pk``, newest first, with their actors."""
    content_type = ContentType.objects.get_for_model(model)
    return (
        ValueEntry.objects.filter(content_type=content_type, object_id=pk)
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )


def writer_label(entry):
    """The writer of a value entry, as the history names it."""
    writer = (entry.additional_data or {}).get("writer", "")
    return WRITERS.get(writer, writer)
