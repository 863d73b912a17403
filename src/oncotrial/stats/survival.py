"""Kaplan-Meier survival curves: table, quantiles with CI, landmark rates, restricted mean.

Methods, each matched to R ``survival`` 3.5 (``survfit``, ``quantile.survfit``,
``summary.survfit``, ``print.survfit``) to 1e-6 in ``tests/core/stats``:

* Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481 (the product-limit estimate);
* Greenwood's variance, ``var(log S(t)) = sum d / (n (n - d))`` over event times up to t;
* pointwise confidence intervals on the ``log-log`` scale (the default here and in SAS PROC
  LIFETEST), the ``log`` scale (R's default) or the ``plain`` (linear) scale, as in R's
  ``survfit_confint``: log-log has no interval where S is 0 or 1, log none where S is 0,
  and plain and log are clipped to [0, 1];
* quantiles (the median and others) with the Brookmeyer-Crowley interval (Brookmeyer R,
  Crowley J. Biometrics 1982;38:29-41): the interval for the p-quantile runs from the first
  time the lower confidence band falls to 1 - p to the first time the upper band does;
  with R's rule for flat stretches: where a curve sits exactly at 1 - p (within 1.5e-8) over
  an interval, the quantile is the midpoint of that interval;
* restricted mean survival time up to tau, with R's standard error;
* median follow-up by the reverse Kaplan-Meier method (Schemper M, Smith TL. Control Clin
  Trials 1996;17:343-346): censorings are the events and events are the censorings.

Why not lifelines: lifelines' ``KaplanMeierFitter`` stores its results on a mutable fitter,
computes confidence intervals for the median only on the log-log scale and does not apply R's
flat-stretch rule, and takes over a second for a million subjects.
Here results are frozen values, the CI method is an argument with exact R semantics, and the
counting step is a single sort of 64-bit keys (or, for whole-day times, a ``bincount`` with no
sort at all), which is more than ten times faster (``benchmarks/bench_stats.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from oncotrial.stats._data import (
    FloatArray,
    StatisticsInputError,
    count_events,
)

__all__ = [
    "ConfType",
    "KaplanMeier",
    "QuantileEstimate",
    "RestrictedMean",
    "SurvivalCurve",
    "SurvivalEstimate",
    "kaplan_meier",
    "median_follow_up",
]

# R's default tolerance in quantile.survfit: sqrt(.Machine$double.eps).
_TOL = math.sqrt(np.finfo(np.float64).eps)


class ConfType(StrEnum):
    """Scale on which the pointwise confidence interval of S(t) is built."""

    LOG_LOG = "log-log"
    LOG = "log"
    PLAIN = "plain"


def _z(conf_level: float) -> float:
    if not 0.0 < conf_level < 1.0:
        raise StatisticsInputError(
            f"Confidence level {conf_level!r} is outside (0, 1); a 95 % interval is 0.95.",
            field="conf_level", value=conf_level, hint="Pass a fraction such as 0.95.",
        )
    return float(special.ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _conf_type(conf_type: ConfType | str) -> ConfType:
    try:
        return ConfType(conf_type)
    except ValueError as exc:
        raise StatisticsInputError(
            f"Confidence interval type {conf_type!r} is not known; use log-log, log or plain.",
            field="conf_type", value=conf_type,
            hint="log-log is the SAS PROC LIFETEST default and the protocol's choice.",
        ) from exc


def _leading_ones_and_trailing_zeros(surv: FloatArray) -> tuple[int, int]:
    """Rows with S = 1 (before the first event) and with S = 0 (after everyone has had the
    event). S is non-increasing, so both are runs at the ends: two binary searches."""
    size = surv.size
    lo, hi = 0, size  # first index with S < 1
    while lo < hi:
        mid = (lo + hi) // 2
        if surv[mid] >= 1.0:
            lo = mid + 1
        else:
            hi = mid
    ones = lo
    lo, hi = ones, size  # first index with S == 0
    while lo < hi:
        mid = (lo + hi) // 2
        if surv[mid] > 0.0:
            lo = mid + 1
        else:
            hi = mid
    return ones, size - lo


def _confidence_band(
    surv: FloatArray, se_log: FloatArray, conf_type: ConfType, z: float
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits for S(t), as R's ``survival:::survfit_confint`` (``conf.lower = "usual"``).

    R leaves a limit undefined (NA, here NaN) where S = 0 for all three scales (the Greenwood
    variance is infinite there) and also where S = 1 for log-log (log(-log 1) is undefined).
    log-log: with L = log S and h = z se / L, R's ``exp(-exp(log(-L) -/+ h))`` is
    ``exp(L exp(-/+h))``, which needs one logarithm and three exponentials per row.
    """
    ones, zeros = _leading_ones_and_trailing_zeros(surv)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type is ConfType.PLAIN:
            half = se_log * surv
            half *= z
            lower = surv - half
            np.maximum(lower, 0.0, out=lower)
            upper = half
            upper += surv
            np.minimum(upper, 1.0, out=upper)
        elif conf_type is ConfType.LOG:
            grow = se_log * z
            np.exp(grow, out=grow)
            lower = surv / grow
            upper = grow
            upper *= surv
            np.minimum(upper, 1.0, out=upper)
        else:
            log_s = np.log(surv)
            stretch = se_log * z
            stretch /= log_s
            np.exp(stretch, out=stretch)
            lower = log_s / stretch
            np.exp(lower, out=lower)
            upper = stretch
            upper *= log_s
            np.exp(upper, out=upper)
            lower[:ones] = np.nan
            upper[:ones] = np.nan
    if zeros:
        lower[-zeros:] = np.nan
        upper[-zeros:] = np.nan
    return lower, upper


