"""CTCAE v5.0 laboratory grading: boundaries, baseline rule, missing limits, units, flags.

Expected grades come from the text of NCI CTCAE v5.0 (27 Nov 2017), quoted in each case or in
``tests/vectors/ctcae/lab_boundaries.json``, and from the worked boundaries of
``docs/safety.md``; never from this code's output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.ctcae import (
    RESULT_CODES,
    Grade,
    LabFlag,
    derive_lab_grades,
    explain_lab_grade,
    grade_lab,
    grade_lab_result,
    grade_labs,
    lab_term,
    lab_terms,
)
from oncotrial.errors import ImplausibleValueError, InputError, UnitError, UnknownTermError
from oncotrial.records import LabResult, code_matches

VECTORS = Path(__file__).parents[2] / "vectors" / "ctcae" / "lab_boundaries.json"
BOUNDARIES: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
STEP = 1e-4  # relative distance of "just below" and "just above" a boundary

# The 40 terms of issue 5 (the ones pharmaverse admiral grades), spelled as in CTCAE v5.0.
ISSUE_TERMS = [
    "Acidosis", "Activated partial thromboplastin time prolonged",
    "Alanine aminotransferase increased", "Alkaline phosphatase increased", "Alkalosis",
    "Anemia", "Aspartate aminotransferase increased", "Blood bilirubin increased",
    "Blood lactate dehydrogenase increased", "CD4 lymphocytes decreased", "Cholesterol high",
    "CPK increased", "Creatinine increased", "Fibrinogen decreased", "GGT increased",
    "Haptoglobin decreased", "Hemoglobin increased", "Hypercalcemia", "Hypercalcemia (Ionized)",
    "Hyperkalemia", "Hypermagnesemia", "Hypernatremia", "Hypertriglyceridemia", "Hyperuricemia",
    "Hypoalbuminemia", "Hypocalcemia", "Hypocalcemia (Ionized)", "Hypoglycemia", "Hypokalemia",
    "Hypomagnesemia", "Hyponatremia", "INR increased", "Leukocytosis", "Lipase increased",
    "Lymphocyte count decreased", "Lymphocyte count increased", "Neutrophil count decreased",
    "Platelet count decreased", "Serum amylase increased", "White blood cell decreased",
]


def _case_id(case: dict[str, Any]) -> str:
    q = case.get("qualifier_present")
    qual = "" if q is None else (" qualifier present" if q else " qualifier absent")
    limits = ", ".join(f"{k} {case[k]:g}" for k in ("lln", "uln", "baseline")
                       if case[k] is not None)
    return f"{case['term']} at {case['boundary']:g} {case['unit']} ({limits}){qual}"


def test_every_issue_term_is_graded_and_has_boundary_vectors() -> None:
    """All 40 terms exist under their CTCAE v5.0 names, and every one has boundary vectors."""
    assert set(ISSUE_TERMS) <= set(lab_terms())
    assert {case["term"] for case in BOUNDARIES} == set(ISSUE_TERMS)


def test_every_term_with_units_is_tested_in_each_unit_system() -> None:
    """Each CTCAE-listed unit, and one non-listed unit of ratio terms, has vectors."""
    from oncotrial.clinical import normalise_unit

    tested: dict[str, set[str]] = {}
    for case in BOUNDARIES:
        tested.setdefault(case["term"], set()).add(str(normalise_unit(case["unit"])))
    # Ionised calcium: CTCAE v5.0 gives mmol/L only. APTT: seconds only. INR and pH: no unit.
    single = {"Hypercalcemia (Ionized)", "Hypocalcemia (Ionized)",
              "Activated partial thromboplastin time prolonged", "INR increased", "Acidosis",
              "Alkalosis"}
    for term in ISSUE_TERMS:
        listed = set(lab_term(term).units)
        assert listed <= tested[term], term
        if term not in single:
            assert len(tested[term]) >= 2, f"{term} is tested in one unit only"


@pytest.mark.parametrize("case", BOUNDARIES, ids=[_case_id(c) for c in BOUNDARIES])
def test_grade_at_and_on_both_sides_of_each_boundary(case: dict[str, Any]) -> None:
    """CTCAE v5.0 boundaries: the grade just below, at, and just above (source in the case)."""
    x = case["boundary"]
    kwargs = {k: case[k] for k in ("lln", "uln", "baseline")}
    q = case.get("qualifier_present")
    got = [grade_lab(case["term"], value, case["unit"], qualifier_present=q, **kwargs)
           for value in (x * (1 - STEP), x, x * (1 + STEP))]
    assert got == [case["below"], case["at"], case["above"]], case["source"]


def test_vectorised_grades_equal_the_scalar_grades_on_every_boundary_vector() -> None:
    """grade_labs gives exactly what grade_lab gives, row by row (mixed terms and units)."""
    rows = []
    for case in BOUNDARIES:
        for value in (case["boundary"] * (1 - STEP), case["boundary"],
                      case["boundary"] * (1 + STEP)):
            rows.append({**case, "value": value})
    frame = pd.DataFrame(rows)
    q = frame["qualifier_present"].astype("boolean") if "qualifier_present" in frame else None
    result = grade_labs(frame["term"], frame["value"], frame["unit"], lln=frame["lln"],
                        uln=frame["uln"], baseline=frame["baseline"], qualifier_present=q)
    expected = [case[side] for case in BOUNDARIES for side in ("below", "at", "above")]
    assert result.grade.tolist() == expected
    coded = grade_labs(frame["term"].astype("category"), frame["value"],
                       frame["unit"].astype("category"), lln=frame["lln"], uln=frame["uln"],
                       baseline=frame["baseline"], qualifier_present=q)
    assert coded.grade.tolist() == expected


# CTCAE v5.0 haematology boundaries, as worked in docs/safety.md ("Grading laboratory values").
SPEC_EXAMPLES = [
    ("Neutrophil count decreased", 1.0, "10^9/L", {"lln": 2.0}, 2, "ANC exactly 1.0 is grade 2"),
    ("Neutrophil count decreased", 0.5, "10^9/L", {"lln": 2.0}, 3, "ANC exactly 0.5 is grade 3"),
    ("Platelet count decreased", 50, "10^9/L", {"lln": 150}, 2, "PLT exactly 50 is grade 2"),
    ("Anemia", 80, "g/L", {"lln": 120}, 2, "Hb exactly 80 g/L is grade 2"),
    ("Neutrophil count decreased", 999, "/mm3", {"lln": 2000}, 3, "999/mm3 is <1000: grade 3"),
    ("Neutrophil count decreased", 1.0, "10^3/uL", {"lln": 2.0}, 2, "10^3/uL is 10^9/L"),
    ("Neutrophil count decreased", 1.4, "10^9/L", {}, 2, "grade 2 and worse need no LLN"),
    ("Neutrophil count decreased", 1.4, "10^9/L", {"lln": 1.2}, 2,
     "CTCAE grade 2 '<1.5 - 1.0' does not depend on the LLN"),
]


@pytest.mark.parametrize(("term", "value", "unit", "limits", "expected", "why"), SPEC_EXAMPLES,
                         ids=[c[5] for c in SPEC_EXAMPLES])
def test_worked_boundary_examples_of_the_trial_spec(
    term: str, value: float, unit: str, limits: dict[str, float], expected: int, why: str
) -> None:
    """The boundary examples of docs/safety.md: exactly as the CTCAE v5.0 text is written."""
    assert grade_lab(term, value, unit, **limits) == expected, why


# --- liver tests: CTCAE v5.0 baseline rule ------------------------------------------------

LIVER = [
    # term, value, uln, baseline, expected, why
    ("Alanine aminotransferase increased", 140, 40, 100, 0,
     "abnormal baseline: 1.0-1.5 x baseline meets no grade (the published gap)"),
    ("Alanine aminotransferase increased", 140, 40, 30, 2,
     "normal baseline: 140 is 3.5 x ULN, grade 2 '>3.0 - 5.0 x ULN'"),
    ("Aspartate aminotransferase increased", 500, 40, 100, 2,
     "abnormal baseline: 500 is 5.0 x baseline, still grade 2 '>3.0 - 5.0 x baseline'"),
    ("Aspartate aminotransferase increased", 500, 40, 40, 3,
     "baseline equal to ULN is normal: 500 is 12.5 x ULN, grade 3"),
    ("Alkaline phosphatase increased", 399, 120, 200, 0,
     "abnormal baseline: below 2.0 x baseline meets no grade"),
    ("GGT increased", 400, 60, 200, 1, "abnormal baseline: '2.0 - 2.5 x baseline' includes 2.0"),
    ("Blood bilirubin increased", 31, 21, 30, 1,
     "abnormal baseline: bilirubin grade 1 starts just above baseline (no gap)"),
    ("Blood bilirubin increased", 20, 21, 30, 0, "below baseline: no grade"),
]


@pytest.mark.parametrize(("term", "value", "uln", "baseline", "expected", "why"), LIVER,
                         ids=[c[5] for c in LIVER])
def test_liver_baseline_rule(
    term: str, value: float, uln: float, baseline: float, expected: int, why: str
) -> None:
    """CTCAE v5.0: multiples of ULN if baseline was normal, of baseline if it was abnormal."""
    result = explain_lab_grade(term, value, "U/L" if term != "Blood bilirubin increased"
                               else "umol/L", uln=uln, baseline=baseline)
    assert result.grade == expected, why
    assert LabFlag.BASELINE_ASSUMED_NORMAL not in result.flags
    assert result.code == f"ctcae.grade.{expected}"


def test_liver_without_baseline_uses_uln_and_flags_it() -> None:
    """No baseline: the ULN rule (never a lower grade than the baseline rule), flagged."""
    result = explain_lab_grade("Alanine aminotransferase increased", 130, "U/L", uln=40)
    assert result.grade == 2
    assert result.flags == (LabFlag.INVESTIGATOR_MUST_CONFIRM, LabFlag.BASELINE_ASSUMED_NORMAL)
    assert "no baseline" in result.reason.lower()


# --- cannot grade, grade 0 ----------------------------------------------------------------

CANNOT = [
    ("Neutrophil count decreased", 1.6, "10^9/L", {}, "lln",
     "1.6 could be grade 0 or 1 without LLN"),
    ("Alanine aminotransferase increased", 130, "U/L", {"baseline": 30},
     "uln", "ALT criteria are multiples of ULN"),
    ("Alanine aminotransferase increased", 130, "U/L", {"baseline": 100},
     "uln", "whether baseline 100 is abnormal needs ULN"),
    ("Hypokalemia", 3.2, "mmol/L", {}, "lln", "3.2 could be grade 0, 1 or 2"),
    ("Creatinine increased", 5.0, "mg/dL", {"baseline": 1.0}, "uln",
     "grade 4 '>6.0 x ULN' needs ULN"),
]


@pytest.mark.parametrize(("term", "value", "unit", "limits", "needed", "why"), CANNOT,
                         ids=[c[5] for c in CANNOT])
def test_cannot_grade_without_a_limit_that_could_change_the_grade(
    term: str, value: float, unit: str, limits: dict[str, float], needed: str, why: str
) -> None:
    """Missing limit: grade None, the code naming the limit to enter; never a guess."""
    result = explain_lab_grade(term, value, unit, **limits)
    assert result.grade is None, why
    assert not result.graded
    assert result.code == f"ctcae.not_graded.needs_{needed}"
    words = {"lln": "lower limit of normal", "uln": "upper limit of normal"}[needed]
    assert words in result.reason


def test_grade_zero_is_distinct_from_not_graded() -> None:
    """A normal ANC is grade 0; a missing value is None."""
    assert grade_lab("Neutrophil count decreased", 2.5, "10^9/L", lln=2.0) == 0
    assert grade_lab("Neutrophil count decreased", None, "10^9/L", lln=2.0) is None
    assert grade_lab("Neutrophil count decreased", float("nan"), "10^9/L", lln=2.0) is None
    missing = explain_lab_grade("Neutrophil count decreased", float("nan"), "10^9/L", lln=2.0)
    assert (missing.code, missing.value) == ("ctcae.not_graded.no_value", None)
    assert explain_lab_grade("Neutrophil count decreased", 2.5, "10^9/L",
                             lln=2.0).code == "ctcae.grade.0"


def test_hyperglycemia_is_not_graded_from_a_value() -> None:
    """CTCAE v5.0 term Hyperglycemia is graded by the intervention it needs, not by glucose."""
    result = explain_lab_grade("Hyperglycemia", 25.0, "mmol/L")
    assert result.grade is None
    assert result.code == "ctcae.not_graded.clinical_only"
    assert "intervention" in result.reason


# --- worst case for what a value cannot show ------------------------------------------------

WORST = [
    # term, value, unit, limits, worst grade, grade if the qualifier is absent
    ("Lipase increased", 150, "U/L", {"uln": 60}, 3, 2),
    ("Serum amylase increased", 400, "U/L", {"uln": 100}, 3, 2),
    ("Lipase increased", 301, "U/L", {"uln": 60}, 4, 3),
    ("Hyperuricemia", 500, "umol/L", {"uln": 420}, 3, 1),
    ("Hypokalemia", 3.2, "mmol/L", {"lln": 3.5}, 2, 1),
    ("Hyponatremia", 128, "mmol/L", {"lln": 135}, 3, 2),
    ("INR increased", 1.4, "INR", {"baseline": 0.9}, 2, 1),
]


@pytest.mark.parametrize(("term", "value", "unit", "limits", "worst", "absent"), WORST,
                         ids=[f"{c[0]} {c[1]}" for c in WORST])
def test_unknown_qualifier_takes_the_worst_case_and_asks_the_investigator(
    term: str, value: float, unit: str, limits: dict[str, float], worst: int, absent: int
) -> None:
    """Symptoms / anticoagulation unknown: worst case (as admiral), flagged for confirmation."""
    result = explain_lab_grade(term, value, unit, **limits)
    assert (result.grade, result.grade_if_qualifier_absent) == (worst, absent)
    assert {LabFlag.WORST_CASE_ASSUMED, LabFlag.INVESTIGATOR_MUST_CONFIRM} <= set(result.flags)
    assert result.needs_confirmation
    assert grade_lab(term, value, unit, qualifier_present=False, **limits) == absent
    assert grade_lab(term, value, unit, qualifier_present=True, **limits) == worst


def test_no_worst_case_flag_when_the_qualifier_cannot_change_the_grade() -> None:
    """Sodium 118 is grade 4 whatever the symptoms: no flag."""
    result = explain_lab_grade("Hyponatremia", 118, "mmol/L", lln=135)
    assert result.grade == 4
    assert result.flags == ()


def test_creatinine_without_baseline_flags_the_criterion_not_applied() -> None:
    """CTCAE grade 2 is '>1.5 - 3.0 x baseline; >1.5 - 3.0 x ULN': without a baseline, flag."""
    result = explain_lab_grade("Creatinine increased", 1.4, "mg/dL", uln=1.2)
    assert result.grade == 1
    assert LabFlag.BASELINE_CRITERION_NOT_APPLIED in result.flags
    assert grade_lab("Creatinine increased", 1.4, "mg/dL", uln=1.2, baseline=0.8) == 2


# --- units and bad input --------------------------------------------------------------------

UNITS = [
    ("Hyponatremia", 128, "mEq/L", {"lln": 135}, 2, "mEq/L is mmol/L for sodium"),
    ("Platelet count decreased", 60, "K/uL", {"lln": 150}, 2, "K/uL is 10^9/L"),
    ("Hemoglobin increased", 12.5, "mmol/L", {"uln": 10.6}, 2,
     "12.5 and 10.6 mmol/L are 201.4 and 170.8 g/L: 30.6 g/L above ULN is grade 2"),
    ("Hypoglycemia", 54.9, "mg/dL", {"lln": 70}, 2, "CTCAE mg/dL edge 55 applies in mg/dL"),
    ("Hypoglycemia", 3.05, "mmol/L", {"lln": 3.9}, 1, "CTCAE mmol/L edge 3.0 applies in mmol/L"),
    ("Hypercalcemia (Ionized)", 6.5, "mg/dL", {"uln": 5.3}, 3,
     "6.5 mg/dL x 0.2495 = 1.62 mmol/L: grade 3 '>1.6 - 1.8 mmol/L'"),
]


@pytest.mark.parametrize(("term", "value", "unit", "limits", "expected", "why"), UNITS,
                         ids=[c[5] for c in UNITS])
def test_units_convert_through_oncotrial_clinical(
    term: str, value: float, unit: str, limits: dict[str, float], expected: int, why: str
) -> None:
    """Other units of the analyte are converted to a CTCAE-listed unit before grading."""
    qualifier = False if term == "Hyponatremia" else None
    assert grade_lab(term, value, unit, qualifier_present=qualifier, **limits) == expected, why


def test_a_unit_that_does_not_fit_the_analyte_is_refused_with_the_accepted_units() -> None:
    """ALT in mmol/L is a unit mistake: UnitError naming the units to use."""
    with pytest.raises(UnitError, match="U/L"):
        grade_lab("Alanine aminotransferase increased", 100, "mmol/L", uln=40)


def test_an_unknown_term_suggests_the_ctcae_spelling() -> None:
    """A misspelt term is refused with the closest CTCAE v5.0 names."""
    with pytest.raises(UnknownTermError, match="Neutrophil count decreased"):
        grade_lab("Neutrophil count decrease", 1.0, "10^9/L")
    assert grade_lab("neutrophil  COUNT decreased", 1.0, "10^9/L") == 2


@pytest.mark.parametrize(
    ("value", "limits", "error", "field"),
    [(-0.1, {"lln": 2.0}, ImplausibleValueError, "value"),
     (1.0, {"lln": -2.0}, ImplausibleValueError, "lln"),
     (1.0, {"lln": 4.0, "uln": 2.0}, InputError, "lln"),
     ("1.0", {}, InputError, "value"), (1.0, {"lln": "2"}, InputError, "lln"),
     (float("inf"), {"lln": 2.0}, ImplausibleValueError, "value")],
    ids=["negative count", "negative LLN", "LLN above ULN", "text instead of a number",
         "text LLN", "infinite value"],
)
def test_impossible_input_is_refused(value: Any, limits: dict[str, Any],
                                     error: type[Exception], field: str) -> None:
    """Impossible values and limits raise an error a clinician can act on, naming the item."""
    with pytest.raises(error) as info:
        grade_lab("Neutrophil count decreased", value, "10^9/L", **limits)
    assert info.value.field == field  # type: ignore[attr-defined]


IMPLAUSIBLE = [
    # value, limits, the offending item, its words in the message, numbers that must not appear
    (-0.5, {"lln": 1.8, "uln": 7.5}, "value", "the value -0.5", ["1.8", "7.5"]),
    (0.9, {"lln": -1.8, "uln": 7.5}, "lln", "lower limit of normal (LLN) -1.8", ["0.9", "7.5"]),
    (0.9, {"lln": 1.8, "uln": 7500.0}, "uln", "upper limit of normal (ULN) 7500", ["0.9", "1.8"]),
    (0.9, {"lln": 1.8, "baseline": -1.0}, "baseline", "baseline value -1", ["0.9", "1.8"]),
]


@pytest.mark.parametrize(("value", "limits", "item", "words", "absent"), IMPLAUSIBLE,
                         ids=[c[2] for c in IMPLAUSIBLE])
def test_an_implausible_value_error_names_only_the_offending_item(
    value: float, limits: dict[str, float], item: str, words: str, absent: list[str]
) -> None:
    """Clinical correction (issue 10): an impossible number is refused naming that number alone.

    Rule: when the value, the LLN, the ULN or the baseline is physically impossible for the
    analyte, the error's ``field`` is that item and its message quotes that item and its number,
    not the other numbers of the result, so the site corrects the right entry.
    """
    with pytest.raises(ImplausibleValueError) as info:
        grade_lab("Neutrophil count decreased", value, "10^9/L", **limits)
    error = info.value
    assert error.field == item
    assert words in error.message
    assert "not physically possible" in error.message
    for other in absent:
        assert other not in str(error)


# --- vectorised -----------------------------------------------------------------------------


def test_vectorised_grading_marks_bad_rows_without_stopping() -> None:
    """Unknown term, wrong unit, impossible value, missing limit: status per row."""
    result = grade_labs(
        ["Neutrophil count decreased", "Nonsense", "Alanine aminotransferase increased",
         "Neutrophil count decreased", "Neutrophil count decreased"],
        [0.9, 1.0, 100, -1.0, 1.7], ["10^9/L", "10^9/L", "mmol/L", "10^9/L", "10^9/L"],
        lln=[2.0, 2.0, None, 2.0, None], uln=[None, None, 40, None, None])
    assert result.grade.tolist() == [3, -1, -1, -1, -1]
    assert [result.code_of(i) for i in range(5)] == [
        "ctcae.grade.3", "ctcae.not_graded.unknown_term", "ctcae.not_graded.unit_not_accepted",
        "ctcae.not_graded.implausible_value", "ctcae.not_graded.needs_lln"]
    assert [result.status_text(i) for i in range(5)] == [
        "graded", "unknown term", "unit not accepted", "implausible value", "needs LLN"]


def test_vectorised_grading_names_the_impossible_item_per_row() -> None:
    """Batch grading marks which number is impossible: value, LLN, ULN or baseline."""
    result = grade_labs("Neutrophil count decreased", [-1.0, 0.9, 0.9, 0.9, 0.9, -1.0],
                        "10^9/L", lln=[2.0, -2.0, 2.0, 2.0, 4.0, -2.0],
                        uln=[7.5, 7.5, 7500.0, 7.5, 3.0, 7.5],
                        baseline=[None, None, None, -1.0, None, None])
    assert [result.code_of(i) for i in range(6)] == [
        "ctcae.not_graded.implausible_value", "ctcae.not_graded.implausible_lln",
        "ctcae.not_graded.implausible_uln", "ctcae.not_graded.implausible_baseline",
        "ctcae.not_graded.lln_above_uln", "ctcae.not_graded.implausible_value"]
    assert result.grade.tolist() == [-1] * 6
    assert result.to_frame()["code"].tolist() == [result.code_of(i) for i in range(6)]


def test_derive_lab_grades_adds_nullable_grade_columns() -> None:
    """A DataFrame in, the same rows out with ctcae_grade (Int8, <NA> when not graded)."""
    frame = pd.DataFrame({"term": ["Anemia", "Anemia", "Lipase increased"],
                          "value": [79.0, np.nan, 150.0], "unit": ["g/L", "g/L", "U/L"],
                          "lln": [120.0, 120.0, np.nan], "uln": [np.nan, np.nan, 60.0]})
    out = derive_lab_grades(frame)
    assert out["ctcae_grade"].tolist()[0] == 3
    assert out["ctcae_grade"].isna().tolist() == [False, True, False]
    assert out["ctcae_grade_if_qualifier_absent"].tolist()[2] == 2
    assert out["ctcae_needs_confirmation"].tolist() == [False, False, True]
    assert out["ctcae_code"].tolist() == ["ctcae.grade.3", "ctcae.not_graded.no_value",
                                          "ctcae.grade.3"]
    assert list(frame.columns) == ["term", "value", "unit", "lln", "uln"]  # input untouched


# --- properties -------------------------------------------------------------------------------

def _limits_for(term: str) -> tuple[str, dict[str, float]]:
    case = next(c for c in BOUNDARIES if c["term"] == term)
    return case["unit"], {k: case[k] for k in ("lln", "uln", "baseline") if case[k] is not None}


@given(term=st.sampled_from(ISSUE_TERMS), a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0),
       scale=st.sampled_from([0.5, 1.0, 2.0, 10.0, 30.0]), qualifier=st.sampled_from(
           [None, True, False]))
def test_grade_is_monotone_in_the_value(term: str, a: float, b: float, scale: float,
                                        qualifier: bool | None) -> None:
    """With fixed limits, a value further in the term's direction never gets a milder grade."""
    unit, limits = _limits_for(term)
    reference = next(c for c in BOUNDARIES if c["term"] == term)["boundary"]
    low, high = sorted((a, b))
    lt = lab_term(term)
    low_v, high_v = low * scale * reference, high * scale * reference
    if lt.analyte == "ph":  # pH lives in a narrow band around 7.4
        low_v, high_v = 6.8 + low, 6.8 + high
    try:
        g_low = grade_lab(term, low_v, unit, qualifier_present=qualifier, **limits)
        g_high = grade_lab(term, high_v, unit, qualifier_present=qualifier, **limits)
    except ImplausibleValueError:
        return  # outside the physically possible range of the analyte
    if g_low is None or g_high is None:
        return
    if lt.direction == "high":
        assert g_high >= g_low
    else:
        assert g_low >= g_high


