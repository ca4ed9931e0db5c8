from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.inspections.factories import (
    CampaignFactory,
    EmergencyMeasureFactory,
    HazardReportFactory,
    jpeg_bytes,
    pdf_bytes,
    upload,
)
from tests.permissions.matrix import Case


def _reviewer(areas):
    from tests.factories import UserFactory

    return UserFactory(username="matrix_reviewer", role="county_reviewer", area=areas["county"])


def _households(areas, user):
    return (
        HouseholdFactory(village=areas["village"]),
        HouseholdFactory(village=areas["other_village"]),
    )


def _appraisals(areas, user):
    from inspections import services

    reviewer = _reviewer(areas)
    own, other = _households(areas, user)
    return tuple(
        services.appraisal_record(
            household=h,
            by=reviewer,
            level="D",
            method="assessed",
            appraiser_name="王工",
            appraised_on=dt.date(2026, 11, 2),
            report_file=upload("r.pdf", pdf_bytes(), "application/pdf"),
        )
        for h in (own, other)
    )


def _inspections(areas, user):
    from inspections import services

    reviewer = _reviewer(areas)
    return tuple(
        services.inspection_record(
            household=h,
            by=reviewer,
            inspected_on=dt.date(2026, 11, 3),
            occupied=True,
            findings="住人",
            photos=[upload("b.jpg", jpeg_bytes())],
        )
        for h in _households(areas, user)
    )


def _photos(areas, user):
    from inspections.models import Photo

    own, other = _inspections(areas, user)
    return Photo.objects.get(inspection=own), Photo.objects.get(inspection=other)


def _hazards(areas, user):
    own, other = _households(areas, user)
    reviewer = _reviewer(areas)
    return (
        HazardReportFactory(household=own, reporter=reviewer),
        HazardReportFactory(household=other, reporter=reviewer),
    )


def _campaigns(areas, user):
    reviewer = _reviewer(areas)
    return (
        CampaignFactory(areas=[areas["township"]], created_by=reviewer),
        CampaignFactory(areas=[areas["other_township"]], created_by=reviewer),
    )


def _measures(areas, user):
    own, other = _households(areas, user)
    reviewer = _reviewer(areas)
    return (
        EmergencyMeasureFactory(household=own, created_by=reviewer),
        EmergencyMeasureFactory(household=other, created_by=reviewer),
    )


def _department_lists(areas, user):
    from inspections import services

    reviewer = _reviewer(areas)
    return tuple(
        services.department_list_create(
            by=reviewer, department="minzheng", received_on=dt.date(2026, 11, 2), households=[h]
        )
        for h in _households(areas, user)
    )


def _ledger(areas, user):
    return tuple(a.household for a in _appraisals(areas, user))


def _page(name, objects=None, **kw):
    if objects is None:
        return Case("page", lambda o: reverse(name), **kw)
    return Case("page", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _api(name, objects=None, **kw):
    if objects is None:
        return Case("api", lambda o: reverse(name), **kw)
    return Case("api", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


W = ("POST",)
ENTRIES = {
    "inspections:overview": _page("inspections:overview"),
    "inspections:household": _page("inspections:household", _households),
    "inspections:inspection_create": _page("inspections:inspection_create", _households, writes=W),
    "inspections:appraisal_create": _page(
        "inspections:appraisal_create", _households, writes=W, reader="county_reviewer"
    ),
    "inspections:hazard_create": _page("inspections:hazard_create", _households, writes=W),
    "inspections:emergency_create": _page("inspections:emergency_create", _households, writes=W),
    "inspections:field": _page("inspections:field"),
    "inspections:field_households": _page("inspections:field_households"),
    "inspections:ledger": _page("inspections:ledger"),
    "inspections:ledger_export": _page("inspections:ledger_export"),
    "inspections:pending": _page("inspections:pending"),
    "inspections:hazard_queue": _page("inspections:hazard_queue"),
    "inspections:hazard_detail": _page("inspections:hazard_detail", _hazards, writes=W),
    "inspections:campaign_list": _page("inspections:campaign_list"),
    "inspections:campaign_create": _page(
        "inspections:campaign_create", writes=W, reader="county_reviewer"
    ),
    "inspections:campaign_detail": _page("inspections:campaign_detail", _campaigns),
    "inspections:photo_file": _page("inspections:photo_file", _photos),
    "inspections:photo_thumb": _page("inspections:photo_thumb", _photos),
    "inspections:appraisal_report": _page("inspections:appraisal_report", _appraisals),
    "appraisal-list": _api("appraisal-list", writes=W),
    "appraisal-detail": _api("appraisal-detail", _appraisals),
    "appraisal-dispute": _api("appraisal-dispute", _appraisals, writes=W, get=False),
    "inspection-list": _api("inspection-list", writes=W),
    "inspection-detail": _api("inspection-detail", _inspections),
    "hazard-report-list": _api("hazard-report-list", writes=W),
    "hazard-report-detail": _api("hazard-report-detail", _hazards),
    "hazard-report-verify": _api("hazard-report-verify", _hazards, writes=W, get=False),
    "campaign-list": _api("campaign-list", writes=W),
    "campaign-detail": _api("campaign-detail", _campaigns, writes=("PUT", "PATCH")),
    "campaign-progress": _api("campaign-progress", _campaigns),
    "emergency-measure-list": _api("emergency-measure-list", writes=W),
    "emergency-measure-detail": _api("emergency-measure-detail", _measures),
    "ledger-list": _api("ledger-list"),
    "ledger-detail": _api("ledger-detail", _ledger),
    "department-list-list": _api("department-list-list", writes=W),
    # A department's list covers the county; its entries are narrowed to the user's area
    # (tests/inspections: a township sees only its own households on a county list).
    "department-list-detail": _api("department-list-detail", _department_lists, area_scoped=False),
}
