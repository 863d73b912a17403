"""Adverse events: the AE record, treatment emergence, worst grades, SAE clock, lab suggestions.

Definitions follow the trial's safety specification (``shared/domain/ctcae_v5.md``):

* Severity is the CTCAE v5.0 grade; one record per continuous episode with its grade history,
  the episode's grade being the worst grade reached (section 1).
* Seriousness (ICH E2A) is independent of the grade (section 5).
* Treatment-emergent (section 6, after ICH E9): onset on or after the first dose and no later
  than ``teae_window_days`` after the last dose, or present before the first dose and worse in
  grade on or after it within the same window. The window also stops the day before a new
  anticancer therapy starts, when that is earlier. ``teae_window_days`` is a protocol
  parameter; its default here is 30, the default of section 6 (28 is also common).
* Attribution uses the NCI CTEP five-level scale; "related" is possible, probable or definite,
  and a missing attribution counts as related and is flagged (section 7).
* A serious AE must reach the sponsor within 24 hours of the site becoming aware of it
  (ICH E2A expedited reporting as applied in the protocol).

Nothing here reads the clock: ``now`` and the dosing dates are arguments.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from oncotrial.ctcae.dictionary import CtcaeDictionary, bundled_dictionary
from oncotrial.ctcae.labs import UnknownTermError, lab_term
from oncotrial.errors import Finding, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_TEAE_WINDOW_DAYS",
    "SAE_REPORTING_HOURS",
    "ActionTaken",
    "AdverseEvent",
    "GradeChange",
    "LabObservation",
    "Outcome",
    "Relationship",
    "SeriousCriterion",
    "SuggestedAdverseEvent",
    "check_adverse_events",
    "check_sae_reporting",
    "impute_onset",
    "is_sae_report_overdue",
    "is_treatment_emergent",
    "lab_observations",
    "sae_report_due",
    "suggest_adverse_events",
    "worst_grades",
]

#: ctcae_v5.md section 6: default TEAE window after the last dose, in days (protocol parameter).
DEFAULT_TEAE_WINDOW_DAYS: Final = 30
#: Hours from site awareness to the sponsor report for a serious AE.
SAE_REPORTING_HOURS: Final = 24


class Relationship(enum.StrEnum):
    """Attribution to the study drug, NCI CTEP five-level scale."""

    UNRELATED = "unrelated"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"

    @property
    def is_related(self) -> bool:
        """Possible, probable and definite count as treatment-related (ctcae_v5.md 7)."""
        return self in (Relationship.POSSIBLE, Relationship.PROBABLE, Relationship.DEFINITE)


class SeriousCriterion(enum.StrEnum):
    """ICH E2A seriousness criteria."""

    DEATH = "results_in_death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "requires_or_prolongs_hospitalisation"
    DISABILITY = "persistent_or_significant_disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event"


class ActionTaken(enum.StrEnum):
    """Action taken with the study drug because of the AE (CDISC ACN codelist wording)."""

    DOSE_NOT_CHANGED = "dose_not_changed"
    DOSE_REDUCED = "dose_reduced"
    DRUG_INTERRUPTED = "drug_interrupted"
    DRUG_WITHDRAWN = "drug_withdrawn"
    DOSE_INCREASED = "dose_increased"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


class Outcome(enum.StrEnum):
    """Outcome of the AE (CDISC OUT codelist wording)."""

    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class GradeChange:
    """From ``on`` the AE has CTCAE grade ``grade`` (1-5)."""

    on: date
    grade: int


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One adverse-event episode with its grade history.

    ``term`` is the CTCAE v5.0 term; ``verbatim`` what the investigator wrote. The first grade
    change is at ``onset``; the episode's ``grade`` is the worst grade reached. ``aware_at``
    is when the site learnt of the event and ``reported_at`` when a serious AE was reported
    to the sponsor (timezone-aware datetimes, or all naive in one zone). When the onset date
    was partial, ``onset`` is the imputed date (:func:`impute_onset`) and
    ``onset_as_reported`` keeps what was written (``"2025-03"``).

    Raises:
        InputError: the record contradicts itself (no grade, a grade outside 1-5, dates out
            of order, a fatal outcome without grade 5 or grade 5 without a fatal outcome).

    >>> ae = AdverseEvent.new("001-003", "Neutrophil count decreased", "neutropenia",
    ...                       date(2025, 3, 4), 3)
    >>> ae.with_grade(date(2025, 3, 11), 4).grade
    4
    """

    subject_id: str
    term: str
    verbatim: str
    onset: date
    grade_history: tuple[GradeChange, ...]
    resolution: date | None = None
    serious_criteria: frozenset[SeriousCriterion] = frozenset()
    relationship: Relationship | None = None
    action_taken: ActionTaken = ActionTaken.UNKNOWN
    outcome: Outcome = Outcome.NOT_RECOVERED
    aware_at: datetime | None = None
    reported_at: datetime | None = None
    onset_as_reported: str | None = None
    event_id: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = f"AE {self.term!r} of subject {self.subject_id}"
        if not self.grade_history:
            raise InputError(f"{where} has no grade. Each AE needs its CTCAE grade at onset.",
                             field="grade", hint="Enter the grade at onset.")
        for change in self.grade_history:
            if isinstance(change.grade, bool) or change.grade not in (1, 2, 3, 4, 5):
                raise InputError(
                    f"{where} has grade {change.grade!r} on {change.on}. An AE has a CTCAE "
                    "grade of 1 to 5 (grade 0 means there is no AE).", field="grade",
                    value=change.grade, hint="Enter a grade from 1 to 5, or delete the record.")
        if self.grade_history[0].on != self.onset:
            raise InputError(
                f"{where}: the first grade is dated {self.grade_history[0].on}, but the onset is "
                f"{self.onset}. The grade history starts at onset.", field="onset",
                value=self.onset, hint="Make the first grade change the onset date.")
        dates = [c.on for c in self.grade_history]
        if dates != sorted(dates):
            raise InputError(f"{where}: grade changes are not in date order ({dates}).",
                             field="grade_history", hint="Order the grade changes by date.")
        if self.resolution is not None and (self.resolution < self.onset
                                             or dates[-1] > self.resolution):
            raise InputError(
                f"{where} resolves on {self.resolution}, before its onset or a grade change "
                f"(onset {self.onset}, last change {dates[-1]}).", field="resolution",
                value=self.resolution, hint="Correct the resolution date.")
        fatal = self.outcome is Outcome.FATAL
        if fatal != (self.grade == 5):
            raise InputError(
                f"{where} has grade {self.grade} and outcome {self.outcome.value}. In CTCAE v5.0 "
                "grade 5 is death related to the AE, so a fatal outcome and grade 5 go together.",
                field="outcome", value=self.outcome.value,
                hint="Record grade 5 with outcome fatal, or correct one of them.")
        if SeriousCriterion.DEATH in self.serious_criteria and not fatal:
            raise InputError(
                f"{where} is serious because it resulted in death, but its outcome is "
                f"{self.outcome.value}.", field="serious_criteria",
                hint="Set the outcome to fatal and the grade to 5, or remove that criterion.")

    @classmethod
    def new(
        cls,
        subject_id: str,
        term: str,
        verbatim: str,
        onset: date,
        grade: int,
        **fields: Any,
    ) -> AdverseEvent:
        """A new AE with one grade at onset; other fields by keyword."""
        return cls(subject_id, term, verbatim, onset, (GradeChange(onset, grade),), **fields)

    def with_grade(self, on: date, grade: int) -> AdverseEvent:
        """A copy with the grade changed from ``on`` (the record itself never changes)."""
        outcome = Outcome.FATAL if grade == 5 else self.outcome
        return replace(self, grade_history=(*self.grade_history, GradeChange(on, grade)),
                       outcome=outcome)

    @property
    def grade(self) -> int:
        """The episode's CTCAE grade: the worst grade reached."""
        return max(c.grade for c in self.grade_history)

    @property
    def serious(self) -> bool:
        """True if any ICH E2A seriousness criterion is met."""
        return bool(self.serious_criteria)

    @property
    def related(self) -> bool:
        """Treatment-related for summaries; a missing attribution counts as related."""
        return self.relationship is None or self.relationship.is_related

    def grade_on(self, day: date) -> int | None:
        """The grade in effect on ``day``; None before onset or after resolution."""
        if day < self.onset or (self.resolution is not None and day > self.resolution):
            return None
        current = self.grade_history[0].grade
        for change in self.grade_history:
            if change.on <= day:
                current = change.grade
        return current

    def summary(self) -> str:
        """One line: subject, term, grade, dates, seriousness and attribution."""
        end = f"to {self.resolution}" if self.resolution else "ongoing"
        serious = ", serious" if self.serious else ""
        rel = self.relationship.value if self.relationship else "attribution missing"
        return (f"{self.subject_id}: {self.term} grade {self.grade} ({self.onset} {end}"
                f"{serious}, {rel})")


