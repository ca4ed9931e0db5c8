"""What a list looks like on a phone (issue 19): its rows are cards."""

from __future__ import annotations

PHONE = {"width": 375, "height": 812}


def login_on_phone(page, live_server, username: str, password: str) -> None:
    """Sign in on a 375×812 screen (a fresh session: earlier cookies are dropped)."""
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


_CARDS = """table => {
    const heads = [...table.querySelectorAll('thead th')]
        .filter(th => !th.querySelector('input'));
    const cells = [...table.querySelectorAll('tbody td')]
        .filter(td => !td.classList.contains('empty'));
    return heads.every(th => th.offsetParent === null)
        && getComputedStyle(table.querySelector('tbody tr') || table).display === 'block'
        && cells.slice(1).some(td => td.hasAttribute('data-label'));
}"""


def shows_cards(page, selector: str) -> bool:
    """The list's column headers are hidden, its rows are blocks, its cells are labelled."""
    return page.locator(selector).evaluate(_CARDS)
