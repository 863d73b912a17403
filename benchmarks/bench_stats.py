"""Benchmark oncotrial.stats against lifelines on the same data, in the same run.

Run:  .venv/bin/python benchmarks/bench_stats.py [--n 1000000] [--repeat 5]

Two data sets of ``n`` subjects (default one million), seeded:

* continuous times: exponential event times (median about 253 days) censored by uniform
  follow-up, all times distinct;
* whole-day times: the same, rounded up to whole days and censored administratively at
  day 1 to 2,000, so about 2,000 distinct values, given as int64 and as float64.

Measured, best of ``--repeat`` (lifelines: best of ``min(repeat, 3)``), the runs of the two
libraries interleaved so that both see the same load:

* Kaplan-Meier with pointwise CIs, the median and its CI: ``kaplan_meier(...)`` then
  ``.median`` and ``.median_ci``, versus ``lifelines.KaplanMeierFitter().fit(...)`` then
  ``median_survival_time_`` and ``median_survival_times(confidence_interval_)``;
* the log-rank test of two random halves: ``log_rank(time, event, group)`` versus
  ``lifelines.statistics.logrank_test(...)``.

Timings are wall-clock and depend on load; the ratio in the same run is the figure to read.
Results are also compared (median, chi-squared) so that a fast wrong answer shows up.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from oncotrial.stats import kaplan_meier, log_rank


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def race(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int, their_repeat: int
) -> tuple[float, Any, float, Any]:
    """Best times of both, with their runs interleaved so both see the same machine load."""
    ours_t, theirs_t = float("inf"), float("inf")
    ours_r = theirs_r = None
    for i in range(repeat):
        t, ours_r = best_of(ours, 1)
        ours_t = min(ours_t, t)
        if i < their_repeat:
            t, theirs_r = best_of(theirs, 1)
            theirs_t = min(theirs_t, t)
    return ours_t, ours_r, theirs_t, theirs_r


def make_data(n: int, seed: int = 20261123) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    event_time = rng.exponential(365.0, n)
    follow_up = rng.uniform(30.0, 2000.0, n)
    continuous = np.minimum(event_time, follow_up)
    event_c = (event_time <= follow_up).astype(np.int64)
    days_event = np.ceil(event_time).astype(np.int64)
    days_follow = rng.integers(1, 2001, n)
    days = np.minimum(days_event, days_follow)
    event_d = (days_event <= days_follow).astype(np.int64)
    group = rng.integers(0, 2, n)
    return {
        "continuous": (continuous, event_c),
        "whole days (int64)": (days, event_d),
        "whole days (float64)": (days.astype(np.float64), event_d),
        "group": group,
    }


def ours_km(t: Any, e: Any) -> float | None:
    fit = kaplan_meier(t, e)  # log-log CIs for every row, as lifelines' default
    _ = fit.median_ci
    return fit.median


def lifelines_km(t: Any, e: Any) -> float:
    kmf = KaplanMeierFitter().fit(t, e)
    _ = median_survival_times(kmf.confidence_interval_)
    return float(kmf.median_survival_time_)


def ours_lr(t: Any, e: Any, g: Any) -> float:
    return log_rank(t, e, g).statistic


def lifelines_lr(t: Any, e: Any, g: Any) -> float:
    a, b = g == 0, g == 1
    return float(logrank_test(t[a], t[b], e[a], e[b]).test_statistic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = make_data(args.n)
    group = data["group"]
    lrep = min(args.repeat, 3)
    print(f"n = {args.n:,} subjects; best of {args.repeat} (lifelines best of {lrep})")
    print(f"{'task':<52} {'distinct':>9} {'oncotrial':>11} {'lifelines':>11} {'speed-up':>9}")
    for label in ("continuous", "whole days (int64)", "whole days (float64)"):
        t, e = data[label]
        distinct = np.unique(t).size
        ours_t, ours_med, ll_t, ll_med = race(
            lambda t=t, e=e: ours_km(t, e), lambda t=t, e=e: lifelines_km(t, e), args.repeat, lrep
        )
        agree = "" if ours_med == ll_med else f"  (medians differ: {ours_med} vs {ll_med})"
        print(f"{'Kaplan-Meier + CIs + median, ' + label:<52} {distinct:>9,} "
              f"{1000 * ours_t:>9.1f}ms {1000 * ll_t:>9.1f}ms {ll_t / ours_t:>8.1f}x{agree}")
        ours_t, ours_chi, ll_t, ll_chi = race(
            lambda t=t, e=e: ours_lr(t, e, group), lambda t=t, e=e: lifelines_lr(t, e, group),
            args.repeat, lrep,
        )
        agree = "" if abs(ours_chi - ll_chi) < 1e-6 * max(1.0, ll_chi) else (
            f"  (chi-squared differs: {ours_chi} vs {ll_chi})")
        print(f"{'log-rank, 2 groups, ' + label:<52} {distinct:>9,} "
              f"{1000 * ours_t:>9.1f}ms {1000 * ll_t:>9.1f}ms {ll_t / ours_t:>8.1f}x{agree}")


if __name__ == "__main__":
    main()
