"""Forms of the subsidies pages: short, one per action."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from households.models import CURRENT_CATEGORIES
from subsidies.models import FundingSource

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVELS = [("D", "D级"), ("C", "C级"), ("none", "无房")]


def _date(label: str, required: bool = True):
    return forms.DateField(label=label, required=required, widget=DATE, initial=timezone.localdate)


class CalculatorForm(forms.Form):
    category = forms.ChoiceField(
        label="重点对象类型", choices=[(c.value, c.label) for c in CURRENT_CATEGORIES]
    )
    family_size = forms.IntegerField(label="家庭人口", min_value=1, max_value=30, initial=1)
    level = forms.ChoiceField(label="危房等级", choices=LEVELS)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class StandardForm(forms.Form):
    base_amount = forms.DecimalField(
        label="基础金额（元）", min_value=0, max_digits=10, decimal_places=2
    )
    per_person = forms.DecimalField(
        label="每增加1人增加（元）", min_value=0, max_digits=10, decimal_places=2
    )
    cap = forms.DecimalField(label="封顶金额（元）", min_value=0, max_digits=10, decimal_places=2)
    note = forms.CharField(label="说明", required=False, max_length=200)


class BatchForm(forms.Form):
    title = forms.CharField(label="批次名称", max_length=100)
    batch_date = _date("批次日期")
    funding_source = forms.ChoiceField(label="资金来源", choices=FundingSource.choices)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PayForm(forms.Form):
    paid_on = _date("拨付日期")
    voucher = forms.FileField(label="拨付凭证（PDF或图片）")


class AdvanceForm(forms.Form):
    project = forms.IntegerField(label="改造项目编号", min_value=1)
    amount = forms.DecimalField(
        label="垫付金额（元）", min_value=0.01, max_digits=10, decimal_places=2
    )
    advanced_on = _date("垫付日期")
    note = forms.CharField(label="说明", required=False, max_length=200)


class ReimburseForm(forms.Form):
    reimbursed_on = _date("归还日期")
    batch = forms.IntegerField(label="归还批次编号（可选）", required=False, min_value=1)
