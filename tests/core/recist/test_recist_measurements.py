"""inputs_from_measurements: the shared LesionMeasurement records as evaluate() inputs.

Expected responses are worked by hand from RECIST 1.1 (Eisenhauer et al. 2009) sections 4.3
and 4.4: the sum of diameters against the baseline (PR at -30 %) and the nadir (PD at +20 % and
+5 mm); too small to measure counts 5 mm, a split lesion the sum of its fragments, a coalesced
lesion 0 mm; an equivocal new lesion later confirmed dates PD from its first sighting.
"""

from __future__ import annotations

import datetime as dt

import pytest

from oncotrial.errors import InputError, UnknownTermError
from oncotrial.recist import (
    Assessment,
    Lesion,
    MeasurementState,
    NewLesionStatus,
    NonTargetStatus,
    Response,
    TargetMeasurement,
    evaluate,
    inputs_from_measurements,
)
from oncotrial.records import LesionMeasurement as M

B = dt.date(2025, 2, 24)


def d(n: int) -> dt.date:
    return B + dt.timedelta(days=n)


def test_patient_a_from_records_matches_the_guideline_walk_through() -> None:
    """docs/recist.md Patient A from records: 60 mm at baseline; 44 mm (-26.7 %) is SD, 38 mm
    (-36.7 %) PR, 36 mm PR, 43 mm (+19.4 % and +7 mm over the nadir of 36) SD."""
    rows = [M("HCH-001", "T1", B, 42.0, organ="liver"), M("HCH-001", "T2", B, 18.0, organ="lung"),
            M("HCH-001", "NT1", B, None, kind="non_target", organ="peritoneum",
              status="present")]
    for n, (t1, t2) in zip((63, 119, 175, 231), ((30, 14), (26, 12), (25, 11), (29, 14)),
                           strict=True):
        rows += [M("HCH-001", "T1", d(n), float(t1)), M("HCH-001", "T2", d(n), float(t2)),
                 M("HCH-001", "NT1", d(n), None, kind="non_target", status="present")]
    lesions, visits = inputs_from_measurements(reversed(rows))  # order does not matter
    assert [(les.lesion_id, les.target, les.diameter_mm) for les in lesions] == [
        ("NT1", False, None), ("T1", True, 42.0), ("T2", True, 18.0)]
    ev = evaluate(lesions, visits)
    assert [tp.overall for tp in ev.timepoints] == [
        Response.SD, Response.PR, Response.PR, Response.SD]
    assert [tp.sum_mm for tp in ev.timepoints] == [44.0, 38.0, 36.0, 43.0]
    assert ev.baseline_sum_mm == 60.0


def test_states_split_merge_and_new_lesions() -> None:
    """Each state of a target row and each status of a non-target or new-lesion row."""
    rows = [M("S", "T1", B, 30.0, organ="liver"), M("S", "T2", B, 20.0, organ="lung"),
            M("S", "NT1", B, None, kind="non_target"),
            # day 56: T1 split into 12 + 7 mm, T2 10 mm: sum 29 mm, -42 % is PR.
            M("S", "T1", d(56), 12.0, state="split"), M("S", "T1", d(56), 7.0, state="split"),
            M("S", "T2", d(56), 10.0), M("S", "NT1", d(56), None, kind="non_target",
                                         state="disappeared"),
            # day 112: T2 coalesced into T1 (25 mm): sum 25 mm, PR; an equivocal new lesion.
            M("S", "T1", d(112), 25.0), M("S", "T2", d(112), None, state="merged"),
            M("S", "NT1", d(112), None, kind="non_target", status="present"),
            M("S", "N1", d(112), 6.0, kind="new", status="equivocal"),
            # day 168: T1 too small (5 mm), T2 gone; N1 now unequivocal: PD from day 112.
            M("S", "T1", d(168), None, state="too_small"),
            M("S", "T2", d(168), None, state="disappeared"),
            M("S", "NT1", d(168), None, kind="non_target", state="not_evaluable"),
            M("S", "N1", d(168), 14.0, kind="new")]
    lesions, visits = inputs_from_measurements(rows)
    assert visits[0].targets == {"T1": TargetMeasurement(fragments_mm=(12.0, 7.0)), "T2": 10.0}
    assert visits[0].non_targets == {"NT1": NonTargetStatus.ABSENT}
    assert visits[1].targets["T2"] is MeasurementState.DISAPPEARED
    assert visits[1].new_lesions == {"N1": NewLesionStatus.EQUIVOCAL}
    assert visits[2].targets == {"T1": MeasurementState.TOO_SMALL,
                                 "T2": MeasurementState.DISAPPEARED}
    assert visits[2].non_targets == {"NT1": NonTargetStatus.NOT_EVALUATED}
    ev = evaluate(lesions, visits)
    assert [tp.sum_mm for tp in ev.timepoints] == [19.0 + 10.0, 25.0, 5.0]
    assert [tp.as_read for tp in ev.timepoints] == [Response.PR, Response.PR, Response.PD]
    assert [tp.overall for tp in ev.timepoints] == [Response.PR, Response.PD, Response.PD]
    assert ev.progression_on == d(112)
    assert ev.timepoints[1].code == "recist.timepoint.pd.new_lesion_backdated"


