"""`manage.py load_areas`: a province's code list builds the tree; twice changes nothing;
a bad row is reported with its line and nothing is written (issue 17 point 1)."""

from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from accounts.models import Area, AreaLevel, level_of_code, parent_code

PROVINCE = "14"


def province_rows() -> list[tuple[str, str, str]]:
    """One province in the statistics bureau's list format: 12-digit code, name, and for the
    villages the urban-rural class code (城乡分类代码). 11 cities × 4 counties × 6 townships ×
    8 villages: 11 + 44 + 264 + 2,112 + 1 = 2,432 rows."""
    rows = [(f"{PROVINCE}0000000000", "山西省", "")]
    for c in range(1, 12):
        city = f"{PROVINCE}{c:02d}"
        rows.append((f"{city}00000000", f"第{c}市", ""))
        for k in range(1, 5):
            county = f"{city}{k:02d}"
            rows.append((f"{county}000000", f"第{c}市第{k}县", ""))
            for t in range(1, 7):
                township = f"{county}{100 + t:03d}"
                rows.append((f"{township}000", f"{k}县{t}镇", ""))
                for v in range(1, 9):
                    rows.append((f"{township}{200 + v:03d}", f"{t}镇{v}村", "220"))
    return rows


def write_csv(path, rows, header=("统计用区划代码", "名称", "城乡分类代码")):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def _events() -> int:
    from django.apps import apps

    return apps.get_model("accounts", "AreaEvent").objects.count()


@pytest.mark.django_db
def test_a_province_list_builds_the_tree_and_a_second_load_changes_nothing(tmp_path):
    rows = province_rows()
    path = write_csv(tmp_path / "shanxi.csv", rows)
    call_command("load_areas", str(path))

    assert Area.objects.count() == len(rows) == 2432
    levels = {level: Area.objects.filter(level=level).count() for level in AreaLevel.values}
    assert levels == {"province": 1, "city": 11, "county": 44, "township": 264, "village": 2112}
    village = Area.objects.get(code="140304106208")
    assert village.name == "6镇8村"
    chain = []
    area = village
    while area is not None:
        chain.append(area.level)
        area = area.parent
    assert chain == ["village", "township", "county", "city", "province"]
    # Every parent is the code above, and every child's code starts with its parent's prefix.
    for code, parent, level in Area.objects.values_list("code", "parent_id", "level"):
        assert level == level_of_code(code)
        assert parent == parent_code(code)

    events = _events()
    call_command("load_areas", str(path))
    assert Area.objects.count() == 2432
    assert _events() == events  # not one row written again


@pytest.mark.django_db
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path):
    rows = province_rows()
    rows[100] = ("14011001", "坏代码", "")  # 8 digits
    rows[200] = (rows[200][0], "", "")  # no name
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(CommandError) as exc:
        call_command("load_areas", str(path))
    message = str(exc.value)
    assert "第 102 行" in message and "14011001" in message  # the header is line 1
    assert "第 202 行" in message and "缺少名称" in message
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_parent_is_reported(tmp_path):
    rows = [r for r in province_rows() if r[0] != "140200000000"]  # city 02 left out
    path = write_csv(tmp_path / "orphan.csv", rows, header=None)
    with pytest.raises(CommandError) as exc:
        call_command("load_areas", str(path))
    assert "140201000000" in str(exc.value) and "上级区划 140200000000" in str(exc.value)
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_an_existing_county_is_hung_under_its_city_and_names_update(tmp_path):
    from tests.factories import build_county

    areas = build_county()  # 141124: a county without a parent, as a one-county install has
    rows = [
        ("140000000000", "山西省", ""),
        ("141100000000", "吕梁市", ""),
        ("141124000000", "临县（新名）", ""),
    ]
    call_command("load_areas", str(write_csv(tmp_path / "up.csv", rows)))
    county = Area.objects.get(pk=areas["county"].pk)
    assert county.parent_id == "141100000000" and county.name == "临县（新名）"
    assert Area.objects.get(pk="141124100000").parent_id == county.pk  # townships untouched


@pytest.mark.django_db
def test_xlsx_and_six_digit_codes(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["代码", "名称"])
    ws.append([140000, "山西省"])  # a number cell, six digits: the civil-affairs list
    ws.append(["141100", "吕梁市"])
    ws.append(["141124000000", "临县"])
    path = tmp_path / "areas.xlsx"
    wb.save(path)
    call_command("load_areas", str(path))
    assert set(Area.objects.values_list("code", "level")) == {
        ("140000000000", "province"),
        ("141100000000", "city"),
        ("141124000000", "county"),
    }


@pytest.mark.django_db
def test_duplicate_codes_with_other_names_are_refused(tmp_path):
    rows = [("140000000000", "山西省", ""), ("140000000000", "山西", "")]
    with pytest.raises(CommandError, match="重复"):
        call_command("load_areas", str(write_csv(tmp_path / "dup.csv", rows)))
    assert not Area.objects.exists()
