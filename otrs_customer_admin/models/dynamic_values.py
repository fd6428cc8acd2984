"""The values of dynamic fields: their tables, ``record.dynamic_fields`` and the queries over them.

Each record model has a value table (``CustomerDynamicValue``, ``CustomerUserDynamicValue``) as
OTRS has ``dynamic_field_value``: one row per record, field and value (a multiselect has a row
per key, ``position`` keeping their order), the value in the typed column of the field's type,
so that the database compares dates as dates and numbers as numbers, and text also in
``value_key`` (its folded start) for searches that ignore case. Indexes lead with the field and
the typed column: ``DynamicField_Tier:gold`` is one index range, at any number of records.

* ``record.dynamic_fields``: name -> typed value, assignable; ``full_clean()`` validates what was
  assigned (and that required fields are filled), ``save()`` writes what changed.
* ``queryset.filter_dynamic_field(name, value, lookup=…)`` selects by one field;
  ``queryset.with_dynamic_fields(*names)`` annotates values (``DynamicField_<Name>``) for lists,
  read back with ``annotated_value``.
* ``load_values`` and ``replace_values``: the bulk read and the compare-and-set write every writer
  (form, import, sync, merge) goes through; ``replace_values`` refuses with ``RowsMoved`` when a
  value changed since it was read. ``insert_values`` writes those of records just created.
"""

from collections import defaultdict
from collections.abc import MutableMapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Aggregate, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..exceptions import ReadOnlySourceError, RowsMoved
from ..folding import fold
from .base import data_source_label, read_only_source_keys
from .dynamic_field_types import (
    DECIMAL_DIGITS,
    DECIMAL_PLACES,
    KEY_LENGTH,
    KEYED_TYPES,
    VALUE_COLUMN,
    VALUE_COLUMNS,
    FieldType,
    clean_value,
    empty_value,
    is_empty,
    storage_rows,
    tidy_decimal,
    value_from_rows,
    value_key,
)
from .dynamic_fields import (
    BATCH,
    DynamicField,
    field_definitions,
    insert_rows,
    prefixed,
    unprefixed,
    value_model_of,
)

# Between a multiselect's keys in a list annotation.
KEY_JOINER = "\x1f"


