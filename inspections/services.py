"""Every write of the inspections app: appraisals, inspections, hazard reports, campaigns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, Role, User
from core.audit import attributed
from core.errors import DomainError
from core.imports import bulk
from core.locking import lock_for_update
from core.offline import already_stored
from core.rules import date_given, require_role
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    files_removed_on_error,
    save_photos,
    validate_upload,
)
from core.workdays import add_working_days
from households.models import Department, Household
from inspections.models import (
    LEDGER_LEVELS,
    Appraisal,
    AppraisalMethod,
    Campaign,
    CampaignKind,
    DepartmentList,
    DepartmentListEntry,
    EmergencyMeasure,
    HazardReport,
    HazardStatus,
    InspectionRecord,
    MeasureKind,
    Photo,
    SafetyLevel,
    SafetyState,
    StateLevel,
    StateSource,
)
from inspections.selectors import current_state, holiday_calendar

# Who does what (DOMAIN.md "People and places"); officials are never writers.
APPRAISAL_ROLES = frozenset({Role.COUNTY_REVIEWER})
INSPECTION_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF, Role.VILLAGE_CLERK})
HAZARD_REPORT_ROLES = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_STAFF})
HAZARD_VERIFY_ROLES = frozenset({Role.TOWNSHIP_STAFF})
CAMPAIGN_ROLES = frozenset({Role.COUNTY_REVIEWER})
EMERGENCY_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF, Role.VILLAGE_CLERK})
# Lists arrive at the county or, for their own households, at a township (imports).
DEPARTMENT_LIST_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})

APPRAISAL_DUE_WORKING_DAYS = 5  # new department lists: appraised within 5 working days
MAX_PHOTOS = 20
NOT_IN_AREA = "该农户不在您的管辖区划内。"


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _validate_files(files: Iterable, *, allowed=IMAGE_TYPES, label="照片") -> list:
    """Check every file before anything is written, so one bad file saves nothing."""
    files = [f for f in files or () if f]
    if len(files) > MAX_PHOTOS:
        raise DomainError(f"每次最多上传 {MAX_PHOTOS} 张{label}。")
    return [(f, validate_upload(f, allowed=allowed, label=label)) for f in files]


def _save_photos(validated, *, household, by: User, stored: list, **parent) -> list[Photo]:
    return save_photos(Photo, validated, stored, household=household, uploaded_by=by, **parent)


# --- appraisals ------------------------------------------------------------------------


@attributed
def appraisal_record(
    *,
    household: Household,
    by: User,
    level: str,
    method: str,
    appraiser_name: str,
    appraised_on: dt.date,
    institution: str = "",
    report_file=None,
    photos: Sequence = (),
    note: str = "",
    is_reappraisal: bool = False,
    today: dt.date | None = None,
) -> Appraisal:
    require_role(by, APPRAISAL_ROLES, "录入鉴定结果（仅限县住建局）")
    if level not in SafetyLevel.values:
        raise DomainError("请选择有效的安全等级。")
    if method not in AppraisalMethod.values:
        raise DomainError("请选择鉴定方式。")
    if not (appraiser_name or "").strip():
        raise DomainError("请填写鉴定（评定）人。")
    date_given(appraised_on, "鉴定日期", today)
    if method == AppraisalMethod.THIRD_PARTY and not (institution or "").strip():
        raise DomainError("第三方鉴定须填写鉴定机构。")
    report: tuple | None = None
    if report_file:
        report = (
            report_file,
            validate_upload(report_file, allowed=DOCUMENT_TYPES, label="鉴定报告"),
        )
    validated = _validate_files(photos)
    with transaction.atomic(), files_removed_on_error() as stored:
        household = lock_for_update(
            Household.objects.visible_to(by), household.pk, missing=NOT_IN_AREA
        )
        previous = household.appraisals.order_by("-appraised_on", "-id").first()
        if is_reappraisal:
            if previous is None:
                raise DomainError("该农户尚无鉴定结果，不能登记复核鉴定。")
            if method != AppraisalMethod.THIRD_PARTY:
                raise DomainError("复核鉴定须由第三方机构鉴定。")
            if appraised_on < previous.appraised_on:
                raise DomainError(
                    f"复核鉴定日期不能早于原鉴定日期（{previous.appraised_on:%Y-%m-%d}）。"
                )
        appraisal = Appraisal(
            household=household,
            level=level,
            method=method,
            appraiser_name=appraiser_name.strip(),
            institution=(institution or "").strip(),
            appraised_on=appraised_on,
            note=note or "",
            is_reappraisal=is_reappraisal,
            created_by=by,
        )
        if report:
            upload, info = report
            appraisal._sniffed_extension = info.extension
            appraisal.report_content_type = info.content_type
            appraisal.report_file.save(upload.name or "report", upload, save=False)
            stored.append(appraisal.report_file)
        appraisal.save()  # its safety state is written by the database (Appraisal triggers)
        _save_photos(validated, household=household, by=by, stored=stored, appraisal=appraisal)
        # Verified hazard reports of this household reach their last level: appraised.
        HazardReport.objects.unscoped("of the held household").filter(
            household=household,
            status=HazardStatus.VERIFIED,
            reported_on__lte=appraised_on,
        ).update(status=HazardStatus.APPRAISED, appraisal=appraisal)
    return appraisal


@attributed
def appraisal_mark_disputed(*, appraisal: Appraisal, by: User, note: str) -> Appraisal:
    """The household disputes the result: a third-party re-appraisal is then due."""
    require_role(by, APPRAISAL_ROLES, "登记鉴定异议")
    if not (note or "").strip():
        raise DomainError("请填写异议说明。")
    with transaction.atomic():
        locked = lock_for_update(
            Appraisal.objects.visible_to(by), appraisal.pk, missing=NOT_IN_AREA
        )
        if locked.disputed:
            raise DomainError("该鉴定结果已登记异议，不能重复登记。")
        current = locked.household.appraisals.order_by("-appraised_on", "-id").first()
        if current.pk != locked.pk:
            raise DomainError("只能对该农户当前的鉴定结果登记异议。")
        locked.disputed = True
        locked.dispute_note = note.strip()
        locked.save(update_fields=["disputed", "dispute_note"])
    return locked


# --- inspections -----------------------------------------------------------------------


def _check_location(latitude, longitude, accuracy) -> None:
    if (latitude is None) != (longitude is None):
        raise DomainError("定位信息不完整：经度和纬度须同时提供。")
    if latitude is not None and not (
        Decimal("-90") <= Decimal(str(latitude)) <= Decimal("90")
        and Decimal("-180") <= Decimal(str(longitude)) <= Decimal("180")
    ):
        raise DomainError("定位信息无效。")
    if accuracy is not None and accuracy < 0:
        raise DomainError("定位精度无效。")


def _lock_for_entry(by: User, household: Household, model, client_id):
    """The household locked for a new entry of `model`, and the entry stored before under
    `client_id` (an offline entry sent again: core/offline.py), or None."""
    household = lock_for_update(Household.objects.visible_to(by), household.pk, missing=NOT_IN_AREA)
    entry = already_stored(
        model.objects.unscoped("an offline entry sent again"), client_id, household=household
    )
    return household, entry


def _entry_with_photos(
    model, link: str, household: Household, photos: Sequence, client_id, by: User, fields
):
    """A new entry of `model` about `household`, with its photos, stored once: the photos are
    checked first, then under the household's lock an entry sent before under `client_id` is
    returned as it is; otherwise `fields(household)` (the locked household) gives the entry's
    fields, and each photo points to the entry by its field `link`."""
    validated = _validate_files(photos)
    with transaction.atomic(), files_removed_on_error() as stored:
        household, stored_before = _lock_for_entry(by, household, model, client_id)
        if stored_before is not None:
            return stored_before
        entry = model.objects.create(household=household, client_id=client_id, **fields(household))
        _save_photos(validated, household=household, by=by, stored=stored, **{link: entry})
    return entry


def _campaign_of(campaign: Campaign | None, household: Household, on: dt.date, by: User):
    """The campaign (of `by`'s area) an inspection of `household` on `on` belongs to."""
    if campaign is None:
        return None
    campaign = Campaign.objects.visible_to(by).filter(pk=campaign.pk).first()
    if campaign is None:
        raise DomainError("排查批次不存在或不在您的管辖区划内。")
    if not any(household.village_id.startswith(a.prefix) for a in campaign.areas.all()):
        raise DomainError(f"该农户不在排查批次“{campaign.name}”的范围内。")
    if not campaign.starts_on <= on <= campaign.ends_on:
        raise DomainError(
            f"排查日期不在批次“{campaign.name}”的时间范围内"
            f"（{campaign.starts_on:%Y-%m-%d} 至 {campaign.ends_on:%Y-%m-%d}）。"
        )
    return campaign


@attributed
def inspection_record(
    *,
    household: Household,
    by: User,
    inspected_on: dt.date,
    occupied: bool,
    findings: str,
    campaign: Campaign | None = None,
    photos: Sequence = (),
    latitude=None,
    longitude=None,
    location_accuracy: float | None = None,
    client_id=None,
    today: dt.date | None = None,
) -> InspectionRecord:
    require_role(by, INSPECTION_ROLES, "录入排查记录")
    date_given(inspected_on, "排查日期", today)
    if occupied is None:
        raise DomainError("请选择房屋是否住人。")
    if not (findings or "").strip():
        raise DomainError("请填写排查情况。")
    _check_location(latitude, longitude, location_accuracy)

    def fields(locked: Household) -> dict:
        return {
            "campaign": _campaign_of(campaign, locked, inspected_on, by),
            "inspected_on": inspected_on,
            "inspector": by,
            "occupied": occupied,
            "findings": findings.strip(),
            "latitude": latitude,
            "longitude": longitude,
            "location_accuracy": location_accuracy,
        }

    return _entry_with_photos(
        InspectionRecord, "inspection", household, photos, client_id, by, fields
    )


# --- hazard reports (三级巡查) ------------------------------------------------------------


@attributed
def hazard_report_create(
    *,
    household: Household,
    by: User,
    description: str,
    reported_on: dt.date,
    urgent: bool = False,
    photos: Sequence = (),
    client_id=None,
    today: dt.date | None = None,
) -> HazardReport:
    require_role(by, HAZARD_REPORT_ROLES, "上报隐患")
    date_given(reported_on, "上报日期", today)
    if not (description or "").strip():
        raise DomainError("请填写隐患情况。")

    def fields(locked: Household) -> dict:
        return {
            "description": description.strip(),
            "reported_on": reported_on,
            "urgent": urgent,
            "reporter": by,
        }

    return _entry_with_photos(
        HazardReport, "hazard_report", household, photos, client_id, by, fields
    )


@attributed
def hazard_report_verify(
    *, report: HazardReport, by: User, is_real: bool, note: str = ""
) -> HazardReport:
    """The township's verdict: a real hazard goes on to the county for appraisal."""
    require_role(by, HAZARD_VERIFY_ROLES, "核实隐患（仅限乡镇工作人员）")
    if is_real is None:
        raise DomainError("请选择核实结论。")
    if not is_real and not (note or "").strip():
        raise DomainError("核实不属实时请填写核实意见。")
    with transaction.atomic():
        locked = lock_for_update(
            HazardReport.objects.visible_to(by), report.pk, missing="该隐患上报不在您的管辖区划内。"
        )
        if locked.status != HazardStatus.REPORTED:
            raise DomainError(f"该隐患上报已处理（{locked.get_status_display()}），不能重复核实。")
        locked.status = HazardStatus.VERIFIED if is_real else HazardStatus.REJECTED
        locked.verified_by = by
        locked.verified_at = timezone.now()
        locked.verification_note = (note or "").strip()
        locked.save(update_fields=["status", "verified_by", "verified_at", "verification_note"])
    return locked


# --- campaigns -------------------------------------------------------------------------


def _check_campaign(*, by: User, name, kind, areas, starts_on, ends_on) -> list[Area]:
    if not (name or "").strip():
        raise DomainError("请填写批次名称。")
    if kind not in CampaignKind.values:
        raise DomainError("请选择排查类型。")
    if not starts_on or not ends_on:
        raise DomainError("请填写开始和结束日期。")
    if ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期。")
    areas = list(areas or [])
    if not areas:
        raise DomainError("请选择排查范围（至少一个区划）。")
    visible = set(
        Area.objects.visible_to(by)
        .filter(pk__in=[a.pk for a in areas])
        .values_list("pk", flat=True)
    )
    outside = [a.name for a in areas if a.pk not in visible]
    if outside:
        raise DomainError(f"排查范围超出您的管辖区划：{'、'.join(outside)}。")
    return areas


@attributed
def campaign_create(
    *, by: User, name: str, kind: str, areas: Iterable[Area], starts_on, ends_on, note: str = ""
) -> Campaign:
    require_role(by, CAMPAIGN_ROLES, "创建排查批次")
    areas = _check_campaign(
        by=by, name=name, kind=kind, areas=areas, starts_on=starts_on, ends_on=ends_on
    )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name.strip(),
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note or "",
            created_by=by,
        )
        campaign.areas.set(areas)
    return campaign


