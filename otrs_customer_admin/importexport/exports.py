"""Exports of customers, customer users and tickets to a file, for the commands, the admin and jobs."""

from django.utils.translation import gettext as _

from ..models import Customer, CustomerUser, Ticket, Validity
from .resources import CustomerResource, CustomerUserResource, TicketResource

RESOURCES = {Customer: CustomerResource, CustomerUser: CustomerUserResource, Ticket: TicketResource}


def exportable(model):
    return model in RESOURCES


def export_queryset(model, user=None):
    """Every record of ``model`` an export by ``user`` may write (what the user sees)."""
    return RESOURCES[model](user=user).get_queryset().visible_to(user)


def write_export(queryset, file_format, stream, *, user=None, columns=None, progress=None):
    """Write the records of ``queryset`` to the binary ``stream`` in ``file_format``; returns how many.

    ``columns`` (headers or field names, in order) limits and orders the columns; ``progress`` is
    called as ``progress("export", done, total)``.
    """
    if queryset.model not in RESOURCES:
        raise ValueError(_("%(model)s cannot be exported.") % {"model": queryset.model._meta.verbose_name_plural})
    progress = progress or (lambda phase, done, total: None)
    resource = RESOURCES[queryset.model](user=user)
    total = queryset.count()
    progress("export", 0, total)
    dataset = resource.export(queryset)
    if columns:
        known = {header: header for header in dataset.headers}
        chosen = [known[column] for column in columns if column in known]
        dataset = dataset.subset(cols=chosen)
    data = file_format.export_data(dataset)
    stream.write(data.encode("utf-8") if isinstance(data, str) else data)
    progress("export", total, total)
    return total


def filtered_queryset(model, *, user=None, validity=None, data_source=None):
    """The records an export by ``user`` writes, by the commands' filters: a validity's machine name
    (``valid``, ``invalid``, ``invalid-temporarily``; None or ``all`` for any) and a data source key."""
    queryset = export_queryset(model, user)
    if validity not in (None, "", "all"):
        queryset = queryset.filter(valid=Validity.from_machine_name(validity))
    if data_source is not None:
        queryset = queryset.filter(data_source=data_source)
    return queryset
