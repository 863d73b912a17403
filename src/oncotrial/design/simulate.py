"""Operating characteristics of a monitored single-arm trial by simulation (numpy, vectorised).

Method: each simulated trial enrols up to ``n_max`` patients, one after another, with
exponential gaps between entries (a Poisson accrual of ``accrual_per_month``). Each patient
responds with probability ``response_rate`` and has the monitored toxicity with probability
``toxicity_rate``; both are known ``evaluation_months`` after entry. At each look (a number of
evaluated patients named in a boundary table) the toxicity rule is applied first, then the
futility rule; the first crossing stops enrolment. Patients already entered by then stay in
the count of patients treated. A trial that is not stopped is a success when at least
``success_min_responses`` patients respond.

When ``pfs_null_median`` is given, progression-free survival is drawn from a Weibull curve with
the scenario's median and shape, and trials that reach the final analysis
(``follow_up_months`` after the last entry) also run the one-sample log-rank test
(Finkelstein et al. 2003) against the null Weibull curve at one-sided ``logrank_alpha``.

Simulations run in blocks of 10,000 trials, each with its own stream spawned from ``seed``
(numpy ``SeedSequence``), so the same seed and number of trials give the same answer
whatever the machine. Simulation is a check on exact calculations, not a replacement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from oncotrial.design.bayes import BoundaryTable
from oncotrial.design.errors import (
    DesignInputError,
    check_count,
    check_positive,
    check_rate,
)

__all__ = ["MonitoringPlan", "Scenario", "SimulationResult", "simulate_trials"]

BLOCK = 10_000
_LN2 = math.log(2.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    """The truth a simulation assumes: rates, PFS median (months) and accrual speed."""

    response_rate: float
    toxicity_rate: float = 0.0
    median_pfs_months: float | None = None
    pfs_shape: float = 1.0
    accrual_per_month: float = 2.0

    def __post_init__(self) -> None:
        check_rate("response_rate", self.response_rate, low_open=False, high_open=False)
        check_rate("toxicity_rate", self.toxicity_rate, low_open=False, high_open=False)
        if self.median_pfs_months is not None:
            check_positive("median_pfs_months", self.median_pfs_months, unit="months")
        check_positive("pfs_shape", self.pfs_shape)
        check_positive("accrual_per_month", self.accrual_per_month, unit="patients per month")


@dataclass(frozen=True, slots=True)
class MonitoringPlan:
    """The rules a simulated trial follows: boundaries, final rule and timing (months).

    ``n_max`` (the planned number of patients) and ``success_min_responses`` (the final rule)
    have no default: they are the trial's, not the package's.
    """

    n_max: int
    success_min_responses: int
    futility: BoundaryTable | None = None
    toxicity: BoundaryTable | None = None
    evaluation_months: float = 2.0
    follow_up_months: float = 6.0
    pfs_null_median: float | None = None
    logrank_alpha: float = 0.05

    def __post_init__(self) -> None:
        check_count("n_max", self.n_max)
        check_count("success_min_responses", self.success_min_responses, minimum=0,
                    maximum=self.n_max)
        check_positive("evaluation_months", self.evaluation_months, unit="months")
        check_positive("follow_up_months", self.follow_up_months, unit="months")
        if self.pfs_null_median is not None:
            check_positive("pfs_null_median", self.pfs_null_median, unit="months")
        check_rate("logrank_alpha", self.logrank_alpha)
        for name, table in (("futility", self.futility), ("toxicity", self.toxicity)):
            if table is None:
                continue
            for row in table.boundaries:
                if row.patients > self.n_max:
                    raise DesignInputError(
                        f"The {name} table has a look at {row.patients} patients, after "
                        f"n_max = {self.n_max}.",
                        field=name,
                        value=row.patients,
                        hint="Build the table with looks no later than n_max.",
                    )


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Operating characteristics from ``n_trials`` simulated trials (proportions of trials)."""

    n_trials: int
    seed: int
    prob_stop_futility: float
    prob_stop_toxicity: float
    prob_success: float
    expected_n: float
    expected_duration_months: float
    prob_logrank_reject: float | None

    @property
    def prob_early_stop(self) -> float:
        """Probability that a monitoring rule stopped the trial before n_max."""
        return self.prob_stop_futility + self.prob_stop_toxicity

    def monte_carlo_se(self, proportion: float) -> float:
        """Monte Carlo standard error of a proportion estimated from these trials."""
        return math.sqrt(max(proportion * (1.0 - proportion), 0.0) / self.n_trials)

    def summary(self) -> str:
        """The operating characteristics in plain text."""
        lines = [
            f"{self.n_trials} simulated trials (seed {self.seed})",
            f"P(stop for futility)  {self.prob_stop_futility:.4f}",
            f"P(stop for toxicity)  {self.prob_stop_toxicity:.4f}",
            f"P(declare success)    {self.prob_success:.4f} "
            f"(Monte Carlo SE {self.monte_carlo_se(self.prob_success):.4f})",
            f"Expected patients     {self.expected_n:.2f}",
            f"Expected duration     {self.expected_duration_months:.1f} months",
        ]
        if self.prob_logrank_reject is not None:
            lines.append(f"P(PFS log-rank test rejects H0) {self.prob_logrank_reject:.4f}")
        return "\n".join(lines)


