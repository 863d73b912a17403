"""Adverse events: treatment emergence, worst grades, the SAE clock, suggestions from labs.

The AE record itself is :class:`oncotrial.records.AdverseEvent` (with its grade history,
:class:`~oncotrial.records.GradeChange`); this module applies the rules to it. Sources, as
``docs/safety.md`` explains them:

* Severity is the NCI CTCAE v5.0 (27 Nov 2017) grade; one record per continuous episode with
  its grade history, the episode's grade being the worst grade reached (CTCAE v5.0, "Grades").
* Seriousness (ICH E2A, section II.B) is independent of the grade.
* Treatment-emergent (ICH E9 glossary, "treatment emergent"; ICH E3 section 12.2.2,
  treatment-emergent signs and symptoms): onset on or after the first dose and no later than
  ``teae_window_days`` after the last dose, or present before the first dose and worse in grade
  on or after it within the same window. The window also stops the day before a new anticancer
  therapy starts, when that is earlier. The window length and the partial-date imputation are
  statistical-analysis-plan conventions: the protocol sets ``teae_window_days`` and the caller
  passes it (``TrialContext.teae_window_days``); nothing here has a default for it.
* Attribution uses the NCI CTEP five-level scale; "related" is possible, probable or definite,
  and a missing attribution counts as related and is flagged.
* A serious AE must reach the sponsor within the protocol's reporting time of the site becoming
  aware of it (ICH E6(R2) 4.11.1, "immediately"; 24 hours in the bundled protocol); the caller
  passes the hours.

Nothing here reads the clock: ``now`` and the dosing dates are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from oncotrial.ctcae._codes import (
    AE_ATTRIBUTION_MISSING,
    AE_GRADE_NOT_ALLOWED,
    AE_TERM_UNKNOWN,
    SAE_AWARENESS_MISSING,
    SAE_REPORT_DUE,
    SAE_REPORT_OVERDUE,
    SAE_REPORTED_LATE,
    SAE_TIMEZONE_MIXED,
    SUGGEST_GRADE_CHANGE,
    SUGGEST_NEW_AE,
)
from oncotrial.ctcae.dictionary import CtcaeDictionary, bundled_dictionary
from oncotrial.ctcae.labs import lab_term
from oncotrial.errors import Finding, InputError, UnknownTermError
from oncotrial.records import AdverseEvent, Fact, Facts, Grade

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_TEAE_WINDOW_DAYS",
    "SAE_REPORTING_HOURS",
    "LabObservation",
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

#: The TEAE window after the last dose that oncology SAPs most often use, in days (28 is also
#: common). For the docs only: no function applies it; the protocol sets the window and the
#: caller passes it as ``teae_window_days``.
DEFAULT_TEAE_WINDOW_DAYS: Final = 30
#: The usual site-to-sponsor reporting time of a serious AE, in hours. For the docs only: the
#: protocol's ``sae_report_within_hours`` is passed as ``within_hours``.
SAE_REPORTING_HOURS: Final = 24


def impute_onset(as_reported: str, *, first_dose_on: date | None) -> date:
    """Impute a partial AE onset date conservatively (SAP convention, ``docs/safety.md``).

    ``as_reported`` is an ISO 8601 date, complete or partial: ``YYYY-MM-DD``, ``YYYY-MM`` or
    ``YYYY``. Rule: a missing day in the month of the first dose, or a missing month and day in
    its year, is the first-dose date (so the AE counts as on or after the first dose; a later
    day of that month is not moved earlier); otherwise a missing day is the 1st of the month and
    a missing month is January. Keep the reported text in ``AdverseEvent.onset_as_reported``.

    Raises:
        InputError: the text is not a complete or partial ISO 8601 date.

    >>> impute_onset("2025-01", first_dose_on=date(2025, 1, 6))
    datetime.date(2025, 1, 6)
    >>> impute_onset("2025-02", first_dose_on=date(2025, 1, 6))
    datetime.date(2025, 2, 1)
    >>> impute_onset("2025", first_dose_on=date(2025, 1, 6))
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
            "when the day or month is unknown.", field="onset_on", value=as_reported,
            hint="Enter the onset as known, for example 2025-03 for 'March 2025'.") from exc
    if first_dose_on is None:
        return start
    same_period = (first_dose_on.year == year
                   and (month is None or first_dose_on.month == month))
    return first_dose_on if same_period and start <= first_dose_on else start


