"""API: hazard reports, campaigns (+ progress), inspections, appraisals, the ledger."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Area
from core.api import (
    EditableRecordViewSet,
    RecordViewSet,
    VisiblePrimaryKeyField,
    VisibleSlugField,
)
from households.api import HouseholdField
from households.models import Household
from inspections import selectors, services
from inspections.filters import LedgerFilter
from inspections.models import (
    Appraisal,
    Campaign,
    DepartmentList,
    DepartmentListEntry,
    EmergencyMeasure,
    HazardReport,
    HazardStatus,
    InspectionRecord,
    Photo,
)


class VisibleAreaField(VisibleSlugField):
    model = Area


class CampaignField(VisiblePrimaryKeyField):
    model = Campaign


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "content_type", "size", "taken_at", "original_name", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("inspections:photo_file", args=[obj.pk])


def _photos_field():
    return serializers.ListField(
        child=serializers.FileField(), write_only=True, required=False, help_text="照片（可多张）"
    )


# The fields every household record's serializer starts and ends with.
_HEAD = ["id", "household", "household_name", "village_name", "township_name"]
_TAIL = ["photos", "photo_files", "created_at"]


class _HouseholdRecordSerializer(serializers.ModelSerializer):
    """A record about one household, with its photos: the household's names are shown, the
    uploaded `photo_files` go to the service (`service`, a name in `inspections.services`)
    as `photos`. A subclass's fields are `[*_HEAD, its own, ..., *_TAIL]`."""

    service: str

    household = HouseholdField()
    household_name = serializers.CharField(source="household.head_name", read_only=True)
    village_name = serializers.CharField(source="household.village.name", read_only=True)
    township_name = serializers.CharField(source="household.village.parent.name", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    photo_files = _photos_field()

    def create(self, data):
        data["photos"] = data.pop("photo_files", [])
        return getattr(services, self.service)(by=self.context["request"].user, **data)


class AppraisalSerializer(_HouseholdRecordSerializer):
    service = "appraisal_record"
    report_file = serializers.FileField(write_only=True, required=False)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = [
            *_HEAD,
            "level",
            "method",
            "appraiser_name",
            "institution",
            "appraised_on",
            "is_reappraisal",
            "disputed",
            "dispute_note",
            "note",
            "report_file",
            "report_url",
            *_TAIL,
        ]
        read_only_fields = ["id", "disputed", "dispute_note", "created_at"]

    def get_report_url(self, obj) -> str | None:
        if not obj.report_file:
            return None
        return reverse("inspections:appraisal_report", args=[obj.pk])


class DisputeSerializer(serializers.Serializer):
    note = serializers.CharField()


class AppraisalFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter()
    level = django_filters.CharFilter()
    method = django_filters.CharFilter()
    appraised_after = django_filters.DateFilter(field_name="appraised_on", lookup_expr="gte")
    appraised_before = django_filters.DateFilter(field_name="appraised_on", lookup_expr="lte")

    class Meta:
        model = Appraisal
        fields = ["household", "level", "method", "is_reappraisal", "disputed"]


class AppraisalViewSet(RecordViewSet):
    """鉴定（评定）结果：县住建局录入；全部保留，最新一次为当前结果。"""

    serializer_class = AppraisalSerializer
    filterset_class = AppraisalFilter
    ordering_fields = ["appraised_on", "id"]
    write_roles = services.APPRAISAL_ROLES

    def get_queryset(self):
        return selectors.appraisal_list(self.request.user).order_by("-appraised_on", "-id")

    @extend_schema(request=DisputeSerializer, responses=AppraisalSerializer)
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        appraisal = self.get_object()
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appraisal = services.appraisal_mark_disputed(
            appraisal=appraisal, by=request.user, note=data.validated_data["note"]
        )
        return Response(self.get_serializer(appraisal).data)


class InspectionSerializer(_HouseholdRecordSerializer):
    service = "inspection_record"
    campaign = CampaignField(required=False, allow_null=True)
    inspector_name = serializers.CharField(source="inspector.display_name", read_only=True)

    class Meta:
        model = InspectionRecord
        fields = [
            *_HEAD,
            "campaign",
            "inspected_on",
            "inspector_name",
            "occupied",
            "findings",
            "latitude",
            "longitude",
            "location_accuracy",
            *_TAIL,
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"occupied": {"required": True}}


class InspectionFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter()
    campaign = django_filters.NumberFilter()
    inspected_after = django_filters.DateFilter(field_name="inspected_on", lookup_expr="gte")
    inspected_before = django_filters.DateFilter(field_name="inspected_on", lookup_expr="lte")

    class Meta:
        model = InspectionRecord
        fields = ["household", "campaign", "occupied"]


class InspectionViewSet(RecordViewSet):
    """排查记录（含现场照片、拍摄时间、定位）。"""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ["inspected_on", "id"]
    write_roles = services.INSPECTION_ROLES

    def get_queryset(self):
        return selectors.inspection_list(self.request.user).order_by("-inspected_on", "-id")


class HazardReportSerializer(_HouseholdRecordSerializer):
    service = "hazard_report_create"
    reporter_name = serializers.CharField(source="reporter.display_name", read_only=True)
    verified_by_name = serializers.CharField(
        source="verified_by.display_name", read_only=True, default=None
    )

    class Meta:
        model = HazardReport
        fields = [
            *_HEAD,
            "description",
            "reported_on",
            "urgent",
            "reporter_name",
            "status",
            "verified_by_name",
            "verified_at",
            "verification_note",
            "appraisal",
            *_TAIL,
        ]
        read_only_fields = [
            "id",
            "status",
            "verified_at",
            "verification_note",
            "appraisal",
            "created_at",
        ]


class VerifySerializer(serializers.Serializer):
    is_real = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HazardFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=HazardStatus.choices)
    queue = django_filters.BooleanFilter(method="filter_queue", label="只看本级待办")

    class Meta:
        model = HazardReport
        fields = ["household", "status", "urgent"]

    def filter_queue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=selectors.hazard_queue(self.request.user).values("pk"))


