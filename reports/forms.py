"""Forms of the reports app (the rules live in reports.targets)."""

from __future__ import annotations

from django import forms


class TargetForm(forms.Form):
    renovations = forms.IntegerField(
        label="改造任务（户）",
        min_value=0,
        max_value=10_000_000,
        error_messages={"required": "请填写改造任务户数。", "invalid": "改造任务户数应为整数。"},
    )
    funds = forms.DecimalField(
        label="补助资金（元）",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="可不填。",
        error_messages={"invalid": "补助资金应为金额（元）。"},
    )
    reason = forms.CharField(
        label="下达/调整说明",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="调整已下达的任务时必填。",
    )
