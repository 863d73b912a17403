"""Progression-free survival and overall survival: event or censoring date, with its reason.

Sources: the PFS event/censoring table of ``docs/endpoints.md``, adapted from the example PFS
tables of the US FDA guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and
Biologics" (December 2018) and numbered there row 1 to row 12; RECIST 1.1 (Eisenhauer et al.
2009) section 9 for the date of progression.

Every result is plain data built eagerly: a stable ``code`` (``pfs.censored.new_therapy``), the
``facts`` it used (the table row, the dates) and a ``reason`` sentence, so a reviewer can check
each subject by hand and the store can keep the code, not the sentence. The rows are small rule
functions applied in the table's order of precedence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from oncotrial.endpoints.model import SubjectData, TumourAssessment
from oncotrial.endpoints.rules import EndpointRules, TimeOrigin
from oncotrial.errors import InputError
from oncotrial.records import (
    DiscontinuationLevel,
    DiscontinuationReason,
    Fact,
    Facts,
    Response,
    months,
)

__all__ = [
    "OS_CODES",
    "PFS_CODES",
    "EventKind",
    "PfsVariant",
    "TimeToEvent",
    "derive_os",
    "derive_pfs",
    "derive_time_origin",
    "last_known_alive",
]


class PfsVariant(StrEnum):
    """The primary PFS analysis and the sensitivity analyses S1-S4 of ``docs/endpoints.md``."""

    PRIMARY = "primary"
    S1 = "S1"  # PD or death counts regardless of missed assessments and new therapy
    S2 = "S2"  # symptomatic deterioration is an event at the date of deterioration
    S3 = "S3"  # origin = the sensitivity origin (enrolment by default)
    S4 = "S4"  # PD at the scheduled visit date instead of the scan date

    @property
    def description(self) -> str:
        """What the variant changes, in words."""
        return _VARIANT_TEXT[self]


_VARIANT_TEXT = {
    PfsVariant.PRIMARY: "primary analysis (FDA 2018 censoring rules)",
    PfsVariant.S1: "S1: PD or death counts regardless of missed assessments and new therapy",
    PfsVariant.S2: "S2: symptomatic deterioration counts as an event",
    PfsVariant.S3: "S3: time from enrolment instead of first dose",
    PfsVariant.S4: "S4: PD dated at the scheduled visit instead of the scan",
}


class EventKind(StrEnum):
    """What ended the time to event."""

    PROGRESSION = "progression"
    DEATH = "death"
    CLINICAL_PROGRESSION = "clinical_progression"


#: Every PFS code: code -> (row of the ``docs/endpoints.md`` PFS table or None, meaning).
PFS_CODES: dict[str, tuple[int | None, str]] = {
    "pfs.censored.no_baseline_assessment": (
        1, "Censored at the origin: no baseline tumour assessment."),
    "pfs.censored.no_adequate_assessment": (
        2, "Censored at the origin: no adequate post-baseline assessment and no event."),
    "pfs.event.progression": (
        3, "Event: radiological progression (RECIST 1.1 PD), dated by RECIST 1.1 section 9."),
    "pfs.censored.no_progression_or_death": (
        4, "Censored at the last adequate assessment: no progression or death by the cut-off."),
    "pfs.censored.stopped_for_clinical_progression": (
        5, "Censored at the last adequate assessment: treatment stopped for progression not "
           "documented by imaging."),
    "pfs.censored.treatment_discontinued": (
        6, "Censored at the last adequate assessment: treatment stopped for toxicity or another "
           "reason, no progression or death."),
    "pfs.censored.new_therapy": (
        7, "Censored at the last adequate assessment before a new anticancer therapy that "
           "started before any event."),
    "pfs.event.death_before_first_assessment": (
        8, "Event: death before the first post-baseline assessment."),
    "pfs.event.death_between_assessments": (
        9, "Event: death within 2 x interval + window days of the last adequate assessment."),
    "pfs.censored.missed_assessments": (
        10, "Censored at the last adequate assessment: the event came after two or more missed "
            "assessments."),
    "pfs.censored.event_after_cutoff": (
        11, "Censored at the last adequate assessment on or before the cut-off: the event is "
            "after the data cut-off."),
    "pfs.censored.lost_to_follow_up": (
        12, "Censored at the last adequate assessment: lost to follow-up, no progression or "
            "death."),
    "pfs.censored.withdrawal_of_consent": (
        12, "Censored at the last adequate assessment: consent withdrawn, no progression or "
            "death."),
    "pfs.event.clinical_progression": (
        None, "Event (sensitivity analysis S2 only): symptomatic deterioration, dated at the "
              "treatment discontinuation."),
}

#: Every OS code and its meaning (``docs/endpoints.md``, overall survival).
OS_CODES: dict[str, str] = {
    "os.event.death": "Event: death from any cause on or before the cut-off.",
    "os.censored.alive": "Censored at the last date known alive: no death recorded.",
    "os.censored.death_after_cutoff": "Censored at the last date known alive on or before the "
                                      "cut-off: the recorded death is after the cut-off.",
}


@dataclass(frozen=True, slots=True)
class TimeToEvent:
    """One subject's time to event: origin, end date, event or censored, and why.

    ``code`` says what decided the outcome (``pfs.censored.new_therapy``, ``os.event.death``,
    ``dor.event.progression``; every code is in :data:`oncotrial.endpoints.RESULT_CODES`);
    ``facts`` holds the dates and values the rule used, including ``row``, the row of the
    ``docs/endpoints.md`` PFS table; ``reason`` says it in words.
    Durations count the origin as day 1: days = end - origin + 1.
    """

    subject_id: str
    endpoint: str
    origin_on: date
    end_on: date
    event: bool
    event_kind: EventKind | None
    code: str
    facts: Facts = field(hash=False)
    reason: str

    @property
    def days(self) -> int:
        """Days from origin to end, counting the origin as day 1."""
        return (self.end_on - self.origin_on).days + 1

    @property
    def months(self) -> float:
        """``days`` in months (:data:`oncotrial.records.DAYS_PER_MONTH`)."""
        return months(self.days)

    @property
    def censored(self) -> bool:
        """True when the subject is censored, not an event."""
        return not self.event

    def summary(self) -> str:
        """One line: ``PFS S01: censored, 57 days (PFS table row 7): censored at ...``."""
        outcome = "event" if self.event else "censored"
        unit = "day" if self.days == 1 else "days"
        row = self.facts.get("row")
        where = f"PFS table row {row}" if row is not None else self.code
        return (f"{self.endpoint} {self.subject_id}: {outcome}, {self.days} {unit} "
                f"({where}): {self.reason}")


def derive_time_origin(subject: SubjectData, *, cutoff: date, origin: TimeOrigin) -> date:
    """The date a subject's time to event starts (``docs/protocol-notes.md#pn-01``).

    ``first_dose`` is the date of the first dose of the study drug (Cycle 1 Day 1);
    ``enrolment`` the enrolment date. Time-to-event endpoints are derived for the full
    analysis set only, so a subject without a first dose on or before the cut-off has no origin.

    Raises:
        InputError: no first dose on or before the cut-off (the subject is not in the FAS).

    >>> from oncotrial.records import DosingRecord, Subject
    >>> s = SubjectData(Subject("001", date(2026, 1, 5), True),
    ...                 dosing=(DosingRecord("001", date(2026, 1, 8), date(2026, 1, 28), 125),))
    >>> derive_time_origin(s, cutoff=date(2026, 6, 30), origin=TimeOrigin.FIRST_DOSE)
    datetime.date(2026, 1, 8)
    >>> derive_time_origin(s, cutoff=date(2026, 6, 30), origin=TimeOrigin.ENROLMENT)
    datetime.date(2026, 1, 5)
    """
    first_dose = subject.first_dose_on
    if first_dose is None or first_dose > cutoff:
        got = "no dose" if first_dose is None else f"the first dose on {first_dose}"
        raise InputError(
            f"Subject {subject.subject_id} has {got} on or before the cut-off {cutoff}. "
            "Time-to-event endpoints are derived for the full analysis set, which needs at "
            "least one dose of the study drug (docs/endpoints.md, analysis sets).",
            field="first_dose_on",
            value=first_dose,
            hint="Leave the subject out of the time-to-event analysis, or record the first "
            "dose in the dosing file.",
        )
    if origin is TimeOrigin.ENROLMENT:
        return subject.subject.enrolled_on
    return first_dose


@dataclass(frozen=True, slots=True)
class _Event:
    on: date
    kind: EventKind
    text: str
    assessment_on: date | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a PFS row decided: end date, the event (None when censored), code, reason, facts."""

    end_on: date
    event: _Event | None
    code: str
    reason: str
    facts: dict[str, Fact]