def test_boundary_vectors_cover_every_threshold_of_the_criteria_data() -> None:
    """Completeness: each number in ctcae_v5_labs.json is a tested boundary of its term.

    Absolute thresholds must be tested in each CTCAE-listed unit; multiples of a limit must be
    tested at that multiple of the limit used in some vector of the term.
    """
    from oncotrial.clinical import normalise_unit

    untested = []
    for name in ISSUE_TERMS:
        lt = lab_term(name)
        cases = [c for c in BOUNDARIES if c["term"] == name]
        for c in lt.criteria:
            if c.abs_by_unit is not None:
                for unit, x in c.abs_by_unit.items():
                    hit = any(normalise_unit(case["unit"]) == unit
                              and abs(case["boundary"] - x) <= 1e-9 * x for case in cases)
                    if not hit:
                        untested.append(f"{name}: {c.text} in {unit}")
            else:
                assert c.ref is not None
                hit = False
                for case in cases:
                    ref = case[c.ref]
                    if ref is None:
                        continue
                    x = ref * c.factor
                    if c.offset_by_unit:
                        x += c.offset_by_unit.get(str(normalise_unit(case["unit"])), 0.0)
                    hit = hit or abs(case["boundary"] - x) <= 1e-9 * abs(x)
                if not hit:
                    untested.append(f"{name}: {c.text}")
    assert untested == []


