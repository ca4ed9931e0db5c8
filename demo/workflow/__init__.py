"""Workflow data for the demo county (`seed_demo`): what a county holds after most of a year.

Appraisals, renovation projects left at every step, a paid payout batch, a rectification
campaign, then the overdue scan, the self-check and this month's report. Everything is written
through the apps' service functions, each call by the demo account whose role takes that step
in real use (the village clerk applies, the township reviews, the county approves), so the
same checks, database triggers and audit history apply as on the pages: nothing here sets a
status field. Each call is its own audit context naming the acting user and the command.

Dates count back from today (`timezone.localdate()`), and services that compare a date with
today are given `today=`, so the seed works on any day. Files are tiny JPEG and PDF documents
made here; they pass the same upload checks as a user's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from core.audit import acting_as
from demo.county import DEMO_COUNTY, DEMO_USERS
from demo.workflow.common import COMMAND, act
from demo.workflow.ledger import seed_rectification
from demo.workflow.projects import ProjectSeeder
from rectification import services as rectification
from rectification.models import ItemStatus
from renovation.models import ProjectStatus, RenovationProject
from reports.services import alerts_scan, monthly_report_draft

S = ProjectStatus


@dataclass
class WorkflowResult:
    skipped: str = ""  # why nothing was created
    appraisals: int = 0
    projects: Counter = field(default_factory=Counter)  # status → count
    batch_number: str = ""
    paid_lines: int = 0
    paid_total: Decimal = Decimal("0")
    accepted_unpaid: int = 0
    items: Counter = field(default_factory=Counter)  # rectification item status → count
    alerts: str = ""
    selfcheck: str = ""
    report_month: dt.date | None = None

    def lines(self) -> list[str]:
        if self.skipped:
            return [self.skipped]
        statuses = "、".join(
            f"{S(s).label} {n}" for s, n in sorted(self.projects.items(), key=_status_order)
        )
        items = "、".join(
            f"{label} {self.items[value]}"
            for value, label in ItemStatus.choices
            if self.items.get(value)
        )
        return [
            f"业务流程演示数据：鉴定 {self.appraisals} 户；"
            f"改造项目 {sum(self.projects.values())} 个（{statuses}）。",
            f"拨付批次 {self.batch_number} 已拨付 {self.paid_lines} 户，"
            f"合计 {self.paid_total:,.2f} 元；另有 {self.accepted_unpaid} 个已验收项目待拨付。",
            f"整改批次 1 个，整改问题 {sum(self.items.values())} 项（{items}）。",
            f"超期预警：{self.alerts}。自查：{self.selfcheck}"
            f"{self.report_month:%Y年%m月}月报已生成。",
        ]


_ORDER = list(S.values)


def _status_order(pair) -> int:
    return _ORDER.index(pair[0])


def demo_users() -> dict[str, User] | str:
    """The demo accounts by user name, or why the workflow cannot be seeded with them."""
    users = {
        u.username: u
        for u in User.objects.select_related("area").filter(
            username__in=[row[0] for row in DEMO_USERS]
        )
    }
    for username, role, area_code, _ in DEMO_USERS:
        user = users.get(username)
        if user is None or not user.is_active or user.role != role or user.area_id != area_code:
            return f"演示账号 {username} 不存在或其角色、区划已被修改，跳过业务流程演示数据。"
    return users


def seed_workflow(*, today: dt.date | None = None) -> WorkflowResult:
    """Seed the demo county's workflow once; skipped when the county has projects already.

    Appraisals, projects, the payout batch and the rectification ledger are one transaction:
    a failure leaves none of them. The scans then run on what was committed.
    """
    today = today or timezone.localdate()
    county = Area.objects.get(pk=DEMO_COUNTY[0])
    projects = RenovationProject.objects.filter(household__county_code=county.code[:6])
    if projects.exists():
        return WorkflowResult(
            skipped="演示县已有改造项目，跳过业务流程演示数据（未新增任何记录）。"
        )
    users = demo_users()
    if isinstance(users, str):
        return WorkflowResult(skipped=users)
    reviewer = users["reviewer"]
    result = WorkflowResult()
    with transaction.atomic():
        seeder = ProjectSeeder(county, users, today, result)
        seeder.run()
        result.items = seed_rectification(
            county=county, reviewer=reviewer, staff=seeder.staff, today=today
        )
    result.projects = Counter(projects.values_list("status", flat=True))
    # The nightly jobs, once, on the data just committed (each is idempotent on its own).
    with acting_as(None, command=COMMAND):
        result.alerts = alerts_scan(today=today).summary
    result.selfcheck = act(rectification.selfcheck_run, by=reviewer, today=today).summary
    with acting_as(None, command=COMMAND):
        result.report_month = monthly_report_draft(county=county, month=today).month
    return result
