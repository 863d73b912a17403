"""The public API of oncotrial.endpoints: a sorted __all__ of documented names, the shared
records, and the result codes documented in docs/endpoints.md."""

from __future__ import annotations

import inspect
from pathlib import Path

import oncotrial.endpoints as endpoints
import oncotrial.records as records

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_all_names_exist_once() -> None:
    """Every name in __all__ exists and appears once (ruff RUF022 keeps it sorted)."""
    names = endpoints.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(endpoints, name), name


def test_every_public_function_has_a_worked_example() -> None:
    """Each public function's docstring has a doctest example."""
    for name in endpoints.__all__:
        obj = getattr(endpoints, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and ">>>" in obj.__doc__, name
        elif inspect.isclass(obj):
            assert obj.__doc__, name


def test_core_does_not_import_the_cli() -> None:
    """The core package never imports the shell (architecture rule)."""
    import sys

    assert "oncotrial.endpoints" in sys.modules
    source = "\n".join(inspect.getsource(m) for m in (
        endpoints.analysis, endpoints.exchange, endpoints.survival, endpoints.response,
        endpoints.sets, endpoints.model, endpoints.rules, endpoints.checks))
    assert "oncotrial.cli" not in source and "import typer" not in source


def test_records_are_the_shared_ones() -> None:
    """Issue 10: the endpoint records are oncotrial.records' types, re-exported, not copies."""
    for name in ("Subject", "DosingRecord", "TumourAssessment", "Death", "Contact",
                 "NewTherapy", "Discontinuation", "TherapyType", "DiscontinuationLevel",
                 "DiscontinuationReason"):
        assert getattr(endpoints, name) is getattr(records, name), name


def test_every_result_code_is_documented() -> None:
    """docs/endpoints.md lists each code of RESULT_CODES in its result-code tables."""
    text = (DOCS / "endpoints.md").read_text("utf-8")
    for code, meaning in endpoints.RESULT_CODES.items():
        assert f"| `{code}` | {meaning} |" in text, code
