"""Binomial intervals and the exact test, checked against scipy, statsmodels, R and the spec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from oncotrial.stats import (
    Alternative,
    ProportionCIMethod,
    StatisticsInputError,
    binomial_test,
    clopper_pearson,
    estimate_proportion,
    jeffreys,
    wilson,
)

ALL_COUNTS = [(x, n) for n in range(1, 61) for x in range(n + 1)]


def test_clopper_pearson_matches_scipy_exact_for_every_x_up_to_n_60() -> None:
    """Every x <= n <= 60 equals ``scipy.stats.binomtest(x, n).proportion_ci("exact")``
    at 95 % (and at 90 % for n = 22, 43, 60), to 1e-10."""
    cases = [(x, n, 0.95) for x, n in ALL_COUNTS]
    cases += [(x, n, 0.90) for n in (22, 43, 60) for x in range(n + 1)]
    for x, n, level in cases:
        ref = binomtest(x, n).proportion_ci(confidence_level=level, method="exact")
        low, high = clopper_pearson(x, n, level)
        assert low == pytest.approx(ref.low, abs=1e-10), (x, n, level)
        assert high == pytest.approx(ref.high, abs=1e-10), (x, n, level)


# Clopper & Pearson (1934) exact 95 % intervals for n = 22, in percent to one decimal, as
# tabulated in docs/endpoints.md (ORR and DCR examples).
SPEC_TABLE = [  # x, lower %, upper %
    (0, 0.0, 15.4),
    (1, 0.1, 22.8),
    (2, 1.1, 29.2),
    (3, 2.9, 34.9),
    (5, 7.8, 45.4),
    (11, 28.2, 71.8),
    (13, 36.4, 79.3),
]


@pytest.mark.parametrize(
    ("x", "low_pct", "high_pct"), SPEC_TABLE, ids=[f"{r[0]}/22" for r in SPEC_TABLE]
)
def test_clopper_pearson_matches_endpoints_spec_examples(
    x: int, low_pct: float, high_pct: float
) -> None:
    """The worked examples of docs/endpoints.md (ORR and DCR, n = 22)."""
    low, high = clopper_pearson(x, 22)
    assert round(100 * low, 1) == low_pct
    assert round(100 * high, 1) == high_pct


def test_wilson_matches_scipy_for_every_x_up_to_n_60() -> None:
    """``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")``, to 1e-10."""
    for x, n in ALL_COUNTS:
        ref = binomtest(x, n).proportion_ci(method="wilson")
        low, high = wilson(x, n)
        assert low == pytest.approx(ref.low, abs=1e-10), (x, n)
        assert high == pytest.approx(ref.high, abs=1e-10), (x, n)


def test_jeffreys_matches_statsmodels_inside_and_brown_cai_dasgupta_at_the_edges() -> None:
    """``statsmodels proportion_confint(method="jeffreys")`` for 0 < x < n, to 1e-10.

    At x = 0 and x = n statsmodels keeps the beta quantile; Brown, Cai and DasGupta (2001),
    section 4.1.2, set the lower limit to 0 (x = 0) and the upper limit to 1 (x = n), which we do.
    """
    for x, n in ALL_COUNTS:
        ref_low, ref_high = proportion_confint(x, n, method="jeffreys")
        low, high = jeffreys(x, n)
        assert low == (0.0 if x == 0 else pytest.approx(ref_low, abs=1e-10)), (x, n)
        assert high == (1.0 if x == n else pytest.approx(ref_high, abs=1e-10)), (x, n)


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_binomial_test_matches_scipy_binomtest(alternative: str) -> None:
    """p-values equal ``scipy.stats.binomtest(x, n, p0, alternative=...)`` to 1e-12."""
    for n in (1, 10, 22, 43):
        for x in range(n + 1):
            for p0 in (0.05, 0.1, 0.2, 0.5):
                ref = binomtest(x, n, p0, alternative=alternative).pvalue
                got = binomial_test(x, n, p0, alternative=alternative).p_value
                assert got == pytest.approx(ref, abs=1e-12), (x, n, p0)


def test_binomial_test_one_sided_matches_r_binom_test() -> None:
    """R 4.2.2: ``binom.test(5, 22, 0.05, alternative = "greater")$p.value`` = 0.004022335."""
    assert binomial_test(5, 22, 0.05).p_value == pytest.approx(0.004022335, abs=1e-9)
    assert binomial_test(5, 22, 0.05).alternative is Alternative.GREATER


@given(n=st.integers(1, 200), data=st.data(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_every_interval_contains_the_estimate(n: int, data: st.DataObject, level: float) -> None:
    """Each interval lies in [0, 1], is ordered and contains x / n."""
    x = data.draw(st.integers(0, n))
    for method in ProportionCIMethod:
        est = estimate_proportion(x, n, method=method, conf_level=level)
        assert 0.0 <= est.lower <= est.estimate <= est.upper <= 1.0


def test_summary_reads_like_the_report() -> None:
    """The summary line names the count, the percentage, the interval and the method."""
    assert estimate_proportion(3, 22).summary() == (
        "3/22 = 13.6 % (95 % CI 2.9-34.9, Clopper-Pearson exact)"
    )


BAD = [  # x, n, level, field, why
    (3, 0, 0.95, "n", "an empty denominator"),
    (23, 22, 0.95, "x", "more responders than patients"),
    (-1, 22, 0.95, "x", "a negative count"),
    (2.5, 22, 0.95, "x", "a fractional count"),
    (3, 22, 95, "conf_level", "a level given in percent"),
]


@pytest.mark.parametrize(("x", "n", "level", "field", "why"), BAD, ids=[b[4] for b in BAD])
def test_bad_counts_are_refused_with_the_field_named(
    x: int, n: int, level: float, field: str, why: str
) -> None:
    """Impossible inputs raise StatisticsInputError naming the offending argument."""
    with pytest.raises(StatisticsInputError) as info:
        clopper_pearson(x, n, level)
    assert info.value.field == field
