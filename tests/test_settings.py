"""Production settings: `check --deploy` is clean, and a missing secret stops the start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent

# Everything the settings read that a test run may have set (settings_test and conftest set
# some of them in os.environ): the child process starts from production defaults.
SETTINGS_ENV = {
    "ALLOWED_HOSTS",
    "ANJU_TESTING",
    "BEHIND_TLS_PROXY",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "FIELD_ENCRYPTION_KEYS",
    "SEARCH_HASH_KEY",
    "SECRET_KEY",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
}


def _database_url() -> str:
    """The database the tests use, as a URL (HOST may be the embedded server's socket dir)."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}" if password else user
    host = quote(db.get("HOST") or "localhost", safe="")
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SEARCH_HASH_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS="anju.example.gov.cn",
        DATABASE_URL=_database_url(),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_deploy_check_is_clean_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("name", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SEARCH_HASH_KEY"])
def test_missing_secret_is_a_clear_startup_error(name):
    result = _manage("check", env=_production_env(**{name: None}))

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} is not set" in result.stderr


def test_missing_database_url_is_a_startup_error_in_production():
    result = _manage("check", env=_production_env(DATABASE_URL=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stderr


def test_language_and_time_zone_are_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_static_files_collect_with_the_production_manifest_storage(tmp_path, settings):
    """Every vendored asset resolves under the hashed-name storage (a dangling reference, such
    as a source map that is not shipped, would stop a production deploy)."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    # The `settings` fixture's change signal resets the storage to the overridden backend.
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = staticfiles_storage.url("vendor/chartjs/chart.umd.min.js")
    assert hashed.startswith("/static/vendor/chartjs/chart.umd.min.")
    assert hashed != "/static/vendor/chartjs/chart.umd.min.js"
