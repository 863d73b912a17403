"""Sample size and power of the one-sample log-rank test for a single-arm time-to-event trial.

Sources: Finkelstein DM, Muzikansky A, Schoenfeld DA. Comparing survival of a sample to that
of a standard population. Journal of the National Cancer Institute 2003;95:1434-1439 (the test
L = (O - E) / sqrt(E), with O the observed events and E the events expected under the
historical survival); Wu J. Sample size calculation for the one-sample log-rank test.
Pharmaceutical Statistics 2015;14:26-33 (the sample size formula from the exact variance of
O - E under the alternative, used here).

Model: historical (null) survival is Weibull with median ``median0`` and shape ``shape``
(shape 1 is exponential): S0(t) = exp(-log(2) (t / median0)^shape). The new treatment has
proportional hazards with hazard ratio ``hazard_ratio`` < 1: S1 = S0^hazard_ratio. Patients
enter uniformly over ``accrual_time`` and are followed until ``follow_up_time`` after the last
one entered, so censoring survival is G(t) = 1 for t <= tf, (ta + tf - t) / ta up to ta + tf.

With Lambda0 the null cumulative hazard and X the observed time, per patient:
sigma0^2 = E[Lambda0(X)], sigma1^2 = E[events] = hazard_ratio sigma0^2, omega = sigma1^2 -
sigma0^2, and Var(event - Lambda0(X)) = sigma^2 = sigma1^2 - 2 p01 + 2 p00 - omega^2 with
p00 = integral of G S1 Lambda0 dLambda0 and p01 = hazard_ratio p00. The test rejects H0 when
L < -z(1 - alpha); n = (sigma0 z(1-alpha) + sigma z(1-beta))^2 / omega^2, rounded up, and the
power of n patients is Phi((sqrt(n) |omega| - sigma0 z(1-alpha)) / sigma).

The integrals are taken over u = Lambda0(t), where the integrand is smooth for every shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import integrate, stats

from oncotrial.design.errors import (
    DesignInputError,
    check_count,
    check_positive,
    check_rate,
)

__all__ = [
    "LogrankDesign",
    "hazard_ratio_from_medians",
    "one_sample_logrank_n",
    "one_sample_logrank_power",
]

_LN2 = math.log(2.0)


@dataclass(frozen=True, slots=True)
class LogrankDesign:
    """A one-sample log-rank design: ``n`` patients and its power at the stated alternative.

    ``expected_events`` is the number of PFS events expected by the final analysis under the
    alternative; ``median1`` is the alternative median implied by the hazard ratio.
    """

    n: int
    power: float
    alpha: float
    median0: float
    median1: float
    hazard_ratio: float
    shape: float
    accrual_time: float
    follow_up_time: float
    expected_events: float

    def summary(self) -> str:
        """The design in words."""
        return (
            f"One-sample log-rank test against a historical median of {self.median0:g} "
            f"(Weibull shape {self.shape:g}): with {self.n} patients entered over "
            f"{self.accrual_time:g} and followed {self.follow_up_time:g} more, a true median of "
            f"{self.median1:.2f} (hazard ratio {self.hazard_ratio:.3f}) is detected with power "
            f"{self.power:.3f} at one-sided alpha {self.alpha:g}; about "
            f"{self.expected_events:.1f} events are expected."
        )


def hazard_ratio_from_medians(median0: float, median1: float, *, shape: float = 1.0) -> float:
    """Hazard ratio of two Weibull survival curves with a common shape, from their medians.

    Under proportional hazards with shape k, S1 = S0^HR gives HR = (median0 / median1)^k.

    >>> round(hazard_ratio_from_medians(2.0, 3.0), 4)
    0.6667
    """
    median0 = check_positive("median0", median0)
    median1 = check_positive("median1", median1)
    shape = check_positive("shape", shape)
    return float((median0 / median1) ** shape)


def _moments(
    median0: float, hr: float, shape: float, ta: float, tf: float
) -> tuple[float, float, float]:
    """(sigma0^2, sigma^2, omega) per patient, following Wu (2015)."""
    # u = Lambda0(t) = log 2 (t / median0)^shape, so t(u) = median0 (u / log 2)^(1 / shape).
    u_f = _LN2 * (tf / median0) ** shape
    u_end = _LN2 * ((ta + tf) / median0) ** shape

    def g_of_u(u: float) -> float:
        t: float = median0 * (u / _LN2) ** (1.0 / shape)
        return min(1.0, max(0.0, (ta + tf - t) / ta))

    # Over [0, u_f] G is 1: closed forms for the integrals of exp(-hr u) and u exp(-hr u).
    s0_first = (1.0 - math.exp(-hr * u_f)) / hr
    p00_first = (1.0 - math.exp(-hr * u_f) * (1.0 + hr * u_f)) / hr**2
    s0_rest = integrate.quad(lambda u: g_of_u(u) * math.exp(-hr * u), u_f, u_end, limit=200)[0]
    p00_rest = integrate.quad(
        lambda u: g_of_u(u) * u * math.exp(-hr * u), u_f, u_end, limit=200
    )[0]
    sigma0_sq = s0_first + s0_rest  # E[Lambda0(X)]
    p00 = p00_first + p00_rest
    sigma1_sq = hr * sigma0_sq  # E[number of events]
    p01 = hr * p00
    omega = sigma1_sq - sigma0_sq
    sigma_sq = sigma1_sq - 2.0 * p01 + 2.0 * p00 - omega**2
    return sigma0_sq, sigma_sq, omega


def _check(
    median0: float, hazard_ratio: float, shape: float, accrual_time: float, follow_up_time: float
) -> tuple[float, float, float, float, float]:
    median0 = check_positive("median0", median0)
    hr = check_positive("hazard_ratio", hazard_ratio)
    if hr >= 1.0:
        raise DesignInputError(
            f"hazard_ratio was {hazard_ratio}. The one-sample log-rank design tests for longer "
            "survival than the historical control, so the hazard ratio must be below 1.",
            field="hazard_ratio",
            value=hazard_ratio,
            hint="Give the hazard ratio of the new treatment against history, e.g. 0.6.",
        )
    shape = check_positive("shape", shape)
    ta = check_positive("accrual_time", accrual_time)
    tf = check_positive("follow_up_time", follow_up_time)
    return median0, hr, shape, ta, tf


def one_sample_logrank_n(
    median0: float,
    hazard_ratio: float,
    *,
    accrual_time: float,
    follow_up_time: float,
    alpha: float = 0.05,
    power: float = 0.8,
    shape: float = 1.0,
) -> LogrankDesign:
    """Number of patients for the one-sample log-rank test, by Wu's (2015) formula.

    Times (median, accrual, follow-up) share one unit, months or years. See the module
    docstring for the model and formula.

    Raises:
        DesignInputError: a non-positive time or shape, a hazard ratio not below 1, or a rate
            outside (0, 1).

    Wu (2015), section 4: PBC historical control, Weibull shape 1.22, median 9 years, hazard
    ratio 1/1.75, 5 years of accrual and 3 of follow-up, one-sided alpha 0.05, power 0.8:

    >>> one_sample_logrank_n(9, 1 / 1.75, accrual_time=5, follow_up_time=3, shape=1.22).n
    88
    """
    median0, hr, shape, ta, tf = _check(median0, hazard_ratio, shape, accrual_time, follow_up_time)
    alpha = check_rate("alpha", alpha)
    power = check_rate("power", power)
    sigma0_sq, sigma_sq, omega = _moments(median0, hr, shape, ta, tf)
    z_a = float(stats.norm.ppf(1.0 - alpha))
    z_b = float(stats.norm.ppf(power))
    n_real = (math.sqrt(sigma0_sq) * z_a + math.sqrt(sigma_sq) * z_b) ** 2 / omega**2
    n = max(1, math.ceil(n_real - 1e-9))
    return _design(n, median0, hr, shape, ta, tf, alpha, sigma0_sq, sigma_sq, omega)


def one_sample_logrank_power(
    n: int,
    median0: float,
    hazard_ratio: float,
    *,
    accrual_time: float,
    follow_up_time: float,
    alpha: float = 0.05,
    shape: float = 1.0,
) -> LogrankDesign:
    """Power of the one-sample log-rank test with ``n`` patients (Wu 2015, equation for power).

    Power = Phi((sqrt(n) |omega| - sigma0 z(1 - alpha)) / sigma); see the module docstring.

    Example, the bundled trial: 22 patients over 12 months, 6 more months of follow-up,
    historical median PFS 1.8 months (exponential), true median 3.6 months (HR 0.5):

    >>> d = one_sample_logrank_power(22, 1.8, 0.5, accrual_time=12, follow_up_time=6)
    >>> round(d.median1, 2), round(d.power, 2), round(d.expected_events, 1)
    (3.6, 0.88, 19.3)
    """
    n = check_count("n", n, maximum=100000)
    median0, hr, shape, ta, tf = _check(median0, hazard_ratio, shape, accrual_time, follow_up_time)
    alpha = check_rate("alpha", alpha)
    sigma0_sq, sigma_sq, omega = _moments(median0, hr, shape, ta, tf)
    return _design(n, median0, hr, shape, ta, tf, alpha, sigma0_sq, sigma_sq, omega)


def _design(
    n: int,
    median0: float,
    hr: float,
    shape: float,
    ta: float,
    tf: float,
    alpha: float,
    sigma0_sq: float,
    sigma_sq: float,
    omega: float,
) -> LogrankDesign:
    z_a = float(stats.norm.ppf(1.0 - alpha))
    shift = (math.sqrt(n) * abs(omega) - math.sqrt(sigma0_sq) * z_a) / math.sqrt(sigma_sq)
    power = float(stats.norm.cdf(shift))
    median1 = median0 * hr ** (-1.0 / shape)
    events = n * hr * sigma0_sq
    return LogrankDesign(n, power, alpha, median0, median1, hr, shape, ta, tf, events)
