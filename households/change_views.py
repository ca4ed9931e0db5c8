"""农户信息变更申请: the pending changes of what decides money, and their confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView

from accounts.permissions import RoleRequiredMixin
from core.downloads import serve_private_file
from core.forms_views import FAILED, call_service
from households import services
from households.models import ChangeStatus, HouseholdChange


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结果",
        choices=[("confirm", "确认变更"), ("reject", "驳回")],
        error_messages={"required": "请选择确认或驳回。"},
    )
    note = forms.CharField(label="意见", required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "驳回变更申请须填写理由。")
        return cleaned


def changes_of(user):
    return HouseholdChange.objects.visible_to(user).select_related(
        "household", "household__village", "requested_by", "decided_by"
    )


class ChangeListView(RoleRequiredMixin, ListView):
    template_name = "households/change_list.html"
    context_object_name = "changes"
    paginate_by = 50

    def get_queryset(self):
        qs = changes_of(self.request.user)
        status = self.request.GET.get("status", ChangeStatus.PENDING)
        if status in ChangeStatus.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status"] = self.request.GET.get("status", ChangeStatus.PENDING)
        context["statuses"] = ChangeStatus.choices
        return context


class ChangeDetailView(RoleRequiredMixin, DetailView):
    template_name = "households/change_detail.html"
    context_object_name = "change"
    write_roles = services.CHANGE_CONFIRM_ROLES

    def get_queryset(self):
        return changes_of(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DecisionForm())
        change = self.object
        context["may_decide"] = (
            change.is_pending
            and services.confirms_directly(self.request.user)
            and change.requested_by_id != self.request.user.pk
        )
        return context

    def post(self, request, pk):
        self.object = self.get_object()
        form = DecisionForm(request.POST)
        if form.is_valid():
            result = call_service(
                form,
                lambda: services.household_change_decide(
                    change=self.object,
                    by=request.user,
                    confirm=form.cleaned_data["decision"] == "confirm",
                    note=form.cleaned_data["note"],
                ),
            )
            if result is not FAILED:
                messages.success(
                    request,
                    "已确认变更，新信息已生效。" if result.status == "confirmed" else "已驳回。",
                )
                return redirect("households:change-detail", pk=pk)
        return self.render_to_response(self.get_context_data(form=form))


class ChangeEvidenceView(RoleRequiredMixin, View):
    def get(self, request, pk):
        change = get_object_or_404(HouseholdChange.objects.visible_to(request.user), pk=pk)
        return serve_private_file(
            change.evidence,
            filename=f"变更证明材料-{change.pk}",
            content_type=change.evidence_content_type or None,
        )
