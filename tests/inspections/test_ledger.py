import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inspections import services
from tests.factories import HouseholdFactory
from tests.inspections.factories import (
    AppraisalFactory,
    EmergencyMeasureFactory,
    InspectionFactory,
)


@pytest.fixture
def ledger_rows(areas, county_reviewer):
    v1, v2, v3 = areas["village"], areas["village2"], areas["other_village"]
    rows = {}
    for name, village, level, occupied in [
        ("甲D住人", v1, "D", True),
        ("乙D空置", v1, "D", False),
        ("丙C", v2, "C", None),
        ("丁无房", v3, "none", None),
        ("戊B", v1, "B", True),
    ]:
        h = HouseholdFactory(head_name=name, village=village)
        AppraisalFactory(household=h, level=level, created_by=county_reviewer)
        if occupied is not None:
            InspectionFactory(household=h, occupied=occupied, inspector=county_reviewer)
        rows[name] = h
    # Repaired house re-appraised as B: off the ledger.
    fixed = HouseholdFactory(head_name="己已修", village=v1)
    AppraisalFactory(
        household=fixed, level="D", appraised_on=dt.date(2026, 1, 1), created_by=county_reviewer
    )
    AppraisalFactory(
        household=fixed, level="B", appraised_on=dt.date(2026, 9, 1), created_by=county_reviewer
    )
    return rows


def _names(response):
    return [r["head_name"] for r in response.json()["results"]]


def test_ledger_lists_c_d_none_with_emergency_first(client, county_reviewer, ledger_rows):
    client.force_login(county_reviewer)
    page = client.get(reverse("inspections:ledger")).content.decode()
    for name in ["甲D住人", "乙D空置", "丙C", "丁无房"]:
        assert name in page
    assert "戊B" not in page and "己已修" not in page
    assert page.index("甲D住人") < page.index("乙D空置")
    assert page.count('class="emergency"') == 1
    emergency_row = page[page.index('class="emergency"') :].split("</tr>")[0]
    assert "甲D住人" in emergency_row and "紧急" in emergency_row
    assert "未采取措施" in page


def test_emergency_measures_shown(client, county_reviewer, ledger_rows, township_user):
    services.emergency_measure_record(
        household=ledger_rows["甲D住人"],
        by=township_user,
        measure="transitional",
        taken_on=dt.date(2026, 11, 21),
        stays_at="村集体周转房",
    )
    client.force_login(county_reviewer)
    page = client.get(reverse("inspections:ledger")).content.decode()
    assert "过渡安置（村集体周转房）" in page and "未采取措施" not in page


def test_emergency_measure_refused_for_non_d(township_user, ledger_rows):
    from core.errors import DomainError

    with pytest.raises(DomainError, match="D级危房"):
        services.emergency_measure_record(
            household=ledger_rows["丙C"],
            by=township_user,
            measure="persuaded_out",
            taken_on=dt.date(2026, 11, 21),
            stays_at="亲属家",
        )


def test_closed_case_leaves_ledger(client, county_reviewer, ledger_rows):
    services.ledger_case_close(
        household=ledger_rows["丙C"],
        by=county_reviewer,
        closed_on=dt.date(2026, 11, 22),
        reason="修缮加固验收合格",
    )
    client.force_login(county_reviewer)
    assert "丙C" not in client.get(reverse("inspections:ledger")).content.decode()


def test_ledger_scoped_and_filters(api_client, township_user, county_reviewer, ledger_rows, areas):
    api_client.force_authenticate(township_user)
    assert sorted(_names(api_client.get("/api/ledger/"))) == sorted(["甲D住人", "乙D空置", "丙C"])
    api_client.force_authenticate(county_reviewer)
    get = lambda **q: sorted(_names(api_client.get("/api/ledger/", q)))  # noqa: E731
    assert get(level="D") == sorted(["甲D住人", "乙D空置"])
    assert get(occupied="true") == ["甲D住人"]
    assert get(occupied="false") == ["乙D空置"]
    assert get(emergency="true") == ["甲D住人"]
    assert get(township=areas["other_township"].code) == ["丁无房"]
    assert get(village=areas["village2"].code) == ["丙C"]
    assert get(category="tekun") == []
    row = api_client.get("/api/ledger/", {"level": "D", "occupied": "true"}).json()["results"][0]
    assert row["emergency"] is True and row["last_occupied"] is True
    assert "*" in row["id_number_masked"]


