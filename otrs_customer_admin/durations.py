"""How long until or since a moment, in words that fit into a sentence ("in 2 days", "2 days ago").

Django's ``timesince`` words are nominative ("2 Tage"), right for a column of ages but wrong
after a preposition: German needs the dative ("vor 2 Tagen", "in 2 Tagen", "seit 2 Tagen").
The units here carry the context ``after a preposition``, so that a language can inflect them;
in English they read as Django's.
"""

from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext, npgettext_lazy

AFTER_A_PREPOSITION = {
    "year": npgettext_lazy("after a preposition", "%(num)d year", "%(num)d years", "num"),
    "month": npgettext_lazy("after a preposition", "%(num)d month", "%(num)d months", "num"),
    "week": npgettext_lazy("after a preposition", "%(num)d week", "%(num)d weeks", "num"),
    "day": npgettext_lazy("after a preposition", "%(num)d day", "%(num)d days", "num"),
    "hour": npgettext_lazy("after a preposition", "%(num)d hour", "%(num)d hours", "num"),
    "minute": npgettext_lazy("after a preposition", "%(num)d minute", "%(num)d minutes", "num"),
}


def span_since(value, now):
    """The time from ``value`` to ``now``, to follow a preposition ("overdue by …")."""
    return timesince(value, now, time_strings=AFTER_A_PREPOSITION)


def span_until(value, now):
    """The time from ``now`` to ``value``, to follow a preposition ("due in …")."""
    return timeuntil(value, now, time_strings=AFTER_A_PREPOSITION)


def relative_time(value, now):
    """``in 2 days`` or ``2 days ago``: ``value`` seen from ``now``."""
    if value > now:
        return gettext("in %(time)s") % {"time": span_until(value, now)}
    return gettext("%(time)s ago") % {"time": span_since(value, now)}
