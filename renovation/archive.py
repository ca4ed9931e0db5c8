"""一户一档: everything filed for one household, what is missing, and the printable archive.

`build_archive_pdf` is a pure function of (household, user) so that it can run in a background
job later; it reads only what the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse
from pghistory.models import Events

from accounts.models import Area, User
from core.pdf import file_url, render_pdf, stored_path
from core.uploads import IMAGE_TYPES
from households.models import Household
from inspections.models import Appraisal
from renovation.models import (
    PATH,
    Acceptance,
    Commitment,
    Demolition,
    FailedAcceptance,
    PhotoStage,
    ProjectStatus,
    Publicity,
    RenovationMethod,
    RenovationProject,
    SignedPaper,
    VillageReview,
)
from renovation.paper import PAPERS
from subsidies.models import HistoricRenovation, LineStatus, PayoutBatch, PayoutLine

S = ProjectStatus


@dataclass
class Item:
    """One line of the archive: a document, record or photo set, present or missing."""

    label: str
    present: bool
    when: date | datetime | None = None
    author: str = ""
    detail: str = ""
    url: str = ""
    image_path: str = ""  # for the PDF: an image file to embed
    pending: bool = False  # not yet possible to have (e.g. a later step)
    images: list = field(default_factory=list)  # (file path, caption) for the PDF


@dataclass
class ProjectArchive:
    project: RenovationProject
    items: list[Item]
    history: list[tuple]

    @property
    def missing(self) -> list[str]:
        return [i.label for i in self.items if not i.present and not i.pending]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass
class Archive:
    household: Household
    appraisals: list
    projects: list[ProjectArchive]
    #: Renovations from before the system (subsidies.HistoricRenovation), oldest first.
    historic: list = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        if not self.projects:
            return ["改造项目（尚未申请）"]
        return self.projects[0].missing


def _name(user) -> str:
    return user.display_name if user else ""


def _file(kind: str, obj) -> str:
    return reverse("renovation:file", args=[kind, obj.pk])


def _path(field_file) -> str:
    # On the local disk its path; in object storage its name, read when the PDF embeds it.
    return stored_path(field_file)


def _reached(project: RenovationProject, status: str) -> bool:
    """Whether the project is at or past `status` on its main path: the record of that step
    must then be filed (a later step is only pending)."""
    if project.status in PATH:
        return PATH.index(project.status) >= PATH.index(status)
    return False  # an ended project needs nothing further


# The rows of a project's archive (一户一档), in order: each builder gives its item(s) for
# one document of the workflow. A new document of a step is a new builder in PROJECT_ITEMS.


def _application(project: RenovationProject, user) -> list[Item]:
    return [
        Item(
            "改造申请书",
            bool(project.application_file),
            project.applied_on,
            _name(project.applied_by),
            ("村委会代为申请；" if project.on_behalf else "") + project.get_method_display(),
            _file("application", project) if project.application_file else "",
        )
    ]


def _appraisal_report(project: RenovationProject, user) -> list[Item]:
    appraisal = project.appraisal
    return [
        Item(
            "房屋安全鉴定报告",
            bool(appraisal and appraisal.report_file),
            appraisal.appraised_on if appraisal else None,
            appraisal.appraiser_name if appraisal else "",
            appraisal.get_level_display() if appraisal else "",
            reverse("inspections:appraisal_report", args=[appraisal.pk])
            if appraisal and appraisal.report_file
            else "",
            _path(appraisal.report_file)
            if appraisal and appraisal.report_content_type in IMAGE_TYPES
            else "",
        )
    ]


def _village_review(project: RenovationProject, user) -> list[Item]:
    review = project.village_reviews.select_related("recorded_by").first()
    return [
        Item(
            "村级评议会议记录",
            review is not None,
            review.held_on if review else None,
            _name(review.recorded_by) if review else "",
            f"{review.get_result_display()}；村干部：{'、'.join(review.cadres)}；"
            f"村民代表（{len(review.representatives)}人）：{'、'.join(review.representatives)}"
            if review
            else "",
            _file("minutes", review) if review else "",
            _path(review.minutes_file)
            if review and review.minutes_content_type in IMAGE_TYPES
            else "",
            pending=not _reached(project, S.VILLAGE_REVIEWED),
        )
    ]


def _township_review(project: RenovationProject, user) -> list[Item]:
    return [
        Item(
            "乡镇初审",
            project.township_reviewed_on is not None,
            project.township_reviewed_on,
            _name(project.township_reviewed_by),
            project.township_opinion,
            pending=not _reached(project, S.TOWNSHIP_REVIEWED),
        )
    ]


def _joint_review(project: RenovationProject, user) -> list[Item]:
    opinions = list(project.joint_opinions.select_related("recorded_by"))
    return [
        Item(
            "联合审核记录",
            len(opinions) == 5,
            project.joint_reviewed_on,
            _name(project.joint_reviewed_by),
            "；".join(
                f"{o.get_department_display()}{'同意' if o.agrees else '不同意'}"
                + (f"（{o.note}）" if o.note else "")
                for o in opinions
            ),
            pending=not _reached(project, S.JOINT_REVIEWED),
        )
    ]


def _publicity(project: RenovationProject, user) -> list[Item]:
    """The three levels' publicity record, then their photos."""
    publicities = list(project.publicities.select_related("recorded_by"))
    objections = [o for p in publicities for o in p.objections.all()]
    with_photo = [p for p in publicities if p.photo]
    return [
        Item(
            "三级公示记录",
            len(publicities) == 3,
            publicities[0].starts_on if publicities else None,
            "、".join(sorted({_name(p.recorded_by) for p in publicities})),
            "；".join(
                f"{p.get_level_display()} {p.starts_on:%Y-%m-%d}至{p.ends_on:%Y-%m-%d}"
                for p in publicities
            )
            + (f"；异议{len(objections)}条" if objections else ""),
            pending=not _reached(project, S.APPROVED),
        ),
        Item(
            "公示照片",
            len(with_photo) == 3,
            with_photo[-1].starts_on if with_photo else None,
            "",
            "、".join(p.get_level_display() for p in with_photo),
            pending=not _reached(project, S.APPROVED),
            images=[(_path(p.photo), p.get_level_display()) for p in with_photo],
        ),
    ]


