"""Simon two-stage designs against Simon (1989) Tables 1 and 2, and exact binomial sums.

Source of the expected designs: Simon R. Optimal two-stage designs for phase II clinical
trials. Controlled Clinical Trials 1989;10:1-10, Tables 1 and 2, kept with a ``source`` field
per case in ``tests/vectors/design/simon_1989.json``. Tolerances follow the table's printing:
EN(p0) to one decimal (|diff| <= 0.05) and PET(p0) to two (|diff| <= 0.005).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from pathlib import Path

import pytest

from oncotrial.design import (
    DesignInputError,
    DesignNotFoundError,
    SimonResult,
    simon_design_properties,
    simon_two_stage,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "design" / "simon_1989.json").read_text()
)["cases"]


@functools.cache
def _search(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> SimonResult:
    return simon_two_stage(p0, p1, alpha, beta, nmax=nmax)


def _nmax(case: dict[str, float]) -> int:
    """Search 10 beyond the largest n the table gives for this (p0, p1, alpha, beta)."""
    same = [
        c["n"] for c in VECTORS
        if (c["p0"], c["p1"], c["alpha"], c["beta"])
        == (case["p0"], case["p1"], case["alpha"], case["beta"])
    ]
    return int(max(same)) + 10


def _id(case: dict[str, float]) -> str:
    return (f"{case['design']} p0={case['p0']} p1={case['p1']} alpha={case['alpha']} "
            f"beta={case['beta']}")


# --- exact sums written out here, independently of the module ----------------------------

def _pmf(x: int, n: int, p: float) -> float:
    return math.comb(n, x) * p**x * (1 - p) ** (n - x)


def _reject(r1: int, n1: int, r: int, n: int, p: float) -> float:
    """P(X1 > r1 and X1 + X2 > r), summed over every (x1, x2)."""
    total = 0.0
    for x1 in range(r1 + 1, n1 + 1):
        for x2 in range(n - n1 + 1):
            if x1 + x2 > r:
                total += _pmf(x1, n1, p) * _pmf(x2, n - n1, p)
    return total


@pytest.mark.parametrize("case", VECTORS, ids=[_id(c) for c in VECTORS])
def test_simon_design_matches_simon_1989_tables(case: dict[str, float]) -> None:
    """Each optimal and minimax design of Simon (1989) Tables 1-2 is found by the search."""
    res = _search(case["p0"], case["p1"], case["alpha"], case["beta"], _nmax(case))
    got = getattr(res, str(case["design"]))
    assert (got.r1, got.n1, got.r, got.n) == (case["r1"], case["n1"], case["r"], case["n"])
    if case["en0"] is not None:
        assert abs(got.en0 - case["en0"]) <= 0.05 + 1e-9
    if case["pet0"] is not None:
        assert abs(got.pet0 - case["pet0"]) <= 0.005 + 1e-9
    assert got.alpha <= case["alpha"]
    assert got.power >= 1 - case["beta"]


@pytest.mark.parametrize(
    "case", VECTORS[:12], ids=[_id(c) for c in VECTORS[:12]]
)
def test_simon_exact_alpha_and_power_agree_with_direct_binomial_sums(
    case: dict[str, float],
) -> None:
    """alpha, power, PET and EN(p0) equal sums over every outcome (tolerance 1e-10)."""
    d = simon_design_properties(int(case["r1"]), int(case["n1"]), int(case["r"]),
                                int(case["n"]), case["p0"], case["p1"])
    r1, n1, r, n = d.r1, d.n1, d.r, d.n
    assert d.alpha == pytest.approx(_reject(r1, n1, r, n, case["p0"]), abs=1e-10)
    assert d.power == pytest.approx(_reject(r1, n1, r, n, case["p1"]), abs=1e-10)
    pet0 = sum(_pmf(x, n1, case["p0"]) for x in range(r1 + 1))
    assert d.pet0 == pytest.approx(pet0, abs=1e-12)
    assert d.en0 == pytest.approx(n1 + (1 - pet0) * (n - n1), abs=1e-10)


def _brute_force(p0: float, p1: float, alpha: float, beta: float, nmax: int):  # type: ignore[no-untyped-def]
    """Every (r1, n1, r, n) with n <= nmax, by direct sums: the feasible set."""
    feasible = []
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            for r1 in range(n1):
                for r in range(r1, n):
                    a = _reject(r1, n1, r, n, p0)
                    if a > alpha:
                        continue
                    if _reject(r1, n1, r, n, p1) < 1 - beta:
                        break  # power only falls as r grows
                    pet0 = sum(_pmf(x, n1, p0) for x in range(r1 + 1))
                    feasible.append((n1 + (1 - pet0) * (n - n1), n, n1, r1, r))
    return feasible


def test_simon_search_agrees_with_brute_force_enumeration() -> None:
    """Optimal, minimax and admissible designs equal a plain enumeration of every design.

    Case p0 = 0.1, p1 = 0.5, alpha 0.1, beta 0.1, n <= 18: small enough to enumerate.
    """
    feasible = _brute_force(0.1, 0.5, 0.1, 0.1, 18)
    res = simon_two_stage(0.1, 0.5, 0.1, 0.1, nmax=18)
    best = min(feasible, key=lambda f: (round(f[0], 10), f[1]))
    assert (res.optimal.en0, res.optimal.n) == (pytest.approx(best[0]), best[1])
    n_min = min(f[1] for f in feasible)
    mm = min((f for f in feasible if f[1] == n_min), key=lambda f: f[0])
    assert (res.minimax.n, res.minimax.en0) == (n_min, pytest.approx(mm[0]))
    # Admissible (Jung 2004): each minimises q n + (1 - q) EN0 over all feasible designs at
    # the middle of its q interval.
    for adm in res.admissible:
        q = (adm.q_low + adm.q_high) / 2
        loss = min(q * f[1] + (1 - q) * f[0] for f in feasible)
        assert q * adm.design.n + (1 - q) * adm.design.en0 == pytest.approx(loss, abs=1e-9)


def test_admissible_designs_run_from_optimal_to_minimax() -> None:
    """q intervals tile [0, 1]; the optimal design holds q = 0, the minimax design q = 1."""
    res = simon_two_stage(0.05, 0.25, 0.05, 0.2)
    adm = res.admissible
    assert adm[0].design == res.optimal and adm[0].q_low == 0.0
    assert adm[-1].design == res.minimax and adm[-1].q_high == 1.0
    for left, right in itertools.pairwise(adm):
        assert left.q_high == pytest.approx(right.q_low)
        assert right.design.n < left.design.n


def test_simon_result_summary_names_both_designs() -> None:
    """The summary is a readable table with the rules in r1/n1, r/n notation."""
    text = simon_two_stage(0.05, 0.25, 0.05, 0.2).summary()
    assert "0/9" in text and "2/17" in text and "0/12" in text and "2/16" in text


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.3, 0.2, 0.05, 0.2), "p1"),
        ((0.0, 0.2, 0.05, 0.2), "p0"),
        ((0.1, 0.3, 1.5, 0.2), "alpha"),
        ((0.1, 0.3, 0.05, -0.1), "beta"),
    ],
    ids=["p1 below p0", "p0 of zero", "alpha above one", "negative beta"],
)
def test_simon_refuses_bad_arguments_naming_the_field(
    args: tuple[float, float, float, float], field: str
) -> None:
    """A bad argument raises DesignInputError whose field names it."""
    with pytest.raises(DesignInputError) as err:
        simon_two_stage(*args)
    assert err.value.field == field


def test_simon_says_when_no_design_fits_under_nmax() -> None:
    """p0 0.30 against 0.32 needs far more than 40 patients: a fixable error, not a crash."""
    with pytest.raises(DesignNotFoundError, match="No two-stage design of up to 40 patients"):
        simon_two_stage(0.30, 0.32, 0.05, 0.2, nmax=40)
