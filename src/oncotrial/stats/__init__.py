"""Survival and binomial statistics for single-arm oncology trials (pure numpy/scipy).

Kaplan-Meier curves with Greenwood variance and Brookmeyer-Crowley quantile intervals, the
log-rank test, and exact binomial intervals and tests, each matched to R ``survival`` or scipy
in ``tests/core/stats``. See ``docs/statistics.md`` for the methods and for how results differ
from lifelines.

Why not lifelines: its fitters keep results on a mutable object, offer one CI method per
quantity, and take over a second on a million subjects; here every result is a frozen
dataclass with a ``summary()``, the CI transform is an argument with R's exact rules, and the
counting step is O(n) for whole-day times (see ``benchmarks/bench_stats.py``).
"""

from oncotrial.stats._data import StatisticsInputError
from oncotrial.stats.binomial import (
    Alternative,
    BinomialTest,
    ProportionCIMethod,
    ProportionEstimate,
    binomial_test,
    clopper_pearson,
    estimate_proportion,
    jeffreys,
    wilson,
)
from oncotrial.stats.logrank import LogRankTest, log_rank
from oncotrial.stats.survival import (
    ConfType,
    KaplanMeier,
    QuantileEstimate,
    RestrictedMean,
    SurvivalEstimate,
    kaplan_meier,
    median_follow_up,
)

__all__ = [
    "Alternative",
    "BinomialTest",
    "ConfType",
    "KaplanMeier",
    "LogRankTest",
    "ProportionCIMethod",
    "ProportionEstimate",
    "QuantileEstimate",
    "RestrictedMean",
    "StatisticsInputError",
    "SurvivalEstimate",
    "binomial_test",
    "clopper_pearson",
    "estimate_proportion",
    "jeffreys",
    "kaplan_meier",
    "log_rank",
    "median_follow_up",
    "wilson",
]
