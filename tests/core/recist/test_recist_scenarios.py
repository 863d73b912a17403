"""Multi-visit scenarios from RECIST 1.1 (Eisenhauer et al. 2009) and mRECIST (Lencioni & Llovet
2010), run through evaluate().

The scenarios live in ``tests/vectors/recist/scenarios.json``; each has a ``source``. Expected
responses and sums are worked by hand from the guideline's rules, not taken from this code.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from oncotrial.recist import (
    Assessment,
    Lesion,
    LesionKind,
    NewLesionStatus,
    Response,
    TargetMeasurement,
    evaluate,
)

DOC = json.loads((Path(__file__).parents[2] / "vectors" / "recist" / "scenarios.json").read_text(
    encoding="utf-8"))
ORIGIN = dt.date.fromisoformat(DOC["origin"])
BASELINE_DAY = ORIGIN - dt.timedelta(days=7)


def _day(n: int) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


def _target(value: Any) -> Any:
    if isinstance(value, dict):
        return TargetMeasurement(
            fragments_mm=tuple(float(x) for x in value.get("fragments_mm", ())),
            merged_into=value.get("merged_into"),
        )
    return float(value) if isinstance(value, int | float) else value


def build(scenario: dict[str, Any]) -> tuple[list[Lesion], list[Assessment]]:
    lesions = [
        Lesion(
            item["id"], item["organ"], None if item["mm"] is None else float(item["mm"]),
            BASELINE_DAY, nodal=item.get("nodal", False), target=item.get("target", True),
            kind=LesionKind(item.get("kind", "SOLID")), typical_hcc=item.get("typical_hcc"),
        )
        for item in scenario["baseline"]
    ]
    visits = [
        Assessment(
            _day(v["day"]), {k: _target(x) for k, x in v["targets"].items()},
            v.get("non_targets", {}), v.get("new"),
            malignant_cytology=frozenset(v.get("malignant_cytology", ())),
        )
        for v in scenario["assessments"]
    ]
    return lesions, visits


SCENARIOS = DOC["scenarios"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    """Each visit's overall response and the numbers the scenario states."""
    assert scenario["source"]
    lesions, visits = build(scenario)
    result = evaluate(lesions, visits, criteria=scenario["criteria"])
    assert len(result.timepoints) == len(scenario["expected"])
    for tp, exp in zip(result.timepoints, scenario["expected"], strict=True):
        assert tp.overall is Response(exp["overall"]), tp.reason
        for key in ("sum_mm", "nadir_mm", "change_from_baseline_pct", "change_from_nadir_pct"):
            if key in exp:
                assert getattr(tp, key) == pytest.approx(exp[key]), key
        for key in ("target", "non_target"):
            if key in exp:
                want = None if exp[key] is None else Response(exp[key])
                assert getattr(tp, key) is want, key
        if "as_read" in exp:
            assert tp.as_read is Response(exp["as_read"])
        if "complete" in exp:
            assert tp.complete is exp["complete"]
        if "new_lesion" in exp:
            assert tp.new_lesion is NewLesionStatus(exp["new_lesion"])
        if "progression_day" in exp:
            assert tp.progression_on == _day(exp["progression_day"])
        assert tp.reason.startswith(("PD", "CR", "PR", "SD", "NE", "NON-CR/NON-PD", "IR/SD"))
        assert tp.code.startswith(f"recist.timepoint.{tp.overall.value.lower()}".replace(
            "non-cr/non-pd", "non_cr_non_pd")), tp.code
    if "bor" in scenario:
        bor = result.best_overall_response(origin=ORIGIN, sd_min_days=42)
        assert bor.response is Response(scenario["bor"]["response"]), bor.reason
        assert bor.assessed_on == _day(scenario["bor"]["day"])
