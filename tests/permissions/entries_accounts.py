from __future__ import annotations

from django.urls import reverse

from tests.permissions.matrix import Case


def _accounts(areas, user):
    """A township account in the first township and one in the other township."""
    from accounts.models import Role
    from tests.factories import UserFactory

    return (
        UserFactory(username="matrix_own_staff", role=Role.TOWNSHIP_STAFF, area=areas["township"]),
        UserFactory(
            username="matrix_other_staff", role=Role.TOWNSHIP_STAFF, area=areas["other_township"]
        ),
    )


ENTRIES = {
    "accounts:staff_list": Case(
        "page", lambda o: reverse("accounts:staff_list"), reader="county_reviewer"
    ),
    "accounts:staff_create": Case(
        "page",
        lambda o: reverse("accounts:staff_create"),
        writes=("POST",),
        reader="county_reviewer",
    ),
    "accounts:staff_edit": Case(
        "page",
        lambda o: reverse("accounts:staff_edit", args=[o.pk]),
        objects=_accounts,
        writes=("POST",),
        reader="county_reviewer",
    ),
    "accounts:staff_password": Case(
        "page",
        lambda o: reverse("accounts:staff_password", args=[o.pk]),
        objects=_accounts,
        writes=("POST",),
        reader="county_reviewer",
    ),
}
