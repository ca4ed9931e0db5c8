"""The transitions of a rectification item, written once: services, the item page and the API.

open → in_progress (start, or the first progress note) → submitted (提交核验) → closed (销号
by a county verifier); submitted or closed → in_progress again (退回/重新打开). `refusal()`
answers in one order: role (`RoleRefused`, 403), then status and the step's extra condition
(`StepRefused`, a 409 in the API, an error message on the page). The area check comes first
of all: callers only hold items of the user's area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from accounts.models import HIGHER_REVIEWER_ROLES, AreaLevel, Role, User
from core.errors import ConflictError, DomainError, RoleRefused
from core.rules import has_role
from rectification.models import ItemStatus, RectificationItem

I = ItemStatus  # noqa: E741 - the status enum, as S is for projects

# The county bureau owns the ledger (DOMAIN.md "People and places"); officials never write.
LEDGER_ROLES = frozenset({Role.COUNTY_REVIEWER})
VERIFY_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER})
# A problem that a city or province spot check raised is verified by that level (issue 17).
CLOSE_ROLES = VERIFY_ROLES | HIGHER_REVIEWER_ROLES
PROGRESS_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})

NOT_IN_AREA = "该整改问题不在您的管辖区划内。"


class StepRefused(ConflictError):
    """The step does not apply to the item as it stands."""


def _county_item_for_township(item: RectificationItem, user) -> str | None:
    # A county-level item is worked on by the county; township staff only read it.
    if user.role == Role.TOWNSHIP_STAFF and item.area.level == AreaLevel.COUNTY:
        return NOT_IN_AREA
    return None


def _verifier(item: RectificationItem, user) -> DomainError | None:
    """Who verifies the close-out: the level that raised a spot-check problem, else the county."""
    if item.verifier_area_id is None:
        if user.role in HIGHER_REVIEWER_ROLES:
            return RoleRefused("该问题由县住建局核验销号。")
        return None
    if user.role not in HIGHER_REVIEWER_ROLES or user.area_id != item.verifier_area_id:
        return RoleRefused(
            f"该问题由{item.verifier_area.name}抽查发现，须由{item.verifier_area.name}核验销号。"
        )
    return None


def _raised_by_county(item: RectificationItem, user) -> DomainError | None:
    # What a city or province found is theirs to word: the county works on it, not edits it.
    if item.spot_check_id is not None:
        return RoleRefused("上级抽查发现的问题由抽查单位录入，县住建局不能修改。")
    return None


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    roles: frozenset
    statuses: tuple
    to_status: tuple  # where the step may lead (empty: the status stays)
    service_name: str  # in rectification.services
    form_name: str  # in rectification.forms ("" when the page posts no form)
    serializer_name: str  # in rectification.api ("" when the API takes no body)
    success: str
    action: str  # "您的角色无权<action>。"
    verb: str  # "该问题当前状态为“…”，不能<verb>。"
    status_refusal: str = ""
    #: An extra rule: a reason (a `StepRefused`) or an error to raise as it is (a `RoleRefused`).
    condition: Callable[[RectificationItem, object], str | DomainError | None] | None = None

    @property
    def service(self):
        return getattr(import_module("rectification.services"), self.service_name)

    @property
    def form_class(self):
        return getattr(import_module("rectification.forms"), self.form_name, None)

    @property
    def serializer_class(self):
        return getattr(import_module("rectification.api"), self.serializer_name, None)

    def status_message(self, item: RectificationItem) -> str:
        return self.status_refusal or (
            f"该问题当前状态为“{item.get_status_display()}”，不能{self.verb}。"
        )


_NOT_CLOSED = (I.OPEN, I.IN_PROGRESS, I.SUBMITTED)
_progress = _county_item_for_township

STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(
            "edit", "修改", LEDGER_ROLES, _NOT_CLOSED, (), "item_update", "ItemForm",
            "RectificationItemSerializer", "已保存整改问题。", "修改整改问题（仅限县住建局）",
            "修改", status_refusal="已销号的问题不能修改；如需继续整改，请先重新打开。",
            condition=_raised_by_county,
        ),
        Step(
            "start", "开始整改", PROGRESS_ROLES, (I.OPEN,), (I.IN_PROGRESS,), "item_start", "",
            "", "已开始整改。", "填报整改进展", "开始整改", condition=_progress,
        ),
        Step(
            "note", "填报整改进展", PROGRESS_ROLES, (I.OPEN, I.IN_PROGRESS), (I.IN_PROGRESS,),
            "note_add", "NoteForm", "ProgressNoteInputSerializer", "已保存整改进展。",
            "填报整改进展", "填报整改进展", condition=_progress,
        ),
        Step(
            "stage", "标记阶段目标完成", PROGRESS_ROLES, _NOT_CLOSED, (), "stage_mark_done", "",
            "", "已标记阶段目标完成。", "填报整改进展", "修改阶段目标", condition=_progress,
        ),
        Step(
            "submit", "提交核验", PROGRESS_ROLES, (I.IN_PROGRESS,), (I.SUBMITTED,), "item_submit",
            "", "RectificationNoteTextSerializer", "已提交核验。", "填报整改进展", "提交核验",
            condition=_progress,
        ),
        Step(
            "close", "核验销号", CLOSE_ROLES, (I.SUBMITTED,), (I.CLOSED,), "item_close",
            "CloseForm", "RectificationNoteTextSerializer", "已核验销号。",
            "核验销号（仅限县住建局或提出问题的上级）", "销号", condition=_verifier,
        ),
        Step(
            "reopen", "退回/重新打开", CLOSE_ROLES, (I.SUBMITTED, I.CLOSED), (I.IN_PROGRESS,),
            "item_reopen", "ReasonForm", "RectificationReasonSerializer",
            "已退回，问题重新进入整改。",
            "退回或重新打开整改问题（仅限县住建局或提出问题的上级）", "退回或重新打开",
            condition=_verifier,
        ),
    )
}  # fmt: skip


def refusal(step: Step | str, item: RectificationItem, user) -> DomainError | None:
    """Why `user` may not take `step` on `item` now (None: open to them)."""
    step = STEPS[step] if isinstance(step, str) else step
    if not has_role(user, step.roles):
        return RoleRefused(f"您的角色无权{step.action}。")
    if step.condition and (reason := step.condition(item, user)):
        return reason if isinstance(reason, DomainError) else StepRefused(reason)
    if item.status not in step.statuses:
        return StepRefused(step.status_message(item))
    return None


def require(step: Step | str, item: RectificationItem, by: User) -> None:
    reason = refusal(step, item, by)
    if reason is not None:
        raise reason


def can(step: Step | str, item: RectificationItem, user) -> bool:
    return refusal(step, item, user) is None


def allowed_actions(item: RectificationItem, user) -> list[Step]:
    """The steps `user` may take on `item` now: the item page's buttons."""
    return [s for s in STEPS.values() if refusal(s, item, user) is None]