class DynamicValue(models.Model):
    """One value of one dynamic field of one record (abstract: a table per record model)."""

    field = models.ForeignKey(DynamicField, on_delete=models.PROTECT, related_name="+", verbose_name=_("field"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    value_text = models.TextField(_("text"), null=True)
    value_key = models.CharField(_("folded text"), max_length=KEY_LENGTH, null=True)
    value_int = models.BigIntegerField(_("integer"), null=True)
    value_decimal = models.DecimalField(
        _("decimal number"), max_digits=DECIMAL_DIGITS, decimal_places=DECIMAL_PLACES, null=True
    )
    value_date = models.DateField(_("date"), null=True)
    value_datetime = models.DateTimeField(_("date and time"), null=True)

    class Meta:
        abstract = True

    def __str__(self):
        values = (getattr(self, column) for column in VALUE_COLUMNS if column != "value_key")
        return f"{self.field_id}: {next((value for value in values if value is not None), '')}"


def value_constraints(table):
    """A record's values are one index range; a field has one value per position."""
    return [models.UniqueConstraint(fields=["record", "field", "position"], name=f"{table}_one_value")]


def value_indexes(table):
    """Each typed column in order within its field, with the record: a filter reads the index alone.
    Partial: a row has one typed column, so it enters one of them, not five (a condition on the
    column, such as ``value_key = 'gold'``, implies it is not NULL, so the planners use them)."""
    return [
        models.Index(
            fields=["field", column, "record"],
            name=f"{table}_{column.removeprefix('value_')}",
            condition=Q(**{f"{column}__isnull": False}),
        )
        for column in ("value_key", "value_int", "value_decimal", "value_date", "value_datetime")
    ]


class CustomerDynamicValue(DynamicValue):
    record = models.ForeignKey(
        "otrs_customer_admin.Customer", on_delete=models.CASCADE, related_name="dynamic_values", db_index=False
    )

    class Meta:
        verbose_name = _("dynamic field value of a customer")
        verbose_name_plural = _("dynamic field values of customers")
        constraints = value_constraints("otrs_cdv")
        indexes = value_indexes("otrs_cdv")


class CustomerUserDynamicValue(DynamicValue):
    record = models.ForeignKey(
        "otrs_customer_admin.CustomerUser", on_delete=models.CASCADE, related_name="dynamic_values", db_index=False
    )

    class Meta:
        verbose_name = _("dynamic field value of a customer user")
        verbose_name_plural = _("dynamic field values of customer users")
        constraints = value_constraints("otrs_cudv")
        indexes = value_indexes("otrs_cudv")


def object_type_of(model):
    return model.DYNAMIC_OBJECT_TYPE


def _definitions_named(model, names):
    """name -> definition for ``names`` (valid definitions of ``model``'s object type, found ignoring case)."""
    by_key = {field.name_key: field for field in field_definitions(object_type_of(model))}
    found = {}
    for name in names:
        field = by_key.get(fold(unprefixed(name) or name))
        if field is None:
            raise KeyError(
                gettext("%(model)s have no valid dynamic field %(name)s.")
                % {"model": capfirst(model._meta.verbose_name_plural), "name": prefixed(unprefixed(name) or name)}
            )
        found[name] = field
    return found


# --- reading and writing in bulk ------------------------------------------------------------------


def _stored_rows(value_model, pks, fields):
    """(record pk, field pk) -> the stored rows (dicts of the position and the value columns the
    fields' types use: the others are not read, nor converted)."""
    names = ("record_id", "field_id", "position", *sorted({VALUE_COLUMN[field.field_type] for field in fields}))
    rows = defaultdict(list)
    pks = list(pks)
    field_ids = [field.pk for field in fields]
    for start in range(0, len(pks), BATCH):
        batch = value_model.objects.filter(record_id__in=pks[start : start + BATCH], field_id__in=field_ids)
        for row in batch.values_list(*names):
            rows[row[:2]].append(dict(zip(names, row, strict=True)))
    return rows


def load_values(model, pks, fields=None):
    """Record pk -> {name: typed value} for ``fields`` (definitions; the valid ones of ``model`` when
    ``None``), every pk and every field present (empty where nothing is stored)."""
    fields = field_definitions(object_type_of(model)) if fields is None else list(fields)
    pks = list(pks)
    if not fields:
        return {pk: {} for pk in pks}
    rows = _stored_rows(value_model_of(object_type_of(model)), pks, fields)
    return {
        pk: {field.name: value_from_rows(field.field_type, rows.get((pk, field.pk))) for field in fields} for pk in pks
    }


def defaults_of(model):
    """name -> typed default of the valid fields of ``model`` that have one: what a new record gets."""
    return {
        field.name: clean_value(field, field.default)
        for field in field_definitions(object_type_of(model))
        if field.default
    }


def mapped_names(source, object_type):
    """The folded names of the dynamic fields ``source`` maps (``DynamicField_<Name>`` keys of its
    attribute map): its sync writes them, and only it."""
    if source is None or not source.read_only:
        return frozenset()
    return frozenset(fold(name) for key in source.attr_map(object_type) if (name := unprefixed(key)))


def replace_values(model, values, *, read=None, cleaned=False):
    """Write dynamic field values: ``values`` maps a record's pk to {name: typed value} (the fields
    that change). With ``read`` (pk -> {name: value as read}) each value must still be the one
    read, else ``RowsMoved``; the records stay locked until the caller's transaction ends, where
    the database locks rows. A record's ``changed_at`` moves with its values.

    A directory's records (read-only sources) may change here only in the fields their source
    does not map, unless their source's own sync is writing. ``cleaned``: every value comes
    from ``clean_value`` of its field already (a bulk writer's parse), so it is not cleaned again.
    """
    values = {pk: changes for pk, changes in values.items() if changes}
    if not values:
        return
    value_model = value_model_of(object_type_of(model))
    fields = _definitions_named(model, {name for changes in values.values() for name in changes})
    database = router.db_for_write(model)
    with transaction.atomic(using=database):
        pks = sorted(values)
        sources = {}
        for start in range(0, len(pks), BATCH):
            locked = model._base_manager.using(database).filter(pk__in=pks[start : start + BATCH]).select_for_update()
            sources.update(locked.values_list("pk", "data_source"))
        _refuse_mapped(model, values, sources, fields)
        if read is not None:
            now = load_values(model, pks, fields.values())
            moved = [
                pk
                for pk, changes in values.items()
                if pk in read
                and any(name in read[pk] and now[pk][fields[name].name] != read[pk][name] for name in changes)
            ]
            if moved:
                raise RowsMoved(model, moved)
        # Records changing the same fields (in an import, mostly all of them) lose their old values
        # in one statement a batch.
        by_fields = defaultdict(list)
        for pk, changes in values.items():
            by_fields[frozenset(fields[name].pk for name in changes)].append(pk)
        for field_pks, record_pks in by_fields.items():
            for start in range(0, len(record_pks), BATCH):
                value_model.objects.using(database).filter(
                    field_id__in=field_pks, record_id__in=record_pks[start : start + BATCH]
                ).delete()
        insert_rows(value_model, database, _value_rows(values, fields, cleaned))
        now = timezone.now()
        for start in range(0, len(pks), BATCH):
            model._base_manager.using(database).filter(pk__in=pks[start : start + BATCH]).update(changed_at=now)


def insert_values(model, values, *, cleaned=False):
    """Write the dynamic field values of records just created in the caller's transaction, which
    have none stored yet: ``values`` maps a record's pk to {name: typed value}. A bulk writer's
    shortcut past ``replace_values`` (nothing to lock, compare or delete, ``changed_at`` is new)."""
    values = {pk: changes for pk, changes in values.items() if changes}
    if not values:
        return
    fields = _definitions_named(model, {name for changes in values.values() for name in changes})
    database = router.db_for_write(model)
    insert_rows(value_model_of(object_type_of(model)), database, _value_rows(values, fields, cleaned))


def _value_rows(values, fields, cleaned=False):
    """The value table's rows (``insert_rows``' tuples) of ``values`` (pk -> {name: value}), each
    value cleaned (unless ``cleaned`` says they are)."""
    return [
        (pk, fields[name].pk, *row)
        for pk, changes in values.items()
        for name, value in changes.items()
        for row in storage_rows(fields[name].field_type, value if cleaned else clean_value(fields[name], value))
    ]


def _refuse_mapped(model, values, sources, fields):
    blocked = read_only_source_keys()
    if not blocked:
        return
    from ..datasources import get_data_source

    for pk, changes in values.items():
        key = sources.get(pk)
        if key not in blocked:
            continue
        mapped = mapped_names(get_data_source(key), object_type_of(model))
        refused = sorted(prefixed(fields[name].name) for name in changes if fields[name].name_key in mapped)
        if refused:
            raise ReadOnlySourceError(
                gettext("The data source %(source)s maps %(fields)s; only its own sync may change them.")
                % {"source": data_source_label(key), "fields": ", ".join(refused)}
            )


# --- record.dynamic_fields ------------------------------------------------------------------------


class DynamicFieldValues(MutableMapping):
    """A record's dynamic fields: name -> typed value, the valid fields of its object type in their
    order. Names are found ignoring case (and with or without ``DynamicField_``). An assigned value
    is cleaned at once; one that does not clean is kept as given, and ``full_clean()`` reports it."""

    def __init__(self, record):
        self._record = record
        self._fields = {field.name: field for field in field_definitions(object_type_of(type(record)))}
        self._stored = None
        self._assigned = {}
        self._errors = {}
        if record.pk is None:
            self._stored = {name: empty_value(field.field_type) for name, field in self._fields.items()}
            for name, default in defaults_of(type(record)).items():
                self._assigned[name] = default

    def definition(self, name):
        name = unprefixed(name) or name
        folded = fold(name)
        for field in self._fields.values():
            if field.name_key == folded:
                return field
        raise KeyError(name)

    @property
    def definitions(self):
        return list(self._fields.values())

    def stored(self, name):
        """The value of ``name`` as stored when the record was read (or last saved)."""
        if self._stored is None:
            self._stored = load_values(type(self._record), [self._record.pk], self._fields.values())[self._record.pk]
        return self._stored[self.definition(name).name]

    def __getitem__(self, name):
        field = self.definition(name)
        if field.name in self._assigned:
            return self._assigned[field.name]
        return self.stored(field.name)

    def __setitem__(self, name, value):
        field = self.definition(name)
        self._errors.pop(field.name, None)
        try:
            value = clean_value(field, value)
        except ValidationError as error:
            self._errors[field.name] = error
        self._assigned[field.name] = value

    def __delitem__(self, name):
        field = self.definition(name)
        self[field.name] = empty_value(field.field_type)

    def __iter__(self):
        return iter(self._fields)

    def __len__(self):
        return len(self._fields)

    def __repr__(self):
        return f"<DynamicFieldValues {dict(self)!r}>"

    def changes(self):
        """name -> value of the fields assigned a value other than the stored one."""
        return {name: value for name, value in self._assigned.items() if value != self.stored(name)}

    def mapped(self):
        """The folded names of the fields the record's directory maps (none for the site's own records)."""
        return mapped_names(self._record.source, object_type_of(type(self._record)))

    def editable(self):
        """The definitions a person may change on this record (a directory's: those its source does not map)."""
        mapped = self.mapped()
        return [field for field in self._fields.values() if field.name_key not in mapped]

    def errors(self):
        """``DynamicField_<Name>`` -> messages: values that did not clean, and required fields left empty."""
        errors = {prefixed(name): error.messages for name, error in self._errors.items()}
        for field in self.editable():
            key = prefixed(field.name)
            if field.required and key not in errors and field.field_type != FieldType.CHECKBOX:
                if is_empty(self[field.name]):
                    errors[key] = [gettext("This field is required.")]
        return errors

    def write(self):
        """Write the changed values (compare-and-set against those read); refuses with
        ``ValidationError`` while a value does not clean."""
        if self._errors:
            raise ValidationError({prefixed(name): error.messages for name, error in self._errors.items()})
        changes = self.changes()
        if not changes:
            return
        record = self._record
        read = {name: self.stored(name) for name in changes}
        replace_values(type(record), {record.pk: changes}, read={record.pk: read})
        self._stored.update(changes)
        self._assigned = {}


class DynamicFieldsRecord(models.Model):
    """Model mixin: ``dynamic_fields`` of a record (``DYNAMIC_OBJECT_TYPE`` names its object type)."""

    DYNAMIC_OBJECT_TYPE = None

    class Meta:
        abstract = True

    @property
    def dynamic_fields(self):
        values = self.__dict__.get("_dynamic_fields")
        if values is None:
            values = self.__dict__["_dynamic_fields"] = DynamicFieldValues(self)
        return values

    @dynamic_fields.setter
    def dynamic_fields(self, values):
        """``record.dynamic_fields = {"Tier": "gold"}`` assigns the fields named (the others stay)."""
        self.dynamic_fields.update(values)

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        if kwargs.get("fields") is None and (len(args) < 2 or args[1] is None):
            self.__dict__.pop("_dynamic_fields", None)

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "dynamic_fields" not in (exclude or ()):
            errors.update(self.dynamic_fields.errors())
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        values = self.__dict__.get("_dynamic_fields")
        if values is None and self._state.adding and field_definitions(self.DYNAMIC_OBJECT_TYPE):
            values = self.dynamic_fields  # a new record gets the defaults
        if values is None or not (values._assigned or values._errors):
            return super().save(*args, **kwargs)
        with transaction.atomic(using=router.db_for_write(type(self))):
            super().save(*args, **kwargs)
            values.write()

    def save_dynamic_fields(self):
        """Write only the changed dynamic fields, not the record's own: on a directory's record, the
        fields its source does not map may change (``ReadOnlySourceError`` for the others)."""
        self.dynamic_fields.write()


# --- queries --------------------------------------------------------------------------------------


class JoinedKeys(Aggregate):
    """A multiselect's keys as one text, joined by ``KEY_JOINER`` (any order)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, CHAR(31))"
    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s, CHR(31))"
        )

    def as_mysql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="%(function)s(%(expressions)s SEPARATOR CHAR(31))")


TEXT_LOOKUPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
ORDER_LOOKUPS = {"gt", "gte", "lt", "lte"}


def dynamic_field_q(model, name, value=None, *, lookup="exact"):
    """A condition on ``model``'s records: their dynamic field ``name`` (a valid definition,
    ignoring case) matches ``value`` by ``lookup``. Text compares ignoring case (``exact``,
    ``contains``, ``startswith``, ``endswith`` and their ``i`` forms alike); a dropdown or
    multiselect takes a key or a label (a multiselect matches when one of its keys does);
    ``gt``/``gte``/``lt``/``lte``/``range`` compare numbers and dates; ``in`` takes several values;
    ``isnull`` (``value`` True) is "empty" (for a checkbox: not ticked).

    The condition is a ``Q``, ``pk IN`` the records of the matching value rows: one range of the
    value table's index, where a correlated ``EXISTS`` would probe the table once per record
    (25 times slower at 100,000 customers on SQLite, bench/RESULTS.md). Combine with & | ~."""
    field = name if isinstance(name, DynamicField) else _definitions_named(model, [name])[name]
    rows = value_model_of(field.object_type).objects.filter(field=field.pk)
    field_type, column = field.field_type, VALUE_COLUMN[field.field_type]
    if lookup == "isnull":
        return ~records_holding(rows) if value else records_holding(rows)
    if field_type == FieldType.CHECKBOX and lookup == "exact":
        return records_holding(rows) if clean_value(field, value) else ~records_holding(rows)
    if lookup == "in":
        keys = [_compared(field, item) for item in value]
        target = "value_key" if field_type in KEYED_TYPES else column
        return records_holding(rows.filter(**{f"{target}__in": keys}))
    if field_type in KEYED_TYPES:
        if lookup in ("exact", "iexact"):
            return records_holding(rows.filter(value_key=_compared(field, value)))
        if lookup in TEXT_LOOKUPS:
            base = lookup.removeprefix("i")
            # value_key holds a text's first KEY_LENGTH characters: a longer start is compared by them.
            folded = fold(value)[:KEY_LENGTH] if base == "startswith" else fold(value)
            return records_holding(rows.filter(**{f"value_key__{base}": folded}))
        if lookup in ("regex", "iregex"):
            return records_holding(rows.filter(value_text__iregex=value))
    elif lookup == "range":
        low, high = (clean_value(field, item) for item in value)
        return records_holding(rows.filter(**{f"{column}__range": (low, high)}))
    elif lookup == "exact" or lookup in ORDER_LOOKUPS:
        return records_holding(rows.filter(**{f"{column}__{lookup}": clean_value(field, value)}))
    raise ValueError(f"The lookup {lookup!r} does not apply to a {field_type} field.")


def records_holding(rows):
    """The records that have one of the value rows ``rows``: ``pk IN (SELECT record …)``, one
    range of the value table's index (see ``dynamic_field_q``)."""
    return Q(pk__in=rows.values("record"))


def _compared(field, value):
    """What ``value_key`` (or the typed column) holds for ``value``."""
    if field.field_type in KEYED_TYPES:
        if field.field_type in (FieldType.DROPDOWN, FieldType.MULTISELECT):
            try:
                value = (
                    clean_value(field, value)[0]
                    if field.field_type == FieldType.MULTISELECT
                    else clean_value(field, value)
                )
            except (ValidationError, IndexError):
                pass  # no such choice: nothing matches
        return value_key(str(value))
    return clean_value(field, value)


def value_annotation(field):
    """An expression for a list column: the stored value of ``field`` of the outer record (keys joined for a
    multiselect); ``annotated_value`` makes it typed."""
    rows = value_model_of(field.object_type).objects.filter(record=OuterRef("pk"), field=field.pk).order_by()
    if field.field_type == FieldType.MULTISELECT:
        return Subquery(rows.values("record").annotate(keys=JoinedKeys("value_text")).values("keys"))
    return Subquery(rows.filter(position=0).values(VALUE_COLUMN[field.field_type])[:1])


def annotated_value(field, raw):
    """The typed value of ``value_annotation``'s result."""
    if field.field_type == FieldType.MULTISELECT:
        order = list(field.choices or {})
        keys = [key for key in (raw or "").split(KEY_JOINER) if key]
        return sorted(keys, key=lambda key: order.index(key) if key in order else len(order))
    if field.field_type == FieldType.CHECKBOX:
        return bool(raw)
    if field.field_type == FieldType.DECIMAL and raw is not None:
        return tidy_decimal(Decimal(raw))
    return raw


class DynamicFieldsQuerySet(models.QuerySet):
    """Queryset mixin of records with dynamic fields."""

    def filter_dynamic_field(self, name, value=None, *, lookup="exact"):
        """Records whose dynamic field ``name`` matches ``value`` (see ``dynamic_field_q``)."""
        return self.filter(dynamic_field_q(self.model, name, value, lookup=lookup))

    def with_dynamic_fields(self, *names):
        """Annotate ``DynamicField_<Name>`` with the raw value of each field named (all valid ones
        when none are), one subquery each; ``annotated_value(definition, raw)`` types it."""
        object_type = object_type_of(self.model)
        fields = _definitions_named(self.model, names).values() if names else field_definitions(object_type)
        return self.annotate(**{prefixed(field.name): value_annotation(field) for field in fields})