def _approval(project: RenovationProject, user) -> list[Item]:
    return [
        Item(
            "批准（年度计划）",
            project.approved_on is not None,
            project.approved_on,
            _name(project.approved_by),
            f"补助 {project.approved_amount:,.2f} 元（{project.amount_explanation}）"
            if project.approved_amount is not None
            else "",
            pending=not _reached(project, S.APPROVED),
        )
    ]


def _notification(project: RenovationProject, user) -> list[Item]:
    return [
        Item(
            "函告书",
            project.notified_on is not None,
            project.notified_on,
            _name(project.notified_by),
            f"应于{project.completion_due:%Y-%m-%d}前竣工" if project.completion_due else "",
            reverse("renovation:letter", args=[project.pk]) if project.notified_on else "",
            pending=not _reached(project, S.NOTIFIED),
        )
    ]


def _commitment(project: RenovationProject, user) -> list[Item]:
    commitment = (
        Commitment.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("recorded_by")
        .first()
    )
    return [
        Item(
            "承诺书",
            bool(commitment and commitment.file),
            commitment.signed_on if commitment else None,
            _name(commitment.recorded_by) if commitment else "",
            "",
            _file("commitment", commitment) if commitment and commitment.file else "",
            _path(commitment.file) if commitment and commitment.content_type in IMAGE_TYPES else "",
            pending=not _reached(project, S.UNDER_CONSTRUCTION),
        )
    ]


# A stage's photos are due once the project has passed that stage.
PHOTOS_DUE_AT = {
    PhotoStage.BEFORE: S.UNDER_CONSTRUCTION,
    PhotoStage.DURING: S.COMPLETED,
    PhotoStage.AFTER: S.ACCEPTED,
}


