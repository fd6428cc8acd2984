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
#: The largest other part (workbook, styles, relationships ...), which openpyxl parses whole
#: into objects some twelve times its size; Excel's 64,000 cell formats take about 6 MB.
MAX_OTHER_PART_BYTES = 8 * 1024 * 1024
#: The longest run of bytes without a tag: a value of MAX_CELL_LENGTH characters
#: takes at most this much (8 bytes a character covers UTF-8 and entities like &amp;).
MAX_TEXT_BYTES = 8 * limits.MAX_CELL_LENGTH
#: More parts than any workbook has; the zip directory itself costs memory.
MAX_PARTS = 10_000

EMPTY_WORKSHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'

_CHUNK = 64 * 1024  # below MAX_TEXT_BYTES, so a run that long always spans chunks
_NAME = rb"(?:[^\s<>/:!?=]+:)?"  # an optional namespace prefix
_ROOT = re.compile(rb"<(" + _NAME + rb"([^\s<>/:!?=]+))[\s/>]")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\s*(\d+)""")
_SHEET_DATA = re.compile(rb"<" + _NAME + rb"sheetData(?=[\s/>])[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</" + _NAME + rb"sheetData\s*>")
_MAIN_PREFIX = re.compile(
    rb"""xmlns:([^\s<>/:!?=]+)\s*=\s*["'](?:http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"""
    rb"""|http://purl\.oclc\.org/ooxml/spreadsheetml/main)["']"""
)

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
        self.empty_sheets = set()  # parts that open as an empty worksheet
        self.kinds = {}  # part name -> "sheet" or "strings", as the workbook says (whatever its root element)

    def open(self, name, mode="r", pwd=None, **kwargs):
        if mode != "r":
            return super().open(name, mode, pwd, **kwargs)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.filename in self.empty_sheets:
            return io.BytesIO(EMPTY_WORKSHEET)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged()  # bzip2 and LZMA could unpack a huge run from a few bytes at once
        if info.file_size > limits.max_unpacked_size():
            raise limits.unpacks_too_big()  # the directory says so: refused before unpacking
        return Part(super().open(info, mode, pwd), self, info.filename, self.kinds.get(info.filename))

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

    def __init__(self, source, archive, name, kind=None):
        super().__init__()
        self.source, self.archive, self.name, self.kind = source, archive, name, kind
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
            kind = self.kind or {b"worksheet": "sheet", b"sst": "strings"}.get(root.group(2))
            self.scanner = {"sheet": SheetScanner, "strings": StringsScanner}.get(kind, OtherScanner)(root.group(1))
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


class Tag:
    """Where the start tags of one element (``c``, ``row``, ``si``) are, found with ``bytes.find``.

    Regular expressions are ten times slower than unzipping on a sheet of millions of
    cells; plain searches for ``<c `` and its variants keep up. The prefixes bound to
    the spreadsheet namespace are added as the scan meets their declarations.
    """

    ENDS = (b" ", b"\t", b"\n", b"\r", b"/", b">")  # what may follow the name in a start tag

    def __init__(self, name):
        self.name = name
        self.openings = []  # "<c", "<x:c" ...
        self.patterns = []  # "<c ", "<c>" ...
        self.add_prefix(b"")

    def add_prefix(self, prefix):
        opening = b"<" + (prefix + b":" if prefix else b"") + self.name
        self.openings.append(opening)
        self.patterns += [opening + end for end in self.ENDS]

    def count(self, text, start, stop):
        return sum(text.count(pattern, start, stop) for pattern in self.patterns)

    def _is_tag(self, text, position, opening):
        return text[position + len(opening) : position + len(opening) + 1] in self.ENDS

    def first(self, text, start, stop):
        found = []
        for opening in self.openings:
            position = text.find(opening, start, stop)
            while position >= 0 and not self._is_tag(text, position, opening):
                position = text.find(opening, position + 1, stop)
            found.append(position)
        return min((position for position in found if position >= 0), default=-1)

    def last(self, text, start, stop):
        found = []
        for opening in self.openings:
            position = text.rfind(opening, start, stop)
            while position >= 0 and not self._is_tag(text, position, opening):
                position = text.rfind(opening, start, position)
            found.append(position)
        return max(found)


