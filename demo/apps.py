from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county and synthetic load-test data (`seed_demo`, `generate_synthetic`)."""

    name = "demo"
    verbose_name = "演示数据"
