"""A whole trial's data as the study report reads it (core, no I/O).

The endpoint domains (:class:`oncotrial.endpoints.Dataset`) hold what the efficacy endpoints
need. A clinical study report needs more: who was screened and why some failed, the baseline
characteristics, laboratory results, lesion measurements and adverse events (ICH E3 sections
10-12). :class:`StudyData` carries all of it, built from the shared records of
:mod:`oncotrial.records` and the screening record of :mod:`oncotrial.eligibility`, so the
synthetic cohort (:mod:`oncotrial.synth`), the database export (:mod:`oncotrial.services`) and
the exchange format all give the report the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from oncotrial.eligibility import ScreeningRecord
from oncotrial.endpoints import Dataset
from oncotrial.records import AdverseEvent, ConcomitantMedication, LabResult, LesionMeasurement

__all__ = ["AETIOLOGIES", "Baseline", "ScreenedPatient", "StudyData"]

#: Codes of the aetiology of the underlying liver disease (code list ``hcc_aetiology``).
AETIOLOGIES = ("hbv", "hcv", "alcohol", "nafld", "other")


@dataclass(frozen=True, slots=True)
class ScreenedPatient:
    """One patient screened for the trial: the screening forms' content as the eligibility
    engine reads it, the day of the screening decision, and the subject id given at enrolment
    (``None`` for a screen failure or a patient not yet enrolled).

    Whether the patient met every criterion is not stored: the report asks
    :func:`oncotrial.eligibility.screen` again, so the screening log shows the protocol's
    own reasons.
    """

    screening_number: str
    screened_on: date
    record: ScreeningRecord
    subject_id: str | None = None


@dataclass(frozen=True, slots=True)
class Baseline:
    """Baseline facts of an enrolled subject that the screening record does not hold
    (HCC history form): aetiology codes (:data:`AETIOLOGIES`, several allowed),
    macrovascular invasion and extrahepatic spread (BCLC 2022 stage C criteria)."""

    subject_id: str
    aetiology: tuple[str, ...] = ()
    macrovascular_invasion: bool | None = None
    extrahepatic_spread: bool | None = None


@dataclass(frozen=True, slots=True)
class StudyData:
    """Everything the study report reads.

    ``dataset`` holds the enrolled subjects and the endpoint domains; the other fields are
    keyed by the same subject ids (``screening`` by screening number, linked through
    :attr:`ScreenedPatient.subject_id`). ``source`` says where the data came from (a database
    and the hash of its audit trail's last row, or an exchange-format folder and the hash of
    its files): the report prints it.
    """

    dataset: Dataset
    screening: tuple[ScreenedPatient, ...] = ()
    baseline: tuple[Baseline, ...] = ()
    labs: tuple[LabResult, ...] = ()
    lesions: tuple[LesionMeasurement, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    conmeds: tuple[ConcomitantMedication, ...] = field(default=())
    source: str = ""
