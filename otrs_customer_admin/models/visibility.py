"""Who sees and who changes which customers: OTRS's Customers <-> Groups.

With ``CUSTOMER_GROUP_SUPPORT`` on, a staff user sees a customer when one of their groups is
linked to it (``CustomerGroup``, ``ro`` or ``rw``) and changes it only through an ``rw`` link; a
customer user and a ticket go with their customer. Superusers, and users with
``view_all_customers`` (seeing) or ``change_all_customers`` (seeing and changing), are not
limited. With support off nobody is.

Every reader asks here: querysets through ``visible_to(user)`` / ``changeable_by(user)``, one
record through ``may_view`` / ``may_change``. ``user=None`` is the site itself (a command run
without ``--user``): it sees everything.
"""

from django.apps import apps
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from ..conf import settings

APP_LABEL = "otrs_customer_admin"
VIEW_ALL = f"{APP_LABEL}.view_all_customers"
CHANGE_ALL = f"{APP_LABEL}.change_all_customers"


class GroupPermission(models.TextChoices):
    """What a group's link gives its members: OTRS's ``ro`` and ``rw``."""

    RO = "ro", _("read only")
    RW = "rw", _("read and write")


RO, RW = GroupPermission.RO.value, GroupPermission.RW.value
# The name of the annotation ``with_group_permission`` adds, which ``rights_of`` reads.
ANNOTATION = "group_permission"
# Where a user object keeps the rights it has looked up (a request's user lives for one request).
CACHE_ATTRIBUTE = "_otrs_customer_rights"


def group_support():
    return bool(settings.CUSTOMER_GROUP_SUPPORT)


def link_model():
    return apps.get_model(APP_LABEL, "CustomerGroup")


def restricted(user, permission=RO):
    """True when ``user`` sees (``ro``) or changes (``rw``) only the customers of their groups."""
    if user is None or not group_support() or user.is_superuser:
        return False
    if user.has_perm(CHANGE_ALL):
        return False
    return permission == RW or not user.has_perm(VIEW_ALL)


def customer_links(user, permission=RO):
    """The ``CustomerGroup`` rows of ``user``'s groups (``rw`` ones only for ``permission`` rw)."""
    links = link_model().objects.all()
    if user is None or not user.is_authenticated or user.pk is None:
        return links.none()
    links = links.filter(group__user=user.pk)
    return links.filter(permission=RW) if permission == RW else links


def customer_ids(user, permission=RO):
    """A subquery of the ids of the customers ``user``'s groups give ``permission`` on."""
    return customer_links(user, permission).values("customer_id")


class VisibilityQuerySet(models.QuerySet):
    """``visible_to`` and ``changeable_by`` for a model whose rows belong to a customer."""

    # The field naming the customer whose links decide: the row itself for customers.
    customer_field = "customer"

    def visible_to(self, user):
        """The rows ``user`` may see."""
        return self._through_groups(user, RO)

    def changeable_by(self, user):
        """The rows ``user`` may change (their customer linked ``rw``), before model permissions."""
        return self._through_groups(user, RW)

    def _through_groups(self, user, permission):
        if not restricted(user, permission):
            return self
        return self.filter(**{f"{self.customer_field}__in": customer_ids(user, permission)})

    def with_group_permission(self, user):
        """Annotate ``group_permission``: ``rw``, ``ro`` or None, what ``user``'s groups give on each
        row's customer, so that a list's Edit links and a page's actions ask no query per row."""
        if not restricted(user, RW):
            return self
        outer = "pk" if self.customer_field == "pk" else f"{self.customer_field}_id"
        strongest = (
            customer_links(user)
            .filter(customer=OuterRef(outer))
            .order_by("-permission")  # "rw" before "ro"
            .values("permission")[:1]
        )
        return self.annotate(**{ANNOTATION: Subquery(strongest)})

    def with_visibility_of(self, user, field):
        """Annotate ``<field>_visible``: whether ``user`` sees the record at ``field`` (a ticket's
        ``customer_user``, whose own customer may be hidden where the ticket's is not), so that a
        list links it, or only names it, without a query per row (``may_view_related``)."""
        if not restricted(user):
            return self
        seen = Q(**{f"{field}__customer__in": customer_ids(user)})
        return self.annotate(**{f"{field}_visible": ExpressionWrapper(seen, output_field=BooleanField())})


