"""Issue 16: money that adds up, with two people on every decision.

Each acceptance point: through the service, the API or the page, and (where it is a sum)
through raw SQL, which the database triggers refuse as well.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, connection, transaction
from openpyxl import load_workbook

from core.errors import ConflictError, DomainError, RoleRefused
from households.models import Category, ChangeStatus, Household, HouseholdChange
from renovation import services as renovation
from renovation.models import OverrideStatus, ProjectStatus, RenovationProject
from subsidies import selectors, services
from subsidies.exports import build_funds_workbook
from subsidies.models import BatchStatus, LineStatus, PayoutBatch, PayoutLine
from subsidies.services import LineRequest, LinesRefused
from tests.exchange.test_roster import EXPECTED_HEADER, run_roster
from tests.factories import HouseholdFactory
from tests.inspections.factories import pdf_bytes, upload
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project, allocation, batch, voucher

pytestmark = pytest.mark.django_db
S = ProjectStatus
PAID_ON = dt.date(2026, 12, 5)

INSERT_LINE = """
    INSERT INTO subsidies_payoutline
        (batch_id, project_id, amount, account, account_masked, bank_name, status,
         failure_reason, note, created_by_id, created_at)
    VALUES (%s, %s, %s, 'x', '6217****0000', '', 'pending', '', '', %s, now())
"""
INSERT_ADVANCE = """
    INSERT INTO subsidies_townshipadvance
        (project_id, township_id, amount, advanced_on, note, recorded_by_id, created_at)
    VALUES (%s, %s, %s, '2026-09-01', '', %s, now())
