from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from accounts.models import Area
from accounts.permissions import RoleRequiredMixin, can_write
from core.downloads import XLSX, download_response, serve_private_file, stored_filename
from core.errors import DomainError, RoleRefused
from core.forms_views import ServiceFormMixin
from core.lists import FilteredListMixin
from rectification import selectors, services
from rectification.exports import ledger_title, write_ledger
from rectification.filters import ComplaintFilter, ItemFilter
from rectification.forms import (
    CampaignForm,
    CloseForm,
    ComplaintForm,
    ComplaintReplyForm,
    ItemForm,
    NoteForm,
    ReasonForm,
)
from rectification.models import (
    Complaint,
    DeadlineKind,
    Evidence,
    FindingStatus,
    RectificationItem,
    RectificationStage,
)
from rectification.pdf import ledger_pdf
from rectification.selfcheck import RULES
from rectification.steps import STEPS, allowed_actions, refusal


def _may(user, roles) -> bool:
    return can_write(user, roles)


class _ScopedObjectMixin:
    """Scope first: the object is found in the user's area (or a 404) before
    RoleRequiredMixin answers anything about the user's role.

    With a `step`, the item's transition table then answers: a role refusal is a 403, a
    status refusal sends the user back to the item with the reason.
    """

    step: str | None = None

    def scoped_queryset(self):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def step_item(self) -> RectificationItem:
        return self.object

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.object = get_object_or_404(self.scoped_queryset(), pk=kwargs["pk"])
        if self.step is not None:
            item = self.step_item()
            reason = refusal(self.step, item, request.user)
            if isinstance(reason, RoleRefused):
                raise PermissionDenied(str(reason))
            if reason is not None:
                messages.error(request, str(reason))
                return redirect(item)
        return super().dispatch(request, *args, **kwargs)


# --- the ledger -------------------------------------------------------------------------


class ItemListView(RoleRequiredMixin, FilteredListMixin, ListView):
    """整改台账: every visible item, filterable; the downloads use the same filters."""

    template_name = "rectification/item_list.html"
    context_object_name = "items"
    filterset_class = ItemFilter

    def base_queryset(self):
        return selectors.item_list(self.request.user).order_by("problem_type", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = _may(self.request.user, services.LEDGER_ROLES)
        return context


class _LedgerDownloadMixin(RoleRequiredMixin):
    """A read: every role, officials included, may download the ledger of its area."""

    def ledger(self, request):
        filterset = ItemFilter(
            request.GET or None,
            queryset=selectors.ledger_items(request.user),
            request=request,
        )
        if filterset.is_bound and not filterset.is_valid():
            raise Http404("筛选条件无效。")
        data = filterset.form.cleaned_data if filterset.is_bound else {}
        area = data.get("area") or request.user.area or Area.objects.filter(level="county").first()
        title = ledger_title(campaign=data.get("campaign"), area=area)
        return filterset.qs, title

    def attachment(self, content: bytes, content_type: str, ext: str) -> HttpResponse:
        name = f"整改台账-{timezone.localdate():%Y%m%d}.{ext}"
        return download_response(content, filename=name, content_type=content_type)


class LedgerXlsxView(_LedgerDownloadMixin, View):
    def get(self, request):
        items, title = self.ledger(request)
        return self.attachment(write_ledger(items, title=title), XLSX, "xlsx")


class LedgerPdfView(_LedgerDownloadMixin, View):
    def get(self, request):
        items, title = self.ledger(request)
        return self.attachment(ledger_pdf(items, title=title), "application/pdf", "pdf")


class _ItemFormView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/item_form.html"
    form_class = ItemForm
    write_roles = services.LEDGER_ROLES
    object = None

    def requires_write(self) -> bool:
        return True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.object}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "item": self.object}

    def form_valid(self, form):
        # The service refuses it too (page, API and import alike); here it sits by its field.
        if form.cleaned_data.get("deadline_kind") == DeadlineKind.LONG_TERM and not (
            form.cleaned_data.get("stages")
        ):
            form.add_error("stages", services.LONG_TERM_NEEDS_STAGE)
            return self.form_invalid(form)
        return super().form_valid(form)

    def perform(self, form):
        data = dict(form.cleaned_data)
        households = list(data.pop("households", []))
        stages = data.pop("stages", [])
        return self.save(data, households, stages)

    def done(self, form, result):
        messages.success(self.request, "已保存整改问题。")
        return redirect(result)