def _frozen(arr: FloatArray) -> FloatArray:
    """Make an array this module created read-only (no copy)."""
    arr.setflags(write=False)
    return arr


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _find_quantile(
    times: FloatArray, curve: FloatArray, p: float, first_time: float, last_time: float
) -> float | None:
    """Time at which the cumulative curve ``1 - S`` reaches ``p``: R's ``survival:::findq``.

    ``curve`` holds S(t) at each time (NaN where undefined). The rules, from R 3.5.3:
    drop repeated values, keeping the first time each value is reached; the quantile is the
    average of the first time F >= p - tol and the first time F >= p + tol, so a flat stretch
    at exactly F = p gives the midpoint of the stretch; if the curve ends flat at p, the
    stretch ends at the last observed time.
    """
    x = np.concatenate(([first_time], times))
    y = np.concatenate(([0.0], 1.0 - curve))
    finite = ~np.isnan(y)
    if not finite.any() or float(y[finite].max()) < p:
        return None
    if p == 0:
        return float(x[0])
    # Keep the first occurrence of each value (NaN counts as one value), in time order; then
    # order the kept values. ``last`` is the last kept value in time order (R's y[n]).
    positions = np.flatnonzero(finite)
    yv = y[positions]
    if bool(np.all(yv[1:] >= yv[:-1])):
        # Monotone (the estimate always, the bands nearly always): runs of equal values.
        keep = np.concatenate(([True], yv[1:] != yv[:-1]))
        ys, xs = yv[keep], x[positions[keep]]
        first_nan = int(np.argmin(finite)) if not finite.all() else y.size
        last = math.nan if first_nan > positions[keep][-1] else float(ys[-1])
    else:
        _, first = np.unique(y, return_index=True, equal_nan=True)
        first.sort()
        xd, yd = x[first], y[first]
        valid = ~np.isnan(yd)
        order = np.argsort(yd[valid], kind="stable")
        ys, xs = yd[valid][order], xd[valid][order]
        last = float(yd[-1])
    i1 = int(np.searchsorted(ys, p - _TOL, side="left"))
    i2 = int(np.searchsorted(ys, p + _TOL, side="left"))
    if not math.isnan(last) and abs(p - last) < _TOL:
        return float((xs[i1] + last_time) / 2)
    if i1 >= ys.size or i2 >= ys.size:
        return None
    return float((xs[i1] + xs[i2]) / 2)


