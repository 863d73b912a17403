"""Invariants of the design functions, checked with Hypothesis."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.design import (
    DesignNotFoundError,
    exact_intervals,
    futility_boundaries,
    one_sample_logrank_power,
    predictive_probability,
    simon_two_stage,
    single_stage_power,
    toxicity_boundaries,
)

rates = st.floats(0.02, 0.6).map(lambda x: round(x, 2))


@settings(max_examples=12, deadline=None)
@given(p0=rates, gap=st.floats(0.2, 0.35).map(lambda x: round(x, 2)),
       alpha=st.sampled_from([0.05, 0.10]), beta=st.sampled_from([0.1, 0.2]))
def test_simon_designs_keep_their_error_rates_and_order(
    p0: float, gap: float, alpha: float, beta: float
) -> None:
    """Both designs meet alpha and power; minimax n <= optimal n; optimal EN0 <= minimax EN0."""
    p1 = min(round(p0 + gap, 2), 0.95)
    try:
        res = simon_two_stage(p0, p1, alpha, beta, nmax=60)
    except DesignNotFoundError:
        return
    for d in (res.optimal, res.minimax):
        assert d.alpha <= alpha + 1e-12 and d.power >= 1 - beta - 1e-12
        assert 0 <= d.r1 < d.n1 < d.n and d.r1 <= d.r < d.n
        assert d.n1 <= d.en0 <= d.n
    assert res.minimax.n <= res.optimal.n
    assert res.optimal.en0 <= res.minimax.en0 + 1e-12


@given(n=st.integers(5, 60), p0=st.floats(0.01, 0.5))
def test_power_rises_with_the_true_rate(n: int, p0: float) -> None:
    """The exact power curve of a fixed-n test never falls as the true rate rises."""
    try:
        res = single_stage_power(n, p0, 0.05, true_rates=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9))
    except DesignNotFoundError:
        return
    powers = [p.power for p in res.points]
    assert powers == sorted(powers)
    assert res.alpha <= 0.05 + 1e-12


@given(n=st.integers(1, 80))
def test_exact_intervals_nest_and_contain_the_estimate(n: int) -> None:
    """Limits rise with the count, and each interval contains its point estimate."""
    cis = exact_intervals(n)
    for a, b in itertools.pairwise(cis):
        assert a.lower <= b.lower and a.upper <= b.upper
    assert all(ci.lower <= ci.estimate <= ci.upper for ci in cis)


@given(limit=st.floats(0.05, 0.5), threshold=st.floats(0.5, 0.95))
def test_toxicity_boundaries_never_fall_as_patients_accrue(limit: float,
                                                           threshold: float) -> None:
    """More patients never lower the number of toxicities that stops the trial."""
    table = toxicity_boundaries(limit, looks=range(1, 23), max_posterior=threshold)
    bounds = [b.stop_at_or_above for b in table.boundaries if b.stop_at_or_above is not None]
    assert bounds == sorted(bounds)


@given(p0=st.floats(0.05, 0.6), threshold=st.floats(0.01, 0.3))
def test_futility_boundaries_never_fall_as_patients_accrue(p0: float, threshold: float) -> None:
    """More patients never lower the number of responses at or below which the trial stops."""
    table = futility_boundaries(p0, looks=range(1, 23), min_posterior=threshold)
    bounds = [b.stop_at_or_below for b in table.boundaries if b.stop_at_or_below is not None]
    assert bounds == sorted(bounds)


@given(m=st.integers(1, 30), p0=st.floats(0.05, 0.7))
def test_predictive_probability_rises_with_responses(m: int, p0: float) -> None:
    """One more response so far never lowers the predictive probability of success."""
    pps = [predictive_probability(x, m, n_max=40, p0=p0, theta_t=0.9) for x in range(m + 1)]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(pps))
    assert all(0.0 <= p <= 1.0 for p in pps)


@given(hr=st.floats(0.2, 0.95), shape=st.floats(0.6, 2.0))
def test_logrank_power_is_between_alpha_and_one(hr: float, shape: float) -> None:
    """Power under an alternative lies in (alpha, 1]; a stronger effect gives more power."""
    weak = one_sample_logrank_power(22, 1.8, min(hr + 0.04, 0.99), accrual_time=12,
                                    follow_up_time=6, shape=shape)
    strong = one_sample_logrank_power(22, 1.8, hr, accrual_time=12, follow_up_time=6,
                                      shape=shape)
    assert 0.05 < weak.power <= strong.power <= 1.0