@given(
    term=st.sampled_from(ISSUE_TERMS),
    value=st.floats(0.01, 3.0),
    lln_on=st.booleans(), uln_on=st.booleans(), base=st.sampled_from([None, 0.5, 1.0, 2.0]),
    qualifier=st.sampled_from([None, True, False]),
)
def test_vectorised_and_scalar_grading_agree_on_random_inputs(
    term: str, value: float, lln_on: bool, uln_on: bool, base: float | None,
    qualifier: bool | None,
) -> None:
    """grade_labs (one row) gives what grade_lab gives, including "cannot grade"."""
    unit, limits = _limits_for(term)
    ref = next(c for c in BOUNDARIES if c["term"] == term)["boundary"]
    lln = limits.get("lln", 0.8 * ref) if lln_on else None
    uln = limits.get("uln", 1.2 * ref) if uln_on else None
    if lln is not None and uln is not None and lln > uln:
        lln, uln = uln, lln
    x = 6.8 + value / 3 if lab_term(term).analyte == "ph" else value * ref
    b = None if base is None else base * ref
    try:
        scalar = grade_lab(term, x, unit, lln=lln, uln=uln, baseline=b,
                           qualifier_present=qualifier)
    except (ImplausibleValueError, InputError):
        return
    vector = grade_labs([term], [x], [unit], lln=[lln], uln=[uln], baseline=[b],
                        qualifier_present=[qualifier])
    assert vector.grade.tolist() == [-1 if scalar is None else scalar]


