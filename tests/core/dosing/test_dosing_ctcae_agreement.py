"""The dosing package's CBC banding agrees with ``oncotrial.ctcae.grade_lab`` (CTCAE v5.0).

The dosing package bands CBC values itself so that it does not depend on the CTCAE package;
this test holds the two implementations together on a grid around every cut-off. Where the
CTCAE grade is 0 or 1 (it needs the LLN), dosing counts grade 1, the worse of the two.
"""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.dosing import BloodCounts, CbcTerm

ctcae = pytest.importorskip("oncotrial.ctcae")

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


@pytest.mark.parametrize(("term", "value"), CASES, ids=[f"{t.value} {v}" for t, v in CASES])
def test_dosing_band_agrees_with_ctcae_grade_lab(term: CbcTerm, value: float) -> None:
    field, unit, lln, _ = GRID[term]
    ours = BloodCounts(date(2026, 1, 5), **{field: value}).grade(term)
    theirs = ctcae.grade_lab(term.value, value, unit, lln=lln)
    if theirs is not None and theirs >= 2:
        assert ours == theirs
    else:
        assert ours == 1 and theirs in (0, 1)
