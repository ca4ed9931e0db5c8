"""The payout rules hold for raw SQL too (trust rule 6): triggers, not only Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from renovation.models import ProjectStatus
from subsidies.models import BatchStatus, PayoutBatch, PayoutLine
from tests.subsidies.factories import accepted_project, batch

pytestmark = pytest.mark.django_db
S = ProjectStatus

INSERT_LINE = """
    INSERT INTO subsidies_payoutline
        (batch_id, project_id, amount, account, account_masked, bank_name, status,
         failure_reason, note, created_by_id, created_at)
    VALUES (%s, %s, %s, 'x', '6217****0000', '', %s, '', '', %s, now())
"""


def raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_line_for_a_project_not_accepted_is_refused(household, county_reviewer):
    project = accepted_project(household, status=S.COMPLETED, accepted_on=None)
    b = batch(county_reviewer)
    with pytest.raises(DatabaseError, match="尚未通过竣工验收"):
        raw(INSERT_LINE, [b.pk, project.pk, "1000", "pending", county_reviewer.pk])
    assert not PayoutLine.objects.exists()


def test_raw_lines_above_the_approved_amount_are_refused(household, county_reviewer):
    project = accepted_project(household, amount=Decimal("50000"))
    b1, b2 = batch(county_reviewer), batch(county_reviewer)
    raw(INSERT_LINE, [b1.pk, project.pk, "30000", "pending", county_reviewer.pk])
    with pytest.raises(DatabaseError, match="超过核定补助金额"):
        raw(INSERT_LINE, [b2.pk, project.pk, "20000.01", "pending", county_reviewer.pk])
    # A failed line does not count; raising an existing line above the limit is refused too.
    raw(INSERT_LINE, [b2.pk, project.pk, "20000", "pending", county_reviewer.pk])
    raw(
        "UPDATE subsidies_payoutline SET status = 'failed', failure_reason = '销户' "
        "WHERE batch_id = %s",
        [b2.pk],
    )
    raw(
        INSERT_LINE, [batch(county_reviewer).pk, project.pk, "20000", "pending", county_reviewer.pk]
    )
    with pytest.raises(DatabaseError, match="超过核定补助金额"):
        raw(
            "UPDATE subsidies_payoutline SET amount = 30000.01 WHERE batch_id = %s",
            [b1.pk],
        )
    assert sorted(PayoutLine.objects.values_list("amount", flat=True)) == [
        Decimal("20000.00"),
        Decimal("20000.00"),
        Decimal("30000.00"),
    ]


def test_raw_payment_date_before_acceptance_is_refused(household, county_reviewer):
    # Document 004: accepted 25 Nov, paid 23 Nov.
    project = accepted_project(household, accepted_on=dt.date(2026, 11, 25))
    b = batch(county_reviewer, status=BatchStatus.SUBMITTED)
    raw(INSERT_LINE, [b.pk, project.pk, "1000", "pending", county_reviewer.pk])
    with pytest.raises(DatabaseError, match="早于批次中项目的竣工验收日期"):
        raw(
            "UPDATE subsidies_payoutbatch SET status = 'paid', paid_on = '2026-11-23', "
            "paid_by_id = %s WHERE id = %s",
            [county_reviewer.pk, b.pk],
        )
    b.refresh_from_db()
    assert b.status == BatchStatus.SUBMITTED and b.paid_on is None
    raw(
        "UPDATE subsidies_payoutbatch SET status = 'paid', paid_on = '2026-11-25', "
        "paid_by_id = %s WHERE id = %s",
        [county_reviewer.pk, b.pk],
    )


def test_raw_line_added_to_a_batch_paid_before_acceptance_is_refused(
    household, county_reviewer, county_approver
):
    project = accepted_project(household, accepted_on=dt.date(2026, 11, 25))
    b = batch(
        county_reviewer,
        status=BatchStatus.PAID,
        paid_on=dt.date(2026, 11, 23),
        paid_by=county_approver,
    )
    with pytest.raises(DatabaseError, match="早于项目"):
        raw(INSERT_LINE, [b.pk, project.pk, "1000", "pending", county_reviewer.pk])


def test_raw_batch_status_jump_is_refused(county_reviewer, areas):
    b = batch(county_reviewer)
    with pytest.raises(DatabaseError, match="拨付批次状态不能从 drafted 变为 reconciled"):
        raw(
            "UPDATE subsidies_payoutbatch SET status = 'reconciled', paid_on = '2026-12-01', "
            "paid_by_id = %s WHERE id = %s",
            [county_reviewer.pk, b.pk],
        )
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.DRAFTED


def test_raw_submitter_cannot_be_payer(county_reviewer, areas):
    b = batch(county_reviewer, status=BatchStatus.SUBMITTED, submitted_by=county_reviewer)
    with pytest.raises(DatabaseError, match="payout_batch_four_eyes"):
        raw(
            "UPDATE subsidies_payoutbatch SET status = 'paid', paid_on = '2026-12-01', "
            "paid_by_id = %s WHERE id = %s",
            [county_reviewer.pk, b.pk],
        )


def test_raw_non_positive_amount_is_refused(household, county_reviewer):
    project = accepted_project(household)
    with pytest.raises(DatabaseError, match="payout_line_amount_positive"):
        raw(
            INSERT_LINE, [batch(county_reviewer).pk, project.pk, "0", "pending", county_reviewer.pk]
        )
