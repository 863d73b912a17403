"""The trial simulator against exact probabilities computed here, and its reproducibility.

Exact references: the binomial distribution for a trial without looks, and a forward
recursion over the number of toxicities for a trial monitored after every patient.
Simulated proportions must fall within 4 Monte Carlo standard errors of the exact value.
"""

from __future__ import annotations

import math

import pytest

from oncotrial.design import (
    DesignInputError,
    MonitoringPlan,
    Scenario,
    predictive_boundaries,
    simulate_trials,
    toxicity_boundaries,
)

# The bundled trial's plan without looks: 22 patients, success with 4 or more responses.
PLAN = MonitoringPlan(n_max=22, success_min_responses=4)

def _within(sim: float, exact: float, n_trials: int) -> bool:
    return abs(sim - exact) <= 4 * math.sqrt(exact * (1 - exact) / n_trials) + 1e-12


def _binom_sf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_without_looks_success_is_the_binomial_tail() -> None:
    """No interim looks: P(success) = P(Bin(22, 0.25) >= 4); everyone is treated."""
    res = simulate_trials(Scenario(0.25), PLAN, n_trials=40_000, seed=3)
    assert _within(res.prob_success, _binom_sf(4, 22, 0.25), res.n_trials)
    assert res.expected_n == 22.0
    assert res.prob_early_stop == 0.0


def test_expected_duration_without_looks() -> None:
    """Poisson accrual of 2 a month: the last of 22 enters after 21 / 2 months on average, and
    the final analysis is 6 months later (16.5 months; SD of the entry time is sqrt(21) / 2)."""
    res = simulate_trials(Scenario(0.1), PLAN, n_trials=40_000, seed=4)
    assert abs(res.expected_duration_months - 16.5) < 4 * (math.sqrt(21) / 2) / math.sqrt(40_000)


def _exact_toxicity_stop(q: float, bounds: dict[int, int], n: int) -> float:
    """P(cross a toxicity boundary at some look) by recursion over the toxicity count."""
    alive = {0: 1.0}  # toxicities so far -> probability, among trials still running
    stopped = 0.0
    for m in range(1, n + 1):
        nxt: dict[int, float] = {}
        for y, pr in alive.items():
            nxt[y] = nxt.get(y, 0.0) + pr * (1 - q)
            nxt[y + 1] = nxt.get(y + 1, 0.0) + pr * q
        if m in bounds:
            stopped += sum(pr for y, pr in nxt.items() if y >= bounds[m])
            nxt = {y: pr for y, pr in nxt.items() if y < bounds[m]}
        alive = nxt
    return stopped


@pytest.mark.parametrize("q", [0.10, 0.25, 0.40])
def test_toxicity_stopping_probability_matches_exact_recursion(q: float) -> None:
    """Looks after every patient from the 5th: simulated P(stop) agrees with the recursion."""
    table = toxicity_boundaries(0.2, looks=range(5, 23), max_posterior=0.8)
    bounds = {r.patients: r.stop_at_or_above for r in table.boundaries
              if r.stop_at_or_above is not None}
    plan = MonitoringPlan(n_max=22, toxicity=table, success_min_responses=0)
    res = simulate_trials(Scenario(0.2, toxicity_rate=q), plan, n_trials=40_000, seed=11)
    assert _within(res.prob_stop_toxicity, _exact_toxicity_stop(q, bounds, 22), res.n_trials)
    assert res.expected_n <= 22.0


def _exact_pass(rate: float, stop: dict[int, tuple[int, bool]], n: int) -> list[float]:
    """P(no stop up to and including patient m), m = 1..n; stop[m] = (bound, is_upper)."""
    alive = {0: 1.0}
    out = []
    for m in range(1, n + 1):
        nxt: dict[int, float] = {}
        for y, pr in alive.items():
            nxt[y] = nxt.get(y, 0.0) + pr * (1 - rate)
            nxt[y + 1] = nxt.get(y + 1, 0.0) + pr * rate
        if m in stop:
            bound, upper = stop[m]
            nxt = {y: pr for y, pr in nxt.items() if (y < bound if upper else y > bound)}
        alive = nxt
        out.append(sum(alive.values()))
    return out


def test_futility_and_toxicity_together_match_the_exact_product() -> None:
    """Predictive futility looks (Lee & Liu) and toxicity looks together: with independent
    endpoints P(success) = P(no futility stop, >= 4 responses) x P(no toxicity stop)."""
    fut = predictive_boundaries(0.05, n_max=22, looks=range(10, 22))
    tox = toxicity_boundaries(0.2, looks=range(5, 23))
    f_stop = {r.patients: (r.stop_at_or_below, False) for r in fut.boundaries
              if r.stop_at_or_below is not None}
    t_stop = {r.patients: (r.stop_at_or_above, True) for r in tox.boundaries
              if r.stop_at_or_above is not None}
    f_stop[22] = (3, False)  # success needs 4 or more responses at the end
    orr, q = 0.2, 0.15
    exact = _exact_pass(orr, f_stop, 22)[-1] * _exact_pass(q, t_stop, 22)[-1]
    plan = MonitoringPlan(n_max=22, futility=fut, toxicity=tox, success_min_responses=4)
    res = simulate_trials(Scenario(orr, toxicity_rate=q), plan, n_trials=40_000, seed=21)
    assert _within(res.prob_success, exact, res.n_trials)


def test_same_seed_same_answer_other_seed_other_answer() -> None:
    """Results depend only on the seed and the number of trials."""
    plan = MonitoringPlan(n_max=22, success_min_responses=4,
                          toxicity=toxicity_boundaries(0.2, looks=range(5, 23)),
                          pfs_null_median=1.8)
    sc = Scenario(0.2, toxicity_rate=0.2, median_pfs_months=3.0)
    a = simulate_trials(sc, plan, n_trials=25_000, seed=99)
    b = simulate_trials(sc, plan, n_trials=25_000, seed=99)
    c = simulate_trials(sc, plan, n_trials=25_000, seed=100)
    assert a == b
    assert a != c


def test_logrank_rejects_rarely_under_h0_and_often_under_a_big_effect() -> None:
    """True median = historical median: rejection near or below one-sided alpha 0.05 (the
    test is known to be conservative in small samples); median tripled: most trials reject."""
    plan = MonitoringPlan(n_max=22, success_min_responses=4, pfs_null_median=1.8)
    null = simulate_trials(Scenario(0.05, median_pfs_months=1.8), plan, n_trials=20_000, seed=5)
    alt = simulate_trials(Scenario(0.05, median_pfs_months=5.4), plan, n_trials=20_000, seed=5)
    assert null.prob_logrank_reject is not None and alt.prob_logrank_reject is not None
    assert null.prob_logrank_reject < 0.07
    assert alt.prob_logrank_reject > 0.9


def test_progress_is_reported_per_block() -> None:
    """The callback sees every block, ending at the total."""
    seen: list[tuple[int, int]] = []
    simulate_trials(Scenario(0.1), PLAN, n_trials=25_000, seed=1,
                    progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]


def test_simulation_refuses_bad_inputs() -> None:
    """Rates outside [0, 1] and looks after n_max are refused before any work."""
    with pytest.raises(DesignInputError):
        Scenario(1.5)
    with pytest.raises(DesignInputError, match="after n_max"):
        MonitoringPlan(n_max=10, success_min_responses=2,
                       toxicity=toxicity_boundaries(0.2, looks=[12]))
    with pytest.raises(DesignInputError):
        simulate_trials(Scenario(0.1), PLAN, n_trials=0)