def _stage_photos(project: RenovationProject, user) -> list[Item]:
    photos = list(project.photos.select_related("uploaded_by"))
    items = []
    for stage in PhotoStage:
        mine = [p for p in photos if p.stage == stage]
        items.append(
            Item(
                f"{stage.label}照片",
                bool(mine),
                mine[-1].uploaded_at if mine else None,
                "、".join(sorted({_name(p.uploaded_by) for p in mine})),
                f"{len(mine)}张" if mine else "",
                pending=not _reached(project, PHOTOS_DUE_AT[stage]),
                images=[(_path(p.file), f"{stage.label} {p.uploaded_at:%Y-%m-%d}") for p in mine],
            )
        )
    return items


def _quality_checks(project: RenovationProject, user) -> list[Item]:
    checks = list(project.quality_checks.select_related("recorded_by"))
    return [
        Item(
            "质量检查记录",
            bool(checks),
            checks[-1].checked_on if checks else None,
            "、".join(sorted({c.inspector for c in checks})),
            "；".join(
                f"{c.checked_on:%Y-%m-%d} {c.get_result_display()}"
                + (f"（{c.problems}）" if c.problems else "")
                for c in checks
            ),
            pending=not _reached(project, S.COMPLETED),
        )
    ]


def _acceptance(project: RenovationProject, user) -> list[Item]:
    """The acceptance and basic safety evaluation, then every failed attempt before it (issue
    15 point 7)."""
    acceptance = (
        Acceptance.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("recorded_by")
        .first()
    )
    items = [
        Item(
            "竣工验收及基本安全评定表",
            acceptance is not None,
            acceptance.accepted_on if acceptance else None,
            _name(acceptance.recorded_by) if acceptance else "",
            f"参加人员：{acceptance.participants}；建筑面积 {acceptance.built_area} ㎡"
            if acceptance
            else "",
            _file("evaluation", acceptance) if acceptance else "",
            _path(acceptance.evaluation_form)
            if acceptance and acceptance.evaluation_content_type in IMAGE_TYPES
            else "",
            pending=not _reached(project, S.ACCEPTED),
        )
    ]
    for failed in (
        FailedAcceptance.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("recorded_by")
    ):
        items.append(
            Item(
                "竣工验收未通过记录",
                True,
                failed.inspected_on,
                _name(failed.recorded_by),
                f"参加人员：{failed.participants}；原因：{failed.reasons}；整改要求：{failed.to_fix}",
            )
        )
    return items


def _payout(project: RenovationProject, user) -> list[Item]:
    return [_payout_item(project, user)]


def _demolition(project: RenovationProject, user) -> list[Item]:
    demolition = (
        Demolition.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("recorded_by")
        .first()
    )
    return [
        Item(
            "旧房拆除证明",
            demolition is not None or bool(project.demolition_not_applicable_reason),
            demolition.demolished_on if demolition else None,
            _name(demolition.recorded_by) if demolition else "",
            f"无需拆除：{project.demolition_not_applicable_reason}"
            if project.demolition_not_applicable_reason
            else "",
            _file("demolition", demolition) if demolition else "",
            _path(demolition.photo) if demolition else "",
            pending=not _reached(project, S.ACCEPTED),
        )
    ]


PROJECT_ITEMS = (
    _application,
    _appraisal_report,
    _village_review,
    _township_review,
    _joint_review,
    _publicity,
    _approval,
    _notification,
    _commitment,
    _stage_photos,
    _quality_checks,
    _acceptance,
    _payout,
    _demolition,
)


def _project_items(project: RenovationProject, user) -> list[Item]:
    items = [item for build in PROJECT_ITEMS for item in build(project, user)]
    _file_signed_papers(project, items)
    return items


