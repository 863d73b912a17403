"""Exposure: planned vs actual dose, relative dose intensity, reductions, holds, capsules.

Definitions: docs/safety.md, "Exposure" (RDI = delivered / planned dose over the treatment
period); expected numbers are worked by hand in each test from the 125 mg, 21/7 schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.dosing import (
    CapsuleDispensing,
    DiaryEntry,
    DosingRules,
    check_exposure,
    plan_calendar,
    summarise_exposure,
)
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.protocol import load_bundled_protocol

RULES = DosingRules.from_protocol(load_bundled_protocol())
C1D1 = date(2026, 1, 5)


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def full_cycle(start: date, dose: int) -> list[DiaryEntry]:
    return [DiaryEntry(d, dose, dose) for d in days(start, 21)]


def test_perfect_adherence_gives_rdi_one() -> None:
    """Two complete cycles at 125 mg: 42 x 125 = 5250 mg planned and delivered."""
    diary = full_cycle(C1D1, 125) + full_cycle(C1D1 + timedelta(days=28), 125)
    s = summarise_exposure(diary, period_start=C1D1, period_end=C1D1 + timedelta(days=55),
                           rules=RULES)
    assert s.code == "exposure.summary" and s.facts["relative_dose_intensity"] == 1.0
    assert (s.planned_total_mg, s.delivered_total_mg, s.relative_dose_intensity) == (
        5250, 5250, 1.0)
    assert (s.reductions, s.holds, s.days_taken, s.days_missed) == (0, 0, 42, 0)
    assert len(s.daily) == 56 and s.daily[21].planned_mg == 0 and s.daily[28].planned_mg == 125


def test_reduction_hold_and_delay_lower_rdi() -> None:
    """C1 125 mg with Days 15-21 held; C2 delayed 7 days then 21 days at 100 mg.

    Period 2026-01-05 .. end of delayed C2 Day 21 (day index 7+28+20 = 55): planned on the
    undelayed schedule = days 0-20 and 28-48 = 42 days x 125 = 5250 mg. Delivered =
    14 x 125 + 21 x 100 = 3850 mg. RDI = 3850 / 5250 = 0.7333.
    """
    diary = [DiaryEntry(d, 125, 125) for d in days(C1D1, 14)]
    diary += [DiaryEntry(d, 125, 0, held=True) for d in days(C1D1 + timedelta(days=14), 7)]
    c2 = C1D1 + timedelta(days=35)
    diary += full_cycle(c2, 100)
    s = summarise_exposure(diary, period_start=C1D1, rules=RULES)
    assert s.period_end == c2 + timedelta(days=20)
    assert (s.planned_total_mg, s.delivered_total_mg) == (5250, 3850)
    assert s.relative_dose_intensity == pytest.approx(3850 / 5250)
    assert (s.reductions, s.holds, s.days_held, s.days_missed) == (1, 1, 7, 0)


def test_two_separate_holds_are_counted_twice() -> None:
    diary = [DiaryEntry(d, 125, 125) for d in days(C1D1, 21)]
    diary[3] = DiaryEntry(diary[3].day, 125, 0, held=True)
    diary[4] = DiaryEntry(diary[4].day, 125, 0, held=True)
    diary[10] = DiaryEntry(diary[10].day, 125, 0, held=True)
    s = summarise_exposure(diary, period_start=C1D1, rules=RULES)
    assert (s.holds, s.days_held) == (2, 3)


def test_capsule_accountability_balances_and_mismatches() -> None:
    """Dispensed 28, returned 7, lost 0 -> 21 used; a diary with 20 doses leaves 1 unexplained."""
    diary = full_cycle(C1D1, 125)
    ok = summarise_exposure(diary, period_start=C1D1, rules=RULES, dispensings=[
        CapsuleDispensing(C1D1, 125, dispensed=28, returned=7)])
    assert ok.accountability[0].used == 21 and ok.accountability[0].discrepancy == 0
    assert ok.findings == ()
    diary[5] = DiaryEntry(diary[5].day, 125, 0)
    off = summarise_exposure(diary, period_start=C1D1, rules=RULES, dispensings=[
        CapsuleDispensing(C1D1, 125, dispensed=28, returned=6, lost=1)])
    line = off.accountability[0]
    assert (line.used, line.diary_taken, line.discrepancy) == (21, 20, 1)
    assert [f.code for f in off.findings] == ["exposure.accountability.mismatch"]
    assert off.facts["findings"] == 1


def test_check_exposure_findings_never_raise() -> None:
    cal = plan_calendar(C1D1, cycles=1, rules=RULES)
    diary = [
        DiaryEntry(C1D1, 125, 125),
        DiaryEntry(C1D1, 125, 125),                          # duplicate
        DiaryEntry(C1D1 + timedelta(days=1), 110, 110),      # not a level
        DiaryEntry(C1D1 + timedelta(days=2), 100, 125),      # wrong strength taken
        DiaryEntry(C1D1 + timedelta(days=3), 125, 125, held=True),
        DiaryEntry(C1D1 + timedelta(days=22), 125, 125),     # day off
        DiaryEntry(C1D1 + timedelta(days=4), 125, -1),       # negative
    ]
    codes = [f.code for f in check_exposure(diary, calendar=cal, rules=RULES, dispensings=[
        CapsuleDispensing(C1D1, 75, dispensed=5, returned=4, lost=2)])]
    assert codes == [
        "exposure.diary.duplicate_day", "exposure.diary.not_a_dose_level",
        "exposure.diary.taken_not_prescribed", "exposure.diary.taken_while_held",
        "exposure.diary.dose_on_day_off", "exposure.diary.negative_dose",
        "exposure.accountability.impossible",
    ]


def test_summary_text_reads_well() -> None:
    s = summarise_exposure(full_cycle(C1D1, 125), period_start=C1D1, rules=RULES)
    assert s.summary().splitlines()[0] == (
        "2026-01-05 to 2026-01-25: delivered 2625 mg of 2625 mg planned (RDI 100.0%)")


@pytest.mark.parametrize(("diary", "kwargs", "error", "match"), [
    ([DiaryEntry(C1D1, 125, -125)], {}, ImplausibleValueError, "negative dose"),
    ([DiaryEntry(C1D1, 125, 125)], {"period_end": C1D1 - timedelta(days=1)}, InputError,
     "before it starts"),
    ([DiaryEntry(C1D1 - timedelta(days=3), 125, 125)], {"period_end": C1D1}, InputError,
     "outside the exposure period"),
    ([DiaryEntry(C1D1, 125, 125), DiaryEntry(C1D1, 125, 0)], {}, InputError, "two entries"),
], ids=["negative dose", "period ends before it starts", "entry outside period", "duplicate"])
def test_exposure_input_errors(diary: list[DiaryEntry], kwargs: dict[str, object],
                               error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        summarise_exposure(diary, period_start=C1D1, rules=RULES,
                           **kwargs)  # type: ignore[arg-type]