def test_criteria_data_file_is_well_formed() -> None:
    """Every criterion: grade 1-4, a known operator, one kind of threshold, known refs."""
    from oncotrial.clinical import ANALYTES

    for name in lab_terms():
        lt = lab_term(name)
        assert lt.analyte in ANALYTES, name
        assert lt.direction in ("low", "high"), name
        if lt.not_gradable:
            assert lt.criteria == ()
            continue
        grades = [c.grade for c in lt.criteria]
        assert grades == sorted(grades, reverse=True), f"{name}: criteria not highest first"
        for c in lt.criteria:
            assert 1 <= c.grade <= 4, name
            assert c.op in ("<", "<=", ">", ">="), name
            assert (c.abs_by_unit is None) != (c.ref is None), f"{name}: {c.text}"
            assert c.ref in (None, "lln", "uln", "baseline"), name
            assert c.when in (None, "baseline_normal", "baseline_abnormal", "value_abnormal")
            if c.abs_by_unit is not None:
                assert set(c.abs_by_unit) == set(lt.units), f"{name}: {c.text}"
            if c.qualifier:
                assert lt.qualifier, name
            # A "decreased" term's thresholds are upper bounds ("<"), an "increased" one's lower.
            assert c.op.startswith("<" if lt.direction == "low" else ">"), f"{name}: {c.text}"