def customer_pk_of(obj):
    """The primary key of the customer whose links decide over ``obj`` (a customer, customer user or ticket)."""
    if obj._meta.label_lower == f"{APP_LABEL}.customer":
        return obj.pk
    return obj.customer_id  # a customer user's or a ticket's customer (a customer's customer_id is its CustomerID)


def rights_of(user, obj):
    """``rw``, ``ro`` or None: what ``user`` may do with ``obj`` as far as customer groups go."""
    if not restricted(user, RW):
        return RW
    customer_pk = customer_pk_of(obj)
    cache = getattr(user, CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = {}
        setattr(user, CACHE_ATTRIBUTE, cache)
    if customer_pk not in cache:
        if ANNOTATION in obj.__dict__:
            cache[customer_pk] = obj.__dict__[ANNOTATION]
        elif customer_pk is None:
            cache[customer_pk] = None
        else:
            held = set(customer_links(user).filter(customer=customer_pk).values_list("permission", flat=True))
            cache[customer_pk] = RW if RW in held else RO if held else None
    rights = cache[customer_pk]
    if rights is None and not restricted(user, RO):
        return RO  # view_all_customers
    return rights


def may_view(user, obj):
    return rights_of(user, obj) is not None


def may_change(user, obj):
    return rights_of(user, obj) == RW


def choosable(queryset, user):
    """What a form may take from ``queryset`` (customers or customer users) for ``user``: a customer
    chosen in a form is written to (its people, tickets or links change), so only those ``user``
    changes; customer users ``user`` sees."""
    if queryset.model._meta.label_lower == f"{APP_LABEL}.customer":
        return queryset.changeable_by(user)
    return queryset.visible_to(user)


def changeable_row(obj):
    """Whether a row of a ``with_group_permission`` queryset may be changed as far as customer
    groups go, without the user at hand (a list column): the annotation is there only for a
    limited user, and says ``rw`` where they may."""
    return obj.__dict__.get(ANNOTATION, RW) == RW


def may_view_related(user, obj, field):
    """Whether ``user`` sees ``obj``'s related record at ``field`` (False when there is none):
    the row's ``with_visibility_of`` annotation where it has one, else ``may_view``."""
    related = getattr(obj, field)
    if related is None:
        return False
    annotated = obj.__dict__.get(f"{field}_visible")
    if annotated is not None:
        return bool(annotated)
    return not restricted(user) or may_view(user, related)


def forget_rights(user):
    """Drop what ``user`` has looked up (after their groups' links changed)."""
    if user is not None and hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)


def always_groups():
    """The groups of ``CUSTOMER_GROUP_ALWAYS``, created when missing; none with group support off."""
    if not group_support() or not settings.CUSTOMER_GROUP_ALWAYS:
        return []
    group_model = apps.get_model("auth", "Group")
    groups = []
    for name in settings.CUSTOMER_GROUP_ALWAYS:
        group, _created = group_model.objects.get_or_create(name=name)
        groups.append(group)
    return groups


def link_always_groups(customer_pks):
    """Link ``CUSTOMER_GROUP_ALWAYS`` ``rw`` to the new customers ``customer_pks``."""
    customer_pks = [pk for pk in customer_pks if pk is not None]
    groups = always_groups() if customer_pks else []
    if not groups:
        return
    link = link_model()
    link.objects.bulk_create(
        [link(customer_id=pk, group=group, permission=RW) for pk in customer_pks for group in groups],
        ignore_conflicts=True,
        batch_size=1000,
    )
