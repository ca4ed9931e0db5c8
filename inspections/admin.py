from django.contrib import admin

from inspections.models import Holiday


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """节假日与调休: feeds the 5-working-day clock for department lists."""

    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]
