"""Writes of the reports app: the overdue scan and the monthly report's life cycle."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from core.audit import attributed
from core.db import reading_replica
from core.errors import DomainError, RoleRefused
from core.locking import lock_for_update
from reports.deadlines import FINDERS, Overdue
from reports.models import (
    ALERT_ROLE_TYPES,
    Alert,
    AlertStatus,
    MonthlyReport,
    MonthlyReportRow,
    RowStatus,
)
from reports.selectors import area_target, rank_rows, total_figures, township_figures

logger = logging.getLogger(__name__)

# One scan at a time (a beat run and a manual run may overlap): a transaction-level lock.
_SCAN_LOCK = 0x616E6A75_01


@dataclass
class ScanResult:
    opened: int
    closed: int
    still_open: int

    @property
    def summary(self) -> str:
        return f"新增 {self.opened}，解除 {self.closed}，仍未解除 {self.still_open}"


def alerts_scan(*, today: dt.date | None = None) -> ScanResult:
    """Open an alert for each overdue object, refresh the open ones, close what cleared.

    Safe to run twice: an open alert is found again by (type, object key), never duplicated
    (and the database refuses a second open alert for the same pair).
    """
    today = today or timezone.localdate()
    now = timezone.now()
    found: dict[tuple[str, str], Overdue] = {}
    for finder in FINDERS.values():
        for fact in finder(today):
            found.setdefault((fact.type, fact.object_key), fact)

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCAN_LOCK])
        # The scan is the one writer of alerts, serialised by the advisory lock above; it waits
        # for a row another scan holds (no NOWAIT, no skip_locked: a skipped open alert would
        # be opened twice).
        open_alerts = {
            (a.type, a.object_key): a
            for a in Alert.objects.select_for_update().filter(status=AlertStatus.OPEN)
        }
        new, refreshed, closed = [], [], []
        for key, fact in found.items():
            alert = open_alerts.get(key)
            if alert is None:
                new.append(
                    Alert(
                        type=fact.type,
                        object_key=fact.object_key,
                        object_label=fact.object_label[:200],
                        url=fact.url[:200],
                        area_id=fact.area_id,
                        due_on=fact.due_on,
                        days_overdue=fact.days_overdue(today),
                        opened_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                alert.due_on = fact.due_on
                alert.days_overdue = fact.days_overdue(today)
                alert.area_id = fact.area_id
                alert.object_label = fact.object_label[:200]
                alert.last_seen_at = now
                refreshed.append(alert)
        for key, alert in open_alerts.items():
            if key not in found:
                alert.status = AlertStatus.CLOSED
                alert.closed_at = now
                closed.append(alert)
        created = Alert.objects.bulk_create(new, batch_size=500)
        Alert.objects.bulk_update(
            refreshed,
            ["due_on", "days_overdue", "area", "object_label", "last_seen_at"],
            batch_size=500,
        )
        Alert.objects.bulk_update(closed, ["status", "closed_at"], batch_size=500)
        ids = [a.pk for a in created]
        # E-mail only once the alerts exist for good; a rolled-back scan mails nobody.
        transaction.on_commit(lambda: alerts_notify(alert_ids=ids))
    return ScanResult(opened=len(created), closed=len(closed), still_open=len(refreshed))


def alert_recipients(alert: Alert) -> list[str]:
    """E-mail addresses of the active users who answer for `alert` (the same rule as the
    bell: `AlertQuerySet.responsible`), in the alert's area and above."""
    area = alert.area
    codes = [area.county_code]
    if area.level != AreaLevel.COUNTY:
        codes.append(area.township_code)
    if area.level == AreaLevel.VILLAGE:
        codes.append(area.code)
    condition = Q()
    for role, types in ALERT_ROLE_TYPES.items():
        if types is None or alert.type in types:
            condition |= Q(role=role, area_id__in=codes)
    # Each role sits at one level of area (accounts.models.ROLE_AREA_LEVEL), so a role and an
    # area code of the alert's chain select exactly the users who answer for it.
    users = User.objects.filter(condition, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def alerts_notify(*, alert_ids: list[int]) -> int:
    """One e-mail per new alert to the people responsible for its area; returns mails sent."""
    sent = 0
    alerts = Alert.objects.filter(pk__in=alert_ids, status=AlertStatus.OPEN).select_related("area")
    for alert in alerts:
        recipients = alert_recipients(alert)
        if not recipients:
            continue
        body = (
            f"{alert.get_type_display()}\n"
            f"对象：{alert.object_label}\n"
            f"区划：{alert.area.name}\n"
            f"期限：{alert.due_on:%Y-%m-%d}（已超期 {alert.days_overdue} 天）\n\n"
            "请登录安居系统处理；问题解决后预警将在下次核查时自动解除。"
        )
        try:
            send_mail(
                f"【安居】超期预警：{alert.get_type_display()}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
            sent += 1
        except OSError:
            # The alert stays visible in the app; a mail server outage must not undo the scan.
            logger.exception("alert mail %s failed", alert.pk)
    return sent


# ---- Monthly report ----------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def monthly_report_draft(*, county: Area, month: dt.date) -> MonthlyReport:
    """Create or refresh the county's report for `month`; submitted rows stay frozen."""

    if county.level != AreaLevel.COUNTY:
        raise DomainError("月报按县生成。")
    month = month_start(month)
    now = timezone.now()
    # The county-wide counts are the heavy part: read from the replica when there is one,
    # before the transaction (inside it every read is the primary's).
    with reading_replica():
        figures = township_figures(county, month)
    with transaction.atomic():
        report, _ = MonthlyReport.objects.get_or_create(county=county, month=month)
        # Waits (no NOWAIT): the beat task and the county's "refresh now" compute the same
        # figures, so the second one simply refreshes again after the first.
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        townships = list(Area.objects.filter(parent=county, level=AreaLevel.TOWNSHIP))
        for township in townships:
            row, _ = MonthlyReportRow.objects.get_or_create(report=report, area=township)
            if row.is_frozen:
                continue
            for name, value in figures.get(township.code, {}).items():
                setattr(row, name, value)
            row.computed_at = now
            row.save()
        rows = list(report.rows.filter(is_total=False).order_by("area_id"))
        for row, rank in rank_rows(rows):
            if row.rank != rank:
                # The ranking is the county's, so it moves even on a submitted (frozen) row.
                MonthlyReportRow.objects.filter(pk=row.pk).update(rank=rank)
                row.rank = rank
        total, _ = MonthlyReportRow.objects.get_or_create(
            report=report, area=county, defaults={"is_total": True}
        )
        for name, value in total_figures(rows).items():
            setattr(total, name, value)
        own = area_target(county, month.year)
        if own is not None:  # what the city assigned, not the sum of what the county split
            total.target = own
        total.is_total = True
        total.computed_at = now
        total.save()
        report.save(update_fields=["refreshed_at"])
    return report


@attributed
def monthly_report_submit(*, row: MonthlyReportRow, by: User) -> MonthlyReportRow:
    """A township submits (报送) its row: the figures freeze.

    After the 25th a submission is still accepted (a late report is better than none) but
    flagged as late, which the county sees in the report.
    """
    with transaction.atomic():
        row = lock_for_update(
            MonthlyReportRow.objects.unscoped("re-lock of a held row"), row.pk, related=("report",)
        )
        if row.is_total:
            raise DomainError("全县合计行不需要报送。")
        if by.role != Role.TOWNSHIP_STAFF or by.area_id != row.area_id:
            raise DomainError("只有本乡镇工作人员可以报送本乡镇月报。")
        if row.is_frozen:
            raise DomainError("本月数据已报送，如需修改请联系县住建局退回。")
        row.status = RowStatus.SUBMITTED
        row.submitted_by = by
        row.submitted_at = timezone.now()
        row.late = timezone.localdate() > row.report.submission_due
        row.save()
    return row


@attributed
def monthly_report_reopen(*, row: MonthlyReportRow, by: User) -> MonthlyReportRow:
    """The county sends a submitted row back (退回): it is refreshed by the next draft."""
    with transaction.atomic():
        row = lock_for_update(
            MonthlyReportRow.objects.unscoped("re-lock of a held row"), row.pk, related=("report",)
        )
        if by.role != Role.COUNTY_REVIEWER or by.area_id != row.report.county_id:
            raise DomainError("只有县住建局审核员可以退回月报。")
        if not row.is_frozen:
            raise DomainError("该乡镇尚未报送，无需退回。")
        row.status = RowStatus.DRAFT
        row.submitted_by = None
        row.submitted_at = None
        row.late = False
        row.reopen_count += 1
        row.save()
        # A row sent back un-sends the county's report: the city sees it is being corrected.
        MonthlyReport.objects.unscoped("the report of a held row").filter(pk=row.report_id).update(
            sent_at=None, sent_by=None
        )
    return row


@attributed
def monthly_report_send(*, report: MonthlyReport, by: User) -> MonthlyReport:
    """县报市: the county sends its report to the city once every township has submitted."""
    with transaction.atomic():
        locked = lock_for_update(
            MonthlyReport.objects.unscoped("re-lock of a held report"),
            report.pk,
            related=("county",),
        )
        if by.role != Role.COUNTY_REVIEWER or by.area_id != locked.county_id:
            raise RoleRefused("只有本县住建局审核员可以向市级报送月报。")
        if locked.sent_at is not None:
            raise DomainError("本月月报已报送市级。")
        waiting = locked.rows.filter(is_total=False).exclude(status=RowStatus.SUBMITTED)
        names = list(waiting.values_list("area__name", flat=True)[:5])
        if names:
            raise DomainError(f"还有乡镇未报送（{'、'.join(names)}），全部报送后才能报送市级。")
        locked.sent_at = timezone.now()
        locked.sent_by = by
        locked.save(update_fields=["sent_at", "sent_by", "refreshed_at"])
    return locked
