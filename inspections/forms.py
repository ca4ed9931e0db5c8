from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.models import Area, AreaLevel
from core.offline import OfflineEntryForm
from inspections.models import (
    AppraisalMethod,
    Campaign,
    CampaignKind,
    MeasureKind,
    SafetyLevel,
)

DATE_WIDGET = {"type": "date"}
YES_NO = [(True, "是"), (False, "否")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by core.uploads in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": "image/*,.heic,.heif", "capture": "environment", "multiple": True}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        initial=timezone.localdate,
        error_messages={"required": f"请填写{label}。", "invalid": f"{label}格式不正确。"},
    )


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
        error_messages={"required": f"请选择{label}。"},
    )


class InspectionForm(OfflineEntryForm):
    inspected_on = _date_field("排查日期")
    occupied = _yes_no("是否住人")
    findings = forms.CharField(
        label="排查情况",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写排查情况。"},
    )
    campaign = forms.ModelChoiceField(
        label="排查批次",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="（不属于批次）",
    )
    photos = MultipleFileField(label="现场照片", help_text="可直接拍照，可多张；JPEG/PNG/HEIC。")
    latitude = forms.DecimalField(
        widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6
    )
    location_accuracy = forms.FloatField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user)


class AppraisalForm(forms.Form):
    level = forms.ChoiceField(
        label="安全等级",
        choices=SafetyLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择安全等级。"},
    )
    method = forms.ChoiceField(
        label="方式",
        choices=AppraisalMethod.choices,
        error_messages={"required": "请选择鉴定方式。"},
    )
    appraiser_name = forms.CharField(
        label="鉴定（评定）人", max_length=50, error_messages={"required": "请填写鉴定（评定）人。"}
    )
    institution = forms.CharField(
        label="鉴定机构", max_length=100, required=False, help_text="第三方鉴定必填。"
    )
    appraised_on = _date_field("鉴定日期")
    is_reappraisal = forms.BooleanField(
        label="复核鉴定（农户对原结果有异议，由第三方机构重新鉴定）", required=False
    )
    report_file = forms.FileField(
        label="鉴定报告",
        required=False,
        help_text="PDF 或图片，不超过 10 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )
    photos = MultipleFileField(label="照片")
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class HazardReportForm(OfflineEntryForm):
    description = forms.CharField(
        label="隐患情况",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写隐患情况。"},
    )
    reported_on = _date_field("上报日期")
    urgent = forms.BooleanField(label="紧急（有倒塌危险或仍有人居住）", required=False)
    photos = MultipleFileField(label="现场照片")


class HazardVerifyForm(forms.Form):
    is_real = _yes_no("隐患是否属实")
    note = forms.CharField(
        label="核实意见", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EmergencyMeasureForm(forms.Form):
    measure = forms.ChoiceField(
        label="措施",
        choices=MeasureKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择措施。"},
    )
    taken_on = _date_field("日期")
    stays_at = forms.CharField(
        label="现居住地点",
        max_length=200,
        required=False,
        help_text="如：投靠亲属（地址）、村集体周转房。",
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CampaignForm(forms.Form):
    name = forms.CharField(
        label="批次名称", max_length=100, error_messages={"required": "请填写批次名称。"}
    )
    kind = forms.ChoiceField(label="排查类型", choices=CampaignKind.choices)
    areas = forms.ModelMultipleChoiceField(
        label="排查范围",
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择排查范围。"},
    )
    starts_on = _date_field("开始日期")
    ends_on = _date_field("结束日期")
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.visible_to(user).exclude(
            level=AreaLevel.VILLAGE
        )
        self.fields["areas"].label_from_instance = lambda a: f"{a.name}（{a.get_level_display()}）"
