"""Import of the 乡村振兴 monitoring list (防返贫监测, "监测对象信息.xlsx") into households.

The file is person-level: several rows share a 户编号, the head is the row whose 与户主关系 is
户主; the header is on row 3 (rows 1–2 are a title and notes). Each 户编号 with a 监测对象类别
becomes one household of category `at_risk` with its members. The same rules as the registry
import (households.importer) hold and its building blocks are reused: the archive checks, the
lxml reader, the encrypted stored file, the pending HouseholdImport (kind "monitoring"):
nothing is written before confirm; confirm writes all or nothing (or only the valid
households); the same file imported again changes nothing.

是否危房户 is kept on the household and compared with Anju's own current appraisal: a
disagreement is listed as 需核实 and stays queryable (`with_monitoring_mismatch`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Area, AreaLevel, User
from core import crypto
from core.imports import pipeline
from core.imports.xlsx_reader import Sheet, read_workbook
from core.validators import id_number_error
from households import providers, validation
from households.importer import (
    BATCH_SIZE,
    HASH_CHUNK,
    MAX_BLANK_RUN,
    MAX_ERRORS_KEPT,
    PREVIEW_ROWS,
    ImportFileError,
    _display,
    _normalize_header,
    _text,
    household_kind,
    new_household,
)
from households.models import (
    Category,
    Department,
    Household,
    HouseholdImport,
    ImportKind,
    Member,
    Relation,
)
from households.services import households_exit, import_change_requests, split_import_changes

# The header is on row 3 of the national export; it is looked for in the first rows so that a
# file saved without the title rows still reads.
HEADER_SEARCH_ROWS = 10
VERIFY = "需核实"
# Labels of the monitoring system (EXCHANGE.md §3) and the category each is (document 003):
# the two kinds of 防返贫监测户 are ① 易返贫致贫户; 突发严重困难户 is ④ 严重困难家庭.
MONITORING_LABELS = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
LABEL_CATEGORY = {
    "脱贫不稳定户": Category.AT_RISK.value,
    "边缘易致贫户": Category.AT_RISK.value,
    "突发严重困难户": Category.HARDSHIP.value,
}
EXIT_SOURCE = "防返贫监测名单"
HEAD_WORDS = {"户主", "本人", "本人（户主）", "本人(户主)"}
# 与户主关系 as the monitoring system writes it ("之子", "之孙女"...), without the leading 之.
RELATIONS = {
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "长子": Relation.CHILD,
    "次子": Relation.CHILD,
    "长女": Relation.CHILD,
    "次女": Relation.CHILD,
    "独生子": Relation.CHILD,
    "独生女": Relation.CHILD,
    "养子或继子": Relation.CHILD,
    "养女或继女": Relation.CHILD,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "父母": Relation.PARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "孙子女": Relation.GRANDCHILD,
    "兄弟姐妹": Relation.SIBLING,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "哥哥": Relation.SIBLING,
    "弟弟": Relation.SIBLING,
    "姐姐": Relation.SIBLING,
    "妹妹": Relation.SIBLING,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False


# The columns read (EXCHANGE.md §3, plus 姓名 which every person row carries); the others
# (性别, 民族, 健康状况, risks...) stay in the monitoring system.
COLUMNS = (
    Column("县", "county"),
    Column("乡", "township", True),
    Column("村", "village", True),
    Column("户编号", "household_no", True),
    Column("姓名", "name", True),
    Column("证件类型", "id_type"),
    Column("证件号码", "id_number", True),
    Column("与户主关系", "relation", True),
    Column("监测对象类别", "label", True),
    Column("识别监测时间", "identified", False),
    Column("是否危房户", "dangerous", False),
    Column("户联系电话", "phone", False),
    Column("风险是否已消除", "eliminated", False),
    Column("消除监测时间", "eliminated_on", False),
)
HEADER_ALIASES = {"乡镇": "township", "乡(镇)": "township", "行政村": "village"}
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


# --- Reading the file ---------------------------------------------------------------------


@dataclass
class PersonRow:
    number: int  # the Excel row number
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    id_number: str = ""
    id_hash: str = ""
    raw_identified: Any = None

    @property
    def name(self) -> str:
        return self.cells.get("name", "")

    @property
    def id_masked(self) -> str:
        return crypto.mask(self.id_number) if self.id_number else ""

    @property
    def is_head(self) -> bool:
        return self.cells.get("relation", "") in HEAD_WORDS

    @property
    def relation(self) -> str:
        word = self.cells.get("relation", "")
        return RELATIONS.get(word.removeprefix("之"), Relation.OTHER)


def parse_workbook(data: bytes) -> list[PersonRow]:
    return read_workbook(data, _read_rows)


def _read_rows(sheet: Sheet) -> list[PersonRow]:
    from django.conf import settings

    by_header = {c.header: c.key for c in COLUMNS} | HEADER_ALIASES
    rows_iter = sheet.rows()
    positions: dict[str, int] = {}
    for number, values in rows_iter:
        headers = [_normalize_header(v) for v in values]
        if "户编号" in headers and "证件号码" in headers:
            for index, value in enumerate(headers):
                key = by_header.get(value)
                if key and key not in positions:
                    positions[key] = index
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not positions:
        raise ImportFileError(
            "没有找到表头：防返贫监测系统导出的“监测对象信息”第3行应为表头"
            "（含“户编号”“证件号码”等列）。"
        )
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise ImportFileError("表头缺少以下列：" + "、".join(missing) + "。")
    rows: list[PersonRow] = []
    blank_run = 0
    for number, values in rows_iter:
        if all(_text(v) == "" for v in values.present()):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(rows) >= settings.ANJU_IMPORT_MAX_ROWS:
            raise ImportFileError(
                f"文件超过 {settings.ANJU_IMPORT_MAX_ROWS} 行的上限，请拆分为多个文件分别导入。"
            )
        raw = {k: values[i] if i < len(values) else None for k, i in positions.items()}
        row = PersonRow(number=number, cells={k: _text(v) for k, v in raw.items()})
        row.cells = {k: "".join(v.split()) if k != "name" else v for k, v in row.cells.items()}
        row.raw_identified = raw.get("identified")
        if isinstance(row.raw_identified, float | int) and 20000 < row.raw_identified < 100000:
            row.raw_identified = sheet.excel_date(row.raw_identified)  # a date cell
        _read_id(row, raw.get("id_number"))
        rows.append(row)
    if not rows:
        raise ImportFileError("文件中没有数据行：表头（第3行）以下应为每人一行。")
    return rows


def _read_id(row: PersonRow, raw: Any) -> None:
    text = crypto.normalize_number(row.cells.get("id_number", ""))
    if not text:
        return
    if isinstance(raw, int | float):
        row.errors.append(
            "证件号码单元格是数字格式，Excel 已丢失末几位数字，请将该列设为文本格式后重新导出"
        )
        return
    # A 残疾人证 number is the ID number followed by two digits (category and grade).
    if "残疾" in row.cells.get("id_type", "") and len(text) == 20:
        text = text[:18]
    error = id_number_error(text)
    if error:
        row.errors.append(error)
        return
    row.id_number = text
    row.id_hash = crypto.search_hash(text)


# --- Grouping and validation --------------------------------------------------------------


@dataclass
class Group:
    """The person rows of one 户编号: one household."""

    household_no: str
    rows: list[PersonRow]
    head: PersonRow | None = None
    errors: list[tuple[PersonRow, str]] = field(default_factory=list)  # group-level
    values: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, str]] = field(default_factory=list)
    action: str = ""  # create / update / unchanged / error / skip
    household_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    change_labels: list[str] = field(default_factory=list)
    replace_members: bool = False
    verify: str = ""  # why 是否危房户 disagrees with the current appraisal
    exit_on: dt.date | None = None  # 风险已消除: the household leaves the list on this date

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(r.errors for r in self.rows)

    def error(self, row: PersonRow, message: str) -> None:
        self.errors.append((row, message))


def _label_of(group: Group) -> str:
    labels = [r.cells.get("label", "") for r in ([group.head] if group.head else group.rows)]
    return next((label for label in labels if label), "")


MONTH = re.compile(r"(\d{4})[-/.年]?(\d{1,2})月?(?:[-/.]?\d{1,2}日?)?")


def _month_cell(row: PersonRow, group: Group, key: str, raw=None) -> dt.date | None:
    """A YYYYMM cell (or an Excel date) as the first of its month; an error on the row when
    it is not a month up to this one."""
    if isinstance(raw, dt.datetime):
        return raw.date().replace(day=1)
    if isinstance(raw, dt.date):
        return raw.replace(day=1)
    text = row.cells.get(key, "")
    if not text:
        return None
    match = MONTH.fullmatch(text)
    try:
        value = dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None
    except ValueError:
        value = None
    if value is None or value > timezone.localdate():
        header = COLUMN_BY_KEY[key].header
        group.error(row, f"{header}“{text}”无效，应为 YYYYMM（如 202403），且不晚于本月")
        return None
    return value


def _month(row: PersonRow, group: Group) -> dt.date | None:
    return _month_cell(row, group, "identified", row.raw_identified)


def _exit_month(row: PersonRow, group: Group) -> dt.date:
    """消除监测时间 as the first of its month; blank (or invalid, with the error): today."""
    return _month_cell(row, group, "eliminated_on") or timezone.localdate()


def _household_values(group: Group, villages: dict[str, Area]) -> None:
    head = group.head
    cells = head.cells
    values: dict[str, Any] = {
        "head_name": cells.get("name", ""),
        "family_size": len(group.rows),
        "category": LABEL_CATEGORY.get(_label_of(group), Category.AT_RISK.value),
        "identified_by": Department.XIANGCUN.value,
        "monitoring_household_no": group.household_no,
        "monitoring_label": _label_of(group),
    }
    if not values["head_name"]:
        group.error(head, "户主姓名为空")
    elif message := validation.text_error("head_name", values["head_name"]):
        group.error(head, message)
    if not head.id_number and not head.errors:
        group.error(head, "户主的证件号码为空")
    identified = _month(head, group)
    if identified:
        values["identified_on"] = identified
    eliminated = cells.get("eliminated", "")
    if eliminated == "是":
        group.exit_on = _exit_month(head, group)
    elif eliminated not in ("", "否"):
        group.error(head, f"风险是否已消除应填“是”或“否”，不能填“{eliminated}”")
    dangerous = cells.get("dangerous", "")
    if dangerous in {"是", "否"}:
        values["monitoring_dangerous"] = dangerous == "是"
    elif dangerous:
        group.error(head, f"是否危房户应填“是”或“否”，不能填“{dangerous}”")
    phone = cells.get("phone", "")
    if phone:
        if message := validation.phone_error(phone):
            group.error(head, message)
        else:
            values["phone"] = phone
    key = (cells.get("township", ""), cells.get("village", ""))
    village = villages.get(key)
    if village is None:
        matches = villages.get(("?",) + key)
        place = f"{key[0]}{key[1]}" or "（空）"
        if matches:
            group.error(head, f"村“{place}”对应多个村（{matches}），请联系县住建局核实区划名称")
        else:
            group.error(head, f"村“{place}”不存在或不在您的管辖范围内")
    else:
        values["village"] = village.code
    group.values = values
    group.members = [
        {"name": r.name, "id_number": r.id_number, "relation": r.relation}
        for r in group.rows
        if r is not head
    ]
    for row in group.rows:
        if row is not head and not row.name:
            group.error(row, "家庭成员姓名为空")
        elif row is not head and (message := validation.text_error("name", row.name)):
            group.error(row, message)


def _resolve_villages(rows: list[PersonRow], prefix: str) -> dict:
    """(乡, 村) names → the village inside the importer's area; ambiguous keys are noted."""
    wanted = {(r.cells.get("township", ""), r.cells.get("village", "")) for r in rows}
    names = {v for _t, v in wanted if v}
    found: dict[tuple[str, str], list[Area]] = defaultdict(list)
    for village in (
        Area.objects.in_area(prefix)
        .filter(level=AreaLevel.VILLAGE, name__in=names)
        .select_related("parent")
    ):
        township = village.parent.name if village.parent_id else ""
        found[(township, village.name)].append(village)
    resolved: dict = {}
    for key in wanted:
        candidates = found.get(key, [])
        if len(candidates) == 1:
            resolved[key] = candidates[0]
        elif len(candidates) > 1:
            resolved[("?",) + key] = "、".join(a.code for a in candidates)
    return resolved


