"""The department-list import at scale (issue 18 point 4): households created through COPY
(`households.importer.create_households`, `core.imports.bulk`) are the rows, the audit events
and the appraisal clock the per-row path (`new_household` + `bulk_create`) wrote; a refused
file writes nothing; the area check and the row limit hold."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from core.audit import acting_as
from core.errors import DomainError
from core.imports import bulk
from households import importer
from households.models import Household, HouseholdImport, ImportStatus
from tests.factories import HouseholdFactory, make_id_number
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
    # Every entry has its insert event with the import's context, as the households do.
    entry_events = DepartmentListEntry.pgh_event_model.objects.filter(
        pgh_obj_id__in=entries.values("pk")
    )
    assert sorted(e.household_id for e in entry_events) == [h.pk for h in households]
    assert {(e.pgh_label, json.dumps(e.pgh_context, sort_keys=True)) for e in entry_events} == {
        (
            "insert",
            json.dumps({"user": township_user.pk, "household_import": imp.pk}, sort_keys=True),
        )
    }


def test_the_area_check_of_a_list_counts_the_listed_households_of_the_area(areas):
    """`bulk.listed`, the joined list of `department_list_create`'s area check."""
    inside = [HouseholdFactory(village=areas["village"]).pk for _ in range(3)]
    outside = HouseholdFactory(village=areas["other_village"]).pk
    township = Household.objects.unscoped("test").filter(township_code="141124100")
    assert township.filter(bulk.listed(Household, "id", inside)).count() == 3
    assert township.filter(bulk.listed(Household, "id", [*inside, outside])).count() == 3
    assert township.filter(bulk.listed(Household, "id", [])).count() == 0


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


# --- The rows and the plan in less memory ----------------------------------------------


def test_a_rows_values_read_as_a_dict_and_keep_through_the_pickle():
    from core.imports import pipeline

    data = workbook_bytes(
        [
            entry("吴甲", make_id_number(), is_disabled="否", phone="13900001111"),
            entry("吴乙", make_id_number(), bank_name="信用社"),
            entry("吴丙", make_id_number(), bank_name="信用社"),
        ]
    )
    first, second, third = importer.parse_workbook(data)
    expected = {
        "head_name": "吴甲",
        "id_number": first.id_number,
        "village": "141124100201",
        "family_size": 3,
        "category": "dibao",
        "phone": "13900001111",
        "is_disabled": False,
    }
    assert first.values == expected and dict(first.values) == expected
    assert len(first.values) == 7 and set(first.values) == set(expected)
    assert "is_disabled" in first.values and "note" not in first.values
    assert first.values.get("note", "x") == "x" and first.values.get("is_disabled") is False
    with pytest.raises(KeyError):
        first.values["note"]
    # One object per repeated value for the whole file.
    assert second.values["village"] is third.values["village"]
    assert second.values["bank_name"] is third.values["bank_name"]
    # Kept from the preview to the confirm as they were.
    kept = pipeline._load_rows(pipeline._dump_rows([first, second, third]))
    assert [r.values for r in kept] == [first.values, second.values, third.values]
    assert [(r.number, r.id_hash, r.errors) for r in kept] == [
        (r.number, r.id_hash, r.errors) for r in (first, second, third)
    ]


def test_rows_kept_by_the_previous_version_still_load():
    """Before the values were kept as a list of cells, a row pickled them as a dict."""
    row = importer.ImportRow.__new__(importer.ImportRow)
    row.__setstate__(
        (
            None,
            {
                "number": 7,
                "values": {"head_name": "郑甲", "family_size": 2, "is_heroic": False},
                "errors": (),
                "id_number": "X",
                "id_hash": "h",
                "action": "",
                "household_id": None,
                "changes": None,
                "change_labels": (),
            },
        )
    )
    assert row.number == 7 and row.head_name == "郑甲"
    assert row.values == {"head_name": "郑甲", "family_size": 2, "is_heroic": False}