def impute_onset(as_reported: str, *, first_dose: date | None) -> date:
    """Impute a partial AE onset date conservatively (ctcae_v5.md section 6).

    ``as_reported`` is an ISO 8601 date, complete or partial: ``YYYY-MM-DD``, ``YYYY-MM`` or
    ``YYYY``. Rule: a missing day in the month of the first dose, or a missing month and day in
    its year, is the first-dose date (so the AE counts as on or after the first dose; a later
    day of that month is not moved earlier); otherwise a missing day is the 1st of the month and
    a missing month is January. Keep the reported text in ``AdverseEvent.onset_as_reported``.

    Raises:
        InputError: the text is not a complete or partial ISO 8601 date.

    >>> impute_onset("2025-01", first_dose=date(2025, 1, 6))
    datetime.date(2025, 1, 6)
    >>> impute_onset("2025-02", first_dose=date(2025, 1, 6))
    datetime.date(2025, 2, 1)
    >>> impute_onset("2025", first_dose=date(2025, 1, 6))
    datetime.date(2025, 1, 6)
    """
    parts = as_reported.strip().split("-")
    try:
        if not 1 <= len(parts) <= 3 or len(parts[0]) != 4:
            raise ValueError(as_reported)
        year = int(parts[0])
        month = int(parts[1]) if len(parts) >= 2 else None
        day = int(parts[2]) if len(parts) == 3 else None
        if day is not None:
            assert month is not None
            return date(year, month, day)
        start = date(year, month or 1, 1)
    except (ValueError, AssertionError) as exc:
        raise InputError(
            f"Onset {as_reported!r} is not a date. Write it as YYYY-MM-DD, or YYYY-MM or YYYY "
            "when the day or month is unknown.", field="onset", value=as_reported,
            hint="Enter the onset as known, for example 2025-03 for 'March 2025'.") from exc
    if first_dose is None:
        return start
    same_period = (first_dose.year == year and (month is None or first_dose.month == month))
    return first_dose if same_period and start <= first_dose else start


