from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("monthly/", views.MonthlyListView.as_view(), name="monthly_list"),
    path("monthly/draft/", views.MonthlyDraftView.as_view(), name="monthly_draft"),
    path("monthly/<int:pk>/", views.MonthlyDetailView.as_view(), name="monthly_detail"),
    path("monthly/<int:pk>/report.xlsx", views.MonthlyXlsxView.as_view(), name="monthly_xlsx"),
    path("monthly/<int:pk>/report.pdf", views.MonthlyPdfView.as_view(), name="monthly_pdf"),
    path("monthly/<int:pk>/send/", views.MonthlySendView.as_view(), name="monthly_send"),
    path("targets/", views.TargetListView.as_view(), name="targets"),
    path("targets/<str:code>/<int:year>/", views.TargetSetView.as_view(), name="target_set"),
    path("rollup/", views.RollupView.as_view(), name="rollup"),
    path("rollup/ranking.xlsx", views.RollupXlsxView.as_view(), name="rollup_xlsx"),
    path("rows/<int:pk>/submit/", views.RowSubmitView.as_view(), name="row_submit"),
    path("rows/<int:pk>/reopen/", views.RowReopenView.as_view(), name="row_reopen"),
]
