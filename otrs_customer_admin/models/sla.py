"""SLAs and their deadlines: the time targets tickets escalate by.

A ticket escalates at the earliest SLA deadline it has not met: first response
(from creation, until an agent responded), update (from the last agent update,
paused while the ticket is pending) and solution (from creation, until the
ticket was first closed). Closed, merged and removed tickets never escalate.
``Ticket`` stores the result in ``escalation_at`` so that "escalated" is an index scan.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    @property
    def label(self):
        return Deadline(self.deadline).label

    def is_overdue(self, now):
        return self.status == self.RUNNING and self.due_at <= now

    @property
    def met_late(self):
        return self.status == self.MET and self.due_at is not None and self.met_at > self.due_at


def minutes_field(verbose_name, help_text):
    return models.PositiveIntegerField(verbose_name, null=True, blank=True, help_text=help_text)


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
        if all(name in instance.__dict__ for name in cls.TARGET_FIELDS):
            instance._loaded_targets = instance.targets()
        return instance

    def targets(self):
        return tuple(getattr(self, name) for name in self.TARGET_FIELDS)

    def save(self, *args, **kwargs):
        targets_changed = getattr(self, "_loaded_targets", None) not in (None, self.targets())
        super().save(*args, **kwargs)
        self._loaded_targets = self.targets()
        if targets_changed:
            self.tickets.open().recompute_escalations()
