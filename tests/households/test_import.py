"""Import of department lists (.xlsx): upload → preview → confirm or cancel."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from core.errors import DomainError
from households import importer
from households.importer import COLUMNS
from households.models import Category, Household, HouseholdImport, ImportStatus
from households.selectors import household_history
from tests.factories import HouseholdFactory, make_id_number

HEADERS = [c.header + ("*" if c.required else "") for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def entry(name, id_number, village="141124100201", size=3, category="低保户", **extra):
    return {
        "head_name": name,
        "id_number": id_number,
        "village": village,
        "family_size": size,
        "category": category,
        **extra,
    }


def workbook_bytes(rows, headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "农户名单"
    ws.append(headers)
    for row in rows:
        ws.append([row.get(key) for key in KEYS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, name="名单.xlsx", follow=True):
    file = SimpleUploadedFile(name, data, content_type=XLSX)
    return client.post(reverse("households:import"), {"file": file}, follow=follow)


def confirm(client, imp, mode="all"):
    url = reverse("households:import-confirm", args=[imp.pk])
    return client.post(url, {"mode": mode}, follow=True)


def stored_files(settings):
    root = settings.MEDIA_ROOT / "imports"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def township_client(client, township_user):
    client.force_login(township_user)
    return client


def test_template_has_headers_example_and_notes(township_client):
    response = township_client.get(reverse("households:import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = wb["农户名单"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["户主姓名*", "户主身份证号*", "村代码*", "家庭人口*", "重点对象类型*"]
    assert {"认定部门", "认定日期", "残疾人", "见义勇为", "一卡通账号", "备注"} <= set(header)
    assert sheet.cell(row=2, column=1).value.startswith("【示例】")
    assert sheet.cell(row=2, column=2).data_type == "s"  # the ID is a text cell
    assert "填写说明" in wb.sheetnames

    # The untouched template has no data rows: the example row is not imported.
    response = upload(township_client, response.content)
    assert "文件中没有数据行" in response.content.decode()
    assert HouseholdImport.objects.count() == 0


def test_valid_file_previews_then_confirm_creates(township_client, township_user, areas, settings):
    id1, id2, id3 = make_id_number(), make_id_number(), make_id_number()
    data = workbook_bytes(
        [
            entry(
                "王大",
                id1,
                category="农村低保户",
                identified_by="民政",
                identified_on=dt.date(2025, 3, 1),
                is_disabled="是",
                bank_account="6217001234567890123",
                phone="13900001111",
            ),
            entry("王二", id2, village="141124100202", size=5, category="dibao_edge"),
            entry(
                "王三", id3, category="易返贫致贫户", identified_on="2025-04-02", is_veteran="否"
            ),
        ]
    )
    before = Household.objects.count()
    response = upload(township_client, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "导入预览" in page
    assert "将新增 <b>3</b> 户" in page
    assert "王二" in page and "西村" in page
    assert Household.objects.count() == before  # nothing written before confirming

    imp = HouseholdImport.objects.get()
    assert imp.status == ImportStatus.PENDING
    assert imp.created_by == township_user
    # Neither the preview nor the stored file holds a full ID number in plain text.
    assert id1 not in json.dumps(imp.preview, ensure_ascii=False)
    assert id1[:6] + "********" + id1[-4:] in page
    raw = (settings.MEDIA_ROOT / imp.file.name).read_bytes()
    assert not raw.startswith(b"PK") and id1.encode() not in raw

    response = confirm(township_client, imp)
    page = response.content.decode()
    assert "已新增 <b>3</b> 户" in page
    assert Household.objects.count() == before + 3
    first = Household.objects.get(head_name="王大")
    assert first.id_number == id1
    assert first.category == Category.DIBAO
    assert first.identified_by == "minzheng"
    assert first.identified_on == dt.date(2025, 3, 1)
    assert first.is_disabled is True
    assert first.bank_account == "6217001234567890123"
    assert first.bank_account_masked == "6217***********0123"
    assert first.created_by == township_user
    second = Household.objects.get(head_name="王二")
    assert (second.village_id, second.family_size, second.category) == (
        "141124100202",
        5,
        Category.DIBAO_EDGE,
    )
    assert Household.objects.get(head_name="王三").identified_on == dt.date(2025, 4, 2)
    # The creation is in the household's history, attributed to the importer.
    history = household_history(first)
    assert history[0].action == "新增" and history[0].user == township_user.display_name


def test_bad_checksum_listed_and_all_or_nothing_refused(township_client):
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    data = workbook_bytes([entry("赵一", good), entry("赵二", bad)])
    before = Household.objects.count()
    response = upload(township_client, data)
    page = response.content.decode()
    assert "第 3 行" in page
    assert "身份证号校验位错误" in page
    assert "有误 <b>1</b> 行" in page
    # Both buttons ask first, with the numbers they would write.
    assert 'data-confirm="确认将 1 行写入农户名册吗？"' in page
    assert 'data-confirm="将跳过 1 行有误的数据，只导入其余 1 行。确定吗？"' in page
    assert Household.objects.count() == before

    imp = HouseholdImport.objects.get()
    response = confirm(township_client, imp, mode="all")
    assert "文件中有 1 行存在错误，未导入任何数据" in response.content.decode()
    assert Household.objects.count() == before
    imp.refresh_from_db()
    assert imp.status == ImportStatus.PENDING

    response = confirm(township_client, imp, mode="valid_only")
    page = response.content.decode()
    assert "已新增 <b>1</b> 户" in page and "跳过有误的行 <b>1</b> 行" in page
    assert Household.objects.count() == before + 1
    assert Household.objects.filter(head_name="赵一").exists()
    assert not Household.objects.filter(head_name="赵二").exists()
    imp.refresh_from_db()
    assert (imp.status, imp.created_count, imp.skipped_count) == (ImportStatus.APPLIED, 1, 1)


def test_row_errors_are_named(township_client, household, other_household, areas):
    dup = make_id_number()
    data = workbook_bytes(
        [
            entry("甲", dup),  # row 2
            entry("乙", make_id_number(), village="141124100299"),  # row 3: no such village
            entry("丙", dup),  # row 4: duplicate of row 2
            entry("丁", make_id_number(), village=areas["other_village"].code),  # row 5
            entry("李四", other_household.id_number),  # row 6: other township's household
            entry("王五", household.id_number),  # row 7: ID belongs to 张三
            entry("戊", make_id_number(), size=0, category="贫困户"),  # row 8
            entry("己", make_id_number(), is_heroic="可能", identified_on="2025-13-01"),  # row 9
            entry("", make_id_number(), village=None),  # row 10: missing values
            entry("庚", int(make_id_number()[:15])),  # row 11: ID typed as a number
        ]
    )
    response = upload(township_client, data)
    page = response.content.decode()
    assert "身份证号与第 4 行重复" in page and "身份证号与第 2 行重复" in page
    assert "村代码 141124100299 不存在或不在您的管辖范围内" in page
    assert f"村代码 {areas['other_village'].code} 不存在或不在您的管辖范围内" in page
    assert "本县已登记为其他乡镇（不在您管辖范围内）的农户" in page
    assert "该身份证号已登记为户主“张三”，与文件中的“王五”不一致" in page
    assert "家庭人口“0”无效" in page
    assert "重点对象类型“贫困户”无法识别" in page
    assert "见义勇为应填“是”或“否”" in page and "认定日期“2025-13-01”无效" in page
    assert "缺少必填项：户主姓名、村代码" in page
    assert "身份证号单元格是数字格式" in page
    imp = HouseholdImport.objects.get()
    assert imp.error_count == 10 and imp.to_create == 0
    errors = {e["row"]: e["messages"] for e in imp.preview["errors"]}
    assert sorted(errors) == list(range(2, 12))
    # The other township's household was not touched, nor its name revealed.
    assert "李四" not in " ".join(errors[6])


def test_same_file_twice_creates_no_duplicates(township_client):
    data = workbook_bytes([entry(f"钱{i}", make_id_number()) for i in range(5)])
    upload(township_client, data)
    confirm(township_client, HouseholdImport.objects.get())
    count = Household.objects.count()

    response = upload(township_client, data)
    page = response.content.decode()
    assert "将新增 <b>0</b> 户，将更新 <b>0</b> 户，无变化 <b>5</b> 户" in page
    second = HouseholdImport.objects.latest("id")
    response = confirm(township_client, second)
    assert "已新增 <b>0</b> 户，已更新 <b>0</b> 户，无变化 <b>5</b> 户" in response.content.decode()
    assert Household.objects.count() == count


def test_update_changes_only_changed_fields_and_shows_in_history(
    township_client, township_user, county_reviewer, household
):
    """A list's family size (it decides money) is a pending change, not an overwrite; the
    county reviewer's confirmation writes it, in the household's history."""
    from households.models import HouseholdChange
    from households.services import household_change_decide

    account, phone, version = household.bank_account, household.phone, household.version
    data = workbook_bytes(
        [entry("张三", household.id_number, size=5, category="低保户", phone=household.phone)]
    )
    response = upload(township_client, data)
    page = response.content.decode()
    assert "将更新 <b>1</b> 户" in page
    assert "家庭人口：3 → 5" in page
    household.refresh_from_db()
    assert household.family_size == 3  # still the preview

    confirm(township_client, HouseholdImport.objects.get())
    household.refresh_from_db()
    assert household.family_size == 3 and household.version == version  # not overwritten
    change = HouseholdChange.objects.get(household=household, status="pending")
    assert change.summary == "家庭人口：3 → 5" and change.requested_by == township_user
    detail = township_client.get(household.get_absolute_url()).content.decode()
    assert "待确认的信息变更" in detail and "家庭人口：3 → 5" in detail

    household_change_decide(change=change, by=county_reviewer, confirm=True)
    household.refresh_from_db()
    assert household.family_size == 5
    assert household.version == version + 1
    assert (household.phone, household.bank_account) == (phone, account)
    latest = household_history(household)[0]
    assert latest.action == "修改"
    assert latest.user == county_reviewer.display_name
    assert [label for label, _old, _new in latest.changes] == ["家庭人口"]
    detail = township_client.get(household.get_absolute_url()).content.decode()
    assert "reviewer" in detail and "待确认的信息变更" not in detail


def test_confirm_revalidates_against_current_registry(township_client, other_household):
    new_id = make_id_number()
    upload(township_client, workbook_bytes([entry("孙一", new_id)]))
    imp = HouseholdImport.objects.get()
    assert imp.to_create == 1
    # Meanwhile the same person is registered in another township.
    HouseholdFactory(village=other_household.village, head_name="孙一", id_number=new_id)
    count = Household.objects.count()
    response = confirm(township_client, imp)
    page = response.content.decode()
    assert "未导入任何数据" in page
    assert "本县已登记为其他乡镇" in page
    assert Household.objects.count() == count


def test_preview_lists_only_first_rows_of_a_big_file(township_client):
    data = workbook_bytes([entry(f"周{i}", make_id_number()) for i in range(230)])
    response = upload(township_client, data)
    page = response.content.decode()
    assert "将新增 <b>230</b> 户" in page
    assert "共 230 户，仅显示前 200 户" in page
    assert "第 201 行" in page and "第 202 行" not in page


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(8):
                member.write(b"\0" * (1024 * 1024))
    return out.getvalue()


def _xml_bomb() -> bytes:
    """A "billion laughs" entity expansion inside the worksheet XML."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([entry("吴", make_id_number())])))
    dtd = (
        '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                head, body = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
                body = body.replace("&#21556;", "&lol3;")  # the cell 吴
                data = ((head + "?>" if head else "") + dtd + body).encode()
                assert "&lol3;" in body
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "名单.xlsx",
            lambda: "户主姓名,身份证号\n张三,1\n".encode(),
            "不是有效的 Excel（.xlsx）表格",
        ),
        ("名单.xlsx", lambda: b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "这是 PDF 文件"),
        (
            "名单.xls",
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "旧版 Excel（.xls）",
        ),
        (
            "名单.xlsx",
            lambda: workbook_bytes(
                [entry("张", make_id_number())], headers=["户主姓名", "身份证号", "家庭人口"]
            ),
            "表头缺少以下必填列：户主身份证号、村代码、重点对象类型",
        ),
        ("名单.xlsx", lambda: workbook_bytes([]), "文件中没有数据行"),
        ("名单.xlsx", _zip_bomb, "疑似压缩炸弹"),
        ("名单.xlsx", _xml_bomb, "无法读取该 Excel 文件"),
    ],
)
def test_malformed_files_are_refused_and_nothing_stored(
    township_client, settings, name, make, message
):
    settings.ANJU_IMPORT_MAX_BYTES = 100_000  # zip bomb limit: 20 × this = 2 MB
    count = Household.objects.count()
    response = upload(township_client, make(), name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert HouseholdImport.objects.count() == 0
    assert Household.objects.count() == count
    assert stored_files(settings) == []


def test_too_large_file_is_refused(township_client, settings):
    settings.ANJU_IMPORT_MAX_BYTES = 1000
    response = upload(township_client, workbook_bytes([entry("郑", make_id_number())]))
    assert "文件过大" in response.content.decode()
    assert HouseholdImport.objects.count() == 0


def test_too_many_rows_is_refused(township_client, settings):
    settings.ANJU_IMPORT_MAX_ROWS = 3
    data = workbook_bytes([entry(f"冯{i}", make_id_number()) for i in range(4)])
    response = upload(township_client, data)
    assert "文件超过 3 行的上限" in response.content.decode()
    assert HouseholdImport.objects.count() == 0


def test_openpyxl_parses_xml_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_other_township_gets_404_county_reviewer_sees_it(
    client, township_user, other_township_user, county_reviewer
):
    client.force_login(township_user)
    upload(client, workbook_bytes([entry("陈", make_id_number())]))
    imp = HouseholdImport.objects.get()

    client.force_login(other_township_user)
    assert client.get(imp.get_absolute_url()).status_code == 404
    assert client.post(reverse("households:import-confirm", args=[imp.pk])).status_code == 404
    assert client.post(reverse("households:import-cancel", args=[imp.pk])).status_code == 404
    assert imp.filename not in client.get(reverse("households:import")).content.decode()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.PENDING

    client.force_login(county_reviewer)
    response = client.get(imp.get_absolute_url())
    assert response.status_code == 200 and "将新增 <b>1</b> 户" in response.content.decode()


def test_official_and_village_clerk_may_not_import(client, official, village_clerk):
    data = workbook_bytes([entry("褚", make_id_number())])
    for user in (official, village_clerk):
        client.force_login(user)
        assert client.get(reverse("households:import")).status_code == 403
        assert upload(client, data, follow=False).status_code == 403
    assert HouseholdImport.objects.count() == 0
    client.force_login(official)
    list_page = client.get(reverse("households:list")).content.decode()
    assert "导入名单" not in list_page


def test_household_list_links_to_import(township_client):
    page = township_client.get(reverse("households:list")).content.decode()
    assert reverse("households:import") in page and "导入名单" in page


def test_cancel_drops_the_file_and_blocks_confirm(
    township_client, settings, django_capture_on_commit_callbacks
):
    upload(township_client, workbook_bytes([entry("卫", make_id_number())]))
    imp = HouseholdImport.objects.get()
    assert len(stored_files(settings)) == 2  # the file and the rows parsed from it
    page = township_client.get(imp.get_absolute_url()).content.decode()
    assert 'data-confirm="确定取消本次导入吗' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = township_client.post(
            reverse("households:import-cancel", args=[imp.pk]), follow=True
        )
    assert "已取消本次导入" in response.content.decode()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.CANCELLED
    assert stored_files(settings) == []
    count = Household.objects.count()
    response = confirm(township_client, imp)
    assert "该导入的状态为“已取消”，不能再次确认" in response.content.decode()
    assert Household.objects.count() == count


@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False)
def test_department_list_import_starts_the_appraisal_clock(township_client, household):
    from inspections.models import DepartmentListEntry

    data = workbook_bytes(
        [entry("新户甲", make_id_number()), entry(household.head_name, household.id_number)]
    )
    file = SimpleUploadedFile("民政名单.xlsx", data, content_type=XLSX)
    response = township_client.post(
        reverse("households:import"),
        {"file": file, "department": "minzheng", "received_on": "2026-11-20"},  # a Friday
        follow=True,
    )
    imp = response.context["imp"]
    assert (imp.department, imp.received_on) == ("minzheng", dt.date(2026, 11, 20))
    confirm(township_client, imp)
    entries = list(DepartmentListEntry.objects.select_related("household", "department_list"))
    # Only the household the list brought in gets the 5-working-day deadline.
    assert [(e.household.head_name, e.appraisal_due) for e in entries] == [
        ("新户甲", dt.date(2026, 11, 27))
    ]
    assert entries[0].department_list.department == "minzheng"


