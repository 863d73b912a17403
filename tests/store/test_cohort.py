"""A whole study into the trial database through the services and back
(``oncotrial.services.load_study`` / ``export_study``): the same endpoint analysis, the same
laboratory results, lesions, adverse events (grade changes included), medications and baseline
facts, the same eligibility outcome for every screened patient, screen failures recorded as
failed; the export needs the export right, pseudonymises for a statistician and is audited.
On SQLite always, and on PostgreSQL when ONCOTRIAL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from storekit import Staff

from oncotrial.context import TrialContext
from oncotrial.eligibility import ScreeningRecord, screen
from oncotrial.eligibility.record import example_record
from oncotrial.endpoints import Dataset, analyze_endpoints, load_example_dataset
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
from oncotrial.services import Database, PermissionDenied, export_study, load_study
from oncotrial.services.cohort import join_ae_rows, split_ae
from oncotrial.services.demo import EXAMPLE_DAY, _shift
from oncotrial.store.models import AuditLog
from oncotrial.store.models import Subject as SubjectRow
from oncotrial.study import Baseline, ScreenedPatient, StudyData

CUTOFF = dt.date(2026, 10, 31)
TODAY = dt.date(2026, 12, 31)


def _record(kind: str, number: str, on: dt.date) -> ScreeningRecord:
    """A bundled example record, moved so that its dates fit a screening on ``on``."""
    doc = _shift(example_record(kind).model_dump(mode="json"), (on - EXAMPLE_DAY).days)
    return ScreeningRecord.model_validate({**doc, "subject_id": number})


def _synthetic_or_hand_made() -> StudyData:
    """The synthetic cohort when oncotrial.synth exists, else a small study made by hand from
    the bundled example data set, with every domain of a study."""
    try:
        from oncotrial.synth import SynthParams, generate_study  # type: ignore[attr-defined]
    except ImportError:
        return _hand_made()
    return generate_study(SynthParams(n_enrolled=8), seed=13)  # type: ignore[no-any-return]


def _hand_made() -> StudyData:
    example = load_example_dataset()
    subjects = tuple(replace(s, sex=Sex.MALE, site_id="HCH") for s in example.subjects)
    dataset = replace(example, subjects=subjects)
    s01 = next(s for s in subjects if s.subject_id == "S01")
    s02 = next(s for s in subjects if s.subject_id == "S02")
    first = s01.enrolled_on
    screening = tuple(
        ScreenedPatient(f"SCR-{n:03d}", s.enrolled_on,
                        _record("eligible", f"SCR-{n:03d}", s.enrolled_on), s.subject_id)
        for n, s in enumerate(subjects, start=1))
    screening += (  # two screen failures (ANC, QTc and HBV DNA too high)
        ScreenedPatient("SCR-901", first, _record("not_eligible", "SCR-901", first)),
        ScreenedPatient("SCR-902", first + dt.timedelta(days=3),
                        _record("not_eligible", "SCR-902", first + dt.timedelta(days=3))),
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


def _rename(study: StudyData, names: dict[str, str]) -> StudyData:
    """The exported study with the database's subject ids replaced by the study's own."""

    def renamed(records: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(replace(r, subject_id=names.get(r.subject_id, r.subject_id))
                     for r in records)

    ds = study.dataset
    dataset = Dataset(renamed(ds.subjects), renamed(ds.dosing), renamed(ds.assessments),
                      renamed(ds.deaths), renamed(ds.contacts), renamed(ds.new_therapies),
                      renamed(ds.discontinuations))
    return replace(study, dataset=dataset, baseline=renamed(study.baseline),
                   labs=renamed(study.labs), lesions=renamed(study.lesions),
                   adverse_events=renamed(study.adverse_events), conmeds=renamed(study.conmeds))


def _screening_labs(study: StudyData, names: dict[str, str]) -> set[LabResult]:
    """What the screening forms add to the labs: each enrolled patient's screening results."""
    out = set()
    for patient in study.screening:
        if patient.subject_id is not None:
            for lab in patient.record.lab_results():
                out.add(replace(lab, subject_id=patient.subject_id))
            load = patient.record.hepatitis.hbv_dna  # on the hepatitis form, dated with it
            if load is not None and patient.record.lab_date is not None:
                out.add(LabResult(patient.subject_id, "hbv_dna", load.value, load.unit, None,
                                  None, patient.record.lab_date))
    return out


@pytest.fixture
def loaded(db: Database, staff: Staff, ctx: TrialContext
           ) -> tuple[StudyData, dict[str, str]]:
    study = _synthetic_or_hand_made()
    names = load_study(db, ctx, study, nurse=staff["nurse"], investigator=staff["drli"],
                       today=TODAY)
    return study, names


