"""Pages: project list (with batch approval), project page, one form per step, documents."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from accounts.models import Area, AreaLevel
from accounts.permissions import RoleRequiredMixin, can_write
from accounts.scoping import HELD_PARENT
from core.downloads import (
    PDF,
    XLSX,
    download_response,
    serve_private_file,
    stored_filename,
    thumbnail_response,
)
from core.errors import DomainError, RoleRefused
from core.forms_views import ServiceFormMixin
from core.lists import FilteredListMixin
from core.offline import OfflineEntryMixin
from core.rules import has_role
from households import selectors as household_selectors
from households.models import Household
from households.views import HouseholdPageMixin
from renovation import documents, forms, paper, selectors, services
from renovation.archive import build_archive, build_archive_pdf
from renovation.filters import ProjectFilter
from renovation.models import (
    Acceptance,
    AmountOverride,
    Commitment,
    Demolition,
    FailedAcceptance,
    NationalStage,
    ProjectPhoto,
    ProjectStatus,
    PublicityLevel,
    RenovationProject,
    SignedPaper,
    VillageReview,
)
from renovation.national import national_queryset
from renovation.steps import STEPS, Step, allowed_actions, refusal

S = ProjectStatus


def available_steps(project: RenovationProject, user) -> list[tuple[str, Step]]:
    """The project page's buttons: the steps the step table opens to `user` now."""
    return [(step.name, step) for step in allowed_actions(project, user)]


class ProjectListView(RoleRequiredMixin, FilteredListMixin, ListView):
    template_name = "renovation/project_list.html"
    context_object_name = "projects"
    filterset_class = ProjectFilter

    def base_queryset(self):
        return selectors.project_list(self.request.user)

    def get_queryset(self):
        order = ("-year", "household__village_id", "household__head_name")
        return super().get_queryset().order_by(*order)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_approve"] = has_role(user, services.APPROVE_ROLES)
        if context["can_approve"]:
            # Batch approval offers only the rows that can be approved today.
            shown = [p.pk for p in context["projects"]]
            context["approvable"] = set(
                selectors.ready_for_approval(
                    RenovationProject.objects.unscoped("rows of this page").filter(pk__in=shown)
                ).values_list("pk", flat=True)
            )
        context["can_publicize"] = has_role(user, services.PUBLICITY_ROLES)
        context["publicity_form"] = forms.PublicityForm(prefix="pub")
        context["villages"] = Area.objects.visible_to(user).filter(level=AreaLevel.VILLAGE)
        context["year"] = timezone.localdate().year
        return context


class ProjectDetailView(RoleRequiredMixin, DetailView):
    template_name = "renovation/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        return selectors.project_detail(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        user = self.request.user
        context["steps"] = available_steps(project, user)
        context["split_flag"] = services.needs_split_scrutiny(project)
        context["blockers"] = (
            services.approval_blockers(project) if project.status == S.PUBLICITY else []
        )
        context["can_objection"] = project.status == S.PUBLICITY and has_role(
            user, services.OBJECTION_ROLES
        )
        context["commitment"] = (
            Commitment.objects.unscoped("of the held project").filter(project=project).first()
        )
        context["acceptance"] = (
            Acceptance.objects.unscoped("of the held project").filter(project=project).first()
        )
        context["demolition"] = (
            Demolition.objects.unscoped("of the held project").filter(project=project).first()
        )
        context["area_exception"] = getattr(project, "area_exception", None)
        context["failed_acceptances"] = list(
            FailedAcceptance.objects.unscoped(HELD_PARENT).filter(project=project)
        )
        context["overrides"] = list(
            AmountOverride.objects.unscoped(HELD_PARENT)
            .filter(project=project)
            .select_related("requested_by", "decided_by")
        )
        context["open_problems"] = services.open_quality_problems(project)
        context["papers"] = paper.papers_for(project, user)
        context["publicity_levels"] = PublicityLevel.choices
        return context


