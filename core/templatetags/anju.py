"""Template filters every page uses (a builtin: no `{% load %}` needed).

Amounts: `{{ amount|yuan }}` gives `200,000.00` (thousands separators, two decimals) and
`{{ amount|wanyuan }}` gives `20.00` for the 万元 columns of dashboards and reports, where
officials read county totals. Empty values stay empty rather than showing `None`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from core.pdf import pdf_environment_problems

register = template.Library()

_CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _amount(value, unit: int) -> str:
    """An amount in 元 counted in `unit` 元, with thousands separators and two decimals."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return f"{(amount / unit).quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


@register.filter
def yuan(value) -> str:
    """An amount in 元 with thousands separators and two decimals: `200,000.00`."""
    return _amount(value, 1)


@register.filter
def wanyuan(value) -> str:
    """An amount in 元 shown in 万元 with two decimals: 1,234,500 → `123.45`."""
    return _amount(value, 10000)


@register.filter
def full_address(household) -> str:
    """Township, village and the typed address, without repeating what the address already
    names: "临泉镇" + "南庄村" + "南庄村七组76号" is "临泉镇南庄村七组76号"."""
    village = household.village
    township = village.parent.name if village.parent_id else ""
    address = (household.address or "").strip()
    if township and address.startswith(township):
        address = address[len(township) :]
    if address.startswith(village.name):
        address = address[len(village.name) :]
    return f"{township}{village.name}{address}"


@register.inclusion_tag("partials/pdf_warning.html")
def pdf_warning():
    """A notice on pages that make PDFs when this machine lacks the CJK font or subsetting."""
    return {"problems": pdf_environment_problems()}