def test_export_xlsx(client, county_reviewer, ledger_rows):
    h = ledger_rows["甲D住人"]
    h.address = '=HYPERLINK("http://evil")'
    h.save()
    EmergencyMeasureFactory(household=h, created_by=county_reviewer)
    client.force_login(county_reviewer)
    response = client.get(reverse("inspections:ledger_export"), {"level": "D"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "乡镇", "村", "户主姓名", "身份证号")
    assert [r[3] for r in rows[1:]] == ["甲D住人", "乙D空置"]
    first = rows[1]
    assert first[4] == h.id_number_masked and h.id_number not in str(rows)
    assert first[7] == "D级" and first[11] == "是" and first[12] == "是"
    assert "过渡安置" in first[13]
    address_cell = sheet.cell(row=2, column=16)
    assert address_cell.value == h.address and address_cell.data_type == "s"


def _ledger_households(n, village, reviewer):
    for i in range(n):
        h = HouseholdFactory(head_name=f"台账{i}", village=village)
        AppraisalFactory(household=h, level="D", created_by=reviewer)
        InspectionFactory(household=h, occupied=True, inspector=reviewer)
        EmergencyMeasureFactory(household=h, created_by=reviewer)


def _count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url", ["/inspections/ledger/", "/api/ledger/", "/inspections/ledger/export.xlsx"]
)
def test_ledger_query_count_does_not_grow(
    client, county_reviewer, areas, url, django_assert_max_num_queries
):
    client.force_login(county_reviewer)
    _ledger_households(5, areas["village"], county_reviewer)
    few = _count_queries(client, url, django_assert_max_num_queries, 20)
    _ledger_households(25, areas["village2"], county_reviewer)
    many = _count_queries(client, url, django_assert_max_num_queries, few)
    assert many == few


def test_overview_search_and_levels(client, township_user, ledger_rows, household):
    client.force_login(township_user)
    page = client.get(reverse("inspections:overview")).content.decode()
    assert "甲D住人" in page and "张三" in page and "未鉴定" in page
    assert "丁无房" not in page  # another township
    page = client.get(reverse("inspections:overview"), {"q": "丙"}).content.decode()
    assert "丙C" in page and "甲D住人" not in page
    page = client.get(reverse("inspections:overview"), {"level": "D"}).content.decode()
    assert "甲D住人" in page and "丙C" not in page


def test_emergency_measure_page(client, township_user, ledger_rows):
    household = ledger_rows["甲D住人"]
    client.force_login(township_user)
    url = reverse("inspections:emergency_create", args=[household.pk])
    page = client.post(url, {"measure": "persuaded_out", "taken_on": "2026-11-22"}).content.decode()
    assert "劝离或过渡安置须填写农户现居住地点" in page
    response = client.post(
        url, {"measure": "persuaded_out", "taken_on": "2026-11-22", "stays_at": "儿子家"}
    )
    assert response.status_code == 302
    ledger = client.get(reverse("inspections:ledger")).content.decode()
    assert "劝离（儿子家）" in ledger


def test_background_export_job_uses_the_same_filters(
    client, official, ledger_rows, django_capture_on_commit_callbacks
):
    from core.models import ExportJob

    client.force_login(official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export-start", args=["ledger"]), {"level": "C"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE, job.message
    download = client.get(f"/exports/{job.pk}/download/")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["丙C"]


def test_ledger_export_sql_is_constant_in_rows(county_reviewer, areas, monkeypatch):
    """Rows and measures in a constant number of queries, however many chunks the rows take
    (issue 18 point 3): no query per chunk, no model instances."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inspections import exports

    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)

    def run():
        with CaptureQueriesContext(connection) as ctx:
            result = exports.LedgerExporter().run(county_reviewer, {}, progress=lambda *a: None)
        rows = list(load_workbook(io.BytesIO(result.content)).active.iter_rows(values_only=True))
        return len(ctx.captured_queries), rows

    _ledger_households(3, areas["village"], county_reviewer)
    few, rows = run()
    assert len(rows) == 4 and all("过渡安置" in r[13] for r in rows[1:])
    _ledger_households(9, areas["village2"], county_reviewer)
    many, rows = run()
    assert len(rows) == 13
    assert many == few <= 4
