from __future__ import annotations

from django import forms

from accounts.models import Area, AreaLevel
from accounts.scoping import HeldParentInlineFormSet
from core.validators import id_number_error
from households import validation
from households.models import Household, Member, Relation
from households.services import EDITABLE_FIELDS, confirms_directly


class IdNumberField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("min_length", None)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        value = "".join((value or "").split()).upper()
        if value:
            error = id_number_error(value)
            if error:
                raise forms.ValidationError(error)
        return value


class HouseholdForm(forms.ModelForm):
    id_number = IdNumberField(label="户主身份证号")
    bank_account = forms.CharField(
        label="一卡通账号",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_evidence = forms.FileField(
        label="变更证明材料",
        required=False,
        help_text="修改重点对象类型、家庭人口、家庭成员或一卡通账号时上传（如认定文件、银行卡照片），"
        "由县住建局审核员确认后生效。",
    )

    class Meta:
        model = Household
        fields = list(EDITABLE_FIELDS)  # the fields the services accept
        widgets = {
            "identified_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "split_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        error_messages = {
            "head_name": {"required": "请填写户主姓名。"},
            "family_size": {"required": "请填写家庭人口。"},
            "category": {"required": "请选择重点对象类型。"},
            "village": {"required": "请选择所在村。"},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["village"].queryset = (
            Area.objects.visible_to(user).filter(level=AreaLevel.VILLAGE).select_related("parent")
        )
        self.fields["village"].label_from_instance = lambda a: f"{a.parent.name} {a.name}"
        if self.instance.pk:
            # Sensitive numbers are never sent back to the browser: blank keeps them.
            self.initial["id_number"] = ""
            self.initial["bank_account"] = ""
            self.initial["version"] = self.instance.version
            self.fields["id_number"].required = False
            self.fields[
                "id_number"
            ].help_text = f"当前：{self.instance.id_number_masked}。留空表示不修改。"
            self.fields[
                "bank_account"
            ].help_text = f"当前：{self.instance.bank_account_masked or '未登记'}。留空表示不修改。"
        else:
            self.fields["id_number"].error_messages["required"] = "请填写户主身份证号。"
        if not self.instance.pk or confirms_directly(user):
            del self.fields["change_evidence"]

    def clean_bank_account(self):
        return "".join((self.cleaned_data.get("bank_account") or "").split())

    def clean_phone(self):
        return (self.cleaned_data.get("phone") or "").strip()

    def clean(self):
        # The rules the API, the imports and the services apply too (households.validation).
        cleaned = super().clean()
        for field, messages in validation.household_errors(cleaned).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        return cleaned

    def _post_clean(self):
        # Model validation would decrypt/compare secrets; the service layer checks them.
        pass


class MemberForm(forms.ModelForm):
    id_number = IdNumberField(label="身份证号", required=False)

    class Meta:
        model = Member
        fields = ["name", "relation", "id_number"]
        error_messages = {"name": {"required": "请填写成员姓名。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A blank first choice keeps the spare row of the formset "unchanged" when left empty.
        self.fields["relation"].choices = [("", "请选择")] + list(Relation.choices)
        self.fields["relation"].error_messages["required"] = "请选择与户主关系。"
        if self.instance.pk:
            self.initial["id_number"] = ""
            self.fields[
                "id_number"
            ].help_text = f"当前：{self.instance.id_number_masked or '未登记'}；留空不修改"

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        message = validation.text_error("name", name)
        if message:
            raise forms.ValidationError(message)
        return name

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number")
        if not value and self.instance.pk:
            return self.instance.id_number  # blank keeps the number on file
        return value


MemberFormSet = forms.inlineformset_factory(
    Household,
    Member,
    form=MemberForm,
    formset=HeldParentInlineFormSet,
    extra=1,
    can_delete=True,
    max_num=29,
)


def formset_members(formset) -> list[dict]:
    """The member list a valid formset describes (blank ID numbers keep the one on file)."""
    members = []
    for form in formset.forms:
        if form in formset.deleted_forms:
            continue
        if not form.instance.pk and not form.has_changed():
            continue  # the spare empty row
        data = form.cleaned_data
        members.append(
            {
                "name": data.get("name", ""),
                "relation": data.get("relation", ""),
                "id_number": data.get("id_number") or "",
            }
        )
    return members