@attributed
def campaign_update(*, campaign: Campaign, by: User, **fields) -> Campaign:
    require_role(by, CAMPAIGN_ROLES, "修改排查批次")
    with transaction.atomic():
        locked = lock_for_update(
            Campaign.objects.visible_to(by),
            campaign.pk,
            missing="排查批次不存在或不在您的管辖区划内。",
        )
        values = {
            "name": fields.get("name", locked.name),
            "kind": fields.get("kind", locked.kind),
            "starts_on": fields.get("starts_on", locked.starts_on),
            "ends_on": fields.get("ends_on", locked.ends_on),
            "areas": fields.get("areas", list(locked.areas.all())),
        }
        areas = _check_campaign(by=by, **values)
        outside = locked.inspections.exclude(
            inspected_on__range=(values["starts_on"], values["ends_on"])
        )
        if outside.exists():
            raise DomainError("已有排查记录的日期不在新的时间范围内，不能这样修改。")
        for name in ("name", "kind", "starts_on", "ends_on"):
            setattr(locked, name, values[name])
        if "note" in fields:
            locked.note = fields["note"] or ""
        locked.save()
        locked.areas.set(areas)
    return locked


# --- dangerous-house ledger ------------------------------------------------------------


@attributed
def emergency_measure_record(
    *,
    household: Household,
    by: User,
    measure: str,
    taken_on: dt.date,
    stays_at: str = "",
    note: str = "",
    today: dt.date | None = None,
) -> EmergencyMeasure:
    """危房不住人: what was done for a D-level house that people still live in."""
    require_role(by, EMERGENCY_ROLES, "登记应急措施")
    if measure not in MeasureKind.values:
        raise DomainError("请选择措施类型。")
    date_given(taken_on, "措施日期", today)
    if (
        measure in (MeasureKind.PERSUADED_OUT, MeasureKind.TRANSITIONAL)
        and not (stays_at or "").strip()
    ):
        raise DomainError("劝离或过渡安置须填写农户现居住地点。")
    if measure == MeasureKind.OTHER and not (note or "").strip():
        raise DomainError("选择“其他”措施时请填写说明。")
    with transaction.atomic():
        household = lock_for_update(
            Household.objects.visible_to(by), household.pk, missing=NOT_IN_AREA
        )
        current = household.appraisals.order_by("-appraised_on", "-id").first()
        if current is None or current.level != SafetyLevel.D:
            raise DomainError("只有当前鉴定为D级危房的农户才需登记应急措施。")
        return EmergencyMeasure.objects.create(
            household=household,
            measure=measure,
            taken_on=taken_on,
            stays_at=(stays_at or "").strip(),
            note=(note or "").strip(),
            created_by=by,
        )