def is_treatment_emergent(
    event: AdverseEvent,
    *,
    first_dose_on: date | None,
    teae_window_days: int,
    last_dose_on: date | None = None,
    next_therapy_on: date | None = None,
) -> bool:
    """True if the AE is treatment-emergent (ICH E9 glossary; ICH E3 12.2.2; ``docs/safety.md``).

    Rule: the window runs from ``first_dose_on`` to ``last_dose_on`` + ``teae_window_days``
    (open while the subject is on treatment, ``last_dose_on`` None), and ends the day before
    ``next_therapy_on`` (the start of a new anticancer therapy) if that is earlier. An AE is
    treatment-emergent if its onset lies in the window, or if it began before the first dose
    and its grade rose above the pre-dose grade on a day in the window. A subject never dosed
    has no TEAE. ``teae_window_days`` is the protocol's (``TrialContext.teae_window_days``).

    Raises:
        InputError: ``teae_window_days`` is negative, or ``last_dose_on`` is before
            ``first_dose_on``.

    Example: an AE on 1 July 2025, last dose on 1 June 2025, with a 30-day and a 28-day window:

    >>> ae = AdverseEvent.new("001", "Fatigue", "tired", date(2025, 7, 1), 2)
    >>> is_treatment_emergent(ae, first_dose_on=date(2025, 1, 6), last_dose_on=date(2025, 6, 1),
    ...                       teae_window_days=30)
    True
    >>> is_treatment_emergent(ae, first_dose_on=date(2025, 1, 6), last_dose_on=date(2025, 6, 1),
    ...                       teae_window_days=28)
    False
    """
    if isinstance(teae_window_days, bool) or not isinstance(teae_window_days, int) \
            or teae_window_days < 0:
        raise InputError(f"teae_window_days is {teae_window_days!r}; it must be a whole number "
                         "of days, 0 or more.", field="teae_window_days", value=teae_window_days,
                         hint="Pass the protocol's TEAE window in days.")
    if first_dose_on is None:
        return False
    if last_dose_on is not None and last_dose_on < first_dose_on:
        raise InputError(f"Last dose {last_dose_on} is before first dose {first_dose_on}.",
                         field="last_dose_on", value=last_dose_on, hint="Check the dosing dates.")
    end: date | None = None
    if last_dose_on is not None:
        end = last_dose_on + timedelta(days=teae_window_days)
    if next_therapy_on is not None:
        stop = next_therapy_on - timedelta(days=1)
        end = stop if end is None else min(end, stop)

    def in_window(day: date) -> bool:
        return first_dose_on <= day and (end is None or day <= end)

    if event.onset_on >= first_dose_on:
        return in_window(event.onset_on)
    before = [c.grade for c in event.grade_history if c.on < first_dose_on]
    pre_dose = before[-1]
    return any(c.grade > pre_dose and in_window(c.on)
               for c in event.grade_history if c.on >= first_dose_on)


def worst_grades(events: Iterable[AdverseEvent]) -> dict[tuple[str, str], Grade]:
    """The worst CTCAE grade per (subject, term), as counted in CSR AE tables (ICH E3 12.2.2).

    Filter the events first (for example with :func:`is_treatment_emergent`) to count TEAEs.

    >>> a = AdverseEvent.new("001", "Nausea", "nausea", date(2025, 1, 8), 1)
    >>> b = AdverseEvent.new("001", "Nausea", "nausea", date(2025, 2, 8), 2)
    >>> worst_grades([a, b])
    {('001', 'Nausea'): <Grade.G2: 2>}
    """
    worst: dict[tuple[str, str], Grade] = {}
    for event in events:
        key = (event.subject_id, event.term)
        worst[key] = max(worst.get(key, Grade.G0), event.grade)
    return dict(sorted(worst.items()))


def _check_hours(within_hours: int) -> None:
    if isinstance(within_hours, bool) or not isinstance(within_hours, int) or within_hours < 1:
        raise InputError(f"within_hours is {within_hours!r}; it must be a whole number of hours, "
                         "at least 1.", field="within_hours", value=within_hours,
                         hint="Pass the protocol's SAE reporting time in hours "
                              "(sae_report_within_hours).")