class ProjectApplyView(HouseholdPageMixin, ServiceFormMixin, FormView):
    template_name = "renovation/step_form.html"
    form_class = forms.ApplyForm
    write_roles = services.APPLY_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(household=self.household, title="录入改造申请", cancel_url="/")
        context["cancel_url"] = reverse("households:detail", args=[self.household.pk])
        return context

    def perform(self, form):
        return services.project_apply(
            household=self.household, by=self.request.user, **form.cleaned_data
        )

    def done(self, form, result):
        messages.success(self.request, "已录入改造申请。")
        if result.planned_area is not None and (
            violation := services.area_violation(result, result.planned_area)
        ):
            messages.warning(
                self.request,
                f"计划面积不符合面积标准：{violation}批准前须由县住建局录入面积标准例外。",
            )
        return redirect(result)


class StepView(RoleRequiredMixin, OfflineEntryMixin, ServiceFormMixin, FormView):
    """One step of one project; the service decides, the page only collects the input."""

    template_name = "renovation/step_form.html"
    # The steps recorded on site that also work without signal (core/offline.py).
    OFFLINE_STEPS = {"quality_check": "质量检查"}

    def offline_entry_label(self):
        return self.OFFLINE_STEPS.get(self.step.name)

    def offline_household(self):
        return self.project.household

    def requires_write(self) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        self.step = STEPS.get(kwargs["step"])
        if self.step is None:
            raise Http404
        self.write_roles = self.step.roles
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        # Scope first: another area's project is a 404 before any role or status answer.
        self.project = get_object_or_404(selectors.project_list(request.user), pk=kwargs["pk"])
        reason = refusal(self.step, self.project, request.user)
        if isinstance(reason, RoleRefused):
            raise PermissionDenied(str(reason))
        if reason is not None and self.is_offline_replay():
            return JsonResponse({"status": "conflict", "reason": str(reason)}, status=409)
        if reason is not None:
            messages.error(request, str(reason))
            return redirect(self.project)
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return self.step.form_class

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.step.form_class is forms.QualityCheckForm:
            kwargs["project"] = self.project
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            project=self.project,
            household=self.project.household,
            title=self.step.title,
            cancel_url=self.project.get_absolute_url(),
            split_flag=services.needs_split_scrutiny(self.project),
            papers=paper.papers_for(self.project, self.request.user, self.step.name),
            publicity_levels=PublicityLevel.choices if self.step.name == "publicity" else (),
        )
        return context

    def perform(self, form):
        values = form.service_kwargs() if hasattr(form, "service_kwargs") else form.cleaned_data
        return self.step.service(project=self.project, by=self.request.user, **values)

    def done(self, form, result):
        messages.success(self.request, self.step.success)
        return redirect("renovation:detail", pk=self.project.pk)


def _selected_projects(request):
    ids = [int(i) for i in request.POST.getlist("ids") + request.GET.getlist("ids") if i.isdigit()]
    return list(selectors.project_list(request.user).filter(pk__in=ids)), ids


def _batch_errors(request, exc: services.BatchRefused, projects) -> None:
    names = {p.pk: p.household.head_name for p in projects}
    messages.error(request, str(exc))
    for pk, reason in exc.errors.items():
        messages.error(request, f"{names.get(pk, pk)}：{reason}")


class BatchApproveView(RoleRequiredMixin, View):
    write_roles = services.APPROVE_ROLES

    def post(self, request):
        projects, ids = _selected_projects(request)
        back = reverse("renovation:list") + "?" + request.POST.get("query", "")
        if len(projects) != len(set(ids)) or not projects:
            messages.error(request, "请至少选择一个本辖区的项目。")
            return redirect(back)
        try:
            services.projects_approve_batch(projects=projects, by=request.user)
        except services.BatchRefused as exc:
            by_pk = {p.pk: p for p in projects}
            for pk in exc.errors:
                if pk in by_pk and (reason := selectors.approval_refusal(by_pk[pk])):
                    exc.errors[pk] = reason
            _batch_errors(request, exc, projects)
            return redirect(back)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(request, f"已批准{len(projects)}个项目，列入年度计划。")
        return redirect(back)


