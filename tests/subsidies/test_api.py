"""API: batches and their steps, lines, advances, standards, the calculator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from subsidies import services
from subsidies.calculator import ensure_standards
from subsidies.models import BatchStatus, PayoutBatch, PayoutLine, SubsidyStandard, TownshipAdvance
from subsidies.services import LineRequest
from tests.subsidies.factories import accepted_project, allocation, batch, voucher

pytestmark = pytest.mark.django_db


def login(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_calculate_endpoint(api_client, township_user):
    response = login(api_client, township_user).get(
        "/api/subsidies/calculate/", {"category": "dibao", "family_size": 4, "level": "D"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "amount": "50000.00",
        "explanation": "D级 4人：30,000 + 3×10,000 = 60,000，封顶 50,000",
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "dibao", "family_size": "x", "level": "D"}, "家庭人口必须是整数"),
        ({"category": "dibao", "family_size": 0, "level": "D"}, "家庭人口应在1到30人之间"),
        ({"category": "dibao", "family_size": 2, "level": "B"}, "C级、D级"),
        ({"category": "nobody", "family_size": 2, "level": "D"}, "没有适用"),
        ({"category": "dibao", "family_size": 2, "level": "D", "year": "abc"}, "年度"),
    ],
)
def test_calculate_bad_input_is_400_with_a_chinese_message(
    api_client, township_user, params, message
):
    response = login(api_client, township_user).get("/api/subsidies/calculate/", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_calculate_anonymous_is_401(api_client, areas):
    assert api_client.get("/api/subsidies/calculate/").status_code == 401


def test_batch_lifecycle_over_the_api(api_client, household, county_reviewer, county_approver):
    project = accepted_project(household, amount=Decimal("40000"))
    funds = allocation(county_reviewer, level="provincial")
    client = login(api_client, county_reviewer)
    response = client.post(
        "/api/payout-batches/",
        {
            "title": "第一批",
            "batch_date": "2026-12-01",
            "allocation": funds.pk,
            "status": "paid",
            "paid_on": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "drafted" and data["paid_on"] is None  # read-only fields ignored
    assert data["funding_source"] == "provincial"  # from the allocation
    pk = data["id"]
    response = client.post(
        f"/api/payout-batches/{pk}/add-lines/", {"lines": [{"project": project.pk}]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()[0]["amount"] == "40000.00"
    assert "*" in response.json()[0]["account_masked"]
    assert client.post(f"/api/payout-batches/{pk}/submit/").status_code == 200
    response = client.post(
        f"/api/payout-batches/{pk}/pay/",
        {"paid_on": "2026-12-05", "voucher": voucher()},
        format="multipart",
    )
    assert response.status_code == 400
    assert "提交人不能同时确认拨付" in response.json()["detail"]
    client = login(api_client, county_approver)
    response = client.post(
        f"/api/payout-batches/{pk}/pay/",
        {"paid_on": "2026-12-05", "voucher": voucher()},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "paid"
    assert response.json()["total"] == "40000.00"


def test_add_lines_refusal_lists_each_reason(api_client, household, county_reviewer):
    from renovation.models import ProjectStatus

    project = accepted_project(household, status=ProjectStatus.COMPLETED, accepted_on=None)
    b = batch(county_reviewer)
    response = login(api_client, county_reviewer).post(
        f"/api/payout-batches/{b.pk}/add-lines/",
        {"lines": [{"project": project.pk, "amount": "100"}, {"project": 999999}]},
        format="json",
    )
    assert response.status_code == 400
    assert "999999" in response.json()["errors"]
    response = login(api_client, county_reviewer).post(
        f"/api/payout-batches/{b.pk}/add-lines/",
        {"lines": [{"project": project.pk, "amount": "100"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "尚未通过竣工验收" in response.json()["errors"][str(project.pk)]
    assert not PayoutLine.objects.exists()


def test_township_sees_no_batches_but_its_own_lines(
    api_client, areas, household, other_household, county_reviewer, township_user
):
    b = batch(county_reviewer)
    own = accepted_project(household)
    other = accepted_project(other_household)
    services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[LineRequest(project=own, amount=Decimal(1)), LineRequest(project=other, amount=1)],
    )
    client = login(api_client, township_user)
    assert client.get("/api/payout-batches/").json()["count"] == 0
    assert client.get(f"/api/payout-batches/{b.pk}/").status_code == 404
    assert client.post(f"/api/payout-batches/{b.pk}/submit/").status_code == 404
    lines = client.get("/api/payout-lines/").json()["results"]
    assert [line["project"] for line in lines] == [own.pk]
    other_line = PayoutLine.objects.get(project=other)
    assert client.get(f"/api/payout-lines/{other_line.pk}/").status_code == 404


def test_official_reads_but_cannot_write(api_client, household, county_reviewer, official):
    b = batch(county_reviewer)
    project = accepted_project(household)
    client = login(api_client, official)
    assert client.get(f"/api/payout-batches/{b.pk}/").status_code == 200
    for url in (
        "/api/payout-batches/",
        f"/api/payout-batches/{b.pk}/add-lines/",
        f"/api/payout-batches/{b.pk}/submit/",
        f"/api/payout-batches/{b.pk}/pay/",
        f"/api/payout-batches/{b.pk}/reconcile/",
        f"/api/payout-batches/{b.pk}/send-back/",
        "/api/township-advances/",
    ):
        assert client.post(url, {}, format="json").status_code == 403, url
    ensure_standards(household.village.parent.parent, 2026)
    standard_id = SubsidyStandard.objects.first().pk
    assert (
        client.patch(
            f"/api/subsidy-standards/{standard_id}/", {"cap": "1"}, format="json"
        ).status_code
        == 403
    )
    assert client.get(f"/api/subsidy-standards/{standard_id}/").status_code == 200
    assert not PayoutLine.objects.filter(project=project).exists()
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.DRAFTED


def test_standards_edit_by_reviewer_only_and_audited(
    api_client, areas, county_reviewer, county_approver, other_township_user
):
    ensure_standards(areas["county"], 2026)
    line = SubsidyStandard.objects.get(
        county=areas["county"], year=2026, level="D", categories__contains=["dibao"]
    )
    url = f"/api/subsidy-standards/{line.pk}/"
    assert (
        login(api_client, county_approver).patch(url, {"cap": "60000"}, format="json").status_code
        == 403
    )
    assert login(api_client, other_township_user).get(url).status_code == 404
    response = login(api_client, county_reviewer).patch(
        url, {"cap": "60000", "year": 1999}, format="json"
    )
    assert response.status_code == 200, response.json()
    line.refresh_from_db()
    assert line.cap == Decimal("60000") and line.year == 2026
    assert line.events.filter(pgh_label="update").exists()
    response = login(api_client, county_reviewer).patch(url, {"cap": "1"}, format="json")
    assert response.status_code == 400
    assert "封顶金额不能低于基础金额" in response.json()["detail"]


def test_township_advance_and_its_single_reimbursement(
    api_client, household, township_user, county_reviewer, other_township_user
):
    project = accepted_project(household)
    response = login(api_client, township_user).post(
        "/api/township-advances/",
        {"project": project.pk, "amount": "20000", "advanced_on": "2026-06-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["township_name"] == "临泉镇"
    assert (
        login(api_client, other_township_user).get(f"/api/township-advances/{pk}/").status_code
        == 404
    )
    assert (
        login(api_client, township_user)
        .post(
            f"/api/township-advances/{pk}/reimburse/",
            {"reimbursed_on": "2026-12-01"},
            format="json",
        )
        .status_code
        == 403
    )
    client = login(api_client, county_reviewer)
    response = client.post(
        f"/api/township-advances/{pk}/reimburse/", {"reimbursed_on": "2026-05-31"}, format="json"
    )
    assert response.status_code == 400 and "不能早于垫付日期" in response.json()["detail"]
    response = client.post(
        f"/api/township-advances/{pk}/reimburse/", {"reimbursed_on": "2026-12-01"}, format="json"
    )
    assert response.status_code == 200
    response = client.post(
        f"/api/township-advances/{pk}/reimburse/", {"reimbursed_on": "2026-12-02"}, format="json"
    )
    assert response.status_code == 400 and "不能重复归还" in response.json()["detail"]
    assert TownshipAdvance.objects.get(pk=pk).reimbursed_on == dt.date(2026, 12, 1)
