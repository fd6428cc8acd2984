from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "example_project.demo"
    label = "example_demo"
    verbose_name = "Example site extras"
