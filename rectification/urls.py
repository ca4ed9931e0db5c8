from django.urls import path

from rectification import import_views, spotcheck_views, views

app_name = "rectification"

urlpatterns = [
    path("", views.ItemListView.as_view(), name="item_list"),
    path("ledger.xlsx", views.LedgerXlsxView.as_view(), name="ledger_xlsx"),
    path("ledger.pdf", views.LedgerPdfView.as_view(), name="ledger_pdf"),
    path("items/new/", views.ItemCreateView.as_view(), name="item_create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<int:pk>/edit/", views.ItemUpdateView.as_view(), name="item_edit"),
    path("items/<int:pk>/notes/", views.ItemNoteView.as_view(), name="item_note"),
    path("items/<int:pk>/submit/", views.ItemSubmitView.as_view(), name="item_submit"),
    path("items/<int:pk>/close/", views.ItemCloseView.as_view(), name="item_close"),
    path("items/<int:pk>/reopen/", views.ItemReopenView.as_view(), name="item_reopen"),
    path("stages/<int:pk>/done/", views.StageDoneView.as_view(), name="stage_done"),
    path("files/evidence/<int:pk>/", views.EvidenceFileView.as_view(), name="evidence_file"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("complaints/", views.ComplaintListView.as_view(), name="complaint_list"),
    path("complaints/new/", views.ComplaintCreateView.as_view(), name="complaint_create"),
    path("complaints/<int:pk>/", views.ComplaintDetailView.as_view(), name="complaint_detail"),
    path(
        "complaints/<int:pk>/convert/",
        views.ComplaintConvertView.as_view(),
        name="complaint_convert",
    ),
    path("selfcheck/", views.SelfCheckView.as_view(), name="selfcheck"),
    path("selfcheck/run/", views.SelfCheckRunView.as_view(), name="selfcheck_run"),
    path("selfcheck/convert/", views.FindingsConvertView.as_view(), name="findings_convert"),
    path("selfcheck/<int:pk>/dismiss/", views.FindingDismissView.as_view(), name="finding_dismiss"),
    path("spotchecks/", spotcheck_views.SpotCheckListView.as_view(), name="spotcheck_list"),
    path("spotchecks/new/", spotcheck_views.SpotCheckDrawView.as_view(), name="spotcheck_draw"),
    path(
        "spotchecks/<int:pk>/",
        spotcheck_views.SpotCheckDetailView.as_view(),
        name="spotcheck_detail",
    ),
    path(
        "spotchecks/<int:pk>/finish/",
        spotcheck_views.SpotCheckFinishView.as_view(),
        name="spotcheck_finish",
    ),
    path(
        "spotchecks/entries/<int:pk>/",
        spotcheck_views.EntryView.as_view(),
        name="spotcheck_entry",
    ),
    path("selfcheck/<int:pk>/photos/", views.FindingPhotosView.as_view(), name="finding_photos"),
    path("import/", import_views.VIEWS["upload"], name="import"),
    path("import/<int:pk>/", import_views.VIEWS["detail"], name="import_detail"),
    path("import/<int:pk>/confirm/", import_views.VIEWS["confirm"], name="import_confirm"),
    path("import/<int:pk>/cancel/", import_views.VIEWS["cancel"], name="import_cancel"),
]
