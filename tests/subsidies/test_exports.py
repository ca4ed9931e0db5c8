"""The finance bureau's Excel list and the PDF summary to sign."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.models import ExportJob
from core.services import export_open
from households.models import SensitiveAccessLog
from subsidies import services
from subsidies.exports import HEADER
from subsidies.services import LineRequest
from tests.factories import HouseholdFactory
from tests.subsidies.factories import accepted_project, batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled_batch(areas, household, county_reviewer):
    other = HouseholdFactory(village=areas["other_village"], head_name='=HYPERLINK("x")')
    b = batch(county_reviewer)
    services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[
            LineRequest(project=accepted_project(household), amount=Decimal("50000")),
            LineRequest(project=accepted_project(other), amount=Decimal("12345.67")),
        ],
    )
    return b


def _sheet(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content)).active


def test_header_totals_and_numeric_amounts(client, filled_batch, county_approver):
    client.force_login(county_approver)
    ws = _sheet(client.get(f"/subsidies/batches/{filled_batch.pk}/list.xlsx"))
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    amounts = [r[7] for r in rows[1:-1]]
    assert sorted(amounts) == [12345.67, 50000]
    assert all(isinstance(a, int | float) for a in amounts)
    total = rows[-1]
    assert total[0] == "合计"
    assert total[7] == pytest.approx(62345.67)
    assert ws.cell(row=len(rows), column=8).data_type == "n"  # a number, not a formula
    assert ws.cell(row=2, column=8).number_format == "#,##0.00"


def test_formula_like_text_is_written_as_text(client, filled_batch, county_reviewer):
    client.force_login(county_reviewer)
    ws = _sheet(client.get(f"/subsidies/batches/{filled_batch.pk}/list.xlsx"))
    cells = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert cells and all(c.data_type == "s" for c in cells)


def test_county_roles_see_full_numbers_and_each_display_is_logged(
    client, filled_batch, household, county_reviewer
):
    client.force_login(county_reviewer)
    ws = _sheet(client.get(f"/subsidies/batches/{filled_batch.pk}/list.xlsx"))
    values = [v for row in ws.iter_rows(values_only=True) for v in row]
    assert household.id_number in values
    assert household.bank_account in values
    logs = SensitiveAccessLog.objects.filter(user=county_reviewer, purpose="拨付清单导出")
    assert logs.count() == 2
    assert household.pk in set(logs.values_list("household_id", flat=True))


def test_officials_get_masked_numbers_and_no_log(client, filled_batch, household, official):
    client.force_login(official)
    ws = _sheet(client.get(f"/subsidies/batches/{filled_batch.pk}/list.xlsx"))
    values = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert household.id_number not in values and household.bank_account not in values
    assert household.id_number_masked in values and household.bank_account_masked in values
    assert not SensitiveAccessLog.objects.exists()


def test_background_export_job(
    client, filled_batch, county_reviewer, django_capture_on_commit_callbacks
):
    client.force_login(county_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/payout-batch/start/", {"batch": filled_batch.pk})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE, job.message
    ws = load_workbook(export_open(job=job)).active  # stored encrypted
    assert [c.value for c in ws[1]] == HEADER


def test_background_export_of_an_invisible_batch_is_refused(client, filled_batch, township_user):
    client.force_login(township_user)
    response = client.post("/exports/payout-batch/start/", {"batch": filled_batch.pk})
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_pdf_summary_per_township_with_signature_lines(
    client, filled_batch, county_reviewer, tmp_path
):
    client.force_login(county_reviewer)
    response = client.get(f"/subsidies/batches/{filled_batch.pk}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "summary.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in ("临泉镇", "白文镇", "合计", "62,345.67", "经办人", "审核人", "负责人"):
        assert expected in text.replace(" ", ""), expected
