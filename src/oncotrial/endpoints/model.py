"""Per-subject records that endpoints are derived from.

One record type per domain of the exchange format (``docs/exchange-format.md``): subjects,
dosing, tumour assessments (with their RECIST 1.1 overall time-point responses), deaths, contacts,
new anticancer therapy and discontinuations. :class:`SubjectData` gathers one subject's records;
:class:`Dataset` holds a whole trial's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import Protocol, TypeVar

from oncotrial.recist import Response

__all__ = [
    "Contact",
    "Dataset",
    "Death",
    "Discontinuation",
    "DiscontinuationLevel",
    "DiscontinuationReason",
    "DosingRecord",
    "NewTherapy",
    "Subject",
    "SubjectData",
    "TherapyType",
    "TumourAssessment",
]


class TherapyType(StrEnum):
    """Kinds of new anticancer therapy that end PFS follow-up (``endpoints.md`` 3.1 row 7)."""

    SYSTEMIC = "systemic"
    LOCOREGIONAL = "locoregional"
    SURGERY = "surgery"
    RADIOTHERAPY = "radiotherapy"
    OTHER = "other"


class DiscontinuationLevel(StrEnum):
    """Whether the subject stopped the study drug or left the study altogether."""

    TREATMENT = "treatment"
    STUDY = "study"


class DiscontinuationReason(StrEnum):
    """Why a subject stopped treatment or left the study (``endpoints.md`` 3.1 rows 5, 6, 12)."""

    PROGRESSIVE_DISEASE = "progressive_disease"
    CLINICAL_PROGRESSION = "clinical_progression"
    ADVERSE_EVENT = "adverse_event"
    WITHDRAWAL_OF_CONSENT = "withdrawal_of_consent"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    PHYSICIAN_DECISION = "physician_decision"
    DEATH = "death"
    COMPLETED = "completed"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Subject:
    """A registered subject: enrolment date and whether baseline disease was measurable."""

    subject_id: str
    enrolled_on: date
    measurable_disease_at_baseline: bool


@dataclass(frozen=True, slots=True)
class DosingRecord:
    """A stretch of dosing at one daily dose; ``daily_dose_mg`` 0 records a hold."""

    subject_id: str
    start_on: date
    end_on: date
    daily_dose_mg: float


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
    def progression_date(self) -> date:
        """RECIST 1.1 section 9: the earliest of the new-lesion scan and the assessment date."""
        if self.new_lesion_on is not None and self.new_lesion_on < self.assessed_on:
            return self.new_lesion_on
        return self.assessed_on


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


@dataclass(frozen=True, slots=True)
class SubjectData:
    """All records of one subject, each tuple sorted by date."""

    subject: Subject
    dosing: tuple[DosingRecord, ...] = ()
    assessments: tuple[TumourAssessment, ...] = ()
    deaths: tuple[Death, ...] = ()
    contacts: tuple[Contact, ...] = ()
    new_therapies: tuple[NewTherapy, ...] = ()
    discontinuations: tuple[Discontinuation, ...] = ()

    @property
    def subject_id(self) -> str:
        """The subject's identifier."""
        return self.subject.subject_id

    @property
    def first_dose_on(self) -> date | None:
        """Date of the first dose actually taken (daily dose above 0), or None."""
        taken = [d.start_on for d in self.dosing if d.daily_dose_mg > 0]
        return min(taken) if taken else None

    @property
    def last_dose_on(self) -> date | None:
        """Date of the last dose actually taken (daily dose above 0), or None."""
        taken = [d.end_on for d in self.dosing if d.daily_dose_mg > 0]
        return max(taken) if taken else None

    @property
    def died_on(self) -> date | None:
        """Date of death, or None (the earliest if several were recorded)."""
        return min((d.died_on for d in self.deaths), default=None)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A whole trial's records, one tuple per exchange-format domain."""

    subjects: tuple[Subject, ...]
    dosing: tuple[DosingRecord, ...] = ()
    assessments: tuple[TumourAssessment, ...] = ()
    deaths: tuple[Death, ...] = ()
    contacts: tuple[Contact, ...] = ()
    new_therapies: tuple[NewTherapy, ...] = ()
    discontinuations: tuple[Discontinuation, ...] = field(default=())

    def by_subject(self) -> dict[str, SubjectData]:
        """Group the records by subject, in subject-id order, each domain sorted by date.

        Records of a subject not in ``subjects`` are left out; ``check_dataset`` reports them.
        The result does not depend on the order of the records in the input.
        """
        dosing = _group(self.dosing, lambda r: r.start_on)
        assessments = _group(self.assessments, lambda r: r.assessed_on)
        deaths = _group(self.deaths, lambda r: r.died_on)
        contacts = _group(self.contacts, lambda r: r.contact_on)
        therapies = _group(self.new_therapies, lambda r: r.started_on)
        stops = _group(self.discontinuations, lambda r: r.discontinued_on)
        return {
            s.subject_id: SubjectData(
                subject=s,
                dosing=dosing.get(s.subject_id, ()),
                assessments=assessments.get(s.subject_id, ()),
                deaths=deaths.get(s.subject_id, ()),
                contacts=contacts.get(s.subject_id, ()),
                new_therapies=therapies.get(s.subject_id, ()),
                discontinuations=stops.get(s.subject_id, ()),
            )
            for s in sorted(self.subjects, key=lambda s: s.subject_id)
        }


class _Record(Protocol):
    @property
    def subject_id(self) -> str: ...


R = TypeVar("R", bound=_Record)


def _group(records: Iterable[R], when: Callable[[R], date]) -> dict[str, tuple[R, ...]]:
    """Records by subject, each sorted by date; ties broken by the full record so the order is
    total and does not depend on the input order."""
    groups: dict[str, list[R]] = {}
    for record in records:
        groups.setdefault(record.subject_id, []).append(record)
    out: dict[str, tuple[R, ...]] = {}
    for sid, rs in groups.items():
        rs.sort(key=when)
        if any(when(a) == when(b) for a, b in pairwise(rs)):
            rs.sort(key=lambda r: (when(r), repr(r)))
        out[sid] = tuple(rs)
    return out
