"""generate_study: pure given its seed, the cohort's shape, and invariants that hold for any
seed and size (Hypothesis)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.study import StudyData
from oncotrial.synth import SITE_ID, SynthParams, generate_study


def test_the_same_seed_gives_the_same_study(ctx: TrialContext) -> None:
    params = SynthParams(n_enrolled=30)
    first = generate_study(params, 5, ctx=ctx)
    assert generate_study(params, 5, ctx=ctx) == first
    other = generate_study(params, 6, ctx=ctx)
    assert other != first
    assert other.dataset.subjects != first.dataset.subjects or other.labs != first.labs


def test_the_default_cohort_is_the_trials_size(ctx: TrialContext) -> None:
    study = generate_study(SynthParams(), 1, ctx=ctx)
    assert len(study.dataset.subjects) == 22
    assert len(study.screening) == 22 + SynthParams().n_screen_failures
    assert [s.subject_id for s in study.dataset.subjects] == [f"{SITE_ID}-{i:03d}"
                                                              for i in range(1, 23)]
    assert {b.subject_id for b in study.baseline} == {s.subject_id
                                                      for s in study.dataset.subjects}
    assert study.source.startswith("synthetic cohort")


def test_progress_is_reported_up_to_the_total(ctx: TrialContext) -> None:
    calls: list[tuple[int, int]] = []
    study = generate_study(SynthParams(n_enrolled=40), 2, ctx=ctx,
                           progress=lambda done, total: calls.append((done, total)))
    total = len(study.screening)
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert all(t == total for _, t in calls)


def test_enrolment_is_staggered_over_the_accrual_period(ctx: TrialContext) -> None:
    params = SynthParams(n_enrolled=60)
    study = generate_study(params, 3, ctx=ctx)
    days = sorted(s.enrolled_on for s in study.dataset.subjects)
    assert params.start_on <= days[0] and days[-1] <= params.accrual_end_on
    assert (days[-1] - days[0]).days > 200


def test_unreachable_parameters_are_refused(ctx: TrialContext) -> None:
    with pytest.raises(InputError) as caught:
        generate_study(SynthParams(orr=0.6), 1, ctx=ctx)
    assert caught.value.field == "orr" and "two scans" in caught.value.message


def _dated(study: StudyData) -> list[date]:
    ds = study.dataset
    return ([d.end_on for d in ds.dosing] + [a.assessed_on for a in ds.assessments]
            + [c.contact_on for c in ds.contacts] + [d.died_on for d in ds.deaths]
            + [r.collected_on for r in study.labs] + [a.onset_on for a in study.adverse_events]
            + [d.discontinued_on for d in ds.discontinuations])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
def test_invariants_for_any_seed(seed: int, n: int) -> None:
    params = SynthParams(n_enrolled=n)
    study = generate_study(params, seed)
    ds = study.dataset
    assert len(ds.subjects) == n
    assert all(day <= params.cutoff for day in _dated(study))
    first = {}
    for row in sorted(ds.dosing, key=lambda r: r.start_on):
        assert row.start_on <= row.end_on
        first.setdefault(row.subject_id, row.start_on)
    for s in ds.subjects:
        assert s.measurable_disease_at_baseline and s.site_id == SITE_ID
        assert first[s.subject_id] >= s.enrolled_on
    deaths = {d.subject_id: d.died_on for d in ds.deaths}
    for a in ds.assessments:
        assert a.assessed_on <= deaths.get(a.subject_id, params.cutoff)
    assert len(deaths) == len(ds.deaths)
