"""Item lifecycle: open → in progress → submitted → closed (销号) or reopened."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import DomainError
from rectification import services
from rectification.models import DeadlineKind, Evidence, ItemStatus, ProblemType, Source
from tests.rectification.factories import ComplaintFactory, jpeg_upload

pytestmark = pytest.mark.django_db


def _fields(areas, **overrides):
    return {
        "source": Source.PROVINCIAL,
        "problem_type": ProblemType.WORK,
        "title": "档案资料填写不规范",
        "findings": "验收表开工时间统一为10月11日。",
        "area": areas["township"],
        "measures": "规范档案管理。",
        "deadline_kind": DeadlineKind.IMMEDIATE,
        "responsible_unit": "临泉镇人民政府",
        **overrides,
    }


def test_reviewer_creates_item_with_households(areas, county_reviewer, household):
    item = services.item_create(by=county_reviewer, households=[household], **_fields(areas))
    assert item.status == ItemStatus.OPEN
    assert list(item.households.all()) == [household]
    assert item.deadline_label == "立行立改"


def test_household_outside_item_area_refused(areas, county_reviewer, other_household):
    with pytest.raises(DomainError, match="不在所选区划"):
        services.item_create(by=county_reviewer, households=[other_household], **_fields(areas))


def test_township_staff_cannot_create_items(areas, township_user):
    with pytest.raises(DomainError, match="无权"):
        services.item_create(by=township_user, **_fields(areas))


def test_dated_item_needs_a_deadline(areas, county_reviewer):
    with pytest.raises(DomainError, match="整改期限"):
        services.item_create(by=county_reviewer, **_fields(areas, deadline_kind="date"))


def test_long_term_item_shows_final_stage_date(areas, county_reviewer):
    item = services.item_create(
        by=county_reviewer,
        stages=[
            {"goal": "完成排查", "due_on": dt.date(2026, 12, 31)},
            {"goal": "全部拆除", "due_on": dt.date(2027, 6, 30)},
        ],
        **_fields(areas, deadline_kind=DeadlineKind.LONG_TERM),
    )
    assert item.deadline_label == "2027年6月30日（长期坚持）"


def test_full_lifecycle_closed_by_other_verifier(item, township_user, county_approver):
    note = services.note_add(
        item=item, by=township_user, content="旧房已拆除", files=[jpeg_upload()]
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_PROGRESS
    assert Evidence.objects.get(note=note).content_type == "image/jpeg"
    services.item_submit(item=item, by=township_user)
    closed = services.item_close(item=item, by=county_approver, note="现场核实无误")
    assert closed.status == ItemStatus.CLOSED
    assert closed.closed_by == county_approver
    assert closed.closed_on == dt.date(2026, 11, 23)


def test_submitter_cannot_close_own_item(item, county_reviewer):
    services.note_add(item=item, by=county_reviewer, content="已整改", files=[jpeg_upload()])
    services.item_submit(item=item, by=county_reviewer)
    with pytest.raises(DomainError, match="^销号须由提交人以外的人员核验$"):
        services.item_close(item=item, by=county_reviewer)
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    assert item.closed_by is None


def test_close_without_evidence_refused(item, township_user, county_reviewer):
    services.note_add(item=item, by=township_user, content="已电话督促")
    services.item_submit(item=item, by=township_user)
    with pytest.raises(DomainError, match="^销号前须上传整改佐证材料$"):
        services.item_close(item=item, by=county_reviewer)
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_township_staff_cannot_close(submitted_item, township_user, areas):
    from tests.conftest import _user

    colleague = _user("township_a2", "township_staff", areas["township"])
    with pytest.raises(DomainError, match="无权"):
        services.item_close(item=submitted_item, by=colleague)


def test_out_of_order_actions_refused_and_change_nothing(item, county_reviewer, township_user):
    with pytest.raises(DomainError, match="待整改.*不能提交核验"):
        services.item_submit(item=item, by=township_user)
    with pytest.raises(DomainError, match="不能销号"):
        services.item_close(item=item, by=county_reviewer)
    with pytest.raises(DomainError, match="不能退回"):
        services.item_reopen(item=item, by=county_reviewer, reason="x")
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_reopen_closed_item_back_to_in_progress(submitted_item, county_reviewer):
    services.item_close(item=submitted_item, by=county_reviewer)
    reopened = services.item_reopen(item=submitted_item, by=county_reviewer, reason="群众再次反映")
    assert reopened.status == ItemStatus.IN_PROGRESS
    assert reopened.closed_by is None and reopened.submitted_by is None
    assert reopened.notes.last().content == "重新打开：群众再次反映"


def test_closed_item_cannot_be_edited(submitted_item, county_reviewer, county_approver):
    services.item_close(item=submitted_item, by=county_approver)
    with pytest.raises(DomainError, match="已销号"):
        services.item_update(item=submitted_item, by=county_reviewer, title="改")


def test_other_township_cannot_touch_item(item, other_township_user):
    with pytest.raises(DomainError, match="不在您的管辖区划"):
        services.note_add(item=item, by=other_township_user, content="试图填报")


def test_township_cannot_write_on_county_level_item(county_item, township_user):
    with pytest.raises(DomainError, match="不在您的管辖区划"):
        services.note_add(item=county_item, by=township_user, content="x")


def test_fake_evidence_file_refused_nothing_saved(item, township_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("证明.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(DomainError, match="不是可接受的文件类型"):
        services.note_add(item=item, by=township_user, content="x", files=[fake])
    assert not item.notes.exists()
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_official_cannot_write(item, official):
    with pytest.raises(DomainError, match="无权"):
        services.note_add(item=item, by=official, content="x")


def test_complaint_converts_to_item_once(areas, county_reviewer, township_user):
    complaint = ComplaintFactory(area=areas["village"], created_by=township_user)
    item = services.complaint_convert(complaint=complaint, by=county_reviewer)
    complaint.refresh_from_db()
    assert complaint.item == item
    assert item.source == Source.PUBLIC
    assert item.area == areas["village"]
    assert "电话反映" in item.findings and "漏雨" in item.findings
    with pytest.raises(DomainError, match="已转入"):
        services.complaint_convert(complaint=complaint, by=county_reviewer)


def test_complaint_close_needs_reply(areas, township_user):
    complaint = ComplaintFactory(area=areas["village"], created_by=township_user)
    with pytest.raises(DomainError, match="答复"):
        services.complaint_update(complaint=complaint, by=township_user, closed=True)
    closed = services.complaint_update(
        complaint=complaint, by=township_user, reply="已维修", closed=True
    )
    assert closed.closed and closed.closed_on == dt.date(2026, 11, 23)


def test_long_term_item_needs_a_stage(areas, county_reviewer):
    """The page's rule holds in the service too (issue 13: it had drifted)."""
    from rectification.models import RectificationItem

    with pytest.raises(DomainError, match="长期坚持的问题请至少填写一个阶段目标"):
        services.item_create(by=county_reviewer, **_fields(areas, deadline_kind="long_term"))
    assert not RectificationItem.objects.exists()


