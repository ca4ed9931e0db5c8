"""The documents name tests that exist: a guarantee in docs/SECURITY.md points at a real test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `tests/a/test_b.py::test_c`, `tests/a/test_b.py`, `tests/*/test_b.py`, and `::test_d`
# (another test of the file named last).
REFERENCE = re.compile(r"`(tests/[\w/*.]+\.py)?(?:::(\w+))?`")


def references(document: Path) -> list[tuple[str, str | None]]:
    found, current = [], None
    for match in REFERENCE.finditer(document.read_text()):
        path, name = match.groups()
        if path is None and name is None:
            continue
        current = path or current
        assert current, f"{match.group(0)} names no file"
        found.append((current, name))
    return found


@pytest.mark.parametrize("document", ["docs/SECURITY.md"])
def test_every_test_a_document_names_exists(document):
    refs = references(ROOT / document)
    assert len(refs) > 30  # the table was read at all
    missing = []
    for path, name in refs:
        files = sorted(ROOT.glob(path))
        if not files:
            missing.append(path)
        elif name and not any(
            re.search(rf"^(async )?def {name}\(", f.read_text(), re.M) for f in files
        ):
            missing.append(f"{path}::{name}")
    assert missing == []
