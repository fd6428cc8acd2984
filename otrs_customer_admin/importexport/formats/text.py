"""The text of an uploaded file: its bytes decoded as UTF-8 or UTF-16, and lines counted as an editor does.

``decode`` turns a whole upload into text; ``TextStream`` reads a file of any size a chunk
at a time and hands out its lines, with the same rules and the same messages.
"""

import codecs
import re

from django.utils.translation import gettext, gettext_noop

from .problems import FileProblem, empty_file

SAVE_AS_UTF8 = gettext_noop("In Excel: Save As > CSV UTF-8; in LibreOffice: Character set: Unicode (UTF-8).")

#: Bytes read from a file at a time.
READ_CHUNK = 1 << 20
#: Characters read before the lines are: what the separator is detected from.
HEAD = 1 << 17
#: A longer line is refused: no import file has one, and reading on would hold it all in memory.
MAX_LINE = 16 << 20

# A line with its end (CRLF, LF or CR), or the last line without one.
PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def line_breaks(text, start, end):
    """How many lines end between ``start`` and ``end``; CRLF, LF and CR each end one."""
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


def line_at(text, position):
    """The line (from 1) of ``text`` that ``position`` is on."""
    return line_breaks(text, 0, position) + 1


def as_bytes(data):
    """The upload's content: bytes (or text, left as it is) from a file, buffer or ``None``."""
    if data is None:  # e.g. django-import-export's CacheStorage after the cache expired
        return b""
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    return data


def detect_encoding(start):
    """The encoding of bytes that begin with ``start`` (at least 4 of them, when there are), and
    the length of their byte order mark: UTF-8 unless a BOM or the NULs of UTF-16 say otherwise."""
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if start.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if start.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if len(start) >= 4 and start[1] == start[3] == 0 and start[0] and start[2]:
        return "utf-16-le", 0  # UTF-16 without BOM: ASCII, NUL, ASCII, NUL
    if len(start) >= 4 and start[0] == start[2] == 0 and start[1] and start[3]:
        return "utf-16-be", 0
    return "utf-8", 0


def decode(data, locate_column=None):
    """The text of an upload: UTF-8 (with or without BOM) or UTF-16 (LE/BE, with BOM).

    Anything else is refused with the line of the first byte that is not UTF-8,
    instead of guessing an 8-bit code page and importing mojibake.
    ``locate_column(text before the bad byte)`` may name its column.
    """
    data = as_bytes(data)
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        encoding, bom = detect_encoding(data[:4])
        body = data[bom:]
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as error:
            prefix = body[: error.start].decode(encoding)  # everything before the first bad byte is fine
            column = locate_column(prefix) if locate_column else None
            raise encoding_problem(encoding, line_at(prefix, len(prefix)), column) from None
    if not text.strip():
        raise empty_file()
    nul = text.find("\x00")
    if nul >= 0:
        raise nul_problem(line_at(text, nul))
    return text


def nul_problem(line):
    return FileProblem(
        gettext(
            "The file contains a NUL character, so it is not a text file in a known encoding. "
            "Save it as UTF-8 text and import it again. %(how)s"
        )
        % {"how": gettext(SAVE_AS_UTF8)},
        line=line,
    )


def encoding_problem(encoding, line, column):
    if encoding == "utf-8":
        message = gettext(
            "The file is not saved as UTF-8 (it is probably ANSI, Windows-1252 or Latin-1), so its letters "
            "cannot be read reliably. Save it as UTF-8 and import it again. %(how)s"
        )
    else:
        message = gettext("The file is damaged UTF-16 text. Save it as UTF-8 and import it again. %(how)s")
    return FileProblem(message % {"how": gettext(SAVE_AS_UTF8)}, line=line, column=column)


class TextStream:
    """The text of a binary file, decoded ``READ_CHUNK`` bytes at a time, as the lines a text
    editor shows (ended by CRLF, LF or CR, their ends kept): memory for a chunk, whatever the file.

    The rules and messages are those of ``decode``; a problem is found when its chunk is read.
    ``locate_column(text, from_start)`` may name the column of a bad byte: ``text`` is what comes
    before it, from the file's start when ``from_start``, else from the start of its line.
    """

    def __init__(self, file, locate_column=None):
        self.file = file
        self.locate_column = locate_column
        file.seek(0, 2)
        self.size = file.tell()
        file.seek(0)
        data = file.read(max(READ_CHUNK, 4))  # the encoding is seen in the first 4 bytes
        self.encoding, bom = detect_encoding(data[:4])
        self.decoder = codecs.getincrementaldecoder(self.encoding)()
        self.lines_read = 0  # lines handed out so far
        # The chunk being handed out: its first line, its first byte, its bytes, its lines.
        self.chunk = (0, 0, len(data), 0)
        self.final = len(data) < max(READ_CHUNK, 4)
        self.first = self.decode(data[bom:], "", self.final)
        # The head is read before any line: enough text to find the header line in.
        while not self.final and len(self.first) < HEAD:
            data = file.read(READ_CHUNK)
            self.chunk = (0, 0, self.chunk[2] + len(data), 0)
            self.final = len(data) < READ_CHUNK
            self.first += self.decode(data, self.first, self.final)

    def head(self):
        """The text of the file's start (at least ``HEAD`` characters, or the whole file)."""
        return self.first

    def lines(self):
        """The file's lines, each with its end, read a chunk at a time."""
        text, carry, final = self.first, "", self.final
        start, size = 0, self.chunk[2]
        while True:
            found = PHYSICAL_LINE.findall(carry + text)
            carry = ""
            # The last line may go on in the next chunk (and a CR there may be half of a CRLF).
            if not final and found and not found[-1].endswith("\n"):
                carry = found.pop()
                if len(carry) > MAX_LINE:
                    raise FileProblem(
                        gettext(
                            "This line is longer than %(limit)s characters, so the file cannot be read as lines "
                            "of text. Check that it is a CSV or TSV file."
                        )
                        % {"limit": MAX_LINE},
                        line=self.lines_read + len(found) + 1,
                    )
            self.chunk = (self.lines_read, start, size, len(found))
            yield from found
            self.lines_read += len(found)
            if final:
                return
            data = self.file.read(READ_CHUNK)
            start, size, final = start + size, len(data), len(data) < READ_CHUNK
            text = self.decode(data, carry, final)

    def decode(self, data, carry, final):
        """The text of the chunk ``data`` (``carry``: the start of its first line, read before)."""
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError as error:
            # The bytes before the bad one are fine (error.object: the decoder's buffer and data).
            before = carry + error.object[: error.start].decode(self.encoding)
            column = self.locate_column(before, self.lines_read == 0) if self.locate_column else None
            raise encoding_problem(self.encoding, self.lines_read + line_at(before, len(before)), column) from None
        nul = text.find("\x00")
        if nul >= 0:
            before = carry + text[:nul]
            raise nul_problem(self.lines_read + line_at(before, len(before)))
        return text

    def fraction_read(self, lines):
        """About how much of the file ``lines`` lines are (0 to 1), from the bytes of their chunk."""
        first_line, start, size, count = self.chunk
        done = start + size * min((lines - first_line) / count, 1) if count else start
        return done / self.size if self.size else 1.0
