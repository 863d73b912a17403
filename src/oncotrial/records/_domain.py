"""The shared trial records: one frozen dataclass per kind of fact a trial collects (core).

These are the shapes every core package reads and the store persists: a subject, a laboratory
result, a lesion measurement, a tumour assessment, a stretch of dosing, an adverse event, a
concomitant medication, a death, a contact, a new anticancer therapy and a discontinuation.
Naming: ``subject_id`` identifies the subject everywhere; a date field ends in ``_on`` and a
timestamp in ``_at``. Packages build their own views over these (``dosing`` reads blood counts
out of :class:`LabResult` rows); none defines a second record of the same fact.

A record checks only what makes it self-contradictory (an AE whose grade history starts after
its onset, a lab result with a lower limit above its upper one). Whether a unit fits an analyte
is checked by :func:`oncotrial.clinical.convert` where the value is used.
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import PlainSerializer

from oncotrial.errors import InputError
from oncotrial.records._enums import (
    ActionTaken,
    DiscontinuationLevel,
    DiscontinuationReason,
    Grade,
    Outcome,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
    TherapyType,
)

__all__ = [
    "DAYS_PER_MONTH",
    "AdverseEvent",
    "ConcomitantMedication",
    "Contact",
    "Death",
    "Discontinuation",
    "DosingRecord",
    "GradeChange",
    "LabResult",
    "LesionMeasurement",
    "NewTherapy",
    "Subject",
    "TumourAssessment",
    "months",
]

#: A set of seriousness criteria, stored as a sorted list so its JSON form is stable.
SeriousCriteria = Annotated[
    frozenset[SeriousCriterion],
    PlainSerializer(lambda s: sorted(c.value for c in s), return_type=list[str]),
]

#: Days in an average month (365.25 / 12), the one constant that turns days into months for
#: every endpoint, table and plot (as R ``survival`` users and SAS ``PROC LIFETEST`` reports do
#: by convention; ICH E9 leaves the unit to the protocol).
DAYS_PER_MONTH: float = 365.25 / 12


def months(days: float) -> float:
    """Days to months by :data:`DAYS_PER_MONTH`.

    >>> round(months(365.25), 6)
    12.0
    """
    return days / DAYS_PER_MONTH


@dataclass(frozen=True, slots=True)
class Subject:
    """A registered subject: enrolment date and whether baseline disease was measurable.

    ``sex`` and ``birth_on`` are optional here: the endpoint derivations do not need them, and
    the store keeps identifying details apart from trial data.
    """

    subject_id: str
    enrolled_on: date
    measurable_disease_at_baseline: bool
    _: KW_ONLY
    sex: Sex | None = None
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class LabResult:
    """One laboratory result as reported: analyte key, value, unit, reference range, date.

    ``analyte`` is an analyte key of ``docs/clinical.md`` (``anc``, ``platelets``, ``alt``...).
    ``unit`` is the unit as reported (``""`` for a ratio such as INR); ``lln``/``uln`` are the
    laboratory's limits in that unit, or None when it reports none.

    Raises:
        InputError: the value or a limit is not a finite number, or the LLN is above the ULN.

    >>> LabResult("HCH-001", "anc", 0.9, "10^9/L", 2.0, 7.5, date(2026, 3, 1)).value
    0.9
    """

    subject_id: str
    analyte: str
    value: float
    unit: str
    lln: float | None
    uln: float | None
    collected_on: date

    def __post_init__(self) -> None:
        for name in ("value", "lln", "uln"):
            number = getattr(self, name)
            if number is None and name != "value":
                continue
            if isinstance(number, bool) or not isinstance(number, int | float) \
                    or not math.isfinite(number):
                raise InputError(
                    f"{self.analyte} of subject {self.subject_id} on {self.collected_on}: "
                    f"{name.upper() if name != 'value' else 'the value'} {number!r} is not a "
                    "number.", field=name, value=number,
                    hint="Enter the number as printed on the laboratory report.")
        if self.lln is not None and self.uln is not None and self.lln > self.uln:
            raise InputError(
                f"{self.analyte} of subject {self.subject_id} on {self.collected_on}: the lower "
                f"limit of normal {self.lln} is above the upper limit {self.uln}.",
                field="lln", value=self.lln,
                hint="Check the reference range on the laboratory report.")


@dataclass(frozen=True, slots=True)
class LesionMeasurement:
    """One lesion at one assessment, as the radiologist recorded it (RECIST 1.1 section 4.2).

    ``diameter_mm`` is the longest diameter (short axis for a lymph node) or None when the
    lesion was not measured; ``state`` is ``"measured"``, ``"too_small"`` (RECIST 1.1 4.2:
    counted as 5 mm), ``"disappeared"`` (0 mm), ``"not_evaluable"`` or ``"split"``/``"merged"``
    bookkeeping; ``kind`` is ``"target"``, ``"non_target"`` or ``"new"``; ``status`` carries the
    non-target or new-lesion call (``"present"``, ``"absent"``, ``"unequivocal_progression"``,
    ``"equivocal"``) where there is no diameter to read.
    """

    subject_id: str
    lesion_id: str
    measured_on: date
    diameter_mm: float | None
    _: KW_ONLY
    kind: str = "target"
    organ: str = ""
    nodal: bool = False
    method: str = "CT"
    state: str = "measured"
    status: str = ""


@dataclass(frozen=True, slots=True)
class TumourAssessment:
    """One tumour assessment and its RECIST 1.1 overall response.

    ``assessed_on`` is the date of the assessment: for a multi-day assessment, the date of the
    last scan contributing to it (RECIST 1.1 section 9, FDA convention). ``new_lesion_on`` is the
    date of the scan that first showed a new lesion, when PD is by new lesion. The baseline
    assessment has ``baseline=True`` and no overall response.
    """

    subject_id: str
    assessed_on: date
    overall_response: Response | None
    baseline: bool = False
    new_lesion_on: date | None = None
    visit: str = ""

    @property
    def progression_on(self) -> date:
        """RECIST 1.1 section 9: the earliest of the new-lesion scan and the assessment date."""
        if self.new_lesion_on is not None and self.new_lesion_on < self.assessed_on:
            return self.new_lesion_on
        return self.assessed_on


@dataclass(frozen=True, slots=True)
class DosingRecord:
    """A stretch of dosing at one daily dose; ``daily_dose_mg`` 0 records a hold."""

    subject_id: str
    start_on: date
    end_on: date
    daily_dose_mg: float


@dataclass(frozen=True, slots=True)
class GradeChange:
    """From ``on`` the AE has CTCAE grade ``grade`` (1-5)."""

    on: date
    grade: Grade

    def __post_init__(self) -> None:
        # Accept a plain int 0-5 (the AE check rejects 0 and out-of-range values with a reason).
        if type(self.grade) is int and 0 <= self.grade <= 5:
            object.__setattr__(self, "grade", Grade(self.grade))


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One adverse-event episode with its grade history.

    ``term`` is the CTCAE v5.0 term; ``verbatim`` what the investigator wrote. The first grade
    change is at ``onset_on``; the episode's ``grade`` is the worst grade reached. ``aware_at``
    is when the site learnt of the event and ``reported_at`` when a serious AE was reported
    to the sponsor (timezone-aware datetimes, or all naive in one zone). When the onset date
    was partial, ``onset_on`` is the imputed date (:func:`oncotrial.ctcae.impute_onset`) and
    ``onset_as_reported`` keeps what was written (``"2025-03"``).

    Raises:
        InputError: the record contradicts itself (no grade, a grade outside 1-5, dates out
            of order, a fatal outcome without grade 5 or grade 5 without a fatal outcome).

    >>> ae = AdverseEvent.new("001-003", "Neutrophil count decreased", "neutropenia",
    ...                       date(2025, 3, 4), 3)
    >>> ae.with_grade(date(2025, 3, 11), 4).grade
    <Grade.G4: 4>
    """

    subject_id: str
    term: str
    verbatim: str
    onset_on: date
    grade_history: tuple[GradeChange, ...]
    resolved_on: date | None = None
    serious_criteria: SeriousCriteria = frozenset()
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
        if self.grade_history[0].on != self.onset_on:
            raise InputError(
                f"{where}: the first grade is dated {self.grade_history[0].on}, but the onset is "
                f"{self.onset_on}. The grade history starts at onset.", field="onset_on",
                value=self.onset_on, hint="Make the first grade change the onset date.")
        dates = [c.on for c in self.grade_history]
        if dates != sorted(dates):
            raise InputError(f"{where}: grade changes are not in date order ({dates}).",
                             field="grade_history", hint="Order the grade changes by date.")
        if self.resolved_on is not None and (self.resolved_on < self.onset_on
                                             or dates[-1] > self.resolved_on):
            raise InputError(
                f"{where} resolves on {self.resolved_on}, before its onset or a grade change "
                f"(onset {self.onset_on}, last change {dates[-1]}).", field="resolved_on",
                value=self.resolved_on, hint="Correct the resolution date.")
        fatal = self.outcome is Outcome.FATAL
        if fatal != (self.grade == Grade.G5):
            raise InputError(
                f"{where} has grade {int(self.grade)} and outcome {self.outcome.value}. In CTCAE "
                "v5.0 grade 5 is death related to the AE, so a fatal outcome and grade 5 go "
                "together.", field="outcome", value=self.outcome.value,
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
        onset_on: date,
        grade: int,
        **fields: Any,
    ) -> AdverseEvent:
        """A new AE with one grade at onset; other fields by keyword."""
        return cls(subject_id, term, verbatim, onset_on,
                   (GradeChange(onset_on, Grade.parse(grade)),), **fields)

    def with_grade(self, on: date, grade: int) -> AdverseEvent:
        """A copy with the grade changed from ``on`` (the record itself never changes)."""
        parsed = Grade.parse(grade)
        outcome = Outcome.FATAL if parsed == Grade.G5 else self.outcome
        return replace(self, grade_history=(*self.grade_history, GradeChange(on, parsed)),
                       outcome=outcome)

    @property
    def grade(self) -> Grade:
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

    def grade_on(self, day: date) -> Grade | None:
        """The grade in effect on ``day``; None before onset or after resolution."""
        if day < self.onset_on or (self.resolved_on is not None and day > self.resolved_on):
            return None
        current = self.grade_history[0].grade
        for change in self.grade_history:
            if change.on <= day:
                current = change.grade
        return current

    def summary(self) -> str:
        """One line: subject, term, grade, dates, seriousness and attribution."""
        end = f"to {self.resolved_on}" if self.resolved_on else "ongoing"
        serious = ", serious" if self.serious else ""
        rel = self.relationship.value if self.relationship else "attribution missing"
        return (f"{self.subject_id}: {self.term} grade {int(self.grade)} ({self.onset_on} {end}"
                f"{serious}, {rel})")


