"""What every renovation service shares: messages, limits, dates, the project lock and move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from core.errors import DomainError
from core.locking import lock_for_update, save_versioned
from core.rules import date_given
from core.uploads import (
    validate_upload,
)
from households.models import Household
from renovation import steps
from renovation.models import (
    DangerLevel,
    ProjectStatus,
    RenovationProject,
)

S = ProjectStatus


CONFLICT_MESSAGE = "其他用户正在处理该项目，请稍后再试。"
NOT_IN_AREA = "该项目不在您的管辖区划内。"
MIN_REPRESENTATIVES = 5  # village review: at least 5 villager representatives
SPLIT_SCRUTINY_YEARS = 2
MAX_PHOTOS = 20


class BatchRefused(DomainError):
    """A batch action changed nothing because some rows failed; `errors` maps id → reason."""

    def __init__(self, message: str, errors: dict[int, str]):
        super().__init__(message)
        self.errors = errors


# --- helpers ---------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


_date = date_given  # the renovation services' name for core.rules.date_given


def _not_before(day: dt.date, earlier: dt.date | None, label: str, earlier_label: str) -> None:
    if earlier and day < earlier:
        raise DomainError(f"{label}不能早于{earlier_label}（{earlier:%Y-%m-%d}）。")


def _text(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message)
    return value


def _move(project: RenovationProject, status: str, **fields) -> RenovationProject:
    if not project.can_move_to(status):
        label = S(status).label
        raise DomainError(f"项目当前状态为“{project.get_status_display()}”，不能变为“{label}”。")
    project.status = status
    return save_versioned(project, **fields)


def _lock(project: RenovationProject, by: User, version: int | None = None) -> RenovationProject:
    """The project row of `by`'s area, locked for this transaction (core.locking: NOWAIT)."""
    return lock_for_update(
        RenovationProject.objects.visible_to(by),
        project.pk,
        version=version,
        related=("household", "household__village"),
        missing=NOT_IN_AREA,
        busy=CONFLICT_MESSAGE,
        changed="该项目已被他人修改，请刷新页面后重试。",
    )


@contextmanager
def _dated_step(
    step: str,
    project: RenovationProject,
    by: User,
    today: dt.date | None,
    day: dt.date | None,
    label: str,
    *,
    after: tuple[str, str],
) -> Iterator[RenovationProject]:
    """A step that only records its date: the role, the date (`label`, not after today),
    then in one transaction the project's lock, the step's status and the date not before
    the project's `after` field (its name, its label). Yields the locked project."""
    steps.require_role(step, by)
    _date(day, label, today)
    with transaction.atomic():
        project = _lock(project, by)
        steps.require(step, project, by)
        _not_before(day, getattr(project, after[0]), label, after[1])
        yield project


def _validate_file(upload, *, allowed, label: str, required: bool = True):
    if not upload:
        if required:
            raise DomainError(f"请上传{label}。")
        return None
    return validate_upload(upload, allowed=allowed, label=label)


def county_of(household: Household) -> Area:
    return Area.objects.get(pk=household.village_id[:6] + "000000")


def needs_split_scrutiny(project: RenovationProject, today: dt.date | None = None) -> bool:
    """Split off within two years and no house: a possible 突击分户 to claim twice."""
    split_on = project.household.split_on
    if not split_on or project.danger_level != DangerLevel.NO_HOUSE:
        return False
    today = _today(today)
    try:
        limit = today.replace(year=today.year - SPLIT_SCRUTINY_YEARS)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - SPLIT_SCRUTINY_YEARS, day=28)
    return split_on >= limit
