from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from accounts.permissions import RoleRequiredMixin
from core.downloads import (
    download_response,
    serve_private_file,
    stored_filename,
    thumbnail_response,
)
from core.forms_views import FAILED, call_service
from core.lists import FilteredListMixin
from core.offline import OfflineEntryMixin
from core.pagination import CappedPaginator
from core.rules import has_role
from households import panels
from households import selectors as household_selectors
from households.filters import VillageMenuMixin
from households.models import Category, Household
from households.views import HouseholdPageMixin
from inspections import selectors, services
from inspections.exports import LedgerExporter
from inspections.filters import LedgerFilter, OverviewFilter
from inspections.forms import (
    AppraisalForm,
    CampaignForm,
    EmergencyMeasureForm,
    HazardReportForm,
    HazardVerifyForm,
    InspectionForm,
)
from inspections.household_links import household_actions
from inspections.models import Appraisal, HazardStatus, Photo, SafetyState


class _PaginatedListMixin(FilteredListMixin):
    paginator_class = CappedPaginator  # no exact COUNT(*) over a county per page


class OverviewView(RoleRequiredMixin, VillageMenuMixin, _PaginatedListMixin, ListView):
    """排查鉴定首页: every visible household with its current level and last inspection."""

    template_name = "inspections/overview.html"
    context_object_name = "households"
    filterset_class = OverviewFilter

    def base_queryset(self):
        return selectors.household_overview(self.request.user)


class HouseholdRecordView(RoleRequiredMixin, DetailView):
    """One household's appraisals, inspections, hazard reports and emergency measures."""

    template_name = "inspections/household.html"
    context_object_name = "household"

    def get_queryset(self):
        return household_selectors.household_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        h = self.object
        context["appraisals"] = h.appraisals.select_related("created_by").prefetch_related("photos")
        context["current"] = selectors.current_appraisal(h)
        context["inspections"] = h.inspections.select_related(
            "inspector", "campaign"
        ).prefetch_related("photos")
        context["hazards"] = h.hazard_reports.select_related(
            "reporter", "verified_by"
        ).prefetch_related("photos")
        context["measures"] = h.emergency_measures.select_related("created_by")
        context["states"] = list(
            SafetyState.objects.unscoped("of the held household")
            .filter(household=h)
            .order_by("-on", "-id")
        )
        context["state"] = context["states"][0] if context["states"] else None
        context["renovated"] = any(s.source in ("closeout", "historic") for s in context["states"])
        user = self.request.user
        context["actions"] = household_actions(h, user, context["state"])
        # The result page of an inspection or appraisal: "申请改造" for a C/D house is here.
        context["panels"] = [p for p in panels.render_context(h, user) if p["name"] != "safety"]
        return context


