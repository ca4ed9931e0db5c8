"""A campaign or finding another user is changing right now: refused at once (NOWAIT)."""

from __future__ import annotations

import pytest

from core.errors import ConflictError
from rectification import services
from rectification.models import RectificationCampaign, Source
from tests.row_lock import answers_at_once, row_held

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_edit_of_a_held_campaign_is_a_conflict_at_once(county_reviewer):
    campaign = services.campaign_create(by=county_reviewer, name="第一批", source=Source.NATIONAL)
    held = row_held(RectificationCampaign, campaign.pk)
    with held, answers_at_once(), pytest.raises(ConflictError):
        services.campaign_update(campaign=campaign, by=county_reviewer, name="改名")
    assert RectificationCampaign.objects.unscoped("test").get(pk=campaign.pk).name == "第一批"


def test_the_api_answers_409_for_a_held_campaign(county_reviewer):
    from rest_framework.test import APIClient

    campaign = services.campaign_create(by=county_reviewer, name="第一批", source=Source.NATIONAL)
    client = APIClient()
    client.force_authenticate(county_reviewer)
    with row_held(RectificationCampaign, campaign.pk), answers_at_once():
        response = client.patch(
            f"/api/rectification-campaigns/{campaign.pk}/", {"name": "改名"}, format="json"
        )
    assert response.status_code == 409, response.content
