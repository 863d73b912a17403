"""Single-stage exact binomial designs and what a fixed sample size can show.

Sources: A'Hern RP. Sample size tables for exact single-stage phase II designs. Statistics in
Medicine 2001;20:859-866 (the design); Clopper CJ, Pearson ES. Biometrika 1934;26:404-413
(the exact interval, computed by :func:`oncotrial.stats.clopper_pearson`). The test is
one-sided: H0 p <= p0 against H1 p >= p1, and the drug is declared worth further study when at
least ``min_responses`` of ``n`` patients respond.

Everything is an exact binomial tail from :mod:`scipy.stats`; no normal approximation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from oncotrial.design.errors import (
    DesignNotFoundError,
    check_count,
    check_order,
    check_rate,
)
from oncotrial.stats import clopper_pearson

__all__ = [
    "ExactInterval",
    "PowerPoint",
    "SingleStageDesign",
    "SingleStagePower",
    "exact_intervals",
    "minimum_detectable_rate",
    "single_stage_binomial",
    "single_stage_power",
]

_TOL = 1e-12  # floating-point slack when comparing an exact tail with a nominal rate


@dataclass(frozen=True, slots=True)
class SingleStageDesign:
    """A single-stage design: treat ``n``, call the drug active with ``min_responses`` or more.

    ``alpha`` and ``power`` are the exact rates of the design, not the nominal ones asked for.
    """

    p0: float
    p1: float
    n: int
    min_responses: int
    alpha: float
    power: float

    def summary(self) -> str:
        """One paragraph for a protocol's statistics section."""
        return (
            f"Single-stage exact binomial design for H0 p <= {self.p0:g} against H1 p >= "
            f"{self.p1:g}: treat {self.n} patients and call the drug worth further study if "
            f"{self.min_responses} or more respond. Exact one-sided alpha {self.alpha:.4f}, "
            f"exact power {self.power:.4f}."
        )


def _min_responses(n: int, p0: float, alpha: float) -> int:
    """The smallest count r with P(X >= r | n, p0) <= alpha (n + 1 when none is)."""
    counts = np.arange(n + 2)
    tails = stats.binom.sf(counts - 1, n, p0)  # P(X >= r)
    ok = np.nonzero(tails <= alpha + _TOL)[0]
    return int(ok[0]) if ok.size else n + 1


def single_stage_binomial(
    p0: float, p1: float, alpha: float, beta: float, *, nmax: int = 200
) -> SingleStageDesign:
    """Find the smallest single-stage exact binomial design (A'Hern 2001).

    Rule: for each n from 1 upwards, take the smallest r with P(X >= r | p0) <= alpha;
    the design is the first n whose exact power P(X >= r | p1) is at least 1 - beta.
    Binomial tails are discrete, so some larger n can fail again (for 5 % against 20 %,
    n = 27 and 28 qualify but 29 to 32 do not); check the power of the n you plan to use
    with :func:`single_stage_power`.

    Args:
        p0: response rate that is not worth pursuing (H0).
        p1: response rate that would be worth pursuing (H1), above ``p0``.
        alpha: one-sided type I error, for example 0.05.
        beta: type II error, 1 - power, for example 0.2.
        nmax: largest sample size to try.

    Raises:
        DesignInputError: a rate is outside (0, 1) or p1 is not above p0.
        DesignNotFoundError: no n up to ``nmax`` reaches the power.

    Example, ORR 5 % (placebo-like) against 25 %:

    >>> d = single_stage_binomial(0.05, 0.25, 0.05, 0.2)
    >>> d.n, d.min_responses, round(d.alpha, 4), round(d.power, 4)
    (16, 3, 0.0429, 0.8029)
    """
    p0 = check_rate("p0", p0)
    p1 = check_rate("p1", p1)
    check_order(p0, p1)
    alpha = check_rate("alpha", alpha)
    beta = check_rate("beta", beta)
    nmax = check_count("nmax", nmax, minimum=1, maximum=5000)
    for n in range(1, nmax + 1):
        r = _min_responses(n, p0, alpha)
        if r > n:
            continue
        power = float(stats.binom.sf(r - 1, n, p1))
        if power >= 1.0 - beta - _TOL:
            size = float(stats.binom.sf(r - 1, n, p0))
            return SingleStageDesign(p0, p1, n, r, size, power)
    raise DesignNotFoundError(
        f"No single-stage design of up to {nmax} patients has alpha <= {alpha} and power >= "
        f"{1 - beta:g} for p0 = {p0} against p1 = {p1}.",
        field="nmax",
        value=nmax,
        hint="Raise nmax, or widen the gap between p0 and p1.",
    )


@dataclass(frozen=True, slots=True)
class PowerPoint:
    """Exact power of a fixed design at one true response rate."""

    true_rate: float
    power: float


