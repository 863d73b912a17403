"""The "Dose modification" section of docs/safety.md: its worked examples run, and it names
every rule field and the flags of the operational readings."""

from __future__ import annotations

import dataclasses
import doctest
from pathlib import Path

from oncotrial.dosing import DosingRules, Flag

DOC = Path(__file__).parents[3] / "docs" / "safety.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## Dose modification\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def test_docs_examples_run() -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(_section(), {}, "safety.md: Dose modification", str(DOC), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 6 and result.failed == 0


def test_docs_name_every_rule_field() -> None:
    """Every DosingRules field appears in the docs table (``source`` is bookkeeping)."""
    text = _section()
    missing = [f.name for f in dataclasses.fields(DosingRules)
               if f.name != "source" and f"`{f.name}`" not in text]
    assert missing == []


def test_docs_explain_the_flags_for_operational_readings() -> None:
    text = _section()
    for flag in (Flag.NOT_A_LABEL_DAY, Flag.TREAT_THEN_REASSESS, Flag.TEMPERATURE_NEEDED,
                 Flag.TOXICITY_ON_INHIBITOR, Flag.CHILD_PUGH_CHANGED,
                 Flag.CONSIDER_DOSE_REDUCTION):
        assert f"`{flag.value}`" in text, flag
