"""Default area standard (DOMAIN.md, document 003), loaded for a new county and year.

Data, not rules: a county edits its own line per year after it is loaded.
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_AREA_STANDARD = {
    "max_one_person": Decimal("35"),
    "max_two_persons": Decimal("55"),
    "min_per_person": Decimal("16"),
    "max_per_person": Decimal("25"),
}
