"""The public surface of oncotrial.stats: names, frozen results and readable summaries.

Numbers in the expected summaries come from R 4.2.2, survival 3.5-3, on the ``aml``
maintained arm: ``fit <- survfit(Surv(time, status) ~ 1, data = aml, subset = x ==
"Maintained", conf.type = "log-log")``; ``print(fit)``: median 31, 0.95LCL 13, 0.95UCL NA;
``quantile(fit)``: 25 % 18, 75 % 48; ``print(fit, rmean = 100)``: rmean 41.4, se(rmean)
10.8; and ``survdiff(Surv(time, status) ~ x, data = aml)``: chisq 3.4 on 1 df, p = 0.07,
observed 7 and 11, expected 10.69 and 7.31.
"""

from __future__ import annotations

import dataclasses

import pytest

import oncotrial.stats as stats
from oncotrial.errors import InputError

AML_WEEKS = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43,
             45]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
AML_ARM = ["Maintained"] * 11 + ["Nonmaintained"] * 12


def test_public_names_are_sorted_and_importable() -> None:
    """``__all__`` is sorted and every name in it exists (the documented entry points)."""
    assert stats.__all__ == sorted(stats.__all__)
    for name in stats.__all__:
        assert hasattr(stats, name), name
    for entry in ("kaplan_meier", "log_rank", "clopper_pearson", "median_follow_up"):
        assert entry in stats.__all__


def test_statistics_input_error_is_an_input_error() -> None:
    """Callers that catch InputError (the CLI, the web layer) also catch ours."""
    assert issubclass(stats.StatisticsInputError, InputError)
    assert issubclass(stats.StatisticsInputError, ValueError)  # pydantic field errors in the API


def test_kaplan_meier_summary_reads_like_r_print() -> None:
    """Subjects, events, median with CI (NR where not reached) and quartiles, as R prints."""
    fit = stats.kaplan_meier(AML_WEEKS[:11], AML_STATUS[:11])
    assert fit.summary() == (
        "Kaplan-Meier: 11 subjects, 7 events, 4 censored\n"
        "  median 31 (95 % CI 13-NR, log-log)\n"
        "  quartiles: 25 % 18, 75 % 48"
    )


def test_quantile_and_landmark_summaries() -> None:
    """Each small result has a one-line summary."""
    fit = stats.kaplan_meier(AML_WEEKS[:11], AML_STATUS[:11])
    assert fit.quantile(0.5).summary() == "median 31 (95 % CI 13-NR, log-log)"
    assert fit.quantile(0.25).summary().startswith("25th percentile 18 (95 % CI 9-34")
    assert fit.survival_at(24).summary() == "S(24) = 61.4 % (CI 26.6 %-83.5 %), 6 at risk"
    rm = fit.restricted_mean(100)
    assert rm.summary().startswith("restricted mean up to 100: 41.42 (SE 10.83;")


def test_log_rank_summary_shows_observed_expected_and_the_test() -> None:
    """The table of observed and expected events, then chi-squared, df and p."""
    text = stats.log_rank(AML_WEEKS, AML_STATUS, AML_ARM).summary()
    assert text.splitlines() == [
        "group                N   observed   expected",
        "Maintained          11          7      10.69",
        "Nonmaintained       12         11       7.31",
        "log-rank: chi-squared = 3.396 on 1 df, p = 0.06534",
    ]


def test_every_result_is_a_frozen_dataclass() -> None:
    """Results cannot be changed after they are returned."""
    fit = stats.kaplan_meier(AML_WEEKS, AML_STATUS)
    results = [
        fit,
        fit.quantile(0.5),
        fit.survival_at(10),
        fit.restricted_mean(50),
        stats.log_rank(AML_WEEKS, AML_STATUS, AML_ARM),
        stats.estimate_proportion(3, 22),
        stats.binomial_test(3, 22, 0.05),
    ]
    for result in results:
        assert dataclasses.is_dataclass(result)
        field = dataclasses.fields(result)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field, None)
