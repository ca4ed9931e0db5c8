"""Pages: anonymous → login; another area's batch → 404; officials read only; right role works."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from subsidies import services
from subsidies.models import BatchStatus, PayoutBatch, PayoutLine, SubsidyStandard
from subsidies.services import LineRequest
from tests.subsidies.factories import accepted_project, allocation, batch, voucher

pytestmark = pytest.mark.django_db

READ_PAGES = [
    "/subsidies/",
    "/subsidies/calculator/",
    "/subsidies/standards/",
    "/subsidies/batches/",
    "/subsidies/lines/",
    "/subsidies/advances/",
]


@pytest.mark.parametrize("url", READ_PAGES)
def test_anonymous_goes_to_login(client, areas, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("url", READ_PAGES)
def test_every_role_reads(client, township_user, official, county_reviewer, url):
    for user in (township_user, official, county_reviewer):
        client.force_login(user)
        assert client.get(url).status_code == 200, (url, user)


def test_overview_flags_unpaid_after_one_month(client, household, other_household, county_reviewer):
    accepted_project(household, accepted_on=dt.date(2026, 11, 5), amount=Decimal("40000"))
    accepted_project(other_household, accepted_on=dt.date(2026, 11, 25), amount=Decimal("20000"))
    client.force_login(county_reviewer)
    html = client.get("/subsidies/").content.decode()
    assert "张三" in html and "李四" in html
    assert "超过一个月 1 户" in html  # 5 Nov + one month = 5 Dec < 10 Dec; 25 Nov not yet
    assert "临泉镇" in html and "40,000.00" in html.replace("40000.00", "40,000.00")


def test_township_overview_shows_only_its_own(client, household, other_household, township_user):
    accepted_project(household)
    accepted_project(other_household)
    client.force_login(township_user)
    html = client.get("/subsidies/").content.decode()
    assert "张三" in html and "李四" not in html
    assert "白文镇" not in html


def test_calculator_page(client, township_user):
    client.force_login(township_user)
    html = client.get(
        "/subsidies/calculator/",
        {"category": "dibao", "family_size": 4, "level": "D", "year": 2026},
    ).content.decode()
    assert "D级 4人：30,000 + 3×10,000 = 60,000，封顶 50,000" in html


def test_standard_edit_page(
    client, areas, county_reviewer, county_approver, official, other_township_user
):
    client.force_login(county_reviewer)
    client.get("/subsidies/standards/?year=2026")
    line = SubsidyStandard.objects.filter(year=2026, level="C").first()
    url = f"/subsidies/standards/{line.pk}/edit/"
    for user, code in ((official, 403), (county_approver, 403), (other_township_user, 404)):
        client.force_login(user)
        assert client.get(url).status_code == code
        assert client.post(url, {"base_amount": "1"}).status_code == code
    client.force_login(county_reviewer)
    response = client.post(
        url, {"base_amount": "12000", "per_person": "0", "cap": "15000", "note": "县调整"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.base_amount == Decimal("12000") and line.note == "县调整"


def test_batch_pages_flow(
    client, household, county_reviewer, county_approver, official, township_user
):
    project = accepted_project(household, amount=Decimal("30000"))
    client.force_login(county_reviewer)
    response = client.post(
        "/subsidies/batches/",
        {
            "title": "第二批",
            "batch_date": "2026-12-01",
            "allocation": allocation(county_reviewer, level="county").pk,
        },
    )
    b = PayoutBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/subsidies/batches/{b.pk}/"
    assert "张三" in client.get(response.url).content.decode()  # in the picker
    client.post(f"/subsidies/batches/{b.pk}/do/add_lines/", {"projects": [project.pk]})
    assert PayoutLine.objects.get().amount == Decimal("30000")
    client.post(f"/subsidies/batches/{b.pk}/do/submit/")
    for user in (official, township_user):
        client.force_login(user)
        code = 403 if user is official else 404
        assert client.post(f"/subsidies/batches/{b.pk}/do/pay/").status_code == code
    client.force_login(county_approver)
    client.post(
        f"/subsidies/batches/{b.pk}/do/pay/", {"paid_on": "2026-12-05", "voucher": voucher()}
    )
    b.refresh_from_db()
    assert b.status == BatchStatus.PAID
    assert client.get(f"/subsidies/batches/{b.pk}/voucher/").status_code == 200


def test_refused_lines_are_listed_on_the_batch_page(client, areas, county_reviewer):
    from renovation.models import ProjectStatus
    from tests.factories import HouseholdFactory

    h = HouseholdFactory(village=areas["village"], head_name="孙八")
    project = accepted_project(h, status=ProjectStatus.COMPLETED, accepted_on=None)
    b = batch(county_reviewer)
    client.force_login(county_reviewer)
    response = client.post(
        f"/subsidies/batches/{b.pk}/do/add_lines/", {"projects": [project.pk]}, follow=True
    )
    assert "孙八：该项目尚未通过竣工验收，不能拨付补助资金。" in response.content.decode()
    assert not PayoutLine.objects.exists()


@pytest.mark.parametrize(
    "suffix", ["", "list.xlsx", "summary.pdf", "voucher/", "do/submit/", "do/add_lines/"]
)
def test_batch_urls_are_404_for_township_users(client, county_reviewer, township_user, suffix):
    b = batch(county_reviewer)
    client.force_login(township_user)
    method = client.post if suffix.startswith("do/") else client.get
    assert method(f"/subsidies/batches/{b.pk}/{suffix}").status_code == 404


def test_township_line_page_shows_only_its_households(
    client, household, other_household, county_reviewer, township_user
):
    b = batch(county_reviewer)
    services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[
            LineRequest(project=accepted_project(household), amount=Decimal(5)),
            LineRequest(project=accepted_project(other_household), amount=Decimal(5)),
        ],
    )
    client.force_login(township_user)
    html = client.get("/subsidies/lines/").content.decode()
    assert "张三" in html and "李四" not in html


def test_advance_pages(client, household, township_user, official, county_reviewer):
    project = accepted_project(household)
    client.force_login(official)
    assert client.post("/subsidies/advances/", {}).status_code == 403
    client.force_login(township_user)
    response = client.post(
        "/subsidies/advances/",
        {"project": project.pk, "amount": "10000", "advanced_on": "2026-06-01"},
    )
    assert response.status_code == 302
    advance = project.township_advances.get()
    assert client.post(f"/subsidies/advances/{advance.pk}/reimburse/").status_code == 403
    client.force_login(county_reviewer)
    client.post(f"/subsidies/advances/{advance.pk}/reimburse/", {"reimbursed_on": "2026-12-01"})
    advance.refresh_from_db()
    assert advance.reimbursed_on == dt.date(2026, 12, 1)


def test_junk_amounts_and_line_ids_are_refused_in_chinese(client, areas, county_reviewer):
    """Issue 14 point 8: 100000000 in a standard and line=abc were server errors."""
    client.force_login(county_reviewer)
    client.get("/subsidies/standards/?year=2026")
    line = SubsidyStandard.objects.filter(year=2026, level="C").first()
    before = line.base_amount
    response = client.post(
        f"/subsidies/standards/{line.pk}/edit/",
        {"base_amount": "100000000", "per_person": "100000000", "cap": "100000000"},
    )
    errors = response.context["form"].errors
    assert response.status_code == 200 and set(errors) == {"base_amount", "per_person", "cap"}
    assert "确认" in errors["cap"][0]  # Django's Chinese message, shown beside the field
    line.refresh_from_db()
    assert line.base_amount == before
    created = batch(county_reviewer)
    response = client.post(f"/subsidies/batches/{created.pk}/do/remove_line/", {"line": "abc"})
    assert response.status_code == 400 and "明细编号无效" in response.content.decode()
