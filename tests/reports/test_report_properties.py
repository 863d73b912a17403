"""Invariants of the report at any cut-off: counts nest (treated within enrolled, grade 3 or
more within any grade, reasons add up), nothing exceeds its population, and a later cut-off
never has fewer subjects enrolled, treated or dead."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.context import TrialContext
from oncotrial.reports import Report, build_report
from oncotrial.study import StudyData

FIRST, LAST = date(2025, 12, 1), date(2026, 12, 31)
cutoffs = st.integers(0, (LAST - FIRST).days).map(lambda d: FIRST + timedelta(days=d))


def _n(report: Report, key: str, row: str, column: int = 1) -> int:
    value = report.table(key).cell(row, column)
    assert isinstance(value, int)
    return value


def _check(report: Report) -> None:
    enrolled = _n(report, "disposition", "Enrolled")
    treated = _n(report, "disposition", "Treated (at least one dose)")
    assert treated <= enrolled
    assert _n(report, "disposition", "Treatment ongoing at the cut-off") + _n(
        report, "disposition", "Treatment discontinued") == treated
    safety = report.table("teae_overview").columns[1].denominator
    assert safety == treated
    for key in ("teae_soc_pt", "related_teae_soc_pt", "serious_teae_soc_pt"):
        for row in report.table(key).rows:
            any_grade, high = row.cells[1], row.cells[2]
            assert isinstance(any_grade, int) and isinstance(high, int)
            assert 0 <= high <= any_grade <= treated
    overview = report.table("teae_overview")
    worst = sum(_n(report, "teae_overview", f"Grade {g}") for g in range(1, 6))
    assert worst == overview.cell("Any TEAE", 1)
    for row in report.table("bor").rows:
        assert row.level or row.cells[1] <= report.table("bor").columns[1].denominator  # type: ignore[operator]


@settings(max_examples=8, deadline=None)  # each example builds two reports (0.2 s each)
@given(first=cutoffs, second=cutoffs)
def test_counts_nest_and_grow_with_the_cut_off(study: StudyData, ctx: TrialContext,
                                               first: date, second: date) -> None:
    early, late = sorted((first, second))
    a = build_report(study, ctx, cutoff=early)
    b = build_report(study, ctx, cutoff=late)
    _check(a)
    _check(b)
    for row in ("Enrolled", "Treated (at least one dose)", "Died"):
        assert _n(a, "disposition", row) <= _n(b, "disposition", row)
