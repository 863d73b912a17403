"""Bayesian boundaries checked by exact sums written here, and Lee & Liu (2008) Table 1.

Identity used for integer priors: if p ~ Beta(a, b) with integer a, b, then
Pr(p > t) = P(Bin(a + b - 1, t) <= a - 1). With a uniform prior and x events in m patients the
posterior is Beta(x + 1, m - x + 1), so Pr(p > t | x, m) = P(Bin(m + 1, t) <= x).
Non-integer priors are checked with the beta-binomial pmf from log-gamma functions and a
numerical integral of the beta density.
"""

from __future__ import annotations

import math

import pytest
from scipy import integrate

from oncotrial.design import (
    BetaPrior,
    DesignInputError,
    futility_boundaries,
    posterior_probability_above,
    predictive_boundaries,
    predictive_probability,
    toxicity_boundaries,
)


def _binom_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def _post_uniform(t: float, x: int, m: int) -> float:
    """Pr(p > t | x of m, Beta(1, 1) prior) by the binomial identity."""
    return _binom_cdf(x, m + 1, t)


def _beta_sf(t: float, a: float, b: float) -> float:
    """P(Beta(a, b) > t) by integrating the density."""
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    dens = lambda u: math.exp(log_norm + (a - 1) * math.log(u) + (b - 1) * math.log1p(-u))  # noqa: E731
    return integrate.quad(dens, t, 1.0, limit=200, epsabs=1e-13)[0]


def _betabinom_pmf(i: int, k: int, a: float, b: float) -> float:
    lbeta = lambda x, y: math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)  # noqa: E731
    return math.comb(k, i) * math.exp(lbeta(i + a, k - i + b) - lbeta(a, b))


def test_predictive_probability_reproduces_lee_liu_2008_table_1() -> None:
    """Lee & Liu (2008) Table 1: x = 16 of 23, Nmax 40, p0 0.6, theta_T 0.9, Beta(0.6, 0.4):
    PP = 0.5656 (printed to 4 decimals)."""
    pp = predictive_probability(16, 23, n_max=40, p0=0.6, theta_t=0.9,
                                prior=BetaPrior(0.6, 0.4))
    assert round(pp, 4) == 0.5656


@pytest.mark.parametrize(("x", "m"), [(16, 23), (5, 23), (10, 30), (0, 1)])
def test_predictive_probability_equals_an_explicit_beta_binomial_sum(x: int, m: int) -> None:
    """PP = sum of beta-binomial weights of the futures that end in success (tol 1e-8)."""
    prior = BetaPrior(0.6, 0.4)
    n_max, p0, theta = 40, 0.6, 0.9
    k = n_max - m
    expected = 0.0
    for i in range(k + 1):
        w = _betabinom_pmf(i, k, prior.a + x, prior.b + m - x)
        if _beta_sf(p0, prior.a + x + i, prior.b + n_max - x - i) > theta:
            expected += w
    got = predictive_probability(x, m, n_max=n_max, p0=p0, theta_t=theta, prior=prior)
    assert got == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize(("p0", "threshold"), [(0.15, 0.05), (0.20, 0.10), (0.05, 0.30)])
def test_futility_boundaries_match_binomial_identity(p0: float, threshold: float) -> None:
    """Each row's count stops (posterior < threshold) and one more response does not."""
    table = futility_boundaries(p0, looks=range(1, 23), min_posterior=threshold)
    for row in table.boundaries:
        m, bound = row.patients, row.stop_at_or_below
        if bound is None:
            assert _post_uniform(p0, 0, m) >= threshold
        else:
            assert _post_uniform(p0, bound, m) < threshold
            assert _post_uniform(p0, bound + 1, m) >= threshold
        assert table.stops(m, 0) == (bound is not None)


@pytest.mark.parametrize(("limit", "threshold"), [(0.20, 0.80), (0.10, 0.90), (0.30, 0.70)])
def test_toxicity_boundaries_match_binomial_identity(limit: float, threshold: float) -> None:
    """Each row's count stops (posterior > threshold) and one toxicity fewer does not."""
    table = toxicity_boundaries(limit, looks=range(1, 23), max_posterior=threshold)
    for row in table.boundaries:
        m, bound = row.patients, row.stop_at_or_above
        if bound is None:
            assert _post_uniform(limit, m, m) <= threshold  # even m of m does not stop
        else:
            assert _post_uniform(limit, bound, m) > threshold
            if bound > 0:
                assert _post_uniform(limit, bound - 1, m) <= threshold


def test_toxicity_boundaries_with_informative_prior_by_integration() -> None:
    """Prior Beta(0.2, 0.8) (mean 20 %, one patient's weight): each boundary checked by an
    integral of the posterior density."""
    prior = BetaPrior.with_mean(0.2, weight=1.0)
    table = toxicity_boundaries(0.2, looks=[5, 10, 15, 22], max_posterior=0.8, prior=prior)
    for row in table.boundaries:
        m, y = row.patients, row.stop_at_or_above
        assert y is not None
        assert _beta_sf(0.2, prior.a + y, prior.b + m - y) > 0.8
        assert _beta_sf(0.2, prior.a + y - 1, prior.b + m - y + 1) <= 0.8


def test_predictive_boundaries_rows_are_checked_by_explicit_sums() -> None:
    """Each futility row of the predictive design stops below theta_L and not one above it."""
    p0, n_max, theta_t, theta_l = 0.2, 22, 0.9, 0.1
    table = predictive_boundaries(p0, n_max=n_max, looks=[8, 12, 16, 22], theta_t=theta_t,
                                  theta_l=theta_l)

    def pp(x: int, m: int) -> float:
        k = n_max - m
        return sum(
            _betabinom_pmf(i, k, 1 + x, 1 + m - x)
            for i in range(k + 1)
            if _post_uniform(p0, x + i, n_max) > theta_t
        )

    for row in table.boundaries:
        b = row.stop_at_or_below
        assert b is not None
        assert pp(b, row.patients) < theta_l <= pp(b + 1, row.patients)


def test_posterior_probability_uniform_prior_equals_binomial_sum() -> None:
    """Pr(p > 0.05 | 1 of 22) with a uniform prior equals P(Bin(23, 0.05) <= 1)."""
    got = posterior_probability_above(0.05, 1, 22)
    assert got == pytest.approx(_binom_cdf(1, 23, 0.05), abs=1e-12)


def test_boundary_arguments_are_checked() -> None:
    """Empty looks, a look after n_max and a bad prior are refused with the field named."""
    with pytest.raises(DesignInputError, match="looks was empty"):
        futility_boundaries(0.1, looks=[])
    with pytest.raises(DesignInputError, match="after the final analysis"):
        predictive_boundaries(0.1, n_max=22, looks=[30])
    with pytest.raises(DesignInputError):
        BetaPrior(0.0, 1.0)
    with pytest.raises(DesignInputError):
        posterior_probability_above(0.1, 5, 3)
