import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, models, router, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .. import folding
from ..bidi import isolate_text
from ..exceptions import AddressTaken
from ..folding import fold
from .base import (
    JoinedText,
    SourcedRecord,
    SourcedRecordQuerySet,
    Validity,
    directory_source_keys,
    first_not_valid,
    folded_key_field,
    moved_to,
    not_valid_message,
    refuse_invalid_targets,
    unique_external_id,
    unique_ignoring_case,
    validity_constraint,
)
from .customer import Customer
from .dynamic_values import DynamicFieldsQuerySet, DynamicFieldsRecord
from .visibility import VisibilityQuerySet


def shared_address():
    """Where an ``email_key`` (of a person or of an additional address) is an address shared by two
    valid people. An address is one valid person's at most as a primary address (a constraint): it is
    shared when two valid people have it as an additional one, or one as an additional and another as
    their primary address. Two subqueries, each one pass over an index."""
    valid_addresses = CustomerUserEmail.objects.filter(customer_user__valid=Validity.VALID)
    shared_additional = (
        valid_addresses.order_by()
        .values("email_key")
        .annotate(people=Count("*"))
        .filter(people__gt=1)
        .values("email_key")
    )
    also_primary = (
        valid_addresses.filter(
            email_key__in=CustomerUser._base_manager.filter(valid=Validity.VALID).values("email_key")
        )
        .exclude(email_key=F("customer_user__email_key"))
        .values("email_key")
    )
    return Q(email_key__in=shared_additional) | Q(email_key__in=also_primary)


def duplicate_group():
    """What a person shares with their possible duplicates (an address they share, else their
    customer and full name), as an expression: ordering by it lists each group together. A person
    in two groups (an address shared with one, a name with another) sits with the first."""
    shared = shared_address()
    additional = (
        CustomerUserEmail.objects.filter(shared, customer_user=OuterRef("pk")).order_by("email_key").values("email_key")
    )
    return Coalesce(
        Case(When(shared, then="email_key")),
        Subquery(additional[:1]),
        Concat(Cast("customer_id", models.CharField()), Value(" "), "full_name_key"),
        output_field=models.CharField(),
    )


def refuse_moves_to_invalid_customers(people, stored=()):
    """Refuse ``people`` (customer users) that are new or moved to another customer (``stored``:
    (pk, customer pk) as saved) when that customer is not valid.

    A directory's people are exempt: only their sync writes them, and it follows the directory.
    """
    mirrored = directory_source_keys()
    rows = [(person.pk, person.customer_id) for person in people if person.data_source not in mirrored]
    refuse_invalid_targets("customer", Customer, moved_to(stored, rows))


