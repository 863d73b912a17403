"""docs/safety.md holds the CTCAE part: commands, flags, result codes and entry points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncotrial.ctcae import RESULT_CODES, LabFlag

ROOT = Path(__file__).parents[3]
DOC = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
SOURCES = ROOT / "src" / "oncotrial" / "ctcae"


@pytest.mark.parametrize("command", ["oncotrial ctcae import", "oncotrial ctcae terms",
                                     "oncotrial ctcae grade"])
def test_every_ctcae_command_is_documented(command: str) -> None:
    """Each `oncotrial ctcae` command appears in docs/safety.md."""
    assert command in DOC


@pytest.mark.parametrize("flag", [f.value for f in LabFlag])
def test_every_lab_flag_is_documented(flag: str) -> None:
    """Each LabFlag value is explained in docs/safety.md."""
    assert f"`{flag}`" in DOC


@pytest.mark.parametrize("code", sorted(RESULT_CODES))
def test_every_result_code_is_in_the_docs_table(code: str) -> None:
    """Each code of oncotrial.ctcae.RESULT_CODES has a row in docs/safety.md's table."""
    assert f"| `{code}` |" in DOC


def test_every_code_literal_in_the_sources_is_catalogued() -> None:
    """No code string in oncotrial/ctcae is missing from RESULT_CODES."""
    text = "".join(p.read_text(encoding="utf-8") for p in SOURCES.glob("*.py"))
    literals = set(re.findall(r'"(ctcae\.[a-z_]+\.[a-z_0-9]+)"', text))
    assert literals - set(RESULT_CODES) == set()


@pytest.mark.parametrize("name", ["grade_lab", "explain_lab_grade", "grade_lab_result",
                                  "grade_labs", "derive_lab_grades", "is_treatment_emergent",
                                  "worst_grades", "sae_report_due", "check_sae_reporting",
                                  "suggest_adverse_events", "check_adverse_events",
                                  "impute_onset"])
def test_main_entry_points_are_documented(name: str) -> None:
    """The public entry points are named in docs/safety.md."""
    assert f"`{name}" in DOC

