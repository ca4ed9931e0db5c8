from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api import AreaViewSet, LogoutView, ObtainTokenView, TokenViewSet
from core import views as core_views
from households.api import HouseholdChangeViewSet, HouseholdViewSet
from inspections import api as inspections_api
from rectification import api as rectification_api
from renovation import api as renovation_api
from reports import api as reports_api
from reports.views import HomeView
from subsidies import api as subsidies_api

router = DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("auth/tokens", TokenViewSet, basename="api-tokens")
router.register("households", HouseholdViewSet, basename="household")
router.register("household-changes", HouseholdChangeViewSet, basename="household-change")
inspections_api.register(router)
renovation_api.register(router)
rectification_api.register(router)
subsidies_api.register(router)
reports_api.register(router)

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (PDFs, the API).
    path("favicon.ico", core_views.favicon),
    # The installable web app (static/js/offline.js): the worker's scope is the whole site.
    path("sw.js", core_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", core_views.web_manifest, name="web_manifest"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("exports/<slug:kind>/start/", core_views.ExportStartView.as_view(), name="export-start"),
    path("exports/<uuid:pk>/", core_views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:pk>/status/", core_views.ExportStatusView.as_view(), name="export-status"),
    path("exports/<uuid:pk>/retry/", core_views.ExportRetryView.as_view(), name="export-retry"),
    path(
        "exports/<uuid:pk>/download/",
        core_views.ExportDownloadView.as_view(),
        name="export-download",
    ),
    path("staff/", include("accounts.urls")),
    path("households/", include("households.urls")),
    path("inspections/", include("inspections.urls")),
    path("renovation/", include("renovation.urls")),
    path("rectification/", include("rectification.urls")),
    path("subsidies/", include("subsidies.urls")),
    path("reports/", include("reports.urls")),
    path("api/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(router.urls)),
    path("admin/", admin.site.urls),
]

# API clients get JSON for a URL that matches no route, as for every other API error.
handler404 = "core.api.not_found"
