"""Results are plain data: JSON and pickle round trips, and every code in RESULT_CODES.

Issue 10: each result type (TimepointResponse, Evaluation, BestOverallResponse, Measurability,
and the figure data) goes JSON -> object -> JSON to the same text through
oncotrial.records.to_json/from_json, and pickles; every code the package emits in its tests
and examples fits a pattern of RESULT_CODES, and every pattern is emitted by some example.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.recist import (
    RESULT_CODES,
    Assessment,
    BestOverallResponse,
    Evaluation,
    Lesion,
    LesionKind,
    Measurability,
    Response,
    SpiderPoint,
    SwimmerLane,
    TargetMeasurement,
    TimepointResponse,
    WaterfallBar,
    best_overall_response,
    check_baseline,
    derive_spider,
    derive_swimmer,
    derive_waterfall,
    evaluate,
    measurability,
)
from oncotrial.records import Result, code_matches, from_json, to_json

BASE = dt.date(2025, 1, 1)
ORIGIN = BASE + dt.timedelta(days=7)
VECTORS = Path(__file__).parents[2] / "vectors" / "recist"


def day(n: int) -> dt.date:
    return BASE + dt.timedelta(days=n)


values = st.one_of(
    st.floats(0.0, 120.0, allow_nan=False).map(lambda x: round(x, 1)),
    st.sampled_from(["TOO_SMALL", "DISAPPEARED", "NOT_EVALUATED"]),
)


@st.composite
def subjects(draw: st.DrawFn) -> tuple[list[Lesion], list[Assessment]]:
    """0-4 targets (some nodal), 0-2 non-targets, up to 6 visits, new lesions with ids."""
    n_t = draw(st.integers(0, 4))
    n_nt = draw(st.integers(0 if n_t else 1, 2))
    lesions = [Lesion(f"T{k}", f"organ{k}", draw(st.floats(15.0, 80.0).map(lambda x: round(x, 1))),
                      BASE, nodal=draw(st.booleans())) for k in range(n_t)]
    lesions += [Lesion(f"NT{k}", "bone", None, BASE, target=False) for k in range(n_nt)]
    visits = []
    for v in range(draw(st.integers(0, 6))):
        targets = {f"T{k}": draw(values) for k in range(n_t)}
        nts = {f"NT{k}": draw(st.sampled_from(["PRESENT", "ABSENT", "PROGRESSION",
                                                "NOT_EVALUATED"])) for k in range(n_nt)}
        new = draw(st.sampled_from([None, "NO", {"N1": "EQUIVOCAL"}, {"N1": "YES"}, "YES"]))
        visits.append(Assessment(day(42 * (v + 1)), targets, nts, new))
    return lesions, visits


def _round_trip(obj: Any) -> None:
    """JSON -> object -> JSON gives the same text; pickle gives an equal object."""
    text = to_json(obj)
    again = from_json(type(obj), text)
    assert to_json(again) == text
    assert json.loads(text)["code"] == obj.code if hasattr(obj, "code") else True
    assert pickle.loads(pickle.dumps(obj)) == obj


@settings(max_examples=60)
@given(subjects())
def test_evaluation_and_timepoints_round_trip(
    subject: tuple[list[Lesion], list[Assessment]]
) -> None:
    """Evaluation and each TimepointResponse: JSON round trip and pickle."""
    ev = evaluate(*subject)
    _round_trip(ev)
    for tp in ev.timepoints:
        _round_trip(tp)
        assert isinstance(tp, Result)
    assert isinstance(ev, Result)
    assert isinstance(from_json(Evaluation, to_json(ev)), Evaluation)
    assert all(isinstance(tp, TimepointResponse) for tp in
               from_json(Evaluation, to_json(ev)).timepoints)


@settings(max_examples=60)
@given(subjects(), st.booleans(), st.booleans())
def test_best_overall_response_round_trips(
    subject: tuple[list[Lesion], list[Assessment]], confirm: bool, allow_sd: bool
) -> None:
    """BestOverallResponse: JSON round trip and pickle, with and without confirmation."""
    ev = evaluate(*subject)
    bor = ev.best_overall_response(origin=ORIGIN, sd_min_days=42, confirm=confirm,
                                   allow_sd_between=allow_sd, cutoff=day(200))
    _round_trip(bor)
    assert isinstance(bor, Result)
    assert from_json(BestOverallResponse, to_json(bor)).stopped_by == bor.stopped_by


@given(st.floats(0.0, 60.0, allow_nan=False), st.booleans(), st.booleans(),
       st.sampled_from(list(LesionKind)), st.sampled_from(["RECIST 1.1", "mRECIST"]))
def test_measurability_round_trips(size: float, nodal: bool, treated: bool, kind: LesionKind,
                                   criteria: str) -> None:
    """Measurability: JSON round trip and pickle."""
    m = measurability(Lesion("L1", "liver", size, BASE, nodal=nodal, previously_treated=treated,
                             kind=kind, typical_hcc=not treated), criteria)
    _round_trip(m)
    assert isinstance(m, Result)
    assert from_json(Measurability, to_json(m)) == m or m.facts != {}


@settings(max_examples=30)
@given(st.lists(subjects(), min_size=1, max_size=3))
def test_figure_data_round_trips(cohort: list[tuple[list[Lesion], list[Assessment]]]) -> None:
    """Waterfall, spider and swimmer points are plain data too."""
    evs = {f"P{k}": evaluate(*subject) for k, subject in enumerate(cohort)}
    origins = {sid: ORIGIN for sid in evs}
    items: list[Any] = [*derive_waterfall(evs), *derive_spider(evs, origins=origins),
                        *derive_swimmer(evs, origins=origins,
                                        end_dates={sid: day(300) for sid in evs})]
    for item in items:
        assert isinstance(item, WaterfallBar | SpiderPoint | SwimmerLane)
        text = to_json(item)
        assert to_json(from_json(type(item), text)) == text
        assert pickle.loads(pickle.dumps(item)) == item


# --- Every emitted code is catalogued; every catalogued code is emitted ----------------------


def _vector_codes() -> set[str]:
    """The codes the scenario, BOR and measurability examples emit."""
    codes: set[str] = set()
    scen = json.loads((VECTORS / "scenarios.json").read_text(encoding="utf-8"))
    origin = dt.date.fromisoformat(scen["origin"])
    for scenario in scen["scenarios"]:
        lesions = [Lesion(item["id"], item["organ"],
                          None if item["mm"] is None else float(item["mm"]),
                          origin - dt.timedelta(days=7), nodal=item.get("nodal", False),
                          target=item.get("target", True),
                          kind=LesionKind(item.get("kind", "SOLID")),
                          typical_hcc=item.get("typical_hcc"))
                   for item in scenario["baseline"]]
        visits = [Assessment(origin + dt.timedelta(days=v["day"]),
                             {k: _target(x) for k, x in v["targets"].items()},
                             v.get("non_targets", {}), v.get("new"),
                             malignant_cytology=frozenset(v.get("malignant_cytology", ())))
                  for v in scenario["assessments"]]
        ev = evaluate(lesions, visits, criteria=scenario["criteria"])
        codes |= {ev.code, *(tp.code for tp in ev.timepoints)}
        bor = ev.best_overall_response(origin=origin, sd_min_days=42)
        codes |= {bor.code, *bor.flags}
    bor_doc = json.loads((VECTORS / "bor.json").read_text(encoding="utf-8"))
    b_origin = dt.date.fromisoformat(bor_doc["origin"])
    for case in bor_doc["cases"]:
        params = {"sd_min_days": 42, **case.get("params", {})}
        for key in ("cutoff", "new_therapy_date"):
            if key in params:
                params[key] = b_origin + dt.timedelta(days=params[key])
        bor = best_overall_response([(b_origin + dt.timedelta(days=d), r)
                                     for d, r in case["timepoints"]], origin=b_origin, **params)
        codes |= {bor.code, *bor.flags}
    return codes


def _target(value: Any) -> Any:
    if isinstance(value, dict):
        fragments = tuple(float(x) for x in value.get("fragments_mm", ()))
        return TargetMeasurement(fragments_mm=fragments, merged_into=value.get("merged_into"))
    return float(value) if isinstance(value, int | float) else value


def _example_codes() -> set[str]:
    """Codes from small examples of the remaining rules (baseline checks, measurability)."""
    two = [Lesion("T1", "liver", 40.0, BASE), Lesion("T2", "lung", 20.0, BASE)]
    codes = {evaluate(two, []).code}
    codes |= {tp.code for tp in evaluate(
        [*two, Lesion("NT1", "bone", None, BASE, target=False)],
        [Assessment(day(56), {"T1": 0.0, "T2": 0.0}, {"NT1": "PRESENT"})]).timepoints}
    codes |= {tp.code for tp in evaluate(
        [Lesion("NT1", "bone", None, BASE, target=False)],
        [Assessment(day(56), {}, {"NT1": "NOT_EVALUATED"})]).timepoints}
    codes |= {best_overall_response([(day(56), r)], origin=ORIGIN, sd_min_days=42,
                                    confirm=False).code for r in ("CR", "PR")}
    codes.add(best_overall_response([(day(56), "CR"), (day(84), "SD")], origin=ORIGIN,
                                    sd_min_days=42).flags[0])
    codes.add(best_overall_response([(day(56), "CR"), (day(70), "NON-CR/NON-PD")],
                                    origin=ORIGIN, sd_min_days=42).code)
    lesions = [
        Lesion("T1", "liver", 9.0, BASE), Lesion("T2", "liver", None, BASE),
        Lesion("T3", "pleura", 30.0, BASE, kind=LesionKind.EFFUSION),
        Lesion("N1", "neck", 12.0, BASE, nodal=True), Lesion("N2", "neck", 8.0, BASE, nodal=True),
        Lesion("T4", "liver", 30.0, BASE, previously_treated=True),
        Lesion("T4", "liver", 30.0, BASE - dt.timedelta(days=60)),
        Lesion("T5", "lung", 20.0, BASE + dt.timedelta(days=30)),
    ]
    codes |= {f.code for f in check_baseline(lesions, reference_date=BASE + dt.timedelta(days=7),
                                             imaging_window_days=21)}
    mrecist = [Lesion("T1", "liver", 30.0, BASE, typical_hcc=False),
               Lesion("N1", "porta hepatis", 18.0, BASE, nodal=True)]
    codes |= {f.code for f in check_baseline(mrecist, criteria="mRECIST")}
    codes |= {m.code for m in (measurability(les, c) for les in [*lesions, *mrecist]
                               for c in ("RECIST 1.1", "mRECIST"))}
    codes.add(measurability(Lesion("T9", "liver", 30.0, BASE)).code)
    codes |= {f.code for f in check_baseline([Lesion(f"T{k}", "lung", 20.0, BASE)
                                              for k in range(6)])}
    return codes


def test_every_emitted_code_is_catalogued_and_every_pattern_is_emitted() -> None:
    """Each code emitted by the vectors and examples fits a RESULT_CODES pattern, and each
    pattern is emitted at least once (the catalogue lists exactly what the package emits)."""
    emitted = _vector_codes() | _example_codes()
    unknown = sorted(c for c in emitted if not any(code_matches(c, p) for p in RESULT_CODES))
    assert unknown == []
    unused = sorted(p for p in RESULT_CODES if not any(code_matches(c, p) for c in emitted))
    assert unused == []


def test_codes_are_lowercase_dotted_and_meanings_are_sentences() -> None:
    """Codes are stable lowercase dotted names; each meaning is one English sentence."""
    for code, meaning in RESULT_CODES.items():
        assert code == code.lower() and code.startswith("recist.") and " " not in code
        assert (meaning[0].isupper() or meaning.startswith("mRECIST")) and meaning.endswith(".")


def test_result_codes_are_read_only() -> None:
    """RESULT_CODES cannot be changed by a caller."""
    import pytest

    with pytest.raises(TypeError):
        RESULT_CODES["recist.x"] = "y"  # type: ignore[index]
    assert Response.PD.value == "PD"


def test_results_are_frozen_dataclasses_equal_to_their_constructor_call() -> None:
    """evaluate builds its results through a fast slot constructor: they are ordinary frozen
    instances, equal to the dataclass's own constructor called with the same fields."""
    import dataclasses

    import pytest

    ev = evaluate([Lesion("T1", "liver", 50.0, BASE)],
                  [Assessment(day(56), {"T1": 30.0}), Assessment(day(112), {"T1": 70.0})])
    items: list[Evaluation | TimepointResponse] = [ev, *ev.timepoints]
    for obj in items:
        assert type(obj) in (Evaluation, TimepointResponse)
        values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        rebuilt = type(obj)(**values)
        assert rebuilt == obj and hash(rebuilt) == hash(obj)
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.code = "x"  # type: ignore[misc]
        assert dataclasses.replace(obj, reason="r").reason == "r"
