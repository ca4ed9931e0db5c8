from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.models import Area
from core.audit import tracked
from households.models import CURRENT_CATEGORIES, Category


class LevelKind(models.TextChoices):
    # D and "no house" are rebuilt or newly built; C is repaired and reinforced.
    REBUILD = "D", "D级/无房（翻建、新建）"
    REPAIR = "C", "C级（修缮加固）"


@tracked()
class SubsidyStandard(models.Model):
    """One line of a county's subsidy standard for a year (补助标准).

    Amount for a family of n: base + (n - 1) × per_person, at most cap. The category
    groups are data too: each line names the categories it applies to.
    """

    county = models.ForeignKey(
        Area,
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="subsidy_standards",
        limit_choices_to={"level": "county"},
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("类别组名称", max_length=60)
    categories = ArrayField(
        models.CharField(max_length=20, choices=Category.choices), verbose_name="适用类别"
    )
    level = models.CharField("等级/改造方式", max_length=2, choices=LevelKind.choices)
    base_amount = models.DecimalField("基础金额（元）", max_digits=10, decimal_places=2)
    per_person = models.DecimalField(
        "每增加1人增加（元）", max_digits=10, decimal_places=2, default=Decimal("0")
    )
    cap = models.DecimalField("封顶金额（元）", max_digits=10, decimal_places=2)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "补助标准"
        verbose_name_plural = "补助标准"
        ordering = ["county_id", "-year", "name", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "name", "level"], name="subsidy_standard_unique_line"
            ),
            models.CheckConstraint(
                name="subsidy_standard_amounts_valid",
                condition=Q(base_amount__gte=0)
                & Q(per_person__gte=0)
                & Q(cap__gte=models.F("base_amount")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name} {self.get_level_display()}"

    def clean(self) -> None:
        if self.cap is not None and self.base_amount is not None and self.cap < self.base_amount:
            raise ValidationError({"cap": "封顶金额不能低于基础金额。"})
        if self.county_id and self.year and self.level and self.categories:
            clash = (
                SubsidyStandard.objects.filter(
                    county_id=self.county_id,
                    year=self.year,
                    level=self.level,
                    categories__overlap=self.categories,
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash:
                message = f"同一年度、同一等级下，类别不能重复出现（与“{clash.name}”重复）。"
                raise ValidationError({"categories": message})
        unknown = [c for c in self.categories or [] if c not in CURRENT_CATEGORIES]
        if unknown:
            raise ValidationError({"categories": "补助标准只适用于现行六类重点对象。"})
