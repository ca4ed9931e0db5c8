"""Factories for the rectification tests."""

from __future__ import annotations

import datetime as dt
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from rectification.models import (
    Complaint,
    ComplaintChannel,
    DeadlineKind,
    ProblemType,
    RectificationCampaign,
    RectificationItem,
    Source,
)
from tests.factories import UserFactory


def jpeg_upload(name: str = "现场照片.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (120, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationCampaign

    name = "2022年度考核评估反馈问题整改"
    source = Source.NATIONAL
    created_by = factory.SubFactory(UserFactory)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationItem

    source = Source.NATIONAL
    problem_type = ProblemType.POLICY
    title = factory.Sequence(lambda n: f"农村危房改造建新未拆旧问题仍然存在{n}")
    findings = "省后评估发现，部分农户旧房未拆除。"
    measures = "一是全面排查；二是限期拆除。"
    deadline_kind = DeadlineKind.DATE
    deadline = dt.date(2026, 12, 31)
    responsible_unit = "县住房和城乡建设局"
    created_by = factory.SubFactory(UserFactory)


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    channel = ComplaintChannel.PHONE
    received_on = dt.date(2026, 11, 2)
    contact = "王大妈 13900000000"
    content = "东村王某家房屋漏雨，无人处理。"
    created_by = factory.SubFactory(UserFactory)
