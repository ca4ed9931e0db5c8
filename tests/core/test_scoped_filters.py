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


@pytest.mark.django_db
def test_nul_byte_in_a_multipart_form_field_is_a_400(client, county_reviewer):
    # Browsers post forms with files as multipart: their text fields are checked too.
    client.force_login(county_reviewer)
    response = client.post("/exports/ledger/start/", {"emergency": "1\x002"})
    assert response.status_code == 400
