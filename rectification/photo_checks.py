"""Self-check rules on photos (issue 19 point 4): a photo proves a step only if it was taken
while the step happened, of this house, near this village.

Every photo of the system is one `PhotoUse`: the step it documents (an inspection, an
appraisal, a hazard report, or one stage — before / during / after — of a renovation project),
that step's dates, and what the upload kept of the photo (EXIF time and GPS, the perceptual
hash `core.uploads.dhash`). The rules read them one county at a time: a county holds a few
thousand photos, the country millions, and a photo is re-used inside a county (the same
village clerk, the same township office), so near-duplicates are looked for there.

The rules are registered by `RectificationConfig.ready`. Thresholds are settings
(config/settings.py): ANJU_SELFCHECK_PHOTO_EARLY_DAYS, ANJU_SELFCHECK_PHOTO_LATE_DAYS,
ANJU_SELFCHECK_PHOTO_HASH_DISTANCE, ANJU_SELFCHECK_PHOTO_MAX_KM.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area
from inspections.models import Photo, VillageLocation
from rectification.models import ProblemType
from rectification.selfcheck import Finding, _date, fingerprint, rule
from rectification.selfcheck.registry import who
from renovation.models import ProjectPhoto

# A hash with almost all bits equal is a picture without structure (a flat wall, a covered
# lens, a blank test image): every such picture has nearly the same hash, so it proves
# nothing either way and is left out of the comparison.
_MIN_HASH_BITS, _MAX_HASH_BITS = 8, 56


@dataclass(frozen=True)
class PhotoUse:
    ref: str  # "i:<pk>" an inspections Photo, "r:<pk>" a renovation ProjectPhoto
    household_id: int
    village_id: str
    who: str  # township, village and head of household
    use: str  # the step the photo documents: "project:5:during", "inspection:7", ...
    use_label: str
    project_id: int | None
    starts: dt.date | None  # the step's first day (None: not begun)
    ends: dt.date | None  # its last day (None: still going on)
    taken_at: dt.datetime | None
    latitude: Decimal | None
    longitude: Decimal | None
    phash: str


def _household_photos(prefix: str, where: Q) -> Iterator[PhotoUse]:
    qs = (
        Photo.objects.in_area(prefix)
        .filter(where)
        .select_related("household__village__parent", "inspection", "appraisal", "hazard_report")
    )
    for p in qs.order_by("id").iterator(chunk_size=2000):
        if p.inspection_id:
            use, day, label = f"inspection:{p.inspection_id}", p.inspection.inspected_on, "排查"
        elif p.appraisal_id:
            use, day, label = f"appraisal:{p.appraisal_id}", p.appraisal.appraised_on, "鉴定"
        else:
            use, day = f"hazard:{p.hazard_report_id}", p.hazard_report.reported_on
            label = "隐患上报"
        yield PhotoUse(
            ref=f"i:{p.pk}",
            household_id=p.household_id,
            village_id=p.household.village_id,
            who=who(p.household),
            use=use,
            use_label=f"{_date(day)}{label}照片",
            project_id=None,
            starts=day,
            ends=day,
            taken_at=p.taken_at,
            latitude=p.latitude,
            longitude=p.longitude,
            phash=p.phash,
        )


def _stage_dates(project, stage: str) -> tuple[dt.date | None, dt.date | None]:
    """The days a stage's photos may show. Before: the dangerous house, from its appraisal
    (or the application) until work starts. During: construction, start to completion.
    After: the finished house, from completion to acceptance (or, before it, completion)."""
    if stage == "before":
        first = project.appraisal.appraised_on if project.appraisal_id else project.applied_on
        return first, project.started_on
    if stage == "during":
        return project.started_on, project.completed_on
    return project.completed_on, project.accepted_on or project.completed_on


def _project_photos(prefix: str, where: Q) -> Iterator[PhotoUse]:
    if not apps.is_installed("renovation"):
        return

    qs = (
        ProjectPhoto.objects.in_area(prefix)
        .filter(where)
        .select_related("project__household__village__parent", "project__appraisal")
    )
    for p in qs.order_by("id").iterator(chunk_size=2000):
        project = p.project
        starts, ends = _stage_dates(project, p.stage)
        yield PhotoUse(
            ref=f"r:{p.pk}",
            household_id=project.household_id,
            village_id=project.household.village_id,
            who=who(project.household),
            use=f"project:{project.pk}:{p.stage}",
            use_label=f"{project.year}年改造项目{p.get_stage_display()}照片",
            project_id=project.pk,
            starts=starts,
            ends=ends,
            taken_at=p.taken_at,
            latitude=p.latitude,
            longitude=p.longitude,
            phash=p.phash,
        )


def county_prefixes(prefix: str) -> list[str]:
    """The counties (6-digit prefixes) that `prefix` covers, or `prefix` itself inside one."""
    if len(prefix) >= 6:
        return [prefix]
    codes = Area.objects.filter(level="county", code__startswith=prefix).values_list(
        "code", flat=True
    )
    return sorted({code[:6] for code in codes})


def photo_uses(prefix: str, where: Q | None = None) -> Iterator[list[PhotoUse]]:
    """The photos inside `prefix` that match `where` (a condition on the fields both photo
    models share: taken_at, latitude, longitude, phash), one county's list at a time."""
    where = where if where is not None else Q()
    for county in county_prefixes(prefix):
        yield [*_household_photos(county, where), *_project_photos(county, where)]


