"""BOP2-style rules (Zhou, Lee & Yuan 2017): boundaries and error rates by explicit sums.

Everything expected here is computed in the test: the posterior probability by integrating the
beta density, and P(go) by summing binomial probabilities over every path of counts across
the looks (endpoints independent, as the module states).
"""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import integrate

from oncotrial.design import DesignInputError, DesignNotFoundError, bop2_design
from oncotrial.design.bayes import BoundaryTable


def _pmf(x: int, n: int, p: float) -> float:
    return math.comb(n, x) * p**x * (1 - p) ** (n - x)


def _beta_cdf(t: float, a: float, b: float) -> float:
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    dens = lambda u: math.exp(log_norm + (a - 1) * math.log(u) + (b - 1) * math.log1p(-u))  # noqa: E731
    return integrate.quad(dens, 0.0, t, limit=200, epsabs=1e-13)[0]


def _pass_probability(table: BoundaryTable, rate: float, upper: bool) -> float:
    """P(no boundary crossed at any look) by enumerating every path of increments."""
    looks = [row.patients for row in table.boundaries]
    sizes = [b - a for a, b in zip([0, *looks[:-1]], looks, strict=True)]
    total = 0.0
    for increments in itertools.product(*(range(s + 1) for s in sizes)):
        count, ok = 0, True
        for inc, row in zip(increments, table.boundaries, strict=True):
            count += inc
            bound = row.stop_at_or_above if upper else row.stop_at_or_below
            if bound is not None and (count >= bound if upper else count <= bound):
                ok = False
                break
        if ok:
            total += math.prod(_pmf(i, s, rate) for i, s in zip(increments, sizes, strict=True))
    return total


def test_efficacy_only_design_error_rates_match_path_sums() -> None:
    """Bundled trial, looks 10/16/22, ORR 5 % vs 25 %: type I <= 0.1 and both rates equal
    the sum over every path (tolerance 1e-10)."""
    d = bop2_design(null_response=0.05, alt_response=0.25, looks=[10, 16, 22], alpha=0.1)
    assert d.type_i_error == pytest.approx(_pass_probability(d.futility, 0.05, False), abs=1e-10)
    assert d.power == pytest.approx(_pass_probability(d.futility, 0.25, False), abs=1e-10)
    assert d.type_i_error <= 0.1


def test_boundaries_follow_the_posterior_rule() -> None:
    """At each look the boundary count meets Pr(p <= phi) > C(n) and one more does not."""
    phi, looks = 0.2, [10, 20, 30, 40]
    d = bop2_design(null_response=phi, alt_response=0.4, looks=looks, alpha=0.1)
    for row in d.futility.boundaries:
        c = 1 - d.lambda_ * (row.patients / 40) ** d.gamma
        x = row.stop_at_or_below
        assert x is not None
        post = lambda k, m=row.patients: _beta_cdf(phi, phi + k, 1 - phi + m - k)  # noqa: E731
        assert post(x) > c >= post(x + 1)


def test_joint_design_controls_every_null_configuration() -> None:
    """With toxicity (unacceptable 30 %, expected 10 %), P(go) is at most alpha when the drug
    is ineffective, toxic, or both; power is the product of the two path sums."""
    d = bop2_design(null_response=0.05, alt_response=0.25, looks=[10, 16, 22], alpha=0.1,
                    null_toxicity=0.3, alt_toxicity=0.1)
    assert d.toxicity is not None

    def go(pe: float, pt: float) -> float:
        assert d.toxicity is not None
        return _pass_probability(d.futility, pe, False) * _pass_probability(d.toxicity, pt, True)

    nulls = [go(0.05, 0.1), go(0.25, 0.3), go(0.05, 0.3)]
    assert max(nulls) <= 0.1
    assert d.type_i_error == pytest.approx(max(nulls), abs=1e-10)
    assert d.power == pytest.approx(go(0.25, 0.1), abs=1e-10)


def test_calibration_picks_the_most_powerful_admissible_grid_point() -> None:
    """On a 3 x 3 grid, the chosen (lambda, gamma) has the highest power among the points
    whose type I error, summed over paths, is at most alpha."""
    lambdas, gammas = (0.5, 0.7, 0.9), (0.5, 1.0, 2.0)
    d = bop2_design(null_response=0.1, alt_response=0.3, looks=[8, 15, 22], alpha=0.1,
                    lambdas=lambdas, gammas=gammas)
    best = -1.0
    for lam, gam in itertools.product(lambdas, gammas):
        other = bop2_design(null_response=0.1, alt_response=0.3, looks=[8, 15, 22], alpha=1.0
                            - 1e-9, lambdas=(lam,), gammas=(gam,))
        if _pass_probability(other.futility, 0.1, False) <= 0.1:
            best = max(best, _pass_probability(other.futility, 0.3, False))
    assert d.power == pytest.approx(best, abs=1e-10)


def test_bop2_refuses_bad_arguments() -> None:
    """Looks out of order, only one toxicity rate, and an impossible alpha are refused."""
    with pytest.raises(DesignInputError, match="increasing"):
        bop2_design(null_response=0.1, alt_response=0.3, looks=[10, 5])
    with pytest.raises(DesignInputError, match="both"):
        bop2_design(null_response=0.1, alt_response=0.3, looks=[10, 20], null_toxicity=0.3)
    with pytest.raises(DesignNotFoundError):
        bop2_design(null_response=0.1, alt_response=0.3, looks=[5], alpha=0.001,
                    lambdas=(0.99,), gammas=(0.0,))