"""


def raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def add(b, by, *pairs):
    return services.batch_add_lines(
        batch=b, by=by, items=[LineRequest(project=p, amount=a) for p, a in pairs]
    )


def advance(project, by, amount):
    return services.advance_record(
        project=project, by=by, amount=Decimal(amount), advanced_on=dt.date(2026, 9, 1)
    )


# --- 1. one ledger per project: advances count ------------------------------------------


def test_an_advance_and_a_full_line_on_one_project_are_refused_by_service_and_sql(
    household, areas, county_reviewer, township_user
):
    project = accepted_project(household, amount=Decimal("50000"))
    advance(project, township_user, "50000")
    b = batch(county_reviewer)
    with pytest.raises(LinesRefused) as exc:
        add(b, county_reviewer, (project, Decimal("50000")))
    assert "拨付合计100,000.00元将超过核定补助金额50,000.00元" in exc.value.errors[project.pk]
    assert "其中乡镇垫付50,000.00元" in exc.value.errors[project.pk]
    with pytest.raises(DatabaseError, match="含乡镇垫付"):
        raw(INSERT_LINE, [b.pk, project.pk, "50000", county_reviewer.pk])
    assert not PayoutLine.objects.exists()

    # An advance beyond what is left is refused the same two ways.
    with pytest.raises(DomainError, match="垫付与拨付合计"):
        advance(project, township_user, "1")
    with pytest.raises(DatabaseError, match="垫付与拨付合计"):
        raw(INSERT_ADVANCE, [project.pk, areas["township"].pk, "1", county_reviewer.pk])


def test_the_roster_pays_what_the_advance_left(household, county_reviewer, township_user):
    project = accepted_project(household, amount=Decimal("50000"))
    advance(project, township_user, "20000")
    b = batch(county_reviewer)
    [line] = add(b, county_reviewer, (project, None))  # None: what is outstanding
    assert line.amount == Decimal("30000.00")
    services.batch_submit(batch=b, by=county_reviewer)
    ws = run_roster(county_reviewer, b)
    assert ws.cell(row=2, column=EXPECTED_HEADER.index("补贴金额*") + 1).value == 30000
    assert services.paid_total(project) == Decimal("50000.00")


def test_the_approved_amount_never_drops_below_what_went_out_even_in_sql(
    household, county_reviewer, township_user
):
    project = accepted_project(household, amount=Decimal("50000"))
    advance(project, township_user, "10000")
    add(batch(county_reviewer), county_reviewer, (project, Decimal("20000")))
    with pytest.raises(DatabaseError, match="低于已拨付"):
        raw(
            "UPDATE renovation_renovationproject SET approved_amount = 29999 WHERE id = %s",
            [project.pk],
        )
    raw(
        "UPDATE renovation_renovationproject SET approved_amount = 30000 WHERE id = %s",
        [project.pk],
    )


# --- 2. amounts inside the standard, confirmed by the approver ----------------------------


def _paid_30000(household, county_reviewer, county_approver):
    """Household of 3 (低保户), D level: the standard gives 50,000; 30,000 paid already."""
    project = accepted_project(household, amount=Decimal("50000"))
    b = batch(county_reviewer)
    add(b, county_reviewer, (project, Decimal("30000")))
    services.batch_submit(batch=b, by=county_reviewer)
    services.batch_pay(batch=b, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    return project


def test_override_below_paid_or_above_the_cap_is_refused(
    household, county_reviewer, county_approver
):
    project = _paid_30000(household, county_reviewer, county_approver)
    with pytest.raises(DomainError, match="低于已拨付（含乡镇垫付）的30,000.00元"):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("1.00"), reason="核减"
        )
    with pytest.raises(DomainError, match="补助上限50,000.00元"):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("99999999.99"), reason="核增"
        )
    project.refresh_from_db()
    assert project.approved_amount == Decimal("50000.00")
    assert not project.amount_overrides.exists()


def test_override_within_the_cap_waits_for_the_approver_who_is_named(
    household, county_reviewer, county_approver
):
    project = _paid_30000(household, county_reviewer, county_approver)
    renovation.project_override_amount(
        project=project, by=county_reviewer, amount=Decimal("45000"), reason="按实际面积核减"
    )
    project.refresh_from_db()
    assert project.approved_amount == Decimal("50000.00")  # pending
    # One pending adjustment at a time; the requester's role may not decide.
    with pytest.raises(ConflictError, match="待确认的补助金额调整"):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("40000"), reason="再次核减"
        )
    with pytest.raises(RoleRefused):
        renovation.project_override_decide(project=project, by=county_reviewer, confirm=True)

    renovation.project_override_decide(project=project, by=county_approver, confirm=True)
    project.refresh_from_db()
    assert project.approved_amount == Decimal("45000.00")
    assert project.amount_overridden_by == county_approver
    assert "调整为45,000.00元" in project.amount_explanation
    assert "申请：reviewer，确认：approver" in project.amount_explanation
    assert project.amount_overrides.get().status == OverrideStatus.CONFIRMED


def test_c_level_above_the_standard_needs_the_materials_list_and_stays_within_it(
    household, county_reviewer, county_approver
):
    project = make_project(household, S.APPROVED, level="C", approved_amount=Decimal("10000"))
    with pytest.raises(DomainError, match="须上传村级材料清单"):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("15000"), reason="材料清单"
        )
    materials = upload("清单.pdf", pdf_bytes(), "application/pdf")
    with pytest.raises(DomainError, match="超过村级材料清单合计14,000.00元"):
        renovation.project_override_amount(
            project=project,
            by=county_reviewer,
            amount=Decimal("15000"),
            reason="材料清单",
            materials_file=materials,
            materials_total=Decimal("14000"),
        )
    with pytest.raises(DomainError, match="补助上限15,000.00元"):
        renovation.project_override_amount(
            project=project,
            by=county_reviewer,
            amount=Decimal("16000"),
            reason="材料清单",
            materials_file=upload("清单.pdf", pdf_bytes(), "application/pdf"),
            materials_total=Decimal("16000"),
        )
    override = renovation.project_override_amount(
        project=project,
        by=county_reviewer,
        amount=Decimal("14000"),
        reason="按村级材料清单",
        materials_file=upload("清单.pdf", pdf_bytes(), "application/pdf"),
        materials_total=Decimal("14000"),
    )
    assert override.materials_file and override.status == OverrideStatus.PENDING


def test_hardship_d_level_is_at_most_20000(areas, county_reviewer):
    household = HouseholdFactory(village=areas["village"], category=Category.HARDSHIP)
    project = make_project(household, S.APPROVED, approved_amount=Decimal("20000"))
    with pytest.raises(DomainError, match="补助上限20,000.00元"):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("20000.01"), reason="x"
        )
    renovation.project_override_amount(
        project=project, by=county_reviewer, amount=Decimal("16000"), reason="乡镇核定"
    )


def test_override_over_the_api_is_pending_until_the_approver_confirms(
    api_client, household, county_reviewer, county_approver
):
    project = _paid_30000(household, county_reviewer, county_approver)
    url = f"/api/renovation-projects/{project.pk}/"
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(
        url + "override-amount/", {"amount": "1.00", "reason": "核减"}, format="json"
    )
    assert response.status_code == 400 and "低于已拨付" in response.json()["detail"]
    response = api_client.post(
        url + "override-amount/", {"amount": "60000", "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and "补助上限" in response.json()["detail"]
    response = api_client.post(
        url + "override-amount/", {"amount": "40000", "reason": "核减"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["approved_amount"] == "50000.00"
    assert api_client.post(url + "override-decide/", {"confirm": True}).status_code == 403

    api_client.force_authenticate(county_approver)
    response = api_client.post(url + "override-decide/", {"confirm": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["approved_amount"] == "40000.00"
    # Nothing left to decide: a conflict with the project's state.
    assert api_client.post(url + "override-decide/", {"confirm": True}).status_code == 409


def test_override_on_the_page_shows_the_pending_request(
    client, household, county_reviewer, county_approver
):
    project = _paid_30000(household, county_reviewer, county_approver)
    client.force_login(county_reviewer)
    response = client.post(
        f"/renovation/{project.pk}/step/override_amount/",
        {"amount": "42000", "reason": "按实际核减"},
        follow=True,
    )
    page = response.content.decode()
    assert "待县分管领导确认后生效" in page
    assert "50,000.00 → 42,000.00" in page and "待确认" in page
    client.force_login(county_approver)
    client.post(f"/renovation/{project.pk}/step/override_decide/", {"decision": "confirm"})
    project.refresh_from_db()
    assert project.approved_amount == Decimal("42000.00")


# --- 3. two people on every money decision ---------------------------------------------


def _submitted(household, county_reviewer):
    project = accepted_project(household, amount=Decimal("50000"))
    b = batch(county_reviewer)
    [line] = add(b, county_reviewer, (project, Decimal("50000")))
    services.batch_submit(batch=b, by=county_reviewer)
    return b, line


def _result(line, paid=False):
    return [services.LineResult(line.pk, line.status, paid, "" if paid else "卡号与户名不一致")]


def test_the_finance_result_comes_after_payment_and_not_from_the_submitter(
    household, areas, county_reviewer, county_approver
):
    from tests.factories import UserFactory

    b, line = _submitted(household, county_reviewer)
    second_reviewer = UserFactory(
        username="reviewer2", role="county_reviewer", area=areas["county"]
    )
    # Before the payment date and voucher: refused, whoever imports.
    for user in (county_reviewer, second_reviewer, county_approver):
        with pytest.raises(DomainError, match="须在确认拨付"):
            services.batch_apply_results(batch=b, by=user, results=_result(line))
    services.batch_pay(batch=b, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    line.refresh_from_db()
    with pytest.raises(DomainError, match="提交人不能同时确认拨付、导入支付结果"):
        services.batch_apply_results(batch=b, by=county_reviewer, results=_result(line))
    services.batch_apply_results(batch=b, by=second_reviewer, results=_result(line))
    line.refresh_from_db()
    assert line.status == LineStatus.FAILED
    b.refresh_from_db()
    assert b.results_by == second_reviewer


def test_the_result_page_refuses_the_submitter(client, household, county_reviewer, county_approver):
    from tests.exchange.test_roster_result import result_file
    from tests.exchange.test_roster_result import upload as upload_result

    b, _line = _submitted(household, county_reviewer)
    client.force_login(county_reviewer)
    page = upload_result(client, b, b"PK\x03\x04").content.decode()
    assert "须在确认拨付" in page
    services.batch_pay(batch=b, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    content = result_file(county_reviewer, b, {"张三": ("支付失败", "卡号与户名不一致")})
    response = upload_result(client, b, content)
    page = client.get(response.url).content.decode()
    from tests.exchange.test_roster_result import confirm

    confirm(client, b, page)
    assert PayoutLine.objects.get(batch=b).status == LineStatus.PAID  # unchanged
    b.refresh_from_db()
    assert b.results_by is None


def test_submitter_payer_and_reconciler_are_three_people_in_the_database(
    household, county_reviewer, county_approver
):
    b, _line = _submitted(household, county_reviewer)
    services.batch_pay(batch=b, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    with pytest.raises(IntegrityError, match="payout_batch_four_eyes"):
        raw(
            "UPDATE subsidies_payoutbatch SET status = 'reconciled', reconciled_by_id = %s,"
            " reconciled_at = now() WHERE id = %s",
            [county_approver.pk, b.pk],
        )
    with pytest.raises(IntegrityError, match="payout_batch_four_eyes"):
        raw(
            "UPDATE subsidies_payoutbatch SET results_by_id = %s WHERE id = %s",
            [county_reviewer.pk, b.pk],
        )


def test_a_failed_line_goes_back_for_correction_and_into_the_next_batch(
    household, areas, county_reviewer, county_approver, village_clerk
):
    b, line = _submitted(household, county_reviewer)
    services.batch_pay(batch=b, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    line.refresh_from_db()
    services.batch_apply_results(batch=b, by=county_approver, results=_result(line))
    project = line.project
    with pytest.raises(LinesRefused) as exc:
        add(batch(county_reviewer), county_reviewer, (project, None))
    assert "一卡通账号尚未更正" in exc.value.errors[project.pk]

    # The village corrects the account; it counts once the county confirms.
    changed = renovation_household_update(household, village_clerk, "6228480000000000017")
    with pytest.raises(LinesRefused):
        add(batch(county_reviewer), county_reviewer, (project, None))
    from households.services import household_change_decide

    household_change_decide(change=changed.pending_change, by=county_reviewer, confirm=True)
    [again] = add(batch(county_reviewer), county_reviewer, (project, None))
    assert again.account == "6228480000000000017"
    # The failed line stays, with its reason: the project's history.
    assert PayoutLine.objects.get(pk=line.pk).failure_reason == "卡号与户名不一致"


def renovation_household_update(household, by, account):
    from households.services import household_update

    return household_update(household=household, by=by, bank_account=account)


# --- 4. changes that decide money are confirmed ----------------------------------------


def test_a_village_clerk_changing_the_account_files_a_request_the_roster_ignores(
    api_client, household, county_reviewer, county_approver, village_clerk
):
    old = household.bank_account
    api_client.force_authenticate(village_clerk)
    response = api_client.patch(
        f"/api/households/{household.pk}/",
        {"bank_account": "6228480000000000025", "phone": "13900001111"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    pending = response.json()["pending_change"]
    assert pending["summary"].startswith("一卡通账号：") and pending["status"] == "pending"
    household.refresh_from_db()
    assert household.bank_account == old and household.phone == "13900001111"

    # The roster exports the confirmed (old) account.
    project = accepted_project(household, amount=Decimal("50000"))
    b = batch(county_reviewer)
    add(b, county_reviewer, (project, None))
    services.batch_submit(batch=b, by=county_reviewer)
    ws = run_roster(county_reviewer, b)
    assert ws.cell(row=2, column=EXPECTED_HEADER.index("银行账号*") + 1).value == old

    # The clerk may not decide; the county reviewer confirms over the API.
    url = f"/api/household-changes/{pending['id']}/confirm/"
    assert api_client.post(url, {}).status_code == 403
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(url, {"note": "已核对银行卡"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    household.refresh_from_db()
    assert household.bank_account == "6228480000000000025"

    # The audit history holds the request and the decision, with who did each.
    events = apps.get_model("households", "HouseholdChangeEvent").objects.filter(
        pgh_obj_id=pending["id"]
    )
    assert [(e.pgh_label, e.status) for e in events.order_by("pgh_id")] == [
        ("insert", "pending"),
        ("update", "confirmed"),
    ]
    assert [e.requested_by_id for e in events] == [village_clerk.pk] * 2
    assert events.order_by("pgh_id").last().decided_by_id == county_reviewer.pk


def test_requests_by_page_need_another_reviewer_and_a_reason_to_reject(
    client, household, areas, county_reviewer, township_user
):
    client.force_login(township_user)
    page = client.get(f"/households/{household.pk}/edit/").content.decode()
    assert "变更证明材料" in page
    response = client.post(
        f"/households/{household.pk}/edit/",
        {
            "village": household.village_id,
            "head_name": household.head_name,
            "family_size": 4,
            "category": "tekun",
            "version": household.version,
            "change_evidence": upload("认定.pdf", pdf_bytes(), "application/pdf"),
            "members-TOTAL_FORMS": 0,
            "members-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    page = response.content.decode()
    assert "待县住建局审核员确认后生效" in page and "待确认的信息变更" in page
    household.refresh_from_db()
    assert (household.family_size, household.category) == (3, "dibao")
    change = HouseholdChange.objects.get()
    assert (
        "家庭人口：3 → 4" in change.summary and "重点对象类型：低保户 → 特困人员" in change.summary
    )
    assert change.evidence

    client.force_login(county_reviewer)
    page = client.post(f"/households/changes/{change.pk}/", {"decision": "reject"})
    assert "驳回变更申请须填写理由" in page.content.decode()
    client.post(f"/households/changes/{change.pk}/", {"decision": "confirm"})
    household.refresh_from_db()
    assert (household.family_size, household.category) == (4, "tekun")
    assert client.get(f"/households/changes/{change.pk}/evidence/").status_code == 200


def test_an_import_never_overwrites_and_its_requester_cannot_confirm(household, county_reviewer):
    from households.services import household_change_decide, import_change_requests

    import_change_requests(
        requests=[(household.pk, {"category": "tekun"})], by=county_reviewer, source="部门名单导入"
    )
    change = HouseholdChange.objects.get()
    assert Household.objects.get(pk=household.pk).category == "dibao"
    with pytest.raises(DomainError, match="申请人不能确认"):
        household_change_decide(change=change, by=county_reviewer, confirm=True)
    with pytest.raises(IntegrityError):
        raw(
            "UPDATE households_householdchange SET status = 'confirmed', decided_by_id = %s"
            " WHERE id = %s",
            [county_reviewer.pk, change.pk],
        )
    assert HouseholdChange.objects.get().status == ChangeStatus.PENDING


# --- 5 and 6. funds from higher levels, the funds page and report ----------------------


def _funds_scenario(areas, county_reviewer, county_approver):
    central = allocation(county_reviewer, amount=Decimal("100000"), level="central")
    provincial = allocation(
        county_reviewer, amount=Decimal("60000"), level="provincial", township=areas["township"]
    )
    homes = [HouseholdFactory(village=areas["village"]) for _ in range(3)]
    projects = [accepted_project(h, amount=Decimal("50000")) for h in homes]
    first = batch(county_reviewer, allocation=central)
    add(first, county_reviewer, (projects[0], Decimal("50000")))
    services.batch_submit(batch=first, by=county_reviewer)
    services.batch_pay(batch=first, by=county_approver, paid_on=PAID_ON, voucher=voucher())
    second = batch(county_reviewer, allocation=central)
    add(second, county_reviewer, (projects[1], Decimal("30000")))
    services.batch_submit(batch=second, by=county_reviewer)
    third = batch(county_reviewer, allocation=provincial)
    add(third, county_reviewer, (projects[2], Decimal("20000")))
    return central, provincial, (first, second, third)


def _independent(allocation_, *, paid_only=False):
    lines = PayoutLine.objects.filter(batch__allocation=allocation_).exclude(status="failed")
    if paid_only:
        lines = lines.filter(status="paid")
    return sum((line.amount for line in lines), Decimal("0"))


def test_funds_page_api_and_excel_agree_with_an_independent_sum(
    client, api_client, areas, county_reviewer, county_approver
):
    central, provincial, _batches = _funds_scenario(areas, county_reviewer, county_approver)
    expected = {
        ("中央", "allocated"): central.amount,
        ("中央", "drawn"): _independent(central),
        ("中央", "paid"): _independent(central, paid_only=True),
        ("省级", "allocated"): provincial.amount,
        ("省级", "drawn"): _independent(provincial),
        ("省级", "paid"): _independent(provincial, paid_only=True),
    }
    assert expected[("中央", "drawn")] == Decimal("80000")  # the sums are not trivial

    summary = selectors.funds_summary(county_reviewer, 2026)
    got = {
        (r.level_label, key): getattr(r, key)
        for r in summary["levels"]
        for key in ("allocated", "drawn", "paid")
    }
    assert got == expected
    assert summary["totals"].balance == Decimal("160000") - Decimal("100000")

    wb = load_workbook(io.BytesIO(build_funds_workbook(county_reviewer, 2026)))
    rows = {r[1]: r for r in wb["资金汇总"].iter_rows(min_row=2, values_only=True) if r[1]}
    for label in ("中央", "省级"):
        _year, _label, allocated, drawn, paid, balance = rows[label]
        assert (allocated, drawn, paid) == tuple(
            float(expected[(label, k)]) for k in ("allocated", "drawn", "paid")
        )
        assert balance == float(expected[(label, "allocated")] - expected[(label, "drawn")])
    townships = list(wb["分乡镇"].iter_rows(min_row=2, values_only=True))
    assert (2026, areas["township"].name, "中央", 0, 50000, 1) in townships

    # The monthly report's money figures are the funds report's "当年项目拨付" sheet.
    from reports.selectors import township_figures

    monthly = township_figures(areas["county"], dt.date(2026, 12, 1))
    sheet = list(wb["当年项目拨付"].iter_rows(min_row=2, values_only=True))
    assert sheet == [(areas["township"].name, 1, 50000)]
    row = monthly[areas["township"].code]
    assert (row["paid_count"], row["paid_amount"]) == (1, Decimal("50000"))

    client.force_login(county_reviewer)
    page = client.get("/subsidies/funds/?year=2026").content.decode()
    assert "160,000.00" in page and "60,000.00" in page  # allocated, balance
    api_client.force_authenticate(county_reviewer)
    data = api_client.get("/api/fund-allocations/summary/?year=2026").json()
    assert data["totals"]["allocated"] == "160000.00"
    assert data["totals"]["balance"] == "60000.00"


def test_a_batch_that_would_overdraw_is_refused_with_the_shortfall(
    areas, county_reviewer, county_approver
):
    central, provincial, (_first, _second, third) = _funds_scenario(
        areas, county_reviewer, county_approver
    )
    more = accepted_project(HouseholdFactory(village=areas["village"]), amount=Decimal("50000"))
    fourth = batch(county_reviewer, allocation=central)
    with pytest.raises(DomainError, match="缺口10,000.00元"):
        add(fourth, county_reviewer, (more, Decimal("30000")))
    assert not fourth.lines.exists()
    # Earmarked for the first township: a household of the other one is refused.
    elsewhere = accepted_project(
        HouseholdFactory(village=areas["other_village"]), amount=Decimal("50000")
    )
    with pytest.raises(DomainError, match="指定用于"):
        add(third, county_reviewer, (elsewhere, Decimal("1000")))
    # A batch needs an allocation before it goes to the finance bureau.
    bare = batch(county_reviewer, allocation=None)
    add(bare, county_reviewer, (more, Decimal("1000")))
    with pytest.raises(DomainError, match="请先选择本批次使用的资金指标"):
        services.batch_submit(batch=bare, by=county_reviewer)
    services.batch_set_allocation(batch=bare, by=county_reviewer, allocation=provincial)
    assert services.batch_submit(batch=bare, by=county_reviewer).status == BatchStatus.SUBMITTED
    assert PayoutBatch.objects.get(pk=bare.pk).funding_source == "provincial"


def test_allocations_are_recorded_by_the_county_reviewer_only(
    api_client, county_reviewer, township_user
):
    body = {
        "document_number": "晋财建〔2026〕7号",
        "issued_on": "2026-03-01",
        "level": "city",
        "year": 2026,
        "amount": "300000.00",
    }
    api_client.force_authenticate(township_user)
    assert api_client.post("/api/fund-allocations/", body, format="json").status_code == 403
    api_client.force_authenticate(county_reviewer)
    response = api_client.post("/api/fund-allocations/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["level_display"] == "市级"
    again = api_client.post("/api/fund-allocations/", body, format="json")
    assert again.status_code == 400 and "已登记" in again.json()["detail"]


def test_projects_unaffected_by_a_refused_override_keep_their_version(household, county_reviewer):
    project = make_project(household, S.APPROVED)
    version = RenovationProject.objects.get(pk=project.pk).version
    with pytest.raises(DomainError):
        renovation.project_override_amount(
            project=project, by=county_reviewer, amount=Decimal("60000"), reason="x"
        )
    assert RenovationProject.objects.get(pk=project.pk).version == version


def test_a_township_reports_its_advance_up_and_the_funds_page_shows_it(
    client, api_client, household, township_user, county_reviewer
):
    project = accepted_project(household, amount=Decimal("50000"))
    adv = advance(project, township_user, "20000")
    api_client.force_authenticate(township_user)
    url = f"/api/township-advances/{adv.pk}/report/"
    response = api_client.post(url, {"reported_on": "2026-08-01"}, format="json")
    assert response.status_code == 400 and "不能早于垫付日期" in response.json()["detail"]
    response = api_client.post(url, {"reported_on": "2026-12-01"}, format="json")
    assert response.status_code == 200 and response.json()["reported_on"] == "2026-12-01"
    assert api_client.post(url, {"reported_on": "2026-12-02"}, format="json").status_code == 400
    client.force_login(county_reviewer)
    page = client.get("/subsidies/funds/").content.decode()
    assert "待归还的乡镇垫付" in page and "2026-12-01申请归还" in page


def test_hardship_d_level_amount_is_decided_by_the_township_up_to_20000(
    areas, township_user, county_approver
):
    household = HouseholdFactory(village=areas["village"], category=Category.HARDSHIP)
    project = make_project(household, S.VILLAGE_REVIEWED)

    def review(amount):
        return renovation.township_review(
            project=project,
            by=township_user,
            reviewed_on=dt.date(2026, 12, 1),
            passed=True,
            opinion="同意",
            township_amount=amount,
            township_area=Decimal("60"),
        )

    with pytest.raises(
        DomainError, match="补助由乡镇核定，请填写乡镇核定补助金额（最高20,000.00元）"
    ):
        review(None)
    with pytest.raises(DomainError, match="不超过20,000.00元"):
        review(Decimal("25000"))
    assert review(Decimal("16000")).township_amount == Decimal("16000.00")

    # Approval takes the township's amount, not a fixed 20,000; none recorded: refused.
    approved = renovation.project_approve(
        project=make_project(
            HouseholdFactory(village=areas["village"], category=Category.HARDSHIP),
            S.PUBLICITY,
            township_amount=Decimal("16000"),
        ),
        by=county_approver,
    )
    assert approved.approved_amount == Decimal("16000.00")
    assert "由乡镇核定，最高 20,000；乡镇核定 16,000.00" in approved.amount_explanation
    with pytest.raises(DomainError, match="乡镇初审时未填写核定金额"):
        renovation.project_approve(
            project=make_project(
                HouseholdFactory(village=areas["village"], category=Category.DIBAO_EDGE),
                S.PUBLICITY,
            ),
            by=county_approver,
        )
    # Other categories are calculated by the standard: no township amount.
    dibao = make_project(HouseholdFactory(village=areas["village"]), S.VILLAGE_REVIEWED)
    with pytest.raises(DomainError, match="乡镇无需核定金额"):
        renovation.township_review(
            project=dibao,
            by=township_user,
            reviewed_on=dt.date(2026, 12, 1),
            passed=True,
            opinion="同意",
            township_amount=Decimal("1000"),
        )


def test_the_funds_summary_is_for_county_roles(api_client, client, township_user, official):
    api_client.force_authenticate(township_user)
    assert api_client.get("/api/fund-allocations/summary/").status_code == 403
    client.force_login(township_user)
    assert client.get("/subsidies/funds/").status_code == 403
    api_client.force_authenticate(official)
    assert api_client.get("/api/fund-allocations/summary/").status_code == 200