def is_treatment_emergent(
    event: AdverseEvent,
    *,
    first_dose: date | None,
    last_dose: date | None = None,
    teae_window_days: int = DEFAULT_TEAE_WINDOW_DAYS,
    next_therapy_start: date | None = None,
) -> bool:
    """True if the AE is treatment-emergent (ctcae_v5.md section 6, after ICH E9).

    Rule: the window runs from ``first_dose`` to ``last_dose`` + ``teae_window_days`` (open
    while the subject is on treatment, ``last_dose`` None), and ends the day before
    ``next_therapy_start`` if that is earlier. An AE is treatment-emergent if its onset lies in
    the window, or if it began before the first dose and its grade rose above the pre-dose
    grade on a day in the window. A subject never dosed has no TEAE.

    Raises:
        InputError: ``teae_window_days`` is negative, or ``last_dose`` is before
            ``first_dose``.

    Example: window 30 days after a last dose on 1 June 2025:

    >>> ae = AdverseEvent.new("001", "Fatigue", "tired", date(2025, 7, 1), 2)
    >>> is_treatment_emergent(ae, first_dose=date(2025, 1, 6), last_dose=date(2025, 6, 1))
    True
    >>> is_treatment_emergent(ae, first_dose=date(2025, 1, 6), last_dose=date(2025, 6, 1),
    ...                       teae_window_days=28)
    False
    """
    if teae_window_days < 0:
        raise InputError(f"teae_window_days is {teae_window_days}; it must be 0 or more.",
                         field="teae_window_days", value=teae_window_days,
                         hint="Set the protocol's TEAE window in days (30 by default).")
    if first_dose is None:
        return False
    if last_dose is not None and last_dose < first_dose:
        raise InputError(f"Last dose {last_dose} is before first dose {first_dose}.",
                         field="last_dose", value=last_dose, hint="Check the dosing dates.")
    end: date | None = None
    if last_dose is not None:
        end = last_dose + timedelta(days=teae_window_days)
    if next_therapy_start is not None:
        stop = next_therapy_start - timedelta(days=1)
        end = stop if end is None else min(end, stop)

    def in_window(day: date) -> bool:
        return first_dose <= day and (end is None or day <= end)

    if event.onset >= first_dose:
        return in_window(event.onset)
    before = [c.grade for c in event.grade_history if c.on < first_dose]
    pre_dose = before[-1]
    return any(c.grade > pre_dose and in_window(c.on)
               for c in event.grade_history if c.on >= first_dose)


