"""Kaplan-Meier, quantiles, landmarks, restricted means and log-rank against R ``survival``.

Expected values are in ``tests/vectors/stats/r_<dataset>.json``, written by
``tests/vectors/stats/make_reference.R`` (R 4.2.2, survival 3.5-3) from R's bundled ``aml``,
``lung``, ``veteran`` and ``ovarian`` data. Every block in those files carries the exact R call
that produced it; the test ids name the dataset, the subset and ``conf.type``, and each
failure message repeats the R call. Tolerance: 1e-6 absolute (R's NA must be our NaN / None).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oncotrial.stats import kaplan_meier, log_rank, median_follow_up

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "stats"
DATASETS = ["aml", "lung", "veteran", "ovarian"]
TOL = 1e-6


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"r_{name}.json").read_text())
    return data


REF = {name: _load(name) for name in DATASETS}


def _as_float(values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """R's NA is null in the JSON; Infinity is a string."""
    if not isinstance(values, list):
        values = [values]
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _opt(value: float | None) -> float:
    return math.nan if value is None else value


def assert_close_r(got: Any, expected: Any, call: str, what: str) -> None:
    """Equal to 1e-6, with NA (NaN) in the same places."""
    g = np.ravel(np.asarray(got, dtype=np.float64))
    e = _as_float(expected)
    assert g.shape == e.shape, f"{what}: {g.shape} values, R has {e.shape}. R call: {call}"
    np.testing.assert_allclose(
        g, e, rtol=0, atol=TOL, equal_nan=True, err_msg=f"{what} differs from R: {call}"
    )


def _km_cases() -> list[Any]:
    cases = []
    for name in DATASETS:
        for i, block in enumerate(REF[name]["kaplan_meier"]):
            ident = f"{name}-{block['label']}-{block['conf_type']}"
            cases.append(pytest.param(name, i, id=ident))
    return cases


def _subset(name: str, block: dict[str, Any]) -> tuple[Any, Any]:
    data = REF[name]["data"]
    time = np.array(data["time"], dtype=float)
    event = np.array(data["event"], dtype=int)
    if block["label"] == "all":
        return time, event
    keep = np.array(data["group"]) == block["label"]
    return time[keep], event[keep]


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_table_matches_r_survfit(name: str, index: int) -> None:
    """Every row of ``survfit(...)``: time, n.risk, n.event, n.censor, surv, std.err, lower,
    upper (R call in the block's ``call``; SE of S(t) is ``summary(fit)$std.err``)."""
    block = REF[name]["kaplan_meier"][index]
    fit = kaplan_meier(*_subset(name, block), conf_type=block["conf_type"])
    ref, call = block["table"], block["call"]
    table = fit.table
    for column in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower",
                   "upper"):
        assert_close_r(table[column].to_numpy(dtype=float), ref[column], call, column)
    assert_close_r(fit.se_log_survival, ref["se_log_survival"], call, "fit$std.err")


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_quantiles_match_r_quantile_survfit(name: str, index: int) -> None:
    """``quantile(fit, probs = c(0.1, 0.25, 0.5, 0.75, 0.9))``: estimate, lower and upper,
    including R's flat-stretch midpoint rule and NA for "not reached"."""
    block = REF[name]["kaplan_meier"][index]
    fit = kaplan_meier(*_subset(name, block), conf_type=block["conf_type"])
    ref = block["quantiles"]
    call = f"{block['call']}; {ref['call']}"
    quantiles = [fit.quantile(p) for p in ref["probs"]]
    assert_close_r([_opt(q.time) for q in quantiles], ref["time"], call, "quantile")
    assert_close_r([_opt(q.lower) for q in quantiles], ref["lower"], call, "quantile lower")
    assert_close_r([_opt(q.upper) for q in quantiles], ref["upper"], call, "quantile upper")


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_median_matches_r_print_survfit(name: str, index: int) -> None:
    """The median and its CI as ``print(fit)`` shows them (``summary(fit)$table``)."""
    block = REF[name]["kaplan_meier"][index]
    fit = kaplan_meier(*_subset(name, block), conf_type=block["conf_type"])
    ref = block["print"]
    call = f"{block['call']}; {ref['call']}"
    lower, upper = fit.median_ci
    assert_close_r([_opt(fit.median), _opt(lower), _opt(upper)],
                   [ref["median"], ref["lower"], ref["upper"]], call, "median, LCL, UCL")


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_landmark_rates_match_r_summary_times(name: str, index: int) -> None:
    """``summary(fit, times = ...)``: survival, std.err, CI and n.risk at landmark times."""
    block = REF[name]["kaplan_meier"][index]
    fit = kaplan_meier(*_subset(name, block), conf_type=block["conf_type"])
    ref = block["landmarks"]
    call = f"{block['call']}; {ref['call']}"
    at = [fit.survival_at(float(t)) for t in _as_float(ref["time"])]
    assert_close_r([_opt(a.estimate) for a in at], ref["survival"], call, "survival")
    assert_close_r([_opt(a.lower) for a in at], ref["lower"], call, "lower")
    assert_close_r([_opt(a.upper) for a in at], ref["upper"], call, "upper")
    assert_close_r([a.n_risk for a in at], ref["n_risk"], call, "n.risk")


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_restricted_mean_matches_r_print_rmean(name: str, index: int) -> None:
    """``summary(fit, rmean = tau)$table`` (as ``print(fit, rmean = tau)``): rmean and
    se(rmean), including tau beyond the last time (curve carried forward)."""
    block = REF[name]["kaplan_meier"][index]
    fit = kaplan_meier(*_subset(name, block), conf_type=block["conf_type"])
    for ref in block["restricted_mean"]:
        call = f"{block['call']}; {ref['call']}"
        rm = fit.restricted_mean(float(ref["tau"]))
        assert_close_r([rm.estimate, rm.std_err], [ref["rmean"], ref["se"]], call, "rmean, se")


