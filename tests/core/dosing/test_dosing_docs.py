"""The "Dose modification" section of docs/safety.md: its worked examples run, it lists every
result code of the dosing package, and it explains the flags of the operational readings."""

from __future__ import annotations

import doctest
from pathlib import Path

from oncotrial.dosing import RESULT_CODES, Flag

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
    assert result.attempted >= 8 and result.failed == 0


def test_docs_list_every_result_code() -> None:
    """Each code of RESULT_CODES has a row in the section's code table."""
    text = _section()
    missing = [code for code in RESULT_CODES if f"| `{code}` |" not in text]
    assert missing == []


def test_docs_explain_every_flag() -> None:
    text = _section()
    missing = [flag.value for flag in Flag if f"`{flag.value}`" not in text]
    assert missing == []