def _file_signed_papers(project: RenovationProject, items: list[Item]) -> None:
    """A printed form that came back signed (renovation/paper.py) files its archive item:
    the item is present, and links (and, for an image, embeds) the newest scan."""

    newest: dict[str, SignedPaper] = {}
    for scan in (
        SignedPaper.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("uploaded_by")
    ):
        newest.setdefault(scan.kind, scan)  # newest first
    by_label = {item.label: item for item in items}
    for kind, scan in newest.items():
        item = by_label.get(PAPERS[kind].archive_label)
        if item is None:
            continue
        item.present = True
        item.when = item.when or scan.uploaded_at
        note = f"签字扫描件 {scan.uploaded_at:%Y-%m-%d}（{scan.uploaded_by.display_name}）"
        item.detail = f"{item.detail}；{note}" if item.detail else note
        item.url = item.url or _file("paper", scan)
        if not item.image_path and scan.content_type in IMAGE_TYPES:
            item.image_path = _path(scan.file)


def _payout_item(project: RenovationProject, user) -> Item:
    """补助资金拨付凭证: the paid lines of the project and their batches' vouchers.

    A batch covers many households of the county, so its voucher is linked and embedded only
    for users who may see the batch (county staff); others see the payment itself.
    """

    lines = list(
        PayoutLine.objects.unscoped("of the held project")
        .filter(project=project)
        .select_related("batch", "batch__paid_by")
        .order_by("batch__batch_date", "id")
    )
    paid = [line for line in lines if line.status == LineStatus.PAID and line.batch.paid_on]
    visible = set(
        PayoutBatch.objects.visible_to(user)
        .filter(pk__in={line.batch_id for line in paid})
        .values_list("pk", flat=True)
    )
    details, images, url = [], [], ""
    for line in lines:
        batch = line.batch
        if line.status == LineStatus.FAILED:
            details.append(f"{batch.number} 拨付失败：{line.failure_reason}")
        elif line in paid:
            text = f"{batch.number} {batch.paid_on:%Y-%m-%d} 拨付 {line.amount:,.2f} 元"
            details.append(text if batch.voucher else f"{text}（凭证未上传）")
            if batch.voucher and batch.pk in visible:
                url = url or reverse("subsidies:batch_voucher", args=[batch.pk])
                if batch.voucher_content_type in IMAGE_TYPES:
                    images.append((_path(batch.voucher), f"拨付凭证 {batch.number}"))
        else:
            details.append(f"{batch.number} 待拨付 {line.amount:,.2f} 元")
    pending = not _reached(project, S.ACCEPTED)
    return Item(
        "补助资金拨付凭证",
        any(line.batch.voucher for line in paid),
        max((line.batch.paid_on for line in paid), default=None),
        "、".join(sorted({_name(line.batch.paid_by) for line in paid})),
        "；".join(details) or ("" if pending else "尚未拨付"),
        url,
        pending=pending,
        images=images,
    )


def _history(project: RenovationProject) -> list[tuple]:
    """Status changes from the audit history: (when, who, status label)."""
    events = list(
        Events.objects.references(project)
        .filter(pgh_model="renovation.RenovationProjectEvent")
        .order_by("pgh_created_at", "pgh_id")
    )
    user_ids = {(e.pgh_context or {}).get("user") for e in events} - {None}
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)}
    labels = dict(ProjectStatus.choices)
    result, last = [], None
    for e in events:
        status = (e.pgh_data or {}).get("status")
        if status == last:
            continue
        last = status
        who = names.get((e.pgh_context or {}).get("user"), "系统")
        result.append((e.pgh_created_at, who, labels.get(status, status)))
    return result


def build_archive(household: Household, user) -> Archive:
    projects = (
        RenovationProject.objects.visible_to(user)
        .filter(household=household)
        .select_related(
            "appraisal",
            "applied_by",
            "township_reviewed_by",
            "joint_reviewed_by",
            "approved_by",
            "notified_by",
        )
        .order_by("-year", "-id")
    )
    appraisals = list(
        Appraisal.objects.visible_to(user).filter(household=household).order_by("-appraised_on")
    )

    return Archive(
        household=household,
        appraisals=appraisals,
        projects=[ProjectArchive(p, _project_items(p, user), _history(p)) for p in projects],
        historic=list(
            HistoricRenovation.objects.visible_to(user).filter(household=household).order_by("year")
        ),
    )