@pytest.mark.parametrize("name", DATASETS)
def test_median_follow_up_matches_r_reverse_km(name: str) -> None:
    """``quantile(survfit(Surv(time, 1 - event) ~ 1, conf.type = "log-log"), 0.5)``."""
    ref = REF[name]["reverse_km"]
    data = REF[name]["data"]
    got = median_follow_up(data["time"], data["event"])
    assert_close_r([_opt(got.time), _opt(got.lower), _opt(got.upper)],
                   [ref["median"], ref["lower"], ref["upper"]], ref["call"], "median follow-up")


def _lr_cases() -> list[Any]:
    return [
        pytest.param(name, i, id=f"{name}-{block['call']}")
        for name in DATASETS
        for i, block in enumerate(REF[name]["log_rank"])
    ]


@pytest.mark.parametrize(("name", "index"), _lr_cases())
def test_log_rank_matches_r_survdiff(name: str, index: int) -> None:
    """``survdiff(...)``: chisq, df, p, observed, expected and the variance matrix, for two
    groups, four groups (veteran cell type) and stratified (``+ strata(...)``)."""
    ref = REF[name]["log_rank"][index]
    data = REF[name]["data"]
    call = ref["call"]
    stratified = "strata(strata)" in call
    by_strata = call.startswith("survdiff(Surv(time, event) ~ strata,")
    group = data["strata"] if by_strata else data["group"]
    result = log_rank(data["time"], data["event"], group,
                      strata=data["strata"] if stratified else None)
    assert list(result.groups) == ref["groups"], call
    assert result.df == ref["df"], call
    assert_close_r(result.statistic, ref["chisq"], call, "chisq")
    assert_close_r(result.p_value, ref["p_value"], call, "p")
    assert_close_r(result.observed, ref["observed"], call, "observed")
    assert_close_r(result.expected, ref["expected"], call, "expected")
    assert_close_r(np.ravel(result.variance), np.ravel(ref["variance"]).tolist(), call, "var")
    assert_close_r(result.n, ref["n"], call, "n")


@pytest.mark.parametrize(("name", "index"), _lr_cases())
def test_log_rank_sort_path_matches_r_survdiff(name: str, index: int) -> None:
    """The same ``survdiff(...)`` values when the times are shifted by 0.5, which keeps their
    order (so R's answer is unchanged) but sends them through the sort-and-merge path
    instead of the whole-number ``bincount`` path."""
    ref = REF[name]["log_rank"][index]
    data = REF[name]["data"]
    call = ref["call"]
    stratified = "strata(strata)" in call
    by_strata = call.startswith("survdiff(Surv(time, event) ~ strata,")
    group = data["strata"] if by_strata else data["group"]
    time = np.array(data["time"], dtype=float) + 0.5
    result = log_rank(time, data["event"], group, strata=data["strata"] if stratified else None)
    assert_close_r(result.statistic, ref["chisq"], call, "chisq")
    assert_close_r(result.expected, ref["expected"], call, "expected")
    assert_close_r(np.ravel(result.variance), np.ravel(ref["variance"]).tolist(), call, "var")


@pytest.mark.parametrize(("name", "index"), _km_cases())
def test_km_sort_path_matches_r_survfit(name: str, index: int) -> None:
    """The ``survfit(...)`` table again, with times shifted by 0.5 so that they take the sort
    path: counts, survival, standard errors and limits are R's; times are R's plus 0.5."""
    block = REF[name]["kaplan_meier"][index]
    time, event = _subset(name, block)
    fit = kaplan_meier(time + 0.5, event, conf_type=block["conf_type"])
    ref, call = block["table"], block["call"]
    assert_close_r(fit.time - 0.5, ref["time"], call, "time")
    for column in ("n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"):
        assert_close_r(getattr(fit, column), ref[column], call, column)