class CustomerUserQuerySet(VisibilityQuerySet, DynamicFieldsQuerySet, SourcedRecordQuerySet):
    # New people and people moved to another customer need a valid one (Customer.NOT_VALID_MESSAGE).

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        refuse_moves_to_invalid_customers(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if {"customer", "customer_id"} & set(fields):
            stored = self.model._base_manager.filter(pk__in=[obj.pk for obj in objs]).values_list("pk", "customer_id")
            refuse_moves_to_invalid_customers(objs, stored)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if not {"customer", "customer_id"} & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic():
            stored = list(self.order_by().values_list("pk", "customer_id"))
            updated = super().update(**kwargs)
            written = self.model._base_manager.filter(pk__in=[pk for pk, _customer in stored])
            refuse_moves_to_invalid_customers(written.only("pk", "customer_id", "data_source"), stored)
        return updated

    def possible_duplicates(self):
        """The people who may be one person twice: those sharing an address (primary or
        additional, ignoring case) with another valid person, and those sharing their full name
        (``full_name_key``) with another valid person of their customer.

        No pair of people is compared: the shared addresses are grouped in one pass over the
        address index (GROUP BY … HAVING COUNT(*) > 1), and each person's name group is counted
        in the (customer, full name) index. Only valid people count, so a person merged away
        (invalid) no longer makes the one they went into a duplicate.
        """
        shared = shared_address()
        valid_people = CustomerUser._base_manager.filter(valid=Validity.VALID)
        namesakes = (
            valid_people.filter(customer=OuterRef("customer"), full_name_key=OuterRef("full_name_key"))
            .order_by()
            .values("customer", "full_name_key")
            .annotate(people=Count("*"))
            .filter(people__gt=1)
        )
        with_shared_address = CustomerUserEmail.objects.filter(shared).values("customer_user")
        return self.filter(shared | Q(pk__in=with_shared_address) | (~Q(full_name_key="") & Exists(namesakes)))

    def with_additional_emails(self):
        """Annotate ``joined_additional_emails`` (``CustomerUser.additional_email_list`` reads it):
        the addresses come with the people, in the same query."""
        return self.annotate(joined_additional_emails=joined_addresses())

    def working_for(self, customer):
        """The people of ``customer``: its own (``customer``) and those who also work for it
        (``additional_customers``). A subquery, not a join, so nobody appears twice."""
        links = CustomerUser.additional_customers.through.objects.filter(customer=customer)
        return self.filter(Q(customer=customer) | Q(pk__in=links.values("customeruser_id")))


class CustomerUser(DynamicFieldsRecord, SourcedRecord):
    """A person who works for a customer: OTRS's customer user.

    ``customer`` is the person's own customer (OTRS's UserCustomerID); ``additional_customers``
    are the others they may act for (OTRS's "Customer User <-> Customers").
    """

    login = models.CharField(_("login"), max_length=200)
    title = models.CharField(_("title"), max_length=50, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), max_length=150)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="customer_users",
        verbose_name=_("customer"),
        db_index=False,  # the (customer, valid) index serves
    )
    phone = models.CharField(_("phone"), max_length=150, blank=True)
    fax = models.CharField(_("fax"), max_length=150, blank=True)
    mobile = models.CharField(_("mobile"), max_length=150, blank=True)
    street = models.CharField(_("street"), max_length=150, blank=True)
    zip = models.CharField(_("zip"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    additional_customers = models.ManyToManyField(
        Customer,
        related_name="additional_customer_users",
        blank=True,
        verbose_name=_("additional customers"),
        help_text=_("Other customers this person works for, besides their own."),
    )

    # Kept by every ticket write (models.ticket_counters), so lists sort by them.
    open_ticket_count = models.PositiveIntegerField(_("open tickets"), default=0, editable=False)
    closed_ticket_count = models.PositiveIntegerField(_("closed tickets"), default=0, editable=False)

    # The folded twins of the fields that are unique ignoring case (see models.base).
    login_key = folded_key_field("login", 200)
    email_key = folded_key_field("email", 150)
    # The full name folded: people of one customer sharing it may be one person twice; the
    # customer-user list's duplicates filter.
    full_name_key = models.CharField(
        _("full name match key"), max_length=folding.FULL_NAME_KEY_LENGTH, editable=False, default=""
    )

    FOLDED_FIELDS = ("login", "email")
    DERIVED_KEYS = {"full_name_key": (("first_name", "last_name"), folding.full_name_key)}
    DYNAMIC_OBJECT_TYPE = "customer_user"
    # Searched as one text too, "first last" and "last, first" (search.FullName).
    FULL_NAME_FIELDS = ("first_name", "last_name")
    # A customer user's own data, in the order imports, exports and directory syncs use it.
    RECORD_FIELDS = (
        *("login", "title", "first_name", "last_name", "email", "customer", "phone", "fax", "mobile"),
        *("street", "zip", "city", "country", "comment", "valid"),
    )

    objects = CustomerUserQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer user")
        verbose_name_plural = _("customer users")
        # Ends with the unique folded login, so the order is total and the index below serves it.
        ordering = ["last_name", "first_name", "login_key"]
        constraints = [
            unique_ignoring_case(
                "otrs_customeruser", "login", _("A customer user with this login already exists (ignoring case).")
            ),
            # As OTRS's CustomerUserEmailUniqCheck, among the users in use.
            unique_ignoring_case(
                "otrs_customeruser",
                "email",
                _("A valid customer user with this email address already exists."),
                condition=Q(valid=Validity.VALID),
            ),
            models.CheckConstraint(condition=~Q(login=""), name="otrs_customeruser_login_not_empty"),
            validity_constraint("otrs_customeruser"),
            unique_external_id("otrs_customeruser"),
        ]
        indexes = [
            models.Index(fields=["customer", "valid"], name="otrs_customeruser_customer"),
            models.Index(fields=["last_name", "first_name", "login_key", "valid"], name="otrs_customeruser_name_order"),
            # Counts the valid people of a customer sharing a full name from the index alone.
            models.Index(fields=["customer", "full_name_key", "valid"], name="otrs_customeruser_full_name"),
        ]

    # What a ticket that would be new or moved to this person is told when they are not valid.
    NOT_VALID_MESSAGE = _("Customer user %(record)s is not valid; choose a valid customer user.")

    def __str__(self):
        return f"{isolate_text(self.full_name)} ({isolate_text(self.login)})"  # see Customer.__str__

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        instance._loaded_customer_id = instance.__dict__.get("customer_id")
        instance._loaded_addressing = (instance.__dict__.get("email"), instance.__dict__.get("valid"))
        return instance

    def changes_addressing(self):
        """True when saving would make this person new, change their primary address or their validity:
        then the addresses rule (``refuse_taken_addresses``) is checked again."""
        return self.pk is None or (self.email, self.valid) != getattr(self, "_loaded_addressing", None)

    def moves_customer(self):
        """True when saving would make this person new or move them to another customer."""
        return self.pk is None or self.customer_id != getattr(self, "_loaded_customer_id", None)

    def clean(self):
        super().clean()
        if self.customer_id is not None and self.moves_customer() and not self.is_read_only:
            customer = first_not_valid(Customer, [self.customer_id])
            if customer is not None:
                raise ValidationError({"customer": not_valid_message(customer)}, code="not_valid")

    def validate_constraints(self, exclude=None):
        super().validate_constraints(exclude=exclude)
        if (exclude and "email" in exclude) or not self.email or self.valid != Validity.VALID:
            return
        # The primary address must not be another valid person's additional one, nor one of their own.
        key = fold(self.email)
        held = CustomerUserEmail._base_manager.filter(email_key=key)
        if self.pk is not None and held.filter(customer_user=self.pk).exists():
            raise ValidationError({"email": OWN_ADDITIONAL_MESSAGE % {"value": self.email}}, code="address_taken")
        if held.filter(customer_user__valid=Validity.VALID).exclude(customer_user=self.pk).exists():
            raise ValidationError({"email": ADDRESS_TAKEN_MESSAGE % {"value": self.email}}, code="address_taken")

    def save(self, *args, **kwargs):
        if self.moves_customer() and not self.is_read_only:
            refuse_invalid_targets("customer", Customer, [self.customer_id])
        checks_addresses = self.changes_addressing() and self.valid == Validity.VALID
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self))):
            super().save(*args, **kwargs)
            if checks_addresses:
                refuse_taken_addresses_of_record([self.pk], "email")
        self._loaded_customer_id = self.customer_id
        self._loaded_addressing = (self.email, self.valid)

    def get_absolute_url(self):
        return reverse("admin:otrs_customer_admin_customeruser_change", args=[self.pk])

    def works_for(self, customer_id):
        """True when the customer with pk ``customer_id`` is this person's own or an additional one."""
        if customer_id == self.customer_id:
            return True
        return self.pk is not None and self.additional_customers.filter(pk=customer_id).exists()

    @property
    def additional_email_list(self):
        """The additional addresses, sorted ignoring case: from the query's ``with_additional_emails()``
        when it had it (no query more), else read."""
        if "joined_additional_emails" in self.__dict__:
            addresses = filter(None, (self.joined_additional_emails or "").split(";"))
        else:
            addresses = self.additional_emails.values_list("email", flat=True) if self.pk else ()
        return sorted(addresses, key=address_order)

    @property
    def full_name(self):
        # Each part isolated (bidi.isolate_text): an override in the first name must not reverse the last.
        return " ".join(isolate_text(part) for part in (self.title, self.first_name, self.last_name) if part)


