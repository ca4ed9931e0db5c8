"""API: payout batches (with one POST per step), payout lines (read), township advances,
subsidy standards and the calculator. Every write calls a service; status, amounts of
record and the people who acted are read-only."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.models import Area
from accounts.services import county_of
from core.api import RecordViewSet, ScopedFieldsMixin, VisiblePrimaryKeyField
from core.errors import DomainError
from households.models import Household
from renovation.models import RenovationProject
from subsidies import selectors, services
from subsidies.calculator import LEVEL_FOR_APPRAISAL, calculate
from subsidies.models import (
    DisasterReadmission,
    FundAllocation,
    HistoricRenovation,
    PayoutBatch,
    PayoutLine,
    SubsidyStandard,
    TownshipAdvance,
)

COUNTY_READERS = frozenset({"county_reviewer", "county_approver", "official"})


def _name(user) -> str:
    return user.display_name if user else ""


class PayoutLineSerializer(serializers.ModelSerializer):
    """A line as read: the account is always masked here."""

    batch_number = serializers.CharField(source="batch.number", read_only=True)
    head_name = serializers.CharField(source="project.household.head_name", read_only=True)
    village_name = serializers.CharField(source="project.household.village.name", read_only=True)
    township_name = serializers.CharField(
        source="project.household.village.parent.name", read_only=True
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = PayoutLine
        fields = [
            "id",
            "batch",
            "batch_number",
            "project",
            "head_name",
            "village_name",
            "township_name",
            "amount",
            "account_masked",
            "bank_name",
            "status",
            "status_display",
            "failure_reason",
            "note",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class AllocationField(VisiblePrimaryKeyField):
    model = FundAllocation


class PayoutBatchSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    allocation = AllocationField(
        required=False,
        allow_null=True,
        help_text="本批次列支的资金指标；资金来源随指标级次。提交财政前必须选择。",
    )
    funding_source = serializers.ChoiceField(
        choices=PayoutBatch._meta.get_field("funding_source").choices,
        required=False,
        allow_blank=True,
    )
    results_by_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    submitted_by_name = serializers.SerializerMethodField()
    paid_by_name = serializers.SerializerMethodField()
    reconciled_by_name = serializers.SerializerMethodField()
    line_count = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()

    class Meta:
        model = PayoutBatch
        fields = [
            "id",
            "county",
            "number",
            "title",
            "batch_date",
            "funding_source",
            "allocation",
            "status",
            "status_display",
            "note",
            "paid_on",
            "created_by_name",
            "submitted_by_name",
            "submitted_at",
            "paid_by_name",
            "paid_at",
            "reconciled_by_name",
            "reconciled_at",
            "results_by_name",
            "results_at",
            "line_count",
            "total",
            "version",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in {"title", "batch_date", "funding_source", "allocation", "note"}
        ]

    def get_results_by_name(self, obj) -> str:
        return _name(obj.results_by)

    def get_created_by_name(self, obj) -> str:
        return _name(obj.created_by)

    def get_submitted_by_name(self, obj) -> str:
        return _name(obj.submitted_by)

    def get_paid_by_name(self, obj) -> str:
        return _name(obj.paid_by)

    def get_reconciled_by_name(self, obj) -> str:
        return _name(obj.reconciled_by)

    def get_line_count(self, obj) -> int:
        return obj.line_count if hasattr(obj, "line_count") else obj.lines.count()

    def get_total(self, obj) -> str:
        total = getattr(obj, "total", None)
        if total is None:
            total = selectors.batch_total(obj)
        return f"{total:.2f}"

    def create(self, validated_data):
        return services.batch_create(by=self.context["request"].user, **validated_data)


class LineInput(serializers.Serializer):
    project = serializers.IntegerField()
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AddLinesInput(serializers.Serializer):
    lines = LineInput(many=True, allow_empty=False, max_length=1000)


class PayInput(serializers.Serializer):
    paid_on = serializers.DateField()
    voucher = serializers.FileField()
    version = serializers.IntegerField(required=False)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class SetAllocationInput(serializers.Serializer):
    allocation = AllocationField()
    version = serializers.IntegerField(required=False)


LinesRefusedSchema = inline_serializer(
    "LinesRefused", {"detail": serializers.CharField(), "errors": serializers.DictField()}
)


class PayoutBatchViewSet(RecordViewSet):
    """拨付批次：列表、创建、查看；添加明细、提交、确认拨付、对账各一个 POST 接口。"""

    serializer_class = PayoutBatchSerializer
    filterset_fields = ["status", "funding_source"]
    ordering_fields = ["batch_date", "number"]

    @property
    def write_roles(self):
        if self.action in ("pay", "reconcile", "send_back"):
            return services.PAY_ROLES
        return services.BATCH_ROLES

    def get_queryset(self):
        return selectors.batch_list(self.request.user)

    def _respond(self, batch):
        batch = self.get_queryset().get(pk=batch.pk)
        return Response(PayoutBatchSerializer(batch, context=self.get_serializer_context()).data)

    @extend_schema(
        request=AddLinesInput,
        responses={200: PayoutLineSerializer(many=True), 400: LinesRefusedSchema},
    )
    @action(detail=True, methods=["post"], url_path="add-lines")
    def add_lines(self, request, pk=None):
        """添加拨付明细（全部成功或全部不变，逐项说明原因）。"""
        batch = self.get_object()
        data = AddLinesInput(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["lines"]
        ids = [row["project"] for row in rows]
        projects = RenovationProject.objects.visible_to(request.user).in_bulk(ids)
        errors = {pk: "项目不存在或不在您的管辖区划内。" for pk in ids if pk not in projects}
        if errors:
            return Response(
                {"detail": "所选项目中有不存在或无权操作的项目，均未加入批次。", "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        items = [
            services.LineRequest(
                project=projects[row["project"]], amount=row.get("amount"), note=row["note"]
            )
            for row in rows
        ]
        try:
            lines = services.batch_add_lines(batch=batch, by=request.user, items=items)
        except services.LinesRefused as exc:
            return Response(
                {"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
            )
        lines = selectors.line_list(request.user).filter(pk__in=[line.pk for line in lines])
        return Response(PayoutLineSerializer(lines, many=True).data)

    @extend_schema(request=SetAllocationInput, responses={200: PayoutBatchSerializer})
    @action(detail=True, methods=["post"], url_path="set-allocation")
    def set_allocation(self, request, pk=None):
        """选择本批次列支的资金指标（超出指标余额的不能选择）。"""
        batch = self.get_object()
        data = SetAllocationInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return self._respond(
            services.batch_set_allocation(batch=batch, by=request.user, **data.validated_data)
        )

    @extend_schema(request=VersionInput, responses={200: PayoutBatchSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """提交财政。"""
        batch = self.get_object()
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.batch_submit(batch=batch, by=request.user, **data.validated_data)
        )

    @extend_schema(request=VersionInput, responses={200: PayoutBatchSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """退回草稿（财政退回）。"""
        batch = self.get_object()
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.batch_return(batch=batch, by=request.user, **data.validated_data)
        )

    @extend_schema(
        request={"multipart/form-data": PayInput}, responses={200: PayoutBatchSerializer}
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """确认拨付：拨付日期（不得早于竣工验收日期）和拨付凭证。"""
        batch = self.get_object()
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.batch_pay(batch=batch, by=request.user, **data.validated_data)
        )

    @extend_schema(request=VersionInput, responses={200: PayoutBatchSerializer})
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        """对账完成。"""
        batch = self.get_object()
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.batch_reconcile(batch=batch, by=request.user, **data.validated_data)
        )


class PayoutLineViewSet(viewsets.ReadOnlyModelViewSet):
    """拨付明细（只读；乡镇只看到本乡镇农户的明细）。"""

    serializer_class = PayoutLineSerializer
    filterset_fields = ["batch", "project", "status"]

    def get_queryset(self):
        return selectors.line_list(self.request.user)


class TownshipAdvanceSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=RenovationProject.objects.none())
    township_name = serializers.CharField(source="township.name", read_only=True)
    head_name = serializers.CharField(source="project.household.head_name", read_only=True)
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = TownshipAdvance
        fields = [
            "id",
            "project",
            "head_name",
            "township",
            "township_name",
            "amount",
            "advanced_on",
            "note",
            "recorded_by_name",
            "reported_on",
            "reimbursed_on",
            "reimbursement_batch",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "township",
            "reported_on",
            "reimbursed_on",
            "reimbursement_batch",
            "created_at",
        ]

    scoped_fields = {"project": RenovationProject}

    def get_recorded_by_name(self, obj) -> str:
        return _name(obj.recorded_by)

    def create(self, validated_data):
        return services.advance_record(by=self.context["request"].user, **validated_data)


class ReportInput(serializers.Serializer):
    reported_on = serializers.DateField()


class ReimburseInput(serializers.Serializer):
    reimbursed_on = serializers.DateField()
    batch = serializers.IntegerField(required=False, allow_null=True)


class TownshipAdvanceViewSet(RecordViewSet):
    """乡镇垫付：登记垫付、登记归还（只能归还一次）。"""

    serializer_class = TownshipAdvanceSerializer
    filterset_fields = ["project", "township"]

    @property
    def write_roles(self):
        if self.action == "reimburse":
            return services.REIMBURSE_ROLES
        if self.action == "report":
            return services.REPORT_ROLES
        return services.ADVANCE_ROLES

    def get_queryset(self):
        return selectors.advance_list(self.request.user)

    @extend_schema(request=ReportInput, responses={200: TownshipAdvanceSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """乡镇申请归还垫付（上报县级，待从资金指标中归还）。"""
        advance = self.get_object()
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        advance = services.advance_report(
            advance=advance, by=request.user, reported_on=data.validated_data["reported_on"]
        )
        return Response(
            TownshipAdvanceSerializer(advance, context=self.get_serializer_context()).data
        )

    @extend_schema(request=ReimburseInput, responses={200: TownshipAdvanceSerializer})
    @action(detail=True, methods=["post"])
    def reimburse(self, request, pk=None):
        advance = self.get_object()
        data = ReimburseInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = None
        if data.validated_data.get("batch"):
            batch = selectors.batch_list(request.user).filter(pk=data.validated_data["batch"])
            batch = batch.first()
            if batch is None:
                raise DomainError("该批次不存在或不在您的管辖区划内。")
        advance = services.advance_reimburse(
            advance=advance,
            by=request.user,
            reimbursed_on=data.validated_data["reimbursed_on"],
            batch=batch,
        )
        return Response(
            TownshipAdvanceSerializer(advance, context=self.get_serializer_context()).data
        )


class SubsidyStandardSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = SubsidyStandard
        fields = [
            "id",
            "county",
            "year",
            "name",
            "categories",
            "level",
            "level_display",
            "base_amount",
            "per_person",
            "cap",
            "note",
        ]
        read_only_fields = ["id", "county", "year", "name", "categories", "level"]

    def update(self, instance, validated_data):
        values = {
            "base_amount": instance.base_amount,
            "per_person": instance.per_person,
            "cap": instance.cap,
            "note": instance.note,
            **validated_data,
        }
        return services.standard_update(
            standard=instance, by=self.context["request"].user, **values
        )


class SubsidyStandardViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """补助标准（每县每年；县住建局审核员可修改金额，修改留痕）。"""

    serializer_class = SubsidyStandardSerializer
    write_roles = services.STANDARD_ROLES
    filterset_fields = ["year", "level"]

    def get_queryset(self):
        return SubsidyStandard.objects.visible_to(self.request.user).order_by(
            "-year", "name", "level"
        )


class CalculationSerializer(serializers.Serializer):
    amount = serializers.CharField()
    explanation = serializers.CharField()


class CalculateViewSet(viewsets.ViewSet):
    """补助测算：类别、家庭人口、危房等级 → 金额和计算说明（按本人所属县的标准）。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("category", str, required=True),
            OpenApiParameter("family_size", int, required=True),
            OpenApiParameter("level", str, required=True, enum=list(LEVEL_FOR_APPRAISAL)),
            OpenApiParameter("year", int, required=False),
        ],
        responses={200: CalculationSerializer},
    )
    def list(self, request):
        params = request.query_params
        try:
            family_size = int(params.get("family_size", ""))
        except ValueError:
            raise DomainError("家庭人口必须是整数。") from None
        if not 1 <= family_size <= 30:
            raise DomainError("家庭人口应在1到30人之间。")
        try:
            year = int(params.get("year") or timezone.localdate().year)
        except ValueError:
            raise DomainError("年度必须是整数。") from None
        if not 2000 <= year <= 2100:
            raise DomainError("年度不正确。")
        county = county_of(request.user)
        result = calculate(
            county=county,
            year=year,
            category=params.get("category", ""),
            family_size=family_size,
            level=params.get("level", ""),
        )
        return Response({"amount": f"{result.amount:.2f}", "explanation": result.explanation})


class FundAllocationSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    township = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Area.objects.filter(level="township"),
        required=False,
        allow_null=True,
    )
    drawn = serializers.SerializerMethodField()

    class Meta:
        model = FundAllocation
        fields = [
            "id",
            "county",
            "document_number",
            "issued_on",
            "level",
            "level_display",
            "year",
            "amount",
            "township",
            "note",
            "drawn",
            "created_at",
        ]
        read_only_fields = ["id", "county", "level_display", "drawn", "created_at"]

    def get_drawn(self, obj) -> str:
        return f"{services.allocation_drawn(obj):.2f}"

    def create(self, validated_data):
        return services.allocation_create(by=self.context["request"].user, **validated_data)


class FundsRowSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    township = serializers.CharField()
    allocated = serializers.CharField()
    drawn = serializers.CharField()
    paid = serializers.CharField()
    balance = serializers.CharField()
    households = serializers.IntegerField()


class FundsSummarySerializer(serializers.Serializer):
    levels = FundsRowSerializer(many=True)
    townships = FundsRowSerializer(many=True)
    totals = FundsRowSerializer()


def _row(r) -> dict:
    return {
        "year": r.year,
        "level": r.level,
        "level_label": r.level_label,
        "township": r.township,
        "allocated": f"{r.allocated:.2f}",
        "drawn": f"{r.drawn:.2f}",
        "paid": f"{r.paid:.2f}",
        "balance": f"{r.balance:.2f}",
        "households": r.households,
    }


