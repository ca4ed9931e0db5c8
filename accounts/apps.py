from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "用户与区划"

    def ready(self) -> None:
        # Signal handlers that revoke API tokens when an account changes.
        from accounts import tokens  # noqa: F401
