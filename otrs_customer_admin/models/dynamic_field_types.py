"""The types of dynamic fields: how each cleans, stores, shows and writes out its values.

A value is typed in Python (``record.dynamic_fields["Tier"]``): ``str`` for the text types and
a dropdown's key, ``int``, ``Decimal``, ``date``, an aware ``datetime``, ``bool`` for a checkbox
and a list of keys for a multiselect. Empty is ``None`` (``False`` for a checkbox, ``[]`` for a
multiselect). ``clean_value`` turns what a form, a file cell or a directory attribute holds into
that value; ``format_value`` writes it out as text ``clean_value`` reads back (the import and
export columns); ``display_value`` is what a person reads.

Stored, a value is one row of the value table per value (a multiselect has a row per key), in
the column of its type (``VALUE_COLUMN``); text also keeps its folded start in ``value_key``,
which the searches and filters compare through an index.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..folding import fold


class FieldType(models.TextChoices):
    TEXT = "text", _("text")
    TEXTAREA = "textarea", _("text area")
    INTEGER = "integer", _("integer")
    DECIMAL = "decimal", _("decimal number")
    DATE = "date", _("date")
    DATETIME = "datetime", _("date and time")
    CHECKBOX = "checkbox", _("checkbox")
    DROPDOWN = "dropdown", _("dropdown")
    MULTISELECT = "multiselect", _("multiselect")
    URL = "url", _("URL")
    EMAIL = "email", _("email")


# The types whose values are free text: the free-text search looks into those marked searchable.
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.URL, FieldType.EMAIL})
CHOICE_TYPES = frozenset({FieldType.DROPDOWN, FieldType.MULTISELECT})
# The types that keep ``value_key``: what a search or a filter may compare as text.
KEYED_TYPES = TEXT_TYPES | CHOICE_TYPES
# The types a list may sort by (a multiselect has no one value to sort by).
SORTABLE_TYPES = frozenset(FieldType) - {FieldType.MULTISELECT, FieldType.TEXTAREA}
# The types a list filter offers (by choice, yes/no, or date range).
FILTERABLE_TYPES = frozenset({FieldType.DROPDOWN, FieldType.MULTISELECT, FieldType.CHECKBOX, FieldType.DATE})

VALUE_COLUMN = {
    FieldType.TEXT: "value_text",
    FieldType.TEXTAREA: "value_text",
    FieldType.URL: "value_text",
    FieldType.EMAIL: "value_text",
    FieldType.DROPDOWN: "value_text",
    FieldType.MULTISELECT: "value_text",
    FieldType.INTEGER: "value_int",
    FieldType.CHECKBOX: "value_int",
    FieldType.DECIMAL: "value_decimal",
    FieldType.DATE: "value_date",
    FieldType.DATETIME: "value_datetime",
}

# The columns of a value row that hold its value.
VALUE_COLUMNS = ("value_text", "value_key", "value_int", "value_decimal", "value_date", "value_datetime")

MAX_LENGTH = {
    FieldType.TEXT: 1000,
    FieldType.TEXTAREA: 10000,
    FieldType.URL: 2000,
    FieldType.EMAIL: 254,
}
# How much of a text's folded form ``value_key`` keeps (and its index holds).
KEY_LENGTH = 200
# The integers a value may hold: the database's 64-bit integers.
INTEGER_RANGE = (-(2**63), 2**63 - 1)
DECIMAL_DIGITS, DECIMAL_PLACES = 30, 10
# Between a multiselect's keys in a file cell (as between a person's additional customers).
LIST_SEPARATORS = re.compile(r"~~~|[;,|]")
LIST_JOINER = "; "

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "x", "checked", "ja", "wahr"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "unchecked", "nein", "falsch"})


def empty_value(field_type):
    """A field's value when nothing is stored."""
    if field_type == FieldType.CHECKBOX:
        return False
    if field_type == FieldType.MULTISELECT:
        return []
    return None


def is_empty(value):
    return value is None or value is False or value == "" or value == [] or value == ()


def value_key(text):
    return fold(text)[:KEY_LENGTH]


def _invalid(message, code, **params):
    return ValidationError(message, code=code, params=params)


def clean_value(field, value):
    """The typed value of ``value`` for the definition ``field``: a typed value, or text as a form,
    a file or a directory gives it. Raises ``ValidationError`` with a message a user can act on."""
    field_type = field.field_type
    if isinstance(value, str):
        value = value.strip()
    if field_type == FieldType.MULTISELECT:
        return _clean_keys(field, value)
    if field_type == FieldType.CHECKBOX:
        return _clean_bool(value)
    if is_empty(value):
        return None
    cleaner = CLEANERS[field_type]
    return cleaner(field, value)


