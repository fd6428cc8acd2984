"""``CustomerGroup``: a link between a customer and one of Django's groups, read-only or read-write
(OTRS's Customers <-> Groups). What the links mean is ``models.visibility``."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import settings
from .customer import Customer
from .visibility import RO, RW, GroupPermission, VisibilityQuerySet, restricted


class CustomerGroup(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="group_links", verbose_name=_("customer"), db_index=False
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="customer_links", verbose_name=_("group"), db_index=False
    )
    permission = models.CharField(
        _("permission"),
        max_length=2,
        choices=GroupPermission.choices,
        default=RO,
        help_text=_("Read only: the group's members see the customer. Read and write: they change it too."),
    )

    # A link is seen and changed with its customer.
    objects = VisibilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            # Its index also answers "which groups does this customer have".
            models.UniqueConstraint(fields=["customer", "group"], name="otrs_customergroup_customer_group"),
            models.CheckConstraint(
                condition=models.Q(permission__in=["ro", "rw"]), name="otrs_customergroup_permission"
            ),
        ]
        indexes = [
            # A user's customers: the links of their groups, the customer and permission from the index alone.
            models.Index(fields=["group", "customer", "permission"], name="otrs_customergroup_group"),
        ]
        permissions = [
            ("view_all_customers", _("Can view all customers, whatever their groups")),
            ("change_all_customers", _("Can change all customers, whatever their groups")),
        ]

    def __str__(self):
        return f"{self.customer} · {self.group} ({self.permission})"


# --- group links as text: the import and export column ``groups`` and the LDAP map key -----------

LINK_SEPARATOR = ";"
PERMISSION_SEPARATOR = ":"


def parse_group_links(text, *, default=RO):
    """``"support:rw; billing:ro"`` as ``{"support": "rw", "billing": "ro"}``; a name without a
    permission gets ``default``. ``ValidationError`` names the part that is not one."""
    links = {}
    for part in str(text or "").split(LINK_SEPARATOR):
        part = part.strip()
        if not part:
            continue
        name, separator, permission = part.rpartition(PERMISSION_SEPARATOR)
        if not separator:
            name, permission = part, default
        name, permission = name.strip(), permission.strip().lower()
        if not name or permission not in GroupPermission.values:
            raise ValidationError(
                _("“%(part)s” is not a group with :ro or :rw (for example “support:rw; billing:ro”).") % {"part": part},
                code="invalid_group_link",
            )
        if links.get(name) != RW:
            links[name] = permission  # named twice: the stronger one
    return links


def format_group_links(links):
    """``{"support": "rw", "billing": "ro"}`` as ``"billing:ro; support:rw"`` (by name)."""
    return f"{LINK_SEPARATOR} ".join(f"{name}{PERMISSION_SEPARATOR}{links[name]}" for name in sorted(links))


def group_links_of(customer_pks):
    """``{customer pk: {group name: permission}}`` of these customers, every one present."""
    links = {pk: {} for pk in customer_pks}
    rows = CustomerGroup.objects.filter(customer__in=list(links)).values_list(
        "customer_id", "group__name", "permission"
    )
    for customer_pk, name, permission in rows.iterator():
        links[customer_pk][name] = permission
    return links


def starting_links(user):
    """The links a new customer's form starts with for ``user``: their own groups ``rw`` when
    nothing else would let them change it (``gives_rw``), none otherwise."""
    if gives_rw(user, ()):
        return []
    return [{"group": group.pk, "permission": RW} for group in user.groups.order_by("name")]


def creation_refusal(user, rw_group_names):
    """Why ``user`` may not create a customer linked ``rw`` to ``rw_group_names``, or None."""
    if gives_rw(user, rw_group_names):
        return None
    return _(
        "Link one of your own groups to the new customer with “read and write”: otherwise you could neither "
        "see nor change it once it is saved."
    )


def gives_rw(user, group_names):
    """True when ``user`` would change a customer linked ``rw`` to ``group_names`` (and to
    ``CUSTOMER_GROUP_ALWAYS``): what creating a customer needs, so that nobody makes a customer
    they could not see afterwards."""
    if not restricted(user, RW):
        return True
    if not user.is_authenticated:
        return False
    names = {*group_names, *settings.CUSTOMER_GROUP_ALWAYS}
    return user.groups.filter(name__in=names).exists()
