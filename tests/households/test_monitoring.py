"""Import of the 防返贫监测 list ("监测对象信息.xlsx"): person rows → households and members."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import (
    Category,
    Household,
    HouseholdEvent,
    HouseholdImport,
    ImportKind,
    ImportStatus,
    Member,
    MemberEvent,
)
from tests.factories import HouseholdFactory, make_id_number
from tests.inspections.factories import AppraisalFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The national export's columns (EXCHANGE.md §3), in its order, with 姓名 after 户编号.
HEADERS = [
    "县",
    "乡",
    "村",
    "户编号",
    "姓名",
    "证件类型",
    "证件号码",
    "与户主关系",
    "性别",
    "民族",
    "出生日期",
    "健康状况",
    "户类型",
    "监测对象类别",
    "致贫/返贫风险1",
    "致贫/返贫风险2",
    "致贫/返贫风险3",
    "致贫/返贫风险4",
    "致贫/返贫风险5",
    "识别监测时间",
    "风险是否已消除",
    "风险消除方式",
    "消除监测时间",
    "是否危房户",
    "住房安全保障",
    "住房面积",
    "享受低保政策情况",
    "享受特困供养政策情况",
    "户联系电话",
]


def person(no, name, id_number, relation, *, label="", village="东村", **extra):
    return {
        "县": "示范县",
        "乡": extra.pop("township", "临泉镇"),
        "村": village,
        "户编号": no,
        "姓名": name,
        "证件类型": "居民身份证",
        "证件号码": id_number,
        "与户主关系": relation,
        "性别": "男",
        "民族": "汉族",
        "健康状况": "健康",
        "户类型": "脱贫户",
        "监测对象类别": label,
        "致贫/返贫风险1": "因病",
        "识别监测时间": "202403",
        "风险是否已消除": "否",
        "是否危房户": "否",
        "住房安全保障": "",
        "住房面积": 80,
        "户联系电话": "",
        **extra,
    }


def monitoring_file(rows) -> bytes:
    """The export as the monitoring system writes it: title, notes, header on row 3."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监测对象信息"
    ws.append(["监测对象信息"])
    ws.append(["导出时间：2026-11-01；数据范围：示范县"])
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def three_households():
    """3 monitored households × several persons, plus one household that is not monitored."""
    ids = {
        name: make_id_number()
        for name in ["王大", "李花", "王小", "赵强", "赵母", "赵妹", "赵孙", "钱多", "钱二", "孙静"]
    }
    rows = [
        person("H001", "王大", ids["王大"], "户主", label="脱贫不稳定户", 户联系电话="13900001111"),
        person("H001", "李花", ids["李花"], "配偶", label="脱贫不稳定户"),
        person("H001", "王小", ids["王小"], "之子", label="脱贫不稳定户"),
        person("H002", "赵母", ids["赵母"], "之母", label="边缘易致贫户", village="西村"),
        person(
            "H002",
            "赵强",
            ids["赵强"],
            "户主",
            label="边缘易致贫户",
            village="西村",
            是否危房户="是",
        ),
        person("H002", "赵妹", ids["赵妹"], "之女", label="边缘易致贫户", village="西村"),
        person("H002", "赵孙", ids["赵孙"], "之孙子", label="边缘易致贫户", village="西村"),
        person("H003", "钱多", ids["钱多"], "户主", label="突发严重困难户", 识别监测时间=202501),
        person("H003", "钱二", ids["钱二"], "兄弟姐妹", label="突发严重困难户"),
        person("H004", "孙静", ids["孙静"], "户主"),  # not a monitoring target
    ]
    return rows, ids


def upload(client, data: bytes, name="监测对象信息.xlsx"):
    file = SimpleUploadedFile(name, data, content_type=XLSX)
    return client.post(reverse("households:monitoring-import"), {"file": file}, follow=True)


def confirm(client, imp, mode="all"):
    url = reverse("households:monitoring-confirm", args=[imp.pk])
    return client.post(url, {"mode": mode}, follow=True)


@pytest.fixture
def township_client(client, township_user):
    client.force_login(township_user)
    return client


