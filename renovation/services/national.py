"""开工一户、填报一户: recording when each stage of a project was entered in the national
renovation information system (issue 15 point 9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Min

from accounts.models import Role, User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_all_for_update
from core.rules import require_role
from renovation.models import NationalEntry, NationalStage, RenovationProject
from renovation.services._common import CONFLICT_MESSAGE, BatchRefused, _date
from subsidies.models import LineStatus, PayoutLine

NATIONAL_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})


def paid_on(project: RenovationProject) -> dt.date | None:
    """The first day the finance bureau paid a line of the project (its batch's date)."""

    return (
        PayoutLine.objects.unscoped("of the held project")
        .filter(project=project, status=LineStatus.PAID)
        .aggregate(d=Min("batch__paid_on"))["d"]
    )


def stage_date(project: RenovationProject, stage: str) -> dt.date | None:
    if stage == NationalStage.STARTED:
        return project.started_on
    if stage == NationalStage.COMPLETED:
        return project.completed_on
    if stage == NationalStage.ACCEPTED:
        return project.accepted_on
    return paid_on(project)


@attributed
def national_entries_record(
    *,
    projects: Sequence[RenovationProject],
    by: User,
    stage: str,
    entered_on: dt.date,
    today: dt.date | None = None,
) -> list[NationalEntry]:
    """The projects' `stage` was entered in the national system on `entered_on`: all of
    them or none, with a reason per refused project."""
    require_role(by, NATIONAL_ROLES, "登记国家系统录入")
    if stage not in NationalStage.values:
        raise DomainError("请选择阶段（开工、竣工、验收、拨付）。")
    _date(entered_on, "录入国家系统日期", today)
    if not projects:
        raise DomainError("请至少选择一个项目。")
    label = NationalStage(stage).label
    errors: dict[int, str] = {}
    created = []
    with transaction.atomic():
        visible = RenovationProject.objects.visible_to(by)
        wanted = visible.filter(pk__in=[p.pk for p in projects])
        locked = {p.pk: p for p in lock_all_for_update(wanted, busy=CONFLICT_MESSAGE)}
        for project in projects:
            held = locked.get(project.pk)
            if held is None:
                errors[project.pk] = "项目不存在或不在您的管辖区划内。"
                continue
            happened = stage_date(held, stage)
            if happened is None:
                errors[held.pk] = f"尚未{label}，不能登记{label}信息的录入。"
            elif entered_on < happened:
                errors[held.pk] = f"录入日期不能早于{label}日期（{happened:%Y-%m-%d}）。"
            elif (
                NationalEntry.objects.unscoped("of the locked project")
                .filter(project=held, stage=stage)
                .exists()
            ):
                errors[held.pk] = f"{label}信息已登记录入国家系统。"
            else:
                created.append(
                    NationalEntry(project=held, stage=stage, entered_on=entered_on, recorded_by=by)
                )
        if errors:
            raise BatchRefused(f"未登记：{len(errors)}个项目不符合条件，所选项目均未登记。", errors)
        NationalEntry.objects.bulk_create(created)
    return created
