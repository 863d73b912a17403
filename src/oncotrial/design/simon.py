"""Simon two-stage designs by exact enumeration: optimal, minimax and admissible.

Sources: Simon R. Optimal two-stage designs for phase II clinical trials. Controlled Clinical
Trials 1989;10:1-10; Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase
II cancer clinical trials. Statistics in Medicine 2004;23:561-569. R's ``clinfun::ph2simon``
is the usual reference implementation.

Rule in words: treat ``n1`` patients; stop for futility if ``r1`` or fewer respond. Otherwise
treat ``n - n1`` more; the drug is worth further study if more than ``r`` of all ``n`` respond.
Exact error rates, with X1 ~ Bin(n1, p) and X2 ~ Bin(n - n1, p):

* probability of early termination PET(p) = P(X1 <= r1);
* probability of rejecting H0 = sum over x1 > r1 of P(X1 = x1) P(X2 > r - x1);
* expected sample size EN(p) = n1 + (1 - PET(p)) (n - n1).

A design is feasible when its rejection probability is at most ``alpha`` at p0 and at least
``1 - beta`` at p1. The optimal design minimises EN(p0); the minimax design minimises n, then
EN(p0); the admissible designs (Jung 2004) minimise q n + (1 - q) EN(p0) for some q in [0, 1].

Search: n runs from a proven lower bound (the sample size at which even the randomised
Neyman-Pearson single-stage test reaches the power; no two-stage test on n patients can beat
it) up to ``nmax``. For each (n, n1), every (r1, r) is evaluated at once with numpy cumulative
sums; for fixed (n, n1, r1) the best r is the smallest one that keeps alpha. A design whose
n1 is not below the best EN(p0) found at a smaller n is dominated and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from oncotrial.design.errors import (
    DesignNotFoundError,
    check_count,
    check_order,
    check_rate,
)

__all__ = [
    "AdmissibleDesign",
    "SimonDesign",
    "SimonResult",
    "simon_design_properties",
    "simon_two_stage",
]

_TOL = 1e-12


@dataclass(frozen=True, slots=True)
class SimonDesign:
    """One Simon two-stage design and its exact operating characteristics.

    ``r1``/``n1``: stop after stage 1 if at most ``r1`` of ``n1`` respond. ``r``/``n``: the drug
    is worth further study if more than ``r`` of ``n`` respond. ``en0`` and ``pet0`` are the
    expected sample size and probability of early termination under p0; ``alpha`` and
    ``power`` are exact.
    """

    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float

    def rule(self) -> str:
        """The stopping rule in the 'r1/n1, r/n' notation of Simon's tables."""
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    def summary(self) -> str:
        """The design in words, for a protocol's statistics section."""
        stop = "none responds" if self.r1 == 0 else f"{self.r1} or fewer respond"
        return (
            f"Stage 1: treat {self.n1} patients; stop for futility if {stop}. "
            f"Stage 2: treat {self.n - self.n1} more (n = {self.n}); the drug is worth "
            f"further study if more than {self.r} respond. Exact alpha {self.alpha:.4f}, power "
            f"{self.power:.4f}; under p0 the trial stops early with probability {self.pet0:.2f} "
            f"and treats {self.en0:.1f} patients on average."
        )


@dataclass(frozen=True, slots=True)
class AdmissibleDesign:
    """An admissible design (Jung 2004) and the weights q for which it is the best choice."""

    design: SimonDesign
    q_low: float
    q_high: float


