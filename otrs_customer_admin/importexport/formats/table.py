"""The table every reader builds and every writer reads: a header row, then rows of text.

The readers hand ``table()`` the header and ``(line, cells)`` records; it checks
their shape (``checked_rows``) and builds the ``tablib.Dataset`` whose first column,
``LINE_COLUMN``, is each row's line in the file. For files of any size the readers
give a ``Table`` instead, whose checked rows are read as the import iterates them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import tablib
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from .cells import cell_text
from .problems import FileProblem, too_many_rows

#: Name of the extra first column holding each row's line in the file (an int).
LINE_COLUMN = "__line__"


def column_name(headers, index):
    """The header of the column at ``index`` (from 0), or its letter when it has none."""
    if headers is not None and index < len(headers):
        return headers[index]
    return gettext("column %(letter)s") % {"letter": get_column_letter(index + 1)}


def clean_headers(cells, line):
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
                % {"number": position + 1, "letter": get_column_letter(position + 1)},
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
                % {
                    "name": first_name,
                    "first": get_column_letter(first + 1),
                    "second": get_column_letter(position + 1),
                },
                line=line,
            )
        seen[key] = position, name
    return names


def _longer_than_header(line, count, width):
    return FileProblem(
        gettext(
            "This row has %(count)s values but the header names only %(width)s columns. "
            "Remove the extra values, or give their column a name in the header."
        )
        % {"count": count, "width": width},
        line=line,
    )


@dataclass
class Table:
    """An open import file: its header, and its rows as ``(line, cells)``, read as they are iterated.

    ``total`` is the number of rows when it is known before they are read (a Dataset);
    ``fraction_read()`` says how much of the file the rows read so far are (0 to 1), for progress.
    """

    headers: list
    rows: Iterator
    total: int | None = None
    fraction_read: Callable[[], float] | None = None

    def dataset(self):
        """All the rows in a Dataset of ``(line, *cells)`` rows, as the admin's import reads them."""
        return tablib.Dataset(*((line, *cells) for line, cells in self.rows), headers=[LINE_COLUMN, *self.headers])


def checked_rows(headers, records, max_rows):
    """The ``(line, cells)`` records of a file whose header is ``headers``, as the import reads them.

    Rows whose cells are all empty are skipped; short rows are padded with
    ``""``; values beyond the header are an error (empty ones are dropped).
    """
    width = len(headers)
    padding = [""] * width
    count_rows = 0
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
        if max_rows is not None and count_rows >= max_rows:
            raise too_many_rows(max_rows)
        count_rows += 1
        yield line, cells


def table(headers, records, max_rows):
    """A Dataset of ``(line, *cells)`` rows from ``(line, cells)`` records (see ``checked_rows``)."""
    return Table(headers, checked_rows(headers, records, max_rows)).dataset()


class DatasetRows:
    """The rows of a Dataset, as the import reads a file's: ``open()`` gives a Table of them; the
    line of each row is its ``LINE_COLUMN`` (else its place after the header)."""

    def __init__(self, dataset):
        self.dataset = dataset

    @contextmanager
    def open(self):
        headers = list(self.dataset.headers or [])
        if headers[:1] == [LINE_COLUMN]:
            rows = ((int(row[0]), row[1:]) for row in self.dataset)
            headers = headers[1:]
        else:
            rows = enumerate(self.dataset, start=2)
        yield Table(headers, rows, total=len(self.dataset))


def text_rows(dataset):
    """Header and rows of a dataset to export, without ``LINE_COLUMN``, as text."""
    headers = [str(header) for header in (dataset.headers or [])]
    skip = 1 if headers[:1] == [LINE_COLUMN] else 0
    yield headers[skip:]
    for row in dataset:
        yield [cell_text(value) for value in row[skip:]]
