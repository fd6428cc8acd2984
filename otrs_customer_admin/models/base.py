"""What customers and customer users share: validity, data source, timestamps.

The read-only and no-delete rules live here, in ``save()``/``delete()`` and in the
queryset's bulk methods, so that the admin, the import, the sync and plain model
code all obey them.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..conf import settings
from ..datasources import default_data_source_key, get_data_source, get_data_sources
from ..exceptions import DeletionNotAllowed, ReadOnlySourceError


class Validity(models.IntegerChoices):
    """OTRS's validity: only ``VALID`` records are in everyday use."""

    VALID = 1, _("valid")
    INVALID = 2, _("invalid")
    INVALID_TEMPORARILY = 3, _("invalid-temporarily")


def validate_data_source_key(key):
    if get_data_source(key) is None:
        raise ValidationError(
            _("%(key)s is not a configured data source."), code="unknown_data_source", params={"key": key}
        )


def read_only_source_keys():
    """Keys of the sources that may not be written right now."""
    return {key for key, source in get_data_sources().items() if not source.allows_writes()}


def refuse_read_only(keys):
    blocked = sorted(set(keys) & read_only_source_keys())
    if blocked:
        labels = ", ".join(str(get_data_source(key)) for key in blocked)
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


class ConstraintErrorsOnFields:
    """Model mixin: report the case-insensitive unique constraints next to their field.

    Django reports constraints over expressions (``Lower("name")``) as non-field
    errors; forms and imports want them on the field they are about.
    """

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(self._errors_by_field(error.error_dict)) from None

    def _errors_by_field(self, error_dict):
        moved = {}
        for key, errors in error_dict.items():
            for error in errors:
                target = key
                if key == NON_FIELD_ERRORS and (error.code or "").startswith(DUPLICATE_CODE_PREFIX):
                    target = error.code.removeprefix(DUPLICATE_CODE_PREFIX)
                moved.setdefault(target, []).append(error)
        return moved


class SourcedRecordQuerySet(models.QuerySet):
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


class SourcedRecord(ConstraintErrorsOnFields, models.Model):
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

    @property
    def source(self):
        """The ``DataSource`` object of this record, or ``None`` if it is not configured."""
        return get_data_source(self.data_source)

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


def unique_ignoring_case(table, field_name, message, condition=None):
    """A database constraint: ``field_name`` is unique ignoring case (within ``condition``)."""
    return models.UniqueConstraint(
        Lower(field_name),
        condition=condition,
        name=f"{table}_{field_name}_unique_ci",
        violation_error_code=DUPLICATE_CODE_PREFIX + field_name,
        violation_error_message=message,
    )
