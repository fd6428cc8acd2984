"""OTRS search syntax turned into Django ``Q`` objects.

The syntax follows OTRS's ``QueryCondition`` (docs/admin.md, "Search"), case-insensitive:

- every term matches as a substring of any of the searched fields (OR across fields);
- ``*`` stands for any run of characters (``ac*me``; ``*`` or ``**`` alone match everything);
- AND is ``AND``, ``+`` or ``&&``; OR is ``OR`` or ``||``; NOT is ``NOT`` or a leading ``!``.
  The words are operators only when upper-case and standing alone; the symbols need no spaces;
- parentheses group; NOT binds tighter than AND, AND tighter than OR (OTRS refuses to mix
  AND and OR on one level, we use precedence instead);
- ``"quoted phrases"`` are literal; a backslash makes the next character literal;
- spaces are not operators: ``foo bar`` is the one substring ``"foo bar"``;
- a person's full name is searched as one text, "first last" and "last, first" (``FullName``):
  ``"Jürgen Müller"`` and ``Müller, Jürgen`` find Jürgen Müller;
- dynamic fields (``DynamicFieldSearch``): a term also matches the searchable text fields (and a
  searchable dropdown's or multiselect's choices by key or label), and ``DynamicField_<Name>:value``
  selects by one field: the whole value ignoring case, ``*`` wildcards, by type for numbers,
  dates and checkboxes. An unknown field or a value the field cannot hold is a syntax error.

``search_q`` raises :class:`SearchSyntaxError` for input it cannot read;
``search_q_or_literal`` falls back to matching the whole search literally.
"""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext

from .folding import fold, folded_twin, is_folded_twin
from .models.dynamic_field_types import CHOICE_TYPES, TEXT_TYPES, FieldType, clean_value, value_key
from .models.dynamic_fields import field_definition, field_definitions, value_model_of
from .models.dynamic_values import dynamic_field_q, records_holding

MAX_LENGTH = 500
MAX_TERMS = 50
MAX_DEPTH = 10

WILDCARD = "*"
OPERATOR_WORDS = {"AND", "OR", "NOT"}
# Single characters that end an unquoted word; whitespace, "&&" and "||" end it too.
WORD_DELIMITERS = "()+"
# A term on one dynamic field starts so, unquoted: DynamicField_Tier:gold.
FIELD_TERM = re.compile(r"DynamicField_([A-Za-z0-9]+):", re.IGNORECASE)


