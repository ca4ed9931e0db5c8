"""The household list at a county's scale: capped counts, the indexes its queries use,
the name search through trigrams and the ID tail through its own column (issue 18 point 2)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import pagination
from households.models import Household
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 5)


def test_page_shows_more_than_cap_without_exact_count(client, county_reviewer, areas, small_cap):
    HouseholdFactory.create_batch(12, village=areas["village"])
    client.force_login(county_reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("households:list"), {"page_size": 4})
    html = response.content.decode()
    assert "超过 5 户" in html
    assert "第 1 页" in html and "第 1 / " not in html and "第 1/" not in html
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the page counts its rows"
    # Every count of households stops at cap + 1 rows: no exact COUNT(*) over the county.
    household_counts = [sql for sql in counts if "households_household" in sql]
    assert household_counts and all("LIMIT 6" in sql for sql in household_counts)
    assert response.context["page_obj"].has_next()

    # The third page is the last (12 rows, 4 a page): it says so without a count.
    third = client.get(reverse("households:list"), {"page_size": 4, "page": 3})
    assert len(third.context["households"]) == 4
    assert not third.context["page_obj"].has_next()
    assert client.get(reverse("households:list"), {"page_size": 4, "page": 4}).status_code == 404
    # "The last page" is the one exact count, when asked for.
    last = client.get(reverse("households:list"), {"page_size": 5, "page": "last"})
    assert last.context["page_obj"].number == 3
    assert len(last.context["households"]) == 2


def test_page_below_cap_keeps_exact_count(client, township_user, areas):
    HouseholdFactory.create_batch(3, village=areas["village"])
    client.force_login(township_user)
    response = client.get(reverse("households:list"))
    assert "共 3 户" in response.content.decode()
    assert response.context["paginator"].count == 3


def test_api_count_is_capped_and_results_unchanged(api_client, county_reviewer, areas, small_cap):
    HouseholdFactory.create_batch(7, village=areas["village"])
    api_client.force_authenticate(county_reviewer)
    with CaptureQueriesContext(connection) as queries:
        first = api_client.get("/api/households/", {"page_size": 3}).json()
    # No exact COUNT(*) of the scope: every count of households stops at cap + 1 rows.
    counts = [
        q["sql"] for q in queries if "COUNT(" in q["sql"] and "households_household" in q["sql"]
    ]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts
    assert first["count"] == 5 and first["count_capped"] is True
    assert len(first["results"]) == 3 and first["next"] and first["previous"] is None
    seen = [r["id"] for r in first["results"]]
    page = first
    while page["next"]:
        page = api_client.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    assert sorted(seen) == sorted(Household.objects.values_list("id", flat=True))
    assert len(seen) == 7


def test_api_count_exact_below_cap(api_client, township_user, areas):
    HouseholdFactory.create_batch(2, village=areas["village"])
    api_client.force_authenticate(township_user)
    body = api_client.get("/api/households/").json()
    assert body["count"] == 2 and body["count_capped"] is False


def test_openapi_schema_documents_capped_count(api_client, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    page = schema["components"]["schemas"]["PaginatedHouseholdList"]
    assert page["properties"]["count_capped"]["type"] == "boolean"
    assert "count_capped" in page["required"]
    assert "超过" in page["properties"]["count"]["description"]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # A test database is tiny and its statistics vary with what ran before: make the
        # planner show which index *can* answer, in order (a bitmap scan never keeps order;
        # with sorting disabled, incremental sorting too, a Sort is left only when no index
        # gives the order; statistics left by an earlier test's committed rows otherwise let
        # the planner start from the few area rows and sort incrementally).
        for setting in (
            "enable_seqscan",
            "enable_bitmapscan",
            "enable_sort",
            "enable_incremental_sort",
        ):
            cursor.execute(f"SET LOCAL {setting} = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("user_fixture", "index"),
    [
        ("county_reviewer", "household_county_order_idx"),
        ("township_user", "household_township_order_idx"),
        ("village_clerk", "household_village_order_idx"),
    ],
)
def test_scoped_page_reads_one_index_in_list_order(request, areas, user_fixture, index):
    from households import selectors

    HouseholdFactory.create_batch(3, village=areas["village"])
    user = request.getfixturevalue(user_fixture)
    plan = _plan(selectors.household_list(user)[20:40])
    assert index in plan, plan
    assert "Sort" not in plan, plan  # the index gives the list's order


def test_name_search_uses_trigram_index_and_id_tail_its_column(county_reviewer, areas):
    from types import SimpleNamespace

    from households import selectors
    from households.filters import HouseholdFilter

    HouseholdFactory(village=areas["village"], head_name="王建国", id_number="141124199001011234")
    HouseholdFactory(village=areas["village2"], head_name="李四")
    request = SimpleNamespace(user=county_reviewer)

    def search(q):
        return HouseholdFilter(
            {"q": q}, queryset=selectors.household_list(county_reviewer), request=request
        ).qs

    assert [h.head_name for h in search("建国")] == ["王建国"]
    assert [h.head_name for h in search("1234")] == ["王建国"]
    assert [h.head_name for h in search("234")] == ["王建国"]
    assert [h.head_name for h in search("西村")] == ["李四"]
    # Each arm of the OR has an index of its own (on a tiny table the planner may still
    # prefer the scope's index: scripts/bench_scale.py prints the plans at scale).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'households_household'"
        )
        indexes = dict(cursor.fetchall())
    assert "gin (upper((head_name)::text) gin_trgm_ops)" in indexes["household_name_trgm_idx"]
    assert "(id_number_tail)" in indexes["household_id_tail_idx"]


def test_id_tail_is_kept_by_the_database(areas):
    household = HouseholdFactory(village=areas["village"], id_number="14112419900101123X")
    assert Household.objects.unscoped("test").get(pk=household.pk).id_number_tail == "123X"


def test_above_the_county_the_village_menu_follows_the_township(client, city_reviewer, city_areas):
    HouseholdFactory(village=city_areas["village"])
    client.force_login(city_reviewer)
    form = client.get(reverse("households:list")).context["filter"].form
    assert list(form.fields["village"].queryset) == []  # none before a township is chosen
    assert "先选乡镇" in str(form["village"])
    township = city_areas["township"]
    form = (
        client.get(reverse("households:list"), {"township": township.code}).context["filter"].form
    )
    assert {v.parent_id for v in form.fields["village"].queryset} == {township.code}
    # A village given in the address alone still filters, and its township's villages show.
    response = client.get(reverse("households:list"), {"village": city_areas["village"].code})
    assert [h.village_id for h in response.context["households"]] == [city_areas["village"].code]
    assert city_areas["village"] in response.context["filter"].form.fields["village"].queryset


def test_a_county_still_lists_all_its_villages(client, county_reviewer, areas):
    client.force_login(county_reviewer)
    form = client.get(reverse("households:list")).context["filter"].form
    assert {v.code for v in form.fields["village"].queryset} == {
        areas[k].code for k in ("village", "village2", "other_village")
    }


@pytest.mark.parametrize("url", ["inspections:ledger", "inspections:overview"])
def test_the_ledger_and_overview_menus_follow_the_township_too(client, city_reviewer, url):
    client.force_login(city_reviewer)
    form = client.get(reverse(url)).context["filter"].form
    assert list(form.fields["village"].queryset) == []


def test_next_links_page_by_keyset_at_any_depth(api_client, county_reviewer, areas, small_cap):
    """Following `next` walks the list by the last row seen (`after`): the same rows as the
    page numbers, in the same order, and no OFFSET however deep."""
    HouseholdFactory.create_batch(7, village=areas["village"])
    HouseholdFactory.create_batch(4, village=areas["village2"])
    api_client.force_authenticate(county_reviewer)
    by_number = []
    for number in (1, 2, 3, 4):
        body = api_client.get("/api/households/", {"page_size": 3, "page": number}).json()
        by_number += [r["id"] for r in body["results"]]
    page = api_client.get("/api/households/", {"page_size": 3}).json()
    seen = [r["id"] for r in page["results"]]
    while page["next"]:
        assert "after=" in page["next"]
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(page["next"])
        page = response.json()
        seen += [r["id"] for r in page["results"]]
        listed = [q["sql"] for q in queries if 'FROM "households_household"' in q["sql"]]
        assert listed and not any("OFFSET" in sql for sql in listed)
        if page["previous"]:
            assert "after=" not in page["previous"]
    assert seen == by_number and len(seen) == 11


def test_a_bad_cursor_is_a_400_and_an_order_without_keyset_pages_by_number(
    api_client, county_reviewer, areas
):
    HouseholdFactory.create_batch(3, village=areas["village"])
    api_client.force_authenticate(county_reviewer)
    for bad in ("x", "WyJhIl0", "bm90IGpzb24", "WzEsMiwzLDRd"):
        response = api_client.get("/api/households/", {"after": bad})
        assert response.status_code == 400, bad
        assert "after" in response.json()
    # ?ordering=head_name does not end in the key: next links stay page numbers.
    body = api_client.get("/api/households/", {"ordering": "head_name", "page_size": 1}).json()
    assert body["next"] and "after=" not in body["next"]
    refused = api_client.get("/api/households/", {"ordering": "head_name", "after": "x"})
    assert refused.status_code == 400


def test_the_capped_count_keeps_an_order_its_index_serves(county_reviewer, areas):
    """Counting cap + 1 rows in the list's own order (an index of the scope) instead of in
    table order: an area loaded last is not read after every other area's rows."""
    HouseholdFactory.create_batch(2, village=areas["village"])
    ordered = Household.objects.visible_to(county_reviewer)  # (village, head_name, id)
    with CaptureQueriesContext(connection) as queries:
        assert pagination.CappedPaginator(ordered, 1).count == 2
        assert pagination.CappedPaginator(ordered.order_by("head_name"), 1).count == 2
    keyed, other = (q["sql"] for q in queries)
    assert "ORDER BY" in keyed and "ORDER BY" not in other


