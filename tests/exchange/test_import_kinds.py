"""Every kind of the one import pipeline (`core.imports.pipeline.KINDS`) walked through the
same promises: the file stored encrypted, the preview without a full number, a bad file or a
user outside the roles refused with nothing kept, invisible to another area, confirmed once,
cancelled with its file removed, and each step in the audit history."""

from __future__ import annotations

import json
import re
import zlib

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

import households.importer  # noqa: F401 - registers the department lists
import households.monitoring
import rectification.services  # noqa: F401 - registers the ledger
import subsidies.historic  # noqa: F401 - registers the earlier years' renovations
import subsidies.roster  # noqa: F401 - registers the finance result
from core.errors import DomainError, RoleRefused
from core.imports import pipeline
from core.imports.files import ImportFileError, _encrypt_file
from core.imports.models import ImportRecord, ImportStatus
from households.models import ImportKind
from tests.exchange.test_roster_result import result_file
from tests.factories import make_id_number
from tests.households.test_import import entry, workbook_bytes
from tests.households.test_monitoring import monitoring_file, person
from tests.rectification.test_import import _doc004_workbook
from tests.subsidies.test_historic import historic_file

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"\d{17}[\dXx]")


def _department_list(request):
    number = make_id_number()
    return "township_user", workbook_bytes([entry("新户甲", number)]), {}, [number]


def _monitoring_list(request):
    number = make_id_number()
    data = monitoring_file([person("H001", "王大", number, "户主", label="脱贫不稳定户")])
    fields = households.monitoring.monitoring_fields(received_on=None, full_list=False)
    return "township_user", data, fields, [number]


def _historic(request):
    household = request.getfixturevalue("household")
    row = [2015, household.id_number, household.head_name, "修缮加固", 5000, "2015-10-20", "台账"]
    data = historic_file([row])
    return "county_reviewer", data, {"kind": ImportKind.HISTORIC}, [household.id_number]


def _ledger(request):
    return "county_reviewer", _doc004_workbook(), {"source": "national", "campaign": None}, []


def _payout_result(request):
    batch = request.getfixturevalue("paid_batch")
    reviewer = request.getfixturevalue("county_reviewer")
    numbers = [line.project.household.id_number for line in batch.lines.all()]
    return "county_approver", result_file(reviewer, batch, {}), {"batch": batch}, numbers


#: A kind's uploader, a valid file, the record's fields and the full numbers in the file.
CASES = {
    "department_list": (_department_list, "other_township_user"),
    "monitoring_list": (_monitoring_list, "other_township_user"),
    "historic_renovations": (_historic, "county2_reviewer"),
    "rectification_ledger": (_ledger, "county2_reviewer"),
    "payout_result": (_payout_result, "county2_reviewer"),
}


def test_every_kind_of_import_is_walked_here():
    assert set(pipeline.KINDS) == set(CASES)
    for spec in pipeline.KINDS.values():
        assert issubclass(spec.model, ImportRecord)


def _case(request, name):
    build, outsider = CASES[name]
    user_fixture, data, fields, numbers = build(request)
    return (
        pipeline.KINDS[name],
        request.getfixturevalue(user_fixture),
        data,
        fields,
        numbers,
        outsider,
    )


def _upload(spec, user, data, fields, name="文件.xlsx"):
    return pipeline.upload(spec, by=user, uploaded=SimpleUploadedFile(name, data), **fields)


def _events(record):
    event_model = apps.get_model(record._meta.app_label, f"{record._meta.object_name}Event")
    return list(event_model.objects.filter(pgh_obj_id=record.pk).order_by("pgh_id"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_upload_keeps_the_file_encrypted_and_the_preview_masked(request, name):
    spec, user, data, fields, numbers, outsider = _case(request, name)
    record = _upload(spec, user, data, fields)
    assert record.is_pending and record.error_count == 0, record.preview
    with record.file.open("rb") as stored:
        raw = stored.read()
    assert raw != data and not raw.startswith(b"PK")  # not the workbook as sent
    assert pipeline.read_stored(record) == data
    preview = json.dumps(record.preview, ensure_ascii=False)
    assert not set(FULL_ID.findall(preview)) & set(numbers)
    assert record.filename == "文件.xlsx" and not record.file.name.endswith("文件.xlsx")
    # Another area's user does not see it (the pages answer 404).
    assert not spec.model.objects.visible_to(request.getfixturevalue(outsider)).filter(pk=record.pk)
    assert spec.model.objects.visible_to(user).filter(pk=record.pk).exists()
    assert [e.pgh_label for e in _events(record)] == ["insert"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_file_that_is_not_a_workbook_is_refused_and_nothing_is_kept(request, name):
    spec, user, _data, fields, _numbers, _outsider = _case(request, name)
    with pytest.raises(ImportFileError):
        _upload(spec, user, b"%PDF-1.4 not a list", fields, name="x.pdf")
    assert not spec.model.objects.unscoped("test").exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_user_outside_the_kinds_roles_is_refused(request, name, official):
    spec, _user, data, fields, _numbers, _outsider = _case(request, name)
    with pytest.raises(RoleRefused):
        _upload(spec, official, data, fields)
    assert not spec.model.objects.unscoped("test").exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_confirmed_once_and_a_cancel_removes_the_file(
    request, name, django_capture_on_commit_callbacks
):
    spec, user, data, fields, _numbers, _outsider = _case(request, name)
    record = _upload(spec, user, data, fields)
    applied = pipeline.confirm(spec, record, by=user)
    assert (applied.status, applied.finished_by) == (ImportStatus.APPLIED, user)
    with pytest.raises(DomainError, match="不能再次确认"):
        pipeline.confirm(spec, applied, by=user)
    assert [e.pgh_label for e in _events(record)] == ["insert", "update"]

    other = _upload(spec, user, data, fields)
    stored = [name for name in (other.file.name, other.rows_file.name) if name]
    assert len(stored) == (2 if spec.keep_rows else 1)
    storage = other.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = pipeline.cancel(spec, other, by=user)
    assert cancelled.status == ImportStatus.CANCELLED
    assert not cancelled.file and not cancelled.rows_file
    assert not any(storage.exists(name) for name in stored)
    with pytest.raises(DomainError, match="不能再次确认"):
        pipeline.confirm(spec, cancelled, by=user)


@pytest.mark.parametrize("name", sorted(n for n, (_b, _o) in CASES.items()))
def test_confirm_plans_the_rows_kept_from_the_upload_without_reading_the_file_again(request, name):
    spec, user, data, fields, numbers, _outsider = _case(request, name)
    if not spec.keep_rows:
        pytest.skip("this kind matches its rows to the database while parsing")
    record = _upload(spec, user, data, fields)
    with record.rows_file.open("rb") as stored:
        kept = stored.read()
    assert not any(number.encode() in kept for number in numbers)  # sealed, not plain
    # The uploaded file is gone; the rows kept from the upload are enough to confirm.
    record.file.storage.delete(record.file.name)
    applied = pipeline.confirm(spec, record, by=user)
    assert applied.status == ImportStatus.APPLIED


def test_rows_kept_by_an_older_version_fail_the_import_with_a_message(request):
    spec, user, data, fields, _numbers, _outsider = _case(request, "department_list")
    record = _upload(spec, user, data, fields)
    stale = zlib.compress(b"\x80\x05\x95not a pickle of today's rows")
    record.rows_file.save("rows", ContentFile(_encrypt_file(stale)))
    with pytest.raises(ImportFileError, match="预览已失效"):
        pipeline.confirm(spec, record, by=user)
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED and "预览已失效" in record.error_summary
