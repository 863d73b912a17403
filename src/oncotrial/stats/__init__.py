"""Survival and binomial statistics for single-arm oncology trials (pure numpy/scipy).

Kaplan-Meier curves with Greenwood variance and Brookmeyer-Crowley quantile intervals, the
log-rank test, and exact binomial intervals and tests, each matched to R ``survival`` or scipy
in ``tests/core/stats``. See ``docs/statistics.md`` for the methods and for how results differ
from lifelines.

Results are plain data: every result is a frozen dataclass of numbers, strings and enums with a
``summary()``, which :func:`oncotrial.records.to_json` / :func:`oncotrial.records.from_json`
carry to JSON and back. The one exception is :class:`KaplanMeier`, a computation object holding
numpy arrays; its stored form is :meth:`KaplanMeier.curve` (a :class:`SurvivalCurve`).
Confidence levels are ``conf_level`` everywhere. Bad input raises
:class:`StatisticsInputError`, an :class:`oncotrial.errors.InputError` (so also a ValueError).

Why not lifelines: its fitters keep results on a mutable object, offer one CI method per
quantity, and take over a second on a million subjects; here the CI transform is an argument
with R's exact rules, and the counting step is O(n) for whole-day times (see
``benchmarks/bench_stats.py``).
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
    SurvivalCurve,
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
    "SurvivalCurve",
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
