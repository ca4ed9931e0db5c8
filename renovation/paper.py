"""Paper that goes with each step (issue 19 point 5): printable A4 forms, pre-filled from the
record, with the lines where people sign and offices stamp; the signed scan comes back on the
same step (`services.signed_paper_upload`) and the archive counts it.

Each form is a `Paper` in `PAPERS`: its title, the step whose page offers it, who may upload
its scan, and a function that fills one template (`renovation/pdf/paper.html`) with blocks:
a table of facts, paragraphs, lists of names, opinion boxes and signature lines. What a form
holds follows the policy documents (sources/003: application, village review with at least
five villager representatives, township review, joint review by five departments, the
commitment, acceptance by the township, the village, the household and the builder together
with the basic safety evaluation). The publicity lists of the three levels are in
`publicity_pdf` (one list per village, township or county and year).

Printed forms are for the people named on them: the household's ID is masked, and no
account number is printed at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Area
from core.errors import DomainError
from core.pdf import render_pdf
from core.rules import has_role
from renovation import selectors, steps
from renovation.models import (
    AcceptanceParty,
    JointDepartment,
    PaperKind,
    PublicityLevel,
    RenovationProject,
    SignedPaper,
)

BLANK = "＿＿＿＿＿＿＿＿"
DATE_LINE = "＿＿＿＿年＿＿月＿＿日"


@dataclass
class Block:
    """One part of a printed form; `kind` picks its rendering in paper.html."""

    kind: str  # "facts" | "text" | "names" | "opinion" | "signatures" | "table"
    title: str = ""
    rows: list = field(default_factory=list)  # facts: (label, value) pairs; table: lists
    text: str = ""
    headers: list = field(default_factory=list)

    @property
    def pairs(self) -> list[list]:
        """Facts two to a line, as the paper forms print them."""
        return [self.rows[i : i + 2] for i in range(0, len(self.rows), 2)]


@dataclass(frozen=True)
class Paper:
    kind: str
    title: str
    #: The step whose page offers the form (None: the project's page only).
    step: str | None
    #: Who may upload its signed scan (the roles of the step it belongs to).
    roles: frozenset
    build: Callable[[RenovationProject], list[Block]]
    #: The archive item the signed scan files (renovation/archive.py).
    archive_label: str


def _d(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else DATE_LINE


def _v(value) -> str:
    return str(value) if value not in (None, "") else BLANK


def _household_facts(project: RenovationProject) -> Block:
    h = project.household
    village = h.village
    marks = "、".join(h.priority_marks) or "无"
    return Block(
        "facts",
        "农户基本情况",
        [
            ("户主姓名", h.head_name),
            ("身份证号", h.id_number_masked),
            ("所在地", f"{village.parent.name}{village.name}"),
            ("住址", _v(h.address)),
            ("家庭人口", f"{h.family_size} 人"),
            ("重点对象类型", h.get_category_display()),
            ("联系电话", _v(h.phone)),
            ("优先对象", marks),
        ],
    )


def _house_facts(project: RenovationProject) -> Block:
    appraisal = project.appraisal
    return Block(
        "facts",
        "房屋及改造情况",
        [
            ("危房等级", project.get_danger_level_display()),
            (
                "鉴定（评定）",
                f"{_d(appraisal.appraised_on)} {appraisal.appraiser_name}"
                + (f"（{appraisal.institution}）" if appraisal.institution else "")
                if appraisal
                else BLANK,
            ),
            (
                "改造方式",
                project.get_method_display()
                + (f"（{project.method_note}）" if project.method_note else ""),
            ),
            ("计划面积", f"{project.planned_area} ㎡" if project.planned_area else BLANK),
            ("年度", f"{project.year} 年"),
            ("申请日期", _d(project.applied_on)),
        ],
    )


def _sign(*lines: str) -> Block:
    return Block("signatures", rows=list(lines))


def _opinion(title: str, text: str, signer: str, stamp: str = "") -> Block:
    """A box for an office's opinion: the text if recorded, lines to write it if not."""
    return Block("opinion", title, rows=[signer, stamp], text=text)


# --- the forms ----------------------------------------------------------------------------


