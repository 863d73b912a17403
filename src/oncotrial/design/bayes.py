"""Bayesian monitoring with a beta-binomial model: posterior and predictive stopping rules.

Sources: Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical trials.
Biometrics 1994;50:337-349 (continuous monitoring with posterior probabilities); Lee JJ,
Liu DD. A predictive probability design for phase II cancer clinical trials. Clinical Trials
2008;5:93-106 (predictive probability of success at the final analysis). R's ``ph2bayes``
and ``phase1b::predprob`` are the usual references.

Model: a rate p (response, or a toxicity) has prior Beta(a, b); after x events in m patients
the posterior is Beta(a + x, b + m - x). The next k patients' events then follow the
beta-binomial distribution BB(k, a + x, b + m - x).

Rules, evaluated after each number of patients in ``looks``:

* futility (efficacy monitoring): stop if Pr(p > p0 | data) < ``min_posterior``;
* toxicity: stop if Pr(q > limit | data) > ``max_posterior``;
* predictive (Lee & Liu 2008): stop for futility if the predictive probability that the
  final analysis at ``n_max`` ends with Pr(p > p0 | all data) > ``theta_t`` is below
  ``theta_l``.

Each rule is monotone in the count, so a boundary table (one number per look) states it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from oncotrial.design.errors import DesignInputError, check_count, check_positive, check_rate

__all__ = [
    "BetaPrior",
    "Boundary",
    "BoundaryTable",
    "futility_boundaries",
    "posterior_probability_above",
    "predictive_boundaries",
    "predictive_probability",
    "toxicity_boundaries",
]


@dataclass(frozen=True, slots=True)
class BetaPrior:
    """A Beta(a, b) prior; a + b is its weight in patients, a / (a + b) its mean."""

    a: float = 1.0
    b: float = 1.0

    def __post_init__(self) -> None:
        check_positive("prior a", self.a)
        check_positive("prior b", self.b)

    @classmethod
    def with_mean(cls, mean: float, *, weight: float = 1.0) -> BetaPrior:
        """A prior with the given mean worth ``weight`` patients.

        >>> BetaPrior.with_mean(0.2, weight=1)
        BetaPrior(a=0.2, b=0.8)
        """
        mean = check_rate("prior mean", mean)
        weight = check_positive("prior weight", weight)
        return cls(round(mean * weight, 12), round((1.0 - mean) * weight, 12))


def posterior_probability_above(
    threshold: float, events: int, patients: int, *, prior: BetaPrior = BetaPrior()
) -> float:
    """Posterior Pr(rate > threshold) after ``events`` in ``patients`` under a beta prior.

    Lee & Liu (2008), Table 1 setting: 16 responses in 23 patients, prior Beta(0.6, 0.4),
    p0 = 0.6, so the posterior is Beta(16.6, 7.4):

    >>> round(posterior_probability_above(0.6, 16, 23, prior=BetaPrior(0.6, 0.4)), 3)
    0.836
    """
    threshold = check_rate("threshold", threshold)
    patients = check_count("patients", patients, minimum=0)
    events = check_count("events", events, minimum=0, maximum=patients)
    return float(stats.beta.sf(threshold, prior.a + events, prior.b + patients - events))


def predictive_probability(
    responses: int,
    patients: int,
    *,
    n_max: int,
    p0: float,
    theta_t: float,
    prior: BetaPrior = BetaPrior(),
) -> float:
    """Predictive probability of success at the final analysis (Lee & Liu 2008).

    PP = sum over i = 0..n_max - patients of P(Y = i | data) * 1[Pr(p > p0 | x + i, n_max) >
    theta_t], with Y ~ BetaBinomial(n_max - patients, a + x, b + patients - x).

    Lee & Liu (2008), Table 1: x = 16 of 23, n_max = 40, p0 = 0.6, theta_t = 0.9, prior
    Beta(0.6, 0.4) gives PP = 0.5656:

    >>> round(predictive_probability(16, 23, n_max=40, p0=0.6, theta_t=0.9,
    ...                              prior=BetaPrior(0.6, 0.4)), 4)
    0.5656
    """
    n_max = check_count("n_max", n_max)
    patients = check_count("patients", patients, minimum=0, maximum=n_max)
    responses = check_count("responses", responses, minimum=0, maximum=patients)
    p0 = check_rate("p0", p0)
    theta_t = check_rate("theta_t", theta_t)
    return float(_predictive(responses, patients, n_max, p0, theta_t, prior))


def _predictive(x: int, m: int, n_max: int, p0: float, theta_t: float, prior: BetaPrior) -> float:
    remaining = n_max - m
    future = np.arange(remaining + 1)
    a_post, b_post = prior.a + x, prior.b + m - x
    weights = stats.betabinom.pmf(future, remaining, a_post, b_post)
    final_post = special.betainc(prior.b + n_max - x - future, prior.a + x + future, 1.0 - p0)
    # betainc(b', a', 1 - p0) = P(Beta(a', b') > p0); clip the rounding of a sum of weights.
    return min(1.0, float(np.sum(weights[final_post > theta_t])))


@dataclass(frozen=True, slots=True)
class Boundary:
    """Stopping boundary at one look: stop when the count is ``<= stop_at_or_below`` or
    ``>= stop_at_or_above``. ``None`` means no count stops the trial at this look."""

    patients: int
    stop_at_or_below: int | None = None
    stop_at_or_above: int | None = None


@dataclass(frozen=True, slots=True)
class BoundaryTable:
    """A stopping-boundary table, one row per look, with the rule stated in words."""

    rule: str
    boundaries: tuple[Boundary, ...]

    def stops(self, patients: int, events: int) -> bool:
        """Whether ``events`` in ``patients`` crosses the boundary at that look.

        >>> t = BoundaryTable("r", (Boundary(10, stop_at_or_below=0),))
        >>> t.stops(10, 0), t.stops(10, 1), t.stops(9, 0)
        (True, False, False)
        """
        for row in self.boundaries:
            if row.patients == patients:
                low = row.stop_at_or_below is not None and events <= row.stop_at_or_below
                high = row.stop_at_or_above is not None and events >= row.stop_at_or_above
                return low or high
        return False

    def summary(self) -> str:
        """The rule and the table in plain text."""
        lines = [self.rule, "patients  stop if events"]
        for row in self.boundaries:
            if row.stop_at_or_below is not None:
                text = f"<= {row.stop_at_or_below}"
            elif row.stop_at_or_above is not None:
                text = f">= {row.stop_at_or_above}"
            else:
                text = "(no stop)"
            lines.append(f"{row.patients:8d}  {text}")
        return "\n".join(lines)


def _looks(looks: Iterable[int]) -> list[int]:
    out = sorted({check_count("look", m) for m in looks})
    if not out:
        raise DesignInputError(
            "looks was empty. A boundary table needs at least one number of patients.",
            field="looks",
            value=[],
            hint="Give the numbers of evaluable patients at which the data are reviewed.",
        )
    return out


def futility_boundaries(
    p0: float,
    *,
    looks: Iterable[int],
    min_posterior: float = 0.05,
    prior: BetaPrior = BetaPrior(),
) -> BoundaryTable:
    """Futility boundaries from the posterior probability that the response rate exceeds p0.

    Rule (Thall & Simon 1994): after m evaluable patients with x responses, stop if
    Pr(p > p0 | x, m) < ``min_posterior``. The row gives the largest x that stops.

    Example, 22 patients, p0 = 0.15, uniform prior, stop if Pr(ORR > 15 %) < 5 %:

    >>> t = futility_boundaries(0.15, looks=[10, 16, 22])
    >>> [(b.patients, b.stop_at_or_below) for b in t.boundaries]
    [(10, None), (16, None), (22, 0)]
    """
    p0 = check_rate("p0", p0)
    min_posterior = check_rate("min_posterior", min_posterior)
    rows = []
    for m in _looks(looks):
        x = np.arange(m + 1)
        post = stats.beta.sf(p0, prior.a + x, prior.b + m - x)
        stop = np.nonzero(post < min_posterior)[0]
        rows.append(Boundary(m, stop_at_or_below=int(stop[-1]) if stop.size else None))
    rule = (
        f"Stop for futility if Pr(response rate > {p0:g} | data) < {min_posterior:g}, "
        f"prior Beta({prior.a:g}, {prior.b:g})."
    )
    return BoundaryTable(rule, tuple(rows))


def toxicity_boundaries(
    limit: float,
    *,
    looks: Iterable[int],
    max_posterior: float = 0.8,
    prior: BetaPrior = BetaPrior(),
) -> BoundaryTable:
    """Toxicity boundaries from the posterior probability that the toxicity rate exceeds a limit.

    Rule (Thall & Simon 1994): after m patients with y toxicities, stop if
    Pr(q > limit | y, m) > ``max_posterior``. The row gives the smallest y that stops.

    Example, febrile neutropenia or discontinuation for toxicity, limit 20 %, prior with mean
    20 % worth one patient, stop if Pr(rate > 20 %) > 80 %:

    >>> t = toxicity_boundaries(0.2, looks=[5, 10, 22], prior=BetaPrior.with_mean(0.2))
    >>> [(b.patients, b.stop_at_or_above) for b in t.boundaries]
    [(5, 3), (10, 4), (22, 7)]
    """
    limit = check_rate("limit", limit)
    max_posterior = check_rate("max_posterior", max_posterior)
    rows = []
    for m in _looks(looks):
        y = np.arange(m + 1)
        post = stats.beta.sf(limit, prior.a + y, prior.b + m - y)
        stop = np.nonzero(post > max_posterior)[0]
        rows.append(Boundary(m, stop_at_or_above=int(stop[0]) if stop.size else None))
    rule = (
        f"Stop for toxicity if Pr(toxicity rate > {limit:g} | data) > {max_posterior:g}, "
        f"prior Beta({prior.a:g}, {prior.b:g})."
    )
    return BoundaryTable(rule, tuple(rows))


def predictive_boundaries(
    p0: float,
    *,
    n_max: int,
    looks: Iterable[int],
    theta_t: float = 0.9,
    theta_l: float = 0.05,
    prior: BetaPrior = BetaPrior(),
) -> BoundaryTable:
    """Futility boundaries from the predictive probability of success (Lee & Liu 2008).

    Rule: after m patients with x responses, stop if PP(x, m) < ``theta_l``, where PP is
    :func:`predictive_probability` for a final success rule Pr(p > p0 | data) > ``theta_t``.
    The row gives the largest x that stops. At m = n_max PP is 0 or 1, so the last row is the
    final decision rule.

    >>> t = predictive_boundaries(0.05, n_max=22, looks=[10, 22])
    >>> [(b.patients, b.stop_at_or_below) for b in t.boundaries]
    [(10, None), (22, 2)]
    """
    p0 = check_rate("p0", p0)
    n_max = check_count("n_max", n_max)
    theta_t = check_rate("theta_t", theta_t)
    theta_l = check_rate("theta_l", theta_l)
    rows = []
    for m in _looks(looks):
        if m > n_max:
            raise DesignInputError(
                f"A look at {m} patients is after the final analysis at n_max = {n_max}.",
                field="looks",
                value=m,
                hint="Keep every look at or below n_max.",
            )
        pp = np.array([_predictive(x, m, n_max, p0, theta_t, prior) for x in range(m + 1)])
        stop = np.nonzero(pp < theta_l)[0]
        rows.append(Boundary(m, stop_at_or_below=int(stop[-1]) if stop.size else None))
    rule = (
        f"Stop for futility if the predictive probability that Pr(response rate > {p0:g}) > "
        f"{theta_t:g} at n = {n_max} is below {theta_l:g}, prior Beta({prior.a:g}, {prior.b:g})."
    )
    return BoundaryTable(rule, tuple(rows))
