"""The xlsx reader refuses cells beyond Excel's grid and reads sparse rows sparsely
(issue 14 point 1: a header cell at ZZZZZZ1 made it allocate 2.4 GB)."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.imports.xlsx_reader import OutOfBounds, Sheet
from households.models import Household, HouseholdImport

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def crafted_xlsx(cells: list[tuple[str, str]]) -> bytes:
    """A minimal workbook whose one sheet holds inline-string `cells` as (reference, text)."""
    rows: dict[str, list[str]] = {}
    for ref, text in cells:
        number = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        rows.setdefault(number, []).append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    sheet_data = "".join(f'<row r="{n}">{"".join(c)}</row>' for n, c in rows.items())
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"/>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="农户名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{sheet_data}'
            "</sheetData></worksheet>",
        )
    return out.getvalue()


def read_all(data: bytes) -> list:
    sheet = Sheet(data)
    try:
        return [(number, list(values)) for number, values in sheet.rows()]
    finally:
        sheet.close()


@pytest.mark.parametrize("ref", ["ZZZZZZ1", "XFE1", "A1048577"])
def test_a_cell_beyond_excels_grid_refuses_the_file(ref):
    tracemalloc.start()
    try:
        with pytest.raises(OutOfBounds) as refused:
            read_all(crafted_xlsx([("A1", "户主姓名"), (ref, "x")]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "超出了 Excel 的范围" in str(refused.value)
    assert peak < 50 * 1024 * 1024


def test_the_last_column_xfd_is_read_quickly_and_sparsely():
    data = crafted_xlsx([("XFD1", "末列"), ("B2", "张三")])
    tracemalloc.start()
    started = time.monotonic()
    try:
        sheet = Sheet(data)
        rows = list(sheet.rows())
        sheet.close()
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (n1, header), (n2, second) = rows
    assert (n1, n2) == (1, 2)
    assert len(header) == 16384 and header[16383] == "末列" and header[0] is None
    assert list(header.present()) == ["末列"]
    assert list(second) == [None, "张三"]
    assert elapsed < 2
    assert peak < 200 * 1024 * 1024


def test_the_department_list_import_refuses_it_and_saves_nothing(client, township_user, settings):
    client.force_login(township_user)
    households = Household.objects.count()
    data = crafted_xlsx([("A1", "户主姓名*"), ("B1", "身份证号*"), ("ZZZZZZ1", "x")])
    file = SimpleUploadedFile(
        "名单.xlsx",
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response = client.post(reverse("households:import"), {"file": file}, follow=True)
    assert response.status_code == 200
    assert "超出了 Excel 的范围" in response.content.decode()
    assert HouseholdImport.objects.count() == 0
    assert Household.objects.count() == households
    root = settings.MEDIA_ROOT / "imports"
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
