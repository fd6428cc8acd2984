"""What is wrong with an import file, as ``FileProblem``: the message, its line and column."""

from django.utils.translation import gettext


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


def empty_file(detail=""):
    message = gettext("The file is empty.")
    return FileProblem(f"{message} {detail}".strip())


def too_many_rows(max_rows):
    return FileProblem(
        gettext(
            "The file has more than %(max_rows)s rows. Split it into files of at most %(max_rows)s rows "
            "and import them one after the other, or use the import_customers / import_customer_users command."
        )
        % {"max_rows": max_rows}
    )


def file_changed():
    return FileProblem(
        gettext("The file changed while it was being imported, so nothing was imported. Import it again.")
    )
