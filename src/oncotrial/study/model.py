"""A whole trial's data as the study report reads it (core, no I/O).

The endpoint domains (:class:`oncotrial.endpoints.Dataset`) hold what the efficacy endpoints
need. A clinical study report needs more: who was screened and why some failed, the baseline
characteristics, laboratory results, lesion measurements, adverse events and protocol
deviations (ICH E3 sections 10-12). :class:`StudyData` carries all of it, built from the
shared records of :mod:`oncotrial.records` and the screening record of
:mod:`oncotrial.eligibility`, so the synthetic cohort (:mod:`oncotrial.synth`), the database
export (:mod:`oncotrial.services`) and the exchange format all give the report the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from oncotrial.eligibility import ScreeningRecord
from oncotrial.endpoints import Dataset
from oncotrial.errors import InputError
from oncotrial.records import AdverseEvent, ConcomitantMedication, LabResult, LesionMeasurement

__all__ = [
    "AETIOLOGIES",
    "DEVIATION_CATEGORIES",
    "ETHICS_REPORTED",
    "Baseline",
    "ProtocolDeviation",
    "ScreenedPatient",
    "StudyData",
]

#: Codes of the aetiology of the underlying liver disease (code list ``hcc_aetiology``).
AETIOLOGIES = ("hbv", "hcv", "alcohol", "nafld", "other")
#: Codes of a protocol deviation's category (code list ``deviation_category`` of the forms).
DEVIATION_CATEGORIES = ("consent", "eligibility", "study_drug", "visit_window",
                        "procedure_missed", "prohibited_medication", "safety_reporting", "other")
#: Codes of whether a deviation was reported to the ethics committee (code list ``yes_no_na``).
ETHICS_REPORTED = ("yes", "no", "not_applicable")


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
class ProtocolDeviation:
    """One protocol deviation as the protocol deviations log form records it (ICH E3 section
    10.2): the day it happened and the day it was identified, its category
    (:data:`DEVIATION_CATEGORIES`), what happened, whether it is major (may affect the
    subject's safety or the reliability of the data) and, for a major one, the corrective and
    preventive action. ``reported_to_ethics`` is a code of :data:`ETHICS_REPORTED`, or ``None``
    when not recorded.

    The checks are the log form's own: identified on or after the deviation, a known category,
    a description, and an action for a major deviation.

    >>> d = ProtocolDeviation("001", date(2026, 3, 2), date(2026, 3, 9), "procedure_missed",
    ...                       "Week 8 CT not done.", major=False)
    >>> d.category, d.corrective_action
    ('procedure_missed', '')
    >>> try:
    ...     ProtocolDeviation("001", date(2026, 3, 9), date(2026, 3, 2), "other", "x", major=False)
    ... except InputError as exc:
    ...     print(exc.message)
    Protocol deviation of subject 001 on 2026-03-09: it is identified on 2026-03-02, before it
    happened.
    """

    subject_id: str
    deviation_on: date
    identified_on: date
    category: str
    description: str
    major: bool
    corrective_action: str = ""
    reported_to_ethics: str | None = None

    def __post_init__(self) -> None:
        where = f"Protocol deviation of subject {self.subject_id} on {self.deviation_on}"
        if self.identified_on < self.deviation_on:
            raise InputError(
                f"{where}: it is identified on {self.identified_on}, before it happened.",
                field="identified_on", value=self.identified_on,
                hint="Correct the date of the deviation or the date it was identified.")
        if self.category not in DEVIATION_CATEGORIES:
            raise InputError(
                f"{where}: the category {self.category!r} is not one of "
                f"{', '.join(DEVIATION_CATEGORIES)}.", field="category", value=self.category,
                hint="Pick the category of the protocol deviations form.")
        if not self.description.strip():
            raise InputError(f"{where} has no description. Say what happened.",
                             field="description", hint="Describe the deviation.")
        if self.major and not self.corrective_action.strip():
            raise InputError(
                f"{where} is major but has no corrective and preventive action.",
                field="corrective_action",
                hint="Enter the corrective and preventive action, or mark it minor.")
        if self.reported_to_ethics is not None and self.reported_to_ethics not in ETHICS_REPORTED:
            raise InputError(
                f"{where}: reported to the ethics committee is {self.reported_to_ethics!r}; "
                f"it must be one of {', '.join(ETHICS_REPORTED)}.", field="reported_to_ethics",
                value=self.reported_to_ethics, hint="Answer yes, no or not_applicable.")


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
    deviations: tuple[ProtocolDeviation, ...] = ()
    source: str = ""
