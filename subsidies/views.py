"""Pages: overview, calculator, standards, payout batches, lines (township view), advances."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from accounts.models import Area, Role
from accounts.permissions import RoleRequiredMixin, can_write
from accounts.scoping import HELD_PARENT
from core.downloads import PDF, XLSX, download_response, serve_private_file, stored_filename
from core.errors import DomainError
from core.forms_views import FAILED, call_service
from core.lists import query_string
from households.views import HouseholdPageMixin
from renovation.models import RenovationProject
from subsidies import exports, forms, selectors, services
from subsidies.calculator import calculate, ensure_standards
from subsidies.filters import LineFilter
from subsidies.models import BatchStatus, PayoutLine, SubsidyStandard, TownshipAdvance

COUNTY_READERS = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.OFFICIAL})


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _county(user) -> Area | None:
    if user.area is None or user.area.county_code is None:
        return None
    return Area.objects.filter(pk=user.area.county_code).first()


class OverviewView(RoleRequiredMixin, View):
    """Per township approved, paid and outstanding; the accepted-but-unpaid list."""

    def get(self, request):
        year = request.GET.get("year")
        year = int(year) if year and year.isascii() and year.isdigit() else None
        rows = selectors.township_overview(request.user, year)
        unpaid = selectors.accepted_unpaid(request.user)
        totals = {
            "approved": sum((r.approved for r in rows), Decimal(0)),
            "paid": sum((r.paid for r in rows), Decimal(0)),
        }
        totals["outstanding"] = totals["approved"] - totals["paid"]
        return render(
            request,
            "subsidies/overview.html",
            {
                "rows": rows,
                "totals": totals,
                "unpaid": unpaid,
                "overdue_count": sum(1 for p in unpaid if p.overdue),
                "year": year,
            },
        )


class CalculatorView(RoleRequiredMixin, View):
    def get(self, request):
        county = _county(request.user)
        data = request.GET if "category" in request.GET else None
        form = forms.CalculatorForm(data, initial={"year": timezone.localdate().year})
        result = None
        if data is not None and form.is_valid() and county is not None:
            try:
                result = calculate(county=county, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
        return render(
            request,
            "subsidies/calculator.html",
            {"form": form, "result": result, "county": county},
        )


class StandardListView(RoleRequiredMixin, View):
    def get(self, request):
        year = _year(request)
        county = _county(request.user)
        if county is not None and request.user.role in COUNTY_READERS:
            ensure_standards(county, year)
        standards = SubsidyStandard.objects.visible_to(request.user).filter(year=year)
        return render(
            request,
            "subsidies/standard_list.html",
            {
                "standards": standards.order_by("name", "level"),
                "year": year,
                "county": county,
                "can_edit": can_write(request.user, services.STANDARD_ROLES),
            },
        )


class StandardEditView(RoleRequiredMixin, View):
    write_roles = services.STANDARD_ROLES

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(
                SubsidyStandard.objects.visible_to(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def requires_write(self) -> bool:
        return True

    def _render(self, request, form):
        return render(
            request, "subsidies/standard_form.html", {"form": form, "standard": self.object}
        )

    def get(self, request, pk):
        s = self.object
        initial = {
            "base_amount": s.base_amount,
            "per_person": s.per_person,
            "cap": s.cap,
            "note": s.note,
        }
        return self._render(request, forms.StandardForm(initial=initial))

    def post(self, request, pk):
        form = forms.StandardForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        done = call_service(
            form,
            lambda: services.standard_update(
                standard=self.object, by=request.user, **form.cleaned_data
            ),
        )
        if done is FAILED:
            return self._render(request, form)
        messages.success(request, f"已修改补助标准：{self.object}。")
        return redirect(f"/subsidies/standards/?year={self.object.year}")


class BatchListView(RoleRequiredMixin, View):
    write_roles = services.BATCH_ROLES

    def _render(self, request, form):
        return render(
            request,
            "subsidies/batch_list.html",
            {
                "batches": selectors.batch_list(request.user),
                "form": form,
                "can_create": can_write(request.user, services.BATCH_ROLES),
            },
        )

    def get(self, request):
        return self._render(request, forms.BatchForm(user=request.user))

    def post(self, request):
        form = forms.BatchForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, form)
        batch = call_service(
            form, lambda: services.batch_create(by=request.user, **form.cleaned_data)
        )
        if batch is FAILED:
            return self._render(request, form)
        messages.success(request, f"已创建拨付批次 {batch.number}。")
        return redirect(batch)


class BatchMixin(RoleRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        # Another area's batch is a 404 before any role check.
        if request.user.is_authenticated:
            self.batch = get_object_or_404(selectors.batch_list(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class BatchDetailView(BatchMixin, View):
    def get(self, request, pk):
        batch = self.batch
        user = request.user
        lines = selectors.line_list(user).filter(batch=batch).order_by("id")
        drawn = services.allocation_drawn(batch.allocation) if batch.allocation_id else None
        return render(
            request,
            "subsidies/batch_detail.html",
            {
                "batch": batch,
                "lines": lines,
                "payable": (
                    selectors.payable_projects(user, batch)
                    if batch.status == BatchStatus.DRAFTED and can_write(user, services.BATCH_ROLES)
                    else []
                ),
                "can_edit": can_write(user, services.BATCH_ROLES),
                "can_pay": can_write(user, services.PAY_ROLES),
                "pay_form": forms.PayForm(),
                "allocation_form": forms.BatchAllocationForm(
                    user=user, initial={"allocation": batch.allocation_id}
                ),
                "allocation_drawn": drawn,
                "allocation_balance": (
                    batch.allocation.amount - drawn if drawn is not None else None
                ),
                "refused": request.session.pop(f"batch-{batch.pk}-refused", None),
            },
        )


ACTION_ROLES = {
    "add_lines": services.BATCH_ROLES,
    "remove_line": services.BATCH_ROLES,
    "submit": services.BATCH_ROLES,
    "set_allocation": services.BATCH_ROLES,
    "send_back": services.PAY_ROLES,
    "pay": services.PAY_ROLES,
    "reconcile": services.PAY_ROLES,
}


class BatchActionView(BatchMixin, View):
    """One POST per step; the service refuses anything out of order with a message."""

    @property
    def write_roles(self):
        return ACTION_ROLES.get(self.kwargs.get("action"), services.BATCH_ROLES)

    def post(self, request, pk, action):
        if action not in ACTION_ROLES:
            raise Http404
        batch, user = self.batch, request.user
        try:
            if action == "add_lines":
                self._add_lines(request, batch)
            elif action == "remove_line":
                line_id = request.POST.get("line", "")
                if not (line_id.isascii() and line_id.isdigit()):
                    return HttpResponseBadRequest("请选择要删除的拨付明细（明细编号无效）。")
                line = get_object_or_404(
                    PayoutLine.objects.unscoped(HELD_PARENT).filter(batch=batch), pk=line_id
                )
                services.batch_remove_line(line=line, by=user)
                messages.success(request, "已删除该明细。")
            elif action == "set_allocation":
                form = forms.BatchAllocationForm(request.POST, user=user)
                if not form.is_valid():
                    raise DomainError("请选择资金指标。")
                services.batch_set_allocation(
                    batch=batch, by=user, allocation=form.cleaned_data["allocation"]
                )
                messages.success(request, "已选择资金指标。")
            elif action == "submit":
                services.batch_submit(batch=batch, by=user)
                messages.success(request, "已提交财政。")
            elif action == "send_back":
                services.batch_return(batch=batch, by=user)
                messages.success(request, "已退回草稿。")
            elif action == "pay":
                form = forms.PayForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise DomainError("请填写拨付日期并上传拨付凭证。")
                services.batch_pay(batch=batch, by=user, **form.cleaned_data)
                messages.success(request, "已确认拨付。")
            elif action == "reconcile":
                services.batch_reconcile(batch=batch, by=user)
                messages.success(request, "已完成对账。")
        except services.LinesRefused as exc:
            messages.error(request, str(exc))
            request.session[f"batch-{batch.pk}-refused"] = list(exc.errors.values())
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(batch)

    def _add_lines(self, request, batch):
        ids = [int(v) for v in request.POST.getlist("projects") if v.isascii() and v.isdigit()]
        if not ids:
            raise DomainError("请至少选择一个项目。")
        projects = RenovationProject.objects.visible_to(request.user).in_bulk(ids)
        if len(projects) != len(set(ids)):
            raise DomainError("所选项目中有不存在或无权操作的项目，均未加入批次。")
        items = [services.LineRequest(project=projects[i]) for i in dict.fromkeys(ids)]
        lines = services.batch_add_lines(batch=batch, by=request.user, items=items)
        messages.success(request, f"已添加 {len(lines)} 条拨付明细。")


class BatchXlsxView(BatchMixin, View):
    """Direct download of the finance list (the background export is on the batch page)."""

    def get(self, request, pk):
        content = exports.build_workbook(request.user, self.batch)
        return download_response(
            content, filename=exports.filename(self.batch, "xlsx"), content_type=XLSX
        )


class BatchPdfView(BatchMixin, View):
    def get(self, request, pk):
        content = exports.render_summary_pdf(self.batch)
        return download_response(
            content, filename=exports.filename(self.batch, "pdf"), content_type=PDF
        )


class BatchVoucherView(BatchMixin, View):
    def get(self, request, pk):
        voucher = self.batch.voucher
        if not voucher:
            raise Http404("没有拨付凭证。")
        return serve_private_file(
            voucher,
            filename=stored_filename(voucher, f"voucher-{self.batch.pk}"),
            content_type=self.batch.voucher_content_type,
        )


class LineListView(RoleRequiredMixin, View):
    """The payout lines of the user's area (read-only): how townships follow payments."""

    paginate_by = 100

    def get(self, request):
        from django.core.paginator import Paginator
        from django.db.models import Count, Sum

        lines = selectors.line_list(request.user).order_by("-batch__batch_date", "id")
        filterset = LineFilter(request.GET, queryset=lines)
        lines = filterset.qs if filterset.is_valid() else lines.none()
        totals = lines.order_by().aggregate(count=Count("id"), amount=Sum("amount"))
        page = Paginator(lines, self.paginate_by).get_page(request.GET.get("page"))
        context = {
            "filter": filterset,
            "lines": page.object_list,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "query_string": query_string(request),
            "totals": totals,
        }
        return render(request, "subsidies/line_list.html", context)