class SearchSyntaxError(ValueError):
    """A search that is not valid OTRS syntax; ``message`` says what and where, for the user."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


class Kind(Enum):
    TERM = "term"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    OPEN = "("
    CLOSE = ")"


@dataclass(frozen=True)
class Token:
    kind: Kind
    position: int  # 1-based, in the query as typed
    text: str  # as typed, for messages
    parts: tuple[str, ...] = ()  # TERM only: the literal pieces between wildcards
    field: str | None = None  # a term on one dynamic field: its name as typed


def match_all() -> Q:
    """Always true, for ``*`` and ``**``. (``Q()`` would vanish when combined: ``Q() | x`` is ``x``.)"""
    return Q(pk__isnull=False)


def match_none() -> Q:
    """Always false, for a term searched over no fields."""
    return Q(pk__in=[])


# --- Tokenizer ---------------------------------------------------------------------------------


class Tokenizer:
    """Splits a query into terms, operators and parentheses."""

    def __init__(self, query: str, field_terms: bool = False):
        self.query = query
        self.index = 0
        self.tokens: list[Token] = []
        self.field_terms = field_terms  # read DynamicField_<Name>:value as a term on one field

    def tokenize(self) -> list[Token]:
        query = self.query
        while self.index < len(query):
            char = query[self.index]
            if char.isspace():
                self.index += 1
            elif char == "(":
                self.emit_symbol(Kind.OPEN, "(")
            elif char == ")":
                self.emit_symbol(Kind.CLOSE, ")")
            elif char == "+":
                self.emit_symbol(Kind.AND, "+")
            elif query.startswith("&&", self.index):
                self.emit_symbol(Kind.AND, "&&")
            elif query.startswith("||", self.index):
                self.emit_symbol(Kind.OR, "||")
            elif char == "!":
                # Only at the start of a word: "Yahoo!" and "a!b" keep their "!".
                self.emit_symbol(Kind.NOT, "!")
            else:
                self.read_word()
        return self.tokens

    def emit_symbol(self, kind: Kind, text: str) -> None:
        self.tokens.append(Token(kind, self.index + 1, text))
        self.index += len(text)

    def at_word_end(self) -> bool:
        query, index = self.query, self.index
        char = query[index]
        return (
            char.isspace() or char in WORD_DELIMITERS or query.startswith("&&", index) or query.startswith("||", index)
        )

    def read_word(self) -> None:
        """Read up to the next space, parenthesis or operator symbol; quotes may contain anything."""
        start = self.index
        parts = [""]
        plain = True  # no quotes, no escapes: may be an operator word
        field = None
        if self.field_terms and (found := FIELD_TERM.match(self.query, self.index)):
            field, plain = found.group(1), False
            self.index = found.end()
        while self.index < len(self.query) and not self.at_word_end():
            char = self.query[self.index]
            if char == '"':
                parts[-1] += self.read_phrase()
                plain = False
            elif char == "\\" and self.index + 1 < len(self.query):
                parts[-1] += self.query[self.index + 1]
                self.index += 2
                plain = False
            elif char == WILDCARD:
                parts.append("")
                self.index += 1
            else:
                parts[-1] += char
                self.index += 1
        text = self.query[start : self.index]
        if plain and text in OPERATOR_WORDS:
            self.tokens.append(Token(Kind(text), start + 1, text))
        elif field is not None:
            self.tokens.append(Token(Kind.TERM, start + 1, text, tuple(parts), field))
        elif parts == [""]:
            raise SearchSyntaxError(
                gettext("Empty quotation marks at position %(position)d.") % {"position": start + 1}, start + 1
            )
        else:
            self.add_term(Token(Kind.TERM, start + 1, text, tuple(parts)))

    def read_phrase(self) -> str:
        """Read a quoted phrase; inside it only ``\\"`` and ``\\\\`` are escapes."""
        opening = self.index
        self.index += 1
        phrase = ""
        while self.index < len(self.query):
            char = self.query[self.index]
            if char == '"':
                self.index += 1
                return phrase
            if char == "\\" and self.query[self.index + 1 : self.index + 2] in ('"', "\\"):
                phrase += self.query[self.index + 1]
                self.index += 2
                continue
            phrase += char
            self.index += 1
        raise SearchSyntaxError(
            gettext("Unbalanced quotation mark at position %(position)d.") % {"position": opening + 1}, opening + 1
        )

    def add_term(self, term: Token) -> None:
        """Append a term, joining it to a term just before it: spaces are not operators (a value
        after ``DynamicField_<Name>:`` goes on to the next operator too)."""
        previous = self.tokens[-1] if self.tokens else None
        if previous is None or previous.kind is not Kind.TERM:
            self.tokens.append(term)
            return
        joined = (*previous.parts[:-1], previous.parts[-1] + " " + term.parts[0], *term.parts[1:])
        self.tokens[-1] = Token(Kind.TERM, previous.position, f"{previous.text} {term.text}", joined, previous.field)


# --- Parser ------------------------------------------------------------------------------------


