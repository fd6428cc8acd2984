"""Exports of customers, customer users, SLAs and tickets to a file, for the commands, the admin and jobs.

An export streams: its rows come out of a server-side cursor (``values_list(...).iterator()``) in
the queryset's order (primary keys when it has none), ``CHUNK_ROWS`` at a time; what the rows
do not hold (dynamic field values, a customer's group links) is read once per chunk, a customer
user's additional customers by a subquery of the rows' query; each chunk is written to the file
before the next is read. Memory does not grow with the row count.

The columns of each model are defined once, here (``export_columns``); the resources' export
and the admin's list of exported columns read them from here too. Every cell is text, written as
the import reads it back, and a text a spreadsheet would run as a formula gets a ``'`` in front.
"""

import re
from dataclasses import dataclass
from functools import partial
from itertools import batched
from operator import itemgetter

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from ..models import SLA, Customer, CustomerUser, FieldType, Ticket, Validity
from ..models.base import JoinedText
from ..models.customer_groups import format_group_links, group_links_of
from ..models.customer_user import address_order, joined_addresses
from ..models.dynamic_fields import field_definitions
from ..models.dynamic_values import load_values
from ..models.visibility import customer_ids, group_support, restricted
from .formats import FORMULA_PREFIXES, neutralise_formula

#: Rows read from the cursor, looked up (dynamic fields, groups, additional customers) and written together.
CHUNK_ROWS = 1000

#: The order of each model's exports when the queryset has none of its own (the commands, jobs).
ORDERING = {Customer: ("customer_id",), CustomerUser: ("login",), SLA: ("name_key",), Ticket: ("-created_at",)}

#: What a number, postal code or phone number looks like: digits, spaces, ( ) . / - and one leading + or -.
NUMBER_LIKE = re.compile(r"[+-]?[\d ()./-]*")
# The first characters after which neutralise_formula may have something to do.
_SUSPECT = frozenset((*FORMULA_PREFIXES, "'"))
_VALIDITY_NAMES = {validity.value: validity.machine_name for validity in Validity}
# A column's texts joined, each after _CELL_START: _MAY_RUN finds one that starts with such a character.
_CELL_START = "\x00"
# ... and _ALL_NUMBERS whether every one of them looks like a number (NUMBER_LIKE).
_ALL_NUMBERS = re.compile(r"(?:\x00[+-]?[\d ()./-]*)*")
_MAY_RUN = re.compile("\x00[" + re.escape("".join(sorted(_SUSPECT))) + "]")


class ExportRefused(ValueError):
    """An export that cannot be written as asked (an unknown column); the message says why."""


def text(value):
    """A value as the text of a cell: ``""`` for None."""
    return "" if value is None else str(value)


def safe_text(value):
    """A text cell, neutralised when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    return neutralise_formula(value) if value[:1] in _SUSPECT else value


def safe_number(value):
    """A cell of a column of numbers or phone numbers, where a leading + or - is data ("+49 30 1234",
    "-12"): kept when it looks like a number, neutralised like any text otherwise ("=1+1")."""
    if value is None:
        return ""
    if value[:1] in _SUSPECT and not NUMBER_LIKE.fullmatch(value):
        return neutralise_formula(value)
    return value


def validity_name(value):
    return _VALIDITY_NAMES.get(value, "")


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, where its value comes from, how it is written.

    A column reads ``read`` (a lookup of the rows' query, or the name of its ``annotation``, an
    expression the query adds), or takes its value from ``load``, a
    function called once per chunk with the chunk's primary keys (``{pk: value}``; columns
    sharing one ``load`` share the call), through ``pick``. ``render`` makes the value text,
    then ``numbers`` says whether a leading + or - of a number is data (``safe_number``) or
    the text is neutralised as any other (``safe_text``).
    """

    header: str
    read: str | None = None
    annotation: object = None
    load: object = None
    pick: object = None
    render: object = None
    numbers: bool = False

    def cells(self, values):
        """The texts of this column's ``values`` in a chunk of rows. Most columns hold nothing a
        spreadsheet would run: one search over the whole column finds out, instead of a look at
        each cell."""
        if self.render is not None:
            values = list(map(self.render, values))
        elif None in values:
            values = ["" if value is None else value for value in values]
        joined = _CELL_START + _CELL_START.join(values)
        if not _MAY_RUN.search(joined) or (self.numbers and _ALL_NUMBERS.fullmatch(joined)):
            return values
        return list(map(safe_number if self.numbers else safe_text, values))


def plain(header, read=None, **kwargs):
    return Column(header, read=read or header, **kwargs)