class HazardReportViewSet(RecordViewSet):
    """三级巡查：村上报 → 乡镇核实（verify）→ 县级鉴定（录入鉴定后自动完成）。"""

    serializer_class = HazardReportSerializer
    filterset_class = HazardFilter
    ordering_fields = ["reported_on", "urgent", "id"]

    @property
    def write_roles(self):
        if self.action == "verify":
            return services.HAZARD_VERIFY_ROLES
        return services.HAZARD_REPORT_ROLES

    def get_queryset(self):
        return selectors.hazard_list(self.request.user).order_by("-urgent", "-reported_on", "-id")

    @extend_schema(request=VerifySerializer, responses=HazardReportSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        report = self.get_object()
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.hazard_report_verify(
            report=report, by=request.user, **data.validated_data
        )
        return Response(self.get_serializer(report).data)


class CampaignSerializer(serializers.ModelSerializer):
    areas = VisibleAreaField(slug_field="code", many=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "areas", "starts_on", "ends_on", "note", "created_at"]
        read_only_fields = ["id", "created_at"]

    def create(self, data):
        return services.campaign_create(by=self.context["request"].user, **data)

    def update(self, instance, data):
        return services.campaign_update(campaign=instance, by=self.context["request"].user, **data)


class ProgressRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="area.code")
    name = serializers.CharField(source="area.name")
    total = serializers.IntegerField()
    checked = serializers.IntegerField()
    unchecked = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_unchecked(self, row) -> list[dict]:
        return [{"id": h.pk, "head_name": h.head_name} for h in row.unchecked]


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    checked = serializers.IntegerField()
    townships = ProgressRowSerializer(many=True)
    villages = ProgressRowSerializer(many=True)


