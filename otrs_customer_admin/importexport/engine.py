"""The bulk import: all rows checked first, then everything written or nothing.

Rows are matched to existing records by their key (CustomerID, login) ignoring
case: update or create. An empty cell never wipes a value, rows that change
nothing are counted and left alone, and any problem anywhere means nothing is
written. Existing records are looked up in batches and the writes are bulk
inserts and updates, so an import costs a fixed number of queries per batch of
rows, not per row.

The rows are read twice, a chunk of ``CHUNK_ROWS`` at a time, so that a file of
any size fits in memory: the check reads every row and keeps only what the
all-or-nothing rule needs (each key and unique value with its first line, and
one byte per row: what the row will do, and a fingerprint of each record it will
update); the write reads them again and writes each chunk, all in one transaction.
A dry run is the check alone.

Updates go through the write kernel (``writes.update_rows``): each row writes only
the fields it changes, and only where the record still holds what was read. A record
that another writer changed since the check (its fingerprint differs) or since the
write read it (the compare-and-set fails) refuses the whole import.

Dynamic fields are columns like the others (``DynamicField_<Name>`` or the field's label),
their cells cleaned by type, their values read a chunk at a time (``writes.load_values``)
and written compare-and-set by ``writes.replace_values`` in the same transaction.
"""

import json
import re
import struct
from array import array
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import batched

from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import IntegrityError, transaction
from django.db.models import CharField
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..datasources import default_data_source_key, get_data_source
from ..folding import fold
from ..history import Change, record_history
from ..models import Customer, Validity
from ..models.base import SourcedRecord, folded_twin
from ..models.dynamic_field_types import FieldType, is_empty, text_parser
from ..models.dynamic_fields import field_definitions, prefixed, unprefixed
from ..models.dynamic_values import mapped_names
from ..models.visibility import ANNOTATION, RO, RW, restricted
from ..values import parse_country, parse_validity
from ..writes import (
    WRITE_BATCH,
    RowsMoved,
    before_write,
    defaults_of,
    field_label,
    folded_lookup,
    insert_values,
    load_links,
    load_values,
    meets,
    replace_links,
    replace_values,
    unique_rules,
    update_rows,
)
from . import columns
from .formats import DatasetRows, FileProblem, restore_neutralised
from .formats.problems import file_changed

# A plain http(s) address: ASCII host name with a top-level domain, optional port and path.
SIMPLE_WEB_ADDRESS = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z", re.IGNORECASE
)
PREVIEW_ROWS = 100
# The unknown columns a warning names; the rest are counted (a header may have a million).
UNKNOWN_COLUMNS_NAMED = 10
# The unknown columns a report lists for a column mapping (the file's first ones).
MAPPABLE_COLUMNS = 50
# The headers a report keeps (a header may have a million columns).
MAX_HEADERS_KEPT = 1000
# The unknown DynamicField_ columns named one by one (each is a field someone may mean to define).
DYNAMIC_COLUMNS_NAMED = 100
# Rows read, checked, looked up and written together.
CHUNK_ROWS = 1000
# Problems kept in a report (those of the first lines); the others are only counted.
MAX_PROBLEMS = 1000
# What the check planned for a row, one byte a row for the write.
UNCHANGED, CREATE, UPDATE = 0, 1, 2
# The records a refusal names; the others are counted.
MOVED_NAMED = 10


