from django.contrib import admin

from households.models import Household, SensitiveAccessLog


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """Read-mostly: registry edits go through the app's forms (services, audit, versions)."""

    list_display = ["head_name", "id_number_masked", "village", "category", "family_size"]
    list_filter = ["category"]
    search_fields = ["head_name", "village__name"]
    list_select_related = ["village"]
    fields = ["head_name", "id_number_masked", "village", "category", "family_size", "phone"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SensitiveAccessLog)
class SensitiveAccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "household", "field", "purpose"]
    list_select_related = ["user", "household"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
