"""Accepted projects and payout batches, built directly in the wanted state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Area
from renovation.models import ProjectStatus
from subsidies.models import BatchStatus, FundAllocation, FundingSource, FundLevel, PayoutBatch
from tests.inspections.factories import pdf_bytes, upload
from tests.renovation.factories import make_project

S = ProjectStatus
COUNTY = "141124000000"


def accepted_project(
    household,
    *,
    accepted_on=dt.date(2026, 11, 25),
    amount=Decimal("50000.00"),
    status=S.ACCEPTED,
    year=2026,
    **fields,
):
    """A project that passed acceptance on `accepted_on` (document 004: 25 Nov)."""
    completed = min(accepted_on, dt.date(year, 11, 20)) if accepted_on else None
    values = {
        "year": year,
        "started_on": completed - dt.timedelta(days=60) if completed else dt.date(year, 4, 1),
        "approved_amount": amount,
        "completed_on": completed,
        "accepted_on": accepted_on,
        **fields,
    }
    if status == S.CLOSED:
        values.setdefault("closed_on", accepted_on)
    return make_project(household, status, **values)


def allocation(by, *, amount=Decimal("10000000.00"), level=FundLevel.CENTRAL, **fields):
    """A fund allocation (资金指标) of the test county, large enough unless told otherwise."""
    values = {
        "county": Area.objects.get(pk=COUNTY),
        "document_number": f"晋财建〔2026〕{FundAllocation.objects.count() + 1}号",
        "issued_on": dt.date(2026, 3, 1),
        "level": level,
        "year": 2026,
        "amount": amount,
        "created_by": by,
        **fields,
    }
    return FundAllocation.objects.create(**values)


def batch(by, *, status=BatchStatus.DRAFTED, number=None, **fields) -> PayoutBatch:
    if "allocation" not in fields:
        fields["allocation"] = allocation(by)
    values = {
        "county": Area.objects.get(pk=COUNTY),
        "number": number or f"T-{PayoutBatch.objects.count() + 1:03d}",
        "title": "2026年第一批危房改造补助",
        "batch_date": dt.date(2026, 12, 1),
        "funding_source": FundingSource.CENTRAL,
        "status": status,
        "created_by": by,
        **fields,
    }
    return PayoutBatch.objects.create(**values)


def voucher():
    return upload("voucher.pdf", pdf_bytes(), "application/pdf")