def _members(household):
    return sorted((m.name, m.relation) for m in household.members.all())


def test_three_households_import_with_members(
    township_client, township_user, three_households, settings
):
    rows, ids = three_households
    response = upload(township_client, monitoring_file(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "监测名单导入预览" in page
    assert "将新增 <b>3</b> 户" in page
    assert "非监测对象跳过 <b>1</b> 户" in page
    assert "H004" in page
    assert not Household.objects.exists()  # nothing written before confirm

    imp = HouseholdImport.objects.get()
    assert imp.kind == ImportKind.MONITORING and imp.status == ImportStatus.PENDING
    assert ids["王大"] not in json.dumps(imp.preview, ensure_ascii=False)
    assert ids["李花"] not in page
    raw = (settings.MEDIA_ROOT / imp.file.name).read_bytes()
    assert ids["王大"].encode() not in raw

    page = confirm(township_client, imp).content.decode()
    assert "已新增 <b>3</b> 户" in page
    assert Household.objects.count() == 3
    wang = Household.objects.get(head_name="王大")
    assert wang.id_number == ids["王大"]
    assert (wang.village_id, wang.family_size, wang.category) == (
        "141124100201",
        3,
        Category.AT_RISK,
    )
    assert (wang.monitoring_label, wang.monitoring_household_no) == ("脱贫不稳定户", "H001")
    assert wang.monitoring_dangerous is False
    assert (wang.identified_by, wang.identified_on) == ("xiangcun", dt.date(2024, 3, 1))
    assert wang.phone == "13900001111"
    assert _members(wang) == [("李花", "spouse"), ("王小", "child")]
    assert wang.members.get(name="王小").id_number == ids["王小"]

    zhao = Household.objects.get(head_name="赵强")  # head on the second row of the group
    assert (zhao.village_id, zhao.family_size, zhao.monitoring_label) == (
        "141124100202",
        4,
        "边缘易致贫户",
    )
    assert _members(zhao) == [("赵妹", "child"), ("赵孙", "grandchild"), ("赵母", "parent")]
    qian = Household.objects.get(head_name="钱多")
    assert (qian.family_size, qian.identified_on) == (2, dt.date(2025, 1, 1))
    assert _members(qian) == [("钱二", "sibling")]
    assert not Household.objects.filter(head_name="孙静").exists()
    # A department list: the new households must be appraised within 5 working days.
    assert wang.list_entries.count() == 1


def test_importing_the_same_file_again_changes_nothing(
    township_client, three_households, django_assert_max_num_queries
):
    rows, _ids = three_households
    data = monitoring_file(rows)
    upload(township_client, data)
    confirm(township_client, HouseholdImport.objects.get())
    counts = (
        Household.objects.count(),
        Member.objects.count(),
        HouseholdEvent.objects.count(),
        MemberEvent.objects.count(),
    )

    page = upload(township_client, data).content.decode()
    assert "将新增 <b>0</b> 户，将更新 <b>0</b> 户，无变化 <b>3</b> 户" in page
    second = HouseholdImport.objects.filter(status=ImportStatus.PENDING).get()
    page = confirm(township_client, second).content.decode()
    assert "已新增 <b>0</b> 户，已更新 <b>0</b> 户，无变化 <b>3</b> 户" in page
    assert (
        Household.objects.count(),
        Member.objects.count(),
        HouseholdEvent.objects.count(),
        MemberEvent.objects.count(),
    ) == counts


def test_changes_update_only_changed_fields_and_members(
    township_client, county_reviewer, three_households
):
    from households.models import HouseholdChange
    from households.services import household_change_decide

    rows, ids = three_households
    upload(township_client, monitoring_file(rows))
    confirm(township_client, HouseholdImport.objects.get())
    wang = Household.objects.get(head_name="王大")
    version = wang.version

    rows[0]["户联系电话"] = "13900002222"
    rows = [r for r in rows if r["姓名"] != "王小"]  # the son left the household
    page = upload(township_client, monitoring_file(rows)).content.decode()
    assert "将更新 <b>1</b> 户" in page
    assert "联系电话：13900001111 → 13900002222" in page
    confirm(township_client, HouseholdImport.objects.filter(status="pending").get())
    wang.refresh_from_db()
    # The phone is written; family size and members (they decide money) wait for the county.
    assert (wang.phone, wang.family_size, wang.version) == ("13900002222", 3, version + 1)
    assert len(_members(wang)) == 2
    assert Household.objects.get(head_name="赵强").version == 1
    change = HouseholdChange.objects.get(household=wang, status="pending")
    assert change.summary.startswith("家庭人口：3 → 2；家庭成员：")
    household_change_decide(change=change, by=county_reviewer, confirm=True)
    wang.refresh_from_db()
    assert wang.family_size == 2 and _members(wang) == [("李花", "spouse")]


def test_bad_id_reported_with_row_number_and_nothing_written(township_client, three_households):
    rows, ids = three_households
    good = ids["王小"]
    rows[2]["证件号码"] = good[:17] + ("0" if good[17] != "0" else "1")  # Excel row 6
    page = upload(township_client, monitoring_file(rows)).content.decode()
    assert "第 6 行" in page and "身份证号校验位错误" in page
    assert "有误 <b>1</b> 行" in page

    imp = HouseholdImport.objects.get()
    page = confirm(township_client, imp).content.decode()
    assert "文件中有 1 行存在错误，未导入任何数据" in page
    assert not Household.objects.exists() and not Member.objects.exists()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.PENDING

    page = confirm(township_client, imp, mode="valid_only").content.decode()
    assert "已新增 <b>2</b> 户" in page and "跳过有误的 <b>1</b> 户" in page
    assert set(Household.objects.values_list("head_name", flat=True)) == {"赵强", "钱多"}


def test_group_errors(township_client, three_households, other_household, areas):
    rows, _ids = three_households
    rows[0]["与户主关系"] = "本人之父"  # H001 now has no 户主 row (row 4)
    rows[7]["村"] = "北村"  # H003: no such village (row 11)
    rows.append(
        person(
            "H005",
            "周一",
            make_id_number(),
            "户主",
            label="脱贫不稳定户",
            village="南村",
            township="白文镇",
        )
    )  # noqa: E501 - row 14
    rows.append(person("H006", "李四", other_household.id_number, "户主", label="边缘易致贫户"))
    rows.append(person("H007", "吴一", rows[1]["证件号码"], "户主", label="边缘易致贫户"))
    rows.append(person("H008", "郑一", make_id_number(), "户主", label="其他类"))
    page = upload(township_client, monitoring_file(rows)).content.decode()
    assert "户编号 H001 没有与户主关系为“户主”的行" in page
    assert "第 4 行" in page
    assert "村“临泉镇北村”不存在或不在您的管辖范围内" in page
    assert "村“白文镇南村”不存在或不在您的管辖范围内" in page
    assert "其他乡镇（不在您管辖范围内）的农户" in page
    assert "证件号码与第 5 行重复" in page and "证件号码与第 16 行重复" in page
    assert "监测对象类别“其他类”无法识别" in page
    assert "将新增 <b>1</b> 户" in page  # only H002 is clean
    assert not Household.objects.filter(head_name__in=["赵强", "周一"]).exists()


def test_disagreement_with_appraisal_is_listed_as_to_verify(
    township_client, three_households, areas, county_reviewer, api_client, township_user
):
    rows, ids = three_households
    # 王大 is already registered, appraised D; the monitoring list says 否.
    wang = HouseholdFactory(
        village=areas["village"], head_name="王大", id_number=ids["王大"], category="dibao"
    )
    AppraisalFactory(household=wang, level="D", created_by=county_reviewer)
    # 钱多's list says 否, no appraisal: no flag. 赵强 says 是, no appraisal yet: flag.
    page = upload(township_client, monitoring_file(rows)).content.decode()
    assert "需核实 <b>2</b> 户" in page
    assert "监测系统不是危房户，本系统鉴定为D级（整栋危房）" in page
    assert "监测系统为危房户，本系统尚无鉴定" in page
    assert "类型：低保户 → 易返贫致贫户" in page

    page = confirm(township_client, HouseholdImport.objects.get()).content.decode()
    assert "已新增 <b>2</b> 户，已更新 <b>1</b> 户" in page
    assert "需核实 <b>2</b> 户" in page and page.count('<span class="tag warn">需核实</span>') == 2

    # Queryable afterwards, and it follows the appraisals: 赵强 appraised C → agrees.
    api_client.force_authenticate(township_user)
    names = lambda: sorted(  # noqa: E731
        r["head_name"]
        for r in api_client.get("/api/households/", {"monitoring_mismatch": "true"}).json()[
            "results"
        ]
    )
    assert names() == ["王大", "赵强"]
    AppraisalFactory(
        household=Household.objects.get(head_name="赵强"), level="C", created_by=county_reviewer
    )
    assert names() == ["王大"]
    listing = township_client.get(reverse("households:list"), {"monitoring_mismatch": "true"})
    assert "王大" in listing.content.decode() and "钱多" not in listing.content.decode()


def test_other_township_cannot_see_or_confirm(
    client, township_user, other_township_user, three_households
):
    rows, _ids = three_households
    client.force_login(township_user)
    upload(client, monitoring_file(rows))
    imp = HouseholdImport.objects.get()

    client.force_login(other_township_user)
    assert client.get(reverse("households:monitoring-detail", args=[imp.pk])).status_code == 404
    url = reverse("households:monitoring-confirm", args=[imp.pk])
    assert client.post(url, {"mode": "all"}).status_code == 404
    cancel = reverse("households:monitoring-cancel", args=[imp.pk])
    assert client.post(cancel).status_code == 404
    assert not Household.objects.exists()
    # The other township's own file naming the first township's villages imports nothing.
    page = upload(client, monitoring_file(rows)).content.decode()
    assert "将新增 <b>0</b> 户" in page and "不存在或不在您的管辖范围内" in page


def test_registry_pages_do_not_take_a_monitoring_import(township_client, three_households):
    rows, _ids = three_households
    upload(township_client, monitoring_file(rows))
    imp = HouseholdImport.objects.get()
    assert imp.get_absolute_url() == reverse("households:monitoring-detail", args=[imp.pk])


def test_official_and_clerk_refused(client, official, village_clerk, three_households):
    rows, _ids = three_households
    for user in (official, village_clerk):
        client.force_login(user)
        assert client.get(reverse("households:monitoring-import")).status_code == 403
        file = SimpleUploadedFile("m.xlsx", monitoring_file(rows), content_type=XLSX)
        response = client.post(reverse("households:monitoring-import"), {"file": file})
        assert response.status_code == 403
    assert not HouseholdImport.objects.exists()


def test_cancel_deletes_file(
    township_client, three_households, settings, django_capture_on_commit_callbacks
):
    rows, _ids = three_households
    upload(township_client, monitoring_file(rows))
    imp = HouseholdImport.objects.get()
    stored = settings.MEDIA_ROOT / imp.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = township_client.post(
            reverse("households:monitoring-cancel", args=[imp.pk]), follow=True
        )
    assert "已取消本次导入" in response.content.decode()
    assert not stored.exists()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.CANCELLED


def test_wrong_file_layout(township_client):
    wb = openpyxl.Workbook()
    wb.active.append(["户主姓名", "身份证号"])
    out = io.BytesIO()
    wb.save(out)
    page = upload(township_client, out.getvalue()).content.decode()
    assert "没有找到表头" in page
    page = upload(township_client, b"not a zip").content.decode()
    assert "不是有效的 Excel" in page
    assert not HouseholdImport.objects.exists()


def test_a_user_moved_since_the_upload_can_neither_preview_nor_confirm(
    township_client, township_user, three_households, areas
):
    rows, _ids = three_households
    upload(township_client, monitoring_file(rows))
    imp = HouseholdImport.objects.get()
    township_user.area = areas["other_township"]
    township_user.save()
    township_client.force_login(township_user)
    detail = township_client.get(
        reverse("households:monitoring-detail", args=[imp.pk]), follow=True
    )
    assert "已不在您当前的管辖范围内" in detail.content.decode()
    assert "H004" not in detail.content.decode()
    response = confirm(township_client, imp)
    assert "已不在您当前的管辖范围内" in response.content.decode()
    assert not Household.objects.exists()
    imp.refresh_from_db()
    assert imp.is_pending


def test_labels_map_to_their_categories_a_change_is_pending_and_eliminated_risk_exits(
    township_client, county_reviewer, three_households
):
    """Issue 15 point 3: 突发严重困难户 is ④ 严重困难家庭, not 易返贫致贫户; a differing
    category is a change to confirm; 风险已消除 gives an exit record."""
    from households.models import HouseholdChange, HouseholdExit
    from households.services import household_change_decide

    rows, _ids = three_households
    upload(township_client, monitoring_file(rows))
    confirm(township_client, HouseholdImport.objects.get())
    categories = dict(Household.objects.values_list("head_name", "category"))
    assert categories == {"王大": "at_risk", "赵强": "at_risk", "钱多": "hardship"}

    # Next list: 王大 is now 突发严重困难户, 赵强's risk was eliminated in 2026-10.
    for row in rows:
        if row["户编号"] == "H001":
            row["监测对象类别"] = "突发严重困难户"
        if row["户编号"] == "H002":
            row["风险是否已消除"] = "是"
            row["消除监测时间"] = "202610"
    page = upload(township_client, monitoring_file(rows)).content.decode()
    assert "风险已消除，退出监测名单（2026-10）" in page
    confirm(township_client, HouseholdImport.objects.filter(status="pending").get())

    wang = Household.objects.get(head_name="王大")
    assert wang.category == "at_risk"  # not overwritten
    change = HouseholdChange.objects.get(household=wang, status="pending")
    assert "重点对象类型：易返贫致贫户 → 严重困难家庭" in change.summary
    household_change_decide(change=change, by=county_reviewer, confirm=True)
    wang.refresh_from_db()
    assert wang.category == "hardship"

    zhao = Household.objects.get(head_name="赵强")
    assert zhao.exited_on == dt.date(2026, 10, 1)
    exit_record = HouseholdExit.objects.get(household=zhao)
    assert (exit_record.source, exit_record.reason) == ("防返贫监测名单", "风险已消除")
    page = township_client.get(zhao.get_absolute_url()).content.decode()
    assert "风险已消除" in page
    listed = township_client.get("/households/?exited=false").content.decode()
    assert "赵强" not in listed and "王大" in listed
    # A third import of the same list does not exit it twice.
    upload(township_client, monitoring_file(rows))
    confirm(township_client, HouseholdImport.objects.filter(status="pending").get())
    assert HouseholdExit.objects.filter(household=zhao).count() == 1


def test_a_full_list_exits_the_monitored_households_that_are_not_in_it(
    township_client, three_households
):
    from households.models import HouseholdExit

    rows, _ids = three_households
    upload(township_client, monitoring_file(rows))
    confirm(township_client, HouseholdImport.objects.get())
    rest = [r for r in rows if r["户编号"] != "H003"]  # 钱多's household left the list
    file = SimpleUploadedFile("监测对象信息.xlsx", monitoring_file(rest), content_type=XLSX)
    page = township_client.post(
        reverse("households:monitoring-import"), {"file": file, "full_list": "on"}, follow=True
    ).content.decode()
    assert "将退出名单（1 户）" in page and "钱多" in page
    assert not HouseholdExit.objects.exists()  # preview only
    confirm(township_client, HouseholdImport.objects.filter(status="pending").get())
    qian = Household.objects.get(head_name="钱多")
    assert qian.exited_on is not None
    assert HouseholdExit.objects.get(household=qian).reason == "未在新的完整监测名单中"
    assert Household.objects.get(head_name="王大").exited_on is None
    # Without the mark, an incomplete list exits nobody.
    upload(township_client, monitoring_file([r for r in rest if r["户编号"] != "H002"]))
    confirm(township_client, HouseholdImport.objects.filter(status="pending").get())
    assert Household.objects.get(head_name="赵强").exited_on is None
