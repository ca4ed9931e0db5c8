from django.urls import path

from inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("households/<int:pk>/", views.HouseholdRecordView.as_view(), name="household"),
    path(
        "households/<int:pk>/inspections/new/",
        views.InspectionCreateView.as_view(),
        name="inspection_create",
    ),
    path(
        "households/<int:pk>/appraisals/new/",
        views.AppraisalCreateView.as_view(),
        name="appraisal_create",
    ),
    path(
        "households/<int:pk>/hazards/new/",
        views.HazardReportCreateView.as_view(),
        name="hazard_create",
    ),
    path(
        "households/<int:pk>/emergency/new/",
        views.EmergencyMeasureCreateView.as_view(),
        name="emergency_create",
    ),
    path("field/", views.FieldView.as_view(), name="field"),
    path("field/households.json", views.FieldHouseholdsView.as_view(), name="field_households"),
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("ledger/export.xlsx", views.LedgerExportView.as_view(), name="ledger_export"),
    path("pending/", views.PendingAppraisalsView.as_view(), name="pending"),
    path("hazards/", views.HazardQueueView.as_view(), name="hazard_queue"),
    path("hazards/<int:pk>/", views.HazardDetailView.as_view(), name="hazard_detail"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("files/photos/<int:pk>/", views.PhotoFileView.as_view(), name="photo_file"),
    path("files/photos/<int:pk>/thumb/", views.PhotoThumbView.as_view(), name="photo_thumb"),
    path(
        "files/appraisals/<int:pk>/report/",
        views.AppraisalReportView.as_view(),
        name="appraisal_report",
    ),
]