class BatchPublicityView(RoleRequiredMixin, View):
    write_roles = services.PUBLICITY_ROLES

    def post(self, request):
        projects, ids = _selected_projects(request)
        back = reverse("renovation:list") + "?" + request.POST.get("query", "")
        form = forms.PublicityForm(request.POST, prefix="pub")
        if not form.is_valid() or not projects or len(projects) != len(set(ids)):
            messages.error(request, "请选择项目并填写公示级别和开始日期。")
            return redirect(back)
        try:
            values = {k: v for k, v in form.cleaned_data.items() if k != "photo"}
            services.publicities_start(projects=projects, by=request.user, **values)
        except services.BatchRefused as exc:
            _batch_errors(request, exc, projects)
            return redirect(back)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        level = dict(form.fields["level"].choices)[form.cleaned_data["level"]]
        messages.success(request, f"已为{len(projects)}个项目录入{level}。")
        return redirect(back)


class _ObjectionFormView(RoleRequiredMixin, ServiceFormMixin, FormView):
    """A form about one publicity notice's objections: `record` (a row of `scoped(user)`) is
    found in the user's area first (a 404); the page shows its project and returns to it."""

    template_name = "renovation/step_form.html"
    write_roles = services.OBJECTION_ROLES
    success_message = ""

    def requires_write(self) -> bool:
        return True

    def scoped(self, user):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def project(self) -> RenovationProject:  # pragma: no cover - each view defines it
        raise NotImplementedError

    def page_text(self) -> dict:  # pragma: no cover - each view defines it
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.record = get_object_or_404(self.scoped(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.project()
        context.update(
            project=project,
            household=project.household,
            cancel_url=project.get_absolute_url(),
            **self.page_text(),
        )
        return context

    def done(self, form, result):
        messages.success(self.request, self.success_message)
        return redirect(self.project())


class ObjectionCreateView(_ObjectionFormView):
    form_class = forms.ObjectionForm
    success_message = "已登记异议。"

    def scoped(self, user):
        return selectors.publicity_list(user)

    def project(self):
        return self.record.project

    def page_text(self):
        return {"title": f"登记异议（{self.record.get_level_display()}）"}

    def perform(self, form):
        return services.objection_record(
            publicity=self.record, by=self.request.user, **form.cleaned_data
        )


class ObjectionResolveView(_ObjectionFormView):
    form_class = forms.ObjectionResolveForm
    success_message = "已处理异议。"

    def scoped(self, user):
        return selectors.objection_list(user)

    def project(self):
        return self.record.publicity.project

    def page_text(self):
        return {"title": "处理异议", "intro": self.record.content}

    def perform(self, form):
        return services.objection_resolve(
            objection=self.record, by=self.request.user, **form.cleaned_data
        )


# --- documents -------------------------------------------------------------------------


class LetterView(RoleRequiredMixin, View):
    """函告书 of one project (approved or later)."""

    def get(self, request, pk):
        project = get_object_or_404(selectors.project_list(request.user), pk=pk)
        try:
            content = documents.letters_pdf([project])
        except DomainError as exc:
            raise Http404(str(exc)) from exc
        return download_response(
            content, content_type=PDF, filename=f"函告书-{project.household.head_name}.pdf"
        )


class LettersBatchView(RoleRequiredMixin, View):
    """One PDF with the letters of every selected (or filtered) approved project."""

    def get(self, request):
        if request.GET.getlist("ids"):
            projects, _ = _selected_projects(request)
        else:
            projects = list(
                ProjectFilter(
                    request.GET, queryset=selectors.project_list(request.user), request=request
                ).qs
            )
        projects = [p for p in projects if p.approved_amount is not None and not p.is_ended]
        if not projects:
            messages.error(request, "所选项目中没有已批准的项目，无法生成函告书。")
            return redirect("renovation:list")
        content = documents.letters_pdf(projects)
        day = timezone.localdate()
        return download_response(content, content_type=PDF, filename=f"函告书-{day:%Y%m%d}.pdf")


class PaperPdfView(RoleRequiredMixin, View):
    """A printable form of one project (renovation/paper.py), pre-filled from its record."""

    def get(self, request, pk, kind):
        project = get_object_or_404(selectors.project_detail(request.user), pk=pk)
        form = paper.PAPERS.get(kind)
        if form is None:
            raise Http404
        try:
            content = paper.paper_pdf(project, kind)
        except DomainError as exc:
            raise Http404(str(exc)) from exc
        return download_response(
            content, content_type=PDF, filename=f"{form.title}-{project.household.head_name}.pdf"
        )


class PublicityListView(RoleRequiredMixin, View):
    """The publicity list of the project's village, township or county for its year."""

    def get(self, request, pk, level):
        project = get_object_or_404(selectors.project_detail(request.user), pk=pk)
        if level not in PublicityLevel.values:
            raise Http404
        content = paper.publicity_pdf(request.user, project, level)
        label = PublicityLevel(level).label
        return download_response(
            content, content_type=PDF, filename=f"{label}名单-{project.year}.pdf"
        )


class PaperScanView(RoleRequiredMixin, ServiceFormMixin, FormView):
    """Upload the signed scan of a printed form, on the form's step."""

    template_name = "renovation/step_form.html"
    form_class = forms.SignedPaperForm

    def requires_write(self) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        self.paper = paper.PAPERS.get(kwargs["kind"])
        if self.paper is None:
            raise Http404
        self.write_roles = self.paper.roles
        if request.user.is_authenticated:
            # Scope first: another area's project is a 404 before any role answer.
            self.project = get_object_or_404(selectors.project_list(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            project=self.project,
            household=self.project.household,
            title=f"上传{self.paper.title}签字扫描件",
            cancel_url=self.project.get_absolute_url(),
            papers=[
                row
                for row in paper.papers_for(self.project, self.request.user)
                if row["paper"].kind == self.paper.kind
            ],
            hide_upload=True,
        )
        return context

    def perform(self, form):
        return services.signed_paper_upload(
            project=self.project,
            by=self.request.user,
            kind=self.paper.kind,
            file=form.cleaned_data["file"],
        )

    def done(self, form, result):
        messages.success(self.request, f"已上传{self.paper.title}签字扫描件。")
        return redirect("renovation:detail", pk=self.project.pk)


class PublicityNoticeView(RoleRequiredMixin, View):
    """The village notice (村级公示) as an A4 PDF or an Excel sheet: no full numbers."""

    def get(self, request, code, fmt):
        village = get_object_or_404(
            Area.objects.visible_to(request.user).filter(level=AreaLevel.VILLAGE), pk=code
        )
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
        except ValueError as exc:
            raise Http404 from exc
        rows = documents.notice_rows(request.user, village, year)
        if fmt == "xlsx":
            content = documents.notice_xlsx(village, year, rows)
            return download_response(
                content, content_type=XLSX, filename=f"公示-{village.name}-{year}.xlsx"
            )
        content = documents.notice_pdf(village, year, rows)
        return download_response(
            content, content_type=PDF, filename=f"公示-{village.name}-{year}.pdf"
        )


class ArchiveView(RoleRequiredMixin, DetailView):
    """一户一档: every step, document and photo of the household, and what is missing."""

    template_name = "renovation/archive.html"
    context_object_name = "household"

    def get_queryset(self):
        return household_selectors.household_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["archive"] = build_archive(self.object, self.request.user)
        return context


class ArchivePdfView(RoleRequiredMixin, View):
    def get(self, request, pk):
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
        content = build_archive_pdf(household, request.user)
        return download_response(
            content, content_type=PDF, filename=f"一户一档-{household.head_name}.pdf"
        )


# --- stored files, after the area check --------------------------------------------------

FILES = {
    "application": (RenovationProject, "application_file", "application_content_type"),
    "minutes": (VillageReview, "minutes_file", "minutes_content_type"),
    "commitment": (Commitment, "file", "content_type"),
    "evaluation": (Acceptance, "evaluation_form", "evaluation_content_type"),
    "demolition": (Demolition, "photo", "content_type"),
    "photo": (ProjectPhoto, "file", "content_type"),
    "materials": (AmountOverride, "materials_file", "materials_content_type"),
    "paper": (SignedPaper, "file", "content_type"),
}
PHOTO_FILES = frozenset({"demolition", "photo"})  # always images: these have a thumbnail


def file_url(kind: str, obj) -> str:
    return reverse("renovation:file", args=[kind, obj.pk])


class FileView(RoleRequiredMixin, View):
    thumb = False  # the photo kinds' small version for a page (`file_thumb`)

    def get(self, request, kind, pk):
        if kind not in FILES or (self.thumb and kind not in PHOTO_FILES):
            raise Http404
        model, field_name, type_field = FILES[kind]
        obj = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
        field_file = getattr(obj, field_name)
        if self.thumb:
            return thumbnail_response(field_file, filename=f"{kind}-{obj.pk}-thumb.jpg")
        return serve_private_file(
            field_file,
            filename=stored_filename(field_file, f"{kind}-{obj.pk}") if field_file else kind,
            content_type=getattr(obj, type_field) or PDF,
        )


class NationalEntryView(RoleRequiredMixin, View):
    """全国系统录入登记: a year's projects with the date of each stage and the day it was
    entered in the national system; the selected ones are recorded in one action."""

    write_roles = services.NATIONAL_ROLES
    template_name = "renovation/national_entries.html"

    def get(self, request):
        year = request.GET.get("year", "")
        year = (
            int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else timezone.localdate().year
        )

        projects = national_queryset(request.user, year).prefetch_related("national_entries")
        page = Paginator(projects, 100).get_page(request.GET.get("page"))
        rows = []
        for p in page:
            entered = {e.stage: e.entered_on for e in p.national_entries.all()}
            dates = {
                NationalStage.STARTED: p.started_on,
                NationalStage.COMPLETED: p.completed_on,
                NationalStage.ACCEPTED: p.accepted_on,
                NationalStage.PAID: p.paid_on,
            }
            rows.append(
                {
                    "project": p,
                    "stages": [(s.label, dates[s], entered.get(s)) for s in NationalStage],
                }
            )
        return render(
            request,
            self.template_name,
            {
                "year": year,
                "rows": rows,
                "page_obj": page,
                "stages": NationalStage.choices,
                "can_record": can_write(request.user, services.NATIONAL_ROLES),
                "today": timezone.localdate(),
            },
        )

    def post(self, request):
        projects, ids = _selected_projects(request)
        back = reverse("renovation:national_entries") + "?" + request.POST.get("query", "")
        stage = request.POST.get("stage", "")
        try:
            entered_on = dt.date.fromisoformat(request.POST.get("entered_on", ""))
        except ValueError:
            entered_on = None
        if not projects or len(projects) != len(set(ids)) or entered_on is None:
            messages.error(request, "请选择本辖区的项目并填写阶段和录入日期。")
            return redirect(back)
        try:
            services.national_entries_record(
                projects=projects, by=request.user, stage=stage, entered_on=entered_on
            )
        except services.BatchRefused as exc:
            _batch_errors(request, exc, projects)
            return redirect(back)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(request, f"已登记{len(projects)}个项目的国家系统录入。")
        return redirect(back)