def _print_median(times: FloatArray, curve: FloatArray) -> float | None:
    """First time a curve is at or below 50 %: R's ``print.survfit`` (``survmean``'s ``minmin``).

    If the curve is exactly 0.5 (within 1.5e-8) there and falls further later, the median is
    the midpoint between that time and the next time the curve is lower. Unlike
    :func:`_find_quantile`, values are taken in time order even where a confidence band rises
    again, and a curve that ends flat at 0.5 gives the time it reached 0.5.
    NaN (an undefined limit) never counts as reaching 0.5.
    """
    below = curve < 0.5 + _TOL  # False for NaN
    first = int(np.argmax(below))
    if not below[first]:
        return None
    level = curve[first]
    if abs(level - 0.5) < _TOL:
        later = curve[first:] < level
        step = int(np.argmax(later))
        if later[step]:
            return float((times[first] + times[first + step]) / 2)
    return float(times[first])


@dataclass(frozen=True, slots=True)
class SurvivalEstimate:
    """S(t) at one time, with its pointwise confidence interval (None where undefined).

    Unpacks as ``estimate, lower, upper``:

    >>> estimate, lower, upper = SurvivalEstimate(90.0, 0.5, 0.2, 0.8, n_risk=4)
    >>> lower
    0.2
    """

    time: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int

    def __iter__(self) -> Iterator[float | None]:
        """Yield ``estimate``, ``lower`` and ``upper``, so the result unpacks like a tuple."""
        return iter((self.estimate, self.lower, self.upper))

    def summary(self) -> str:
        """One line, survival as a percentage: ``S(182) = 61.2 % (CI ...), 6 at risk``."""
        interval = f"{_pct(self.lower)}-{_pct(self.upper)}"
        return f"S({self.time:g}) = {_pct(self.estimate)} (CI {interval}), {self.n_risk} at risk"


@dataclass(frozen=True, slots=True)
class QuantileEstimate:
    """The time by which a fraction ``p`` of subjects had the event, with its CI.

    ``p`` = 0.5 is the median; ``p`` = 0.25 is the time by which 25 % had the event
    (survival 75 %), R's ``quantile(fit, 0.25)``. None means "not reached".
    """

    p: float
    time: float | None
    lower: float | None
    upper: float | None
    conf_level: float
    conf_type: ConfType

    def summary(self) -> str:
        """One line: ``median 27.0 (95 % CI 18.0-45.0, log-log)``; NR means not reached."""
        label = "median" if self.p == 0.5 else f"{100 * self.p:g}th percentile"
        return (
            f"{label} {_num(self.time)} ({100 * self.conf_level:g} % CI "
            f"{_num(self.lower)}-{_num(self.upper)}, {self.conf_type.value})"
        )


@dataclass(frozen=True, slots=True)
class RestrictedMean:
    """Restricted mean survival time up to ``tau``: the area under the curve from 0 to tau."""

    tau: float
    estimate: float
    std_err: float
    lower: float
    upper: float
    conf_level: float

    def summary(self) -> str:
        """One line with the estimate, its standard error and a normal-theory interval."""
        return (
            f"restricted mean up to {self.tau:g}: {self.estimate:.4g} (SE {self.std_err:.4g}; "
            f"{100 * self.conf_level:g} % CI {self.lower:.4g}-{self.upper:.4g})"
        )


def _finite_or_none(values: FloatArray) -> tuple[float | None, ...]:
    return tuple(float(v) if math.isfinite(v) else None for v in values.tolist())


@dataclass(frozen=True, slots=True)
class SurvivalCurve:
    """A Kaplan-Meier table as plain data: one entry per distinct time, for storage and plots.

    The stored form of a :class:`KaplanMeier` (:meth:`KaplanMeier.curve`), which goes to JSON
    and back with :func:`oncotrial.records.to_json` / :func:`oncotrial.records.from_json`.
    ``std_err``, ``lower`` and ``upper`` are None where R reports NA (an undefined limit) or
    Inf (the Greenwood variance where everyone at risk had the event).

    >>> kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0]).curve().survival
    (0.75, 0.5, 0.5)
    """

    time: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    n_censor: tuple[int, ...]
    survival: tuple[float, ...]
    std_err: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    conf_type: ConfType
    conf_level: float


def _pct(value: float | None) -> str:
    return "NA" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None) -> str:
    return "NR" if value is None else f"{value:.4g}"


