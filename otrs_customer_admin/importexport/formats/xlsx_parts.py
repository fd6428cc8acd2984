"""The parts of an .xlsx workbook, unpacked within limits, for openpyxl to read.

An .xlsx file is a ZIP archive of XML parts, and a few hundred kilobytes of it can
unpack to gigabytes: twenty million shared strings, one cell of 300 MB, a row of a
million cells. openpyxl's read-only mode streams the sheet's rows, but it loads the
whole shared-strings table, parses each row as one tree, and reads the other
parts whole. So every part openpyxl opens comes through ``Part``, which unpacks it
in small pieces and scans the bytes before handing them on: it refuses the
workbook as soon as a part unpacks to more than the zip directory said or than the
limits allow, a row has more cells than Excel allows or unpacks too big, the sheet
has too many cells, the shared-strings table too many texts, or any value is too
long. The scan counts tags in the raw XML (cheap, ahead of openpyxl); ``check()``
runs it over a whole part before openpyxl parses it, so a hostile part is refused
at the speed of unzipping.

The same pass maps Strict Open XML's namespaces to the Transitional ones openpyxl
knows, and ends the sheet after its cells: what follows them (merged ranges,
conditional formats, hyperlinks) is never needed and is parsed by openpyxl into
objects of unbounded size.
"""

import io
import re
import zipfile

from django.utils.translation import gettext

from . import limits
from .problems import FileProblem

#: The largest row, shared string, or run of the sheet before its cells, unpacked:
#: openpyxl holds each as a tree of objects some thirty times its size.
MAX_RECORD_BYTES = 4 * 1024 * 1024
#: The largest other part (workbook, styles, relationships ...), which openpyxl parses whole.
MAX_OTHER_PART_BYTES = 16 * 1024 * 1024
#: The longest run of bytes without a tag: a value of MAX_CELL_LENGTH characters
#: takes at most this much (8 bytes a character covers UTF-8 and entities like &amp;).
MAX_TEXT_BYTES = 8 * limits.MAX_CELL_LENGTH
#: More parts than any workbook has; the zip directory itself costs memory.
MAX_PARTS = 10_000

_CHUNK = 64 * 1024  # below MAX_TEXT_BYTES, so a run that long always spans chunks
_NAME = rb"(?:[^\s<>/:!?=]+:)?"  # an optional namespace prefix
_ROOT = re.compile(rb"<(" + _NAME + rb"([^\s<>/:!?=]+))[\s/>]")
_ROW = re.compile(rb"<" + _NAME + rb"row(?=[\s/>])([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\s*(\d+)""")
_CELL = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])")
_SHEET_DATA = re.compile(rb"<" + _NAME + rb"sheetData(?=[\s/>])[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</" + _NAME + rb"sheetData\s*>")
_STRING = re.compile(rb"<" + _NAME + rb"si(?=[\s/>])")

# Strict Open XML (ISO/IEC 29500 Strict, what Excel's "Strict Open XML Spreadsheet" saves)
# names the same elements in other namespaces.
_STRICT_NAMESPACES = [
    (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"),
    (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    ),
    (b"http://purl.oclc.org/ooxml/drawingml/main", b"http://schemas.openxmlformats.org/drawingml/2006/main"),
]
_STRICT = b"http://purl.oclc.org/ooxml/"


def damaged():
    """For what no program that saves workbooks writes: a DTD, an unusual compression, thousands of parts."""
    return FileProblem(
        gettext("The Excel file is damaged or uses a feature that cannot be read.")
        + " "
        + gettext("Open it in Excel or LibreOffice and save it again as Excel Workbook (.xlsx).")
    )


def count_parts(data):
    """The number of parts the zip directory's end record announces (0xFFFF: that many or more)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 12:
        return 0  # zipfile will say what is wrong
    return int.from_bytes(data[end + 10 : end + 12], "little")


class Archive(zipfile.ZipFile):
    """A workbook's ZIP archive whose parts open as ``Part``s, each within the limits."""

    def __init__(self, data):
        if count_parts(data) > MAX_PARTS:
            raise damaged()
        super().__init__(io.BytesIO(data))
        self.read_sizes = {}  # part name -> the most bytes read of it (parts are opened twice)

    def open(self, name, mode="r", pwd=None, **kwargs):
        if mode != "r":
            return super().open(name, mode, pwd, **kwargs)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged()  # bzip2 and LZMA could unpack a huge run from a few bytes at once
        if info.file_size > limits.max_unpacked_size():
            raise limits.unpacks_too_big()  # the directory says so: refused before unpacking
        return Part(super().open(info, mode, pwd), self, info.filename)

    def check(self, name):
        """Scan the whole part, as openpyxl will read it, before openpyxl parses it."""
        with self.open(name) as part:
            while part.read(_CHUNK):
                pass

    def count(self, name, size):
        self.read_sizes[name] = max(size, self.read_sizes.get(name, 0))
        if sum(self.read_sizes.values()) > limits.max_unpacked_size():
            raise limits.unpacks_too_big()


class Part(io.RawIOBase):
    """One part, unpacked in pieces and scanned; what it gives openpyxl ends with a whole tag."""

    def __init__(self, source, archive, name):
        super().__init__()
        self.source, self.archive, self.name = source, archive, name
        self.size = 0  # bytes unpacked so far
        self.carry = b""  # from the last "<" on: the next piece completes it
        self.ready = bytearray()  # scanned, not yet read
        self.done = False
        self.scanner = None

    def readable(self):
        return True

    def close(self):
        self.source.close()
        super().close()

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size=-1):
        if size is None or size < 0:
            while not self.done:
                self._fill()
            size = len(self.ready)
        while len(self.ready) < size and not self.done:
            self._fill()
        data = bytes(self.ready[:size])
        del self.ready[:size]
        return data

    def readall(self):
        return self.read()

    def _fill(self):
        chunk = self.source.read(_CHUNK)
        if chunk:
            self.size += len(chunk)
            self.archive.count(self.name, self.size)
            text = self.carry + chunk
            # The carry starts at a "<": the distance to the next one is the run of a tag and its text.
            next_tag = text.find(b"<", 1)
            if next_tag < 0 or next_tag > MAX_TEXT_BYTES:
                if len(text) > MAX_TEXT_BYTES:
                    raise limits.value_too_long(line=self.scanner.line if self.scanner else None)
                self.carry = text
                return
            cut = text.rfind(b"<")
            text, self.carry = text[:cut], text[cut:]
        else:
            text, self.carry, self.done = self.carry, b"", True
        self.ready += self._scan(text)

    def _scan(self, text):
        """Check ``text`` (whole tags, and the text between them) and map Strict namespaces."""
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            raise damaged()  # entity expansion: a few bytes that unpack inside the XML parser
        if self.scanner is None:
            root = _ROOT.search(text)
            if root is None:
                if self.done or len(text) > MAX_TEXT_BYTES:
                    return text  # not XML: openpyxl says the file is damaged
                self.carry = text + self.carry  # only the XML declaration so far
                return b""
            kind = {b"worksheet": SheetScanner, b"sst": StringsScanner}.get(root.group(2), OtherScanner)
            self.scanner = kind(root.group(1))
        text = self.scanner.scan(text)
        if self.scanner.finished:
            self.done, self.carry = True, b""
            self.source.close()
        if _STRICT in text:
            for strict, transitional in _STRICT_NAMESPACES:
                text = text.replace(strict, transitional)
        return text


