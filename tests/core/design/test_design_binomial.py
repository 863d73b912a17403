"""Single-stage exact binomial designs and exact intervals, checked against scipy.stats.

Expected values come from scipy's binomial functions (``scipy.stats.binom``,
``scipy.stats.binomtest``) and from the Clopper & Pearson (1934) examples for n = 22 listed in
``docs/endpoints.md``; never from the module itself.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import oncotrial.design as design
from oncotrial.design import (
    DesignInputError,
    DesignNotFoundError,
    exact_intervals,
    minimum_detectable_rate,
    single_stage_binomial,
    single_stage_power,
)
from oncotrial.stats import clopper_pearson

DESIGN_CASES = [  # p0, p1, alpha, beta
    (0.05, 0.25, 0.05, 0.20),
    (0.05, 0.20, 0.05, 0.20),
    (0.10, 0.30, 0.05, 0.10),
    (0.20, 0.40, 0.10, 0.10),
    (0.30, 0.50, 0.05, 0.20),
    (0.02, 0.15, 0.025, 0.20),
]


def _scipy_design(p0: float, p1: float, alpha: float, beta: float) -> tuple[int, int]:
    """Smallest n, and its r, found with scipy's binomial tails (n up to 300)."""
    for n in range(1, 301):
        for r in range(n + 1):
            if stats.binom.sf(r - 1, n, p0) <= alpha:
                if stats.binom.sf(r - 1, n, p1) >= 1 - beta:
                    return n, r
                break
    raise AssertionError("no design")


@pytest.mark.parametrize(("p0", "p1", "alpha", "beta"), DESIGN_CASES)
def test_single_stage_design_agrees_with_scipy_binomial(
    p0: float, p1: float, alpha: float, beta: float
) -> None:
    """n, the rejection count and exact alpha/power equal scipy.stats.binom (tol 1e-12)."""
    d = single_stage_binomial(p0, p1, alpha, beta)
    assert (d.n, d.min_responses) == _scipy_design(p0, p1, alpha, beta)
    assert d.alpha == pytest.approx(stats.binom.sf(d.min_responses - 1, d.n, p0), abs=1e-12)
    assert d.power == pytest.approx(stats.binom.sf(d.min_responses - 1, d.n, p1), abs=1e-12)
    assert d.alpha <= alpha and d.power >= 1 - beta
    assert f"{d.n} patients" in d.summary()


def test_power_of_22_patients_agrees_with_scipy() -> None:
    """n = 22, H0 ORR <= 5 %: reject with >= 4 responses; power by true ORR from scipy."""
    rates = (0.05, 0.10, 0.20, 0.25, 0.30)
    res = single_stage_power(22, 0.05, 0.05, true_rates=rates)
    assert res.min_responses == 4
    assert stats.binom.sf(2, 22, 0.05) > 0.05  # 3 responses would not keep alpha
    assert res.alpha == pytest.approx(stats.binom.sf(3, 22, 0.05), abs=1e-12)
    for point, rate in zip(res.points, rates, strict=True):
        assert point.power == pytest.approx(stats.binom.sf(3, 22, rate), abs=1e-12)
    assert "4 or more responses" in res.summary()


@pytest.mark.parametrize(("n", "r", "power"), [(22, 4, 0.8), (22, 1, 0.9), (40, 10, 0.8)])
def test_minimum_detectable_rate_reaches_the_power_exactly(n: int, r: int, power: float) -> None:
    """At the minimum detectable rate, scipy's P(X >= r) equals the target power (tol 1e-9)."""
    rate = minimum_detectable_rate(n, r, power)
    assert stats.binom.sf(r - 1, n, rate) == pytest.approx(power, abs=1e-9)
    assert stats.binom.sf(r - 1, n, rate - 1e-4) < power


# Exact Clopper & Pearson (1934) 95 % CIs for n = 22, in per cent (docs/endpoints.md).
ENDPOINTS_MD_CIS = [
    (0, 0.0, 15.4),
    (1, 0.1, 22.8),
    (2, 1.1, 29.2),
    (3, 2.9, 34.9),
    (5, 7.8, 45.4),
    (11, 28.2, 71.8),
    (13, 36.4, 79.3),
]


