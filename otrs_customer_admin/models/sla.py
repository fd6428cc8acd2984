"""SLAs and their deadlines: the time targets tickets escalate by.

A ticket escalates at the earliest SLA deadline it has not met: first response
(from creation, until an agent responded), update (from the last agent update,
paused while the ticket is pending) and solution (from creation, until the
ticket was first closed). Closed, merged and removed tickets never escalate.
``Ticket`` stores the result in ``escalation_at`` so that "escalated" is an index scan.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..bidi import isolate_text
from ..working_time import AROUND_THE_CLOCK
from .base import (
    FoldedUniqueFields,
    FoldedUniqueFieldsQuerySet,
    Validity,
    folded_key_field,
    unique_ignoring_case,
    validity_constraint,
)


class Deadline(models.TextChoices):
    FIRST_RESPONSE = "response", _("first response")
    UPDATE = "update", _("update")
    SOLUTION = "solution", _("solution")


@dataclass(frozen=True)
class SLADeadline:
    """One target of a ticket's SLA: when it falls due, and whether and when the ticket met it.

    ``status`` is ``RUNNING`` (the clock runs: one of ``unmet_deadlines()``), ``MET`` (first
    response given, ticket closed), ``PAUSED`` (the update clock of a pending ticket) or
    ``STOPPED`` (unmet, and the ticket is no longer open).
    """

    RUNNING = "running"
    MET = "met"
    PAUSED = "paused"
    STOPPED = "stopped"

    deadline: Deadline
    minutes: int
    status: str
    # When the target falls (or fell) due; None while the update clock is paused or stopped.
    due_at: datetime | None = None
    met_at: datetime | None = None
    # The SLA's clock (``working_time``): its calendar's working hours, or around the clock.
    clock: object = field(default=AROUND_THE_CLOCK, compare=False)

    @property
    def label(self):
        return Deadline(self.deadline).label

    def is_overdue(self, now):
        return self.status == self.RUNNING and self.due_at <= now

    @property
    def met_late(self):
        return self.status == self.MET and self.due_at is not None and self.met_at > self.due_at


# A target of more than a year is no service level; counted in working time, a longer one would
# cost every recompute a walk through years of days.
MAX_TARGET_MINUTES = 365 * 24 * 60


def minutes_field(verbose_name, help_text):
    return models.PositiveIntegerField(
        verbose_name, null=True, blank=True, help_text=help_text, validators=[MaxValueValidator(MAX_TARGET_MINUTES)]
    )


class SLA(FoldedUniqueFields, models.Model):
    """Service level agreement: the time targets, in minutes, that tickets escalate by."""

    name = models.CharField(_("name"), max_length=200)
    first_response_time = minutes_field(
        _("first response time"), _("Minutes from creation to the first agent response; empty for no target.")
    )
    update_time = minutes_field(
        _("update time"),
        _("Minutes from the last agent update to the next; paused while pending. Empty for no target."),
    )
    solution_time = minutes_field(
        _("solution time"), _("Minutes from creation until the ticket is closed; empty for no target.")
    )
    calendar = models.ForeignKey(
        "Calendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slas",
        verbose_name=_("calendar"),
        help_text=_("When the clock runs; empty: around the clock."),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    valid = models.PositiveSmallIntegerField(_("valid"), choices=Validity.choices, default=Validity.VALID)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    name_key = folded_key_field("name", 200)

    objects = FoldedUniqueFieldsQuerySet.as_manager()

    TARGET_FIELDS = ("first_response_time", "update_time", "solution_time")
    DEADLINE_FIELDS = (*TARGET_FIELDS, "calendar")
    # The fields an import writes and an export writes (in this order).
    RECORD_FIELDS = ("name", *TARGET_FIELDS, "calendar", "comment", "valid")
    FOLDED_FIELDS = ("name",)

    class Meta:
        verbose_name = _("SLA")
        verbose_name_plural = _("SLAs")
        ordering = ["name"]
        constraints = [
            unique_ignoring_case("otrs_sla", "name", _("An SLA with this name already exists (ignoring case).")),
            validity_constraint("otrs_sla"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def from_db(cls, *args, **kwargs):
        instance = super().from_db(*args, **kwargs)
        # Loaded with some fields deferred (a deletion's collector loads only keys), the targets are not known.
        if all(name in instance.__dict__ for name in (*cls.TARGET_FIELDS, "calendar_id")):
            instance._loaded_inputs = instance.deadline_inputs()
        return instance

    def targets(self):
        """The time targets in minutes: first response, update, solution."""
        return tuple(getattr(self, name) for name in self.TARGET_FIELDS)

    def deadline_inputs(self):
        """What the deadlines of its tickets depend on (``DEADLINE_FIELDS``): the targets, and the
        calendar they count in."""
        return (*self.targets(), self.calendar_id)

    @property
    def clock(self):
        """The ``working_time`` clock its deadlines count in: the calendar's working hours, or
        around the clock without one (or with one whose stored hours cannot be read)."""
        if self.calendar_id is None:
            return AROUND_THE_CLOCK
        try:
            return self.calendar.hours
        except ValidationError:
            # Stored around the calendar's validation (a system check names it): the tickets
            # escalate around the clock rather than never, or with an error page.
            return AROUND_THE_CLOCK

    def clean(self):
        super().clean()
        calendar_changed = getattr(self, "_loaded_inputs", (None,) * 4)[3] != self.calendar_id
        if self.calendar_id and calendar_changed and self.calendar.valid != Validity.VALID:
            raise ValidationError(
                {
                    "calendar": _("%(calendar)s is not valid; choose a valid calendar.")
                    % {"calendar": isolate_text(self.calendar)}
                }
            )

    def moves_deadlines(self):
        """Whether saving it now moves the deadlines of its open tickets (its targets or calendar changed)."""
        return getattr(self, "_loaded_inputs", None) not in (None, self.deadline_inputs())

    def save(self, *args, recompute=True, **kwargs):
        """``recompute=False`` leaves the open tickets' deadlines to the caller (who queues
        ``jobs.start_recompute``, or runs ``recompute_escalations``) when its inputs change."""
        inputs_changed = self.moves_deadlines()
        super().save(*args, **kwargs)
        self._loaded_inputs = self.deadline_inputs()
        if inputs_changed and recompute:
            self.tickets.open().recompute_escalations()