class ItemCreateView(_ItemFormView):
    def save(self, data, households, stages):
        return services.item_create(
            by=self.request.user, households=households, stages=stages, **data
        )


class ItemUpdateView(_ScopedObjectMixin, _ItemFormView):
    step = "edit"

    def scoped_queryset(self):
        return RectificationItem.objects.visible_to(self.request.user)

    def save(self, data, households, stages):
        return services.item_update(
            item=self.object, by=self.request.user, households=households, stages=stages, **data
        )


class ItemDetailView(RoleRequiredMixin, DetailView):
    template_name = "rectification/item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return selectors.item_detail(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actions = {step.name for step in allowed_actions(self.object, self.request.user)}
        context.update(
            actions=actions,
            can_edit="edit" in actions,
            can_note="note" in actions,
            can_submit="submit" in actions,
            can_verify="close" in actions,
            can_reopen="reopen" in actions,
            can_stage="stage" in actions,
            note_form=NoteForm(),
            close_form=CloseForm(),
            reason_form=ReasonForm(),
        )
        return context


class _ItemActionView(_ScopedObjectMixin, RoleRequiredMixin, View):
    """A POST on one item of the user's area; the service decides and says why not."""

    write_roles = services.PROGRESS_ROLES
    #: The POST fields (texts) the step's service takes as they are.
    fields: tuple[str, ...] = ()

    def scoped_queryset(self):
        return RectificationItem.objects.visible_to(self.request.user)

    def perform(self, item, request) -> str:
        step = STEPS[self.step]
        texts = {name: request.POST.get(name, "") for name in self.fields}
        step.service(item=item, by=request.user, **texts)
        return step.success

    def post(self, request, pk):
        item = self.object
        try:
            message = self.perform(item, request)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, message)
        return redirect(item)


class ItemNoteView(_ItemActionView):
    step = "note"

    def perform(self, item, request):
        form = NoteForm(request.POST, request.FILES)
        if not form.is_valid():
            raise DomainError("；".join(e for errs in form.errors.values() for e in errs))
        services.note_add(
            item=item,
            by=request.user,
            content=form.cleaned_data["content"],
            files=form.cleaned_data["files"],
        )
        return "已保存整改进展。"


class ItemSubmitView(_ItemActionView):
    step = "submit"
    fields = ("note",)


class ItemCloseView(_ItemActionView):
    step = "close"
    write_roles = services.CLOSE_ROLES
    fields = ("note",)


class ItemReopenView(_ItemActionView):
    step = "reopen"
    write_roles = services.CLOSE_ROLES
    fields = ("reason",)


class StageDoneView(_ScopedObjectMixin, RoleRequiredMixin, View):
    write_roles = services.PROGRESS_ROLES
    step = "stage"

    def step_item(self):
        return self.object.item

    def scoped_queryset(self):
        return RectificationStage.objects.visible_to(self.request.user).select_related("item")

    def post(self, request, pk):
        stage = self.object
        try:
            services.stage_mark_done(stage=stage, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已标记阶段目标完成。")
        return redirect(stage.item)


class EvidenceFileView(RoleRequiredMixin, View):
    """Evidence may show people and houses: served only after the area check."""

    def get(self, request, pk):
        evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
        return serve_private_file(
            evidence.file,
            filename=stored_filename(evidence.file, f"evidence-{evidence.pk}"),
            content_type=evidence.content_type,
        )


# --- campaigns --------------------------------------------------------------------------


class CampaignListView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/campaign_list.html"
    form_class = CampaignForm
    write_roles = services.LEDGER_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["campaigns"] = selectors.campaign_list(self.request.user)
        context["can_create"] = _may(self.request.user, services.LEDGER_ROLES)
        return context

    def perform(self, form):
        return services.campaign_create(by=self.request.user, **form.cleaned_data)

    def done(self, form, campaign):
        messages.success(self.request, f"已创建整改批次：{campaign.name}。")
        return redirect("rectification:campaign_list")


# --- complaints -------------------------------------------------------------------------


class ComplaintListView(RoleRequiredMixin, FilteredListMixin, ListView):
    template_name = "rectification/complaint_list.html"
    context_object_name = "complaints"
    filterset_class = ComplaintFilter

    def base_queryset(self):
        return selectors.complaint_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = _may(self.request.user, services.COMPLAINT_ROLES)
        return context


class ComplaintCreateView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/simple_form.html"
    form_class = ComplaintForm
    write_roles = services.COMPLAINT_ROLES
    extra_context = {"title": "登记群众反映"}

    def requires_write(self) -> bool:
        return True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form):
        return services.complaint_create(by=self.request.user, **form.cleaned_data)

    def done(self, form, complaint):
        messages.success(self.request, "已登记群众反映。")
        return redirect("rectification:complaint_detail", pk=complaint.pk)


