"""Loading the area tree from the national division code list (统计用区划代码).

The file is a CSV (UTF-8, UTF-8 with BOM or GB18030, as the statistics bureau's lists are
saved) or an .xlsx whose first two columns are the code and the name; a header row and further
columns (城乡分类代码) are allowed. Codes are 12 digits; the 6-digit codes of the civil-affairs
list (行政区划代码) are read as the 12-digit code of the same county, city or province.

The level of each area follows from its code, its parent is the code above it, which must be in
the file or already in the database. Every row is checked before anything is written: one bad
row refuses the whole file, with its line number. Loading the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from accounts.models import Area, AreaLevel, level_of_code, parent_code
from core.imports.files import ImportFileError, check_archive
from core.imports.xlsx_reader import read_workbook

_CODE = re.compile(r"^\d{12}$|^\d{6}$")
NAME_MAX = Area._meta.get_field("name").max_length
HEADER_WORDS = ("代码", "code", "名称", "name")


@dataclass(frozen=True)
class AreaRow:
    line: int
    code: str
    name: str


@dataclass
class AreaLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"新建 {self.created}，更新 {self.updated}，未变 {self.unchanged}"


class AreaFileError(Exception):
    """The file is refused; `errors` names each bad line. Nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def read_area_file(path: str | Path) -> list[AreaRow]:
    """The (line, code, name) rows of the file at `path`, blank lines and the header left out."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() == ".xlsx":
        try:
            check_archive(data, path.name)
        except ImportFileError as exc:
            raise AreaFileError([str(exc)]) from exc

        def _read(sheet):
            return [(n, [_cell(v) for v in list(cells)[:2]]) for n, cells in sheet.rows()]

        try:
            raw = read_workbook(data, _read)
        except ImportFileError as exc:
            raise AreaFileError([str(exc)]) from exc
    else:
        raw = [(n, row[:2]) for n, row in enumerate(csv.reader(io.StringIO(_decode(data))), 1)]
    rows = []
    for number, cells in raw:
        cells = [c.strip() for c in cells] + ["", ""]
        code, name = cells[0], cells[1]
        if not code and not name:
            continue
        if not rows and any(word in code.lower() for word in HEADER_WORDS):
            continue  # the header row
        rows.append(AreaRow(number, code, name))
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AreaFileError(["文件编码无法识别：请另存为 UTF-8 编码的 CSV 或 .xlsx 文件。"])


def _normalized(code: str) -> str:
    return code + "000000" if len(code) == 6 else code


def check_rows(rows: list[AreaRow]) -> list[str]:
    """Every problem of the rows, one message per bad line (empty: the file can be loaded)."""
    errors: list[str] = []
    seen: dict[str, AreaRow] = {}
    for row in rows:
        if not _CODE.match(row.code):
            errors.append(f"第 {row.line} 行：区划代码“{row.code}”应为12位（或6位）数字。")
            continue
        if not row.name:
            errors.append(f"第 {row.line} 行：区划代码 {row.code} 缺少名称。")
            continue
        if len(row.name) > NAME_MAX:
            errors.append(f"第 {row.line} 行：名称超过 {NAME_MAX} 个字。")
            continue
        code = _normalized(row.code)
        if code in seen and seen[code].name != row.name:
            errors.append(
                f"第 {row.line} 行：区划代码 {code} 与第 {seen[code].line} 行重复且名称不同。"
            )
            continue
        seen.setdefault(code, row)
    existing = set(
        Area.objects.filter(code__in={parent_code(c) for c in seen if parent_code(c)}).values_list(
            "code", flat=True
        )
    )
    for code, row in seen.items():
        parent = parent_code(code)
        if parent is not None and parent not in seen and parent not in existing:
            level = AreaLevel(level_of_code(parent)).label
            errors.append(
                f"第 {row.line} 行：{row.name}（{code}）的上级区划 {parent}（{level}）"
                "既不在文件中，也不在系统中。"
            )
    return errors


@transaction.atomic
def load_areas(rows: list[AreaRow]) -> AreaLoadResult:
    """Create or update the areas of `rows`, parents first; all or nothing."""
    errors = check_rows(rows)
    if errors:
        raise AreaFileError(errors)
    wanted: dict[str, str] = {}
    for row in rows:
        wanted.setdefault(_normalized(row.code), row.name)
    result = AreaLoadResult()
    current = {a.code: a for a in Area.objects.filter(code__in=wanted)}
    new, changed = [], []
    # Sorted by code, every parent comes before its children (its code is the smaller).
    for code in sorted(wanted):
        parent = parent_code(code)
        area = current.get(code)
        if area is None:
            new.append(
                Area(code=code, name=wanted[code], level=level_of_code(code), parent_id=parent)
            )
        elif area.name != wanted[code] or area.parent_id != parent:
            area.name, area.parent_id = wanted[code], parent
            changed.append(area)
        else:
            result.unchanged += 1
    Area.objects.bulk_create(new, batch_size=2000)
    Area.objects.bulk_update(changed, ["name", "parent"], batch_size=2000)
    result.created, result.updated = len(new), len(changed)
    return result
