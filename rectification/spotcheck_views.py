"""Pages of the spot checks: list, draw, the drawn households, a household's review."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from accounts.models import HIGHER_ROLES
from accounts.permissions import RoleRequiredMixin
from core.forms_views import ServiceFormMixin, run_action
from rectification import spotcheck
from rectification.models import SpotCheck, SpotCheckEntry
from rectification.spotcheck_forms import EntryForm, SpotCheckForm

# Only the levels above the county run and read spot checks (the counties see the findings
# in their ledger).
READERS = HIGHER_ROLES


class SpotCheckListView(RoleRequiredMixin, ListView):
    template_name = "rectification/spotcheck_list.html"
    context_object_name = "spot_checks"
    paginate_by = 50
    read_roles = READERS

    def get_queryset(self):
        return spotcheck.spot_check_list(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "can_draw": self.request.user.role in spotcheck.SPOT_ROLES,
        }


class SpotCheckDrawView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/simple_form.html"
    form_class = SpotCheckForm
    read_roles = READERS
    write_roles = spotcheck.SPOT_ROLES

    def requires_write(self) -> bool:
        return True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": "新建抽查（随机抽取农户）"}

    def perform(self, form):
        return spotcheck.spot_check_draw(by=self.request.user, **form.cleaned_data)

    def done(self, form, result):
        drawn = result.entries.count()
        messages.success(
            self.request, f"已从 {result.population} 户中抽取 {drawn} 户（种子 {result.seed}）。"
        )
        return redirect(result)


class SpotCheckDetailView(RoleRequiredMixin, DetailView):
    template_name = "rectification/spotcheck_detail.html"
    context_object_name = "spot"
    read_roles = READERS

    def get_queryset(self):
        return spotcheck.spot_check_list(self.request.user)

    def get_context_data(self, **kwargs):
        spot = self.object
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "entries": spotcheck.entries_of(spot),
            "items": spotcheck.items_of(spot),
            "is_owner": user.role in spotcheck.SPOT_ROLES and user.area_id == spot.area_id,
        }


class EntryView(RoleRequiredMixin, ServiceFormMixin, FormView):
    template_name = "rectification/spotcheck_entry.html"
    form_class = EntryForm
    read_roles = READERS
    write_roles = spotcheck.SPOT_ROLES

    def requires_write(self) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        # A county account is refused like on every spot-check page (403, nothing told about
        # the entry); the levels above find it in their own area or get a 404.
        user = request.user
        if user.is_authenticated and (user.role in READERS or user.is_superuser):
            self.entry = get_object_or_404(
                SpotCheckEntry.objects.visible_to(request.user).select_related(
                    "spot_check", "spot_check__area", "household", "household__village"
                ),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"result": self.entry.result, "note": self.entry.note}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "entry": self.entry,
            "spot": self.entry.spot_check,
            "household": self.entry.household,
        }

    def perform(self, form):
        return spotcheck.spot_check_record(
            entry=self.entry, by=self.request.user, **form.cleaned_data
        )

    def done(self, form, result):
        messages.success(self.request, f"已记录第{result.position}户的核查结果。")
        return redirect(result.spot_check)


class SpotCheckFinishView(RoleRequiredMixin, View):
    read_roles = READERS
    write_roles = spotcheck.SPOT_ROLES

    def post(self, request, pk):
        spot = get_object_or_404(SpotCheck.objects.visible_to(request.user), pk=pk)
        run_action(
            request,
            lambda: spotcheck.spot_check_finish(spot_check=spot, by=request.user),
            "抽查已完成。",
        )
        return redirect(spot)
