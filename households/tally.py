"""The households' counts per township (`HouseholdTally`): read them, fold them.

The table is written by the household table's own triggers (`households.models`); nothing
here writes a count of its own. A group's count is the sum of its rows' `n`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Sum

from accounts.models import User
from accounts.scoping import area_prefix
from households.models import Household, HouseholdTally

# One statement: the rows it deletes are exactly the rows it sums (a row that another
# transaction adds meanwhile is not seen, so it is neither deleted nor counted); groups that
# sum to zero leave no row.
_COMPACT = """
    WITH gone AS (DELETE FROM households_householdtally RETURNING *)
    INSERT INTO households_householdtally
        (township_code, county_code, category, safety_level, exited, occupied, n)
    SELECT township_code, county_code, category, safety_level, exited, occupied, SUM(n)
    FROM gone
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING SUM(n) <> 0
"""


def compact() -> tuple[int, int]:
    """Fold each group's signed rows into one; (rows before, rows after)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM households_householdtally")
        before = cursor.fetchone()[0]
        cursor.execute(_COMPACT)
        return before, cursor.rowcount


def _answers(user: User) -> bool:
    """The tally counts by township: a village's households are counted directly."""
    prefix = area_prefix(user)
    return prefix is not None and len(prefix) < 12


def counts_by_category(user: User) -> dict[str, int]:
    """The households `user` sees, per category (those that left the lists included, as the
    household list shows them)."""
    if _answers(user):
        rows = HouseholdTally.objects.visible_to(user).values("category").annotate(n=Sum("n"))
        return {r["category"]: r["n"] for r in rows if r["n"]}
    rows = Household.objects.visible_to(user).values("category").annotate(n=Count("id"))
    return {r["category"]: r["n"] for r in rows}


def count_at_levels(user: User, levels: Iterable[str], *, occupied: bool | None = None) -> int:
    """The households `user` sees whose current safety level is one of `levels` (and, with
    `occupied`, that were or were not lived in at their newest inspection)."""
    levels = list(levels)
    if _answers(user):
        rows = HouseholdTally.objects.visible_to(user).filter(safety_level__in=levels)
        if occupied is not None:
            rows = rows.filter(occupied=occupied)
        return rows.aggregate(n=Sum("n"))["n"] or 0
    rows = Household.objects.visible_to(user).filter(safety_level__in=levels)
    if occupied is not None:
        rows = rows.filter(latest_occupied=occupied)
    return rows.count()
