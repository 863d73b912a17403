"""Invariants of Kaplan-Meier and the log-rank test (Hypothesis), plus API behaviour and errors.

Properties from the issue ("Done when"): the curve is non-increasing and within [0, 1]; each
confidence interval contains the estimate; permuting subjects changes nothing. Also: the O(n)
whole-number path and the sort path give the same table; the reverse of the reverse is the
original curve.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.stats import (
    ConfType,
    KaplanMeier,
    StatisticsInputError,
    kaplan_meier,
    log_rank,
    median_follow_up,
)

CONF_TYPES = [c.value for c in ConfType]


@st.composite
def survival_data(
    draw: st.DrawFn, *, whole_days: bool | None = None
) -> tuple[list[float], list[int]]:
    """1-60 subjects; times either whole days 0-40 (many ties) or any non-negative float."""
    n = draw(st.integers(1, 60))
    days = draw(st.booleans()) if whole_days is None else whole_days
    if days:
        times = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
        time_values = [float(t) for t in times]
    else:
        time_values = draw(st.lists(st.floats(0, 1e4, allow_nan=False, allow_subnormal=False),
                                    min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return time_values, events


@given(data=survival_data(), conf_type=st.sampled_from(CONF_TYPES))
def test_curve_is_non_increasing_and_within_unit_interval(
    data: tuple[list[float], list[int]], conf_type: str
) -> None:
    """S(t) never rises, stays in [0, 1]; the limits stay in [0, 1] wherever defined."""
    fit = kaplan_meier(*data, conf_type=conf_type)
    assert np.all(np.diff(fit.survival) <= 0)
    assert np.all((fit.survival >= 0) & (fit.survival <= 1))
    for band in (fit.lower, fit.upper):
        defined = band[~np.isnan(band)]
        assert np.all((defined >= 0) & (defined <= 1))


@given(data=survival_data(), conf_type=st.sampled_from(CONF_TYPES))
def test_confidence_interval_contains_the_estimate(
    data: tuple[list[float], list[int]], conf_type: str
) -> None:
    """lower <= S(t) <= upper at every time where the interval is defined (to 1e-12)."""
    fit = kaplan_meier(*data, conf_type=conf_type)
    defined = ~np.isnan(fit.lower)
    assert np.all(fit.lower[defined] <= fit.survival[defined] + 1e-12)
    assert np.all(fit.survival[defined] <= fit.upper[defined] + 1e-12)
    q = fit.quantile(0.5)
    if q.time is not None and q.lower is not None:
        assert q.lower <= q.time
    if q.time is not None and q.upper is not None:
        assert q.time <= q.upper


@given(data=survival_data(), seed=st.integers(0, 2**32 - 1))
def test_permuting_subjects_changes_nothing(
    data: tuple[list[float], list[int]], seed: int
) -> None:
    """The table, median, CI and landmark values do not depend on the order of subjects."""
    time, event = np.array(data[0]), np.array(data[1])
    order = np.random.default_rng(seed).permutation(time.size)
    a, b = kaplan_meier(time, event), kaplan_meier(time[order], event[order])
    assert a.table.equals(b.table)
    assert (a.median, a.median_ci) == (b.median, b.median_ci)
    assert a.survival_at(10.0) == b.survival_at(10.0)


@given(data=survival_data(whole_days=True))
def test_whole_day_path_and_sort_path_give_the_same_table(
    data: tuple[list[float], list[int]],
) -> None:
    """Whole days (bincount) and the same days shifted by 0.25 (sort path) give the same
    counts and survival: the two counting paths agree."""
    days = np.array(data[0], dtype=np.int64)
    a = kaplan_meier(days, data[1])
    b = kaplan_meier(days + 0.25, data[1])
    np.testing.assert_array_equal(a.time + 0.25, b.time)
    for column in ("n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"):
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column))


@given(data=survival_data(), seed=st.integers(0, 2**32 - 1))
def test_log_rank_is_invariant_to_order_and_non_negative(
    data: tuple[list[float], list[int]], seed: int
) -> None:
    """Permuting subjects (with their groups) leaves the statistic unchanged; it is >= 0."""
    time, event = np.array(data[0]), np.array(data[1])
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, time.size)
    if np.unique(group).size < 2:
        group[0] = 1 - group[0] if time.size > 1 else group[0]
    if np.unique(group).size < 2:
        return
    order = rng.permutation(time.size)
    a = log_rank(time, event, group)
    b = log_rank(time[order], event[order], group[order])
    assert a.statistic >= -1e-12
    assert a.statistic == pytest.approx(b.statistic, abs=1e-9)
    assert a.observed == b.observed


@given(data=survival_data())
def test_reverse_of_reverse_is_the_original_curve(data: tuple[list[float], list[int]]) -> None:
    """Swapping events and censorings twice gives back the same table."""
    fit = kaplan_meier(*data)
    assert fit.reverse().reverse().table.equals(fit.table)


def test_result_is_frozen_and_arrays_are_read_only() -> None:
    """A KaplanMeier result cannot be changed after the fact."""
    fit = kaplan_meier([1, 2, 3], [1, 0, 1])
    assert isinstance(fit, KaplanMeier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.conf_level = 0.9  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fit.survival[0] = 0.5


def test_table_has_the_documented_columns() -> None:
    """``.table`` columns are the documented public names, in order."""
    assert list(kaplan_meier([1, 2], [1, 1]).table.columns) == [
        "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper",
    ]


def test_not_reached_median_is_none_but_its_lower_limit_can_be_reached() -> None:
    """S(t) stays at 75 %: no median and no upper limit, but the lower band falls below 50 %
    at the first event. R 4.2.2: ``print(survfit(Surv(c(5, 8, 12, 20), c(1, 0, 0, 0)) ~ 1,
    conf.type = "log-log"))`` gives median NA, 0.95LCL 5, 0.95UCL NA."""
    fit = kaplan_meier([5, 8, 12, 20], [1, 0, 0, 0])
    assert fit.median is None
    assert fit.median_ci == (5.0, None)
    assert "median NR (95 % CI 5-NR, log-log)" in fit.summary()


def test_log_rank_without_information_gives_zero_where_r_stops() -> None:
    """Both subjects at risk at the only event time die: O = E and V = 0. R's survdiff stops
    ("system is exactly singular"); we report chi-squared 0 with p = 1 (docs/statistics.md)."""
    result = log_rank([1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [0, 1, 0, 1, 1])
    assert result.statistic == 0.0
    assert result.p_value == 1.0


# R 4.2.2, survival 3.5-3:
# fit <- survfit(Surv(c(1, 2, 2, 3, 4), c(0, 1, 1, 0, 1)) ~ 1, conf.type = "log-log")
# summary(fit, times = c(0, 1.5, 4), extend = TRUE): surv 1, 1, 0; lower/upper 1, 1, NA.
LANDMARKS = [  # t, estimate, lower, upper, n_risk, why
    (0.0, 1.0, 1.0, 1.0, 5, "before the first time: 1 with limits 1, as R's summary"),
    (1.5, 1.0, None, None, 4, "after a censoring at S = 1: log-log limits undefined (NA)"),
    (2.0, 0.5, 0.0578470830, 0.8448612812, 4, "at an event time the step has already happened"),
    (4.0, 0.0, None, None, 1, "S = 0 after the last subject's event: limits undefined"),
    (9.0, 0.0, None, None, 0, "after the curve reached 0 it stays 0"),
]


@pytest.mark.parametrize(("t", "est", "low", "high", "n_risk", "why"), LANDMARKS,
                         ids=[row[5] for row in LANDMARKS])
def test_survival_at_follows_r_summary_times(
    t: float, est: float, low: float | None, high: float | None, n_risk: int, why: str
) -> None:
    """``summary(fit, times = t)`` semantics, values from the R call above."""
    fit = kaplan_meier([1, 2, 2, 3, 4], [0, 1, 1, 0, 1], conf_type="log-log")
    got = fit.survival_at(t)
    assert got.estimate == pytest.approx(est, abs=1e-7)
    assert (got.lower is None) == (low is None)
    assert (got.upper is None) == (high is None)
    if low is not None and high is not None:
        assert got.lower == pytest.approx(low, abs=1e-7)
        assert got.upper == pytest.approx(high, abs=1e-7)
    assert got.n_risk == n_risk


def test_survival_after_last_censored_time_is_not_estimable() -> None:
    """Beyond the last follow-up of a curve that has not reached 0, S(t) is unknown: None
    (R refuses such times unless ``extend = TRUE``)."""
    fit = kaplan_meier([3, 5, 7], [1, 0, 0])
    assert fit.survival_at(100).estimate is None


def test_median_follow_up_is_the_reverse_curve_median() -> None:
    """median_follow_up(t, e) is the median of the curve with events and censorings swapped."""
    t, e = [2, 4, 4, 6, 9, 11], [1, 0, 1, 0, 0, 1]
    assert median_follow_up(t, e) == kaplan_meier(t, e).reverse().quantile(0.5)


def test_stratified_log_rank_with_one_stratum_equals_unstratified() -> None:
    """``strata`` that put everyone in one stratum change nothing."""
    t = [5, 8, 8, 12, 20, 3, 9, 15, 16, 30]
    e = [1, 1, 0, 1, 0, 1, 1, 1, 0, 1]
    g = ["a"] * 5 + ["b"] * 5
    assert log_rank(t, e, g, strata=["x"] * 10).statistic == pytest.approx(
        log_rank(t, e, g).statistic, abs=1e-12
    )
    assert "stratified log-rank (1 strata)" not in log_rank(t, e, g).summary()


BAD_INPUT = [  # time, event, field, why
    ([], [], "time", "no subjects"),
    ([3, -1, 4], [1, 0, 1], "time", "a negative time"),
    ([3, math.nan, 4], [1, 0, 1], "time", "a missing time"),
    ([3, math.inf], [1, 0], "time", "an infinite time"),
    ([[1, 2], [3, 4]], [1, 0], "time", "a table instead of a list"),
    (["2026-01-01"], [1], "time", "dates instead of durations"),
    ([3, 4], [1], "event", "fewer event flags than times"),
    ([3, 4], [1, 2], "event", "an event code of 2 (R's lung coding)"),
    ([3, 4], [1, -1], "event", "a negative event code"),
    ([3, 4], [1.0, 0.5], "event", "a fractional event code"),
]


@pytest.mark.parametrize(("time", "event", "field", "why"), BAD_INPUT,
                         ids=[row[3] for row in BAD_INPUT])
def test_bad_survival_data_is_refused_with_the_field_named(
    time: object, event: object, field: str, why: str
) -> None:
    """Each problem raises StatisticsInputError naming the argument, with a hint."""
    with pytest.raises(StatisticsInputError) as info:
        kaplan_meier(time, event)
    assert info.value.field == field
    assert info.value.hint


def test_event_code_2_error_says_how_to_fix_it() -> None:
    """The message names the subject's position and the allowed codes."""
    pattern = r"position 1 has event indicator 2; .*1 \(event\)"
    with pytest.raises(StatisticsInputError, match=pattern):
        kaplan_meier([3, 4], [1, 2])


