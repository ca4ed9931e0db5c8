from __future__ import annotations

from django.urls import reverse

from tests.permissions.matrix import Case


def _reviewer(areas):
    from tests.factories import UserFactory

    return UserFactory(username="matrix_rect", role="county_reviewer", area=areas["county"])


def _items(areas, user):
    from tests.rectification.factories import ItemFactory

    reviewer = _reviewer(areas)
    return (
        ItemFactory(area=areas["township"], created_by=reviewer),
        ItemFactory(area=areas["other_township"], created_by=reviewer),
    )


def _stages(areas, user):
    import datetime as dt

    from rectification.models import RectificationStage

    return tuple(
        RectificationStage.objects.create(item=item, goal="阶段目标", due_on=dt.date(2026, 12, 1))
        for item in _items(areas, user)
    )


def _evidence(areas, user):
    from rectification import services
    from rectification.models import Evidence
    from tests.rectification.factories import jpeg_upload

    reviewer = _reviewer(areas)
    result = []
    for item in _items(areas, user):
        note = services.note_add(item=item, by=reviewer, content="进展", files=[jpeg_upload()])
        result.append(Evidence.objects.get(note=note))
    return tuple(result)


def _complaints(areas, user):
    from tests.rectification.factories import ComplaintFactory

    reviewer = _reviewer(areas)
    return tuple(
        ComplaintFactory(area=areas[key], created_by=reviewer)
        for key in ("township", "other_township")
    )


def _findings(areas, user):
    from rectification.models import SelfCheckFinding

    return tuple(
        SelfCheckFinding.objects.create(
            rule="d_occupied",
            subject=f"matrix-{key}",
            area=areas[key],
            message="D级危房仍住人",
            fingerprint=key,
        )
        for key in ("township", "other_township")
    )


def _photo_findings(areas, user):
    from rectification.models import SelfCheckFinding

    return tuple(
        SelfCheckFinding.objects.create(
            rule="photo_reused",
            subject=f"matrix-photo-{key}",
            area=areas[key],
            message="同一照片用于两户",
            fingerprint=key,
            photos=["i:0", "r:0"],
        )
        for key in ("township", "other_township")
    )


def _imports(areas, user):
    from rectification.models import LedgerImport
    from tests.factories import UserFactory

    reviewer = _reviewer(areas)
    other_reviewer = UserFactory(
        username="matrix_rect2", role="county_reviewer", area=areas["county"]
    )
    # A ledger import is its uploader's: another reviewer sees none of it.
    return tuple(
        LedgerImport.objects.create(
            filename="台账.xlsx", area=areas["county"], source="national", created_by=u
        )
        for u in (reviewer, other_reviewer)
    )


def _campaigns(areas, user):
    from tests.rectification.factories import CampaignFactory

    campaign = CampaignFactory(created_by=_reviewer(areas), area=areas["county"])
    return campaign, campaign


