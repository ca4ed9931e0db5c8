from django.contrib import admin

from inspections.models import Holiday, VillageLocation


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """节假日与调休: feeds the 5-working-day clock for department lists."""

    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(VillageLocation)
class VillageLocationAdmin(admin.ModelAdmin):
    """村位置: the reference point for the self-check's photo-distance rule."""

    list_display = ["village", "latitude", "longitude"]
    search_fields = ["village__code", "village__name"]
    raw_id_fields = ["village"]

    def get_queryset(self, request):
        return super().get_queryset(request).unscoped("admin: the site's administrators")
