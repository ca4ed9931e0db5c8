"""An account another manager is saving right now: refused at once (NOWAIT)."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import User
from core.errors import ConflictError
from tests.row_lock import answers_at_once, row_held

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_edit_of_a_held_account_is_a_conflict_at_once(county_reviewer, township_user):
    with row_held(User, township_user.pk), answers_at_once(), pytest.raises(ConflictError):
        services.staff_update(
            by=county_reviewer,
            user=township_user,
            full_name="新名字",
            role=township_user.role,
            area=township_user.area,
            is_active=True,
        )
    assert User.objects.get(pk=township_user.pk).full_name == township_user.full_name
