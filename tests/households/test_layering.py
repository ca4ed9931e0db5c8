"""The household registry is the base layer: no module under households/ imports an app
built on it (at module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

HOUSEHOLDS = Path(__file__).resolve().parents[2] / "households"
LATER_APPS = {"inspections", "renovation", "subsidies", "rectification", "reports", "demo"}


def _imports(tree: ast.AST):
    for node in ast.walk(tree):  # walks function bodies too
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_households_imports_no_later_app():
    offending = []
    files = sorted(HOUSEHOLDS.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, module in _imports(tree):
            if module.split(".")[0] in LATER_APPS:
                offending.append(f"{path.relative_to(HOUSEHOLDS.parent)}:{lineno} {module}")
    assert offending == []


def test_the_check_sees_function_level_imports(tmp_path):
    source = "def f():\n    from inspections.models import Appraisal\n    import reports.services\n"
    found = [m for _, m in _imports(ast.parse(source))]
    assert found == ["inspections.models", "reports.services"]
