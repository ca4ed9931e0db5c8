from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import DomainError
from subsidies.calculator import calculate
from subsidies.models import SubsidyStandard

pytestmark = pytest.mark.django_db

GROUP_A = ["at_risk", "dibao", "tekun", "other_ex_poor"]
GROUP_B = ["hardship", "dibao_edge"]


def expected(category: str, level: str, size: int) -> int:
    """DOMAIN.md's table, written out independently of the code."""
    if category in GROUP_A:
        if level in ("D", "none"):
            return min(30_000 + (size - 1) * 10_000, 50_000)
        return 10_000
    if level in ("D", "none"):
        return 20_000
    return 6_000


@pytest.mark.parametrize("size", range(1, 9))
@pytest.mark.parametrize("level", ["C", "D", "none"])
@pytest.mark.parametrize("category", GROUP_A + GROUP_B)
def test_matches_domain_table(areas, category, level, size):
    result = calculate(
        county=areas["county"], year=2026, category=category, family_size=size, level=level
    )
    assert result.amount == Decimal(expected(category, level, size))


def test_explanation_names_the_arithmetic(areas):
    result = calculate(
        county=areas["county"], year=2026, category="dibao", family_size=4, level="D"
    )
    assert result.explanation == "D级 4人：30,000 + 3×10,000 = 60,000，封顶 50,000"
    result = calculate(
        county=areas["county"], year=2026, category="dibao", family_size=2, level="D"
    )
    assert result.explanation == "D级 2人：30,000 + 1×10,000 = 40,000"
    result = calculate(
        county=areas["county"], year=2026, category="hardship", family_size=1, level="C"
    )
    assert result.explanation == "C级 1人：6,000"


def test_county_edits_its_own_standard(areas):
    calculate(county=areas["county"], year=2026, category="dibao", family_size=1, level="D")
    SubsidyStandard.objects.filter(county=areas["county"], year=2026, level="D").filter(
        categories__contains=["dibao"]
    ).update(base_amount=Decimal("35000"))
    result = calculate(
        county=areas["county"], year=2026, category="dibao", family_size=1, level="D"
    )
    assert result.amount == Decimal("35000")


def test_new_year_copies_last_years_lines(areas):
    calculate(county=areas["county"], year=2026, category="dibao", family_size=1, level="D")
    SubsidyStandard.objects.filter(
        county=areas["county"], year=2026, level="C", categories__contains=["dibao"]
    ).update(base_amount=Decimal("12000"))
    result = calculate(
        county=areas["county"], year=2027, category="dibao", family_size=1, level="C"
    )
    assert result.amount == Decimal("12000")


def test_refuses_levels_without_subsidy_and_legacy_categories(areas):
    with pytest.raises(DomainError, match="C级、D级"):
        calculate(county=areas["county"], year=2026, category="dibao", family_size=1, level="B")
    with pytest.raises(DomainError, match="没有适用"):
        calculate(
            county=areas["county"], year=2026, category="legacy_poor", family_size=1, level="D"
        )
