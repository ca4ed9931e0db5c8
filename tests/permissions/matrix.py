"""The permission matrix: one entry per URL name, checked for every role.

Each app keeps its entries in `tests/permissions/entries_<app>.py` as a dict ENTRIES of
URL name → Case. `test_matrix.py` fails for any URL name that has no entry, so a new page
or endpoint cannot ship without its permission checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL_ROLES = frozenset(
    {"county_reviewer", "county_approver", "township_staff", "village_clerk", "official"}
)
COUNTY = frozenset({"county_reviewer", "county_approver"})


@dataclass(frozen=True)
class Case:
    #: "page" (session, login redirect) or "api" (401 when anonymous).
    kind: str
    #: Builds the URL from the object in the first township (or None when `objects` is None).
    url: Callable[[Any], str]
    #: Builds (object in the first township, object in the other township) from the areas and
    #: the first township's user; None for URLs not tied to an object.
    objects: Callable[[dict, Any], tuple[Any, Any]] | None = None
    #: Methods that change something (officials must get 403 on each).
    writes: tuple[str, ...] = ()
    #: False for POST-only URLs: anonymous and other-area checks then use the first write.
    get: bool = True
    #: The user fixture whose GET succeeds (2xx); None: no such check (e.g. the login page).
    reader: str | None = "township_user"
    #: Officials may POST here (e.g. a download that is started by POST).
    official_may_write: bool = False
    #: Skip the anonymous check (public URLs such as the login page).
    public: bool = False
    #: False for county-wide objects that every area of the county may read.
    area_scoped: bool = True
    extra: dict = field(default_factory=dict)
