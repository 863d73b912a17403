"""One-sample log-rank sample size and power against Wu (2015) and a direct integration.

Wu J. Sample size calculation for the one-sample log-rank test. Pharmaceutical Statistics
2015;14:26-33, section 4 (example): PBC historical control with Weibull shape 1.22 and median
9 years, hazard ratio 1/1.75, accrual 5 years, follow-up 3 years, one-sided alpha 0.05 gives
n = 88 for power 0.80, 100 for 0.85 and 117 for 0.90; at those n the power is 0.803, 0.851
and 0.901 (as reproduced by the R package logRank1s's vignette of that example).
"""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from oncotrial.design import (
    DesignInputError,
    hazard_ratio_from_medians,
    one_sample_logrank_n,
    one_sample_logrank_power,
)

WU_2015 = dict(accrual_time=5.0, follow_up_time=3.0, shape=1.22)


@pytest.mark.parametrize(("power", "n"), [(0.80, 88), (0.85, 100), (0.90, 117)])
def test_one_sample_logrank_n_reproduces_wu_2015_example(power: float, n: int) -> None:
    """Wu (2015) section 4: n = 88 / 100 / 117 for power 0.80 / 0.85 / 0.90."""
    assert one_sample_logrank_n(9.0, 1 / 1.75, power=power, **WU_2015).n == n


@pytest.mark.parametrize(("n", "power"), [(88, 0.803), (100, 0.851), (117, 0.901)])
def test_one_sample_logrank_power_reproduces_wu_2015_example(n: int, power: float) -> None:
    """Wu (2015) example: power 0.803 / 0.851 / 0.901 at n = 88 / 100 / 117 (3 decimals)."""
    assert round(one_sample_logrank_power(n, 9.0, 1 / 1.75, **WU_2015).power, 3) == power


def _direct_n(median0: float, hr: float, shape: float, ta: float, tf: float,
              alpha: float, power: float) -> int:
    """Wu's formula with the integrals taken over time t, written out independently."""
    lam0 = lambda t: shape * math.log(2) * t ** (shape - 1) / median0**shape  # noqa: E731
    cum0 = lambda t: math.log(2) * (t / median0) ** shape  # noqa: E731
    s1 = lambda t: math.exp(-hr * cum0(t))  # noqa: E731
    g = lambda t: 1.0 if t <= tf else (ta + tf - t) / ta  # noqa: E731
    pts = [tf]
    s0 = integrate.quad(lambda t: g(t) * s1(t) * lam0(t), 0, ta + tf, points=pts, limit=200)[0]
    p00 = integrate.quad(lambda t: g(t) * s1(t) * cum0(t) * lam0(t), 0, ta + tf, points=pts,
                         limit=200)[0]
    s1sq, p01 = hr * s0, hr * p00
    omega = s1sq - s0
    var = s1sq - s1sq**2 + 2 * p00 - s0**2 - 2 * p01 + 2 * s0 * s1sq
    z_a, z_b = stats.norm.ppf(1 - alpha), stats.norm.ppf(power)
    return math.ceil((math.sqrt(s0) * z_a + math.sqrt(var) * z_b) ** 2 / omega**2)


@pytest.mark.parametrize(
    ("median0", "hr", "shape", "ta", "tf"),
    [(1.8, 0.5, 1.0, 12, 6), (1.8, 0.6, 1.1, 12, 6), (9, 0.7, 0.8, 5, 3), (2, 0.4, 1.5, 6, 2)],
)
def test_one_sample_logrank_n_agrees_with_direct_time_integration(
    median0: float, hr: float, shape: float, ta: float, tf: float
) -> None:
    """Integrating in t (not u = Lambda0(t)) gives the same n, for exponential and Weibull."""
    got = one_sample_logrank_n(median0, hr, accrual_time=ta, follow_up_time=tf, shape=shape)
    assert got.n == _direct_n(median0, hr, shape, ta, tf, 0.05, 0.8)


def test_hazard_ratio_from_weibull_medians() -> None:
    """Proportional hazards with shape k: HR = (m0 / m1)^k."""
    assert hazard_ratio_from_medians(2.0, 4.0) == pytest.approx(0.5)
    assert hazard_ratio_from_medians(2.0, 4.0, shape=2.0) == pytest.approx(0.25)
    d = one_sample_logrank_power(22, 2.0, 0.25, accrual_time=12, follow_up_time=6, shape=2.0)
    assert d.median1 == pytest.approx(4.0)


def test_power_grows_with_n_and_with_the_effect() -> None:
    """Power rises with n and as the hazard ratio falls (monotone, as the formula implies)."""
    kw = dict(accrual_time=12.0, follow_up_time=6.0)
    p = [one_sample_logrank_power(n, 1.8, 0.6, **kw).power for n in (10, 22, 40)]
    assert p == sorted(p)
    q = [one_sample_logrank_power(22, 1.8, hr, **kw).power for hr in (0.8, 0.6, 0.4)]
    assert q == sorted(q)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(hazard_ratio=1.2), "hazard_ratio"),
        (dict(median0=0), "median0"),
        (dict(accrual_time=-1), "accrual_time"),
        (dict(shape=0), "shape"),
    ],
    ids=["HR above 1", "zero median", "negative accrual", "zero shape"],
)
def test_logrank_refuses_bad_arguments(kwargs: dict[str, float], field: str) -> None:
    """Each bad argument raises DesignInputError naming the field."""
    args: dict[str, float] = dict(median0=1.8, hazard_ratio=0.6, accrual_time=12,
                                  follow_up_time=6, shape=1.0)
    args.update(kwargs)
    with pytest.raises(DesignInputError) as err:
        one_sample_logrank_n(args.pop("median0"), args.pop("hazard_ratio"), **args)
    assert err.value.field == field
