"""Clinical results as plain data: the shared enums, one place for the Child-Pugh bands, codes
from the catalogue, and JSON and pickle round trips (issue 10)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial import clinical, records
from oncotrial.clinical import (
    RESULT_CODES,
    AlbiResult,
    BclcResult,
    ChildPughResult,
    Quantity,
    albi,
    bclc_stage,
    child_pugh,
    child_pugh_class,
    parse_sex,
)
from oncotrial.errors import InputError
from oncotrial.records import code_matches, from_json, to_json


def test_child_pugh_class_and_sex_are_the_shared_enums() -> None:
    """clinical re-exports the records enums; it defines no copy of its own."""
    assert clinical.ChildPughClass is records.ChildPughClass
    assert clinical.Sex is records.Sex
    assert parse_sex("female") is records.Sex.FEMALE


@pytest.mark.parametrize(("points", "klass"), [(5, "A"), (6, "A"), (7, "B"), (9, "B"),
                                               (10, "C"), (15, "C")])
def test_child_pugh_class_bands(points: int, klass: str) -> None:
    """Pugh et al. 1973: class A is 5-6 points, B 7-9, C 10-15."""
    assert child_pugh_class(points) == klass


@pytest.mark.parametrize("points", [4, 16, 0, 7.0, True, "7"])
def test_child_pugh_class_refuses_impossible_totals(points: Any) -> None:
    """Five items of 1-3 points sum to a whole number from 5 to 15; anything else is refused."""
    with pytest.raises(InputError, match="not possible"):
        child_pugh_class(points)


def test_child_pugh_score_uses_the_class_bands() -> None:
    """The score's class is child_pugh_class of its points (one implementation of the bands)."""
    result = child_pugh(bilirubin=Quantity(2.5, "mg/dL"), albumin=Quantity(30, "g/L"), inr=1.4,
                        ascites="mild", encephalopathy="none")
    assert (result.points, result.child_pugh_class) == (8, child_pugh_class(8))
    assert result.code == "clinical.child_pugh.b"
    assert result.facts["albumin_points"] == 2 and result.facts["inr"] == 1.4
    assert result.reason == result.summary() == (
        "Child-Pugh B8 (bilirubin 2, albumin 2, INR 1, ascites 2, encephalopathy 1)")


def test_albi_and_bclc_results_carry_codes() -> None:
    """ALBI grade 1 at -2.74 (Johnson 2015); BCLC C by portal invasion (Reig 2022)."""
    assert albi(bilirubin=Quantity(10, "umol/L"), albumin=Quantity(40, "g/L")).code == \
        "clinical.albi.grade_1"
    stage = bclc_stage(ecog=0, liver_function_preserved=True, nodule_count=3,
                       largest_nodule_cm=5, macrovascular_invasion=True,
                       extrahepatic_spread=True)
    assert stage.code == "clinical.bclc.c.macrovascular_invasion"
    assert stage.reason == "macrovascular (portal) invasion; extrahepatic spread."
    assert stage.facts["extrahepatic_spread"] is True


_UNITS = st.sampled_from([("umol/L", 3.0, 120.0), ("mg/dL", 0.2, 7.0)])
_ALB = st.sampled_from([("g/L", 15.0, 50.0), ("g/dL", 1.5, 5.0)])


@st.composite
def child_pugh_results(draw: st.DrawFn) -> ChildPughResult:
    unit, low, high = draw(_UNITS)
    aunit, alow, ahigh = draw(_ALB)
    return child_pugh(bilirubin=Quantity(draw(st.floats(low, high)), unit),
                      albumin=Quantity(draw(st.floats(alow, ahigh)), aunit),
                      inr=draw(st.none() | st.floats(0.8, 4.0)), pt_prolongation_s=2.0,
                      ascites=draw(st.sampled_from(["none", "mild", "moderate_severe"])),
                      encephalopathy=draw(st.sampled_from(["none", "grade_1_2", "grade_3_4"])))


@st.composite
def albi_results(draw: st.DrawFn) -> AlbiResult:
    return albi(bilirubin=Quantity(draw(st.floats(2, 300)), "umol/L"),
                albumin=Quantity(draw(st.floats(15, 55)), "g/L"))


@st.composite
def bclc_results(draw: st.DrawFn) -> BclcResult:
    count = draw(st.integers(0, 6))
    return bclc_stage(ecog=draw(st.integers(0, 4)),
                      liver_function_preserved=draw(st.booleans()), nodule_count=count,
                      largest_nodule_cm=draw(st.floats(0.5, 12)) if count else 0.0,
                      macrovascular_invasion=draw(st.booleans()),
                      extrahepatic_spread=draw(st.booleans()),
                      ps_cancer_related=draw(st.booleans()),
                      child_pugh_class=draw(st.sampled_from([None, "A", "B", "C"])))


@given(result=st.one_of(child_pugh_results(), albi_results(), bclc_results()))
def test_results_round_trip_json_and_pickle(result: Any) -> None:
    """JSON -> object -> JSON gives the same text; pickle gives an equal object; and every
    code is in the catalogue."""
    text = to_json(result)
    assert to_json(from_json(type(result), text)) == text
    assert pickle.loads(pickle.dumps(result)) == result
    assert any(code_matches(result.code, pattern) for pattern in RESULT_CODES)
    assert result.reason and result.facts


def test_every_code_is_documented() -> None:
    """docs/clinical.md lists each result code with its meaning."""
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs" / "clinical.md").read_text(encoding="utf-8")
    assert [c for c in RESULT_CODES if f"| `{c}` | {RESULT_CODES[c]} |" not in text] == []
