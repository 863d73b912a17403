"""Trial-sized synthetic cohorts over many seeds: 100 cohorts of the protocol's 22 subjects
(seeds 1-100, follow-up complete), each analysed by oncotrial.endpoints as the trial would be.

The large-cohort calibration (test_calibration.py) shows the generator hits its parameters;
this shows what a statistician sees trial by trial: the realised ORR and median PFS scatter
around the parameters as sampling error says they should.

* Pooled confirmed ORR over the 2,200 subjects: within 3.5 binomial standard errors of the
  parameter (0.04: SE 0.0042), plus 0.005 as in test_calibration.py.
* The median of the 100 Kaplan-Meier medians of PFS: within 0.15 months of the parameter (the
  scan-day granularity explained in test_calibration.py; the sampling error of the median of
  100 medians is about 0.06 months).
* The exact (Clopper-Pearson) 95 % interval of each trial's ORR contains the parameter in at
  least 90 of 100 trials (nominal 95; exact intervals are conservative: 100 of 100 seen).
* The Brookmeyer-Crowley 95 % interval of each trial's median PFS contains the parameter in
  at least 80 of 100 trials. Below nominal, and expected: progression is only seen at scans,
  so PFS times pile up on a few scan days and the interval's ends jump from one scan window to
  the next (88 of 100 seen). A test of that fact, not a flaw of the estimator.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from oncotrial.context import TrialContext
from oncotrial.endpoints import EndpointAnalysis, analyze_endpoints
from oncotrial.synth import SynthParams, generate_study

SEEDS = range(1, 101)
PARAMS = SynthParams(cutoff=date(2031, 12, 31))


@pytest.fixture(scope="module")
def trials(ctx: TrialContext) -> list[EndpointAnalysis]:
    return [analyze_endpoints(generate_study(PARAMS, seed, ctx=ctx).dataset,
                              cutoff=PARAMS.cutoff, rules=ctx.endpoint_rules)
            for seed in SEEDS]


def test_the_pooled_orr_is_the_parameter(trials: list[EndpointAnalysis]) -> None:
    x = sum(t.rate("ORR").x for t in trials)
    n = sum(t.rate("ORR").n for t in trials)
    assert n == 22 * len(SEEDS)
    se = math.sqrt(PARAMS.orr * (1 - PARAMS.orr) / n)
    assert abs(x / n - PARAMS.orr) < 3.5 * se + 0.005


def test_the_median_of_the_trials_median_pfs_is_the_parameter(
        trials: list[EndpointAnalysis]) -> None:
    medians = sorted(t.pfs.median_months for t in trials if t.pfs.median_months is not None)
    assert len(medians) == len(SEEDS)  # 22 subjects followed to the end: always reached
    middle = (medians[49] + medians[50]) / 2
    assert abs(middle - PARAMS.median_pfs_months) < 0.15


def test_the_intervals_cover_the_parameters_as_often_as_expected(
        trials: list[EndpointAnalysis]) -> None:
    orr_covered = 0
    pfs_covered = 0
    for t in trials:
        est = t.rate("ORR").estimate
        assert est is not None
        orr_covered += est.lower <= PARAMS.orr <= est.upper
        low, high = t.pfs.median_lower_months, t.pfs.median_upper_months
        pfs_covered += (low is not None and low <= PARAMS.median_pfs_months
                        and (high is None or PARAMS.median_pfs_months <= high))
    assert orr_covered >= 90
    assert pfs_covered >= 80
