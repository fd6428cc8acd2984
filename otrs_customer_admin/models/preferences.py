from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WidgetPreference(models.Model):
    """One admin user's own detail-view screen: which widgets, in which order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    screen = models.CharField(_("screen"), max_length=50)
    widgets = models.JSONField(_("widgets"), default=list, help_text=_("Keys of the visible widgets, in order."))
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("widget preference")
        verbose_name_plural = _("widget preferences")
        constraints = [models.UniqueConstraint(fields=["user", "screen"], name="otrs_widgetpref_user_screen")]

    def __str__(self):
        return f"{self.user} / {self.screen}"