def _lookup(table: BoundaryTable | None, looks: list[int], upper: bool) -> np.ndarray:
    """Boundary per look: stop if count <= value (futility) or >= value (toxicity)."""
    never = 10**9 if upper else -1
    out = np.full(len(looks), never, dtype=np.int64)
    if table is None:
        return out
    for row in table.boundaries:
        value = row.stop_at_or_above if upper else row.stop_at_or_below
        if value is not None:
            out[looks.index(row.patients)] = value
    return out


def _block(
    rng: np.random.Generator, size: int, sc: Scenario, plan: MonitoringPlan, looks: list[int],
    fut: np.ndarray, tox: np.ndarray, z_alpha: float,
) -> tuple[int, int, int, float, float, int]:
    n = plan.n_max
    gaps = rng.exponential(1.0 / sc.accrual_per_month, size=(size, n))
    gaps[:, 0] = 0.0
    entry = np.cumsum(gaps, axis=1)
    resp = rng.random((size, n)) < sc.response_rate
    toxic = rng.random((size, n)) < sc.toxicity_rate
    cum_r = np.cumsum(resp, axis=1)
    cum_t = np.cumsum(toxic, axis=1)

    if looks:
        idx = np.array(looks) - 1
        stop_tox = cum_t[:, idx] >= tox[None, :]
        stop_fut = cum_r[:, idx] <= fut[None, :]
        stop_any = stop_tox | stop_fut
        stopped = stop_any.any(axis=1)
        first = stop_any.argmax(axis=1)
        rows = np.arange(size)
        by_tox = stopped & stop_tox[rows, first]  # safety first when both cross together
        by_fut = stopped & ~by_tox
        t_stop = entry[rows, idx[first]] + plan.evaluation_months
    else:
        stopped = np.zeros(size, dtype=bool)
        by_tox = by_fut = stopped
        t_stop = np.zeros(size)

    treated = np.where(stopped, (entry <= t_stop[:, None]).sum(axis=1), n)
    final_time = entry[:, -1] + max(plan.evaluation_months, plan.follow_up_months)
    duration = np.where(stopped, t_stop, final_time)
    success = ~stopped & (cum_r[:, -1] >= plan.success_min_responses)

    logrank = 0
    if plan.pfs_null_median is not None and sc.median_pfs_months is not None:
        k = sc.pfs_shape
        pfs = sc.median_pfs_months * (rng.exponential(1.0, size=(size, n)) / _LN2) ** (1.0 / k)
        cutoff = entry[:, -1:] + plan.follow_up_months
        censor = cutoff - entry
        observed = np.minimum(pfs, censor)
        events = (pfs <= censor).sum(axis=1)
        expected = _LN2 * ((observed / plan.pfs_null_median) ** k).sum(axis=1)
        stat = (events - expected) / np.sqrt(expected)
        logrank = int(np.sum(~stopped & (stat < -z_alpha)))

    return (
        int(by_fut.sum()),
        int(by_tox.sum()),
        int(success.sum()),
        float(treated.sum()),
        float(duration.sum()),
        logrank,
    )


def simulate_trials(
    scenario: Scenario,
    plan: MonitoringPlan,
    *,
    n_trials: int = 100_000,
    seed: int = 20240601,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``n_trials`` trials under ``scenario`` following ``plan``; see the module doc.

    ``progress(done, total)`` is called after each block of 10,000 trials (for a progress bar).

    Raises:
        DesignInputError: a rate, time or count is out of range.

    Example: 22 patients, true ORR 5 %, success with 4 or more responses, no interim looks;
    the exact probability of success is P(Bin(22, 0.05) >= 4) = 0.0222:

    >>> plan = MonitoringPlan(n_max=22, success_min_responses=4)
    >>> res = simulate_trials(Scenario(0.05), plan, n_trials=20000, seed=1)
    >>> abs(res.prob_success - 0.0222) < 4 * res.monte_carlo_se(0.0222)
    True
    >>> res.expected_n
    22.0
    """
    n_trials = check_count("n_trials", n_trials, maximum=10_000_000)
    seed = check_count("seed", seed, minimum=0)
    looks = sorted(
        {row.patients for t in (plan.futility, plan.toxicity) if t is not None
         for row in t.boundaries}
    )
    fut = _lookup(plan.futility, looks, upper=False)
    tox = _lookup(plan.toxicity, looks, upper=True)
    z_alpha = float(stats.norm.ppf(1.0 - plan.logrank_alpha))
    blocks = math.ceil(n_trials / BLOCK)
    streams = np.random.SeedSequence(seed).spawn(blocks)
    totals = [0, 0, 0, 0.0, 0.0, 0]
    done = 0
    for i, stream in enumerate(streams):
        size = min(BLOCK, n_trials - i * BLOCK)
        part = _block(np.random.default_rng(stream), size, scenario, plan, looks, fut, tox,
                      z_alpha)
        totals = [a + b for a, b in zip(totals, part, strict=True)]
        done += size
        if progress is not None:
            progress(done, n_trials)
    with_pfs = plan.pfs_null_median is not None and scenario.median_pfs_months is not None
    return SimulationResult(
        n_trials=n_trials,
        seed=seed,
        prob_stop_futility=totals[0] / n_trials,
        prob_stop_toxicity=totals[1] / n_trials,
        prob_success=totals[2] / n_trials,
        expected_n=totals[3] / n_trials,
        expected_duration_months=totals[4] / n_trials,
        prob_logrank_reject=(totals[5] / n_trials) if with_pfs else None,
    )
