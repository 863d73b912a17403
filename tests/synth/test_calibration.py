"""The realised endpoints of a large cohort, derived by oncotrial.endpoints, are the
parameters within sampling error.

One large cohort instead of many small ones (the same information for less time): 3,000
subjects, followed up to six years after accrual so that administrative censoring does not
move the medians. Tolerances, and why:

* ORR and DCR: 3.5 binomial standard errors (ORR 0.04: SE 0.0036 at n = 3,000; DCR 0.35: SE
  0.0087), plus 0.005 for what the latent model leaves out (consent withdrawals and skipped
  scans before a confirmation).
* Median OS: 0.6 months, about 3.5 standard errors of a Kaplan-Meier median of 6.5 months
  with 3,000 deaths (SE about 0.17 months for an exponential curve).
* Median PFS: 0.15 months (4.6 days). The sampling error is small, but progression is only
  seen at a scan: with the default DCR of 0.35 about 60 % of PFS events fall on the first scan
  (day 56 +/- 7), so the median lands on a scan day of that window, a few days from 2.0
  months whatever the sample size (docs/synth.md, "Efficacy").
* Share of PFS events that are deaths without progression: 0.025 (3.5 SE at about 2,900
  events).
"""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.context import TrialContext
from oncotrial.endpoints import EndpointAnalysis, analyze_endpoints
from oncotrial.synth import SynthParams, generate_study

CUTOFF = date(2031, 12, 31)


def _analysis(params: SynthParams, seed: int, ctx: TrialContext) -> EndpointAnalysis:
    study = generate_study(params, seed, ctx=ctx)
    return analyze_endpoints(study.dataset, cutoff=params.cutoff, rules=ctx.endpoint_rules)


def _rate(result: EndpointAnalysis, name: str) -> float:
    est = result.rate(name).estimate
    assert est is not None
    return est.estimate


@pytest.fixture(scope="module")
def defaults(ctx: TrialContext) -> tuple[SynthParams, EndpointAnalysis]:
    params = SynthParams(n_enrolled=3000, cutoff=CUTOFF)
    return params, _analysis(params, 20240115, ctx)


def test_orr_and_dcr_are_the_parameters(defaults: tuple[SynthParams, EndpointAnalysis],
                                        ) -> None:
    params, result = defaults
    assert abs(_rate(result, "ORR") - params.orr) < 3.5 * 0.0036 + 0.005
    assert abs(_rate(result, "DCR") - params.dcr) < 3.5 * 0.0087 + 0.005


def test_median_pfs_and_os_are_the_parameters(defaults: tuple[SynthParams, EndpointAnalysis],
                                              ) -> None:
    params, result = defaults
    assert result.pfs.median_months is not None and result.os.median_months is not None
    assert abs(result.pfs.median_months - params.median_pfs_months) < 0.15
    assert abs(result.os.median_months - params.median_os_months) < 0.6
    kinds = dict(result.pfs.events_by_kind)
    share = kinds["death"] / (kinds["death"] + kinds["progression"])
    assert abs(share - params.death_without_pd_share) < 0.025


def test_a_longer_pfs_is_reached_through_the_tail(ctx: TrialContext) -> None:
    """With DCR 0.6 most subjects pass the first scan, and a median PFS of 3.8 months (on the
    second scan's window, day 112 +/- 7) is reached by the hazard after the first scan
    (1,500 subjects: binomial tolerances as above; the median again lands on a scan day)."""
    params = SynthParams(n_enrolled=1500, cutoff=CUTOFF, median_pfs_months=3.8,
                         median_os_months=9.0, dcr=0.6, orr=0.1)
    result = _analysis(params, 7, ctx)
    assert result.pfs.median_months is not None and result.os.median_months is not None
    assert abs(result.pfs.median_months - 3.8) < 0.2
    assert abs(result.os.median_months - 9.0) < 1.0
    assert abs(_rate(result, "ORR") - 0.1) < 3.5 * 0.0077 + 0.005
    assert abs(_rate(result, "DCR") - 0.6) < 3.5 * 0.0126 + 0.005
