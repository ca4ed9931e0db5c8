from django.urls import path

from renovation import views

app_name = "renovation"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("apply/<int:pk>/", views.ProjectApplyView.as_view(), name="apply"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="detail"),
    path("<int:pk>/step/<str:step>/", views.StepView.as_view(), name="step"),
    path("<int:pk>/letter.pdf", views.LetterView.as_view(), name="letter"),
    path("<int:pk>/paper/<str:kind>.pdf", views.PaperPdfView.as_view(), name="paper"),
    path("<int:pk>/paper/<str:kind>/scan/", views.PaperScanView.as_view(), name="paper_scan"),
    path(
        "<int:pk>/publicity/<str:level>.pdf",
        views.PublicityListView.as_view(),
        name="publicity_list",
    ),
    path("approve-batch/", views.BatchApproveView.as_view(), name="approve_batch"),
    path("publicity-batch/", views.BatchPublicityView.as_view(), name="publicity_batch"),
    path("letters.pdf", views.LettersBatchView.as_view(), name="letters"),
    path(
        "publicities/<int:pk>/objection/",
        views.ObjectionCreateView.as_view(),
        name="objection_create",
    ),
    path(
        "objections/<int:pk>/resolve/",
        views.ObjectionResolveView.as_view(),
        name="objection_resolve",
    ),
    path(
        "notice/<str:code>/notice.pdf",
        views.PublicityNoticeView.as_view(),
        {"fmt": "pdf"},
        name="notice_pdf",
    ),
    path(
        "notice/<str:code>/notice.xlsx",
        views.PublicityNoticeView.as_view(),
        {"fmt": "xlsx"},
        name="notice_xlsx",
    ),
    path("national-entries/", views.NationalEntryView.as_view(), name="national_entries"),
    path("archive/<int:pk>/", views.ArchiveView.as_view(), name="archive"),
    path("archive/<int:pk>/archive.pdf", views.ArchivePdfView.as_view(), name="archive_pdf"),
    path("files/<str:kind>/<int:pk>/", views.FileView.as_view(), name="file"),
    path(
        "files/<str:kind>/<int:pk>/thumb/",
        views.FileView.as_view(thumb=True),
        name="file_thumb",
    ),
]