def test_a_city_is_a_range_of_village_codes_with_the_same_rows(city_areas, city_reviewer):
    """Above a county the scope is the range of village codes under the prefix (an index
    range), and it holds exactly the rows that start with it."""
    inside = [
        HouseholdFactory(village=city_areas["village"]),
        HouseholdFactory(village=city_areas["county2_village"]),
    ]
    HouseholdFactory(village=city_areas["far_village"])  # the province's other city
    visible = Household.objects.visible_to(city_reviewer)
    assert sorted(h.pk for h in visible) == sorted(h.pk for h in inside)
    sql = str(visible.query)
    assert "LIKE" not in sql and '"village_id" >= 1411' in sql.replace("'", "")
    assert set(Household.objects.in_area("14")) == set(Household.objects.in_area("1"))
    # A prefix of nines has nothing above it: the range is open at the top.
    assert Household.objects.in_area("99").count() == 0
    assert "<" not in str(Household.objects.in_area("99").query).split("WHERE")[1]


def _only_index(name: str) -> None:
    """Drop the households' other indexes (the test's transaction rolls it back). On the
    few rows of a test the planner picks whichever index it likes and filters the rest; at
    scale the bench's plans show its choice. Here: does this index alone answer the query's
    range and order?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes i WHERE tablename = 'households_household'"
            " AND indexname <> %s AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [name],
        )
        for (other,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{other}"')


@pytest.mark.parametrize(
    ("user_fixture", "index"),
    [
        ("county_reviewer", "household_county_cat_idx"),
        ("township_user", "household_township_cat_idx"),
        ("city_reviewer", "household_cat_order_idx"),
    ],
)
def test_the_category_filter_reads_one_index_in_list_order(request, user_fixture, index):
    from households import selectors

    areas = request.getfixturevalue("city_areas")
    HouseholdFactory.create_batch(3, village=areas["village"])
    user = request.getfixturevalue(user_fixture)
    _only_index(index)
    plan = _plan(selectors.household_list(user).filter(category="tekun")[:20])
    assert index in plan, plan
    assert "Sort" not in plan and "Filter" not in plan, plan  # range and order: the index


def test_a_city_ledger_page_is_the_start_of_the_ledger_index(city_areas, city_reviewer):
    from households.models import LEDGER_ORDER_LEVELS
    from inspections import selectors
    from inspections.models import LEDGER_LEVELS

    assert tuple(LEDGER_ORDER_LEVELS) == tuple(LEDGER_LEVELS)
    _only_index("household_ledger_order_idx")
    plan = _plan(selectors.ledger(city_reviewer)[:50])
    assert "household_ledger_order_idx" in plan, plan
    assert "Sort" not in plan, plan


@pytest.fixture
def shallow_deep_pages(monkeypatch, small_cap):
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 3)


def test_deep_pages_read_their_keys_first_and_show_the_same_rows(
    api_client, client, county_reviewer, areas, shallow_deep_pages
):
    """Past DEEP_OFFSET a numbered page finds its keys along an index first (one query
    still): the pages hold the rows an OFFSET would, in the same order."""
    HouseholdFactory.create_batch(9, village=areas["village"])
    HouseholdFactory.create_batch(4, village=areas["village2"])
    expected = list(Household.objects.visible_to(county_reviewer).values_list("pk", flat=True))
    api_client.force_authenticate(county_reviewer)
    seen = []
    for number in range(1, 6):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/households/", {"page_size": 3, "page": number}).json()
        seen += [r["id"] for r in body["results"]]
        listed = [q["sql"] for q in queries if q["sql"].startswith('SELECT "households_household"')]
        assert len(listed) == 1
        assert ('"id" IN (SELECT' in listed[0]) == (number >= 2), listed[0]
    assert seen == expected
    # The page, the same way (20 a page: the cap of 5 makes it count-free from page 1).
    client.force_login(county_reviewer)
    pagination.DEEP_OFFSET = 0  # monkeypatched: restored after the test
    response = client.get(reverse("households:list"), {"page": 1})
    assert [h.pk for h in response.context["page_obj"]] == expected[:20]


def test_keys_first_only_where_it_cannot_change_the_rows(county_reviewer, areas):
    ordered = Household.objects.visible_to(county_reviewer)
    assert pagination._keys_first(ordered)
    assert pagination._keys_first(ordered.order_by("-category", "pk"))
    assert not pagination._keys_first(ordered.order_by("head_name"))  # not a total order
    assert not pagination._keys_first(ordered.distinct())
    assert not pagination._keys_first(ordered.union(ordered))
    assert not pagination._keys_first([1, 2, 3])
