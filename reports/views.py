from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from accounts.models import HIGHER_ROLES, Area, AreaLevel, Role
from accounts.permissions import RoleRequiredMixin
from core.db import reading_replica
from core.downloads import download_response
from core.errors import DomainError
from core.exports import PDF, XLSX
from core.forms_views import ServiceFormMixin, run_action
from core.lists import query_string
from households.models import CATEGORY_SHORT, CURRENT_CATEGORIES
from reports import exports, rollup, services, targets
from reports.dashboard import dashboard
from reports.forms import TargetForm
from reports.models import (
    Alert,
    AlertStatus,
    AlertType,
    AnnualTarget,
    MonthlyReport,
    MonthlyReportRow,
)
from reports.selectors import completion_chart, report_rows


class HomeView(RoleRequiredMixin, TemplateView):
    """The user's desk: key figures, charts, the queue of pending work and open alerts."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        # Aggregates from the read replica when there is one (not right after the user wrote).
        with reading_replica(self.request.user):
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
        return {
            **super().get_context_data(**kwargs),
            "types": AlertType.choices,
            "statuses": AlertStatus.choices,
            "current_type": self.type,
            "current_status": self.status,
            "query_string": query_string(self.request),
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
        report = services.monthly_report_draft(county=county, month=timezone.localdate())
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
            "can_send": (
                user.role == Role.COUNTY_REVIEWER
                and user.area_id == report.county_id
                and report.sent_at is None
            ),
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


# --- annual targets, the city's and province's roll-up, the county sending its report ------


def _year_of(request) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


class TargetListView(RoleRequiredMixin, TemplateView):
    """年度任务: the user's area and the areas below it, targets against progress."""

    template_name = "reports/targets.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        year = _year_of(self.request)
        progress = targets.target_progress(user, year)
        area = progress.get("area")
        rows = progress["rows"]
        codes = [r.code for r in rows] + ([area.code] if area else [])
        assignable = {
            a.code for a in Area.objects.filter(code__in=codes) if targets.may_assign(user, a)
        }
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 4, -1),
            "progress": progress,
            "assignable": assignable,
            "history": targets.target_rows(user, year),
        }


class TargetSetView(RoleRequiredMixin, ServiceFormMixin, FormView):
    """下达 or 调整 one area's target for a year."""

    template_name = "reports/target_form.html"
    form_class = TargetForm
    write_roles = targets.TARGET_ROLES

    def requires_write(self) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.area = get_object_or_404(Area.objects.visible_to(request.user), pk=kwargs["code"])
        self.year = kwargs["year"]
        if not 2000 <= self.year <= 2100:
            raise Http404
        self.current = (
            AnnualTarget.objects.visible_to(request.user)
            .filter(area=self.area, year=self.year)
            .first()
        )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.current is None:
            return {}
        return {"renovations": self.current.renovations, "funds": self.current.funds}

    def get_context_data(self, **kwargs):
        verb = "调整" if self.current else "下达"
        return {
            **super().get_context_data(**kwargs),
            "title": f"{verb}{self.area.name}{self.year}年度任务",
            "area": self.area,
            "year": self.year,
            "current": self.current,
            "revisions": targets.revisions_of(self.current) if self.current else [],
        }

    def perform(self, form):
        return targets.target_set(
            by=self.request.user, area=self.area, year=self.year, **form.cleaned_data
        )

    def done(self, form, result):
        messages.success(
            self.request, f"已保存{self.area.name}{self.year}年度任务（第{result.version}版）。"
        )
        return redirect(f"{reverse('reports:targets')}?year={self.year}")


class _RollupMixin(RoleRequiredMixin):
    read_roles = HIGHER_ROLES

    def ranking(self) -> dict:
        area = rollup.rollup_area(self.request.user)
        if area is None:
            raise PermissionDenied("市级、省级账号才能查看各县汇总。")
        today = timezone.localdate()
        try:
            month = dt.date.fromisoformat(self.request.GET.get("month", "") + "-01")
        except ValueError:
            month = today.replace(day=1)
        if not dt.date(2000, 1, 1) <= month <= today:
            month = today.replace(day=1)
        # Every county's figures: a report read, from the replica when there is one.
        with reading_replica(self.request.user):
            return rollup.county_ranking(area, month, today)


class RollupView(_RollupMixin, TemplateView):
    """市、省: the counties ranked, their figures, and whether each sent its monthly report."""

    template_name = "reports/rollup.html"

    def get_context_data(self, **kwargs):
        ranking = self.ranking()
        month = ranking["month"]
        return {
            **super().get_context_data(**kwargs),
            **ranking,
            "rate_names": rollup.RATE_NAMES,
            "month_value": f"{month:%Y-%m}",
            "title": exports.rollup_title(ranking),
        }


class RollupXlsxView(_RollupMixin, View):
    def get(self, request):
        ranking = self.ranking()
        return download_response(
            exports.rollup_xlsx(ranking),
            filename=f"{exports.rollup_title(ranking)}.xlsx",
            content_type=XLSX,
        )


class MonthlySendView(_ReportMixin, View):
    """县报市: the county sends the month's report to the city."""

    write_roles = frozenset({Role.COUNTY_REVIEWER})

    def post(self, request, pk):
        report = self.get_report(request, pk)
        run_action(
            request,
            lambda: services.monthly_report_send(report=report, by=request.user),
            "已向市级报送本月月报。",
        )
        return redirect(report)
