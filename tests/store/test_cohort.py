"""A whole study into the trial database through the services and back
(``oncotrial.services.load_study`` / ``export_study``): the same endpoint analysis, the same
laboratory results, lesions, adverse events (grade changes included), medications, protocol
deviations and baseline facts, the same eligibility outcome for every screened patient, screen
failures recorded as failed; the export needs the export right, pseudonymises for a
statistician and is audited. On SQLite always, and on PostgreSQL when
ONCOTRIAL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select
from storekit import BACKENDS, PG_URL, Staff, make_staff, reset_postgres
from studykit import synthetic_or_hand_made

from oncotrial.context import TrialContext
from oncotrial.eligibility import screen
from oncotrial.endpoints import Dataset, analyze_endpoints
from oncotrial.records import (
    AdverseEvent,
    LabResult,
    Outcome,
)
from oncotrial.services import Database, PermissionDenied, export_study, load_study
from oncotrial.services.cohort import join_ae_rows, split_ae
from oncotrial.store.migrate import upgrade
from oncotrial.store.models import AuditLog
from oncotrial.store.models import Subject as SubjectRow
from oncotrial.study import ProtocolDeviation, StudyData

CUTOFF = dt.date(2026, 10, 31)
TODAY = dt.date(2026, 12, 31)


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
                   adverse_events=renamed(study.adverse_events), conmeds=renamed(study.conmeds),
                   deviations=renamed(study.deviations))


def _utc(ae: AdverseEvent) -> AdverseEvent:
    """The forms store times with their UTC offset: a naive time is loaded as UTC."""

    def aware(moment: dt.datetime | None) -> dt.datetime | None:
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    return replace(ae, aware_at=aware(ae.aware_at), reported_at=aware(ae.reported_at))


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


def _with_deviations(study: StudyData) -> StudyData:
    """The study with two more deviations of its first subject, so that every column of the
    log form is exercised whatever the synthetic cohort drew: a major one reported to the
    ethics committee and a minor one with neither action nor answer."""
    first = study.dataset.subjects[0]
    on = first.enrolled_on + dt.timedelta(days=3)
    return replace(study, deviations=(*study.deviations, ProtocolDeviation(
        first.subject_id, on, on + dt.timedelta(days=5), "eligibility",
        "Enrolled on a bilirubin, result 10 days old; retested: within limits.", True,
        corrective_action="Screening checklist updated.", reported_to_ethics="yes"),
        ProtocolDeviation(first.subject_id, on, on, "other", "Visit log, not signed.", False)))


@dataclass(frozen=True)
class Loaded:
    """A database with the study loaded through the services, shared by a module's tests
    (loading is the slow part; the tests only read, and exports add audit rows)."""

    db: Database
    staff: Staff
    study: StudyData
    names: dict[str, str]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ctx: TrialContext) -> Iterator[Loaded]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cohort') / 'trial.db'}"
    else:
        url = reset_postgres(PG_URL, schema=f"oncotrial_cohort_{os.getpid()}")
    db = Database.from_url(url)
    upgrade(db.engine)
    staff = make_staff(db)
    study = _with_deviations(synthetic_or_hand_made())
    names = load_study(db, ctx, study, nurse=staff["nurse"], investigator=staff["drli"],
                       today=TODAY, site="HCH")
    yield Loaded(db, staff, study, names)
    db.dispose()


def test_the_study_comes_back_with_the_same_endpoints_and_records(
        ctx: TrialContext, loaded: Loaded) -> None:
    """Loaded through the services and exported: the same endpoint analysis, and the same
    labs, lesions, adverse events, medications, protocol deviations and baseline facts (as
    sets)."""
    db, staff, study, names = loaded.db, loaded.staff, loaded.study, loaded.names
    assert sorted(names.values()) == sorted(s.subject_id for s in study.dataset.subjects)
    back = _rename(export_study(db, staff["dm"], ctx), names)
    rules = ctx.endpoint_rules
    assert analyze_endpoints(back.dataset, cutoff=CUTOFF, rules=rules) == \
        analyze_endpoints(study.dataset, cutoff=CUTOFF, rules=rules)
    assert {s.subject_id: (s.enrolled_on, s.sex, s.site_id) for s in back.dataset.subjects} \
        == {s.subject_id: (s.enrolled_on, s.sex, "HCH") for s in study.dataset.subjects}
    assert set(back.labs) == set(study.labs) | _screening_labs(study, names)
    assert set(back.lesions) == set(study.lesions)
    assert Counter(back.adverse_events) == Counter(map(_utc, study.adverse_events))
    assert set(back.conmeds) == set(study.conmeds)
    assert Counter(back.deviations) == Counter(study.deviations) and study.deviations
    assert {b for b in back.baseline if b.aetiology} >= set(study.baseline)


def test_every_screened_patient_has_the_same_eligibility(
        ctx: TrialContext, loaded: Loaded) -> None:
    """The screening record rebuilt from the forms gives the eligibility outcome of the
    study's own, on the day of screening; screen failures are stored as failed."""
    db, staff, study, names = loaded.db, loaded.staff, loaded.study, loaded.names
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
        ctx: TrialContext, loaded: Loaded) -> None:
    """A statistician gets pseudonyms and birth years only; the export is an audit row; the
    source names the database (no password) and the audit trail's head before the export."""
    db, staff = loaded.db, loaded.staff
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
    assert stat.deviations and {d.subject_id for d in stat.deviations} <= pseudonyms


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
