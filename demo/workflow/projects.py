"""Appraisals, renovation projects at every step and the paid payout batch of the demo county."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from accounts.models import Area, Role, User
from demo.county import DEMO_SEED, DEMO_USERS
from demo.workflow.common import act, jpeg, names, pdf
from households.models import CURRENT_CATEGORIES, Household
from inspections import services as inspections
from inspections.models import AppraisalMethod, MeasureKind
from renovation import services as renovation
from renovation.models import (
    BUILT_METHODS,
    BuilderKind,
    BuildMode,
    CheckResult,
    JointDepartment,
    PhotoStage,
    ProjectStatus,
    PublicityLevel,
    RenovationMethod,
    RenovationProject,
    ReviewResult,
)
from subsidies import services as subsidies
from subsidies.models import FundLevel

if TYPE_CHECKING:
    from demo.workflow import WorkflowResult

S = ProjectStatus


@dataclass(frozen=True)
class ProjectPlan:
    """One demo project: the status it is left at and the day (before today) it was applied for."""

    stage: str
    level: str  # the household's appraisal: "C" (repair) or "D" (rebuild)
    applied_ago: int
    method: str = ""  # default: repair for C, rebuild in place for D
    objection: str = ""  # "", "resolved" or "open": an objection during the publicity
    quality_problem: bool = False  # the first quality check finds a problem, a recheck passes
    paid: bool = False  # in the paid payout batch
    demolished: bool = False  # old house demolished, with a photo


@dataclass(frozen=True)
class AppraisalPlan:
    """A household appraised but not (yet) renovated."""

    level: str
    appraised_ago: int
    occupied: bool | None = None  # None: not inspected since; True/False: the last inspection


P = ProjectPlan
# Days after the application at which each later step happens (an application that goes all
# the way is accepted about four and a half months later). Publicity: 7 days per level.
TOWNSHIP_DECIDED_CATEGORIES = frozenset({"hardship", "dibao_edge"})

DAY = {
    "appraised": -15,
    "village_review": 7,
    "township_review": 13,
    "joint_review": 23,
    "publicity": 26,  # village notice; township from day 33, county from day 40
    "objection": 35,
    "objection_resolved": 38,
    "approve": 49,
    "notify": 54,
    "commitment": 56,
    "photo_before": 62,
    "start": 64,
    "check": 89,
    "recheck": 100,
    "complete": 119,
    "accept": 134,
    "demolish": 144,
}
PUBLICITY_DAYS = 7

# Per township (code): projects spread over the steps. Applied 44-46 days ago means the county
# notice is still up today; 52 days ago, it has ended and the approver may approve.
PROJECT_PLANS: dict[str, tuple[ProjectPlan, ...]] = {
    "141124100000": (  # 临泉镇
        P(S.APPLIED, "D", 6),
        P(S.VILLAGE_REVIEWED, "C", 18),
        P(S.TOWNSHIP_REVIEWED, "D", 30),
        P(S.PUBLICITY, "D", 44, objection="resolved"),
        P(S.APPROVED, "C", 55),
        P(S.NOTIFIED, "D", 68),
        # Notified in late June and still building, months past its due date (an alert).
        P(S.UNDER_CONSTRUCTION, "D", 205, quality_problem=True),
        P(S.COMPLETED, "C", 135),
        P(S.ACCEPTED, "D", 150),  # accepted two weeks ago: within the month for payment
        P(S.ACCEPTED, "D", 250, paid=True, demolished=True),
        P(S.CLOSED, "D", 262, paid=True, demolished=True),
    ),
    "141124101000": (  # 白文镇
        P(S.APPLIED, "C", 9),
        P(S.REJECTED, "D", 35),  # the village review did not pass
        P(S.TOWNSHIP_REVIEWED, "D", 27),
        P(S.JOINT_REVIEWED, "D", 40),
        P(S.PUBLICITY, "C", 52),
        P(S.NOTIFIED, "C", 62),
        P(S.UNDER_CONSTRUCTION, "D", 110, method=RenovationMethod.NEW_SITE_SCATTERED),
        P(S.COMPLETED, "D", 132),
        P(S.ACCEPTED, "D", 185),  # unpaid for over a month after acceptance (an alert)
        P(S.ACCEPTED, "D", 255, paid=True),  # old house still standing (alert, self-check)
        P(S.CLOSED, "D", 265, paid=True, demolished=True),
    ),
    "141124102000": (  # 城庄镇
        P(S.APPLIED, "D", 12),
        P(S.VILLAGE_REVIEWED, "D", 16),
        P(S.JOINT_REVIEWED, "C", 38),
        P(S.PUBLICITY, "D", 46, objection="open"),
        P(S.APPROVED, "D", 57),
        P(S.UNDER_CONSTRUCTION, "C", 100, quality_problem=True),
        P(S.COMPLETED, "D", 128),
        P(S.ACCEPTED, "C", 248, paid=True),  # repaired: the house stays, reason recorded
        P(S.ACCEPTED, "D", 252, paid=True, demolished=True),
    ),
}
# Appraised households without a project: a safe house, and C/D houses waiting for months
# (self-check findings); in 白文镇 the D house is still lived in, in 临泉镇 the family moved out.
APPRAISAL_PLANS: dict[str, tuple[AppraisalPlan, ...]] = {
    "141124100000": (
        AppraisalPlan("B", 170),
        AppraisalPlan("C", 160),
        AppraisalPlan("D", 150, occupied=False),
    ),
    "141124101000": (
        AppraisalPlan("B", 175),
        AppraisalPlan("C", 165),
        AppraisalPlan("D", 140, occupied=True),
    ),
    "141124102000": (AppraisalPlan("A", 180), AppraisalPlan("C", 158), AppraisalPlan("D", 145)),
}

APPRAISER = "县住建局 张卫国"
INSTITUTION = "吕梁市建设工程质量检测中心"
CRAFTSMAN = "农村建筑工匠 郭宝山"
CONTRACTOR = "吕梁市安泰建筑工程有限公司"

PHOTO_COLORS = {
    PhotoStage.BEFORE: (120, 100, 80),
    PhotoStage.DURING: (170, 150, 110),
    PhotoStage.AFTER: (200, 190, 170),
}


class ProjectSeeder:
    """Writes the plans above through the services, township by township."""

    def __init__(
        self, county: Area, users: dict[str, User], today: dt.date, result: WorkflowResult
    ):
        self.county = county
        self.today = today
        self.year = today.year
        self.result = result
        self.rng = random.Random(DEMO_SEED + 1)  # noqa: S311 - made-up names, not secrets
        self.reviewer = users["reviewer"]
        self.approver = users["approver"]
        self.staff = {}  # township code → township staff
        self.clerks = {}  # village code → village clerk
        for username, role, area_code, _ in DEMO_USERS:
            if role == Role.TOWNSHIP_STAFF:
                self.staff[area_code] = users[username]
            elif role == Role.VILLAGE_CLERK:
                self.clerks[area_code] = users[username]

    def run(self) -> None:
        accepted = []
        for township_code, plans in PROJECT_PLANS.items():
            staff = self.staff[township_code]
            households = iter(self._households(township_code))
            for plan in plans:
                project = self._project(next(households), plan, staff)
                if project.status == S.ACCEPTED:
                    accepted.append((project, plan, staff))
            for plan in APPRAISAL_PLANS[township_code]:
                self._appraised_only(next(households), plan, staff)
        paid_on = self._payout([p for p, plan, _ in accepted if plan.paid])
        for project, plan, staff in accepted:
            self._after_acceptance(project, plan, staff, paid_on)

    def _households(self, township_code: str) -> list[Household]:
        """Households with a current category and a payout account, villages taking turns."""
        qs = (
            Household.objects.filter(
                township_code=township_code[:9], category__in=CURRENT_CATEGORIES
            )
            .exclude(bank_account_hash="")
            .order_by("village_id", "id")
        )
        by_village: dict[str, list[Household]] = {}
        for household in qs:
            by_village.setdefault(household.village_id, []).append(household)
        lists = list(by_village.values())
        rows = [
            lst[i] for i in range(max(map(len, lists), default=0)) for lst in lists if i < len(lst)
        ]
        needed = len(PROJECT_PLANS[township_code]) + len(APPRAISAL_PLANS[township_code])
        if len(rows) < needed:
            raise RuntimeError(f"演示乡镇 {township_code} 的农户不足 {needed} 户。")
        return rows

    # --- appraisals -------------------------------------------------------------------

    def _appraise(self, household: Household, level: str, on: dt.date) -> None:
        # Now and then a third-party institution (a disputed or difficult case).
        third_party = level == "D" and self.result.appraisals % 5 == 4
        act(
            inspections.appraisal_record,
            household=household,
            by=self.reviewer,
            level=level,
            method=AppraisalMethod.THIRD_PARTY if third_party else AppraisalMethod.ASSESSED,
            appraiser_name=APPRAISER,
            institution=INSTITUTION if third_party else "",
            appraised_on=on,
            report_file=pdf("appraisal", f"Appraisal report, level {level}, {on}"),
            photos=[jpeg("house", on)],
            note={"C": "承重墙局部开裂，屋面渗漏。", "D": "墙体严重开裂，屋架腐朽，整栋危险。"}.get(
                level, "房屋结构基本安全。"
            ),
            today=self.today,
        )
        self.result.appraisals += 1

    def _appraised_only(self, household: Household, plan: AppraisalPlan, staff: User) -> None:
        on = self.today - dt.timedelta(days=plan.appraised_ago)
        self._appraise(household, plan.level, on)
        if plan.occupied is None:
            return
        seen = self.today - dt.timedelta(days=20)
        if not plan.occupied:
            act(
                inspections.emergency_measure_record,
                household=household,
                by=staff,
                measure=MeasureKind.PERSUADED_OUT,
                taken_on=on + dt.timedelta(days=3),
                stays_at="投靠子女，暂住本村子女家中",
                today=self.today,
            )
        act(
            inspections.inspection_record,
            household=household,
            by=staff,
            inspected_on=seen,
            occupied=plan.occupied,
            findings=(
                "D级危房仍有老人居住，已再次劝离，农户暂不同意搬离。"
                if plan.occupied
                else "房屋已无人居住，门窗已封闭并设置警示标志。"
            ),
            photos=[jpeg("inspection", seen)],
            today=self.today,
        )

    # --- renovation projects ----------------------------------------------------------

    def _project(self, household: Household, plan: ProjectPlan, staff: User) -> RenovationProject:
        start = self.today - dt.timedelta(days=plan.applied_ago)

        def day(step: str) -> dt.date:
            return start + dt.timedelta(days=DAY[step])

        self._appraise(household, plan.level, day("appraised"))
        # The village committee applies and holds the review where it has an account.
        clerk = self.clerks.get(household.village_id, staff)
        method = plan.method or (
            RenovationMethod.REPAIR if plan.level == "C" else RenovationMethod.REBUILD
        )
        on_behalf = household.family_size == 1 and clerk.role == Role.VILLAGE_CLERK
        project = act(
            renovation.project_apply,
            household=household,
            by=clerk,
            year=self.year,
            applied_on=start,
            method=method,
            on_behalf=on_behalf,
            note=(
                "户主年老体弱，由村委会代为申请。"
                if on_behalf
                else "房屋经鉴定为危房，本户无力自行解决住房安全问题，申请危房改造。"
            ),
            application_file=pdf("application", f"Application, {start}"),
            planned_area=(
                built_area(household.family_size, method) if method in BUILT_METHODS else None
            ),
            today=self.today,
        )
        if plan.stage == S.APPLIED:
            return project
        passed = plan.stage != S.REJECTED
        act(
            renovation.village_review_record,
            project=project,
            by=clerk,
            held_on=day("village_review"),
            cadres=names(self.rng, 2),
            representatives=names(self.rng, 6),
            result=ReviewResult.PASSED if passed else ReviewResult.FAILED,
            note="" if passed else "经评议，该户在镇区另有住房，不符合危房改造条件。",
            minutes_file=pdf("minutes", f"Village review minutes, {day('village_review')}"),
            today=self.today,
        )
        steps = (
            (S.TOWNSHIP_REVIEWED, self._township_review),
            (S.JOINT_REVIEWED, self._joint_review),
            (S.PUBLICITY, self._publicity),
            (S.APPROVED, self._approve),
            (S.NOTIFIED, self._notify),
            (S.UNDER_CONSTRUCTION, self._construction),
            (S.COMPLETED, self._complete),
            (S.ACCEPTED, self._accept),
        )
        # Closing comes after the payout batch (_after_acceptance).
        target = S.ACCEPTED if plan.stage == S.CLOSED else plan.stage
        if target not in (S.VILLAGE_REVIEWED, S.REJECTED):
            for status, step in steps:
                step(project, plan, staff, day)
                if status == target:
                    break
        project.refresh_from_db()
        return project

    def _township_review(self, project, plan, staff, day) -> None:
        act(
            renovation.township_review,
            project=project,
            by=staff,
            reviewed_on=day("township_review"),
            passed=True,
            opinion="经入户核查，房屋安全等级和家庭情况属实，同意上报县住建局。",
            township_area=(
                built_area(project.household.family_size, project.method)
                if project.household.category in TOWNSHIP_DECIDED_CATEGORIES
                and project.method in BUILT_METHODS
                else None
            ),
            # Document 003: ④⑤ D-level amounts are the township's, at most 20,000.
            township_amount=(
                Decimal("18000")
                if project.household.category in TOWNSHIP_DECIDED_CATEGORIES
                and project.danger_level != "C"
                else None
            ),
            today=self.today,
        )

    def _joint_review(self, project, plan, staff, day) -> None:
        act(
            renovation.joint_review_record,
            project=project,
            by=self.reviewer,
            reviewed_on=day("joint_review"),
            opinions={d: (True, "同意") for d in JointDepartment.values},
            today=self.today,
        )

    def _publicity(self, project, plan, staff, day) -> None:
        first = day("publicity")
        notices = {}
        for i, level in enumerate(renovation.PUBLICITY_ORDER):
            starts_on = first + dt.timedelta(days=i * PUBLICITY_DAYS)
            notices[level] = act(
                renovation.publicity_start,
                project=project,
                by=self.reviewer if level == PublicityLevel.COUNTY else staff,
                level=level,
                starts_on=starts_on,
                ends_on=starts_on + dt.timedelta(days=PUBLICITY_DAYS - 1),
            )
        if plan.objection:
            objection = act(
                renovation.objection_record,
                publicity=notices[PublicityLevel.TOWNSHIP],
                by=staff,
                raised_on=day("objection"),
                raised_by_name=names(self.rng, 1)[0],
                content="反映该户在外地另有住房，不应享受危房改造补助。",
                today=self.today,
            )
            if plan.objection == "resolved":
                act(
                    renovation.objection_resolve,
                    objection=objection,
                    by=staff,
                    resolution="经乡镇入户核实并查询不动产登记，该户无其他住房，异议不成立。",
                    resolved_on=day("objection_resolved"),
                    today=self.today,
                )

    def _approve(self, project, plan, staff, day) -> None:
        # Approval is dated the day it is given: the approver acts on that day.
        act(renovation.project_approve, project=project, by=self.approver, today=day("approve"))

    def _notify(self, project, plan, staff, day) -> None:
        notified_on = day("notify")
        # Completion by 31 July in principle; a project notified later gets three months.
        due = max(renovation.default_completion_due(self.year), notified_on + dt.timedelta(days=90))
        act(
            renovation.project_notify,
            project=project,
            by=staff,
            notified_on=notified_on,
            completion_due=due,
            today=self.today,
        )
        act(
            renovation.commitment_record,
            project=project,
            by=staff,
            signed_on=day("commitment"),
            file=pdf("commitment", f"Commitment letter, signed {day('commitment')}"),
            today=self.today,
        )

    def _photo(self, project, staff, stage: str, taken: dt.date) -> None:
        act(
            renovation.project_photos_add,
            project=project,
            by=staff,
            stage=stage,
            files=[jpeg(stage, taken, PHOTO_COLORS[stage])],
        )

    def _construction(self, project, plan, staff, day) -> None:
        self._photo(project, staff, PhotoStage.BEFORE, day("photo_before"))
        unified = plan.method == RenovationMethod.NEW_SITE_SCATTERED
        act(
            renovation.construction_start,
            project=project,
            by=staff,
            started_on=day("start"),
            build_mode=BuildMode.UNIFIED_BUILD if unified else BuildMode.SELF_BUILD,
            builder_kind=BuilderKind.CONTRACTOR if unified else BuilderKind.CRAFTSMAN,
            builder_name=CONTRACTOR if unified else CRAFTSMAN,
            today=self.today,
        )
        inspector = f"县住建局 李建平、{staff.area.name} {staff.full_name}"
        check = act(
            renovation.quality_check_record,
            project=project,
            by=staff,
            checked_on=day("check"),
            inspector=inspector,
            result=CheckResult.PROBLEMS if plan.quality_problem else CheckResult.PASSED,
            problems="圈梁未按图纸设置，墙体拉结筋缺失，要求返工整改。"
            if plan.quality_problem
            else "",
            today=self.today,
        )
        self._photo(project, staff, PhotoStage.DURING, day("check"))
        if plan.quality_problem:
            act(
                renovation.quality_check_record,
                project=project,
                by=staff,
                checked_on=day("recheck"),
                inspector=inspector,
                result=CheckResult.PASSED,
                recheck_of=check,
                today=self.today,
            )

    def _complete(self, project, plan, staff, day) -> None:
        act(
            renovation.construction_complete,
            project=project,
            by=staff,
            completed_on=day("complete"),
            today=self.today,
        )
        self._photo(project, staff, PhotoStage.AFTER, day("complete"))

    def _accept(self, project, plan, staff, day) -> None:
        project.refresh_from_db()
        household = project.household
        act(
            renovation.project_accept,
            project=project,
            by=staff,
            accepted_on=day("accept"),
            parties=["township", "village", "household", "builder"],
            participants=(
                f"乡镇：{staff.full_name}；村委会：{names(self.rng, 1)[0]}；"
                f"农户：{household.head_name}；施工方：{project.builder_name}"
            ),
            evaluation_passed=True,
            evaluation_form=pdf("evaluation", f"Basic safety evaluation form, {day('accept')}"),
            built_area=built_area(household.family_size, project.method),
            today=self.today,
        )

    def _after_acceptance(self, project, plan, staff, paid_on: dt.date | None) -> None:
        """Demolition (or why none is needed) and close-out, after the payout batch."""
        if project.method == RenovationMethod.REPAIR:
            act(
                renovation.demolition_not_applicable,
                project=project,
                by=staff,
                reason="修缮加固项目，原房屋加固后继续居住，无需拆除。",
            )
        elif plan.demolished:
            demolished_on = project.accepted_on + dt.timedelta(days=DAY["demolish"] - DAY["accept"])
            clerk = self.clerks.get(project.household.village_id, staff)
            act(
                renovation.demolition_record,
                project=project,
                by=clerk,
                demolished_on=demolished_on,
                photo=jpeg("demolition", demolished_on, (90, 80, 70)),
                today=self.today,
            )
        if plan.stage == S.CLOSED:
            # Moved in after the payout; the county closes the case (not who accepted it).
            act(
                renovation.project_close,
                project=project,
                by=self.reviewer,
                closed_on=paid_on + dt.timedelta(days=5),
                today=self.today,
            )

    # --- payout -----------------------------------------------------------------------

    def _payout(self, projects: list[RenovationProject]) -> dt.date:
        """竣工一批、验收一批、拨付一批: one batch, paid within a month of the acceptances."""
        last_accepted = max(p.accepted_on for p in projects)
        paid_on = min(last_accepted + dt.timedelta(days=8), self.today)
        # Funds from the higher levels (资金指标) the batch draws on.
        allocation = act(
            subsidies.allocation_create,
            by=self.reviewer,
            document_number=f"财建〔{self.year}〕18号",
            issued_on=min(dt.date(self.year, 3, 15), self.today),
            level=FundLevel.CENTRAL,
            year=self.year,
            amount=Decimal("2000000"),
            note="中央财政农村危房改造补助资金",
            today=self.today,
        )
        act(
            subsidies.allocation_create,
            by=self.reviewer,
            document_number=f"晋财建〔{self.year}〕42号",
            issued_on=min(dt.date(self.year, 4, 20), self.today),
            level=FundLevel.PROVINCIAL,
            year=self.year,
            amount=Decimal("600000"),
            note="省级配套资金",
            today=self.today,
        )
        batch = act(
            subsidies.batch_create,
            by=self.reviewer,
            title=f"{self.year}年第一批农村危房改造补助资金",
            batch_date=min(last_accepted + dt.timedelta(days=3), self.today),
            allocation=allocation,
            note="竣工一批、验收一批、拨付一批：已通过竣工验收的农户。",
        )
        lines = act(
            subsidies.batch_add_lines,
            batch=batch,
            by=self.reviewer,
            items=[subsidies.LineRequest(project=p) for p in projects],
        )
        batch = act(subsidies.batch_submit, batch=batch, by=self.reviewer)
        act(
            subsidies.batch_pay,
            batch=batch,
            by=self.approver,
            paid_on=paid_on,
            voucher=pdf("voucher", f"Payment voucher {batch.number}, {paid_on}"),
            today=self.today,
        )
        self.result.batch_number = batch.number
        self.result.paid_lines = len(lines)
        self.result.paid_total = sum((line.amount for line in lines), Decimal("0"))
        paid_ids = {p.pk for p in projects}
        self.result.accepted_unpaid = (
            RenovationProject.objects.filter(
                household__county_code=self.county.code[:6], status=S.ACCEPTED
            )
            .exclude(pk__in=paid_ids)
            .count()
        )
        return paid_on


def built_area(family_size: int, method: str) -> Decimal:
    """An area within the default standard: ≤35 m² alone, ≤55 m² for two, 20 m² per person."""
    if method not in BUILT_METHODS:
        return Decimal(40 + 10 * min(family_size, 4))  # a repaired house keeps its own area
    if family_size == 1:
        return Decimal("32.5")
    if family_size == 2:
        return Decimal("52")
    return Decimal(20 * family_size)
