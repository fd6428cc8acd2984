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

For the management commands, ``FileRows`` reads a file of any size: its rows are read
from disk as the import iterates them (``FileFormat.open`` gives a ``table.Table``), a
chunk at a time, and read again for the write.

This module holds the format classes, as django-import-export's ``base_formats``
does; the reading and writing is in one module per concern: ``problems``
(FileProblem), ``cells`` (cell text, formula neutralising), ``table`` (the
header and row checks every reader shares), ``text`` (decoding uploads),
``csv``, ``json`` and ``xlsx``.
"""

import os
from contextlib import contextmanager, nullcontext

from django.utils.translation import gettext
from import_export.formats import base_formats

from .cells import FORMULA_PREFIXES, cell_text, neutralise_formula, restore_neutralised
from .csv import open_csv, read_csv, stream_csv, write_csv
from .json import open_json, read_json, stream_json, write_json
from .problems import FileProblem, file_changed
from .table import LINE_COLUMN, DatasetRows, Table
from .xlsx import open_xlsx, read_xlsx, stream_xlsx, write_xlsx

__all__ = [
    "CSV",
    "EXPORT_FORMATS",
    "FORMULA_PREFIXES",
    "IMPORT_FORMATS",
    "JSON",
    "LINE_COLUMN",
    "TSV",
    "XLSX",
    "DatasetRows",
    "FileProblem",
    "FileRows",
    "Table",
    "cell_text",
    "format_for",
    "neutralise_formula",
    "restore_neutralised",
]


class FileFormat:
    """What the package's formats add to django-import-export's.

    ``max_rows`` limits the data rows of an import (``None``: no limit); pass it
    to ``create_dataset`` or set it on the class or instance.
    """

    max_rows = None
    TITLE = EXTENSION = ""
    # Whether ``stream`` needs the number of rows before the first one.
    NEEDS_TOTAL = False

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

    def open(self, file, max_rows=None):
        """A context manager giving a ``Table`` of the binary ``file``, whose rows are read as they
        are iterated (see ``FileRows``); raises FileProblem."""
        raise NotImplementedError

    def stream(self, headers, chunks, total):
        """The file of ``headers`` and the rows of ``chunks`` (lists of rows, each a list of text;
        ``total`` rows in all, or None when the format does not need it), as pieces of bytes written
        as the chunks come."""
        raise NotImplementedError


class FileRows:
    """The rows of an import file on disk, for ``RecordImport.run``: each ``open()`` reads the file
    anew as its rows are iterated, so that a file of any size is read in bounded memory."""

    def __init__(self, path, file_format, max_rows=None):
        self.path = path
        self.file_format = file_format
        self.max_rows = max_rows
        self.version = None  # size and time of change at the first open

    @contextmanager
    def open(self):
        with open(self.path, "rb") as file:
            status = os.fstat(file.fileno())
            version = (status.st_size, status.st_mtime_ns)
            if self.version is not None and version != self.version:
                raise file_changed()
            self.version = version
            with self.file_format.open(file, self.max_rows) as table:
                yield table


class CSV(FileFormat, base_formats.CSV):
    """Comma-, semicolon- or tab-separated text, as Excel, LibreOffice, OTRS and Zammad write it."""

    TITLE, EXTENSION, CONTENT_TYPE = "csv", "csv", "text/csv; charset=utf-8"
    DELIMITER = None  # detected from the header line

    def read(self, data, max_rows=None):
        return read_csv(data, delimiter=self.DELIMITER, max_rows=max_rows)

    def open(self, file, max_rows=None):
        # A chunk of the file at a time.
        return nullcontext(open_csv(file, delimiter=self.DELIMITER, max_rows=max_rows))

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset, delimiter=self.DELIMITER or ",")

    def stream(self, headers, chunks, total):
        return stream_csv(headers, chunks, delimiter=self.DELIMITER or ",")


class TSV(CSV, base_formats.TSV):
    """Tab-separated text (Excel's "Unicode Text" is this in UTF-16)."""

    TITLE, EXTENSION, CONTENT_TYPE = "tsv", "tsv", "text/tab-separated-values; charset=utf-8"
    DELIMITER = "\t"


class JSON(FileFormat, base_formats.JSON):
    """A list of objects, one per record (Zammad's and this package's export)."""

    TITLE, EXTENSION, CONTENT_TYPE = "json", "json", "application/json"

    def read(self, data, max_rows=None):
        return read_json(data, max_rows=max_rows)

    def open(self, file, max_rows=None):
        # The whole text, which JSON needs; the rows one at a time.
        return nullcontext(open_json(file.read(), max_rows=max_rows))

    def export_data(self, dataset, **kwargs):
        return write_json(dataset)

    def stream(self, headers, chunks, total):
        return stream_json(headers, chunks)


class XLSX(FileFormat, base_formats.XLSX):
    """The first sheet of an Excel workbook; formulas are refused, every exported cell is text."""

    TITLE, EXTENSION = "xlsx", "xlsx"
    NEEDS_TOTAL = True  # the sheet's dimension comes before its rows
    CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def is_text(self):
        return False

    def read(self, data, max_rows=None):
        return read_xlsx(data, max_rows=max_rows)

    def open(self, file, max_rows=None):
        # The compressed bytes; the rows one at a time.
        return open_xlsx(file.read(), max_rows=max_rows)

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset)

    def stream(self, headers, chunks, total):
        return stream_xlsx(headers, chunks, total)


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
