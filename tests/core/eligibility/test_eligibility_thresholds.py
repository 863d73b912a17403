"""Numeric thresholds of inclusions 11 and 12 at each edge, in each unit (vector file).

Source of every case: the registry text of NCT06478927 (inclusion 11(1)-(3), 12(4)) and the
clarifications PN-27 to PN-31 (docs/protocol-notes.md); each case names its own source.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oncotrial.eligibility import ScreeningResult

VECTORS = Path(__file__).parents[2] / "vectors" / "eligibility"
CASES = json.loads((VECTORS / "thresholds.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_threshold_vector(case: dict[str, Any],
                          screen_with: Callable[..., ScreeningResult]) -> None:
    """One change to the eligible example gives the expected verdict on one criterion."""
    result = screen_with(case["changes"])
    verdict = result.verdicts[case["criterion"]]
    assert verdict.status == case["expected"], verdict.reason
    if "missing" in case:
        assert list(verdict.missing) == case["missing"]
    others = [v for k, v in result.verdicts.items() if k != case["criterion"]
              and k not in ("I1",)]  # I1 moves when a case changes the birth date
    assert all(v.status == "met" for v in others), [v.summary() for v in others
                                                     if v.status != "met"]


def test_reason_shows_value_threshold_and_date(
        screen_with: Callable[..., ScreeningResult]) -> None:
    """The issue's sentence shape: value, unit, date and the required limit."""
    result = screen_with({"labs.anc": {"value": 0.9, "unit": "10^9/L"}, "lab_date": "2026-03-02"})
    assert "ANC 0.9 x10^9/L on 2026-03-02 is below the required 1.0 x10^9/L" in \
        result.verdicts["I11"].reason


def test_uln_relative_limit_names_the_uln(screen_with: Callable[..., ScreeningResult]) -> None:
    """The reason shows the multiple, the computed limit and the site's ULN."""
    reason = screen_with({"labs.alt": {"value": 201, "unit": "U/L", "uln": 40}}).verdicts[
        "I11"].reason
    assert "ALT 201 U/L on 2026-02-27 is above the allowed 5 x ULN = 200 U/L (ULN 40)" in reason
