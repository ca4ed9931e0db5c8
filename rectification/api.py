"""API: rectification items (+ transitions), campaigns, complaints, self-check findings."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Area
from core.api import EditableRecordViewSet, VisiblePrimaryKeyField, VisibleSlugField
from households.api import HouseholdField
from rectification import selectors, services, steps
from rectification.filters import ComplaintFilter, FindingFilter, ItemFilter
from rectification.models import (
    Complaint,
    Evidence,
    ProgressNote,
    RectificationCampaign,
    RectificationItem,
    RectificationStage,
    SelfCheckFinding,
)


class AreaField(VisibleSlugField):
    model = Area

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)


class CampaignField(VisiblePrimaryKeyField):
    model = RectificationCampaign


class RectificationStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = RectificationStage
        fields = ["id", "goal", "due_on", "done_on"]
        read_only_fields = ["id", "done_on"]


class RectificationEvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "url", "original_name", "content_type", "size", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("rectification:evidence_file", args=[obj.pk])


class ProgressNoteSerializer(serializers.ModelSerializer):
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True)
    evidence = RectificationEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressNote
        fields = ["id", "content", "created_by_name", "created_at", "evidence"]


class RectificationItemSerializer(serializers.ModelSerializer):
    area = AreaField()
    area_name = serializers.CharField(source="area.name", read_only=True)
    campaign = CampaignField(required=False, allow_null=True)
    households = HouseholdField(many=True, required=False)
    stages = RectificationStageSerializer(many=True, required=False)
    deadline_label = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    submitted_by_name = serializers.CharField(
        source="submitted_by.display_name", read_only=True, default=None
    )
    closed_by_name = serializers.CharField(
        source="closed_by.display_name", read_only=True, default=None
    )

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "campaign",
            "source",
            "problem_type",
            "sub_type",
            "title",
            "findings",
            "area",
            "area_name",
            "households",
            "measures",
            "deadline_kind",
            "deadline",
            "deadline_label",
            "stages",
            "responsible_unit",
            "first_responsible",
            "direct_responsible",
            "remarks",
            "status",
            "is_overdue",
            "submitted_by_name",
            "submitted_at",
            "closed_by_name",
            "closed_on",
            "close_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "submitted_at",
            "closed_on",
            "close_note",
            "created_at",
            "updated_at",
        ]

    def create(self, data):
        return services.item_create(by=self.context["request"].user, **data)

    def update(self, instance, data):
        return services.item_update(item=instance, by=self.context["request"].user, **data)


class ProgressNoteInputSerializer(serializers.Serializer):
    content = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class RectificationNoteTextSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ItemViewSet(EditableRecordViewSet):
    """整改台账：县住建局录入；乡镇填报进展并提交核验；提交人以外的县级人员核验销号。"""

    serializer_class = RectificationItemSerializer
    filterset_class = ItemFilter
    ordering_fields = ["deadline", "created_at", "id"]

    @property
    def write_roles(self):
        if self.action in steps.STEPS:
            return steps.STEPS[self.action].roles
        return services.LEDGER_ROLES

    def get_queryset(self):
        return (
            selectors.item_list(self.request.user)
            .prefetch_related("households")
            .order_by("problem_type", "id")
        )

    def _open(self, step: str):
        """Scope first (404), then the step table: role (403), status (409), then the input."""
        item = self.get_object()
        steps.require(step, item, self.request.user)
        return item

    def _done(self, item):
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data)

    def _step(self, name: str):
        """The step's input (its row's serializer) to its service; the item as it is now."""
        item = self._open(name)
        step = steps.STEPS[name]
        data = step.serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return self._done(step.service(item=item, by=self.request.user, **data.validated_data))

    @extend_schema(request=None, responses=RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(services.item_start(item=self._open("start"), by=request.user))

    @extend_schema(request=ProgressNoteInputSerializer, responses={201: ProgressNoteSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        item = self._open("note")
        data = ProgressNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        note = services.note_add(
            item=item, by=request.user, content=data.validated_data["content"], files=files
        )
        return Response(ProgressNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RectificationNoteTextSerializer, responses=RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step("submit")

    @extend_schema(request=RectificationNoteTextSerializer, responses=RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step("close")

    @extend_schema(request=RectificationReasonSerializer, responses=RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step("reopen")

    @extend_schema(responses=ProgressNoteSerializer(many=True))
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        item = self.get_object()
        notes = item.notes.select_related("created_by").prefetch_related("evidence")
        return Response(ProgressNoteSerializer(notes, many=True).data)


class RectificationCampaignSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = RectificationCampaign
        fields = [
            "id",
            "name",
            "source",
            "plan_and_ledger_due",
            "report_due",
            "note",
            "item_count",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def create(self, data):
        return services.campaign_create(by=self.context["request"].user, **data)

    def update(self, instance, data):
        return services.campaign_update(campaign=instance, by=self.context["request"].user, **data)


class CampaignViewSet(EditableRecordViewSet):
    """整改批次（如“2022年度考核评估反馈问题整改”）及报送期限。"""

    serializer_class = RectificationCampaignSerializer
    filterset_fields = ["source"]
    write_roles = services.LEDGER_ROLES

    def get_queryset(self):
        return selectors.campaign_list(self.request.user)


class ComplaintSerializer(serializers.ModelSerializer):
    area = AreaField()
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "area",
            "area_name",
            "channel",
            "received_on",
            "contact",
            "content",
            "handler",
            "reply",
            "closed",
            "closed_on",
            "item",
            "created_at",
        ]
        read_only_fields = ["id", "closed_on", "item", "created_at"]

    def create(self, data):
        data.pop("reply", None)
        data.pop("closed", None)
        return services.complaint_create(by=self.context["request"].user, **data)

    def update(self, instance, data):
        data.pop("area", None)
        return services.complaint_update(
            complaint=instance, by=self.context["request"].user, **data
        )


class ComplaintViewSet(EditableRecordViewSet):
    """群众反映工作台账（电话、邮件、来访）；convert 一键转入整改台账。"""

    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter

    @property
    def write_roles(self):
        if self.action == "convert":
            return services.LEDGER_ROLES
        return services.COMPLAINT_ROLES

    def get_queryset(self):
        return selectors.complaint_list(self.request.user)

    @extend_schema(request=None, responses={201: RectificationItemSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        item = services.complaint_convert(complaint=self.get_object(), by=request.user)
        item = selectors.item_list(request.user).get(pk=item.pk)
        return Response(
            RectificationItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class SelfCheckFindingSerializer(serializers.ModelSerializer):
    rule_label = serializers.CharField(read_only=True)
    area = serializers.CharField(source="area_id", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    households = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SelfCheckFinding
        fields = [
            "id",
            "rule",
            "rule_label",
            "area",
            "area_name",
            "households",
            "message",
            "status",
            "dismissed_reason",
            "item",
            "first_seen",
            "last_seen",
        ]
        read_only_fields = fields


class FindingsConvertSerializer(serializers.Serializer):
    rule = serializers.CharField()
    deadline = serializers.DateField(required=False, allow_null=True)


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """自查发现：run 运行自查；convert 按规则转入整改台账；dismiss 填写理由后排除。"""

    serializer_class = SelfCheckFindingSerializer
    filterset_class = FindingFilter

    @property
    def write_roles(self):
        if self.action == "run":
            return services.SELFCHECK_ROLES
        return services.LEDGER_ROLES

    def get_queryset(self):
        return selectors.finding_list(self.request.user)

    @extend_schema(request=None, responses=None)
    @action(detail=False, methods=["post"])
    def run(self, request):
        result = services.selfcheck_run(by=request.user)
        return Response({"summary": result.summary, "per_rule": result.per_rule})

    @extend_schema(request=FindingsConvertSerializer, responses={201: RectificationItemSerializer})
    @action(detail=False, methods=["post"])
    def convert(self, request):
        data = FindingsConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.findings_convert(by=request.user, **data.validated_data)
        item = selectors.item_list(request.user).get(pk=item.pk)
        return Response(
            RectificationItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=RectificationReasonSerializer, responses=SelfCheckFindingSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        finding = self.get_object()  # scope first: another area's finding is a 404
        data = RectificationReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_dismiss(
            finding=finding, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(finding).data)


def register(router) -> None:
    """Register this app's API viewsets on the project router."""
    router.register("rectification-items", ItemViewSet, basename="rectification-item")
    router.register("rectification-campaigns", CampaignViewSet, basename="rectification-campaign")
    router.register("complaints", ComplaintViewSet, basename="complaint")
    router.register("selfcheck-findings", FindingViewSet, basename="selfcheck-finding")
