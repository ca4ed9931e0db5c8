"""Self-check rules on photos (issue 19 point 4), on real JPEGs with EXIF written by Pillow and
uploaded through the services: a photo re-used for two households, one dated before its step,
one taken far from its village are found; clean look-alikes are not.

Today is Monday 2026-11-23 (tests/rectification/conftest.py freezes the clock); the projects
of `make_project` started on 2026-04-01 and were completed on 2026-05-01.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from core.uploads import dhash
from inspections.models import Photo, VillageLocation
from inspections.services import inspection_record
from rectification import photo_checks, selfcheck
from rectification.models import FindingStatus, SelfCheckFinding
from renovation.models import ProjectPhoto, ProjectStatus
from renovation.services import project_photos_add
from tests.factories import HouseholdFactory
from tests.inspections.factories import upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus

# The village 东村 lies here; 北京 is about 500 km away.
VILLAGE_AT = (Decimal("36.500000"), Decimal("111.700000"))
NEAR = (36.51, 111.71)
FAR = (39.90, 116.40)


def scene(seed: int, size=(320, 240)) -> Image.Image:
    """A picture with structure: random blocks of grey and colour (two seeds, two scenes that
    look alike to a person — same palette, same size — but are different photos)."""
    rng = random.Random(seed)
    small = Image.new("RGB", (16, 12))
    small.putdata(
        [
            (v, max(0, v - 40), min(255, v + 30))
            for v in (rng.randint(40, 220) for _ in range(16 * 12))
        ]
    )
    return small.resize(size, Image.Resampling.BICUBIC)


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)


def jpeg(image: Image.Image, *, taken: str | None, gps=None, quality=90) -> bytes:
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2] = "N", _dms(gps[0])
        ifd[3], ifd[4] = "E", _dms(gps[1])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=quality)
    return buffer.getvalue()


def add(project, user, stage, content, name="p.jpg"):
    return project_photos_add(project=project, by=user, stage=stage, files=[upload(name, content)])[
        0
    ]


def _open(rule):
    return list(SelfCheckFinding.objects.filter(rule=rule, status=FindingStatus.OPEN))


def _refs(rule):
    return sorted(sorted(f.photos) for f in _open(rule))


@pytest.fixture
def planted(areas, township_user, county_reviewer):
    """Four households of 东村/西村 with completed projects and their photos: the planted
    problems and, around them, clean photos that only look alike."""
    VillageLocation.objects.create(
        village=areas["village"], latitude=VILLAGE_AT[0], longitude=VILLAGE_AT[1]
    )
    a = make_project(HouseholdFactory(village=areas["village"], head_name="甲"), S.COMPLETED)
    b = make_project(HouseholdFactory(village=areas["village"], head_name="乙"), S.COMPLETED)
    c = make_project(HouseholdFactory(village=areas["village2"], head_name="丙"), S.COMPLETED)
    d = make_project(HouseholdFactory(village=areas["village"], head_name="丁"), S.COMPLETED)
    photos = {
        # Planted (b): one picture for 甲 and, re-saved smaller and at lower quality, for 乙.
        "reuse_a": add(a, township_user, "during", jpeg(scene(1), taken="2026:04:10 09:00:00")),
        "reuse_b": add(
            b,
            township_user,
            "during",
            jpeg(scene(1).resize((300, 225)), taken="2026:04:12 15:00:00", quality=60),
        ),
        # Planted (a): 丙's "during" photo was taken in January, before work began on 1 April.
        "early": add(c, township_user, "during", jpeg(scene(2), taken="2026:01:10 10:00:00")),
        # Planted (c): 丁's "after" photos, one taken in Beijing.
        "far": add(d, township_user, "after", jpeg(scene(3), taken="2026:05:03 10:00:00", gps=FAR)),
        "near": add(
            d, township_user, "after", jpeg(scene(4), taken="2026:05:03 11:00:00", gps=NEAR)
        ),
        # Clean: look-alike scenes (same palette and size), each in its stage's time.
        "clean_a": add(a, township_user, "after", jpeg(scene(5), taken="2026:05:02 10:00:00")),
        "clean_b": add(b, township_user, "after", jpeg(scene(6), taken="2026:05:02 10:30:00")),
        "clean_c": add(c, township_user, "after", jpeg(scene(7), taken="2026:05:20 10:00:00")),
        # Clean: no EXIF at all (a scan, a screenshot) is not judged by date or place.
        "no_exif": add(d, township_user, "during", jpeg(scene(8), taken=None)),
        # Clean: the same picture twice in one stage of one project (uploaded twice).
        "twice_1": add(c, township_user, "before", jpeg(scene(9), taken="2026:03:01 10:00:00")),
        "twice_2": add(c, township_user, "before", jpeg(scene(9), taken="2026:03:01 10:00:00")),
    }
    # Clean: an inspection photo taken on the day of the inspection.
    inspection = inspection_record(
        household=d.household,
        by=township_user,
        inspected_on=dt.date(2026, 7, 1),
        occupied=True,
        findings="墙体开裂",
        photos=[upload("i.jpg", jpeg(scene(10), taken="2026:07:01 09:30:00", gps=NEAR))],
    )
    photos["inspection"] = inspection.photos.get()
    return {"projects": (a, b, c, d), "photos": photos}


def _ref(photo):
    return f"{'i' if isinstance(photo, Photo) else 'r'}:{photo.pk}"


def test_upload_keeps_exif_time_gps_and_hash(planted):
    far = planted["photos"]["far"]
    assert far.taken_at.date() == dt.date(2026, 5, 3)
    assert abs(float(far.latitude) - FAR[0]) < 1e-4 and abs(float(far.longitude) - FAR[1]) < 1e-4
    assert (
        far.phash == dhash(scene(3))
        or photo_checks.hamming(int(far.phash, 16), int(dhash(scene(3)), 16)) <= 2
    )
    no_exif = planted["photos"]["no_exif"]
    assert no_exif.taken_at is None and no_exif.latitude is None and len(no_exif.phash) == 16
    assert planted["photos"]["inspection"].latitude is not None


def test_self_check_lists_exactly_the_planted_photos(planted):
    p = planted["photos"]
    selfcheck.run(
        rules=["photo_reused", "photo_date_out_of_step", "photo_far_from_village"],
    )
    assert _refs("photo_reused") == [sorted([_ref(p["reuse_a"]), _ref(p["reuse_b"])])]
    assert _refs("photo_date_out_of_step") == [[_ref(p["early"])]]
    assert _refs("photo_far_from_village") == [[_ref(p["far"])]]
    (reuse,) = _open("photo_reused")
    assert sorted(reuse.households.values_list("head_name", flat=True)) == ["乙", "甲"]
    assert reuse.area_id == planted["projects"][0].household.village_id  # both in 东村
    (early,) = _open("photo_date_out_of_step")
    assert "2026年1月10日" in early.message and "早于2026年4月1日" in early.message
    (far,) = _open("photo_far_from_village")
    assert "超过100公里" in far.message


def test_a_second_run_adds_nothing_and_a_photo_long_after_its_step_is_found(planted, township_user):
    selfcheck.run(rules=["photo_reused", "photo_date_out_of_step"])
    result = selfcheck.run(rules=["photo_reused", "photo_date_out_of_step"])
    assert result.created == 0 and result.unchanged == 2
    # An "after" photo of 甲 taken in October: completed 1 May, accepted never, 60 days allowed.
    a = planted["projects"][0]
    late = add(a, township_user, "after", jpeg(scene(11), taken="2026:10:15 10:00:00"))
    selfcheck.run(rules=["photo_date_out_of_step"])
    assert [_ref(late)] in _refs("photo_date_out_of_step")


def test_same_photo_for_two_stages_of_one_project(planted, township_user):
    a = planted["projects"][0]
    again = add(a, township_user, "during", jpeg(scene(5), taken="2026:04:20 10:00:00"))
    selfcheck.run(rules=["photo_reused"])
    assert sorted([_ref(planted["photos"]["clean_a"]), _ref(again)]) in _refs("photo_reused")


def test_reuse_across_townships_is_the_countys_finding(areas, township_user, county_reviewer):
    own = make_project(HouseholdFactory(village=areas["village"]), S.UNDER_CONSTRUCTION)
    other = make_project(HouseholdFactory(village=areas["other_village"]), S.UNDER_CONSTRUCTION)
    add(own, township_user, "during", jpeg(scene(20), taken="2026:04:05 10:00:00"))
    add(other, county_reviewer, "during", jpeg(scene(20), taken="2026:04:05 10:00:00"))
    selfcheck.run(prefix="141124", rules=["photo_reused"])
    (finding,) = _open("photo_reused")
    assert finding.area_id == areas["county"].code


def test_near_pairs_compares_only_hashes_sharing_a_block():
    base = 0x0123456789ABCDEF
    hashes = {"x": base, "y": base ^ 0b1011, "z": base ^ 0xFFFF0000FFFF0000, "w": base ^ 0x1F0}
    # y differs from x in 3 bits, w in 5 (over the limit of 4; 8 from y), z in 32.
    assert set(photo_checks.near_pairs(hashes, 4)) == {("x", "y")}


def test_backfill_command_computes_missing_hashes(planted):
    photo = planted["photos"]["clean_a"]
    expected = photo.phash
    ProjectPhoto.objects.unscoped("test").filter(pk=photo.pk).update(phash="", latitude=None)
    call_command("photo_fingerprints")
    photo.refresh_from_db()
    assert photo.phash == expected


def test_side_by_side_page_shows_both_photos_and_is_404_for_another_township(
    planted, client, township_user, other_township_user, django_assert_max_num_queries
):
    selfcheck.run(rules=["photo_reused"])
    (finding,) = _open("photo_reused")
    url = reverse("rectification:finding_photos", args=[finding.pk])
    client.force_login(township_user)
    with django_assert_max_num_queries(12):  # one query per photo model, whatever the count
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("reuse_a", "reuse_b"):
        assert reverse("renovation:file", args=["photo", planted["photos"][key].pk]) in html
    assert "甲" in html and "乙" in html
    listing = client.get(reverse("rectification:selfcheck")).content.decode()
    assert url in listing
    client.force_login(other_township_user)
    assert client.get(url).status_code == 404


def test_before_photo_may_precede_the_appraisal_but_not_follow_the_start_of_work(
    areas, township_user
):
    # Appraised 2026-01-10, work started 2026-04-01.
    project = make_project(HouseholdFactory(village=areas["village"]), S.UNDER_CONSTRUCTION)
    patrol = add(project, township_user, "before", jpeg(scene(30), taken="2025:12:15 10:00:00"))
    after_start = add(
        project, township_user, "before", jpeg(scene(31), taken="2026:05:20 10:00:00")
    )
    selfcheck.run(rules=["photo_date_out_of_step"])
    assert _refs("photo_date_out_of_step") == [[_ref(after_start)]]
    assert _ref(patrol) not in str(_refs("photo_date_out_of_step"))
