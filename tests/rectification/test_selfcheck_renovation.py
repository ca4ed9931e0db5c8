"""Self-check rules on renovation projects and payouts (document 004's findings): each seeded
pattern is found naming exactly the right households, clean data gives nothing, a second run
adds no duplicate, and a dismissed finding comes back only when its data changes.

Today is Monday 2026-11-23 (tests/rectification/conftest.py freezes the clock).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from rectification import selfcheck, services
from rectification.models import FindingStatus, SelfCheckFinding
from renovation.models import (
    Acceptance,
    AreaException,
    Commitment,
    Demolition,
    ProjectStatus,
    RenovationMethod,
    RenovationProject,
)
from subsidies.models import BatchStatus, LineStatus, PayoutLine
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project, batch

pytestmark = pytest.mark.django_db

S = ProjectStatus


def _open(rule):
    return SelfCheckFinding.objects.filter(rule=rule, status=FindingStatus.OPEN)


def _household_ids(rule):
    return sorted(h for f in _open(rule) for h in f.households.values_list("pk", flat=True))


def _messages(rule):
    return " ".join(_open(rule).values_list("message", flat=True))


def _run(rule):
    return selfcheck.run(rules=[rule])


def _household(areas, name, village="village", **fields):
    return HouseholdFactory(village=areas[village], head_name=name, **fields)


def _ids(*households):
    return sorted(h.pk for h in households)


# --- 1. payout before acceptance ---------------------------------------------------------


def _line(payout, project, by, **fields):
    return PayoutLine.objects.create(
        batch=payout,
        project=project,
        amount=Decimal("50000.00"),
        account=project.household.bank_account,
        account_masked=project.household.bank_account_masked,
        created_by=by,
        **fields,
    )


def _insert_line_bypassing_triggers(payout, project, by):
    """The database refuses a payout line for a project that has not passed acceptance (the
    trigger on subsidies_payoutline). Data imported from before Anju can still hold one, and
    that is what the rule exists to find: seed it with the table's user triggers disabled for
    this one insert, inside the test's transaction, and enabled again at once."""
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign-key checks are pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE subsidies_payoutline DISABLE TRIGGER USER")
        try:
            line = _line(payout, project, by)
        finally:
            cursor.execute("ALTER TABLE subsidies_payoutline ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return line


@pytest.fixture
def paid_early(areas, county_reviewer):
    """Paid 23 Nov: one project accepted only on 25 Nov, one never accepted, two in order."""
    late = _household(areas, "栗云")
    never = _household(areas, "未验收", village="other_village")
    in_order = _household(areas, "按时")
    failed = _household(areas, "失败户")
    payout = batch(
        county_reviewer,
        status=BatchStatus.PAID,
        paid_on=dt.date(2026, 11, 23),
        paid_by=county_reviewer,
    )
    late_project = accepted_project(late, accepted_on=dt.date(2026, 11, 20))
    failed_project = accepted_project(failed, accepted_on=dt.date(2026, 11, 20))
    _line(payout, late_project, county_reviewer)
    _line(payout, accepted_project(in_order, accepted_on=dt.date(2026, 11, 20)), county_reviewer)
    # A failed line paid nothing, whatever its project's dates.
    _line(
        payout, failed_project, county_reviewer, status=LineStatus.FAILED, failure_reason="账号错误"
    )
    # The order the triggers allow: accepted 20 Nov, paid 23 Nov, then the acceptance date
    # corrected to the real one, 25 Nov (document 004: accepted 25 Nov, paid 23 Nov).
    for project in (late_project, failed_project):
        RenovationProject.objects.filter(pk=project.pk).update(accepted_on=dt.date(2026, 11, 25))
        Acceptance.objects.filter(project=project).update(accepted_on=dt.date(2026, 11, 25))
    never_project = make_project(
        never, S.COMPLETED, started_on=dt.date(2026, 9, 1), completed_on=dt.date(2026, 11, 1)
    )
    _insert_line_bypassing_triggers(payout, never_project, county_reviewer)
    return {"late": late, "never": never, "late_project": late_project}


def test_payout_before_acceptance_found(paid_early):
    _run("payout_before_acceptance")
    assert _household_ids("payout_before_acceptance") == _ids(
        paid_early["late"], paid_early["never"]
    )
    messages = _messages("payout_before_acceptance")
    assert "栗云" in messages and "2026年11月25日才通过竣工验收" in messages
    assert "未验收" in messages and "至今未通过竣工验收" in messages
    assert "按时" not in messages and "失败户" not in messages


def test_payout_before_acceptance_clean(areas, county_reviewer):
    payout = batch(
        county_reviewer,
        status=BatchStatus.PAID,
        paid_on=dt.date(2026, 11, 23),
        paid_by=county_reviewer,
    )
    project = accepted_project(_household(areas, "按时"), accepted_on=dt.date(2026, 11, 23))
    _line(payout, project, county_reviewer)
    # A draft batch (not paid yet) is no payout at all.
    draft = batch(county_reviewer)
    _line(draft, accepted_project(_household(areas, "草稿")), county_reviewer)
    _run("payout_before_acceptance")
    assert not _open("payout_before_acceptance").exists()


def test_payout_before_acceptance_dismissed_until_dates_change(paid_early, county_reviewer):
    _run("payout_before_acceptance")
    finding = _open("payout_before_acceptance").get(households=paid_early["late"])
    services.finding_dismiss(finding=finding, by=county_reviewer, reason="已核实，日期录入有误")
    _run("payout_before_acceptance")
    assert not _open("payout_before_acceptance").filter(households=paid_early["late"]).exists()
    RenovationProject.objects.filter(pk=paid_early["late_project"].pk).update(
        accepted_on=dt.date(2026, 11, 24)
    )
    _run("payout_before_acceptance")
    assert _open("payout_before_acceptance").filter(households=paid_early["late"]).exists()


# --- 2. acceptance without a passed evaluation form --------------------------------------


@pytest.fixture
def bad_acceptances(areas):
    failed = make_project(_household(areas, "评定不合格"), S.ACCEPTED)
    Acceptance.objects.filter(project=failed).update(evaluation_passed=False)
    no_form = make_project(_household(areas, "无评定表"), S.ACCEPTED)
    Acceptance.objects.filter(project=no_form).update(evaluation_form="")
    no_record = make_project(_household(areas, "无验收记录", village="other_village"), S.CLOSED)
    Acceptance.objects.filter(project=no_record).delete()
    make_project(_household(areas, "合格"), S.ACCEPTED)
    make_project(_household(areas, "已竣工"), S.COMPLETED)  # not accepted yet: nothing to check
    return {"failed": failed, "no_form": no_form, "no_record": no_record}


def test_acceptance_without_evaluation_found(bad_acceptances):
    _run("acceptance_without_evaluation")
    expected = _ids(*(p.household for p in bad_acceptances.values()))
    assert _household_ids("acceptance_without_evaluation") == expected
    messages = _messages("acceptance_without_evaluation")
    assert "基本安全评定不合格" in messages
    assert "未上传基本安全评定表" in messages
    assert "没有竣工验收记录" in messages
    assert "东村 合格：" not in messages and "已竣工" not in messages


def test_acceptance_without_evaluation_clean(areas):
    make_project(_household(areas, "合格"), S.ACCEPTED)
    make_project(_household(areas, "销号"), S.CLOSED)
    _run("acceptance_without_evaluation")
    assert not _open("acceptance_without_evaluation").exists()


def test_acceptance_finding_resolved_when_form_uploaded(bad_acceptances):
    _run("acceptance_without_evaluation")
    Acceptance.objects.filter(project=bad_acceptances["no_form"]).update(
        evaluation_form="renovation/evaluations/2026/11/form.pdf"
    )
    result = _run("acceptance_without_evaluation")
    assert result.resolved == 1
    assert bad_acceptances["no_form"].household.pk not in _household_ids(
        "acceptance_without_evaluation"
    )


# --- 3. identical start and completion dates in one township ----------------------------

STARTED, COMPLETED = dt.date(2026, 10, 11), dt.date(2026, 10, 20)


def _built(household, started=STARTED, completed=COMPLETED, status=S.COMPLETED):
    dates = {"started_on": started, "completed_on": completed}
    if status == S.ACCEPTED:
        dates["accepted_on"] = completed + dt.timedelta(days=5)
    return make_project(household, status, **dates)


@pytest.fixture
def same_dates(areas):
    """Five households of 临泉镇 (two villages) on 11 Oct / 20 Oct; others that do not count."""
    group = [_household(areas, f"田富远{i}") for i in range(3)]
    group += [_household(areas, f"西村{i}", village="village2") for i in range(2)]
    for h in group[:4]:
        _built(h)
    _built(group[4], status=S.ACCEPTED)  # accepted later: still the same paper dates
    _built(_household(areas, "不同日期"), completed=dt.date(2026, 10, 21))
    # Four in the other township with the same dates: below the threshold of 5.
    for i in range(4):
        _built(_household(areas, f"白文{i}", village="other_village"))
    return group


def test_same_dates_found_one_finding_per_group(same_dates, areas):
    _run("same_start_completion_dates")
    finding = _open("same_start_completion_dates").get()
    assert _household_ids("same_start_completion_dates") == _ids(*same_dates)
    assert finding.area == areas["township"]
    assert "临泉镇5户" in finding.message
    assert "2026年10月11日" in finding.message and "2026年10月20日" in finding.message
    assert "不同日期" not in finding.message and "白文" not in finding.message


def test_same_dates_threshold_is_a_setting(same_dates, areas, settings):
    settings.ANJU_SELFCHECK_SAME_DATES_MIN = 4
    _run("same_start_completion_dates")
    assert _open("same_start_completion_dates").count() == 2
    assert set(_open("same_start_completion_dates").values_list("area", flat=True)) == {
        areas["township"].pk,
        areas["other_township"].pk,
    }


def test_same_dates_clean(areas):
    for i in range(4):
        _built(_household(areas, f"农户{i}"))
    for i in range(3):
        _built(_household(areas, f"错开{i}"), started=dt.date(2026, 9, 1 + i))
    _run("same_start_completion_dates")
    assert not _open("same_start_completion_dates").exists()


def test_same_dates_dismissed_until_group_changes(same_dates, areas, county_reviewer):
    _run("same_start_completion_dates")
    finding = _open("same_start_completion_dates").get()
    services.finding_dismiss(finding=finding, by=county_reviewer, reason="已电话核实，日期属实")
    _run("same_start_completion_dates")
    assert not _open("same_start_completion_dates").exists()
    sixth = _household(areas, "第六户")
    _built(sixth)
    _run("same_start_completion_dates")
    assert _household_ids("same_start_completion_dates") == _ids(*same_dates, sixth)


def test_same_dates_village_run_sees_the_township(same_dates):
    """A run over one village still counts the whole township, and stores one finding."""
    selfcheck.run(prefix="141124100201", rules=["same_start_completion_dates"])
    selfcheck.run(prefix="141124100201", rules=["same_start_completion_dates"])
    selfcheck.run(rules=["same_start_completion_dates"])
    assert _open("same_start_completion_dates").count() == 1
    assert _household_ids("same_start_completion_dates") == _ids(*same_dates)


# --- 4. area per person outside the standard --------------------------------------------


def _accepted(household, area, method=RenovationMethod.REBUILD):
    return make_project(household, S.ACCEPTED, method=method, built_area=Decimal(area))


@pytest.fixture
def area_cases(areas, county_reviewer):
    seven = _household(areas, "高景思", family_size=7)
    single = _household(areas, "独居", village="other_village", family_size=1)
    _accepted(seven, "57", method=RenovationMethod.NEW_SITE_SCATTERED)  # 8 m² per person
    _accepted(single, "40")  # above 35 m²
    _accepted(_household(areas, "达标", family_size=3), "60")
    # A repaired house keeps its area.
    _accepted(_household(areas, "修缮", family_size=7), "57", method=RenovationMethod.REPAIR)
    excepted = _accepted(_household(areas, "例外", family_size=7), "57")
    AreaException.objects.create(project=excepted, reason="宅基地受限", granted_by=county_reviewer)
    # Not accepted yet: acceptance itself will check it.
    make_project(_household(areas, "施工中", family_size=7), S.UNDER_CONSTRUCTION, built_area=57)
    return {"seven": seven, "single": single}


def test_area_out_of_standard_found(area_cases):
    _run("area_per_person_out_of_standard")
    assert _household_ids("area_per_person_out_of_standard") == _ids(
        area_cases["seven"], area_cases["single"]
    )
    messages = _messages("area_per_person_out_of_standard")
    assert "7人户建筑面积应为112–175㎡" in messages and "人均8.14㎡" in messages
    assert "1人户建筑面积不应超过35㎡，实际40㎡" in messages


def test_area_clean(areas, county_reviewer):
    _accepted(_household(areas, "三口", family_size=3), "48")
    _accepted(_household(areas, "两口", family_size=2), "55")
    _accepted(_household(areas, "修缮", family_size=7), "40", method=RenovationMethod.REPAIR)
    _run("area_per_person_out_of_standard")
    assert not _open("area_per_person_out_of_standard").exists()


def test_area_finding_follows_the_built_area(area_cases, county_reviewer):
    _run("area_per_person_out_of_standard")
    finding = _open("area_per_person_out_of_standard").get(households=area_cases["single"])
    services.finding_dismiss(finding=finding, by=county_reviewer, reason="面积测量有误")
    _run("area_per_person_out_of_standard")
    assert not _open("area_per_person_out_of_standard").filter(households=area_cases["single"])
    RenovationProject.objects.filter(household=area_cases["single"]).update(built_area=42)
    _run("area_per_person_out_of_standard")
    assert _open("area_per_person_out_of_standard").filter(households=area_cases["single"])


# --- 5. accepted but old house not demolished --------------------------------------------


def _demolished(project, by):
    return Demolition.objects.create(
        project=project,
        demolished_on=dt.date(2026, 6, 1),
        photo=upload("old.jpg", jpeg_bytes()),
        content_type="image/jpeg",
        recorded_by=by,
    )


@pytest.fixture
def not_demolished(areas, county_reviewer):
    """Accepted 10 May (more than 90 days before 23 Nov) and nothing recorded since."""
    kept = make_project(_household(areas, "王金顺"), S.ACCEPTED)
    moved = make_project(
        _household(areas, "置换", village="other_village"),
        S.ACCEPTED,
        method=RenovationMethod.REPLACEMENT,
    )
    _demolished(make_project(_household(areas, "已拆除"), S.CLOSED), county_reviewer)
    make_project(_household(areas, "修缮户"), S.ACCEPTED, level="C")  # repaired: no old house
    make_project(
        _household(areas, "免拆"),
        S.ACCEPTED,
        level="C",
        demolition_not_applicable_reason="原房屋修缮加固后继续使用",
    )
    recent = make_project(
        _household(areas, "刚验收"),
        S.ACCEPTED,
        completed_on=dt.date(2026, 10, 25),
        accepted_on=dt.date(2026, 11, 1),
    )
    return {"kept": kept, "moved": moved, "recent": recent}


def test_old_house_not_demolished_found(not_demolished):
    _run("old_house_not_demolished")
    assert _household_ids("old_house_not_demolished") == _ids(
        not_demolished["kept"].household, not_demolished["moved"].household
    )
    messages = _messages("old_house_not_demolished")
    assert "王金顺" in messages and "2026年5月10日竣工验收，已超过90天" in messages


def test_old_house_days_is_a_setting(not_demolished, settings):
    settings.ANJU_SELFCHECK_NOT_DEMOLISHED_DAYS = 15
    _run("old_house_not_demolished")
    assert not_demolished["recent"].household.pk in _household_ids("old_house_not_demolished")
    assert "已超过15天" in _messages("old_house_not_demolished")


def test_old_house_clean(areas, county_reviewer):
    _demolished(make_project(_household(areas, "已拆除"), S.ACCEPTED), county_reviewer)
    make_project(_household(areas, "修缮户"), S.CLOSED, level="C")
    make_project(_household(areas, "施工中"), S.UNDER_CONSTRUCTION)
    _run("old_house_not_demolished")
    assert not _open("old_house_not_demolished").exists()


def test_old_house_resolved_by_demolition(not_demolished, county_reviewer):
    _run("old_house_not_demolished")
    _demolished(not_demolished["kept"], county_reviewer)
    result = _run("old_house_not_demolished")
    assert result.resolved == 1
    assert _household_ids("old_house_not_demolished") == [not_demolished["moved"].household.pk]


# --- 6. commitment letter without a date -------------------------------------------------


@pytest.fixture
def no_commitment(areas):
    building = make_project(_household(areas, "贾红立"), S.UNDER_CONSTRUCTION)
    closed = make_project(_household(areas, "已销号", village="other_village"), S.CLOSED)
    Commitment.objects.filter(project__in=[building, closed]).delete()
    # Just notified: the household has not signed yet, which is fine for now.
    make_project(_household(areas, "刚函告"), S.NOTIFIED)
    make_project(_household(areas, "已签署"), S.UNDER_CONSTRUCTION)
    return {"building": building, "closed": closed}


def test_commitment_without_date_found(no_commitment):
    _run("commitment_without_date")
    assert _household_ids("commitment_without_date") == _ids(
        no_commitment["building"].household, no_commitment["closed"].household
    )
    messages = _messages("commitment_without_date")
    assert "贾红立" in messages and "没有录入拆旧建新及安全责任承诺书" in messages
    assert "刚函告" not in messages and "已签署" not in messages


def test_commitment_clean(areas):
    make_project(_household(areas, "刚函告"), S.NOTIFIED)
    make_project(_household(areas, "已签署"), S.ACCEPTED)
    make_project(_household(areas, "申请中"), S.APPLIED)
    _run("commitment_without_date")
    assert not _open("commitment_without_date").exists()


def test_commitment_recorded_resolves(no_commitment, county_reviewer):
    _run("commitment_without_date")
    Commitment.objects.create(
        project=no_commitment["building"],
        signed_on=dt.date(2026, 3, 26),
        recorded_by=county_reviewer,
    )
    result = _run("commitment_without_date")
    assert result.resolved == 1
    assert _household_ids("commitment_without_date") == [no_commitment["closed"].household.pk]


# --- every rule: a second run adds nothing -----------------------------------------------


@pytest.mark.parametrize(
    "rule, seeded",
    [
        ("payout_before_acceptance", "paid_early"),
        ("acceptance_without_evaluation", "bad_acceptances"),
        ("same_start_completion_dates", "same_dates"),
        ("area_per_person_out_of_standard", "area_cases"),
        ("old_house_not_demolished", "not_demolished"),
        ("commitment_without_date", "no_commitment"),
    ],
)
def test_run_twice_no_duplicate(rule, seeded, request):
    request.getfixturevalue(seeded)
    first = _run(rule)
    assert first.created > 0
    second = _run(rule)
    assert second.created == 0 and second.updated == 0 and second.resolved == 0
    assert second.unchanged == first.created
    assert SelfCheckFinding.objects.filter(rule=rule).count() == first.created


def test_all_rules_registered():
    assert {
        "payout_before_acceptance",
        "acceptance_without_evaluation",
        "same_start_completion_dates",
        "area_per_person_out_of_standard",
        "old_house_not_demolished",
        "commitment_without_date",
    } <= set(selfcheck.RULES)
