"""How much of a file the readers take in, so that a small hostile file cannot take the server.

A file's size says little about what reading it costs: an .xlsx is a ZIP archive
that can unpack to a thousand times its size, and a JSON file can nest lists until
the parser recurses out of its stack. The readers check these limits while they
read, and refuse with a ``FileProblem`` that names the limit.
"""

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from ...conf import settings
from .problems import FileProblem

#: The longest value (in characters) any reader takes: the csv module's field size
#: limit, which the CSV reader applies. No field of a record comes near it.
MAX_CELL_LENGTH = 131_072

#: The most cells a spreadsheet row can have: Excel's own limit (column XFD).
MAX_COLUMNS = 16_384


def max_unpacked_size():
    """The most bytes the parts of an .xlsx workbook that are read may unpack to."""
    return settings.IMPORT_MAX_UNPACKED_SIZE


def max_cells():
    """The most cells of a workbook's first sheet, and the most texts of its shared-strings table."""
    return settings.IMPORT_MAX_CELLS


def value_too_long(line=None, column=None):
    return FileProblem(
        gettext("A value is longer than %(limit)s characters, more than any field can take. Shorten it.")
        % {"limit": MAX_CELL_LENGTH},
        line=line,
        column=column,
    )


def _split_or_csv():
    return gettext("Split it into smaller files, or save it as CSV UTF-8 and import that.")


def unpacks_too_big():
    return FileProblem(
        gettext("The Excel file unpacks to more than %(limit)s.") % {"limit": filesizeformat(max_unpacked_size())}
        + " "
        + _split_or_csv()
    )


def too_many_cells():
    return FileProblem(
        gettext("The first sheet has more than %(limit)s cells (formatted empty cells count too).")
        % {"limit": max_cells()}
        + " "
        + _split_or_csv()
    )


def too_many_texts():
    return FileProblem(
        gettext("The workbook holds more than %(limit)s different texts.") % {"limit": max_cells()}
        + " "
        + _split_or_csv()
    )


def row_too_wide(line):
    return FileProblem(
        gettext("This row has more than %(limit)s cells, more than Excel allows.") % {"limit": MAX_COLUMNS},
        line=line,
    )


def row_too_big(line, limit):
    return FileProblem(
        gettext("This row unpacks to more than %(limit)s, more than a row of customer data can take.")
        % {"limit": filesizeformat(limit)},
        line=line,
    )
