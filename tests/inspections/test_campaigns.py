import datetime as dt

import pytest
from django.urls import reverse

from core.errors import DomainError
from households.models import Household
from inspections import services
from inspections.models import Campaign
from tests.factories import HouseholdFactory
from tests.inspections.factories import CampaignFactory, InspectionFactory


@pytest.fixture
def scene(areas, county_reviewer):
    campaign = CampaignFactory(areas=[areas["township"]], created_by=county_reviewer)
    other = CampaignFactory(name="别的批次", areas=[areas["township"]], created_by=county_reviewer)
    v1 = [HouseholdFactory(head_name=f"东{i}", village=areas["village"]) for i in range(4)]
    v2 = [HouseholdFactory(head_name=f"西{i}", village=areas["village2"]) for i in range(3)]
    HouseholdFactory(head_name="南0", village=areas["other_village"])  # outside the scope
    for h in (v1[0], v1[2], v2[1]):
        InspectionFactory(household=h, campaign=campaign, inspected_on=dt.date(2026, 10, 1))
    InspectionFactory(household=v1[1], campaign=other, inspected_on=dt.date(2026, 10, 1))
    InspectionFactory(household=v1[3], inspected_on=dt.date(2026, 10, 1))  # not in a campaign
    return campaign


def _independent(campaign, village_code):
    in_scope = Household.objects.filter(village_id=village_code)
    checked = in_scope.filter(inspections__campaign=campaign).distinct()
    return (
        in_scope.count(),
        checked.count(),
        sorted(in_scope.exclude(pk__in=checked).values_list("head_name", flat=True)),
    )


def test_progress_matches_independent_count(api_client, county_reviewer, scene, areas):
    api_client.force_authenticate(county_reviewer)
    data = api_client.get(f"/api/campaigns/{scene.pk}/progress/").json()
    assert (data["total"], data["checked"]) == (7, 3)
    assert [(t["name"], t["total"], t["checked"]) for t in data["townships"]] == [("临泉镇", 7, 3)]
    for row in data["villages"]:
        total, checked, unchecked = _independent(scene, row["code"])
        assert (row["total"], row["checked"]) == (total, checked)
        assert sorted(h["head_name"] for h in row["unchecked"]) == unchecked
    assert sorted(h["head_name"] for r in data["villages"] for h in r["unchecked"]) == [
        "东1",
        "东3",
        "西0",
        "西2",
    ]


def test_progress_page(client, township_user, scene):
    client.force_login(township_user)
    page = client.get(reverse("inspections:campaign_detail", args=[scene.pk])).content.decode()
    assert 'id="progress-checked">3<' in page and 'id="progress-total">7<' in page
    for name in ["东1", "东3", "西0", "西2"]:
        assert name in page
    assert "南0" not in page


def test_other_township_cannot_see_campaign(client, other_township_user, scene):
    client.force_login(other_township_user)
    assert client.get(reverse("inspections:campaign_detail", args=[scene.pk])).status_code == 404


def test_county_wide_campaign_visible_to_township(client, township_user, county_reviewer, areas):
    campaign = CampaignFactory(areas=[areas["county"]], created_by=county_reviewer)
    HouseholdFactory(head_name="南0", village=areas["other_village"])
    client.force_login(township_user)
    page = client.get(reverse("inspections:campaign_detail", args=[campaign.pk])).content.decode()
    assert "南0" not in page  # the township sees its own part of the county campaign


def test_create_campaign_page(client, county_reviewer, areas):
    client.force_login(county_reviewer)
    response = client.post(
        reverse("inspections:campaign_create"),
        {
            "name": "2027解冻后回头看",
            "kind": "after_thaw",
            "areas": [areas["township"].code],
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert list(campaign.areas.all()) == [areas["township"]]


def test_campaign_rules(county_reviewer, township_user, areas):
    with pytest.raises(DomainError, match="结束日期不能早于开始日期"):
        services.campaign_create(
            by=county_reviewer,
            name="x",
            kind="disaster",
            areas=[areas["county"]],
            starts_on=dt.date(2026, 11, 2),
            ends_on=dt.date(2026, 11, 1),
        )
    with pytest.raises(DomainError, match="您的角色无权创建排查批次"):
        services.campaign_create(
            by=township_user,
            name="x",
            kind="disaster",
            areas=[areas["township"]],
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2026, 11, 2),
        )
    assert not Campaign.objects.exists()


def test_api_update_campaign(api_client, county_reviewer, areas):
    campaign = CampaignFactory(areas=[areas["township"]], created_by=county_reviewer)
    api_client.force_authenticate(county_reviewer)
    response = api_client.patch(f"/api/campaigns/{campaign.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "改名"
