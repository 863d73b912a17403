"""BOP2-style joint stopping rules for efficacy and toxicity, calibrated exactly.

Source: Zhou H, Lee JJ, Yuan Y. BOP2: Bayesian optimal design for phase II clinical trials
with simple and complex endpoints. Statistics in Medicine 2017;36:3302-3314.

Rule: at a look with n of N patients evaluated, stop the trial if
Pr(p_E <= phi_E | data) > C(n) (futility) or Pr(p_T > phi_T | data) > C(n) (toxicity), with
C(n) = 1 - lambda (n / N)^gamma. After the last look the drug is a "go" when neither holds.
Priors are Beta(phi, 1 - phi): mean at the null value, worth one patient, as in BOP2.
(lambda, gamma) are chosen on a grid to maximise the probability of "go" under the
alternative while the probability of "go" stays at most ``alpha`` under every null
configuration: ineffective and safe, effective and toxic, ineffective and toxic.

Simplification, stated: BOP2 models response and toxicity jointly with a Dirichlet-multinomial;
here they are independent given their rates, so every probability is a product of two exact
binomial recursions, one per endpoint. Each rule only uses its own count, so the boundaries
are the same as BOP2's for the same (lambda, gamma); the error rates differ when response and
toxicity are correlated. Without toxicity rates this is BOP2 for a binary endpoint.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from oncotrial.design.bayes import Boundary, BoundaryTable
from oncotrial.design.errors import DesignInputError, DesignNotFoundError, check_count, check_rate

__all__ = ["Bop2Design", "bop2_design"]

_LAMBDAS = tuple(round(0.01 * i, 2) for i in range(1, 100))
_GAMMAS = tuple(round(0.05 * i, 2) for i in range(0, 61))


@dataclass(frozen=True, slots=True)
class Bop2Design:
    """A calibrated BOP2-style design and its exact operating characteristics.

    ``type_i_error`` is the largest probability of "go" over the null configurations;
    ``power`` the probability of "go" under the alternative; ``en_null`` / ``en_alt`` the
    expected numbers of patients under (null response, alternative toxicity) and under the
    alternative.
    """

    lambda_: float
    gamma: float
    looks: tuple[int, ...]
    futility: BoundaryTable
    toxicity: BoundaryTable | None
    type_i_error: float
    power: float
    en_null: float
    en_alt: float

    def summary(self) -> str:
        """The rules and their operating characteristics in plain text."""
        lines = [
            f"BOP2-style design, C(n) = 1 - {self.lambda_:g} (n / {self.looks[-1]})^"
            f"{self.gamma:g}; type I error {self.type_i_error:.4f}, power {self.power:.4f}, "
            f"expected n {self.en_null:.1f} (null) / {self.en_alt:.1f} (alternative).",
            self.futility.summary(),
        ]
        if self.toxicity is not None:
            lines.append(self.toxicity.summary())
        return "\n".join(lines)


def _survival(rate: float, looks: Sequence[int], stop: list[np.ndarray]) -> np.ndarray:
    """P(no stop at looks 1..k) for each k, for one endpoint with true ``rate``.

    ``stop[k]`` is a boolean array over counts 0..looks[k] marking the counts that stop.
    """
    dist = np.array([1.0])  # distribution of the count among trials still running
    prev = 0
    out = []
    for k, n_k in enumerate(looks):
        step = stats.binom.pmf(np.arange(n_k - prev + 1), n_k - prev, rate)
        dist = np.convolve(dist, step)
        dist = np.where(stop[k], 0.0, dist)
        out.append(float(dist.sum()))
        prev = n_k
    return np.array(out)


def _characteristics(
    looks: Sequence[int],
    stop_e: list[np.ndarray],
    stop_t: list[np.ndarray] | None,
    p_e: float,
    p_t: float | None,
) -> tuple[float, float]:
    """(P(go), expected n) with independent endpoints."""
    alive = _survival(p_e, looks, stop_e)
    if stop_t is not None and p_t is not None:
        alive = alive * _survival(p_t, looks, stop_t)
    go = float(alive[-1])
    en = float(looks[0] + sum((looks[k + 1] - looks[k]) * alive[k] for k in range(len(looks) - 1)))
    return go, en


@dataclass(frozen=True, slots=True)
class _Bop2Problem:
    """The checked arguments: response rates, toxicity rates (None without toxicity), looks."""

    phi_e: float
    p1: float
    alpha: float
    looks: list[int]
    phi_t: float | None
    t1: float | None


def _check_toxicity(null_toxicity: float | None,
                    alt_toxicity: float | None) -> tuple[float | None, float | None]:
    if (null_toxicity is None) != (alt_toxicity is None):
        raise DesignInputError(
            "Give both null_toxicity and alt_toxicity, or neither.",
            field="alt_toxicity",
            hint="null_toxicity is the unacceptable rate; alt_toxicity the expected one.",
        )
    if null_toxicity is None or alt_toxicity is None:
        return None, None
    phi_t = check_rate("null_toxicity", null_toxicity)
    t1 = check_rate("alt_toxicity", alt_toxicity)
    if not t1 < phi_t:
        raise DesignInputError(
            f"alt_toxicity was {t1} and null_toxicity {phi_t}; the expected toxicity must "
            "be below the unacceptable one.",
            field="alt_toxicity",
            value=t1,
            hint="Set alt_toxicity below null_toxicity.",
        )
    return phi_t, t1


def _check_problem(null_response: float, alt_response: float, looks: Sequence[int],
                   alpha: float, null_toxicity: float | None,
                   alt_toxicity: float | None) -> _Bop2Problem:
    phi_e = check_rate("null_response", null_response)
    p1 = check_rate("alt_response", alt_response)
    if not p1 > phi_e:
        raise DesignInputError(
            f"alt_response was {p1} and null_response {phi_e}; the alternative must be higher.",
            field="alt_response",
            value=p1,
            hint="Set alt_response to the response rate worth pursuing.",
        )
    alpha = check_rate("alpha", alpha)
    look_list = [check_count("look", m) for m in looks]
    if not look_list or any(b <= a for a, b in itertools.pairwise(look_list)):
        raise DesignInputError(
            f"looks were {list(looks)}. They must be increasing numbers of patients.",
            field="looks",
            value=list(looks),
            hint="For example 10, 16, 22: the last look is the final analysis.",
        )
    phi_t, t1 = _check_toxicity(null_toxicity, alt_toxicity)
    return _Bop2Problem(phi_e, p1, alpha, look_list, phi_t, t1)


def _posteriors(prob: _Bop2Problem) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """Per look, over every count: Pr(p_E <= phi_E | data) and Pr(p_T > phi_T | data), with
    Beta(phi, 1 - phi) priors."""
    phi_e, phi_t = prob.phi_e, prob.phi_t
    post_e = [stats.beta.cdf(phi_e, phi_e + np.arange(m + 1), 1 - phi_e + m - np.arange(m + 1))
              for m in prob.looks]
    if phi_t is None:
        return post_e, None
    post_t = [stats.beta.sf(phi_t, phi_t + np.arange(m + 1), 1 - phi_t + m - np.arange(m + 1))
              for m in prob.looks]
    return post_e, post_t


def _calibrate(
    prob: _Bop2Problem, post_e: list[np.ndarray], post_t: list[np.ndarray] | None,
    lambdas: Sequence[float], gammas: Sequence[float],
) -> tuple[float, float, float, float, float, float] | None:
    """The (lambda, gamma) of the grid with the most power whose type I error is at most
    alpha, with (type I error, power, EN null, EN alternative); None when none qualifies."""
    looks, n_total = prob.looks, prob.looks[-1]
    nulls: list[tuple[float, float | None]] = [(prob.phi_e, prob.t1)]
    if prob.phi_t is not None:
        nulls += [(prob.p1, prob.phi_t), (prob.phi_e, prob.phi_t)]
    cache: dict[tuple[bytes, bytes], tuple[float, float, float, float]] = {}
    best: tuple[float, float, float, float, float, float] | None = None
    for lam, gam in itertools.product(lambdas, gammas):
        cut = [1.0 - lam * (m / n_total) ** gam for m in looks]
        stop_e = [post_e[k] > cut[k] for k in range(len(looks))]
        stop_t = None if post_t is None else [post_t[k] > cut[k] for k in range(len(looks))]
        key = (np.concatenate(stop_e).tobytes(),
               np.concatenate(stop_t).tobytes() if stop_t is not None else b"")
        if key not in cache:
            type_i = max(_characteristics(looks, stop_e, stop_t, pe, pt)[0] for pe, pt in nulls)
            power, en_alt = _characteristics(looks, stop_e, stop_t, prob.p1, prob.t1)
            _, en_null = _characteristics(looks, stop_e, stop_t, prob.phi_e, prob.t1)
            cache[key] = (type_i, power, en_null, en_alt)
        type_i, power, en_null, en_alt = cache[key]
        if type_i <= prob.alpha + 1e-12 and (best is None or power > best[3] + 1e-12):
            best = (lam, gam, type_i, power, en_null, en_alt)
    return best


def _tables(prob: _Bop2Problem, post_e: list[np.ndarray], post_t: list[np.ndarray] | None,
            lam: float, gam: float) -> tuple[BoundaryTable, BoundaryTable | None]:
    """The futility (and toxicity) boundary tables of the chosen (lambda, gamma)."""
    n_total = prob.looks[-1]
    cut = [1.0 - lam * (m / n_total) ** gam for m in prob.looks]
    fut_rows = []
    for k, m in enumerate(prob.looks):
        stop = np.nonzero(post_e[k] > cut[k])[0]
        fut_rows.append(Boundary(m, stop_at_or_below=int(stop[-1]) if stop.size else None))
    futility = BoundaryTable(
        f"Stop for futility if Pr(response rate <= {prob.phi_e:g} | data) > 1 - {lam:g} "
        f"(n / {n_total})^{gam:g}, prior Beta({prob.phi_e:g}, {1 - prob.phi_e:g}).",
        tuple(fut_rows),
    )
    if post_t is None or prob.phi_t is None:
        return futility, None
    tox_rows = []
    for k, m in enumerate(prob.looks):
        stop = np.nonzero(post_t[k] > cut[k])[0]
        tox_rows.append(Boundary(m, stop_at_or_above=int(stop[0]) if stop.size else None))
    toxicity = BoundaryTable(
        f"Stop for toxicity if Pr(toxicity rate > {prob.phi_t:g} | data) > 1 - {lam:g} "
        f"(n / {n_total})^{gam:g}, prior Beta({prob.phi_t:g}, {1 - prob.phi_t:g}).",
        tuple(tox_rows),
    )
    return futility, toxicity


def bop2_design(
    *,
    null_response: float,
    alt_response: float,
    looks: Sequence[int],
    alpha: float = 0.1,
    null_toxicity: float | None = None,
    alt_toxicity: float | None = None,
    lambdas: Sequence[float] = _LAMBDAS,
    gammas: Sequence[float] = _GAMMAS,
) -> Bop2Design:
    """Calibrate BOP2-style futility (and toxicity) boundaries; see the module docstring.

    Args:
        null_response: response rate not worth pursuing (phi_E).
        alt_response: response rate worth pursuing.
        looks: cumulative numbers of evaluated patients at each analysis; the last is N.
        alpha: largest probability of "go" under the null configurations (a significance
            level, not a confidence level).
        null_toxicity: toxicity rate that is unacceptable (phi_T); None for efficacy only.
        alt_toxicity: toxicity rate expected if the drug is acceptable.
        lambdas, gammas: the calibration grid.

    Raises:
        DesignInputError: rates out of order or looks not increasing.
        DesignNotFoundError: no (lambda, gamma) on the grid keeps the type I error.

    Example, the bundled 22 patients with looks at 10, 16 and 22, ORR 5 % against 25 %:

    >>> d = bop2_design(null_response=0.05, alt_response=0.25, looks=[10, 16, 22])
    >>> [b.stop_at_or_below for b in d.futility.boundaries], d.type_i_error <= 0.1
    ([0, 0, 2], True)
    """
    prob = _check_problem(null_response, alt_response, looks, alpha, null_toxicity,
                          alt_toxicity)
    post_e, post_t = _posteriors(prob)
    best = _calibrate(prob, post_e, post_t, lambdas, gammas)
    if best is None:
        raise DesignNotFoundError(
            f"No (lambda, gamma) on the grid keeps the type I error at or below {prob.alpha}.",
            field="alpha",
            value=prob.alpha,
            hint="Allow a larger alpha, add patients, or widen the calibration grid.",
        )
    lam, gam, type_i, power, en_null, en_alt = best
    futility, toxicity = _tables(prob, post_e, post_t, lam, gam)
    return Bop2Design(lam, gam, tuple(prob.looks), futility, toxicity, type_i, power, en_null,
                      en_alt)
