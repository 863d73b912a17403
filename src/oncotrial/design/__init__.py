"""Trial design and interim monitoring for a single-arm trial: what n patients can show.

Pure functions of numbers (numpy and scipy only; no files, clock or settings):

* :mod:`~oncotrial.design.binomial`  single-stage exact binomial design (A'Hern 2001), power
  of a fixed n, minimum detectable rate, exact Clopper & Pearson (1934) intervals (computed
  by :func:`oncotrial.stats.clopper_pearson`, the project's one implementation);
* :mod:`~oncotrial.design.simon`     Simon (1989) optimal and minimax two-stage designs and the
  admissible designs of Jung et al. (2004), by exact enumeration;
* :mod:`~oncotrial.design.survival`  one-sample log-rank test sizing and power (Finkelstein et
  al. 2003; Wu 2015) under exponential or Weibull survival with accrual and follow-up;
* :mod:`~oncotrial.design.bayes`     beta-binomial posterior stopping boundaries for efficacy
  and toxicity (Thall & Simon 1994) and predictive probability (Lee & Liu 2008);
* :mod:`~oncotrial.design.bop2`      BOP2-style joint futility and toxicity rules (Zhou, Lee &
  Yuan 2017), calibrated exactly;
* :mod:`~oncotrial.design.simulate`  vectorised, seeded simulation of a monitored trial;
* :mod:`~oncotrial.design.report`    the design report for a planned n (the bundled trial: 22).

Results are frozen dataclasses of numbers, strings and tuples with a ``summary()``: plain data
that :func:`oncotrial.records.to_json` / :func:`oncotrial.records.from_json` carry to JSON and
back. ``alpha`` is always a test's significance level; a confidence level is ``conf_level``.
Bad arguments raise :class:`DesignInputError` (an :class:`oncotrial.errors.InputError`, so also
a ValueError), and an impossible search raises :class:`DesignNotFoundError`.
"""

from __future__ import annotations

from oncotrial.design.bayes import (
    BetaPrior,
    Boundary,
    BoundaryTable,
    futility_boundaries,
    posterior_probability_above,
    predictive_boundaries,
    predictive_probability,
    toxicity_boundaries,
)
from oncotrial.design.binomial import (
    ExactInterval,
    PowerPoint,
    SingleStageDesign,
    SingleStagePower,
    exact_intervals,
    minimum_detectable_rate,
    single_stage_binomial,
    single_stage_power,
)
from oncotrial.design.bop2 import Bop2Design, bop2_design
from oncotrial.design.errors import DesignInputError, DesignNotFoundError
from oncotrial.design.report import DesignReport, PfsPowerPoint, design_report
from oncotrial.design.simon import (
    AdmissibleDesign,
    SimonDesign,
    SimonResult,
    simon_design_properties,
    simon_two_stage,
)
from oncotrial.design.simulate import MonitoringPlan, Scenario, SimulationResult, simulate_trials
from oncotrial.design.survival import (
    LogrankDesign,
    hazard_ratio_from_medians,
    one_sample_logrank_n,
    one_sample_logrank_power,
)

__all__ = [
    "AdmissibleDesign",
    "BetaPrior",
    "Bop2Design",
    "Boundary",
    "BoundaryTable",
    "DesignInputError",
    "DesignNotFoundError",
    "DesignReport",
    "ExactInterval",
    "LogrankDesign",
    "MonitoringPlan",
    "PfsPowerPoint",
    "PowerPoint",
    "Scenario",
    "SimonDesign",
    "SimonResult",
    "SimulationResult",
    "SingleStageDesign",
    "SingleStagePower",
    "bop2_design",
    "design_report",
    "exact_intervals",
    "futility_boundaries",
    "hazard_ratio_from_medians",
    "minimum_detectable_rate",
    "one_sample_logrank_n",
    "one_sample_logrank_power",
    "posterior_probability_above",
    "predictive_boundaries",
    "predictive_probability",
    "simon_design_properties",
    "simon_two_stage",
    "simulate_trials",
    "single_stage_binomial",
    "single_stage_power",
    "toxicity_boundaries",
]
