"""The palbociclib cycle calendar (IBRANCE USPI 2019 2.1-2.2; palbociclib.md s1, s3, s11.3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.dosing import DosingRules, TreatmentCalendar, plan_calendar
from oncotrial.errors import InputError

C1D1 = date(2026, 1, 5)


def test_label_cycle_is_21_days_on_then_7_off() -> None:
    """USPI 2.1: 125 mg once daily for 21 consecutive days, then 7 days off (28-day cycle)."""
    cal = plan_calendar(C1D1, cycles=3)
    first = cal.cycles[0]
    assert len(first.dosing_days) == 21
    assert first.dosing_days[0] == C1D1 and first.dosing_days[-1] == date(2026, 1, 25)
    assert first.ends_on == date(2026, 2, 1)
    assert [p.day1 for p in cal.cycles] == [C1D1, date(2026, 2, 2), date(2026, 3, 2)]
    assert cal.is_dosing_day(date(2026, 1, 25)) and not cal.is_dosing_day(date(2026, 1, 26))
    assert not cal.is_dosing_day(date(2026, 2, 1)) and cal.is_dosing_day(date(2026, 2, 2))
    assert cal.locate(C1D1 - timedelta(days=1)) is None
    last = cal.locate(date(2026, 3, 29))
    assert last is not None and (last.cycle, last.cycle_day) == (3, 28)
    assert cal.locate(date(2026, 3, 30)) is None  # after cycle 3 ends


def test_cbc_on_day1_each_cycle_and_day15_of_cycles_1_and_2() -> None:
    """USPI 2.2 monitoring: CBC on Day 1 of each cycle and Day 15 of the first 2 cycles."""
    cal = plan_calendar(C1D1, cycles=3)
    assert cal.cbc_days == (C1D1, date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16),
                            date(2026, 3, 2))


def test_relaxed_monitoring_after_six_cycles_with_mild_neutropenia() -> None:
    """USPI 2.2: worst neutropenia grade 1-2 in the first 6 cycles -> CBC every 3 months."""
    relaxed = plan_calendar(C1D1, cycles=12, worst_neutropenia_first_cycles=2)
    day1_cbc = [p.cycle for p in relaxed.cycles if p.day1 in p.cbc_on]
    assert day1_cbc == [1, 2, 3, 4, 5, 6, 7, 10]
    strict = plan_calendar(C1D1, cycles=12, worst_neutropenia_first_cycles=3)
    assert all(p.day1 in p.cbc_on for p in strict.cycles)


def test_a_delay_moves_the_delayed_cycle_and_every_later_one() -> None:
    """USPI Table 2: a held Day 1 delays the start of the cycle."""
    cal = plan_calendar(C1D1, cycles=3, delays={2: 5})
    assert [p.day1 for p in cal.cycles] == [C1D1, date(2026, 2, 7), date(2026, 3, 7)]
    gap = cal.locate(date(2026, 2, 4))
    assert gap is not None and gap.delayed and gap.cycle == 2 and not gap.dosing
    day = cal.locate(date(2026, 2, 7))
    assert day is not None and (day.cycle, day.cycle_day, day.dosing) == (2, 1, True)


def test_calendar_from_actual_day1_dates() -> None:
    cal = TreatmentCalendar.from_cycle_starts([C1D1, date(2026, 2, 2), date(2026, 3, 9)])
    assert [p.delay_days for p in cal.cycles] == [0, 0, 7]
    with pytest.raises(InputError, match="must end before the next one starts"):
        TreatmentCalendar.from_cycle_starts([C1D1, date(2026, 1, 30)])
    with pytest.raises(InputError, match="Day 1 of cycle 1"):
        TreatmentCalendar.from_cycle_starts([])


def test_protocol_schedule_is_data() -> None:
    """A 14-on/7-off protocol (a made-up schedule) changes the calendar, not the code."""
    rules = DosingRules(days_on=14, days_off=7, cycle_length_days=21, day15_cbc_day=8,
                        day22_recheck_day=15)
    cal = plan_calendar(C1D1, cycles=2, rules=rules)
    assert len(cal.cycles[0].dosing_days) == 14
    assert cal.cycles[1].day1 == C1D1 + timedelta(days=21)
    assert cal.cycles[0].cbc_on == (C1D1, C1D1 + timedelta(days=7))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"cycles": 0}, "at least 1 cycle"),
    ({"cycles": 2, "delays": {1: 3}}, "cycle 2 onwards"),
    ({"cycles": 2, "delays": {2: -1}}, "0 or more days"),
], ids=["no cycles", "delay on cycle 1", "negative delay"])
def test_calendar_input_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        plan_calendar(C1D1, **kwargs)  # type: ignore[arg-type]
