"""evaluate(): codes, facts and reasons with numbers, input errors, and the RECIST 1.1
invariants as properties.

Rules: RECIST 1.1 (Eisenhauer et al. 2009) sections 4.3-4.4 with the 2016 clarification
(Schwartz et al. 2016); mRECIST (Lencioni & Llovet 2010); docs/recist.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import InputError, UnknownTermError
from oncotrial.recist import (
    Assessment,
    Evaluation,
    Lesion,
    MeasurementState,
    Response,
    TargetMeasurement,
    TimepointResponse,
    evaluate,
    get_criteria,
    target_response,
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
    assert ev.timepoints[1].code == "recist.timepoint.pd.sum_increase"
    assert {k: ev.timepoints[1].facts[k] for k in ("sum_mm", "nadir_mm", "change_from_nadir_mm",
                                                   "pd_rel", "pd_abs_mm")} == {
        "sum_mm": 58.0, "nadir_mm": 47.0, "change_from_nadir_mm": 11.0, "pd_rel": 0.2,
        "pd_abs_mm": 5.0}
    assert ev.timepoints[0].code == "recist.timepoint.sd"
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
    assert [tp.code for tp in ev.timepoints] == [
        "recist.timepoint.pr", "recist.timepoint.pd.sum_increase_partial"]
    assert ev.timepoints[1].facts["lesion_ids"] == "T2"


def test_reason_for_new_lesion_and_final_pd() -> None:
    """A new lesion is named; after PD each time point says PD is final and what it reads."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 30.0, "T2": 15.0}, new_lesions={"N1": True}),
                        Assessment(day(112), {"T1": 20.0, "T2": 10.0})])
    assert ev.timepoints[0].reason == "PD: new lesion N1."
    assert ev.timepoints[1].reason == (
        "PD: progression was documented on 2025-02-26 and PD is final (this assessment reads PR).")
    assert [tp.code for tp in ev.timepoints] == [
        "recist.timepoint.pd.new_lesion", "recist.timepoint.pd.final"]
    assert ev.timepoints[0].facts["lesion_ids"] == "N1"
    assert ev.timepoints[1].facts["progression_on"] == day(56)
    assert ev.progression_on == ev.progression_date == day(56)
    assert (ev.code, ev.facts["progression_on"]) == ("recist.evaluation.pd", day(56))


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
    assert ev.best_overall_response(origin=day(7), sd_min_days=42).response is Response.PR
    assert ev.best_overall_response(origin=day(7), sd_min_days=42,
                                    confirm_min_days=29).response is Response.SD


def test_custom_criteria_add_the_5_mm_rule_to_mrecist() -> None:
    """mRECIST as published (Lencioni & Llovet 2010) has no 5 mm rule; a SAP may add it
    through Criteria."""
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
    """InputError says what was wrong and with which value (docs/architecture.md)."""
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        evaluate(lesions, visits)


def test_unknown_criteria_is_an_unknown_term() -> None:
    """Only RECIST 1.1 and mRECIST exist; another name is an unknown term (an InputError and
    a LookupError), not a configuration error: criteria are not an ONCOTRIAL_* setting."""
    with pytest.raises(UnknownTermError, match="'iRECIST' are not known") as caught:
        evaluate(TWO, [], "iRECIST")
    assert caught.value.field == "response_criteria"
    assert caught.value.suggestions == ("RECIST 1.1", "mRECIST")
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, InputError)


def test_evaluation_result() -> None:
    """The subject's evaluation has a code, facts and a reason of its own."""
    ev = evaluate(TWO, [Assessment(day(56), {"T1": 20.0, "T2": 10.0}),
                        Assessment(day(112), {"T1": 22.0, "T2": 10.0})])
    assert ev.code == "recist.evaluation.no_pd" and ev.progression_on is None
    assert ev.reason == (
        "RECIST 1.1: baseline sum 60 mm on 2025-01-01; 2 assessments to 2025-04-23; no PD.")
    assert (ev.facts["nadir_mm"], ev.facts["best_change_from_baseline_pct"]) == (30.0, -50.0)
    empty = evaluate(TWO, [])
    assert (empty.code, empty.timepoints) == ("recist.evaluation.no_assessment", ())