def dynamic_columns(model):
    """A ``DynamicField_<Name>`` column per valid dynamic field of ``model``, after the built-in
    ones, written as the import reads it back; the values are read a chunk at a time."""
    definitions = field_definitions(model.DYNAMIC_OBJECT_TYPE)
    if not definitions:
        return []
    load = partial(load_values, model, fields=definitions)
    return [
        Column(
            definition.key,
            load=load,
            pick=itemgetter(definition.name),
            render=lambda value, definition=definition: text(definition.format(value)),
            numbers=definition.field_type in (FieldType.INTEGER, FieldType.DECIMAL),
        )
        for definition in definitions
    ]


def additional_customer_ids(user=None):
    """A subquery: the CustomerIDs of the outer customer user's additional customers that ``user``
    sees, joined by ";". Read with the rows: an index probe per row costs the database less
    than a lookup per chunk costs Python."""
    links = CustomerUser.additional_customers.through.objects.filter(customeruser=OuterRef("pk"))
    if restricted(user):
        links = links.filter(customer__in=customer_ids(user))
    joined = links.order_by().values("customeruser").annotate(ids=JoinedText("customer__customer_id"))
    return Subquery(joined.values("ids"))


def sorted_addresses(joined):
    """Addresses joined in any order by the query, sorted ignoring case and separated by "; " as the
    import reads them."""
    return "; ".join(sorted(filter(None, (joined or "").split(";")), key=address_order))


def sorted_ids(joined):
    """CustomerIDs joined in any order by the query, sorted and separated by "; " as the import
    reads them (a CustomerID never contains ";")."""
    return "; ".join(sorted(filter(None, (joined or "").split(";"))))


def export_columns(model, user=None):
    """Every column of ``model``'s exports for ``user`` (whose visible additional customers a
    customer user's row names), in the file's order."""
    if model is Customer:
        columns = [
            plain(name, numbers=name == "zip", render=validity_name if name == "valid" else None)
            for name in Customer.RECORD_FIELDS
        ]
        columns.append(plain("data_source"))
        if group_support():
            # A customer's group links as the import reads them, "billing:ro; support:rw".
            columns.append(Column("groups", load=group_links_of, render=format_group_links))
        return columns + dynamic_columns(model)
    if model is CustomerUser:
        columns = [
            plain(
                name,
                "customer__customer_id" if name == "customer" else name,
                numbers=name in ("phone", "fax", "mobile", "zip"),
                render=validity_name if name == "valid" else None,
            )
            for name in CustomerUser.RECORD_FIELDS
        ]
        columns.append(
            Column(
                "additional_customers",
                read="additional_customer_ids",
                annotation=additional_customer_ids(user),
                render=sorted_ids,
            )
        )
        columns.append(
            Column(
                "additional_emails",
                read="additional_email_addresses",
                annotation=joined_addresses(),
                render=sorted_addresses,
            )
        )
        columns.append(plain("data_source"))
        return columns + dynamic_columns(model)
    if model is SLA:
        # The calendar by its name, as the import reads it back; empty around the clock.
        return [
            plain(
                name,
                "calendar__name" if name == "calendar" else name,
                numbers=name in SLA.TARGET_FIELDS,
                render=validity_name if name == "valid" else text if name in SLA.TARGET_FIELDS else None,
            )
            for name in SLA.RECORD_FIELDS
        ]
    if model is Ticket:
        return [
            plain("number", numbers=True),
            plain("title"),
            plain("customer", "customer__customer_id"),
            plain("customer_user", "customer_user__login"),
            plain("state"),
            plain("priority", numbers=True, render=text),
            plain("sla", "sla__name"),
            plain("created_at", render=text),
            plain("pending_until", render=text),
            plain("escalation_at", render=text),
            plain("escalation_deadline"),
            plain("closed_at", render=text),
        ]
    raise ExportRefused(_("%(model)s cannot be exported.") % {"model": model._meta.verbose_name_plural})


def exportable(model):
    return model in ORDERING


def chosen_columns(model, user=None, columns=None):
    """The columns ``columns`` (headers, in order) names; all of them when it names none. An
    unknown name is refused (``ExportRefused``) with the known ones."""
    available = export_columns(model, user)
    if not columns:
        return available
    by_header = {column.header: column for column in available}
    unknown = [name for name in columns if name not in by_header]
    if unknown:
        raise ExportRefused(
            _("Unknown export columns %(names)s: use some of %(known)s.")
            % {"names": ", ".join(map(str, unknown)), "known": ", ".join(by_header)}
        )
    return [by_header[name] for name in columns]


def export_queryset(model, user=None):
    """Every record of ``model`` an export by ``user`` may write (what the user sees), in the export's order."""
    if not exportable(model):
        raise ExportRefused(_("%(model)s cannot be exported.") % {"model": model._meta.verbose_name_plural})
    queryset = model.objects.order_by(*ORDERING[model])
    # Customer groups limit what a user sees of customers, people and tickets; SLAs are everyone's.
    return queryset.visible_to(user) if hasattr(queryset, "visible_to") else queryset