def worst_grades(events: Iterable[AdverseEvent]) -> dict[tuple[str, str], int]:
    """The worst CTCAE grade per (subject, term), as counted in CSR tables (endpoints.md 8).

    Filter the events first (for example with :func:`is_treatment_emergent`) to count TEAEs.

    >>> a = AdverseEvent.new("001", "Nausea", "nausea", date(2025, 1, 8), 1)
    >>> b = AdverseEvent.new("001", "Nausea", "nausea", date(2025, 2, 8), 2)
    >>> worst_grades([a, b])
    {('001', 'Nausea'): 2}
    """
    worst: dict[tuple[str, str], int] = {}
    for event in events:
        key = (event.subject_id, event.term)
        worst[key] = max(worst.get(key, 0), event.grade)
    return dict(sorted(worst.items()))


def sae_report_due(
    event: AdverseEvent, *, within_hours: int = SAE_REPORTING_HOURS
) -> datetime | None:
    """When the sponsor report of a serious AE is due: site awareness + ``within_hours``.

    ``within_hours`` is the protocol's SAE reporting time (``sae_report_within_hours`` of the
    protocol's adverse-event endpoint), 24 by default. None for a non-serious AE, or when the
    awareness time is not recorded (a finding of :func:`check_sae_reporting`).

    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 22, 15))
    >>> sae_report_due(ae)
    datetime.datetime(2025, 3, 2, 22, 15)
    """
    if within_hours < 1:
        raise InputError(f"within_hours is {within_hours}; it must be at least 1.",
                         field="within_hours", value=within_hours,
                         hint="Set the protocol's SAE reporting time in hours (24 by default).")
    if not event.serious or event.aware_at is None:
        return None
    return event.aware_at + timedelta(hours=within_hours)


def is_sae_report_overdue(
    event: AdverseEvent, *, now: datetime, within_hours: int = SAE_REPORTING_HOURS
) -> bool:
    """True if a serious AE is not reported and its deadline (24 h) has passed at ``now``.

    Raises:
        InputError: ``now`` and the awareness time mix timezone-aware and naive datetimes.

    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 8, 0))
    >>> is_sae_report_overdue(ae, now=datetime(2025, 3, 2, 8, 0))
    False
    >>> is_sae_report_overdue(ae, now=datetime(2025, 3, 2, 8, 1))
    True
    """
    due = sae_report_due(event, within_hours=within_hours)
    if due is None or event.reported_at is not None:
        return False
    try:
        return now > due
    except TypeError as exc:
        raise InputError(
            f"Cannot compare {now!r} with the SAE deadline {due!r}: one has a timezone and the "
            "other does not.", field="now", hint="Use timezone-aware datetimes throughout."
        ) from exc


def check_sae_reporting(
    events: Iterable[AdverseEvent], *, now: datetime, within_hours: int = SAE_REPORTING_HOURS
) -> list[Finding]:
    """Findings about the reporting of serious AEs at ``now`` (within 24 h by default).

    Codes: ``SAE_AWARENESS_MISSING`` (error), ``SAE_REPORT_OVERDUE`` (error),
    ``SAE_REPORT_DUE`` (warning, not yet reported, deadline ahead), ``SAE_REPORTED_LATE``
    (warning: reported after the deadline, a protocol deviation).

    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 8, 0))
    >>> [f.code for f in check_sae_reporting([ae], now=datetime(2025, 3, 2, 9, 0))]
    ['SAE_REPORT_OVERDUE']
    """
    findings: list[Finding] = []
    for event in events:
        if not event.serious:
            continue
        name = f"{event.subject_id} {event.term} (onset {event.onset})"
        due = sae_report_due(event, within_hours=within_hours)
        if due is None:
            findings.append(Finding(
                "SAE_AWARENESS_MISSING", "aware_at",
                f"Serious AE {name} has no site awareness time, so its {within_hours}-hour "
                "reporting deadline cannot be checked. Record when the site learnt of it."))
            continue
        try:
            if event.reported_at is None:
                if now > due:
                    late = now - due
                    findings.append(Finding(
                        "SAE_REPORT_OVERDUE", "reported_at",
                        f"Serious AE {name} was due to the sponsor by {due:%Y-%m-%d %H:%M} "
                        f"({within_hours} h after awareness) and is not reported; "
                        f"{_hours(late)} overdue. Report it now."))
                else:
                    findings.append(Finding(
                        "SAE_REPORT_DUE", "reported_at",
                        f"Serious AE {name} must reach the sponsor by {due:%Y-%m-%d %H:%M} "
                        f"({_hours(due - now)} left).", severity="warning"))
            elif event.reported_at > due:
                findings.append(Finding(
                    "SAE_REPORTED_LATE", "reported_at",
                    f"Serious AE {name} was reported {_hours(event.reported_at - due)} after "
                    f"its {within_hours}-hour deadline: record a protocol deviation.",
                    severity="warning"))
        except TypeError:
            findings.append(Finding(
                "SAE_TIMEZONE_MIXED", "aware_at",
                f"Serious AE {name}: awareness, report and current times mix timezone-aware "
                "and naive datetimes. Use timezone-aware datetimes."))
    return findings


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h"


