from django.core.exceptions import PermissionDenied


class ReadOnlySourceError(PermissionDenied):
    """A write to a record of a read-only data source, outside that source's sync."""


class DeletionNotAllowed(PermissionDenied):
    """A delete while ``OTRS_CUSTOMER_ADMIN["ALLOW_DELETE"]`` is off."""


class RowsMoved(Exception):
    """Rows a writer was to update no longer held the values it read: another writer
    changed them in between. ``pks`` are the primary keys of those rows (the first few at least)."""

    def __init__(self, model, pks):
        super().__init__(f"{model._meta.label}: rows changed since they were read: {sorted(pks)}")
        self.model = model
        self.pks = sorted(pks)


class AddressTaken(Exception):
    """A write would give an email address to two valid people, or one person twice (see
    ``models.customer_user``): ``conflicts`` are ``TakenAddress`` records."""

    def __init__(self, conflicts):
        super().__init__("; ".join(f"{c.address} of {c.person} is held by {c.holder}" for c in conflicts[:10]))
        self.conflicts = list(conflicts)
