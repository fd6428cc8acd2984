"""``{% load otrs_display %}``: how the package's templates show user text and moments.

``{{ value|isolate }}`` puts user text in a ``<bdi>``; ``{{ value|isolate_text }}`` isolates it
as plain text, where no element can go (``<option>``, ``title=""``); see ``otrs_customer_admin.bidi``.
``{{ moment|relative_time:now }}`` is "in 2 days" or "2 days ago" (``otrs_customer_admin.durations``).
"""

from django import template

from .. import bidi, durations

register = template.Library()

register.filter("isolate", bidi.isolate, is_safe=True)
register.filter("isolate_text", bidi.isolate_text)
register.filter("relative_time", durations.relative_time)