class ComplaintDetailView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/complaint_detail.html"
    form_class = ComplaintReplyForm
    write_roles = services.COMPLAINT_ROLES

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.complaint = get_object_or_404(
                selectors.complaint_list(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"handler": self.complaint.handler, "reply": self.complaint.reply}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["complaint"] = self.complaint
        context["can_reply"] = (
            _may(self.request.user, services.COMPLAINT_ROLES) and not self.complaint.closed
        )
        context["can_convert"] = (
            _may(self.request.user, services.LEDGER_ROLES) and not self.complaint.item_id
        )
        return context

    def perform(self, form):
        return services.complaint_update(
            complaint=self.complaint, by=self.request.user, **form.cleaned_data
        )

    def done(self, form, result):
        messages.success(self.request, "已保存办理情况。")
        return redirect("rectification:complaint_detail", pk=self.complaint.pk)


class ComplaintConvertView(_ScopedObjectMixin, RoleRequiredMixin, View):
    write_roles = services.LEDGER_ROLES

    def scoped_queryset(self):
        return Complaint.objects.visible_to(self.request.user)

    def post(self, request, pk):
        try:
            item = services.complaint_convert(complaint=self.object, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("rectification:complaint_detail", pk=pk)
        messages.success(request, "已转入整改台账，请补充整改措施和责任人。")
        return redirect(item)


# --- self-check -------------------------------------------------------------------------


class SelfCheckView(RoleRequiredMixin, View):
    """自查: open findings grouped by rule; run on demand, convert per rule, dismiss one."""

    def get(self, request):
        from django.shortcuts import render

        findings = selectors.finding_list(request.user).filter(status=FindingStatus.OPEN)
        groups = []
        by_rule: dict[str, list] = {}
        for finding in findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        for code, rule in RULES.items():
            groups.append({"rule": rule, "findings": by_rule.get(code, [])})
        dismissed = selectors.finding_list(request.user).exclude(status=FindingStatus.OPEN)
        return render(
            request,
            "rectification/selfcheck.html",
            {
                "groups": groups,
                "recent": dismissed.order_by("-last_seen")[:30],
                "can_convert": _may(request.user, services.LEDGER_ROLES),
                "can_run": _may(request.user, services.SELFCHECK_ROLES),
            },
        )


class SelfCheckRunView(RoleRequiredMixin, View):
    read_roles = services.SELFCHECK_ROLES
    write_roles = services.SELFCHECK_ROLES

    def post(self, request):
        try:
            result = services.selfcheck_run(by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"自查完成：{result.summary}")
        return redirect("rectification:selfcheck")


class FindingsConvertView(RoleRequiredMixin, View):
    write_roles = services.LEDGER_ROLES

    def post(self, request):
        import datetime as dt

        deadline = None
        if request.POST.get("deadline"):
            try:
                deadline = dt.date.fromisoformat(request.POST["deadline"])
            except ValueError:
                messages.error(request, "整改期限不是有效日期。")
                return redirect("rectification:selfcheck")
        try:
            item = services.findings_convert(
                rule=request.POST.get("rule", ""), by=request.user, deadline=deadline
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("rectification:selfcheck")
        messages.success(request, "已转入整改台账。")
        return redirect(item)


class FindingDismissView(_ScopedObjectMixin, RoleRequiredMixin, View):
    write_roles = services.LEDGER_ROLES

    def scoped_queryset(self):
        return selectors.finding_list(self.request.user)

    def post(self, request, pk):
        try:
            services.finding_dismiss(
                finding=self.object, by=request.user, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已排除该自查发现。")
        return redirect("rectification:selfcheck")


class FindingPhotosView(_ScopedObjectMixin, RoleRequiredMixin, View):
    """The photos of one photo finding side by side: who, which step, when and where taken."""

    def scoped_queryset(self):
        return selectors.finding_list(self.request.user)

    def get(self, request, pk):
        from django.shortcuts import render

        finding = self.object
        if not finding.photos:
            raise Http404("该自查发现不涉及照片。")
        shown = selectors.finding_photos(finding, request.user)
        return render(
            request,
            "rectification/finding_photos.html",
            {
                "finding": finding,
                "shown": shown,
                "hidden": len(finding.photos) - len(shown),
            },
        )
