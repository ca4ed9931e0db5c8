"""The renovation steps as services: order, prerequisites, refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from pghistory.models import Events

from core.errors import DomainError
from renovation import services
from renovation.models import (
    Acceptance,
    AreaException,
    Commitment,
    JointDepartment,
    Objection,
    ProjectStatus,
    Publicity,
    PublicityLevel,
    RenovationProject,
    VillageReview,
)
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, pdf_bytes, upload
from tests.renovation.factories import appraise, make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db
FOUR_PARTIES = ["township", "village", "household", "builder"]
TODAY = dt.date(2026, 5, 20)
ALL_AGREE = {d.value: (True, "") for d in JointDepartment}


def minutes():
    return upload("minutes.pdf", pdf_bytes(), "application/pdf")


def snapshot(project):
    project = RenovationProject.objects.get(pk=project.pk)
    return (project.status, project.version, project.approved_amount, project.accepted_on)


def test_full_journey_from_application_to_close_out(
    household, village_clerk, township_user, county_reviewer, county_approver, _frozen_today
):
    _frozen_today.move_to(dt.datetime(2026, 2, 26, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    appraise(household, "D")
    project = services.project_apply(
        household=household,
        by=village_clerk,
        year=2026,
        applied_on=dt.date(2026, 1, 15),
        method="rebuild",
        planned_area=Decimal("60"),
    )
    assert project.status == S.APPLIED and project.danger_level == "D"
    services.village_review_record(
        project=project,
        by=village_clerk,
        held_on=dt.date(2026, 1, 20),
        cadres="王书记、赵主任",
        representatives="甲，乙，丙，丁，戊",
        result="passed",
        minutes_file=minutes(),
    )
    services.township_review(
        project=project,
        by=township_user,
        reviewed_on=dt.date(2026, 1, 25),
        passed=True,
        opinion="情况属实",
    )
    services.joint_review_record(
        project=project, by=county_reviewer, reviewed_on=dt.date(2026, 2, 1), opinions=ALL_AGREE
    )
    for level, start in zip(
        PublicityLevel,
        [dt.date(2026, 2, 2), dt.date(2026, 2, 10), dt.date(2026, 2, 18)],
        strict=True,
    ):
        services.publicity_start(project=project, by=county_reviewer, level=level, starts_on=start)
    project.refresh_from_db()
    assert project.status == S.PUBLICITY
    assert project.publicities.get(level="county").ends_on == dt.date(2026, 2, 24)  # 7 days

    project = services.project_approve(project=project, by=county_approver)
    assert project.status == S.APPROVED
    assert project.approved_amount == Decimal("50000.00")  # dibao, 3 persons, D
    assert "30,000" in project.amount_explanation
    assert project.approved_by == county_approver
    assert project.approved_on == dt.date(2026, 2, 26)
    _frozen_today.move_to(dt.datetime(2026, 5, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))

    services.project_notify(project=project, by=township_user, notified_on=dt.date(2026, 3, 1))
    services.commitment_record(project=project, by=township_user, signed_on=dt.date(2026, 3, 2))
    services.construction_start(
        project=project,
        by=township_user,
        started_on=dt.date(2026, 3, 10),
        build_mode="self_build",
        builder_kind="craftsman",
        builder_name="王师傅",
    )
    services.project_photos_add(
        project=project, by=village_clerk, stage="before", files=[upload("a.jpg", jpeg_bytes())]
    )
    services.quality_check_record(
        project=project,
        by=township_user,
        checked_on=dt.date(2026, 4, 1),
        inspector="李工",
        result="passed",
    )
    services.construction_complete(
        project=project, by=township_user, completed_on=dt.date(2026, 5, 1)
    )
    services.project_accept(
        project=project,
        by=township_user,
        accepted_on=dt.date(2026, 5, 5),
        participants="乡镇李某、村王某、农户张三、工匠王师傅",
        parties=FOUR_PARTIES,
        evaluation_passed=True,
        evaluation_form=upload("eval.pdf", pdf_bytes(), "application/pdf"),
        built_area=Decimal("60"),
    )
    services.demolition_record(
        project=project,
        by=village_clerk,
        demolished_on=dt.date(2026, 5, 8),
        photo=upload("old.jpg", jpeg_bytes()),
    )
    project = services.project_close(
        project=project, by=county_reviewer, closed_on=dt.date(2026, 5, 10)
    )
    assert project.status == S.CLOSED
    from inspections.selectors import current_state

    state = current_state(household)
    assert (state.level, state.on, state.source) == ("safe", dt.date(2026, 5, 10), "closeout")
    assert state.project_id == project.pk

    # Every status change is in the audit history with the acting user.
    events = Events.objects.references(project).filter(
        pgh_model="renovation.RenovationProjectEvent"
    )
    statuses = [e.pgh_data["status"] for e in events.order_by("pgh_created_at", "pgh_id")]
    assert statuses[0] == "applied" and statuses[-1] == "closed"
    assert "approved" in statuses and "accepted" in statuses
    approval = next(e for e in events if e.pgh_data["status"] == "approved")
    assert approval.pgh_context["user"] == county_approver.pk


def test_application_needs_a_c_d_or_no_house_appraisal(household, village_clerk):
    with pytest.raises(DomainError, match="请先完成鉴定"):
        services.project_apply(
            household=household, by=village_clerk, year=2026, applied_on=TODAY, method="rebuild"
        )
    appraise(household, "B")
    with pytest.raises(DomainError, match="C级、D级危房或无房"):
        services.project_apply(
            household=household, by=village_clerk, year=2026, applied_on=TODAY, method="rebuild"
        )
    assert not RenovationProject.objects.exists()


def test_second_application_while_one_is_open_is_refused(household, village_clerk):
    make_project(household, S.APPLIED)
    with pytest.raises(DomainError, match="已有进行中的改造项目"):
        services.project_apply(
            household=household, by=village_clerk, year=2026, applied_on=TODAY, method="rebuild"
        )
    assert RenovationProject.objects.count() == 1


def test_other_township_cannot_touch_the_project(household, other_township_user):
    project = make_project(household, S.VILLAGE_REVIEWED)
    with pytest.raises(DomainError, match="不在您的管辖区划内"):
        services.township_review(
            project=project, by=other_township_user, reviewed_on=TODAY, passed=True, opinion="好"
        )
    assert snapshot(project)[0] == S.VILLAGE_REVIEWED


def test_official_cannot_write(household, official):
    project = make_project(household, S.VILLAGE_REVIEWED)
    with pytest.raises(DomainError, match="无权"):
        services.township_review(
            project=project, by=official, reviewed_on=TODAY, passed=True, opinion="好"
        )


def test_village_review_with_four_representatives_is_refused(household, village_clerk):
    project = make_project(household, S.APPLIED)
    before = snapshot(project)
    with pytest.raises(DomainError, match="至少5名村民代表.*只有4名"):
        services.village_review_record(
            project=project,
            by=village_clerk,
            held_on=TODAY,
            cadres=["王书记"],
            representatives=["甲", "乙", "丙", "丁"],
            result="passed",
            minutes_file=minutes(),
        )
    assert snapshot(project) == before
    assert not VillageReview.objects.exists()


def test_failed_village_review_rejects_the_project_with_reason(household, village_clerk):
    project = make_project(household, S.APPLIED)
    services.village_review_record(
        project=project,
        by=village_clerk,
        held_on=TODAY,
        cadres=["王书记"],
        representatives=list("甲乙丙丁戊"),
        result="failed",
        note="家中另有安全住房",
        minutes_file=minutes(),
    )
    project.refresh_from_db()
    assert project.status == S.REJECTED
    assert "家中另有安全住房" in project.end_reason


def test_out_of_order_step_is_refused(household, township_user):
    project = make_project(household, S.APPLIED)
    with pytest.raises(DomainError, match="当前状态为“已申请”，不能进行乡镇初审"):
        services.township_review(
            project=project, by=township_user, reviewed_on=TODAY, passed=True, opinion="好"
        )
    assert snapshot(project)[0] == S.APPLIED


def test_joint_review_needs_all_five_departments_and_all_agreeing(household, county_reviewer):
    project = make_project(household, S.TOWNSHIP_REVIEWED)
    partial = {k: v for k, v in ALL_AGREE.items() if k != "finance"}
    with pytest.raises(DomainError, match="缺少：财政"):
        services.joint_review_record(
            project=project, by=county_reviewer, reviewed_on=TODAY, opinions=partial
        )
    assert snapshot(project)[0] == S.TOWNSHIP_REVIEWED
    disagree = {**ALL_AGREE, "civil_affairs": (False, "不属于低保户")}
    services.joint_review_record(
        project=project, by=county_reviewer, reviewed_on=TODAY, opinions=disagree
    )
    project.refresh_from_db()
    assert project.status == S.REJECTED
    assert "民政不同意" in project.end_reason


def test_split_household_without_house_is_flagged(areas):
    household = HouseholdFactory(village=areas["village"], split_on=dt.date(2025, 3, 1))
    project = make_project(household, S.TOWNSHIP_REVIEWED, level="none")
    assert services.needs_split_scrutiny(project)
    old_split = HouseholdFactory(village=areas["village"], split_on=dt.date(2023, 3, 1))
    assert not services.needs_split_scrutiny(make_project(old_split, S.APPLIED, level="none"))


def test_approval_before_publicity_ends_is_refused(household, county_approver, county_reviewer):
    project = make_project(household, S.PUBLICITY)
    Publicity.objects.filter(project=project, level="county").update(ends_on=TODAY)
    before = snapshot(project)
    with pytest.raises(DomainError, match="县级公示至2026-05-20结束，公示期未满不能批准"):
        services.project_approve(project=project, by=county_approver)
    assert snapshot(project) == before


def test_approval_without_all_three_publicities_is_refused(household, county_approver):
    project = make_project(household, S.PUBLICITY)
    Publicity.objects.filter(project=project, level="township").delete()
    with pytest.raises(DomainError, match="尚未进行乡镇公示"):
        services.project_approve(project=project, by=county_approver)


def test_approval_with_unresolved_objection_is_refused_until_resolved(
    household, county_approver, county_reviewer, village_clerk
):
    project = make_project(household, S.PUBLICITY)
    publicity = project.publicities.get(level="village")
    objection = Objection.objects.create(
        publicity=publicity,
        raised_on=dt.date(2026, 3, 3),
        content="有楼房",
        recorded_by=village_clerk,
    )
    before = snapshot(project)
    with pytest.raises(DomainError, match="1条公示异议未处理"):
        services.project_approve(project=project, by=county_approver)
    assert snapshot(project) == before
    services.objection_resolve(
        objection=objection, by=county_reviewer, resolution="经核实不属实", resolved_on=TODAY
    )
    assert services.project_approve(project=project, by=county_approver).status == S.APPROVED


def test_joint_reviewer_cannot_approve_the_same_project(household, county_approver):
    project = make_project(household, S.PUBLICITY, joint_reviewed_by=county_approver)
    with pytest.raises(DomainError, match="联合审核录入人不能批准"):
        services.project_approve(project=project, by=county_approver)


def test_only_the_county_approver_approves(household, county_reviewer):
    project = make_project(household, S.PUBLICITY)
    with pytest.raises(DomainError, match="仅限县分管领导"):
        services.project_approve(project=project, by=county_reviewer)


def test_batch_approval_is_all_or_nothing_with_reasons(areas, county_approver):
    projects = [
        make_project(HouseholdFactory(village=areas["village"]), S.PUBLICITY) for _ in range(3)
    ]
    blocked = projects[1]
    Publicity.objects.filter(project=blocked, level="county").update(ends_on=dt.date(2026, 6, 1))
    with pytest.raises(services.BatchRefused) as info:
        services.projects_approve_batch(projects=projects, by=county_approver)
    assert list(info.value.errors) == [blocked.pk]
    assert "公示期未满" in info.value.errors[blocked.pk]
    assert not RenovationProject.objects.filter(status=S.APPROVED).exists()
    assert not RenovationProject.objects.filter(approved_amount__isnull=False).exists()

    Publicity.objects.filter(project=blocked).update(ends_on=dt.date(2026, 5, 1))
    approved = services.projects_approve_batch(projects=projects, by=county_approver)
    assert {p.status for p in approved} == {S.APPROVED}


def test_amount_override_needs_a_reason_and_is_audited(household, county_reviewer, county_approver):
    project = make_project(household, S.APPROVED)
    with pytest.raises(DomainError, match="必须填写理由"):
        services.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("45000"), reason=" "
        )
    services.project_override_amount(
        project=project, by=county_reviewer, amount=Decimal("45000"), reason="按村级材料清单核减"
    )
    project.refresh_from_db()
    assert project.approved_amount != Decimal("45000.00")  # pending the approver
    services.project_override_decide(project=project, by=county_approver, confirm=True)
    project.refresh_from_db()
    assert project.approved_amount == Decimal("45000.00")
    assert project.amount_overridden_by == county_approver


def test_commitment_without_date_is_refused(household, township_user):
    project = make_project(household, S.NOTIFIED)
    before = snapshot(project)
    with pytest.raises(DomainError, match="承诺书必须填写签署日期"):
        services.commitment_record(project=project, by=township_user, signed_on=None)
    assert snapshot(project) == before
    assert not Commitment.objects.exists()


def test_construction_cannot_start_without_commitment(household, township_user):
    project = make_project(household, S.NOTIFIED)
    with pytest.raises(DomainError, match="尚未签署承诺书"):
        services.construction_start(
            project=project,
            by=township_user,
            started_on=TODAY,
            build_mode="self_build",
            builder_kind="craftsman",
            builder_name="王师傅",
        )


def _accept(project, by, **overrides):
    kwargs = {
        "project": project,
        "by": by,
        "accepted_on": dt.date(2026, 5, 10),
        "participants": "乡镇、村、农户、工匠",
        "parties": FOUR_PARTIES,
        "evaluation_passed": True,
        "evaluation_form": upload("eval.pdf", pdf_bytes(), "application/pdf"),
        "built_area": Decimal("60"),
        **overrides,
    }
    return services.project_accept(**kwargs)


def test_acceptance_of_57_m2_for_7_people_needs_an_exception(
    areas, township_user, county_reviewer, settings, tmp_path
):
    household = HouseholdFactory(village=areas["village"], family_size=7)
    project = make_project(household, S.COMPLETED)
    before = snapshot(project)
    with pytest.raises(DomainError, match=r"7人户建筑面积应为112–175㎡.*实际57㎡（人均8.14㎡）"):
        _accept(project, township_user, built_area=Decimal("57"))
    assert snapshot(project) == before
    assert not Acceptance.objects.exists()
    assert not list((tmp_path / "media").rglob("*.pdf"))  # the uploaded form was not kept

    services.area_exception_grant(
        project=project, by=county_reviewer, reason="农户自愿分期建设，已承诺2027年前扩建"
    )
    _accept(project, township_user, built_area=Decimal("57"))
    project.refresh_from_db()
    assert project.status == S.ACCEPTED and project.built_area == Decimal("57.00")


def test_repaired_house_keeps_its_area(areas, township_user):
    household = HouseholdFactory(village=areas["village"], family_size=7)
    project = make_project(household, S.COMPLETED, level="C")
    _accept(project, township_user, built_area=Decimal("57"))
    assert RenovationProject.objects.get(pk=project.pk).status == S.ACCEPTED


def test_acceptance_dated_before_completion_is_refused(household, township_user):
    project = make_project(household, S.COMPLETED)
    before = snapshot(project)
    with pytest.raises(DomainError, match="验收日期不能早于竣工日期（2026-05-01）"):
        _accept(project, township_user, accepted_on=dt.date(2026, 4, 28))
    assert snapshot(project) == before


def test_acceptance_without_completion_or_with_failed_evaluation_is_refused(
    household, township_user
):
    project = make_project(household, S.UNDER_CONSTRUCTION)
    with pytest.raises(DomainError, match="尚未登记竣工"):
        _accept(project, township_user)
    project = make_project(HouseholdFactory(village=household.village), S.COMPLETED)
    with pytest.raises(DomainError, match="基本安全评定不合格"):
        _accept(project, township_user, evaluation_passed=False)
    with pytest.raises(DomainError, match="请上传基本安全评定表"):
        _accept(project, township_user, evaluation_form=None)
    assert snapshot(project)[0] == S.COMPLETED


def test_open_quality_problem_blocks_acceptance_until_rechecked(household, township_user):
    project = make_project(household, S.COMPLETED)
    check = services.quality_check_record(
        project=project,
        by=township_user,
        checked_on=dt.date(2026, 5, 2),
        inspector="李工",
        result="problems",
        problems="圈梁未闭合",
    )
    with pytest.raises(DomainError, match="尚未整改复查合格"):
        _accept(project, township_user)
    services.quality_check_record(
        project=project,
        by=township_user,
        checked_on=dt.date(2026, 5, 4),
        inspector="李工",
        result="passed",
        recheck_of=check,
    )
    _accept(project, township_user)


def test_close_out_without_demolition_or_reason_is_refused(household, county_reviewer):
    project = make_project(household, S.ACCEPTED)
    before = snapshot(project)
    with pytest.raises(DomainError, match="旧房尚未登记拆除"):
        services.project_close(project=project, by=county_reviewer, closed_on=TODAY)
    assert snapshot(project) == before


def test_no_demolition_reason_only_for_repair(household, county_reviewer, township_user):
    project = make_project(household, S.ACCEPTED)
    with pytest.raises(DomainError, match="只有修缮加固"):
        services.demolition_not_applicable(project=project, by=township_user, reason="保留")
    repair = make_project(HouseholdFactory(village=household.village), S.ACCEPTED, level="C")
    services.demolition_not_applicable(project=repair, by=township_user, reason="原房修缮加固")
    assert services.project_close(project=repair, by=county_reviewer, closed_on=TODAY).status == (
        S.CLOSED
    )


def test_end_needs_a_reason(household, village_clerk):
    project = make_project(household, S.APPLIED)
    with pytest.raises(DomainError, match="请填写理由"):
        services.project_end(project=project, by=village_clerk, status="declined", reason="")
    services.project_end(
        project=project, by=village_clerk, status="declined", reason="投靠子女居住"
    )
    project.refresh_from_db()
    assert project.status == S.DECLINED and project.end_reason == "投靠子女居住"


def test_bad_photo_saves_nothing(household, village_clerk, tmp_path):
    project = make_project(household, S.UNDER_CONSTRUCTION)
    files = [upload("ok.jpg", jpeg_bytes()), upload("bad.jpg", b"not an image at all")]
    with pytest.raises(DomainError, match="bad.jpg"):
        services.project_photos_add(project=project, by=village_clerk, stage="during", files=files)
    assert not project.photos.exists()
    assert not list((tmp_path / "media").rglob("*.jpg"))


# --- the database holds the rules even against raw SQL ---------------------------------


def test_database_refuses_a_status_jump_in_raw_sql(household):
    project = make_project(household, S.APPLIED)
    with (
        pytest.raises(IntegrityError, match="不能从 applied 变为 closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE renovation_renovationproject SET status = 'closed' WHERE id = %s",
            [project.pk],
        )
    assert snapshot(project)[0] == S.APPLIED


def test_database_allows_a_listed_transition_in_raw_sql(household):
    project = make_project(household, S.APPLIED)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE renovation_renovationproject SET status = 'village_reviewed' WHERE id = %s",
            [project.pk],
        )
    assert snapshot(project)[0] == S.VILLAGE_REVIEWED


def test_database_refuses_dates_out_of_order(household):
    project = make_project(household, S.ACCEPTED)
    with (
        pytest.raises(IntegrityError, match="renovation_dates_in_order"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE renovation_renovationproject SET accepted_on = '2026-04-01' WHERE id = %s",
            [project.pk],
        )


def test_database_refuses_approval_without_amount(household):
    project = make_project(household, S.PUBLICITY)
    with (
        pytest.raises(IntegrityError, match="renovation_funded_has_amount"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE renovation_renovationproject SET status = 'approved' WHERE id = %s",
            [project.pk],
        )


def test_area_exception_through_the_page_reads_within_the_held_project(
    client, areas, county_reviewer
):
    """Under the scope guard of a request, the check for an existing exception was an
    unscoped read (a 500, found by the junk-form walk)."""
    from django.urls import reverse

    project = make_project(HouseholdFactory(village=areas["village"], family_size=7), S.COMPLETED)
    client.force_login(county_reviewer)
    url = reverse("renovation:step", args=[project.pk, "area_exception"])
    response = client.post(url, {"reason": "农户自愿分期建设，已承诺2027年前扩建"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert AreaException.objects.unscoped("test").filter(project=project).exists()
    again = client.post(url, {"reason": "再来一次"})
    assert again.status_code in (200, 302)
    assert AreaException.objects.unscoped("test").filter(project=project).count() == 1
