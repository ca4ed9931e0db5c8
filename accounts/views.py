from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import urlencode
from django.views.generic import FormView, TemplateView

from accounts import forms, services
from accounts.permissions import RoleRequiredMixin
from core.forms_views import FAILED, call_service


class _StaffMixin(RoleRequiredMixin):
    """County reviewers only, for every method (the pages are forms); another county's
    account is a 404."""

    read_roles = services.MANAGER_ROLES
    write_roles = services.MANAGER_ROLES

    def requires_write(self) -> bool:
        return True

    def get_managed(self):
        return get_object_or_404(services.managed_users(self.request.user), pk=self.kwargs["pk"])


class StaffListView(_StaffMixin, TemplateView):
    template_name = "accounts/staff_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = services.managed_users(self.request.user).select_related("area", "area__parent")
        q = self.request.GET.get("q", "").strip()
        if q:
            users = users.filter(
                Q(username__icontains=q) | Q(full_name__icontains=q) | Q(area__name__icontains=q)
            )
        page = Paginator(users.order_by("area_id", "username"), 50).get_page(
            self.request.GET.get("page")
        )
        context.update(
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            query_string=urlencode({"q": q}) if q else "",
            users=page.object_list,
            q=q,
        )
        return context


class _StaffFormView(_StaffMixin, FormView):
    """The form's cleaned data goes to one service call; a refusal is shown on the form."""

    success_message = ""
    account = None

    # The role is checked first (dispatch): a 403 tells nothing about the account. A county
    # reviewer then gets 404 for an account that is not theirs to manage.
    def get(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.account = self.get_managed()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.account = self.get_managed()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)

    def form_valid(self, form):
        user = call_service(form, lambda: self.call(form.cleaned_data))
        if user is FAILED:
            return self.form_invalid(form)
        messages.success(self.request, self.success_message.format(user=user))
        return redirect("accounts:staff_list")

    def call(self, data):
        raise NotImplementedError


class StaffCreateView(_StaffFormView):
    template_name = "accounts/staff_form.html"
    form_class = forms.StaffCreateForm
    success_message = "已开设账号 {user.username}（{user.display_name}）。"

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"manager": self.request.user}

    def call(self, data):
        fields = {k: v for k, v in data.items() if k not in ("password1", "password2")}
        return services.staff_create(by=self.request.user, password=data["password1"], **fields)


class StaffUpdateView(_StaffFormView):
    template_name = "accounts/staff_form.html"
    form_class = forms.StaffUpdateForm
    success_message = "已保存账号 {user.username} 的修改。"

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"manager": self.request.user}

    def get_initial(self):
        a = self.account
        return {
            "full_name": a.full_name,
            "role": a.role,
            "area": a.area,
            "phone": a.phone,
            "email": a.email,
            "is_active": a.is_active,
        }

    def call(self, data):
        # The form's fields are the service's: name, role, area, active, phone, e-mail.
        return services.staff_update(by=self.request.user, user=self.account, **data)


class StaffPasswordView(_StaffFormView):
    template_name = "accounts/staff_password.html"
    form_class = forms.StaffPasswordForm
    success_message = "已重置 {user.username} 的密码，请当面或电话告知本人，并提醒其登录后修改。"

    def call(self, data):
        return services.staff_set_password(
            by=self.request.user, user=self.account, password=data["password1"]
        )
