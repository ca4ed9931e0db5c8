from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Area, AreaLevel
from accounts.permissions import ReadPermission
from core.api import VisiblePrimaryKeyField, VisibleSlugField
from core.validators import id_number_error
from households import selectors, services, validation
from households.filters import HouseholdFilter, id_lookup_token, is_full_id_number
from households.models import Household, HouseholdChange, Member, Relation


def _clean_id(value: str) -> str:
    value = "".join((value or "").split()).upper()
    error = id_number_error(value)
    if error:
        raise serializers.ValidationError(error)
    return value


class MemberSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True)
    relation = serializers.ChoiceField(choices=Relation.choices)

    class Meta:
        model = Member
        fields = ["id", "name", "relation", "id_number", "id_number_masked"]
        read_only_fields = ["id", "id_number_masked"]

    def validate_id_number(self, value):
        return _clean_id(value) if value else ""


class PendingChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = HouseholdChange
        fields = ["id", "summary", "status", "requested_at"]
        read_only_fields = fields


class HouseholdField(VisiblePrimaryKeyField):
    """A household of the user's area (the other apps' serializers take it too)."""

    model = Household


class VillageField(VisibleSlugField):
    model = Area

    def rows(self, queryset):
        return queryset.filter(level=AreaLevel.VILLAGE)


class HouseholdSerializer(serializers.ModelSerializer):
    """ID and account numbers are write-only; reads carry the masked form."""

    village = VillageField(slug_field="code")
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="village.parent.name", read_only=True)
    id_number = serializers.CharField(write_only=True, max_length=18)
    bank_account = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=30
    )
    members = MemberSerializer(many=True, required=False)
    priority_marks = serializers.SerializerMethodField()
    pending_change = serializers.SerializerMethodField(
        help_text="本次修改中须经县住建局审核员确认的部分（重点对象类型、家庭人口、家庭成员、"
        "一卡通账号）：待确认的变更申请；其余情况为 null。"
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "village",
            "village_name",
            "township_name",
            "head_name",
            "id_number",
            "id_number_masked",
            "phone",
            "address",
            "family_size",
            "category",
            "identified_by",
            "identified_on",
            "is_disabled",
            "is_military_family",
            "is_veteran",
            "is_heroic",
            "priority_marks",
            "split_on",
            "bank_account",
            "bank_account_masked",
            "bank_name",
            "note",
            "members",
            "pending_change",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "id_number_masked",
            "bank_account_masked",
            "version",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["id_number"].required = False
        # The client sends the version it read; a stale one is refused (409).
        self.fields["version"] = serializers.IntegerField(required=False)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_priority_marks(self, obj) -> list[str]:
        return obj.priority_marks

    @extend_schema_field(PendingChangeSerializer(allow_null=True))
    def get_pending_change(self, obj):
        change = getattr(obj, "pending_change", None)
        return PendingChangeSerializer(change).data if change is not None else None

    def validate_id_number(self, value):
        return _clean_id(value)

    def validate_bank_account(self, value):
        return "".join((value or "").split())

    def validate(self, attrs):
        # The rules of the page form and the imports (households.validation). An update
        # checks what it changes; the members against the size it will have.
        fields = {k: v for k, v in attrs.items() if k not in ("members", "version")}
        if self.instance is not None:
            fields = {k: v for k, v in fields.items() if getattr(self.instance, k, None) != v}
        members = attrs.get("members")
        size = self.instance.family_size if self.instance is not None else None
        errors = validation.household_errors(fields, members=members, family_size=size)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        members = validated_data.pop("members", [])
        validated_data.pop("version", None)
        return services.household_create(
            by=self.context["request"].user, members=members, **validated_data
        )

    def update(self, instance, validated_data):
        members = validated_data.pop("members", None)
        version = validated_data.pop("version", None)
        return services.household_update(
            household=instance,
            by=self.context["request"].user,
            version=version,
            members=members,
            source="接口修改",
            **validated_data,
        )


class FindByIdSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=40, help_text="户主的完整身份证号")

    def validate_id_number(self, value: str) -> str:
        if not is_full_id_number(value):
            raise serializers.ValidationError("请填写完整的 18 位身份证号。")
        return value


class HouseholdViewSet(viewsets.ModelViewSet):
    """农户名册：列表、新增、查看、修改、删除（仅限本人所属区划）。"""

    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    ordering_fields = ["head_name", "village", "created_at", "family_size"]

    def get_queryset(self):
        return selectors.household_list(self.request.user).prefetch_related("members")

    def list(self, request, *args, **kwargs):
        if is_full_id_number(request.query_params.get("q", "")):
            raise serializers.ValidationError(
                {"q": ["完整身份证号不能放在网址中：请用 POST /api/households/find/ 查找。"]}
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=FindByIdSerializer,
        responses=HouseholdSerializer(many=True),
        description="按完整身份证号查找农户（号码放在请求体中，不进入网址和访问日志）。",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="find",
        filter_backends=[],
        pagination_class=None,
        permission_classes=[ReadPermission],
    )
    def find(self, request):
        body = FindByIdSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = self.get_queryset().filter(
            id_number_hash=id_lookup_token(body.validated_data["id_number"])
        )
        return Response(self.get_serializer(found.order_by("pk"), many=True).data)

    def perform_destroy(self, instance):
        # A RoleRefused is a 403 by its class (core.api.exception_handler).
        services.household_delete(household=instance, by=self.request.user)


class HouseholdChangeSerializer(serializers.ModelSerializer):
    household_name = serializers.CharField(source="household.head_name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdChange
        fields = [
            "id",
            "household",
            "household_name",
            "summary",
            "source",
            "has_evidence",
            "requested_by",
            "requested_at",
            "status",
            "status_display",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields

    def get_has_evidence(self, obj) -> bool:
        return bool(obj.evidence)


class ChangeDecisionInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class HouseholdChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """农户信息变更申请（重点对象类型、家庭人口、家庭成员、一卡通账号）：县住建局审核员
    （非申请人）确认或驳回；确认前补助测算和拨付花名册使用原信息。"""

    serializer_class = HouseholdChangeSerializer
    filterset_fields = ["household", "status"]
    write_roles = services.CHANGE_CONFIRM_ROLES

    def get_queryset(self):
        return HouseholdChange.objects.visible_to(self.request.user).select_related("household")

    def _decide(self, request, confirm: bool):
        change = self.get_object()
        data = ChangeDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.household_change_decide(
            change=change,
            by=request.user,
            confirm=confirm,
            note=data.validated_data.get("note", ""),
        )
        return Response(self.get_serializer(change).data)

    @extend_schema(request=ChangeDecisionInput, responses={200: HouseholdChangeSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=ChangeDecisionInput, responses={200: HouseholdChangeSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)
