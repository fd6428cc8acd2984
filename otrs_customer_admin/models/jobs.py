"""Background jobs (imports, exports, syncs) and the saved import/export profiles.

A ``Job`` is what a user started and sees on its page: what it does, where it is, how it ended.
The worker runs it (``otrs_customer_admin.jobs``); while it writes, its progress and its Cancel
travel through a small file in the job storage instead of this row, so that they move even while
the write holds SQLite's lock (see ``jobs.channel``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The jobs ``user`` sees: their own; a superuser's, everyone's."""
        if user is None or user.is_superuser:
            return self
        return self.filter(user=user) if user.pk else self.none()


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        SYNC = "sync", _("sync")
        RECOMPUTE = "recompute", _("deadline recompute")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    FINISHED = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The model imported or exported, as "app_label.model_name"; empty for a sync.
    model = models.CharField(_("model"), max_length=100, blank=True)
    # An import that only checks and previews (the first step), or one that writes.
    preview = models.BooleanField(_("preview only"), default=False)
    # The confirm of a preview: the write of the same upload, refused if the data moved since.
    confirms = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="confirmed_by",
        verbose_name=_("confirms"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    # The upload, as a name in the job storage, and the name the user's file had.
    input_file = models.CharField(_("uploaded file"), max_length=300, blank=True)
    input_name = models.CharField(_("file name"), max_length=255, blank=True)
    # What the job was asked: the format, the defaults, the column mapping, the export's columns
    # and filters, the data source of a sync.
    options = models.JSONField(_("options"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    rows_read = models.PositiveBigIntegerField(_("rows read"), default=0)
    rows_checked = models.PositiveBigIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveBigIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # {"rows", "created", "updated", "unchanged", "problems": [{"line", "column", "message"}],
    #  "more_problems", "warnings", "preview": [...]} for an import; {"rows"} for an export;
    # the sync's counts for a sync.
    report = models.JSONField(_("report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # An export's file, as a name in the job storage, the name it downloads as, and when it goes.
    result_file = models.CharField(_("result file"), max_length=300, blank=True)
    result_name = models.CharField(_("result name"), max_length=255, blank=True)
    result_expires_at = models.DateTimeField(_("result expires"), null=True, blank=True)
    # The task backend's id of the task running this job.
    task_id = models.CharField(_("task id"), max_length=100, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="otrs_job_user_created")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def finished(self):
        return self.state in self.FINISHED

    @property
    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model) if self.model else None


class ImportExportProfile(models.Model):
    """A named, reusable choice for an import or an export of one model.

    For an import: ``columns`` maps a file's headers to fields (``{"Firma": "name", "Notiz": ""}``, an
    empty field ignores the column) and ``defaults`` holds the import form's defaults
    (``default_country``, ``default_customer``). For an export: ``columns`` lists the exported
    columns in their order (``["customer_id", "name", "DynamicField_Region"]``).
    """

    class Direction(models.TextChoices):
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")

    name = models.CharField(_("name"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    defaults = models.JSONField(_("defaults"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("import/export profile")
        verbose_name_plural = _("import/export profiles")
        ordering = ["model", "direction", "name"]
        constraints = [
            models.UniqueConstraint(fields=["model", "direction", "name"], name="otrs_profile_unique_name"),
        ]

    def __str__(self):
        return self.name
