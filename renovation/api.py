"""API: renovation projects (with one POST endpoint per step), publicities, objections,
quality checks. Every write calls a service; status, amounts and approvers are read-only."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import EditableRecordViewSet, RecordViewSet, ScopedFieldsMixin
from households.api import HouseholdField
from renovation import selectors, services
from renovation.archive import completeness_by_township
from renovation.filters import ProjectFilter
from renovation.models import (
    AcceptanceParty,
    BuilderKind,
    BuildMode,
    JointDepartment,
    NationalStage,
    Objection,
    PhotoStage,
    ProjectStatus,
    Publicity,
    PublicityLevel,
    QualityCheck,
    RenovationProject,
    ReviewResult,
)
from renovation.steps import STEPS, require


def _positive(max_digits: int, max_value: str, *, optional: bool = False, **kwargs):
    """An area (㎡: 7 digits, at most 999) or an amount (元: 10 digits) above zero, to the
    cent; an optional one may be left out or null (None)."""
    if optional:
        kwargs.update(required=False, allow_null=True, default=None)
    return serializers.DecimalField(
        max_digits=max_digits,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(max_value),
        **kwargs,
    )


def _user_name(user) -> str:
    return user.display_name if user else ""


class PublicitySerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=RenovationProject.objects.none())
    ends_on = serializers.DateField(required=False)
    open_objections = serializers.SerializerMethodField()

    class Meta:
        model = Publicity
        fields = [
            "id",
            "project",
            "level",
            "starts_on",
            "ends_on",
            "photo",
            "open_objections",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"photo": {"write_only": True, "required": False}}
        # One notice per level: the service refuses a second one with its own message.
        validators = []

    scoped_fields = {"project": RenovationProject}

    def get_open_objections(self, obj) -> int:
        return sum(1 for o in obj.objections.all() if o.resolved_on is None)

    def create(self, validated_data):
        return services.publicity_start(by=self.context["request"].user, **validated_data)


class ObjectionSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    publicity = serializers.PrimaryKeyRelatedField(queryset=Publicity.objects.none())
    resolved_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "publicity",
            "raised_on",
            "raised_by_name",
            "content",
            "resolution",
            "resolved_on",
            "resolved_by_name",
            "created_at",
        ]
        read_only_fields = ["id", "resolution", "resolved_on", "created_at"]

    scoped_fields = {"publicity": Publicity}

    def get_resolved_by_name(self, obj) -> str:
        return _user_name(obj.resolved_by)

    def create(self, validated_data):
        return services.objection_record(by=self.context["request"].user, **validated_data)


class QualityCheckSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=RenovationProject.objects.none())
    recheck_of = serializers.PrimaryKeyRelatedField(
        queryset=QualityCheck.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = QualityCheck
        fields = [
            "id",
            "project",
            "checked_on",
            "inspector",
            "result",
            "problems",
            "recheck_of",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    scoped_fields = {"project": RenovationProject, "recheck_of": QualityCheck}

    def create(self, validated_data):
        return services.quality_check_record(by=self.context["request"].user, **validated_data)


class ProjectSerializer(serializers.ModelSerializer):
    """A project as read; the writable fields are those of the plan (method, builder)."""

    household = HouseholdField()
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    village_name = serializers.CharField(source="household.village.name", read_only=True)
    township_name = serializers.CharField(source="household.village.parent.name", read_only=True)
    category = serializers.CharField(source="household.category", read_only=True)
    family_size = serializers.IntegerField(source="household.family_size", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    approved_by_name = serializers.SerializerMethodField()
    needs_split_scrutiny = serializers.SerializerMethodField()
    letter_url = serializers.SerializerMethodField()
    version = serializers.IntegerField(required=False)

    class Meta:
        model = RenovationProject
        fields = [
            "id",
            "household",
            "head_name",
            "village_name",
            "township_name",
            "category",
            "family_size",
            "year",
            "status",
            "status_display",
            "danger_level",
            "method",
            "method_note",
            "build_mode",
            "builder_kind",
            "builder_name",
            "on_behalf",
            "dynamic",
            "applied_on",
            "village_reviewed_on",
            "township_reviewed_on",
            "township_opinion",
            "township_amount",
            "joint_reviewed_on",
            "approved_on",
            "approved_by_name",
            "approved_amount",
            "amount_explanation",
            "amount_override_reason",
            "notified_on",
            "completion_due",
            "started_on",
            "completed_on",
            "accepted_on",
            "moved_in_on",
            "closed_on",
            "built_area",
            "planned_area",
            "township_area",
            "demolition_not_applicable_reason",
            "end_reason",
            "needs_split_scrutiny",
            "letter_url",
            "version",
        ]
        # Field-level authority: these change only through the step endpoints.
        read_only_fields = [
            f
            for f in fields
            if f
            not in {
                "household",
                "year",
                "method",
                "method_note",
                "build_mode",
                "builder_kind",
                "builder_name",
                "on_behalf",
                "dynamic",
                "applied_on",
                "planned_area",
                "version",
            }
        ]

    def get_approved_by_name(self, obj) -> str:
        return _user_name(obj.approved_by)

    def get_needs_split_scrutiny(self, obj) -> bool:
        return services.needs_split_scrutiny(obj)

    def get_letter_url(self, obj) -> str | None:
        if obj.approved_amount is None:
            return None
        return reverse("renovation:letter", args=[obj.pk])

    def create(self, validated_data):
        validated_data.pop("version", None)
        validated_data.pop("build_mode", None)
        validated_data.pop("builder_kind", None)
        validated_data.pop("builder_name", None)
        return services.project_apply(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("dynamic", None)  # set at application only
        plan = {
            k: v
            for k, v in validated_data.items()
            if k in {"method", "method_note", "build_mode", "builder_kind", "builder_name"}
        }
        return services.project_update_plan(
            project=instance,
            by=self.context["request"].user,
            version=validated_data.get("version"),
            **plan,
        )


# --- one serializer per step -----------------------------------------------------------


class VillageReviewInput(serializers.Serializer):
    held_on = serializers.DateField()
    cadres = serializers.ListField(child=serializers.CharField(max_length=50), min_length=1)
    representatives = serializers.ListField(child=serializers.CharField(max_length=50))
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    minutes_file = serializers.FileField()


class TownshipReviewInput(serializers.Serializer):
    reviewed_on = serializers.DateField()
    passed = serializers.BooleanField()
    opinion = serializers.CharField()
    township_area = _positive(
        7,
        "999",
        optional=True,
        help_text="乡镇审批面积（㎡）：严重困难家庭、低保边缘家庭翻建、新建时必填（文件003）。",
    )
    township_amount = _positive(
        10,
        "99999999",
        optional=True,
        help_text="乡镇核定补助金额：补助由乡镇核定的类别和等级（严重困难家庭、低保边缘家庭D级）必填。",
    )


class OpinionInput(serializers.Serializer):
    department = serializers.ChoiceField(choices=JointDepartment.choices)
    agrees = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class JointReviewInput(serializers.Serializer):
    reviewed_on = serializers.DateField()
    opinions = OpinionInput(many=True)


class EmptyInput(serializers.Serializer):
    pass


class OverrideInput(serializers.Serializer):
    amount = _positive(10, "99999999")
    reason = serializers.CharField()
    materials_file = serializers.FileField(required=False, allow_null=True, default=None)
    materials_total = _positive(10, "99999999", optional=True)


class OverrideDecisionInput(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="true：确认调整；false：驳回（须填写意见）")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class NotifyInput(serializers.Serializer):
    notified_on = serializers.DateField()
    completion_due = serializers.DateField(required=False, allow_null=True)


class CommitmentInput(serializers.Serializer):
    # Optional here so that the service gives its own message ("承诺书必须填写签署日期").
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    file = serializers.FileField(required=False, allow_null=True)


class StartInput(serializers.Serializer):
    started_on = serializers.DateField()
    build_mode = serializers.ChoiceField(choices=BuildMode.choices)
    builder_kind = serializers.ChoiceField(choices=BuilderKind.choices)
    builder_name = serializers.CharField(max_length=100)


class PhotosInput(serializers.Serializer):
    stage = serializers.ChoiceField(choices=PhotoStage.choices)
    files = serializers.ListField(child=serializers.FileField(), min_length=1)


class CompleteInput(serializers.Serializer):
    completed_on = serializers.DateField()


class AcceptFailedInput(serializers.Serializer):
    inspected_on = serializers.DateField()
    parties = serializers.MultipleChoiceField(choices=AcceptanceParty.choices, required=False)
    participants = serializers.CharField()
    reasons = serializers.CharField()
    to_fix = serializers.CharField()


class AcceptInput(serializers.Serializer):
    accepted_on = serializers.DateField()
    parties = serializers.MultipleChoiceField(
        choices=AcceptanceParty.choices,
        required=False,
        help_text="参加验收的各方：township、village、household、builder 四方均须参加。",
    )
    participants = serializers.CharField()
    evaluation_passed = serializers.BooleanField()
    # Passed on as None when missing, so the service says what is wanted (a 400, not a 500).
    evaluation_form = serializers.FileField(required=False, allow_null=True, default=None)
    built_area = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField()


class DemolitionInput(serializers.Serializer):
    demolished_on = serializers.DateField()
    photo = serializers.ImageField()


class MoveInInput(serializers.Serializer):
    moved_in_on = serializers.DateField()


class CloseInput(serializers.Serializer):
    closed_on = serializers.DateField()


class EndInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (ProjectStatus.DECLINED, ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)
        ]
    )
    reason = serializers.CharField()


class BatchInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)


class NationalEntryInput(BatchInput):
    stage = serializers.ChoiceField(choices=NationalStage.choices)
    entered_on = serializers.DateField()


class PublicityBatchInput(BatchInput):
    level = serializers.ChoiceField(choices=PublicityLevel.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)


def _joint(data):
    opinions = {o["department"]: (o["agrees"], o["note"]) for o in data.pop("opinions")}
    return {**data, "opinions": opinions}


# How an input's validated data becomes the service's keywords, where it differs.
ADAPT = {"joint_review": _joint}
API_STEPS = {name: step for name, step in STEPS.items() if step.api_action}


class RenovationProjectViewSet(EditableRecordViewSet):
    """危房改造项目：列表、申请、查看、修改改造方案；每个步骤一个 POST 接口。"""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["year", "applied_on", "status"]

    @property
    def write_roles(self):
        if self.action in API_STEPS:
            return API_STEPS[self.action].roles
        if self.action == "approve_batch":
            return services.APPROVE_ROLES
        if self.action == "publicity_batch":
            return services.PUBLICITY_ROLES
        if self.action == "national_entries":
            return services.NATIONAL_ROLES
        if self.action == "create":
            return services.APPLY_ROLES
        return services.CONSTRUCTION_ROLES | services.APPLY_ROLES

    def get_queryset(self):
        return selectors.project_list(self.request.user).select_related("approved_by")

    def _step(self, request, name):
        # Scope first (404), then the step table: role (403), status (409), then the input.
        project = self.get_object()
        step = API_STEPS[name]
        require(step, project, request.user)
        data = step.serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if name in ADAPT:
            values = ADAPT[name](values)
        step.service(project=project, by=request.user, **values)
        project = self.get_queryset().get(pk=project.pk)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)

    @action(detail=False, methods=["post"], url_path="approve-batch")
    @extend_schema(
        request=BatchInput,
        responses={
            200: ProjectSerializer(many=True),
            400: inline_serializer(
                "BatchRefused",
                {"detail": serializers.CharField(), "errors": serializers.DictField()},
            ),
        },
    )
    def approve_batch(self, request):
        """批量批准（全部成功或全部不变，逐项说明原因）。"""
        return self._batch(request, BatchInput, services.projects_approve_batch)

    @action(detail=False, methods=["post"], url_path="publicity-batch")
    @extend_schema(request=PublicityBatchInput, responses={200: ProjectSerializer(many=True)})
    def publicity_batch(self, request):
        """为多个项目录入同一公示（全部成功或全部不变）。"""
        return self._batch(request, PublicityBatchInput, services.publicities_start)

    @action(detail=False, methods=["post"], url_path="national-entries")
    @extend_schema(request=NationalEntryInput, responses={200: ProjectSerializer(many=True)})
    def national_entries(self, request):
        """登记所选项目某一阶段（开工、竣工、验收、拨付）录入全国系统的日期（全部成功或全部不变）。"""
        return self._batch(request, NationalEntryInput, services.national_entries_record)

    def _batch(self, request, input_class, service):
        """`service(projects=…, by=…, **the input's other fields)` on the selected projects:
        all or none, a reason per refused project."""
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ids = list(dict.fromkeys(values.pop("ids")))
        projects = list(self.get_queryset().filter(pk__in=ids))
        found = {p.pk for p in projects}
        errors = {pk: "项目不存在或不在您的管辖区划内。" for pk in ids if pk not in found}
        if errors:
            return Response(
                {"detail": "所选项目中有不存在或无权操作的项目，均未处理。", "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            service(projects=projects, by=request.user, **values)
        except services.BatchRefused as exc:
            return Response(
                {"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
            )
        fresh = self.get_queryset().filter(pk__in=ids).order_by("pk")
        return Response(
            ProjectSerializer(fresh, many=True, context=self.get_serializer_context()).data
        )


def _make_step_action(name: str):
    input_class = API_STEPS[name].serializer_class

    @extend_schema(request=input_class, responses={200: ProjectSerializer})
    def handler(self, request, pk=None):
        return self._step(request, name)

    handler.__name__ = name
    handler.__doc__ = f"步骤：{name}"
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(handler)


for _name in API_STEPS:
    setattr(RenovationProjectViewSet, _name, _make_step_action(_name))


class PublicityViewSet(RecordViewSet):
    """三级公示（村、乡镇、县）。"""

    serializer_class = PublicitySerializer
    write_roles = services.PUBLICITY_ROLES
    filterset_fields = ["project", "level"]

    def get_queryset(self):
        return selectors.publicity_list(self.request.user).prefetch_related("objections")


class ResolveInput(serializers.Serializer):
    resolution = serializers.CharField()
    resolved_on = serializers.DateField()


class ObjectionViewSet(RecordViewSet):
    """公示异议：登记、处理。"""

    serializer_class = ObjectionSerializer
    write_roles = services.OBJECTION_ROLES
    filterset_fields = ["publicity"]

    def get_queryset(self):
        return selectors.objection_list(self.request.user).select_related("resolved_by")

    @extend_schema(
        request=ResolveInput,
        responses={200: ObjectionSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        objection = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        objection = services.objection_resolve(
            objection=objection, by=request.user, **data.validated_data
        )
        return Response(ObjectionSerializer(objection, context=self.get_serializer_context()).data)


class QualityCheckViewSet(RecordViewSet):
    """质量检查记录（含复查）。"""

    serializer_class = QualityCheckSerializer
    write_roles = services.QUALITY_ROLES
    filterset_fields = ["project", "result"]

    def get_queryset(self):
        return QualityCheck.objects.visible_to(self.request.user).select_related("project")


def register(router) -> None:
    """Register this app's API viewsets on the project router."""
    router.register("renovation-projects", RenovationProjectViewSet, basename="renovation-project")
    router.register("publicities", PublicityViewSet, basename="publicity")
    router.register("objections", ObjectionViewSet, basename="objection")
    router.register("quality-checks", QualityCheckViewSet, basename="quality-check")
    router.register(
        "archive-completeness", ArchiveCompletenessViewSet, basename="archive-completeness"
    )


class CompletenessRowSerializer(serializers.Serializer):
    township = serializers.CharField()
    total = serializers.IntegerField(help_text="已验收（含销号）项目数")
    complete = serializers.IntegerField(help_text="档案齐全的项目数")
    rate = serializers.IntegerField(help_text="完整率（%）")


class ArchiveCompletenessViewSet(viewsets.ViewSet):
    """一户一档完整率（分乡镇）：已验收项目中申请书、村级评议会议记录、三级公示照片、承诺书、
    基本安全评定表和拆除照片均已上传的比例，与首页一致。"""

    @extend_schema(responses={200: CompletenessRowSerializer(many=True)})
    def list(self, request):
        rows = completeness_by_township(request.user)
        return Response(CompletenessRowSerializer(rows, many=True).data)
