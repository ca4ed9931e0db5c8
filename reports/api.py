"""API: overdue alerts (read-only; the scan alone opens and closes them)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from reports.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    type_label = serializers.CharField(source="get_type_display", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "type",
            "type_label",
            "object_key",
            "object_label",
            "url",
            "area",
            "area_name",
            "due_on",
            "days_overdue",
            "status",
            "opened_at",
            "closed_at",
            "last_seen_at",
        ]
        read_only_fields = fields


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """The alerts of the user's area; filter by `type` and `status`."""

    queryset = Alert.objects.none()  # for the schema; get_queryset() scopes the real one
    serializer_class = AlertSerializer
    filterset_fields = ["type", "status"]
    ordering_fields = ["days_overdue", "opened_at", "due_on"]

    def get_queryset(self):
        return Alert.objects.visible_to(self.request.user).select_related("area")


def register(router) -> None:
    router.register("alerts", AlertViewSet, basename="alert")
