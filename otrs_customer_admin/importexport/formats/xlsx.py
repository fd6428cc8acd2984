"""Excel workbooks (.xlsx): the first sheet read as text, formulas refused, every exported cell text."""

import io
import re
import tempfile
import warnings
import zipfile
from contextlib import contextmanager
from xml.sax.saxutils import escape as xml_escape

import openpyxl
from django.utils.translation import gettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape

from . import limits
from .cells import cell_text
from .problems import FileProblem, empty_file
from .table import Table, checked_rows, clean_headers, column_name, text_rows
from .text import as_bytes, decode
from .xlsx_parts import Archive

#: Reading a spreadsheet stops after this many empty rows in a row: LibreOffice
#: can save a sheet as 1,048,576 rows, all but a few of them empty.
EMPTY_ROWS_BEFORE_END = 1000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Office's escape for characters XML cannot carry in text (CR, control characters) is
# "_x000D_"; a literal "_x000D_" is written "_x005F_x000D_" (ECMA-376 ST_Xstring).
# openpyxl's escape() leaves a literal "_x000D_" as it is (it would read back as CR) and
# misses \x00 and \x1a-\x1f, so exports use this stricter one; its unescape() reads both.
_XSTRING_NEEDS_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f]")


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
            decode(data)
        except FileProblem:
            detail = gettext("This is not an Excel (.xlsx) file.")
        else:
            detail = gettext("This is not an Excel (.xlsx) file but text, probably CSV.")
            save_as = gettext(
                "Choose CSV as the format, or open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)."
            )
    return FileProblem(f"{detail} {save_as}")