def _application(project: RenovationProject) -> list[Block]:
    h = project.household
    who = "村民委员会代为申请（申请人无法自行申请）" if project.on_behalf else "本人自愿申请"
    return [
        _household_facts(project),
        _house_facts(project),
        Block(
            "text",
            "申请事由",
            text=(
                f"本户现住房经鉴定为{project.get_danger_level_display()}，"
                f"{project.application_note or '存在安全隐患，依靠自身力量无法解决住房安全问题'}。"
                f"现申请纳入{project.year}年度农村危房改造，改造方式为"
                f"{project.get_method_display()}。本户承诺所填情况属实，"
                "如有虚报、隐瞒，愿承担相应责任并退还补助资金。"
            ),
        ),
        Block("text", "申请方式", text=who),
        _sign(
            f"申请人（户主）签字（按手印）：{BLANK}　{_d(None)}",
            f"代为申请的村民委员会经办人签字：{BLANK}（村民委员会盖章）"
            if project.on_behalf
            else f"村民委员会受理人签字：{BLANK}　受理日期：{_d(None)}",
        ),
        Block(
            "text", text=f"（{h.village.name}村民委员会存档一份，报{h.village.parent.name}一份）"
        ),
    ]


def _appraisal(project: RenovationProject) -> list[Block]:
    appraisal = project.appraisal
    if appraisal is None:
        raise DomainError("该项目没有依据的房屋安全鉴定，无法生成鉴定表。")
    return [
        _household_facts(project),
        Block(
            "facts",
            "鉴定情况",
            [
                ("鉴定方式", appraisal.get_method_display()),
                ("鉴定日期", _d(appraisal.appraised_on)),
                ("鉴定（评定）人", appraisal.appraiser_name),
                ("鉴定机构", _v(appraisal.institution)),
                ("安全性等级", appraisal.get_level_display()),
                ("复核鉴定", "是" if appraisal.is_reappraisal else "否"),
            ],
        ),
        Block("text", "主要危险点及处理建议", text=appraisal.note or "\n\n\n"),
        Block(
            "text",
            "等级说明",
            text=(
                "A级：结构能满足安全使用要求；B级：个别结构构件不满足安全使用要求，基本满足；"
                "C级：部分承重结构不能满足安全使用要求，局部危险，应修缮加固；"
                "D级：承重结构已不能满足安全使用要求，整体危险，应拆除重建。"
            ),
        ),
        _sign(
            f"鉴定（评定）人签字：{BLANK}　{_d(appraisal.appraised_on)}",
            f"农户（户主）签字：{BLANK}　{_d(None)}",
            f"鉴定单位（盖章）：{BLANK}",
        ),
    ]


def _village_review(project: RenovationProject) -> list[Block]:
    review = project.village_reviews.first()
    cadres = list(review.cadres) if review else []
    reps = list(review.representatives) if review else []
    # Document 003: village cadres and at least 5 villager representatives take part; the
    # form always leaves room for five representatives to sign, however many are recorded.
    rows = [[i + 1, name, "村干部", ""] for i, name in enumerate(cadres or ["", ""])]
    reps_rows = reps + [""] * max(0, 5 - len(reps))
    rows += [[len(rows) + i + 1, name, "村民代表", ""] for i, name in enumerate(reps_rows)]
    result = review.get_result_display() if review else "□ 通过　□ 不通过"
    return [
        _household_facts(project),
        _house_facts(project),
        Block(
            "facts",
            "评议会议",
            [
                ("评议日期", _d(review.held_on if review else None)),
                (
                    "参加人数",
                    f"村干部 {len(cadres)} 人，村民代表 {len(reps)} 人" if review else BLANK,
                ),
                ("评议结果", result),
                ("评议意见", review.note if review and review.note else BLANK),
            ],
        ),
        Block(
            "table",
            "参加评议人员签字（村民代表不少于5名）",
            headers=["序号", "姓名", "身份", "签字"],
            rows=rows,
        ),
        _sign(
            f"村党组织书记签字：{BLANK}　村民委员会主任签字：{BLANK}",
            f"{project.household.village.name}村民委员会（盖章）　"
            f"{_d(review.held_on if review else None)}",
        ),
    ]


def _township_review(project: RenovationProject) -> list[Block]:
    township = project.household.village.parent
    amount = f"{project.township_amount:,.2f} 元" if project.township_amount else "按补助标准"
    return [
        _household_facts(project),
        _house_facts(project),
        Block(
            "facts",
            "前置程序",
            [
                ("村级评议", _d(project.village_reviewed_on)),
                ("近两年分户", "是（重点审核）" if project.household.split_on else "否"),
                ("乡镇核定补助", amount),
                ("乡镇审批面积", f"{project.township_area} ㎡" if project.township_area else BLANK),
            ],
        ),
        _opinion(
            "乡镇初审意见",
            project.township_opinion,
            f"初审人签字：{BLANK}　分管领导签字：{BLANK}　{_d(project.township_reviewed_on)}",
            f"{township.name}人民政府（盖章）",
        ),
    ]


