from django.contrib import admin

from rectification.models import Complaint, RectificationCampaign, RectificationItem


@admin.register(RectificationCampaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "plan_and_ledger_due", "report_due"]


@admin.register(RectificationItem)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["title", "problem_type", "source", "area", "status"]
    list_filter = ["status", "source", "problem_type"]
    readonly_fields = ["status", "submitted_by", "closed_by", "closed_on"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["received_on", "channel", "area", "closed"]