@dataclass
class ImportReport:
    """What an import did, or would do on a dry run."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The first MAX_PROBLEMS problems by line; more_problems counts the others.
    problems: list[FileProblem] = field(default_factory=list)
    more_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    # The headers no field is known by (and that are not skipped on purpose), the first
    # MAPPABLE_COLUMNS of them: what a column mapping can map.
    unknown_columns: list[str] = field(default_factory=list)
    # The file's headers, the first MAX_HEADERS_KEPT: a column mapping made later shows them.
    headers: list[str] = field(default_factory=list)
    # The first rows that change something: (line, "new" | "update", record, changes), the
    # changes as (field, old value, new value), sorted by field; the old value of a new record is None.
    preview: list[tuple] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    @property
    def problem_count(self):
        return len(self.problems) + self.more_problems


def problem_order(problem):
    return (problem.line or 0, problem.column or "")


class Rejected(Exception):
    """The second reading of the rows found a problem the check had not: nothing is written."""


@dataclass
class Row:
    line: int
    values: dict  # field -> parsed value, only for non-empty cells
    existing: dict | None = None  # the record's current values, with "pk"
    changes: dict = field(default_factory=dict)
    failed: set = field(default_factory=set)  # fields whose cell could not be read
    planned: int | None = None  # on the second reading: what the check planned (CREATE, UPDATE)


def unknown_columns_warning(unknown):
    named = ", ".join(unknown[:UNKNOWN_COLUMNS_NAMED])
    rest = len(unknown) - UNKNOWN_COLUMNS_NAMED
    if rest <= 0:
        return _("Columns not imported: %(columns)s.") % {"columns": named}
    return ngettext(
        "Columns not imported: %(columns)s and %(count)d more.",
        "Columns not imported: %(columns)s and %(count)d more.",
        rest,
    ) % {"columns": named, "count": rest}


def unknown_dynamic_columns_warnings(model, headers):
    """A warning for each ``DynamicField_…`` column without a valid definition: one that no field
    of the model's records is called, or one whose field is not valid (retired)."""
    retired = {
        field.name_key
        for field in field_definitions(model.DYNAMIC_OBJECT_TYPE, include_invalid=True)
        if not field.is_valid
    }
    records = model._meta.verbose_name_plural
    warnings = []
    for header in headers[:DYNAMIC_COLUMNS_NAMED]:
        name = unprefixed(header).strip()
        if fold(name) in retired:
            message = _(
                "Column %(column)s not imported: the dynamic field %(name)s is not valid (retired); make it "
                "valid to import its values."
            )
        else:
            message = _(
                "Column %(column)s not imported: no dynamic field of %(records)s is called %(name)s; define it "
                "to import its values."
            )
        warnings.append(message % {"column": header, "name": name, "records": records})
    rest = len(headers) - DYNAMIC_COLUMNS_NAMED
    if rest > 0:
        warnings.append(
            ngettext(
                "%(count)d more DynamicField_ column not imported.",
                "%(count)d more DynamicField_ columns not imported.",
                rest,
            )
            % {"count": rest}
        )
    return warnings


# Fields whose cells take few distinct values over a file (a country, a validity): each text is
# parsed once, its value remembered for the others (a million rows, a dozen countries).
FEW_VALUES = frozenset({"country", "valid"})
REMEMBERED_TEXTS = 4096


def remembered(parse):
    """``parse`` remembering the values of the first ``REMEMBERED_TEXTS`` texts it read; a text it
    refused is parsed again each time (its message names the row)."""
    values = {}

    def parse_once(text):
        value = values.get(text)
        if value is None:
            value = parse(text)
            if len(values) < REMEMBERED_TEXTS:
                values[text] = value
        return value

    return parse_once


def dynamic_parser(definition):
    """Cell text -> the typed value of ``definition``'s field; ``ValueError`` with the reason."""

    read = text_parser(definition)

    def parse(text):
        try:
            return read(text)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None

    return parse


