"""The bulk import: all rows checked first, then everything written or nothing.

Rows are matched to existing records by their key (CustomerID, login) ignoring
case: update or create. An empty cell never wipes a value, rows that change
nothing are counted and left alone, and any problem anywhere means nothing is
written. Existing records are looked up in batches and the writes are bulk
inserts and updates, so an import costs a fixed number of queries per batch of
rows, not per row.
"""

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, UniqueConstraint
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..datasources import default_data_source_key, get_data_source
from ..folding import fold
from ..models import Validity
from ..models.base import folded_twin
from . import columns
from .formats import LINE_COLUMN, FileProblem, restore_neutralised
from .values import parse_country, parse_validity

LOOKUP_BATCH = 2000
# A plain http(s) address: ASCII host name with a top-level domain, optional port and path.
SIMPLE_WEB_ADDRESS = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z", re.IGNORECASE
)
WRITE_BATCH = 1000
PREVIEW_ROWS = 100
# The unknown columns a warning names; the rest are counted (a header may have a million).
UNKNOWN_COLUMNS_NAMED = 10


@dataclass
class ImportReport:
    """What an import did, or would do on a dry run."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The first rows that change something: (line, "new" | "update", record, changes), the
    # changes as (field, old value, new value), sorted by field; the old value of a new record is None.
    preview: list[tuple] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


@dataclass
class Row:
    line: int
    values: dict  # field -> parsed value, only for non-empty cells
    existing: dict | None = None  # the record's current values, with "pk"
    changes: dict = field(default_factory=dict)
    failed: set = field(default_factory=set)  # fields whose cell could not be read


def folded_lookup(queryset, field_name, keys, fields):
    """Rows of ``queryset`` whose ``field_name`` matches one of the folded ``keys`` ignoring case,
    keyed by the folded value (through the field's folded twin, so one index lookup a batch)."""
    found = {}
    keys = sorted(keys)
    twin = folded_twin(field_name)
    for start in range(0, len(keys), LOOKUP_BATCH):
        batch = keys[start : start + LOOKUP_BATCH]
        for row in queryset.filter(**{f"{twin}__in": batch}).values(twin, *fields):
            found[row.pop(twin)] = row
    return found


@dataclass(frozen=True)
class UniqueRule:
    """A field unique ignoring case within ``condition`` (``None``: among all records)."""

    field: str
    condition: Q | None
    reads: frozenset  # the fields the condition reads
    message: str  # for a value that another record already has, with %(value)s


def condition_fields(condition):
    """The fields a constraint's condition reads; it may only use exact lookups, as ``Q(valid=1)``."""
    if condition is None:
        return frozenset()
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= condition_fields(child)
            continue
        name, _separator, lookup = child[0].partition("__")
        if lookup not in ("", "exact"):
            raise ValueError(f"The import checks only exact lookups in constraint conditions, not {child[0]!r}.")
        names.add(name)
    return frozenset(names)


def meets(condition, values):
    """Whether ``values`` (field -> value) meet ``condition``, in Python: one query per row would be too slow."""
    if condition is None:
        return True
    results = (
        meets(child, values) if isinstance(child, Q) else values.get(child[0].partition("__")[0]) == child[1]
        for child in condition.children
    )
    met = all(results) if condition.connector == Q.AND else any(results)
    return met != condition.negated


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

    def __init__(self, *, default_country="", default_customer="", user=None, progress=None):
        self.default_country = default_country
        self.default_customer = default_customer
        self.user = user
        # Called as progress(phase, done, total) while reading and while writing.
        self.progress = progress or (lambda phase, done, total: None)
        self.report = ImportReport()
        self.header_of = {}

    # --- entry point -----------------------------------------------------------

    def run(self, dataset, *, dry_run=False):
        if self.default_country:
            try:
                self.default_country = parse_country(self.default_country)
            except ValueError as error:
                self.report.problems.append(FileProblem(_("Default country: %(error)s") % {"error": error}))
                return self.report
        rows = self.read(dataset)
        # Problems in single cells still let every other row be checked; a file
        # whose columns cannot be read stops here.
        if self.columns_ok:
            self.match(rows)
            self.plan(rows)
        self.report.problems.sort(key=lambda problem: (problem.line or 0, problem.column or ""))
        if self.report.ok and not dry_run:
            self.write(rows)
        return self.report

    def problem(self, line, field_name, message):
        column = self.header_of.get(field_name) or self.label(field_name)
        self.report.problems.append(FileProblem(message, line=line, column=column))

    def label(self, field_name):
        try:
            return str(capfirst(self.model._meta.get_field(field_name).verbose_name))
        except Exception:
            return field_name

    # --- reading ---------------------------------------------------------------

    def read(self, dataset):
        headers = list(dataset.headers or [])
        has_lines = bool(headers) and headers[0] == LINE_COLUMN
        file_headers = headers[1:] if has_lines else headers
        field_of_column, unknown, duplicates = columns.map_headers(
            file_headers, columns.alias_table(self.model, self.aliases)
        )
        self.header_of = {name: file_headers[position] for position, name in field_of_column.items()}
        for header, name in duplicates:
            self.report.problems.append(
                FileProblem(_("a second column for %(field)s.") % {"field": self.label(name)}, line=1, column=header)
            )
        if unknown:
            self.report.warnings.append(unknown_columns_warning(unknown))
        self.check_columns(set(field_of_column.values()))
        self.columns_ok = self.report.ok
        rows = []
        offset = 1 if has_lines else 0
        cells = [(position + offset, name, self.parsers.get(name)) for position, name in field_of_column.items()]
        total = len(dataset)
        for number, record in enumerate(dataset, start=2):
            if number % WRITE_BATCH == 0:
                self.progress("check", number - 2, total)
            row = Row(int(record[0]) if has_lines else number, {})
            for index, name, parser in cells:
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
        self.report.rows = len(rows)
        self.progress("check", len(rows), total)
        if not rows and self.columns_ok:
            self.columns_ok = False
            self.report.problems.append(FileProblem(_("The file has a header but no rows to import.")))
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
        """Find each row's record, and refuse two rows for one record."""
        first_line = {}
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
        existing = folded_lookup(
            self.model.objects,
            self.key_field,
            first_line,
            ["pk", "data_source", *self.stored_fields],
        )
        for row in rows:
            key = self.key_of(row)
            row.existing = existing.get(key) if key else None
        if self.relation_fields:
            self.load_relations(rows)

    @property
    def stored_fields(self):
        """The data fields that are columns of the model's own table."""
        return [name for name in self.data_fields if name not in self.relation_fields]

    # --- planning ----------------------------------------------------------------

    def plan(self, rows):
        for row in rows:
            if row.existing is not None:
                self.plan_update(row)
            else:
                self.plan_create(row)
        self.check_unique(rows)

    def plan_update(self, row):
        existing = row.existing
        source = get_data_source(existing["data_source"])
        changes = {
            name: value
            for name, value in row.values.items()
            if name in self.data_fields and existing.get(name) != value
        }
        # The key matched ignoring case; the record keeps its own spelling.
        changes.pop(self.key_field, None)
        if not changes:
            self.report.unchanged += 1
            return
        if source is not None and source.read_only:
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

    def plan_create(self, row):
        values = {"valid": Validity.VALID, **row.values}
        missing = [name for name in self.required_for_new if not values.get(name) and name not in row.failed]
        for name in missing:
            self.problem(row.line, name, self.missing_message(name))
        row.changes = {name: value for name, value in values.items() if name in self.data_fields}
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
        """The model's "unique ignoring case" constraints (on the folded twins) of the fields besides
        the key: rows with one key are one record, which ``match`` already refuses."""
        field_of_twin = {folded_twin(name): name for name in self.model.FOLDED_FIELDS if name != self.key_field}
        rules = []
        for constraint in self.model._meta.constraints:
            if not isinstance(constraint, UniqueConstraint) or len(constraint.fields) != 1:
                continue
            name = field_of_twin.get(constraint.fields[0])
            if name is not None:
                message = self.taken_messages.get(name, constraint.violation_error_message)
                rules.append(UniqueRule(name, constraint.condition, condition_fields(constraint.condition), message))
        return rules

    def check_unique(self, rows):
        """The values of each unique field stay unique ignoring case, across the file and the database.

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
            first_line = {}
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
            for name in self.data_fields
            if isinstance(self.model._meta.get_field(name), CharField)
        }

    @cached_property
    def validators(self):
        """The validators of the text fields beyond their length (URL, email, CustomerID)."""
        validators = {}
        for name in self.data_fields:
            model_field = self.model._meta.get_field(name)
            checks = [v for v in model_field.validators if not isinstance(v, (MaxLengthValidator, MinLengthValidator))]
            if checks and not model_field.is_relation:
                validators[name] = lambda value, checks=checks: [check(value) for check in checks]
        return validators

    # --- writing ---------------------------------------------------------------

    def write(self, rows):
        now = timezone.now()
        source = default_data_source_key()
        new_rows = [row for row in rows if row.existing is None and row.changes]
        new = [self.build(row, source) for row in new_rows]
        changed = [row for row in rows if row.existing is not None and row.changes]
        stored = self.stored_fields
        update_fields = sorted({name for row in changed for name in row.changes if name in stored} | {"changed_at"})
        updates = []
        for row in changed:
            obj = self.model(pk=row.existing["pk"], data_source=row.existing["data_source"])
            for name, value in {**row.existing, **row.changes}.items():
                if name in stored:
                    setattr(obj, self.attname(name), value)
            obj.changed_at = now
            obj.change_list = sorted(row.changes)
            updates.append(obj)
        total = len(new) + len(updates)
        try:
            with transaction.atomic():
                for start in range(0, len(new), WRITE_BATCH):
                    self.model.objects.bulk_create(new[start : start + WRITE_BATCH])
                    self.progress("write", start + WRITE_BATCH, total)
                for start in range(0, len(updates), WRITE_BATCH):
                    self.model.objects.bulk_update(updates[start : start + WRITE_BATCH], update_fields)
                    self.progress("write", len(new) + start + WRITE_BATCH, total)
                if self.relation_fields:
                    written = [(row, obj) for row, obj in zip(new_rows, new, strict=True)]
                    written += [(row, obj) for row, obj in zip(changed, updates, strict=True)]
                    self.write_relations(written)
                if self.user is not None:
                    self.log(new, updates)
        except IntegrityError as error:
            # Someone else (another import, an admin) wrote a clashing record since the check.
            self.report.problems.append(FileProblem(self.collision_message(error)))

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

    def relation_columns(self, name):
        """The through table of many-to-many field ``name``, and its columns for this model and the other."""
        model_field = self.model._meta.get_field(name)
        own, other = model_field.m2m_field_name(), model_field.m2m_reverse_field_name()
        return model_field.remote_field.through, f"{own}_id", f"{other}_id"

    def load_relations(self, rows):
        """Each existing record's many-to-many values, as sorted tuples of primary keys."""
        existing = [row.existing for row in rows if row.existing is not None]
        for name in self.relation_fields:
            through, own, other = self.relation_columns(name)
            linked = defaultdict(list)
            pks = [record["pk"] for record in existing]
            for start in range(0, len(pks), LOOKUP_BATCH):
                batch = through.objects.filter(**{f"{own}__in": pks[start : start + LOOKUP_BATCH]})
                for record_pk, target in batch.values_list(own, other):
                    linked[record_pk].append(target)
            for record in existing:
                record[name] = tuple(sorted(linked.get(record["pk"], ())))

    def write_relations(self, written):
        """Replace the many-to-many values of the ``(row, saved record)`` pairs whose row changes them."""
        for name in self.relation_fields:
            through, own, other = self.relation_columns(name)
            changing = [(row, obj) for row, obj in written if name in row.changes]
            pks = [obj.pk for _row, obj in changing]
            for start in range(0, len(pks), WRITE_BATCH):
                through.objects.filter(**{f"{own}__in": pks[start : start + WRITE_BATCH]}).delete()
            links = [through(**{own: obj.pk, other: target}) for row, obj in changing for target in row.changes[name]]
            through.objects.bulk_create(links, batch_size=WRITE_BATCH)

    def attname(self, name):
        return name

    def build(self, row, source):
        obj = self.model(data_source=source)
        for name, value in row.changes.items():
            if name not in self.relation_fields:
                setattr(obj, self.attname(name), value)
        return obj

    def log(self, created, updated):
        """Admin history entries, as the admin writes them for a form."""
        content_type = ContentType.objects.get_for_model(self.model)

        def entry(obj, flag, message):
            return LogEntry(
                user_id=self.user.pk,
                content_type=content_type,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                action_flag=flag,
                change_message=json.dumps(message),
            )

        entries = [entry(obj, ADDITION, [{"added": {}}]) for obj in created]
        entries += [
            entry(obj, CHANGE, [{"changed": {"fields": [self.label(name) for name in obj.change_list]}}])
            for obj in updated
        ]
        LogEntry.objects.bulk_create(entries, batch_size=WRITE_BATCH)