class Parser:
    """Recursive descent over the tokens, building the ``Q`` directly.

    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr (AND not_expr)*
    not_expr := NOT* primary
    primary  := TERM | "(" or_expr ")"
    """

    def __init__(self, tokens: list[Token], fields: Sequence[str]):
        self.tokens = tokens
        self.fields = fields
        self.dynamic = dynamic_field_search(fields)
        self.index = 0
        self.depth = 0

    def parse(self) -> Q:
        q = self.or_expr()
        if self.index < len(self.tokens):
            # Not reachable: or_expr stops only at the end or at a ")", and parentheses are balanced.
            fail_unbalanced(self.tokens[self.index].position)
        return q

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index > 0 else None

    def or_expr(self) -> Q:
        q = self.and_expr()
        while (token := self.peek()) is not None and token.kind is Kind.OR:
            self.index += 1
            q = q | self.and_expr()
        self.expect_operator_or_end()
        return q

    def and_expr(self) -> Q:
        q = self.not_expr()
        while (token := self.peek()) is not None and token.kind is Kind.AND:
            self.index += 1
            q = q & self.not_expr()
        return q

    def not_expr(self) -> Q:
        negations = 0
        while (token := self.peek()) is not None and token.kind is Kind.NOT:
            negations += 1
            self.index += 1
        q = self.primary()
        return ~q if negations % 2 else q

    def primary(self) -> Q:
        token = self.peek()
        if token is not None and token.kind is Kind.TERM:
            self.index += 1
            if token.field is not None:
                return self.dynamic.field_q(token)
            return term_q(token.parts, self.fields)
        if token is not None and token.kind is Kind.OPEN:
            return self.group(token)
        self.fail_missing_operand(token)

    def group(self, opening: Token) -> Q:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SearchSyntaxError(
                gettext("Search is nested too deeply at position %(position)d: at most %(limit)d levels.")
                % {"position": opening.position, "limit": MAX_DEPTH},
                opening.position,
            )
        self.index += 1
        q = self.or_expr()
        self.index += 1  # the closing parenthesis, which the balance check guarantees
        self.depth -= 1
        return q

    def expect_operator_or_end(self) -> None:
        token = self.peek()
        if token is not None and token.kind not in (Kind.OR, Kind.AND, Kind.CLOSE):
            self.fail_missing_operator(token)

    def fail_missing_operator(self, token: Token) -> NoReturn:
        raise SearchSyntaxError(
            gettext('Missing AND or OR before "%(text)s" at position %(position)d.')
            % {"text": shorten(token.text), "position": token.position},
            token.position,
        )

    def fail_missing_operand(self, token: Token | None) -> NoReturn:
        previous = self.previous()
        if token is not None and token.kind is Kind.CLOSE and previous is not None and previous.kind is Kind.OPEN:
            message = gettext("Empty parentheses at position %(position)d.")
            culprit = previous
        elif previous is not None and previous.kind in (Kind.AND, Kind.OR, Kind.NOT):
            message = gettext('Missing search term after "%(operator)s" at position %(position)d.')
            culprit = previous
        elif token is not None:  # AND or OR at the start of the search or of a group
            message = gettext('Missing search term before "%(operator)s" at position %(position)d.')
            culprit = token
        else:  # not reachable after the checks in search_q; kept so only SearchSyntaxError escapes
            message = gettext("Missing search term at position %(position)d.")
            culprit = Token(Kind.TERM, self.tokens[-1].position if self.tokens else 1, "")
        params = {"operator": culprit.text, "position": culprit.position}
        raise SearchSyntaxError(message % params, culprit.position)


def shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_parentheses(tokens: list[Token]) -> None:
    """Refuse a ``)`` without its ``(`` and a ``(`` that is never closed."""
    open_positions: list[int] = []
    for token in tokens:
        if token.kind is Kind.OPEN:
            open_positions.append(token.position)
        elif token.kind is Kind.CLOSE:
            if not open_positions:
                fail_unbalanced(token.position)
            open_positions.pop()
    if open_positions:
        fail_unbalanced(open_positions[-1])


def fail_unbalanced(position: int) -> NoReturn:
    raise SearchSyntaxError(
        gettext("Unbalanced parenthesis at position %(position)d.") % {"position": position}, position
    )


# --- Terms ---------------------------------------------------------------------------------------