class AdvanceListView(RoleRequiredMixin, View):
    write_roles = services.ADVANCE_ROLES

    def _render(self, request, form):
        return render(
            request,
            "subsidies/advance_list.html",
            {
                "advances": selectors.advance_list(request.user),
                "form": form,
                "reimburse_form": forms.ReimburseForm(),
                "can_record": can_write(request.user, services.ADVANCE_ROLES),
                "can_reimburse": can_write(request.user, services.REIMBURSE_ROLES),
                "can_report": can_write(request.user, services.REPORT_ROLES),
            },
        )

    def get(self, request):
        return self._render(request, forms.AdvanceForm())

    def post(self, request):
        form = forms.AdvanceForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        data = dict(form.cleaned_data)
        project = RenovationProject.objects.visible_to(request.user).filter(pk=data.pop("project"))
        project = project.first()
        if project is None:
            form.add_error("project", "项目不存在或不在您的管辖区划内。")
            return self._render(request, form)
        done = call_service(
            form, lambda: services.advance_record(project=project, by=request.user, **data)
        )
        if done is FAILED:
            return self._render(request, form)
        messages.success(request, "已登记乡镇垫付。")
        return redirect("subsidies:advance_list")


class _AdvanceActionView(RoleRequiredMixin, View):
    """A POST on one advance of the user's area (found first: another area's is a 404)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.advance = get_object_or_404(
                TownshipAdvance.objects.visible_to(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)


class AdvanceReportView(_AdvanceActionView):
    """The township reports an advance up for reimbursement (申请归还)."""

    write_roles = services.REPORT_ROLES

    def post(self, request, pk):
        form = forms.ReportForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError("请填写申请归还日期。")
            services.advance_report(advance=self.advance, by=request.user, **form.cleaned_data)
            messages.success(request, "已申请归还该笔垫付。")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("subsidies:advance_list")


class AdvanceReimburseView(_AdvanceActionView):
    write_roles = services.REIMBURSE_ROLES

    def post(self, request, pk):
        form = forms.ReimburseForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写归还日期。")
            return redirect("subsidies:advance_list")
        batch = None
        if form.cleaned_data.get("batch"):
            batch = selectors.batch_list(request.user).filter(pk=form.cleaned_data["batch"])
            batch = batch.first()
        try:
            if form.cleaned_data.get("batch") and batch is None:
                raise DomainError("该批次不存在或不在您的管辖区划内。")
            services.advance_reimburse(
                advance=self.advance,
                by=request.user,
                reimbursed_on=form.cleaned_data["reimbursed_on"],
                batch=batch,
            )
            messages.success(request, "已登记垫付归还。")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("subsidies:advance_list")


class FundsView(RoleRequiredMixin, View):
    """资金管理: allocations from each level, what batches drew and paid, the balance."""

    read_roles = COUNTY_READERS
    write_roles = services.ALLOCATION_ROLES

    def _render(self, request, form, status=200):
        year = request.GET.get("year")
        year = int(year) if year and year.isascii() and year.isdigit() else None
        return render(
            request,
            "subsidies/funds.html",
            {
                "summary": selectors.funds_summary(request.user, year),
                "allocations": selectors.allocation_list(request.user),
                "form": form,
                "year": year,
                "can_record": can_write(request.user, services.ALLOCATION_ROLES),
                "advances_reported": selectors.advance_list(request.user).filter(
                    reported_on__isnull=False, reimbursed_on__isnull=True
                ),
            },
            status=status,
        )

    def get(self, request):
        return self._render(request, forms.AllocationForm(user=request.user))

    def post(self, request):
        form = forms.AllocationForm(request.POST, user=request.user)
        if form.is_valid():
            done = call_service(
                form, lambda: services.allocation_create(by=request.user, **form.cleaned_data)
            )
            if done is not FAILED:
                messages.success(request, f"已登记资金指标 {done}。")
                return redirect("subsidies:funds")
        return self._render(request, form)


class ReadmissionView(HouseholdPageMixin, View):
    """因灾再次纳入: a renovated house damaged again may apply once more, with the proof."""

    write_roles = services.RECORD_ROLES

    def _render(self, request, form):
        return render(
            request,
            "subsidies/readmission_form.html",
            {"form": form, "household": self.household},
        )

    def get(self, request, pk):
        return self._render(request, forms.ReadmissionForm())

    def post(self, request, pk):
        form = forms.ReadmissionForm(request.POST, request.FILES)
        if form.is_valid():
            done = call_service(
                form,
                lambda: services.readmission_for_household(
                    household=self.household, by=request.user, **form.cleaned_data
                ),
            )
            if done is not FAILED:
                messages.success(request, "已登记因灾再次纳入，可以申请新的改造项目。")
                return redirect("inspections:household", pk=self.household.pk)
        return self._render(request, form)