class CustomerUserEmail(models.Model):
    """One more address of a customer user, besides their primary ``email`` (Zendesk's and
    Freshdesk's "other emails"). Among valid people an address belongs to one person only, as a
    primary or an additional address, ignoring case (``email_key`` holds it folded)."""

    customer_user = models.ForeignKey(
        CustomerUser, on_delete=models.CASCADE, related_name="additional_emails", verbose_name=_("customer user")
    )
    email = models.EmailField(_("email"), max_length=150)
    email_key = folded_key_field("email", 150)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    FOLDED_FIELDS = ("email",)

    class Meta:
        verbose_name = _("additional email address")
        verbose_name_plural = _("additional email addresses")
        ordering = ["customer_user", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_user", "email_key"],
                name="otrs_customeruseremail_once_a_person",
                violation_error_message=_("This person already has this address."),
            ),
        ]
        # Finding a person by an address, and the duplicates filter, look addresses up folded.
        indexes = [models.Index(fields=["email_key"], name="otrs_customeruseremail_key")]

    def __str__(self):
        return isolate_text(self.email)

    def clean(self):
        super().clean()
        self.email_key = fold(self.email or "")
        if not self.email or self.customer_user_id is None:
            return
        person = CustomerUser._base_manager.filter(pk=self.customer_user_id).values("email", "valid").first()
        if person is None:
            return
        if fold(person["email"]) == self.email_key:
            raise ValidationError({"email": OWN_PRIMARY_MESSAGE % {"value": self.email}}, code="own_primary")
        if person["valid"] == Validity.VALID:
            holders = set(address_holders([self.email_key]).get(self.email_key, [])) - {self.customer_user_id}
            if holders:
                raise ValidationError({"email": ADDRESS_TAKEN_MESSAGE % {"value": self.email}}, code="address_taken")

    def validate_constraints(self, exclude=None):
        self.email_key = fold(self.email or "")
        super().validate_constraints(exclude=exclude)

    def save(self, *args, **kwargs):
        self.email_key = fold(self.email or "")
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self))):
            super().save(*args, **kwargs)
            refuse_taken_addresses_of_record([self.customer_user_id], "email")