def test_item_turned_long_term_needs_a_stage(areas, county_reviewer):
    item = services.item_create(by=county_reviewer, **_fields(areas))
    with pytest.raises(DomainError, match="长期坚持的问题请至少填写一个阶段目标"):
        services.item_update(item=item, by=county_reviewer, deadline_kind="long_term")
    item.refresh_from_db()
    assert item.deadline_kind == DeadlineKind.IMMEDIATE


def test_api_long_term_item_without_stage_is_400(api_client, areas, county_reviewer):
    from rectification.models import RectificationItem

    api_client.force_authenticate(county_reviewer)
    body = {
        "source": "provincial",
        "problem_type": "work",
        "title": "档案资料填写不规范",
        "findings": "验收表开工时间统一为10月11日。",
        "area": areas["township"].code,
        "deadline_kind": "long_term",
        "responsible_unit": "临泉镇人民政府",
    }
    response = api_client.post("/api/rectification-items/", body, format="json")
    assert response.status_code == 400, response.content
    assert "长期坚持的问题请至少填写一个阶段目标" in response.json()["detail"]
    assert not RectificationItem.objects.exists()
    stages = [{"goal": "全面排查", "due_on": "2027-06-30"}]
    response = api_client.post(
        "/api/rectification-items/", {**body, "stages": stages}, format="json"
    )
    assert response.status_code == 201, response.content
