from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.permissions.matrix import Case


def _reviewer(areas):
    from tests.factories import UserFactory

    return UserFactory(username="matrix_pay", role="county_reviewer", area=areas["county"])


def _batches(areas, user):
    """Batches belong to the county: township users see none of them (404)."""
    from tests.subsidies.factories import batch

    own = batch(_reviewer(areas))
    return own, own


def _lines(areas, user):
    from subsidies.models import PayoutLine
    from tests.subsidies.factories import accepted_project, batch

    reviewer = _reviewer(areas)
    payout = batch(reviewer)
    lines = []
    for village in (areas["village"], areas["other_village"]):
        project = accepted_project(
            HouseholdFactory(village=village), accepted_on=dt.date(2026, 11, 2)
        )
        lines.append(
            PayoutLine.objects.create(
                batch=payout,
                project=project,
                amount=Decimal("1000.00"),
                account=project.household.bank_account,
                account_masked=project.household.bank_account_masked,
                created_by=reviewer,
            )
        )
    return tuple(lines)


def _advances(areas, user):
    from subsidies.models import TownshipAdvance
    from tests.subsidies.factories import accepted_project

    reviewer = _reviewer(areas)
    result = []
    for village, township in (
        (areas["village"], areas["township"]),
        (areas["other_village"], areas["other_township"]),
    ):
        project = accepted_project(HouseholdFactory(village=village))
        result.append(
            TownshipAdvance.objects.create(
                project=project,
                township=township,
                amount=Decimal("10000.00"),
                advanced_on=dt.date(2026, 6, 1),
                recorded_by=reviewer,
            )
        )
    return tuple(result)


def _standards(areas, user):
    from subsidies.calculator import ensure_standards
    from subsidies.models import SubsidyStandard

    ensure_standards(areas["county"], 2026)
    standard = SubsidyStandard.objects.filter(county=areas["county"]).first()
    return standard, standard


