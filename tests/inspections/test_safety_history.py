"""Issue 15 point 1 and 2: a house's safety is a dated history; the ledger, the monthly
report, the comparison export and the self-check read its current state; a renovated house
damaged again is back on the ledger and may be renovated again once re-admitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from core.errors import DomainError
from inspections import selectors
from inspections.department_exports import department_queryset
from inspections.models import Appraisal, SafetyState
from inspections.services import appraisal_record
from rectification.selfcheck import cd_not_started
from renovation import services as renovation
from renovation.models import ProjectStatus, RenovationMethod
from reports.selectors import township_figures
from subsidies.models import DisasterReadmission
from tests.factories import HouseholdFactory
from tests.inspections.factories import pdf_bytes, upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus
TODAY = dt.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 10, 10, 0), tick=False):
        yield


def appraise(household, by, level, on):
    return appraisal_record(
        household=household,
        by=by,
        level=level,
        method="assessed" if level in ("A", "B", "C") else "third_party",
        appraiser_name="李工",
        institution="县房屋安全鉴定站",
        appraised_on=on,
    )


def close_out(household, on):
    """A renovation of the household, closed out on `on` (the service writes the state)."""
    from inspections.services import safety_state_record

    project = make_project(household, S.CLOSED, year=on.year, closed_on=on)
    # The factory's own appraisal goes before the close-out (its state follows: a trigger).
    Appraisal.objects.filter(pk=project.appraisal_id).update(
        appraised_on=on - dt.timedelta(days=200)
    )
    safety_state_record(
        household=household, level="safe", on=on, source="closeout", project_id=project.pk
    )
    return project


def test_every_list_agrees_and_excludes_the_house_renovated_as_safe(areas, county_reviewer):
    dangerous = HouseholdFactory(village=areas["village"], head_name="甲")
    renovated = HouseholdFactory(village=areas["village"], head_name="乙")
    damaged_again = HouseholdFactory(village=areas["village"], head_name="丙")
    appraise(dangerous, county_reviewer, "C", dt.date(2026, 3, 1))
    appraise(renovated, county_reviewer, "D", dt.date(2025, 3, 1))
    close_out(renovated, dt.date(2025, 11, 20))
    appraise(damaged_again, county_reviewer, "D", dt.date(2015, 3, 1))
    close_out(damaged_again, dt.date(2015, 11, 20))
    appraise(damaged_again, county_reviewer, "C", dt.date(2021, 6, 1))  # document 004, finding 2

    # Expected, computed from the history itself: the newest state of each household.
    expected = {
        h.head_name
        for h in (dangerous, renovated, damaged_again)
        if SafetyState.objects.filter(household=h).order_by("-on", "-id").first().level
        in ("C", "D", "none")
    }
    assert expected == {"甲", "丙"}

    ledger = {h.head_name for h in selectors.ledger(county_reviewer)}
    comparison = {h.head_name for h in department_queryset(county_reviewer)}
    figures = township_figures(areas["county"], dt.date(2026, 12, 1))[areas["township"].code]
    assert ledger == comparison == expected
    assert (figures["appraised_c"], figures["appraised_d"]) == (2, 0)
    # The earlier renovation is shown with the house that is back.
    row = next(h for h in selectors.ledger(county_reviewer) if h.head_name == "丙")
    assert row.renovated_on == dt.date(2015, 11, 20)


def test_renovated_then_damaged_is_back_and_needs_re_admission_for_a_new_project(
    client, areas, county_reviewer, township_user, settings
):
    household = HouseholdFactory(village=areas["village"], head_name="王五")
    appraise(household, county_reviewer, "D", dt.date(2024, 3, 1))
    earlier = close_out(household, dt.date(2024, 11, 20))
    assert selectors.current_state(household).level == "safe"
    assert household not in selectors.ledger(county_reviewer)

    # A safe house cannot apply without a new appraisal.
    with pytest.raises(DomainError, match="改造验收销号（安全）"):
        renovation.project_apply(
            household=household,
            by=township_user,
            year=2026,
            method=RenovationMethod.REBUILD,
            applied_on=TODAY,
        )

    # A flood: appraised C again. Back on the ledger, with the earlier renovation.
    appraise(household, county_reviewer, "C", dt.date(2026, 7, 20))
    assert household in selectors.ledger(county_reviewer)
    # "C/D not started" counts from the new appraisal, not from the old project's start.
    settings.ANJU_SELFCHECK_NOT_STARTED_DAYS = 90
    found = {f.household_ids[0] for f in cd_not_started(areas["county"].code[:6], TODAY)}
    assert household.pk in found
    assert household.pk not in {
        f.household_ids[0] for f in cd_not_started(areas["county"].code[:6], dt.date(2026, 9, 1))
    }

    # Without re-admission the new application is refused, naming the earlier renovation.
    with pytest.raises(DomainError, match="再次改造须先登记因灾再次纳入"):
        renovation.project_apply(
            household=household,
            by=township_user,
            year=2026,
            method=RenovationMethod.REPAIR,
            applied_on=TODAY,
        )
    # The re-admission page of the household, then the application is allowed.
    client.force_login(township_user)
    page = client.get(f"/inspections/households/{household.pk}/").content.decode()
    assert 'id="readmission-link"' in page and "安全状态历史" in page
    response = client.post(
        f"/subsidies/readmission/{household.pk}/",
        {"proof_file": upload("证明.pdf", pdf_bytes(), "application/pdf"), "note": "暴雨"},
    )
    assert response.status_code == 302
    project = renovation.project_apply(
        household=household,
        by=township_user,
        year=2026,
        method=RenovationMethod.REPAIR,
        applied_on=TODAY,
    )
    assert project.disaster_readmission.household == household
    assert project.pk != earlier.pk
    # The double-subsidy rule at payout sees the proof through the project.
    assert DisasterReadmission.objects.filter(project=project).exists()


def test_re_admission_needs_an_earlier_renovation_and_a_dangerous_house(
    api_client, areas, county_reviewer, township_user
):
    never = HouseholdFactory(village=areas["village"])
    appraise(never, county_reviewer, "D", dt.date(2026, 3, 1))
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/readmissions/",
        {"household": never.pk, "proof_file": upload("p.pdf", pdf_bytes(), "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400 and "无需因灾再次纳入" in response.json()["detail"]
    safe = HouseholdFactory(village=areas["village"])
    appraise(safe, county_reviewer, "D", dt.date(2024, 3, 1))
    close_out(safe, dt.date(2024, 11, 20))
    response = api_client.post(
        "/api/readmissions/",
        {"household": safe.pk, "proof_file": upload("p.pdf", pdf_bytes(), "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400 and "须先有改造销号之后的新鉴定" in response.json()["detail"]
    assert Decimal("0") == Decimal(DisasterReadmission.objects.count())


def test_an_appraisal_written_by_raw_sql_is_a_state_too(household, county_reviewer):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inspections_appraisal (household_id, level, method, appraiser_name,"
            " institution, appraised_on, report_file, report_content_type, note, is_reappraisal,"
            " disputed, dispute_note, created_by_id, created_at) VALUES (%s, 'D', 'third_party',"
            " '李工', '', '2026-05-01', '', '', '', false, false, '', %s, now())",
            [household.pk, county_reviewer.pk],
        )
    state = selectors.current_state(household)
    assert (state.level, state.on, state.source) == ("D", dt.date(2026, 5, 1), "appraisal")
