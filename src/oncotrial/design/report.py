"""What a fixed sample size can show: the design report for a single-arm trial.

The registry gives n = 22 with no hypothesis (``docs/protocol-notes.md#pn-08``), so the report
does not pick one. It states, for the planned n:

* the exact (Clopper & Pearson 1934) interval at ``conf_level`` and its half-width for every
  possible count;
* the exact single-stage binomial test of H0 ORR <= ``p0``: the number of responses needed,
  its exact alpha and the power across true ORRs, with the minimum detectable ORR;
* the power of the one-sample log-rank test (Wu 2015) of PFS against a historical median,
  across true medians, for the stated accrual and follow-up.

The default scenarios come from the placebo arms of later-line HCC trials, which had ORR 0-4 %
and median PFS 1.5-1.9 months (RESORCE, Bruix et al. Lancet 2017;389:56-66; CELESTIAL,
Abou-Alfa et al. N Engl J Med 2018;379:54-63; REACH-2, Zhu et al. Lancet Oncol
2019;20:282-296). They are planning assumptions, not claims.
The report holds the data behind its plot (:meth:`DesignReport.plot_series`); drawing is left
to the shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oncotrial.design.binomial import (
    ExactInterval,
    SingleStagePower,
    exact_intervals,
    single_stage_power,
)
from oncotrial.design.errors import check_count, check_positive, check_rate
from oncotrial.design.survival import hazard_ratio_from_medians, one_sample_logrank_power

__all__ = ["DesignReport", "PfsPowerPoint", "design_report"]


@dataclass(frozen=True, slots=True)
class PfsPowerPoint:
    """Power of the one-sample log-rank test at one true median PFS (months)."""

    median_months: float
    hazard_ratio: float
    power: float
    expected_events: float


@dataclass(frozen=True, slots=True)
class DesignReport:
    """Everything :func:`design_report` computed, ready to print or plot."""

    n: int
    alpha: float
    conf_level: float
    intervals: tuple[ExactInterval, ...]
    orr: SingleStagePower
    pfs_null_median_months: float
    pfs_shape: float
    accrual_months: float
    follow_up_months: float
    pfs: tuple[PfsPowerPoint, ...]

    def plot_series(self) -> dict[str, list[tuple[float, float]]]:
        """The data behind the report's two power curves: (true value, power) pairs."""
        return {
            "orr_power": [(p.true_rate, p.power) for p in self.orr.points],
            "pfs_power": [(p.median_months, p.power) for p in self.pfs],
        }

    def summary(self) -> str:
        """The report as plain text."""
        widest = max(self.intervals, key=lambda ci: ci.half_width)
        lines = [
            f"What n = {self.n} can show (planning scenarios, not efficacy claims; protocol "
            "note PN-08)",
            "",
            f"Exact {self.conf_level:.0%} intervals (Clopper-Pearson): half-widths up to "
            f"{widest.half_width:.1%} (at {widest.responders}/{self.n}).",
            "responders  rate     interval          half-width",
        ]
        for ci in self.intervals:
            lines.append(
                f"{ci.responders:10d}  {ci.estimate:6.1%}  {ci.lower:6.1%} - {ci.upper:6.1%}"
                f"   {ci.half_width:6.1%}"
            )
        lines += ["", self.orr.summary(), ""]
        lines.append(
            f"One-sample log-rank test of PFS against a historical median of "
            f"{self.pfs_null_median_months:g} months (Weibull shape {self.pfs_shape:g}), "
            f"accrual {self.accrual_months:g} months, follow-up {self.follow_up_months:g} "
            f"months, one-sided alpha {self.alpha:g}:"
        )
        lines.append("true median  hazard ratio  events  power")
        for p in self.pfs:
            lines.append(
                f"{p.median_months:11.1f}  {p.hazard_ratio:12.3f}  {p.expected_events:6.1f}"
                f"  {p.power:.3f}"
            )
        return "\n".join(lines)


def design_report(
    n: int,
    *,
    alpha: float = 0.05,
    conf_level: float = 0.95,
    orr_null: float = 0.05,
    orr_grid: Sequence[float] = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40),
    target_power: float = 0.8,
    pfs_null_median_months: float = 1.8,
    pfs_medians_months: Sequence[float] = (2.5, 3.0, 3.5, 4.0, 5.0, 6.0),
    pfs_shape: float = 1.0,
    accrual_months: float = 12.0,
    follow_up_months: float = 6.0,
) -> DesignReport:
    """Build the design report for a single-arm trial of ``n`` patients (the trial's planned
    enrolment: there is no default trial; the CLI reads it from the protocol).

    ``alpha`` is the one-sided significance level of the tests; ``conf_level`` the confidence
    level of the intervals. Rules: see the module docstring. Medians at or below the
    historical median are skipped (the one-sided test has no power there by construction).

    Raises:
        DesignInputError: a rate, count or time is out of range.

    Example, the bundled trial (22 patients) with the default scenarios:

    >>> rep = design_report(22)
    >>> rep.orr.min_responses, round(rep.intervals[1].upper, 3)
    (4, 0.228)
    >>> [round(p.power, 2) for p in rep.pfs][:2]
    [0.45, 0.71]
    """
    n = check_count("n", n, maximum=100000)
    alpha = check_rate("alpha", alpha)
    conf_level = check_rate("conf_level", conf_level)
    null = check_positive("pfs_null_median_months", pfs_null_median_months, unit="months")
    orr = single_stage_power(n, orr_null, alpha, true_rates=orr_grid, target_power=target_power)
    pfs = []
    for median in pfs_medians_months:
        median = check_positive("true median PFS", median, unit="months")
        if median <= null:
            continue
        hr = hazard_ratio_from_medians(null, median, shape=pfs_shape)
        d = one_sample_logrank_power(
            n, null, hr, accrual_time=accrual_months, follow_up_time=follow_up_months,
            alpha=alpha, shape=pfs_shape,
        )
        pfs.append(PfsPowerPoint(median, hr, d.power, d.expected_events))
    return DesignReport(
        n=n,
        alpha=alpha,
        conf_level=conf_level,
        intervals=exact_intervals(n, conf_level=conf_level),
        orr=orr,
        pfs_null_median_months=null,
        pfs_shape=pfs_shape,
        accrual_months=accrual_months,
        follow_up_months=follow_up_months,
        pfs=tuple(pfs),
    )
