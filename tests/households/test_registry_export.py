"""The registry export (农户名册): its SQL is a constant number of queries however many rows
and chunks (issue 18 point 3), and it never decrypts a number to mask it."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from households import exports
from households.models import Household
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _run(user):
    with CaptureQueriesContext(connection) as ctx:
        result = exports.HouseholdListExporter().run(user, {}, lambda *a: None)
    rows = list(load_workbook(io.BytesIO(result.content)).active.iter_rows(values_only=True))
    return len(ctx.captured_queries), rows


def test_registry_export_sql_is_constant_in_rows(county_reviewer, areas, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    HouseholdFactory.create_batch(3, village=areas["village"])
    few, rows = _run(county_reviewer)
    assert len(rows) == 4
    HouseholdFactory.create_batch(9, village=areas["village2"])
    many, rows = _run(county_reviewer)
    assert len(rows) == 13
    assert many == few <= 3  # the count (progress) and the rows


def test_registry_export_reads_the_stored_masks_without_decrypting(
    county_reviewer, areas, monkeypatch
):
    household = HouseholdFactory(village=areas["village"], head_name="掩码户")

    def refuse(*args, **kwargs):
        raise AssertionError("the export decrypted a number")

    field = Household._meta.get_field("id_number")
    monkeypatch.setattr(type(field), "from_db_value", refuse, raising=False)
    with pytest.raises(AssertionError, match="decrypted"):  # the trap works
        Household.objects.unscoped("test").get(pk=household.pk)
    _, rows = _run(county_reviewer)
    row = next(r for r in rows if r[2] == "掩码户")
    assert row[3] == household.id_number_masked and row[11] == household.bank_account_masked
    assert household.id_number not in str(rows) and household.bank_account not in str(rows)
