"""Issue 15 point 10: earlier years' renovations, imported through the shared pipeline."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from core.errors import DomainError
from households.models import HouseholdImport
from inspections.services import appraisal_record
from renovation import services as renovation
from renovation.models import RenovationMethod
from subsidies import services
from subsidies.models import HistoricRenovation
from subsidies.services import LineRequest, LinesRefused
from tests.factories import HouseholdFactory
from tests.inspections.factories import pdf_bytes, upload
from tests.subsidies.factories import accepted_project, batch

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def historic_file(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["年度", "身份证号", "户主姓名", "改造方式", "补助金额", "竣工日期", "来源"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_file(client, content):
    response = client.post(
        "/subsidies/historic/",
        {"file": SimpleUploadedFile("历年.xlsx", content, content_type=XLSX)},
        follow=True,
    )
    return response.content.decode()


def test_import_previews_every_row_and_writes_nothing_until_confirmed(
    client, household, other_household, county_reviewer
):
    client.force_login(county_reviewer)
    page = import_file(
        client,
        historic_file(
            [
                [2015, household.id_number, "张三", "修缮加固", 5000, "2015-10-20", "2015年台账"],
                [2015, household.id_number, "张三", "修缮加固", 5000, None, None],  # twice
                ["20x5", "110101199001011234", "", "新建", -1, None, None],
            ]
        ),
    )
    assert "与第 2 行重复" in page and "年度“20x5”无效" in page and "补助金额“-1”无效" in page
    assert not HistoricRenovation.objects.exists()
    imp = HouseholdImport.objects.get()
    client.post(f"/subsidies/historic/{imp.pk}/confirm/", {"mode": "all"})
    assert not HistoricRenovation.objects.exists()  # errors: all or nothing
    client.post(f"/subsidies/historic/{imp.pk}/confirm/", {"mode": "valid_only"})
    record = HistoricRenovation.objects.get()
    assert (record.year, record.amount, record.household) == (2015, Decimal("5000"), household)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE subsidies_historicrenovation SET amount = 1")  # read-only


def test_a_2015_renovation_is_refused_a_new_subsidy_without_re_admission(
    client, areas, county_reviewer, township_user
):
    household = HouseholdFactory(village=areas["village"], head_name="王五")
    client.force_login(county_reviewer)
    import_file(
        client,
        historic_file(
            [[2015, household.id_number, "王五", "修缮加固", 5000, "2015-10-20", "台账"]]
        ),
    )
    client.post(f"/subsidies/historic/{HouseholdImport.objects.get().pk}/confirm/", {"mode": "all"})
    # The archive and the ledger show the 2015 record.
    archive = client.get(f"/renovation/archive/{household.pk}/").content.decode()
    assert "历年改造记录" in archive and "2015年 · 修缮加固 · 补助 5,000.00 元" in archive

    # A project (say, entered as already accepted) is refused a payout without the proof.
    project = accepted_project(household, amount=Decimal("10000"))
    with pytest.raises(LinesRefused) as exc:
        services.batch_add_lines(
            batch=batch(county_reviewer),
            by=county_reviewer,
            items=[LineRequest(project=project, amount=Decimal("10000"))],
        )
    assert "已于2015年享受过危房改造补助" in exc.value.errors[project.pk]


def test_a_2015_renovation_needs_re_admission_before_a_new_application(
    areas, county_reviewer, township_user
):
    household = HouseholdFactory(village=areas["village"], head_name="赵六")
    HistoricRenovation.objects.create(
        household=household,
        year=2015,
        method="翻建",
        amount=Decimal("5000"),
        completed_on=dt.date(2015, 10, 20),
        source="台账",
        created_by=county_reviewer,
    )
    appraisal_record(
        household=household,
        by=county_reviewer,
        level="D",
        method="third_party",
        appraiser_name="李工",
        institution="鉴定站",
        appraised_on=dt.date(2021, 6, 1),
    )
    with pytest.raises(DomainError, match="已于2015年享受危房改造补助"):
        renovation.project_apply(
            household=household,
            by=township_user,
            year=2026,
            method=RenovationMethod.REBUILD,
            applied_on=dt.date(2026, 11, 1),
        )
    services.readmission_for_household(
        household=household,
        by=township_user,
        proof_file=upload("证明.pdf", pdf_bytes(), "application/pdf"),
    )
    project = renovation.project_apply(
        household=household,
        by=township_user,
        year=2026,
        method=RenovationMethod.REBUILD,
        applied_on=dt.date(2026, 11, 1),
        planned_area=Decimal("60"),
    )
    assert project.disaster_readmission is not None


def test_the_api_lists_historic_records_of_the_area_only(
    api_client, household, other_household, township_user, county_reviewer
):
    for h in (household, other_household):
        HistoricRenovation.objects.create(
            household=h,
            year=2016,
            method="新建",
            amount=Decimal("8000"),
            source="台账",
            created_by=county_reviewer,
        )
    api_client.force_authenticate(township_user)
    data = api_client.get("/api/historic-renovations/").json()
    assert [r["household"] for r in data["results"]] == [household.pk]
