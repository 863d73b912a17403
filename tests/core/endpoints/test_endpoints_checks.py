"""check_dataset: records that read fine but contradict each other (findings, never raises)."""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.endpoints import (
    Contact,
    Dataset,
    Death,
    DosingRecord,
    NewTherapy,
    Subject,
    TherapyType,
    TumourAssessment,
    check_dataset,
    load_example_dataset,
)
from oncotrial.records import Response

SUBJECT = Subject("S1", date(2026, 1, 2), True)
DOSE = DosingRecord("S1", date(2026, 1, 5), date(2026, 3, 1), 125)
BASE = TumourAssessment("S1", date(2025, 12, 28), None, baseline=True)


def codes(**domains: tuple[object, ...]) -> list[str]:
    ds = Dataset((SUBJECT,), **{"dosing": (DOSE,), "assessments": (BASE,), **domains})  # type: ignore[arg-type]
    return [f.code for f in check_dataset(ds)]


CASES = [
    ("a scan after death", {"assessments": (BASE, TumourAssessment(
        "S1", date(2026, 3, 2), Response.SD)), "deaths": (Death("S1", date(2026, 2, 20)),)},
     ["EP001"]),
    ("a contact documenting the subject alive after death", {
        "contacts": (Contact("S1", date(2026, 4, 1), "call"),),
        "deaths": (Death("S1", date(2026, 3, 20)),)}, ["EP001"]),
    ("a contact after death that does not claim the subject alive is fine", {
        "contacts": (Contact("S1", date(2026, 4, 1), "call", alive=False),),
        "deaths": (Death("S1", date(2026, 3, 20)),)}, []),
    ("new therapy after death", {
        "new_therapies": (NewTherapy("S1", date(2026, 4, 1), TherapyType.SURGERY),),
        "deaths": (Death("S1", date(2026, 3, 20)),)}, ["EP001"]),
    ("a post-baseline scan on the first-dose day", {"assessments": (BASE, TumourAssessment(
        "S1", date(2026, 1, 5), Response.SD))}, ["EP002"]),
    ("two baselines", {"assessments": (BASE, TumourAssessment(
        "S1", date(2025, 12, 30), None, baseline=True))}, ["EP003"]),
    ("first dose before enrolment", {"dosing": (DosingRecord(
        "S1", date(2026, 1, 1), date(2026, 2, 1), 125),)}, ["EP004"]),
    ("new-lesion date after the assessment", {"assessments": (BASE, TumourAssessment(
        "S1", date(2026, 3, 2), Response.PD, new_lesion_on=date(2026, 3, 5)))}, ["EP005"]),
    ("two deaths", {"deaths": (Death("S1", date(2026, 3, 20)), Death("S1", date(2026, 3, 21)))},
     ["EP006"]),
    ("baseline after the first dose", {"assessments": (TumourAssessment(
        "S1", date(2026, 1, 9), None, baseline=True),)}, ["EP007"]),
    ("a record of an unknown subject", {"deaths": (Death("S9", date(2026, 3, 20)),)},
     ["EP009"]),
    ("two responses on one day", {"assessments": (BASE, TumourAssessment(
        "S1", date(2026, 3, 2), Response.SD), TumourAssessment(
        "S1", date(2026, 3, 2), Response.PD))}, ["EP008"]),
]


@pytest.mark.parametrize(("why", "domains", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_dataset(why: str, domains: dict[str, tuple[object, ...]],
                       expected: list[str]) -> None:
    """Each contradiction gives its code; consistent records give none."""
    assert codes(**domains) == expected


def test_example_dataset_is_consistent() -> None:
    """The bundled example has no findings."""
    assert check_dataset(load_example_dataset()) == []
