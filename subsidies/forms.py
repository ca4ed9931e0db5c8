"""Forms of the subsidies pages: short, one per action."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from accounts.models import Area, AreaLevel
from households.models import CURRENT_CATEGORIES
from subsidies.models import FundAllocation, FundingSource, FundLevel

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
    allocation = forms.ModelChoiceField(
        label="资金指标（文号）",
        queryset=FundAllocation.objects.none(),
        required=False,
        empty_label="暂不选择（提交财政前须选择）",
        help_text="批次从所选资金指标中列支，资金来源随指标级次；超出指标余额的批次不能提交。",
    )
    funding_source = forms.ChoiceField(
        label="资金来源",
        choices=FundingSource.choices,
        required=False,
        help_text="未选择资金指标时填写。",
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = FundAllocation.objects.visible_to(user)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("allocation") and not cleaned.get("funding_source"):
            self.add_error("funding_source", "请选择资金指标或资金来源。")
        return cleaned


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


class ReportForm(forms.Form):
    reported_on = _date("申请归还日期")


class ReimburseForm(forms.Form):
    reimbursed_on = _date("归还日期")
    batch = forms.IntegerField(label="归还批次编号（可选）", required=False, min_value=1)


class AllocationForm(forms.Form):
    document_number = forms.CharField(label="文号", max_length=80)
    issued_on = _date("下达日期")
    level = forms.ChoiceField(label="资金级次", choices=FundLevel.choices)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label="金额（元）", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    township = forms.ModelChoiceField(
        label="指定乡镇（可选）",
        queryset=Area.objects.none(),
        required=False,
        empty_label="全县统筹",
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.fields["township"].queryset = Area.objects.visible_to(user).filter(
            level=AreaLevel.TOWNSHIP
        )


class BatchAllocationForm(forms.Form):
    allocation = forms.ModelChoiceField(
        label="资金指标", queryset=FundAllocation.objects.none(), empty_label="请选择"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = FundAllocation.objects.visible_to(user)


class ReadmissionForm(forms.Form):
    proof_file = forms.FileField(label="灾害损毁证明（乡镇出具，照片或PDF）")
    note = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )
