from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "补助资金"

    def ready(self) -> None:
        from subsidies import (
            exports,  # noqa: F401 - registers the payout list exporter
            roster,  # noqa: F401 - registers the 一卡通 roster exporter
        )
