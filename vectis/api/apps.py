from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vectis.api"
    label = "api"
    verbose_name = "API machinery"

    def ready(self) -> None:
        # Registers the drf-spectacular extension for our authentication class.
        from vectis.api import schema  # noqa: F401
