"""docs/safety.md holds the CTCAE part: commands, flags, finding codes and entry points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncotrial.ctcae import LabFlag

DOC = (Path(__file__).parents[3] / "docs" / "safety.md").read_text(encoding="utf-8")
SOURCES = Path(__file__).parents[3] / "src" / "oncotrial" / "ctcae"


@pytest.mark.parametrize("command", ["oncotrial ctcae import", "oncotrial ctcae terms",
                                     "oncotrial ctcae grade"])
def test_every_ctcae_command_is_documented(command: str) -> None:
    """Each `oncotrial ctcae` command appears in docs/safety.md."""
    assert command in DOC


@pytest.mark.parametrize("flag", [f.value for f in LabFlag])
def test_every_lab_flag_is_documented(flag: str) -> None:
    """Each LabFlag value is explained in docs/safety.md."""
    assert f"`{flag}`" in DOC


def _codes() -> list[str]:
    text = (SOURCES / "events.py").read_text(encoding="utf-8")
    return sorted(set(re.findall(r'Finding\(\s*"([A-Z_]+)"', text)))


@pytest.mark.parametrize("code", _codes())
def test_every_finding_code_is_documented(code: str) -> None:
    """Each finding code of oncotrial.ctcae appears in docs/safety.md."""
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("name", ["grade_lab", "explain_lab_grade", "grade_labs",
                                  "derive_lab_grades", "is_treatment_emergent", "worst_grades",
                                  "sae_report_due", "check_sae_reporting",
                                  "suggest_adverse_events", "check_adverse_events"])
def test_main_entry_points_are_documented(name: str) -> None:
    """The public entry points of the issue are named in docs/safety.md."""
    assert f"`{name}" in DOC