class OtherScanner:
    """A part openpyxl parses whole: only its size is limited."""

    line = None
    finished = False

    def __init__(self, root):
        self.size = 0

    def scan(self, text):
        self.size += len(text)
        if self.size > MAX_OTHER_PART_BYTES:
            raise damaged()
        return text


class StringsScanner(OtherScanner):
    """The shared-strings table: how many texts, and none too big."""

    def __init__(self, root):
        self.count = 0
        self.record = 0  # bytes of the current text (a <si>)

    def scan(self, text):
        position = 0
        for match in _STRING.finditer(text):
            self._grow(match.start() - position)
            self.count += 1
            if self.count > limits.max_cells():
                raise limits.too_many_texts()
            self.record, position = 0, match.start()
        self._grow(len(text) - position)
        return text

    def _grow(self, size):
        self.record += size
        if self.record > MAX_RECORD_BYTES:
            raise limits.value_too_long()


class SheetScanner(OtherScanner):
    """A worksheet: its run before the cells, each row's cells and size, all cells; ends after the cells."""

    def __init__(self, root):
        self.root = root  # the root element's name, to close the sheet after its cells
        self.state = "before"
        self.record = 0  # bytes before the cells, then of the current row
        self.row_cells = 0
        self.cells = 0
        self.line = None

    def scan(self, text):
        end = len(text)
        start = 0
        if self.state == "before":
            data = _SHEET_DATA.search(text)
            if data is None:
                self._grow(end)
                return text
            self._grow(data.start())
            self.state, self.record = "cells", 0
            if data.group(1):  # <sheetData/>: no cells at all
                return self._finish(text, data.end())
            start = data.end()
        closed = _SHEET_DATA_END.search(text, start)
        stop = closed.start() if closed else end
        position = start
        for row in _ROW.finditer(text, start, stop):
            self._row_part(text, position, row.start())
            number = _ROW_NUMBER.search(row.group(1))
            self.line = int(number.group(1)) if number else (self.line or 0) + 1
            self.record = self.row_cells = 0
            position = row.start()
        self._row_part(text, position, stop)
        if closed:
            return self._finish(text, closed.end())
        return text

    def _row_part(self, text, start, stop):
        if start == stop:
            return
        cells = len(_CELL.findall(text, start, stop))
        self.row_cells += cells
        self.cells += cells
        if self.row_cells > limits.MAX_COLUMNS:
            raise limits.row_too_wide(self.line)
        if self.cells > limits.max_cells():
            raise limits.too_many_cells()
        self._grow(stop - start)

    def _grow(self, size):
        self.record += size
        if self.record > MAX_RECORD_BYTES:
            if self.state == "before":
                raise damaged()
            raise limits.row_too_big(self.line, MAX_RECORD_BYTES)

    def _finish(self, text, end):
        """The sheet up to the end of its cells, and the root element's end tag."""
        self.finished = True
        return text[:end] + b"</" + self.root + b">"