def test_the_plan_matches_households_a_chunk_at_a_time(county_reviewer, areas, monkeypatch):
    """Each matched household is compared with its row as it is read (no record per row
    kept); the old village of a moved household is named in its change although the file
    does not name it."""
    monkeypatch.setattr(importer, "HASH_CHUNK", 2)
    moved = HouseholdFactory(village=areas["village"], head_name="冯甲", family_size=3)
    same = HouseholdFactory(village=areas["village2"], head_name="冯乙", family_size=4)
    renamed = HouseholdFactory(village=areas["village2"], head_name="冯丙")
    twice = HouseholdFactory(village=areas["village2"], head_name="冯丁")
    account = HouseholdFactory(village=areas["village2"], head_name="冯戊", family_size=3)
    new_id = make_id_number()
    data = workbook_bytes(
        [
            entry("冯甲", moved.id_number, village=areas["other_village"].code, size=5),
            entry("冯乙", same.id_number, village="141124100202", size=4),
            entry("冯某", renamed.id_number, village="141124100202"),
            entry("冯丁", twice.id_number, village="141124100202"),
            entry("冯丁", twice.id_number, village="141124100202"),
            entry("冯新", new_id, village="141124100202"),
            entry("冯戊", account.id_number, village="141124100202", bank_account="6" * 19),
        ]
    )
    plan = importer.plan_rows(importer.parse_workbook(data), prefix="141124")
    by_name = {}
    for row in plan.rows:
        by_name.setdefault(row.head_name, []).append(row)
    (a,), (b,), (c,), d, (e,), (f,) = (
        by_name[n] for n in ("冯甲", "冯乙", "冯某", "冯丁", "冯新", "冯戊")
    )
    assert (a.action, a.household_id) == ("update", moved.pk)
    assert a.changes == {"village": areas["other_village"].code, "family_size": 5}
    assert list(a.change_labels) == ["村代码：临泉镇 东村 → 白文镇 南村", "家庭人口：3 → 5"]
    assert (b.action, b.household_id, b.changes) == ("unchanged", same.pk, None)
    assert c.action == "error" and c.household_id is None
    assert c.errors == ["该身份证号已登记为户主“冯丙”，与文件中的“冯某”不一致"]
    assert [r.action for r in d] == ["error", "error"] and all(r.household_id is None for r in d)
    assert all("重复" in r.errors[0] for r in d)
    assert (e.action, e.household_id) == ("create", None)
    assert (f.action, list(f.change_labels)) == ("update", ["一卡通账号：已更改"])
    assert plan.counts == {"create": 1, "update": 2, "unchanged": 1, "error": 3}


def test_a_township_cannot_take_over_another_townships_household(township_user, areas):
    theirs = HouseholdFactory(village=areas["other_village"], head_name="陈甲")
    plan = importer.plan_rows(
        importer.parse_workbook(workbook_bytes([entry("陈甲", theirs.id_number)])),
        prefix=areas["township"].code[:9],
    )
    (row,) = plan.rows
    assert row.action == "error" and row.household_id is None
    assert "已登记为其他乡镇" in row.errors[0]


def test_parsed_rows_stay_small():
    """100,000 rows are kept from the preview to the confirm: about 650 bytes a row of this
    file in memory, 820 with a dict of values per row (the bench's file: 810, 1,260 with a
    dict and a string per village code of its inline strings)."""
    import tracemalloc

    rows = [entry(f"褚{i:05d}", make_id_number(), phone="13900001111") for i in range(2000)]
    data = workbook_bytes(rows)
    tracemalloc.start()
    try:
        parsed = importer.parse_workbook(data)
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(parsed) == 2000
    assert size / len(parsed) < 750, size / len(parsed)


def test_updates_are_written_a_batch_at_a_time(county_reviewer, areas, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    households = [HouseholdFactory(village=areas["village"]) for _ in range(5)]
    rows = [entry(h.head_name, h.id_number, address="二组") for h in households[:4]]
    rows.append(entry(households[4].head_name, households[4].id_number, phone="13900009999"))
    imp = _upload(county_reviewer, rows)
    assert imp.to_update == 5
    importer.import_apply(household_import=imp, by=county_reviewer)
    after = Household.objects.filter(pk__in=[h.pk for h in households]).order_by("pk")
    assert [(h.address, h.phone, h.version) for h in after] == [("二组", "13800000000", 2)] * 4 + [
        ("一组", "13900009999", 2)
    ]


def test_change_requests_are_written_a_chunk_at_a_time(county_reviewer, areas, monkeypatch):
    from households import services
    from households.models import HouseholdChange

    monkeypatch.setattr(services, "CHANGE_CHUNK", 2)
    households = [HouseholdFactory(village=areas["village"], family_size=3) for _ in range(5)]
    imp = _upload(county_reviewer, [entry(h.head_name, h.id_number, size=4) for h in households])
    importer.import_apply(household_import=imp, by=county_reviewer)
    changes = HouseholdChange.objects.filter(household__in=households).order_by("household_id")
    assert [(c.household_id, c.summary) for c in changes] == [
        (h.pk, "家庭人口：3 → 4") for h in households
    ]
