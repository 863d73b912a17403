"""Binomial proportions: exact (Clopper-Pearson), Wilson and Jeffreys intervals, and the exact test.

Used for the objective response rate (ORR) and disease control rate (DCR) of a single-arm trial,
where the protocol asks for the exact Clopper-Pearson interval (Clopper CJ, Pearson ES.
Biometrika 1934;26:404-413) and the efficacy claim is an exact one-sided binomial test against
a null response rate.

The intervals are written out here, on :func:`scipy.special.betaincinv` and
:func:`scipy.special.ndtri`, so that the result is a frozen value with a readable summary and
the boundary rules (x = 0 and x = n) are ours to state and test.
The Clopper-Pearson limits agree with ``scipy.stats.binomtest(x, n).proportion_ci("exact")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from scipy import special, stats

from oncotrial.stats._data import StatisticsInputError

__all__ = [
    "Alternative",
    "BinomialTest",
    "ProportionCIMethod",
    "ProportionEstimate",
    "binomial_test",
    "clopper_pearson",
    "estimate_proportion",
    "jeffreys",
    "wilson",
]


class ProportionCIMethod(StrEnum):
    """How the confidence interval of a proportion is computed."""

    CLOPPER_PEARSON = "clopper-pearson"
    WILSON = "wilson"
    JEFFREYS = "jeffreys"


class Alternative(StrEnum):
    """The alternative hypothesis of a one-sided (or two-sided) binomial test."""

    GREATER = "greater"
    LESS = "less"
    TWO_SIDED = "two-sided"


def _check_counts(x: int, n: int) -> None:
    if isinstance(x, bool) or isinstance(n, bool) or int(x) != x or int(n) != n:
        raise StatisticsInputError(
            f"A proportion needs whole-number counts; got x = {x!r} out of n = {n!r}.",
            field="x", value=x, hint="Pass the number of responders and the number of patients.",
        )
    if n < 1:
        raise StatisticsInputError(
            f"The denominator n is {n}; a proportion needs at least one patient.",
            field="n", value=n, hint="Check that the analysis set is not empty.",
        )
    if not 0 <= x <= n:
        raise StatisticsInputError(
            f"{x} responders out of {n} patients is impossible: x must be between 0 and n.",
            field="x", value=x, hint="Check the numerator and the analysis set.",
        )


def _check_level(conf_level: float) -> None:
    if not 0.0 < conf_level < 1.0:
        raise StatisticsInputError(
            f"Confidence level {conf_level!r} is outside (0, 1); a 95 % interval is 0.95.",
            field="conf_level", value=conf_level, hint="Pass a fraction such as 0.95 or 0.90.",
        )


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Exact Clopper-Pearson confidence interval for a binomial proportion x / n.

    Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    The limits are the beta quantiles ``B(a/2; x, n-x+1)`` and ``B(1-a/2; x+1, n-x)``, with
    a = 1 - conf_level; the lower limit is 0 when x = 0 and the upper limit is 1 when x = n.
    The interval is conservative: its coverage is at least ``conf_level`` for every true rate.

    Returns:
        ``(lower, upper)`` as fractions.

    Raises:
        StatisticsInputError: counts that are not whole numbers, ``x`` outside 0..n, ``n`` < 1,
            or ``conf_level`` outside (0, 1).

    Example, the endpoints guideline's ORR table for 22 patients (3/22 = 13.6 %, 2.9-34.9 %):

    >>> low, high = clopper_pearson(3, 22)
    >>> f"{100 * low:.1f}-{100 * high:.1f}"
    '2.9-34.9'
    >>> clopper_pearson(0, 22)[0]
    0.0
    """
    _check_counts(x, n)
    _check_level(conf_level)
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else float(special.betaincinv(x, n - x + 1, alpha / 2))
    upper = 1.0 if x == n else float(special.betaincinv(x + 1, n - x, 1 - alpha / 2))
    return lower, upper


def wilson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score confidence interval for a binomial proportion, without continuity correction.

    Wilson EB. J Am Stat Assoc 1927;22:209-212; recommended by Brown, Cai and DasGupta,
    Statistical Science 2001;16:101-133.
    With p = x/n and z the normal quantile, the limits are
    ``(p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``.

    Example (agrees with ``scipy.stats.binomtest(3, 22).proportion_ci(method="wilson")``):

    >>> low, high = wilson(3, 22)
    >>> f"{low:.4f} {high:.4f}"
    '0.0475 0.3333'
    """
    _check_counts(x, n)
    _check_level(conf_level)
    z = float(special.ndtri(1 - (1 - conf_level) / 2))
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At x = 0 (x = n) the lower (upper) limit is exactly 0 (1); say so instead of rounding.
    lower = 0.0 if x == 0 else max(0.0, centre - half)
    upper = 1.0 if x == n else min(1.0, centre + half)
    return lower, upper


def jeffreys(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Jeffreys equal-tailed interval: quantiles of the Beta(x + 1/2, n - x + 1/2) posterior.

    Brown, Cai and DasGupta, Statistical Science 2001;16:101-133, section 4.1.2, including
    their boundary rule: the lower limit is 0 when x = 0 and the upper limit is 1 when x = n.

    Example (R: ``qbeta(c(0.025, 0.975), 3.5, 19.5)`` gives 0.03995 and 0.32092):

    >>> low, high = jeffreys(3, 22)
    >>> f"{low:.4f} {high:.4f}"
    '0.0400 0.3209'
    >>> jeffreys(22, 22)[1]
    1.0
    """
    _check_counts(x, n)
    _check_level(conf_level)
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else float(special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2))
    upper = 1.0 if x == n else float(special.betaincinv(x + 0.5, n - x + 0.5, 1 - alpha / 2))
    return lower, upper


