"""Cell values as text, and the ``'`` that keeps a spreadsheet from running a value as a formula."""

import datetime

#: What makes a spreadsheet run a cell as a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _starts_like_formula(value):
    return value.lstrip("'").startswith(FORMULA_PREFIXES)


def neutralise_formula(value):
    """Put a ``'`` before a value a spreadsheet would run as a formula.

    Values already starting with ``'`` before such a character get one more, so
    ``restore_neutralised`` gives back exactly the original value.
    """
    if value and _starts_like_formula(value):
        return "'" + value
    return value


def restore_neutralised(value):
    """Undo ``neutralise_formula``: drop the ``'`` it put before a formula character."""
    if value[:1] == "'" and _starts_like_formula(value[1:]):
        return value[1:]
    return value


def cell_text(value):
    """A cell value as the text the import engine gets (and the export writes)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        if value.is_integer():
            return str(int(value))
        text = f"{value:.15g}"  # what Excel shows, without binary noise like 1.1000000000000001
        return repr(value) if "e" in text else text
    if kind is datetime.datetime:
        if value.hour == value.minute == value.second == value.microsecond == 0 and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
