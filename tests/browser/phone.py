"""What a list looks like on a phone (issue 19): its rows are cards."""

from __future__ import annotations

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
