from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from accounts.models import Role
from accounts.permissions import RoleRequiredMixin
from accounts.scoping import HELD_PARENT
from core.errors import DomainError
from core.forms_views import FAILED, add_validation_errors, call_service
from core.lists import FilteredListMixin
from core.pagination import CappedPaginator
from households import panels, selectors, services
from households.filters import (
    HouseholdFilter,
    VillageMenuMixin,
    id_lookup_token,
    is_full_id_number,
)
from households.forms import HouseholdForm, MemberFormSet, formset_members
from households.models import ChangeStatus, Household, HouseholdChange, HouseholdExit
from households.services import DELETE_ROLES

# A search longer than this is no name, ID number or village: cut, not sent back in a URL.
SEARCH_MAX_LENGTH = 100


class HouseholdListView(RoleRequiredMixin, VillageMenuMixin, FilteredListMixin, ListView):
    template_name = "households/household_list.html"
    context_object_name = "households"
    paginate_by = 20
    paginator_class = CappedPaginator  # no exact COUNT(*) over a county per page
    filterset_class = HouseholdFilter

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("page_size", self.paginate_by))
        except ValueError:
            return self.paginate_by
        return max(1, min(size, 200))

    def is_write(self, request) -> bool:
        # The search form is posted (so that an ID number typed into it stays out of the
        # address and the access log) and answered with a redirect to the list: a read.
        return request.method != "POST" and super().is_write(request)

    def get(self, request, *args, **kwargs):
        if is_full_id_number(request.GET.get("q", "")):
            return self._search_redirect(request.GET)  # an old link or a typed address
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self._search_redirect(request.POST)

    def _search_redirect(self, data):
        """To the list with the same filters; a full ID number becomes its lookup token."""
        query = QueryDict(mutable=True)
        for key in HouseholdFilter.base_filters:
            value = data.get(key, "").strip()[:SEARCH_MAX_LENGTH]
            if key == "q" and is_full_id_number(value):
                query["idt"] = id_lookup_token(value)
            elif value:
                query[key] = value
        url = reverse("households:list")
        return redirect(f"{url}?{query.urlencode()}" if query else url, permanent=False)

    def base_queryset(self):
        return selectors.household_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["households"] = selectors.with_safety(
            list(context["households"]), self.request.user
        )
        return context


class HouseholdDetailView(RoleRequiredMixin, DetailView):
    template_name = "households/household_detail.html"
    context_object_name = "household"

    def get_queryset(self):
        return selectors.household_list(self.request.user).prefetch_related("members")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = selectors.household_history(self.object)
        context["exits"] = list(
            HouseholdExit.objects.unscoped(HELD_PARENT).filter(household=self.object)
        )
        context["pending_changes"] = list(
            HouseholdChange.objects.unscoped(HELD_PARENT)
            .filter(household=self.object, status=ChangeStatus.PENDING)
            .select_related("requested_by")
        )
        # Safety state, projects and the next steps: what the later apps add to this page.
        context["panels"] = panels.render_context(self.object, self.request.user)
        return context


class HouseholdPageMixin(RoleRequiredMixin):
    """A write page about one household of the user's area (`self.household`): found in the
    user's scope first, so another area's household is a 404 before any role answer."""

    def requires_write(self) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.household = get_object_or_404(
                Household.objects.visible_to(request.user).select_related("village__parent"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)


class _HouseholdFormMixin(RoleRequiredMixin):
    template_name = "households/household_form.html"

    def requires_write(self) -> bool:
        return True

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "member_formset" not in context:
            context["member_formset"] = MemberFormSet(
                self.request.POST or None, instance=getattr(self, "object", None) or Household()
            )
        return context


class HouseholdCreateView(_HouseholdFormMixin, FormView):
    form_class = HouseholdForm

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        member_formset = MemberFormSet(request.POST, instance=Household())
        if not (form.is_valid() and member_formset.is_valid()):
            return self.render_to_response(
                self.get_context_data(form=form, member_formset=member_formset)
            )
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        members = [
            {k: f.cleaned_data[k] for k in ("name", "relation", "id_number")}
            for f in member_formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        household = call_service(
            form, lambda: services.household_create(by=request.user, members=members, **fields)
        )
        if household is FAILED:
            return self.render_to_response(
                self.get_context_data(form=form, member_formset=member_formset)
            )
        messages.success(request, f"已新增农户：{household.head_name}。")
        return redirect(household)


class HouseholdUpdateView(HouseholdPageMixin, _HouseholdFormMixin, FormView):
    form_class = HouseholdForm

    @property
    def object(self) -> Household:
        return self.household

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        member_formset = MemberFormSet(request.POST, instance=self.object)
        if not (form.is_valid() and member_formset.is_valid()):
            return self.render_to_response(
                self.get_context_data(form=form, member_formset=member_formset)
            )
        fields = {
            k: v for k, v in form.cleaned_data.items() if k not in ("version", "change_evidence")
        }
        try:
            household = services.household_update(
                household=self.object,
                by=request.user,
                version=form.cleaned_data.get("version"),
                members=formset_members(member_formset),
                evidence=form.cleaned_data.get("change_evidence"),
                **fields,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(
                self.get_context_data(form=form, member_formset=member_formset)
            )
        except ValidationError as exc:  # the shared household rules, checked by the service
            add_validation_errors(form, exc)
            return self.render_to_response(
                self.get_context_data(form=form, member_formset=member_formset)
            )
        if household.pending_change is not None:
            messages.info(request, services.PENDING_MESSAGE)
            return redirect(household)
        messages.success(request, "已保存修改。")
        return redirect(household)


class RevealNumberView(RoleRequiredMixin, View):
    """Full ID or account number, for roles that need it; each display is logged.

    Revealing reads but is a POST (it leaves a log entry): the role check is the service's,
    after the area check, so another area's household is a 404 for everyone.
    """

    write_roles = frozenset(Role)
    fields = {"id_number": "户主身份证号", "bank_account": "一卡通账号"}

    def post(self, request, pk, field):
        if field not in self.fields:
            raise Http404
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
        try:
            value = services.reveal_number(household=household, field=field, by=request.user)
        except DomainError as exc:
            return JsonResponse({"detail": str(exc)}, status=403)
        return JsonResponse({"field": field, "value": value})


class HouseholdDeleteView(HouseholdPageMixin, View):
    """A confirmation page, then the deletion (refused while records depend on it)."""

    write_roles = DELETE_ROLES

    @property
    def object(self) -> Household:
        return self.household

    def get(self, request, pk):
        return render(
            request, "households/household_confirm_delete.html", {"household": self.object}
        )

    def post(self, request, pk):
        try:
            services.household_delete(household=self.object, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(self.object)
        messages.success(request, f"已删除农户：{self.object.head_name}。")
        return redirect("households:list")