@dataclass(frozen=True, slots=True)
class SimonResult:
    """Result of :func:`simon_two_stage`: the optimal, minimax and admissible designs."""

    p0: float
    p1: float
    alpha_nominal: float
    beta_nominal: float
    nmax: int
    optimal: SimonDesign
    minimax: SimonDesign
    admissible: tuple[AdmissibleDesign, ...]

    def summary(self) -> str:
        """A small table of the designs found."""
        lines = [
            f"Simon two-stage designs, H0 p <= {self.p0:g} against H1 p >= {self.p1:g}, "
            f"alpha {self.alpha_nominal:g}, power {1 - self.beta_nominal:g}, n <= {self.nmax}",
            f"{'design':<20} {'r1/n1':>7} {'r/n':>7} {'EN(p0)':>7} {'PET(p0)':>8} "
            f"{'alpha':>7} {'power':>7}",
        ]

        def row(name: str, d: SimonDesign) -> str:
            return (
                f"{name:<20} {f'{d.r1}/{d.n1}':>7} {f'{d.r}/{d.n}':>7} {d.en0:7.2f} "
                f"{d.pet0:8.3f} {d.alpha:7.4f} {d.power:7.4f}"
            )

        lines.append(row("optimal", self.optimal))
        lines.append(row("minimax", self.minimax))
        for adm in self.admissible:
            if adm.design not in (self.optimal, self.minimax):
                lines.append(row(f"admissible q {adm.q_low:.2f}-{adm.q_high:.2f}", adm.design))
        return "\n".join(lines)


def _reject_and_stop(r1: int, n1: int, r: int, n: int, p: float) -> tuple[float, float]:
    """Exact (P(reject H0), PET) of one design at true rate ``p``."""
    x1 = np.arange(r1 + 1, n1 + 1)
    reject = float(np.sum(stats.binom.pmf(x1, n1, p) * stats.binom.sf(r - x1, n - n1, p)))
    pet = float(stats.binom.cdf(r1, n1, p))
    return reject, pet


