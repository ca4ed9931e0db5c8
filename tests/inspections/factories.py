"""Factories and file builders for the inspections tests."""

from __future__ import annotations

import datetime as dt
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inspections.models import (
    Appraisal,
    AppraisalMethod,
    Campaign,
    CampaignKind,
    EmergencyMeasure,
    HazardReport,
    InspectionRecord,
    MeasureKind,
    SafetyLevel,
)
from tests.factories import HouseholdFactory, UserFactory


def jpeg_bytes(taken: str | None = "2026:11:20 10:30:00", size=(40, 30)) -> bytes:
    image = Image.new("RGB", size, (180, 60, 40))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def heic_bytes() -> bytes:
    import pillow_heif

    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (32, 32), (10, 20, 200))).save(buffer, quality=50)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


class AppraisalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appraisal

    household = factory.SubFactory(HouseholdFactory)
    level = SafetyLevel.C
    method = AppraisalMethod.ASSESSED
    appraiser_name = "王工"
    appraised_on = dt.date(2026, 6, 1)
    created_by = factory.SubFactory(UserFactory)


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionRecord

    household = factory.SubFactory(HouseholdFactory)
    inspected_on = dt.date(2026, 7, 1)
    inspector = factory.SubFactory(UserFactory)
    occupied = True
    findings = "墙体开裂"


class HazardReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HazardReport

    household = factory.SubFactory(HouseholdFactory)
    description = "屋顶漏雨，墙体裂缝"
    reported_on = dt.date(2026, 7, 1)
    reporter = factory.SubFactory(UserFactory)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True  # the areas are a many-to-many: set() saves them

    name = "2026年雨季后回头看"
    kind = CampaignKind.AFTER_RAINY
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2026, 11, 30)
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.areas.set(extracted)


class EmergencyMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyMeasure

    household = factory.SubFactory(HouseholdFactory)
    measure = MeasureKind.TRANSITIONAL
    taken_on = dt.date(2026, 7, 2)
    stays_at = "村集体周转房"
    created_by = factory.SubFactory(UserFactory)