# --- blood-count bands: the one implementation dosing calls -------------------------------

# CTCAE v5.0 term Neutrophil count decreased: G1 <LLN - 1500/mm3 (<LLN - 1.5 x 10^9/L),
# G2 <1500 - 1000/mm3, G3 <1000 - 500/mm3, G4 <500/mm3. "<1.5 - 1.0" means 1.0 <= ANC < 1.5,
# so each edge belongs to the milder grade. LLN 2.0 x 10^9/L (2000/mm3).
ANC_EDGES = [(3.0, 0), (2.0, 0), (1.99, 1), (1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3), (0.5, 3),
             (0.49, 4), (0.0, 4)]
# CTCAE v5.0 term Platelet count decreased: G1 <LLN - 75,000/mm3 (<LLN - 75.0 x 10^9/L),
# G2 <75,000 - 50,000/mm3, G3 <50,000 - 25,000/mm3, G4 <25,000/mm3. LLN 150 x 10^9/L.
PLT_EDGES = [(200.0, 0), (150.0, 0), (149.0, 1), (75.0, 1), (74.9, 2), (50.0, 2), (49.9, 3),
             (25.0, 3), (24.9, 4), (0.0, 4)]
BANDS = (
    [("Neutrophil count decreased", x, "10^9/L", 2.0, g) for x, g in ANC_EDGES]
    + [("Neutrophil count decreased", x * 1000, "/mm3", 2000.0, g) for x, g in ANC_EDGES]
    + [("Neutrophil count decreased", x, "10^3/uL", 2.0, g) for x, g in ANC_EDGES]
    + [("Platelet count decreased", x, "10^9/L", 150.0, g) for x, g in PLT_EDGES]
    + [("Platelet count decreased", x * 1000, "cells/uL", 150000.0, g) for x, g in PLT_EDGES]
)


