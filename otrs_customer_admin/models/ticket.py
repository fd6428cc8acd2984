"""Tickets: small, but with OTRS's states and escalation rules (``sla``).

A ticket's customer user works for its customer, and a new ticket, or one moved to another
customer or customer user, needs valid ones; every write keeps the owners' ticket counts
(``ticket_counters``). ``Ticket`` stores when it escalates (``escalation_at``) and keeps the
clocks that pending and closing change.
"""

from array import array
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..bidi import isolate_text
from ..conf import settings
from ..exceptions import RowsMoved
from ..working_time import AROUND_THE_CLOCK, NoWorkingTime
from .base import first_not_valid, moved_to, not_valid_message, refuse_invalid_targets, with_changed_at
from .customer import Customer
from .customer_user import CustomerUser
from .sla import MAX_TARGET_MINUTES, SLA, Deadline, SLADeadline
from .ticket_counters import owners_of, recount_tickets
from .ticket_states import (
    CLOSED_STATES,
    OPEN_STATE_TYPES,
    OPEN_STATES,
    PENDING_STATE_TYPES,
    PENDING_STATES,
    STATE_TYPES,
    Priority,
    TicketState,
)
from .updates import before_write, update_rows
from .visibility import VisibilityQuerySet

# The fields whose change moves a ticket between owners, or between their counts.
OWNER_FIELDS = {"customer", "customer_id", "customer_user", "customer_user_id"}
COUNTED_FIELDS = {"state", *OWNER_FIELDS}
# What save() derives (the clocks and the escalation), and the fields it derives them from.
DERIVED_FIELDS = {
    "update_clock_from",
    "pending_since",
    "closed_at",
    "pending_until",
    "escalation_at",
    "escalation_deadline",
}
CLOCK_INPUTS = {"state", "sla", "sla_id", "created_at", "first_response_at", "last_update_at", "pending_until"}
# What the bulk recompute reads of a ticket (escalation_updates compares the state, the SLA,
# changed_at and the escalation's deadline before it writes: any save() moves changed_at, a bare
# update() of the state or SLA moves those).
ESCALATION_READS = (
    "state",
    "sla_id",
    "created_at",
    "first_response_at",
    "last_update_at",
    "update_clock_from",
    "closed_at",
    "changed_at",
    "escalation_at",
    "escalation_deadline",
)
# A batch is a transaction: SQLite writes the pages a batch touched once at its commit, and a
# bigger batch shares them among more tickets; 20,000 tickets hold the write lock about a second.
RECOMPUTE_BATCH = 20000
RECOMPUTE_ATTEMPTS = 3
NO_SLA = ((None, None, None), AROUND_THE_CLOCK)


def stranger_message():
    return _("This customer user belongs to another customer and does not also work for this one.")


def refuse_strangers(pairs):
    """Raise ``ValidationError`` unless each ticket's customer user works for its customer.

    ``pairs`` are (customer id, customer-user id); two queries, whatever their number.
    """
    pairs = {(customer, user) for customer, user in pairs if user is not None}
    if not pairs:
        return
    users = {user for _customer, user in pairs}
    allowed = set(CustomerUser.objects.filter(pk__in=users).values_list("customer_id", "pk"))
    links = CustomerUser.additional_customers.through.objects.filter(customeruser_id__in=users)
    allowed |= set(links.values_list("customer_id", "customeruser_id"))
    if pairs - allowed:
        raise ValidationError({"customer_user": stranger_message()})


def refuse_moves_to_invalid_owners(stored, rows):
    """Refuse tickets that are new or moved to another customer or customer user that is not valid.

    ``rows`` are the tickets' (pk, customer id, customer-user id), ``stored`` the same as saved
    (empty for new tickets). A ticket whose customer became invalid after it was linked keeps it.
    """
    stored, rows = list(stored), list(rows)
    for field_name, model, index in (("customer", Customer, 1), ("customer_user", CustomerUser, 2)):
        before = [(row[0], row[index]) for row in stored]
        refuse_invalid_targets(field_name, model, moved_to(before, [(row[0], row[index]) for row in rows]))


def deadline_after(clock, start, minutes):
    """``minutes`` of the clock's time after ``start``; ``None`` when the calendar has no working
    time ahead (a system check names such a calendar), or for a target beyond the SLA's limit
    (written around its validation: in working time it could take seconds a ticket to count)."""
    if minutes > MAX_TARGET_MINUTES:
        return None
    try:
        return clock.add(start, timedelta(minutes=minutes))
    except NoWorkingTime:
        return None


