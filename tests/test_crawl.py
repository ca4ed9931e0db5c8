"""Every link a page shows works for the user who sees it.

On the demo county (seed_demo: projects at every step, payouts, rectification, alerts), each
demo account follows the links of the pages it can reach from its home page. A link the app
itself rendered must not answer 404 (a record the user cannot see), 403 (an action the role
cannot take) or 5xx; every page is in Chinese, never Django's English default pages.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import time_machine
from django.core.management import call_command

from accounts.models import User

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LINK = re.compile(r'<a\s[^>]*href="([^"#][^"]*)"')
# Downloads and documents are checked by their own tests (and are slow to build); logout and
# the API's interactive pages are not pages of the app.
SKIP = re.compile(
    r"(\.xlsx|\.pdf|/files/|/download/|/voucher/|/accounts/logout/|^/api/|^/admin/|/letter)"
)
MAX_PAGES = 400
PER_KIND = 3


def crawl(client, start: str = "/", pages: dict[str, str] | None = None) -> dict[str, int]:
    """Status code of each page reached; `pages`, when given, receives each HTML page's text."""
    seen: dict[str, int] = {}
    kinds: Counter = Counter()
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        if pages is not None:
            pages[url] = page
        assert "Page not found" not in page and "Server Error" not in page, url
        for href in LINK.findall(page):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if SKIP.search(parts.path) or "page=" in parts.query:
                continue
            # A few of each kind of page (the same view for another record adds little).
            kind = re.sub(r"\d+", "N", parts.path) + "?" + re.sub(r"=[^&]*", "", parts.query)
            if href not in seen and kinds[kind] < PER_KIND:
                kinds[kind] += 1
                queue.append(href)
    return seen


# The city reviewer (issue 17) walks both demo counties, its targets and its spot check.
USERS = ["reviewer", "approver", "linquan", "chengzhuang", "dongcun", "official", "city"]


def test_every_link_a_demo_user_sees_works(db, client):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        broken, counts = {}, {}
        for username in USERS:
            client.force_login(User.objects.get(username=username))
            seen = crawl(client)
            counts[username] = len(seen)
            broken.update(
                {(username, url): code for url, code in seen.items() if code not in (200, 302)}
            )
    assert broken == {}
    assert min(counts.values()) > 20, counts  # every crawl got somewhere
