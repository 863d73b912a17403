"""The worked examples in docs/dosing.md run, and the page names every public rule field."""

from __future__ import annotations

import dataclasses
import doctest
from pathlib import Path

from oncotrial.dosing import DosingRules, Flag

DOC = Path(__file__).parents[3] / "docs" / "dosing.md"


def test_docs_examples_run() -> None:
    result = doctest.testfile(str(DOC), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def test_docs_name_every_rule_field() -> None:
    """Every DosingRules field appears in the docs table (``source`` is bookkeeping)."""
    text = DOC.read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(DosingRules)
               if f.name != "source" and f"`{f.name}`" not in text]
    assert missing == []


def test_docs_explain_the_flags_for_operational_readings() -> None:
    text = DOC.read_text(encoding="utf-8")
    for flag in (Flag.NOT_A_LABEL_DAY, Flag.TREAT_THEN_REASSESS, Flag.TEMPERATURE_NEEDED,
                 Flag.TOXICITY_ON_INHIBITOR, Flag.CHILD_PUGH_CHANGED,
                 Flag.CONSIDER_DOSE_REDUCTION):
        assert f"`{flag.value}`" in text, flag
