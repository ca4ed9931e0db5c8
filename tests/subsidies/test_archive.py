"""一户一档: the payout voucher item, filled from the payout batches of the project."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from renovation.archive import build_archive, build_archive_pdf
from renovation.models import ProjectStatus as S
from subsidies import services
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project
from tests.renovation.test_documents import pdf_text
from tests.subsidies.factories import accepted_project, batch

LABEL = "补助资金拨付凭证"


def _item(household, user):
    [project] = build_archive(household, user).projects
    return next(i for i in project.items if i.label == LABEL), project


def _paid_batch(project, reviewer, approver, *, amount, voucher=True, number=None):
    b = batch(reviewer, number=number)
    services.batch_add_lines(
        batch=b, by=reviewer, items=[services.LineRequest(project, Decimal(amount))]
    )
    services.batch_submit(batch=b, by=reviewer)
    file = upload("凭证.jpg", jpeg_bytes()) if voucher else None
    if voucher:
        return services.batch_pay(batch=b, by=approver, paid_on=dt.date(2026, 12, 5), voucher=file)
    return b


@pytest.fixture
def project(household):
    return accepted_project(household, amount=Decimal("50000.00"))


def test_paid_with_voucher_is_filed_with_amount_and_voucher_for_the_county(
    household, project, county_reviewer, county_approver
):
    b = _paid_batch(project, county_reviewer, county_approver, amount="30000.00")
    item, archive = _item(household, county_reviewer)
    assert item.present and not item.pending
    assert item.when == dt.date(2026, 12, 5)
    assert f"{b.number} 2026-12-05 拨付 30,000.00 元" in item.detail
    assert item.url == reverse("subsidies:batch_voucher", args=[b.pk])
    assert [caption for _, caption in item.images] == [f"拨付凭证 {b.number}"]
    assert LABEL not in archive.missing


def test_township_user_sees_the_payment_but_not_the_county_batch_voucher(
    household, project, county_reviewer, county_approver, township_user, client
):
    _paid_batch(project, county_reviewer, county_approver, amount="50000.00")
    item, _ = _item(household, township_user)
    assert item.present and "拨付 50,000.00 元" in item.detail
    assert item.url == "" and item.images == []
    client.force_login(township_user)
    page = client.get(reverse("renovation:archive", args=[household.pk])).content.decode()
    assert "拨付 50,000.00 元" in page and "/voucher/" not in page


def test_accepted_but_unpaid_is_missing(household, project, county_reviewer):
    item, archive = _item(household, county_reviewer)
    assert not item.present and not item.pending and item.detail == "尚未拨付"
    assert LABEL in archive.missing


def test_a_line_not_yet_paid_is_named_and_does_not_count(
    household, project, county_reviewer, county_approver
):
    b = _paid_batch(project, county_reviewer, county_approver, amount="20000.00", voucher=False)
    item, archive = _item(household, county_reviewer)
    assert not item.present and f"{b.number} 待拨付 20,000.00 元" in item.detail
    assert LABEL in archive.missing


def test_before_acceptance_the_payout_is_not_yet_due(household, county_reviewer):
    make_project(household, S.UNDER_CONSTRUCTION)
    item, archive = _item(household, county_reviewer)
    assert item.pending and not item.present and LABEL not in archive.missing


def _pdf_images(content: bytes, tmp_path) -> int:
    path = tmp_path / "archive.pdf"
    path.write_bytes(content)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.splitlines()[2:])  # two header lines, then one line per image


def test_archive_pdf_embeds_the_voucher_image_for_the_county_only(
    household, project, county_reviewer, county_approver, township_user, tmp_path
):
    _paid_batch(project, county_reviewer, county_approver, amount="50000.00")
    county_copy = build_archive_pdf(household, county_reviewer)
    township_copy = build_archive_pdf(household, township_user)
    assert "拨付 50,000.00 元" in pdf_text(county_copy, tmp_path)
    assert "拨付 50,000.00 元" in pdf_text(township_copy, tmp_path)
    # The batch voucher is the one image the two copies differ by.
    assert _pdf_images(county_copy, tmp_path) == _pdf_images(township_copy, tmp_path) + 1
