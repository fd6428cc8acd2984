"""The text of an uploaded file: its bytes decoded as UTF-8 or UTF-16, and lines counted as an editor does."""

import codecs

from django.utils.translation import gettext, gettext_noop

from .problems import FileProblem, empty_file

SAVE_AS_UTF8 = gettext_noop("In Excel: Save As > CSV UTF-8; in LibreOffice: Character set: Unicode (UTF-8).")


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
        raise empty_file()
    nul = text.find("\x00")
    if nul >= 0:
        raise FileProblem(
            gettext(
                "The file contains a NUL character, so it is not a text file in a known encoding. "
                "Save it as UTF-8 text and import it again. %(how)s"
            )
            % {"how": gettext(SAVE_AS_UTF8)},
            line=line_at(text, nul),
        )
    return text


def _encoding_problem(body, encoding, error, locate_column):
    prefix = body[: error.start].decode(encoding)  # everything before the first bad byte is fine
    line = line_at(prefix, len(prefix))
    column = locate_column(prefix) if locate_column else None
    if encoding == "utf-8":
        message = gettext(
            "The file is not saved as UTF-8 (it is probably ANSI, Windows-1252 or Latin-1), so its letters "
            "cannot be read reliably. Save it as UTF-8 and import it again. %(how)s"
        )
    else:
        message = gettext("The file is damaged UTF-16 text. Save it as UTF-8 and import it again. %(how)s")
    return FileProblem(message % {"how": gettext(SAVE_AS_UTF8)}, line=line, column=column)
