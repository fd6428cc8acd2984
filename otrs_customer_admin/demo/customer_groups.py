"""The demo's customer groups (OTRS's Customers <-> Groups, docs/permissions.md): "First level"
changes the everyday customers and reads the key accounts, "Key accounts" changes the key
accounts. The links are written whether ``CUSTOMER_GROUP_SUPPORT`` is on or not, so that turning
it on shows them; they mean nothing while it is off."""

from django.contrib.auth.models import Group

from ..models import CustomerGroup
from ..models.visibility import RO, RW

FIRST_LEVEL = "First level"
KEY_ACCOUNTS = "Key accounts"


def links_of(key_account):
    """The demo links of a customer: (group name, permission) pairs."""
    if key_account:
        return [(KEY_ACCOUNTS, RW), (FIRST_LEVEL, RO)]
    return [(FIRST_LEVEL, RW)]


def load_groups():
    """The demo's groups: name -> pk, created where missing."""
    names = [FIRST_LEVEL, KEY_ACCOUNTS]
    groups = dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
    missing = Group.objects.bulk_create([Group(name=name) for name in names if name not in groups])
    if any(group.pk is None for group in missing):  # databases that return no ids from bulk inserts
        return dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
    return groups | {group.name: group.pk for group in missing}


def link_missing(customers, batch_size, counts):
    """Link the demo customers (``_CustomerInfo``s) that have no link to a demo group yet: a
    customer whose demo links someone changed keeps them, as a changed dynamic value stays."""
    groups = load_groups()
    for start in range(0, len(customers), batch_size):
        batch = customers[start : start + batch_size]
        present = list(
            CustomerGroup.objects.filter(customer__in=[info.pk for info in batch], group__in=groups.values())
            .values_list("customer_id", flat=True)
            .order_by()
        )
        counts.present += len(present)
        linked = set(present)
        missing = [
            CustomerGroup(customer_id=info.pk, group_id=groups[name], permission=permission)
            for info in batch
            if info.pk not in linked
            for name, permission in links_of(info.key_account)
        ]
        # A demo group may be in CUSTOMER_GROUP_ALWAYS, linked when the customer was created.
        CustomerGroup.objects.bulk_create(missing, ignore_conflicts=True)
        counts.created += len(missing)
