"""The one way a page calls a service: a refusal becomes a form error, a role refusal a 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import DomainError, RoleRefused

_FAILED = object()


def call_service(form, call: Callable[[], Any]) -> Any:
    """Run `call()`; on a `DomainError` add its message to `form` and return `FAILED`.

    A `RoleRefused` is a 403 (the user should not have been offered the action at all).
    """
    try:
        return call()
    except RoleRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _FAILED
    except ValidationError as exc:  # a rule checked again by the service, by field
        add_validation_errors(form, exc)
        return _FAILED


def run_action(request, call: Callable[[], Any], success: str) -> Any:
    """A button's POST without a form: run `call()`; its refusal becomes an error message
    (a `RoleRefused` a 403), its success `success`. Returns the result, or FAILED."""
    from django.contrib import messages

    try:
        result = call()
    except RoleRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
        return _FAILED
    messages.success(request, success)
    return result


def add_validation_errors(form, exc: ValidationError) -> None:
    """A ValidationError's messages on the form's fields (others above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


FAILED = _FAILED


class ServiceFormMixin:
    """For a FormView whose `perform(form)` calls one service.

    `form_valid` runs `perform`; a refusal re-shows the form with the service's message.
    On success `done(form, result)` answers (a redirect, usually with a message).
    """

    def perform(self, form):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def done(self, form, result):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def form_valid(self, form):
        result = call_service(form, lambda: self.perform(form))
        if result is FAILED:
            return self.form_invalid(form)
        return self.done(form, result)
