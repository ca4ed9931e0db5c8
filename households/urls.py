from django.urls import path

from households import change_views, import_views, monitoring_views, views

app_name = "households"

urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="list"),
    path("new/", views.HouseholdCreateView.as_view(), name="create"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.HouseholdUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.HouseholdDeleteView.as_view(), name="delete"),
    path("<int:pk>/reveal/<str:field>/", views.RevealNumberView.as_view(), name="reveal"),
    path("changes/", change_views.ChangeListView.as_view(), name="changes"),
    path("changes/<int:pk>/", change_views.ChangeDetailView.as_view(), name="change-detail"),
    path(
        "changes/<int:pk>/evidence/",
        change_views.ChangeEvidenceView.as_view(),
        name="change-evidence",
    ),
    path("import/", import_views.VIEWS["upload"], name="import"),
    path(
        "import/template.xlsx",
        import_views.ImportTemplateView.as_view(),
        name="import-template",
    ),
    path("import/<int:pk>/", import_views.VIEWS["detail"], name="import-detail"),
    path(
        "import/<int:pk>/confirm/",
        import_views.VIEWS["confirm"],
        name="import-confirm",
    ),
    path("import/<int:pk>/cancel/", import_views.VIEWS["cancel"], name="import-cancel"),
    path("monitoring/", monitoring_views.VIEWS["upload"], name="monitoring-import"),
    path(
        "monitoring/<int:pk>/",
        monitoring_views.VIEWS["detail"],
        name="monitoring-detail",
    ),
    path(
        "monitoring/<int:pk>/confirm/",
        monitoring_views.VIEWS["confirm"],
        name="monitoring-confirm",
    ),
    path(
        "monitoring/<int:pk>/cancel/",
        monitoring_views.VIEWS["cancel"],
        name="monitoring-cancel",
    ),
]