@pytest.mark.parametrize(("term", "value", "unit", "lln", "expected"), BANDS,
                         ids=[f"{b[0]} {b[1]:g} {b[2]}" for b in BANDS])
def test_blood_count_bands_at_every_edge(term: str, value: float, unit: str, lln: float,
                                         expected: int) -> None:
    """CTCAE v5.0 ANC and platelet bands at and either side of every edge, in each unit.

    The dose-modification rules call grade_lab for these two terms, so this is the one place
    the haematology bands live.
    """
    got = grade_lab(term, value, unit, lln=lln, uln=None, baseline=None)
    assert got == expected
    assert isinstance(got, Grade)
    assert grade_labs(term, [value], unit, lln=lln).grade.tolist() == [expected]


@pytest.mark.parametrize(("value", "expected"), [(1.45, 2), (1.2, 2), (1.19, 2), (1.0, 2)])
def test_anc_with_an_lln_below_1_5_follows_the_ctcae_text(value: float, expected: int) -> None:
    """CTCAE v5.0 Neutrophil count decreased, grade 2 is '<1.5 - 1.0 x 10^9/L' whatever the LLN.

    With a local LLN of 1.2, an ANC of 1.45 is not below the LLN but is below 1.5: grade 2
    (docs/safety.md, "One decision the specification leaves open").
    """
    assert grade_lab("Neutrophil count decreased", value, "10^9/L", lln=1.2) == expected