def check_adverse_events(
    events: Iterable[AdverseEvent], dictionary: CtcaeDictionary | None = None
) -> list[Finding]:
    """Findings about AE records against the CTCAE v5.0 dictionary; never raises for data.

    Codes: ``AE_TERM_UNKNOWN`` (the term is not a CTCAE v5.0 term of the dictionary),
    ``AE_GRADE_NOT_ALLOWED`` (a grade that does not exist for the term, e.g. alopecia grade 3),
    ``AE_ATTRIBUTION_MISSING`` (warning: counted as related until answered, ctcae_v5.md 7).

    >>> ae = AdverseEvent.new("001", "Alopecia", "hair loss", date(2025, 2, 1), 3)
    >>> [f.code for f in check_adverse_events([ae])]
    ['AE_GRADE_NOT_ALLOWED', 'AE_ATTRIBUTION_MISSING']
    """
    terms = dictionary if dictionary is not None else bundled_dictionary()
    findings: list[Finding] = []
    for event in events:
        name = f"{event.subject_id} {event.term!r} (onset {event.onset})"
        if event.term not in terms:
            findings.append(Finding(
                "AE_TERM_UNKNOWN", "term",
                f"AE {name}: {event.term!r} is not a CTCAE v5.0 term in the dictionary. Code the "
                f"verbatim {event.verbatim!r} to a CTCAE v5.0 term."))
        else:
            entry = terms[event.term]
            for change in event.grade_history:
                if not entry.allows(change.grade):
                    allowed = ", ".join(str(g) for g in entry.allowed_grades)
                    findings.append(Finding(
                        "AE_GRADE_NOT_ALLOWED", "grade",
                        f"AE {name}: grade {change.grade} on {change.on} does not exist for "
                        f"{entry.term} in CTCAE v5.0 (grades {allowed}). Correct the grade."))
        if event.relationship is None:
            findings.append(Finding(
                "AE_ATTRIBUTION_MISSING", "relationship",
                f"AE {name} has no attribution; it counts as related until the investigator "
                "answers.", severity="warning"))
    return findings


@dataclass(frozen=True, slots=True)
class LabObservation:
    """A graded lab result of one subject, as input to :func:`suggest_adverse_events`.

    ``term`` is the lab grading term (``"Hypocalcemia (Ionized)"``) or the CTCAE term;
    ``grade`` the CTCAE grade (None when not graded); ``baseline_grade`` the subject's grade
    for this term at baseline (0 when normal); ``visit`` a label such as ``"C2D15"``.
    """

    subject_id: str
    term: str
    collected_on: date
    grade: int | None
    visit: str | None = None
    baseline_grade: int = 0


@dataclass(frozen=True, slots=True)
class SuggestedAdverseEvent:
    """A lab grade that the AE records do not account for; the investigator decides."""

    subject_id: str
    term: str
    grade: int
    observed_on: date
    visit: str | None
    reason: str
    existing: AdverseEvent | None = None

    def summary(self) -> str:
        """The sentence for the site, e.g. "... grade 3 on C2D15 (2025-03-04) has no AE record"."""
        return f"{self.subject_id}: {self.reason}"


