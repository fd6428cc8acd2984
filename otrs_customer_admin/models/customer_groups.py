"""``CustomerGroup``: a link between a customer and one of Django's groups, read-only or read-write
(OTRS's Customers <-> Groups). What the links mean is ``models.visibility``."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customer import Customer
from .visibility import RO, GroupPermission


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
