from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = "问题整改"

    def ready(self):
        # The self-check rules register themselves (and their labels) on import.
        from rectification import photo_checks, selfcheck  # noqa: F401