def sae_report_due(event: AdverseEvent, *, within_hours: int) -> datetime | None:
    """When the sponsor report of a serious AE is due: site awareness + ``within_hours``.

    ``within_hours`` is the protocol's SAE reporting time (``sae_report_within_hours`` of the
    protocol's adverse-event endpoint; 24 in the bundled protocol). None for a non-serious AE,
    or when the awareness time is not recorded (a finding of :func:`check_sae_reporting`).

    Raises:
        InputError: ``within_hours`` is not a whole number of at least 1.

    >>> from oncotrial.records import SeriousCriterion
    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 22, 15))
    >>> sae_report_due(ae, within_hours=24)
    datetime.datetime(2025, 3, 2, 22, 15)
    """
    _check_hours(within_hours)
    if not event.serious or event.aware_at is None:
        return None
    return event.aware_at + timedelta(hours=within_hours)


def is_sae_report_overdue(event: AdverseEvent, *, now: datetime, within_hours: int) -> bool:
    """True if a serious AE is not reported and its deadline has passed at ``now``.

    Raises:
        InputError: ``now`` and the awareness time mix timezone-aware and naive datetimes.

    >>> from oncotrial.records import SeriousCriterion
    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 8, 0))
    >>> is_sae_report_overdue(ae, now=datetime(2025, 3, 2, 8, 0), within_hours=24)
    False
    >>> is_sae_report_overdue(ae, now=datetime(2025, 3, 2, 8, 1), within_hours=24)
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


def _sae_finding(event: AdverseEvent, name: str, due: datetime, now: datetime,
                 within_hours: int) -> Finding | None:
    """The reporting finding of one serious AE whose deadline is known (TypeError if mixed)."""
    if event.reported_at is None:
        if now > due:
            return Finding(
                SAE_REPORT_OVERDUE, "reported_at",
                f"Serious AE {name} was due to the sponsor by {due:%Y-%m-%d %H:%M} "
                f"({within_hours} h after awareness) and is not reported; "
                f"{_hours(now - due)} overdue. Report it now.")
        return Finding(
            SAE_REPORT_DUE, "reported_at",
            f"Serious AE {name} must reach the sponsor by {due:%Y-%m-%d %H:%M} "
            f"({_hours(due - now)} left).", severity="warning")
    if event.reported_at > due:
        return Finding(
            SAE_REPORTED_LATE, "reported_at",
            f"Serious AE {name} was reported {_hours(event.reported_at - due)} after "
            f"its {within_hours}-hour deadline: record a protocol deviation.",
            severity="warning")
    return None


def check_sae_reporting(
    events: Iterable[AdverseEvent], *, now: datetime, within_hours: int
) -> list[Finding]:
    """Findings about the reporting of serious AEs at ``now`` (the protocol's ``within_hours``).

    Codes: ``ctcae.sae.awareness_missing`` (error), ``ctcae.sae.report_overdue`` (error),
    ``ctcae.sae.report_due`` (warning, not yet reported, deadline ahead),
    ``ctcae.sae.reported_late`` (warning: reported after the deadline, a protocol deviation),
    ``ctcae.sae.timezone_mixed`` (error).

    >>> from oncotrial.records import SeriousCriterion
    >>> ae = AdverseEvent.new("001", "Sepsis", "sepsis", date(2025, 3, 1), 3,
    ...     serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
    ...     aware_at=datetime(2025, 3, 1, 8, 0))
    >>> [f.code for f in check_sae_reporting([ae], now=datetime(2025, 3, 2, 9, 0),
    ...                                      within_hours=24)]
    ['ctcae.sae.report_overdue']
    """
    _check_hours(within_hours)
    findings: list[Finding] = []
    for event in events:
        if not event.serious:
            continue
        name = f"{event.subject_id} {event.term} (onset {event.onset_on})"
        due = sae_report_due(event, within_hours=within_hours)
        if due is None:
            findings.append(Finding(
                SAE_AWARENESS_MISSING, "aware_at",
                f"Serious AE {name} has no site awareness time, so its {within_hours}-hour "
                "reporting deadline cannot be checked. Record when the site learnt of it."))
            continue
        try:
            finding = _sae_finding(event, name, due, now, within_hours)
        except TypeError:
            finding = Finding(
                SAE_TIMEZONE_MIXED, "aware_at",
                f"Serious AE {name}: awareness, report and current times mix timezone-aware "
                "and naive datetimes. Use timezone-aware datetimes.")
        if finding is not None:
            findings.append(finding)
    return findings


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h"


def check_adverse_events(
    events: Iterable[AdverseEvent], dictionary: CtcaeDictionary | None = None
) -> list[Finding]:
    """Findings about AE records against the CTCAE v5.0 dictionary; never raises for data.

    ``dictionary`` is the CTCAE v5.0 dictionary in use (default: the bundled terms). Codes:
    ``ctcae.ae.term_unknown`` (the term is not a CTCAE v5.0 term of the dictionary),
    ``ctcae.ae.grade_not_allowed`` (a grade that does not exist for the term, e.g. alopecia
    grade 3), ``ctcae.ae.attribution_missing`` (warning: counted as related until answered).

    >>> ae = AdverseEvent.new("001", "Alopecia", "hair loss", date(2025, 2, 1), 3)
    >>> [f.code for f in check_adverse_events([ae])]
    ['ctcae.ae.grade_not_allowed', 'ctcae.ae.attribution_missing']
    """
    terms = dictionary if dictionary is not None else bundled_dictionary()
    findings: list[Finding] = []
    for event in events:
        name = f"{event.subject_id} {event.term!r} (onset {event.onset_on})"
        if event.term not in terms:
            findings.append(Finding(
                AE_TERM_UNKNOWN, "term",
                f"AE {name}: {event.term!r} is not a CTCAE v5.0 term in the dictionary. Code the "
                f"verbatim {event.verbatim!r} to a CTCAE v5.0 term."))
        else:
            entry = terms[event.term]
            allowed = ", ".join(str(g) for g in entry.allowed_grades)
            findings.extend(
                Finding(AE_GRADE_NOT_ALLOWED, "grade",
                        f"AE {name}: grade {int(change.grade)} on {change.on} does not exist "
                        f"for {entry.term} in CTCAE v5.0 (grades {allowed}). Correct the grade.")
                for change in event.grade_history if not entry.allows(change.grade))
        if event.relationship is None:
            findings.append(Finding(
                AE_ATTRIBUTION_MISSING, "relationship",
                f"AE {name} has no attribution; it counts as related until the investigator "
                "answers.", severity="warning"))
    return findings


@dataclass(frozen=True, slots=True)
class LabObservation:
    """A graded lab result of one subject, as input to :func:`suggest_adverse_events`.

    ``term`` is the lab grading term (``"Hypocalcemia (Ionized)"``) or the CTCAE term;
    ``grade`` the CTCAE grade (None when not graded); ``baseline_grade`` the subject's grade
    for this term at baseline (grade 0 when normal); ``visit`` a label such as ``"C2D15"``.

    Raises:
        InputError: a grade is not a CTCAE grade 0-5.
    """

    subject_id: str
    term: str
    collected_on: date
    grade: Grade | None
    visit: str | None = None
    baseline_grade: Grade = Grade.G0

    def __post_init__(self) -> None:
        if self.grade is not None:
            object.__setattr__(self, "grade", Grade.parse(self.grade))
        object.__setattr__(self, "baseline_grade", Grade.parse(self.baseline_grade))


@dataclass(frozen=True, slots=True)
class SuggestedAdverseEvent:
    """A lab grade that the AE records do not account for; the investigator decides.

    ``code`` is ``ctcae.suggest_ae.no_record`` (no AE of the term ongoing that day) or
    ``ctcae.suggest_ae.grade_change`` (the ongoing AE, ``existing``, has a lower grade that
    day). ``facts``: ``subject_id``, ``term``, ``lab_term``, ``grade``, ``baseline_grade``,
    ``observed_on`` (ISO date), ``visit``, ``min_grade`` and, for a grade change,
    ``recorded_grade``.
    """

    code: str
    subject_id: str
    term: str
    grade: Grade
    observed_on: date
    visit: str | None
    reason: str
    existing: AdverseEvent | None = None
    facts: Facts = field(default_factory=dict, hash=False)

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
        InputError: a needed column is missing, or a grade is not a CTCAE grade 0-5.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"subject_id": ["001"], "term": ["Anemia"],
    ...                      "collected_on": [date(2025, 3, 4)], "ctcae_grade": [2]})
    >>> lab_observations(rows)[0].grade
    <Grade.G2: 2>
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

    def grade_of(x: object) -> Grade | None:
        return None if x is None or pd.isna(x) else Grade.parse(int(x))  # type: ignore[call-overload]

    visits = frame[visit] if visit in frame.columns else [None] * len(frame)
    baselines = frame[baseline_grade] if baseline_grade in frame.columns else [0] * len(frame)
    days = pd.to_datetime(frame[collected_on]).dt.date
    out = []
    for sid, t, day, g, v, b in zip(frame[subject_id], frame[term], days, frame[grade], visits,
                                    baselines, strict=True):
        out.append(LabObservation(str(sid), str(t), day, grade_of(g), text(v),
                                  grade_of(b) or Grade.G0))
    return tuple(out)


def _ctcae_term(term: str) -> str:
    try:
        return lab_term(term).ctcae_term
    except UnknownTermError:
        return term


def _suggestion(obs: LabObservation, term: str, events: list[AdverseEvent],
                min_grade: int) -> SuggestedAdverseEvent | None:
    """The suggestion for one graded observation of CTCAE term ``term``, if any."""
    assert obs.grade is not None
    when = f"on {obs.visit} ({obs.collected_on})" if obs.visit else f"on {obs.collected_on}"
    facts: dict[str, Fact] = {
        "subject_id": obs.subject_id, "term": term, "lab_term": obs.term,
        "grade": int(obs.grade), "baseline_grade": int(obs.baseline_grade),
        "observed_on": obs.collected_on.isoformat(), "visit": obs.visit, "min_grade": min_grade}
    covering = [(e, g) for e in events if (g := e.grade_on(obs.collected_on)) is not None]
    if not covering:
        return SuggestedAdverseEvent(
            SUGGEST_NEW_AE, obs.subject_id, term, obs.grade, obs.collected_on, obs.visit,
            f"{term} grade {int(obs.grade)} {when} has no AE record.", facts=facts)
    event, recorded = max(covering, key=lambda pair: pair[1])
    if recorded >= obs.grade:
        return None
    facts["recorded_grade"] = int(recorded)
    return SuggestedAdverseEvent(
        SUGGEST_GRADE_CHANGE, obs.subject_id, term, obs.grade, obs.collected_on, obs.visit,
        f"{term} grade {int(obs.grade)} {when} is above the grade {int(recorded)} recorded on "
        "the AE that day: record a grade change.", existing=event, facts=facts)


def suggest_adverse_events(
    observations: Iterable[LabObservation],
    events: Iterable[AdverseEvent],
    *,
    min_grade: int = 1,
) -> tuple[SuggestedAdverseEvent, ...]:
    """Lab grades with no matching AE record, for the site to review.

    Rule: a graded result of at least ``min_grade`` and worse than the subject's baseline grade
    for that term (a laboratory TEAE: post-baseline grade above the baseline grade,
    ``docs/safety.md``) needs an AE of the same subject and CTCAE term that is ongoing on the
    collection day. If there is none, suggest one (``ctcae.suggest_ae.no_record``); if there is
    one with a lower grade that day, suggest a grade change (``ctcae.suggest_ae.grade_change``).
    Results are sorted by subject, date and term.

    >>> obs = [LabObservation("001", "Platelet count decreased", date(2025, 3, 4), 3,
    ...                       visit="C2D15")]
    >>> s = suggest_adverse_events(obs, [])[0]
    >>> s.code
    'ctcae.suggest_ae.no_record'
    >>> print(s.summary())
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
        found = _suggestion(obs, term, by_key.get((obs.subject_id, term), []), min_grade)
        if found is not None:
            out.append(found)
    return tuple(sorted(out, key=lambda s: (s.subject_id, s.observed_on, s.term)))
