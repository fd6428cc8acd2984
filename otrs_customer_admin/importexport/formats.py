"""Reading and writing the files data staff move around: CSV, TSV, XLSX and JSON.

Every reader turns a file into a ``tablib.Dataset`` whose first column,
``LINE_COLUMN``, holds the line of the file each row came from (the header is
line 1; blank lines and the extra lines of values with embedded newlines count,
as they do in a text editor; in a spreadsheet it is the row number). All other
cells are strings, ``""`` when empty, so the import engine sees the same thing
whatever program wrote the file. Anything wrong with the file itself is raised
as a ``FileProblem`` that names the line (and column) and says what to do.

The formats subclass django-import-export's, so the admin's import and export
pages can offer them. They are *binary* formats as far as django-import-export
is concerned: they read the uploaded bytes themselves (to recognise UTF-8,
UTF-16 and their byte order marks instead of guessing) and export bytes.
"""

import codecs
import csv
import datetime
import io
import json
import re
import warnings
import zipfile

import tablib
from django.utils.translation import gettext, gettext_noop
from import_export.formats import base_formats

__all__ = [
    "CSV",
    "EXPORT_FORMATS",
    "FORMULA_PREFIXES",
    "IMPORT_FORMATS",
    "JSON",
    "LINE_COLUMN",
    "TSV",
    "XLSX",
    "FileProblem",
    "cell_text",
    "format_for",
    "neutralise_formula",
    "restore_neutralised",
]

#: Name of the extra first column holding each row's line in the file (an int).
LINE_COLUMN = "__line__"

#: What makes a spreadsheet run a cell as a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Reading a spreadsheet stops after this many empty rows in a row: LibreOffice
#: can save a sheet as 1,048,576 rows, all but a few of them empty.
EMPTY_ROWS_BEFORE_END = 1000

SAVE_AS_UTF8 = gettext_noop("In Excel: Save As > CSV UTF-8; in LibreOffice: Character set: Unicode (UTF-8).")


class FileProblem(ValueError):
    """Something wrong with an import file, where it is and what to do about it.

    ``line`` is the line of the file (or row of the sheet), ``column`` the header
    of the column; either may be ``None``. ``str()`` gives
    ``Line 3, Country: Unknown country 'Narnia'.``, or just the message.
    """

    def __init__(self, message, *, line=None, column=None):
        self.message = str(message)
        self.line = line
        self.column = column
        super().__init__(self.message)

    def __str__(self):
        values = {"line": self.line, "column": self.column, "message": self.message}
        if self.line is not None and self.column:
            return gettext("Line %(line)s, %(column)s: %(message)s") % values
        if self.line is not None:
            return gettext("Line %(line)s: %(message)s") % values
        if self.column:
            return gettext("%(column)s: %(message)s") % values
        return self.message

    def __repr__(self):
        return f"FileProblem({self.message!r}, line={self.line!r}, column={self.column!r})"

    def __reduce__(self):
        return (type(self), (self.message,), {"line": self.line, "column": self.column})


# --- formula neutralisation ----------------------------------------------------


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


# --- cell values -----------------------------------------------------------------


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


