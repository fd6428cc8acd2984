"""User text isolated from the text around it, so that its direction cannot spill over.

A U+202E RIGHT-TO-LEFT OVERRIDE in a customer's name would otherwise reverse everything after
it on the same line ("ACME‮ 12345 Berlin" shows the zip and city backwards): display
spoofing. Every user value the package shows goes through one of these:

- ``isolate(value)``: HTML, the value in a ``<bdi>`` element (templates: ``|isolate``);
- ``isolate_text(value)``: plain text, for places where no element can go (a ``<title>``, an
  ``<option>``, an attribute, a message stored as text): the value between U+2068 FIRST STRONG
  ISOLATE and U+2069 POP DIRECTIONAL ISOLATE when it has right-to-left or bidi-control
  characters, unchanged otherwise (templates: ``|isolate_text``);
- ``Phrase(pattern, **values)``: a sentence with values in it, each isolated, as text
  (``str()``) or as HTML (``.html()``, also what a template shows). A value may be a
  ``Phrase`` itself (a record's title in a sentence).

Either way the value's own controls are balanced first: a stray U+2069 would end the isolate
early, an isolate the value opens and never closes would swallow its end.
"""

import unicodedata

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# Bidi classes that can change how the text around a value is ordered: right-to-left letters
# and Arabic digits, and the explicit embeddings, overrides and isolates.
ISOLATE_OPENERS = {"LRI", "RLI", "FSI"}
RIGHT_TO_LEFT_OR_CONTROL = {"R", "AL", "AN", "LRE", "RLE", "LRO", "RLO", "PDF", "PDI", *ISOLATE_OPENERS}


def balanced(text):
    """``text`` without a U+2069 that closes nothing, and with each isolate it opens closed."""
    kept, open_isolates = [], 0
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ISOLATE_OPENERS:
            open_isolates += 1
        elif kind == "PDI":
            if not open_isolates:
                continue
            open_isolates -= 1
        kept.append(char)
    return "".join(kept) + POP_DIRECTIONAL_ISOLATE * open_isolates


def needs_isolation(text):
    # No ASCII character is right-to-left or a direction control: most texts are answered at once.
    return not text.isascii() and any(unicodedata.bidirectional(char) in RIGHT_TO_LEFT_OR_CONTROL for char in text)


def isolate(value):
    """``value`` as HTML in a ``<bdi>`` (direction from its own first strong letter); ``""`` for ``None``."""
    if value is None or value == "":
        return ""
    if hasattr(value, "__html__"):  # already HTML (a link, say): isolated as it is
        return format_html("<bdi>{}</bdi>", value)
    return format_html("<bdi>{}</bdi>", balanced(str(value)))


def isolate_text(value):
    """``value`` as plain text between U+2068 and U+2069 when it needs it, else unchanged."""
    if value is None:
        return ""
    text = str(value)
    if not needs_isolation(text):
        return text
    return FIRST_STRONG_ISOLATE + balanced(text) + POP_DIRECTIONAL_ISOLATE


class Phrase:
    """``pattern % values`` with each value isolated: ``str()`` for plain text, ``html()`` for HTML.

    ``Phrase(_("%(object)s is now invalid."), object=customer)``; the pattern is escaped for HTML,
    the values are isolated (and escaped) one by one.
    """

    def __init__(self, pattern, **values):
        self.pattern = pattern
        self.values = values

    def __str__(self):
        return str(self.pattern) % {name: isolate_text(value) for name, value in self.values.items()}

    def html(self):
        return mark_safe(
            conditional_escape(self.pattern) % {name: isolate(value) for name, value in self.values.items()}
        )

    __html__ = html  # in a template, and as a value of another Phrase
