"""Reads shared by pages, the API and documents (every one scoped to the user's area)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from renovation.models import (
    Objection,
    ProjectStatus,
    Publicity,
    PublicityLevel,
    RenovationProject,
)


def project_list(user) -> QuerySet:
    return (
        RenovationProject.objects.visible_to(user)
        .select_related("household", "household__village", "household__village__parent")
        .annotate(
            open_objections=Count(
                "publicities__objections",
                filter=Q(publicities__objections__resolved_on__isnull=True),
            )
        )
    )


def project_detail(user) -> QuerySet:
    return (
        RenovationProject.objects.visible_to(user)
        .select_related(
            "household",
            "household__village",
            "household__village__parent",
            "appraisal",
            "applied_by",
            "township_reviewed_by",
            "joint_reviewed_by",
            "approved_by",
            "notified_by",
            "closed_by",
            "ended_by",
            "amount_overridden_by",
        )
        .prefetch_related(
            "village_reviews__recorded_by",
            "joint_opinions__recorded_by",
            Prefetch(
                "publicities",
                queryset=Publicity.objects.select_related("recorded_by").prefetch_related(
                    Prefetch(
                        "objections",
                        queryset=Objection.objects.select_related("resolved_by", "recorded_by"),
                    )
                ),
            ),
            "quality_checks__recorded_by",
            "photos__uploaded_by",
        )
    )


def publicity_list(user) -> QuerySet:
    return Publicity.objects.visible_to(user).select_related(
        "project", "project__household", "project__household__village"
    )


def objection_list(user) -> QuerySet:
    return Objection.objects.visible_to(user).select_related(
        "publicity", "publicity__project", "publicity__project__household"
    )


# Why a project in the batch cannot be approved, by where it stands (not the guard's words).
_ALREADY_APPROVED = (
    ProjectStatus.APPROVED,
    ProjectStatus.NOTIFIED,
    ProjectStatus.UNDER_CONSTRUCTION,
    ProjectStatus.COMPLETED,
    ProjectStatus.ACCEPTED,
)
_ENDED = (ProjectStatus.DECLINED, ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)


def approval_refusal(project) -> str | None:
    """A reason in words that fit the project's status, or None while it is in publicity
    (then the publicity or an objection is the reason, as the service says)."""
    status = project.get_status_display()
    if project.status == ProjectStatus.CLOSED:
        return "已销号，无需再批准"
    if project.status in _ALREADY_APPROVED:
        return f"已批准过（当前：{status}），无需重复批准"
    if project.status in _ENDED:
        return f"{status}，不能批准"
    if project.status != ProjectStatus.PUBLICITY:
        return f"尚未公示（当前：{status}），三级公示期满后才能批准"
    return None


def ready_for_approval(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Projects in publicity that may be approved today: every level's publicity ended before
    today and no objection unresolved (the query form of `services.approval_blockers`)."""
    today = today or timezone.localdate()
    unresolved = Objection.objects.filter(
        publicity__project=OuterRef("pk"), resolved_on__isnull=True
    )
    return (
        queryset.filter(status=ProjectStatus.PUBLICITY)
        .annotate(
            _ended_levels=Count(
                "publicities__level",
                filter=Q(publicities__ends_on__lt=today),
                distinct=True,
            )
        )
        .filter(_ended_levels=len(PublicityLevel))
        .exclude(Exists(unresolved))
    )