def _clean_text(field, value):
    text = str(value)
    if "\x00" in text:
        raise _invalid(gettext("The text contains a NUL character."), "nul")
    limit = MAX_LENGTH[field.field_type]
    if len(text) > limit:
        raise _invalid(
            gettext("At most %(limit)d characters (it has %(length)d)."), "max_length", limit=limit, length=len(text)
        )
    if field.field_type == FieldType.TEXT:
        text = " ".join(text.splitlines())  # one line
    if field.field_type == FieldType.URL:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise _invalid(gettext("'%(value)s' is not an http or https URL."), "url", value=text) from None
    if field.field_type == FieldType.EMAIL:
        try:
            EmailValidator()(text)
        except ValidationError:
            raise _invalid(gettext("'%(value)s' is not an email address."), "email", value=text) from None
    return text


def _clean_integer(field, value):
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).replace("\u202f", "").replace(" ", "")
        try:
            number = int(text)
        except ValueError:
            try:
                as_decimal = Decimal(text)
            except InvalidOperation:
                as_decimal = None
            if as_decimal is None or not as_decimal.is_finite() or as_decimal != as_decimal.to_integral_value():
                raise _invalid(gettext("'%(value)s' is not a whole number."), "integer", value=value) from None
            number = int(as_decimal)
    low, high = INTEGER_RANGE
    if not low <= number <= high:
        raise _invalid(gettext("%(value)s is too large a number."), "integer_range", value=number)
    return number


def _clean_decimal(field, value):
    if isinstance(value, float):
        value = repr(value)
    text = str(value).replace("\u202f", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as German spreadsheets write it
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _invalid(gettext("'%(value)s' is not a number."), "decimal", value=value) from None
    if not number.is_finite():
        raise _invalid(gettext("'%(value)s' is not a number."), "decimal", value=value)
    quantized = number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES))
    if quantized != number:
        raise _invalid(
            gettext("%(value)s has more than %(places)d decimal places."),
            "decimal_places",
            value=value,
            places=DECIMAL_PLACES,
        )
    if abs(number) >= Decimal(10) ** (DECIMAL_DIGITS - DECIMAL_PLACES):
        raise _invalid(gettext("%(value)s is too large a number."), "decimal_range", value=value)
    return tidy_decimal(number)


def tidy_decimal(number):
    """``12.50`` as ``12.5`` and ``100.000`` as ``100``: one decimal, one text."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _clean_date(field, value):
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    # OTRS writes a date field's value with a time of midnight: "2024-01-31 00:00:00".
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    try:
        parsed = parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        parsed = _localized(text, "DATE_INPUT_FORMATS", lambda moment: moment.date())
    if parsed is None:
        raise _invalid(gettext("'%(value)s' is not a date (write it as YYYY-MM-DD)."), "date", value=value)
    return parsed


def _clean_datetime(field, value):
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value)
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            day = parse_date(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
            moment = datetime.datetime.combine(day, datetime.time()) if day else None
        if moment is None:
            moment = _localized(text, "DATETIME_INPUT_FORMATS", lambda parsed: parsed)
        if moment is None:
            raise _invalid(
                gettext("'%(value)s' is not a date and time (write it as YYYY-MM-DD HH:MM)."), "datetime", value=value
            )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _localized(text, formats_setting, convert):
    for pattern in formats.get_format(formats_setting):
        try:
            return convert(datetime.datetime.strptime(text, pattern))
        except (ValueError, TypeError):
            continue
    return None


def _clean_bool(value):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or not text:
        return False
    raise _invalid(gettext("'%(value)s' is not a yes/no value: use 1 or 0 (or yes/no)."), "checkbox", value=value)


def _choice_key(field, value):
    """The key of a dropdown or multiselect choice given by key or by label (keys first, then
    labels, each ignoring case)."""
    text = str(value).strip()
    choices = field.choices or {}
    if text in choices:
        return text
    key = _choice_index(field, choices).get(fold(text))
    if key is not None:
        return key
    raise _invalid(
        gettext("'%(value)s' is not one of the choices (%(choices)s)."),
        "choice",
        value=text,
        choices=", ".join(list(choices)[:10]) + (", …" if len(choices) > 10 else ""),
    )


def _choice_index(field, choices):
    """Folded key or label -> key, kept on the definition while its choices stay the same object (an
    import looks up every cell of a column in it)."""
    cached = getattr(field, "_choice_index", None)
    if cached is not None and cached[0] is choices:
        return cached[1]
    index = {fold(str(label)): key for key, label in reversed(choices.items())}
    index.update({fold(key): key for key in reversed(list(choices))})  # a key wins over a label
    field._choice_index = (choices, index)
    return index


def _clean_choice(field, value):
    return _choice_key(field, value)


def _clean_keys(field, value):
    if is_empty(value):
        return []
    if isinstance(value, str):
        parts = LIST_SEPARATORS.split(value)
    elif isinstance(value, list | tuple | set | frozenset):
        parts = list(value)
    else:
        parts = [value]
    return _keys_of(field, parts)


def _keys_of(field, parts):
    """The keys of a multiselect's parts (keys or labels), each once, in the order of the choices."""
    choices = field.choices or {}
    keys = []
    for part in parts:
        if isinstance(part, str):
            part = part.strip()
            if not part:
                continue
        key = part if part in choices else _choice_key(field, part)
        if key not in keys:
            keys.append(key)
    if len(keys) > 1:
        order = {key: position for position, key in enumerate(choices)}
        keys.sort(key=order.__getitem__)
    return keys