def test_the_study_comes_back_with_the_same_endpoints_and_records(
        db: Database, staff: Staff, ctx: TrialContext,
        loaded: tuple[StudyData, dict[str, str]]) -> None:
    """Loaded through the services and exported: the same endpoint analysis, and the same
    labs, lesions, adverse events, medications and baseline facts (as sets)."""
    study, names = loaded
    assert sorted(names.values()) == sorted(s.subject_id for s in study.dataset.subjects)
    back = _rename(export_study(db, staff["dm"], ctx), names)
    rules = ctx.endpoint_rules
    assert analyze_endpoints(back.dataset, cutoff=CUTOFF, rules=rules) == \
        analyze_endpoints(study.dataset, cutoff=CUTOFF, rules=rules)
    assert {s.subject_id: (s.enrolled_on, s.sex, s.site_id) for s in back.dataset.subjects} \
        == {s.subject_id: (s.enrolled_on, s.sex, s.site_id or "HCH")
            for s in study.dataset.subjects}
    assert set(back.labs) == set(study.labs) | _screening_labs(study, names)
    assert set(back.lesions) == set(study.lesions)
    assert Counter(back.adverse_events) == Counter(study.adverse_events)
    assert set(back.conmeds) == set(study.conmeds)
    assert {b for b in back.baseline if b.aetiology} >= set(study.baseline)


def test_every_screened_patient_has_the_same_eligibility(
        db: Database, staff: Staff, ctx: TrialContext,
        loaded: tuple[StudyData, dict[str, str]]) -> None:
    """The screening record rebuilt from the forms gives the eligibility outcome of the
    study's own, on the day of screening; screen failures are stored as failed."""
    study, names = loaded
    back = export_study(db, staff["dm"], ctx)
    by_number = {p.screening_number: p for p in back.screening}
    for patient in study.screening:
        again = by_number[patient.screening_number]
        assert again.screened_on == patient.screened_on
        assert names.get(again.subject_id or "") == patient.subject_id
        want = screen(patient.record, ctx.protocol, on=patient.screened_on)
        got = screen(again.record, ctx.protocol, on=patient.screened_on)
        assert (got.code, {k: v.status for k, v in got.verdicts.items()}) == \
            (want.code, {k: v.status for k, v in want.verdicts.items()}), \
            patient.screening_number
    with db.sessions() as session:
        status = {r.screening_number: r.status for r in session.scalars(select(SubjectRow))}
    for patient in study.screening:
        if patient.subject_id is None and screen(patient.record, ctx.protocol,
                                                 on=patient.screened_on).code \
                == "eligibility.not_eligible":
            assert status[patient.screening_number] == "screen_failed"


def test_the_export_is_audited_names_its_source_and_pseudonymises(
        db: Database, staff: Staff, ctx: TrialContext,
        loaded: tuple[StudyData, dict[str, str]]) -> None:
    """A statistician gets pseudonyms and birth years only; the export is an audit row; the
    source names the database (no password) and the audit trail's head before the export."""
    with db.sessions() as session:
        head = session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    stat = export_study(db, staff["stat"], ctx)
    url = db.engine.url.render_as_string(hide_password=True)
    assert stat.source == f"database {url}, audit trail head {head}"
    with db.sessions() as session:
        pseudonyms = {r.pseudonym for r in session.scalars(select(SubjectRow))}
        last = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert last.action == "export" and "study data" in (last.new_value or "")
    assert {s.subject_id for s in stat.dataset.subjects} <= pseudonyms
    assert {p.screening_number for p in stat.screening} <= pseudonyms
    assert all(p.record.birth_date is None or (p.record.birth_date.month,
                                               p.record.birth_date.day) == (7, 1)
               for p in stat.screening)
    assert {lab.subject_id for lab in stat.labs} <= pseudonyms


def test_export_needs_the_export_right(db: Database, staff: Staff, ctx: TrialContext) -> None:
    """A research coordinator may not export the trial."""
    with pytest.raises(PermissionDenied):
        export_study(db, staff["nurse"], ctx)


def test_a_grade_change_is_a_row_and_rows_join_back() -> None:
    """The form holds the grade at onset: each change is a row, joined back on export; two
    episodes of one term that do not touch stay two."""
    day = dt.date(2026, 3, 1)
    ae = AdverseEvent.new("S1", "Anemia", "anaemia", day, 2).with_grade(
        day + dt.timedelta(days=5), 3).with_grade(day + dt.timedelta(days=9), 1)
    ae = replace(ae, resolved_on=day + dt.timedelta(days=20), outcome=Outcome.RECOVERED)
    again = AdverseEvent.new("S1", "Anemia", "anaemia", day + dt.timedelta(days=30), 2)
    rows = split_ae(ae) + split_ae(again)
    assert len(rows) == 4 and all(len(r.grade_history) == 1 for r in rows)
    assert join_ae_rows(rows[::-1]) == [ae, again]
