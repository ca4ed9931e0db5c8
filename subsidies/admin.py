from django.contrib import admin

from subsidies.models import SubsidyStandard


@admin.register(SubsidyStandard)
class SubsidyStandardAdmin(admin.ModelAdmin):
    list_display = ["county", "year", "name", "level", "base_amount", "per_person", "cap"]
    list_filter = ["year", "level"]
