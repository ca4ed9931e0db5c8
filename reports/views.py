from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from accounts.models import AreaLevel, Role
from accounts.permissions import RoleRequiredMixin
from core.downloads import download_response
from core.errors import DomainError
from core.exports import PDF, XLSX
from households.models import CATEGORY_SHORT, CURRENT_CATEGORIES
from reports import exports, services
from reports.dashboard import dashboard
from reports.models import Alert, AlertStatus, AlertType, MonthlyReport, MonthlyReportRow
from reports.selectors import completion_chart, report_rows


class HomeView(RoleRequiredMixin, TemplateView):
    """The user's desk: key figures, charts, the queue of pending work and open alerts."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | dashboard(self.request.user)


class AlertListView(RoleRequiredMixin, ListView):
    """超期预警: the alerts of the user's area, filtered by type and status."""

    template_name = "reports/alert_list.html"
    context_object_name = "alerts"
    paginate_by = 50

    def get_queryset(self):
        qs = Alert.objects.visible_to(self.request.user).select_related("area")
        self.type = self.request.GET.get("type", "")
        self.status = self.request.GET.get("status", AlertStatus.OPEN)
        if self.type:
            if self.type not in AlertType.values:
                raise Http404("筛选条件无效。")
            qs = qs.filter(type=self.type)
        if self.status:
            if self.status not in AlertStatus.values:
                raise Http404("筛选条件无效。")
            qs = qs.filter(status=self.status)
        return qs

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "types": AlertType.choices,
            "statuses": AlertStatus.choices,
            "current_type": self.type,
            "current_status": self.status,
            "query_string": query.urlencode(),
        }


class MonthlyListView(RoleRequiredMixin, ListView):
    template_name = "reports/monthly_list.html"
    context_object_name = "reports"
    paginate_by = 24

    def get_queryset(self):
        return MonthlyReport.objects.visible_to(self.request.user).select_related("county")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "can_draft": user.role == Role.COUNTY_REVIEWER,
        }


class MonthlyDraftView(RoleRequiredMixin, View):
    """The county drafts (or refreshes) this month's report now, without waiting for beat."""

    write_roles = frozenset({Role.COUNTY_REVIEWER})

    def post(self, request):
        county = request.user.area
        if county is None or county.level != AreaLevel.COUNTY:
            raise PermissionDenied("只有县住建局可以生成月报。")
        report = services.monthly_report_draft(county, timezone.localdate())
        messages.success(request, "月报数据已更新（已报送的乡镇数据保持不变）。")
        return redirect(report)


class _ReportMixin(RoleRequiredMixin):
    def get_report(self, request, pk) -> MonthlyReport:
        return get_object_or_404(
            MonthlyReport.objects.visible_to(request.user).select_related("county"), pk=pk
        )


class MonthlyDetailView(_ReportMixin, DetailView):
    template_name = "reports/monthly_detail.html"
    context_object_name = "report"

    def get_object(self, queryset=None):
        return self.get_report(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        report = self.object
        user = self.request.user
        rows, total = report_rows(report)
        for row in rows:
            row.categories = [
                row.households_by_category.get(c.value, 0) for c in CURRENT_CATEGORIES
            ]
            row.can_submit = (
                user.role == Role.TOWNSHIP_STAFF
                and user.area_id == row.area_id
                and not row.is_frozen
            )
            row.can_reopen = (
                user.role == Role.COUNTY_REVIEWER
                and user.area_id == report.county_id
                and row.is_frozen
            )
        if total:
            total.categories = [
                total.households_by_category.get(c.value, 0) for c in CURRENT_CATEGORIES
            ]
        return {
            **super().get_context_data(**kwargs),
            "title": exports.report_title(report),
            "rows": rows,
            "total": total,
            "category_labels": [CATEGORY_SHORT[c] for c in CURRENT_CATEGORIES],
            "chart": completion_chart(rows),
        }


class MonthlyXlsxView(_ReportMixin, View):
    def get(self, request, pk):
        report = self.get_report(request, pk)
        return download_response(
            exports.monthly_xlsx(report),
            filename=f"月报-{report.month:%Y%m}.xlsx",
            content_type=XLSX,
        )


class MonthlyPdfView(_ReportMixin, View):
    def get(self, request, pk):
        report = self.get_report(request, pk)
        return download_response(
            exports.monthly_pdf(report), filename=f"月报-{report.month:%Y%m}.pdf", content_type=PDF
        )


class _RowActionView(RoleRequiredMixin, View):
    def post(self, request, pk):
        row = get_object_or_404(
            MonthlyReportRow.objects.visible_to(request.user).select_related("report"),
            pk=pk,
            is_total=False,
        )
        try:
            message = self.perform(row, request)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, message)
        return redirect(row.report)


class RowSubmitView(_RowActionView):
    write_roles = frozenset({Role.TOWNSHIP_STAFF})

    def perform(self, row, request):
        row = services.monthly_report_submit(row=row, by=request.user)
        return "已报送（逾期报送）。" if row.late else "已报送，本月数据已锁定。"


class RowReopenView(_RowActionView):
    write_roles = frozenset({Role.COUNTY_REVIEWER})

    def perform(self, row, request):
        services.monthly_report_reopen(row=row, by=request.user)
        return "已退回，乡镇可重新报送。"
