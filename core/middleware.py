from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse

from core.api import API_PREFIX
from core.audit import entered

NUL_MESSAGE = "请求中含有非法字符（NUL）。"


class RejectNulBytesMiddleware:
    """A NUL byte in a path, query string or form body is never valid input: answer 400.

    PostgreSQL cannot store NUL in text, so letting it through would turn bad input into a
    server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith(API_PREFIX):  # the same JSON shape as other API errors
                return JsonResponse(
                    {"detail": NUL_MESSAGE}, status=400, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseBadRequest(NUL_MESSAGE.encode())
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(
            request.META.get("QUERY_STRING", "")
        ):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            # Files may hold NUL bytes; the text fields of the form (every value of a repeated
            # field, not only the last that ``values()`` gives), and the field names may
            # not. A body Django refuses to parse (too many files or fields,
            # malformed) raises its own 400 here.
            fields = request.POST.lists()
            if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
                return True
            # (Django's parser already strips NUL from an upload's file name.)
            return any("\x00" in key for key in request.FILES)
        try:
            body = request.body
        except Exception:  # noqa: BLE001 - body too large etc.: let Django answer
            return False
        if b"\x00" in body:
            return True
        if content_type.startswith("application/json") and b"\\u0000" in body:
            return True
        if content_type.startswith("application/x-www-form-urlencoded"):
            return b"\x00" in unquote_to_bytes(body)
        return False


class AuditContextMiddleware:
    """Attach the acting user to every audit event written during the request.

    pghistory's own middleware only sees users authenticated by Django's middleware; DRF
    authenticates tokens inside the view, so the request's user is re-read when it changes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.handlers.wsgi import WSGIRequest as DjangoWSGIRequest
        from pghistory.middleware import ASGIRequest, WSGIRequest

        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with entered(user=user_id, url=request.path, method=request.method):
            if isinstance(request, DjangoWSGIRequest):
                request.__class__ = WSGIRequest
            else:  # pragma: no cover - ASGI is not used
                request.__class__ = ASGIRequest
            return self.get_response(request)


# Pages whose forms take photos with the phone camera (`capture="environment"`), and those
# that also fill in the location; every other page gets neither.
CAMERA_PAGES = frozenset(
    {"inspections:inspection_create", "inspections:appraisal_create", "inspections:hazard_create"}
)
LOCATION_PAGES = frozenset({"inspections:inspection_create", "inspections:hazard_create"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DENIED = ("microphone", "payment", "usb", "serial", "bluetooth", "midi", "display-capture")


def permissions_policy(url_name: str | None) -> str:
    camera = "(self)" if url_name in CAMERA_PAGES else "()"
    location = "(self)" if url_name in LOCATION_PAGES else "()"
    denied = ", ".join(f"{feature}=()" for feature in _DENIED)
    return f"camera={camera}, geolocation={location}, {denied}"


class SecurityHeadersMiddleware:
    """Content-Security-Policy (own origin only: no inline script or style attribute, the
    vendored Chart.js is served from /static/), Referrer-Policy, Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", permissions_policy(match.view_name if match else None)
        )
        return response
