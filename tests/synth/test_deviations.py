"""Protocol deviations of the synthetic cohort (docs/synth.md, "Protocol deviations"): each
skipped tumour assessment is one, a share of subjects have one other, nothing is dated after
the cut-off or the subject's death, and the deviations' own random stream leaves the other
records of a seed unchanged."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from oncotrial.context import TrialContext
from oncotrial.study import StudyData
from oncotrial.synth import SynthParams, generate_study

SCAN = re.compile(r"Tumour assessment TA(\d+) not done")


def _scan_deviations(study: StudyData) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for d in study.deviations:
        match = SCAN.match(d.description)
        if match:
            assert d.category == "procedure_missed"
            out.setdefault(d.subject_id, set()).add(int(match.group(1)))
    return out


def test_every_skipped_scan_has_its_deviation(cohort: StudyData) -> None:
    """A gap in a subject's numbered assessments (TA1, TA2, TA4: TA3 skipped) is a
    "procedure not done" deviation dated between the scans around it, and no attended
    assessment has one."""
    missed = _scan_deviations(cohort)
    attended: dict[str, dict[int, date]] = {}
    for a in cohort.dataset.assessments:
        if a.visit.startswith("TA"):
            attended.setdefault(a.subject_id, {})[int(a.visit[2:])] = a.assessed_on
    gaps = 0
    for sid, scans in attended.items():
        for index in range(1, max(scans)):
            if index not in scans:
                gaps += 1
                assert index in missed.get(sid, set()), (sid, index)
        assert not set(scans) & missed.get(sid, set()), sid
    by_scan = {(d.subject_id, int(m.group(1))): d for d in cohort.deviations
               if (m := SCAN.match(d.description))}
    for (sid, index), d in by_scan.items():
        before = [on for k, on in attended.get(sid, {}).items() if k < index]
        after = [on for k, on in attended.get(sid, {}).items() if k > index]
        assert all(on < d.deviation_on for on in before), (sid, index)
        assert all(d.deviation_on < on for on in after), (sid, index)
    assert gaps > 0, "the 400-subject cohort should skip a few scans"


def test_nothing_is_dated_after_the_cutoff_or_death(cohort: StudyData) -> None:
    """Both dates of every deviation are on or before the cut-off and the day of death, and
    a deviation is identified on or after it happened; every subject is enrolled."""
    cutoff = SynthParams().cutoff
    died = {d.subject_id: d.died_on for d in cohort.dataset.deaths}
    enrolled = {s.subject_id for s in cohort.dataset.subjects}
    assert cohort.deviations
    for d in cohort.deviations:
        assert d.subject_id in enrolled
        last = min(cutoff, died.get(d.subject_id, cutoff))
        assert d.deviation_on <= d.identified_on <= last, d


def test_a_share_of_subjects_have_one_other_deviation(cohort: StudyData) -> None:
    """About deviation_share (0.15) of subjects have one deviation besides missed scans
    (fewer: a subject with no visit after the first dose has nowhere to date one); the major
    ones are the consent deviations, each with its corrective action."""
    others = [d for d in cohort.deviations if not SCAN.match(d.description)]
    subjects = [d.subject_id for d in others]
    assert len(subjects) == len(set(subjects))
    share = len(subjects) / len(cohort.dataset.subjects)
    assert 0.07 <= share <= 0.22, share
    assert {d.category for d in others} <= {"study_drug", "procedure_missed", "consent"}
    major = [d for d in cohort.deviations if d.major]
    assert major and all(d.category == "consent" and d.corrective_action for d in major)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_deviations_leave_the_other_records_of_a_seed_unchanged(
        ctx: TrialContext, share: float) -> None:
    """The deviations draw from their own stream: changing their share changes nothing else."""
    base = generate_study(SynthParams(n_enrolled=30), 5, ctx=ctx)
    other = generate_study(SynthParams(n_enrolled=30, deviation_share=share), 5, ctx=ctx)
    assert replace(other, deviations=base.deviations) == base
    if share == 0.0:  # the same missed scans (identified other days)
        assert [(d.subject_id, d.deviation_on, d.description) for d in other.deviations] == [
            (d.subject_id, d.deviation_on, d.description) for d in base.deviations
            if SCAN.match(d.description)]
    else:
        assert len(other.deviations) > len(base.deviations)