def build_archive_pdf(household: Household, user) -> bytes:
    """The whole archive as one PDF: records, forms and photos embedded."""
    archive = build_archive(household, user)
    for project in archive.projects:
        for item in project.items:
            item.image_url = file_url(item.image_path) if item.image_path else ""
            item.image_urls = [(file_url(path), caption) for path, caption in item.images if path]
    return render_pdf("renovation/pdf/archive.html", {"archive": archive, "household": household})


# --- completeness for lists and the dashboard (issue 15 point 8) -------------------------

#: The archive items whose documents the completeness figure counts (document 004's
#: findings: application form, minutes, notice photos, commitment scan, evaluation form,
#: demolition photo).
DOCUMENT_ITEMS = (
    "改造申请书",
    "村级评议会议记录",
    "公示照片",
    "承诺书",
    "竣工验收及基本安全评定表",
    "旧房拆除证明",
)


def with_archive_documents(qs):
    """Annotate projects with whether each document of the archive is there (a file, not
    only a record): the dashboard's completeness reads this."""
    from django.db.models import (
        BooleanField,
        Count,
        Exists,
        ExpressionWrapper,
        IntegerField,
        OuterRef,
        Q,
        Subquery,
        Value,
    )
    from django.db.models.functions import Coalesce

    def signed(kind: str):
        # A form that came back signed counts as the document (renovation/paper.py).
        return Exists(
            SignedPaper.objects.unscoped("of the projects in the query").filter(
                project=OuterRef("pk"), kind=kind
            )
        )

    photos = (
        Publicity.objects.unscoped("of the projects in the query")
        .filter(project=OuterRef("pk"))
        .exclude(photo="")
        .values("project")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(
        doc_application=ExpressionWrapper(
            ~Q(application_file="") | signed("application"), output_field=BooleanField()
        ),
        doc_minutes=Exists(
            VillageReview.objects.unscoped("of the projects in the query")
            .filter(project=OuterRef("pk"))
            .exclude(minutes_file="")
        )
        | signed("village_review"),
        doc_publicity_photos=Coalesce(Subquery(photos, output_field=IntegerField()), Value(0)),
        doc_commitment=Exists(
            Commitment.objects.unscoped("of the projects in the query")
            .filter(project=OuterRef("pk"))
            .exclude(file="")
        )
        | signed("commitment"),
        doc_evaluation=Exists(
            Acceptance.objects.unscoped("of the projects in the query")
            .filter(project=OuterRef("pk"))
            .exclude(evaluation_form="")
        )
        | signed("acceptance"),
        doc_demolition=Exists(
            Demolition.objects.unscoped("of the projects in the query")
            .filter(project=OuterRef("pk"))
            .exclude(photo="")
        ),
    )


def archive_complete_q():
    """An accepted project's archive holds every document (a repair needs no demolition
    photo when the reason is recorded)."""
    from django.db.models import Q

    return (
        Q(doc_application=True)
        & Q(doc_minutes=True)
        & Q(doc_publicity_photos=3)
        & Q(doc_commitment=True)
        & Q(doc_evaluation=True)
        & (
            Q(doc_demolition=True)
            | (Q(method=RenovationMethod.REPAIR) & ~Q(demolition_not_applicable_reason=""))
        )
    )


def completeness_by_township(user) -> list[dict]:
    """Per township: accepted (or closed) projects and how many archives are complete."""
    from django.db.models import Count

    rows = (
        with_archive_documents(
            RenovationProject.objects.visible_to(user).filter(status__in=[S.ACCEPTED, S.CLOSED])
        )
        .values("household__township_code")
        .annotate(total=Count("id"), complete=Count("id", filter=archive_complete_q()))
        .order_by("household__township_code")
    )
    names = dict(Area.objects.filter(level="township").values_list("code", "name"))
    return [
        {
            "township": names.get(r["household__township_code"] + "000", ""),
            "total": r["total"],
            "complete": r["complete"],
            "rate": round(100 * r["complete"] / r["total"]) if r["total"] else 0,
        }
        for r in rows
    ]
