"""What every table of the report reads, derived once from the study data at the cut-off.

The report never derives an endpoint of its own: efficacy comes from
:func:`oncotrial.endpoints.analyze_endpoints`, eligibility from
:func:`oncotrial.eligibility.screen`, treatment emergence from
:func:`oncotrial.ctcae.is_treatment_emergent`, exposure from
:func:`oncotrial.dosing.summarise_exposure`. This module calls them once and keeps the
results in a :class:`ReportInputs`, so the table functions (:mod:`oncotrial.reports.tables`)
are small and pure.

The data cut-off applies to everything (ICH E3 section 11.4.1.1 asks for the data as known
at the cut-off): records dated after it are left out, a dosing stretch running past it ends on
it, and an adverse event keeps only the grade changes, resolution and outcome known on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from oncotrial.context import TrialContext
from oncotrial.ctcae import is_treatment_emergent
from oncotrial.dosing import DiaryEntry, ExposureSummary, summarise_exposure
from oncotrial.eligibility import ScreeningResult, screen
from oncotrial.endpoints import EndpointAnalysis, SubjectEndpoints, analyze_endpoints
from oncotrial.errors import InputError
from oncotrial.recist import Evaluation, evaluate, inputs_from_measurements
from oncotrial.records import (
    AdverseEvent,
    DiscontinuationLevel,
    DosingRecord,
    Grade,
    LesionMeasurement,
    Outcome,
    SeriousCriterion,
    Subject,
)
from oncotrial.study import Baseline, ScreenedPatient, StudyData

__all__ = [
    "ReportInputs",
    "ScreenedOutcome",
    "SubjectCourse",
    "count_cycles",
    "diary_from_dosing",
    "prepare_inputs",
    "truncate_adverse_event",
]


@dataclass(frozen=True, slots=True)
class ScreenedOutcome:
    """A screened patient with the verdicts of the protocol's criteria at the screening
    date (``result`` None when the record could not be screened; ``problem`` says why)."""

    patient: ScreenedPatient
    result: ScreeningResult | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class SubjectCourse:
    """One enrolled subject's treatment course at the cut-off.

    ``first_dose_on`` and ``last_dose_on`` are the first and last days with a dose above 0
    on or before the cut-off; ``treatment_ended_on`` and ``treatment_end_reason`` come from
    the treatment discontinuation (else the study discontinuation, else the death) on or
    before the cut-off, and are None while treatment is ongoing. ``exposure`` is None for a
    subject never dosed (or whose dosing rows contradict each other: see the findings).
    """

    subject: Subject
    first_dose_on: date | None
    last_dose_on: date | None
    treatment_ended_on: date | None
    treatment_end_reason: str | None
    study_ended_on: date | None
    study_end_reason: str | None
    died_on: date | None
    death_cause: str
    next_therapy_on: date | None
    cycles_started: int
    exposure: ExposureSummary | None
    lowest_dose_mg: float | None

    @property
    def treated(self) -> bool:
        """At least one dose on or before the cut-off (the safety set)."""
        return self.first_dose_on is not None

    @property
    def on_treatment(self) -> bool:
        """Treated and no end of treatment recorded by the cut-off."""
        return self.treated and self.treatment_ended_on is None


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Everything the tables read: the data as known at the cut-off and what the core
    derived from it once (see the module docstring)."""

    study: StudyData
    ctx: TrialContext
    cutoff: date
    analysis: EndpointAnalysis
    screened: tuple[ScreenedOutcome, ...]
    courses: Mapping[str, SubjectCourse]
    baseline: Mapping[str, Baseline]
    screening_of: Mapping[str, ScreenedOutcome]
    adverse_events: tuple[AdverseEvent, ...]
    teae: tuple[AdverseEvent, ...]
    evaluations: Mapping[str, Evaluation]
    findings: tuple[str, ...]

    @property
    def enrolled(self) -> tuple[SubjectCourse, ...]:
        """Subjects enrolled on or before the cut-off, in subject-id order."""
        return tuple(self.courses[sid] for sid in sorted(self.courses))

    @property
    def safety(self) -> tuple[SubjectCourse, ...]:
        """The safety set: subjects with at least one dose, as the endpoint module counts
        them (:class:`oncotrial.endpoints.AnalysisSets`)."""
        ids = {s.subject_id for s in self.analysis.subjects if s.sets.safety}
        return tuple(c for c in self.enrolled if c.subject.subject_id in ids)

    def endpoints_of(self, subject_id: str) -> SubjectEndpoints | None:
        """The endpoint module's row for a subject (None if it has none)."""
        for row in self.analysis.subjects:
            if row.subject_id == subject_id:
                return row
        return None


