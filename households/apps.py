from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "农户"

    def ready(self) -> None:
        from households import exports  # noqa: F401 - registers exporters
