"""Every row of the palbociclib label's dose-modification tables, as data.

Cases: ``tests/vectors/dosing/label_rows.json``; each carries its ``source`` (IBRANCE USPI
2019 section 2.2 Tables 1-3, sections 5.2, 7.1-7.2, 8.6; CTCAE v5.0 terms) and the expected
result code. The rules are NCT06478927's (PN-10), changed per case where the case says so.
Renal impairment has no case: the label gives no adjustment, and the engine takes no renal
input, so nothing can change the dose for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncotrial.dosing import (
    RESULT_CODES,
    BloodCounts,
    Comedication,
    Cyp3aEffect,
    DosingRules,
    Toxicity,
    ToxicityCategory,
    recommend,
)
from oncotrial.records import ChildPughClass, code_matches

VECTORS = Path(__file__).parents[2] / "vectors" / "dosing" / "label_rows.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
C1D1 = date(2026, 1, 5)


def _assessed_on(cycle: int, cycle_day: int) -> date:
    return C1D1 + timedelta(days=28 * (cycle - 1) + cycle_day - 1)


def _run(case: dict[str, Any], rules: DosingRules) -> Any:
    on = _assessed_on(case["cycle"], case["cycle_day"])
    cbc = None if case.get("cbc") is None else BloodCounts(on, **case["cbc"])
    toxicities = [
        Toxicity(**{**t, "category": ToxicityCategory(t["category"])})
        for t in case.get("toxicities", [])
    ]
    meds = [Comedication(m["name"], Cyp3aEffect(m["effect"]))
            for m in case.get("comedications", [])]
    cp = case.get("child_pugh_class")
    return on, recommend(
        case["dose_mg"], rules=rules, cycle=case["cycle"], cycle_day=case["cycle_day"],
        assessed_on=on, cbc=cbc, toxicities=toxicities, temperature_c=case.get("temperature_c"),
        infection=case.get("infection", False), comedications=meds,
        child_pugh_class=None if cp is None else ChildPughClass(cp))


def test_the_vector_file_covers_every_label_section() -> None:
    """Tables 1-3 and sections 5.2, 7.1, 7.2 and 8.6 each have at least one case."""
    sources = " ".join(c["source"] for c in CASES)
    for needle in ("Table 1", "Table 2", "Table 3", "5.2", "8.6", "7.1", "7.2"):
        assert needle in sources, needle


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_label_row(case: dict[str, Any], label_rules: DosingRules,
                   make_rules: Callable[..., DosingRules]) -> None:
    rules = make_rules(**case["rules"]) if case.get("rules") else label_rules
    on, result = _run(case, rules)
    expect = case["expect"]
    assert result.code == expect["code"], result.summary()
    assert any(code_matches(result.code, p) for p in RESULT_CODES)
    assert result.action.value == expect["action"], result.summary()
    if "dose_mg" in expect:
        assert result.dose_mg == expect["dose_mg"], result.summary()
    if "resume_dose_mg" in expect:
        assert result.resume_dose_mg == expect["resume_dose_mg"], result.summary()
    if "recheck_in_days" in expect:
        assert result.recheck_by == on + timedelta(days=expect["recheck_in_days"])
    if "dosing_today" in expect:
        assert result.dosing_today is expect["dosing_today"]
    for flag in expect.get("flags", []):
        assert flag in {f.value for f in result.flags}, result.summary()
    # Whatever the row, only protocol dose levels are ever recommended.
    for dose in (result.dose_mg, result.resume_dose_mg):
        assert dose is None or dose in (125, 100, 75)
