"""A small study with every domain of a StudyData, made by hand from the bundled example data
set (for the storage and CLI tests of oncotrial.services.cohort until, and beside, the
synthetic cohort); helpers shared by tests/store/test_cohort.py and test_demo_cli.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from oncotrial.eligibility import ScreeningRecord
from oncotrial.eligibility.record import example_record
from oncotrial.endpoints import load_example_dataset
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    ConcomitantMedication,
    LabResult,
    LesionMeasurement,
    Outcome,
    Relationship,
    SeriousCriterion,
    Sex,
)
from oncotrial.services.demo import EXAMPLE_DAY, _shift
from oncotrial.study import Baseline, ScreenedPatient, StudyData


def moved_record(kind: str, number: str, on: dt.date) -> ScreeningRecord:
    """A bundled example record, moved so that its dates fit a screening on ``on``."""
    doc = _shift(example_record(kind).model_dump(mode="json"), (on - EXAMPLE_DAY).days)
    return ScreeningRecord.model_validate({**doc, "subject_id": number})


def synthetic_or_hand_made() -> StudyData:
    """The synthetic cohort when oncotrial.synth exists, else a small study made by hand from
    the bundled example data set, with every domain of a study."""
    try:
        from oncotrial.synth import SynthParams, generate_study  # type: ignore[attr-defined]
    except ImportError:
        return hand_made()
    return generate_study(SynthParams(n_enrolled=8), seed=13)  # type: ignore[no-any-return]


def hand_made() -> StudyData:
    example = load_example_dataset()
    subjects = tuple(replace(s, sex=Sex.MALE, site_id="HCH") for s in example.subjects)
    dataset = replace(example, subjects=subjects)
    s01 = next(s for s in subjects if s.subject_id == "S01")
    s02 = next(s for s in subjects if s.subject_id == "S02")
    first = s01.enrolled_on
    screening = tuple(
        ScreenedPatient(f"SCR-{n:03d}", s.enrolled_on,
                        moved_record("eligible", f"SCR-{n:03d}", s.enrolled_on), s.subject_id)
        for n, s in enumerate(subjects, start=1))
    screening += (  # two screen failures (ANC, QTc and HBV DNA too high)
        ScreenedPatient("SCR-901", first, moved_record("not_eligible", "SCR-901", first)),
        ScreenedPatient("SCR-902", first + dt.timedelta(days=3),
                        moved_record("not_eligible", "SCR-902", first + dt.timedelta(days=3))),
    )
    day = first + dt.timedelta(days=1)
    panels = (  # complete panels: the haematology and chemistry forms require these
        ("anc", 1.8, "10^9/L", 2.0, 7.5), ("platelets", 160.0, "10^9/L", 125.0, 350.0),
        ("hemoglobin", 128.0, "g/L", 130.0, 175.0), ("alt", 45.5, "U/L", 9.0, 50.0),
        ("ast", 52.0, "U/L", 13.0, 40.0), ("bilirubin", 17.1, "umol/L", 3.4, 21.0),
        ("albumin", 38.0, "g/L", 40.0, 55.0), ("creatinine", 80.0, "umol/L", 57.0, 111.0))
    labs = tuple(
        LabResult("S01", analyte, round(value * (1 - offset / 200), 2), unit, lln, uln,
                  day + dt.timedelta(days=offset))
        for offset in (0, 14, 28, 56) for analyte, value, unit, lln, uln in panels
        if offset != 14 or analyte in ("anc", "platelets", "hemoglobin"))
    scans = [first - dt.timedelta(days=5), first + dt.timedelta(days=56)]
    lesions = tuple(
        LesionMeasurement("S01", lid, scan, size - 6 * n, organ="liver")
        for n, scan in enumerate(scans) for lid, size in (("T1", 42.0), ("T2", 23.5)))
    lesions += (LesionMeasurement("S01", "NT1", scans[0], None, kind="non_target",
                                  organ="lung", state="measured", status="present"),)
    neutropenia = AdverseEvent.new(
        "S01", "Neutrophil count decreased", "neutropenia", first + dt.timedelta(days=15), 3,
        relationship=Relationship.PROBABLE, action_taken=ActionTaken.DRUG_INTERRUPTED,
    ).with_grade(first + dt.timedelta(days=22), 4).with_grade(first + dt.timedelta(days=29), 2)
    neutropenia = replace(neutropenia, resolved_on=first + dt.timedelta(days=40),
                          outcome=Outcome.RECOVERED)
    fatigue = AdverseEvent.new("S02", "Fatigue", "tired", s02.enrolled_on + dt.timedelta(days=3),
                               1, relationship=Relationship.POSSIBLE)
    pneumonia = AdverseEvent.new(
        "S02", "Lung infection", "pneumonia", s02.enrolled_on + dt.timedelta(days=20), 3,
        serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION}),
        relationship=Relationship.UNLIKELY, action_taken=ActionTaken.DRUG_INTERRUPTED,
        aware_at=dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC),
        reported_at=dt.datetime(2026, 4, 1, 20, 0, tzinfo=dt.UTC))
    conmeds = (ConcomitantMedication("S01", "entecavir", first - dt.timedelta(days=400),
                                     indication="chronic hepatitis B"),
               ConcomitantMedication("S02", "omeprazole", s02.enrolled_on,
                                     stopped_on=s02.enrolled_on + dt.timedelta(days=30),
                                     indication="dyspepsia"))
    baseline = (Baseline("S01", ("hbv", "alcohol"), False, True),
                Baseline("S02", ("hcv",), True, False))
    return StudyData(dataset, screening, baseline, labs, lesions,
                     (neutropenia, fatigue, pneumonia), conmeds)



def only_subjects(study: StudyData, keep: set[str]) -> StudyData:
    """The study cut to the subjects ``keep`` (and the screen failures)."""

    def only(records: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(r for r in records if r.subject_id in keep)

    ds = study.dataset
    dataset = replace(ds, subjects=only(ds.subjects), dosing=only(ds.dosing),
                      assessments=only(ds.assessments), deaths=only(ds.deaths),
                      contacts=only(ds.contacts), new_therapies=only(ds.new_therapies),
                      discontinuations=only(ds.discontinuations))
    screening = tuple(p for p in study.screening if p.subject_id is None or p.subject_id in keep)
    return replace(study, dataset=dataset, screening=screening, baseline=only(study.baseline),
                   labs=only(study.labs), lesions=only(study.lesions),
                   adverse_events=only(study.adverse_events), conmeds=only(study.conmeds),
                   deviations=only(study.deviations))