class _Reader(ExcelReader):
    """openpyxl's reader in read-only mode, on an ``Archive`` that unpacks every part within the limits."""

    def __init__(self, data):
        archive = Archive(data)  # first: it refuses a zip directory of countless parts before it is read
        super().__init__(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        self.archive.close()  # openpyxl's own ZipFile of the same bytes
        self.archive = archive

    def read_strings(self):
        # openpyxl keeps every shared string in a list: count them before it does.
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            self.archive.kinds[part.PartName[1:]] = "strings"
            self.archive.check(part.PartName[1:])
        super().read_strings()

    def read_worksheets(self):
        # openpyxl opens every sheet to find its size, parsing all of it when no size is
        # saved; the import reads the first sheet only, after the scan, and finds its size
        # by reading it. So here the sheets open empty.
        self.archive.empty_sheets = {rel.target for _sheet, rel in self.parser.find_sheets()}
        self.archive.kinds.update(dict.fromkeys(self.archive.empty_sheets, "sheet"))
        try:
            super().read_worksheets()
        finally:
            self.archive.empty_sheets = set()

    def read_chartsheet(self, sheet, rel):
        pass  # a chart sheet has no rows to import, and its charts and images are not read


def _load(data):
    reader = _Reader(data)
    try:
        reader.read()
    except ValueError as error:
        reader.archive.close()
        if isinstance(error.__cause__, FileProblem):  # openpyxl wraps what the archive refused
            raise error.__cause__ from None
        raise
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb


def read_xlsx(data, max_rows=None):
    """A Dataset from the first sheet of an .xlsx workbook; lines are the sheet's row numbers."""
    with open_xlsx(data, max_rows) as sheet:
        return sheet.dataset()


@contextmanager
def open_xlsx(data, max_rows=None):
    """A Table of the first sheet of an .xlsx workbook, whose rows are read from the workbook as they
    are iterated (openpyxl's read-only mode): memory for the file's bytes, which are compressed."""
    data = as_bytes(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise empty_file()
    if not data.startswith(b"PK"):
        raise _not_xlsx(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
        try:
            book = _load(data)
        except FileProblem:
            raise
        except Exception:
            raise _not_xlsx(data) from None
        try:
            try:
                if not book.worksheets:
                    raise empty_file(gettext("The workbook has no worksheet."))
                sheet = book.worksheets[0]
                book._archive.check(sheet._worksheet_path)  # the whole sheet, before openpyxl parses it
                sheet.reset_dimensions()  # the saved dimensions may claim 1,048,576 rows
                opened = _read_sheet(sheet.iter_rows(), max_rows)
            except FileProblem:
                raise
            except Exception:
                raise _damaged() from None
            archive = book._archive.fp  # the workbook's bytes, read as the rows are
            opened.fraction_read = lambda: archive.tell() / len(data)
            yield opened
        finally:
            book.close()


def _damaged():
    return FileProblem(gettext("The Excel file is damaged and cannot be read. Open it in Excel and save it again."))


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
                    raise _cell_problem(cell, line, column_name(headers, index))
                if len(value) > limits.MAX_CELL_LENGTH:
                    raise limits.value_too_long(line, column_name(headers, index))
                append(unescape(value) if "_x" in value else value)
            elif cell.data_type == "f":  # array and data-table formulas
                raise _cell_problem(cell, line, column_name(headers, index))
            else:
                append(cell_text(value))
        return cells

    def records(lines):
        empty = 0
        while True:
            try:
                line, row = next(lines)
            except StopIteration:
                return
            except Exception:
                raise _damaged() from None
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
        headers = clean_headers(cells, line)
        return Table(headers, checked_rows(headers, records(lines), max_rows))
    raise empty_file(gettext("Its first sheet has no cells with values."))


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


def stream_xlsx(headers, chunks, total):
    """An .xlsx workbook in which every cell is text: nothing is ever run as a formula.

    openpyxl's write-only mode makes the workbook around the rows (the bold header, its frozen
    pane, the column widths, the sheet's dimension from ``total``); the rows of ``chunks`` (lists
    of rows of text) are written into its sheet as inline strings, a chunk at a time, and the
    archive is given as bytes as it grows. openpyxl's own cells would cost tens of microseconds
    each and keep every distinct text in its shared-strings table until the end; these cost a
    string format each, and nothing stays in memory.

    Carriage returns and control characters are written with Office's ``_xHHHH_``
    escape, which Excel shows as the character and ``read_xlsx`` reads back.
    """
    sink = _Pieces()
    with (
        _workbook_frame(headers, total) as frame,
        zipfile.ZipFile(frame) as parts,
        zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in parts.infolist():
            if info.filename != _SHEET:
                out.writestr(info, parts.read(info.filename))
        head, tail = parts.read(_SHEET).split(b"</sheetData>", 1)
        yield sink.taken()
        # Beyond 4 GB a part needs ZIP64, which a streamed part must announce before its size is known.
        large = total is not None and total * max(len(headers), 1) > _ZIP64_CELLS
        with out.open(_SHEET, "w", force_zip64=large) as sheet:
            sheet.write(head)
            letters = [get_column_letter(index + 1) for index in range(len(headers))]
            number = 2  # of the next row; the header is row 1
            for rows in chunks:
                xml, number = _rows_xml(rows, number, letters)
                sheet.write(xml)
                yield sink.taken()
            sheet.write(b"</sheetData>" + tail)
    yield sink.taken()


#: The sheet openpyxl writes the rows into, the only one of the workbook.
_SHEET = "xl/worksheets/sheet1.xml"
#: Cells of a sheet that could reach ZIP64's 4 GB (a cell is at most about 60 bytes of markup
#: and a few of text in a typical export; past this, the part says it may).
_ZIP64_CELLS = 20_000_000


def _workbook_frame(headers, total):
    """The workbook without its rows, in a temporary file: the header row, its bold font and
    frozen pane, the column widths and the sheet's dimension."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(len(header) + 4, 12), 60)
    sheet.freeze_panes = "A2"
    # openpyxl writes a <dimension> only for sheets that can calculate one; without
    # it, every read_only load of this file would first parse the whole sheet.
    last_cell = f"{get_column_letter(max(len(headers), 1))}{(total or 0) + 1}"
    sheet.calculate_dimension = lambda: f"A1:{last_cell}"
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xstring_escape(header))
        cell.data_type = "s"  # whatever it looks like: never a formula or an error value
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    frame = tempfile.TemporaryFile()
    book.save(frame)
    frame.seek(0)
    return frame


def _rows_xml(rows, number, letters):
    """The ``<row>`` elements of ``rows``, numbered from ``number``, and the number after them: a
    non-empty text is an inline string (read back as text whatever it looks like), an empty one
    no cell at all."""
    parts = []
    append = parts.append
    for row in rows:
        append(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=False):
            if value:
                text = f"<t>{value}</t>" if _PLAIN_TEXT.fullmatch(value) else _inline_text(value)
                append(f'<c r="{letter}{number}" t="inlineStr"><is>{text}</is></c>')
        append("</row>")
        number += 1
    return "".join(parts).encode("utf-8"), number


#: A text that goes into the sheet as it is: nothing to escape, no space to keep at either end.
_PLAIN_TEXT = re.compile(r"(?![\s])[^&<>_\x00-\x1f]*(?<![\s])")


def _inline_text(value):
    text = xml_escape(_xstring_escape(value))
    if value != value.strip():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class _Pieces:
    """A write-only binary stream whose bytes are taken as they come (``taken``)."""

    def __init__(self):
        self.pieces = []

    def write(self, data):
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def taken(self):
        data = b"".join(self.pieces)
        self.pieces.clear()
        return data


def write_xlsx(dataset):
    """A dataset as an .xlsx workbook (``stream_xlsx``), in one piece."""
    rows = text_rows(dataset)
    return b"".join(stream_xlsx(next(rows), [rows], len(dataset)))