class RecordScanner(OtherScanner):
    """A part that is a run of records (rows, shared strings): counts them, and limits each one's size.

    It works on whole pieces, not record by record, to keep up with unzipping: a
    record that begins and ends in one piece is smaller than the limits, so only the
    records a piece starts or ends inside are measured.
    """

    RECORD = ""

    def __init__(self, root):
        self.record = 0  # bytes of the current record (or of the run before the first)
        self.line = None
        self.tags = [Tag(self.RECORD), *[Tag(name) for name in self.COUNTED]]
        prefix = root.partition(b":")[0] if b":" in root else b""
        self.prefixes = {b""}
        self.add_prefixes(prefix)

    COUNTED = ()

    def add_prefixes(self, *prefixes):
        for prefix in prefixes:
            if prefix not in self.prefixes:
                self.prefixes.add(prefix)
                for tag in self.tags:
                    tag.add_prefix(prefix)

    def scan(self, text):
        if b"spreadsheetml" in text or b"purl.oclc.org" in text:
            self.add_prefixes(*_MAIN_PREFIX.findall(text))
        return self.scan_part(text)

    def scan_records(self, text, start, stop):
        records = self.tags[0]
        count = records.count(text, start, stop)
        if not count:
            self.grow(text, start, stop)
            return
        self.grow(text, start, records.first(text, start, stop))
        last = records.last(text, start, stop)
        self.next_records(count, text, last)
        self.record = 0
        self.grow(text, last, stop)

    def grow(self, text, start, stop):
        self.record += stop - start
        if self.record > MAX_RECORD_BYTES:
            raise self.too_big()


class StringsScanner(RecordScanner):
    """The shared-strings table: how many texts, and none too big."""

    RECORD = b"si"

    def __init__(self, root):
        super().__init__(root)
        self.count = 0

    def scan_part(self, text):
        self.scan_records(text, 0, len(text))
        return text

    def next_records(self, count, text, last):
        self.count += count
        if self.count > limits.max_cells():
            raise limits.too_many_texts()

    def too_big(self):
        return limits.value_too_long()


class SheetScanner(RecordScanner):
    """A worksheet: its run before the cells, each row's cells and size, all cells; ends after the cells."""

    RECORD = b"row"
    COUNTED = (b"c",)

    def __init__(self, root):
        super().__init__(root)
        self.root = root  # the root element's name, to close the sheet after its cells
        self.before_cells = True
        self.row_cells = 0
        self.cells = 0

    def scan_part(self, text):
        start = 0
        if self.before_cells:
            data = _SHEET_DATA.search(text) if b"sheetData" in text else None
            if data is None:
                self.grow(text, 0, len(text))
                return text
            self.grow(text, 0, data.start())
            self.before_cells, self.record = False, 0
            if data.group(1):  # <sheetData/>: no cells at all
                return self._finish(text, data.end())
            start = data.end()
        closed = _SHEET_DATA_END.search(text, start) if b"sheetData" in text else None
        stop = closed.start() if closed else len(text)
        self.cells += self.tags[1].count(text, start, stop)
        if self.cells > limits.max_cells():
            raise limits.too_many_cells()
        self.scan_records(text, start, stop)
        if closed:
            return self._finish(text, closed.end())
        return text

    def next_records(self, count, text, last):
        end = text.find(b">", last)
        number = _ROW_NUMBER.search(text, last, end if end >= 0 else len(text))
        self.line = int(number.group(1)) if number else (self.line or 0) + count
        self.row_cells = 0

    def grow(self, text, start, stop):
        if not self.before_cells:
            self.row_cells += self.tags[1].count(text, start, stop)
            if self.row_cells > limits.MAX_COLUMNS:
                raise limits.row_too_wide(self.line)
        super().grow(text, start, stop)

    def too_big(self):
        if self.before_cells:
            return damaged()
        return limits.row_too_big(self.line, MAX_RECORD_BYTES)

    def _finish(self, text, end):
        """The sheet up to the end of its cells, and the root element's end tag."""
        self.finished = True
        return text[:end] + b"</" + self.root + b">"