def term_q(parts: Sequence[str], fields: Sequence[str]) -> Q:
    """Match the literal ``parts`` (in order, anything between them) as a substring of any field.

    Folded twins (``name_key``, see ``folded_search_fields``) are compared with the folded
    term, ``__contains`` or ``__regex``. Elsewhere one part without wildcards uses ``__icontains``;
    several parts, and non-ASCII text, use ``__iregex``: SQLite's LIKE folds the case of ASCII
    letters only, so ``müller`` would miss ``Müller`` there; its REGEXP (Python's ``re``) and
    PostgreSQL's ``~*`` fold all letters.
    """
    pieces = [part for part in parts if part]
    if not fields:
        return match_none()
    if not pieces:
        return match_all()
    q = Q()
    for field in fields:
        if isinstance(field, FullName | DynamicFieldSearch | RelatedRowsSearch):
            q |= field.q(pieces)
            continue
        if is_folded_twin(field):
            # A folded twin: fold the term the same way and compare exactly, on every database.
            folded = [fold(piece) for piece in pieces]
            if len(folded) == 1:
                lookup, value = "contains", folded[0]
            else:
                lookup, value = "regex", "(?s)" + ".*".join(re.escape(piece) for piece in folded)
        elif len(pieces) == 1 and pieces[0].isascii():
            lookup, value = "icontains", pieces[0]
        else:
            # (?s): "." also matches a line break, as PostgreSQL does by default and Python does not.
            lookup, value = "iregex", "(?s)" + ".*".join(re.escape(piece) for piece in pieces)
        q |= Q(**{f"{field}__{lookup}": value})
    return q


def pieces_q(field: str, pieces: Sequence[str], *, at_start: bool = False, at_end: bool = False) -> Q:
    """``field`` contains ``pieces`` in order, the first at its start and the last at its end if asked,
    case-insensitively as ``term_q`` compares (``__i…`` lookups for ASCII, ``__iregex`` else)."""
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return match_all()
    if len(pieces) == 1 and pieces[0].isascii() and not (at_start and at_end):
        lookup = "istartswith" if at_start else "iendswith" if at_end else "icontains"
        return Q(**{f"{field}__{lookup}": pieces[0]})
    pattern = ".*".join(re.escape(piece) for piece in pieces)
    # \A and \Z anchor at the ends of the text in Python's re (SQLite) and PostgreSQL alike.
    return Q(**{f"{field}__iregex": "(?s)" + ("\\A" if at_start else "") + pattern + ("\\Z" if at_end else "")})


@dataclass(frozen=True)
class FullName:
    """A person's full name as one searched text, "first last" and "last, first", made of two fields.

    A term that spans both fields ("Jürgen Müller", "Müller, Jürgen", "gen Mü", "Jür* Mül*") is
    matched without joining them in the query: the part before the separator must end the
    first field, the part after it start the second (or a wildcard spans the separator). Each
    condition is a plain lookup on one field, so the fields' own indexes serve it (the trigram
    indexes on PostgreSQL). Terms inside one field are the fields' own matches, not repeated here.
    """

    first: str
    last: str

    def forms(self) -> tuple[tuple[str, str, str], ...]:
        return ((self.first, " ", self.last), (self.last, ", ", self.first))

    def q(self, pieces: Sequence[str]) -> Q:
        pieces = [piece for piece in pieces if piece]
        q = Q()  # nothing, for a term no full name can span
        for before, separator, after in self.forms():
            # A wildcard between two pieces spans the separator.
            for index in range(1, len(pieces)):
                q |= pieces_q(before, pieces[:index]) & pieces_q(after, pieces[index:])
            # Or a piece holds it: what precedes it ends one field, what follows it starts the other.
            for index, piece in enumerate(pieces):
                for found in re.finditer(re.escape(separator), piece):
                    head, tail = piece[: found.start()], piece[found.end() :]
                    # An empty head or tail leaves the wildcard next to it free to reach the separator.
                    q |= pieces_q(before, [*pieces[:index], head], at_end=bool(head)) & pieces_q(
                        after, [tail, *pieces[index + 1 :]], at_start=bool(tail)
                    )
        return q


