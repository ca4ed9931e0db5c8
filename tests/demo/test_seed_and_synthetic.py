from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Area, Role, User
from core.validators import id_number_error
from demo.county import DEMO_PASSWORD, SyntheticSpec, synthetic_batch
from households.models import (
    CURRENT_CATEGORIES,
    LEGACY_CATEGORIES,
    Household,
    HouseholdEvent,
    Member,
    MemberEvent,
)

DEMO_ACCOUNTS = {
    "reviewer": (Role.COUNTY_REVIEWER, "141124000000"),
    "approver": (Role.COUNTY_APPROVER, "141124000000"),
    "linquan": (Role.TOWNSHIP_STAFF, "141124100000"),
    "baiwen": (Role.TOWNSHIP_STAFF, "141124101000"),
    "chengzhuang": (Role.TOWNSHIP_STAFF, "141124102000"),
    "dongcun": (Role.VILLAGE_CLERK, "141124100201"),
    "official": (Role.OFFICIAL, "141124000000"),
    "linxian": (Role.COUNTY_REVIEWER, "141125000000"),
    "city": (Role.CITY_REVIEWER, "141100000000"),
    "cityview": (Role.CITY_OFFICIAL, "141100000000"),
    "province": (Role.PROVINCE_REVIEWER, "140000000000"),
}


@pytest.mark.django_db
def test_seed_demo_builds_a_city_of_two_counties_with_targets_and_a_spot_check():
    from rectification.models import RectificationItem, Source, SpotCheck
    from reports.models import AnnualTarget

    call_command("seed_demo")
    city = Area.objects.get(pk="141100000000")
    assert city.level == "city" and city.parent_id == "140000000000"
    counties = set(Area.objects.filter(parent=city).values_list("code", flat=True))
    assert counties == {"141124000000", "141125000000"}
    assert Household.objects.filter(county_code="141125").exists()
    targets = AnnualTarget.objects.unscoped("test")
    assert targets.get(area_id="141124000000").version == 2  # assigned, then adjusted
    assert targets.filter(area__parent_id="141124000000").count() == 3  # split to townships
    spot = SpotCheck.objects.unscoped("test").get()
    assert spot.entries.count() == 5
    item = RectificationItem.objects.unscoped("test").get(spot_check=spot)
    assert item.source == Source.CITY_SPOT_CHECK and item.verifier_area_id == city.code
    call_command("seed_demo")  # twice: nothing more
    assert SpotCheck.objects.unscoped("test").count() == 1


