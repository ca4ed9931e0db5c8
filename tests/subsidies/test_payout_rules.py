"""The payout rules of DOMAIN.md "Subsidies", one by one: refused with a clear message and
nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Role
from core.errors import DomainError
from households.services import household_update
from renovation.models import ProjectStatus
from subsidies import services
from subsidies.models import BatchStatus, LineStatus, PayoutBatch, PayoutLine
from subsidies.services import LineRequest, LinesRefused
from tests.factories import HouseholdFactory, UserFactory
from tests.inspections.factories import pdf_bytes, upload
from tests.subsidies.factories import accepted_project, allocation, batch, voucher

pytestmark = pytest.mark.django_db
S = ProjectStatus


def add(b, by, *pairs):
    return services.batch_add_lines(
        batch=b, by=by, items=[LineRequest(project=p, amount=a) for p, a in pairs]
    )


def test_lines_take_the_outstanding_amount_and_a_masked_account_snapshot(
    household, county_reviewer
):
    project = accepted_project(household, amount=Decimal("40000"))
    b = services.batch_create(
        by=county_reviewer,
        title="第一批",
        batch_date=dt.date(2026, 12, 1),
        allocation=allocation(county_reviewer, level="provincial"),
    )
    assert b.number == "BF2026-001"
    assert b.funding_source == "provincial"  # the allocation's level
    [line] = add(b, county_reviewer, (project, None))
    line.refresh_from_db()
    assert line.amount == Decimal("40000.00")
    assert line.account == household.bank_account
    assert line.account_masked == household.bank_account_masked
    assert "*" in line.account_masked
    assert line.status == LineStatus.PENDING


def test_rule1_no_line_for_a_project_not_accepted(household, county_reviewer):
    project = accepted_project(household, status=S.COMPLETED, accepted_on=None)
    b = batch(county_reviewer)
    with pytest.raises(LinesRefused) as exc:
        add(b, county_reviewer, (project, Decimal("1000")))
    assert exc.value.errors[project.pk] == "张三：该项目尚未通过竣工验收，不能拨付补助资金。"
    assert not PayoutLine.objects.exists()


def test_closed_projects_are_payable(household, county_reviewer):
    project = accepted_project(household, status=S.CLOSED)
    [line] = add(batch(county_reviewer), county_reviewer, (project, Decimal("1000")))
    assert line.pk


def test_rule2_document_004_paid_before_acceptance_is_refused(
    household, county_reviewer, county_approver
):
    # Document 004: accepted 25 Nov, paid 23 Nov.
    project = accepted_project(household, accepted_on=dt.date(2026, 11, 25))
    b = batch(county_reviewer)
    add(b, county_reviewer, (project, Decimal("50000")))
    services.batch_submit(batch=b, by=county_reviewer)
    with pytest.raises(DomainError) as exc:
        services.batch_pay(
            batch=b, by=county_approver, paid_on=dt.date(2026, 11, 23), voucher=voucher()
        )
    message = str(exc.value)
    assert "张三" in message
    assert "2026年11月23日" in message and "2026年11月25日" in message
    b.refresh_from_db()
    assert b.status == BatchStatus.SUBMITTED and b.paid_on is None and not b.voucher
    assert PayoutLine.objects.get().status == LineStatus.PENDING
    # Paid on the day of acceptance or later: fine.
    services.batch_pay(
        batch=b, by=county_approver, paid_on=dt.date(2026, 11, 25), voucher=voucher()
    )
    b.refresh_from_db()
    assert b.status == BatchStatus.PAID
    assert PayoutLine.objects.get().status == LineStatus.PAID


def test_rule3_never_above_the_approved_amount(household, county_reviewer):
    project = accepted_project(household, amount=Decimal("50000"))
    first = batch(county_reviewer)
    add(first, county_reviewer, (project, Decimal("30000")))
    second = batch(county_reviewer)
    with pytest.raises(LinesRefused) as exc:
        add(second, county_reviewer, (project, Decimal("20000.01")))
    assert "超过核定补助金额50,000.00元" in exc.value.errors[project.pk]
    assert not second.lines.exists()
    [line] = add(second, county_reviewer, (project, Decimal("20000")))
    assert line.amount == Decimal("20000")


def test_failed_lines_do_not_count_as_paid(household, county_reviewer, county_approver):
    project = accepted_project(household, amount=Decimal("50000"))
    first = batch(county_reviewer)
    [line] = add(first, county_reviewer, (project, Decimal("50000")))
    services.batch_submit(batch=first, by=county_reviewer)
    services.batch_pay(
        batch=first, by=county_approver, paid_on=dt.date(2026, 12, 5), voucher=voucher()
    )
    services.line_mark_failed(line=line, by=county_approver, reason="卡号与户名不一致")
    # Back to the household's record first: the account it failed on is refused.
    with pytest.raises(LinesRefused) as exc:
        add(batch(county_reviewer), county_reviewer, (project, None))
    assert "一卡通账号尚未更正" in exc.value.errors[project.pk]
    household.refresh_from_db()
    household_update(household=household, by=county_reviewer, bank_account="6229123412341234999")
    [again] = add(batch(county_reviewer), county_reviewer, (project, None))
    assert again.amount == Decimal("50000")
    assert again.account == "6229123412341234999"


def test_rule4_second_renovation_subsidy_needs_disaster_proof(county_reviewer, areas):
    household = HouseholdFactory(village=areas["village"], head_name="王五")
    earlier = accepted_project(household, year=2024, accepted_on=dt.date(2024, 11, 25))
    add(batch(county_reviewer), county_reviewer, (earlier, Decimal("50000")))
    later = accepted_project(household, year=2026)
    b = batch(county_reviewer)
    with pytest.raises(LinesRefused) as exc:
        add(b, county_reviewer, (later, Decimal("10000")))
    assert "已享受过2024年度危房改造补助" in exc.value.errors[later.pk]
    assert not b.lines.exists()

    with pytest.raises(DomainError, match="灾害损毁证明"):
        services.readmission_record(project=later, by=county_reviewer, proof_file=None)
    services.readmission_record(
        project=later,
        by=county_reviewer,
        proof_file=upload("proof.pdf", pdf_bytes(), "application/pdf"),
        note="2026年7月暴雨致房屋再次成为危房",
    )
    [line] = add(b, county_reviewer, (later, Decimal("10000")))
    assert line.project == later


def test_rule5_not_with_the_same_years_disaster_rebuild_subsidy(household, county_reviewer):
    project = accepted_project(household, year=2026)
    services.rebuild_subsidy_record(
        household=household, by=county_reviewer, year=2026, amount=Decimal("20000")
    )
    b = batch(county_reviewer)
    with pytest.raises(LinesRefused) as exc:
        add(b, county_reviewer, (project, Decimal("10000")))
    assert "2026年已享受灾后重建补助" in exc.value.errors[project.pk]
    assert not b.lines.exists()


def test_rule5_another_years_rebuild_subsidy_does_not_block(household, county_reviewer):
    project = accepted_project(household, year=2026)
    services.rebuild_subsidy_record(
        household=household, by=county_reviewer, year=2025, amount=Decimal("20000")
    )
    assert add(batch(county_reviewer), county_reviewer, (project, Decimal("10000")))


def test_household_without_account_is_refused(areas, county_reviewer):
    household = HouseholdFactory(village=areas["village"], head_name="赵六", bank_account="")
    project = accepted_project(household)
    with pytest.raises(LinesRefused) as exc:
        add(batch(county_reviewer), county_reviewer, (project, Decimal("1000")))
    assert exc.value.errors[project.pk] == "赵六：该户未登记一卡通账号。"


def test_one_bad_line_changes_nothing(areas, household, county_reviewer):
    good = accepted_project(household)
    bad = accepted_project(
        HouseholdFactory(village=areas["village2"], head_name="钱七"),
        status=S.COMPLETED,
        accepted_on=None,
    )
    b = batch(county_reviewer)
    version = b.version
    with pytest.raises(LinesRefused) as exc:
        add(b, county_reviewer, (good, Decimal("1000")), (bad, Decimal("1000")))
    assert list(exc.value.errors) == [bad.pk]
    assert "均未加入批次" in str(exc.value)
    assert not PayoutLine.objects.exists()
    b.refresh_from_db()
    assert b.version == version


def test_zero_or_negative_amount_refused(household, county_reviewer):
    project = accepted_project(household)
    with pytest.raises(LinesRefused) as exc:
        add(batch(county_reviewer), county_reviewer, (project, Decimal("0")))
    assert "必须大于0" in exc.value.errors[project.pk]


def test_submitter_cannot_also_pay_or_reconcile(household, county_reviewer, county_approver):
    project = accepted_project(household)
    b = batch(county_reviewer)
    add(b, county_reviewer, (project, Decimal("1000")))
    services.batch_submit(batch=b, by=county_reviewer)
    with pytest.raises(DomainError, match="提交人不能同时确认拨付"):
        services.batch_pay(
            batch=b, by=county_reviewer, paid_on=dt.date(2026, 12, 5), voucher=voucher()
        )
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.SUBMITTED
    services.batch_pay(batch=b, by=county_approver, paid_on=dt.date(2026, 12, 5), voucher=voucher())
    with pytest.raises(DomainError, match="提交人不能同时确认拨付"):
        services.batch_reconcile(batch=b, by=county_reviewer)
    with pytest.raises(DomainError, match="确认拨付人不能同时对账"):
        services.batch_reconcile(batch=b, by=county_approver)
    third = UserFactory(username="approver2", role=Role.COUNTY_APPROVER, area=county_approver.area)
    services.batch_reconcile(batch=b, by=third)
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.RECONCILED


def test_pay_needs_a_real_voucher_and_no_future_date(household, county_reviewer, county_approver):
    project = accepted_project(household)
    b = batch(county_reviewer)
    add(b, county_reviewer, (project, Decimal("1000")))
    services.batch_submit(batch=b, by=county_reviewer)
    with pytest.raises(DomainError, match="不是可接受的文件类型"):
        services.batch_pay(
            batch=b,
            by=county_approver,
            paid_on=dt.date(2026, 12, 5),
            voucher=upload("v.pdf", b"MZ not a pdf", "application/pdf"),
        )
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.batch_pay(
            batch=b, by=county_approver, paid_on=dt.date(2026, 12, 11), voucher=voucher()
        )
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.SUBMITTED


def test_lines_only_in_draft_batches(household, county_reviewer):
    project = accepted_project(household)
    b = batch(county_reviewer, status=BatchStatus.SUBMITTED)
    with pytest.raises(DomainError, match="不能再添加明细"):
        add(b, county_reviewer, (project, Decimal("1000")))


def test_roles(household, county_reviewer, township_user, official):
    project = accepted_project(household)
    b = batch(county_reviewer)
    for user in (township_user, official):
        with pytest.raises(DomainError, match="无权"):
            add(b, user, (project, Decimal("1000")))
        with pytest.raises(DomainError, match="无权"):
            services.batch_create(
                by=user, title="x", batch_date=dt.date(2026, 12, 1), funding_source="central"
            )
    assert not PayoutLine.objects.exists()