def lab_observations(
    frame: pd.DataFrame,
    *,
    subject_id: str = "subject_id",
    term: str = "term",
    collected_on: str = "collected_on",
    grade: str = "ctcae_grade",
    visit: str = "visit",
    baseline_grade: str = "baseline_grade",
) -> tuple[LabObservation, ...]:
    """Turn graded lab rows (e.g. from :func:`oncotrial.ctcae.derive_lab_grades`) into
    :class:`LabObservation` records for :func:`suggest_adverse_events`.

    ``visit`` and ``baseline_grade`` columns may be absent (no label; baseline grade 0). A
    missing grade (<NA>) stays None: the row is not graded and is never suggested.

    Raises:
        InputError: a needed column is missing.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"subject_id": ["001"], "term": ["Anemia"],
    ...                      "collected_on": [date(2025, 3, 4)], "ctcae_grade": [2]})
    >>> lab_observations(rows)[0].grade
    2
    """
    import pandas as pd

    missing = [c for c in (subject_id, term, collected_on, grade) if c not in frame.columns]
    if missing:
        raise InputError(
            f"The lab table lacks the column(s) {', '.join(missing)}.", field="frame",
            value=list(frame.columns),
            hint="Name the columns with the keyword arguments of lab_observations.")

    def text(x: object) -> str | None:
        return None if x is None or (not isinstance(x, str) and pd.isna(x)) else str(x)

    def integer(x: object, default: int | None) -> int | None:
        return default if x is None or pd.isna(x) else int(x)  # type: ignore[call-overload]

    visits = frame[visit] if visit in frame.columns else [None] * len(frame)
    baselines = frame[baseline_grade] if baseline_grade in frame.columns else [0] * len(frame)
    days = pd.to_datetime(frame[collected_on]).dt.date
    out = []
    for sid, t, day, g, v, b in zip(frame[subject_id], frame[term], days, frame[grade], visits,
                                    baselines, strict=True):
        out.append(LabObservation(str(sid), str(t), day, integer(g, None), text(v),
                                  integer(b, 0) or 0))
    return tuple(out)


def _ctcae_term(term: str) -> str:
    try:
        return lab_term(term).ctcae_term
    except UnknownTermError:
        return term


def suggest_adverse_events(
    observations: Iterable[LabObservation],
    events: Iterable[AdverseEvent],
    *,
    min_grade: int = 1,
) -> tuple[SuggestedAdverseEvent, ...]:
    """Lab grades with no matching AE record, for the site to review.

    Rule: a graded result of at least ``min_grade`` and worse than the subject's baseline grade
    for that term (a lab TEAE, ctcae_v5.md section 6) needs an AE of the same subject and CTCAE
    term that is ongoing on the collection day. If there is none, suggest one; if there is one
    with a lower grade that day, suggest a grade change. Results are sorted by subject, date and
    term.

    >>> obs = [LabObservation("001", "Platelet count decreased", date(2025, 3, 4), 3,
    ...                       visit="C2D15")]
    >>> print(suggest_adverse_events(obs, [])[0].summary())
    001: Platelet count decreased grade 3 on C2D15 (2025-03-04) has no AE record.
    """
    by_key: dict[tuple[str, str], list[AdverseEvent]] = {}
    for event in events:
        by_key.setdefault((event.subject_id, _ctcae_term(event.term)), []).append(event)
    out: list[SuggestedAdverseEvent] = []
    for obs in observations:
        if obs.grade is None or obs.grade < min_grade or obs.grade <= obs.baseline_grade:
            continue
        term = _ctcae_term(obs.term)
        when = f"on {obs.visit} ({obs.collected_on})" if obs.visit else f"on {obs.collected_on}"
        covering = [(e, g) for e in by_key.get((obs.subject_id, term), [])
                    if (g := e.grade_on(obs.collected_on)) is not None]
        if not covering:
            out.append(SuggestedAdverseEvent(
                obs.subject_id, term, obs.grade, obs.collected_on, obs.visit,
                f"{term} grade {obs.grade} {when} has no AE record."))
            continue
        event, recorded = max(covering, key=lambda pair: pair[1])
        if recorded < obs.grade:
            out.append(SuggestedAdverseEvent(
                obs.subject_id, term, obs.grade, obs.collected_on, obs.visit,
                f"{term} grade {obs.grade} {when} is above the grade {recorded} recorded on the "
                f"AE that day: record a grade change.", existing=event))
    return tuple(sorted(out, key=lambda s: (s.subject_id, s.observed_on, s.term)))