def _page(name, objects=None, **kw):
    if objects is None:
        return Case("page", lambda o: reverse(name), **kw)
    return Case("page", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _api(name, objects=None, **kw):
    if objects is None:
        return Case("api", lambda o: reverse(name), **kw)
    return Case("api", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


W = ("POST",)
R = "county_reviewer"
ENTRIES = {
    "subsidies:overview": _page("subsidies:overview", reader=R),
    "subsidies:calculator": _page("subsidies:calculator"),
    "subsidies:standard_list": _page("subsidies:standard_list"),
    # Township users see the standard's amounts on the list and in the calculator; the lines
    # themselves are county records.
    "subsidies:standard_edit": _page("subsidies:standard_edit", _standards, writes=W, reader=R),
    "subsidies:batch_list": _page("subsidies:batch_list", writes=W, reader=R),
    "subsidies:batch_detail": _page("subsidies:batch_detail", _batches, reader=R),
    "subsidies:batch_action": Case(
        "page",
        lambda o: reverse("subsidies:batch_action", args=[o.pk, "submit"]),
        objects=_batches,
        writes=W,
        get=False,
    ),
    "subsidies:batch_xlsx": _page("subsidies:batch_xlsx", _batches, reader=R),
    "subsidies:batch_pdf": _page("subsidies:batch_pdf", _batches, reader=R),
    "subsidies:batch_voucher": _page("subsidies:batch_voucher", _batches, reader=None),
    "subsidies:line_list": _page("subsidies:line_list"),
    "subsidies:advance_list": _page("subsidies:advance_list", writes=W),
    "subsidies:advance_reimburse": _page(
        "subsidies:advance_reimburse", _advances, writes=W, get=False
    ),
    "payout-batch-list": _api("payout-batch-list", writes=W, reader=R),
    "payout-batch-detail": _api(
        "payout-batch-detail", _batches, writes=("PUT", "PATCH", "DELETE"), reader=R
    ),
    "payout-line-list": _api("payout-line-list"),
    "payout-line-detail": _api("payout-line-detail", _lines),
    "township-advance-list": _api("township-advance-list", writes=W),
    "township-advance-detail": _api("township-advance-detail", _advances),
    "township-advance-reimburse": _api(
        "township-advance-reimburse", _advances, writes=W, get=False
    ),
    "township-advance-report": _api("township-advance-report", _advances, writes=W, get=False),
    "subsidies:advance_report": _page("subsidies:advance_report", _advances, writes=W, get=False),
    "subsidy-standard-list": _api("subsidy-standard-list"),
    "subsidy-standard-detail": _api(
        "subsidy-standard-detail", _standards, writes=("PUT", "PATCH"), reader=R
    ),
    "subsidy-calculate-list": Case(
        "api",
        lambda o: reverse("subsidy-calculate-list") + "?category=dibao&family_size=3&level=D",
    ),
}


def _allocations(areas, user):
    """Allocations belong to the county: every area of it may read them."""
    from tests.subsidies.factories import allocation

    own = allocation(_reviewer(areas))
    return own, own


ENTRIES["subsidies:funds"] = _page("subsidies:funds", writes=W, reader=R)
ENTRIES["fund-allocation-list"] = _api("fund-allocation-list", writes=W, reader=R)
ENTRIES["fund-allocation-detail"] = _api(
    "fund-allocation-detail", _allocations, reader=R, area_scoped=False
)
ENTRIES["fund-allocation-summary"] = _api("fund-allocation-summary", reader=R)
for action in ("add-lines", "submit", "send-back", "pay", "reconcile", "set-allocation"):
    name = f"payout-batch-{action}"
    ENTRIES[name] = _api(name, _batches, writes=W, get=False)
# The 一卡通 result import (subsidies.roster): county roles that record payments only.
ENTRIES["subsidies:roster_result"] = _page("subsidies:roster_result", _batches, writes=W, reader=R)


def _result_imports(areas, user):
    """A result file uploaded for a county batch: the county's payment roles only."""
    from subsidies.models import PayoutResultImport
    from tests.subsidies.factories import batch

    reviewer = _reviewer(areas)
    own = PayoutResultImport.objects.create(
        batch=batch(reviewer),
        batch_version=1,
        created_by=reviewer,
        area=areas["county"],
        filename="支付结果.xlsx",
    )
    return own, own


ENTRIES["subsidies:roster_result_detail"] = _page(
    "subsidies:roster_result_detail", _result_imports, reader=R
)
for _name in ("subsidies:roster_result_confirm", "subsidies:roster_result_cancel"):
    ENTRIES[_name] = _page(_name, _result_imports, writes=W, get=False)


def _readmissions(areas, user):
    from subsidies.models import DisasterReadmission
    from tests.inspections.factories import pdf_bytes, upload

    reviewer = _reviewer(areas)
    result = []
    for village in (areas["village"], areas["other_village"]):
        record = DisasterReadmission(
            household=HouseholdFactory(village=village),
            proof_content_type="application/pdf",
            recorded_by=reviewer,
            recorded_on=dt.date(2026, 11, 1),
        )
        record.proof_file.save("proof.pdf", upload("p.pdf", pdf_bytes(), "application/pdf"))
        result.append(record)
    return tuple(result)


ENTRIES["subsidies:readmission"] = Case(
    "page",
    lambda o: reverse("subsidies:readmission", args=[o.pk]),
    objects=lambda areas, user: (
        HouseholdFactory(village=areas["village"]),
        HouseholdFactory(village=areas["other_village"]),
    ),
    writes=W,
    reader=None,  # the form is for writers; officials get 403, another area 404
)
ENTRIES["readmission-list"] = _api("readmission-list", writes=W)
ENTRIES["readmission-detail"] = _api("readmission-detail", _readmissions)


def _historic_imports(areas, user):
    from households.models import HouseholdImport, ImportKind
    from tests.factories import UserFactory

    other = UserFactory(
        username="matrix_historic", role="township_staff", area=areas["other_township"]
    )
    return tuple(
        HouseholdImport.objects.create(
            kind=ImportKind.HISTORIC, created_by=u, area_id=u.area_id, filename="h.xlsx"
        )
        for u in (user, other)
    )


def _historic(areas, user):
    from subsidies.models import HistoricRenovation

    return tuple(
        HistoricRenovation.objects.create(
            household=HouseholdFactory(village=village),
            year=2015,
            method="修缮加固",
            amount=Decimal("5000"),
            source="2015年台账",
            created_by=_reviewer(areas),
        )
        for village in (areas["village"], areas["other_village"])
    )


ENTRIES["subsidies:historic-import"] = _page("subsidies:historic-import", writes=W)
ENTRIES["subsidies:historic-detail"] = _page("subsidies:historic-detail", _historic_imports)
for _name in ("subsidies:historic-confirm", "subsidies:historic-cancel"):
    ENTRIES[_name] = _page(_name, _historic_imports, writes=W, get=False)
ENTRIES["historic-renovation-list"] = _api("historic-renovation-list")
ENTRIES["historic-renovation-detail"] = _api("historic-renovation-detail", _historic)