class FundAllocationViewSet(RecordViewSet):
    """资金指标（中央、省级、市级、县级下达，按文号）：登记、查看；资金汇总。"""

    serializer_class = FundAllocationSerializer
    filterset_fields = ["year", "level"]
    write_roles = services.ALLOCATION_ROLES

    def get_queryset(self):
        return selectors.allocation_list(self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses={200: FundsSummarySerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def summary(self, request):
        """分级次、分乡镇的已下达、已安排、已拨付和结余（与资金页面和资金报表一致；仅限县级角色）。"""
        if not (request.user.role in COUNTY_READERS or request.user.is_superuser):
            # The county's money across its townships: county roles only, like the funds page.
            raise PermissionDenied("资金汇总仅限县住建局和县级只读角色查看。")
        year = request.query_params.get("year", "")
        if year and not (year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100):
            raise DomainError("年度无效。")
        summary = selectors.funds_summary(request.user, int(year) if year else None)
        return Response(
            {
                "levels": [_row(r) for r in summary["levels"]],
                "townships": [_row(r) for r in summary["townships"]],
                "totals": _row(summary["totals"]),
            }
        )


class ReadmissionSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    proof_file = serializers.FileField(write_only=True)

    class Meta:
        model = DisasterReadmission
        fields = ["id", "household", "project", "proof_file", "note", "recorded_on", "created_at"]
        read_only_fields = ["id", "project", "recorded_on", "created_at"]

    scoped_fields = {"household": Household}

    def create(self, validated_data):
        return services.readmission_for_household(by=self.context["request"].user, **validated_data)


class ReadmissionViewSet(RecordViewSet):
    """因灾再次纳入：曾改造销号、因灾再次成为危房的农户，凭乡镇灾害损毁证明再次申请改造。"""

    serializer_class = ReadmissionSerializer
    filterset_fields = ["household"]
    write_roles = services.RECORD_ROLES

    def get_queryset(self):
        return DisasterReadmission.objects.visible_to(self.request.user).order_by("-id")

    @extend_schema(request={"multipart/form-data": ReadmissionSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class HistoricRenovationSerializer(serializers.ModelSerializer):
    class Meta:
        model = HistoricRenovation
        fields = ["id", "household", "year", "method", "amount", "completed_on", "source"]
        read_only_fields = fields


class HistoricRenovationViewSet(viewsets.ReadOnlyModelViewSet):
    """历年改造记录（系统启用前，只读；通过导入页面写入）。"""

    serializer_class = HistoricRenovationSerializer
    filterset_fields = ["household", "year"]

    def get_queryset(self):
        return HistoricRenovation.objects.visible_to(self.request.user).order_by(
            "household", "year"
        )


def register(router) -> None:
    """Register this app's API viewsets on the project router."""
    router.register("payout-batches", PayoutBatchViewSet, basename="payout-batch")
    router.register("payout-lines", PayoutLineViewSet, basename="payout-line")
    router.register("fund-allocations", FundAllocationViewSet, basename="fund-allocation")
    router.register("readmissions", ReadmissionViewSet, basename="readmission")
    router.register(
        "historic-renovations", HistoricRenovationViewSet, basename="historic-renovation"
    )
    router.register("township-advances", TownshipAdvanceViewSet, basename="township-advance")
    router.register("subsidy-standards", SubsidyStandardViewSet, basename="subsidy-standard")
    router.register("subsidies/calculate", CalculateViewSet, basename="subsidy-calculate")