@dataclass(frozen=True, slots=True, eq=False)
class KaplanMeier:
    """A Kaplan-Meier curve: one row per distinct time (event or censoring), frozen.

    A computation object, not a stored result: it holds read-only numpy arrays (and builds a
    pandas ``table`` on request) so that quantiles, landmarks and the restricted mean can be
    computed from it. Its plain-data form, which the store keeps and JSON carries, is
    :meth:`curve` (a :class:`SurvivalCurve`); the other results (:class:`QuantileEstimate`,
    :class:`SurvivalEstimate`, :class:`RestrictedMean`) are plain data already.

    ``std_err`` is the Greenwood standard error of S(t) (R's
    ``summary(fit)$std.err``); ``se_log_survival`` is the standard error of log S(t) (R's
    ``fit$std.err``). Build it with :func:`kaplan_meier`.
    """

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    survival: FloatArray
    std_err: FloatArray
    se_log_survival: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_type: ConfType
    conf_level: float

    @property
    def n_subjects(self) -> int:
        """Number of subjects in the analysis."""
        return int(self.n_risk[0])

    @property
    def n_events(self) -> int:
        """Total number of events."""
        return int(self.n_event.sum())

    @property
    def table(self) -> pd.DataFrame:
        """The full table as a new DataFrame (time, n_risk, n_event, n_censor, survival,
        std_err, lower, upper); NaN marks a limit R reports as NA."""
        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk.astype(np.int64),
                "n_event": self.n_event.astype(np.int64),
                "n_censor": self.n_censor.astype(np.int64),
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )

    def curve(self) -> SurvivalCurve:
        """The table as plain data (tuples of numbers; None for NA or Inf)."""
        return SurvivalCurve(
            time=tuple(self.time.tolist()),
            n_risk=tuple(int(v) for v in self.n_risk.tolist()),
            n_event=tuple(int(v) for v in self.n_event.tolist()),
            n_censor=tuple(int(v) for v in self.n_censor.tolist()),
            survival=tuple(self.survival.tolist()),
            std_err=_finite_or_none(self.std_err),
            lower=_finite_or_none(self.lower),
            upper=_finite_or_none(self.upper),
            conf_type=self.conf_type,
            conf_level=self.conf_level,
        )

    def quantile(self, p: float) -> QuantileEstimate:
        """The time by which a fraction ``p`` had the event, with the Brookmeyer-Crowley CI.

        Matches R ``quantile(survfit(...), probs = p)`` including the flat-stretch rule;
        ``p`` = 0.25 is the first quartile of the event time (survival 75 %).
        Limits are None where the confidence band never reaches 1 - p ("not reached").
        """
        if not 0.0 <= p <= 1.0:
            raise StatisticsInputError(
                f"Quantile probability {p!r} is outside [0, 1].",
                field="p", value=p, hint="Use 0.5 for the median, 0.25 and 0.75 for quartiles.",
            )
        first, last = 0.0, float(self.time[-1])
        return QuantileEstimate(
            p=p,
            time=_find_quantile(self.time, self.survival, p, first, last),
            lower=_find_quantile(self.time, self.lower, p, first, last),
            upper=_find_quantile(self.time, self.upper, p, first, last),
            conf_level=self.conf_level,
            conf_type=self.conf_type,
        )

    @property
    def median(self) -> float | None:
        """Median survival time as R's ``print(fit)`` gives it (None if not reached).

        The first time S(t) <= 0.5; where S(t) is exactly 0.5 over a stretch that ends in a
        further drop, the midpoint of the stretch.
        """
        return _print_median(self.time, self.survival)

    @property
    def median_ci(self) -> tuple[float | None, float | None]:
        """Brookmeyer-Crowley interval for the median as R's ``print(fit)``: (lower, upper).

        Lower: the first time the lower confidence band is <= 0.5; upper: the first time the
        upper band is <= 0.5; None where a band never gets there ("not reached").
        This can differ from ``quantile(0.5)`` (R's ``quantile()``) when a band rises again
        after crossing 0.5; see ``docs/statistics.md``.
        """
        return _print_median(self.time, self.lower), _print_median(self.time, self.upper)

    def survival_at(self, t: float) -> SurvivalEstimate:
        """S(t) and its pointwise CI at a landmark time, as R ``summary(fit, times = t)``.

        The curve is a right-continuous step function: the value at t is the value at the
        last table time on or before t; before the first time the estimate and both limits
        are 1, as in R (after a censoring at S = 1, log-log limits are None, also as in R).
        Beyond the last observed time S(t) is not estimable and the estimate is None, unless
        the curve has already reached 0 (R refuses such times unless ``extend = TRUE``).
        """
        if not math.isfinite(t) or t < 0:
            raise StatisticsInputError(
                f"Landmark time {t!r} must be a finite, non-negative number.",
                field="t", value=t, hint="Give the landmark in the same unit as the times.",
            )
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        later = int(np.searchsorted(self.time, t, side="left"))
        n_risk = int(self.n_risk[later]) if later < self.time.size else 0
        if i < 0:
            # R's summary.survfit puts the curve and both limits at 1 before the first time.
            return SurvivalEstimate(float(t), 1.0, 1.0, 1.0, n_risk)
        s = float(self.survival[i])
        if t > self.time[-1] and s > 0:
            return SurvivalEstimate(float(t), None, None, None, 0)
        return SurvivalEstimate(
            float(t), s, _none_if_nan(float(self.lower[i])), _none_if_nan(float(self.upper[i])),
            n_risk,
        )

    def restricted_mean(self, tau: float | None = None) -> RestrictedMean:
        """Restricted mean survival time up to ``tau`` (default: the last observed time).

        The area under S(t) from 0 to tau; if tau is after the last time, the last value of
        the curve is carried forward. The standard error is R's
        (``print(fit, rmean = tau)``, from ``survival:::survmean``):
        ``sqrt(sum_i A_i^2 d_i / (n_i (n_i - d_i)))`` where A_i is the area under the curve
        from the i-th event time to tau. The interval is estimate +/- z SE.
        """
        end = float(self.time[-1]) if tau is None else float(tau)
        if not math.isfinite(end) or end <= 0:
            raise StatisticsInputError(
                f"Restriction time tau = {tau!r} must be a positive number.",
                field="tau", value=tau, hint="Choose tau within the follow-up, e.g. 12 months.",
            )
        keep = self.time <= end
        d, n = self.n_event[keep], self.n_risk[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
        times = np.append(self.time[keep], end)
        surv = self.survival[keep]
        tail = surv[-1] if surv.size else 1.0
        surv = np.append(surv, tail)
        hh = np.append(hh, 0.0)
        delta = np.diff(np.concatenate(([0.0], times)))
        rect = delta * np.concatenate(([1.0], surv[:-1]))
        mean = float(rect.sum())
        var = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * hh[::-1][1:]))
        se = math.sqrt(var)
        z = _z(self.conf_level)
        return RestrictedMean(end, mean, se, mean - z * se, mean + z * se, self.conf_level)

    def reverse(self) -> KaplanMeier:
        """The reverse Kaplan-Meier curve (censorings as events), for median follow-up."""
        return _from_counts(
            np.asarray(self.time), np.asarray(self.n_censor), np.asarray(self.n_event),
            self.conf_type, self.conf_level,
        )

    def summary(self) -> str:
        """A short readable report: subjects, events, median with CI and quartiles."""
        q25, q75 = self.quantile(0.25), self.quantile(0.75)
        low, high = self.median_ci
        return "\n".join(
            [
                f"Kaplan-Meier: {self.n_subjects} subjects, {self.n_events} events, "
                f"{self.n_subjects - self.n_events} censored",
                f"  median {_num(self.median)} ({100 * self.conf_level:g} % CI "
                f"{_num(low)}-{_num(high)}, {self.conf_type.value})",
                f"  quartiles: 25 % {_num(q25.time)}, 75 % {_num(q75.time)}",
            ]
        )


