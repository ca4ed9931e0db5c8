"""Amounts read the same on every page: `200,000.00 元`, or 万元 on dashboards and reports."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from core.templatetags.anju import wanyuan, yuan
from renovation.models import ProjectStatus as S
from tests.renovation.factories import make_project


def test_yuan_and_wanyuan():
    assert yuan(Decimal("200000")) == "200,000.00"
    assert yuan(Decimal("1234567.255")) == "1,234,567.26"
    assert yuan(None) == "" and yuan("") == ""
    assert wanyuan(Decimal("1234500")) == "123.45"
    assert wanyuan(Decimal("123456789")) == "12,345.68"


def test_project_pages_show_separators(client, township_user, household):
    project = make_project(household, S.APPROVED)
    project.approved_amount = Decimal("200000.00")
    project.save(update_fields=["approved_amount"])
    client.force_login(township_user)
    detail = client.get(reverse("renovation:detail", args=[project.pk])).content.decode()
    assert "200,000.00 元" in detail
    listing = client.get(reverse("renovation:list")).content.decode()
    assert "200,000.00" in listing and ">200000.00<" not in listing