# --- one address, one valid person ------------------------------------------------------------
# Among valid people an address is used once, ignoring case (``fold``): as one person's primary
# ``email`` or as one of their ``additional_emails``; a person's additional addresses also differ
# from their primary address and from each other. A database constraint keeps the primary
# addresses apart; none can span the two tables, so every writer (save() here, the import, the
# sync, the merge, through ``writes.replace_addresses``) checks the rule after it wrote, in its
# transaction, under ``lock_addresses``: of two writers giving one address to two people, the
# second to check sees what the first committed, and is refused.

ADDRESS_TAKEN_MESSAGE = _("another valid customer user has the address %(value)s.")
OWN_PRIMARY_MESSAGE = _("%(value)s is this person's primary address; list only their other addresses here.")
OWN_ADDITIONAL_MESSAGE = _("%(value)s is one of this person's additional addresses already.")
# Between the addresses of a file's cell or a form's text: the separators of a cell of additional
# customers (``LIST_SEPARATORS``), line breaks and spaces (an address holds none).
ADDRESS_SEPARATORS = re.compile(r"~~~|[;,|\s]+")
# pg_advisory_xact_lock's key for the rule: any fixed 64-bit number ("otrsmail").
ADDRESS_LOCK_KEY = 0x6F7472736D61696C
LOOKUP_BATCH = 2000


def address_order(address):
    """How a person's addresses are listed in files and compared: ignoring case, then as written."""
    return (fold(address), address)


def joined_addresses():
    """A subquery: the outer customer user's additional addresses joined by ";" (an address has
    none), read with the rows: one index probe a row."""
    rows = CustomerUserEmail._base_manager.filter(customer_user=OuterRef("pk"))
    joined = rows.order_by().values("customer_user").annotate(addresses=JoinedText("email"))
    return Subquery(joined.values("addresses"))


def split_addresses(text):
    """The addresses of a text (a file's cell, a form's lines), in order, each once (folded);
    ``ValueError`` names one that is not an email address."""
    addresses, seen = [], set()
    for part in ADDRESS_SEPARATORS.split(text or ""):
        if not part:
            continue
        try:
            validate_email(part)
        except ValidationError:
            raise ValueError(_("%(value)s is not a valid email address.") % {"value": part}) from None
        if len(part) > CustomerUserEmail._meta.get_field("email").max_length:
            raise ValueError(_("%(value)s is longer than 150 characters.") % {"value": part})
        if fold(part) not in seen:
            seen.add(fold(part))
            addresses.append(part)
    return tuple(addresses)


def lock_addresses(using=None):
    """Serialize the writers that check the addresses rule until their transactions end.

    On PostgreSQL a transaction-level advisory lock with a fixed key (call it inside the
    writer's transaction). SQLite needs none: it has one writer at a time, and a writer that
    checks after it wrote holds the database's write lock from that write to its commit.
    """
    connection = connections[using or router.db_for_write(CustomerUserEmail)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADDRESS_LOCK_KEY])


