"""Dynamic fields: a site's own attributes of customers and customer users, declared as data.

A ``DynamicField`` row declares one (OTRS's dynamic fields of the object types CustomerCompany
and CustomerUser): its name (``DynamicField_<Name>`` in forms, files, LDAP maps and searches),
type, choices and where it shows. Declaring, changing and retiring one needs no migration; the
values live in a value table per record model (``models.dynamic_values``) and are never lost:
a retired (not valid) definition hides its field and keeps its values; a type change that
would not convert every stored value is refused, naming how many and one of them.

``field_definitions(object_type)`` gives the valid definitions in their order. Within a request
they are read once (and again after one is saved); elsewhere every call reads them, so that a
definition another process changed counts at once.
"""

from collections import defaultdict
from urllib.parse import quote

from asgiref.local import Local
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.core.validators import RegexValidator
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..bidi import isolate_text
from ..datasources.base import DYNAMIC_FIELD_PREFIX
from .base import DUPLICATE_CODE_PREFIX, FoldedUniqueFields, FoldedUniqueFieldsQuerySet, Validity, folded_key_field
from .dynamic_field_types import (
    CHOICE_TYPES,
    DECIMAL_DIGITS,
    DECIMAL_PLACES,
    FILTERABLE_TYPES,
    LIST_SEPARATORS,
    ROW_COLUMNS,
    VALUE_COLUMNS,
    FieldType,
    clean_value,
    format_value,
    is_empty,
    storage_rows,
    value_from_rows,
)

# What forms, file columns, LDAP maps and searches call a dynamic field: DynamicField_<Name>
# (defined with the data sources, which are below the models and read it in their maps).
PREFIX = DYNAMIC_FIELD_PREFIX
NAME_PATTERN = r"^[A-Za-z0-9]+\Z"


