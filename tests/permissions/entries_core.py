from __future__ import annotations

from django.core.files.base import ContentFile
from django.urls import reverse

from core.models import ExportJob
from tests.factories import HouseholdFactory
from tests.permissions.matrix import Case


def _household(areas, user):
    return (
        HouseholdFactory(village=areas["village"], head_name="本镇户"),
        HouseholdFactory(village=areas["other_village"], head_name="外镇户"),
    )


def _export_job(areas, user):
    from accounts.models import Role
    from tests.factories import UserFactory

    other_user = UserFactory(
        username="matrix_other", role=Role.TOWNSHIP_STAFF, area=areas["other_township"]
    )
    own = ExportJob.objects.create(kind="households", created_by=user, status="done")
    own.file.save("a.xlsx", ContentFile(b"x"))
    other = ExportJob.objects.create(kind="households", created_by=other_user, status="done")
    return own, other


def _monitoring_import(areas, user):
    from households.models import HouseholdImport, ImportKind
    from tests.factories import UserFactory

    other_user = UserFactory(
        username="matrix_monitor", role="township_staff", area=areas["other_township"]
    )
    return tuple(
        HouseholdImport.objects.create(
            created_by=u, area_id=u.area_id, filename="监测.xlsx", kind=ImportKind.MONITORING
        )
        for u in (user, other_user)
    )


def _import(areas, user):
    from households.models import HouseholdImport
    from tests.factories import UserFactory

    other_user = UserFactory(
        username="matrix_importer", role="township_staff", area=areas["other_township"]
    )
    own = HouseholdImport.objects.create(created_by=user, area_id=user.area_id, filename="a.xlsx")
    other = HouseholdImport.objects.create(
        created_by=other_user, area_id=other_user.area_id, filename="b.xlsx"
    )
    return own, other


def _tokens(areas, user):
    from knox.models import AuthToken

    from accounts.models import Role
    from tests.factories import UserFactory

    other_user = UserFactory(
        username="matrix_tokens", role=Role.TOWNSHIP_STAFF, area=areas["other_township"]
    )
    return AuthToken.objects.create(user=user)[0], AuthToken.objects.create(user=other_user)[0]


