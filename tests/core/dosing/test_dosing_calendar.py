"""The cycle calendar: NCT06478927's schedule (IBRANCE USPI 2019 sections 2.1-2.2) and a
protocol that changes it (the schedule is data)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from oncotrial.dosing import CalendarDay, CyclePlan, DosingRules, TreatmentCalendar, plan_calendar
from oncotrial.errors import InputError
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import from_json, to_json

RULES = DosingRules.from_protocol(load_bundled_protocol())
C1D1 = date(2026, 1, 5)


def test_label_cycle_is_21_days_on_then_7_off() -> None:
    """USPI 2.1: 125 mg once daily for 21 consecutive days, then 7 days off (28-day cycle)."""
    cal = plan_calendar(C1D1, cycles=3, rules=RULES)
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
    cal = plan_calendar(C1D1, cycles=3, rules=RULES)
    assert cal.cbc_days == (C1D1, date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16),
                            date(2026, 3, 2))


def test_relaxed_monitoring_after_six_cycles_with_mild_neutropenia() -> None:
    """USPI 2.2: worst neutropenia grade 1-2 in the first 6 cycles -> CBC every 3 months."""
    relaxed = plan_calendar(C1D1, cycles=12, worst_neutropenia_first_cycles=2, rules=RULES)
    day1_cbc = [p.cycle for p in relaxed.cycles if p.day1 in p.cbc_on]
    assert day1_cbc == [1, 2, 3, 4, 5, 6, 7, 10]
    strict = plan_calendar(C1D1, cycles=12, worst_neutropenia_first_cycles=3, rules=RULES)
    assert all(p.day1 in p.cbc_on for p in strict.cycles)


def test_a_delay_moves_the_delayed_cycle_and_every_later_one() -> None:
    """USPI Table 2: a held Day 1 delays the start of the cycle."""
    cal = plan_calendar(C1D1, cycles=3, delays={2: 5}, rules=RULES)
    assert [p.day1 for p in cal.cycles] == [C1D1, date(2026, 2, 7), date(2026, 3, 7)]
    gap = cal.locate(date(2026, 2, 4))
    assert gap is not None and gap.delayed and gap.cycle == 2 and not gap.dosing
    day = cal.locate(date(2026, 2, 7))
    assert day is not None and (day.cycle, day.cycle_day, day.dosing) == (2, 1, True)


def test_calendar_from_actual_day1_dates() -> None:
    cal = TreatmentCalendar.from_cycle_starts([C1D1, date(2026, 2, 2), date(2026, 3, 9)],
                                              rules=RULES)
    assert [p.delay_days for p in cal.cycles] == [0, 0, 7]
    with pytest.raises(InputError, match="must end before the next one starts"):
        TreatmentCalendar.from_cycle_starts([C1D1, date(2026, 1, 30)], rules=RULES)
    with pytest.raises(InputError, match="Day 1 of cycle 1"):
        TreatmentCalendar.from_cycle_starts([], rules=RULES)


def test_protocol_schedule_is_data(make_rules: Callable[..., DosingRules]) -> None:
    """A 14-on/7-off protocol (a made-up schedule) changes the calendar, not the code."""
    rules = make_rules(schedule__days_on=14, schedule__days_off=7,
                       schedule__cycle_length_days=21,
                       dose_modification__blood_counts__mid_cycle_day=8,
                       dose_modification__toxicity_rules__3__recheck_on_day=15)
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
        plan_calendar(C1D1, rules=RULES, **kwargs)  # type: ignore[arg-type]


def test_calendar_items_round_trip_through_json_and_pickle() -> None:
    """The calendar is plain data: JSON and pickle give it back unchanged."""
    cal = plan_calendar(C1D1, cycles=3, delays={3: 4}, rules=RULES)
    day = cal.locate(date(2026, 3, 3))
    assert isinstance(day, CalendarDay) and day.delayed
    for obj, cls in ((cal, TreatmentCalendar), (cal.cycles[2], CyclePlan), (day, CalendarDay)):
        text = to_json(obj)
        assert from_json(cls, text) == obj and to_json(from_json(cls, text)) == text
        assert pickle.loads(pickle.dumps(obj)) == obj