def truncate_adverse_event(event: AdverseEvent, cutoff: date) -> AdverseEvent | None:
    """The adverse event as known on the cut-off: None if its onset is after it; otherwise
    only the grade changes up to the cut-off, no resolution after it, and an outcome known
    on it (a recovery or death after the cut-off is "not recovered" on it).

    >>> from oncotrial.records import AdverseEvent
    >>> ae = AdverseEvent.new("S1", "Fatigue", "tired", date(2026, 3, 1), 1).with_grade(
    ...     date(2026, 4, 1), 3)
    >>> truncate_adverse_event(ae, date(2026, 3, 15)).grade
    <Grade.G1: 1>
    >>> truncate_adverse_event(ae, date(2026, 2, 1)) is None
    True
    """
    if event.onset_on > cutoff:
        return None
    history = tuple(c for c in event.grade_history if c.on <= cutoff)
    resolved = event.resolved_on if event.resolved_on and event.resolved_on <= cutoff else None
    if history == event.grade_history and resolved == event.resolved_on:
        return event
    outcome = event.outcome
    if resolved is None and outcome in (Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE):
        outcome = Outcome.RECOVERING
    if outcome is Outcome.FATAL and max(c.grade for c in history) != Grade.G5:
        outcome = Outcome.NOT_RECOVERED
    criteria = event.serious_criteria
    if outcome is not Outcome.FATAL:
        criteria = frozenset(c for c in criteria if c is not SeriousCriterion.DEATH)
    return replace(event, grade_history=history, resolved_on=resolved, outcome=outcome,
                   serious_criteria=criteria)


def diary_from_dosing(rows: Iterable[DosingRecord], *, cutoff: date) -> list[DiaryEntry]:
    """The day-by-day diary :func:`oncotrial.dosing.summarise_exposure` reads, from stretches
    of dosing: each day of a stretch at its daily dose; a stretch at 0 mg is a hold (the dose
    prescribed is the one before the hold, so a hold is not counted as a reduction). Days
    after the cut-off are left out; the planned days off are not rows, so not diary days.

    >>> from oncotrial.records import DosingRecord as D
    >>> rows = [D("S1", date(2026, 1, 1), date(2026, 1, 2), 125),
    ...         D("S1", date(2026, 1, 3), date(2026, 1, 3), 0),
    ...         D("S1", date(2026, 1, 4), date(2026, 1, 9), 100)]
    >>> [(e.prescribed_mg, e.taken_mg, e.held) for e in
    ...  diary_from_dosing(rows, cutoff=date(2026, 1, 4))]
    [(125, 125, False), (125, 125, False), (125, 0, True), (100, 100, False)]
    """
    diary: list[DiaryEntry] = []
    previous = 0
    for row in sorted(rows, key=lambda r: r.start_on):
        dose = round(row.daily_dose_mg)
        held = dose == 0
        prescribed = previous if held else dose
        day, end = row.start_on, min(row.end_on, cutoff)
        while day <= end:
            diary.append(DiaryEntry(day, prescribed, 0 if held else dose, held))
            day += timedelta(days=1)
        if not held:
            previous = dose
    return diary


