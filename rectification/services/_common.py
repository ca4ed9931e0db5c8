"""Roles, messages, the item fields and the helpers the rectification services share."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from accounts.scoping import area_prefix
from accounts.services import county_of
from core.errors import DomainError
from core.uploads import DOCUMENT_TYPES, validate_upload
from rectification.steps import (  # noqa: F401 - re-exported: services.LEDGER_ROLES
    CLOSE_ROLES,
    LEDGER_ROLES,
    NOT_IN_AREA,
    PROGRESS_ROLES,
    VERIFY_ROLES,
)

MAX_FILES = 20
LONG_TERM_NEEDS_STAGE = "长期坚持的问题请至少填写一个阶段目标。"
CLOSE_BY_OTHER = "销号须由提交人以外的人员核验"
CLOSE_NEEDS_EVIDENCE = "销号前须上传整改佐证材料"

ITEM_FIELDS = (
    "campaign",
    "source",
    "problem_type",
    "sub_type",
    "title",
    "findings",
    "area",
    "measures",
    "deadline_kind",
    "deadline",
    "responsible_unit",
    "first_responsible",
    "direct_responsible",
    "remarks",
)

_county_of = county_of


def _in_scope(by: User, code: str) -> bool:
    prefix = area_prefix(by)
    return prefix is not None and code.startswith(prefix)


def _validate_files(files: Iterable) -> list:
    files = [f for f in files or () if f]
    if len(files) > MAX_FILES:
        raise DomainError(f"每次最多上传 {MAX_FILES} 个佐证材料。")
    return [(f, validate_upload(f, allowed=DOCUMENT_TYPES, label="佐证材料")) for f in files]
