"""A small study for the report tests (``tests/reports``): the bundled example data set (12
subjects, one per row of the PFS censoring table) with hand-made screening records, baseline
facts, laboratory results, lesion measurements and adverse events around it.

The hand-made records are chosen so that each table has something to count: two screen
failures (the bundled not-eligible example fails I4, I9, I11 and I12; a second fails I2 on
ECOG 3), one screening not completed, a Child-Pugh B7 subject, a grade 3 neutropenia on
treatment, an ALT shift, a fatal sepsis, an AE before the first dose (not treatment-emergent)
and lesion measurements behind the PR of S04 and the PD of S03.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from oncotrial.clinical import Ascites
from oncotrial.eligibility import ScreeningRecord, example_record
from oncotrial.endpoints import load_example_dataset
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    LabResult,
    LesionMeasurement,
    Outcome,
    Relationship,
    SeriousCriterion,
    Sex,
)
from oncotrial.study import Baseline, ScreenedPatient, StudyData

CUTOFF = date(2026, 10, 31)
SCREENED_ON = date(2026, 3, 2)  # the bundled records' planned enrolment date


def _record(number: str, **changes: object) -> ScreeningRecord:
    return example_record().model_copy(update={"subject_id": number, **changes})


def _screening() -> tuple[ScreenedPatient, ...]:
    base = example_record()
    # A woman past childbearing potential needs no pregnancy test (exclusion 9).
    female = {"sex": Sex.FEMALE, "reproductive": base.reproductive.model_copy(
        update={"reproductive_potential": False, "contraception_agreed": None,
                "pregnant": False, "breastfeeding": False})}
    variants: dict[str, dict[str, object]] = {
        "S02": {**female, "ecog": 0},
        "S03": {"diagnosis": base.diagnosis.model_copy(update={"bclc_stage": "B"})},
        # Child-Pugh B7: mild ascites (2 points) and albumin 30 g/L (2 points).
        "S05": {"liver": base.liver.model_copy(update={"ascites": Ascites.MILD}),
                "labs": base.labs.model_copy(update={"albumin": base.labs.albumin.model_copy(
                    update={"value": 30.0})})},
        "S07": {"birth_date": date(1955, 1, 10)},
        "S10": female,
    }
    patients = [ScreenedPatient(f"SCR-{i:03d}", SCREENED_ON,
                                _record(f"SCR-{i:03d}", **variants.get(f"S{i:02d}", {})),
                                f"S{i:02d}") for i in range(1, 13)]
    failing = example_record("not_eligible")
    patients.append(ScreenedPatient("SCR-101", failing.planned_enrolment_date or SCREENED_ON,
                                    failing.model_copy(update={"subject_id": "SCR-101"})))
    patients.append(ScreenedPatient("SCR-102", SCREENED_ON, _record("SCR-102", ecog=3)))
    incomplete = example_record("incomplete")
    patients.append(ScreenedPatient("SCR-103", incomplete.planned_enrolment_date or SCREENED_ON,
                                    incomplete.model_copy(update={"subject_id": "SCR-103"})))
    return tuple(patients)


def _baseline() -> tuple[Baseline, ...]:
    out = []
    for i in range(1, 13):
        aetiology = ("hbv",) if i % 4 else ("hcv", "alcohol")
        out.append(Baseline(f"S{i:02d}", aetiology, macrovascular_invasion=i % 3 == 0,
                            extrahepatic_spread=i % 2 == 0))
    return tuple(out)


def _labs() -> tuple[LabResult, ...]:
    anc = [("S04", date(2026, 1, 30), 2.4), ("S04", date(2026, 2, 16), 1.2),
           ("S04", date(2026, 5, 28), 0.8),  # grade 3 on treatment
           ("S09", date(2026, 1, 2), 1.6), ("S09", date(2026, 2, 2), 1.4),
           ("S01", date(2026, 1, 6), 3.0), ("S01", date(2026, 2, 5), 2.9)]
    rows = [LabResult(s, "anc", v, "10^9/L", 1.8, 6.3, d) for s, d, v in anc]
    alt = [("S04", date(2026, 1, 30), 48.0), ("S04", date(2026, 3, 30), 130.0),
           ("S01", date(2026, 1, 6), 30.0), ("S01", date(2026, 3, 1), 35.0)]
    rows += [LabResult(s, "alt", v, "U/L", None, 40.0, d) for s, d, v in alt]
    rows.append(LabResult("S04", "platelets", 150.0, "10^9/L", 125.0, 350.0, date(2026, 1, 30)))
    rows.append(LabResult("S04", "platelets", 140.0, "10^9/L", 125.0, 350.0, date(2026, 3, 2)))
    return tuple(rows)


def _lesions() -> tuple[LesionMeasurement, ...]:
    def m(sid: str, lesion: str, on: date, mm: float | None, **kw: object) -> LesionMeasurement:
        return LesionMeasurement(sid, lesion, on, mm, **kw)  # type: ignore[arg-type]

    return (
        # S04: PR from week 8 (-40 %), kept.
        m("S04", "T1", date(2026, 1, 26), 50.0, organ="liver"),
        m("S04", "T2", date(2026, 1, 26), 30.0, organ="lung"),
        m("S04", "T1", date(2026, 3, 30), 30.0), m("S04", "T2", date(2026, 3, 30), 18.0),
        m("S04", "T1", date(2026, 5, 25), 28.0), m("S04", "T2", date(2026, 5, 25), 16.0),
        # S03: SD then PD by the sum (+25 % over the nadir).
        m("S03", "T1", date(2026, 1, 2), 40.0, organ="liver"),
        m("S03", "T1", date(2026, 3, 9), 36.0), m("S03", "T1", date(2026, 5, 4), 46.0),
        # S05: SD with a small shrinkage.
        m("S05", "T1", date(2026, 1, 12), 60.0, organ="liver"),
        m("S05", "T1", date(2026, 3, 16), 55.0), m("S05", "T1", date(2026, 5, 11), 54.0),
    )


def _aes() -> tuple[AdverseEvent, ...]:
    return (
        AdverseEvent.new("S04", "Neutrophil count decreased", "neutropenia", date(2026, 5, 28), 3,
                         relationship=Relationship.PROBABLE,
                         action_taken=ActionTaken.DRUG_INTERRUPTED,
                         outcome=Outcome.RECOVERED, resolved_on=date(2026, 6, 12)),
        AdverseEvent.new("S04", "Fatigue", "tired", date(2026, 2, 20), 1,
                         relationship=Relationship.POSSIBLE),
        AdverseEvent.new("S04", "Fatigue", "tired", date(2026, 7, 1), 2,
                         relationship=Relationship.POSSIBLE,
                         action_taken=ActionTaken.DOSE_REDUCED),
        AdverseEvent.new("S01", "Nausea", "nausea", date(2026, 1, 5), 1,
                         relationship=Relationship.UNRELATED),  # before the first dose
        _fatal_sepsis(),
        AdverseEvent.new("S06", "Alanine aminotransferase increased", "ALT up",
                         date(2026, 3, 30), 3, relationship=Relationship.DEFINITE,
                         action_taken=ActionTaken.DRUG_WITHDRAWN,
                         serious_criteria=frozenset({SeriousCriterion.IMPORTANT_MEDICAL_EVENT})),
        AdverseEvent.new("S10", "Diarrhea", "diarrhoea", date(2026, 11, 5), 2),  # after cut-off
    )


def _fatal_sepsis() -> AdverseEvent:
    start = date(2026, 6, 1)
    ae = AdverseEvent.new("S09", "Sepsis", "sepsis", start, 3, relationship=Relationship.UNLIKELY,
                          action_taken=ActionTaken.DRUG_WITHDRAWN,
                          serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}))
    ae = ae.with_grade(start + timedelta(days=9), 5)
    return replace(ae, serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION,
                                                   SeriousCriterion.DEATH}))


def make_study() -> StudyData:
    """The example study (see the module docstring)."""
    return StudyData(dataset=load_example_dataset(), screening=_screening(),
                     baseline=_baseline(), labs=_labs(), lesions=_lesions(),
                     adverse_events=_aes(), source="test fixture (bundled example data set)")
