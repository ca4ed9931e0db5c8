"""Reads shared by pages, the API and documents (every one scoped to the user's area)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from renovation.models import Objection, Publicity, RenovationProject


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