BAD_OPTIONS = [  # kwargs, field
    ({"conf_type": "logit"}, "conf_type"),
    ({"conf_level": 95}, "conf_level"),
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_OPTIONS, ids=["unknown CI type", "level in %"])
def test_bad_options_are_refused(kwargs: dict[str, object], field: str) -> None:
    """Unknown CI transforms and levels outside (0, 1) are refused before any work."""
    with pytest.raises(StatisticsInputError) as info:
        kaplan_meier([1, 2], [1, 1], **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_log_rank_needs_two_groups_and_a_label_per_subject() -> None:
    """One group, or a missing group label, is refused."""
    with pytest.raises(StatisticsInputError, match="at least two groups"):
        log_rank([1, 2, 3], [1, 1, 0], ["a", "a", "a"])
    with pytest.raises(StatisticsInputError, match="no group label"):
        log_rank([1, 2, 3], [1, 1, 0], ["a", None, "b"])
    with pytest.raises(StatisticsInputError) as info:
        log_rank([1, 2, 3], [1, 1, 0], ["a", "b"])
    assert info.value.field == "group"


def test_large_whole_number_times_are_counted_without_overflow() -> None:
    """Epoch-like integer times near 2^62 with a small spread give the same curve as the same
    times counted from zero (the counting shifts to the earliest time first)."""
    base = 2**62
    offsets = np.array([3, 1, 2, 2, 5])
    events = [1, 0, 1, 1, 0]
    shifted = kaplan_meier(base + offsets, events)
    plain = kaplan_meier(offsets, events)
    np.testing.assert_array_equal(shifted.survival, plain.survival)
    np.testing.assert_array_equal(shifted.n_risk, plain.n_risk)


# The whole-day fast path checks the data block by block while counting and hands anything
# odd to the full checks; these cases put the odd value far from the start (beyond the first
# block of 65,536 subjects and beyond the 1,024 values it looks at first).
FAR = 100_000


def _days(n: int = 2 * FAR) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(6)
    return rng.integers(1, 400, n), rng.integers(0, 2, n)


@pytest.mark.parametrize(
    ("time_value", "event_value", "field"),
    [(-3, 1, "time"), (None, 2, "event"), (None, -1, "event")],
    ids=["negative day far in", "event code 2 far in", "event code -1 far in"],
)
def test_fast_path_refuses_bad_values_far_into_the_data(
    time_value: int | None, event_value: int, field: str
) -> None:
    """A bad value at position 100,000 raises and names that position (KM and log-rank)."""
    time, event = _days()
    if time_value is not None:
        time[FAR] = time_value
    event[FAR] = event_value
    group = np.arange(time.size) % 2
    for run in (lambda: kaplan_meier(time, event), lambda: log_rank(time, event, group)):
        with pytest.raises(StatisticsInputError, match=f"position {FAR} ") as info:
            run()
        assert info.value.field == field


def test_fast_path_refuses_a_missing_float_time_far_into_the_data() -> None:
    """Whole days as floats with one NaN at position 100,000: refused, not counted."""
    time, event = _days()
    floats = time.astype(float)
    floats[FAR] = math.nan
    with pytest.raises(StatisticsInputError, match=f"position {FAR} has time nan"):
        kaplan_meier(floats, event)


def test_a_fraction_far_into_whole_days_takes_the_exact_path() -> None:
    """One time of 17.5 among whole days is kept as 17.5 (the sort path), not cut to 17."""
    time, event = _days()
    floats = time.astype(float)
    floats[FAR] = 17.5
    fit = kaplan_meier(floats, event)
    assert 17.5 in fit.time
    reference = kaplan_meier(floats + 0.25, event)  # all non-whole: the sort path throughout
    np.testing.assert_array_equal(fit.survival, reference.survival)
    np.testing.assert_array_equal(fit.time + 0.25, reference.time)


def test_integer_times_beyond_two_to_the_53_spread_widely_are_refused() -> None:
    """Whole-number times that a double cannot hold exactly, and too spread out to count
    directly, would merge distinct times on the sort path: refused with a hint."""
    with pytest.raises(StatisticsInputError, match="beyond 2\\^53"):
        kaplan_meier([1, 2**60], [1, 1])
