"""evaluate(): reasons with numbers, input errors, and the RECIST 1.1 invariants as properties.

Rules: RECIST 1.1 (Eisenhauer 2009) sections 4.3-4.4 as specified in recist11.md sections 3-7.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import ConfigurationError, InputError
from oncotrial.recist import (
    Assessment,
    Lesion,
    MeasurementState,
    Response,
    TargetMeasurement,
    evaluate,
    get_criteria,
)

BASE = dt.date(2025, 1, 1)


def day(n: int) -> dt.date:
    return BASE + dt.timedelta(days=n)


TWO = [Lesion("T1", "liver", 40.0, BASE), Lesion("T2", "lung", 20.0, BASE)]


def test_reason_quotes_sum_percent_and_nadir() -> None:
    """Issue 4: 'PD: sum 58 mm is 23 % and 11 mm above the nadir of 47 mm' (here 23.4 %)."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 30.0, "T2": 17.0}),
                        Assessment(day(112), {"T1": 38.0, "T2": 20.0})])
    assert ev.timepoints[1].reason == "PD: sum 58 mm is 23.4 % and 11 mm above the nadir of 47 mm."
    assert ev.timepoints[0].reason == (
        "SD: sum 47 mm is 21.7 % below the baseline of 60 mm and not above the nadir of 60 mm: "
        "neither PR nor PD.")


def test_reason_for_pr_and_for_partial_pd() -> None:
    """PR quotes the decrease from baseline; PD from a subset names the missing target."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 20.0, "T2": 10.0}),
                        Assessment(day(112), {"T1": 40.0})])
    assert ev.timepoints[0].reason == "PR: sum 30 mm is 50 % below the baseline of 60 mm."
    assert ev.timepoints[1].reason == (
        "PD: the evaluated targets alone sum to 40 mm, 33.3 % and 10 mm above the nadir of "
        "30 mm (T2 not evaluated).")


def test_reason_for_new_lesion_and_final_pd() -> None:
    """A new lesion is named; after PD each time point says PD is final and what it reads."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 30.0, "T2": 15.0}, new_lesions={"N1": True}),
                        Assessment(day(112), {"T1": 20.0, "T2": 10.0})])
    assert ev.timepoints[0].reason == "PD: new lesion N1."
    assert ev.timepoints[1].reason == (
        "PD: progression was documented on 2025-02-26 and PD is final (this assessment reads PR).")
    assert ev.progression_date == day(56)


def test_changes_from_baseline_and_nadir() -> None:
    """Change from baseline and from the nadir, in mm and %, and the nadir before the visit."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 30.0, "T2": 15.0}),
                        Assessment(day(112), {"T1": 33.0, "T2": 15.0})])
    tp = ev.timepoints[1]
    assert (tp.sum_mm, tp.nadir_mm, tp.change_from_baseline_mm, tp.change_from_nadir_mm) == (
        48.0, 45.0, -12.0, 3.0)
    assert tp.change_from_baseline_pct == pytest.approx(-20.0)
    assert tp.change_from_nadir_pct == pytest.approx(100 * 3 / 45)


def test_states_and_target_measurements_are_read() -> None:
    """Enum states, their names in any case and TargetMeasurement records all work."""
    not_seen = TargetMeasurement(state=MeasurementState.NOT_EVALUATED)
    ev = evaluate(TWO, [
        Assessment(day(56), {"T1": MeasurementState.TOO_SMALL, "T2": "disappeared"}),
        Assessment(day(112), {"T1": not_seen, "T2": 0}),
    ])
    assert ev.timepoints[0].sum_mm == 5.0
    assert ev.timepoints[1].overall is Response.NE and ev.timepoints[1].not_evaluated == ("T1",)


def test_summary_lists_every_time_point() -> None:
    """summary(): a header with the baseline sum, then one line per time point."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 20.0, "T2": 10.0})])
    assert ev.summary().splitlines() == [
        "RECIST 1.1: baseline sum 60 mm",
        "2025-02-26  PR             PR: sum 30 mm is 50 % below the baseline of 60 mm.",
    ]