class CampaignViewSet(EditableRecordViewSet):
    """排查批次（回头看、灾后、节假日返乡、新增名单）及进度。"""

    serializer_class = CampaignSerializer
    filterset_fields = ["kind"]
    write_roles = services.CAMPAIGN_ROLES

    def get_queryset(self):
        return selectors.campaign_list(self.request.user)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        progress = selectors.campaign_progress(self.get_object(), request.user)
        return Response(ProgressSerializer(progress).data)


class MeasureSerializer(serializers.ModelSerializer):
    household = HouseholdField()

    class Meta:
        model = EmergencyMeasure
        fields = ["id", "household", "measure", "taken_on", "stays_at", "note", "created_at"]
        read_only_fields = ["id", "created_at"]

    def create(self, data):
        return services.emergency_measure_record(by=self.context["request"].user, **data)


class EmergencyMeasureViewSet(RecordViewSet):
    """D级危房住人的应急措施（劝离、过渡安置）。"""

    serializer_class = MeasureSerializer
    filterset_fields = ["household", "measure"]
    write_roles = services.EMERGENCY_ROLES

    def get_queryset(self):
        return EmergencyMeasure.objects.visible_to(self.request.user).order_by("-taken_on", "-id")


class LedgerMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmergencyMeasure
        fields = ["measure", "taken_on", "stays_at", "note"]


class LedgerSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="village.parent.name", read_only=True)
    current_level = serializers.CharField()
    current_method = serializers.CharField()
    current_appraised_on = serializers.DateField()
    last_inspected_on = serializers.DateField(allow_null=True)
    last_occupied = serializers.BooleanField(allow_null=True)
    overdue = serializers.BooleanField()
    emergency = serializers.BooleanField()
    measures = LedgerMeasureSerializer(many=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "head_name",
            "id_number_masked",
            "village",
            "village_name",
            "township_name",
            "category",
            "family_size",
            "current_level",
            "current_method",
            "current_appraised_on",
            "last_inspected_on",
            "last_occupied",
            "overdue",
            "emergency",
            "measures",
        ]


class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    """危房台账：当前鉴定为C级、D级或无房且未销号的农户；D级住人为紧急。"""

    serializer_class = LedgerSerializer
    filterset_class = LedgerFilter
    ordering_fields = ["head_name", "current_appraised_on", "village"]

    def get_queryset(self):
        return selectors.ledger(self.request.user)


class DepartmentListSerializer(serializers.ModelSerializer):
    households = HouseholdField(many=True, write_only=True)
    entries = serializers.SerializerMethodField()

    class Meta:
        model = DepartmentList
        fields = ["id", "department", "received_on", "note", "households", "entries", "created_at"]
        read_only_fields = ["id", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_entries(self, obj) -> list[dict]:
        return [
            {"household": e.household_id, "appraisal_due": e.appraisal_due}
            for e in obj.entries.all()
        ]

    def create(self, data):
        return services.department_list_create(by=self.context["request"].user, **data)


class DepartmentListViewSet(RecordViewSet):
    """部门名单：每户须在收到名单后5个工作日内完成鉴定。"""

    serializer_class = DepartmentListSerializer
    filterset_fields = ["department"]
    write_roles = services.DEPARTMENT_LIST_ROLES

    def get_queryset(self):
        # Entries are narrowed too: a township sees only its own households on a county list.
        entries = DepartmentListEntry.objects.visible_to(self.request.user).order_by("id")
        return DepartmentList.objects.visible_to(self.request.user).prefetch_related(
            Prefetch("entries", queryset=entries)
        )


def register(router) -> None:
    """Register this app's API viewsets on the project router."""
    router.register("appraisals", AppraisalViewSet, basename="appraisal")
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("hazard-reports", HazardReportViewSet, basename="hazard-report")
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("emergency-measures", EmergencyMeasureViewSet, basename="emergency-measure")
    router.register("ledger", LedgerViewSet, basename="ledger")
    router.register("department-lists", DepartmentListViewSet, basename="department-list")
