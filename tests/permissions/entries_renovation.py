from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.permissions.matrix import Case


def _households(areas, user):
    return (
        HouseholdFactory(village=areas["village"]),
        HouseholdFactory(village=areas["other_village"]),
    )


def _projects(status="applied"):
    def build(areas, user):
        from tests.renovation.factories import make_project

        own, other = _households(areas, user)
        return make_project(own, status), make_project(other, status)

    return build


def _appraised_households(areas, user):
    from tests.renovation.factories import appraise

    own, other = _households(areas, user)
    appraise(own)
    appraise(other)
    return own, other


def _publicities(areas, user):
    own, other = _projects("publicity")(areas, user)
    return own.publicities.first(), other.publicities.first()


def _objections(areas, user):
    from renovation.models import Objection

    return tuple(
        Objection.objects.create(
            publicity=p, raised_on=dt.date(2026, 3, 2), content="异议", recorded_by=p.recorded_by
        )
        for p in _publicities(areas, user)
    )


def _quality_checks(areas, user):
    own, other = _projects("completed")(areas, user)
    return own.quality_checks.first(), other.quality_checks.first()


def _evaluation_forms(areas, user):
    own, other = _projects("accepted")(areas, user)
    return own.acceptance, other.acceptance


def _project_photos(areas, user):
    from renovation.models import ProjectPhoto
    from tests.inspections.factories import jpeg_bytes, upload

    return tuple(
        ProjectPhoto.objects.create(
            project=project,
            stage="before",
            file=upload("p.jpg", jpeg_bytes(), "image/jpeg"),
            content_type="image/jpeg",
            size=1,
            uploaded_by=user,
        )
        for project in _projects("under_construction")(areas, user)
    )


def _villages(areas, user):
    return areas["village"], areas["other_village"]


def _page(name, objects=None, args=(), **kw):
    if objects is None:
        return Case("page", lambda o: reverse(name, args=list(args)), **kw)
    return Case(
        "page",
        lambda o: reverse(name, args=[*args[:1], o.pk, *args[1:]] if args else [o.pk]),
        objects=objects,
        **kw,
    )


def _api(name, objects=None, **kw):
    if objects is None:
        return Case("api", lambda o: reverse(name), **kw)
    return Case("api", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


W = ("POST",)
STEP_ACTIONS = [
    "village-review",
    "township-review",
    "joint-review",
    "approve",
    "override-amount",
    "override-decide",
    "move-in",
    "notify",
    "commitment",
    "start",
    "photos",
    "complete",
    "accept",
    "accept-failed",
    "area-exception",
    "demolition",
    "no-demolition",
    "close",
    "end",
]

ENTRIES = {
    "renovation:list": _page("renovation:list", writes=W),
    "renovation:apply": _page("renovation:apply", _appraised_households, writes=W),
    "renovation:detail": _page("renovation:detail", _projects()),
    "renovation:step": Case(
        "page",
        lambda o: reverse("renovation:step", args=[o.pk, "village_review"]),
        objects=_projects(),
        writes=W,
        reader="village_clerk",
    ),
    "renovation:letter": _page("renovation:letter", _projects("approved")),
    "renovation:paper": Case(
        "page",
        lambda o: reverse("renovation:paper", args=[o.pk, "township_review"]),
        objects=_projects("township_reviewed"),
    ),
    "renovation:paper_scan": Case(
        "page",
        lambda o: reverse("renovation:paper_scan", args=[o.pk, "application"]),
        objects=_projects(),
        writes=W,
    ),
    "renovation:publicity_list": Case(
        "page",
        lambda o: reverse("renovation:publicity_list", args=[o.pk, "township"]),
        objects=_projects("publicity"),
    ),
    # Without a selection the batch letter page sends the user back to the list.
    "renovation:letters": _page("renovation:letters", reader=None),
    "renovation:approve_batch": _page("renovation:approve_batch", writes=W, get=False),
    "renovation:publicity_batch": _page("renovation:publicity_batch", writes=W, get=False),
    "renovation:objection_create": _page(
        "renovation:objection_create", _publicities, writes=W, reader="county_reviewer"
    ),
    "renovation:objection_resolve": _page(
        "renovation:objection_resolve", _objections, writes=W, reader="county_reviewer"
    ),
    "renovation:notice_pdf": Case(
        "page", lambda o: reverse("renovation:notice_pdf", args=[o.code]), objects=_villages
    ),
    "renovation:notice_xlsx": Case(
        "page", lambda o: reverse("renovation:notice_xlsx", args=[o.code]), objects=_villages
    ),
    "renovation:archive": _page("renovation:archive", _households),
    "renovation:archive_pdf": _page("renovation:archive_pdf", _households),
    "renovation:file": Case(
        "page",
        lambda o: reverse("renovation:file", args=["evaluation", o.pk]),
        objects=_evaluation_forms,
    ),
    "renovation:file_thumb": Case(
        "page",
        lambda o: reverse("renovation:file_thumb", args=["photo", o.pk]),
        objects=_project_photos,
    ),
    "renovation-project-list": _api("renovation-project-list", writes=W),
    "renovation-project-detail": _api(
        "renovation-project-detail", _projects(), writes=("PUT", "PATCH")
    ),
    "renovation-project-approve-batch": _api(
        "renovation-project-approve-batch", writes=W, get=False
    ),
    "renovation-project-publicity-batch": _api(
        "renovation-project-publicity-batch", writes=W, get=False
    ),
    "publicity-list": _api("publicity-list", writes=W),
    "publicity-detail": _api("publicity-detail", _publicities),
    "objection-list": _api("objection-list", writes=W),
    "objection-detail": _api("objection-detail", _objections),
    "objection-resolve": _api("objection-resolve", _objections, writes=W, get=False),
    "quality-check-list": _api("quality-check-list", writes=W),
    "quality-check-detail": _api("quality-check-detail", _quality_checks),
}
for action in STEP_ACTIONS:
    name = f"renovation-project-{action}"
    ENTRIES[name] = _api(name, _projects(), writes=W, get=False)

ENTRIES["renovation:national_entries"] = _page("renovation:national_entries", writes=W)
ENTRIES["renovation-project-national-entries"] = _api(
    "renovation-project-national-entries", writes=W, get=False
)
ENTRIES["archive-completeness-list"] = _api("archive-completeness-list")
