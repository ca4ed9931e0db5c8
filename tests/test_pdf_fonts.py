"""Every PDF the app makes uses the Simplified Chinese faces only (mainland glyph forms) and
writes addresses without repeating the village."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from renovation.archive import build_archive_pdf
from renovation.models import ProjectStatus as S
from reports.services import monthly_report_draft
from subsidies import services as subsidy_services
from subsidies.services import LineRequest
from tests.rectification.factories import ItemFactory
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project, batch

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# pdffonts names them "ABCDEF+Noto-Sans-CJK-SC-Bold" (subset tag, family, weight).
SC_FACE = re.compile(r"^Noto-?(Sans|Serif)-?CJK-?SC\b", re.IGNORECASE)


def _fonts(content: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    out = subprocess.run(  # noqa: S603
        ["pdffonts", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split()[0] for line in out.splitlines()[2:] if line.strip()}
    return {re.sub(r"^[A-Z]{6}\+", "", name) for name in names}


def _assert_only_sc(content: bytes, tmp_path: Path) -> None:
    assert content.startswith(b"%PDF")
    fonts = _fonts(content, tmp_path)
    assert fonts, "no font embedded"
    assert all(SC_FACE.match(face) for face in fonts), fonts


def _text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(  # noqa: S603
        ["pdftotext", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_every_pdf_template_declares_mainland_chinese():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if "<html" in text and ("pdf" in template.parts or template.stem.endswith("_pdf")):
            assert 'lang="zh-CN"' in text, template


def test_rectification_ledger_pdf(client, official, areas, county_reviewer, tmp_path):
    ItemFactory(area=areas["township"], created_by=county_reviewer, title="危房改造质量问题 A1")
    client.force_login(official)
    response = client.get(reverse("rectification:ledger_pdf"))
    assert response.status_code == 200
    _assert_only_sc(response.content, tmp_path)


def test_letter_and_notice_pdfs(client, township_user, household, tmp_path):
    project = make_project(household, S.APPROVED)
    client.force_login(township_user)
    _assert_only_sc(client.get(f"/renovation/{project.pk}/letter.pdf").content, tmp_path)
    code = household.village.code
    response = client.get(f"/renovation/notice/{code}/notice.pdf?year={project.year}")
    assert response.status_code == 200
    _assert_only_sc(response.content, tmp_path)


def test_archive_pdf_fonts_and_address(township_user, household, tmp_path):
    household.address = f"{household.village.name}七组76号"
    household.save(update_fields=["address"])
    make_project(household, S.UNDER_CONSTRUCTION)
    content = build_archive_pdf(household, township_user)
    _assert_only_sc(content, tmp_path)
    text = "".join(_text(content, tmp_path).split())
    village, township = household.village.name, household.village.parent.name
    assert f"{township}{village}七组76号" in text
    assert f"{village}{village}" not in text


def test_batch_summary_pdf(client, household, county_reviewer, tmp_path):
    b = batch(county_reviewer)
    subsidy_services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[LineRequest(project=accepted_project(household), amount=Decimal("50000"))],
    )
    client.force_login(county_reviewer)
    response = client.get(f"/subsidies/batches/{b.pk}/summary.pdf")
    assert response.status_code == 200
    _assert_only_sc(response.content, tmp_path)


def test_monthly_report_pdf(client, areas, county_reviewer, tmp_path):
    report = monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 1))
    client.force_login(county_reviewer)
    response = client.get(reverse("reports:monthly_pdf", args=[report.pk]))
    assert response.status_code == 200
    _assert_only_sc(response.content, tmp_path)
