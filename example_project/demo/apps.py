from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "example_project.demo"
    label = "example_demo"
    verbose_name = _("Example site extras")