def address_holders(keys, *, primary=True, additional=True, using=None):
    """Folded address -> the pks of the valid people who have it, as their primary or an
    additional address (a pk twice: one person has it twice); only as one of the two with
    ``primary=False`` or ``additional=False``. An index lookup in each table a batch of keys."""
    using = using or router.db_for_read(CustomerUserEmail)
    holders = defaultdict(list)
    keys = sorted(set(keys) - {""})
    for start in range(0, len(keys), LOOKUP_BATCH):
        batch = keys[start : start + LOOKUP_BATCH]
        if primary:
            people = CustomerUser._base_manager.using(using).filter(valid=Validity.VALID, email_key__in=batch)
            for key, pk in people.values_list("email_key", "pk"):
                holders[key].append(pk)
        if additional:
            rows = CustomerUserEmail._base_manager.using(using).filter(
                email_key__in=batch, customer_user__valid=Validity.VALID
            )
            for key, pk in rows.values_list("email_key", "customer_user_id"):
                holders[key].append(pk)
    return holders


@dataclass(frozen=True)
class TakenAddress:
    """An address ``person`` may not have: ``holder`` (another valid person's pk, another of the
    people checked, or ``person`` itself for an address they would have twice) has it."""

    person: object
    address: str
    holder: object


def taken_addresses(people):
    """What the rule refuses of ``people`` before a write: a dict person -> ``(primary address,
    additional addresses)`` as they would be, for the people who would be valid (a stored
    person by pk; a new one by any other key, not an int). Returns a ``TakenAddress`` for each
    address another valid person (not one of ``people``) has, one that two of ``people`` would
    share (the later one refused), and one a person would have twice."""
    taken, first = [], {}
    for person, (primary, additional) in people.items():
        for address in (primary, *additional):
            if not address:
                continue
            key = fold(address)
            if key in first:
                taken.append(TakenAddress(person, address, first[key]))
            else:
                first[key] = person
    holders = address_holders(first)
    for key, person in first.items():
        others = [pk for pk in holders.get(key, ()) if pk not in people]
        if others:
            address = next(a for a in (people[person][0], *people[person][1]) if a and fold(a) == key)
            taken.append(TakenAddress(person, address, others[0]))
    return taken


def refuse_taken_addresses(pks, *, using=None):
    """After a write, in its transaction: raise ``AddressTaken`` when one of the valid people
    ``pks`` shares an address with another valid person, or has one twice. Takes ``lock_addresses``
    first; the writer's transaction rolls back on the exception."""
    using = using or router.db_for_write(CustomerUserEmail)
    pks = sorted(set(pks) - {None})
    if not pks:
        return
    lock_addresses(using)
    owned = []  # (person, address, folded address as stored)
    for start in range(0, len(pks), LOOKUP_BATCH):
        batch = pks[start : start + LOOKUP_BATCH]
        people = CustomerUser._base_manager.using(using).filter(pk__in=batch, valid=Validity.VALID)
        owned += people.exclude(email_key="").values_list("pk", "email", "email_key")
        additional = CustomerUserEmail._base_manager.using(using).filter(
            customer_user__in=batch, customer_user__valid=Validity.VALID
        )
        owned += additional.values_list("customer_user_id", "email", "email_key")
    holders = address_holders({key for _pk, _address, key in owned}, using=using)
    taken = []
    for person, address, key in owned:
        held = list(holders.get(key, ()))
        held.remove(person)
        if held:
            taken.append(TakenAddress(person, address, held[0]))
    if taken:
        raise AddressTaken(taken)


def refuse_taken_addresses_of_record(pks, field_name):
    """``refuse_taken_addresses`` for a record's ``save()``: a ``ValidationError`` on ``field_name``."""
    try:
        refuse_taken_addresses(pks)
    except AddressTaken as taken:
        params = {"value": taken.conflicts[0].address}
        raise ValidationError({field_name: ValidationError(ADDRESS_TAKEN_MESSAGE, "address_taken", params)}) from None


@receiver(m2m_changed, sender=CustomerUser.additional_customers.through)
def refuse_invalid_additional_customers(sender, instance, action, reverse, pk_set, **kwargs):
    """``person.additional_customers.add(customer)`` (or ``customer.additional_customer_users.add(person)``)
    links a person to a customer: the customer must be valid, as for their own customer. Links to a
    customer that became invalid later stay."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # instance is the customer
        refuse_invalid_targets("additional_customers", Customer, [instance.pk])
    elif not instance.is_read_only:
        refuse_invalid_targets("additional_customers", Customer, pk_set)
