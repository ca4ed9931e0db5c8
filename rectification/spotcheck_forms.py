"""Forms of the spot checks (the rules live in rectification.spotcheck)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.models import Area, AreaLevel
from households.models import Category
from rectification.models import EntryResult, ProblemType
from renovation.models import ProjectStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SpotCheckForm(forms.Form):
    title = forms.CharField(label="抽查名称", max_length=100, initial="档案资料抽查")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    county = forms.ModelChoiceField(
        label="抽查县",
        queryset=Area.objects.none(),
        required=False,
        empty_label="辖区内全部县",
        error_messages={"invalid_choice": "请选择本辖区内的县。"},
    )
    project_status = forms.ChoiceField(label="改造项目状态", required=False)
    category = forms.ChoiceField(
        label="对象类别", required=False, choices=[("", "全部类别"), *Category.choices]
    )
    sample_size = forms.IntegerField(
        label="抽取户数", min_value=1, max_value=500, initial=20, help_text="1–500户。"
    )
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        help_text="可不填，系统随机生成并记录；同一种子对同一批农户抽出的样本相同。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.fields["county"].queryset = (
            Area.objects.visible_to(user).filter(level=AreaLevel.COUNTY).order_by("code")
        )
        self.fields["project_status"].choices = [
            ("", "不限（全部农户）"),
            *ProjectStatus.choices,
        ]


class EntryForm(forms.Form):
    result = forms.ChoiceField(
        label="核查结果", choices=EntryResult.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="核查意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    problem_type = forms.ChoiceField(
        label="问题类型", required=False, choices=[("", "---------"), *ProblemType.choices]
    )
    title = forms.CharField(label="具体问题", required=False, max_length=300)
    findings = forms.CharField(
        label="问题简述", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measures = forms.CharField(
        label="整改要求", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(
        label="整改期限", required=False, widget=DATE, help_text="发现问题时必填。"
    )
