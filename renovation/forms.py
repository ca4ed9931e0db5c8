"""Forms for the renovation steps: short, one per step, usable on a phone."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from core.offline import OfflineEntryForm
from renovation.models import (
    AcceptanceParty,
    BuilderKind,
    BuildMode,
    CheckResult,
    JointDepartment,
    PhotoStage,
    ProjectStatus,
    PublicityLevel,
    RenovationMethod,
    ReviewResult,
)
from renovation.services import publicity_days

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: str, required: bool = True, initial_today: bool = True):
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE,
        initial=timezone.localdate if initial_today else None,
    )


def _positive(label: str, max_digits: int, **kwargs) -> forms.DecimalField:
    """An area (㎡, 7 digits) or an amount (元, 10 digits) above zero, to the cent."""
    return forms.DecimalField(
        label=label,
        max_digits=max_digits,
        decimal_places=2,
        min_value=Decimal("0.01"),
        **kwargs,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ApplyForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    applied_on = _date("申请日期")
    method = forms.ChoiceField(label="改造方式", choices=RenovationMethod.choices)
    method_note = forms.CharField(
        label="改造方式说明",
        required=False,
        help_text="房屋置换时注明：农村集体公租房、闲置公房改造或长期租赁闲置农房。",
    )
    on_behalf = forms.BooleanField(label="农户无法自行申请，由村委会代为申请", required=False)
    dynamic = forms.BooleanField(
        label="年度任务外动态新增",
        required=False,
        help_text="动态监测中新发现、不在年度计划内的任务（可由乡镇按工程进度垫付）。",
    )
    note = forms.CharField(
        label="申请说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    application_file = forms.FileField(label="申请书（照片或PDF）", required=False)
    planned_area = _positive(
        "计划建筑面积（㎡）",
        7,
        required=False,
        help_text="翻建、新建必填：1人户不超过35㎡，2人户不超过55㎡，3人以上户人均16–25㎡。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class VillageReviewForm(forms.Form):
    held_on = _date("评议日期")
    cadres = forms.CharField(label="参加的村干部", help_text="多个姓名用逗号或顿号分隔。")
    representatives = forms.CharField(
        label="参加的村民代表",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="至少5人，多个姓名用逗号、顿号或换行分隔。",
    )
    result = forms.ChoiceField(
        label="评议结果", choices=ReviewResult.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="评议意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes_file = forms.FileField(label="会议记录（照片或PDF）")


class TownshipReviewForm(forms.Form):
    reviewed_on = _date("初审日期")
    passed = forms.TypedChoiceField(
        label="初审结论",
        choices=[("1", "通过"), ("0", "不通过")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(label="初审意见", widget=forms.Textarea(attrs={"rows": 3}))
    township_area = _positive(
        "乡镇审批面积（㎡）",
        7,
        required=False,
        help_text="仅严重困难家庭、低保边缘家庭翻建、新建时填写（面积以乡镇人民政府审批为准）。",
    )
    township_amount = _positive(
        "乡镇核定补助金额（元）",
        10,
        required=False,
        help_text="仅严重困难家庭、低保边缘家庭的D级危房（补助由乡镇核定，最高2万元）填写。",
    )


class JointReviewForm(forms.Form):
    reviewed_on = _date("联合审核日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dept in JointDepartment:
            self.fields[f"agree_{dept.value}"] = forms.TypedChoiceField(
                label=f"{dept.label}意见",
                choices=[("1", "同意"), ("0", "不同意")],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{dept.value}"] = forms.CharField(
                label=f"{dept.label}说明", required=False
            )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "reviewed_on": data["reviewed_on"],
            "opinions": {
                d.value: (data[f"agree_{d.value}"], data.get(f"note_{d.value}", ""))
                for d in JointDepartment
            },
        }


class PublicityForm(forms.Form):
    level = forms.ChoiceField(label="公示级别", choices=PublicityLevel.choices)
    starts_on = _date("公示开始日期")
    ends_on = _date("公示结束日期", required=False, initial_today=False)
    photo = forms.FileField(
        label="公示照片",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["ends_on"].help_text = (
            f"不填则按公示期{publicity_days()}天计算；公示期不少于{publicity_days()}天，"
            "须在上一级公示结束后开始。"
        )


class ObjectionForm(forms.Form):
    raised_on = _date("提出日期")
    raised_by_name = forms.CharField(label="异议人", required=False)
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionResolveForm(forms.Form):
    resolved_on = _date("处理日期")
    resolution = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 3}))


class OverrideForm(forms.Form):
    amount = _positive("调整后的补助金额（元）", 10)
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 3}))
    materials_file = forms.FileField(
        label="村级材料清单",
        required=False,
        help_text="C级危房补助超过标准金额时必须上传（照片或PDF），调整后金额不超过清单合计。",
    )
    materials_total = _positive("材料清单合计（元）", 10, required=False)


class OverrideDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结果",
        choices=[("confirm", "确认调整"), ("reject", "驳回")],
        error_messages={"required": "请选择确认或驳回。"},
    )
    note = forms.CharField(label="意见", required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "驳回须填写理由。")
        return cleaned

    def service_kwargs(self) -> dict:
        return {
            "confirm": self.cleaned_data["decision"] == "confirm",
            "note": self.cleaned_data.get("note", ""),
        }


class NotifyForm(forms.Form):
    notified_on = _date("函告日期")
    completion_due = _date("应竣工日期", required=False, initial_today=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["completion_due"].help_text = "不填则为当年7月31日。"


class CommitmentForm(forms.Form):
    signed_on = forms.DateField(
        label="签署日期",
        required=False,
        widget=DATE,
        help_text="承诺书上农户签字的日期，必须填写。",
    )
    file = forms.FileField(label="承诺书扫描件（照片或PDF）", required=False)


class SignedPaperForm(forms.Form):
    file = forms.FileField(
        label="签字扫描件（照片或PDF）",
        help_text="打印表格、签字盖章后，拍照或扫描上传。",
    )


class StartForm(forms.Form):
    started_on = _date("开工日期")
    build_mode = forms.ChoiceField(label="建设方式", choices=BuildMode.choices)
    builder_kind = forms.ChoiceField(label="施工方", choices=BuilderKind.choices)
    builder_name = forms.CharField(label="工匠/施工企业名称", max_length=100)


class PhotosForm(forms.Form):
    stage = forms.ChoiceField(label="阶段", choices=PhotoStage.choices)
    files = MultipleFileField(label="照片")

    def service_kwargs(self) -> dict:
        return {"stage": self.cleaned_data["stage"], "files": self.cleaned_data["files"]}


class QualityCheckForm(OfflineEntryForm):
    checked_on = _date("检查日期")
    inspector = forms.CharField(label="检查人", max_length=100)
    result = forms.ChoiceField(
        label="检查结果", choices=CheckResult.choices, widget=forms.RadioSelect
    )
    problems = forms.CharField(
        label="发现的问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    recheck_of = forms.ModelChoiceField(
        label="复查的检查（复查时选择）", queryset=None, required=False
    )

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = project.quality_checks.filter(result=CheckResult.PROBLEMS) if project else None
        self.fields["recheck_of"].queryset = qs


class CompleteForm(forms.Form):
    completed_on = _date("竣工日期")


def _parties_field():
    return forms.MultipleChoiceField(
        label="参加验收的各方",
        choices=AcceptanceParty.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="乡镇、村、农户、工匠或施工方四方共同验收（文件003）。",
    )


class AcceptFailedForm(forms.Form):
    inspected_on = _date("验收日期")
    parties = _parties_field()
    participants = forms.CharField(label="参加验收人员", widget=forms.Textarea(attrs={"rows": 2}))
    reasons = forms.CharField(label="未通过原因", widget=forms.Textarea(attrs={"rows": 3}))
    to_fix = forms.CharField(label="整改要求", widget=forms.Textarea(attrs={"rows": 3}))


class AcceptForm(forms.Form):
    accepted_on = _date("验收日期")
    parties = _parties_field()
    participants = forms.CharField(
        label="参加验收人员",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="乡镇、村工作人员，农户，工匠或施工方。",
    )
    evaluation_passed = forms.TypedChoiceField(
        label="基本安全评定结果",
        choices=[("1", "合格"), ("0", "不合格")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    evaluation_form = forms.FileField(label="基本安全评定表（照片或PDF）")
    built_area = forms.DecimalField(
        label="建筑面积（㎡）", max_digits=7, decimal_places=2, min_value=0
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))


class DemolitionForm(forms.Form):
    demolished_on = _date("拆除日期")
    photo = forms.FileField(
        label="拆除后照片", widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )


class MoveInForm(forms.Form):
    moved_in_on = _date("入住日期")


class CloseForm(forms.Form):
    closed_on = _date("销号日期")


class EndForm(forms.Form):
    status = forms.ChoiceField(
        label="终止方式",
        choices=[
            (s.value, s.label)
            for s in (ProjectStatus.DECLINED, ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(forms.Form):
    """Steps that need no input beyond the click (approval)."""