class RecordImport:
    """Shared steps; subclasses name the model, the key, the columns and the rules."""

    model = None
    key_field = ""
    aliases = {}
    required_for_new = ()
    # Fields compared and written (the key included).
    data_fields = ()
    # Those of them that are many-to-many: compared as sorted tuples of primary keys and
    # written by write_relations() instead of bulk_update().
    relation_fields = ()
    # Cell text -> value, for the fields that are not plain text; ValueError means a problem.
    parsers = {"country": parse_country, "valid": parse_validity}
    # Field -> what to say when a row's value of a unique field belongs to another record
    # (with %(value)s); a field without one gets its constraint's violation message.
    taken_messages = {}

    def __init__(self, *, default_country="", default_customer="", user=None, progress=None, mapping=None):
        self.default_country = default_country
        # The user's column mapping: file header -> field (or "" to ignore the column).
        self.mapping = mapping or {}
        self.default_customer = default_customer
        self.user = user
        # Called as progress(phase, done, total) while reading and while writing.
        self.progress = progress or (lambda phase, done, total: None)
        self.report = ImportReport()
        self.header_of = {}
        self.found = []  # the problems of the chunk being checked
        self.first_lines = defaultdict(dict)  # field -> folded value -> the first line with it
        self.plans = bytearray()  # UNCHANGED, CREATE or UPDATE, a byte per row
        # For each row to update, in order, a fingerprint of the record's values the check read:
        # the write refuses a record that another writer changed since.
        self.fingerprints = array("q")
        self.updates_read = 0  # on the second reading: the fingerprints compared so far
        self.writing = False  # on the second reading
        self.to_write = 0  # records the check plans to create or update

    # --- entry point -----------------------------------------------------------

    def run(self, rows, *, dry_run=False):
        """Check every row of ``rows``, then write them all or nothing (not on a dry run).

        ``rows`` is a Dataset (the admin's upload) or a file's ``formats.FileRows``.
        """
        if not self.prepare():
            return self.report
        source = rows if hasattr(rows, "open") else DatasetRows(rows)
        self.check(source)
        self.report.problems.sort(key=problem_order)
        if self.report.ok and not dry_run and self.report.created + self.report.updated:
            before_write.send(sender="import")
            self.write_checked(source)
        return self.report

    def prepare(self):
        """Check the import's own options before any row; False (the report saying why) when they fail."""
        if self.default_country:
            try:
                self.default_country = parse_country(self.default_country)
            except ValueError as error:
                self.report.problems.append(FileProblem(_("Default country: %(error)s") % {"error": error}))
                return False
        return True

    def saved_check(self):
        """What the check of a dry run found, as bytes: enough for ``confirm`` to write the same file
        later (in another process) without checking it again. One byte a row and eight an update."""
        counts = {name: getattr(self.report, name) for name in ("rows", "created", "updated", "unchanged")}
        head = json.dumps({"counts": counts, "warnings": self.report.warnings}).encode()
        return struct.pack("<QQ", len(head), len(self.plans)) + head + bytes(self.plans) + self.fingerprints.tobytes()

    def confirm(self, rows, saved):
        """Write ``rows`` as a dry run's check planned them (``saved``, from its ``saved_check()``).

        A record that another writer changed since that check (its fingerprint differs), a row the
        file no longer has, or a record taken since, refuses the whole write, as within one ``run``.
        """
        if not self.prepare():
            return self.report
        head_size, row_count = struct.unpack_from("<QQ", saved)
        start = struct.calcsize("<QQ")
        head = json.loads(saved[start : start + head_size])
        start += head_size
        self.plans = bytearray(saved[start : start + row_count])
        self.fingerprints = array("q")
        self.fingerprints.frombytes(saved[start + row_count :])
        self.report = ImportReport(**head["counts"], warnings=head["warnings"])
        source = rows if hasattr(rows, "open") else DatasetRows(rows)
        if self.report.created + self.report.updated:
            before_write.send(sender="import")
            self.write_checked(source)
        return self.report

    def check(self, source):
        """The first reading: every row checked, a chunk at a time; a file whose columns cannot be read
        has its cells checked only."""
        with source.open() as table:
            self.read_headers(table.headers)
            done = 0
            for records in batched(table.rows, CHUNK_ROWS):
                rows = self.read(records)
                if self.columns_ok:
                    self.match(rows)
                    self.plan(rows)
                    self.plans.extend(
                        CREATE if row.existing is None else UPDATE if row.changes else UNCHANGED for row in rows
                    )
                    self.fingerprints.extend(fingerprint(row.existing) for row in rows if row.existing and row.changes)
                self.keep_problems()
                done += len(records)
                if len(records) == CHUNK_ROWS:
                    self.progress("check", done, estimated_total(table, done))
        self.report.rows = done
        self.progress("check", done, done)
        if not done and self.columns_ok:
            self.columns_ok = False
            self.report.problems.append(FileProblem(_("The file has a header but no rows to import.")))

    def write_checked(self, source):
        """The second reading: the rows read again and written as the check planned them. The report
        keeps the check's counts; problems found now (the database or the file changed since the
        check) become its problems, and nothing is written."""
        self.first_lines.clear()  # the check's; the write relies on the database's constraints
        checked, self.report = self.report, ImportReport()
        self.to_write = checked.created + checked.updated
        self.writing = True
        chunks = self.planned_chunks(source)
        try:
            self.write(chunks)
        except Rejected:
            pass
        finally:
            chunks.close()
            written, self.report = self.report, checked
        if not written.ok:
            self.report.problems = sorted(written.problems, key=problem_order)
            self.report.more_problems = written.more_problems

    def planned_chunks(self, source):
        """The rows to write, a chunk at a time, read and planned again; raises Rejected on a problem."""
        with source.open() as table:
            self.read_headers(table.headers)
            done = 0
            for records in batched(table.rows, CHUNK_ROWS):
                plans = self.plans[done : done + len(records)]
                done += len(records)
                if len(plans) != len(records):
                    raise file_changed()
                changing = [(record, plan) for record, plan in zip(records, plans, strict=True) if plan != UNCHANGED]
                rows = self.read([record for record, _plan in changing])
                for row, (_record, plan) in zip(rows, changing, strict=True):
                    row.planned = plan
                self.match(rows)
                moved = []
                for row in rows:
                    if row.planned == UPDATE:
                        read = self.fingerprints[self.updates_read]
                        self.updates_read += 1
                        if row.existing is None or fingerprint(row.existing) != read:  # changed since the check
                            moved.append(
                                row.existing[self.key_field]
                                if row.existing
                                else row.values.get(self.key_field, row.line)
                            )
                if moved:
                    self.refuse_moved(moved)
                self.plan(rows)
                self.keep_problems()
                if not self.report.ok:
                    raise Rejected
                yield rows
            if done != len(self.plans):
                raise file_changed()

    def problem(self, line, field_name, message):
        # A dynamic field without a column is named by the column that would hold it.
        column = self.header_of.get(field_name)
        if not column:
            column = field_name if field_name in self.dynamic else self.label(field_name)
        self.found.append(FileProblem(message, line=line, column=column))

    def keep_problems(self):
        """The problems of the chunk just checked go to the report: the first MAX_PROBLEMS by line."""
        self.found.sort(key=problem_order)
        room = max(MAX_PROBLEMS - len(self.report.problems), 0)
        self.report.problems += self.found[:room]
        self.report.more_problems += len(self.found[room:])
        self.found = []

    def label(self, field_name):
        if field_name in self.dynamic:
            return self.dynamic[field_name].label
        return field_label(self.model, field_name)

    # --- reading ---------------------------------------------------------------

    def read_headers(self, headers):
        """Which column holds which field, and the header's problems and warnings."""
        field_of_column, unknown, duplicates = columns.map_headers(headers, self.column_table(), self.mapping)
        self.header_of = {name: headers[position] for position, name in field_of_column.items()}
        self.dynamic_columns = [name for name in field_of_column.values() if name in self.dynamic]
        for header, name in duplicates:
            self.report.problems.append(
                FileProblem(_("a second column for %(field)s.") % {"field": self.label(name)}, line=1, column=header)
            )
        self.report.unknown_columns = [str(header) for header in unknown[:MAPPABLE_COLUMNS]]
        self.report.headers = [str(header) for header in headers[:MAX_HEADERS_KEPT]]
        # A model without dynamic fields has no DynamicField_ columns: such a header is any unknown one.
        dynamic = self.dynamic_type is not None
        unknown_dynamic = [header for header in unknown if dynamic and unprefixed(str(header)) is not None]
        unknown = [header for header in unknown if not (dynamic and unprefixed(str(header)) is not None)]
        if unknown:
            self.report.warnings.append(unknown_columns_warning(unknown))
        if unknown_dynamic:
            self.report.warnings += unknown_dynamic_columns_warnings(self.model, unknown_dynamic)
        self.check_columns(set(field_of_column.values()))
        self.columns_ok = self.report.ok
        self.cells = [(position, name, self.parser(name)) for position, name in field_of_column.items()]

    def column_table(self):
        """Normalised header -> field: every column name this import knows without a mapping."""
        return columns.alias_table(self.model, self.aliases, self.dynamic.values())

    def importable_fields(self):
        """``(field, label)`` for each field a column can be mapped to: the built-in fields by their
        labels, then the dynamic fields by their labels and ``DynamicField_<Name>``."""
        built_in = [(name, self.label(name)) for name in self.data_fields]
        dynamic = [(key, f"{definition.label} ({key})") for key, definition in self.dynamic.items()]
        return [*built_in, *dynamic]

    def parser(self, name):
        """What reads a cell of field ``name`` (``None``: its text as it is)."""
        if name in self.dynamic:
            return dynamic_parser(self.dynamic[name])
        parser = self.parsers.get(name)
        return remembered(parser) if name in FEW_VALUES and parser is not None else parser

    def read(self, records):
        """A ``Row`` for each ``(line, cells)`` record, with the values of its non-empty cells."""
        rows = []
        for line, record in records:
            row = Row(line, {})
            for index, name, parser in self.cells:
                cell = record[index]
                text = cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell).strip())
                if not text:
                    continue
                if text[0] == "'":
                    text = restore_neutralised(text)
                if parser is not None:
                    try:
                        text = parser(text)
                    except ValueError as error:
                        self.problem(row.line, name, str(error))
                        row.failed.add(name)
                        continue
                row.values[name] = text
            rows.append(row)
        return rows

    def check_columns(self, present):
        if self.key_field not in present:
            self.report.problems.append(
                FileProblem(_("The column %(column)s is missing.") % {"column": self.label(self.key_field)}, line=1)
            )

    # --- matching ----------------------------------------------------------------

    def key_of(self, row):
        value = row.values.get(self.key_field)
        return fold(value) if value else None

    def match(self, rows):
        """Find each row's record, and refuse two rows for one record (in this chunk or one before)."""
        if not self.writing:
            first_line = self.first_lines[self.key_field]
            for row in rows:
                key = self.key_of(row)
                if key is None:
                    continue
                if key in first_line:
                    self.problem(
                        row.line,
                        self.key_field,
                        _("%(value)s appears again (first on line %(line)s); each record may appear once.")
                        % {"value": row.values[self.key_field], "line": first_line[key]},
                    )
                else:
                    first_line[key] = row.line
        # A row the check planned to create stays new: a record someone else created since is a collision.
        looked_up = [row for row in rows if row.planned != CREATE]
        existing = folded_lookup(
            self.model.objects,
            self.key_field,
            {self.key_of(row) for row in looked_up} - {None},
            ["pk", *(["data_source"] if self.sourced else []), *self.stored_fields],
        )
        for row in looked_up:
            key = self.key_of(row)
            row.existing = existing.get(key) if key else None
        if self.relation_fields:
            self.load_relations(rows)
        if self.dynamic_columns:
            self.load_dynamic_values(rows)

    def load_dynamic_values(self, rows):
        """Each existing record's values of the dynamic fields the file has columns for."""
        existing = [row.existing for row in rows if row.existing is not None]
        definitions = [self.dynamic[key] for key in self.dynamic_columns]
        values = load_values(self.model, [record["pk"] for record in existing], definitions)
        for record in existing:
            for definition in definitions:
                record[definition.key] = values[record["pk"]][definition.name]

    @property
    def sourced(self):
        """Whether the model's records belong to a data source (read-only directories, new records
        the default source's): customers and customer users do, SLAs do not."""
        return issubclass(self.model, SourcedRecord)

    @property
    def dynamic_type(self):
        """The object type of the model's dynamic fields; ``None`` for a model without them (SLAs)."""
        return getattr(self.model, "DYNAMIC_OBJECT_TYPE", None)

    @cached_property
    def dynamic(self):
        """``DynamicField_<Name>`` -> definition, for the valid dynamic fields of the model's records."""
        if self.dynamic_type is None:
            return {}
        return {field.key: field for field in field_definitions(self.dynamic_type)}

    @cached_property
    def dynamic_defaults(self):
        """What a new record gets in the dynamic fields its row leaves empty."""
        if self.dynamic_type is None:
            return {}
        return {prefixed(name): value for name, value in defaults_of(self.model).items()}

    @cached_property
    def required_fields(self):
        """What a new record needs: the importer's fields and the required dynamic fields (a checkbox
        is never missing: unticked is a value)."""
        required = [
            key for key, field in self.dynamic.items() if field.required and field.field_type != FieldType.CHECKBOX
        ]
        return (*self.required_for_new, *required)

    def is_written(self, name):
        return name in self.data_fields or name in self.dynamic

    @property
    def stored_fields(self):
        """The data fields that are columns of the model's own table."""
        return [name for name in self.data_fields if name not in self.relation_fields]

    # --- customer groups: what the importing user may change -------------------------

    def customer_rights(self, pks):
        """Customer pk -> ``rw``, ``ro`` or None: what the importing user's groups give on each of
        ``pks`` (one query a batch; ``rw`` for all when the user is not limited, or there is none)."""
        pks = {pk for pk in pks if pk is not None}
        if not restricted(self.user, RW):
            return dict.fromkeys(pks, RW)
        sees_all = not restricted(self.user, RO)  # view_all_customers
        rights = dict.fromkeys(pks, RO if sees_all else None)
        found = Customer.objects.filter(pk__in=pks).with_group_permission(self.user).values_list("pk", ANNOTATION)
        for pk, permission in found:
            if permission is not None:
                rights[pk] = permission
        return rights

    # --- planning ----------------------------------------------------------------

    def plan(self, rows):
        for row in rows:
            if row.existing is not None:
                self.plan_update(row)
            else:
                self.plan_create(row)
        if not self.writing:  # the write relies on the check and on the database's constraints
            self.check_unique(rows)

    def plan_update(self, row):
        existing = row.existing
        source = get_data_source(existing["data_source"]) if self.sourced else None
        changes = {
            name: value for name, value in row.values.items() if self.is_written(name) and existing.get(name) != value
        }
        # The key matched ignoring case; the record keeps its own spelling.
        changes.pop(self.key_field, None)
        if not changes:
            self.report.unchanged += 1
            return
        if source is not None and source.read_only and not self.editable_on_directory(source, changes):
            self.problem(
                row.line,
                self.key_field,
                _("%(value)s belongs to the read-only data source %(source)s; only its sync may change it.")
                % {"value": existing[self.key_field], "source": source},
            )
            return
        row.changes = changes
        self.validate(row, {**existing, **changes})
        self.report.updated += 1
        self.add_preview(row, "update", {**existing, **changes}, changes)

    def editable_on_directory(self, source, changes):
        """Whether a directory's record may take ``changes``: only dynamic fields its source does not map."""
        mapped = mapped_names(source, self.model.DYNAMIC_OBJECT_TYPE)
        return all(name in self.dynamic and self.dynamic[name].name_key not in mapped for name in changes)

    def plan_create(self, row):
        values = {"valid": Validity.VALID, **self.dynamic_defaults, **row.values}
        missing = [name for name in self.required_fields if is_empty(values.get(name)) and name not in row.failed]
        for name in missing:
            self.problem(row.line, name, self.missing_message(name))
        row.changes = {name: value for name, value in values.items() if self.is_written(name)}
        self.validate(row, row.changes)
        self.report.created += 1
        self.add_preview(row, "new", row.changes, row.changes)

    def missing_message(self, name):
        return _("required for a new record.")

    def add_preview(self, row, kind, values, changes):
        if len(self.report.preview) < PREVIEW_ROWS:
            old = row.existing or {}
            changed = [(name, old.get(name), changes[name]) for name in sorted(changes)]
            self.report.preview.append((row.line, kind, values.get(self.key_field), changed))

    @cached_property
    def unique_rules(self):
        """The model's "unique ignoring case" rules of the fields besides the key: rows with one key
        are one record, which ``match`` already refuses."""
        return [
            replace(rule, message=self.taken_messages.get(rule.field, rule.message))
            for rule in unique_rules(self.model)
            if rule.field != self.key_field
        ]

    def check_unique(self, rows):
        """The values of each unique field stay unique ignoring case, across the file (this chunk and
        those before) and the database.

        A row is checked when it writes the field or a field the constraint's condition reads (only
        then can it newly clash), and its values after the import meet the condition.
        """
        for rule in self.unique_rules:
            checked = []
            for row in rows:
                if rule.field not in row.changes and not rule.reads & row.changes.keys():
                    continue
                values = {**(row.existing or {}), **row.changes}
                if values.get(rule.field) and meets(rule.condition, values):
                    checked.append((row, values))
            records = self.model.objects if rule.condition is None else self.model.objects.filter(rule.condition)
            keys = {fold(values[rule.field]) for _row, values in checked}
            holders = folded_lookup(records, rule.field, keys, [self.key_field])
            first_line = self.first_lines[rule.field]
            for row, values in checked:
                value = values[rule.field]
                key = fold(value)
                holder = holders.get(key)
                if key in first_line:
                    self.problem(
                        row.line,
                        rule.field,
                        _("%(value)s appears again (first on line %(line)s).")
                        % {"value": value, "line": first_line[key]},
                    )
                elif holder is not None and fold(holder[self.key_field]) != fold(values.get(self.key_field) or ""):
                    self.problem(row.line, rule.field, rule.message % {"value": value})
                first_line.setdefault(key, row.line)

    def validate(self, row, values):
        """The model's field rules, checked directly: lengths and the few validators that matter."""
        if self.writing:
            return  # the check validated these very values: they depend on nothing else
        for name in row.changes:
            value = values[name]
            limit = self.max_lengths.get(name)
            if limit is not None and len(value) > limit:
                message = _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
                self.problem(row.line, name, message % {"limit": limit, "length": len(value)})
                continue
            if name == "url" and SIMPLE_WEB_ADDRESS.match(value):
                continue  # the common case, and one URLValidator accepts; it costs a regex, not a parse
            validator = self.validators.get(name)
            if validator is not None:
                try:
                    validator(value)
                except ValidationError as error:
                    self.problem(row.line, name, " ".join(error.messages))

    @cached_property
    def max_lengths(self):
        return {
            name: self.model._meta.get_field(name).max_length
            for name in self.stored_fields
            if isinstance(self.model._meta.get_field(name), CharField)
        }

    @cached_property
    def validators(self):
        """The validators of the text fields beyond their length (URL, email, CustomerID)."""
        validators = {}
        for name in self.stored_fields:
            model_field = self.model._meta.get_field(name)
            checks = [v for v in model_field.validators if not isinstance(v, (MaxLengthValidator, MinLengthValidator))]
            if checks and not model_field.is_relation:
                validators[name] = lambda value, checks=checks: [check(value) for check in checks]
        return validators

    # --- writing ---------------------------------------------------------------

    def write(self, chunks):
        """Write the checked rows, a chunk of them at a time, in one transaction: all or nothing."""
        written = 0
        try:
            with transaction.atomic():
                for rows in chunks:
                    count = self.write_rows(rows)
                    if count:
                        written += count
                        self.progress("write", written, self.to_write)
        except IntegrityError as error:
            # Someone else (another import, an admin) wrote a clashing record since the check.
            self.report.problems.append(FileProblem(self.collision_message(error)))

    def write_rows(self, rows):
        """Create and update the records of one chunk of rows; returns how many."""
        now = timezone.now()
        source = default_data_source_key() if self.sourced else None
        new_rows = [row for row in rows if row.existing is None and row.changes]
        new = [self.build(row, source) for row in new_rows]
        changed = [row for row in rows if row.existing is not None and row.changes]
        stored = self.stored_fields
        updates = []
        for row in changed:
            written = [name for name in row.changes if name in stored]
            if not written and not any(self.stamps_record(name) for name in row.changes):
                continue  # dynamic fields only: replace_values moves changed_at
            old = {self.attname(name): row.existing[name] for name in written}
            values = {self.attname(name): row.changes[name] for name in written}
            updates.append((row.existing["pk"], old, {**values, "changed_at": now}))
        self.model.objects.bulk_create(new, batch_size=WRITE_BATCH)
        try:
            update_rows(self.model, updates)
            if self.relation_fields:
                self.write_relations(new_rows, new, changed)
            if self.dynamic:
                self.write_dynamic_values(new_rows, new, changed)
        except RowsMoved as moved:
            keys = {row.existing["pk"]: row.existing[self.key_field] for row in changed}
            self.refuse_moved([keys[pk] for pk in moved.pks if pk in keys])
        self.after_write(rows)
        self.log(new_rows, new, changed)
        return len(new) + len(changed)

    def stamps_record(self, name):
        """Whether changing field ``name`` moves the record's ``changed_at`` here (a dynamic field's
        value moves it where it is written)."""
        return name not in self.dynamic

    def after_write(self, rows):
        """What to check once a chunk is written, before the transaction commits (a subclass's)."""

    def refuse_moved(self, records):
        """Records the import was to change were changed by another writer since it read them: nothing is written."""
        named = ", ".join(sorted(map(str, records))[:MOVED_NAMED])
        rest = len(records) - MOVED_NAMED
        if rest > 0:
            named = ngettext("%(records)s and %(count)d more", "%(records)s and %(count)d more", rest) % {
                "records": named,
                "count": rest,
            }
        message = _(
            "Nothing was imported: %(records)s changed while this file was being imported (another import, a "
            "sync, a merge or a user saved them). Nothing was overwritten; import the file again."
        )
        self.report.problems.append(FileProblem(message % {"records": named}))
        raise Rejected

    def collision_message(self, error):
        """What a unique constraint the database enforced means, in words, without its name."""
        text = str(error)
        clashing = next(
            (name for name in self.model.FOLDED_FIELDS if folded_twin(name) in text or f"_{name}_unique" in text),
            None,
        )
        if clashing is None:
            return _(
                "Nothing was imported: the database refused the changes, because another import or user changed "
                "the same records at the same time. Import the file again."
            )
        return _(
            "Nothing was imported: while this file was being imported, another import or user saved a "
            "%(model)s with the same %(field)s as one of its rows. Import the file again: the rows concerned "
            "will then be listed."
        ) % {"model": self.model._meta.verbose_name, "field": self.label(clashing)}

    @cached_property
    def link_fields(self):
        """The relation fields that are many-to-many (``load_links``); a subclass reads and writes the others."""
        return [name for name in self.relation_fields if self.model._meta.get_field(name).many_to_many]

    def load_relations(self, rows):
        """Each existing record's many-to-many values, as sorted tuples of primary keys."""
        existing = [row.existing for row in rows if row.existing is not None]
        for name in self.link_fields:
            links = load_links(self.model, name, [record["pk"] for record in existing])
            for record in existing:
                record[name] = links[record["pk"]]

    def write_relations(self, new_rows, new, changed):
        """Replace the many-to-many values the rows change: a new record's, and an existing record's
        where its links are still those the import read."""
        for name in self.link_fields:
            links = {obj.pk: row.changes[name] for row, obj in zip(new_rows, new, strict=True) if name in row.changes}
            replace_links(self.model, name, links)
            read = {row.existing["pk"]: row.existing[name] for row in changed if name in row.changes}
            replace_links(
                self.model,
                name,
                {row.existing["pk"]: row.changes[name] for row in changed if name in row.changes},
                read=read,
            )

    def write_dynamic_values(self, new_rows, new, changed):
        """The dynamic values of new records, and those the rows change of existing records where
        they still hold the values the import read (compare-and-set)."""
        # The values come from the fields' own parsers (clean_value): the kernel need not clean them again.
        new_values = {obj.pk: self.dynamic_changes(row) for row, obj in zip(new_rows, new, strict=True)}
        insert_values(self.model, new_values, cleaned=True)
        values, read = {}, {}
        for row in changed:
            pk = row.existing["pk"]
            values[pk] = self.dynamic_changes(row)
            read[pk] = self.dynamic_changes(row, row.existing)
        replace_values(self.model, values, read=read, cleaned=True)

    def dynamic_changes(self, row, values=None):
        """Field name -> value of the dynamic fields ``row`` changes, from ``values`` (its changes)."""
        values = row.changes if values is None else values
        return {self.dynamic[key].name: values[key] for key in row.changes if key in self.dynamic}

    def attname(self, name):
        return name

    @cached_property
    def blank_values(self):
        """A new record's attributes before its row's values: the model's defaults, computed once
        (none of them differs between records: the time stamps are set when the rows are inserted)."""
        values = dict(self.model().__dict__)
        del values["_state"]
        return values

    def build(self, row, source):
        # What self.model(data_source=source) makes, for a tenth of its time (an import builds a
        # record per new row; the package's models have no init signals or __init__ of their own).
        obj = self.model.__new__(self.model)
        obj.__dict__.update(self.blank_values)
        obj._state = ModelState()
        if source is not None:
            obj.data_source = source
        for name, value in row.changes.items():
            if name not in self.relation_fields:
                setattr(obj, self.attname(name), value)
        return obj

    def log(self, new_rows, created, changed):
        """The history: an admin entry for each record, as the admin writes them for a form, and each
        field's old and new value (``history.record_history``)."""
        changes = [
            Change(obj.pk, obj, ADDITION, [{"added": {}}], self.history_values(row, {}))
            for row, obj in zip(new_rows, created, strict=True)
        ]
        changes += [
            Change(
                row.existing["pk"],
                self.record_text({**row.existing, **row.changes}),
                CHANGE,
                [{"changed": {"fields": [self.label(name) for name in sorted(row.changes)]}}],
                self.history_values(row, row.existing),
            )
            for row in changed
        ]
        record_history(self.user, "import", self.model, changes)

    def history_values(self, row, existing):
        """Field name -> ``(old, new)`` of what ``row`` changes in the record that held ``existing``."""
        return {name: (existing.get(name), value) for name, value in row.changes.items()}

    def record_text(self, values):
        """What the record's ``str()`` would say, from its values (the history's text of a record)."""
        record = self.model()
        for name in self.stored_fields:
            setattr(record, self.attname(name), values[name])
        return record


def fingerprint(values):
    """A number that changes when any of ``values`` (a record as read: field -> value) changes."""
    # A multiselect's keys are a list: as a tuple, to be hashed.
    return hash(tuple(sorted((name, tuple(v) if isinstance(v, list) else v) for name, v in values.items())))


def estimated_total(table, done):
    """The rows of ``table``: known for a Dataset, else estimated from how much of the file ``done`` rows are."""
    if table.total is not None:
        return table.total
    fraction = table.fraction_read() if table.fraction_read else 0
    return max(done, round(done / fraction)) if fraction > 0 else done
