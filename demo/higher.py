"""The demo's levels above the county (issue 17): the city's targets and one spot check.

Run by `seed_demo` after the workflow data; only while the demo city has no target yet, so a
second run adds nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from demo.county import DEMO_CITY, DEMO_COUNTY, DEMO_COUNTY2, DEMO_PROVINCE, DEMO_TOWNSHIPS
from rectification.models import EntryResult
from rectification.spotcheck import spot_check_draw, spot_check_record
from reports.models import AnnualTarget
from reports.targets import target_set

SPOT_SEED = 20261101


def seed_higher_levels() -> list[str]:
    year = timezone.localdate().year
    if (
        AnnualTarget.objects.unscoped("the demo seeds its own city")
        .filter(area_id=DEMO_CITY[0], year=year)
        .exists()
    ):
        return ["市级演示数据（年度任务、抽查）已存在，未改动。"]
    users = {
        u.username: u for u in User.objects.filter(username__in=["province", "city", "reviewer"])
    }
    if len(users) < 3:
        return ["缺少市、省演示账号，未生成年度任务和抽查。"]
    area = {
        code: Area.objects.get(pk=code) for code in (DEMO_CITY[0], DEMO_COUNTY[0], DEMO_COUNTY2[0])
    }
    with transaction.atomic():
        target_set(by=users["province"], area=area[DEMO_CITY[0]], year=year, renovations=40)
        target_set(by=users["city"], area=area[DEMO_COUNTY[0]], year=year, renovations=30)
        target_set(by=users["city"], area=area[DEMO_COUNTY2[0]], year=year, renovations=6)
        # The county splits its target among its townships, then one adjustment in the year.
        townships = [Area.objects.get(pk=code) for code, _ in DEMO_TOWNSHIPS]
        for township, n in zip(townships, (12, 10, 8), strict=True):
            target_set(by=users["reviewer"], area=township, year=year, renovations=n)
        target_set(
            by=users["city"],
            area=area[DEMO_COUNTY[0]],
            year=year,
            renovations=32,
            reason="动态监测新增2户，追加任务",
        )
        spot = spot_check_draw(
            by=users["city"],
            title=f"{year}年档案资料抽查",
            year=year,
            sample_size=5,
            county=area[DEMO_COUNTY[0]],
            seed=SPOT_SEED,
        )
        first, second = list(spot.entries.order_by("position"))[:2]
        spot_check_record(entry=first, by=users["city"], result=EntryResult.OK, note="档案齐全")
        spot_check_record(
            entry=second,
            by=users["city"],
            result=EntryResult.PROBLEM,
            problem_type="work",
            title="档案资料填写不规范",
            findings=f"市级抽查发现，{second.household.head_name}户档案缺少农户身份证明复印件。",
            measures="补齐身份证明材料并上传一户一档。",
            deadline=timezone.localdate() + dt.timedelta(days=30),
        )
    return [
        f"市级演示：{DEMO_PROVINCE[1]}{DEMO_CITY[1]}下达年度任务（示范县 32 户、邻县 6 户），"
        f"抽查 5 户、发现问题 1 个（已进入示范县整改台账，由{DEMO_CITY[1]}核验销号）。"
    ]
