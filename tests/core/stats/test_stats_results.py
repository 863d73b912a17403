"""Results of oncotrial.stats are plain data (issue 10): every result type goes JSON -> object ->
JSON to the same text through oncotrial.records.to_json / from_json, and through pickle.

KaplanMeier itself is a computation object (numpy arrays, a pandas table on request); its
stored form is KaplanMeier.curve(), a SurvivalCurve, which is tested here like the others.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.records import from_json, to_json
from oncotrial.stats import (
    BinomialTest,
    ConfType,
    KaplanMeier,
    LogRankTest,
    ProportionCIMethod,
    ProportionEstimate,
    QuantileEstimate,
    RestrictedMean,
    SurvivalCurve,
    SurvivalEstimate,
    binomial_test,
    estimate_proportion,
    kaplan_meier,
    log_rank,
    median_follow_up,
)

LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


def _round_trips(obj: Any) -> None:
    text = to_json(obj)
    back = from_json(type(obj), text)
    assert to_json(back) == text
    assert back == obj
    assert pickle.loads(pickle.dumps(obj)) == obj


@st.composite
def survival_data(draw: st.DrawFn) -> tuple[list[float], list[int]]:
    n = draw(st.integers(1, 40))
    whole = draw(st.booleans())
    times = draw(st.lists(st.integers(0, 400) if whole else
                          st.floats(0, 400, allow_nan=False, allow_infinity=False),
                          min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return [float(t) for t in times], events


@given(x=st.integers(0, 60), extra=st.integers(0, 60), level=LEVELS,
       method=st.sampled_from(list(ProportionCIMethod)), null=st.floats(0, 1))
def test_binomial_results_round_trip(x: int, extra: int, level: float,
                                     method: ProportionCIMethod, null: float) -> None:
    """ProportionEstimate and BinomialTest."""
    n = max(1, x + extra)
    x = min(x, n)
    estimate = estimate_proportion(x, n, method=method, conf_level=level)
    assert isinstance(estimate, ProportionEstimate)
    _round_trips(estimate)
    test = binomial_test(x, n, null)
    assert isinstance(test, BinomialTest)
    _round_trips(test)


@given(data=survival_data(), level=LEVELS, conf_type=st.sampled_from(list(ConfType)),
       p=st.sampled_from([0.25, 0.5, 0.75]), t=st.floats(0, 500))
def test_survival_results_round_trip(data: tuple[list[float], list[int]], level: float,
                                     conf_type: ConfType, p: float, t: float) -> None:
    """QuantileEstimate, SurvivalEstimate, RestrictedMean and SurvivalCurve (the stored form of
    a KaplanMeier, with None where R reports NA or Inf)."""
    times, events = data
    fit = kaplan_meier(times, events, conf_type=conf_type, conf_level=level)
    quantile = fit.quantile(p)
    assert isinstance(quantile, QuantileEstimate)
    _round_trips(quantile)
    at = fit.survival_at(t)
    assert isinstance(at, SurvivalEstimate)
    _round_trips(at)
    if fit.time[-1] > 0:
        rmean = fit.restricted_mean()
        assert isinstance(rmean, RestrictedMean)
        _round_trips(rmean)
    curve = fit.curve()
    assert isinstance(curve, SurvivalCurve)
    _round_trips(curve)
    assert curve.survival == tuple(fit.survival.tolist())
    assert [x is None for x in curve.lower] == (~np.isfinite(fit.lower)).tolist()
    _round_trips(median_follow_up(times, events, conf_level=level))


@given(data=survival_data(), groups=st.data())
def test_log_rank_result_round_trips(data: tuple[list[float], list[int]],
                                     groups: st.DataObject) -> None:
    """LogRankTest with two or three groups."""
    times, events = data
    labels = groups.draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=len(times),
                                  max_size=len(times)))
    if len(set(labels)) < 2:
        return
    result = log_rank(times, events, labels)
    assert isinstance(result, LogRankTest)
    _round_trips(result)


def test_kaplan_meier_is_a_computation_object_with_a_plain_curve() -> None:
    """The KaplanMeier object holds numpy arrays (not plain data); curve() is what is stored:
    R's aml maintained arm, survival 10/11 after week 9 (Kaplan & Meier 1958)."""
    fit = kaplan_meier([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
                       [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
    assert isinstance(fit, KaplanMeier) and isinstance(fit.survival, np.ndarray)
    curve = fit.curve()
    assert curve.time[:2] == (9.0, 13.0)
    assert curve.survival[0] == pytest.approx(10 / 11)
    assert curve.n_risk[:2] == (11, 10)
    assert from_json(SurvivalCurve, to_json(curve)) == curve
