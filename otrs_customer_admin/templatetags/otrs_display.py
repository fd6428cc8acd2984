"""``{% load otrs_display %}``: how the package's templates show user text and moments.

``{{ value|isolate }}`` puts user text in a ``<bdi>``; ``{{ value|isolate_text }}`` isolates it
as plain text, where no element can go (``<option>``, ``title=""``); see ``otrs_customer_admin.bidi``.
``{{ moment|relative_time:now }}`` is "in 2 days" or "2 days ago" (``otrs_customer_admin.durations``).
``{% for definition, value in record|dynamic_fields %}`` gives a record's dynamic fields that
have a value (``record|dynamic_fields:"card"``: those shown on its business card), one query
for all of them; ``{{ value|dynamic_value:definition }}`` shows one, isolated, as a link where
its field has a link template.
"""

from django import template

from .. import bidi, durations
from ..admin.display import dynamic_value as dynamic_value_html
from ..models.dynamic_field_types import is_empty

register = template.Library()

register.filter("isolate", bidi.isolate, is_safe=True)
register.filter("isolate_text", bidi.isolate_text)
register.filter("relative_time", durations.relative_time)


@register.filter
def dynamic_fields(record, where=""):
    values = record.dynamic_fields
    return [
        (definition, values[definition.name])
        for definition in values.definitions
        if (where != "card" or definition.show_in_card) and not is_empty(values[definition.name])
    ]


@register.filter(is_safe=True)
def dynamic_value(value, definition):
    return dynamic_value_html(definition, value)
