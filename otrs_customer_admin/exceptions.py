from django.core.exceptions import PermissionDenied


class ReadOnlySourceError(PermissionDenied):
    """A write to a record of a read-only data source, outside that source's sync."""


class DeletionNotAllowed(PermissionDenied):
    """A delete while ``OTRS_CUSTOMER_ADMIN["ALLOW_DELETE"]`` is off."""