def _joint_review(project: RenovationProject) -> list[Block]:
    opinions = {o.department: o for o in project.joint_opinions.all()}
    rows = []
    departments = [("housing", "住房和城乡建设")] + list(JointDepartment.choices)
    for code, label in departments:
        o = opinions.get(code)
        if code == "housing":
            text = "牵头审核"
        elif o:
            text = ("同意" if o.agrees else "不同意") + (f"：{o.note}" if o.note else "")
        else:
            text = "□ 同意　□ 不同意"
        rows.append([label, text, "", ""])
    return [
        _household_facts(project),
        _house_facts(project),
        Block(
            "facts",
            "审核依据",
            [
                ("村级评议", _d(project.village_reviewed_on)),
                ("乡镇初审", _d(project.township_reviewed_on)),
                (
                    "近两年分户且无房",
                    "是（重点审核，防止突击分户）" if project.household.split_on else "否",
                ),
                ("联合审核日期", _d(project.joint_reviewed_on)),
            ],
        ),
        Block(
            "table",
            "各部门审核意见",
            headers=["部门", "意见", "审核人签字", "部门盖章"],
            rows=rows,
        ),
        _sign(f"县住房和城乡建设局（盖章）　{_d(project.joint_reviewed_on)}"),
    ]


def _commitment(project: RenovationProject) -> list[Block]:
    # Here, not at the top: renovation.documents imports the services, whose papers module
    # imports this one.
    from renovation.documents import DEMOLITION_DUTY, DUTIES, REPAIR_DUTY

    duties = [*DUTIES, REPAIR_DUTY if project.method == "repair" else DEMOLITION_DUTY]
    commitment = getattr(project, "commitment", None)
    return [
        _household_facts(project),
        Block(
            "text",
            text=(
                f"本户已列入{project.year}年度农村危房改造计划，改造方式为"
                f"{project.get_method_display()}。本人郑重承诺："
            ),
        ),
        Block("names", rows=duties),
        Block(
            "text",
            text="如违反上述承诺，自愿退还补助资金并承担由此产生的一切责任。",
        ),
        _sign(
            f"承诺人（户主）签字（按手印）：{BLANK}",
            f"签订日期（必须填写）：{_d(commitment.signed_on if commitment else None)}",
            f"见证人（村干部）签字：{BLANK}　{project.household.village.name}村民委员会（盖章）",
        ),
    ]


def _acceptance(project: RenovationProject) -> list[Block]:
    acceptance = getattr(project, "acceptance", None)
    area = acceptance.built_area if acceptance else project.built_area
    parties = [label for code, label in AcceptanceParty.choices]
    checks = [
        "地基基础无明显不均匀沉降，承重墙体无明显裂缝",
        "承重构件（梁、柱、屋架）连接可靠，无明显变形",
        "屋面无渗漏，围护结构完整",
        "按要求设置圈梁、构造柱等抗震构造措施",
        "水、电等基本设施安全可用",
    ]
    return [
        _household_facts(project),
        Block(
            "facts",
            "工程情况",
            [
                ("改造方式", project.get_method_display()),
                ("建设方式", project.get_build_mode_display() or BLANK),
                ("工匠/施工方", _v(project.builder_name)),
                ("开工日期", _d(project.started_on)),
                ("竣工日期", _d(project.completed_on)),
                ("建筑面积", f"{area} ㎡" if area else f"{BLANK} ㎡"),
            ],
        ),
        Block(
            "table",
            "基本安全评定",
            headers=["评定项目", "合格", "不合格", "说明"],
            rows=[[c, "□", "□", ""] for c in checks],
        ),
        Block(
            "facts",
            "验收结论",
            [
                ("验收日期", _d(acceptance.accepted_on if acceptance else None)),
                (
                    "基本安全评定",
                    ("合格" if acceptance.evaluation_passed else "不合格")
                    if acceptance
                    else "□ 合格　□ 不合格",
                ),
            ],
        ),
        Block(
            "table",
            "参加验收各方签字（乡镇、村、农户、工匠或施工方共同验收）",
            headers=["验收方", "签字", "日期"],
            rows=[[p, "", ""] for p in parties],
        ),
        _sign(f"{project.household.village.parent.name}人民政府（盖章）"),
    ]


