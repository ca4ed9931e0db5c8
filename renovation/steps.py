"""The steps of a renovation project, written once: pages, API, templates and services read it.

Each row says who may take the step, from which statuses, where it leads, which service does
it and which form (page) and serializer (API) collect its input. `refusal()` answers "why
not" in one order: role first (`RoleRefused`, a 403), then status and the step's extra
condition (`StepRefused`: a 409 in the API, the request conflicts with the project's state;
the page sends the user back with the reason). The area check comes before all of this: the
caller only holds projects of the user's area.

Forms and serializers are named, not imported, so this module sits below `services`,
`forms` and `api` and each of them may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from accounts.models import Role, User
from core.errors import ConflictError, DomainError, RoleRefused
from core.rules import has_role
from renovation.models import (
    ACTIVE,
    ENDED,
    AmountOverride,
    Demolition,
    ProjectStatus,
    RenovationMethod,
    RenovationProject,
)

S = ProjectStatus
R = Role

# Who does which step (DOMAIN.md "People and places"); officials are never writers.
APPLY_ROLES = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_STAFF})
VILLAGE_REVIEW_ROLES = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_STAFF})
TOWNSHIP_REVIEW_ROLES = frozenset({R.TOWNSHIP_STAFF})
JOINT_REVIEW_ROLES = frozenset({R.COUNTY_REVIEWER})
PUBLICITY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
OBJECTION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
APPROVE_ROLES = frozenset({R.COUNTY_APPROVER})
OVERRIDE_ROLES = frozenset({R.COUNTY_REVIEWER})
NOTIFY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
CONSTRUCTION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
PHOTO_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
QUALITY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
ACCEPT_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
AREA_EXCEPTION_ROLES = frozenset({R.COUNTY_REVIEWER})
DEMOLITION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
CLOSE_ROLES = frozenset({R.COUNTY_REVIEWER})
MOVE_IN_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
END_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
# Every role that may write anything in this app (pages and API narrow per action).
WRITE_ROLES = frozenset({R.COUNTY_REVIEWER, R.COUNTY_APPROVER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})

_LIVE = ACTIVE  # neither ended nor closed
# Approved and not yet closed: the approved amount may still be adjusted.
_FUNDED_LIVE = (S.APPROVED, S.NOTIFIED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED)


class StepRefused(ConflictError):
    """The step does not apply to the project as it stands (status, method, already done)."""


def _override_pending(project: RenovationProject) -> str | None:
    if (
        AmountOverride.objects.unscoped("of the held project")
        .filter(project=project, status="pending")
        .exists()
    ):
        return "该项目已有待确认的补助金额调整，请等待县分管领导确认或驳回。"
    return None


def _no_override_pending(project: RenovationProject) -> str | None:
    if _override_pending(project) is None:
        return "该项目没有待确认的补助金额调整。"
    return None


def _moved_in(project: RenovationProject) -> str | None:
    if project.moved_in_on:
        return f"已于{project.moved_in_on:%Y-%m-%d}登记入住。"
    return None


def _demolition_recorded(project: RenovationProject) -> str | None:
    if Demolition.objects.unscoped("of the held project").filter(project=project).exists():
        return "该项目已登记旧房拆除。"
    return None


@dataclass(frozen=True)
class Step:
    name: str
    title: str  # the button and the form's heading
    roles: frozenset
    statuses: tuple
    to_status: tuple  # where the step may lead (empty: the status stays)
    service_name: str  # in renovation.services
    form_name: str  # in renovation.forms
    serializer_name: str  # in renovation.api
    success: str
    action: str  # "您的角色无权<action>" and "不能<verb>"
    verb: str = ""
    only_for: tuple = field(default=())  # methods this step applies to (empty: all)
    except_for: tuple = field(default=())
    method_refusal: str = ""
    status_refusal: str = ""  # a message of its own when the status does not fit
    condition: Callable[[RenovationProject], str | None] | None = None
    #: A POST /api/renovation-projects/<id>/<name>/ action (False: the step has its own
    #: resource, e.g. POST /api/publicities/).
    api_action: bool = True

    @property
    def service(self):
        return getattr(import_module("renovation.services"), self.service_name)

    @property
    def form_class(self):
        return getattr(import_module("renovation.forms"), self.form_name)

    @property
    def serializer_class(self):
        return getattr(import_module("renovation.api"), self.serializer_name)

    def status_message(self, project: RenovationProject) -> str:
        return self.status_refusal or status_message(project, self.verb or self.action)


def status_message(project: RenovationProject, verb: str) -> str:
    if project.status in ENDED:
        return f"项目已{project.get_status_display()}，不能{verb}。"
    return f"项目当前状态为“{project.get_status_display()}”，不能{verb}。"


def require_status(project: RenovationProject, allowed: tuple, verb: str) -> None:
    """For writes beside the step table (objections during publicity)."""
    if project.status not in allowed:
        raise StepRefused(status_message(project, verb))


def _steps(*steps: Step) -> dict[str, Step]:
    return {s.name: s for s in steps}


STEPS: dict[str, Step] = _steps(
    Step(
        "village_review", "村级评议", VILLAGE_REVIEW_ROLES, (S.APPLIED,),
        (S.VILLAGE_REVIEWED, S.REJECTED), "village_review_record", "VillageReviewForm",
        "VillageReviewInput", "已录入村级评议。", "录入村级评议",
    ),
    Step(
        "township_review", "乡镇初审", TOWNSHIP_REVIEW_ROLES, (S.VILLAGE_REVIEWED,),
        (S.TOWNSHIP_REVIEWED, S.REJECTED), "township_review", "TownshipReviewForm",
        "TownshipReviewInput", "已录入乡镇初审。", "进行乡镇初审（仅限乡镇工作人员）",
        verb="进行乡镇初审",
    ),
    Step(
        "joint_review", "联合审核", JOINT_REVIEW_ROLES, (S.TOWNSHIP_REVIEWED,),
        (S.JOINT_REVIEWED, S.REJECTED), "joint_review_record", "JointReviewForm",
        "JointReviewInput", "已录入联合审核。", "录入联合审核（仅限县住建局审核员）",
        verb="录入联合审核",
    ),
    Step(
        "publicity", "录入公示", PUBLICITY_ROLES, (S.JOINT_REVIEWED, S.PUBLICITY),
        (S.PUBLICITY,), "publicity_start", "PublicityForm", "PublicitySerializer",
        "已录入公示。", "录入公示", api_action=False,
    ),
    Step(
        "approve", "批准列入年度计划", APPROVE_ROLES, (S.PUBLICITY,), (S.APPROVED,),
        "project_approve", "ConfirmForm", "EmptyInput", "已批准。",
        "批准改造项目（仅限县分管领导）", verb="批准",
    ),
    Step(
        "override_amount", "申请调整补助金额", OVERRIDE_ROLES, _FUNDED_LIVE, (),
        "project_override_amount", "OverrideForm", "OverrideInput",
        "已提交补助金额调整，待县分管领导确认后生效。",
        "调整补助金额（仅限县住建局审核员）", verb="调整补助金额",
        condition=_override_pending,
    ),
    Step(
        "override_decide", "确认补助金额调整", APPROVE_ROLES, _FUNDED_LIVE, (),
        "project_override_decide", "OverrideDecisionForm", "OverrideDecisionInput",
        "已处理补助金额调整。", "确认补助金额调整（仅限县分管领导）",
        verb="确认补助金额调整", condition=_no_override_pending,
    ),
    Step(
        "notify", "函告农户", NOTIFY_ROLES, (S.APPROVED,), (S.NOTIFIED,), "project_notify",
        "NotifyForm", "NotifyInput", "已登记函告。", "函告农户",
    ),
    Step(
        "commitment", "录入承诺书", CONSTRUCTION_ROLES, (S.NOTIFIED,), (), "commitment_record",
        "CommitmentForm", "CommitmentInput", "已录入承诺书。", "录入承诺书",
    ),
    Step(
        "start", "登记开工", CONSTRUCTION_ROLES, (S.NOTIFIED,), (S.UNDER_CONSTRUCTION,),
        "construction_start", "StartForm", "StartInput", "已登记开工。", "登记开工",
    ),
    Step(
        "photos", "上传照片", PHOTO_ROLES, _LIVE, (), "project_photos_add", "PhotosForm",
        "PhotosInput", "已上传照片。", "上传改造照片",
        status_refusal="项目已终止或销号，不能再上传照片。",
    ),
    Step(
        "quality_check", "质量检查", QUALITY_ROLES, (S.UNDER_CONSTRUCTION, S.COMPLETED), (),
        "quality_check_record", "QualityCheckForm", "QualityCheckSerializer",
        "已录入质量检查。", "录入质量检查", api_action=False,
    ),
    Step(
        "complete", "登记竣工", CONSTRUCTION_ROLES, (S.UNDER_CONSTRUCTION,), (S.COMPLETED,),
        "construction_complete", "CompleteForm", "CompleteInput", "已登记竣工。", "登记竣工",
    ),
    Step(
        "area_exception", "面积标准例外", AREA_EXCEPTION_ROLES,
        (S.APPLIED, S.VILLAGE_REVIEWED, S.TOWNSHIP_REVIEWED, S.JOINT_REVIEWED, S.PUBLICITY,
         S.APPROVED, S.NOTIFIED, S.UNDER_CONSTRUCTION, S.COMPLETED), (),
        "area_exception_grant", "ReasonForm",
        "ReasonInput", "已录入面积标准例外。", "批准面积标准例外（仅限县住建局审核员）",
        verb="录入面积标准例外",
        except_for=(RenovationMethod.REPAIR, RenovationMethod.REPLACEMENT),
        method_refusal="修缮加固或置换的房屋保留原面积，无需面积标准例外。",
    ),
    Step(
        "accept", "竣工验收", ACCEPT_ROLES, (S.COMPLETED,), (S.ACCEPTED,), "project_accept",
        "AcceptForm", "AcceptInput", "已通过竣工验收。", "录入竣工验收", verb="验收",
    ),
    Step(
        "demolition", "旧房拆除", DEMOLITION_ROLES,
        (S.NOTIFIED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED), (), "demolition_record",
        "DemolitionForm", "DemolitionInput", "已登记旧房拆除。", "登记旧房拆除",
        except_for=(RenovationMethod.REPAIR,),
        method_refusal="修缮加固项目保留原房屋，无需登记拆除。",
        condition=_demolition_recorded,
    ),
    Step(
        "no_demolition", "无需拆除的理由", DEMOLITION_ROLES, _LIVE, (),
        "demolition_not_applicable", "ReasonForm", "ReasonInput", "已登记无需拆除的理由。",
        "登记无需拆除的理由", only_for=(RenovationMethod.REPAIR,),
        method_refusal="只有修缮加固（原房屋保留）的项目可以免于拆除旧房。",
        status_refusal="项目已终止或销号。",
    ),
    Step(
        "accept_failed", "验收未通过", ACCEPT_ROLES, (S.COMPLETED,), (S.UNDER_CONSTRUCTION,),
        "project_accept_failed", "AcceptFailedForm", "AcceptFailedInput",
        "已登记验收未通过，项目退回施工中，整改后重新登记竣工。", "录入竣工验收",
        verb="登记验收未通过",
    ),
    Step(
        "move_in", "登记入住", MOVE_IN_ROLES, (S.ACCEPTED, S.CLOSED), (), "project_move_in",
        "MoveInForm", "MoveInInput", "已登记入住。", "登记入住", condition=_moved_in,
    ),
    Step(
        "close", "销号", CLOSE_ROLES, (S.ACCEPTED,), (S.CLOSED,), "project_close", "CloseForm",
        "CloseInput", "已销号。", "销号（仅限县住建局审核员）", verb="销号",
    ),
    Step(
        "end", "终止项目（放弃/未通过/撤回）", END_ROLES,
        tuple(s for s in _LIVE if s not in (S.COMPLETED, S.ACCEPTED)), tuple(ENDED),
        "project_end", "EndForm", "EndInput", "项目已终止。", "终止改造项目",
    ),
)  # fmt: skip


def refusal(step: Step | str, project: RenovationProject, user) -> DomainError | None:
    """Why `user` may not take `step` on `project` now (None: the step is open to them)."""
    step = STEPS[step] if isinstance(step, str) else step
    if not has_role(user, step.roles):
        return RoleRefused(f"您的角色无权{step.action}。")
    if project.status not in step.statuses:
        return StepRefused(step.status_message(project))
    if (step.only_for and project.method not in step.only_for) or (
        step.except_for and project.method in step.except_for
    ):
        return StepRefused(step.method_refusal)
    if step.condition and (reason := step.condition(project)):
        return StepRefused(reason)
    return None


def require_role(step: Step | str, by: User) -> None:
    """The role part of a step's guard: services call it before anything else."""
    step = STEPS[step] if isinstance(step, str) else step
    if not has_role(by, step.roles):
        raise RoleRefused(f"您的角色无权{step.action}。")


def require(step: Step | str, project: RenovationProject, by: User) -> None:
    """The whole guard of a step on the locked project; raises the refusal."""
    reason = refusal(step, project, by)
    if reason is not None:
        raise reason


def can(step: Step | str, project: RenovationProject, user) -> bool:
    return refusal(step, project, user) is None


def allowed_actions(project: RenovationProject, user) -> list[Step]:
    """The steps `user` may take on `project` now: the page's buttons, in table order."""
    return [s for s in STEPS.values() if refusal(s, project, user) is None]
