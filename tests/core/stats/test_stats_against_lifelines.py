"""Agreement with lifelines where it uses the same method; known differences pinned.

lifelines 0.30: ``KaplanMeierFitter`` (product-limit, Greenwood, CI on the log-log scale,
which lifelines calls "exponential Greenwood"), ``median_survival_times``,
``restricted_mean_survival_time``, ``logrank_test`` and ``multivariate_logrank_test``.
Each difference from lifelines is explained in docs/statistics.md, "Differences from
lifelines"; the tests below pin them so a change on either side is noticed.
Data: R's ``lung`` and ``aml`` from ``tests/vectors/stats`` (written by make_reference.R).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from oncotrial.stats import kaplan_meier, log_rank, median_follow_up

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "stats"
TOL = 1e-9


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"r_{name}.json").read_text())["data"]
    return data


@pytest.fixture(params=["aml", "lung", "veteran", "ovarian"])
def dataset(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _data(request.param)


def test_km_survival_and_log_log_band_match_lifelines(dataset: dict[str, Any]) -> None:
    """``KaplanMeierFitter().fit(t, e)``: survival_function_ and confidence_interval_ at our
    table times equal our curve and our log-log band to 1e-9, wherever R defines the band
    (lifelines reports 1 and 1 where S = 1, R reports NA)."""
    t, e = np.array(dataset["time"]), np.array(dataset["event"])
    ll = KaplanMeierFitter().fit(t, e)
    ours = kaplan_meier(t, e, conf_type="log-log")
    surv = ll.survival_function_["KM_estimate"].loc[ours.time].to_numpy()
    np.testing.assert_allclose(ours.survival, surv, atol=TOL, rtol=0)
    band = ll.confidence_interval_.loc[ours.time].to_numpy()
    defined = ~np.isnan(ours.lower)
    np.testing.assert_allclose(ours.lower[defined], band[defined, 0], atol=TOL, rtol=0)
    np.testing.assert_allclose(ours.upper[defined], band[defined, 1], atol=TOL, rtol=0)


def test_km_median_and_its_ci_match_lifelines_without_flat_stretches(
    dataset: dict[str, Any],
) -> None:
    """``median_survival_time_`` and ``median_survival_times(confidence_interval_)`` equal
    ours on these data sets, where no curve sits exactly at 0.5 (lifelines reports inf for
    "not reached", we report None)."""
    t, e = np.array(dataset["time"]), np.array(dataset["event"])
    ll = KaplanMeierFitter().fit(t, e)
    ours = kaplan_meier(t, e)
    ll_ci = median_survival_times(ll.confidence_interval_).to_numpy()[0]

    def inf_if_none(x: float | None) -> float:
        return np.inf if x is None else x

    assert inf_if_none(ours.median) == ll.median_survival_time_
    assert [inf_if_none(x) for x in ours.median_ci] == list(ll_ci)


def test_flat_stretch_at_half_is_where_lifelines_and_r_differ() -> None:
    """Known difference: the reverse KM of R's ``aml`` maintained arm is exactly 0.5 from week
    45 to week 161. R (``quantile(survfit(Surv(time, 1 - status) ~ 1), 0.5)``) gives the
    midpoint 103, and so do we; lifelines gives the first time at or below 0.5, week 45."""
    weeks = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161])
    status = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
    ll = KaplanMeierFitter().fit(weeks, 1 - status)
    assert ll.median_survival_time_ == 45.0
    assert median_follow_up(weeks, status).time == 103.0


def test_restricted_mean_matches_lifelines_estimate(dataset: dict[str, Any]) -> None:
    """``restricted_mean_survival_time(kmf, t=tau)`` equals our estimate. (Its optional
    variance is the variance of min(T, tau) in the population, not the squared standard
    error of the estimate that R and we report; see docs/statistics.md.)"""
    t, e = np.array(dataset["time"]), np.array(dataset["event"])
    tau = float(np.median(t))
    ll = KaplanMeierFitter().fit(t, e)
    expected = restricted_mean_survival_time(ll, t=tau)
    assert kaplan_meier(t, e).restricted_mean(tau).estimate == pytest.approx(expected, abs=1e-9)


def test_two_group_log_rank_matches_lifelines(dataset: dict[str, Any]) -> None:
    """``logrank_test(tA, tB, eA, eB).test_statistic`` and ``p_value`` equal ours."""
    t, e = np.array(dataset["time"]), np.array(dataset["event"])
    g = np.array(dataset["group"])
    a, b = sorted(set(g))
    ll = logrank_test(t[g == a], t[g == b], e[g == a], e[g == b])
    ours = log_rank(t, e, g)
    assert ours.statistic == pytest.approx(ll.test_statistic, abs=1e-9)
    assert ours.p_value == pytest.approx(ll.p_value, abs=1e-12)


def test_k_group_log_rank_matches_lifelines_multivariate() -> None:
    """``multivariate_logrank_test`` on the 4 cell types of R's ``veteran`` data (3 df)."""
    data = _data("veteran")
    t, e, cell = np.array(data["time"]), np.array(data["event"]), np.array(data["strata"])
    ll = multivariate_logrank_test(t, cell, e)
    ours = log_rank(t, e, cell)
    assert ours.df == ll.degrees_of_freedom == 3
    assert ours.statistic == pytest.approx(ll.test_statistic, abs=1e-9)


@settings(max_examples=30)
@given(
    times=st.lists(st.floats(0.01, 1e4, allow_nan=False, allow_subnormal=False), min_size=2,
                   max_size=80, unique=True),
    data=st.data(),
)
def test_km_on_distinct_continuous_times_matches_lifelines(
    times: list[float], data: st.DataObject
) -> None:
    """All-distinct times (the one-subject-per-time path): curve and log-log band equal
    lifelines' to 1e-9 where R defines the band."""
    events = data.draw(st.lists(st.integers(0, 1), min_size=len(times), max_size=len(times)))
    t, e = np.array(times), np.array(events)
    ll = KaplanMeierFitter().fit(t, e)
    ours = kaplan_meier(t, e)
    np.testing.assert_allclose(
        ours.survival, ll.survival_function_["KM_estimate"].loc[ours.time].to_numpy(),
        atol=TOL, rtol=0,
    )
    band = ll.confidence_interval_.loc[ours.time].to_numpy()
    defined = ~np.isnan(ours.lower) & (ours.survival > 0)
    np.testing.assert_allclose(ours.lower[defined], band[defined, 0], atol=TOL, rtol=0)
    np.testing.assert_allclose(ours.upper[defined], band[defined, 1], atol=TOL, rtol=0)
