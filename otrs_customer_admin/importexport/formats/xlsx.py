"""Excel workbooks (.xlsx): the first sheet read as text, formulas refused, every exported cell text."""

import io
import re
import tempfile
import warnings
import zipfile
from contextlib import contextmanager

import openpyxl
from django.utils.translation import gettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
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

#: The blocks a finished workbook is read back in, for a stream.
XLSX_BLOCK = 1 << 16

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

    Written through openpyxl's write-only mode, a chunk of ``chunks`` (lists of rows of text) at
    a time; ``total`` is the number of rows, for the sheet's dimension. The workbook is put
    together in a temporary file and given as bytes, a block at a time.

    Carriage returns and control characters are written with Office's ``_xHHHH_``
    escape, which Excel shows as the character and ``read_xlsx`` reads back.
    """
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(len(header) + 4, 12), 60)
    sheet.freeze_panes = "A2"
    # openpyxl writes a <dimension> only for sheets that can calculate one; without
    # it, every read_only load of this file would first parse the whole sheet.
    last_cell = f"{get_column_letter(max(len(headers), 1))}{total + 1}"
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
    for rows in chunks:
        for row in rows:
            sheet.append(list(cells(row)))
    with tempfile.TemporaryFile() as file:
        book.save(file)
        file.seek(0)
        while block := file.read(XLSX_BLOCK):
            yield block


def write_xlsx(dataset):
    """A dataset as an .xlsx workbook (``stream_xlsx``), in one piece."""
    rows = text_rows(dataset)
    return b"".join(stream_xlsx(next(rows), [rows], len(dataset)))