@dataclass(frozen=True)
class RelatedRowsSearch:
    """A field of the rows a record has many of (a person's ``additional_emails__email``): a term
    matches the records with a row whose field contains it, in one ``pk IN (subquery)``, so that a
    record with two matching rows is listed once and the list's query count stays the same."""

    model: type
    relation: str  # the reverse relation's name on ``model``
    field: str  # the searched field of the related rows (a folded twin where the field has one)

    def q(self, pieces: Sequence[str]) -> Q:
        relation = self.model._meta.get_field(self.relation)
        rows = relation.related_model._base_manager.filter(term_q(pieces, [self.field]))
        return Q(pk__in=rows.values(relation.field.attname))


def dynamic_field_search(fields):
    """The ``DynamicFieldSearch`` among the searched ``fields``, or None."""
    return next((field for field in fields if isinstance(field, DynamicFieldSearch)), None)


def folded_pattern(folded: Sequence[str], *, whole: bool = False) -> str:
    """A regular expression of the folded pieces in order (anything between them), matching the
    whole text with ``whole``."""
    pattern = "(?s)" + ".*".join(re.escape(piece) for piece in folded)
    return "(?s)\\A" + pattern[4:] + "\\Z" if whole else pattern


@dataclass(frozen=True)
class DynamicFieldSearch:
    """The dynamic fields of ``model`` in a search.

    In free text a term also matches a searchable text field that contains it (compared as the
    folded names are: the folded first ``KEY_LENGTH`` characters of the value, ``value_key``,
    whose index serves it), and a searchable dropdown or multiselect holding a choice whose key
    or label contains it: one subquery on the value table per term, whatever the number of
    fields. ``DynamicField_<Name>:value`` (``field_q``) selects by one valid field, searchable or
    not: text whole (``*`` for any run, ``gol*``, ``*old``), a choice by key or label, numbers,
    dates and checkboxes by type; ``DynamicField_<Name>:*`` is "has a value"."""

    model: type

    @property
    def object_type(self):
        return self.model.DYNAMIC_OBJECT_TYPE

    def rows(self):
        return value_model_of(self.object_type).objects.all()

    def q(self, pieces: Sequence[str]) -> Q:
        folded = [fold(piece) for piece in pieces if piece]
        pattern = re.compile(folded_pattern(folded))
        condition = Q()
        for field in field_definitions(self.object_type):
            if not field.searchable:
                continue
            if field.field_type in TEXT_TYPES:
                if len(folded) == 1:
                    condition |= Q(field=field.pk, value_key__contains=folded[0])
                else:
                    condition |= Q(field=field.pk, value_key__regex=pattern.pattern)
            elif field.field_type in CHOICE_TYPES:
                keys = [
                    value_key(key)
                    for key, label in (field.choices or {}).items()
                    if pattern.search(fold(key)) or pattern.search(fold(label))
                ]
                if keys:
                    condition |= Q(field=field.pk, value_key__in=keys)
        return records_holding(self.rows().filter(condition)) if condition else Q()

    def field_q(self, token: Token) -> Q:
        field = field_definition(self.object_type, token.field)
        name = "DynamicField_" + token.field
        params = {"field": name, "position": token.position}
        if field is None:
            raise SearchSyntaxError(
                gettext("There is no dynamic field %(field)s (at position %(position)d).") % params, token.position
            )
        parts = [*token.parts]
        parts[0], parts[-1] = parts[0].lstrip(), parts[-1].rstrip()
        if parts == [""]:
            raise SearchSyntaxError(
                gettext('Missing value after "%(field)s:" at position %(position)d.') % params, token.position
            )
        try:
            return self.value_q(field, parts)
        except ValidationError as error:
            params["problem"] = error.messages[0]
            raise SearchSyntaxError(
                gettext("%(field)s at position %(position)d: %(problem)s") % params, token.position
            ) from None

    def value_q(self, field, parts: list[str]) -> Q:
        rows = self.rows().filter(field=field.pk)
        if not any(parts):  # "*": any value
            return records_holding(rows)
        text, wildcard = parts[0], len(parts) > 1
        folded = [fold(part) for part in parts]
        if field.field_type in TEXT_TYPES:
            if not wildcard:
                return dynamic_field_q(self.model, field, text)
            if len(parts) == 2 and not parts[1]:  # gol*: the index's range
                return dynamic_field_q(self.model, field, text, lookup="startswith")
            return records_holding(rows.filter(value_key__regex=folded_pattern(folded, whole=True)))
        if field.field_type in CHOICE_TYPES:
            if wildcard:
                whole = re.compile(folded_pattern(folded, whole=True))
                keys = [
                    key
                    for key, label in (field.choices or {}).items()
                    if whole.search(fold(key)) or whole.search(fold(label))
                ]
            else:
                keys = clean_value(field, text)
                keys = keys if isinstance(keys, list) else [keys]
            return records_holding(rows.filter(value_key__in=[value_key(key) for key in keys]))
        if wildcard:
            raise ValidationError(gettext("* works only in text, dropdown and multiselect fields."))
        if field.field_type == FieldType.DATETIME and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start = clean_value(field, text)  # midnight, local time
            end = clean_value(field, start.date() + datetime.timedelta(days=1)) - datetime.timedelta(microseconds=1)
            return Q(dynamic_field_q(self.model, field, (start, end), lookup="range"))
        return Q(dynamic_field_q(self.model, field, text))


