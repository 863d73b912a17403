"""What the tables read, derived once: cycles from dosing stretches, the diary the exposure
summary reads, adverse events as known at the cut-off, and cell formatting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import UnknownTermError
from oncotrial.records import AdverseEvent, DosingRecord, Grade, Outcome, SeriousCriterion
from oncotrial.reports import format_cell
from oncotrial.reports.inputs import count_cycles, diary_from_dosing, truncate_adverse_event
from oncotrial.reports.model import _WRITERS, KINDS

D0 = date(2026, 1, 5)
FAR = date(2030, 1, 1)


def _d(offset: int) -> date:
    return D0 + timedelta(days=offset)


def _stretch(start: int, end: int, dose: float = 125) -> DosingRecord:
    return DosingRecord("S1", _d(start), _d(end), dose)


# Palbociclib 125 mg days 1-21 of 28-day cycles (IBRANCE USPI section 2.1).
CYCLES = [  # stretches, cut-off offset or None, expected cycles, why
    ([], None, 0, "never dosed"),
    ([_stretch(0, 20)], None, 1, "one cycle of 21 days"),
    ([_stretch(0, 20), _stretch(28, 48)], None, 2, "two cycles with the week off between"),
    ([_stretch(0, 20), _stretch(28, 34, 0), _stretch(35, 55)], None, 2,
     "cycle 2 delayed a week, the delay recorded as a hold"),
    ([_stretch(0, 9), _stretch(10, 13, 0), _stretch(14, 20)], None, 1,
     "a hold within cycle 1 does not start a cycle"),
    ([_stretch(0, 20), _stretch(28, 48, 100)], None, 2, "cycle 2 at a reduced dose"),
    ([_stretch(0, 83)], None, 3, "84 days without the days off: three cycle lengths"),
    ([_stretch(0, 20), _stretch(28, 48)], 27, 1, "cycle 2 starts after the cut-off"),
    ([_stretch(0, 6, 0), _stretch(7, 27)], None, 1, "a hold before the first dose"),
]


@pytest.mark.parametrize(("rows", "cut", "expected", "why"), CYCLES, ids=[c[3] for c in CYCLES])
def test_count_cycles(rows: list[DosingRecord], cut: int | None, expected: int, why: str) -> None:
    cutoff = FAR if cut is None else _d(cut)
    assert count_cycles(rows, cycle_length_days=28, cutoff=cutoff) == expected


@st.composite
def dosing_stretches(draw: st.DrawFn) -> list[DosingRecord]:
    """Non-overlapping stretches of 1-40 days at 0, 75, 100 or 125 mg with gaps of 0-10 days."""
    rows, day = [], 0
    for _ in range(draw(st.integers(0, 8))):
        day += draw(st.integers(0, 10))
        length = draw(st.integers(1, 40))
        rows.append(_stretch(day, day + length - 1, draw(st.sampled_from([0, 75, 100, 125]))))
        day += length
    return rows


@given(rows=dosing_stretches(), cut=st.integers(0, 400))
def test_cycles_never_exceed_the_dosing_days(rows: list[DosingRecord], cut: int) -> None:
    """At most one cycle a dosing day, at least one when any dose was taken by the cut-off,
    and never fewer with a later cut-off."""
    cutoff = _d(cut)
    diary = diary_from_dosing(rows, cutoff=cutoff)
    taken = sum(1 for e in diary if e.taken_mg > 0)
    cycles = count_cycles(rows, cycle_length_days=28, cutoff=cutoff)
    assert cycles <= taken
    assert (cycles >= 1) == (taken >= 1)
    assert count_cycles(rows, cycle_length_days=28, cutoff=cutoff + timedelta(days=30)) >= cycles


@given(rows=dosing_stretches(), cut=st.integers(0, 400))
def test_diary_has_one_entry_a_recorded_day_up_to_the_cut_off(rows: list[DosingRecord],
                                                               cut: int) -> None:
    cutoff = _d(cut)
    diary = diary_from_dosing(rows, cutoff=cutoff)
    days = [e.day for e in diary]
    assert days == sorted(set(days))
    assert all(day <= cutoff for day in days)
    assert len(days) == sum(max(0, (min(r.end_on, cutoff) - r.start_on).days + 1) for r in rows)
    for e in diary:
        assert e.held == (e.taken_mg == 0)
        assert e.prescribed_mg >= 0


def test_a_hold_keeps_the_dose_before_it_so_it_is_no_reduction() -> None:
    diary = diary_from_dosing([_stretch(0, 1), _stretch(2, 3, 0), _stretch(4, 5)], cutoff=FAR)
    assert [e.prescribed_mg for e in diary] == [125] * 6
    assert [e.held for e in diary] == [False, False, True, True, False, False]


AE = AdverseEvent.new("S1", "Sepsis", "sepsis", date(2026, 3, 1), 3,
                      serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}))


def test_truncation_keeps_what_was_known_on_the_cut_off() -> None:
    fatal = replace(AE.with_grade(date(2026, 3, 10), 5), serious_criteria=frozenset(
        {SeriousCriterion.HOSPITALISATION, SeriousCriterion.DEATH}))
    cut = truncate_adverse_event(fatal, date(2026, 3, 5))
    assert cut is not None
    assert (cut.grade, cut.outcome) == (Grade.G3, Outcome.NOT_RECOVERED)
    assert SeriousCriterion.DEATH not in cut.serious_criteria
    assert truncate_adverse_event(fatal, date(2026, 3, 10)) == fatal
    assert truncate_adverse_event(fatal, date(2026, 2, 28)) is None


def test_truncation_reopens_an_event_resolved_after_the_cut_off() -> None:
    resolved = replace(AE, resolved_on=date(2026, 4, 1), outcome=Outcome.RECOVERED)
    cut = truncate_adverse_event(resolved, date(2026, 3, 15))
    assert cut is not None
    assert (cut.resolved_on, cut.outcome) == (None, Outcome.RECOVERING)


FORMATS = [  # value, kind, denominator, text, why
    (3, "n_pct", 22, "3 (13.6)", "a count with its percentage"),
    (0, "n_pct", 22, "0", "zero without a percentage"),
    (None, "n_pct", 22, "\u2013", "not applicable"),
    (0.0909, "pct", None, "9.1", "a rate"),
    (None, "pct", None, "NE", "a rate not estimable"),
    (None, "share", None, "", "a share left blank"),
    (None, "months", None, "NR", "a median not reached"),
    ((1.1, None), "ci_months", None, "1.1\u2013NR", "an interval open above"),
    ((0.0023, 0.4128), "ci_pct", None, "0.2\u201341.3", "an exact interval in %"),
    ((None, None, None), "est_ci_pct", None, "NE", "a landmark not estimable"),
    (None, "est_ci_pct", None, "\u2013", "a landmark the endpoint does not have"),
    ((5.2, 1.1, None), "est_ci_months", None, "5.2 (1.1\u2013NR)", "a median with its CI"),
    ((2.5, 1, 10), "median_range", None, "2.5 (1.0\u201310.0)", "a median of counts"),
    ((2, 1, 10), "median_range", None, "2 (1\u201310)", "whole numbers"),
    ((1, 11), "n_of", None, "1/11", "a numerator and a denominator"),
    ("S01", "text", None, "S01", "text as is"),
    (None, "int", None, "\u2013", "a count that does not apply"),
]


@pytest.mark.parametrize(("value", "kind", "denominator", "text", "why"), FORMATS,
                         ids=[c[4] for c in FORMATS])
def test_format_cell(value: object, kind: str, denominator: int | None, text: str,
                     why: str) -> None:
    assert format_cell(value, kind, denominator) == text  # type: ignore[arg-type]


def test_every_kind_has_a_writer_and_an_unknown_kind_is_refused() -> None:
    assert set(KINDS) == set(_WRITERS)
    with pytest.raises(UnknownTermError, match="not a kind of report cell"):
        format_cell(1, "percent")


@given(n=st.integers(0, 5000), extra=st.integers(0, 5000))
def test_a_count_and_its_percentage_are_printed_together(n: int, extra: int) -> None:
    text = format_cell(n, "n_pct", n + extra or 1)
    assert text.startswith(str(n))
    if n:
        pct = float(text.split("(")[1].rstrip(")"))
        assert 0 <= pct <= 100