@pytest.mark.parametrize(
    ("visits", "code"),
    [
        ([{"T1": 0.0, "T2": 0.0}], "recist.timepoint.cr"),
        ([{"T1": 20.0, "T2": 10.0}], "recist.timepoint.pr"),
        ([{"T1": 38.0, "T2": 20.0}], "recist.timepoint.sd"),
        ([{"T1": 38.0}], "recist.timepoint.ne.targets_missing"),
        ([{"T1": 60.0, "T2": 20.0}], "recist.timepoint.pd.sum_increase"),
        ([{"T1": 0.0, "T2": 0.0}, {"T1": 3.0, "T2": 0.0}], "recist.timepoint.pd.target_reappeared"),
    ],
    ids=["cr", "pr", "sd", "ne", "pd", "reappeared"],
)
def test_timepoint_codes(visits: list[dict[str, float]], code: str) -> None:
    """The last time point's code names the rule that decided it (RECIST 1.1 section 4.3.1,
    Table 1; a non-nodal target that reappears after a target CR is PD)."""
    ev = evaluate(TWO, [Assessment(day(56 * (k + 1)), v) for k, v in enumerate(visits)])
    assert ev.timepoints[-1].code == code, ev.timepoints[-1].reason


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
    """A sum of diameters is never negative (RECIST 1.1 section 4.3.1)."""
    ev = evaluate(*subject)
    assert all(tp.sum_mm is None or tp.sum_mm >= 0 for tp in ev.timepoints)


@given(subjects())
def test_once_pd_always_pd(subject: tuple[list[Lesion], list[Assessment]]) -> None:
    """PD is final: after the first PD every time point is PD with the same PD date."""
    ev = evaluate(*subject)
    seen = None
    for tp in ev.timepoints:
        if seen is not None:
            assert tp.overall is Response.PD and tp.progression_on == seen
        if tp.overall is Response.PD and seen is None:
            seen = tp.progression_on
    assert ev.progression_on == seen


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
    strip = [(tp.sum_mm, tp.overall, tp.target, tp.non_target, tp.progression_on, tp.code)
             for tp in a.timepoints]
    assert strip == [(tp.sum_mm, tp.overall, tp.target, tp.non_target, tp.progression_on, tp.code)
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


@given(subjects())
def test_evaluate_target_category_equals_target_response(
    subject: tuple[list[Lesion], list[Assessment]]
) -> None:
    """One implementation of RECIST 1.1 section 4.3.1: at every time point the target category
    of evaluate is target_response on the same sum, nadir and baseline (evaluate calls it),
    except that a non-nodal target reappearing after a target CR is PD."""
    lesions, visits = subject
    ev = evaluate(lesions, visits)
    targets = [les for les in lesions if les.target]
    previous_cr = False
    for tp, visit in zip(ev.timepoints, sorted(visits, key=lambda v: v.assessed_on),
                         strict=True):
        assert tp.sum_mm is not None and tp.nadir_mm is not None and ev.baseline_sum_mm
        values = {les.lesion_id: _value(visit.targets.get(les.lesion_id)) for les in targets}
        all_cr = all(v is not None and (v < 10.0 if les.nodal else v == 0.0)
                     for les in targets if (v := values[les.lesion_id]) is not None)
        expected = target_response(
            baseline_sum_mm=ev.baseline_sum_mm, nadir_mm=tp.nadir_mm, current_sum_mm=tp.sum_mm,
            all_targets_in_cr=all_cr, complete=tp.complete)
        reappeared = previous_cr and any(
            not les.nodal and (values[les.lesion_id] or 0.0) > 0.0 for les in targets)
        if expected is not Response.PD and reappeared:
            assert tp.target is Response.PD, tp.reason
        else:
            assert tp.target is expected, tp.reason
        if tp.complete:
            previous_cr = tp.target is Response.CR


def _value(raw: object) -> float | None:
    """A generated target value in mm, as RECIST 1.1 reads it (too small 5 mm, gone 0 mm)."""
    if raw is None or raw == "NOT_EVALUATED":
        return None
    return {"TOO_SMALL": 5.0, "DISAPPEARED": 0.0}.get(str(raw), raw)  # type: ignore[arg-type]


@given(subjects())
def test_every_timepoint_is_plain_data_with_a_catalogued_code(
    subject: tuple[list[Lesion], list[Assessment]]
) -> None:
    """Each time point's code is in RESULT_CODES and its facts are JSON scalars or dates."""
    from oncotrial.recist import RESULT_CODES
    from oncotrial.records import code_matches

    ev = evaluate(*subject)
    items: list[Evaluation | TimepointResponse] = [ev, *ev.timepoints]
    for item in items:
        assert any(code_matches(item.code, pattern) for pattern in RESULT_CODES), item.code
        assert all(v is None or isinstance(v, str | int | float | bool | dt.date)
                   for v in item.facts.values())
