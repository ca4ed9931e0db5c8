from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views import View

from accounts.permissions import RoleRequiredMixin, has_any_role
from core import exports
from core.downloads import serve_private_file, stream_response
from core.errors import DomainError, RoleRefused
from core.models import ExportJob
from core.services import STARTED_AS, export_delete, export_open, export_start


class ExportStartView(RoleRequiredMixin, View):
    """POST starts an export (a read: officials may download too)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_any_role(request.user):
            raise Http404
        return View.dispatch(self, request, *args, **kwargs)

    def post(self, request, kind):
        if exports.get(kind) is None:
            raise Http404
        params = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        return _started(request, kind, params)


def _started(request, kind: str, params: dict):
    """Start the export job and show it; a refusal is the page's answer (403, or 400)."""
    try:
        job = export_start(kind=kind, params=params, by=request.user)
    except RoleRefused as exc:
        return HttpResponse(str(exc), status=403)
    except DomainError as exc:
        return HttpResponse(str(exc), status=400)
    return redirect("export-detail", pk=job.pk)


class _OwnJobMixin(RoleRequiredMixin):
    def get_job(self, request, pk) -> ExportJob:
        # Only the user who asked sees a job: another user's download is not theirs.
        return get_object_or_404(ExportJob, pk=pk, created_by=request.user)


class ExportDetailView(_OwnJobMixin, View):
    def get(self, request, pk):
        job = self.get_job(request, pk)
        exporter = exports.get(job.kind)
        return render(
            request,
            "core/export_detail.html",
            {"job": job, "label": exporter.label if exporter else job.kind},
        )


class ExportStatusView(_OwnJobMixin, View):
    def get(self, request, pk):
        job = self.get_job(request, pk)
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "message": job.message,
                "download_url": (
                    f"/exports/{job.pk}/download/"
                    if job.status == ExportJob.Status.DONE and not job.is_expired
                    else None
                ),
            }
        )


class ExportDownloadView(_OwnJobMixin, View):
    def get(self, request, pk):
        job = self.get_job(request, pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise Http404
        if job.is_expired:
            export_delete(job=job)  # gone from the storage now, not at the next hourly purge
            return HttpResponse("该文件已过期，请重新导出。".encode(), status=410)
        if not job.encrypted:  # a file written before exports were encrypted at rest
            return serve_private_file(
                job.file, filename=job.filename, content_type=job.content_type, inline=False
            )
        try:
            handle = export_open(job=job)
        except FileNotFoundError as exc:
            raise Http404("文件不存在。") from exc
        return stream_response(handle, filename=job.filename, content_type=job.content_type)


class ExportRetryView(_OwnJobMixin, View):
    """A failed export started again with the same filters (a new job)."""

    def dispatch(self, request, *args, **kwargs):
        return ExportStartView.dispatch(self, request, *args, **kwargs)

    def post(self, request, pk):
        job = self.get_job(request, pk)
        if job.status != ExportJob.Status.FAILED:
            return redirect("export-detail", pk=job.pk)
        params = {k: v for k, v in job.params.items() if k != STARTED_AS}
        return _started(request, job.kind, params)


def favicon(request):
    """/favicon.ico for pages without a <link rel="icon"> (PDFs, the API): the static one."""
    return redirect(static("img/favicon.ico"), permanent=True)


# --- The installable web app: manifest and service worker (static/js/offline.js) ------------

# What the service worker keeps for a phone without signal: the app's own assets, and the pages
# recorded on site (network first, the last copy when offline). Kept in step with
# core/offline.py's pages: the household forms and the quality check of a project.
OFFLINE_PAGE_PATTERNS = (
    r"^/inspections/field/$",
    r"^/inspections/households/\d+/inspections/new/$",
    r"^/inspections/households/\d+/hazards/new/$",
    r"^/renovation/\d+/step/quality_check/$",
)
OFFLINE_ASSETS = (
    "css/anju.css",
    "js/anju.js",
    "js/offline.js",
    "js/location.js",
    "img/favicon.ico",
    "img/icon-192.png",
    "img/icon-512.png",
)


def service_worker(request):
    """/sw.js: at the root, so that its scope is the whole app."""
    assets = [static(path) for path in OFFLINE_ASSETS]
    response = render(
        request,
        "offline/sw.js",
        {
            "assets": assets,
            # A new deployment (new hashed asset names) is a new worker, which drops the old
            # copies of the assets.
            "version": hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12],
            "page_patterns": OFFLINE_PAGE_PATTERNS,
            "static_prefix": settings.STATIC_URL,
            "field_url": reverse("inspections:field"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


def web_manifest(request):
    """/manifest.webmanifest: 安居 on a phone's home screen, opening full screen."""
    manifest = {
        "name": "安居 农村低收入群体住房安全保障",
        "short_name": "安居",
        "lang": "zh-CN",
        "start_url": reverse("inspections:field"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f6f5c",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
