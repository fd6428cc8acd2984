"""What customers and customer users share: validity, data source, timestamps, folded keys.

The read-only and no-delete rules live here, in ``save()``/``delete()`` and in the
queryset's bulk methods, so that the admin, the import, the sync and plain model
code all obey them.

"Unique ignoring case" means: unique after Unicode case folding (``fold()``), on every
database. SQLite's ``LOWER()`` folds ASCII only, so each such field has a twin holding its
folded text (``customer_id_key`` for ``customer_id``…) with a plain unique constraint; every
write path here keeps the twins up to date, and searches and imports compare them.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..conf import settings
from ..datasources import default_data_source_key, get_data_source, get_data_sources
from ..exceptions import DeletionNotAllowed, ReadOnlySourceError
from ..folding import fold, folded_twin
from .inserts import can_insert, insert_rows


class Validity(models.IntegerChoices):
    """OTRS's validity: only ``VALID`` records are in everyday use.

    ``machine_name`` is OTRS's untranslated name ("invalid-temporarily"), which files,
    URLs and command options use; ``from_machine_name()`` reads it back.
    """

    VALID = 1, _("valid")
    INVALID = 2, _("invalid")
    INVALID_TEMPORARILY = 3, _("invalid-temporarily")

    @property
    def machine_name(self):
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_machine_name(cls, name):
        """The member named ``name`` ("valid", "invalid", "invalid-temporarily"); ``None`` if none is."""
        return next((member for member in cls if member.machine_name == name), None)

    @classmethod
    def machine_names(cls):
        return [member.machine_name for member in cls]


def validity_constraint(table):
    return models.CheckConstraint(condition=Q(valid__in=Validity.values), name=f"{table}_valid_known")


def validate_data_source_key(key):
    if get_data_source(key) is None:
        raise ValidationError(
            _("%(key)s is not a configured data source."), code="unknown_data_source", params={"key": key}
        )


def data_source_label(key):
    """How the data source ``key`` is shown: its label, or the key itself when no source of that
    key is configured (any more)."""
    source = get_data_source(key)
    return source.label if source is not None else key


def read_only_source_keys():
    """Keys of the sources that may not be written right now."""
    return {key for key, source in get_data_sources().items() if not source.allows_writes()}


def directory_source_keys():
    """Keys of the read-only sources, also while their own sync writes them."""
    return {key for key, source in get_data_sources().items() if source.read_only}


def refuse_read_only(keys):
    blocked = sorted(set(keys) & read_only_source_keys())
    if blocked:
        labels = ", ".join(str(data_source_label(key)) for key in blocked)
        raise ReadOnlySourceError(
            gettext("The data source %(source)s is read-only; only its own sync may change its records.")
            % {"source": labels}
        )


def refuse_delete_unless_allowed(model):
    if not settings.ALLOW_DELETE:
        raise DeletionNotAllowed(
            gettext("%(model)s records are never deleted; set them invalid instead (or set ALLOW_DELETE).")
            % {"model": model._meta.verbose_name_plural}
        )


# Set while a writer replays what happened earlier (see ``replaying_history``).
_replaying_history = ContextVar("replaying_history", default=False)


@contextmanager
def replaying_history():
    """Within it, new records may point at records that are not valid (any more).

    For writers that load a past in one go, such as the demo data, whose people joined
    customers that were retired later; never for what a user enters or imports.
    """
    token = _replaying_history.set(True)
    try:
        yield
    finally:
        _replaying_history.reset(token)


def with_changed_at(update_fields):
    """A save that writes some fields writes when it did too (``auto_now`` is written only if named)."""
    if not update_fields:
        return update_fields
    return [*update_fields, "changed_at"]


def first_not_valid(model, pks, *, lock=False):
    """The first record of ``model`` among ``pks`` that is not valid, or ``None``; one query.

    With ``lock`` (inside a transaction) the records stay locked until it ends, where the
    database locks rows: they cannot become invalid before what points at them is written.
    """
    pks = sorted({pk for pk in pks if pk is not None})
    if not pks:
        return None
    records = model._base_manager.filter(pk__in=pks).order_by("pk")
    if not lock:
        return records.exclude(valid=Validity.VALID).first()
    return next((record for record in records.select_for_update() if not record.is_valid), None)


def refuse_invalid_targets(field_name, model, pks, *, lock=False):
    """Raise ``ValidationError`` on ``field_name`` when one of ``pks`` is not a valid ``model`` record.

    Only valid records are in use: a new record, and one moved to another, must point at a
    valid one. What already points at a record that became invalid may stay (see ``moved_to``).
    ``lock`` as for ``first_not_valid``.
    """
    if _replaying_history.get():
        return
    record = first_not_valid(model, pks, lock=lock)
    if record is not None:
        raise ValidationError({field_name: not_valid_message(record)}, code="not_valid")


def not_valid_message(record):
    """ "Customer Acme Old (ACME-OLD) is not valid; choose a valid customer."."""
    return record.NOT_VALID_MESSAGE % {"record": record}


def moved_to(rows_before, rows_after):
    """The targets that rows moved to: ``rows_*`` are (pk, target pk) pairs; new rows (not in
    ``rows_before``) count as moved."""
    before = dict(rows_before)
    return {target for pk, target in rows_after if pk not in before or before[pk] != target}


class FoldedUniqueFields:
    """Model mixin for fields that are unique ignoring case (``FOLDED_FIELDS``), and other keys
    stored beside a field (``DERIVED_KEYS``).

    Each folded field has a folded twin (``name_key``) with the unique constraint, which forms
    never show: it is refreshed whenever the record is saved or validated, checked whenever its
    field is, and its errors are reported on that field. ``DERIVED_KEYS`` maps further stored
    keys to the field (or fields) and the function they are computed from (``{"name_match_key":
    ("name", name_match_key)}``, ``{"full_name_key": (("first_name", "last_name"), full_name_key)}``:
    the function takes the fields' values in that order); the same write paths keep them, without
    a constraint.
    """

    FOLDED_FIELDS = ()
    DERIVED_KEYS = {}

    @classmethod
    def stored_keys(cls, names=None):
        """``(key field, fields, function)`` of every stored key, or of those computed from one of ``names``."""
        keys = [(folded_twin(name), (name,), fold) for name in cls.FOLDED_FIELDS]
        for key, (fields, function) in cls.DERIVED_KEYS.items():
            keys.append((key, (fields,) if isinstance(fields, str) else tuple(fields), function))
        return keys if names is None else [entry for entry in keys if not set(entry[1]).isdisjoint(names)]

    def refresh_folded_keys(self, names=None):
        for key, fields, function in self.stored_keys(names):
            setattr(self, key, function(*(getattr(self, name) or "" for name in fields)))

    def save(self, *args, **kwargs):
        self.refresh_folded_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            keys = [key for key, _names, _function in self.stored_keys(update_fields)]
            kwargs["update_fields"] = [*update_fields, *keys]
        super().save(*args, **kwargs)

    def validate_constraints(self, exclude=None):
        self.refresh_folded_keys()
        if exclude:
            exclude = set(exclude) - {folded_twin(name) for name in self.FOLDED_FIELDS if name not in exclude}
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(self._errors_by_field(error.error_dict)) from None

    def _errors_by_field(self, error_dict):
        moved = {}
        twins = {folded_twin(name): name for name in self.FOLDED_FIELDS}
        for key, errors in error_dict.items():
            for error in errors:
                target = twins.get(key, key)
                if key in (NON_FIELD_ERRORS, *twins) and (error.code or "").startswith(DUPLICATE_CODE_PREFIX):
                    target = error.code.removeprefix(DUPLICATE_CODE_PREFIX)
                moved.setdefault(target, []).append(error)
        return moved


class FoldedUniqueFieldsQuerySet(models.QuerySet):
    """Keeps the folded twins and the other stored keys up to date in the queryset's writes too."""

    def update(self, **kwargs):
        partial = []
        for key, fields, function in self.model.stored_keys(kwargs):
            if key in kwargs:  # bulk_update() passes both
                continue
            for name in fields:
                if name in kwargs and not isinstance(kwargs[name], str):
                    raise ValueError(f"update() sets {name} only to text, so that {key} follows it.")
            if all(name in kwargs for name in fields):
                kwargs[key] = function(*(kwargs[name] for name in fields))
            else:
                partial.append((key, fields, function))
        if not partial:
            return super().update(**kwargs)
        # A key of several fields, only some of them set: computed afresh from each row's values.
        with transaction.atomic(using=self.db):
            pks = list(self.order_by().values_list("pk", flat=True))
            updated = super().update(**kwargs)
            refresh_stored_keys(self.model, self.db, pks, partial)
        return updated

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_folded_keys()
        self._for_write = True
        if objs and not args and can_insert(self.model, objs, self.db, **kwargs):
            # The same rows as Django's bulk_create, for a fraction of its Python (models/inserts.py).
            with transaction.atomic(using=self.db, savepoint=False):
                return insert_rows(self.model, objs, self.db, kwargs.get("batch_size") or len(objs))
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        keys = self.model.stored_keys(fields)
        if keys:
            for obj in objs:
                obj.refresh_folded_keys(fields)
            fields += [key for key, _names, _function in keys if key not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)


def refresh_stored_keys(model, database, pks, keys):
    """Store ``keys`` (``stored_keys()`` entries) of the rows ``pks`` afresh from their values."""
    fields = sorted({name for _key, names, _function in keys for name in names})
    rows = model._base_manager.using(database).filter(pk__in=pks).values("pk", *fields)
    by_values = {}
    for row in rows:
        values = tuple((key, function(*(row[name] or "" for name in names))) for key, names, function in keys)
        by_values.setdefault(values, []).append(row["pk"])
    for values, same in by_values.items():  # one UPDATE for the rows whose keys come out the same
        model._base_manager.using(database).filter(pk__in=same).update(**dict(values))


class SourcedRecordQuerySet(FoldedUniqueFieldsQuerySet):
    def with_ticket_counts(self):
        """Annotate ``open_tickets`` and ``closed_tickets``: the counts the ticket writes keep on the row."""
        return self.annotate(open_tickets=F("open_ticket_count"), closed_tickets=F("closed_ticket_count"))

    def valid(self):
        return self.filter(valid=Validity.VALID)

    def not_valid(self):
        return self.exclude(valid=Validity.VALID)

    def _refuse_read_only_rows(self):
        blocked = read_only_source_keys()
        if blocked:
            refuse_read_only(self.filter(data_source__in=blocked).values_list("data_source", flat=True).distinct())

    def update(self, **kwargs):
        self._refuse_read_only_rows()
        if "data_source" in kwargs:
            refuse_read_only([kwargs["data_source"]])
        return super().update(**kwargs)

    def delete(self):
        refuse_delete_unless_allowed(self.model)
        self._refuse_read_only_rows()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.data_source = obj.data_source or default_data_source_key()
        refuse_read_only({obj.data_source for obj in objs})
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        refuse_read_only({obj.data_source for obj in objs})
        self.filter(pk__in=[obj.pk for obj in objs])._refuse_read_only_rows()
        return super().bulk_update(objs, fields, *args, **kwargs)


class SourcedRecord(FoldedUniqueFields, models.Model):
    """Abstract base of customers and customer users."""

    valid = models.PositiveSmallIntegerField(_("valid"), choices=Validity.choices, default=Validity.VALID)
    data_source = models.CharField(
        _("data source"),
        max_length=50,
        default=default_data_source_key,
        validators=[RegexValidator(r"^[a-z0-9_-]+\Z"), validate_data_source_key],
        db_index=True,
        help_text=_("Where this record lives; records of read-only sources change only through their sync."),
    )
    # Set by a directory sync: the entry's immutable identity (entryUUID, objectGUID)
    # and its DN, which may change when the entry is renamed or moved.
    external_id = models.CharField(_("external ID"), max_length=255, blank=True, editable=False)
    external_dn = models.CharField(_("directory DN"), max_length=1000, blank=True, editable=False)
    # True when the sync set the record invalid (its entry vanished or is disabled), so
    # that the sync may make it valid again; a record invalidated by hand stays invalid.
    invalidated_by_sync = models.BooleanField(_("invalidated by sync"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = SourcedRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        # Remember where the record was loaded from, so moving it out of a
        # read-only source is refused as well as changing it in place.
        instance._loaded_data_source = instance.__dict__.get("data_source")
        return instance

    @property
    def is_valid(self):
        return self.valid == Validity.VALID

    @staticmethod
    def invalidation(*, by_sync=False):
        """The values that set a record invalid. Only a record the sync set invalid
        (``by_sync``) becomes valid again when its directory entry returns."""
        return {"valid": Validity.INVALID, "invalidated_by_sync": by_sync}

    def invalidate(self, *, by_sync=False):
        """Set this record invalid and save it: OTRS retires records this way and never deletes them."""
        values = self.invalidation(by_sync=by_sync)
        for name, value in values.items():
            setattr(self, name, value)
        self.save(update_fields=[*values, "changed_at"])

    @property
    def source(self):
        """The ``DataSource`` object of this record, or ``None`` if it is not configured."""
        return get_data_source(self.data_source)

    @property
    def source_label(self):
        return data_source_label(self.data_source)

    @property
    def is_read_only(self):
        source = self.source
        return source is not None and source.read_only

    def check_writable(self):
        keys = {self.data_source}
        loaded = getattr(self, "_loaded_data_source", None)
        if self.pk is not None and loaded:
            keys.add(loaded)
        refuse_read_only(keys)

    def save(self, *args, **kwargs):
        if not self.data_source:
            self.data_source = default_data_source_key()
        self.check_writable()
        kwargs["update_fields"] = with_changed_at(kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        self._loaded_data_source = self.data_source

    def delete(self, *args, **kwargs):
        refuse_delete_unless_allowed(type(self))
        self.check_writable()
        return super().delete(*args, **kwargs)


DUPLICATE_CODE_PREFIX = "duplicate_"


def unique_external_id(table):
    """A directory entry is mirrored by at most one record of its source."""
    return models.UniqueConstraint(
        fields=["data_source", "external_id"], condition=~Q(external_id=""), name=f"{table}_external_id_unique"
    )


def folded_key_field(field_name, max_length):
    """The folded twin of a field: case folding may triple a text's length (``ﬃ`` -> ``ffi``)."""
    return models.CharField(f"{field_name} (folded)", max_length=3 * max_length, editable=False, default="")


def unique_ignoring_case(table, field_name, message, condition=None):
    """A database constraint: ``field_name`` is unique after case folding (within ``condition``)."""
    return models.UniqueConstraint(
        fields=[folded_twin(field_name)],
        condition=condition,
        name=f"{table}_{field_name}_unique_folded",
        violation_error_code=DUPLICATE_CODE_PREFIX + field_name,
        violation_error_message=message,
    )


class JoinedText(models.Aggregate):
    """The texts of a group joined by ";" (SQLite's GROUP_CONCAT, PostgreSQL's STRING_AGG), in any order."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ';')"
    output_field = models.CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)