def running_deadlines(
    targets,
    clock,
    state,
    created_at,
    first_response_at,
    last_update_at,
    update_clock_from,
    closed_at,
    earliest_only=False,
):
    """``(Deadline, when)`` for each target of an SLA (``SLA.targets()``) that a ticket in
    ``state`` has not met yet, counted in the SLA's ``clock``: first response and solution from
    creation, update from where the update clock started (moved on by time spent pending).

    ``earliest_only`` leaves out a deadline that cannot be the earliest: of first response and
    solution, which count from the same start, only the shorter is added (adding is monotonic),
    the first response on a tie, as ``escalation_of`` would choose it.
    """
    first_response_time, update_time, solution_time = targets
    state_type = STATE_TYPES.get(state)
    if state_type not in OPEN_STATE_TYPES:
        return []
    response = first_response_time if first_response_time and first_response_at is None else None
    solution = solution_time if solution_time and closed_at is None else None
    if earliest_only and response and solution:
        response, solution = (response, None) if response <= solution else (None, solution)
    deadlines = []
    if response:
        deadlines.append((Deadline.FIRST_RESPONSE, deadline_after(clock, created_at, response)))
    if update_time and state_type not in PENDING_STATE_TYPES:
        start = update_clock_from or last_update_at or created_at
        deadlines.append((Deadline.UPDATE, deadline_after(clock, start, update_time)))
    if solution:
        deadlines.append((Deadline.SOLUTION, deadline_after(clock, created_at, solution)))
    return [(deadline, when) for deadline, when in deadlines if when is not None]


def escalation_of(deadlines):
    """``(escalation_deadline, escalation_at)``: the earliest of ``deadlines``, or ``("", None)``."""
    if not deadlines:
        return "", None
    return min(deadlines, key=lambda item: item[1])


def rows_as_stored(rows, times):
    """The tuples of the ``values_list`` query ``rows`` as the database driver gives them, with the
    times (at the indexes ``times``) aware, as Django would make them: the driver gives SQLite's
    as naive datetimes in the connection's time zone, PostgreSQL's aware. For the recompute,
    which reads only texts, keys and times: Django's converters, a call a value, cost it as much
    as its arithmetic."""
    connection = connections[rows.db]
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not django_settings.USE_TZ or connection.features.supports_timezones:
        return found
    zone = connection.timezone
    aware = []
    for row in found:
        row = list(row)
        for index in times:
            if row[index] is not None:
                row[index] = row[index].replace(tzinfo=zone)
        aware.append(row)
    return aware


def escalation_updates(rows, clocks):
    """The write kernel's ``(pk, compared, new)`` for the rows (``pk`` and ``ESCALATION_READS``)
    whose escalation differs from what ``clocks`` (SLA key -> targets, clock) compute."""
    updates = []
    for pk, state, sla_id, created, responded, updated, clock_from, closed, changed_at, stored_at, stored in rows:
        targets, clock = clocks.get(sla_id, NO_SLA)
        deadline, due = escalation_of(
            running_deadlines(
                targets, clock, state, created, responded, updated, clock_from, closed, earliest_only=True
            )
        )
        if due != stored_at or deadline != stored:
            compared = {"state": state, "sla_id": sla_id, "changed_at": changed_at, "escalation_deadline": stored}
            updates.append((pk, compared, {"escalation_at": due, "escalation_deadline": deadline}))
    return updates


def owner_rows(tickets):
    return [(ticket.pk, ticket.customer_id, ticket.customer_user_id) for ticket in tickets]


