from rest_framework import serializers, viewsets

from accounts.models import Area


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The area tree the user can see: their own area and everything under it."""

    queryset = Area.objects.none()  # for the schema; get_queryset() scopes the real one
    serializer_class = AreaSerializer
    pagination_class = None
    filterset_fields = ["level", "parent"]

    def get_queryset(self):
        return Area.objects.visible_to(self.request.user).order_by("code")