def test_received_date_cannot_be_in_the_future(township_client):
    file = SimpleUploadedFile("a.xlsx", workbook_bytes([entry("甲", make_id_number())]))
    response = township_client.post(
        reverse("households:import"),
        {"file": file, "department": "minzheng", "received_on": "2999-01-01"},
    )
    assert "收到名单日期不能晚于今天" in response.content.decode()
    assert not HouseholdImport.objects.exists()


def _uploaded(client):
    upload(client, workbook_bytes([entry("吴一", make_id_number())]))
    return HouseholdImport.objects.get()


@pytest.mark.parametrize("change", ["moved", "demoted", "deactivated"])
def test_confirm_rechecks_the_users_current_area_and_role(
    client, township_user, areas, settings, change
):
    """Issue 14 point 3: an upload made before the account changed writes nothing."""
    client.force_login(township_user)
    imp = _uploaded(client)
    count = Household.objects.count()
    if change == "moved":
        township_user.area = areas["other_township"]
    elif change == "demoted":
        township_user.role = Role.OFFICIAL
    else:
        township_user.is_active = False
    township_user.save()
    with pytest.raises(DomainError):
        importer.import_apply(household_import=imp, by=township_user)
    imp.refresh_from_db()
    assert imp.is_pending
    assert Household.objects.count() == count
    if change == "moved":  # the page refuses too, with the reason, and shows no rows
        client.force_login(township_user)
        detail = client.get(reverse("households:import-detail", args=[imp.pk]), follow=True)
        assert "已不在您当前的管辖范围内" in detail.content.decode()
        assert "吴一" not in detail.content.decode()
        response = confirm(client, imp)
        assert "已不在您当前的管辖范围内" in response.content.decode()
        assert Household.objects.count() == count