def count_cycles(rows: Iterable[DosingRecord], *, cycle_length_days: int, cutoff: date) -> int:
    """Treatment cycles started by the cut-off, from stretches of dosing.

    Cycle 1 starts on the first dose. A later cycle starts on a dosing day that follows a day
    without any dosing row (the planned days off, or a delay recorded as a hold after them),
    or, when the stretches run on without the planned days off, on each day a whole cycle
    length after the current cycle's Day 1. A hold within a cycle followed by more dosing
    does not start a cycle.

    >>> from oncotrial.records import DosingRecord as D
    >>> c1, c2 = D("S1", date(2026, 1, 1), date(2026, 1, 21), 125), D(
    ...     "S1", date(2026, 1, 29), date(2026, 2, 18), 125)
    >>> count_cycles([c1, c2], cycle_length_days=28, cutoff=date(2026, 12, 31))
    2
    >>> count_cycles([D("S1", date(2026, 1, 1), date(2026, 3, 31), 125)], cycle_length_days=28,
    ...              cutoff=date(2026, 12, 31))
    4
    """
    days: dict[date, float] = {}
    for row in rows:
        day, end = row.start_on, min(row.end_on, cutoff)
        while day <= end:
            days[day] = row.daily_dose_mg
            day += timedelta(days=1)
    cycles = 0
    day1: date | None = None
    gap = True  # no dosing row since the last dosing day (or before the first)
    for day in sorted(days):
        if day - timedelta(days=1) not in days:
            gap = True
        if days[day] <= 0:
            continue  # a hold: a delay keeps the gap open, a hold within a cycle does not
        if day1 is None or gap or (day - day1).days >= cycle_length_days:
            cycles += 1
            day1 = day
        gap = False
    return cycles


def _first(dates: Iterable[date]) -> date | None:
    return min(dates, default=None)


@dataclass(frozen=True, slots=True)
class _Records:
    """A subject's discontinuations, deaths and new therapies on or before the cut-off."""

    discontinuations: tuple[tuple[DiscontinuationLevel, date, str], ...]
    deaths: tuple[tuple[date, str], ...]
    therapies: tuple[date, ...]


def _course_of(subject: Subject, rows: list[DosingRecord], records: _Records, cutoff: date,
               ctx: TrialContext, findings: list[str]) -> SubjectCourse:
    sid = subject.subject_id
    taken = [r for r in rows if r.daily_dose_mg > 0]
    first = _first(r.start_on for r in taken)
    last = max((min(r.end_on, cutoff) for r in taken), default=None)
    stops = {level: (on, reason) for level, on, reason in reversed(records.discontinuations)}
    died_on, cause = records.deaths[0] if records.deaths else (None, "")
    study_end = stops.get(DiscontinuationLevel.STUDY)
    end = stops.get(DiscontinuationLevel.TREATMENT) or study_end
    if end is None and died_on is not None:
        end = (died_on, "death")
    exposure = None
    if first is not None:
        diary = diary_from_dosing(rows, cutoff=cutoff)
        try:
            exposure = summarise_exposure([e for e in diary if e.day >= first],
                                          period_start=first, rules=ctx.dose_rules)
        except InputError as exc:
            findings.append(f"Subject {sid}: the dosing records contradict each other "
                            f"({exc.message}); the subject is left out of the exposure "
                            "summaries.")
    return SubjectCourse(
        subject=subject,
        first_dose_on=first,
        last_dose_on=last,
        treatment_ended_on=None if end is None or first is None else end[0],
        treatment_end_reason=None if end is None or first is None else end[1],
        study_ended_on=None if study_end is None else study_end[0],
        study_end_reason=None if study_end is None else study_end[1],
        died_on=died_on,
        death_cause=cause,
        next_therapy_on=records.therapies[0] if records.therapies else None,
        cycles_started=count_cycles(rows, cycle_length_days=ctx.dose_rules.cycle_length_days,
                                    cutoff=cutoff) if first else 0,
        exposure=exposure,
        lowest_dose_mg=min((r.daily_dose_mg for r in taken), default=None),
    )


def _screen(patient: ScreenedPatient, ctx: TrialContext) -> ScreenedOutcome:
    try:
        return ScreenedOutcome(patient, screen(patient.record, ctx.protocol,
                                               on=patient.screened_on))
    except InputError as exc:
        return ScreenedOutcome(patient, None, exc.message)


def _teae(courses: Mapping[str, SubjectCourse], events: Iterable[AdverseEvent],
          ctx: TrialContext) -> tuple[AdverseEvent, ...]:
    out = []
    for event in events:
        course = courses.get(event.subject_id)
        if course is None or not course.treated:
            continue
        if is_treatment_emergent(
                event, first_dose_on=course.first_dose_on, teae_window_days=ctx.teae_window_days,
                last_dose_on=None if course.on_treatment else course.last_dose_on,
                next_therapy_on=course.next_therapy_on):
            out.append(event)
    return tuple(out)


def _by_subject(study: StudyData, cutoff: date) -> dict[str, list[DosingRecord]]:
    grouped: dict[str, list[DosingRecord]] = {}
    for row in study.dataset.dosing:
        if row.start_on <= cutoff:
            grouped.setdefault(row.subject_id, []).append(row)
    return grouped


