from django.urls import path

from households import import_views, monitoring_views, views

app_name = "households"

urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="list"),
    path("new/", views.HouseholdCreateView.as_view(), name="create"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.HouseholdUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.HouseholdDeleteView.as_view(), name="delete"),
    path("<int:pk>/reveal/<str:field>/", views.RevealNumberView.as_view(), name="reveal"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path(
        "import/template.xlsx",
        import_views.ImportTemplateView.as_view(),
        name="import-template",
    ),
    path("import/<int:pk>/", import_views.ImportDetailView.as_view(), name="import-detail"),
    path(
        "import/<int:pk>/confirm/",
        import_views.ImportConfirmView.as_view(),
        name="import-confirm",
    ),
    path("import/<int:pk>/cancel/", import_views.ImportCancelView.as_view(), name="import-cancel"),
    path("monitoring/", monitoring_views.MonitoringImportView.as_view(), name="monitoring-import"),
    path(
        "monitoring/<int:pk>/",
        monitoring_views.MonitoringDetailView.as_view(),
        name="monitoring-detail",
    ),
    path(
        "monitoring/<int:pk>/confirm/",
        monitoring_views.MonitoringConfirmView.as_view(),
        name="monitoring-confirm",
    ),
    path(
        "monitoring/<int:pk>/cancel/",
        monitoring_views.MonitoringCancelView.as_view(),
        name="monitoring-cancel",
    ),
]
