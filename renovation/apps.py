from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = "危房改造"

    def ready(self) -> None:
        from renovation import (
            exports,  # noqa: F401 - registers the exporters
            household_links,  # noqa: F401 - the household page's renovation panel
            national,  # noqa: F401 - registers the national record exporter
        )