def _by_use(uses: Iterable[PhotoUse]) -> dict[str, list[PhotoUse]]:
    groups: dict[str, list[PhotoUse]] = defaultdict(list)
    for u in uses:
        groups[u.use].append(u)
    return groups


def _by_place(finding: Finding) -> tuple[str, str]:
    """The order the photo rules list their findings in: by area, then by message."""
    return finding.area_code, finding.message


def _group_finding(group: list[PhotoUse], message: str, data) -> Finding:
    first = group[0]
    return Finding(
        household_ids=[first.household_id],
        area_code=first.village_id,
        subject=f"{first.use}",
        message=f"{first.who}：{first.use_label}{message}",
        fingerprint=fingerprint(first.use, [u.ref for u in group], *data),
        photos=[u.ref for u in group],
    )


# --- (a) taken before its step, or long after ------------------------------------------


@rule(
    "photo_date_out_of_step",
    label="照片拍摄时间与所记录的环节不符",
    title="档案照片拍摄时间早于或远晚于所记录的工作环节，照片真实性存疑",
    order=_by_place,
)
def photo_date_out_of_step(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: dates copied, photos taken once and filed for several steps. A photo
    taken more than EARLY days before its step began, or more than LATE days after it ended,
    does not show that step (for a "before" photo the other way round: up to LATE days before
    the appraisal, at most EARLY days after work started). The EXIF time is the camera's: a
    photo without one is not judged."""
    early = dt.timedelta(days=settings.ANJU_SELFCHECK_PHOTO_EARLY_DAYS)
    late = dt.timedelta(days=settings.ANJU_SELFCHECK_PHOTO_LATE_DAYS)
    for uses in photo_uses(prefix, Q(taken_at__isnull=False)):
        for group in _by_use(u for u in uses if u.starts).values():
            odd, notes = [], []
            for u in group:
                day = timezone.localtime(u.taken_at).date()
                # A "before" photo shows the dangerous house: it may be taken some time before
                # the appraisal (at the patrol that found it), never well after work started.
                lead, lag = (late, early) if u.use.endswith(":before") else (early, late)
                if day < u.starts - lead:
                    odd.append(u)
                    notes.append(f"{_date(day)}（早于{_date(u.starts)}）")
                elif u.ends and day > u.ends + lag:
                    odd.append(u)
                    notes.append(f"{_date(day)}（晚于{_date(u.ends)}{lag.days}天以上）")
            if odd:
                yield _group_finding(
                    odd,
                    f"中有{len(odd)}张拍摄时间不在该环节期间：{'、'.join(notes)}。",
                    (u.starts, u.ends, early.days, late.days, [str(o.taken_at) for o in odd]),
                )


# --- (b) the same (or a near-identical) photo for two households or two stages ----------


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_pairs(hashes: dict[str, int], distance: int) -> Iterator[tuple[str, str]]:
    """Pairs of refs whose hashes differ in at most `distance` bits, without comparing every
    pair: split the 64 bits into `distance + 1` blocks; two hashes that close agree on at
    least one whole block (pigeonhole), so only hashes sharing a block are compared."""
    blocks = distance + 1
    widths = [64 // blocks + (1 if i < 64 % blocks else 0) for i in range(blocks)]
    buckets: dict[tuple[int, int], list[str]] = defaultdict(list)
    for ref, value in hashes.items():
        shift = 64
        for index, width in enumerate(widths):
            shift -= width
            buckets[(index, (value >> shift) & ((1 << width) - 1))].append(ref)
    seen: set[tuple[str, str]] = set()
    for refs in buckets.values():
        for i, a in enumerate(refs):
            for b in refs[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair not in seen and hamming(hashes[a], hashes[b]) <= distance:
                    seen.add(pair)
                    yield pair


def common_area(village_codes: set[str]) -> str:
    """The smallest area holding all these villages: the village, its township or county."""
    if len(village_codes) == 1:
        return next(iter(village_codes))
    if len({code[:9] for code in village_codes}) == 1:
        return next(iter(village_codes))[:9] + "000"
    return next(iter(village_codes))[:6] + "000000"


def _reused(a: PhotoUse, b: PhotoUse) -> bool:
    """Two households, or two stages of one project. An inspection photo filed again as the
    project's 'before' photo shows the same dangerous house: that is not a reuse."""
    if a.household_id != b.household_id:
        return True
    return a.project_id is not None and a.project_id == b.project_id and a.use != b.use


def _clusters(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        groups[find(x)].append(x)
    return [sorted(g, key=_ref_key) for g in groups.values()]


def _ref_key(ref: str) -> tuple[str, int]:
    kind, pk = ref.split(":")
    return kind, int(pk)


@rule(
    "photo_reused",
    label="同一照片用于不同农户或不同环节",
    title="同一张（或几乎相同的）照片被用于不同农户或不同改造环节，存在照片造假问题",
    problem_type=ProblemType.WORK,
    order=_by_place,
)
def photo_reused(prefix: str, today: dt.date) -> Iterator[Finding]:
    distance = settings.ANJU_SELFCHECK_PHOTO_HASH_DISTANCE
    for uses in photo_uses(prefix, ~Q(phash="")):
        by_ref = {u.ref: u for u in uses}
        hashes = {
            ref: value
            for ref, u in by_ref.items()
            if _MIN_HASH_BITS <= (value := int(u.phash, 16)).bit_count() <= _MAX_HASH_BITS
        }
        pairs = [(a, b) for a, b in near_pairs(hashes, distance) if _reused(by_ref[a], by_ref[b])]
        for refs in _clusters(pairs):
            group = [by_ref[r] for r in refs]
            first = group[0]
            households = sorted({u.household_id for u in group})
            # Two townships' photos: the county's finding (neither township sees the other).
            described = "；".join(f"{u.who} {u.use_label}" for u in group)
            yield Finding(
                household_ids=households,
                area_code=common_area({u.village_id for u in group}),
                subject=f"photo:{first.ref}",
                message=f"{len(group)}张相同或几乎相同的照片分别用于：{described}。",
                fingerprint=fingerprint(refs, [u.use for u in group]),
                photos=refs,
            )


# --- (c) photos of one stage taken far from the village --------------------------------


def distance_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@rule(
    "photo_far_from_village",
    label="照片拍摄地点远离所在村",
    title="档案照片的拍摄位置距农户所在村数百公里，照片并非现场拍摄",
    order=_by_place,
)
def photo_far_from_village(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Only where the camera wrote a position and the county entered the village's location
    (inspections.VillageLocation)."""

    limit = settings.ANJU_SELFCHECK_PHOTO_MAX_KM
    for uses in photo_uses(prefix, Q(latitude__isnull=False, longitude__isnull=False)):
        located = uses
        if not located:
            continue
        places = {
            v.village_id: v
            for v in VillageLocation.objects.in_area(located[0].village_id[:6]).filter(
                village_id__in={u.village_id for u in located}
            )
        }
        for group in _by_use(u for u in located if u.village_id in places).values():
            place = places[group[0].village_id]
            far = []
            for u in group:
                km = distance_km(u.latitude, u.longitude, place.latitude, place.longitude)
                if km > limit:
                    far.append((u, km))
            if far:
                yield _group_finding(
                    [u for u, _ in far],
                    f"中有{len(far)}张拍摄位置距本村"
                    f"{'、'.join(f'{km:.0f}' for _, km in far)}公里（超过{limit}公里）。",
                    (place.latitude, place.longitude, limit),
                )