def _column_letter(index):
    """``0`` -> ``A``, ``26`` -> ``AA``: how spreadsheets name a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _line_at(text, position):
    """The line (from 1) of ``text`` that ``position`` is on; CRLF, LF and CR all end a line."""
    return text.count("\n", 0, position) + text.count("\r", 0, position) - text.count("\r\n", 0, position) + 1


# --- building the dataset -----------------------------------------------------------


def _clean_headers(cells, line):
    """The stripped column names of a header row; trailing empty cells are dropped."""
    names = [str(cell).replace("\ufeff", "").strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    seen = {}
    for position, name in enumerate(names):
        if not name:
            raise FileProblem(
                gettext(
                    "Column %(number)s (%(letter)s) of the header has no name. "
                    "Give every column a name, or delete the empty column."
                )
                % {"number": position + 1, "letter": _column_letter(position)},
                line=line,
            )
        if name == LINE_COLUMN:
            raise FileProblem(
                gettext('The column name "%(name)s" is reserved for line numbers; rename that column.')
                % {"name": name},
                line=line,
            )
        key = name.casefold()
        if key in seen:
            first, first_name = seen[key]
            raise FileProblem(
                gettext(
                    'The column "%(name)s" appears twice (columns %(first)s and %(second)s). '
                    "Delete or rename one of them."
                )
                % {"name": first_name, "first": _column_letter(first), "second": _column_letter(position)},
                line=line,
            )
        seen[key] = position, name
    return names


def _too_many_rows(max_rows):
    return FileProblem(
        gettext(
            "The file has more than %(max_rows)s rows. Split it into files of at most %(max_rows)s rows "
            "and import them one after the other, or use the import_customers / import_customer_users command."
        )
        % {"max_rows": max_rows}
    )


def _longer_than_header(line, count, width):
    return FileProblem(
        gettext(
            "This row has %(count)s values but the header names only %(width)s columns. "
            "Remove the extra values, or give their column a name in the header."
        )
        % {"count": count, "width": width},
        line=line,
    )


def _table(headers, records, max_rows):
    """A Dataset of ``(line, *cells)`` rows from ``(line, cells)`` records.

    Rows whose cells are all empty are skipped; short rows are padded with
    ``""``; values beyond the header are an error (empty ones are dropped).
    """
    width = len(headers)
    padding = [""] * width
    rows = []
    append = rows.append
    for line, cells in records:
        joined = "".join(cells)
        if not joined or joined.isspace():
            continue
        count = len(cells)
        if count != width:
            if count < width:
                cells = [*cells, *padding[count:]]
            else:
                if "".join(cells[width:]).strip():
                    while not cells[count - 1].strip():
                        count -= 1
                    raise _longer_than_header(line, count, width)
                cells = cells[:width]
        if max_rows is not None and len(rows) >= max_rows:
            raise _too_many_rows(max_rows)
        append((line, *cells))
    return tablib.Dataset(*rows, headers=[LINE_COLUMN, *headers])


def _empty_file(detail=""):
    message = gettext("The file is empty.")
    return FileProblem(f"{message} {detail}".strip())


# --- text files ----------------------------------------------------------------------


def _as_bytes(data):
    if data is None:  # e.g. django-import-export's CacheStorage after the cache expired
        return b""
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    return data


def _decode(data, locate_column=None):
    """The text of an upload: UTF-8 (with or without BOM) or UTF-16 (LE/BE, with BOM).

    Anything else is refused with the line of the first byte that is not UTF-8,
    instead of guessing an 8-bit code page and importing mojibake.
    """
    data = _as_bytes(data)
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        if data.startswith(codecs.BOM_UTF8):
            encoding, body = "utf-8", data[3:]
        elif data.startswith(codecs.BOM_UTF16_LE):
            encoding, body = "utf-16-le", data[2:]
        elif data.startswith(codecs.BOM_UTF16_BE):
            encoding, body = "utf-16-be", data[2:]
        elif len(data) >= 4 and data[1] == data[3] == 0 and data[0] and data[2]:
            encoding, body = "utf-16-le", data  # UTF-16 without BOM: ASCII, NUL, ASCII, NUL
        elif len(data) >= 4 and data[0] == data[2] == 0 and data[1] and data[3]:
            encoding, body = "utf-16-be", data
        else:
            encoding, body = "utf-8", data
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as error:
            raise _encoding_problem(body, encoding, error, locate_column) from None
    if not text.strip():
        raise _empty_file()
    nul = text.find("\x00")
    if nul >= 0:
        raise FileProblem(
            gettext(
                "The file contains a NUL character, so it is not a text file in a known encoding. "
                "Save it as UTF-8 text and import it again. %(how)s"
            )
            % {"how": gettext(SAVE_AS_UTF8)},
            line=_line_at(text, nul),
        )
    return text


def _encoding_problem(body, encoding, error, locate_column):
    prefix = body[: error.start].decode(encoding)  # everything before the first bad byte is fine
    line = _line_at(prefix, len(prefix))
    column = locate_column(prefix) if locate_column else None
    if encoding == "utf-8":
        message = gettext(
            "The file is not saved as UTF-8 (it is probably ANSI, Windows-1252 or Latin-1), so its letters "
            "cannot be read reliably. Save it as UTF-8 and import it again. %(how)s"
        )
    else:
        message = gettext("The file is damaged UTF-16 text. Save it as UTF-8 and import it again. %(how)s")
    return FileProblem(message % {"how": gettext(SAVE_AS_UTF8)}, line=line, column=column)


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


def _column_name(headers, index):
    if headers is not None and index < len(headers):
        return headers[index]
    return gettext("column %(letter)s") % {"letter": _column_letter(index)}


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
    column = _column_name(headers, index)
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
    return FileProblem(message, line=_line_at(text, position), column=column)


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
        return _column_name([name.strip() for name in records[0]], len(records[-1]) - 1)

    return locate


def read_csv(data, delimiter=None, max_rows=None):
    """A Dataset from CSV bytes or text; ``delimiter`` ``None`` detects ``,``, ``;`` or tab."""
    text = _decode(data, _csv_locator(delimiter))
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
            headers = _clean_headers(cells, line)
            return _table(headers, rows, max_rows)
    raise _empty_file()


def _text_rows(dataset):
    """Header and rows of a dataset to export, without ``LINE_COLUMN``, as text."""
    headers = [str(header) for header in (dataset.headers or [])]
    skip = 1 if headers[:1] == [LINE_COLUMN] else 0
    yield headers[skip:]
    for row in dataset:
        yield [cell_text(value) for value in row[skip:]]


def write_csv(dataset, delimiter=","):
    """CSV as Excel reads it: UTF-8 with BOM, CRLF line ends, quotes where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(_text_rows(dataset))
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