def safety_state_record(
    *,
    household: Household,
    level: str,
    on: dt.date,
    source: str,
    project_id: int | None = None,
    note: str = "",
) -> SafetyState:
    """A dated safety state of a held household (the caller checked role and scope): the
    renovation close-out records the house as safe with it."""
    return SafetyState.objects.create(
        household=household,
        level=level,
        on=on,
        source=source,
        project_id=project_id,
        note=(note or "")[:200],
    )


@attributed
def ledger_case_close(
    *, household: Household, by: User, closed_on: dt.date, reason: str, today: dt.date | None = None
) -> SafetyState:
    """销号 without a renovation (e.g. the household moved into a safe house): the house's
    state becomes safe from `closed_on`; a later C/D appraisal puts it back on the ledger."""

    require_role(by, APPRAISAL_ROLES, "危房台账销号")
    date_given(closed_on, "销号日期", today)
    if not (reason or "").strip():
        raise DomainError("请填写销号原因。")
    with transaction.atomic():
        household = lock_for_update(
            Household.objects.visible_to(by), household.pk, missing=NOT_IN_AREA
        )
        state = current_state(household)
        if state is None or state.level not in LEDGER_LEVELS:
            raise DomainError("该农户当前不在危房台账上，无需销号。")
        if closed_on < state.on:
            raise DomainError(f"销号日期不能早于当前鉴定日期（{state.on:%Y-%m-%d}）。")
        return safety_state_record(
            household=household,
            level=StateLevel.SAFE,
            on=closed_on,
            source=StateSource.CLOSURE,
            note=reason.strip(),
        )


