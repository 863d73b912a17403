"""CTCAE results are plain data: JSON and pickle round trips, and every code is catalogued.

Each result type (LabGrade, SuggestedAdverseEvent) and the records it carries (AdverseEvent,
GradeChange, LabObservation) goes JSON -> object -> JSON with the same text and survives pickle
(issue 10, "Results are plain data").
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.ctcae import (
    RESULT_CODES,
    AdverseEvent,
    Grade,
    GradeChange,
    LabFlag,
    LabGrade,
    LabObservation,
    Outcome,
    Relationship,
    SeriousCriterion,
    SuggestedAdverseEvent,
    check_adverse_events,
    check_sae_reporting,
    explain_lab_grade,
    grade_lab_result,
    suggest_adverse_events,
)
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.records import LabResult, Result, code_matches, from_json, to_json

VECTORS = Path(__file__).parents[2] / "vectors" / "ctcae" / "lab_boundaries.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]


def _round_trip(obj: Any) -> Any:
    """JSON -> object -> JSON must give the same text; the object comes back equal."""
    text = to_json(obj)
    again = from_json(type(obj), text)
    assert to_json(again) == text
    assert again == obj
    assert pickle.loads(pickle.dumps(obj)) == obj
    return again


@st.composite
def lab_grades(draw: st.DrawFn) -> LabGrade:
    case = draw(st.sampled_from(CASES))
    scale = draw(st.floats(0.0, 3.0, allow_nan=False))
    limits = {k: case[k] if draw(st.booleans()) else None for k in ("lln", "uln", "baseline")}
    qualifier = draw(st.sampled_from([None, True, False]))
    value = None if draw(st.integers(0, 20)) == 0 else case["boundary"] * scale
    try:
        return explain_lab_grade(case["term"], value, case["unit"], qualifier_present=qualifier,
                                 **limits)
    except (ImplausibleValueError, InputError):
        return explain_lab_grade(case["term"], case["boundary"], case["unit"],
                                 **{k: case[k] for k in ("lln", "uln", "baseline")})


@given(lab_grades())
def test_lab_grade_round_trips_through_json_and_pickle(result: LabGrade) -> None:
    """Every LabGrade, graded or not, with its flags and facts, is plain data."""
    again = _round_trip(result)
    assert isinstance(again.grade, Grade | None)
    assert all(isinstance(f, LabFlag) for f in again.flags)
    assert isinstance(result, Result)
    assert any(code_matches(result.code, p) for p in RESULT_CODES)


FIRST = date(2025, 1, 6)
dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
grades_1_to_4 = st.sampled_from([Grade.G1, Grade.G2, Grade.G3, Grade.G4])


@st.composite
def adverse_events(draw: st.DrawFn) -> AdverseEvent:
    onset = draw(dates)
    steps = draw(st.lists(st.tuples(st.integers(1, 60), grades_1_to_4), max_size=3))
    history = [GradeChange(onset, draw(grades_1_to_4))]
    for days, grade in steps:
        history.append(GradeChange(history[-1].on + timedelta(days=days), grade))
    resolved = draw(st.none() | st.integers(0, 90).map(
        lambda d: history[-1].on + timedelta(days=d)))
    aware = draw(st.none() | st.datetimes(min_value=datetime(2024, 1, 1),
                                          max_value=datetime(2027, 12, 31),
                                          timezones=st.just(UTC)))
    return AdverseEvent(
        subject_id=draw(st.sampled_from(["001-001", "HCH-014"])),
        term=draw(st.sampled_from(["Fatigue", "Neutrophil count decreased", "Sepsis"])),
        verbatim=draw(st.text(max_size=20)), onset_on=onset, grade_history=tuple(history),
        resolved_on=resolved,
        serious_criteria=frozenset(draw(st.lists(st.sampled_from(
            [c for c in SeriousCriterion if c is not SeriousCriterion.DEATH]), max_size=3))),
        relationship=draw(st.none() | st.sampled_from(list(Relationship))),
        outcome=draw(st.sampled_from([o for o in Outcome if o is not Outcome.FATAL])),
        aware_at=aware, onset_as_reported=draw(st.none() | st.just("2025-01")),
        event_id=draw(st.none() | st.just("AE-7")))


@given(adverse_events())
def test_adverse_event_and_grade_changes_round_trip(event: AdverseEvent) -> None:
    """The AE record ctcae reads (from oncotrial.records) round-trips with its history."""
    again = _round_trip(event)
    assert again.grade_history == event.grade_history
    assert again.event_id == event.event_id  # not compared by ==, but kept
    for change in event.grade_history:
        _round_trip(change)


@st.composite
def observations(draw: st.DrawFn) -> LabObservation:
    return LabObservation(
        draw(st.sampled_from(["001", "002"])),
        draw(st.sampled_from(["Platelet count decreased", "Hypocalcemia (Ionized)",
                              "Neutrophil count decreased"])),
        draw(dates), draw(st.none() | st.sampled_from(list(Grade)[:5])),
        visit=draw(st.none() | st.sampled_from(["C1D15", "C2D1"])),
        baseline_grade=draw(st.sampled_from([Grade.G0, Grade.G1, Grade.G2])))


@given(st.lists(observations(), max_size=6), st.lists(adverse_events(), max_size=3),
       st.integers(1, 3))
def test_suggested_adverse_events_round_trip(obs: list[LabObservation],
                                             events: list[AdverseEvent],
                                             min_grade: int) -> None:
    """Each suggestion (with the AE it refers to, if any) is plain data with a listed code."""
    for o in obs:
        _round_trip(o)
    for suggestion in suggest_adverse_events(obs, events, min_grade=min_grade):
        again = _round_trip(suggestion)
        assert isinstance(again, SuggestedAdverseEvent) and isinstance(again, Result)
        assert suggestion.code in RESULT_CODES
        assert suggestion.facts["grade"] == int(suggestion.grade)


def test_a_grade_change_suggestion_round_trips_with_its_ae() -> None:
    """The 'grade change' suggestion carries the AE; it comes back equal."""
    event = AdverseEvent.new("001", "Platelet count decreased", "low platelets", FIRST, 2)
    obs = LabObservation("001", "Platelet count decreased", FIRST + timedelta(days=7), 3)
    (suggestion,) = suggest_adverse_events([obs], [event])
    assert suggestion.code == "ctcae.suggest_ae.grade_change"
    assert _round_trip(suggestion).existing == event


def test_lab_observation_reads_grades_as_ctcae_grades() -> None:
    """A grade given as a number becomes a Grade; a grade outside 0-5 is refused."""
    obs = LabObservation("001", "Anemia", FIRST, 2, baseline_grade=1)  # type: ignore[arg-type]
    assert obs.grade is Grade.G2 and obs.baseline_grade is Grade.G1
    with pytest.raises(InputError):
        LabObservation("001", "Anemia", FIRST, 7)  # type: ignore[arg-type]


def test_a_graded_lab_result_round_trips_with_its_record_facts() -> None:
    """grade_lab_result adds the subject and date to the facts, as JSON strings."""
    result = grade_lab_result(LabResult("HCH-001", "platelets", 45.0, "10^9/L", 150.0, 400.0,
                                        date(2026, 3, 15)))
    again = _round_trip(result)
    assert again.facts["collected_on"] == "2026-03-15"
    assert again.code == "ctcae.grade.3"


def test_every_finding_code_is_catalogued() -> None:
    """The codes of check_adverse_events and check_sae_reporting are in RESULT_CODES."""
    aware = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    serious = frozenset({SeriousCriterion.HOSPITALISATION})
    events = [
        AdverseEvent.new("001", "Tiredness", "t", FIRST, 2),
        AdverseEvent.new("001", "Alopecia", "h", FIRST, 3),
        AdverseEvent.new("001", "Sepsis", "s", FIRST, 3, serious_criteria=serious),
        AdverseEvent.new("001", "Sepsis", "s", FIRST, 3, serious_criteria=serious,
                         aware_at=aware),
        AdverseEvent.new("001", "Sepsis", "s", FIRST, 3, serious_criteria=serious,
                         aware_at=aware, reported_at=aware + timedelta(hours=30)),
    ]
    codes = {f.code for f in check_adverse_events(events)}
    for now in (aware + timedelta(hours=1), aware + timedelta(hours=48),
                datetime(2025, 3, 2, 8, 0)):
        codes |= {f.code for f in check_sae_reporting(events, now=now, within_hours=24)}
    assert codes == {c for c in RESULT_CODES if c.startswith(("ctcae.ae.", "ctcae.sae."))}


def test_result_codes_are_lowercase_dotted_and_explained() -> None:
    """Each code is stable machine text with a one-sentence meaning."""
    for code, meaning in RESULT_CODES.items():
        assert code == code.lower() and code.startswith("ctcae.") and " " not in code
        assert meaning.endswith(".") and len(meaning) > 20