# --- JSON ------------------------------------------------------------------------------

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
        raise _not_a_list(_line_at(text, position))
    position = _JSON_SPACE.match(text, position + 1).end()
    if text.startswith("]", position):
        return
    counted_to, line, count = 0, 1, 0
    while True:
        line += _breaks(text, counted_to, position)
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
            raise _too_many_rows(max_rows)
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
                    line=_line_at(text, rest),
                )
            return
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise _json_error(error) from None
        raise _not_a_list(_line_at(text, position))  # pragma: no cover - loads() found the mistake


def _breaks(text, start, end):
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


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
    text = _decode(data)
    columns = {}  # key -> position
    names = []
    lines = []  # where each key first appeared
    rows = []
    for line, record in _json_objects(text, max_rows):
        cells = [""] * len(names)  # rows with fewer keys are padded by _table
        for key, value in record.items():
            position = columns.get(key)
            if position is None:
                position = columns[key] = len(names)
                names.append(key)
                lines.append(line)
                cells.append("")
            cells[position] = _json_cell(value, line, key)
        rows.append((line, cells))
    if not rows:
        # "[]" has no columns to name, unlike a CSV header without rows.
        raise _empty_file()
    return _table(_clean_keys(names, lines), rows, None)


def write_json(dataset):
    rows = _text_rows(dataset)
    headers = next(rows)
    records = [dict(zip(headers, row, strict=False)) for row in rows]
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- XLSX -------------------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Office's escape for characters XML cannot carry in text (CR, control characters):
# "_x000D_"; a literal "_x000D_" is written "_x005F_x000D_" (ECMA-376 ST_Xstring).
_XSTRING_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_XSTRING_NEEDS_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f]")


def _xstring_unescape(value):
    return _XSTRING_ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), value)


def _xstring_escape(value):
    return _XSTRING_NEEDS_ESCAPE.sub(lambda match: f"_x{ord(match.group()):04X}_", value)