ENTRIES = {
    "home": Case("page", lambda o: reverse("home")),
    "login": Case("page", lambda o: reverse("login"), public=True, reader=None),
    # The installable web app: the same script and manifest for everyone, no data in them.
    "service_worker": Case("page", lambda o: reverse("service_worker"), public=True, reader=None),
    "web_manifest": Case("page", lambda o: reverse("web_manifest"), public=True, reader=None),
    "logout": Case("page", lambda o: reverse("logout"), public=True, get=False),
    "password_change": Case(
        "page", lambda o: reverse("password_change"), writes=("POST",), official_may_write=True
    ),
    "password_change_done": Case("page", lambda o: reverse("password_change_done")),
    "export-start": Case(
        "page",
        lambda o: reverse("export-start", args=["households"]),
        writes=("POST",),
        get=False,
        official_may_write=True,
    ),
    "export-detail": Case(
        "page", lambda o: reverse("export-detail", args=[o.pk]), objects=_export_job
    ),
    "export-status": Case(
        "page", lambda o: reverse("export-status", args=[o.pk]), objects=_export_job
    ),
    "export-download": Case(
        "page", lambda o: reverse("export-download", args=[o.pk]), objects=_export_job
    ),
    # Officials export too, so they may start a failed export again.
    "export-retry": Case(
        "page",
        lambda o: reverse("export-retry", args=[o.pk]),
        objects=_export_job,
        writes=("POST",),
        get=False,
        official_may_write=True,
    ),
    "households:list": Case("page", lambda o: reverse("households:list")),
    "households:create": Case("page", lambda o: reverse("households:create"), writes=("POST",)),
    "households:detail": Case(
        "page", lambda o: reverse("households:detail", args=[o.pk]), objects=_household
    ),
    "households:edit": Case(
        "page",
        lambda o: reverse("households:edit", args=[o.pk]),
        objects=_household,
        writes=("POST",),
    ),
    "households:reveal": Case(
        "page",
        lambda o: reverse("households:reveal", args=[o.pk, "id_number"]),
        objects=_household,
        writes=("POST",),
        get=False,
    ),
    "households:delete": Case(
        "page",
        lambda o: reverse("households:delete", args=[o.pk]),
        objects=_household,
        writes=("POST",),
    ),
    "households:import": Case("page", lambda o: reverse("households:import"), writes=("POST",)),
    "households:import-template": Case("page", lambda o: reverse("households:import-template")),
    "households:import-detail": Case(
        "page", lambda o: reverse("households:import-detail", args=[o.pk]), objects=_import
    ),
    "households:import-confirm": Case(
        "page",
        lambda o: reverse("households:import-confirm", args=[o.pk]),
        objects=_import,
        writes=("POST",),
        get=False,
    ),
    "households:import-cancel": Case(
        "page",
        lambda o: reverse("households:import-cancel", args=[o.pk]),
        objects=_import,
        writes=("POST",),
        get=False,
    ),
    "households:monitoring-import": Case(
        "page", lambda o: reverse("households:monitoring-import"), writes=("POST",)
    ),
    "households:monitoring-detail": Case(
        "page",
        lambda o: reverse("households:monitoring-detail", args=[o.pk]),
        objects=_monitoring_import,
    ),
    "households:monitoring-confirm": Case(
        "page",
        lambda o: reverse("households:monitoring-confirm", args=[o.pk]),
        objects=_monitoring_import,
        writes=("POST",),
        get=False,
    ),
    "households:monitoring-cancel": Case(
        "page",
        lambda o: reverse("households:monitoring-cancel", args=[o.pk]),
        objects=_monitoring_import,
        writes=("POST",),
        get=False,
    ),
    "api-token": Case("api", lambda o: reverse("api-token"), public=True, get=False),
    # Every signed-in user manages their own tokens; another user's token is a 404.
    "api-logout": Case(
        "api", lambda o: reverse("api-logout"), writes=("POST",), get=False, official_may_write=True
    ),
    "api-tokens-list": Case("api", lambda o: reverse("api-tokens-list")),
    "api-tokens-detail": Case(
        "api",
        lambda o: reverse("api-tokens-detail", args=[o.token_key]),
        objects=_tokens,
        writes=("DELETE",),
        get=False,
        official_may_write=True,
    ),
    # A search posted to keep the ID number out of the URL: a read for every role.
    "household-find": Case("api", lambda o: reverse("household-find"), get=False),
    "api-schema": Case("api", lambda o: reverse("api-schema")),
    "api-docs": Case("api", lambda o: reverse("api-docs")),
    "api-root": Case("api", lambda o: reverse("api-root")),
    "area-list": Case("api", lambda o: reverse("area-list")),
    "area-detail": Case(
        "api",
        lambda o: reverse("area-detail", args=[o.pk]),
        objects=lambda areas, user: (areas["village"], areas["other_village"]),
    ),
    "household-list": Case("api", lambda o: reverse("household-list"), writes=("POST",)),
    "household-detail": Case(
        "api",
        lambda o: reverse("household-detail", args=[o.pk]),
        objects=_household,
        writes=("PUT", "PATCH", "DELETE"),
    ),
}


def _changes(areas, user):
    """A pending change of a household in each township (issue 16 point 4)."""
    from households.models import HouseholdChange
    from tests.factories import UserFactory

    clerk = UserFactory(username="matrix_change", role="township_staff", area=areas["township"])
    return tuple(
        HouseholdChange.objects.create(
            household=HouseholdFactory(village=village),
            old_values='{"family_size": 3}',
            new_values='{"family_size": 4}',
            summary="家庭人口：3 → 4",
            requested_by=clerk,
        )
        for village in (areas["village"], areas["other_village"])
    )


ENTRIES.update(
    {
        "households:changes": Case("page", lambda o: reverse("households:changes")),
        "households:change-detail": Case(
            "page",
            lambda o: reverse("households:change-detail", args=[o.pk]),
            objects=_changes,
            writes=("POST",),
        ),
        # No evidence was attached: a reader gets 404, another area 404 before that.
        "households:change-evidence": Case(
            "page",
            lambda o: reverse("households:change-evidence", args=[o.pk]),
            objects=_changes,
            reader=None,
        ),
        "household-change-list": Case("api", lambda o: reverse("household-change-list")),
        "household-change-detail": Case(
            "api", lambda o: reverse("household-change-detail", args=[o.pk]), objects=_changes
        ),
        "household-change-confirm": Case(
            "api",
            lambda o: reverse("household-change-confirm", args=[o.pk]),
            objects=_changes,
            writes=("POST",),
            get=False,
        ),
        "household-change-reject": Case(
            "api",
            lambda o: reverse("household-change-reject", args=[o.pk]),
            objects=_changes,
            writes=("POST",),
            get=False,
        ),
    }
)
