"""The department-list import at scale (issue 18 point 4): households created through COPY
(`households.importer.create_households`, `core.imports.bulk`) are the rows, the audit events
and the appraisal clock the per-row path (`new_household` + `bulk_create`) wrote; a refused
file writes nothing; the area check and the row limit hold."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from core.audit import acting_as
from core.errors import DomainError
from core.imports import bulk
from households import importer
from households.models import Household, HouseholdImport, ImportStatus
from tests.factories import make_id_number
from tests.households.test_import import entry, workbook_bytes

pytestmark = pytest.mark.django_db

# Compared as the database keeps them; the ids, the write's time and the ciphertext (random
# per encryption: compared decrypted, through the ORM) differ by nature.
DIFFERENT = {"id", "created_at", "updated_at"}
EVENT_DIFFERENT = DIFFERENT | {"pgh_id", "pgh_created_at", "pgh_obj_id", "pgh_context_id"}
Event = Household.pgh_event_model


def _rows(ids):
    data = workbook_bytes(
        [
            entry(
                "王大",
                ids[0],
                category="农村低保户",
                identified_by="民政",
                identified_on=dt.date(2025, 3, 1),
                is_disabled="是",
                is_heroic="否",
                bank_account="6217 0012 3456 7890 123",
                bank_name="信用社",
                phone="13900001111",
                address="一组1号",
                note="备注",
            ),
            entry("王二", ids[1].lower(), village="141124100202", size=5, category="dibao_edge"),
            entry(
                "王三", ids[2], category="易返贫致贫户", is_veteran="是", is_military_family="否"
            ),
        ]
    )
    rows = importer.parse_workbook(data)
    assert not any(r.errors for r in rows)
    return rows


def _snapshot(pks):
    households = list(Household.objects.filter(pk__in=pks).order_by("pk").values())
    events = list(Event.objects.filter(pgh_obj_id__in=pks).order_by("pgh_obj_id").values())
    return households, events


def _without(records, keys):
    return [{k: v for k, v in r.items() if k not in keys} for r in records]


def test_copy_writes_the_rows_and_events_of_the_per_row_path(township_user, areas):
    ids = [make_id_number(), make_id_number(), make_id_number()]
    marker = {"household_import": 4242}

    # The per-row path, rolled back after reading what it wrote.
    with transaction.atomic():
        with acting_as(township_user, **marker):
            old = [
                importer.new_household(r.values, id_number=r.id_number, by=township_user)
                for r in _rows(ids)
            ]
            Household.objects.bulk_create(old, batch_size=importer.BATCH_SIZE)
        before = _snapshot([h.pk for h in old])
        transaction.set_rollback(True)
    assert not Household.objects.filter(pk__in=[h.pk for h in old]).exists()

    with acting_as(township_user, **marker):
        created = importer.create_households(_rows(ids), by=township_user)
    after = _snapshot([c.pk for c in created])

    assert len(before[0]) == len(after[0]) == 3
    assert _without(after[0], DIFFERENT) == _without(before[0], DIFFERENT)
    assert _without(after[1], EVENT_DIFFERENT) == _without(before[1], EVENT_DIFFERENT)
    assert [e["pgh_label"] for e in after[1]] == ["insert"] * 3
    assert [e["pgh_context"] for e in after[1]] == [{"user": township_user.pk, **marker}] * 3
    # Field by field on the instances too (decrypted numbers, masks, the ID tail, version).
    first = Household.objects.get(pk=created[0].pk)
    assert first.id_number == crypto_normal(ids[0])
    assert first.bank_account == "6217001234567890123"
    assert first.bank_account_masked == "6217***********0123"
    assert first.id_number_tail == ids[0][-4:]
    assert (first.version, first.created_by, first.safety_level) == (1, township_user, None)
    assert first.county_code == "141124" and first.township_code == "141124100"
    assert first.created_at == first.updated_at
    # The ciphertext is stored, not the number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM households_household WHERE id = %s", [first.pk])
        assert ids[0] not in cursor.fetchone()[0]


def crypto_normal(value):
    return "".join(value.split()).upper()


def _upload(user, rows, **fields):
    data = workbook_bytes(rows)
    return importer.import_upload(
        user=user, uploaded=SimpleUploadedFile("名单.xlsx", data), **fields
    )


@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False)
def test_confirm_through_copy_audits_with_the_import_and_starts_the_clock(township_user, areas):
    from inspections.models import DepartmentListEntry

    imp = _upload(
        township_user,
        [entry("新甲", make_id_number()), entry("新乙", make_id_number(), village="141124100202")],
        department="minzheng",
        received_on=dt.date(2026, 11, 20),
    )
    importer.import_apply(household_import=imp, by=township_user)
    imp.refresh_from_db()
    assert (imp.status, imp.created_count) == (ImportStatus.APPLIED, 2)
    households = Household.objects.filter(head_name__startswith="新").order_by("pk")
    events = Event.objects.filter(pgh_obj_id__in=households.values("pk"))
    assert events.count() == 2
    for event in events:
        assert event.pgh_label == "insert"
        assert event.pgh_context == {
            "user": township_user.pk,
            "household_import": imp.pk,
        }
    entries = DepartmentListEntry.objects.filter(household__in=households)
    assert sorted(e.appraisal_due for e in entries) == [dt.date(2026, 11, 27)] * 2


def test_a_refused_write_leaves_nothing(township_user, areas, monkeypatch):
    """The COPY ran, then the write failed: no household, no event."""
    imp = _upload(township_user, [entry("赵甲", make_id_number()), entry("赵乙", make_id_number())])
    households, events = Household.objects.count(), Event.objects.count()

    def refuse(*args, **kwargs):
        raise DomainError("refused after the COPY")

    monkeypatch.setattr(importer, "import_change_requests", refuse)
    with pytest.raises(DomainError, match="refused after the COPY"):
        importer.import_apply(household_import=imp, by=township_user)
    assert Household.objects.count() == households
    assert Event.objects.count() == events
    imp.refresh_from_db()
    assert imp.is_pending


def test_a_file_with_an_error_row_writes_nothing(township_user, areas):
    imp = _upload(township_user, [entry("钱甲", make_id_number()), entry("钱乙", "123")])
    count = Household.objects.count()
    with pytest.raises(DomainError, match="存在错误"):
        importer.import_apply(household_import=imp, by=township_user)
    assert Household.objects.count() == count


def test_a_row_outside_the_users_area_is_refused(township_user, areas):
    """A village of another township is an error row: the file is refused whole, and only
    the valid rows go in when asked."""
    inside, outside = make_id_number(), make_id_number()
    imp = _upload(
        township_user,
        [entry("孙甲", inside), entry("孙乙", outside, village=areas["other_village"].code)],
    )
    assert (imp.to_create, imp.error_count) == (1, 1)
    assert "不在您的管辖范围内" in str(imp.preview["errors"])
    count = Household.objects.count()
    with pytest.raises(DomainError):
        importer.import_apply(household_import=imp, by=township_user)
    assert Household.objects.count() == count
    importer.import_apply(household_import=imp, by=township_user, only_valid=True)
    assert list(Household.objects.filter(head_name__startswith="孙").values_list("head_name")) == [
        ("孙甲",)
    ]


def test_the_row_limit_holds(township_user, areas, settings):
    settings.ANJU_IMPORT_MAX_ROWS = 3
    with pytest.raises(DomainError, match="文件超过 3 行的上限"):
        _upload(township_user, [entry(f"李{i}", make_id_number()) for i in range(4)])
    assert not HouseholdImport.objects.exists()
    imp = _upload(township_user, [entry(f"李{i}", make_id_number()) for i in range(3)])
    assert imp.to_create == 3


def test_copy_insert_refuses_a_count_that_does_not_match(township_user, areas):
    rows = [("141124100201", "周", *bulk.sealed(make_id_number(), str), "", "", "")]
    with pytest.raises(ValueError), transaction.atomic():
        bulk.copy_insert(
            Household,
            ["village_id", "head_name", "id_number", "id_number_hash", "id_number_masked"]
            + ["bank_account", "bank_account_hash", "bank_account_masked"],
            rows,
            count=2,
            family_size=1,
            category="dibao",
        )
