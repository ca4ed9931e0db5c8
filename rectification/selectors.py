"""Reads shared by pages, the API and the exports (every one scoped to the user's area)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from inspections.models import Photo
from rectification.models import (
    Complaint,
    Evidence,
    ProblemType,
    RectificationCampaign,
    RectificationItem,
    SelfCheckFinding,
)
from rectification.photo_checks import _stage_dates
from renovation.models import ProjectPhoto

TYPE_ORDER = [ProblemType.POLICY, ProblemType.WORK]


def item_list(user) -> QuerySet:
    return (
        RectificationItem.objects.visible_to(user)
        .select_related("area", "area__parent", "campaign", "submitted_by", "closed_by")
        .prefetch_related("stages")
        .annotate(evidence_count=Count("evidence", distinct=True))
    )


def item_detail(user) -> QuerySet:
    return item_list(user).prefetch_related(
        "households",
        "households__village",
        Prefetch("notes__evidence", queryset=Evidence.objects.order_by("id")),
        "notes__created_by",
        "evidence",
    )


def ledger_items(user, *, campaign=None, area=None, status=None) -> QuerySet:
    """The items of the ledger export, in the ledger's order: by type, then as entered."""
    qs = (
        RectificationItem.objects.visible_to(user)
        .select_related("area", "campaign")
        .prefetch_related("stages")
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if area is not None:
        qs = qs.in_area(area)
    if status:
        qs = qs.filter(status__in=status if isinstance(status, list | tuple) else [status])
    return qs.order_by("problem_type", "id")


def ledger_groups(items) -> list[dict]:
    """Items grouped by type in the ledger's order (政策落实方面 first), each group numbered."""
    numerals = "一二三四五六七八九十"
    by_type: dict[str, list] = {t: [] for t in TYPE_ORDER}
    for item in items:
        by_type.setdefault(item.problem_type, []).append(item)
    groups = []
    for problem_type, group_items in by_type.items():
        if not group_items:
            continue
        groups.append(
            {
                "ordinal": numerals[len(groups)]
                if len(groups) < len(numerals)
                else str(len(groups) + 1),
                "label": ProblemType(problem_type).label,
                "count": len(group_items),
                "items": group_items,
            }
        )
    return groups


def campaign_list(user) -> QuerySet:
    # A campaign is seen county-wide, its items only in their area: count only those.
    visible = RectificationItem.objects.visible_to(user)
    return RectificationCampaign.objects.visible_to(user).annotate(
        item_count=Count("items", filter=Q(items__in=visible))
    )


def complaint_list(user) -> QuerySet:
    return Complaint.objects.visible_to(user).select_related("area", "area__parent", "item")


def finding_list(user) -> QuerySet:
    return (
        SelfCheckFinding.objects.visible_to(user)
        .select_related("area", "area__parent", "dismissed_by", "item")
        .prefetch_related("households")
    )


def finding_photos(finding: SelfCheckFinding, user) -> list[dict]:
    """The photos of a photo finding, side by side: each one the user may see (a photo of an
    area the user does not hold is counted, not shown)."""
    from django.apps import apps
    from django.urls import reverse

    wanted = {"i": [], "r": []}
    for ref in finding.photos:
        kind, _, pk = ref.partition(":")
        if kind in wanted and pk.isdigit():
            wanted[kind].append(int(pk))
    found: dict[str, dict] = {}
    for p in (
        Photo.objects.visible_to(user)
        .filter(pk__in=wanted["i"])
        .select_related("household__village__parent", "inspection", "appraisal", "hazard_report")
    ):
        if p.inspection_id:
            step, day = "排查", p.inspection.inspected_on
        elif p.appraisal_id:
            step, day = "鉴定", p.appraisal.appraised_on
        else:
            step, day = "隐患上报", p.hazard_report.reported_on
        found[f"i:{p.pk}"] = {
            "photo": p,
            "household": p.household,
            "step": step,
            "step_dates": (day, day),
            "url": reverse("inspections:photo_file", args=[p.pk]),
        }
    if apps.is_installed("renovation"):
        for p in (
            ProjectPhoto.objects.visible_to(user)
            .filter(pk__in=wanted["r"])
            .select_related("project__household__village__parent", "project__appraisal")
        ):
            found[f"r:{p.pk}"] = {
                "photo": p,
                "household": p.project.household,
                "step": f"{p.project.year}年改造项目 {p.get_stage_display()}",
                "step_dates": _stage_dates(p.project, p.stage),
                "url": reverse("renovation:file", args=["photo", p.pk]),
                "project": p.project,
            }
    return [found[ref] for ref in finding.photos if ref in found]
