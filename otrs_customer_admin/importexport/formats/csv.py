"""CSV and TSV: separator detection, Excel's ``sep=`` line, and quoting mistakes found and named."""

import codecs
import csv
import io
import re

from django.utils.translation import gettext

from .problems import FileProblem, empty_file
from .table import clean_headers, column_name, table, text_rows
from .text import decode, line_at

_SEP_LINE = re.compile(r"sep=(.)(\r\n|\r|\n|$)", re.IGNORECASE)
_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")


def _detect_delimiter(text, start):
    """``,``, ``;`` or tab: whichever the header line (from ``start``) uses most outside quotes."""
    counts = {"\t": 0, ";": 0, ",": 0}
    quoted = False
    for char in text[start : start + 65536]:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in counts:
            counts[char] += 1
        elif char in "\r\n":
            break
    # Ties go to the rarer separator: a comma is likelier inside a column name.
    best = max(counts, key=lambda char: counts[char])
    return best if counts[best] else ","


_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')


def _first_quote_problem(text, position, delimiter):
    """Scan CSV from the start of a record; where is the first quoting mistake?

    Returns ``("unclosed", position, column index)`` for a quoted value that is
    never closed, ``("junk", position, column index)`` for characters after a
    closing quote, or ``None``.
    """
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    end = len(text)
    column = 0
    while position < end:
        if text[position] == '"':
            match = _QUOTED.match(text, position)
            if match is None:
                return "unclosed", position, column
            position = match.end()
            if position < end and text[position] not in (delimiter, "\r", "\n"):
                return "junk", position, column
        else:
            position = unquoted.match(text, position).end()
        if position >= end:
            break
        if text[position] == delimiter:
            column += 1
            position += 1
        else:
            column = 0
            position += 2 if text.startswith("\r\n", position) else 1
    return None


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _physical_lines(text):
    """The lines of ``text`` with their ends, split at CRLF, LF or CR only (as a text editor does).

    Unlike ``io.StringIO(text, newline="")`` this keeps no second copy of the text.
    """
    return map(re.Match.group, _PHYSICAL_LINE.finditer(text))


def _line_offset(text, line):
    """Where ``line`` (from 1) starts in ``text``."""
    offset = 0
    for number, match in enumerate(_PHYSICAL_LINE.finditer(text), start=1):
        if number == line:
            return offset
        offset = match.end()
    return offset


def _csv_problem(error, text, record_line, delimiter, headers):
    """A FileProblem for the csv module's complaint about the record starting on ``record_line``."""
    found = _first_quote_problem(text, _line_offset(text, record_line), delimiter)
    if found is None:
        return FileProblem(
            gettext(
                "This line cannot be read as CSV (%(error)s). A value is probably too long or its quotes "
                "are not closed; check the quotes from here on."
            )
            % {"error": error},
            line=record_line,
        )
    kind, position, index = found
    column = column_name(headers, index)
    if kind == "unclosed":
        message = gettext(
            'A value starts with a quote (") that is never closed, so the rest of the file would be read '
            'into it. Close the quote, or double each quote inside a quoted value ("").'
        )
    else:
        message = gettext(
            "A quoted value is followed by more characters after its closing quote. Put the whole value "
            'in quotes and double each quote inside it ("").'
        )
    return FileProblem(message, line=line_at(text, position), column=column)


def _csv_locator(delimiter):
    """For encoding errors: which column the first bad byte is in, from the text before it."""

    def locate(prefix):
        separator = delimiter
        if separator is None:
            match = _SEP_LINE.match(prefix)
            separator = match.group(1) if match else _detect_delimiter(prefix, 0)
        reader = csv.reader(_physical_lines(prefix + "\x01"), delimiter=separator)
        records = [row for row in reader if "".join(row).strip()]
        if _SEP_LINE.match(prefix):
            records = records[1:]
        if len(records) < 2:
            return None  # the bad byte is in the header itself
        return column_name([name.strip() for name in records[0]], len(records[-1]) - 1)

    return locate


def read_csv(data, delimiter=None, max_rows=None):
    """A Dataset from CSV bytes or text; ``delimiter`` ``None`` detects ``,``, ``;`` or tab."""
    text = decode(data, _csv_locator(delimiter))
    sep_line = _SEP_LINE.match(text)  # Excel's "sep=;" hint line
    if sep_line:
        delimiter = delimiter or sep_line.group(1)
    if delimiter is None:
        delimiter = _detect_delimiter(text, _BLANK_LINES.match(text).end())
    reader = csv.reader(_physical_lines(text), delimiter=delimiter, strict=True)
    headers = None

    def records():
        previous = 0
        try:
            if sep_line:
                next(reader)
                previous = reader.line_num
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if cells:
                    yield start, cells
        except csv.Error as error:
            raise _csv_problem(error, text, previous + 1, delimiter, headers) from None

    rows = records()
    for line, cells in rows:
        if "".join(cells).strip():
            headers = clean_headers(cells, line)
            return table(headers, rows, max_rows)
    raise empty_file()


def write_csv(dataset, delimiter=","):
    """CSV as Excel reads it: UTF-8 with BOM, CRLF line ends, quotes where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(text_rows(dataset))
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
