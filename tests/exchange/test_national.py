"""The national renovation record: EXCHANGE.md §1 order and labels, masking, scoping."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core import exports
from core.errors import DomainError
from households.models import Category, SensitiveAccessLog
from renovation.models import BuildMode, ProjectStatus, RenovationMethod
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus

EXPECTED_HEADER = [
    "档案编号",
    "列入年度计划",
    "县",
    "乡镇",
    "村",
    "户主姓名",
    "身份证号",
    "家庭人口",
    "重点对象类型",
    "改造原因",
    "改造方式",
    "建设方式",
    "改造面积(平方米)",
    "开工日期",
    "竣工日期",
    "验收日期",
    "补助金额(元)",
    "拨付日期",
    "拨付金额(元)",
]
# EXCHANGE.md §1: the national system's only five 改造方式 labels.
FIVE_METHODS = {"修缮加固", "原址翻建", "异地非集中新建", "异地相对集中新建", "房屋置换"}


def run_national(user, **params):
    exporter = exports.get("national-record")
    cleaned = exporter.clean_params(user, {"year": 2026, **params})
    result = exporter.run(user, cleaned, lambda *args: None)
    rows = list(load_workbook(io.BytesIO(result.content)).active.iter_rows(values_only=True))
    return [list(r) for r in rows]


def column(rows, name):
    index = EXPECTED_HEADER.index(name)
    return [r[index] for r in rows[1:]]


@pytest.fixture
def projects(areas, household, other_household):
    return [
        make_project(household, S.ACCEPTED),
        make_project(other_household, S.APPROVED, level="C"),
        # Not yet approved: not in the national record.
        make_project(HouseholdFactory(village=areas["village2"], head_name="未批"), S.PUBLICITY),
    ]


def test_headers_in_order_and_one_row_per_approved_project(projects, county_reviewer):
    rows = run_national(county_reviewer)
    assert rows[0] == EXPECTED_HEADER
    assert sorted(column(rows, "户主姓名")) == ["张三", "李四"]
    accepted = next(r for r in rows[1:] if r[5] == "张三")
    assert accepted[0] == f"141124-2026-{projects[0].pk:06d}"
    assert accepted[1] == 2026
    assert accepted[2:5] == ["示范县", "临泉镇", "东村"]
    assert accepted[7] == 3
    assert accepted[8] == "农村低保户"
    assert accepted[9] == "D级危房(整栋危险)"
    assert accepted[10] == "原址翻建"
    assert accepted[11] == "自建"
    assert accepted[12] == 60
    assert accepted[13:16] == ["2026-04-01", "2026-05-01", "2026-05-10"]
    assert accepted[16] == 50000
    approved = next(r for r in rows[1:] if r[5] == "李四")
    assert approved[9] == "C级危房(局部危险)" and approved[10] == "修缮加固"
    assert approved[11] is None and approved[13] is None  # not started yet: blank, not "None"


@pytest.mark.parametrize("method", list(RenovationMethod))
def test_method_column_holds_only_the_five_labels(household, county_reviewer, method):
    make_project(household, S.APPROVED, method=method)
    values = column(run_national(county_reviewer), "改造方式")
    assert values == [method.label]
    assert set(values) <= FIVE_METHODS


def test_build_mode_labels(household, other_household, county_reviewer):
    make_project(household, S.UNDER_CONSTRUCTION, build_mode=BuildMode.UNIFIED_BUILD)
    make_project(other_household, S.UNDER_CONSTRUCTION, build_mode=BuildMode.SELF_BUILD)
    assert sorted(column(run_national(county_reviewer), "建设方式")) == ["统建", "自建"]


@pytest.mark.parametrize(
    ("category", "label"),
    [
        (Category.AT_RISK, "易返贫致贫户"),
        (Category.HARDSHIP, "严重困难家庭"),
        (Category.DIBAO_EDGE, "农村低保边缘家庭"),
        (Category.LEGACY_POOR, "建档立卡贫困户"),
        (Category.LEGACY_DISABLED, "贫困残疾人家庭"),
    ],
)
def test_category_labels_current_and_legacy(household, county_reviewer, category, label):
    household.category = category
    household.save()
    make_project(household, S.APPROVED, level="none")
    rows = run_national(county_reviewer)
    assert column(rows, "重点对象类型") == [label]
    assert column(rows, "改造原因") == ["其它"]


def test_county_roles_get_full_numbers_logged(projects, household, county_reviewer):
    rows = run_national(county_reviewer)
    assert household.id_number in column(rows, "身份证号")
    logs = SensitiveAccessLog.objects.filter(user=county_reviewer, purpose="全国系统录入表导出")
    assert logs.count() == 2


@pytest.mark.parametrize("fixture", ["township_user", "official"])
def test_other_roles_get_masked_numbers_and_no_log(request, projects, household, fixture):
    user = request.getfixturevalue(fixture)
    ids = column(run_national(user), "身份证号")
    assert household.id_number not in ids
    assert household.id_number_masked in ids and all("*" in v for v in ids)
    assert not SensitiveAccessLog.objects.filter(user=user).exists()


def test_township_user_sees_only_its_projects(projects, township_user, other_township_user):
    assert column(run_national(township_user), "户主姓名") == ["张三"]
    assert column(run_national(other_township_user), "户主姓名") == ["李四"]


def test_township_parameter_narrows_and_is_scoped(projects, areas, county_reviewer, township_user):
    rows = run_national(county_reviewer, township=areas["other_township"].pk)
    assert column(rows, "户主姓名") == ["李四"]
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        run_national(township_user, township=areas["other_township"].pk)


def test_project_list_offers_the_export(client, township_user):
    client.force_login(township_user)
    html = client.get("/renovation/").content.decode()
    assert "/exports/national-record/start/" in html


def test_export_runs_as_a_background_job(client, projects, township_user, settings):
    client.force_login(township_user)
    response = client.post("/exports/national-record/start/", {"year": "2026", "township": ""})
    assert response.status_code == 302
    from core.models import ExportJob

    job = ExportJob.objects.get(created_by=township_user)
    assert job.kind == "national-record"
    assert {k: v for k, v in job.params.items() if k != "_started_as"} == {"year": 2026}
