"""The per-subject records endpoints are derived from, grouped by subject.

The records themselves are the shared ones of :mod:`oncotrial.records` (one type per domain of
the exchange format, ``docs/exchange-format.md``): subjects, dosing, tumour assessments (with
their RECIST 1.1 overall time-point responses), deaths, contacts, new anticancer therapy and
discontinuations. This module adds the two containers endpoints need: :class:`SubjectData`
gathers one subject's records and :class:`Dataset` holds a whole trial's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Protocol, TypeVar

from oncotrial.records import (
    Contact,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    NewTherapy,
    Subject,
    TherapyType,
    TumourAssessment,
)

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