def _records_by_subject(study: StudyData, cutoff: date) -> dict[str, _Records]:
    ds = study.dataset
    stops: dict[str, list[tuple[DiscontinuationLevel, date, str]]] = {}
    for d in ds.discontinuations:
        if d.discontinued_on <= cutoff:
            stops.setdefault(d.subject_id, []).append((d.level, d.discontinued_on,
                                                       d.reason.value))
    deaths: dict[str, list[tuple[date, str]]] = {}
    for death in ds.deaths:
        if death.died_on <= cutoff:
            deaths.setdefault(death.subject_id, []).append((death.died_on, death.cause))
    therapies: dict[str, list[date]] = {}
    for t in ds.new_therapies:
        if t.started_on <= cutoff:
            therapies.setdefault(t.subject_id, []).append(t.started_on)
    ids = set(stops) | set(deaths) | set(therapies)
    return {sid: _Records(tuple(sorted(stops.get(sid, ()))), tuple(sorted(deaths.get(sid, ()))),
                          tuple(sorted(therapies.get(sid, ())))) for sid in ids}


def _evaluations(study: StudyData, courses: Mapping[str, SubjectCourse], cutoff: date,
                 findings: list[str]) -> dict[str, Evaluation]:
    """RECIST 1.1 time-point responses from each subject's lesion rows up to the cut-off
    (:func:`oncotrial.recist.evaluate`); rows on or before the first-dose day are the
    baseline. A subject whose rows cannot be evaluated is named in the findings."""
    rows: dict[str, list[LesionMeasurement]] = {}
    for row in study.lesions:
        if row.subject_id in courses and row.measured_on <= cutoff:
            rows.setdefault(row.subject_id, []).append(row)
    out = {}
    for sid in sorted(rows):
        try:
            lesions, visits = inputs_from_measurements(
                rows[sid], baseline_on=courses[sid].first_dose_on)
            out[sid] = evaluate(lesions, visits)
        except InputError as exc:
            findings.append(f"Subject {sid}: the lesion measurements cannot be evaluated by "
                            f"RECIST 1.1 ({exc.message}); the subject is left out of the "
                            "waterfall and spider plots.")
    return out


def prepare_inputs(study: StudyData, ctx: TrialContext, *, cutoff: date) -> ReportInputs:
    """Derive once what the tables read (see the module docstring).

    Raises:
        InputError: the endpoint module cannot derive a subject's endpoints (the message
            names the subject).
    """
    findings: list[str] = []
    analysis = analyze_endpoints(study.dataset, cutoff=cutoff, rules=ctx.endpoint_rules)
    dosing = _by_subject(study, cutoff)
    records = _records_by_subject(study, cutoff)
    empty = _Records((), (), ())
    courses = {
        s.subject_id: _course_of(s, dosing.get(s.subject_id, []),
                                 records.get(s.subject_id, empty), cutoff, ctx, findings)
        for s in sorted(study.dataset.subjects, key=lambda s: s.subject_id)
        if s.enrolled_on <= cutoff
    }
    screened = tuple(_screen(p, ctx) for p in sorted(study.screening,
                                                     key=lambda p: p.screening_number)
                     if p.screened_on <= cutoff)
    for outcome in screened:
        if outcome.result is None:
            findings.append(f"Screening number {outcome.patient.screening_number}: the record "
                            f"could not be screened again ({outcome.problem}).")
    screening_of = {o.patient.subject_id: o for o in screened if o.patient.subject_id}
    events = []
    for event in study.adverse_events:
        cut = truncate_adverse_event(event, cutoff)
        if cut is not None and event.subject_id in courses:
            events.append(cut)
    events.sort(key=lambda e: (e.subject_id, e.onset_on, e.term))
    evaluations = _evaluations(study, courses, cutoff, findings)
    return ReportInputs(
        study=study,
        ctx=ctx,
        cutoff=cutoff,
        analysis=analysis,
        screened=screened,
        courses=courses,
        baseline={b.subject_id: b for b in study.baseline},
        screening_of=screening_of,
        adverse_events=tuple(events),
        teae=_teae(courses, events, ctx),
        evaluations=evaluations,
        findings=tuple(findings),
    )
