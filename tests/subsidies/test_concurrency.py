"""Two users paying the same batch or funding the same project at once, on two real
PostgreSQL connections: one wins, the other gets a conflict or a rule refusal, never a
double payment."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from core.errors import ConflictError, DomainError
from subsidies import services
from subsidies.models import BatchStatus, LineStatus, PayoutBatch, PayoutLine
from subsidies.services import LineRequest
from tests.factories import UserFactory
from tests.row_lock import answers_at_once, row_held
from tests.subsidies.factories import accepted_project, batch, voucher

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target):
    result = {}

    def run():
        try:
            result["value"] = target()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _race(*targets):
    start = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            start.wait(5)
            return target()

        return run

    runs = [_in_thread(wrap(t)) for t in targets]
    for thread, _ in runs:
        thread.join(30)
    return [result for _, result in runs]


@pytest.fixture
def second_approver(areas):
    return UserFactory(username="approver2", role="county_approver", area=areas["county"])


def test_two_users_marking_the_same_batch_paid_pay_once(
    household, county_reviewer, county_approver, second_approver
):
    project = accepted_project(household)
    b = batch(county_reviewer)
    services.batch_add_lines(
        batch=b, by=county_reviewer, items=[LineRequest(project=project, amount=Decimal("50000"))]
    )
    services.batch_submit(batch=b, by=county_reviewer)
    vouchers = [voucher(), voucher()]

    def pay(user, file):
        return lambda: services.batch_pay(
            batch=b, by=user, paid_on=dt.date(2026, 12, 5), voucher=file
        )

    outcomes = _race(pay(county_approver, vouchers[0]), pay(second_approver, vouchers[1]))
    winners = [r for r in outcomes if "value" in r]
    losers = [r["error"] for r in outcomes if "error" in r]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], DomainError)
    if isinstance(losers[0], ConflictError):
        assert str(losers[0]) == "其他用户正在处理该批次，请稍后再试。"
    b.refresh_from_db()
    assert b.status == BatchStatus.PAID
    assert b.version == 4  # lines added, submitted, paid: each once
    assert list(PayoutLine.objects.values_list("status", flat=True)) == [LineStatus.PAID]


def test_two_batches_funding_the_same_project_at_once_never_exceed_the_approved_amount(
    household, county_reviewer, areas
):
    other_reviewer = UserFactory(username="reviewer2", role="county_reviewer", area=areas["county"])
    project = accepted_project(household, amount=Decimal("50000"))
    b1, b2 = batch(county_reviewer), batch(county_reviewer)

    def add(b, user):
        return lambda: services.batch_add_lines(
            batch=b, by=user, items=[LineRequest(project=project, amount=Decimal("50000"))]
        )

    outcomes = _race(add(b1, county_reviewer), add(b2, other_reviewer))
    assert sum("value" in r for r in outcomes) == 1
    [error] = [r["error"] for r in outcomes if "error" in r]
    assert isinstance(error, DomainError)
    assert PayoutLine.objects.filter(project=project).count() == 1
    assert sum(PayoutLine.objects.values_list("amount", flat=True)) == Decimal("50000")


def test_api_answers_409_while_another_user_holds_the_batch(
    household, county_reviewer, county_approver
):
    from rest_framework.test import APIClient

    project = accepted_project(household)
    b = batch(county_reviewer)
    services.batch_add_lines(
        batch=b, by=county_reviewer, items=[LineRequest(project=project, amount=Decimal("100"))]
    )
    services.batch_submit(batch=b, by=county_reviewer)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            PayoutBatch.objects.select_for_update().get(pk=b.pk)
            locked.set()
            release.wait(10)

    holder, _ = _in_thread(hold)
    assert locked.wait(10)
    client = APIClient()
    client.force_authenticate(county_approver)
    try:
        response = client.post(
            f"/api/payout-batches/{b.pk}/pay/",
            {"paid_on": "2026-12-05", "voucher": voucher()},
            format="multipart",
        )
    finally:
        release.set()
        holder.join(10)
    assert response.status_code == 409
    assert response.json()["detail"] == "其他用户正在处理该批次，请稍后再试。"
    assert PayoutBatch.objects.get(pk=b.pk).status == BatchStatus.SUBMITTED


def test_marking_a_held_line_failed_is_a_conflict_at_once(
    household, county_reviewer, county_approver
):
    project = accepted_project(household)
    b = batch(county_reviewer)
    [line] = services.batch_add_lines(
        batch=b, by=county_reviewer, items=[LineRequest(project=project, amount=Decimal("100"))]
    )
    services.batch_submit(batch=b, by=county_reviewer)
    services.batch_pay(batch=b, by=county_approver, paid_on=dt.date(2026, 12, 5), voucher=voucher())
    with row_held(PayoutLine, line.pk), answers_at_once(), pytest.raises(ConflictError):
        services.line_mark_failed(line=line, by=county_approver, reason="卡号与户名不一致")
    assert PayoutLine.objects.unscoped("test").get(pk=line.pk).status == LineStatus.PAID