@dataclass(frozen=True, slots=True)
class _Pfs:
    """Everything the PFS rows read, computed once."""

    subject: SubjectData
    cutoff: date
    rules: EndpointRules
    variant: PfsVariant
    origin: date
    origin_name: str
    event: _Event | None

    def last_adequate_before(self, before: date) -> TumourAssessment | None:
        """The last adequate post-baseline assessment strictly before ``before`` and on or
        before the cut-off."""
        found = [a for a in self.subject.assessments
                 if _adequate(a) and a.assessed_on < before and a.assessed_on <= self.cutoff]
        return found[-1] if found else None

    def censor_text(self, last: TumourAssessment | None) -> str:
        if last is None:
            return f"censored at {self.origin_name} {self.origin}"
        return f"censored at last adequate assessment {last.assessed_on}"

    def censored(self, code: str, last: TumourAssessment | None, why: str,
                 **facts: Fact) -> _Outcome:
        """Censored at ``last`` (the origin when None), with the reason ``why``."""
        end_on = last.assessed_on if last is not None else self.origin
        return _Outcome(end_on, None, code, f"{self.censor_text(last)}: {why}",
                        {"last_adequate_on": None if last is None else last.assessed_on,
                         **facts})


def _adequate(a: TumourAssessment) -> bool:
    """An adequate assessment has an overall response other than NE (FDA 2018 guidance)."""
    return not a.baseline and a.overall_response not in (None, Response.NE)