# --- department lists and the 5-working-day clock ---------------------------------------


@attributed
def department_list_create(
    *,
    by: User,
    department: str,
    received_on: dt.date,
    households: Iterable[Household],
    note: str = "",
    today: dt.date | None = None,
) -> DepartmentList:
    """Each listed household must be appraised within 5 working days of the list's arrival."""

    require_role(by, DEPARTMENT_LIST_ROLES, "登记部门名单")
    if department not in Department.values:
        raise DomainError("请选择来源部门。")
    date_given(received_on, "收到日期", today)
    ids = list(dict.fromkeys(h.pk for h in households))
    if not ids:
        raise DomainError("名单中没有农户。")
    # A count, not instances: a 100,000-row list would otherwise build (and decrypt) every
    # household only to see that it is in the user's area (the ids as one array parameter,
    # joined: `bulk.listed`).
    in_scope = Household.objects.visible_to(by).filter(bulk.listed(Household, "id", ids))
    if in_scope.count() != len(ids):
        raise DomainError("名单中有农户不在您的管辖区划内。")
    holidays, workdays = holiday_calendar()
    due = add_working_days(received_on, APPRAISAL_DUE_WORKING_DAYS, holidays, workdays)
    with transaction.atomic():
        department_list = DepartmentList.objects.create(
            county_code=(
                by.area.code[:6]
                if by.area
                else in_scope.values_list("county_code", flat=True)[:1].get()
            ),
            department=department,
            received_on=received_on,
            note=note or "",
            created_by=by,
        )
        # Through COPY (audited like any insert): no object per listed household.
        bulk.copy_insert(
            DepartmentListEntry,
            ["household_id"],
            ([pk] for pk in ids),
            count=len(ids),
            department_list_id=department_list.pk,
            appraisal_due=due,
        )
    return department_list
