"""Results of oncotrial.design are plain data (issue 10): every result type goes JSON -> object
-> JSON to the same text through oncotrial.records.to_json / from_json, and through pickle."""

from __future__ import annotations

import pickle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.design import (
    AdmissibleDesign,
    BetaPrior,
    Bop2Design,
    Boundary,
    BoundaryTable,
    DesignInputError,
    DesignNotFoundError,
    DesignReport,
    ExactInterval,
    LogrankDesign,
    MonitoringPlan,
    PfsPowerPoint,
    PowerPoint,
    Scenario,
    SimonDesign,
    SimonResult,
    SimulationResult,
    SingleStageDesign,
    SingleStagePower,
    bop2_design,
    design_report,
    exact_intervals,
    futility_boundaries,
    one_sample_logrank_power,
    simon_design_properties,
    simon_two_stage,
    simulate_trials,
    single_stage_binomial,
    single_stage_power,
    toxicity_boundaries,
)
from oncotrial.errors import InputError
from oncotrial.records import from_json, to_json

RATES = st.floats(0.01, 0.6)


def _round_trips(obj: Any, cls: type[Any]) -> None:
    assert isinstance(obj, cls)
    text = to_json(obj)
    back = from_json(cls, text)
    assert to_json(back) == text
    assert back == obj
    assert pickle.loads(pickle.dumps(obj)) == obj


@given(n=st.integers(1, 80), p0=st.floats(0.01, 0.5), level=st.sampled_from([0.9, 0.95]),
       data=st.data())
def test_binomial_results_round_trip(n: int, p0: float, level: float, data: st.DataObject) -> None:
    """ExactInterval, SingleStagePower and its PowerPoint rows."""
    x = data.draw(st.integers(0, n))
    _round_trips(exact_intervals(n, conf_level=level)[x], ExactInterval)
    try:
        power = single_stage_power(n, p0, 0.1, true_rates=(p0, min(0.99, p0 + 0.2)))
    except DesignNotFoundError:  # no test reaches significance for this n: nothing to store
        return
    _round_trips(power, SingleStagePower)
    _round_trips(power.points[0], PowerPoint)


def test_single_stage_and_simon_designs_round_trip() -> None:
    """SingleStageDesign (A'Hern 2001), SimonResult, SimonDesign and AdmissibleDesign (Simon
    1989 Table 1, p0 0.05 against p1 0.25)."""
    _round_trips(single_stage_binomial(0.05, 0.25, 0.05, 0.2), SingleStageDesign)
    simon = simon_two_stage(0.05, 0.25, 0.05, 0.2)
    _round_trips(simon, SimonResult)
    _round_trips(simon.optimal, SimonDesign)
    _round_trips(simon.admissible[0], AdmissibleDesign)


@settings(max_examples=20)
@given(r1=st.integers(0, 3), n1=st.integers(5, 15), extra=st.integers(1, 20), p0=RATES)
def test_simon_properties_round_trip(r1: int, n1: int, extra: int, p0: float) -> None:
    """SimonDesign for any rule."""
    n = n1 + extra
    _round_trips(simon_design_properties(r1, n1, r1 + 2, n, p0, min(0.95, p0 + 0.2)),
                 SimonDesign)


@settings(max_examples=20)
@given(n=st.integers(5, 60), hr=st.floats(0.3, 0.9), shape=st.floats(0.5, 2.0))
def test_logrank_design_round_trips(n: int, hr: float, shape: float) -> None:
    """LogrankDesign (one-sample log-rank, Wu 2015)."""
    _round_trips(one_sample_logrank_power(n, 1.8, hr, accrual_time=12, follow_up_time=6,
                                          shape=shape), LogrankDesign)


@given(p0=RATES, looks=st.lists(st.integers(1, 30), min_size=1, max_size=4, unique=True),
       a=st.floats(0.1, 3), b=st.floats(0.1, 3))
def test_boundary_tables_round_trip(p0: float, looks: list[int], a: float, b: float) -> None:
    """BoundaryTable, Boundary and BetaPrior (Thall & Simon 1994)."""
    prior = BetaPrior(a, b)
    _round_trips(prior, BetaPrior)
    futility = futility_boundaries(p0, looks=looks, prior=prior)
    _round_trips(futility, BoundaryTable)
    _round_trips(futility.boundaries[0], Boundary)
    _round_trips(toxicity_boundaries(p0, looks=looks, prior=prior), BoundaryTable)


def test_bop2_design_round_trips() -> None:
    """Bop2Design with and without toxicity (Zhou, Lee & Yuan 2017)."""
    _round_trips(bop2_design(null_response=0.05, alt_response=0.25, looks=[10, 16, 22]),
                 Bop2Design)
    _round_trips(bop2_design(null_response=0.2, alt_response=0.4, looks=[10, 20, 30],
                             null_toxicity=0.3, alt_toxicity=0.15), Bop2Design)


@settings(max_examples=10)
@given(orr=st.floats(0, 0.6), seed=st.integers(0, 1000))
def test_simulation_inputs_and_results_round_trip(orr: float, seed: int) -> None:
    """Scenario, MonitoringPlan and SimulationResult."""
    scenario = Scenario(orr, 0.1, median_pfs_months=3.0)
    plan = MonitoringPlan(n_max=22, success_min_responses=4,
                          toxicity=toxicity_boundaries(0.2, looks=[10, 22]), pfs_null_median=1.8)
    _round_trips(scenario, Scenario)
    _round_trips(plan, MonitoringPlan)
    _round_trips(simulate_trials(scenario, plan, n_trials=200, seed=seed), SimulationResult)


@settings(max_examples=5)
@given(n=st.integers(10, 40), level=st.sampled_from([0.9, 0.95]))
def test_design_report_round_trips(n: int, level: float) -> None:
    """DesignReport and its PfsPowerPoint rows; conf_level is carried as such."""
    report = design_report(n, conf_level=level)
    _round_trips(report, DesignReport)
    _round_trips(report.pfs[0], PfsPowerPoint)
    assert from_json(DesignReport, to_json(report)).conf_level == level


def test_design_input_error_is_an_input_error_and_a_value_error() -> None:
    """One error tree (issue 10): DesignInputError is an InputError, hence a ValueError."""
    assert issubclass(DesignInputError, InputError) and issubclass(DesignInputError, ValueError)
