"""docs/compliance.md maps each checklist item to the code and the test that meet it: every test
it names exists, and each item the trial-database issue lists has a test named after it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs/compliance.md"

#: The items the trial-database issue asks one test each for (21 CFR Part 11; ICH E6(R3)).
REQUIRED = [*(f"AT-{n}" for n in range(1, 9)), *(f"AC-{n}" for n in range(1, 6)),
            *(f"ES-{n}" for n in range(1, 6)), "V-3", "L-1", "L-4"]

#: A test function's name (not a test file's: ``test_backup.py``).
_CITED = re.compile(r"\btest_\w+\b(?!\.py)")


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def _rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and re.fullmatch(r"[A-Z]+-\d+", cells[1]):
            rows[cells[1]] = line
    return rows


def test_every_test_the_mapping_names_exists() -> None:
    assert set(_CITED.findall(DOC.read_text(encoding="utf-8"))) - _test_names() == set()


def test_each_required_item_has_a_test_named_after_it() -> None:
    rows, names = _rows(), _test_names()
    missing = []
    for item in REQUIRED:
        prefix = "test_" + item.lower().replace("-", "")
        cited = _CITED.findall(rows.get(item, ""))
        if not any(c.startswith(prefix) and c in names for c in cited):
            missing.append(item)
    assert missing == []