@dataclass(frozen=True, slots=True)
class ConcomitantMedication:
    """A medication taken alongside the study drug.

    ``cyp3a_effect`` is ``"strong_inhibitor"``, ``"strong_inducer"``, ``"moderate_inducer"``
    or ``""`` (none known); the dose rules read it (palbociclib USPI 2.4, 7.1, 7.2).
    ``half_life_hours`` lets a washout be computed when the medication stops.
    """

    subject_id: str
    name: str
    started_on: date | None
    _: KW_ONLY
    stopped_on: date | None = None
    indication: str = ""
    cyp3a_effect: str = ""
    half_life_hours: float | None = None


@dataclass(frozen=True, slots=True)
class Death:
    """A death from any cause."""

    subject_id: str
    died_on: date
    cause: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """A dated record of the subject's status: visit, lab, dispensing, AE or survival call."""

    subject_id: str
    contact_on: date
    source: str
    alive: bool = True


@dataclass(frozen=True, slots=True)
class NewTherapy:
    """A new anticancer therapy started on study."""

    subject_id: str
    started_on: date
    therapy_type: TherapyType
    name: str = ""


@dataclass(frozen=True, slots=True)
class Discontinuation:
    """End of treatment or end of study, with its reason."""

    subject_id: str
    level: DiscontinuationLevel
    discontinued_on: date
    reason: DiscontinuationReason