def test_baseline_over_several_days() -> None:
    """A baseline of two scans on different days: rows up to baseline_on are the baseline."""
    rows = [M("S", "T1", B, 30.0), M("S", "T2", d(3), 20.0), M("S", "T1", d(60), 30.0),
            M("S", "T2", d(60), 20.0)]
    lesions, visits = inputs_from_measurements(rows, baseline_on=d(3))
    assert [les.lesion_id for les in lesions] == ["T1", "T2"] and len(visits) == 1
    assert evaluate(lesions, visits).timepoints[0].overall is Response.SD


def test_the_view_equals_hand_built_inputs() -> None:
    """The records view gives exactly the Lesion and Assessment values one would write."""
    rows = [M("S", "T1", B, 30.0, organ="liver", nodal=False, method="MRI"),
            M("S", "T1", d(56), 20.0), M("S", "X1", d(56), None, kind="new", status="absent")]
    lesions, visits = inputs_from_measurements(rows)
    from oncotrial.recist import Method

    assert lesions == (Lesion("T1", "liver", 30.0, B, method=Method.MRI),)
    assert visits == (Assessment(d(56), {"T1": 20.0}, {}, {"X1": NewLesionStatus.NO}),)


@pytest.mark.parametrize(
    ("rows", "error", "fragment"),
    [
        ([], InputError, "No lesion measurements were given"),
        ([M("S1", "T1", B, 30.0), M("S2", "T1", B, 30.0)], InputError, "belong to 2 subjects"),
        ([M("S", "N1", B, 12.0, kind="new")], InputError, "recorded as new at the baseline"),
        ([M("S", "T1", B, 30.0, kind="index")], UnknownTermError, "has kind 'index'"),
        ([M("S", "T1", B, 30.0), M("S", "T1", d(9), 20.0, state="shrunk")], UnknownTermError,
         "has state 'shrunk'"),
        ([M("S", "T1", B, 30.0), M("S", "T1", d(9), None)], InputError,
         "measured but has no diameter"),
        ([M("S", "T1", B, 30.0), M("S", "T1", d(9), 20.0), M("S", "T1", d(9), 21.0)],
         InputError, "has 2 rows on"),
        ([M("S", "T1", B, 30.0, method="PET")], UnknownTermError, "'PET' is not known"),
    ],
    ids=["no rows", "two subjects", "new at baseline", "unknown kind", "unknown state",
         "measured without diameter", "duplicate rows", "unknown method"],
)
def test_bad_records_are_refused_with_the_row_named(rows: list[M], error: type[Exception],
                                                    fragment: str) -> None:
    """Errors name the subject, lesion and date, and say how to fix the record."""
    with pytest.raises(error, match=fragment):
        inputs_from_measurements(rows)
