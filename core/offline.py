"""Entries recorded on a phone without signal and sent when the network returns.

The page's form carries ``data-offline`` (templates/offline/_form_attrs.html). With network,
static/js/offline.js sends it itself (header ``X-Anju-Offline: page``) and goes to the page the
answer names; when the network is missing or fails on the way (a weak signal), it keeps the
entry, photos included, in the phone's IndexedDB, lists it as "待上传" and sends it again,
with the header ``X-Anju-Offline: 1``, once the network is back.

- **One entry, once.** Each entry carries a client-generated UUID, ``client_id``. A model that
  takes offline entries has a unique ``client_id`` (``client_id_field``) and its service calls
  ``already_stored`` after it has locked the household: a retry (the phone did not hear the
  answer, the user pressed 上传 twice) returns the entry stored the first time.
- **A conflict is an answer, never a silent drop.** The view (``OfflineEntryMixin``) answers a
  replay in JSON: 201 stored, 409 conflict (the household changed since the form was filled
  in, or the step no longer applies), 422 refused (the form's or the service's message). A
  household moved out of the user's area is the usual 404, and a lost role the usual 403;
  the phone shows each with its reason and keeps the entry until the user discards it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import models
from django.http import JsonResponse

from core.errors import DomainError

REPLAY_HEADER = "X-Anju-Offline"


def client_id_field():
    return models.UUIDField("离线录入编号", null=True, blank=True, unique=True, editable=False)


class OfflineEntryForm(forms.Form):
    """A form whose entries may be made offline: the hidden id the phone generated."""

    client_id = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "离线录入编号无效，请重新填写。"},
    )


def already_stored(queryset, client_id, **owner):
    """The entry stored earlier under `client_id`, or None. `owner` names the row it must
    belong to (``household=household``, ``project=project``).

    Call it inside the service's transaction, after the owner's row is locked: a second
    request for the same entry is refused beside the first (409), then finds it on retry.
    """
    if client_id is None:
        return None
    existing = queryset.filter(client_id=client_id).first()
    if existing is not None and any(
        getattr(existing, f"{name}_id") != row.pk for name, row in owner.items()
    ):
        raise DomainError("离线录入编号已被另一条记录使用，请重新填写。")
    return existing


def _form_messages(form) -> str:
    found = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        found += [f"{label}：{e}" if label else str(e) for e in errors]
    return "；".join(found) or "提交的内容未通过检查。"


class OfflineEntryMixin:
    """For a form view that takes offline entries (a FormView whose success is a redirect).

    ``offline_entry_label()`` is what the phone's outbox calls an entry of this page ("排查
    记录"), or None where the page takes no offline entries; ``offline_household()`` names
    the household the entry is about: its ``version`` when the phone filled the form in
    (``seen_version``) is compared with the current one.
    """

    offline_label: str | None = None

    def offline_entry_label(self) -> str | None:
        return self.offline_label

    def is_offline_replay(self) -> bool:
        """An entry sent by offline.js: from the outbox ("1"), or straight from the page on a
        weak signal ("page", whose success message stays for the page it goes to next)."""
        return (
            self.request.headers.get(REPLAY_HEADER) in ("1", "page")
            and self.offline_entry_label() is not None
        )

    def offline_household(self):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if label := self.offline_entry_label():
            household = self.offline_household()
            context["offline_entry"] = {
                "label": label,
                "household": household.head_name,
                "seen_version": household.version,
            }
        return context

    def offline_conflict(self) -> str | None:
        """Why an entry filled in offline can no longer be stored as it is, or None."""
        seen = (self.request.POST.get("seen_version") or "").strip()
        if not seen or self.request.POST.get("ignore_changes") == "1":
            return None
        household = self.offline_household()
        if not seen.isdigit() or int(seen) != household.version:
            return (
                f"{household.head_name}户的信息在您填写之后已被修改，"
                "请核对该户的最新信息后再上传（或确认仍然上传）。"
            )
        return None

    def post(self, request, *args, **kwargs):
        if self.is_offline_replay() and (reason := self.offline_conflict()):
            return JsonResponse({"status": "conflict", "reason": reason}, status=409)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if self.is_offline_replay():
            return JsonResponse({"status": "refused", "reason": _form_messages(form)}, status=422)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.is_offline_replay() and response.status_code == 302:
            if self.request.headers.get(REPLAY_HEADER) == "1":
                # The page's success message is for the page, not for the phone's outbox.
                for _ in messages.get_messages(self.request):
                    pass
            return JsonResponse({"status": "stored", "url": response["Location"]}, status=201)
        return response
