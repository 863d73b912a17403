"""The design report for the bundled trial's n = 22 (docs/protocol-notes.md#pn-08: no hypothesis
is imposed)."""

from __future__ import annotations

import pytest
from scipy import stats

from oncotrial.design import design_report, one_sample_logrank_power


def test_report_states_exact_intervals_and_orr_power_for_22() -> None:
    """Intervals for 0..22 responders; the ORR rule and powers agree with scipy."""
    rep = design_report(22)
    assert len(rep.intervals) == 23
    # 0/22: upper limit 1 - 0.025 ** (1 / 22) = 15.4 % (Clopper & Pearson 1934)
    assert round(100 * rep.intervals[0].upper, 1) == 15.4
    assert rep.conf_level == 0.95
    assert rep.orr.min_responses == 4
    for point in rep.orr.points:
        assert point.power == pytest.approx(stats.binom.sf(3, 22, point.true_rate), abs=1e-12)


def test_report_pfs_power_is_the_one_sample_logrank_power() -> None:
    """Each PFS row equals one_sample_logrank_power for its hazard ratio; medians at or below
    the historical median are left out."""
    rep = design_report(22, pfs_medians_months=(1.5, 1.8, 3.6))
    assert [p.median_months for p in rep.pfs] == [3.6]
    ref = one_sample_logrank_power(22, 1.8, 0.5, accrual_time=12, follow_up_time=6)
    assert rep.pfs[0].power == pytest.approx(ref.power)
    assert rep.pfs[0].hazard_ratio == pytest.approx(0.5)


def test_report_plot_series_and_summary() -> None:
    """The plot data has one point per scenario, and the text names PN-08."""
    rep = design_report(22)
    series = rep.plot_series()
    assert len(series["orr_power"]) == len(rep.orr.points)
    assert len(series["pfs_power"]) == len(rep.pfs)
    text = rep.summary()
    assert "PN-08" in text and "Clopper-Pearson" in text and "log-rank" in text