def _page(name, objects=None, **kw):
    if objects is None:
        return Case("page", lambda o: reverse(name), **kw)
    return Case("page", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _api(name, objects=None, **kw):
    if objects is None:
        return Case("api", lambda o: reverse(name), **kw)
    return Case("api", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _spot_checks(areas, user):
    """A spot check of the city holding the first county, and one of the other city."""
    from accounts.models import Role
    from rectification.spotcheck import spot_check_draw
    from tests.factories import HouseholdFactory, UserFactory, build_city

    city_areas = build_city()
    HouseholdFactory(village=areas["village"])
    HouseholdFactory(village=city_areas["far_village"])
    own_by = UserFactory(username="matrix_city", role=Role.CITY_REVIEWER, area=city_areas["city"])
    other_by = UserFactory(
        username="matrix_city2", role=Role.CITY_REVIEWER, area=city_areas["other_city"]
    )
    return tuple(
        spot_check_draw(by=by, title="档案抽查", year=2026, sample_size=1, seed=1)
        for by in (own_by, other_by)
    )


def _spot_entries(areas, user):
    return tuple(s.entries.get() for s in _spot_checks(areas, user))


W = ("POST",)
R = "county_reviewer"
# Spot checks are for the levels above the county: every county-level role gets the same 403
# (or 404) whatever the object, telling nothing about it; another city's 404 is in
# tests/rectification/test_spotcheck.py.
_SPOT = {"area_scoped": False, "reader": "city_official"}
ENTRIES = {
    "rectification:spotcheck_list": _page("rectification:spotcheck_list", **_SPOT),
    "rectification:spotcheck_draw": _page(
        "rectification:spotcheck_draw", writes=W, area_scoped=False, reader="city_reviewer"
    ),
    "rectification:spotcheck_detail": _page(
        "rectification:spotcheck_detail", _spot_checks, **_SPOT
    ),
    "rectification:spotcheck_finish": _page(
        "rectification:spotcheck_finish",
        _spot_checks,
        writes=W,
        get=False,
        area_scoped=False,
        reader=None,
    ),
    "rectification:spotcheck_entry": _page(
        "rectification:spotcheck_entry",
        _spot_entries,
        writes=W,
        area_scoped=False,
        reader="city_reviewer",
    ),
    "rectification:item_list": _page("rectification:item_list"),
    "rectification:ledger_xlsx": _page("rectification:ledger_xlsx"),
    "rectification:ledger_pdf": _page("rectification:ledger_pdf"),
    "rectification:item_create": _page("rectification:item_create", writes=W, reader=R),
    "rectification:item_detail": _page("rectification:item_detail", _items),
    "rectification:item_edit": _page("rectification:item_edit", _items, writes=W, reader=R),
    "rectification:item_note": _page("rectification:item_note", _items, writes=W, get=False),
    "rectification:item_submit": _page("rectification:item_submit", _items, writes=W, get=False),
    "rectification:item_close": _page("rectification:item_close", _items, writes=W, get=False),
    "rectification:item_reopen": _page("rectification:item_reopen", _items, writes=W, get=False),
    "rectification:stage_done": _page("rectification:stage_done", _stages, writes=W, get=False),
    "rectification:evidence_file": _page("rectification:evidence_file", _evidence),
    "rectification:campaign_list": _page("rectification:campaign_list", writes=W),
    "rectification:complaint_list": _page("rectification:complaint_list"),
    "rectification:complaint_create": _page("rectification:complaint_create", writes=W, reader=R),
    "rectification:complaint_detail": _page(
        "rectification:complaint_detail", _complaints, writes=W
    ),
    "rectification:complaint_convert": _page(
        "rectification:complaint_convert", _complaints, writes=W, get=False
    ),
    "rectification:selfcheck": _page("rectification:selfcheck", reader=R),
    "rectification:selfcheck_run": _page("rectification:selfcheck_run", writes=W, get=False),
    "rectification:findings_convert": _page("rectification:findings_convert", writes=W, get=False),
    "rectification:finding_dismiss": _page(
        "rectification:finding_dismiss", _findings, writes=W, get=False
    ),
    "rectification:finding_photos": _page(
        "rectification:finding_photos", _photo_findings, reader=R
    ),
    "rectification:import": _page("rectification:import", writes=W, reader=R),
    "rectification:import_detail": _page("rectification:import_detail", _imports, reader=None),
    "rectification:import_confirm": _page(
        "rectification:import_confirm", _imports, writes=W, get=False
    ),
    "rectification:import_cancel": _page(
        "rectification:import_cancel", _imports, writes=W, get=False
    ),
    "rectification-item-list": _api("rectification-item-list", writes=W),
    "rectification-item-detail": _api("rectification-item-detail", _items, writes=("PUT", "PATCH")),
    "rectification-item-notes": _api("rectification-item-notes", _items),
    "rectification-campaign-list": _api("rectification-campaign-list", writes=W),
    # Campaigns group the county's items; every area of the county may read them.
    "rectification-campaign-detail": _api(
        "rectification-campaign-detail", _campaigns, writes=("PUT", "PATCH"), area_scoped=False
    ),
    "complaint-list": _api("complaint-list", writes=W),
    "complaint-detail": _api("complaint-detail", _complaints, writes=("PUT", "PATCH")),
    "complaint-convert": _api("complaint-convert", _complaints, writes=W, get=False),
    "selfcheck-finding-list": _api("selfcheck-finding-list"),
    "selfcheck-finding-detail": _api("selfcheck-finding-detail", _findings),
    "selfcheck-finding-run": _api("selfcheck-finding-run", writes=W, get=False),
    "selfcheck-finding-convert": _api("selfcheck-finding-convert", writes=W, get=False),
    "selfcheck-finding-dismiss": _api("selfcheck-finding-dismiss", _findings, writes=W, get=False),
}
for action in ("start", "note", "submit", "close", "reopen"):
    name = f"rectification-item-{action}"
    ENTRIES[name] = _api(name, _items, writes=W, get=False)
