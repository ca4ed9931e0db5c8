"""Security headers on pages and downloads (issue 14 point 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.core.test_exports import _start

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    parts = [p.strip() for p in response.headers["Permissions-Policy"].split(",")]
    return dict(p.split("=", 1) for p in parts)


def test_page_and_download_carry_csp_referrer_and_permissions_policy(
    client, township_user, household, django_capture_on_commit_callbacks
):
    client.force_login(township_user)
    page = client.get("/")
    job = _start(client, django_capture_on_commit_callbacks)
    download = client.get(reverse("export-download", args=[job.pk]))
    for response in (page, download):
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert _policy(response)["camera"] == "()"
        assert _policy(response)["microphone"] == "()"


def test_camera_only_on_the_pages_that_take_photos(client, township_user, household):
    client.force_login(township_user)
    photo_page = client.get(reverse("inspections:inspection_create", args=[household.pk]))
    assert photo_page.status_code == 200 and 'capture="environment"' in photo_page.text
    assert _policy(photo_page)["camera"] == "(self)"
    assert _policy(photo_page)["geolocation"] == "(self)"
    record = client.get(reverse("inspections:household", args=[household.pk]))
    assert _policy(record)["camera"] == "()" and _policy(record)["geolocation"] == "()"


def test_pages_hold_no_inline_script_or_style(client, township_user, household):
    """Under the CSP an inline script or style attribute would silently do nothing."""
    client.force_login(township_user)
    for url in ("/", reverse("inspections:inspection_create", args=[household.pk]), "/renovation/"):
        html = client.get(url).text
        assert "<script>" not in html and 'style="' not in html, url
