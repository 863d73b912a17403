"""The result-code catalogue (oncotrial.codes) and docs/result-codes.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncotrial.codes import PACKAGES, describe, render_markdown, result_codes
from oncotrial.errors import UnknownTermError

DOC = Path(__file__).resolve().parents[2] / "docs" / "result-codes.md"


def test_the_page_is_current() -> None:
    """Regenerate with: oncotrial codes --markdown > docs/result-codes.md"""
    assert DOC.read_text(encoding="utf-8").rstrip("\n") == render_markdown().rstrip("\n")


def test_no_pattern_is_listed_twice_and_each_has_a_meaning() -> None:
    patterns = [c.pattern for c in result_codes()]
    assert len(patterns) == len(set(patterns))
    assert all(c.meaning.strip() and c.meaning.strip()[-1] in ".)" for c in result_codes())


def test_codes_are_lowercase_dotted_except_criterion_ids() -> None:
    """Stable machine codes: dotted parts; only a criterion id part carries capitals."""
    for entry in result_codes():
        parts = entry.pattern.split(".")
        assert all(parts), entry.pattern
        body = parts[1:] if entry.package == "eligibility" and parts[0] == "{criterion}" \
            else parts
        assert all(p == p.lower() for p in body), entry.pattern


@pytest.mark.parametrize(("code", "package"), [
    ("E5.not_met.hbv_hcv_coinfection", "eligibility"),
    ("recist.bor.pr.confirmed", "recist"),
    ("ctcae.grade.3", "ctcae"),
    ("dose.start", "dosing"),
    ("pfs.censored.new_therapy", "endpoints"),
    ("clinical.child_pugh.b", "clinical"),
])
def test_describe_finds_the_package(code: str, package: str) -> None:
    assert describe(code).package == package


def test_an_unknown_code_is_an_unknown_term() -> None:
    with pytest.raises(UnknownTermError, match="not a known result code"):
        describe("dose.teleport")


def test_every_emitting_package_is_catalogued() -> None:
    assert set(PACKAGES) == {"eligibility", "clinical", "recist", "ctcae", "dosing", "endpoints"}