def _from_counts(
    time: FloatArray,
    n_event: FloatArray,
    n_censor: FloatArray,
    conf_type: ConfType,
    conf_level: float,
    *,
    one_per_time: bool = False,
) -> KaplanMeier:
    z = _z(conf_level)
    if one_per_time:
        # Every time belongs to one subject (continuous times): n, n - 1, ..., 1 at risk.
        n_risk = np.arange(time.size, 0, -1, dtype=np.float64)
    else:
        total = n_event + n_censor
        n_risk = np.cumsum(total)
        n = n_risk[-1]
        # At risk at t_j: everyone minus those whose time is before t_j.
        n_risk -= total
        np.subtract(n, n_risk, out=n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = n_event / n_risk
        surv: FloatArray = np.cumprod(1.0 - hazard, dtype=np.float64)
        # Greenwood: d / (n (n - d)); a time where all at risk have the event gives +inf, as R.
        hazard /= n_risk - n_event
        se_log = np.cumsum(hazard)
        np.sqrt(se_log, out=se_log)
        std_err = surv * se_log
    lower, upper = _confidence_band(surv, se_log, conf_type, z)
    return KaplanMeier(
        time=_frozen(np.asarray(time, dtype=np.float64)),
        n_risk=_frozen(n_risk),
        n_event=_frozen(np.asarray(n_event, dtype=np.float64)),
        n_censor=_frozen(np.asarray(n_censor, dtype=np.float64)),
        survival=_frozen(surv),
        std_err=_frozen(std_err),
        se_log_survival=_frozen(se_log),
        lower=_frozen(lower),
        upper=_frozen(upper),
        conf_type=conf_type,
        conf_level=conf_level,
    )


def kaplan_meier(
    time: Any,
    event: Any,
    *,
    conf_type: ConfType | str = ConfType.LOG_LOG,
    conf_level: float = 0.95,
) -> KaplanMeier:
    """Kaplan-Meier estimate of S(t) with Greenwood standard errors and pointwise CIs.

    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481; as R ``survival::survfit``
    (version 3.5) with ``conf.type`` = ``conf_type``. Default CI scale: log-log, as SAS PROC
    LIFETEST and ``docs/endpoints.md`` (PFS reporting); pass ``conf_type="log"`` for R's
    default.

    Args:
        time: time from the origin to the event or censoring, one per subject, >= 0
            (whole days take an O(n) counting path).
        event: 1 or True for the event, 0 or False for a censoring.

    Raises:
        StatisticsInputError: empty data, negative or missing times, mismatched lengths,
            event codes other than 0/1, an unknown ``conf_type`` or a level outside (0, 1).

    Example, R's ``aml`` data, maintained arm (``survfit(Surv(time, status) ~ 1,
    data = aml, subset = x == "Maintained", conf.type = "log-log")``: median 31, CI 13-NA;
    ``summary(fit, times = 24)``: survival 0.614, CI 0.266-0.835):

    >>> fit = kaplan_meier([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
    ...                    [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
    >>> fit.median, fit.median_ci
    (31.0, (13.0, None))
    >>> at24 = fit.survival_at(24)
    >>> round(at24.estimate, 3), round(at24.lower, 3), round(at24.upper, 3)
    (0.614, 0.266, 0.835)
    """
    ctype = _conf_type(conf_type)
    _z(conf_level)
    counts = count_events(time, event)
    return _from_counts(counts.time, counts.n_event, counts.n_censor, ctype, conf_level,
                        one_per_time=counts.one_per_time)


def median_follow_up(
    time: Any,
    event: Any,
    *,
    conf_type: ConfType | str = ConfType.LOG_LOG,
    conf_level: float = 0.95,
) -> QuantileEstimate:
    """Median follow-up by the reverse Kaplan-Meier method, with its CI.

    Schemper M, Smith TL. Control Clin Trials 1996;17:343-346 (``docs/endpoints.md``, overall
    survival: median follow-up by the reverse Kaplan-Meier method).
    The censoring indicator is reversed (censored subjects become the "events", events are
    censored) and the median of that curve is the median potential follow-up; equal to R
    ``survfit(Surv(time, 1 - status) ~ 1)``.

    Example, R's ``aml`` maintained arm: the reverse curve sits at exactly 50 % from week 45
    to week 161, so by R's flat-stretch rule the median follow-up is their midpoint, 103
    (R: ``survfit(Surv(time, 1 - status) ~ 1, data = aml, subset = x == "Maintained")``):

    >>> median_follow_up([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
    ...                  [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]).time
    103.0
    """
    ctype = _conf_type(conf_type)
    _z(conf_level)
    counts = count_events(time, event, reverse=True)
    fit = _from_counts(counts.time, counts.n_event, counts.n_censor, ctype, conf_level)
    return fit.quantile(0.5)
