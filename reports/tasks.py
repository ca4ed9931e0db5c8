from celery import shared_task
from django.db import OperationalError

from accounts.models import Area, AreaLevel
from core.audit import acting_as
from reports.services import alerts_scan, monthly_report_draft


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def scan_overdue() -> str:
    """Daily overdue scan; safe to run twice (open alerts are matched, never duplicated)."""

    with acting_as(None, command="scan_overdue"):
        return alerts_scan().summary


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def draft_monthly_reports(month: str | None = None) -> list[int]:
    """Draft (or refresh) this month's report of every county; submitted rows stay frozen."""
    import datetime as dt

    from django.utils import timezone

    day = dt.date.fromisoformat(month) if month else timezone.localdate()
    with acting_as(None, command="draft_monthly_reports"):
        return [
            monthly_report_draft(county=county, month=day).pk
            for county in Area.objects.filter(level=AreaLevel.COUNTY)
        ]
