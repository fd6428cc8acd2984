"""JSON: a list of objects, read one object at a time so each row knows the line it starts on."""

import json
import math
import re
from json.encoder import encode_basestring

from django.utils.translation import gettext

from .cells import cell_text
from .problems import FileProblem, empty_file, too_many_rows
from .table import LINE_COLUMN, Table, checked_rows, text_rows
from .text import decode, line_at, line_breaks

_JSON_SPACE = re.compile(r"[ \t\n\r]*")

#: How deep lists and objects may nest before the reader refuses the file without
#: decoding it (the decoder recurses once a level). Records hold plain values, so
#: anything past the list and its objects is refused anyway, with its field named.
MAX_DEPTH = 20
#: The longest number (in characters) read; longer ones are refused, not rounded.
MAX_NUMBER_LENGTH = 100

# A string (an unclosed one runs to the end), or a bracket outside strings.
_NESTING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]')


def _json_error(error):
    return FileProblem(
        gettext("This is not valid JSON: %(error)s (column %(column)s). Check the file, or export it again.")
        % {"error": error.msg, "column": error.colno},
        line=error.lineno,
    )


def _not_a_list(line=None):
    return FileProblem(
        gettext(
            "A JSON file must hold a list of records, one object per customer or customer user, like "
            '[{"customer_id": "ACME", "name": "Acme Inc."}]. Export it again as such a list.'
        ),
        line=line,
    )


def _check_depth(text, position):
    """Refuse the value at ``position`` if its lists and objects nest deeper than MAX_DEPTH."""
    depth = 0
    for token in _NESTING.finditer(text, position):
        kind = token.group()
        if kind in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FileProblem(
                    gettext(
                        "Lists and objects are nested here more than %(limit)s levels deep. A JSON file to "
                        "import is a list of records with plain values."
                    )
                    % {"limit": MAX_DEPTH},
                    line=line_at(text, token.start()),
                )
        elif kind in "]}":
            depth -= 1
        if depth <= 0:
            return


def _unique_keys(pairs):
    record = dict(pairs)
    if len(record) != len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise FileProblem(
                    gettext("The field %(name)s appears twice in this record. Keep one of them.")
                    % {"name": json.dumps(key)},
                    column=key.strip() or key,
                )
            seen.add(key)
    return record


def _number_problem(number):
    shown = number if len(number) <= 20 else number[:20] + "…"
    return FileProblem(
        gettext(
            "The number %(number)s is too long or too large to be read (at most %(limit)s characters). "
            "Put it in quotes if it is text."
        )
        % {"number": shown, "limit": MAX_NUMBER_LENGTH}
    )


def _integer(number):
    if len(number) > MAX_NUMBER_LENGTH:
        raise _number_problem(number)
    return int(number)


def _float(number):
    value = float(number)
    if len(number) > MAX_NUMBER_LENGTH or not math.isfinite(value):
        raise _number_problem(number)
    return value


def _constant(name):
    raise FileProblem(
        gettext("%(value)s is not a value JSON allows. Put it in quotes if it is text, or write null for no value.")
        % {"value": name}
    )


def _decoder():
    """A JSON decoder that refuses what Python's accepts but JSON does not, or what would be lost."""
    return json.JSONDecoder(
        object_pairs_hook=_unique_keys, parse_int=_integer, parse_float=_float, parse_constant=_constant
    )


def _decode(decoder, text, position, line):
    """The value at ``position`` and where it ends; nesting is checked before the decoder recurses."""
    try:
        if text.startswith("{", position):
            # The common case, a flat record: an object with no "{" or "[" before the first "}".
            # Decoded on its own it cannot nest, so the slow check is not needed.
            end = text.find("}", position) + 1
            if end and text.find("{", position + 1, end) < 0 and text.find("[", position + 1, end) < 0:
                try:
                    value, used = decoder.raw_decode(text[position:end])
                except json.JSONDecodeError:
                    used = None  # the "}" was inside a string: decoded below, in the file
                if used == end - position:
                    return value, end
        _check_depth(text, position)
        return decoder.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise _json_error(error) from None
    except FileProblem as problem:
        if problem.line is None:
            problem.line = line
        raise


def _json_cell(value, line, key):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise FileProblem(
            gettext(
                "Lists and objects inside a record are not imported. Give this field a plain value "
                "(text, a number, true/false or null)."
            ),
            line=line,
            column=key.strip() or key,
        )
    return cell_text(value)


