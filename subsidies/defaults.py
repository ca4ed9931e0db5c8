"""The default subsidy standard (document 003, 2024 action plan), loaded for a new county.

These are data, not rules: a county edits its own lines per year after they are loaded.
"""

from __future__ import annotations

from decimal import Decimal

from households.models import Category

DEFAULT_STANDARD = [
    # (group name, categories, level, base, per further person, cap, note); the ④⑤ D line
    # is decided by the township up to its cap (TOWNSHIP_DECIDES).
    (
        "易返贫致贫户、低保户、特困人员、其他脱贫户",
        [Category.AT_RISK, Category.DIBAO, Category.TEKUN, Category.OTHER_EX_POOR],
        "D",
        Decimal("30000"),
        Decimal("10000"),
        Decimal("50000"),
        "1人3万元，每增加1人增加1万元，最高5万元",
    ),
    (
        "易返贫致贫户、低保户、特困人员、其他脱贫户",
        [Category.AT_RISK, Category.DIBAO, Category.TEKUN, Category.OTHER_EX_POOR],
        "C",
        Decimal("10000"),
        Decimal("0"),
        Decimal("15000"),
        "1万元；按村级材料清单最高1.5万元",
    ),
    (
        "严重困难家庭、低保边缘家庭",
        [Category.HARDSHIP, Category.DIBAO_EDGE],
        "D",
        Decimal("20000"),
        Decimal("0"),
        Decimal("20000"),
        "最高2万元",
    ),
    (
        "严重困难家庭、低保边缘家庭",
        [Category.HARDSHIP, Category.DIBAO_EDGE],
        "C",
        Decimal("6000"),
        Decimal("0"),
        Decimal("6000"),
        "6000元",
    ),
]


#: (group categories, level) of the default lines whose amount the township decides.
TOWNSHIP_DECIDES = {(frozenset({Category.HARDSHIP, Category.DIBAO_EDGE}), "D")}
