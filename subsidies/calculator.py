"""The subsidy calculator: category, family size, level → amount and a one-line explanation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import Area
from core.errors import DomainError
from subsidies.defaults import DEFAULT_STANDARD, TOWNSHIP_DECIDES
from subsidies.models import LevelKind, SubsidyStandard

# Appraisal levels → the standard's level line ("no house" is built new, like D).
LEVEL_FOR_APPRAISAL = {"C": LevelKind.REPAIR, "D": LevelKind.REBUILD, "none": LevelKind.REBUILD}
LEVEL_LABEL = {"C": "C级", "D": "D级", "none": "无房"}


@dataclass(frozen=True)
class Calculation:
    amount: Decimal
    explanation: str
    standard: SubsidyStandard


def _yuan(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"


def ensure_standards(county: Area, year: int) -> None:
    """A county/year without a standard gets last year's lines, or the defaults."""
    if (
        SubsidyStandard.objects.unscoped("the county's own")
        .filter(county=county, year=year)
        .exists()
    ):
        return
    with transaction.atomic():
        previous = (
            SubsidyStandard.objects.unscoped("the county's own")
            .filter(county=county, year__lt=year)
            .order_by("-year")
            .first()
        )
        if previous:
            lines = [
                (s.name, s.categories, s.level, s.base_amount, s.per_person, s.cap, s.note)
                + (s.township_decides,)
                for s in SubsidyStandard.objects.filter(county=county, year=previous.year)
            ]
        else:
            lines = [
                (*line, (frozenset(line[1]), line[2]) in TOWNSHIP_DECIDES)
                for line in DEFAULT_STANDARD
            ]
        for name, categories, level, base, per_person, cap, note, township_decides in lines:
            SubsidyStandard.objects.unscoped("the county's own").get_or_create(
                county=county,
                year=year,
                name=name,
                level=level,
                defaults={
                    "categories": list(categories),
                    "base_amount": base,
                    "per_person": per_person,
                    "cap": cap,
                    "note": note,
                    "township_decides": township_decides,
                },
            )


def calculate(
    *, county: Area, year: int, category: str, family_size: int, level: str
) -> Calculation:
    """Amount per the county's standard for `year`; DomainError when none applies."""
    if level not in LEVEL_FOR_APPRAISAL:
        raise DomainError("只有C级、D级危房或无房户可以计算改造补助。")
    if family_size < 1:
        raise DomainError("家庭人口至少为1人。")
    ensure_standards(county, year)
    standard = (
        SubsidyStandard.objects.unscoped("the county's own")
        .filter(
            county=county,
            year=year,
            level=LEVEL_FOR_APPRAISAL[level],
            categories__contains=[category],
        )
        .first()
    )
    if standard is None:
        raise DomainError(f"{year}年度补助标准中没有适用于该类别的{LEVEL_LABEL[level]}标准。")
    further = family_size - 1
    raw = standard.base_amount + further * standard.per_person
    amount = min(raw, standard.cap)
    explanation = f"{LEVEL_LABEL[level]} {family_size}人：{_yuan(standard.base_amount)}"
    if standard.per_person and further:
        explanation += f" + {further}×{_yuan(standard.per_person)} = {_yuan(raw)}"
    if raw > standard.cap:
        explanation += f"，封顶 {_yuan(standard.cap)}"
    if standard.township_decides:
        explanation = f"{LEVEL_LABEL[level]}：由乡镇核定，最高 {_yuan(standard.cap)}"
    return Calculation(
        amount=amount.quantize(Decimal("0.01")), explanation=explanation, standard=standard
    )


@dataclass(frozen=True)
class OverrideLimit:
    """How far the approved amount of a case may be adjusted (document 003)."""

    cap: Decimal  # the standard's ceiling for the case
    computed: Decimal  # what the standard gives
    needs_materials: bool  # above `computed` only with the village's materials list (C)
    label: str


def override_limit(
    *, county: Area, year: int, category: str, family_size: int, level: str
) -> OverrideLimit:
    """C ≤ 15,000 with a materials list and its total; ④⑤ D ≤ 20,000 as the township
    approves; ①②③⑥ D ≤ 50,000: the cap of the county's standard line for the case."""
    calculation = calculate(
        county=county, year=year, category=category, family_size=family_size, level=level
    )
    standard = calculation.standard
    return OverrideLimit(
        cap=standard.cap,
        computed=calculation.amount,
        needs_materials=standard.level == LevelKind.REPAIR,
        label=f"{standard.name} {LEVEL_LABEL[level]}",
    )
