"""What the customer merge (``customers``) and the customer-user merge (``people``) share.

Both follow one recipe: a plan that reads and never writes (or says why the merge cannot be
done), then the merge in one transaction with both records locked, compared with what was
planned (``planned_state``: the confirm page posts it), FROM set invalid with a comment naming
INTO, INTO's empty fields filled from FROM, and the history of every record touched.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.translation import gettext as _

from ..bidi import isolate_text
from ..models import CustomerUser
from ..models.dynamic_field_types import display_value as dynamic_display_value
from ..models.dynamic_field_types import is_empty
from ..models.dynamic_fields import field_definitions
from ..models.visibility import restricted
from ..writes import field_label


class MergeRefused(Exception):
    """The merge cannot be done; ``reasons`` says why (translated sentences), ``plan`` is its plan if any."""

    def __init__(self, reasons, plan=None):
        self.reasons = list(reasons)
        self.plan = plan
        super().__init__(" ".join(self.reasons))


@dataclass
class Plan:
    """What both plans say: what merging ``source`` (FROM) into ``target`` (INTO) changes of them,
    or why it cannot be done; each merge adds what it moves."""

    source: models.Model
    target: models.Model
    ticket_count: int = 0
    # The numbers of the tickets the viewer sees (up to TICKETS_LISTED), and how many they do not.
    ticket_numbers: list = field(default_factory=list)
    hidden_tickets: int = 0
    filled: dict = field(default_factory=dict)
    # INTO's empty dynamic fields that FROM fills: name -> FROM's value (and INTO's as read, to compare on write).
    dynamic_filled: dict = field(default_factory=dict)
    dynamic_read: dict = field(default_factory=dict)
    source_comment: str = ""
    refusals: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    # FROM and INTO as planned (``planned_state``): what the confirm page posts.
    state: str = ""

    @property
    def allowed(self):
        return not self.refusals

    @property
    def more_tickets(self):
        """How many tickets the viewer sees beyond those ``ticket_numbers`` lists."""
        return self.ticket_count - self.hidden_tickets - len(self.ticket_numbers)

    def filled_fields(self):
        """``(label, value)`` of each field of INTO that FROM fills, in the form's order (the built-in
        fields, then the dynamic ones in theirs)."""
        model = type(self.source)
        fields = [(field_label(model, name), display_value(self.source, name)) for name in self.filled]
        definitions = {definition.name: definition for definition in field_definitions(model.DYNAMIC_OBJECT_TYPE)}
        fields += [
            (definitions[name].label or name, dynamic_display_value(definitions[name], value))
            for name, value in self.dynamic_filled.items()
        ]
        return fields


def display_value(record, name):
    return str(record.country.name) if name == "country" else getattr(record, name)


def merged_comment(comment, target, limit=None):
    """FROM's comment after the merge: its own text, as much as fits, then "Merged into <INTO>."
    (``str()`` of INTO names it: "<name> (<CustomerID>)", "<full name> (<login>)")."""
    limit = limit or type(target)._meta.get_field("comment").max_length
    note = _("Merged into %(customer)s.") % {"customer": target}
    comment = comment.strip()
    room = limit - len(note) - 1
    if not comment or room < 2:
        return note[:limit]
    # Isolated, so that a right-to-left override in the old comment cannot reverse the note.
    overhead = len(isolate_text(comment)) - len(comment)
    if len(comment) + overhead > room:
        comment = comment[: max(room - 1 - overhead, 0)].rstrip() + "…"
    return f"{isolate_text(comment)} {note}"


def visible_people(viewer, people):
    """The pks of ``people`` (customer users) that ``viewer`` sees (all of them for None or an unlimited user)."""
    pks = [person.pk for person in people]
    if not restricted(viewer):
        return set(pks)
    return set(CustomerUser.objects.visible_to(viewer).filter(pk__in=pks).values_list("pk", flat=True))


def state_of(record, fields, extra=()):
    """What a merge plans on of ``record`` (its ``fields`` and ``extra`` text, such as its dynamic
    field values), as a short hash: the confirm page sends it with its POST."""
    values = [str(getattr(record, name)) for name in fields]
    values += [str(item) for item in extra]
    return hashlib.sha256("\x00".join(values).encode()).hexdigest()[:32]


def dynamic_state(dynamic):
    """Dynamic field values (as ``load_values`` reads them) as ``state_of``'s ``extra``."""
    return [f"{name}={value!r}" for name, value in sorted((dynamic or {}).items())]


def lock_pair(model, source, target, *, gone, changed, differs):
    """``source`` and ``target``, fresh from the database and locked until the transaction ends
    (where the database locks rows), in pk order so that two merges cannot deadlock.

    ``gone(record)`` is the refusal of a record that no longer exists; ``differs(position,
    read, now)`` whether the record at ``position`` (0 FROM, 1 INTO) changed since it was
    planned, ``changed(record)`` the refusal then."""
    assert transaction.get_connection().in_atomic_block, "lock_pair() locks until the merge's transaction ends"
    rows = model.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk").in_bulk()
    missing = [record for record in (source, target) if record.pk not in rows]
    if missing:
        raise MergeRefused([gone(record) for record in missing])
    moved = [record for position, record in enumerate((source, target)) if differs(position, record, rows[record.pk])]
    if moved:
        raise MergeRefused([changed(record) for record in moved])
    return rows[source.pk], rows[target.pk]


def address_to_fill(source, target, address_fields):
    """FROM's postal address for INTO, as a whole: ``(values, other_country)``. Only when INTO has
    none of ``address_fields`` and FROM has some, and both are in one country (unless the country
    is one of ``address_fields``, and so moves with the rest): a street of FROM beside a city of
    INTO would be an address that does not exist."""
    if any(getattr(target, name) for name in address_fields) or not any(
        getattr(source, name) for name in address_fields
    ):
        return {}, False
    if "country" not in address_fields and source.country != target.country:
        return {}, True
    return {name: getattr(source, name) for name in address_fields if getattr(source, name)}, False


def one_by_one_to_fill(source, target, names):
    """FROM's values of ``names`` where INTO's are empty."""
    return {name: getattr(source, name) for name in names if not getattr(target, name) and getattr(source, name)}


def dynamic_fields_to_fill(source_values, target_values):
    """INTO's empty dynamic fields (valid definitions, in their order) and FROM's values for them."""
    return {
        name: value
        for name, value in source_values.items()
        if not is_empty(value) and is_empty(target_values.get(name))
    }


def retire(source, comment):
    """Set FROM invalid, with the comment that names INTO; returns ``{field: (old, new)}``."""
    values = {**source.invalidation(), "comment": comment}
    changes = {name: (getattr(source, name), value) for name, value in values.items()}
    for name, value in values.items():
        setattr(source, name, value)
    source.save(update_fields=list(values))
    return changes


def fill(target, filled):
    """Write FROM's values into INTO's empty fields; returns ``{field: (old, new)}``."""
    if not filled:
        return {}
    changes = {name: (getattr(target, name), value) for name, value in filled.items()}
    for name, value in filled.items():
        setattr(target, name, value)
    target.save(update_fields=list(filled))
    return changes
