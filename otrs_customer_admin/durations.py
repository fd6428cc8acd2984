"""How long until or since a moment, in words that fit into a sentence ("in 2 days", "2 days ago").

Django's ``timesince`` words are nominative ("2 Tage"), right for a column of ages but wrong
after a preposition: German needs the dative ("vor 2 Tagen", "in 2 Tagen", "seit 2 Tagen").
The units here carry the context ``after a preposition``, so that a language can inflect them;
in English they read as Django's.

Working time (an SLA's calendar, ``working_time``) is told in hours and minutes: a working day
is not 24 hours, so "1 day" would mislead.
"""

from django.utils.html import avoid_wrapping
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext, npgettext_lazy

from .working_time import AROUND_THE_CLOCK

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


def working_span(duration):
    """A duration of working time in hours and minutes, to follow a preposition ("27 hours, 5 minutes")."""
    hours, minutes = divmod(int(duration.total_seconds()) // 60, 60)
    parts = [AFTER_A_PREPOSITION["hour"] % {"num": hours}] if hours else []
    if minutes or not hours:
        parts.append(AFTER_A_PREPOSITION["minute"] % {"num": minutes})
    return gettext(", ").join(avoid_wrapping(part) for part in parts)


def deadline_status(due_at, now, clock):
    """``(overdue, words)`` of a running deadline seen from ``now``: "due in 2 hours" or
    "overdue by 3 days"; counted in ``clock`` (an SLA's, ``SLA.clock``), and in working time,
    said so, when that is a calendar's ("due in 2 hours, 30 minutes (working time)")."""
    overdue = due_at <= now
    if clock is AROUND_THE_CLOCK:
        if overdue:
            return True, gettext("overdue by %(time)s") % {"time": span_since(due_at, now)}
        return False, gettext("due in %(time)s") % {"time": span_until(due_at, now)}
    if overdue:
        time = working_span(clock.between(due_at, now))
        return True, gettext("overdue by %(time)s (working time)") % {"time": time}
    time = working_span(clock.between(now, due_at))
    return False, gettext("due in %(time)s (working time)") % {"time": time}
