from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "排查与鉴定"

    def ready(self) -> None:
        from inspections import (
            department_exports,  # noqa: F401 - the departments' exporter
            exports,  # noqa: F401 - registers the ledger exporter
            household_links,  # noqa: F401 - what households needs
        )
