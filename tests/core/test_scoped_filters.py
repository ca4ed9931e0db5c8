"""API filters by a related object never reach another area's rows."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_model_choice_filter_refuses_another_areas_household(
    api_client, township_user, household, other_household
):
    # `filterset_fields = ["household"]` makes a model-choice filter: its choices are scoped
    # (core.filters.ScopedFilterBackend), so another area's household is an invalid choice,
    # exactly like one that does not exist — not a 500, not a lookup outside the area.
    api_client.force_authenticate(township_user)
    url = "/api/emergency-measures/"
    assert api_client.get(url, {"household": household.pk}).status_code == 200
    other = api_client.get(url, {"household": other_household.pk})
    missing = api_client.get(url, {"household": 999999999})
    assert other.status_code == missing.status_code == 400
    assert other.json().keys() == missing.json().keys()


@pytest.mark.django_db
def test_number_filter_on_a_scoped_list_finds_nothing_elsewhere(
    api_client, township_user, other_household
):
    api_client.force_authenticate(township_user)
    response = api_client.get("/api/inspections/", {"household": other_household.pk})
    assert response.status_code == 200
    assert response.json()["results"] == []
