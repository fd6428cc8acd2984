"""Unicode case folding: what "unique ignoring case" and the searches of the package compare.

SQLite's ``LOWER()`` folds ASCII letters only and PostgreSQL's follows the database's
collation, so neither can decide on its own whether ``ÄRZTE-1`` and ``ärzte-1`` are the
same CustomerID. The models store ``fold()`` of each such field in a twin field with the
unique constraint (``models.base``); imports, searches and the sync compare the same form.

``name_match_key()`` goes further, for finding customers that may be one company twice: it
also drops accents, punctuation, spaces and legal forms ("ACME GmbH", "Acme G.m.b.H.").
"""

import re
import unicodedata


def fold(text):
    """The folded form that "unique ignoring case" compares: Unicode case folding of the NFC form.

    ``Straße``, ``STRASSE`` and ``STRAẞE`` fold alike, so do ``ΟΔΟΣ`` and ``οδος``, and a
    precomposed ``é`` and ``e`` with a combining accent; ``İ`` folds to ``i̇``, not ``i``, as
    Unicode's locale-independent folding has it.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(text)).casefold())


# Where ``fold()`` of a field that is unique ignoring case is stored: its folded twin.
FOLDED_TWIN_SUFFIX = "_key"


def folded_twin(field_name):
    """The field that stores ``fold()`` of ``field_name``: ``name`` -> ``name_key``."""
    return field_name + FOLDED_TWIN_SUFFIX


def is_folded_twin(field_name):
    return field_name.endswith(FOLDED_TWIN_SUFFIX)


# --- matching names: what "possible duplicates" compares ------------------------------------------

# Legal forms, as their letters and digits (``G.m.b.H.`` is ``gmbh``, ``A/S`` is ``as``). A name
# loses them at its end, never in its middle, and never all of its words.
LEGAL_FORMS = frozenset(
    {
        # German, Austrian, Swiss
        *("gmbh", "mbh", "gesmbh", "ag", "kg", "kgaa", "cokg", "ohg", "gbr", "ug", "haftungsbeschrankt"),
        *("ev", "ek", "eg", "se", "partg", "mbb", "partgmbb"),
        # English-speaking
        *("inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp"),
        *("ltd", "limited", "plc", "pty", "pvt", "pte", "sdn", "bhd"),
        # Romance languages
        *("sa", "sas", "sasu", "sarl", "eurl", "snc", "sl", "slu", "srl", "spa", "sapa", "ltda"),
        # Dutch, Belgian, Nordic, Central European, Japanese
        *("bv", "nv", "bvba", "vof", "ab", "oy", "oyj", "as", "asa", "aps", "sro", "kk"),
    }
)
# Legal forms of several words, as their words: "Sp. z o.o.", "S.à r.l.".
LEGAL_FORM_PHRASES = (("sp", "z", "oo"), ("sa", "rl"))
# The legal forms that also come first ("AB Volvo", "PT Telkom", "OOO Gazprom").
LEADING_LEGAL_FORMS = frozenset({"ab", "oy", "oyj", "pt", "ooo", "zao", "oao", "pao"})
# Words that join a legal form to the name ("Smith and Co."); they go with it.
CONNECTORS = frozenset({"and", "und", "et", "y"})
# Letters that Unicode does not decompose into a base letter and a mark.
LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"})  # noqa: RUF001
# Where a name's words part: spaces and the punctuation between words (not . / - ' within a word).
WORD_BREAK = re.compile(r"[\s,;:&+|()\[\]{}<>\"]+")
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
NAME_MATCH_KEY_LENGTH = 600


def plain_letters(text):
    """``text`` folded, without accents: NFKD, combining marks dropped, a few letters spelled out."""
    decomposed = unicodedata.normalize("NFKD", fold(text))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare.translate(LETTERS))


def _without_legal_form(words, at_end):
    """``words`` without the legal form at their end (``at_end``) or start; ``None`` when there is none."""
    if not at_end:
        return words[1:] if words[0] in LEADING_LEGAL_FORMS else None
    rest = None
    for phrase in LEGAL_FORM_PHRASES:
        if len(words) > len(phrase) and tuple(words[-len(phrase) :]) == phrase:
            rest = words[: -len(phrase)]
            break
    else:
        # One word ("GmbH", "G.m.b.H.") or a run of single letters ("S. A.", "G m b H"); the longest.
        for start in range(len(words) - 1, 0, -1):
            tail = words[start:]
            if (len(tail) == 1 or all(len(word) == 1 for word in tail)) and "".join(tail) in LEGAL_FORMS:
                rest = words[:start]
            if len(words[start]) != 1:
                break
    if rest is None:
        return None
    while len(rest) > 1 and rest[-1] in CONNECTORS:
        rest = rest[:-1]
    return rest


def name_match_key(name):
    """What two customer names have in common when they name one company ("ACME GmbH", "Acme G.m.b.H.").

    The name folded (``fold()``), without accents, punctuation and spaces, and without the legal
    forms at its end (GmbH, AG, Inc., Ltd, S.A., A/S, …; AB, Oy, PT, OOO also at its start):
    ``acme`` for "ACME GmbH", "Acme G.m.b.H.", "ACME AG" and "Äcme". A name that is only a legal
    form keeps it; one without letters or digits is its folded self.
    """
    words = [NOT_ALPHANUMERIC.sub("", word) for word in WORD_BREAK.split(plain_letters(name))]
    words = [word for word in words if word]
    for at_end in (True, False):
        while len(words) > 1:
            rest = _without_legal_form(words, at_end)
            if rest is None:
                break
            words = rest
    key = "".join(words) or "".join(fold(name).split())
    return key[:NAME_MATCH_KEY_LENGTH]


# --- matching people: what "possible duplicates" compares of customer users ----------------------

# A first name and a last name (100 characters each), folded (which may triple them) and one space.
FULL_NAME_KEY_LENGTH = 603


def full_name_key(first_name, last_name):
    """A person's full name as the customer-user list's duplicates filter compares it: folded,
    without accents, the spaces between words made one ("Jose  Müller" and "JOSÉ MULLER" share it)."""
    return " ".join(plain_letters(f"{first_name} {last_name}").split())[:FULL_NAME_KEY_LENGTH]