def counts():
    return (
        Area.objects.count(),
        Household.objects.count(),
        Member.objects.count(),
        User.objects.count(),
        HouseholdEvent.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_county(capsys):
    call_command("seed_demo")

    county = Household.objects.filter(county_code="141124")
    assert county.count() >= 60
    categories = Counter(county.values_list("category", flat=True))
    assert set(CURRENT_CATEGORIES) <= set(categories)
    assert set(categories) & set(LEGACY_CATEGORIES)
    townships = Area.objects.filter(code__startswith="141124").townships()
    assert {"临泉镇", "白文镇"} <= set(townships.values_list("name", flat=True))
    for township in townships:
        assert township.children.count() >= 3
        assert county.filter(township_code=township.prefix).exists()
    assert Area.objects.get(pk="141124100201").name == "东村"

    sample = list(county.prefetch_related("members"))
    assert all(id_number_error(h.id_number) is None for h in sample)
    assert all(h.id_number.startswith("141124") for h in sample)
    assert {h.family_size for h in sample} <= set(range(1, 9))
    assert max(h.family_size for h in sample) >= 5
    assert sum(1 for h in sample if h.bank_account) > len(sample) * 0.8
    assert any(h.priority_marks for h in sample)
    assert all(h.identified_by and h.identified_on for h in sample)
    assert any("组" in h.address and h.address.endswith("号") for h in sample)
    assert any(m.relation == "spouse" for h in sample for m in h.members.all())
    assert all(len(h.members.all()) == h.family_size - 1 for h in sample)

    for username, (role, area) in DEMO_ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert (user.role, user.area_id) == (role, area), username
        assert user.full_name
        assert user.check_password(DEMO_PASSWORD)
        user.full_clean()
    assert not User.objects.filter(is_superuser=True).exists()
    out = capsys.readouterr().out
    assert "dongcun" in out and DEMO_PASSWORD in out

    # Audit: every household insert is recorded and names the command.
    event = HouseholdEvent.objects.filter(pgh_label="insert").first()
    assert event.pgh_context["command"] == "seed_demo"


@pytest.mark.django_db
def test_seed_demo_twice_creates_nothing_and_keeps_changed_passwords():
    call_command("seed_demo")
    before = counts()
    reviewer = User.objects.get(username="reviewer")
    reviewer.set_password("My-own-secret-77")
    reviewer.save()

    call_command("seed_demo")

    assert counts() == before
    reviewer.refresh_from_db()
    assert reviewer.check_password("My-own-secret-77")

    call_command("seed_demo", "--reset-passwords")
    reviewer.refresh_from_db()
    assert reviewer.check_password(DEMO_PASSWORD)
    assert counts() == before


def synthetic(code, n=500, *extra):
    call_command(
        "generate_synthetic", "--households", str(n), "--seed", "7", "--county-code", code, *extra
    )
    return Household.objects.filter(county_code=code)


def shape(queryset):
    """What the same seed must reproduce in any county: all but the region digits."""
    return sorted(
        (
            h.head_name,
            h.id_number[6:17],  # birth date and sequence; the check digit follows the region
            h.family_size,
            h.category,
            h.address,
            h.village_id[6:],
            h.bank_account,
            tuple(m.name for m in h.members.all()),
        )
        for h in queryset.prefetch_related("members")
    )


@pytest.mark.django_db
def test_generate_synthetic_creates_a_valid_county():
    households = synthetic("149901")

    assert households.count() == 500
    numbers = [h.id_number for h in households]
    assert [n for n in numbers if id_number_error(n)] == []
    assert all(n.startswith("149901") for n in numbers)
    members = Member.objects.filter(household__county_code="149901")
    member_numbers = [m.id_number for m in members]
    assert [n for n in member_numbers if id_number_error(n)] == []
    assert len(set(numbers + member_numbers)) == len(numbers) + len(member_numbers)
    assert 1.5 < members.count() / 500 < 3
    assert set(CURRENT_CATEGORIES) <= set(households.values_list("category", flat=True))
    townships = Area.objects.filter(code__startswith="149901").townships()
    assert townships.count() == 5
    assert all(10 <= t.children.count() <= 20 for t in townships)

    # Every insert went through the audit triggers, attributed to the command.
    events = HouseholdEvent.objects.filter(pgh_obj__county_code="149901", pgh_label="insert")
    assert events.count() == 500
    assert MemberEvent.objects.filter(pgh_label="insert").count() == members.count()
    assert {e.pgh_context["command"] for e in events} == {"generate_synthetic"}


@pytest.mark.django_db
def test_same_seed_gives_the_same_county():
    first = shape(synthetic("149901", 300))
    second = shape(synthetic("149902", 300))
    assert first == second
    # ... and so do worker processes building the batches in parallel.
    third = shape(synthetic("149903", 300, "--workers", "2", "--batch-size", "100"))
    assert third == shape(synthetic("149904", 300, "--batch-size", "100"))


def test_generator_is_deterministic_and_seed_dependent():
    spec = SyntheticSpec(
        seed=3, region="149901", villages=(("149901100201", "东村"),), village_weights=(1.0,)
    )
    again = SyntheticSpec(
        seed=3, region="149901", villages=(("149901100201", "东村"),), village_weights=(1.0,)
    )
    other = SyntheticSpec(
        seed=4, region="149901", villages=(("149901100201", "东村"),), village_weights=(1.0,)
    )
    assert synthetic_batch(spec, 0, 50) == synthetic_batch(again, 0, 50)
    assert synthetic_batch(spec, 0, 50) != synthetic_batch(other, 0, 50)


@pytest.mark.django_db
def test_refuses_a_county_with_households_unless_append(household):
    before = Household.objects.count()
    with pytest.raises(CommandError, match="演示县（141124）已有 1 户农户.*--append"):
        synthetic("141124", 50)
    assert Household.objects.count() == before

    households = synthetic("141124", 50, "--append")
    assert households.count() == 51
    # The demo county's own villages are used, and IDs stay unique in the county.
    assert set(households.values_list("village_id", flat=True)) <= set(
        Area.objects.filter(code__startswith="141124").villages().values_list("code", flat=True)
    )
    hashes = list(households.values_list("id_number_hash", flat=True))
    assert len(set(hashes)) == len(hashes)


@pytest.mark.django_db
def test_rejects_a_bad_county_code():
    with pytest.raises(CommandError, match="6位数字"):
        synthetic("14a1")


@pytest.mark.django_db
def test_counties_share_one_city_and_appraisals_follow_the_seed():
    from accounts.models import AreaLevel
    from inspections.models import Appraisal, SafetyState

    call_command("generate_synthetic", "--households", "600", "--counties", "3", "--appraisals")
    counties = Area.objects.filter(level=AreaLevel.COUNTY, code__startswith="5101")
    assert sorted(counties.values_list("code", flat=True)) == [
        "510101000000",
        "510102000000",
        "510103000000",
    ]
    assert {c.parent_id for c in counties} == {"510100000000"}
    assert Area.objects.get(code="510100000000").level == AreaLevel.CITY
    per_county = Counter(
        Household.objects.filter(county_code__startswith="5101").values_list(
            "county_code", flat=True
        )
    )
    assert per_county == {"510101": 200, "510102": 200, "510103": 200}
    numbers = Household.objects.filter(county_code="510102").values_list("id_number", flat=True)
    assert all(n.startswith("510102") for n in numbers)
    appraised = Appraisal.objects.filter(household__county_code__startswith="5101")
    # About a quarter appraised, mostly A/B, a few C/D: each with its safety state (trigger).
    assert 90 < appraised.count() < 220
    assert {"A", "B"} <= set(appraised.values_list("level", flat=True))
    assert SafetyState.objects.filter(appraisal__in=appraised).count() == appraised.count()
    with pytest.raises(CommandError, match="已有"):
        call_command("generate_synthetic", "--households", "10", "--counties", "3")


@pytest.mark.django_db
def test_projects_and_payouts_in_the_proportions_of_a_year_of_work():
    import datetime as dt

    from django.db.models import Sum

    from inspections.models import SafetyState
    from renovation.models import RenovationProject
    from subsidies.models import PayoutBatch, PayoutLine

    with pytest.raises(CommandError, match="--appraisals"):
        call_command("generate_synthetic", "--households", "10", "--projects")
    call_command(
        "generate_synthetic", "--households", "4000", "--appraisals", "--projects", "--seed", "3"
    )
    projects = RenovationProject.objects.unscoped("test")
    year = projects.values_list("year", flat=True).first()
    appraised_cd = (
        SafetyState.objects.unscoped("test")
        .filter(level__in=["C", "D"], source="appraisal", on__lt=dt.date(year, 1, 10))
        .values("household")
        .distinct()
    )
    # About 60 % of the houses appraised C/D before the year, at every step to close-out.
    assert 0.4 * appraised_cd.count() < projects.count() < 0.8 * appraised_cd.count()
    assert {"applied", "under_construction", "accepted", "closed"} <= set(
        projects.values_list("status", flat=True)
    )
    # A close-out made the house safe again; every accepted project is paid its amount,
    # by one paid batch, after its acceptance (the database's own rules held).
    closed = projects.filter(status="closed")
    assert set(
        Household.objects.unscoped("test")
        .filter(renovations__in=closed)
        .values_list("safety_level", flat=True)
    ) == {"safe"}
    [batch] = PayoutBatch.objects.unscoped("test")
    assert batch.status == "paid"
    paid = PayoutLine.objects.unscoped("test").filter(batch=batch)
    assert paid.count() == projects.filter(status__in=["accepted", "closed"]).count()
    assert (
        paid.aggregate(s=Sum("amount"))["s"]
        == projects.filter(status__in=["accepted", "closed"]).aggregate(s=Sum("approved_amount"))[
            "s"
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_generate_synthetic_leaves_the_loaded_tables_vacuumed_and_analyzed():
    """Outside a transaction the load ends with VACUUM ANALYZE: statistics for the planner,
    and pages marked all-visible so index-only scans (deep pages, capped counts) need not
    visit the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_reset_single_table_counters('households_household'::regclass)"
        )
    synthetic("149902", 50)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables"
            " WHERE relname = 'households_household'"
        )
        assert cursor.fetchone() == (True, True)