class TicketQuerySet(VisibilityQuerySet):
    # The writes keep the customers' and customer users' ticket counts (recount_tickets).

    def update(self, **kwargs):
        if not COUNTED_FIELDS & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic():
            rows = list(self.order_by().values_list("pk", "customer_id", "customer_user_id"))
            updated = super().update(**kwargs)
            written = self.model._base_manager.filter(pk__in=[pk for pk, _customer, _user in rows])
            if OWNER_FIELDS & set(kwargs):
                after_rows = list(written.order_by().values_list("pk", "customer_id", "customer_user_id"))
                refuse_strangers((customer, user) for _pk, customer, user in after_rows)
                refuse_moves_to_invalid_owners(rows, after_rows)
                after = {customer for _pk, customer, _user in after_rows}, {user for _pk, _customer, user in after_rows}
            else:
                after = owners_of(written)
            before = {customer for _pk, customer, _user in rows}, {user for _pk, _customer, user in rows}
            recount_tickets(before[0] | after[0], before[1] | after[1])
        return updated

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        refuse_strangers((obj.customer_id, obj.customer_user_id) for obj in objs)
        refuse_moves_to_invalid_owners((), owner_rows(objs))
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            recount_tickets(*owners_of(created))
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if not COUNTED_FIELDS & set(fields):
            return super().bulk_update(objs, fields, *args, **kwargs)
        with transaction.atomic():
            stored = self.model._base_manager.filter(pk__in=[obj.pk for obj in objs])
            stored = list(stored.order_by().values_list("pk", "customer_id", "customer_user_id"))
            if OWNER_FIELDS & set(fields):
                refuse_strangers((obj.customer_id, obj.customer_user_id) for obj in objs)
                refuse_moves_to_invalid_owners(stored, owner_rows(objs))
            before = {customer for _pk, customer, _user in stored}, {user for _pk, _customer, user in stored}
            updated = super().bulk_update(objs, fields, *args, **kwargs)
            after = owners_of(objs)
            recount_tickets(before[0] | after[0], before[1] | after[1])
        return updated

    def delete(self):
        with transaction.atomic():
            owners = owners_of(self)
            deleted = super().delete()
            recount_tickets(*owners)
        return deleted

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def closed(self):
        return self.filter(state__in=CLOSED_STATES)

    def escalated(self, now=None):
        """Tickets past their earliest unmet SLA deadline (only open tickets have one)."""
        # Only open tickets carry an escalation time; the state filter also guards
        # against rows changed by a bare queryset update().
        return self.open().filter(escalation_at__lte=now or timezone.now())

    def reminders_due(self, now=None):
        """``pending reminder`` tickets whose pending time has passed or falls within ``REMINDER_WINDOW``."""
        horizon = (now or timezone.now()) + settings.REMINDER_WINDOW
        return self.filter(state=TicketState.PENDING_REMINDER, pending_until__lte=horizon)

    def recompute_escalations(self, batch_size=RECOMPUTE_BATCH, progress=None):
        """Store fresh escalation times for these tickets, counted in the clocks their SLAs
        use now; returns how many changed. ``progress("check", done, total)`` hears of each batch.

        The tickets' keys are listed once (eight bytes a ticket), in order; then each batch of
        them is read by key in one query (only the clock's inputs), computed in Python (one
        ``WorkingHours`` a calendar, its days cached) and written by the write kernel: only the
        rows whose escalation changes, compare-and-set, each batch in a transaction of its own.
        A batch in which a ticket was saved meanwhile (``save()`` computes its own escalation)
        is read and computed again. Batches by key, not "the next 20,000 open tickets": for that,
        SQLite would read every open ticket left through the state index, a batch at a time.
        """
        clocks = {sla.pk: (sla.targets(), sla.clock) for sla in SLA.objects.select_related("calendar")}
        keys = array("q", sorted(self.order_by().values_list("pk", flat=True)))
        rows = self.model._base_manager.values_list("pk", *ESCALATION_READS)
        fields = [self.model._meta.get_field(name) for name in ESCALATION_READS]
        times = [1 + index for index, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
        checked = changed = 0
        for start in range(0, len(keys), batch_size):
            chunk = keys[start : start + batch_size].tolist()
            for attempt in range(1, RECOMPUTE_ATTEMPTS + 1):
                batch = rows_as_stored(rows.filter(pk__in=chunk), times)
                updates = escalation_updates(batch, clocks)
                before_write.send(sender="recompute")
                try:
                    with transaction.atomic():
                        update_rows(self.model, updates)
                    break
                except RowsMoved:  # a ticket was saved since it was read: read the batch again
                    if attempt == RECOMPUTE_ATTEMPTS:
                        raise
            checked += len(chunk)
            changed += len(updates)
            if progress:
                progress("check", checked, len(keys))
        return changed


class Ticket(models.Model):
    number = models.CharField(_("ticket number"), max_length=50, unique=True, blank=True)
    title = models.CharField(_("title"), max_length=255)
    # The composite indexes below start with these columns, so the foreign keys need none of their own.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer"), db_index=False
    )
    customer_user = models.ForeignKey(
        CustomerUser,
        on_delete=models.PROTECT,
        related_name="tickets",
        null=True,
        blank=True,
        verbose_name=_("customer user"),
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=30, choices=TicketState.choices, default=TicketState.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    sla = models.ForeignKey(
        SLA,
        on_delete=models.PROTECT,
        related_name="tickets",
        null=True,
        blank=True,
        verbose_name=_("SLA"),
        db_index=False,
    )
    pending_until = models.DateTimeField(
        _("pending until"), null=True, blank=True, help_text=_("Required for pending states.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    first_response_at = models.DateTimeField(
        _("first response"), null=True, blank=True, help_text=_("When an agent first responded to the customer.")
    )
    last_update_at = models.DateTimeField(
        _("last update"), null=True, blank=True, help_text=_("When an agent last updated the customer.")
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    # Derived, kept by save(): where the update clock starts (moved forward by
    # time spent pending), when the current pending period began, and the result.
    update_clock_from = models.DateTimeField(null=True, editable=False)
    pending_since = models.DateTimeField(null=True, editable=False)
    escalation_at = models.DateTimeField(_("escalation"), null=True, blank=True, editable=False)
    escalation_deadline = models.CharField(
        _("escalation deadline"), max_length=10, choices=Deadline.choices, blank=True, editable=False
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            # Covers the open/closed counts and counts by priority, without reading the tickets.
            models.Index(fields=["customer", "state", "priority"], name="otrs_ticket_customer_state"),
            # Newest first for one customer (read backwards, also newest id first among equal times).
            models.Index(fields=["customer", "created_at"], name="otrs_ticket_customer_created"),
            models.Index(fields=["customer_user", "created_at"], name="otrs_ticket_cuser_created"),
            # With the state, the escalation counts of a customer read the index alone.
            models.Index(fields=["customer", "escalation_at", "state"], name="otrs_ticket_customer_escal"),
            models.Index(fields=["customer", "state", "pending_until"], name="otrs_ticket_customer_pending"),
            models.Index(fields=["customer_user", "state"], name="otrs_ticket_cuser_state"),
            models.Index(fields=["sla", "state"], name="otrs_ticket_sla_state"),
            models.Index(fields=["-created_at"], name="otrs_ticket_created"),
            # The ticket list's site-wide "escalated" and "reminder due" filters.
            models.Index(fields=["escalation_at"], name="otrs_ticket_escalation"),
            models.Index(fields=["state", "pending_until"], name="otrs_ticket_state_pending"),
        ]

    def __str__(self):
        return f"{isolate_text(self.number)}: {isolate_text(self.title)}"  # see Customer.__str__

    def get_absolute_url(self):
        return reverse("admin:otrs_customer_admin_ticket_change", args=[self.pk])

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        instance._loaded_state = instance.__dict__.get("state")
        instance._loaded_owners = (instance.__dict__.get("customer_id"), instance.__dict__.get("customer_user_id"))
        return instance

    def recount_owners(self):
        """Store the ticket counts of this ticket's customer and customer user, and of its previous ones."""
        old_customer, old_user = getattr(self, "_loaded_owners", (None, None))
        recount_tickets({old_customer, self.customer_id}, {old_user, self.customer_user_id})
        self._loaded_owners = (self.customer_id, self.customer_user_id)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            recount_tickets(*owners_of([self]))
        return result

    @property
    def state_type(self):
        return STATE_TYPES[TicketState(self.state)]

    @property
    def is_open(self):
        return self.state_type in OPEN_STATE_TYPES

    @property
    def is_pending(self):
        return self.state_type in PENDING_STATE_TYPES

    def is_escalated(self, now=None):
        return self.escalation_at is not None and self.escalation_at <= (now or timezone.now())

    def clean(self):
        errors = {}
        if self.is_pending and self.pending_until is None:
            errors["pending_until"] = _("A pending ticket needs a pending time.")
        if self.customer_user_id and self.customer_id and not self.customer_user.works_for(self.customer_id):
            errors["customer_user"] = stranger_message()
        # Inside a transaction (the admin's form), the owners stay locked until the save: a merge
        # cannot retire the customer between this check and the write.
        lock = not transaction.get_autocommit()
        for field_name, model, pk in self.moved_owners():
            record = first_not_valid(model, [pk], lock=lock)
            if record is not None:
                errors.setdefault(field_name, not_valid_message(record))
        if errors:
            raise ValidationError(errors)

    def moved_owners(self, stored=None):
        """``(field name, model, pk)`` of the customer and customer user this ticket would be new at or move to.

        Moved from ``stored``, the (customer id, customer-user id) in the database, or else from
        those it was loaded with.
        """
        if stored is None:
            stored = getattr(self, "_loaded_owners", (None, None)) if self.pk else (None, None)
        old_customer, old_user = stored
        owners = []
        if self.customer_id is not None and (self.pk is None or self.customer_id != old_customer):
            owners.append(("customer", Customer, self.customer_id))
        if self.customer_user_id is not None and (self.pk is None or self.customer_user_id != old_user):
            owners.append(("customer_user", CustomerUser, self.customer_user_id))
        return owners

    def track_state_change(self, previous_state, now):
        """Keep the clocks that depend on state changes: pending pauses, closing."""
        was_pending = previous_state in PENDING_STATES
        if self.update_clock_from is None:
            self.update_clock_from = self.last_update_at or self.created_at
        if self.last_update_at and self.last_update_at > self.update_clock_from:
            self.update_clock_from = self.last_update_at
        if self.is_pending and not was_pending:
            self.pending_since = now
        elif was_pending and not self.is_pending:
            if self.pending_since:
                # The clock resumes now with what it had run before the pause: it restarts
                # where it would have had to start to have run that much by now.
                clock = self.clock
                ran = clock.between(self.update_clock_from, self.pending_since)
                self.update_clock_from = clock.subtract(now, ran)
            self.pending_since = None
        if self.state in CLOSED_STATES and previous_state not in CLOSED_STATES:
            self.closed_at = now
        if not self.is_pending:
            self.pending_until = None

    @property
    def clock(self):
        """The clock its SLA counts in (``SLA.clock``); around the clock without an SLA."""
        return AROUND_THE_CLOCK if self.sla_id is None else self.sla.clock

    def unmet_deadlines(self, earliest_only=False):
        """``(Deadline, when)`` for each SLA target this ticket has not met yet (see
        ``running_deadlines`` for ``earliest_only``)."""
        if self.sla_id is None:
            return []
        return running_deadlines(
            self.sla.targets(),
            self.sla.clock,
            self.state,
            self.created_at,
            self.first_response_at,
            self.last_update_at,
            self.update_clock_from,
            self.closed_at,
            earliest_only=earliest_only,
        )

    def sla_deadlines(self):
        """An ``SLADeadline`` for each target of the ticket's SLA, in the order first response,
        update, solution; the running ones are those of ``unmet_deadlines()``."""
        sla = self.sla
        if sla is None:
            return []
        clock = sla.clock
        running = dict(self.unmet_deadlines())
        targets = (
            (Deadline.FIRST_RESPONSE, sla.first_response_time, self.first_response_at),
            (Deadline.UPDATE, sla.update_time, None),
            (Deadline.SOLUTION, sla.solution_time, self.closed_at),
        )
        deadlines = []
        for deadline, minutes, met_at in targets:
            if not minutes:
                continue
            # First response and solution count from creation; the update clock has no fixed target.
            target = None if deadline == Deadline.UPDATE else deadline_after(clock, self.created_at, minutes)
            if deadline in running:
                deadlines.append(SLADeadline(deadline, minutes, SLADeadline.RUNNING, running[deadline], clock=clock))
            elif met_at is not None:
                deadlines.append(SLADeadline(deadline, minutes, SLADeadline.MET, target, met_at, clock=clock))
            elif self.is_open:  # only the update clock of a pending ticket is unmet and not running
                deadlines.append(SLADeadline(deadline, minutes, SLADeadline.PAUSED, clock=clock))
            else:
                deadlines.append(SLADeadline(deadline, minutes, SLADeadline.STOPPED, target, clock=clock))
        return deadlines

    def is_reminder_due(self, now=None):
        """One ticket's answer to ``Ticket.objects.reminders_due()``."""
        if self.state != TicketState.PENDING_REMINDER or self.pending_until is None:
            return False
        return self.pending_until <= (now or timezone.now()) + settings.REMINDER_WINDOW

    def compute_escalation(self):
        self.escalation_deadline, self.escalation_at = escalation_of(self.unmet_deadlines(earliest_only=True))

    def prepare_for_save(self, now=None):
        """Derive the stored fields; bulk creators call this, ``save()`` does it itself."""
        self.track_state_change(getattr(self, "_loaded_state", None), now or timezone.now())
        self.compute_escalation()

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = kwargs["update_fields"] = self.fields_to_write(update_fields)
        self.prepare_for_save()
        with transaction.atomic():
            stored = self.lock_owners()
            if update_fields is None or OWNER_FIELDS & set(update_fields):
                self.refuse_invalid_owners(stored)
            if self.number:
                super().save(*args, **kwargs)
            else:
                self._save_with_new_number(*args, **kwargs)
            self.recount_owners()
        self._loaded_state = self.state

    @staticmethod
    def fields_to_write(update_fields):
        """``update_fields`` with what save() derives from them, and ``changed_at``."""
        names = set(update_fields)
        if names & CLOCK_INPUTS:
            names |= DERIVED_FIELDS
        return with_changed_at(sorted(names))

    def stored_owners(self):
        """(customer id, customer-user id) as stored now; (None, None) for a new ticket."""
        if self._state.adding:
            return None, None
        row = Ticket._base_manager.filter(pk=self.pk).values_list("customer_id", "customer_user_id").first()
        return row or (None, None)

    def lock_owners(self):
        """Lock the customers and customer users this save touches, before it writes; returns the
        stored owners, read under the lock.

        The merge locks the customers first too: a ticket saved for a customer being merged away
        waits for the merge, and then sees the ticket moved and the customer not valid.
        """
        stored = self.stored_owners()
        loaded = getattr(self, "_loaded_owners", (None, None))
        for index, model in enumerate((Customer, CustomerUser)):
            pks = {stored[index], loaded[index], (self.customer_id, self.customer_user_id)[index]} - {None}
            if pks:
                list(model._base_manager.filter(pk__in=pks).order_by("pk").select_for_update().values_list("pk"))
        return self.stored_owners()

    def refuse_invalid_owners(self, stored):
        """Raise ``ValidationError`` for a customer user who does not work for the customer, and for
        a customer or customer user, new to this ticket, that is not valid."""
        errors = {}
        for field_name, model, pk in self.moved_owners(stored):
            try:
                refuse_invalid_targets(field_name, model, [pk], lock=True)
            except ValidationError as error:
                errors.update(error.message_dict)
        if self.customer_user_id and not self.customer_user.works_for(self.customer_id):
            errors.setdefault("customer_user", [stranger_message()])
        if errors:
            raise ValidationError(errors)

    def _save_with_new_number(self, *args, **kwargs):
        # Numbers are YYYYMMDD plus a counter, as OTRS's date-based generator;
        # a concurrent insert of the same number is retried with the next one.
        for _attempt in range(10):
            self.number = next_ticket_number()
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                if Ticket.objects.filter(number=self.number).exclude(pk=self.pk).exists():
                    continue
                raise
        raise IntegrityError("Could not allocate a ticket number.")


def tickets_to_recompute(sla=None, calendar=None):
    """The open tickets whose deadlines a change of ``sla`` moves (a record, a key, or a list of
    keys), or a change of ``calendar`` (those of the SLAs counting in it); without either, the
    open tickets of every SLA."""
    tickets = Ticket.objects.open()
    if isinstance(sla, list | tuple | set):
        tickets = tickets.filter(sla__in=sla)
    elif sla is not None:
        tickets = tickets.filter(sla=sla)
    if calendar is not None:
        tickets = tickets.filter(sla__calendar=calendar)
    return tickets


def recompute_summary(checked, changed):
    """The sentence the recompute's command and job end with."""
    return ngettext(
        "%(checked)d open ticket checked, %(changed)d with new deadlines.",
        "%(checked)d open tickets checked, %(changed)d with new deadlines.",
        checked,
    ) % {"checked": checked, "changed": changed}


def next_ticket_number(now=None):
    prefix = (now or timezone.localtime()).strftime("%Y%m%d")
    last = (
        Ticket.objects.filter(number__startswith=prefix, number__regex=rf"^{prefix}[0-9]{{8}}$")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    counter = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{counter:08d}"