def folded_search_fields(model, fields):
    """``fields`` as the search compares them: each field that has a folded twin (``name`` ->
    ``name_key``) replaced by it, so that searching it follows the same Unicode folding as its
    uniqueness; a ``FullName`` added for each model whose ``FULL_NAME_FIELDS`` are both searched;
    and, for a model with dynamic fields, its ``DynamicFieldSearch``."""
    result = []
    for path in fields:
        *relations, last = path.split("__")
        target = model
        for name in relations:
            target = target._meta.get_field(name).related_model
        twinned = last in getattr(target, "FOLDED_FIELDS", ())
        if len(relations) == 1 and model._meta.get_field(relations[0]).one_to_many:
            # A person's additional addresses: a subquery, not a join that lists them once a row.
            result.append(RelatedRowsSearch(model, relations[0], folded_twin(last) if twinned else last))
            continue
        result.append(folded_twin(path) if twinned else path)
        first_name, last_name = getattr(target, "FULL_NAME_FIELDS", (None, None))
        prefix = path[: len(path) - len(last)]
        if last == first_name and prefix + last_name in fields:
            result.append(FullName(path, prefix + last_name))
    if getattr(model, "DYNAMIC_OBJECT_TYPE", None):
        result.append(DynamicFieldSearch(model))
    return result


# --- Public API ----------------------------------------------------------------------------------


def search_q(query: str, fields: Sequence[str]) -> Q:
    """Return a ``Q`` over ``fields`` for the OTRS search ``query``; raise SearchSyntaxError if unreadable.

    An empty or blank query returns ``Q()`` (no filter).
    """
    query = (query or "").replace("\x00", " ")  # PostgreSQL refuses NUL in any string
    if not query or query.isspace():
        return Q()
    if len(query) > MAX_LENGTH:
        raise SearchSyntaxError(
            gettext("Search is too long: at most %(limit)d characters.") % {"limit": MAX_LENGTH}, MAX_LENGTH + 1
        )
    tokens = Tokenizer(query, field_terms=dynamic_field_search(fields) is not None).tokenize()
    terms = sum(token.kind is Kind.TERM for token in tokens)
    if terms > MAX_TERMS:
        raise SearchSyntaxError(gettext("Search is too long: at most %(limit)d search terms.") % {"limit": MAX_TERMS})
    check_parentheses(tokens)
    return Parser(tokens, fields).parse()


def search_q_or_literal(query: str, fields: Sequence[str]) -> tuple[Q, str | None]:
    """Like :func:`search_q`, but never raises.

    Returns ``(q, None)`` for valid syntax (``(Q(), None)`` for a blank query); for invalid syntax
    a ``Q`` matching the whole query as one literal substring (case-insensitive, runs of spaces
    read as one space, as between words), and the error message to show the user.
    """
    try:
        return search_q(query, fields), None
    except SearchSyntaxError as error:
        literal = " ".join((query or "").replace("\x00", " ").split())
        return term_q([literal], fields), error.message
