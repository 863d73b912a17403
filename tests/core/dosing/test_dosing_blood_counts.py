"""BloodCounts is a view over lab results, graded by ``oncotrial.ctcae.grade_lab`` (CTCAE v5.0).

Dosing keeps no blood-count thresholds of its own: on a grid around every cut-off of the five
CTCAE v5.0 blood-count terms its grade is the CTCAE grade, except that grade 0 (which needs the
LLN) is counted as 1, since the dose rules treat 0 and 1 alike.
"""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.ctcae import grade_lab
from oncotrial.dosing import BloodCounts, CbcTerm
from oncotrial.errors import InputError
from oncotrial.records import Grade, LabResult

DAY = date(2026, 1, 5)
GRID = {  # term: (BloodCounts field, unit, a generous LLN, values around every cut-off)
    CbcTerm.NEUTROPHIL: ("anc_10e9_l", "10^9/L", 2.0,
                         [0.0, 0.2, 0.49, 0.5, 0.51, 0.99, 1.0, 1.01, 1.49, 1.5, 1.51, 2.5]),
    CbcTerm.PLATELET: ("platelets_10e9_l", "10^9/L", 150.0,
                       [1.0, 24.9, 25.0, 25.1, 49.9, 50.0, 50.1, 74.9, 75.0, 75.1, 200.0]),
    CbcTerm.WBC: ("wbc_10e9_l", "10^9/L", 4.0,
                  [0.5, 0.99, 1.0, 1.01, 1.99, 2.0, 2.01, 2.99, 3.0, 3.01, 6.0]),
    CbcTerm.LYMPHOCYTE: ("lymphocytes_10e9_l", "10^9/L", 1.0,
                         [0.1, 0.19, 0.2, 0.21, 0.49, 0.5, 0.51, 0.79, 0.8, 0.81, 2.0]),
    CbcTerm.ANEMIA: ("hemoglobin_g_l", "g/L", 120.0,
                     [50.0, 79.9, 80.0, 80.1, 99.9, 100.0, 100.1, 130.0]),
}
CASES = [(term, value) for term, spec in GRID.items() for value in spec[3]]


def _ctcae(term: CbcTerm, value: float, unit: str, lln: float | None) -> int | None:
    graded: object = grade_lab(term.value, value, unit, lln=lln)
    grade = getattr(graded, "grade", graded)
    return None if grade is None else int(grade)  # type: ignore[call-overload]


@pytest.mark.parametrize(("term", "value"), CASES, ids=[f"{t.value} {v}" for t, v in CASES])
def test_value_grade_is_the_ctcae_grade(term: CbcTerm, value: float) -> None:
    field, unit, lln, _ = GRID[term]
    ours = BloodCounts(DAY, **{field: value}).grade(term)
    theirs = _ctcae(term, value, unit, lln)
    assert ours is not None and theirs is not None
    assert int(ours) == max(theirs, 1)


@pytest.mark.parametrize(("term", "value"), CASES, ids=[f"{t.value} {v}" for t, v in CASES])
def test_lab_result_view_uses_the_reported_limits(term: CbcTerm, value: float) -> None:
    """From a LabResult with its LLN the grade is CTCAE's exactly (grade 0 still counted 1)."""
    _, unit, lln, _ = GRID[term]
    analyte = {CbcTerm.NEUTROPHIL: "anc", CbcTerm.PLATELET: "platelets", CbcTerm.WBC: "wbc",
               CbcTerm.LYMPHOCYTE: "lymphocytes", CbcTerm.ANEMIA: "hb"}[term]
    cbc = BloodCounts.from_labs([LabResult("001", analyte, value, unit, lln, None, DAY)])
    theirs = _ctcae(term, value, unit, lln)
    assert theirs is not None and cbc.grade(term) == Grade(max(theirs, 1))


def test_from_labs_takes_the_latest_count_in_any_unit() -> None:
    """ANC in /mm3 and haemoglobin in g/dL are graded in their own units (CTCAE v5.0)."""
    older, newer = date(2026, 1, 5), date(2026, 1, 19)
    cbc = BloodCounts.from_labs([
        LabResult("001", "anc", 400, "/mm3", 2000, 7500, older),
        LabResult("001", "neutrophils", 900, "/mm3", 2000, 7500, newer),
        LabResult("001", "hemoglobin", 7.9, "g/dL", 12.0, 16.0, newer),
        LabResult("001", "alt", 300, "U/L", None, 40, newer),
    ])
    assert cbc.collected_on == newer
    assert (cbc.grade(CbcTerm.NEUTROPHIL), cbc.grade(CbcTerm.ANEMIA)) == (Grade.G3, Grade.G3)
    assert cbc.grade(CbcTerm.PLATELET) is None


@pytest.mark.parametrize(("labs", "match"), [
    ([], "No blood-count result"),
    ([LabResult("001", "anc", 0.9, "10^9/L", None, None, DAY),
      LabResult("002", "platelets", 90, "10^9/L", None, None, DAY)], "belong to subjects"),
    ([LabResult("001", "anc", 0.9, "10^9/L", None, None, DAY),
      LabResult("001", "anc", 1.9, "10^9/L", None, None, DAY)], "Two neutrophils results"),
], ids=["no count", "two subjects", "two ANCs the same day"])
def test_from_labs_refuses_what_is_not_one_blood_count(labs: list[LabResult],
                                                        match: str) -> None:
    with pytest.raises(InputError, match=match):
        BloodCounts.from_labs(labs)


def test_a_count_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="both as anc_10e9_l and as a lab result"):
        BloodCounts(DAY, anc_10e9_l=1.0,
                    labs=(LabResult("001", "anc", 0.9, "10^9/L", None, None, DAY),))