def export_headers(model, user=None, columns=None):
    return [column.header for column in chosen_columns(model, user, columns)]


def export_chunks(queryset, columns, progress=None, total=None):
    """The rows of ``queryset`` as tuples of cell texts in the order of ``columns``, a list of them
    per chunk of ``CHUNK_ROWS``; ``progress("export", done, total)`` after each. A chunk is
    worked a column at a time."""
    reads = list(dict.fromkeys(column.read for column in columns if column.read is not None))
    loads = list(dict.fromkeys(column.load for column in columns if column.load is not None))
    annotations = {column.read: column.annotation for column in columns if column.annotation is not None}
    if annotations:
        queryset = queryset.annotate(**annotations)
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    rows = queryset.values_list("pk", *reads).iterator(chunk_size=CHUNK_ROWS)
    done = 0
    for chunk in batched(rows, CHUNK_ROWS):
        read = dict(zip(["pk", *reads], zip(*chunk, strict=True), strict=True))
        loaded = {load: load(read["pk"]) for load in loads}
        cells = []
        for column in columns:
            if column.read is not None:
                values = read[column.read]
            elif column.pick is None:
                values = list(map(loaded[column.load].get, read["pk"]))
            else:
                found = loaded[column.load]
                values = [column.pick(found[pk]) for pk in read["pk"]]
            cells.append(column.cells(values))
        yield list(zip(*cells, strict=True))
        done += len(chunk)
        if progress is not None:
            progress("export", done, max(total or 0, done))


def stream_export(queryset, file_format, *, user=None, columns=None, progress=None):
    """The file of the records of ``queryset`` in ``file_format``, as pieces of bytes written as
    the rows are read (see the module's docstring); ``columns`` as in ``write_export``."""
    chosen = chosen_columns(queryset.model, user, columns)
    # Counted only when something needs it: a query less for the admin's CSV.
    total = queryset.count() if progress is not None or file_format.NEEDS_TOTAL else None
    if progress is not None:
        progress("export", 0, total)
    chunks = export_chunks(queryset, chosen, progress=progress, total=total)
    return file_format.stream([column.header for column in chosen], chunks, total)


def write_export(queryset, file_format, stream, *, user=None, columns=None, progress=None):
    """Write the records of ``queryset`` to the binary ``stream`` in ``file_format``; returns how many.

    ``columns`` (headers or field names, in order) limits and orders the columns (an unknown one
    is refused with ``ExportRefused``); ``progress`` is called as ``progress("export", done, total)``
    after each chunk of rows.
    """
    count = 0

    def counted(phase, done, total):
        nonlocal count
        count = done
        if progress is not None:
            progress(phase, done, total)

    for piece in stream_export(queryset, file_format, user=user, columns=columns, progress=counted):
        stream.write(piece)
    return count


def filtered_queryset(
    model,
    *,
    user=None,
    validity=None,
    data_source=None,
    state_type=None,
    state=None,
    customer=None,
    customer_user=None,
    priority=None,
    escalated=None,
    reminder_due=None,
):
    """The records an export by ``user`` writes, by the commands' filters: a validity's machine name
    (``valid``, ``invalid``, ``invalid-temporarily``; None or ``all`` for any) and a data source key;
    for tickets the ticket list's filters: ``state_type`` (``open``, ``closed``), ``state``, the
    ``customer``'s CustomerID, the ``customer_user``'s login, ``priority`` (1-5), ``escalated`` and
    ``reminder_due`` (True or False)."""
    queryset = export_queryset(model, user)
    if validity not in (None, "", "all"):
        queryset = queryset.filter(valid=Validity.from_machine_name(validity))
    if data_source is not None:
        queryset = queryset.filter(data_source=data_source)
    if model is Ticket:
        queryset = filtered_tickets(
            queryset,
            state_type=state_type,
            state=state,
            customer=customer,
            customer_user=customer_user,
            priority=priority,
            escalated=escalated,
            reminder_due=reminder_due,
        )
    return queryset


def filtered_tickets(queryset, *, state_type, state, customer, customer_user, priority, escalated, reminder_due):
    """The ticket list's filters, by the values a command or a job gives them."""
    if state_type == "open":
        queryset = queryset.open()
    elif state_type == "closed":
        queryset = queryset.closed()
    if state:
        queryset = queryset.filter(state=state)
    if customer:
        queryset = queryset.filter(customer__customer_id__iexact=customer)
    if customer_user:
        queryset = queryset.filter(customer_user__login__iexact=customer_user)
    if priority:
        queryset = queryset.filter(priority=priority)
    for wanted, matching in ((escalated, Ticket.objects.escalated), (reminder_due, Ticket.objects.reminders_due)):
        if wanted is True:
            queryset = queryset.filter(pk__in=matching().values("pk"))
        elif wanted is False:
            queryset = queryset.exclude(pk__in=matching().values("pk"))
    return queryset
