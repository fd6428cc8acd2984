"""JSON: a list of objects, read one object at a time so each row knows the line it starts on."""

import json
import re

from django.utils.translation import gettext

from .cells import cell_text
from .problems import FileProblem, empty_file, too_many_rows
from .table import LINE_COLUMN, Table, checked_rows, text_rows
from .text import decode, line_at, line_breaks

_JSON_SPACE = re.compile(r"[ \t\n\r]*")


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
    decoder = json.JSONDecoder()
    end = len(text)
    position = _JSON_SPACE.match(text, 0).end()
    if text[position] != "[":
        try:
            decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _json_error(error) from None
        raise _not_a_list(line_at(text, position))
    position = _JSON_SPACE.match(text, position + 1).end()
    if text.startswith("]", position):
        return
    counted_to, line, count = 0, 1, 0
    while True:
        line += line_breaks(text, counted_to, position)
        counted_to = position
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _json_error(error) from None
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


def write_json(dataset):
    rows = text_rows(dataset)
    headers = next(rows)
    records = [dict(zip(headers, row, strict=False)) for row in rows]
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
