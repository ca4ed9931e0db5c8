"""Without the CJK font or HarfBuzz subsetting the app says so at start-up and on PDF pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from core import pdf


@pytest.fixture
def bare_machine(monkeypatch):
    """A machine without fonts-noto-cjk and libharfbuzz-subset0."""
    monkeypatch.setattr(pdf, "_cjk_families", lambda: {"DejaVu Sans"})
    monkeypatch.setattr(pdf.ctypes.util, "find_library", lambda name: None)
    pdf.pdf_environment_problems.cache_clear()
    yield
    pdf.pdf_environment_problems.cache_clear()


def test_this_machine_has_what_pdfs_need():
    pdf.pdf_environment_problems.cache_clear()
    assert pdf.pdf_environment_problems() == ()


def test_start_up_check_warns_and_says_what_to_install(bare_machine):
    err = io.StringIO()
    call_command("check", stderr=err, stdout=io.StringIO())
    text = err.getvalue()
    assert "anju.W001" in text
    assert "Noto Sans CJK SC" in text and "libharfbuzz-subset0" in text
    assert "apt-get install -y fonts-noto-cjk libharfbuzz-subset0" in text


def test_archive_page_warns_on_a_bare_machine(bare_machine, client, township_user, household):
    client.force_login(township_user)
    page = client.get(reverse("renovation:archive", args=[household.pk])).content.decode()
    assert 'id="pdf-warning"' in page and "汉字会显示为方框" in page


def test_archive_page_is_quiet_when_all_is_installed(client, township_user, household):
    pdf.pdf_environment_problems.cache_clear()
    client.force_login(township_user)
    page = client.get(reverse("renovation:archive", args=[household.pk])).content.decode()
    assert 'id="pdf-warning"' not in page