class _HouseholdActionView(HouseholdPageMixin, FormView):
    """A form about one household of the user's area; the service does the write."""

    success_message = "已保存。"
    #: The name of the `inspections.services` function that records the form's data.
    service: str

    def perform(self, data):
        getattr(services, self.service)(household=self.household, by=self.request.user, **data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["household"] = self.household
        context["title"] = self.title
        return context

    def form_valid(self, form):
        if call_service(form, lambda: self.perform(form.cleaned_data)) is FAILED:
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("inspections:household", pk=self.household.pk)


class _OfflineHouseholdEntry(OfflineEntryMixin, _HouseholdActionView):
    """A household form that works without signal (core/offline.py, static/js/offline.js)."""

    def offline_household(self):
        return self.household


class InspectionCreateView(_OfflineHouseholdEntry):
    template_name = "inspections/inspection_form.html"
    form_class = InspectionForm
    write_roles = services.INSPECTION_ROLES
    title = "录入排查记录"
    success_message = "已保存排查记录。"
    offline_label = "排查记录"
    service = "inspection_record"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class AppraisalCreateView(_HouseholdActionView):
    template_name = "inspections/appraisal_form.html"
    form_class = AppraisalForm
    write_roles = services.APPRAISAL_ROLES
    title = "录入鉴定（评定）结果"
    success_message = "已保存鉴定结果。"
    service = "appraisal_record"


class HazardReportCreateView(_OfflineHouseholdEntry):
    template_name = "inspections/hazard_form.html"
    form_class = HazardReportForm
    write_roles = services.HAZARD_REPORT_ROLES
    title = "上报房屋安全隐患"
    success_message = "已上报，等待乡镇核实。"
    offline_label = "隐患上报"
    service = "hazard_report_create"


class EmergencyMeasureCreateView(_HouseholdActionView):
    template_name = "inspections/simple_form.html"
    form_class = EmergencyMeasureForm
    write_roles = services.EMERGENCY_ROLES
    title = "登记应急措施（D级危房住人）"
    success_message = "已登记应急措施。"
    service = "emergency_measure_record"


class LedgerView(RoleRequiredMixin, VillageMenuMixin, _PaginatedListMixin, ListView):
    template_name = "inspections/ledger.html"
    context_object_name = "rows"
    filterset_class = LedgerFilter

    def base_queryset(self):
        return selectors.ledger(self.request.user)


class LedgerExportView(RoleRequiredMixin, View):
    """Direct download of the filtered ledger (the page also offers a background export)."""

    def get(self, request):
        result = LedgerExporter().run(request.user, request.GET.dict())
        return download_response(
            result.content, filename=result.filename, content_type=result.content_type
        )


class PendingAppraisalsView(RoleRequiredMixin, _PaginatedListMixin, ListView):
    """待鉴定: households from department lists still waiting for their appraisal."""

    template_name = "inspections/pending.html"
    context_object_name = "entries"

    def get_queryset(self):
        return selectors.pending_appraisals(self.request.user)


class HazardQueueView(RoleRequiredMixin, _PaginatedListMixin, ListView):
    template_name = "inspections/hazard_queue.html"
    context_object_name = "reports"

    def get_queryset(self):
        if self.request.GET.get("all"):
            return selectors.hazard_list(self.request.user).order_by(
                "-urgent", "-reported_on", "-id"
            )
        return selectors.hazard_queue(self.request.user)


class HazardDetailView(RoleRequiredMixin, FormView):
    """A hazard report; township staff give their verdict here (the form works on a phone)."""

    template_name = "inspections/hazard_detail.html"
    form_class = HazardVerifyForm
    write_roles = services.HAZARD_VERIFY_ROLES

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.report = get_object_or_404(selectors.hazard_list(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = self.report
        user = self.request.user
        context["can_verify"] = self.report.status == HazardStatus.REPORTED and (
            user.role in services.HAZARD_VERIFY_ROLES
        )
        return context

    def form_valid(self, form):
        done = call_service(
            form,
            lambda: services.hazard_report_verify(
                report=self.report, by=self.request.user, **form.cleaned_data
            ),
        )
        if done is FAILED:
            return self.form_invalid(form)
        messages.success(self.request, "已保存核实结果。")
        return redirect("inspections:hazard_queue")


class CampaignListView(RoleRequiredMixin, _PaginatedListMixin, ListView):
    template_name = "inspections/campaign_list.html"
    context_object_name = "campaigns"

    def get_queryset(self):
        return selectors.campaign_list(self.request.user)


class CampaignCreateView(RoleRequiredMixin, FormView):
    template_name = "inspections/campaign_form.html"
    form_class = CampaignForm
    write_roles = services.CAMPAIGN_ROLES

    def requires_write(self) -> bool:
        return True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        campaign = call_service(
            form, lambda: services.campaign_create(by=self.request.user, **form.cleaned_data)
        )
        if campaign is FAILED:
            return self.form_invalid(form)
        messages.success(self.request, f"已创建排查批次：{campaign.name}。")
        return redirect(campaign)


class CampaignDetailView(RoleRequiredMixin, DetailView):
    template_name = "inspections/campaign_detail.html"
    context_object_name = "campaign"

    def get_queryset(self):
        return selectors.campaign_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = selectors.campaign_progress(self.object, self.request.user)
        return context


class PhotoFileView(RoleRequiredMixin, View):
    """Photos hold personal data: served only after the area check (never via MEDIA_URL)."""

    def get(self, request, pk):
        photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
        return serve_private_file(
            photo.file,
            filename=stored_filename(photo.file, f"photo-{photo.pk}"),
            content_type=photo.content_type,
        )


class PhotoThumbView(RoleRequiredMixin, View):
    """The photo shrunk for a list (same area check as the original)."""

    def get(self, request, pk):
        photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
        return thumbnail_response(photo.file, filename=f"photo-{photo.pk}-thumb.jpg")


class AppraisalReportView(RoleRequiredMixin, View):
    def get(self, request, pk):
        appraisal = get_object_or_404(Appraisal.objects.visible_to(request.user), pk=pk)
        if not appraisal.report_file:
            raise Http404("该鉴定没有上传报告。")
        return serve_private_file(
            appraisal.report_file,
            filename=stored_filename(appraisal.report_file, f"appraisal-{appraisal.pk}"),
            content_type=appraisal.report_content_type,
        )


class FieldView(RoleRequiredMixin, TemplateView):
    """离线外业: what was recorded without signal and waits to be sent, and the households of
    the user's area kept on the phone for lookup (static/js/offline.js)."""

    template_name = "inspections/field.html"


class FieldHouseholdsView(RoleRequiredMixin, View):
    """The user's households for the phone, masked numbers only (never the full ID)."""

    LIMIT = 5000

    def get(self, request):
        user = request.user
        # Values, not instances: an instance decrypts its ID number, only the mask is sent.
        rows = list(
            Household.objects.visible_to(user)
            .order_by("village_id", "head_name", "pk")
            .values(
                "pk",
                "head_name",
                "id_number_masked",
                "village__name",
                "village__parent__name",
                "category",
                "version",
            )[: self.LIMIT + 1]
        )
        can_inspect = has_role(user, services.INSPECTION_ROLES)
        can_report = has_role(user, services.HAZARD_REPORT_ROLES)
        categories = dict(Category.choices)
        households = [
            {
                "id": h["pk"],
                "head_name": h["head_name"],
                "id_number_masked": h["id_number_masked"],
                "village": f"{h['village__parent__name'] or ''} {h['village__name']}",
                "category": categories.get(h["category"], h["category"]),
                "version": h["version"],
                "inspect_url": reverse("inspections:inspection_create", args=[h["pk"]])
                if can_inspect
                else "",
                "hazard_url": reverse("inspections:hazard_create", args=[h["pk"]])
                if can_report
                else "",
            }
            for h in rows[: self.LIMIT]
        ]
        response = JsonResponse(
            {
                "households": households,
                "truncated": len(rows) > self.LIMIT,
                "limit": self.LIMIT,
                "saved_at": timezone.localtime().isoformat(timespec="minutes"),
            },
            json_dumps_params={"ensure_ascii": False},
        )
        response["Cache-Control"] = "private, no-store"
        return response