def _current_levels(ids: list[int]) -> dict[int, str]:
    return dict(
        Household.objects.unscoped("rows matched by the import")
        .filter(pk__in=ids)
        .values_list("pk", "safety_level")
    )


def verify_reason(dangerous: bool | None, level: str | None) -> str:
    """Why the monitoring list's 是否危房户 disagrees with Anju's current appraisal, or ''."""
    appraisals = providers.appraisals()
    on_ledger = level in appraisals.ledger_levels
    if dangerous is True and not on_ledger:
        if not level:
            return "监测系统为危房户，本系统尚无鉴定"
        return f"监测系统为危房户，本系统鉴定为{appraisals.level_label(level)}"
    if dangerous is False and on_ledger:
        return f"监测系统不是危房户，本系统鉴定为{appraisals.level_label(level)}"
    return ""


def with_monitoring_mismatch(qs: QuerySet) -> QuerySet:
    """Annotate `monitoring_mismatch`: 是否危房户 disagrees with the current appraisal."""
    appraisals = providers.appraisals()
    qs = qs.annotate(
        _on_ledger=Case(
            When(safety_level__in=sorted(appraisals.ledger_levels), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    return qs.annotate(
        monitoring_mismatch=Case(
            When(
                Q(monitoring_dangerous=True, _on_ledger=False)
                | Q(monitoring_dangerous=False, _on_ledger=True),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


@dataclass
class MonitoringPlan:
    groups: list[Group]
    skipped: list[Group]
    villages: dict
    _by_code: dict | None = None
    #: A full list: (household id, head name, masked ID) of monitored households not in it.
    absent: list = field(default_factory=list)

    def of(self, action: str) -> list[Group]:
        return [g for g in self.groups if g.action == action]

    @property
    def error_rows(self) -> list[dict[str, Any]]:
        by_row: dict[int, dict[str, Any]] = {}
        for group in self.groups:
            for row in group.rows:
                if row.errors:
                    entry = by_row.setdefault(row.number, _error_entry(row, group))
                    entry["messages"].extend(row.errors)
            for row, message in group.errors:
                by_row.setdefault(row.number, _error_entry(row, group))["messages"].append(message)
        return [by_row[n] for n in sorted(by_row)]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for group in self.groups:
            counts[group.action] += 1
        counts["skip"] = len(self.skipped)
        counts["verify"] = sum(1 for g in self.groups if g.verify and g.action != "error")
        return counts

    def village_label(self, code: str | None) -> str:
        if self._by_code is None:
            self._by_code = {v.code: v for v in self.villages.values() if isinstance(v, Area)}
        village = self._by_code.get(code or "")
        if village is None:
            return code or ""
        return f"{village.parent.name} {village.name}" if village.parent_id else village.name

    def summary(self) -> dict[str, Any]:
        """What the preview and result pages show: masked numbers only, never a full ID."""
        errors = self.error_rows
        households = []
        verify = []
        for group in self.groups:
            if group.action == "error":
                continue
            item = {
                "row": group.head.number,
                "action": group.action,
                "no": group.household_no,
                "name": group.values.get("head_name", ""),
                "id": group.head.id_masked,
                "village": self.village_label(group.values.get("village")),
                "label": group.values.get("monitoring_label", ""),
                "family_size": group.values.get("family_size"),
                "members": [
                    f"{m['name']}（{Relation(m['relation']).label}）" for m in group.members
                ],
                "changes": group.change_labels,
                "verify": group.verify,
            }
            if group.verify:
                verify.append(item)
            if group.action in {"create", "update"} and len(households) < PREVIEW_ROWS:
                households.append(item)
        skipped = [
            {"row": g.rows[0].number, "no": g.household_no, "persons": len(g.rows)}
            for g in self.skipped
        ]
        return {
            "errors": errors[:MAX_ERRORS_KEPT],
            "errors_truncated": len(errors) > MAX_ERRORS_KEPT,
            "rows": households,
            "verify": verify[:MAX_ERRORS_KEPT],
            "skipped": skipped[:MAX_ERRORS_KEPT],
            "counts": self.counts,
            "absent": [{"name": n, "id": i} for _pk, n, i in self.absent[:MAX_ERRORS_KEPT]],
            "absent_count": len(self.absent),
        }


def _error_entry(row: PersonRow, group: Group) -> dict[str, Any]:
    return {
        "row": row.number,
        "no": group.household_no,
        "name": row.name,
        "id": row.id_masked,
        "messages": [],
    }


def _group(rows: list[PersonRow]) -> tuple[list[Group], list[Group]]:
    """Rows by 户编号 (in file order); groups without 监测对象类别 are skipped."""
    by_no: dict[str, list[PersonRow]] = {}
    orphans = []
    for row in rows:
        number = row.cells.get("household_no", "")
        if number:
            by_no.setdefault(number, []).append(row)
        else:
            orphans.append(row)
    groups, skipped = [], []
    for number, members in by_no.items():
        group = Group(household_no=number, rows=members)
        heads = [r for r in members if r.is_head]
        if len(heads) == 1:
            group.head = heads[0]
        if not _label_of(group):
            skipped.append(group)  # not (or no longer) a monitoring target: not an error
            continue
        if not heads:
            group.error(members[0], f"户编号 {number} 没有与户主关系为“户主”的行")
        elif len(heads) > 1:
            lines = "、".join(str(r.number) for r in heads)
            for row in heads:
                group.error(row, f"户编号 {number} 有多个户主（第 {lines} 行）")
        groups.append(group)
    for row in orphans:
        group = Group(household_no="", rows=[row])
        group.error(row, "缺少户编号")
        groups.append(group)
    return groups, skipped


def plan_rows(
    rows: list[PersonRow], *, prefix: str, lock: bool = False, full_list: bool = False
) -> MonitoringPlan:
    """Decide for each household: create, update, unchanged or error (with the reasons).
    A full list also names the monitored households of the area that are not in it: they
    leave the list when it is written."""
    plan = _plan_groups(rows, prefix=prefix, lock=lock)
    if full_list:
        listed = {g.head.id_hash for g in plan.groups if g.head and g.head.id_hash}
        listed |= {r.id_hash for g in plan.skipped for r in g.rows if r.is_head and r.id_hash}
        plan.absent = [
            (h["pk"], h["head_name"], h["id_number_masked"])
            for h in Household.objects.in_area(prefix)
            .exclude(monitoring_household_no="")
            .filter(exited_on__isnull=True)
            .exclude(id_number_hash__in=listed)
            .order_by("village_id", "head_name")
            .values("pk", "head_name", "id_number_masked")
        ]
    return plan


def _plan_groups(rows: list[PersonRow], *, prefix: str, lock: bool = False) -> MonitoringPlan:
    groups, skipped = _group(rows)
    villages = _resolve_villages([g.head for g in groups if g.head], prefix)
    plan = MonitoringPlan(groups=groups, skipped=skipped, villages=villages)

    for group in groups:
        label = _label_of(group)
        if label and label not in MONITORING_LABELS:
            group.error(
                group.head or group.rows[0],
                f"监测对象类别“{label}”无法识别，应为：" + "、".join(MONITORING_LABELS),
            )
        if group.head is not None:
            _household_values(group, villages)

    by_hash: dict[str, list[tuple[PersonRow, Group]]] = defaultdict(list)
    for group in groups:
        for row in group.rows:
            if row.id_hash:
                by_hash[row.id_hash].append((row, group))
    for same in by_hash.values():
        if len(same) > 1:
            for row, group in same:
                others = "、".join(str(o.number) for o, _g in same if o is not row)
                group.error(row, f"证件号码与第 {others} 行重复")

    heads = {g.head.id_hash: g for g in groups if g.head and g.head.id_hash}
    existing: dict[tuple[str, str], Household] = {}
    hashes = list(heads)
    for start in range(0, len(hashes), HASH_CHUNK):
        query = Household.objects.unscoped("import matches ID numbers county-wide").filter(
            id_number_hash__in=hashes[start : start + HASH_CHUNK]
        )
        if lock:
            query = query.select_for_update()
        for household in query.prefetch_related("members"):
            existing[(household.county_code, household.id_number_hash)] = household
    levels = _current_levels([h.pk for h in existing.values()])

    for group in groups:
        code = group.values.get("village")
        record = (
            existing.get((code[:6], group.head.id_hash)) if code and group.head.id_hash else None
        )
        if record is not None:
            if not record.village_id.startswith(prefix):
                group.error(
                    group.head,
                    "该户主证件号码在本县已登记为其他乡镇（不在您管辖范围内）的农户，"
                    "请联系县住建局核实",
                )
            elif "".join(record.head_name.split()) != "".join(
                group.values.get("head_name", "").split()
            ):
                group.error(
                    group.head,
                    f"该证件号码已登记为户主“{record.head_name}”，"
                    f"与文件中的“{group.values.get('head_name', '')}”不一致",
                )
        if group.has_errors:
            group.action = "error"
            continue
        if record is None:
            group.action = "create"
            group.verify = verify_reason(group.values.get("monitoring_dangerous"), None)
            continue
        group.household_id = record.pk
        _compare(group, record, plan)
        if group.exit_on and record.exited_on:
            group.exit_on = None  # left already
        if group.exit_on:
            group.change_labels.append(f"风险已消除，退出监测名单（{group.exit_on:%Y-%m}）")
        group.action = (
            "update" if group.changes or group.replace_members or group.exit_on else "unchanged"
        )
        dangerous = group.values.get("monitoring_dangerous", record.monitoring_dangerous)
        group.verify = verify_reason(dangerous, levels.get(record.pk))
    return plan


COMPARED = {
    "village": "村",
    "family_size": "家庭人口",
    "category": "重点对象类型",
    "identified_by": "认定部门",
    "identified_on": "认定日期",
    "phone": "联系电话",
    "monitoring_household_no": "监测户编号",
    "monitoring_label": "监测对象类别",
    "monitoring_dangerous": "是否危房户",
}


MONTH_FORMAT = "%Y-%m"  # the monitoring system's dates are months


def _compare(group: Group, record: Household, plan: MonitoringPlan) -> None:
    """Changed fields only; a blank cell keeps what the registry has."""
    for key, label in COMPARED.items():
        if key not in group.values:
            continue
        new = group.values[key]
        old = record.village_id if key == "village" else getattr(record, key)
        if old != new:
            group.changes[key] = new
            before, after = (_display(key, v, plan, MONTH_FORMAT) for v in (old, new))
            group.change_labels.append(f"{label}：{before} → {after}")
    old_members = sorted((m.name, m.id_number_hash, m.relation) for m in record.members.all())
    new_members = sorted(
        (
            m["name"],
            crypto.search_hash(m["id_number"]) if m["id_number"] else "",
            m["relation"],
        )
        for m in group.members
    )
    if old_members != new_members:
        group.replace_members = True
        group.change_labels.append(
            f"家庭成员：{len(old_members)} 人 → {len(new_members)} 人（按名单替换）"
        )


# --- Services -----------------------------------------------------------------------------


def _store_preview(record: HouseholdImport, plan: MonitoringPlan) -> None:
    counts = plan.counts
    record.row_count = sum(len(g.rows) for g in plan.groups) + sum(
        len(g.rows) for g in plan.skipped
    )
    summary = plan.summary()
    record.error_count = len(plan.error_rows)
    record.to_create = counts["create"]
    record.to_update = counts["update"]
    record.to_keep = counts["unchanged"]
    record.preview = summary


def _write(plan: MonitoringPlan, *, by: User) -> list[Household]:
    """Write the plan; returns the households it created."""
    creating = plan.of("create")
    new = [new_household(g.values, id_number=g.head.id_number, by=by) for g in creating]
    Household.objects.bulk_create(new, batch_size=BATCH_SIZE)

    now = timezone.now()
    by_fields: dict[tuple[str, ...], list[Household]] = defaultdict(list)
    replaced: list[tuple[int, Group]] = [(h.pk, g) for h, g in zip(new, creating, strict=True)]
    requests = []
    for group in plan.of("update"):
        if group.replace_members:
            group.changes["members"] = group.members
        requested = split_import_changes(group.changes)
        if requested:
            requests.append((group.household_id, requested))
        if group.changes.pop("members", None) is not None:
            replaced.append((group.household_id, group))
        if not group.changes:
            continue
        household = Household(pk=group.household_id)
        for key, value in group.changes.items():
            setattr(household, "village_id" if key == "village" else key, value)
        household.version = F("version") + 1
        household.updated_at = now
        names = sorted(group.changes) + ["version", "updated_at"]
        by_fields[tuple(names)].append(household)
    for names, households in by_fields.items():
        Household.objects.bulk_update(households, names, batch_size=BATCH_SIZE)

    Member.objects.unscoped("members of matched households").filter(
        household_id__in=[pk for pk, _g in replaced]
    ).delete()
    members = []
    for pk, group in replaced:
        for values in group.members:
            member = Member(household_id=pk, **values)
            member.sync_sensitive()
            members.append(member)
    Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
    import_change_requests(requests=requests, by=by, source="防返贫监测名单导入")
    exits = [(h.pk, g.exit_on) for h, g in zip(new, creating, strict=True) if g.exit_on]
    exits += [(g.household_id, g.exit_on) for g in plan.of("update") if g.exit_on]
    households_exit(exits=exits, by=by, source=EXIT_SOURCE, reason="风险已消除")
    today = timezone.localdate()
    households_exit(
        exits=[(pk, today) for pk, _name, _id in plan.absent],
        by=by,
        source=EXIT_SOURCE,
        reason="未在新的完整监测名单中",
    )
    return new


MONITORING_LIST = household_kind(
    "monitoring_list",
    parse=parse_workbook,
    plan_rows=plan_rows,
    store_preview=_store_preview,
    write=_write,
    # The monitoring export is 乡村振兴's list: it starts the appraisal clock (以人找房).
    department=lambda record: Department.XIANGCUN,
    list_note="防返贫监测名单导入：",
    default_filename="监测对象信息.xlsx",
    id_label="证件号码",
    unit="户",
    plan_options=lambda record: {"full_list": record.full_list},
)


def monitoring_upload(
    *, user, uploaded, received_on: dt.date | None = None, full_list: bool = False
) -> HouseholdImport:
    """Check, parse and preview a list; stores the encrypted file, writes no household."""
    return pipeline.upload(
        MONITORING_LIST,
        by=user,
        uploaded=uploaded,
        **monitoring_fields(received_on=received_on, full_list=full_list),
    )


def monitoring_fields(*, received_on: dt.date | None, full_list: bool) -> dict:
    """The record's fields of a monitoring list's upload."""
    return {
        "kind": ImportKind.MONITORING,
        "department": Department.XIANGCUN,
        "received_on": received_on or timezone.localdate(),
        "full_list": full_list,
    }


def monitoring_apply(
    *, record: HouseholdImport, by: User, only_valid: bool = False
) -> HouseholdImport:
    """Write the monitoring list: all households or nothing, or (`only_valid`) the valid ones
    only (`core.imports.pipeline.confirm`)."""
    return pipeline.confirm(MONITORING_LIST, record, by=by, only_valid=only_valid)


def monitoring_cancel(*, record: HouseholdImport, by: User) -> HouseholdImport:
    return pipeline.cancel(MONITORING_LIST, record, by=by)
