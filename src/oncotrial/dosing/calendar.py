"""The cycle calendar: days on and off, blood-count days, cycle delays.

The schedule and the blood-count days are the protocol's (``intervention.schedule`` and
``intervention.dose_modification.blood_counts``), read through
:class:`~oncotrial.dosing.rules.DosingRules`. For NCT06478927 they are the palbociclib label's
(IBRANCE USPI 2019 sections 2.1-2.2): 125 mg once daily for 21 days then 7 days off, a 28-day
cycle; a blood count before each cycle (Day 1) and on Day 15 of cycles 1-2; when the worst
neutropenia of the first 6 cycles was grade 1-2, a count every 3 months before the start of a
cycle. A held Day 1 delays the cycle: the next cycle's Day 1 moves, and every later cycle moves
with it. The calendar is a plan (plain data), not a verdict, so it carries no result code.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from oncotrial.dosing.rules import DosingRules
from oncotrial.errors import InputError

__all__ = ["CalendarDay", "CyclePlan", "TreatmentCalendar", "plan_calendar"]


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """Where a date falls: its cycle and day, whether a dose is due, or a delay before a cycle."""

    on: date
    cycle: int
    cycle_day: int | None
    dosing: bool
    delayed: bool = False


@dataclass(frozen=True, slots=True)
class CyclePlan:
    """One cycle: its Day 1, how long it was delayed, its dosing days and its CBC days."""

    cycle: int
    day1: date
    delay_days: int
    days_on: int
    length_days: int
    cbc_on: tuple[date, ...]

    def date_of(self, cycle_day: int) -> date:
        """The date of ``cycle_day`` (Day 1 is ``day1``)."""
        return self.day1 + timedelta(days=cycle_day - 1)

    @property
    def ends_on(self) -> date:
        """The last day of the cycle (Day 28 with the label schedule)."""
        return self.date_of(self.length_days)

    @property
    def dosing_days(self) -> tuple[date, ...]:
        """The dates a dose is due (Days 1-21 with the label schedule)."""
        return tuple(self.date_of(d) for d in range(1, self.days_on + 1))


@dataclass(frozen=True, slots=True)
class TreatmentCalendar:
    """Consecutive cycles; build it with :func:`plan_calendar` or :meth:`from_cycle_starts`."""

    cycles: tuple[CyclePlan, ...]

    def locate(self, on: date) -> CalendarDay | None:
        """The cycle and day of a date; a date in a delay is reported on the delayed cycle.

        Returns None before the first Day 1 or after the last cycle ends.
        """
        for plan in self.cycles:
            gap_start = plan.day1 - timedelta(days=plan.delay_days)
            if gap_start <= on < plan.day1:
                return CalendarDay(on, plan.cycle, None, dosing=False, delayed=True)
            if plan.day1 <= on <= plan.ends_on:
                day = (on - plan.day1).days + 1
                return CalendarDay(on, plan.cycle, day, dosing=day <= plan.days_on)
        return None

    def is_dosing_day(self, on: date) -> bool:
        """True when a dose is due on ``on``."""
        found = self.locate(on)
        return found is not None and found.dosing

    @property
    def cbc_days(self) -> tuple[date, ...]:
        """Every planned CBC date, in order."""
        return tuple(d for plan in self.cycles for d in plan.cbc_on)

    @classmethod
    def from_cycle_starts(cls, starts: Sequence[date], *, rules: DosingRules,
                          worst_neutropenia_first_cycles: int | None = None) -> TreatmentCalendar:
        """Rebuild the calendar from the actual Day-1 dates; the gaps are the delays.

        Raises:
            InputError: a Day 1 falls before the previous cycle has ended.

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> rules = DosingRules.from_protocol(load_bundled_protocol())
        >>> cal = TreatmentCalendar.from_cycle_starts([date(2026, 1, 5), date(2026, 2, 9)],
        ...                                           rules=rules)
        >>> [p.delay_days for p in cal.cycles]
        [0, 7]
        """
        if not starts:
            raise InputError("No cycle start dates were given. A calendar needs Day 1 of cycle 1.",
                             field="starts", value=list(starts), hint="Enter the C1D1 date.")
        delays: dict[int, int] = {}
        for number, (before, after) in enumerate(itertools.pairwise(starts), start=2):
            gap = (after - before).days - rules.cycle_length_days
            if gap < 0:
                raise InputError(
                    f"Cycle {number} starts on {after.isoformat()}, {(after - before).days} days "
                    f"after cycle {number - 1}. A {rules.cycle_length_days}-day cycle must end "
                    "before the next one starts.", field="starts", value=after,
                    hint="Check the Day-1 dates; a cycle can be delayed but not shortened.")
            delays[number] = gap
        return plan_calendar(starts[0], cycles=len(starts), delays=delays, rules=rules,
                             worst_neutropenia_first_cycles=worst_neutropenia_first_cycles)


def _cbc_due_on_day1(cycle: int, rules: DosingRules, relaxed: bool) -> bool:
    after = rules.blood_counts.relaxed_after_cycle
    if not relaxed or after is None or cycle <= after:
        return True
    return (cycle - after - 1) % rules.blood_counts.relaxed_every_cycles == 0


def plan_calendar(
    first_day1: date,
    *,
    cycles: int,
    delays: Mapping[int, int] | None = None,
    rules: DosingRules,
    worst_neutropenia_first_cycles: int | None = None,
) -> TreatmentCalendar:
    """Plan ``cycles`` cycles from C1D1, with the protocol schedule and any cycle delays.

    Rule (IBRANCE USPI 2019 sections 2.1-2.2 for NCT06478927): each cycle is
    ``cycle_length_days`` long (28), with a dose on Days 1 to ``days_on`` (21). ``delays`` maps
    a cycle number (2 or more) to the days its Day 1 was postponed; later cycles follow from
    the delayed one. Blood counts: Day 1 of every cycle and ``blood_counts.mid_cycle_day`` (15)
    of ``blood_counts.mid_cycle_cycles`` (1-2); when ``worst_neutropenia_first_cycles`` (the
    worst neutropenia grade of the first cycles) is at most ``relaxed_max_worst_grade`` (2),
    after cycle ``relaxed_after_cycle`` (6) a Day-1 count only every
    ``relaxed_every_cycles``-th cycle (3: about every 3 months).

    Raises:
        InputError: fewer than 1 cycle, a delay for cycle 1 or below 0.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> cal = plan_calendar(date(2026, 1, 5), cycles=2, delays={2: 7}, rules=rules)
    >>> [(p.cycle, p.day1.isoformat(), p.delay_days) for p in cal.cycles]
    [(1, '2026-01-05', 0), (2, '2026-02-09', 7)]
    >>> cal.cycles[0].dosing_days[-1], cal.cycles[0].ends_on
    (datetime.date(2026, 1, 25), datetime.date(2026, 2, 1))
    >>> [d.isoformat() for d in cal.cbc_days]
    ['2026-01-05', '2026-01-19', '2026-02-09', '2026-02-23']
    >>> cal.locate(date(2026, 2, 3))
    CalendarDay(on=datetime.date(2026, 2, 3), cycle=2, cycle_day=None, dosing=False, delayed=True)
    """
    if cycles < 1:
        raise InputError(f"{cycles} cycles were asked for. A calendar has at least 1 cycle.",
                         field="cycles", value=cycles, hint="Ask for 1 or more cycles.")
    delays = dict(delays or {})
    for number, days in delays.items():
        if number < 2 or days < 0:
            raise InputError(
                f"A delay of {days} days was given for cycle {number}. Delays apply to cycle 2 "
                "onwards and are 0 or more days.", field="delays", value={number: days},
                hint="Give C1D1 as first_day1, and delays for later cycles only.")
    relaxed = (worst_neutropenia_first_cycles is not None
               and worst_neutropenia_first_cycles <= rules.blood_counts.relaxed_max_worst_grade)
    plans: list[CyclePlan] = []
    day1 = first_day1
    for number in range(1, cycles + 1):
        delay = delays.get(number, 0)
        if number > 1:
            day1 = plans[-1].day1 + timedelta(days=rules.cycle_length_days + delay)
        cbc: list[date] = []
        if _cbc_due_on_day1(number, rules, relaxed):
            cbc.append(day1)
        if number in rules.blood_counts.mid_cycle_cycles:
            cbc.append(day1 + timedelta(days=rules.blood_counts.mid_cycle_day - 1))
        plans.append(CyclePlan(number, day1, delay, rules.days_on, rules.cycle_length_days,
                               tuple(cbc)))
    return TreatmentCalendar(tuple(plans))
