"""Every file the app hands out is private and named safely (issue 13 point 3).

The URLconf's download and private-file routes are listed from the resolver; on the demo
county each demo account follows the download links and images its pages render (and starts
every background export it may use). Every such response carries `Cache-Control: private,
no-store` and a Content-Disposition whose filename is plain ASCII or in RFC 5987 form
(`filename*=`), and every download route of the URLconf was reached by at least one account.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import time_machine
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.models import User
from tests.test_crawl import LINK, NOW, USERS, crawl

DOWNLOAD = re.compile(r"(\.xlsx|\.pdf|/files/|/download/|/voucher/|/report/$)")
# Renovation and rectification downloads are being moved to core.downloads on another branch
# (wip/workflow); until that merge their responses may still lack the headers. They are
# checked all the same and reported separately, so the merged tree asserts them too.
# Thumbnails are images of the page, not links.
IMAGE = re.compile(r'<img\s[^>]*src="(/[^"]*)"')
OTHER_BRANCH = re.compile(r"^/(renovation|rectification)/")


def _routes(resolver=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            routes += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(prefix + str(entry.pattern))
    return routes


def _shape(path: str) -> str:
    return re.sub(r"\d+|[0-9a-f-]{36}", "N", path)


def _route_shape(route: str) -> str:
    return _shape(re.sub(r"<[^>]+>", "N", route if route.startswith("/") else "/" + route))


def _problems(response) -> list[str]:
    found = []
    if response.get("Cache-Control") != "private, no-store":
        found.append(f"Cache-Control {response.get('Cache-Control')!r}")
    disposition = response.get("Content-Disposition", "")
    plain = re.fullmatch(r'(inline|attachment); filename="[\x20-\x7e]+"', disposition)
    rfc5987 = re.fullmatch(r"(inline|attachment); filename\*=utf-8''[\w.%~!*'()-]+", disposition)
    if not (plain or rfc5987):
        found.append(f"Content-Disposition {disposition!r}")
    return found


def test_every_download_is_private_with_a_safe_filename(db, client):
    download_routes = {
        _route_shape(r) for r in _routes() if DOWNLOAD.search(r) and not r.startswith("api/")
    }
    bad: dict[str, list[str]] = {}
    reached: set[str] = set()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        for username in USERS:
            client.force_login(User.objects.get(username=username))
            links: set[str] = set()
            export_kinds: set[str] = set()
            pages: dict[str, str] = {}
            crawl(client, pages=pages)
            for html in pages.values():
                for href in LINK.findall(html) + IMAGE.findall(html):
                    href = href.replace("&amp;", "&")
                    if href.startswith("/") and DOWNLOAD.search(urlsplit(href).path):
                        links.add(href)
                export_kinds.update(re.findall(r'action="/exports/([\w-]+)/start/"', html))
            for kind in sorted(export_kinds):  # each once: many pages offer the same export
                started = client.post(f"/exports/{kind}/start/")
                if started.status_code == 302:
                    links.add(started["Location"].rstrip("/") + "/download/")
            for href in sorted(links):
                response = client.get(href)
                if response.status_code != 200:
                    continue
                path = urlsplit(href).path
                # Named by the route it resolves to, so `<str:kind>.pdf` is one route however
                # many kinds the pages link.
                reached.add(_route_shape(resolve(path).route))
                for problem in _problems(response):
                    bad.setdefault(_shape(path), []).append(f"{username}: {problem}")
    others = {k: v for k, v in bad.items() if OTHER_BRANCH.match(k)}
    mine = {k: v for k, v in bad.items() if k not in others}
    assert mine == {}
    assert others == {}, "renovation/rectification downloads (converted on wip/workflow)"
    # Not linked as plain <a href> on the demo pages the crawl reaches: the notice is built by
    # a script (CSP: no inline handlers), the archive and exports come through a background
    # job, the batch list and stored files sit past the crawl's page limit. Their headers are
    # covered by their own tests (tests/renovation/test_documents.py, tests/core/test_exports.py);
    # this walk still must reach every other download route.
    not_crawled = {
        "/renovation/files/N/N/",
        "/renovation/files/N/N/thumb/",  # tests/renovation/test_photo_thumbnails.py
        "/renovation/archive/N/archive.pdf",
        "/subsidies/batches/N/list.xlsx",
        "/renovation/notice/N/notice.xlsx",
        "/renovation/notice/N/notice.pdf",
        "/exports/N/download/",
    }
    assert download_routes - reached - not_crawled == set()
    assert len(reached) >= 5, reached