def _json_objects(text, max_rows):
    """``(line, object)`` for each object of the top-level list, ``line`` where it starts."""
    decoder = _decoder()
    end = len(text)
    position = _JSON_SPACE.match(text, 0).end()
    if text[position] != "[":
        _decode(decoder, text, position, line_at(text, position))
        raise _not_a_list(line_at(text, position))
    position = _JSON_SPACE.match(text, position + 1).end()
    if text.startswith("]", position):
        return
    counted_to, line, count = 0, 1, 0
    while True:
        line += line_breaks(text, counted_to, position)
        counted_to = position
        value, position = _decode(decoder, text, position, line)
        if not isinstance(value, dict):
            raise FileProblem(
                gettext("This entry of the list is not an object with field names and values."), line=line
            )
        count += 1
        if max_rows is not None and count > max_rows:
            raise too_many_rows(max_rows)
        yield line, value
        position = _JSON_SPACE.match(text, position).end()
        if text.startswith(",", position):
            position = _JSON_SPACE.match(text, position + 1).end()
            continue
        if text.startswith("]", position):
            rest = _JSON_SPACE.match(text, position + 1).end()
            if rest != end:
                raise FileProblem(
                    gettext("There is more after the end of the list; the file must hold a single list."),
                    line=line_at(text, rest),
                )
            return
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise _json_error(error) from None
        raise _not_a_list(line_at(text, position))  # pragma: no cover - loads() found the mistake


def _clean_keys(names, lines):
    """The stripped field names of JSON records; ``lines[i]`` is where ``names[i]`` first appeared."""
    seen = {}
    headers = []
    for name, line in zip(names, lines, strict=True):
        header = name.replace("\ufeff", "").strip()
        if not header or header == LINE_COLUMN:
            raise FileProblem(
                gettext("A record has a field named %(name)s; give every field a name such as customer_id.")
                % {"name": json.dumps(name)},
                line=line,
            )
        first = seen.setdefault(header.casefold(), header)
        if first != header or header in headers:
            raise FileProblem(
                gettext("The field names %(first)s and %(second)s differ only in case or spaces; use one spelling.")
                % {"first": json.dumps(first), "second": json.dumps(name)},
                line=line,
            )
        headers.append(header)
    return headers


def read_json(data, max_rows=None):
    """A Dataset from a JSON list of objects: headers are the keys in first-seen order."""
    return open_json(data, max_rows).dataset()


def open_json(data, max_rows=None):
    """A Table of a JSON list of objects, its columns the keys in first-seen order.

    JSON has no lines to read one at a time: the file's text is held in memory and read twice,
    for the keys and then for the rows, which are made as they are iterated.
    """
    text = decode(data)
    columns = {}  # key -> position
    names = []
    lines = []  # where each key first appeared
    count = 0
    for line, record in _json_objects(text, max_rows):
        count += 1
        for key, value in record.items():
            _json_cell(value, line, key)  # refused values are found in this first reading
            if key not in columns:
                columns[key] = len(names)
                names.append(key)
                lines.append(line)
    if not count:
        # "[]" has no columns to name, unlike a CSV header without rows.
        raise empty_file()
    headers = _clean_keys(names, lines)

    def rows():
        for line, record in _json_objects(text, None):
            cells = [""] * len(names)
            for key, value in record.items():
                cells[columns[key]] = _json_cell(value, line, key)
            yield line, cells

    return Table(headers, checked_rows(headers, rows(), None))


def stream_json(headers, chunks):
    """A list of objects, one per row, as ``json.dumps(..., ensure_ascii=False, indent=2)`` writes it,
    as bytes: a piece per chunk of ``chunks`` (lists of rows of text)."""
    # Each key and its indent once; each value through the C encoder of JSON strings.
    keys = [f"    {encode_basestring(str(header))}: " for header in headers]
    opened = False
    for rows in chunks:
        records = []
        for row in rows:
            fields = ",\n".join(key + encode_basestring(value) for key, value in zip(keys, row, strict=False))
            records.append(("," if opened else "[") + ("\n  {\n" + fields + "\n  }" if fields else "\n  {}"))
            opened = True
        if records:
            yield "".join(records).encode("utf-8")
    yield b"\n]\n" if opened else b"[]\n"


def write_json(dataset):
    """A dataset as JSON (``stream_json``), in one piece."""
    rows = text_rows(dataset)
    return b"".join(stream_json(next(rows), [rows]))