class ObjectType(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    CUSTOMER_USER = "customer_user", _("customer user")


def prefixed(name):
    """``Tier`` -> ``DynamicField_Tier``."""
    return PREFIX + name


def unprefixed(key):
    """``DynamicField_Tier`` -> ``Tier``; ``None`` for a key without the prefix (any case)."""
    if isinstance(key, str) and key[: len(PREFIX)].casefold() == PREFIX.casefold():
        return key[len(PREFIX) :]
    return None


class OrderedChoicesField(models.JSONField):
    """Choices as ``{key: label}`` in Python, stored as ``[[key, label], …]``: PostgreSQL's jsonb
    keeps no order of an object's keys (it sorts them), and the order is the one people chose."""

    def from_db_value(self, value, expression, connection):
        return as_choices(super().from_db_value(value, expression, connection))

    def to_python(self, value):
        return as_choices(super().to_python(value))

    def get_prep_value(self, value):
        if isinstance(value, dict):
            value = [[key, label] for key, label in value.items()]
        return super().get_prep_value(value)


def as_choices(value):
    """Stored pairs (or a mapping) as the ``{key: label}`` mapping; anything else as it is, for the
    checks to report."""
    if isinstance(value, list) and all(isinstance(pair, list | tuple) and len(pair) == 2 for pair in value):
        return {str(key): label for key, label in value}
    return value


class DynamicFieldQuerySet(FoldedUniqueFieldsQuerySet):
    def valid(self):
        return self.filter(valid=Validity.VALID)


class DynamicField(FoldedUniqueFields, models.Model):
    object_type = models.CharField(_("object type"), max_length=20, choices=ObjectType.choices)
    name = models.CharField(
        _("name"),
        max_length=200,
        validators=[
            RegexValidator(NAME_PATTERN, _("A name may contain only letters and digits (A-Z, a-z, 0-9)."), "name")
        ],
        help_text=_(
            "Letters and digits only. Forms, file columns, LDAP maps and searches call the field "
            "DynamicField_<name>. Fixed once values exist."
        ),
    )
    name_key = folded_key_field("name", 200)
    label = models.CharField(_("label"), max_length=200, help_text=_("What forms, lists and cards call the field."))
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    choices = OrderedChoicesField(
        _("choices"),
        default=dict,
        blank=True,
        help_text=_(
            "Dropdown and multiselect only: each choice's key (what files and searches use) and label, in order."
        ),
    )
    required = models.BooleanField(_("required"), default=False)
    default = models.CharField(
        _("default"),
        max_length=1000,
        blank=True,
        help_text=_(
            "The value of a new record, written as in an import file (a dropdown's key, a date as YYYY-MM-DD)."
        ),
    )
    link_template = models.CharField(
        _("link template"),
        max_length=500,
        blank=True,
        help_text=_("Makes the value a link: an http or https URL with {value}, as https://erp.example.com/{value}."),
    )
    valid = models.PositiveSmallIntegerField(
        _("valid"),
        choices=Validity.choices,
        default=Validity.VALID,
        help_text=_("A field that is not valid is hidden everywhere; its values are kept."),
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Fields show in this order, then by name."))
    personal = models.BooleanField(
        _("personal data"), default=False, help_text=_("The field holds personal data about a person.")
    )
    show_in_list = models.BooleanField(_("show in list"), default=False)
    show_in_card = models.BooleanField(_("show in business card"), default=False)
    searchable = models.BooleanField(
        _("searchable"), default=False, help_text=_("The list's free-text search looks into it (text fields).")
    )
    filterable = models.BooleanField(
        _("filterable"), default=False, help_text=_("The list offers a filter (dropdown, multiselect, checkbox, date).")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    FOLDED_FIELDS = ("name",)

    objects = DynamicFieldQuerySet.as_manager()

    class Meta:
        verbose_name = _("dynamic field")
        verbose_name_plural = _("dynamic fields")
        ordering = ["object_type", "order", "name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "name_key"],
                name="otrs_dynamicfield_name_unique_folded",
                violation_error_code=DUPLICATE_CODE_PREFIX + "name",
                violation_error_message=_("This object type has a dynamic field of this name already (ignoring case)."),
            ),
            models.CheckConstraint(
                condition=Q(object_type__in=ObjectType.values), name="otrs_dynamicfield_object_type"
            ),
            models.CheckConstraint(condition=Q(field_type__in=FieldType.values), name="otrs_dynamicfield_field_type"),
            models.CheckConstraint(condition=Q(valid__in=Validity.values), name="otrs_dynamicfield_valid_known"),
        ]

    def __str__(self):
        return f"{isolate_text(self.label or self.name)} ({prefixed(self.name)})"

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        instance._stored = {
            name: instance.__dict__.get(name) for name in ("object_type", "name", "field_type", "choices")
        }
        return instance

    @property
    def key(self):
        """``DynamicField_<Name>``: the field's name in forms, files, LDAP maps and searches."""
        return prefixed(self.name)

    @property
    def is_valid(self):
        return self.valid == Validity.VALID

    def stored(self, name):
        """The value of ``name`` as it was loaded (for a new definition, as it is now)."""
        return getattr(self, "_stored", {}).get(name, getattr(self, name))

    def value_model(self):
        return value_model_of(self.object_type)

    def stored_values(self):
        """The value rows of this field, as stored (of its stored object type)."""
        if self.pk is None:
            return None
        return value_model_of(self.stored("object_type")).objects.filter(field=self.pk)

    def has_values(self):
        rows = self.stored_values()
        return rows is not None and rows.exists()

    def clean(self):
        super().clean()
        errors = {}
        for name, problem in self.definition_problems():
            errors.setdefault(name, []).append(problem)
        if self.pk is not None and self.has_values():
            for name in ("object_type", "name"):
                if getattr(self, name) != self.stored(name):
                    errors.setdefault(name, []).append(
                        gettext("Fixed once values exist: the values would lose their field.")
                    )
            if not errors:
                errors.update(self.conversion_problems())
        if errors:
            raise ValidationError(errors)

    def definition_problems(self):
        """``(field, message)`` for each way this definition cannot work; the system checks
        report the same for definitions that came in another way."""
        problems = []
        choices = self.choices
        if self.field_type in CHOICE_TYPES:
            if not isinstance(choices, dict) or not choices:
                problems.append(("choices", gettext("A dropdown or multiselect needs choices: keys and their labels.")))
            else:
                for key, label in choices.items():
                    if not key.strip() or not isinstance(label, str) or not label.strip():
                        problems.append(("choices", gettext("Every choice needs a key and a label.")))
                        break
                    if self.field_type == FieldType.MULTISELECT and LIST_SEPARATORS.search(key):
                        problems.append(
                            (
                                "choices",
                                gettext("The key %(key)s holds a list separator (; , | or ~~~).")
                                % {"key": isolate_text(key)},
                            )
                        )
                        break
        elif choices:
            problems.append(("choices", gettext("Only dropdown and multiselect fields have choices.")))
        if self.link_template:
            if "{value}" not in self.link_template:
                problems.append(("link_template", gettext("The link template needs {value} where the value goes.")))
            elif not self.link_template.lower().startswith(("http://", "https://")):
                problems.append(("link_template", gettext("The link template must be an http or https URL.")))
        if self.filterable and self.field_type not in FILTERABLE_TYPES:
            problems.append(
                ("filterable", gettext("Only dropdown, multiselect, checkbox and date fields have a list filter."))
            )
        if self.default and not any(name == "choices" for name, _message in problems):
            try:
                clean_value(self, self.default)
            except ValidationError as error:
                problems.append(
                    (
                        "default",
                        gettext("The default is no value of this field: %(problem)s") % {"problem": error.messages[0]},
                    )
                )
        return problems

    def conversion_problems(self):
        """When the type or the choices changed: the stored values that would not convert, as an error
        on ``field_type`` or ``choices`` naming how many and one of them."""
        old_type, old_choices = self.stored("field_type"), self.stored("choices")
        if self.field_type == old_type and (self.field_type not in CHOICE_TYPES or self.choices == old_choices):
            return {}
        failed, example = 0, None
        for value in self.converted_values(old_type, fail_silently=True).values():
            if isinstance(value, _Unconvertible):
                failed += 1
                example = example or value
        if not failed:
            return {}
        target = "field_type" if self.field_type != old_type else "choices"
        message = ngettext(
            "%(count)d stored value would not convert, for example %(value)s: %(problem)s",
            "%(count)d stored values would not convert, for example %(value)s: %(problem)s",
            failed,
        ) % {"count": failed, "value": isolate_text(example.text), "problem": example.problem}
        return {target: [message]}

    def converted_values(self, old_type, *, fail_silently=False):
        """Record pk -> its stored value converted to this definition's type (an ``_Unconvertible``
        where it does not convert, with ``fail_silently``)."""
        converted = {}
        for record, value in stored_values_of(self, old_type).items():
            text = format_value(old_type, value)
            try:
                converted[record] = clean_value(self, value if isinstance(value, list) else text)
            except ValidationError as error:
                if not fail_silently:
                    raise
                converted[record] = _Unconvertible(text, error.messages[0])
        return converted

    def save(self, *args, **kwargs):
        old_type, old_choices = self.stored("field_type"), self.stored("choices")
        converting = self.pk is not None and (
            self.field_type != old_type or (self.field_type in CHOICE_TYPES and self.choices != old_choices)
        )
        with transaction.atomic():
            super().save(*args, **kwargs)
            if converting:
                rewrite_values(self, self.converted_values(old_type))
        self._stored = {name: getattr(self, name) for name in ("object_type", "name", "field_type", "choices")}

    def format(self, value):
        """``value`` as file text (see ``dynamic_field_types.format_value``)."""
        return format_value(self.field_type, value)

    def link(self, value):
        """The URL ``link_template`` makes of ``value``, or ``""``."""
        if not self.link_template or is_empty(value):
            return ""
        if isinstance(value, list):  # a multiselect's first key (``[key]`` links one key)
            text = str(value[0])
        else:
            text = format_value(self.field_type, value)
        return self.link_template.replace("{value}", quote(text, safe=""))


class _Unconvertible:
    """A stored value that would not convert to a new type: its text and why."""

    def __init__(self, text, problem):
        self.text, self.problem = text, problem


# --- their values ------------------------------------------------------------------------------

# Rows written, and records looked up, in one statement (as the write kernel's batches).
BATCH = 1000

VALUE_MODELS = {"customer": "CustomerDynamicValue", "customer_user": "CustomerUserDynamicValue"}


def value_model_of(object_type):
    return apps.get_model("otrs_customer_admin", VALUE_MODELS[object_type])


def stored_values_of(field, field_type):
    """Record pk -> the non-empty stored value of ``field``, read as ``field_type`` (its stored type)."""
    rows = defaultdict(list)
    for row in field.stored_values().values("record_id", "position", *VALUE_COLUMNS).iterator(chunk_size=BATCH):
        rows[row["record_id"]].append(row)
    return {record: value_from_rows(field_type, found) for record, found in rows.items()}


def rewrite_values(field, converted):
    """Store ``converted`` (record pk -> typed value) as all of ``field``'s values (after a type change)."""
    value_model = field.value_model()
    value_model.objects.filter(field=field.pk).delete()
    insert_rows(
        value_model,
        router.db_for_write(value_model),
        [(pk, field.pk, *row) for pk, value in converted.items() for row in storage_rows(field.field_type, value)],
    )


def insert_rows(value_model, database, rows):
    """Insert value rows, tuples of the record, the field and ``ROW_COLUMNS``, with one prepared
    statement executed per row: an import writes tens of thousands, and bulk_create would build
    a model instance of each and a statement of thousands of parameters."""
    if not rows:
        return
    connection = connections[database]
    meta = value_model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in ("record", "field", *ROW_COLUMNS)]
    sql = "INSERT INTO {table} ({columns}) VALUES ({values})".format(
        table=quote(meta.db_table),
        columns=", ".join(quote(column) for column in columns),
        values=", ".join(["%s"] * len(columns)),
    )
    # Integers and text go as they are; decimals, dates and times as the backend adapts them.
    ops = connection.ops
    decimal_at, date_at, datetime_at = (2 + ROW_COLUMNS.index(name) for name in TYPED_COLUMNS)
    params = []
    for row in rows:
        if row[decimal_at] is not None or row[date_at] is not None or row[datetime_at] is not None:
            row = list(row)
            if row[decimal_at] is not None:
                row[decimal_at] = ops.adapt_decimalfield_value(row[decimal_at], DECIMAL_DIGITS, DECIMAL_PLACES)
            if row[date_at] is not None:
                row[date_at] = ops.adapt_datefield_value(row[date_at])
            if row[datetime_at] is not None:
                row[datetime_at] = ops.adapt_datetimefield_value(row[datetime_at])
        params.append(row)
    with connection.cursor() as cursor:
        for start in range(0, len(params), BATCH):
            cursor.executemany(sql, params[start : start + BATCH])


# The columns the backend adapts before they are written.
TYPED_COLUMNS = ("value_decimal", "value_date", "value_datetime")


# --- the definitions in use -----------------------------------------------------------------------

_request = Local()


def field_definitions(object_type, *, include_invalid=False):
    """The definitions of ``object_type`` ("customer", "customer_user") in their order: the valid
    ones, or all with ``include_invalid``."""
    cache = getattr(_request, "definitions", None)
    if cache is None:
        return _read_definitions(object_type, include_invalid)
    key = (object_type, include_invalid)
    if key not in cache:
        cache[key] = _read_definitions(object_type, include_invalid)
    return cache[key]


def _read_definitions(object_type, include_invalid):
    definitions = DynamicField.objects.filter(object_type=object_type)
    if not include_invalid:
        definitions = definitions.valid()
    return list(definitions)


def field_definition(object_type, name, *, include_invalid=False):
    """The definition called ``name`` (or ``DynamicField_<name>``), ignoring case; ``None`` if none is."""
    name = unprefixed(name) or name
    folded = name.casefold()
    return next(
        (
            field
            for field in field_definitions(object_type, include_invalid=include_invalid)
            if field.name_key == folded
        ),
        None,
    )


def forget_definitions(**kwargs):
    if getattr(_request, "definitions", None) is not None:
        _request.definitions = {}


@receiver(request_started)
def _start_request(**kwargs):
    _request.definitions = {}


@receiver(request_finished)
def _finish_request(**kwargs):
    _request.definitions = None


post_save.connect(forget_definitions, sender=DynamicField, dispatch_uid="otrs_dynamicfield_saved")
post_delete.connect(forget_definitions, sender=DynamicField, dispatch_uid="otrs_dynamicfield_deleted")