CLEANERS = {
    FieldType.TEXT: _clean_text,
    FieldType.TEXTAREA: _clean_text,
    FieldType.URL: _clean_text,
    FieldType.EMAIL: _clean_text,
    FieldType.INTEGER: _clean_integer,
    FieldType.DECIMAL: _clean_decimal,
    FieldType.DATE: _clean_date,
    FieldType.DATETIME: _clean_datetime,
    FieldType.DROPDOWN: _clean_choice,
}


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def text_parser(field):
    """What reads the text of a file cell (stripped, not empty) as a value of ``field``: what
    ``clean_value`` gives, with the usual forms of each type read at once (an import reads every
    cell of a column with it, twice)."""
    field_type = field.field_type
    low, high = INTEGER_RANGE

    def parse_text(text):
        return _clean_text(field, text)

    def parse_integer(text):
        try:
            number = int(text)
        except ValueError:
            return clean_value(field, text)
        return number if low <= number <= high else clean_value(field, text)

    def parse_date(text):
        if ISO_DATE.match(text):
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                pass
        return clean_value(field, text)

    def parse_choice(text):
        return text if text in (field.choices or {}) else _choice_key(field, text)

    def parse_keys(text):
        return _keys_of(field, LIST_SEPARATORS.split(text))

    def parse_other(text):
        return clean_value(field, text)

    parsers = {
        FieldType.TEXT: parse_text,
        FieldType.TEXTAREA: parse_text,
        FieldType.URL: parse_text,
        FieldType.EMAIL: parse_text,
        FieldType.INTEGER: parse_integer,
        FieldType.DATE: parse_date,
        FieldType.DROPDOWN: parse_choice,
        FieldType.MULTISELECT: parse_keys,
    }
    return parsers.get(field_type, parse_other)


def format_value(field_type, value):
    """``value`` as the text of an export cell, which ``clean_value`` reads back unchanged."""
    if field_type == FieldType.CHECKBOX:
        return "1" if value else "0"
    if is_empty(value):
        return ""
    if field_type == FieldType.MULTISELECT:
        return LIST_JOINER.join(value)
    if field_type == FieldType.DATE:
        return value.isoformat()
    if field_type == FieldType.DATETIME:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if field_type == FieldType.DECIMAL:
        return format(value, "f")
    return str(value)


def display_value(field, value):
    """``value`` as a person reads it: a choice's label, Yes/No, a date in the site's format."""
    field_type = field.field_type
    if field_type == FieldType.CHECKBOX:
        return gettext("Yes") if value else gettext("No")
    if is_empty(value):
        return ""
    choices = field.choices or {}
    if field_type == FieldType.DROPDOWN:
        return str(choices.get(value, value))
    if field_type == FieldType.MULTISELECT:
        return ", ".join(str(choices.get(key, key)) for key in value)
    if field_type == FieldType.DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if field_type == FieldType.DATETIME:
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if field_type == FieldType.DECIMAL:
        return formats.number_format(value)
    return str(value)


# --- storage ------------------------------------------------------------------------------------


# A stored row's columns after the record and the field, in the order ``storage_rows`` gives them.
ROW_COLUMNS = ("position", *VALUE_COLUMNS)
_EMPTY_ROW = (0, None, None, None, None, None, None)
_COLUMN_AT = {field_type: ROW_COLUMNS.index(column) for field_type, column in VALUE_COLUMN.items()}
_KEY_AT = ROW_COLUMNS.index("value_key")


def storage_rows(field_type, value):
    """The value table's rows of ``value`` (without the record and the field): tuples of
    ``ROW_COLUMNS``, none for an empty value. Tuples, not dicts: an import stores hundreds of
    thousands."""
    if field_type == FieldType.MULTISELECT:
        return [(position, key, value_key(key), None, None, None, None) for position, key in enumerate(value)]
    if field_type == FieldType.CHECKBOX:
        return [(0, None, None, 1, None, None, None)] if value else []
    if is_empty(value):
        return []
    row = list(_EMPTY_ROW)
    row[_COLUMN_AT[field_type]] = value
    if field_type in KEYED_TYPES:
        row[_KEY_AT] = value_key(value)
    return [tuple(row)]


def value_from_rows(field_type, rows):
    """The typed value of a field's stored rows (dicts with the value columns, any order)."""
    if not rows:
        return empty_value(field_type)
    column = VALUE_COLUMN[field_type]
    if field_type == FieldType.MULTISELECT:
        return [row[column] for row in sorted(rows, key=lambda row: row["position"])]
    value = rows[0][column]
    if field_type == FieldType.CHECKBOX:
        return bool(value)
    if field_type == FieldType.DECIMAL and value is not None:
        return tidy_decimal(Decimal(value))
    return value