def test_anc_and_platelets_without_an_lln_are_graded_only_where_the_lln_cannot_matter() -> None:
    """Grades 2-4 are absolute; grade 0 vs 1 needs the LLN (CTCAE v5.0 '<LLN')."""
    assert grade_lab("Neutrophil count decreased", 1.49, "10^9/L") == 2
    assert grade_lab("Neutrophil count decreased", 1.5, "10^9/L") is None
    assert grade_lab("Platelet count decreased", 74.9, "10^9/L") == 2
    assert grade_lab("Platelet count decreased", 75.0, "10^9/L") is None


# --- grading a stored LabResult ------------------------------------------------------------

DAY = dt.date(2026, 3, 15)


def _result(analyte: str, value: float, unit: str, lln: float | None,
            uln: float | None) -> LabResult:
    return LabResult("HCH-001", analyte, value, unit, lln, uln, DAY)


def test_grade_lab_result_looks_the_term_up_from_the_analyte() -> None:
    """ANC 0.9 x 10^9/L: CTCAE v5.0 Neutrophil count decreased grade 3 ('<1.0 - 0.5')."""
    graded = grade_lab_result(_result("anc", 0.9, "10^9/L", 2.0, 7.5))
    assert (graded.term, graded.grade, graded.code) == (
        "Neutrophil count decreased", Grade.G3, "ctcae.grade.3")
    assert graded.facts["subject_id"] == "HCH-001"
    assert graded.facts["collected_on"] == "2026-03-15"
    assert graded.facts["threshold"] == 1.0 and graded.facts["lln"] == 2.0
    explicit = grade_lab_result(_result("platelets", 40.0, "10^9/L", 150.0, 400.0),
                                "Platelet count decreased")
    assert explicit.code == "ctcae.grade.3"


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "lln", "uln", "term", "code"),
    [("potassium", 6.2, "mmol/L", 3.5, 5.1, "Hyperkalemia", "ctcae.grade.3"),
     ("potassium", 2.4, "mmol/L", 3.5, 5.1, "Hypokalemia", "ctcae.grade.4"),
     ("potassium", 4.2, "mmol/L", 3.5, 5.1, "Hyperkalemia", "ctcae.grade.0"),
     ("hemoglobin", 75.0, "g/L", 120.0, 160.0, "Anemia", "ctcae.grade.3"),
     ("hemoglobin", 140.0, "g/L", 120.0, None, "Hemoglobin increased",
      "ctcae.not_graded.needs_uln"),
     ("glucose", 2.0, "mmol/L", 3.9, 6.1, "Hypoglycemia", "ctcae.grade.3"),
     ("glucose", 20.0, "mmol/L", 3.9, 6.1, "Hyperglycemia", "ctcae.not_graded.clinical_only")],
    ids=["K 6.2: hyperkalemia G3 '>6.0 - 7.0'", "K 2.4: hypokalemia G4 '<2.5'",
         "K normal: grade 0", "Hb 75 g/L: anemia G3 '<80 g/L'",
         "Hb without ULN: cannot rule out 'Hemoglobin increased'",
         "glucose 2.0: hypoglycemia G3 '<2.2 - 1.7 mmol/L'",
         "glucose 20: hyperglycemia is graded clinically"],
)
def test_an_analyte_with_two_terms_reports_the_abnormal_one(
    analyte: str, value: float, unit: str, lln: float, uln: float | None, term: str, code: str
) -> None:
    """Potassium, haemoglobin, glucose: graded under each CTCAE v5.0 term of the analyte."""
    graded = grade_lab_result(_result(analyte, value, unit, lln, uln))
    assert (graded.term, graded.code) == (term, code)


