"""Exposure: planned vs actual dose, relative dose intensity, capsule accountability.

Definitions (the usual oncology statistical-analysis-plan convention, documented in
``docs/safety.md``, "Exposure"):

* planned dose on a day = the starting dose on the days on of the protocol schedule counted
  from the first dose without delays (125 mg on Days 1-21 of each 28 days for NCT06478927),
  else 0;
* relative dose intensity (RDI) = delivered dose / planned dose over the same period, so that
  reductions, missed doses, holds and cycle delays all lower it;
* a reduction is a fall of the prescribed dose from one diary day to the next; a hold is a run
  of consecutive diary days marked ``held`` (record withheld days, including delayed cycle
  starts, as held);
* capsule accountability per strength: dispensed - returned - lost = capsules used, compared
  with the diary's days taken at that strength (one capsule a day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from oncotrial.dosing.calendar import TreatmentCalendar
from oncotrial.dosing.rules import DosingRules
from oncotrial.errors import Finding, ImplausibleValueError, InputError
from oncotrial.records import Facts

__all__ = [
    "AccountabilityLine",
    "CapsuleDispensing",
    "DailyExposure",
    "DiaryEntry",
    "ExposureSummary",
    "check_exposure",
    "summarise_exposure",
]

@dataclass(frozen=True, slots=True)
class DiaryEntry:
    """One day of the dosing diary: the prescribed dose, what was taken, and whether held.

    ``taken_mg`` is 0 for a missed, vomited or withheld dose (the label says not to take an
    extra dose). ``held`` marks a dose withheld on the investigator's instruction.
    """

    day: date
    prescribed_mg: int
    taken_mg: int
    held: bool = False


@dataclass(frozen=True, slots=True)
class CapsuleDispensing:
    """One dispensing of capsules of one strength, and what came back."""

    dispensed_on: date
    strength_mg: int
    dispensed: int
    returned: int = 0
    lost: int = 0

    @property
    def used(self) -> int:
        """Capsules that left the bottle: dispensed - returned - lost."""
        return self.dispensed - self.returned - self.lost


@dataclass(frozen=True, slots=True)
class DailyExposure:
    """Planned and actual dose on one day."""

    day: date
    planned_mg: int
    prescribed_mg: int | None
    taken_mg: int
    held: bool


@dataclass(frozen=True, slots=True)
class AccountabilityLine:
    """Capsule balance for one strength."""

    strength_mg: int
    dispensed: int
    returned: int
    lost: int
    used: int
    diary_taken: int

    @property
    def discrepancy(self) -> int:
        """Capsules used by count minus doses in the diary (positive: unexplained capsules)."""
        return self.used - self.diary_taken


@dataclass(frozen=True, slots=True)
class ExposureSummary:
    """Exposure over a treatment period, with accountability and findings.

    ``code`` is ``exposure.summary``; ``facts`` hold the totals and ``reason`` the first line
    of :meth:`summary`.
    """

    code: str
    reason: str
    period_start: date
    period_end: date
    planned_total_mg: int
    delivered_total_mg: int
    relative_dose_intensity: float | None
    days_taken: int
    days_missed: int
    days_held: int
    reductions: int
    increases: int
    holds: int
    daily: tuple[DailyExposure, ...]
    accountability: tuple[AccountabilityLine, ...]
    findings: tuple[Finding, ...]
    facts: Facts = field(default_factory=dict, hash=False)

    def summary(self) -> str:
        """A readable account of the exposure."""
        lines = [
            self.reason,
            f"days taken {self.days_taken}, missed {self.days_missed}, held {self.days_held}; "
            f"reductions {self.reductions}, holds {self.holds}",
        ]
        for line in self.accountability:
            lines.append(f"{line.strength_mg} mg capsules: dispensed {line.dispensed}, returned "
                         f"{line.returned}, lost {line.lost}, used {line.used}, diary "
                         f"{line.diary_taken} (difference {line.discrepancy:+d})")
        lines += [f"{f.severity}: {f.message}" for f in self.findings]
        return "\n".join(lines)


def check_exposure(
    diary: Sequence[DiaryEntry],
    *,
    dispensings: Sequence[CapsuleDispensing] = (),
    calendar: TreatmentCalendar | None = None,
    rules: DosingRules,
) -> tuple[Finding, ...]:
    """Findings about a dosing diary and capsule returns; never raises for bad data.

    Codes: ``exposure.diary.duplicate_day``, ``exposure.diary.negative_dose``,
    ``exposure.diary.not_a_dose_level`` (prescribed dose not a protocol level),
    ``exposure.diary.taken_not_prescribed`` (taken differs from prescribed and is not 0),
    ``exposure.diary.taken_while_held``, ``exposure.diary.dose_on_day_off`` (needs
    ``calendar``), ``exposure.accountability.impossible`` (more returned and lost than
    dispensed), ``exposure.accountability.mismatch`` (capsules used by count differ from the
    diary).

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> diary = [DiaryEntry(date(2026, 1, 5), 125, 125), DiaryEntry(date(2026, 1, 6), 125, 0)]
    >>> [f.code for f in check_exposure(diary, rules=rules, dispensings=[
    ...     CapsuleDispensing(date(2026, 1, 5), 125, dispensed=21, returned=18)])]
    ['exposure.accountability.mismatch']
    """
    findings: list[Finding] = []
    seen: set[date] = set()
    levels = rules.dose_levels_mg
    for entry in diary:
        when = str(entry.day)
        if entry.day in seen:
            findings.append(Finding("exposure.diary.duplicate_day", "diary.day",
                                    f"The diary has two entries for {when}; keep one."))
        seen.add(entry.day)
        if entry.taken_mg < 0 or entry.prescribed_mg < 0:
            findings.append(Finding("exposure.diary.negative_dose", "diary.taken_mg",
                                    f"The diary entry for {when} has a negative dose."))
            continue
        if entry.prescribed_mg not in levels:
            findings.append(Finding(
                "exposure.diary.not_a_dose_level", "diary.prescribed_mg",
                f"On {when} the prescribed dose is {entry.prescribed_mg} mg, which is not a "
                f"protocol dose level ({'/'.join(map(str, levels))} mg)."))
        if entry.held and entry.taken_mg > 0:
            findings.append(Finding(
                "exposure.diary.taken_while_held", "diary.taken_mg",
                f"On {when} {rules.drug} was on hold but {entry.taken_mg} mg is recorded as "
                "taken."))
        elif entry.taken_mg not in (0, entry.prescribed_mg):
            findings.append(Finding(
                "exposure.diary.taken_not_prescribed", "diary.taken_mg",
                f"On {when} {entry.taken_mg} mg was taken but {entry.prescribed_mg} mg was "
                "prescribed: check the capsule strength dispensed."))
        if calendar is not None and entry.taken_mg > 0 and not calendar.is_dosing_day(entry.day):
            findings.append(Finding(
                "exposure.diary.dose_on_day_off", "diary.taken_mg",
                f"On {when} a dose was taken on a day with no dose due (day off, delay, or "
                "outside the treatment calendar)."))
    for line in _accountability(diary, dispensings):
        if line.used < 0:
            findings.append(Finding(
                "exposure.accountability.impossible", "dispensing.returned",
                f"{line.strength_mg} mg capsules: {line.returned} returned and {line.lost} lost "
                f"exceed the {line.dispensed} dispensed."))
        elif line.discrepancy != 0:
            findings.append(Finding(
                "exposure.accountability.mismatch", "dispensing.returned",
                f"{line.strength_mg} mg capsules: {line.used} used by count (dispensed "
                f"{line.dispensed}, returned {line.returned}, lost {line.lost}) but "
                f"{line.diary_taken} doses in the diary; difference {line.discrepancy:+d}.",
                severity="warning"))
    return tuple(findings)


def _accountability(diary: Sequence[DiaryEntry],
                    dispensings: Sequence[CapsuleDispensing]) -> tuple[AccountabilityLine, ...]:
    strengths = sorted({d.strength_mg for d in dispensings}, reverse=True)
    lines = []
    for strength in strengths:
        mine = [d for d in dispensings if d.strength_mg == strength]
        lines.append(AccountabilityLine(
            strength_mg=strength,
            dispensed=sum(d.dispensed for d in mine),
            returned=sum(d.returned for d in mine),
            lost=sum(d.lost for d in mine),
            used=sum(d.used for d in mine),
            diary_taken=sum(1 for e in diary if e.taken_mg == strength),
        ))
    return tuple(lines)


def _diary_by_day(diary: Sequence[DiaryEntry], period_start: date, end: date,
                  dispensings: Sequence[CapsuleDispensing]) -> dict[date, DiaryEntry]:
    """The diary by day, refusing impossible entries and counts."""
    by_day: dict[date, DiaryEntry] = {}
    for entry in diary:
        if entry.taken_mg < 0 or entry.prescribed_mg < 0:
            raise ImplausibleValueError(
                f"The diary entry for {entry.day.isoformat()} has a negative dose "
                f"({entry.taken_mg} mg taken, {entry.prescribed_mg} mg prescribed). Doses are "
                "0 or more mg.", field="taken_mg", value=entry.taken_mg,
                hint="Record a missed dose as 0 mg.")
        if not period_start <= entry.day <= end:
            raise InputError(
                f"The diary entry for {entry.day.isoformat()} lies outside the exposure period "
                f"{period_start.isoformat()} to {end.isoformat()}.", field="diary.day",
                value=entry.day, hint="Widen the period or remove the entry.")
        if entry.day in by_day:
            raise InputError(
                f"The diary has two entries for {entry.day.isoformat()}. Each day has one "
                "entry.", field="diary.day", value=entry.day, hint="Keep the correct entry.")
        by_day[entry.day] = entry
    for disp in dispensings:
        if min(disp.dispensed, disp.returned, disp.lost) < 0:
            raise ImplausibleValueError(
                f"The dispensing of {disp.dispensed_on.isoformat()} has a negative capsule "
                "count. Counts are 0 or more.", field="dispensing", value=disp,
                hint="Correct the dispensed, returned or lost count.")
    return by_day


def _changes(ordered: Sequence[DiaryEntry]) -> tuple[int, int, int]:
    """(reductions, increases, holds): falls and rises of the prescribed dose between diary
    days, and runs of held days."""
    reductions = increases = holds = 0
    previous: int | None = None
    in_hold = False
    for entry in ordered:
        if previous is not None and entry.prescribed_mg < previous:
            reductions += 1
        elif previous is not None and entry.prescribed_mg > previous:
            increases += 1
        previous = entry.prescribed_mg
        if entry.held and not in_hold:
            holds += 1
        in_hold = entry.held
    return reductions, increases, holds


def summarise_exposure(
    diary: Sequence[DiaryEntry],
    *,
    period_start: date,
    period_end: date | None = None,
    dispensings: Sequence[CapsuleDispensing] = (),
    calendar: TreatmentCalendar | None = None,
    rules: DosingRules,
) -> ExposureSummary:
    """Planned vs delivered dose per day, relative dose intensity, reductions and holds.

    Rule: planned = starting dose on the protocol's days on counted from ``period_start`` (the
    first dose) without delays; RDI = delivered / planned over ``period_start`` to
    ``period_end`` (default: the last diary day). See the module docstring for reductions,
    holds and accountability; :func:`check_exposure` supplies ``findings``.

    Raises:
        InputError: ``period_end`` before ``period_start``, or a diary day outside the period.
        ImplausibleValueError: a negative dose or capsule count.

    Example: cycle 1 at 125 mg with two doses missed, then a reduction to 100 mg for 7 days
    (planned 21 x 125 + 7 x 125 = 3500 mg; delivered 19 x 125 + 7 x 100 = 3075 mg):

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> start = date(2026, 1, 5)
    >>> days = [start + timedelta(days=i) for i in range(21)]
    >>> diary = [DiaryEntry(d, 125, 0 if i in (3, 4) else 125) for i, d in enumerate(days)]
    >>> c2 = [start + timedelta(days=28 + i) for i in range(7)]
    >>> diary += [DiaryEntry(d, 100, 100) for d in c2]
    >>> s = summarise_exposure(diary, period_start=start, rules=rules)
    >>> s.code, s.planned_total_mg, s.delivered_total_mg, round(s.relative_dose_intensity, 4)
    ('exposure.summary', 3500, 3075, 0.8786)
    >>> s.reductions, s.holds, s.days_missed
    (1, 0, 2)
    """
    end = period_end or max((e.day for e in diary), default=period_start)
    if end < period_start:
        raise InputError(
            f"The exposure period ends on {end.isoformat()}, before it starts on "
            f"{period_start.isoformat()}.", field="period_end", value=end,
            hint="The period runs from the first dose to the end of treatment.")
    by_day = _diary_by_day(diary, period_start, end, dispensings)

    daily: list[DailyExposure] = []
    day = period_start
    # The rule properties are read once, not on every day of the diary (5,000 subjects:
    # most of this function's time went to reading them).
    cycle, days_on, starting = rules.cycle_length_days, rules.days_on, rules.starting_dose_mg
    while day <= end:
        found = by_day.get(day)
        daily.append(DailyExposure(
            day, starting if (day - period_start).days % cycle < days_on else 0,
            None if found is None else found.prescribed_mg,
            0 if found is None else found.taken_mg,
            found is not None and found.held))
        day += timedelta(days=1)

    ordered = [by_day[d] for d in sorted(by_day)]
    reductions, increases, holds = _changes(ordered)

    planned = sum(d.planned_mg for d in daily)
    delivered = sum(d.taken_mg for d in daily)
    rdi = delivered / planned if planned else None
    findings = check_exposure(ordered, dispensings=dispensings, calendar=calendar, rules=rules)
    counts = {"days_taken": sum(1 for e in ordered if e.taken_mg > 0),
              "days_missed": sum(1 for e in ordered if e.taken_mg == 0 and not e.held),
              "days_held": sum(1 for e in ordered if e.held),
              "reductions": reductions, "increases": increases, "holds": holds}
    shown = "n/a" if rdi is None else f"{rdi:.1%}"
    return ExposureSummary(
        code="exposure.summary",
        reason=(f"{period_start.isoformat()} to {end.isoformat()}: delivered {delivered} mg of "
                f"{planned} mg planned (RDI {shown})"),
        period_start=period_start,
        period_end=end,
        planned_total_mg=planned,
        delivered_total_mg=delivered,
        relative_dose_intensity=rdi,
        daily=tuple(daily),
        accountability=_accountability(ordered, dispensings),
        findings=findings,
        facts={"period_start": period_start, "period_end": end, "planned_total_mg": planned,
               "delivered_total_mg": delivered, "relative_dose_intensity": rdi,
               "findings": len(findings), **counts},
        **counts,
    )
