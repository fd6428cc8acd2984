from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .base import data_source_label


class SyncRun(models.Model):
    """One run of a data source's sync: when, who, how it ended and what it counted.

    A run that is still going holds the source's lock: the database lets only one
    real (not dry) run per source be ``running`` at a time, across processes and machines.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        STOPPED = "stopped", _("stopped by the mass-invalidation guard")
        ABANDONED = "abandoned", _("abandoned (the process ended without finishing)")

    source = models.CharField(_("data source"), max_length=50, db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Updated while the run reads the directory, so that a run whose process died is recognised.
    heartbeat_at = models.DateTimeField(_("last sign of life"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    # {"customers": {"created": 3, ...}, "customer_users": {...}}
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # {"skipped": [{"model": "customer_users", "dn": …, "why": …}, …], "conflicts": […]}: the first
    # entries of each kind (DETAILS_KEPT), so that the admin can say why, not only how many.
    details = models.JSONField(_("details"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(outcome="running", dry_run=False),
                name="otrs_syncrun_one_running_per_source",
            )
        ]
        indexes = [models.Index(fields=["source", "-started_at"], name="otrs_syncrun_source_started")]

    def __str__(self):
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M:%S} ({self.get_outcome_display()})"

    @property
    def source_label(self):
        return data_source_label(self.source)

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None

    def count(self, model_key, word):
        return self.counts.get(model_key, {}).get(word, 0)
