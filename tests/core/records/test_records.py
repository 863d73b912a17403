"""oncotrial.records: the shared vocabulary round-trips through JSON and pickle, and each record
refuses what contradicts itself."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import InputError
from oncotrial.records import (
    DAYS_PER_MONTH,
    ActionTaken,
    AdverseEvent,
    ChildPughClass,
    ConcomitantMedication,
    Contact,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    Grade,
    GradeChange,
    LabResult,
    LesionMeasurement,
    NewTherapy,
    Outcome,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
    Subject,
    TherapyType,
    TumourAssessment,
    code_matches,
    from_json,
    from_plain,
    months,
    to_json,
    to_plain,
)

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31))
ids = st.text(alphabet="ABCHMNOPQ-0123456789", min_size=1, max_size=10)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
text = st.text(max_size=30)


@st.composite
def lab_results(draw: st.DrawFn) -> LabResult:
    low = draw(st.none() | st.floats(min_value=0, max_value=100, allow_nan=False))
    high = draw(st.none() | st.floats(min_value=100, max_value=1000, allow_nan=False))
    return LabResult(draw(ids), draw(st.sampled_from(["anc", "platelets", "alt", "inr"])),
                     draw(finite), draw(st.sampled_from(["10^9/L", "U/L", ""])), low, high,
                     draw(dates))


@st.composite
def adverse_events(draw: st.DrawFn) -> AdverseEvent:
    onset = draw(dates)
    steps = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 4)), min_size=1,
                          max_size=4))
    day, history = onset, []
    for i, (gap, grade) in enumerate(steps):
        day = onset if i == 0 else day + dt.timedelta(days=gap)
        history.append(GradeChange(day, Grade(grade)))
    resolved = draw(st.none() | st.integers(0, 90).map(lambda d: day + dt.timedelta(days=d)))
    return AdverseEvent(
        draw(ids), draw(st.sampled_from(["Anemia", "Neutrophil count decreased", "Fatigue"])),
        draw(text), onset, tuple(history), resolved,
        frozenset(draw(st.sets(st.sampled_from([c for c in SeriousCriterion
                                                 if c is not SeriousCriterion.DEATH])))),
        draw(st.none() | st.sampled_from(list(Relationship))),
        draw(st.sampled_from(list(ActionTaken))),
        draw(st.sampled_from([o for o in Outcome if o is not Outcome.FATAL])),
        onset_as_reported=draw(st.none() | st.just(onset.isoformat()[:7])),
        event_id=draw(st.none() | ids),
    )


RECORDS = st.one_of(
    st.builds(Subject, ids, dates, st.booleans(), sex=st.none() | st.sampled_from(list(Sex)),
              site_id=text),
    lab_results(),
    st.builds(LesionMeasurement, ids, ids, dates, st.none() | st.floats(0, 300),
              kind=st.sampled_from(["target", "non_target", "new"]), organ=text,
              nodal=st.booleans()),
    st.builds(TumourAssessment, ids, dates, st.none() | st.sampled_from(list(Response)),
              st.booleans(), st.none() | dates, text),
    st.builds(DosingRecord, ids, dates, dates, st.sampled_from([0.0, 75.0, 100.0, 125.0])),
    adverse_events(),
    st.builds(ConcomitantMedication, ids, text, st.none() | dates, stopped_on=st.none() | dates,
              cyp3a_effect=st.sampled_from(["", "strong_inhibitor", "strong_inducer"]),
              half_life_hours=st.none() | st.floats(0.1, 500)),
    st.builds(Death, ids, dates, text),
    st.builds(Contact, ids, dates, text, st.booleans()),
    st.builds(NewTherapy, ids, dates, st.sampled_from(list(TherapyType)), text),
    st.builds(Discontinuation, ids, st.sampled_from(list(DiscontinuationLevel)), dates,
              st.sampled_from(list(DiscontinuationReason))),
)


@given(RECORDS)
def test_every_record_round_trips_json_to_object_to_json(record: Any) -> None:
    """JSON -> object -> JSON gives the same text, and the object is equal to the original."""
    first = to_json(record)
    again = from_json(type(record), first)
    assert again == record
    assert to_json(again) == first
    assert json.loads(first) == to_plain(record)


@given(RECORDS)
def test_every_record_pickles(record: Any) -> None:
    assert pickle.loads(pickle.dumps(record)) == record


def test_adverse_event_grades_are_grade_enums_after_a_round_trip() -> None:
    ae = AdverseEvent.new("HCH-001", "Neutrophil count decreased", "neutropenia",
                          dt.date(2026, 3, 4), 3).with_grade(dt.date(2026, 3, 11), 4)
    back = from_json(AdverseEvent, to_json(ae))
    assert back.grade is Grade.G4
    assert [type(c.grade) for c in back.grade_history] == [Grade, Grade]


def test_a_stored_adverse_event_that_contradicts_itself_is_refused_on_reading() -> None:
    """from_plain runs the record's own checks: a fatal outcome needs grade 5 (CTCAE v5.0)."""
    plain = to_plain(AdverseEvent.new("HCH-001", "Anemia", "anaemia", dt.date(2026, 3, 4), 3))
    plain["outcome"] = "fatal"
    with pytest.raises(ValueError, match="grade 5"):
        from_plain(AdverseEvent, plain)


