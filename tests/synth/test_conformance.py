"""The generated cohort passes the platform's own checks: eligibility, RECIST 1.1, the dose
rules, CTCAE grading, visit windows, the cut-off, and the data checks of the endpoints."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
import pytest

from oncotrial.context import TrialContext
from oncotrial.ctcae import check_adverse_events, grade_labs
from oncotrial.eligibility import screen
from oncotrial.endpoints import analyze_endpoints, check_dataset
from oncotrial.recist import evaluate, inputs_from_measurements
from oncotrial.records import (
    DiscontinuationLevel,
    DiscontinuationReason,
    Response,
)
from oncotrial.study import StudyData
from oncotrial.synth import SynthParams
from oncotrial.synth.screening import FAILURES

T = TypeVar("T")


def by_subject(records: Iterable[T]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for r in records:
        out[r.subject_id].append(r)  # type: ignore[attr-defined]
    return out


def first_doses(study: StudyData) -> dict[str, date]:
    return {sid: min(r.start_on for r in rows if r.daily_dose_mg > 0)
            for sid, rows in by_subject(study.dataset.dosing).items()}


# --- screening ------------------------------------------------------------------------------


def test_every_enrolled_patient_is_eligible_and_every_failure_is_not(
        cohort: StudyData, ctx: TrialContext) -> None:
    enrolled = failed = 0
    for patient in cohort.screening:
        result = screen(patient.record, ctx.protocol, on=patient.screened_on)
        if patient.subject_id is None:
            failed += 1
            assert not result.eligible, patient.screening_number
            not_met = [v for v in result.verdicts.values() if str(v.status) != "met"]
            assert 1 <= len({v.criterion_id for v in not_met}) <= 4, not_met
            assert all(str(v.status) == "not_met" for v in not_met), \
                [v.summary() for v in not_met]
        else:
            enrolled += 1
            assert result.eligible, [v.summary() for v in result.verdicts.values()
                                     if str(v.status) != "met"]
    assert enrolled == len(cohort.dataset.subjects)
    assert failed == SynthParams(n_enrolled=enrolled).n_screen_failures


@pytest.mark.parametrize("reason", sorted(FAILURES))
def test_each_failure_reason_fails_exactly_its_criteria(reason: str, ctx: TrialContext) -> None:
    """Each reason of the catalogue, applied alone to eligible patients, fails its criteria and
    no other (for patients of either sex and any aetiology)."""
    from numpy.random import default_rng

    from oncotrial.eligibility import ScreeningRecord
    from oncotrial.synth.schedule import Schedule
    from oncotrial.synth.screening import draw_patient, screening_data
    from oncotrial.synth.stream import Stream

    schedule = Schedule.from_context(ctx)
    expected, _, change = FAILURES[reason]
    stream = Stream(default_rng(len(reason)))
    for i in range(12):
        patient = draw_patient(stream, SynthParams(), schedule, number=f"SCR-{i}",
                               screened_on=date(2024, 6, 3) + timedelta(days=9 * i))
        data: dict[str, Any] = screening_data(stream, patient)
        change(stream, data, patient)
        result = screen(ScreeningRecord.model_validate(data), ctx.protocol,
                        on=patient.screened_on)
        not_met = {v.criterion_id for v in result.verdicts.values() if str(v.status) != "met"}
        assert not_met == expected, (reason, [v.summary() for v in result.verdicts.values()
                                              if str(v.status) != "met"])


def test_screening_log_links_enrolled_subjects(cohort: StudyData) -> None:
    ids = [p.subject_id for p in cohort.screening if p.subject_id is not None]
    assert sorted(ids) == sorted(s.subject_id for s in cohort.dataset.subjects)
    numbers = [p.screening_number for p in cohort.screening]
    assert len(set(numbers)) == len(numbers)
    assert [p.screened_on for p in cohort.screening] == sorted(p.screened_on
                                                                for p in cohort.screening)
    enrolled = {s.subject_id: s.enrolled_on for s in cohort.dataset.subjects}
    for p in cohort.screening:
        if p.subject_id is not None:
            assert enrolled[p.subject_id] == p.screened_on


def test_baseline_population(cohort: StudyData) -> None:
    """The mix of the population is the parameters' (loose bounds: 400 subjects)."""
    n = len(cohort.dataset.subjects)
    records = [p.record for p in cohort.screening if p.subject_id is not None]
    ecog = Counter(r.ecog for r in records)
    assert abs(ecog[1] / n - 0.60) < 0.08 and abs(ecog[0] / n - 0.30) < 0.08
    bclc = Counter(r.diagnosis.bclc_stage for r in records)
    assert abs(bclc["B"] / n - 0.15) < 0.06 and bclc["B"] + bclc["C"] == n
    hbv = sum(b.aetiology == ("hbv",) for b in cohort.baseline)
    assert abs(hbv / n - 0.80) < 0.07
    for b in cohort.baseline:
        assert set(b.aetiology) <= {"hbv", "hcv", "alcohol", "nafld", "other"}
    stage_c = [b for b, r in zip(sorted(cohort.baseline, key=lambda b: b.subject_id),
                                 [p.record for p in sorted(
                                     (p for p in cohort.screening if p.subject_id),
                                     key=lambda p: p.subject_id or "")], strict=True)
               if r.diagnosis.bclc_stage == "C" and r.ecog == 0]
    assert all(b.macrovascular_invasion or b.extrahepatic_spread for b in stage_c)


