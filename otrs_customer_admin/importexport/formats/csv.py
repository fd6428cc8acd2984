"""CSV and TSV: separator detection, Excel's ``sep=`` line, and quoting mistakes found and named."""

import codecs
import csv
import io
import re

from django.utils.translation import gettext

from .problems import FileProblem, empty_file
from .table import Table, checked_rows, clean_headers, column_name, text_rows
from .text import PHYSICAL_LINE, TextStream, as_bytes, line_at

#: The most characters of one record: far more than any real one, and memory for a few.
MAX_RECORD = 16 << 20

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


def _physical_lines(text):
    """The lines of ``text`` with their ends, split at CRLF, LF or CR only (as a text editor does).

    Unlike ``io.StringIO(text, newline="")`` this keeps no second copy of the text.
    """
    return map(re.Match.group, PHYSICAL_LINE.finditer(text))


def _csv_problem(error, record, record_line, delimiter, headers):
    """A FileProblem for the csv module's complaint about ``record``, the text of the record starting on
    ``record_line`` as far as the csv module read it."""
    found = _first_quote_problem(record, 0, delimiter)
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
    return FileProblem(message, line=record_line - 1 + line_at(record, position), column=column)


def _column_from_start(prefix, delimiter):
    """For an encoding error in the first chunk: the column of the first bad byte, from the text before it."""
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


class CSVFile:
    """The records of a CSV file, read a chunk at a time: ``header()`` gives its header and rows.

    The csv module reads the lines of a ``TextStream``; the lines of the record it is reading are
    kept (at most ``MAX_RECORD`` characters) to say where a quote or an encoding goes wrong.
    """

    def __init__(self, file, delimiter=None):
        self.headers = None
        self.delimiter = delimiter  # None until detected from the first chunk
        self.record = []  # the lines of the record the csv module is reading
        self.record_size = 0
        self.stream = TextStream(file, self.locate_column)
        head = self.stream.head()
        self.sep_line = _SEP_LINE.match(head)  # Excel's "sep=;" hint line
        if self.sep_line:
            delimiter = delimiter or self.sep_line.group(1)
        if delimiter is None:
            delimiter = _detect_delimiter(head, _BLANK_LINES.match(head).end())
        self.delimiter = delimiter
        self.reader = csv.reader(self.lines(), delimiter=delimiter, strict=True)

    def header(self):
        """The column names, and the ``(line, cells)`` records after them (unchecked)."""
        rows = self.records()
        for line, cells in rows:
            if "".join(cells).strip():
                self.headers = clean_headers(cells, line)
                return self.headers, rows
        raise empty_file()

    def fraction_read(self):
        return self.stream.fraction_read(self.reader.line_num)

    def lines(self):
        record = self.record
        for line in self.stream.lines():
            record.append(line)
            self.record_size += len(line)
            if self.record_size > MAX_RECORD:
                raise csv.Error(f"field larger than field limit ({csv.field_size_limit()})")
            yield line

    def records(self):
        """``(line, cells)`` for each record that has cells, ``line`` where it starts."""
        reader, previous = self.reader, 0
        try:
            if self.sep_line:
                next(reader)
                previous = reader.line_num
                self.record.clear()
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                self.record.clear()
                self.record_size = 0
                if cells:
                    yield start, cells
        except csv.Error as error:
            raise _csv_problem(error, "".join(self.record), previous + 1, self.delimiter, self.headers) from None

    def locate_column(self, before, from_start):
        """For encoding errors: which column the first bad byte is in, from the text before it."""
        if from_start:
            return _column_from_start(before, self.delimiter)
        if self.headers is None:
            return None
        reader = csv.reader(_physical_lines("".join(self.record) + before + "\x01"), delimiter=self.delimiter)
        records = [row for row in reader if "".join(row).strip()]
        return column_name(self.headers, len(records[-1]) - 1)


def read_csv(data, delimiter=None, max_rows=None):
    """A Dataset from CSV bytes or text; ``delimiter`` ``None`` detects ``,``, ``;`` or tab."""
    data = as_bytes(data)
    if isinstance(data, str):
        data = codecs.BOM_UTF8 + data.removeprefix("\ufeff").encode("utf-8", "surrogatepass")
    return open_csv(io.BytesIO(data), delimiter, max_rows).dataset()


def open_csv(file, delimiter=None, max_rows=None):
    """A Table of the CSV in the binary ``file``, read a chunk at a time, in bounded memory."""
    csv_file = CSVFile(file, delimiter)
    headers, rows = csv_file.header()
    return Table(headers, checked_rows(headers, rows, max_rows), fraction_read=csv_file.fraction_read)


def stream_csv(headers, chunks, delimiter=","):
    """CSV as Excel reads it (UTF-8 with BOM, CRLF line ends, quotes where needed), as bytes: the
    header, then a piece per chunk of ``chunks`` (lists of rows of text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    yield codecs.BOM_UTF8 + _taken(buffer)
    for rows in chunks:
        writer.writerows(rows)
        yield _taken(buffer)


def _taken(buffer):
    """What ``buffer`` holds, as UTF-8; the buffer emptied."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def write_csv(dataset, delimiter=","):
    """A dataset as CSV (``stream_csv``), in one piece."""
    rows = text_rows(dataset)
    return b"".join(stream_csv(next(rows), [rows], delimiter=delimiter))