@pytest.mark.parametrize("field", ["value", "lln", "uln"])
def test_lab_result_names_the_item_that_is_not_a_number(field: str) -> None:
    values = {"value": 1.0, "lln": 0.5, "uln": 2.0, field: float("nan")}
    with pytest.raises(InputError) as err:
        LabResult("HCH-001", "anc", values["value"], "10^9/L", values["lln"], values["uln"],
                  dt.date(2026, 3, 1))
    assert err.value.field == field


def test_lab_result_with_a_lower_limit_above_the_upper_is_refused() -> None:
    with pytest.raises(InputError, match=r"lower limit of normal 7\.5 is above"):
        LabResult("HCH-001", "anc", 1.0, "10^9/L", 7.5, 2.0, dt.date(2026, 3, 1))


def test_grade_parses_what_forms_write_and_refuses_the_rest() -> None:
    """CTCAE v5.0 grades are 0 to 5 and nothing else."""
    assert [Grade.parse(v) for v in (0, "3", "Grade 5", Grade.G2)] == [0, 3, 5, 2]
    for bad in (6, -1, "3.5", True, "severe"):
        with pytest.raises(InputError, match=r"not a CTCAE v5\.0 grade"):
            Grade.parse(bad)


def test_grades_compare_as_numbers() -> None:
    assert Grade.G3 > 2 and max([Grade.G1, Grade.G4, Grade.G2]) is Grade.G4


def test_progression_is_dated_at_the_earlier_new_lesion_scan() -> None:
    """RECIST 1.1 section 9: PD is dated at the first scan showing it."""
    a = TumourAssessment("HCH-001", dt.date(2026, 5, 10), Response.PD,
                         new_lesion_on=dt.date(2026, 5, 3))
    assert a.progression_on == dt.date(2026, 5, 3)


def test_days_to_months_uses_the_average_month() -> None:
    assert pytest.approx(30.4375) == DAYS_PER_MONTH
    assert months(365.25) == pytest.approx(12.0)


def test_child_pugh_classes_and_sexes_are_the_stored_values() -> None:
    assert [c.value for c in ChildPughClass] == ["A", "B", "C"]
    assert [s.value for s in Sex] == ["M", "F"]


@pytest.mark.parametrize(("code", "pattern", "expected"), [
    ("E5.not_met.hbv_hcv_coinfection", "{criterion}.not_met.hbv_hcv_coinfection", True),
    ("I11.not_met.anc_below_min", "{criterion}.not_met.hbv_hcv_coinfection", False),
    ("dose.hold.heme_grade3_day1", "dose.hold.heme_grade3_day1", True),
    ("dose.hold", "dose.hold.heme_grade3_day1", False),
    ("ctcae.grade.3", "ctcae.grade.{grade}", True),
    (".not_met.x", "{criterion}.not_met.x", False),
])
def test_code_patterns(code: str, pattern: str, expected: bool) -> None:
    assert code_matches(code, pattern) is expected


@given(st.builds(Death, ids, dates, text))
def test_slot_constructor_builds_the_same_frozen_object(death: Death) -> None:
    """The fast constructor gives an object equal to the dataclass's own, of the same class,
    still frozen, hashable alike and serialised alike."""
    import dataclasses

    from oncotrial.records import slot_constructor

    fast = slot_constructor(Death)(death.subject_id, death.died_on, death.cause)
    assert type(fast) is Death and fast == death and hash(fast) == hash(death)
    assert to_json(fast) == to_json(death)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.cause = "changed"  # type: ignore[misc]
