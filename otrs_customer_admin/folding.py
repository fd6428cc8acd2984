"""Unicode case folding: what "unique ignoring case" and the searches of the package compare.

SQLite's ``LOWER()`` folds ASCII letters only and PostgreSQL's follows the database's
collation, so neither can decide on its own whether ``ÄRZTE-1`` and ``ärzte-1`` are the
same CustomerID. The models store ``fold()`` of each such field in a twin field with the
unique constraint (``models.base``); imports, searches and the sync compare the same form.
"""

import unicodedata


def fold(text):
    """The folded form that "unique ignoring case" compares: Unicode case folding of the NFC form.

    ``Straße``, ``STRASSE`` and ``STRAẞE`` fold alike, so do ``ΟΔΟΣ`` and ``οδος``, and a
    precomposed ``é`` and ``e`` with a combining accent; ``İ`` folds to ``i̇``, not ``i``, as
    Unicode's locale-independent folding has it.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(text)).casefold())
