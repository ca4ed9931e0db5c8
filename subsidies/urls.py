from django.urls import path

from subsidies import historic_views, result_views, views

app_name = "subsidies"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("calculator/", views.CalculatorView.as_view(), name="calculator"),
    path("standards/", views.StandardListView.as_view(), name="standard_list"),
    path("standards/<int:pk>/edit/", views.StandardEditView.as_view(), name="standard_edit"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path(
        "batches/<int:pk>/do/<str:action>/",
        views.BatchActionView.as_view(),
        name="batch_action",
    ),
    path("batches/<int:pk>/list.xlsx", views.BatchXlsxView.as_view(), name="batch_xlsx"),
    path("batches/<int:pk>/summary.pdf", views.BatchPdfView.as_view(), name="batch_pdf"),
    path("batches/<int:pk>/voucher/", views.BatchVoucherView.as_view(), name="batch_voucher"),
    path("lines/", views.LineListView.as_view(), name="line_list"),
    path("funds/", views.FundsView.as_view(), name="funds"),
    path(
        "readmission/<int:pk>/",
        views.ReadmissionView.as_view(),
        name="readmission",
    ),
    path("advances/", views.AdvanceListView.as_view(), name="advance_list"),
    path(
        "advances/<int:pk>/request-reimbursement/",
        views.AdvanceReportView.as_view(),
        name="advance_report",
    ),
    path(
        "advances/<int:pk>/reimburse/",
        views.AdvanceReimburseView.as_view(),
        name="advance_reimburse",
    ),
]
urlpatterns += [
    path("batches/<int:pk>/roster-result/", result_views.VIEWS["upload"], name="roster_result"),
    path("roster-results/<int:pk>/", result_views.VIEWS["detail"], name="roster_result_detail"),
    path(
        "roster-results/<int:pk>/confirm/",
        result_views.VIEWS["confirm"],
        name="roster_result_confirm",
    ),
    path(
        "roster-results/<int:pk>/cancel/",
        result_views.VIEWS["cancel"],
        name="roster_result_cancel",
    ),
]
urlpatterns += [
    path("historic/", historic_views.VIEWS["upload"], name="historic-import"),
    path("historic/<int:pk>/", historic_views.VIEWS["detail"], name="historic-detail"),
    path("historic/<int:pk>/confirm/", historic_views.VIEWS["confirm"], name="historic-confirm"),
    path("historic/<int:pk>/cancel/", historic_views.VIEWS["cancel"], name="historic-cancel"),
]
