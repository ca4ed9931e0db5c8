from __future__ import annotations

from django.urls import reverse

from tests.permissions.matrix import Case


def _report(areas, user):
    import datetime as dt

    from reports.services import monthly_report_draft

    report = monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 1))
    return report, report


def _rows(areas, user):
    report, _ = _report(areas, user)
    return tuple(report.rows.get(area=areas[key]) for key in ("township", "other_township"))


def _submitted_rows(areas, user):
    from django.utils import timezone

    rows = _rows(areas, user)
    for row in rows:
        row.status, row.submitted_by, row.submitted_at = "submitted", user, timezone.now()
        row.save()
    return rows


def _alerts(areas, user):
    import datetime as dt

    from django.utils import timezone

    from reports.models import Alert

    now = timezone.now()
    return tuple(
        Alert.objects.create(
            type="d_occupied",
            object_key=f"matrix-{key}",
            object_label="D级危房仍住人",
            area=areas[key],
            due_on=dt.date(2026, 11, 1),
            opened_at=now,
            last_seen_at=now,
        )
        for key in ("township", "other_township")
    )


def _api(name, objects=None, **kw):
    if objects is None:
        return Case("api", lambda o: reverse(name), **kw)
    return Case("api", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _page(name, objects=None, **kw):
    if objects is None:
        return Case("page", lambda o: reverse(name), **kw)
    return Case("page", lambda o: reverse(name, args=[o.pk]), objects=objects, **kw)


def _townships(areas, user):
    return areas["township"], areas["other_township"]


W = ("POST",)
ENTRIES = {
    # A county reviewer splits the county's target among its townships (issue 17).
    "reports:targets": _page("reports:targets"),
    "reports:target_set": Case(
        "page",
        lambda o: reverse("reports:target_set", args=[o.code, 2026]),
        objects=_townships,
        writes=W,
        reader="county_reviewer",
    ),
    # For cities and provinces only (the county's own report is its monthly report).
    "reports:rollup": _page("reports:rollup", reader="city_official"),
    "reports:rollup_xlsx": _page("reports:rollup_xlsx", reader="city_official"),
    "reports:monthly_send": _page(
        "reports:monthly_send", _report, writes=W, get=False, area_scoped=False, reader=None
    ),
    "reports:alert_list": _page("reports:alert_list"),
    "reports:monthly_list": _page("reports:monthly_list"),
    "reports:monthly_draft": _page("reports:monthly_draft", writes=W, get=False),
    # The county's report and its ranking are read by every area of the county.
    "reports:monthly_detail": _page("reports:monthly_detail", _report, area_scoped=False),
    "reports:monthly_xlsx": _page("reports:monthly_xlsx", _report, area_scoped=False),
    "reports:monthly_pdf": _page("reports:monthly_pdf", _report, area_scoped=False),
    "reports:row_submit": _page("reports:row_submit", _rows, writes=W, get=False),
    "reports:row_reopen": _page("reports:row_reopen", _submitted_rows, writes=W, get=False),
    "alert-list": _api("alert-list"),
    "alert-detail": _api("alert-detail", _alerts),
}