def simon_design_properties(r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> SimonDesign:
    """Exact EN(p0), PET(p0), alpha and power of a given Simon design.

    Use it to check a design from a protocol or a paper.

    Raises:
        DesignInputError: counts out of order (need 0 <= r1 < n1 < n and r1 <= r < n).

    Simon (1989), Table 1, p0 = 0.05, p1 = 0.25, alpha 0.05, power 0.8, optimal 0/9, 2/17:

    >>> d = simon_design_properties(0, 9, 2, 17, 0.05, 0.25)
    >>> round(d.en0, 1), round(d.pet0, 2), d.alpha < 0.05, d.power > 0.8
    (12.0, 0.63, True, True)
    """
    p0 = check_rate("p0", p0)
    p1 = check_rate("p1", p1)
    n = check_count("n", n, minimum=2)
    n1 = check_count("n1", n1, minimum=1, maximum=n - 1)
    r1 = check_count("r1", r1, minimum=0, maximum=n1 - 1)
    r = check_count("r", r, minimum=r1, maximum=n - 1)
    alpha, pet0 = _reject_and_stop(r1, n1, r, n, p0)
    power, _ = _reject_and_stop(r1, n1, r, n, p1)
    en0 = n1 + (1.0 - pet0) * (n - n1)
    return SimonDesign(r1, n1, r, n, en0, pet0, alpha, power)


def _lower_bound_n(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> int:
    """Smallest n at which the randomised Neyman-Pearson test of p0 against p1 has the power.

    Any two-stage test that uses at most n patients is a (non-randomised) test on n Bernoulli
    outcomes, so by the Neyman-Pearson lemma its power cannot exceed this test's.
    """
    for n in range(1, nmax + 1):
        x = np.arange(n + 1)
        tail0 = stats.binom.sf(x, n, p0)  # P(X > c)
        c = int(np.nonzero(tail0 <= alpha)[0][0])
        gamma = (alpha - tail0[c]) / stats.binom.pmf(c, n, p0)
        power = stats.binom.sf(c, n, p1) + min(gamma, 1.0) * stats.binom.pmf(c, n, p1)
        if power >= 1.0 - beta - _TOL:
            return n
    return nmax + 1


class _Tables:
    """Binomial tables at one true rate for every sample size up to ``nmax``.

    ``pmf[m, x]`` = P(Bin(m, p) = x) (0 for x > m). ``ext[m, nmax + k]`` = P(Bin(m, p) > k) for
    k in [-nmax, nmax]: 1 for k < 0 and 0 for k >= m, so a stage-2 tail can be gathered for
    any stage-1 count without branches.
    """

    def __init__(self, p: float, nmax: int) -> None:
        m = np.arange(nmax + 1)[:, None]
        k = np.arange(nmax + 1)[None, :]
        self.nmax = nmax
        self.pmf = np.where(k <= m, stats.binom.pmf(k, m, p), 0.0)
        self.cdf = np.cumsum(self.pmf, axis=1)
        sf = np.where(k < m, stats.binom.sf(k, m, p), 0.0)
        self.ext = np.hstack((np.ones((nmax + 1, nmax)), sf))


_CHUNK_CELLS = 2_000_000  # cap on the (n1, x1, r) cells evaluated at once


def _reject_cube(tab: _Tables, n: int, n1s: np.ndarray, width: int) -> np.ndarray:
    """R[k, r1, r] = P(reject) for n1 = n1s[k], r1 = 0..width-2, r = 0..n-1."""
    x1 = np.arange(width)
    idx = tab.nmax + np.arange(n)[None, :] - x1[:, None]  # nmax + r - x1
    g = tab.ext[(n - n1s)[:, None, None], idx[None, :, :]]  # P(X2 > r - x1)
    m = tab.pmf[n1s][:, :width, None] * g
    tail = np.cumsum(m[:, ::-1, :], axis=1)[:, ::-1, :]  # sum over stage-1 counts >= j
    return tail[:, 1:, :]


def _best_for_n(
    n: int, n1s_all: np.ndarray, t0: _Tables, t1: _Tables, alpha: float, beta: float
) -> SimonDesign | None:
    """The feasible design with total ``n`` and first stage in ``n1s_all`` with the least EN0."""
    if n1s_all.size == 0:
        return None
    top_n1 = int(n1s_all[-1]) + 1
    best: SimonDesign | None = None
    per_row = top_n1 * n
    step = max(1, _CHUNK_CELLS // per_row)
    for start in range(0, n1s_all.size, step):
        n1s = n1s_all[start : start + step]
        width = int(n1s[-1]) + 1  # stage-1 counts 0 .. max n1
        a = _reject_cube(t0, n, n1s, width)
        r1 = np.arange(width - 1)[None, :, None]
        r = np.arange(n)[None, None, :]
        ok_alpha = (a <= alpha + _TOL) & (r >= r1) & (r1 < n1s[:, None, None])
        has = ok_alpha.any(axis=2)
        if not has.any():
            continue
        first_r = ok_alpha.argmax(axis=2)
        b = _reject_cube(t1, n, n1s, width)
        power = np.take_along_axis(b, first_r[:, :, None], axis=2)[:, :, 0]
        ok = has & (power >= 1.0 - beta - _TOL)
        rows = np.nonzero(ok.any(axis=1))[0]
        if rows.size == 0:
            continue
        # For fixed (n, n1) the largest feasible r1 has the highest PET(p0), so the least EN0.
        last = (width - 2) - ok[rows, ::-1].argmax(axis=1)
        chosen_n1 = n1s[rows]
        pet0 = t0.cdf[chosen_n1, last]
        en0 = chosen_n1 + (1.0 - pet0) * (n - chosen_n1)
        i = int(np.argmin(np.round(en0, 10)))
        cand = SimonDesign(
            int(last[i]),
            int(chosen_n1[i]),
            int(first_r[rows[i], last[i]]),
            n,
            float(en0[i]),
            float(pet0[i]),
            float(a[rows[i], last[i], first_r[rows[i], last[i]]]),
            float(power[rows[i], last[i]]),
        )
        if best is None or _key(cand) < _key(best):
            best = cand
    return best


def _key(d: SimonDesign) -> tuple[float, int, int]:
    return (round(d.en0, 10), d.n, d.n1)


def simon_two_stage(
    p0: float, p1: float, alpha: float, beta: float, *, nmax: int = 100
) -> SimonResult:
    """Simon's (1989) optimal and minimax two-stage designs, and Jung's (2004) admissible ones.

    Args:
        p0: response rate not worth pursuing (H0: p <= p0).
        p1: response rate worth pursuing (H1: p >= p1).
        alpha: largest acceptable exact one-sided type I error.
        beta: largest acceptable exact type II error (power is 1 - beta).
        nmax: largest total sample size searched (at most 1000).

    Raises:
        DesignInputError: a rate outside (0, 1), p1 not above p0, or a bad nmax.
        DesignNotFoundError: no design up to ``nmax`` meets alpha and power.

    Example, Simon (1989) Table 1, p0 = 0.05, p1 = 0.25, alpha 0.05, beta 0.2:

    >>> res = simon_two_stage(0.05, 0.25, 0.05, 0.2)
    >>> res.optimal.rule(), res.minimax.rule()
    ('0/9, 2/17', '0/12, 2/16')
    >>> round(res.optimal.en0, 1), round(res.optimal.pet0, 2)
    (12.0, 0.63)
    """
    p0 = check_rate("p0", p0)
    p1 = check_rate("p1", p1)
    check_order(p0, p1)
    alpha = check_rate("alpha", alpha)
    beta = check_rate("beta", beta)
    nmax = check_count("nmax", nmax, minimum=2, maximum=1000)
    n_start = max(2, _lower_bound_n(p0, p1, alpha, beta, nmax))
    t0 = _Tables(p0, nmax)
    t1 = _Tables(p1, nmax)

    # Power needs P(X1 > r1 | p1) >= 1 - beta, which caps r1 and so PET(p0) for each n1:
    # EN0 >= n1 + (1 - pet_cap[n1]) (n - n1), a bound that prunes most (n, n1) pairs.
    n1_all = np.arange(nmax + 1)
    power_ok = (1.0 - t1.cdf) >= 1.0 - beta - _TOL  # [n1, r1]: P(X1 > r1 | p1) large enough
    pet_cap = np.where(power_ok, t0.cdf, 0.0).max(axis=1)
    best_by_n: list[SimonDesign] = []
    best_en0 = float("inf")
    for n in range(n_start, nmax + 1):
        n1s = n1_all[1:n]
        if best_by_n:
            # A design whose EN0 cannot beat the best of a smaller n is dominated by it.
            bound = n1s + (1.0 - pet_cap[n1s]) * (n - n1s)
            n1s = n1s[bound < best_en0 - 1e-9]
        top = _best_for_n(n, n1s, t0, t1, alpha, beta)
        if top is None:
            continue
        if top.en0 < best_en0 - 1e-10 or not best_by_n:
            best_by_n.append(top)
            best_en0 = min(best_en0, top.en0)
    if not best_by_n:
        raise DesignNotFoundError(
            f"No two-stage design of up to {nmax} patients has alpha <= {alpha} and power >= "
            f"{1 - beta:g} for p0 = {p0} against p1 = {p1}.",
            field="nmax",
            value=nmax,
            hint="Raise nmax (up to 1000), or widen the gap between p0 and p1.",
        )
    minimax = best_by_n[0]
    optimal = min(best_by_n, key=_key)
    return SimonResult(
        p0, p1, alpha, beta, nmax, optimal, minimax, _admissible(best_by_n, optimal)
    )


def _admissible(best_by_n: list[SimonDesign], optimal: SimonDesign) -> tuple[AdmissibleDesign, ...]:
    """Lower convex hull of (n, EN0) from the optimal (q = 0) to the minimax design (q = 1)."""
    points = [d for d in best_by_n if d.n <= optimal.n]
    hull: list[tuple[SimonDesign, float]] = []  # (design, q at which it starts to be best)
    current, q_enter = optimal, 0.0
    while True:
        smaller = [d for d in points if d.n < current.n]
        if not smaller:
            hull.append((current, q_enter))
            break
        slopes = [((d.en0 - current.en0) / (current.n - d.n), d.n, d) for d in smaller]
        slope, _, nxt = min(slopes, key=lambda item: (item[0], item[1]))
        q_next = slope / (1.0 + slope)
        hull.append((current, q_enter))
        current, q_enter = nxt, q_next
    out = []
    for i, (design, q_low) in enumerate(hull):
        q_high = hull[i + 1][1] if i + 1 < len(hull) else 1.0
        out.append(AdmissibleDesign(design, q_low, q_high))
    return tuple(out)
