"""Projects at any step, built directly (the database trigger only checks updates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Role
from renovation.models import (
    PATH,
    Acceptance,
    Commitment,
    ProjectStatus,
    Publicity,
    PublicityLevel,
    QualityCheck,
    RenovationMethod,
    RenovationProject,
)
from tests.factories import UserFactory
from tests.inspections.factories import AppraisalFactory, pdf_bytes, upload

S = ProjectStatus
ORDER = list(PATH)
YEAR = 2026


def _helper_user():
    return UserFactory(username="helper", role=Role.COUNTY_REVIEWER, full_name="录入员")


def appraise(household, level="D", on=dt.date(2026, 1, 10)):
    return AppraisalFactory(
        household=household, level=level, appraised_on=on, created_by=_helper_user()
    )


def make_project(household, status=S.APPLIED, *, level="D", method=None, **fields):
    """A project at `status`, with the dates and records that the steps before it leave."""
    user = _helper_user()
    appraisal = appraise(household, level)
    reached = ORDER.index(status) if status in ORDER else 0
    method = method or (RenovationMethod.REPAIR if level == "C" else RenovationMethod.REBUILD)
    values = {
        "household": household,
        "year": YEAR,
        "status": status,
        "danger_level": level,
        "appraisal": appraisal,
        "method": method,
        "applied_on": dt.date(2026, 2, 1),
        "applied_by": user,
    }
    steps = [
        {},
        {"village_reviewed_on": dt.date(2026, 2, 5)},
        {"township_reviewed_on": dt.date(2026, 2, 10), "township_reviewed_by": user},
        {"joint_reviewed_on": dt.date(2026, 2, 20), "joint_reviewed_by": user},
        {},
        {
            "approved_on": dt.date(2026, 3, 20),
            "approved_amount": Decimal("50000.00"),
            "amount_explanation": "D级 3人：30,000 + 2×10,000 = 50,000",
        },
        {"notified_on": dt.date(2026, 3, 25), "completion_due": dt.date(2026, 7, 31)},
        {
            "started_on": dt.date(2026, 4, 1),
            "build_mode": "self_build",
            "builder_kind": "craftsman",
            "builder_name": "王师傅",
        },
        {"completed_on": dt.date(2026, 5, 1)},
        {"accepted_on": dt.date(2026, 5, 10), "built_area": Decimal("60")},
        {"closed_on": dt.date(2026, 5, 15), "closed_by": user},
    ]
    for step in steps[: reached + 1]:
        values.update(step)
    values.update(fields)
    project = RenovationProject.objects.create(**values)
    if reached >= ORDER.index(S.PUBLICITY):
        for i, level_ in enumerate(PublicityLevel):
            start = dt.date(2026, 3, 1) + dt.timedelta(days=7 * i)
            Publicity.objects.create(
                project=project,
                level=level_,
                starts_on=start,
                ends_on=start + dt.timedelta(days=6),
                recorded_by=user,
            )
    if reached >= ORDER.index(S.UNDER_CONSTRUCTION):
        Commitment.objects.create(project=project, signed_on=dt.date(2026, 3, 26), recorded_by=user)
    if reached >= ORDER.index(S.COMPLETED):
        QualityCheck.objects.create(
            project=project,
            checked_on=dt.date(2026, 4, 15),
            inspector="李工",
            result="passed",
            recorded_by=user,
        )
    if reached >= ORDER.index(S.ACCEPTED):
        Acceptance.objects.create(
            project=project,
            accepted_on=values["accepted_on"],
            participants="乡镇、村、农户、工匠",
            evaluation_passed=True,
            evaluation_form=upload("form.pdf", pdf_bytes(), "application/pdf"),
            evaluation_content_type="application/pdf",
            built_area=values["built_area"],
            recorded_by=user,
        )
    return project
