"""Issue 14.11: a campaign is seen county-wide, its items only in their area; its count too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.rectification.factories import CampaignFactory, ItemFactory


@pytest.fixture
def campaign(areas, county_reviewer):
    """Five items: one in the first township, four in the other."""
    campaign = CampaignFactory(area=areas["county"], created_by=county_reviewer)
    ItemFactory(area=areas["township"], campaign=campaign, created_by=county_reviewer)
    for _ in range(4):
        ItemFactory(area=areas["other_township"], campaign=campaign, created_by=county_reviewer)
    return campaign


def _page_count(client, user, campaign) -> str:
    client.force_login(user)
    html = client.get(reverse("rectification:campaign_list")).content.decode()
    row = html.split(campaign.name, 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="num">', 1)[1].split("</td>", 1)[0]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_reviewer", 5),
        ("township_user", 1),
        ("other_township_user", 4),
        ("village_clerk", 0),
    ],
)
def test_campaign_item_count_counts_only_visible_items(
    client, api_client, request, campaign, who, expected
):
    user = request.getfixturevalue(who)
    assert _page_count(client, user, campaign) == str(expected)

    api_client.force_authenticate(user)
    rows = api_client.get("/api/rectification-campaigns/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [r["item_count"] for r in rows if r["id"] == campaign.pk] == [expected]