@pytest.mark.parametrize(("x", "lower", "upper"), ENDPOINTS_MD_CIS)
def test_exact_intervals_match_endpoints_md_examples(x: int, lower: float, upper: float) -> None:
    """Clopper-Pearson limits for x/22 match docs/endpoints.md to the printed 0.1 %."""
    ci = exact_intervals(22)[x]
    assert round(100 * ci.lower, 1) == lower
    assert round(100 * ci.upper, 1) == upper
    assert ci.half_width == pytest.approx((ci.upper - ci.lower) / 2)


@given(n=st.integers(1, 60), data=st.data())
def test_exact_intervals_agree_with_scipy_binomtest(n: int, data: st.DataObject) -> None:
    """Every limit equals scipy.stats.binomtest(...).proportion_ci('exact') (tol 1e-9)."""
    x = data.draw(st.integers(0, n))
    ci = exact_intervals(n)[x]
    ref = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    assert ci.lower == pytest.approx(ref.low, abs=1e-9)
    assert ci.upper == pytest.approx(ref.high, abs=1e-9)
    assert ci.lower <= ci.estimate <= ci.upper


@given(n=st.integers(1, 60), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]), data=st.data())
def test_exact_intervals_are_the_one_clopper_pearson(n: int, level: float,
                                                     data: st.DataObject) -> None:
    """One implementation of Clopper-Pearson (issue 10): the design's intervals are exactly
    oncotrial.stats.clopper_pearson at the same conf_level, limit for limit."""
    x = data.draw(st.integers(0, n))
    ci = exact_intervals(n, conf_level=level)[x]
    assert (ci.lower, ci.upper) == clopper_pearson(x, n, conf_level=level)


def test_exact_intervals_take_conf_level() -> None:
    """0/22 at 90 %: the upper limit is 1 - 0.05 ** (1 / 22) (Clopper & Pearson 1934, x = 0),
    and a level outside (0, 1) is refused naming conf_level."""
    assert exact_intervals(22, conf_level=0.9)[0].upper == pytest.approx(1 - 0.05 ** (1 / 22))
    with pytest.raises(DesignInputError) as info:
        exact_intervals(22, conf_level=95)
    assert info.value.field == "conf_level"


def test_single_stage_errors_are_fixable_messages() -> None:
    """p1 not above p0, and an nmax too small, give errors that say what to change."""
    with pytest.raises(DesignInputError, match="p1 must be above p0"):
        single_stage_binomial(0.3, 0.2, 0.05, 0.2)
    with pytest.raises(DesignNotFoundError, match="Raise nmax"):
        single_stage_binomial(0.3, 0.35, 0.05, 0.2, nmax=30)
    with pytest.raises(DesignNotFoundError):
        single_stage_power(2, 0.5, 0.05)
    with pytest.raises(DesignInputError, match="whole number"):
        single_stage_power(22.5, 0.05, 0.05)  # type: ignore[arg-type]


def test_public_api_is_sorted_and_importable() -> None:
    """design.__all__ is sorted, and every name in it exists."""
    assert list(design.__all__) == sorted(design.__all__)
    for name in design.__all__:
        assert hasattr(design, name), name


def test_single_stage_power_is_not_monotone_in_n() -> None:
    """5 % against 20 %: 27 and 28 patients reach 80 % power, 29 to 32 do not (the rule
    jumps to 5 responses); the values come from scipy.stats.binom."""
    assert single_stage_binomial(0.05, 0.20, 0.05, 0.2).n == 27
    for n, ok in [(27, True), (28, True), (29, False), (32, False), (33, True)]:
        res = single_stage_power(n, 0.05, 0.05, true_rates=(0.20,))
        ref = stats.binom.sf(res.min_responses - 1, n, 0.20)
        assert res.points[0].power == pytest.approx(ref, abs=1e-12)
        assert (ref >= 0.8) == ok
