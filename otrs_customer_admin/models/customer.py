from django.core.validators import MinLengthValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .. import folding
from ..bidi import isolate_text
from .base import (
    SourcedRecord,
    SourcedRecordQuerySet,
    Validity,
    folded_key_field,
    unique_external_id,
    unique_ignoring_case,
    validity_constraint,
)
from .dynamic_values import DynamicFieldsQuerySet, DynamicFieldsRecord
from .visibility import VisibilityQuerySet, customer_ids, link_always_groups, restricted

# The map key of a directory's customers whose attribute names their groups (customer groups).
GROUPS_MAP_KEY = "groups"

# Letters, digits and . _ - @ + : what OTRS's CustomerID survives everywhere
# (brackets, for one, broke its customer ticket search).
CUSTOMER_ID_PATTERN = r"^[\w.@+-]+\Z"

validate_customer_id = RegexValidator(
    CUSTOMER_ID_PATTERN,
    _("A CustomerID may contain only letters, digits and the characters . _ - @ +"),
    code="invalid_customer_id",
)


class WebURLField(models.URLField):
    """A URL a browser may open: http and https only, never ``javascript:`` or ``data:``."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


def web_url_constraint(table):
    return models.CheckConstraint(
        condition=Q(url="") | Q(url__istartswith="http://") | Q(url__istartswith="https://"),
        name=f"{table}_url_http_or_https",
        violation_error_message=_("Only http and https URLs are allowed."),
    )


def count_per_customer(queryset):
    """A subquery: how many rows of ``queryset`` belong to the outer customer."""
    counted = queryset.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(total=Count("pk"))
    return Coalesce(Subquery(counted.values("total")), 0)


class CustomerQuerySet(VisibilityQuerySet, DynamicFieldsQuerySet, SourcedRecordQuerySet):
    customer_field = "pk"

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        link_always_groups([obj.pk for obj in created])
        return created

    def possible_duplicates(self):
        """The customers whose name match key at least two valid customers share ("ACME GmbH", "Acme G.m.b.H.").

        One pass over the match-key index groups the valid customers; no pair of customers is
        compared. A customer merged away is invalid, so it no longer makes the one it went into a duplicate.
        """
        shared = (
            Customer._base_manager.filter(valid=Validity.VALID)
            .order_by()
            .values("name_match_key")
            .annotate(customers=Count("*"))
            .filter(customers__gt=1)
            .values("name_match_key")
        )
        return self.filter(name_match_key__in=shared)

    def with_customer_user_counts(self, user=None):
        """Annotate ``own_customer_users`` (people whose own customer it is) and
        ``also_customer_users`` (people who also work for it), of those ``user`` sees: a
        customer's own people go with it, those who also work for it with their own customer."""
        person = self.model._meta.get_field("customer_users").related_model
        links = person.additional_customers.through.objects.all()
        if restricted(user):
            links = links.filter(customeruser__customer__in=customer_ids(user))
        return self.annotate(
            own_customer_users=count_per_customer(person.objects), also_customer_users=count_per_customer(links)
        )


class Customer(DynamicFieldsRecord, SourcedRecord):
    """A company, organisation or authority: OTRS's customer company."""

    customer_id = models.CharField(
        _("CustomerID"),
        max_length=150,
        validators=[MinLengthValidator(1), validate_customer_id],
        help_text=_("The internal name of the customer: letters, digits and . _ - @ +"),
    )
    name = models.CharField(_("customer"), max_length=200, help_text=_("The full name of the customer."))
    street = models.CharField(_("street"), max_length=200, blank=True)
    zip = models.CharField(_("zip"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = CountryField(_("country"))
    url = WebURLField(_("URL"), max_length=200, blank=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)

    # Kept by every ticket write (models.ticket_counters), so lists sort by them.
    open_ticket_count = models.PositiveIntegerField(_("open tickets"), default=0, editable=False)
    closed_ticket_count = models.PositiveIntegerField(_("closed tickets"), default=0, editable=False)

    # The folded twins of the fields that are unique ignoring case (see models.base).
    customer_id_key = folded_key_field("customer_id", 150)
    name_key = folded_key_field("name", 200)

    # The name without case, accents, punctuation and legal forms: customers sharing it may be
    # one company twice ("ACME GmbH", "Acme G.m.b.H."); the customer list's duplicates filter.
    name_match_key = models.CharField(
        _("name match key"), max_length=folding.NAME_MATCH_KEY_LENGTH, editable=False, default=""
    )

    FOLDED_FIELDS = ("customer_id", "name")
    DYNAMIC_OBJECT_TYPE = "customer"
    DERIVED_KEYS = {"name_match_key": ("name", folding.name_match_key)}

    objects = CustomerQuerySet.as_manager()
    # What a ticket or a customer user that would be new or moved here is told when it is not valid.
    NOT_VALID_MESSAGE = _("Customer %(record)s is not valid; choose a valid customer.")
    # A customer's own data, in the order imports, exports and directory syncs use it.
    RECORD_FIELDS = ("customer_id", "name", "street", "zip", "city", "country", "url", "comment", "valid")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # The folded name is unique, so the order is total and its unique index serves it.
        ordering = ["name_key"]
        constraints = [
            unique_ignoring_case(
                "otrs_customer", "customer_id", _("A customer with this CustomerID already exists (ignoring case).")
            ),
            unique_ignoring_case(
                "otrs_customer", "name", _("A customer with this name already exists (ignoring case).")
            ),
            models.CheckConstraint(condition=~Q(customer_id="") & ~Q(name=""), name="otrs_customer_keys_not_empty"),
            web_url_constraint("otrs_customer"),
            validity_constraint("otrs_customer"),
            unique_external_id("otrs_customer"),
        ]
        # No index leads with "valid": nine of ten records are valid, and SQLite would read a
        # search's rows through such an index, one lookup each, instead of scanning the table.
        # This one gives the list's pages in order, the validity read from the index.
        indexes = [
            models.Index(fields=["name_key", "valid"], name="otrs_customer_name_valid"),
            # Groups the valid customers by match key from the index alone, and lists each group in order.
            models.Index(fields=["name_match_key", "name_key", "valid"], name="otrs_customer_name_match"),
        ]

    def __str__(self):
        # Each value isolated (bidi.isolate_text): a right-to-left override in the name must not
        # reverse the CustomerID after it, wherever the text goes (messages, breadcrumbs, pickers).
        return f"{isolate_text(self.name)} ({isolate_text(self.customer_id)})"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            link_always_groups([self.pk])

    def get_absolute_url(self):
        return reverse("admin:otrs_customer_admin_customer_change", args=[self.pk])

    @property
    def group_links_synced(self):
        """True when the customer's group links come from its directory (its source maps ``groups``):
        only the sync changes them, as its mapped fields."""
        source = self.source if self.is_read_only else None
        return source is not None and GROUPS_MAP_KEY in source.attr_map("customer")

    @property
    def address_line(self):
        """Street, zip and city, country: the address as one line (for maps and cards)."""
        town = " ".join(part for part in (self.zip, self.city) if part)
        country = self.country.name if self.country else ""
        return ", ".join(part for part in (self.street, town, country) if part)