@dataclass(frozen=True, slots=True)
class SingleStagePower:
    """What a fixed ``n`` gives against ``p0``: the rule, its exact alpha, power by true rate."""

    n: int
    p0: float
    nominal_alpha: float
    min_responses: int
    alpha: float
    points: tuple[PowerPoint, ...]
    minimum_detectable_rate: float
    target_power: float

    def summary(self) -> str:
        """A few sentences and a power table in plain text."""
        lines = [
            f"With n = {self.n} and H0 p <= {self.p0:g}, the drug is called active with "
            f"{self.min_responses} or more responses (exact one-sided alpha {self.alpha:.4f}).",
            f"The true response rate detected with {self.target_power:.0%} power is "
            f"{self.minimum_detectable_rate:.1%}.",
            "true rate  power",
        ]
        lines += [f"{pt.true_rate:9.0%}  {pt.power:.3f}" for pt in self.points]
        return "\n".join(lines)


def minimum_detectable_rate(n: int, min_responses: int, power: float) -> float:
    """The true response rate at which ``min_responses`` of ``n`` is reached with ``power``.

    Exact: P(X >= r | n, p) equals the regularised incomplete beta I_p(r, n - r + 1), so the
    rate is the ``power`` quantile of Beta(r, n - r + 1). Returns 0.0 when r is 0.

    >>> round(minimum_detectable_rate(22, 4, 0.8), 4)
    0.2365
    """
    n = check_count("n", n)
    r = check_count("min_responses", min_responses, minimum=0, maximum=n)
    power = check_rate("power", power)
    if r == 0:
        return 0.0
    return float(stats.beta.ppf(power, r, n - r + 1))


def single_stage_power(
    n: int,
    p0: float,
    alpha: float,
    *,
    true_rates: Sequence[float] = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.50),
    target_power: float = 0.8,
) -> SingleStagePower:
    """Exact alpha and power of the best single-stage test with a fixed ``n``.

    The rule is the smallest r with P(X >= r | p0) <= alpha; power at each true rate p is
    P(X >= r | p). The minimum detectable rate is the p where power reaches ``target_power``.

    Raises:
        DesignInputError: bad rate or count.
        DesignNotFoundError: even n responses out of n would not reach significance.

    Example, the bundled trial's 22 patients against a 5 % null ORR:

    >>> res = single_stage_power(22, 0.05, 0.05, true_rates=(0.05, 0.25))
    >>> res.min_responses, round(res.alpha, 4), [round(p.power, 3) for p in res.points]
    (4, 0.0222, [0.022, 0.838])
    """
    n = check_count("n", n, maximum=5000)
    p0 = check_rate("p0", p0)
    alpha = check_rate("alpha", alpha)
    target_power = check_rate("target_power", target_power)
    rates = [check_rate("true rate", p, low_open=False, high_open=False) for p in true_rates]
    r = _min_responses(n, p0, alpha)
    if r > n:
        raise DesignNotFoundError(
            f"With n = {n}, even {n} responses out of {n} do not reach one-sided alpha "
            f"{alpha} against p0 = {p0}.",
            field="n",
            value=n,
            hint="Enrol more patients or accept a larger alpha.",
        )
    size = float(stats.binom.sf(r - 1, n, p0))
    points = tuple(PowerPoint(p, float(stats.binom.sf(r - 1, n, p))) for p in rates)
    mdr = minimum_detectable_rate(n, r, target_power)
    return SingleStagePower(n, p0, alpha, r, size, points, mdr, target_power)


@dataclass(frozen=True, slots=True)
class ExactInterval:
    """Clopper-Pearson interval for ``responders`` of ``n``, with its ``half_width``."""

    responders: int
    n: int
    estimate: float
    lower: float
    upper: float

    @property
    def half_width(self) -> float:
        """Half the width of the interval, the precision a sponsor usually asks about."""
        return (self.upper - self.lower) / 2.0


def exact_intervals(n: int, *, conf_level: float = 0.95) -> tuple[ExactInterval, ...]:
    """Clopper-Pearson (1934) exact intervals for every possible count 0..n.

    Each interval is :func:`oncotrial.stats.clopper_pearson` (the one implementation of the
    project): lower limit the alpha/2 quantile of Beta(x, n - x + 1) (0 when x = 0), upper
    limit the 1 - alpha/2 quantile of Beta(x + 1, n - x) (1 when x = n), alpha = 1 -
    ``conf_level``. ``docs/design.md`` lists them for n = 22.

    Raises:
        DesignInputError: ``n`` is not a whole number from 1 to 100,000, or ``conf_level`` is
            not inside (0, 1).

    >>> ci = exact_intervals(22)[1]
    >>> round(100 * ci.lower, 1), round(100 * ci.upper, 1)
    (0.1, 22.8)
    """
    n = check_count("n", n, maximum=100000)
    conf_level = check_rate("conf_level", conf_level)
    out = []
    for x in range(n + 1):
        lower, upper = clopper_pearson(x, n, conf_level=conf_level)
        out.append(ExactInterval(x, n, x / n, lower, upper))
    return tuple(out)