def _not_xlsx(data):
    """The FileProblem for something that is not an .xlsx workbook, saying what it is instead."""
    save_as = gettext("Open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx).")
    if data.startswith(_OLE2):
        detail = gettext("This is an old Excel 97-2003 (.xls) file or a password-protected workbook.")
    elif data.startswith(b"PK"):
        detail = gettext("This is a ZIP archive but not an Excel (.xlsx) workbook.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    detail = gettext("The Excel file is damaged or uses a feature that cannot be read.")
                    save_as = gettext("Open it in Excel or LibreOffice and save it again as Excel Workbook (.xlsx).")
                elif "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
                    detail = gettext("This is an OpenDocument (.ods) spreadsheet, not an Excel (.xlsx) workbook.")
        except (zipfile.BadZipFile, OSError, RuntimeError):
            pass
    else:
        try:
            _decode(data)
        except FileProblem:
            detail = gettext("This is not an Excel (.xlsx) file.")
        else:
            detail = gettext("This is not an Excel (.xlsx) file but text, probably CSV.")
            save_as = gettext(
                "Choose CSV as the format, or open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)."
            )
    return FileProblem(f"{detail} {save_as}")


def read_xlsx(data, max_rows=None):
    """A Dataset from the first sheet of an .xlsx workbook; lines are the sheet's row numbers."""
    import openpyxl

    data = _as_bytes(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise _empty_file()
    if not data.startswith(b"PK"):
        raise _not_xlsx(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception:
            raise _not_xlsx(data) from None
        try:
            if not book.worksheets:
                raise _empty_file(gettext("The workbook has no worksheet."))
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # the saved dimensions may claim 1,048,576 rows
            return _read_sheet(sheet.iter_rows(), max_rows)
        except FileProblem:
            raise
        except Exception:
            raise FileProblem(
                gettext("The Excel file is damaged and cannot be read. Open it in Excel and save it again.")
            ) from None
        finally:
            book.close()


def _read_sheet(rows, max_rows):
    headers = None

    def values(line, row):
        cells = []
        append = cells.append
        for index, cell in enumerate(row):
            value = cell.value
            if value is None:
                append("")
            elif type(value) is str:
                if value[:1] in ("=", "#") and cell.data_type in ("f", "e"):
                    raise _cell_problem(cell, line, _column_name(headers, index))
                append(_xstring_unescape(value) if "_x" in value else value)
            elif cell.data_type == "f":  # array and data-table formulas
                raise _cell_problem(cell, line, _column_name(headers, index))
            else:
                append(cell_text(value))
        return cells

    def records(lines):
        empty = 0
        for line, row in lines:
            cells = values(line, row)
            if not "".join(cells).strip():
                empty += 1
                if empty >= EMPTY_ROWS_BEFORE_END:
                    return
                continue
            empty = 0
            yield line, cells

    lines = enumerate(rows, start=1)
    for line, cells in records(lines):
        headers = _clean_headers(cells, line)
        return _table(headers, records(lines), max_rows)
    raise _empty_file(gettext("Its first sheet has no cells with values."))


def _cell_problem(cell, line, column):
    if cell.data_type == "e":
        return FileProblem(
            gettext("The cell shows the error %(error)s. Correct it, or clear the cell.") % {"error": cell.value},
            line=line,
            column=column,
        )
    return FileProblem(
        gettext("formulas are not imported; paste the values instead (Paste Special > Values)."),
        line=line,
        column=column,
    )


def write_xlsx(dataset):
    """An .xlsx workbook in which every cell is text: nothing is ever run as a formula.

    Carriage returns and control characters are written with Office's ``_xHHHH_``
    escape, which Excel shows as the character and ``read_xlsx`` reads back.
    """
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    rows = _text_rows(dataset)
    headers = next(rows)
    for index, header in enumerate(headers):
        sheet.column_dimensions[_column_letter(index)].width = min(max(len(header) + 4, 12), 60)
    sheet.freeze_panes = "A2"
    # openpyxl writes a <dimension> only for sheets that can calculate one; without
    # it, every read_only load of this file would first parse the whole sheet.
    last_cell = f"{_column_letter(max(len(headers), 1) - 1)}{len(dataset) + 1}"
    sheet.calculate_dimension = lambda: f"A1:{last_cell}"
    bold = Font(bold=True)

    def text_cell(value, font=None):
        cell = WriteOnlyCell(sheet, value=_xstring_escape(value))
        cell.data_type = "s"  # whatever it looks like: never a formula or an error value
        if font is not None:
            cell.font = font
        return cell

    def cells(row):
        for value in row:
            if not value:
                yield None
            elif value[0] == "=" or value in ERROR_CODES or _XSTRING_NEEDS_ESCAPE.search(value):
                yield text_cell(value)
            else:
                yield value  # openpyxl stores any other str as a string cell

    sheet.append([text_cell(header, bold) for header in headers])
    for row in rows:
        sheet.append(list(cells(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the formats ---------------------------------------------------------------------------


class FileFormat:
    """What the package's formats add to django-import-export's.

    ``max_rows`` limits the data rows of an import (``None``: no limit); pass it
    to ``create_dataset`` or set it on the class or instance.
    """

    max_rows = None
    TITLE = EXTENSION = ""

    def __init__(self, encoding=None, max_rows=None):
        # ``encoding`` is accepted for django-import-export, which passes its
        # from_encoding; the readers recognise UTF-8 and UTF-16 themselves.
        self.encoding = encoding
        if max_rows is not None:
            self.max_rows = max_rows

    def __repr__(self):
        return f"<{type(self).__name__} format>"

    @classmethod
    def is_available(cls):
        return True

    def get_title(self):
        return self.TITLE

    def get_extension(self):
        return self.EXTENSION

    def get_content_type(self):
        return self.CONTENT_TYPE

    def is_binary(self):
        # Binary for django-import-export: the upload reaches create_dataset as
        # bytes (so the encoding is recognised here) and export_data returns bytes.
        return True

    def is_text(self):
        """Whether the exported bytes are text a terminal can show (CSV, TSV, JSON)."""
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return True

    def create_dataset(self, in_stream, max_rows=None, **kwargs):
        """A Dataset of ``(line, *cells)`` rows from the file's bytes (or text); raises FileProblem."""
        return self.read(in_stream, max_rows=self.max_rows if max_rows is None else max_rows)

    def read(self, data, max_rows=None):
        raise NotImplementedError


class CSV(FileFormat, base_formats.CSV):
    """Comma-, semicolon- or tab-separated text, as Excel, LibreOffice, OTRS and Zammad write it."""

    TITLE, EXTENSION, CONTENT_TYPE = "csv", "csv", "text/csv; charset=utf-8"
    DELIMITER = None  # detected from the header line

    def read(self, data, max_rows=None):
        return read_csv(data, delimiter=self.DELIMITER, max_rows=max_rows)

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset, delimiter=self.DELIMITER or ",")


class TSV(CSV, base_formats.TSV):
    """Tab-separated text (Excel's "Unicode Text" is this in UTF-16)."""

    TITLE, EXTENSION, CONTENT_TYPE = "tsv", "tsv", "text/tab-separated-values; charset=utf-8"
    DELIMITER = "\t"


class JSON(FileFormat, base_formats.JSON):
    """A list of objects, one per record (Zammad's and this package's export)."""

    TITLE, EXTENSION, CONTENT_TYPE = "json", "json", "application/json"

    def read(self, data, max_rows=None):
        return read_json(data, max_rows=max_rows)

    def export_data(self, dataset, **kwargs):
        return write_json(dataset)


class XLSX(FileFormat, base_formats.XLSX):
    """The first sheet of an Excel workbook; formulas are refused, every exported cell is text."""

    TITLE, EXTENSION = "xlsx", "xlsx"
    CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    @classmethod
    def is_available(cls):
        try:
            import openpyxl  # noqa: F401
        except ImportError:  # pragma: no cover
            return False
        return True

    def is_text(self):
        return False

    def read(self, data, max_rows=None):
        return read_xlsx(data, max_rows=max_rows)

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset)


IMPORT_FORMATS = [CSV, TSV, XLSX, JSON]
EXPORT_FORMATS = [CSV, TSV, XLSX, JSON]

_BY_NAME = {"csv": CSV, "tsv": TSV, "tab": TSV, "txt": CSV, "xlsx": XLSX, "json": JSON}
_CONVERT = {
    "xls": "Excel 97-2003 (.xls)",
    "xlsm": "Excel with macros (.xlsm)",
    "ods": "OpenDocument (.ods)",
    "numbers": "Numbers",
}


def format_for(name_or_filename):
    """An instance of the format named ``csv``, ``tsv``, ``xlsx`` or ``json``, or of a file name's extension.

    ``.txt`` files are read as CSV (whose separator detection also finds tabs,
    as in Excel's "Unicode Text"); unknown names raise FileProblem.
    """
    name = str(name_or_filename).strip()
    key = name.lower().lstrip(".")
    if key not in _BY_NAME and "." in name:
        key = name.rsplit(".", 1)[1].lower()
    if key in _BY_NAME:
        return _BY_NAME[key]()
    known = ", ".join(format_class.TITLE for format_class in IMPORT_FORMATS)
    if key in _CONVERT:
        raise FileProblem(
            gettext("%(kind)s files cannot be read. Save the file as Excel Workbook (.xlsx) or CSV UTF-8.")
            % {"kind": _CONVERT[key]}
        )
    raise FileProblem(
        gettext("Unknown file format %(name)s: use one of %(known)s (or a file name ending in one of them).")
        % {"name": name or "''", "known": known}
    )
