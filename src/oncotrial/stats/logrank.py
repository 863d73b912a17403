"""The log-rank test for comparing survival between groups, optionally stratified.

Mantel N. Cancer Chemother Rep 1966;50:163-170; Peto R, Peto J. J R Stat Soc A 1972;135:185-207.
Computed as R ``survival::survdiff`` (``rho = 0``), version 3.5, and checked against it in
``tests/core/stats``: at each distinct event time the expected number of events in a group is
its share of those at risk times all events, and the hypergeometric covariance is
``d (n - d) / (n - 1) * (n_g / n) (delta_gh - n_h / n)``.
The statistic is ``(O - E)' V^-1 (O - E)`` over all groups but one (groups with no expected
events are left out, as in R), chi-squared with (number of groups - 1) degrees of freedom.
Where V is singular (no information, e.g. everyone at risk at each event time had the event)
R stops with an error; here the Moore-Penrose inverse is used, which gives 0 in that case.
With ``strata``, O, E and V are summed over strata, as R's ``+ strata(...)``.

Why not lifelines: ``lifelines.statistics.logrank_test`` returns a mutable result object,
takes two groups as separate arrays and has no strata, and takes over a second on a million
subjects; here the counting is O(n) for whole-day times (see ``benchmarks/bench_stats.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from oncotrial.stats._data import (
    StatisticsInputError,
    as_array,
    as_event,
    as_flag_array,
    as_time,
    risk_sets_by_group,
)

__all__ = ["LogRankTest", "log_rank"]


@dataclass(frozen=True, slots=True)
class LogRankTest:
    """Result of a (stratified) log-rank test; one entry per group in ``groups`` order."""

    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    n: tuple[int, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    variance: tuple[tuple[float, ...], ...]
    n_strata: int

    def summary(self) -> str:
        """A small table of observed and expected events, then the test."""
        width = max(len(g) for g in self.groups)
        lines = [f"{'group':<{width}}  {'N':>7}  {'observed':>9}  {'expected':>9}"]
        for g, n, o, e in zip(self.groups, self.n, self.observed, self.expected, strict=True):
            lines.append(f"{g:<{width}}  {n:>7}  {o:>9.0f}  {e:>9.2f}")
        kind = "log-rank" if self.n_strata == 1 else f"stratified log-rank ({self.n_strata} strata)"
        lines.append(
            f"{kind}: chi-squared = {self.statistic:.3f} on {self.df} df, p = {self.p_value:.4g}"
        )
        return "\n".join(lines)


def _codes(values: Any, n: int, name: str) -> tuple[npt.NDArray[np.int64], list[str]]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatisticsInputError(
            f"There are {n} times but {arr.size} {name} labels; each subject needs one.",
            field=name, value=arr.size, hint=f"Pass one {name} label per subject.",
        )
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        # Integer labels in a small range (arm 0/1, ECOG 0-4): codes by bincount, no hashing.
        low, high = int(arr.min()), int(arr.max())
        if high - low <= 1:  # both extremes occur, so both codes are present
            codes = arr.astype(np.int64, copy=False)
            return (codes - low if low else codes), [str(v) for v in range(low, high + 1)]
        if high - low <= 65_536:
            shifted = arr.astype(np.int64) - low
            present = np.flatnonzero(np.bincount(shifted))
            if present.size == high - low + 1:
                return shifted, [str(low + int(p)) for p in present]
            lookup = np.full(high - low + 1, -1, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            return lookup[shifted], [str(low + int(p)) for p in present]
    codes, uniques = pd.factorize(arr, sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        position = int(np.flatnonzero(codes < 0)[0])
        raise StatisticsInputError(
            f"Subject at position {position} has no {name} label.",
            field=name, value=None,
            hint=f"Drop subjects with a missing {name} from this analysis, or supply it.",
        )
    return codes.astype(np.int64, copy=False), [str(u) for u in uniques]


def log_rank(time: Any, event: Any, group: Any, *, strata: Any = None) -> LogRankTest:
    """Log-rank test that survival is the same in every group, optionally stratified.

    As R ``survdiff(Surv(time, event) ~ group)`` (or ``~ group + strata(strata)``), survival
    3.5, which it matches to 1e-6 on the ``aml``, ``lung``, ``veteran`` and ``ovarian`` data.
    Groups are reported in sorted order of their labels.

    The test has most power when the hazards are proportional; when curves cross it can miss
    a real difference. In a single-arm trial it serves subgroup comparisons only, which are
    exploratory.

    Raises:
        StatisticsInputError: fewer than two groups, mismatched lengths, missing labels, or
            the time and event problems listed in :func:`~oncotrial.stats.kaplan_meier`.

    Example, R's ``aml`` data (``survdiff(Surv(time, status) ~ x, data = aml)``:
    chi-squared 3.4 on 1 df, p = 0.0653):

    >>> weeks = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
    ...          5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    >>> status = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    >>> arm = ["Maintained"] * 11 + ["Nonmaintained"] * 12
    >>> result = log_rank(weeks, status, arm)
    >>> round(result.statistic, 4), result.df, round(result.p_value, 4)
    (3.3964, 1, 0.0653)
    """
    values = as_array(time)
    n = values.shape[0]
    raw_events = as_flag_array(event, n)
    g, labels = _codes(group, n, "group")
    n_groups = len(labels)
    if n_groups < 2:
        raise StatisticsInputError(
            f"The log-rank test compares groups, but every subject is in group {labels[0]!r}.",
            field="group", value=labels[0], hint="Pass a grouping with at least two groups.",
        )
    if strata is None:
        s_codes, n_strata = None, 1
    else:
        s_codes, s_labels = _codes(strata, n, "strata")
        n_strata = len(s_labels)
    observed = np.zeros(n_groups)
    expected = np.zeros(n_groups)
    variance = np.zeros((n_groups, n_groups))
    if s_codes is None:
        # Unstratified: the data are checked while they are counted (full checks, naming the
        # subject, run only if something is off).
        observed, expected, variance = _one_stratum(values, raw_events, g, n_groups)
    else:
        # Check everything first, so that an error names the subject's position in the data
        # as given rather than within a stratum.
        t = as_time(values)
        e = as_event(raw_events, n)
        for s in range(n_strata):
            mask = s_codes == s
            o, ex, v = _one_stratum(t.values[mask], e[mask], g[mask], n_groups)
            observed += o
            expected += ex
            variance += v
    kept = np.flatnonzero(expected > 0)
    if kept.size < 2:
        statistic = 0.0
    else:
        diff = (observed - expected)[kept][1:]
        sub = variance[np.ix_(kept, kept)][1:, 1:]
        try:
            statistic = float(diff @ np.linalg.solve(sub, diff))
        except np.linalg.LinAlgError:
            # No information (for example: everyone at risk at each event time had the event,
            # so O = E and V = 0). R's survdiff stops with "system is exactly singular"; the
            # Moore-Penrose inverse gives the statistic on the informative directions, 0 here.
            statistic = float(diff @ np.linalg.pinv(sub) @ diff)
    df = int(kept.size) - 1
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else 1.0
    return LogRankTest(
        statistic=statistic,
        df=df,
        p_value=p_value,
        groups=tuple(labels),
        n=tuple(int(c) for c in np.bincount(g, minlength=n_groups)),
        observed=tuple(float(o) for o in observed),
        expected=tuple(float(x) for x in expected),
        variance=tuple(tuple(float(x) for x in row) for row in variance),
        n_strata=n_strata,
    )


def _one_stratum(
    time: Any, event: Any, group: npt.NDArray[np.int64],
    n_groups: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    risk = risk_sets_by_group(time, event, group, n_groups)
    d, at_risk = risk.n_event, risk.at_risk
    n = at_risk.sum(axis=0)
    # Hypergeometric weight d (n - d) / (n - 1); with one subject at risk d (n - d) is 0, and
    # the divisor is set to 1 to avoid 0 / 0.
    w = n - d
    w *= d
    w /= np.maximum(n - 1.0, 1.0)
    if n_groups == 2:
        # Two groups (the usual case): the same sums with a quarter of the work.
        share = at_risk[0] / n
        e0 = float(share @ d)
        one_minus = 1.0 - share
        one_minus *= share
        v = float(one_minus @ w)
        expected = np.array([e0, float(d.sum()) - e0])
        return risk.observed, expected, np.array([[v, -v], [-v, v]])
    shares = at_risk / n
    expected = shares @ d
    ws = shares * w
    variance = np.diag(ws.sum(axis=1)) - ws @ shares.T
    return risk.observed, expected, variance