# --- tumour response ------------------------------------------------------------------------


def test_recist_engine_rederives_every_overall_response(cohort: StudyData) -> None:
    lesions = by_subject(cohort.lesions)
    checked = 0
    for sid, assessments in by_subject(cohort.dataset.assessments).items():
        ev = evaluate(*inputs_from_measurements(lesions[sid]))
        derived = {tp.assessed_on: tp.overall for tp in ev.timepoints}
        for a in assessments:
            if not a.baseline:
                assert derived[a.assessed_on] is a.overall_response, (sid, a)
                checked += 1
        targets = {r.lesion_id for r in lesions[sid] if r.kind == "target"}
        assert 1 <= len(targets) <= 5
    assert checked > len(cohort.dataset.subjects)


def test_scans_are_in_the_protocol_window_and_stop_at_progression(
        cohort: StudyData, ctx: TrialContext) -> None:
    rules = ctx.endpoint_rules
    first = first_doses(cohort)
    deaths = {d.subject_id: d.died_on for d in cohort.dataset.deaths}
    for sid, assessments in by_subject(cohort.dataset.assessments).items():
        follow = sorted((a for a in assessments if not a.baseline), key=lambda a: a.assessed_on)
        for a in follow:
            k = int(a.visit.removeprefix("TA"))
            scheduled = first[sid] + timedelta(days=rules.assessment_interval_days * k)
            assert abs((a.assessed_on - scheduled).days) <= rules.assessment_window_days, a
            assert a.assessed_on <= deaths.get(sid, date.max)
        assert all(a.overall_response is not Response.PD for a in follow[:-1])
        baseline = [a for a in assessments if a.baseline]
        assert len(baseline) == 1 and baseline[0].assessed_on < first[sid]


# --- labs and adverse events ----------------------------------------------------------------


def test_lab_derived_adverse_events_have_the_labs_ctcae_grades(cohort: StudyData) -> None:
    """Each blood-count and liver AE is graded as oncotrial.ctcae grades its lab values
    (against the pre-dose baseline), on every day a lab was taken during the episode."""
    terms = {"anc": "Neutrophil count decreased", "wbc": "White blood cell decreased",
             "platelets": "Platelet count decreased", "hemoglobin": "Anemia",
             "alt": "Alanine aminotransferase increased",
             "ast": "Aspartate aminotransferase increased",
             "bilirubin": "Blood bilirubin increased"}
    first = first_doses(cohort)
    labs = [lab for lab in cohort.labs if lab.analyte in terms]
    baseline: dict[tuple[str, str], float] = {}
    for lab in sorted(labs, key=lambda r: r.collected_on):
        if lab.collected_on <= first[lab.subject_id]:
            baseline[(lab.subject_id, lab.analyte)] = lab.value
    grades = grade_labs([terms[r.analyte] for r in labs], [r.value for r in labs],
                        [r.unit for r in labs], lln=[np.nan if r.lln is None else r.lln
                                                     for r in labs],
                        uln=[np.nan if r.uln is None else r.uln for r in labs],
                        baseline=[baseline.get((r.subject_id, r.analyte), np.nan)
                                  if r.analyte in ("alt", "ast", "bilirubin") else np.nan
                                  for r in labs])
    assert (grades.grade >= 0).all()
    graded = {(r.subject_id, terms[r.analyte], r.collected_on): int(g)
              for r, g in zip(labs, grades.grade, strict=True)}
    checked = 0
    for ae in cohort.adverse_events:
        if ae.term not in terms.values():
            continue
        for (sid, term, day), grade in graded.items():
            if sid == ae.subject_id and term == ae.term and ae.onset_on <= day and (
                    ae.resolved_on is None or day <= ae.resolved_on):
                assert ae.grade_on(day) == grade, (ae.summary(), day, grade)
                checked += 1
    assert checked > len(cohort.dataset.subjects)


