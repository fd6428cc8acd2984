from django.utils.translation import gettext_lazy as _

from .base import DataSource


class DatabaseSource(DataSource):
    """The site's own database: writable, nothing to sync."""

    default_label = _("Database")
