"""One set of rules for household data, whichever way it comes in: the page form, the API and
the Excel imports all ask these functions, and the services check them again before saving.

Each rule answers the Chinese reason a value is refused, or None. `household_errors` applies
every rule to the fields it is given (a partial update checks only what it changes, plus the
rules that tie fields together).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import timezone

# No date in a household's record lies before the People's Republic (identification, splits).
EARLIEST_DATE = dt.date(1949, 10, 1)
MAX_FAMILY_SIZE = 30
TEXT_LIMITS = {"head_name": 50, "name": 50, "address": 200, "bank_name": 60, "note": 2000}
LABELS = {
    "head_name": "户主姓名",
    "name": "成员姓名",
    "address": "住址",
    "bank_name": "开户银行",
    "note": "备注",
    "phone": "联系电话",
    "identified_on": "认定日期",
    "split_on": "分户日期",
    "family_size": "家庭人口",
    "bank_account": "一卡通账号",
}
MULTILINE = frozenset({"note"})
NAMES = frozenset({"head_name", "name"})
# Characters that change how text is shown without being visible: direction overrides and
# isolates (a name shown reversed), zero-width characters, the byte-order mark.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def _bad_character(value: str, *, multiline: bool) -> str | None:
    for char in value:
        if char in _INVISIBLE:
            return f"不可见的控制字符 U+{ord(char):04X}"
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs") and not (
            multiline and char in "\n\r\t"
        ):
            return f"控制字符 U+{ord(char):04X}"
    return None


def text_error(key: str, value: str | None) -> str | None:
    """Length and characters of a free-text field (names also refuse digits-only values)."""
    if not value:
        return None
    label, limit = LABELS[key], TEXT_LIMITS[key]
    if len(value) > limit:
        return f"{label}过长（{len(value)}字，最多{limit}字）。"
    bad = _bad_character(value, multiline=key in MULTILINE)
    if bad:
        return f"{label}含有{bad}，请删除后重新填写。"
    if key in NAMES and value.strip().isdigit():
        return f"{label}不能只是数字。"
    return None


def phone_error(value: str | None) -> str | None:
    if not value:
        return None
    digits = [c for c in value if c.isdigit()]
    if len(value) > 20 or not all(c.isdigit() or c in "-+ " for c in value) or len(digits) < 5:
        return "联系电话无效：只能包含数字和“-”，至少5位数字，最多20个字符。"
    return None


def date_error(key: str, value: dt.date | None, *, today: dt.date | None = None) -> str | None:
    if value is None:
        return None
    today = today or timezone.localdate()
    if value > today:
        return f"{LABELS[key]}（{value:%Y-%m-%d}）不能晚于今天。"
    if value < EARLIEST_DATE:
        return f"{LABELS[key]}（{value:%Y-%m-%d}）不能早于{EARLIEST_DATE:%Y年%m月%d日}。"
    return None


def family_size_error(value: int | None) -> str | None:
    if value is None:
        return None
    if not 1 <= value <= MAX_FAMILY_SIZE:
        return f"家庭人口应在1到{MAX_FAMILY_SIZE}人之间。"
    return None


def bank_account_error(value: str | None) -> str | None:
    value = "".join((value or "").split())
    if value and not (value.isdigit() and 12 <= len(value) <= 30):
        return "一卡通账号应为12到30位数字。"
    return None


def members_error(family_size: int | None, member_count: int) -> str | None:
    """Members are listed without the head: at most family size − 1 of them."""
    if family_size is None or member_count <= family_size - 1:
        return None
    return (
        f"家庭成员（不含户主）登记了{member_count}人，"
        f"多于家庭人口{family_size}人减去户主1人，请核对家庭人口。"
    )


def field_error(key: str, value) -> str | None:
    """The rule of one field, or None for fields without one here (choices, flags, ids)."""
    if key in TEXT_LIMITS:
        return text_error(key, value)
    if key == "phone":
        return phone_error(value)
    if key in ("identified_on", "split_on"):
        return date_error(key, value)
    if key == "family_size":
        return family_size_error(value)
    if key == "bank_account":
        return bank_account_error(value)
    return None


def household_errors(
    fields: Mapping, *, members: list[Mapping] | None = None, family_size: int | None = None
) -> dict[str, list[str]]:
    """Every rule broken by `fields` (and by `members`, when given), by field name.

    `family_size` is the household's current size, for a change of members alone."""
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        message = field_error(key, value)
        if message:
            errors.setdefault(key, []).append(message)
    for member in members or ():
        message = text_error("name", member.get("name"))
        if message:
            errors.setdefault("members", []).append(message)
    if members is not None:
        size = fields.get("family_size", family_size)
        message = members_error(size, len(members))
        if message:
            errors.setdefault("members", []).append(message)
    return errors


def validate_household(fields: Mapping, **kwargs) -> None:
    """Raise a ValidationError by field (a 400 in the API, form errors on a page)."""
    errors = household_errors(fields, **kwargs)
    if errors:
        raise ValidationError(errors)