def test_grade_lab_result_refuses_unknown_analytes_with_a_lookup_error() -> None:
    """An unknown analyte, or one no CTCAE term grades, is an UnknownTermError (never KeyError)."""
    with pytest.raises(UnknownTermError) as info:
        grade_lab_result(_result("afp", 10.0, "ng/mL", None, 8.0))
    assert isinstance(info.value, LookupError) and not isinstance(info.value, KeyError)
    assert "No CTCAE v5.0 term" in str(info.value)
    with pytest.raises(UnknownTermError):
        grade_lab_result(_result("anc", 1.0, "10^9/L", 2.0, 7.5), "Neutropenia")


def test_every_lab_code_is_in_the_catalogue() -> None:
    """Each code a LabGrade or a batch row can carry is listed in RESULT_CODES."""
    codes = {explain_lab_grade(c["term"], c["boundary"], c["unit"],
                               **{k: c[k] for k in ("lln", "uln", "baseline")}).code
             for c in BOUNDARIES}
    batch = grade_labs(["Nonsense", "Anemia", "Anemia", "Anemia", "Anemia", "Anemia", "Anemia",
                        "Hyperglycemia", "Alanine aminotransferase increased",
                        "Creatinine increased"],
                       [1.0, None, -1.0, 90.0, 90.0, 90.0, 90.0, 20.0, 100.0, 1.0],
                       ["g/L", "g/L", "g/L", "mmol/L/s", "g/L", "g/L", "g/L", "mmol/L", "U/L",
                        "mg/dL"],
                       lln=[120, 120, 120, 120, -1, 120, 130, None, None, None],
                       uln=[None, None, None, None, None, 2000, 100, None, None, 1.2],
                       baseline=[None] * 9 + [-1.0])
    codes |= {batch.code_of(i) for i in range(len(batch))}
    codes |= {explain_lab_grade("Creatinine increased", 5.0, "mg/dL", baseline=1.0).code,
              explain_lab_grade("Neutrophil count decreased", 1.6, "10^9/L").code}
    unlisted = [c for c in codes if not any(code_matches(c, p) for p in RESULT_CODES)]
    assert unlisted == []
    assert {c for c in RESULT_CODES if c.startswith("ctcae.grade.")
            or c.startswith("ctcae.not_graded.")} - codes <= {"ctcae.not_graded.needs_baseline"}