S = steps
PAPERS: dict[str, Paper] = {
    p.kind: p
    for p in (
        Paper(
            PaperKind.APPLICATION,
            "农村危房改造申请书",
            None,
            S.APPLY_ROLES,
            _application,
            "改造申请书",
        ),
        Paper(
            PaperKind.APPRAISAL,
            "农村住房安全性鉴定（评定）表",
            None,
            S.JOINT_REVIEW_ROLES,
            _appraisal,
            "房屋安全鉴定报告",
        ),
        Paper(
            PaperKind.VILLAGE_REVIEW,
            "农村危房改造村级评议表",
            "village_review",
            S.VILLAGE_REVIEW_ROLES,
            _village_review,
            "村级评议会议记录",
        ),
        Paper(
            PaperKind.TOWNSHIP_REVIEW,
            "农村危房改造乡镇初审表",
            "township_review",
            S.TOWNSHIP_REVIEW_ROLES,
            _township_review,
            "乡镇初审",
        ),
        Paper(
            PaperKind.JOINT_REVIEW,
            "农村危房改造联合审核表",
            "joint_review",
            S.JOINT_REVIEW_ROLES,
            _joint_review,
            "联合审核记录",
        ),
        Paper(
            PaperKind.COMMITMENT,
            "拆旧建新及安全责任承诺书",
            "commitment",
            S.CONSTRUCTION_ROLES,
            _commitment,
            "承诺书",
        ),
        Paper(
            PaperKind.ACCEPTANCE,
            "农村危房改造竣工验收表（基本安全评定表）",
            "accept",
            S.ACCEPT_ROLES,
            _acceptance,
            "竣工验收及基本安全评定表",
        ),
    )
}


def paper_pdf(project: RenovationProject, kind: str) -> bytes:
    paper = PAPERS.get(kind)
    if paper is None:
        raise DomainError("没有这种表格。")
    h = project.household
    return render_pdf(
        "renovation/pdf/paper.html",
        {
            "title": paper.title,
            "subtitle": f"{h.village.parent.name}{h.village.name} · {project.year}年度",
            "blocks": paper.build(project),
            "printed_on": timezone.localdate(),
        },
    )


def papers_for(project: RenovationProject, user, step: str | None = None) -> list[dict]:
    """The forms of a project (or of one step), each with its newest signed scan or None and
    whether `user` may upload one."""

    newest: dict[str, SignedPaper] = {}
    for scan in SignedPaper.objects.unscoped("of the held project").filter(project=project):
        newest.setdefault(scan.kind, scan)  # ordered newest first
    return [
        {"paper": p, "scan": newest.get(p.kind), "can_upload": has_role(user, p.roles)}
        for p in PAPERS.values()
        if step is None or p.step == step
    ]


# --- publicity lists of the three levels --------------------------------------------------

PUBLICITY_TITLES = {
    PublicityLevel.VILLAGE: "村级公示",
    PublicityLevel.TOWNSHIP: "乡镇公示",
    PublicityLevel.COUNTY: "县级公示",
}


def publicity_area(project: RenovationProject, level: str) -> Area:
    village = project.household.village
    if level == PublicityLevel.VILLAGE:
        return village
    if level == PublicityLevel.TOWNSHIP:
        return village.parent
    if level == PublicityLevel.COUNTY:
        return village.parent.parent
    raise DomainError("没有这一级公示。")


def publicity_rows(user, area: Area, year: int) -> list[list]:
    """The list of one area and year for the public: no ID or account number at all."""
    # Not at the top: see _commitment.
    from renovation.documents import NOTICE_STATUSES, _area_text, _expected_amount

    qs: QuerySet = (
        selectors.project_list(user)
        .in_area(area)
        .filter(year=year, status__in=NOTICE_STATUSES)
        .select_related("household__village__parent")
        .order_by("household__village_id", "household__head_name", "id")
    )
    rows = []
    for index, p in enumerate(qs, start=1):
        h = p.household
        amount = _expected_amount(p)
        rows.append(
            [
                index,
                f"{h.village.parent.name}{h.village.name}",
                h.head_name,
                h.family_size,
                h.category_short,
                p.get_danger_level_display(),
                p.get_method_display(),
                _area_text(p),
                "" if amount is None else f"{amount:,.2f}",
            ]
        )
    return rows


PUBLICITY_HEADERS = [
    "序号",
    "乡镇、村",
    "户主姓名",
    "家庭人口",
    "类别",
    "危房等级",
    "改造方式",
    "面积（㎡）",
    "补助金额（元）",
]


def publicity_pdf(user, project: RenovationProject, level: str) -> bytes:
    area = publicity_area(project, level)
    rows = publicity_rows(user, area, project.year)
    label = PUBLICITY_TITLES[level]
    publisher = {
        PublicityLevel.VILLAGE: f"{area.name}村民委员会",
        PublicityLevel.TOWNSHIP: f"{area.name}人民政府",
        PublicityLevel.COUNTY: f"{area.name}住房和城乡建设局",
    }[level]
    return render_pdf(
        "renovation/pdf/publicity_list.html",
        {
            "title": f"{area.name}{project.year}年度农村危房改造对象{label}名单",
            "headers": PUBLICITY_HEADERS,
            "rows": rows,
            "publisher": publisher,
            "level": level,
            "printed_on": timezone.localdate(),
        },
    )