def test_best_overall_response_from_evaluation() -> None:
    """Evaluation.best_overall_response passes the time points and keywords through."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 20.0, "T2": 10.0}),
                        Assessment(day(84), {"T1": 20.0, "T2": 10.0})])
    assert ev.best_overall_response(origin=day(7)).response is Response.PR
    assert ev.best_overall_response(origin=day(7), confirm_min_days=29).response is Response.SD


def test_custom_criteria_add_the_5_mm_rule_to_mrecist() -> None:
    """mrecist_hcc.md 3: a SAP may add the 5 mm rule to mRECIST through Criteria."""
    strict = dataclasses.replace(get_criteria("mRECIST"), pd_abs_mm=5.0)
    base = [Lesion("T1", "liver", 20.0, BASE, typical_hcc=True)]
    visits = [Assessment(day(56), {"T1": 12.0}), Assessment(day(112), {"T1": 15.0})]
    assert evaluate(base, visits, "mRECIST").timepoints[1].overall is Response.PD
    assert evaluate(base, visits, strict).timepoints[1].overall is Response.SD


@pytest.mark.parametrize(
    ("lesions", "visits", "fragment"),
    [
        (TWO, [Assessment(day(56), {"T3": 4.0})], "'T3', which is not a baseline target"),
        (TWO, [Assessment(day(56), {"T1": -2.0})], "T1 measures -2.0 mm"),
        (TWO, [Assessment(day(56), {"T1": "gone?"})], "T1 is recorded as 'gone?'"),
        (TWO, [Assessment(day(56), {"T1": True})], "T1 is recorded as True"),
        (TWO, [Assessment(day(0), {"T1": 2.0})], "on or before the baseline imaging"),
        (TWO, [Assessment(day(56), {}), Assessment(day(56), {})], "on or before another"),
        ([*TWO, Lesion("T1", "bone", 12.0, BASE)], [], "T1 is used for two baseline lesions"),
        ([Lesion("T1", "liver", None, BASE)], [], "Target lesion T1 has baseline diameter None"),
        ([], [], "No baseline lesions were given"),
        (TWO, [Assessment(day(56), {"T1": TargetMeasurement(merged_into="T9")})],
         "merged into 'T9'"),
        (TWO, [Assessment(day(56), {}, {"NT1": "PRESENT"})], "'NT1', which is not a baseline"),
    ],
    ids=["unknown target", "negative diameter", "unknown state", "boolean value",
         "assessment on baseline day", "two assessments one day", "duplicate id",
         "target without diameter", "no lesions", "merged into unknown", "unknown non-target"],
)
def test_bad_input_is_refused(lesions: list[Lesion], visits: list[Assessment],
                              fragment: str) -> None:
    """InputError says what was wrong and with which value (STYLE.md section 3)."""
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        evaluate(lesions, visits)


def test_unknown_criteria_is_a_configuration_error() -> None:
    """Only RECIST 1.1 and mRECIST exist."""
    with pytest.raises(ConfigurationError, match="'iRECIST' are not known"):
        evaluate(TWO, [], "iRECIST")


# --- Properties -----------------------------------------------------------------------------

values = st.one_of(
    st.floats(0.0, 120.0, allow_nan=False).map(lambda x: round(x, 1)),
    st.sampled_from(["TOO_SMALL", "DISAPPEARED", "NOT_EVALUATED"]),
)


@st.composite
def subjects(draw: st.DrawFn) -> tuple[list[Lesion], list[Assessment]]:
    """1-5 targets (some nodal), 0-2 non-targets, up to 6 visits with random findings."""
    n_t = draw(st.integers(1, 5))
    lesions = [Lesion(f"T{k}", f"organ{k}", draw(st.floats(10.0, 80.0).map(lambda x: round(x, 1))),
                      BASE, nodal=draw(st.booleans())) for k in range(n_t)]
    lesions = [dataclasses.replace(les, diameter_mm=max(les.diameter_mm or 0.0, 15.0))
               if les.nodal else les for les in lesions]
    n_nt = draw(st.integers(0, 2))
    lesions += [Lesion(f"NT{k}", "bone", None, BASE, target=False) for k in range(n_nt)]
    visits = []
    for v in range(draw(st.integers(1, 6))):
        targets = {f"T{k}": draw(values) for k in range(n_t)}  # NOT_EVALUATED = left out
        nts = {f"NT{k}": draw(st.sampled_from(["PRESENT", "ABSENT", "PROGRESSION",
                                                "NOT_EVALUATED"]))
               for k in range(n_nt)}
        new = draw(st.sampled_from(["NO", "NO", "NO", "EQUIVOCAL", "YES"]))
        visits.append(Assessment(day(42 * (v + 1)), targets, nts, new))
    return lesions, visits


@given(subjects())
def test_sum_is_never_negative(subject: tuple[list[Lesion], list[Assessment]]) -> None:
    """A sum of diameters is never negative (STYLE.md invariants)."""
    ev = evaluate(*subject)
    assert all(tp.sum_mm is None or tp.sum_mm >= 0 for tp in ev.timepoints)


@given(subjects())
def test_once_pd_always_pd(subject: tuple[list[Lesion], list[Assessment]]) -> None:
    """PD is final: after the first PD every time point is PD with the same PD date."""
    ev = evaluate(*subject)
    seen = None
    for tp in ev.timepoints:
        if seen is not None:
            assert tp.overall is Response.PD and tp.progression_date == seen
        if tp.overall is Response.PD and seen is None:
            seen = tp.progression_date
    assert ev.progression_date == seen


@given(subjects(), st.randoms())
def test_relabelling_lesion_ids_changes_nothing(
    subject: tuple[list[Lesion], list[Assessment]], rnd: object
) -> None:
    """Lesion ids are labels: renaming them (and listing lesions in another order) changes no
    sum or response."""
    lesions, visits = subject
    names = {les.lesion_id: f"L{k:02d}" for k, les in enumerate(reversed(lesions))}
    lesions2 = [dataclasses.replace(les, lesion_id=names[les.lesion_id]) for les in lesions]
    visits2 = [Assessment(v.assessed_on, {names[k]: x for k, x in v.targets.items()},
                          {names[k]: x for k, x in v.non_targets.items()}, v.new_lesions)
               for v in visits]
    a, b = evaluate(lesions, visits), evaluate(list(reversed(lesions2)), visits2)
    strip = [(tp.sum_mm, tp.overall, tp.target, tp.non_target, tp.progression_date)
             for tp in a.timepoints]
    assert strip == [(tp.sum_mm, tp.overall, tp.target, tp.non_target, tp.progression_date)
                     for tp in b.timepoints]


@given(subjects())
def test_adding_a_not_evaluated_lesion_never_improves_pd(
    subject: tuple[list[Lesion], list[Assessment]]
) -> None:
    """A non-target lesion that is never evaluated cannot turn PD into a better response,
    nor make any time point better ranked."""
    lesions, visits = subject
    more = [*lesions, Lesion("NTX", "brain", None, BASE, target=False)]
    a, b = evaluate(lesions, visits), evaluate(more, visits)
    for before, after in zip(a.timepoints, b.timepoints, strict=True):
        if before.overall is Response.PD:
            assert after.overall is Response.PD
        assert after.overall.rank <= before.overall.rank or before.overall is Response.NE


@given(subjects())
def test_reason_always_renders_and_names_the_response(
    subject: tuple[list[Lesion], list[Assessment]]
) -> None:
    """Every time point has a one-sentence reason starting with its overall response."""
    for tp in evaluate(*subject).timepoints:
        assert tp.reason.startswith(tp.overall.value) and tp.reason.endswith(".")
