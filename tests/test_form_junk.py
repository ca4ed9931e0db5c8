"""No page form answers a server error, whatever its fields hold (issue 14 point 8).

On the demo county, each demo account walks the pages it can reach (the crawl of
test_crawl.py) and, for every POST form those pages render, sends the form back with one field
at a time (of a formset, the first row's) set to junk: a huge number, letters where a number
belongs, a NUL byte, a 100,000-character string, an impossible date, an empty value, and the
field left out. The other fields keep the values the page rendered. Refusals (400, a form
error, a message and a redirect, 403, 404) are all fine; a 5xx or an exception is not.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from tests.test_crawl import NOW, USERS, crawl

_MISSING = object()
JUNK = [
    "100000000000000000000",
    "-99999999999",
    "abc",
    "1\x002",
    "x" * 100_000,
    "2026-13-45",
    "",
    _MISSING,
]
# Actions that end the session or are not page forms of the app.
SKIP_ACTIONS = re.compile(r"(/accounts/logout/|^/api/|^/admin/|/i18n/)")


class _Forms(HTMLParser):
    """The POST forms of a page: action and the (name, value, kind) of each field."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": []}
                self.forms.append(self._form)
            return
        # Inputs that name their form by id are counted with the form they sit closest to.
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select and self._form is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                if a.get("value") is not None:
                    self._form["fields"].append((name, a.get("value"), "submit"))
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].append((name, None, kind))
                return
            self._form["fields"].append((name, a.get("value") or "", kind))
        elif tag == "button":
            self._form["fields"].append((name, a.get("value") or "", "submit"))
        elif tag == "textarea":
            self._form["fields"].append((name, "", "textarea"))
        elif tag == "select":
            self._select = name
            self._form["fields"].append((name, None, "select"))

    def _option(self, a):
        fields = self._form["fields"]
        for i in range(len(fields) - 1, -1, -1):
            name, value, kind = fields[i]
            if name == self._select and kind == "select":
                if value is None or "selected" in a:
                    fields[i] = (name, a.get("value", ""), kind)
                return

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _forms_of(client, url: str) -> list[tuple[str, list]]:
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = _Forms()
    parser.feed(response.content.decode())
    found = []
    for form in parser.forms:
        action = form["action"].replace("&amp;", "&") or url
        if urlsplit(action).netloc or not action.startswith("/") or SKIP_ACTIONS.search(action):
            continue
        found.append((action, form["fields"]))
    return found


def _payload(fields, target: str | None, junk) -> dict:
    data: dict[str, list] = {}
    for name, value, kind in fields:
        if kind == "file":
            if name == target and junk is not _MISSING:
                data.setdefault(name, []).append(
                    SimpleUploadedFile("junk.jpg", b"\x00junk" * 10, content_type="image/jpeg")
                )
            continue
        if name == target:
            if junk is not _MISSING and name not in data:
                data[name] = [junk]
            continue
        if value is not None:
            data.setdefault(name, []).append(value)
    return data


def _shape(action: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(action).path)


def _row_shape(name: str) -> str:
    """A formset field named by its column: ``members-2-name`` is ``members-N-name``."""
    return re.sub(r"-\d+-", "-N-", name)


def _junk_targets(fields) -> list[str]:
    """Each field once, and of a formset only the first row's fields: every row of
    ``members-N-name`` runs the same form field, and its management fields are kept."""
    targets: dict[str, str] = {}
    for name, _value, kind in fields:
        if kind != "submit" and name != "csrfmiddlewaretoken":
            targets.setdefault(_row_shape(name), name)
    return list(targets.values())


def test_junk_in_any_page_form_field_never_gives_a_server_error(db, client):
    failures: dict[tuple, str] = {}
    posted = 0
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        done: set[tuple] = set()
        for username in USERS:
            user = User.objects.get(username=username)
            client.force_login(user)
            pages = [url for url, code in crawl(client).items() if code == 200]
            for page in pages:
                for action, fields in _forms_of(client, page):
                    # The same form for another record (or with one more formset row), or
                    # for another account of the same level (the county's reviewer, approver
                    # and official post the same form through the same validation), adds
                    # nothing: one of each per level.
                    names = tuple(sorted({_row_shape(f[0]) for f in fields}))
                    key = (user.area.level, _shape(action), names)
                    if key in done:
                        continue
                    done.add(key)
                    for name in _junk_targets(fields):
                        for junk in JUNK:
                            client.force_login(user)
                            data = _payload(fields, name, junk)
                            posted += 1
                            try:
                                response = client.post(action, data)
                                code = response.status_code
                            except Exception as exc:  # noqa: BLE001 - collected, then asserted
                                code = f"{type(exc).__name__}: {str(exc)[:120]}"
                            if not isinstance(code, int) or code >= 500:
                                shown = junk if junk is _MISSING else repr(junk)[:20]
                                failures.setdefault(
                                    (username, _shape(action), name), f"{shown} -> {code}"
                                )
    assert posted > 500, posted  # the walk reached the forms
    assert failures == {}