_CI_FUNCTIONS = {
    ProportionCIMethod.CLOPPER_PEARSON: clopper_pearson,
    ProportionCIMethod.WILSON: wilson,
    ProportionCIMethod.JEFFREYS: jeffreys,
}


@dataclass(frozen=True, slots=True)
class ProportionEstimate:
    """A proportion x / n with its confidence interval and how it was computed."""

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    conf_level: float
    method: ProportionCIMethod

    def summary(self) -> str:
        """One line: ``3/22 = 13.6 % (95 % CI 2.9-34.9, Clopper-Pearson exact)``."""
        label = {
            ProportionCIMethod.CLOPPER_PEARSON: "Clopper-Pearson exact",
            ProportionCIMethod.WILSON: "Wilson score",
            ProportionCIMethod.JEFFREYS: "Jeffreys",
        }[self.method]
        return (
            f"{self.x}/{self.n} = {100 * self.estimate:.1f} % "
            f"({100 * self.conf_level:g} % CI {100 * self.lower:.1f}-{100 * self.upper:.1f}, "
            f"{label})"
        )


def estimate_proportion(
    x: int,
    n: int,
    *,
    method: ProportionCIMethod | str = ProportionCIMethod.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> ProportionEstimate:
    """A proportion with its confidence interval, Clopper-Pearson exact by default.

    ``method`` is ``"clopper-pearson"`` (the protocol's choice for ORR and DCR), ``"wilson"``
    or ``"jeffreys"``; see :func:`clopper_pearson`, :func:`wilson` and :func:`jeffreys`.

    Example, the endpoints guideline's DCR example for 22 patients (11/22 = 50.0 %, 28.2-71.8):

    >>> print(estimate_proportion(11, 22).summary())
    11/22 = 50.0 % (95 % CI 28.2-71.8, Clopper-Pearson exact)
    """
    try:
        chosen = ProportionCIMethod(method)
    except ValueError as exc:
        raise StatisticsInputError(
            f"Confidence interval method {method!r} is not known; use one of "
            f"{', '.join(m.value for m in ProportionCIMethod)}.",
            field="method", value=method, hint="The protocol's default is clopper-pearson.",
        ) from exc
    lower, upper = _CI_FUNCTIONS[chosen](x, n, conf_level)
    return ProportionEstimate(
        x=int(x), n=int(n), estimate=x / n, lower=lower, upper=upper, conf_level=conf_level,
        method=chosen,
    )


@dataclass(frozen=True, slots=True)
class BinomialTest:
    """Result of an exact binomial test of x / n against a null rate."""

    x: int
    n: int
    null_rate: float
    alternative: Alternative
    p_value: float

    def summary(self) -> str:
        """One line with the data, the hypotheses and the exact p-value."""
        sign = {Alternative.GREATER: ">", Alternative.LESS: "<", Alternative.TWO_SIDED: "!="}
        return (
            f"Exact binomial test: {self.x}/{self.n} = {100 * self.x / self.n:.1f} %; "
            f"H0: rate = {self.null_rate:g}, H1: rate {sign[self.alternative]} "
            f"{self.null_rate:g}; p = {self.p_value:.4g}"
        )


def binomial_test(
    x: int,
    n: int,
    null_rate: float,
    *,
    alternative: Alternative | str = Alternative.GREATER,
) -> BinomialTest:
    """Exact binomial test of the response rate against ``null_rate``, one-sided by default.

    For a single-arm trial the question is whether the true rate exceeds the uninteresting
    rate p0, so the default alternative is ``"greater"`` and the p-value is
    ``P(X >= x | n, p0)``, summed exactly from the binomial distribution.
    ``"less"`` gives ``P(X <= x)``; ``"two-sided"`` sums the probabilities of all outcomes no
    more likely than x (the method of ``scipy.stats.binomtest`` and R's ``binom.test``).

    Example: 5 responses in 22 patients against a null rate of 5 %
    (R: ``binom.test(5, 22, 0.05, alternative = "greater")$p.value`` = 0.004022335):

    >>> result = binomial_test(5, 22, 0.05)
    >>> round(result.p_value, 9)
    0.004022335
    >>> print(result.summary())
    Exact binomial test: 5/22 = 22.7 %; H0: rate = 0.05, H1: rate > 0.05; p = 0.004022
    """
    _check_counts(x, n)
    if not 0.0 <= null_rate <= 1.0:
        raise StatisticsInputError(
            f"Null response rate {null_rate!r} is outside [0, 1].",
            field="null_rate", value=null_rate, hint="Pass a fraction such as 0.05 for 5 %.",
        )
    try:
        chosen = Alternative(alternative)
    except ValueError as exc:
        raise StatisticsInputError(
            f"Alternative {alternative!r} is not known; use greater, less or two-sided.",
            field="alternative", value=alternative, hint="A single-arm trial tests 'greater'.",
        ) from exc
    if chosen is Alternative.GREATER:
        p_value = float(stats.binom.sf(x - 1, n, null_rate))
    elif chosen is Alternative.LESS:
        p_value = float(stats.binom.cdf(x, n, null_rate))
    else:
        p_value = float(stats.binomtest(x, n, null_rate, alternative="two-sided").pvalue)
    return BinomialTest(
        x=int(x), n=int(n), null_rate=float(null_rate), alternative=chosen,
        p_value=min(1.0, p_value),
    )