def _scheduled_visit(scan_on: date, *, first_dose: date, rules: EndpointRules) -> date:
    """The scheduled visit a scan belongs to: the first C1D1 + k*I (k >= 1) whose window
    (+W days) reaches the scan; a scan between windows goes to the next scheduled visit."""
    interval, window = rules.assessment_interval_days, rules.assessment_window_days
    k = max(1, -(-((scan_on - first_dose).days - window) // interval))
    return first_dose + timedelta(days=k * interval)


def _row1_no_baseline(p: _Pfs) -> _Outcome | None:
    """Row 1: no baseline tumour assessment (only what was known at the cut-off counts)."""
    if any(a.baseline and a.assessed_on <= p.cutoff for a in p.subject.assessments):
        return None
    return p.censored("pfs.censored.no_baseline_assessment", None,
                      "no baseline tumour assessment")


def _row7_new_therapy(p: _Pfs) -> _Outcome | None:
    """Row 7: a new anticancer therapy started before the event truncates the follow-up."""
    if p.variant is PfsVariant.S1 or not p.rules.censor_at_new_therapy:
        return None
    known = [t for t in p.subject.new_therapies if t.started_on <= p.cutoff]
    if not known:
        return None
    therapy, event = known[0], p.event
    if event is not None and therapy.started_on >= event.on:
        return None
    last = p.last_adequate_before(therapy.started_on)
    what = ", ".join(x for x in (therapy.therapy_type.value, therapy.name) if x)
    after = f", before {event.text}" if event is not None and event.on <= p.cutoff else ""
    return p.censored(
        "pfs.censored.new_therapy", last,
        f"new anticancer therapy ({what}) started {therapy.started_on}{after}",
        therapy_started_on=therapy.started_on, therapy_type=therapy.therapy_type.value,
        therapy_name=therapy.name)


def _rows_3_8_9_10_event(p: _Pfs) -> _Outcome | None:
    """Row 10 (event after two or more missed assessments), else rows 3, 8, 9 and S2."""
    event = p.event
    if event is None or event.on > p.cutoff:
        return None
    last = p.last_adequate_before(event.assessment_on or event.on)
    reference = last.assessed_on if last else p.origin
    gap_days = (event.on - reference).days
    rules = p.rules
    gap = {"gap_days": gap_days, "gap_limit_days": rules.missed_assessment_gap_days}
    if p.variant is not PfsVariant.S1 and gap_days > rules.missed_assessment_gap_days:
        since = "last adequate assessment" if last else p.origin_name
        return p.censored(
            "pfs.censored.missed_assessments", last,
            f"{event.text} came {gap_days} days after the {since}, more than "
            f"{rules.missed_assessments_for_censoring} x {rules.assessment_interval_days} + "
            f"{rules.assessment_window_days} = {rules.missed_assessment_gap_days} days "
            "(two or more missed assessments)",
            event_on=event.on, event_kind=event.kind.value, **gap)
    facts: dict[str, Fact] = {"last_adequate_on": None if last is None else last.assessed_on,
                              "event_on": event.on, "event_kind": event.kind.value, **gap}
    if event.kind is EventKind.DEATH:
        code = ("pfs.event.death_before_first_assessment" if last is None
                else "pfs.event.death_between_assessments")
        where = ("before the first post-baseline assessment" if last is None
                 else f"{gap_days} days after the last adequate assessment {reference}")
        return _Outcome(event.on, event, code, f"event: {event.text}, {where}", facts)
    if event.assessment_on is not None:
        facts["assessed_on"] = event.assessment_on
    return _Outcome(event.on, event, f"pfs.event.{event.kind.value}", f"event: {event.text}",
                    facts)


def _row11_event_after_cutoff(p: _Pfs) -> _Outcome | None:
    """Row 11: the event fell after the cut-off; censor at the last adequate assessment."""
    if p.event is None:
        return None
    return p.censored(
        "pfs.censored.event_after_cutoff", p.last_adequate_before(p.cutoff + timedelta(days=1)),
        f"{p.event.text} is after the data cut-off {p.cutoff}",
        event_on=p.event.on, event_kind=p.event.kind.value)


_STUDY_EXITS = {
    DiscontinuationReason.LOST_TO_FOLLOW_UP: ("pfs.censored.lost_to_follow_up",
                                              "lost to follow-up"),
    DiscontinuationReason.WITHDRAWAL_OF_CONSENT: ("pfs.censored.withdrawal_of_consent",
                                                  "consent withdrawn"),
}


def _rows_2_4_5_6_12_no_event(p: _Pfs) -> _Outcome:
    """Rows 2, 4, 5, 6 and 12: no event; the reason comes from the discontinuation on or
    before the cut-off that ended imaging (a study-level exit is named first)."""
    last = p.last_adequate_before(p.cutoff + timedelta(days=1))
    if last is None:
        return p.censored(
            "pfs.censored.no_adequate_assessment", None,
            f"no adequate post-baseline tumour assessment on or before the cut-off {p.cutoff}, "
            "no progression or death")
    stops = [d for d in p.subject.discontinuations if d.discontinued_on <= p.cutoff]
    for d in stops:
        if d.reason in _STUDY_EXITS:
            code, words = _STUDY_EXITS[d.reason]
            return p.censored(code, last, f"{words} on {d.discontinued_on}, no progression or "
                              "death", discontinued_on=d.discontinued_on,
                              discontinuation_reason=d.reason.value)
    for d in stops:
        if d.level is not DiscontinuationLevel.TREATMENT:
            continue
        stop = {"discontinued_on": d.discontinued_on, "discontinuation_reason": d.reason.value}
        if d.reason is DiscontinuationReason.CLINICAL_PROGRESSION:
            return p.censored("pfs.censored.stopped_for_clinical_progression", last,
                              f"treatment discontinued on {d.discontinued_on} for clinical "
                              "progression not documented by imaging", **stop)
        if d.reason is not DiscontinuationReason.PROGRESSIVE_DISEASE:
            return p.censored("pfs.censored.treatment_discontinued", last,
                              f"treatment discontinued on {d.discontinued_on} "
                              f"({d.reason.value.replace('_', ' ')}), no progression or death",
                              **stop)
    return p.censored("pfs.censored.no_progression_or_death", last,
                      f"no progression or death on or before the cut-off {p.cutoff}")


#: The rows in the table's order of precedence: 1, 7, 10, 3/8/9, 11, then 2/4/5/6/12.
_PFS_ROWS: tuple[Callable[[_Pfs], _Outcome | None], ...] = (
    _row1_no_baseline, _row7_new_therapy, _rows_3_8_9_10_event, _row11_event_after_cutoff)


def derive_pfs(
    subject: SubjectData,
    *,
    cutoff: date,
    rules: EndpointRules,
    variant: PfsVariant = PfsVariant.PRIMARY,
) -> TimeToEvent:
    """Progression-free survival event or censoring for one subject, with its reason.

    The PFS table of ``docs/endpoints.md`` (adapted from the FDA 2018 guidance's example PFS
    tables). The event is the first of radiological progression by RECIST 1.1 (an overall
    response of PD; the date is the earlier of the scan first showing a new lesion and the
    assessment date, RECIST 1.1 section 9) and death from any cause. The rows are applied in
    this order:

    * row 1: no baseline tumour assessment: censored at the origin;
    * row 7: new anticancer therapy started before the event (and on or before the cut-off):
      censored at the last adequate assessment before the therapy started;
    * row 10: the event, on or before the cut-off, came more than ``2*I + W`` days after the
      last adequate assessment (the origin when there is none after baseline): censored at that
      assessment;
    * rows 3, 8, 9: progression, death before the first post-baseline assessment, death
      between assessments: event;
    * row 11: the event fell after the cut-off: censored at the last adequate assessment on or
      before the cut-off (an event after the cut-off is not known at the cut-off, so row 10 is
      not applied to it);
    * rows 2, 4, 5, 6, 12: no event: censored at the last adequate assessment on or before the
      cut-off (the origin when there is none), with the reason taken from the discontinuation.

    An adequate assessment is one whose overall response is not NE. The origin is
    ``rules.time_origin``; variant S3 uses ``rules.sensitivity_time_origin``. Variant S1 skips
    rows 7 and 10; S2 adds symptomatic deterioration (treatment discontinued for clinical
    progression) as an event at the discontinuation date; S4 dates PD at its scheduled visit,
    C1D1 + k * I.

    Raises:
        InputError: the subject has no first dose on or before the cut-off.

    Worked example (row 7): SD at week 8, new therapy on 2026-05-20, PD after it.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> from oncotrial.records import (DosingRecord, NewTherapy, Subject, TherapyType,
    ...     TumourAssessment as T)
    >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
    >>> s = SubjectData(
    ...     Subject("007", date(2026, 2, 27), True),
    ...     dosing=(DosingRecord("007", date(2026, 3, 2), date(2026, 5, 10), 125),),
    ...     assessments=(T("007", date(2026, 2, 20), None, baseline=True),
    ...                  T("007", date(2026, 5, 4), Response.SD),
    ...                  T("007", date(2026, 6, 29), Response.PD)),
    ...     new_therapies=(NewTherapy("007", date(2026, 5, 20), TherapyType.SYSTEMIC,
    ...                               "sorafenib"),))
    >>> pfs = derive_pfs(s, cutoff=date(2026, 9, 30), rules=rules)
    >>> pfs.event, pfs.end_on, pfs.days, pfs.code, pfs.facts["row"]
    (False, datetime.date(2026, 5, 4), 64, 'pfs.censored.new_therapy', 7)
    >>> print(pfs.reason.replace(": ", ":\\n"))
    censored at last adequate assessment 2026-05-04:
    new anticancer therapy (systemic, sorafenib) started 2026-05-20, before PD on 2026-06-29
    >>> derive_pfs(s, cutoff=date(2026, 9, 30), rules=rules, variant=PfsVariant.S1).end_on
    datetime.date(2026, 6, 29)
    """
    origin_kind = (rules.sensitivity_time_origin if variant is PfsVariant.S3
                   else rules.time_origin)
    origin = derive_time_origin(subject, cutoff=cutoff, origin=origin_kind)
    first_dose = derive_time_origin(subject, cutoff=cutoff, origin=TimeOrigin.FIRST_DOSE)
    p = _Pfs(subject, cutoff, rules, variant, origin,
             "enrolment" if origin_kind is TimeOrigin.ENROLMENT else "first dose",
             _first_event(subject, first_dose=first_dose, rules=rules, variant=variant))
    outcome = next((o for row in _PFS_ROWS if (o := row(p)) is not None), None)
    if outcome is None:
        outcome = _rows_2_4_5_6_12_no_event(p)
    facts: dict[str, Fact] = {
        "row": PFS_CODES[outcome.code][0], "variant": variant.value,
        "time_origin": origin_kind.value, "cutoff": cutoff, **outcome.facts}
    return TimeToEvent(
        subject_id=subject.subject_id,
        endpoint="PFS" if variant is PfsVariant.PRIMARY else f"PFS {variant.value}",
        origin_on=origin,
        end_on=max(outcome.end_on, origin),
        event=outcome.event is not None,
        event_kind=None if outcome.event is None else outcome.event.kind,
        code=outcome.code,
        facts=facts,
        reason=outcome.reason,
    )


def _first_event(
    subject: SubjectData, *, first_dose: date, rules: EndpointRules, variant: PfsVariant
) -> _Event | None:
    """The earliest PD, death (or, for S2, clinical progression); PD wins a tie."""
    events: list[_Event] = []
    pd = next((a for a in subject.assessments
               if not a.baseline and a.overall_response is Response.PD), None)
    if pd is not None:  # PD is absorbing: later assessments cannot undo it
        on = pd.progression_on
        text = f"PD on {on}"
        if on != pd.assessed_on:
            text = f"PD on {on} (new lesion first seen; assessment {pd.assessed_on})"
        if variant is PfsVariant.S4:
            on = _scheduled_visit(pd.assessed_on, first_dose=first_dose, rules=rules)
            text = f"PD at scheduled visit {on} (scan {pd.assessed_on})"
        events.append(_Event(on, EventKind.PROGRESSION, text, pd.assessed_on))
    died_on = subject.died_on
    if died_on is not None:
        events.append(_Event(died_on, EventKind.DEATH, f"death on {died_on}"))
    if variant is PfsVariant.S2:
        stop = next((d for d in subject.discontinuations
                     if d.reason is DiscontinuationReason.CLINICAL_PROGRESSION), None)
        if stop is not None:
            events.append(_Event(stop.discontinued_on, EventKind.CLINICAL_PROGRESSION,
                                 f"symptomatic deterioration on {stop.discontinued_on}"))
    order = list(EventKind)
    return min(events, key=lambda e: (e.on, order.index(e.kind)), default=None)


def derive_os(subject: SubjectData, *, cutoff: date, rules: EndpointRules) -> TimeToEvent:
    """Overall survival event or censoring for one subject, with its reason.

    ``docs/endpoints.md``, overall survival: the event is death from any cause on or before the
    cut-off. Otherwise the subject is censored at the last date known alive on or before the
    cut-off: the latest of any dated record where the subject is documented alive (enrolment,
    dosing, tumour assessment, contact with ``alive`` true, start of new therapy,
    discontinuation other than death or loss to follow-up). Follow-up continues after PD and
    new therapy. The origin is ``rules.time_origin``.

    Raises:
        InputError: the subject has no first dose on or before the cut-off.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> from oncotrial.records import Contact, DosingRecord, Subject
    >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
    >>> s = SubjectData(
    ...     Subject("003", date(2026, 1, 5), True),
    ...     dosing=(DosingRecord("003", date(2026, 1, 8), date(2026, 3, 31), 125),),
    ...     contacts=(Contact("003", date(2026, 6, 2), "survival follow-up call"),
    ...               Contact("003", date(2026, 8, 15), "survival follow-up call")))
    >>> os_ = derive_os(s, cutoff=date(2026, 7, 31), rules=rules)
    >>> os_.event, os_.end_on, os_.days, os_.code
    (False, datetime.date(2026, 6, 2), 146, 'os.censored.alive')
    >>> print(os_.reason.replace("): ", "):\\n"))
    censored at last date known alive 2026-06-02 (contact: survival follow-up call):
    no death on or before the cut-off 2026-07-31
    """
    origin = derive_time_origin(subject, cutoff=cutoff, origin=rules.time_origin)
    died_on = subject.died_on
    facts: dict[str, Fact] = {"time_origin": rules.time_origin.value, "cutoff": cutoff,
                              "died_on": died_on}
    if died_on is not None and died_on <= cutoff:
        return TimeToEvent(subject.subject_id, "OS", origin, max(died_on, origin), True,
                           EventKind.DEATH, "os.event.death", facts,
                           f"event: death on {died_on}")
    alive_on, source = last_known_alive(subject, cutoff=cutoff)
    end_on = max(alive_on, origin)
    facts |= {"last_known_alive_on": alive_on, "alive_source": source}
    if died_on is not None:
        code, after = ("os.censored.death_after_cutoff",
                       f"death on {died_on} is after the data cut-off {cutoff}")
    else:
        code, after = "os.censored.alive", f"no death on or before the cut-off {cutoff}"
    return TimeToEvent(subject.subject_id, "OS", origin, end_on, False, None, code, facts,
                       f"censored at last date known alive {end_on} ({source}): {after}")


def last_known_alive(subject: SubjectData, *, cutoff: date) -> tuple[date, str]:
    """The last date on or before the cut-off where the subject is documented alive, and the
    record that shows it (``docs/endpoints.md``, overall survival). The enrolment date is the
    fallback.

    Records dated after a recorded death are not used; a dosing stretch running past the
    cut-off shows the subject alive on the cut-off.

    >>> from oncotrial.records import Contact, DosingRecord, Subject
    >>> s = SubjectData(Subject("005", date(2026, 1, 5), True),
    ...                 dosing=(DosingRecord("005", date(2026, 1, 8), date(2026, 5, 31), 125),),
    ...                 contacts=(Contact("005", date(2026, 7, 1), "phone call", alive=False),))
    >>> last_known_alive(s, cutoff=date(2026, 9, 30))
    (datetime.date(2026, 5, 31), 'dosing')
    >>> last_known_alive(s, cutoff=date(2026, 3, 1))
    (datetime.date(2026, 3, 1), 'dosing')
    """
    candidates: list[tuple[date, str]] = [(subject.subject.enrolled_on, "enrolment")]
    for d in subject.dosing:
        candidates.append((d.start_on, "dosing"))
        # A dosing stretch running past the cut-off shows the subject alive on the cut-off.
        candidates.append((min(d.end_on, cutoff), "dosing"))
    candidates += [(a.assessed_on, "tumour assessment") for a in subject.assessments]
    candidates += [(c.contact_on, f"contact: {c.source}") for c in subject.contacts if c.alive]
    candidates += [(t.started_on, "new anticancer therapy") for t in subject.new_therapies]
    candidates += [
        (d.discontinued_on, f"{d.level.value} discontinuation")
        for d in subject.discontinuations
        if d.reason not in (DiscontinuationReason.DEATH, DiscontinuationReason.LOST_TO_FOLLOW_UP)
    ]
    died_on = subject.died_on
    known = [c for c in candidates
             if c[0] <= cutoff and (died_on is None or c[0] <= died_on)]
    if not known:
        return candidates[0]
    best = max(c[0] for c in known)
    # Deterministic when several records share the date: the first source in sorted order.
    return best, min(s for d, s in known if d == best)
