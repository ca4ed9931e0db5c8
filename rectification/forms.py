from __future__ import annotations

from django import forms

from accounts.models import Area
from core.imports.pages import xlsx_file_field
from households.models import Household
from inspections.forms import MultipleFileField, MultipleFileInput
from rectification.models import (
    Complaint,
    DeadlineKind,
    RectificationCampaign,
    RectificationItem,
    Source,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _area_label(area: Area) -> str:
    return f"{area.parent.name} {area.name}" if area.parent_id else area.name


# A spot check's problems are entered by the level that ran it (rectification.spotcheck).
COUNTY_SOURCES = [
    (v, label)
    for v, label in Source.choices
    if v not in (Source.CITY_SPOT_CHECK, Source.PROVINCE_SPOT_CHECK)
]


class ItemForm(forms.ModelForm):
    stages = forms.CharField(
        label="阶段目标（长期坚持）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个：完成期限（YYYY-MM-DD） 目标，例如“2027-06-30 旧房全部拆除”。",
    )

    class Meta:
        model = RectificationItem
        fields = [
            "campaign",
            "source",
            "problem_type",
            "sub_type",
            "title",
            "findings",
            "area",
            "households",
            "measures",
            "deadline_kind",
            "deadline",
            "responsible_unit",
            "first_responsible",
            "direct_responsible",
            "remarks",
        ]
        widgets = {
            "deadline": DATE,
            "findings": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 4}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
            "households": forms.SelectMultiple(attrs={"size": 6}),
        }
        error_messages = {
            "title": {"required": "请填写具体问题。"},
            "findings": {"required": "请填写问题简述。"},
            "area": {"required": "请选择涉及区划。"},
            "responsible_unit": {"required": "请填写责任单位。"},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "---------"), *COUNTY_SOURCES]
        self.fields["campaign"].queryset = RectificationCampaign.objects.visible_to(user)
        self.fields["area"].queryset = Area.objects.visible_to(user).select_related("parent")
        self.fields["area"].label_from_instance = _area_label
        self.fields["households"].queryset = Household.objects.visible_to(user).select_related(
            "village"
        )
        self.fields["households"].label_from_instance = lambda h: f"{h.village.name} {h.head_name}"
        if self.instance.pk and self.instance.deadline_kind == DeadlineKind.LONG_TERM:
            self.initial["stages"] = "\n".join(
                f"{s.due_on:%Y-%m-%d} {s.goal}" for s in self.instance.stages.all()
            )

    def clean_stages(self):
        import datetime as dt

        stages = []
        for n, line in enumerate((self.cleaned_data.get("stages") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day, _, goal = line.partition(" ")
            try:
                due_on = dt.date.fromisoformat(day)
            except ValueError as exc:
                raise forms.ValidationError(f"第{n}行的日期无效，请写成 YYYY-MM-DD。") from exc
            if not goal.strip():
                raise forms.ValidationError(f"第{n}行缺少阶段目标内容。")
            stages.append({"due_on": due_on, "goal": goal.strip()})
        return stages

    def _post_clean(self):
        # The service validates and writes; the form only parses.
        pass


class NoteForm(forms.Form):
    content = forms.CharField(
        label="整改进展",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写整改进展。"},
    )
    files = MultipleFileField(
        label="佐证材料",
        help_text="照片（JPEG/PNG/HEIC）或 PDF，可多选。",
        widget=MultipleFileInput(
            attrs={"accept": "image/*,.heic,.heif,application/pdf", "multiple": True}
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写理由。"},
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label="核验意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CampaignForm(forms.ModelForm):
    class Meta:
        model = RectificationCampaign
        fields = ["name", "source", "plan_and_ledger_due", "report_due", "note"]
        widgets = {"plan_and_ledger_due": DATE, "report_due": DATE}
        error_messages = {"name": {"required": "请填写批次名称。"}}


class ComplaintForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = ["area", "channel", "received_on", "contact", "content", "handler"]
        widgets = {"received_on": DATE, "content": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "content": {"required": "请填写反映内容。"},
            "received_on": {"required": "请填写受理日期。"},
            "area": {"required": "请选择涉及区划。"},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user).select_related("parent")
        self.fields["area"].label_from_instance = _area_label


class ComplaintReplyForm(forms.Form):
    handler = forms.CharField(label="承办人", required=False, max_length=50)
    reply = forms.CharField(
        label="答复情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    closed = forms.BooleanField(label="办结", required=False)


class ImportUploadForm(forms.Form):
    file = xlsx_file_field("整改台账（.xlsx）")
    source = forms.ChoiceField(label="问题来源", choices=COUNTY_SOURCES)
    campaign = forms.ModelChoiceField(
        label="整改批次", queryset=RectificationCampaign.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = RectificationCampaign.objects.visible_to(user)


class ConvertForm(forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput)
    deadline = forms.DateField(label="整改期限（不填为立行立改）", required=False, widget=DATE)
