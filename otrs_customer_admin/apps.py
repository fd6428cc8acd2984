from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OtrsCustomerAdminConfig(AppConfig):
    name = "otrs_customer_admin"
    verbose_name = _("Customer management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib import admin

        from . import checks  # noqa: F401  (registers the system checks)
        from .admin.sites import register
        from .widgets import builtin  # noqa: F401  (registers the built-in widgets)

        register(admin.site)
