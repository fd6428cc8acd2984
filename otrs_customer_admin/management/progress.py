"""The progress of a long command, called as ``progress(phase, done, total=None)``.

The import and export commands, the directory sync and the demo data all report through it:
on a terminal one line redrawn in place, a bar when the total is known and a count when it is
not; off a terminal a line for every tenth of a known total, or nothing (a cron mail stays short).
"""

import time

from django.core.management.base import OutputWrapper
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

UNITS = {
    "rows": gettext_lazy("rows"),
    "entries": gettext_lazy("entries"),
    "records": gettext_lazy("records"),
    "tickets": gettext_lazy("tickets"),
}
PHASES = {
    "check": gettext_lazy("checking"),
    "write": gettext_lazy("writing"),
    "export": gettext_lazy("exporting"),
    "customers": gettext_lazy("customers"),
    "customer users": gettext_lazy("customer users"),
}
LABEL_WIDTH = 15
BAR_WIDTH = 30


class Progress:
    """``Progress(stream, unit="rows")``: what was done of what, with the rate per second.

    ``unit`` is "rows", "entries", "records" or "tickets"; ``lines_off_a_terminal=False`` keeps it silent
    when ``stream`` is not a terminal. A phase not in ``PHASES`` is shown as it is given.
    """

    def __init__(self, stream, unit, *, lines_off_a_terminal=True):
        self.stream = stream
        self.unit = UNITS[unit]
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.lines_off_a_terminal = lines_off_a_terminal
        self.started = time.monotonic()
        self.last_tenth = {}

    def __call__(self, phase, done, total=None):
        if total is not None:
            done = min(done, total)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        numbers = {
            "label": PHASES.get(phase, phase),
            "unit": self.unit,
            "done": number_format(done, force_grouping=True),
            "total": number_format(total or 0, force_grouping=True),
            "rate": number_format(round(rate), force_grouping=True),
        }
        if self.tty:
            numbers["label"] = f"{numbers['label']:>{LABEL_WIDTH}}"
            if total is None:
                line = _("%(label)s: %(done)s %(unit)s, %(rate)s %(unit)s/s") % numbers
            else:
                filled = BAR_WIDTH * done // total if total else BAR_WIDTH
                numbers["bar"] = "#" * filled + "-" * (BAR_WIDTH - filled)
                line = _("%(label)s [%(bar)s] %(done)s/%(total)s %(unit)s, %(rate)s %(unit)s/s") % numbers
            # The line is redrawn in place until its phase is done.
            self.write("\r" + line + ("\n" if total is not None and done >= total else ""))
            self.stream.flush()
            return
        if total is None or not self.lines_off_a_terminal:
            return
        tenth = 10 * done // total if total else 10
        if self.last_tenth.get(phase) != tenth:
            self.last_tenth[phase] = tenth
            self.write(_("%(label)s: %(done)s/%(total)s %(unit)s, %(rate)s %(unit)s/s") % numbers + "\n")

    def write(self, text):
        if isinstance(self.stream, OutputWrapper):
            # ending="": a command's OutputWrapper would end every write with a newline, and the
            # line must stay on its line; plain style, not the error colour of stderr.
            self.stream.write(text, style_func=plain, ending="")
        else:
            self.stream.write(text)


def plain(text):
    return text