def test_adverse_events_are_valid_ctcae_terms_and_grades(cohort: StudyData) -> None:
    assert check_adverse_events(cohort.adverse_events) == []
    fatal = [ae for ae in cohort.adverse_events if ae.grade == 5]
    deaths = {d.subject_id: d.died_on for d in cohort.dataset.deaths}
    assert fatal and all(ae.resolved_on == deaths[ae.subject_id] for ae in fatal)
    cutoff = SynthParams().cutoff
    serious = [ae for ae in cohort.adverse_events if ae.serious]
    assert serious and all(ae.aware_at is not None for ae in serious
                           if (cutoff - ae.onset_on).days > 1)


def test_rates_of_the_commonest_events(cohort: StudyData) -> None:
    n = len(cohort.dataset.subjects)
    worst: dict[str, dict[str, int]] = defaultdict(dict)
    for ae in cohort.adverse_events:
        w = worst[ae.term]
        w[ae.subject_id] = max(w.get(ae.subject_id, 0), int(ae.grade))
    neutropenia = worst["Neutrophil count decreased"]
    assert abs(len(neutropenia) / n - 0.70) < 0.08
    assert abs(sum(g >= 3 for g in neutropenia.values()) / n - 0.45) < 0.08
    assert abs(len(worst["Fatigue"]) / n - 0.35) < 0.08


# --- course, cut-off, data checks -----------------------------------------------------------


def _dates(study: StudyData) -> Iterable[tuple[str, date]]:
    ds = study.dataset
    yield from (("enrolled", s.enrolled_on) for s in ds.subjects)
    yield from (("dosing", d.end_on) for d in ds.dosing)
    yield from (("assessment", a.assessed_on) for a in ds.assessments)
    yield from (("death", d.died_on) for d in ds.deaths)
    yield from (("contact", c.contact_on) for c in ds.contacts)
    yield from (("therapy", t.started_on) for t in ds.new_therapies)
    yield from (("discontinuation", d.discontinued_on) for d in ds.discontinuations)
    yield from (("lab", r.collected_on) for r in study.labs)
    yield from (("lesion", r.measured_on) for r in study.lesions)
    yield from (("screened", p.screened_on) for p in study.screening)
    for ae in study.adverse_events:
        yield "AE", ae.grade_history[-1].on
        if ae.resolved_on:
            yield "AE resolved", ae.resolved_on
        for at in (ae.aware_at, ae.reported_at):
            if at is not None:
                yield "AE report", at.date()


def test_nothing_is_dated_after_the_cutoff(cohort: StudyData) -> None:
    cutoff = SynthParams().cutoff
    late = [(what, day) for what, day in _dates(cohort) if day > cutoff]
    assert late == []


def test_nothing_happens_after_death(cohort: StudyData) -> None:
    deaths = {d.subject_id: d.died_on for d in cohort.dataset.deaths}
    ds = cohort.dataset
    for sid, died in deaths.items():
        for day in ([d.end_on for d in ds.dosing if d.subject_id == sid]
                    + [c.contact_on for c in ds.contacts if c.subject_id == sid]
                    + [r.collected_on for r in cohort.labs if r.subject_id == sid]):
            assert day <= died
    assert check_dataset(cohort.dataset) == []


def test_os_is_never_shorter_than_pfs(cohort: StudyData, ctx: TrialContext) -> None:
    result = analyze_endpoints(cohort.dataset, cutoff=SynthParams().cutoff,
                               rules=ctx.endpoint_rules)
    compared = 0
    for s in result.subjects:
        if s.pfs is not None and s.os is not None:
            assert s.pfs.days <= s.os.days, s.subject_id
            compared += 1
    assert compared == len(cohort.dataset.subjects)


def test_discontinuations_have_the_expected_reasons(cohort: StudyData) -> None:
    n = len(cohort.dataset.subjects)
    treatment = Counter(d.reason for d in cohort.dataset.discontinuations
                        if d.level is DiscontinuationLevel.TREATMENT)
    assert abs(treatment[DiscontinuationReason.ADVERSE_EVENT] / n - 0.10) < 0.05
    assert treatment[DiscontinuationReason.PROGRESSIVE_DISEASE] > n / 2
    study = Counter(d.reason for d in cohort.dataset.discontinuations
                    if d.level is DiscontinuationLevel.STUDY)
    assert study[DiscontinuationReason.DEATH] == len(cohort.dataset.deaths)
    assert study[DiscontinuationReason.WITHDRAWAL_OF_CONSENT] >= 1
    assert cohort.dataset.new_therapies
