"""check_baseline(): RECIST 1.1 sections 3.1-3.3 and mRECIST baseline rules, one case per edge.

RECIST 1.1 (Eisenhauer 2009) 3.1.1: a non-nodal lesion is measurable at >= 10 mm on CT with
slices <= 5 mm (2 x slice thickness otherwise, 20 mm on chest X-ray); a node is a measurable
target at >= 15 mm short axis, pathological but non-measurable at 10 to < 15 mm, normal < 10 mm.
3.3: at most 5 targets, at most 2 per organ (recist11.md 2: all nodes are one organ, paired
organs are one). mRECIST (mrecist_hcc.md 2): porta-hepatis nodes need >= 20 mm; effusions,
ascites and portal vein thrombus are non-measurable; atypical (non-enhancing) lesions are not
viable targets.
"""

from __future__ import annotations

import datetime as dt

import pytest

import oncotrial.recist as recist
from oncotrial.recist import (
    Lesion,
    LesionKind,
    Method,
    NewLesionStatus,
    check_baseline,
    classify_new_lesion_mrecist,
    is_measurable,
)

D = dt.date(2025, 2, 20)
START = dt.date(2025, 3, 1)
BIG = Lesion("T9", "lung", 30.0, D)  # keeps "no measurable disease" out of the single cases


def codes(lesions: list[Lesion], **kwargs: object) -> list[str]:
    return [f.code for f in check_baseline(lesions, reference_date=START, **kwargs)]  # type: ignore[arg-type]


CASES = [  # lesion, criteria, expected codes (besides none), why
    (Lesion("T1", "liver", 10.0, D), "RECIST 1.1", [], "10 mm is the lower edge for non-nodal"),
    (Lesion("T1", "liver", 9.9, D), "RECIST 1.1", ["RECIST_TARGET_TOO_SMALL"], "just under 10 mm"),
    (Lesion("T1", "liver", 15.0, D, slice_thickness_mm=8.0), "RECIST 1.1",
     ["RECIST_TARGET_TOO_SMALL"], "8 mm slices need 16 mm"),
    (Lesion("T1", "liver", 16.0, D, slice_thickness_mm=8.0), "RECIST 1.1", [],
     "16 mm on 8 mm slices is measurable"),
    (Lesion("T1", "liver", 10.0, D, slice_thickness_mm=5.0), "RECIST 1.1", [],
     "5 mm slices keep the 10 mm rule"),
    (Lesion("T1", "lung", 19.0, D, method=Method.CHEST_XRAY), "RECIST 1.1",
     ["RECIST_TARGET_TOO_SMALL"], "chest X-ray needs 20 mm"),
    (Lesion("T1", "skin", 10.0, D, method=Method.CALIPER), "RECIST 1.1", [],
     "caliper 10 mm"),
    (Lesion("N1", "neck", 15.0, D, nodal=True), "RECIST 1.1", [], "node 15 mm short axis"),
    (Lesion("N1", "neck", 14.9, D, nodal=True), "RECIST 1.1", ["RECIST_NODE_NOT_MEASURABLE"],
     "node 10 to < 15 mm is non-measurable"),
    (Lesion("N1", "neck", 10.0, D, nodal=True), "RECIST 1.1", ["RECIST_NODE_NOT_MEASURABLE"],
     "node of 10 mm is pathological"),
    (Lesion("N1", "neck", 9.9, D, nodal=True), "RECIST 1.1", ["RECIST_NODE_NOT_PATHOLOGICAL"],
     "node under 10 mm is normal"),
    (Lesion("N1", "neck", 9.0, D, nodal=True, target=False), "RECIST 1.1",
     ["RECIST_NODE_NOT_PATHOLOGICAL"], "normal node recorded as non-target"),
    (Lesion("T1", "liver", None, D), "RECIST 1.1", ["RECIST_TARGET_NOT_MEASURED"],
     "target without a diameter"),
    (Lesion("T1", "pleura", 40.0, D, kind=LesionKind.EFFUSION), "RECIST 1.1",
     ["RECIST_TARGET_NOT_MEASURABLE_KIND"], "effusion is non-measurable"),
    (Lesion("T1", "liver", 30.0, D, previously_treated=True), "RECIST 1.1",
     ["RECIST_PREVIOUSLY_TREATED_TARGET"], "target in a TACE field"),
    (Lesion("N1", "porta hepatis", 18.0, D, nodal=True), "RECIST 1.1", [],
     "porta-hepatis node of 18 mm is a RECIST 1.1 target"),
    (Lesion("N1", "porta hepatis", 18.0, D, nodal=True), "mRECIST",
     ["MRECIST_PORTA_HEPATIS_NODE"], "mRECIST needs 20 mm at the porta hepatis"),
    (Lesion("N1", "abdomen", 20.0, D, nodal=True, site="porta_hepatis"), "mRECIST", [],
     "20 mm porta-hepatis node is an mRECIST target"),
    (Lesion("T1", "liver", 30.0, D, typical_hcc=False), "mRECIST", ["MRECIST_ATYPICAL_TARGET"],
     "non-enhancing lesion is not a viable target"),
    (Lesion("T1", "liver", 30.0, D, kind=LesionKind.PORTAL_VEIN_THROMBUS), "mRECIST",
     ["RECIST_TARGET_NOT_MEASURABLE_KIND"], "portal vein thrombus is non-measurable"),
]


@pytest.mark.parametrize(("lesion", "criteria", "expected", "why"), CASES,
                         ids=[c[3] for c in CASES])
def test_single_lesion_rules(lesion: Lesion, criteria: str, expected: list[str], why: str
                             ) -> None:
    """Each measurability edge, both sides."""
    assert codes([lesion, BIG], criteria=criteria) == expected


def test_more_than_five_targets() -> None:
    """RECIST 1.1 3.3: at most 5 targets in total."""
    organs = ["liver", "lung", "bone", "adrenal", "spleen", "kidney"]
    lesions = [Lesion(f"T{k}", organ, 20.0, D) for k, organ in enumerate(organs)]
    assert codes(lesions) == ["RECIST_TOO_MANY_TARGETS"]
    assert codes(lesions[:5]) == []


def test_more_than_two_per_organ_counts_nodes_and_paired_organs_as_one() -> None:
    """recist11.md 2: all nodes are one organ; left and right lung are one organ."""
    lungs = [Lesion("T1", "left lung", 20.0, D), Lesion("T2", "Right lung", 20.0, D),
             Lesion("T3", "lungs", 20.0, D)]
    nodes = [Lesion(f"N{k}", site, 16.0, D, nodal=True)
             for k, site in enumerate(["neck", "axilla", "groin"])]
    assert codes(lungs) == ["RECIST_TOO_MANY_TARGETS_IN_ORGAN"]
    assert codes(nodes) == ["RECIST_TOO_MANY_TARGETS_IN_ORGAN"]
    assert codes(lungs[:2] + nodes[:2]) == []


def test_imaging_window() -> None:
    """The protocol allows baseline imaging at most 21 days before the reference date."""
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=21))]) == []
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=22))]) == [
        "RECIST_BASELINE_TOO_OLD"]
    assert codes([Lesion("T1", "liver", 20.0, START + dt.timedelta(days=1))]) == [
        "RECIST_BASELINE_AFTER_START"]
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=25))],
                 imaging_window_days=28) == []


def test_no_measurable_disease_and_duplicate_ids() -> None:
    """No measurable lesion at all; and one id used twice."""
    assert codes([Lesion("NT1", "bone", None, D, target=False)]) == [
        "RECIST_NO_MEASURABLE_DISEASE"]
    assert codes([Lesion("T1", "liver", 20.0, D), Lesion("T1", "lung", 20.0, D)]) == [
        "RECIST_DUPLICATE_LESION_ID"]


def test_findings_never_raise_and_wording_is_stable() -> None:
    """check_baseline returns findings for bad data; the message says value, rule and fix."""
    found = check_baseline([Lesion("N1", "neck", 12.0, D, nodal=True)])
    assert [f.field for f in found] == ["lesions[N1]", "lesions"]
    assert found[0].message == (
        "Target lymph node N1 has a short axis of 12 mm at baseline. RECIST 1.1 needs at least "
        "15 mm for a lymph node (short axis); a smaller pathological node may only be a "
        "non-target. Record N1 as a non-target lesion, or correct the measurement.")


def test_is_measurable() -> None:
    """Measurability as used for 'measurable disease at baseline' (endpoints.md 1)."""
    assert is_measurable(Lesion("T1", "liver", 10.0, D))
    assert not is_measurable(Lesion("N1", "neck", 14.0, D, nodal=True))
    assert not is_measurable(Lesion("T1", "liver", 30.0, D, typical_hcc=False), "mRECIST")


NEW_CASES = [  # diameter, intrahepatic, hallmark, first diameter, expected, why
    (10.0, True, True, None, NewLesionStatus.YES, "10 mm with the typical hallmark is HCC"),
    (9.9, True, True, None, NewLesionStatus.EQUIVOCAL, "under 10 mm is equivocal"),
    (25.0, True, False, None, NewLesionStatus.EQUIVOCAL, "no typical hallmark is equivocal"),
    (18.0, True, False, 8.0, NewLesionStatus.YES, "grew by 10 mm since first seen"),
    (17.9, True, False, 8.0, NewLesionStatus.EQUIVOCAL, "grew by 9.9 mm"),
    (6.0, False, False, None, NewLesionStatus.YES, "extrahepatic follows RECIST 1.1"),
]


@pytest.mark.parametrize(("diameter", "intra", "hallmark", "first", "expected", "why"),
                         NEW_CASES, ids=[c[5] for c in NEW_CASES])
def test_mrecist_new_lesion(diameter: float, intra: bool, hallmark: bool, first: float | None,
                            expected: NewLesionStatus, why: str) -> None:
    """mrecist_hcc.md 3: new intrahepatic lesion >= 10 mm with arterial enhancement and washout."""
    assert classify_new_lesion_mrecist(diameter, intrahepatic=intra, typical_hallmark=hallmark,
                                       first_diameter_mm=first) is expected


def test_public_api_is_sorted_and_complete() -> None:
    """The package's public API is a sorted __all__ of names that exist."""
    assert recist.__all__ == sorted(recist.__all__)
    assert all(hasattr(recist, name) for name in recist.__all__)
    for name in ("target_response", "overall_response", "evaluate", "best_overall_response",
                 "Response"):
        assert name in recist.__all__


def test_every_finding_code_is_documented() -> None:
    """Each finding code check_baseline can return has a row in docs/recist.md."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[3]
    source = (root / "src" / "oncotrial" / "recist" / "_lesions.py").read_text(encoding="utf-8")
    docs = (root / "docs" / "recist.md").read_text(encoding="utf-8")
    found = set(re.findall(r'"(M?RECIST_[A-Z_]+)"', source))
    assert len(found) == 14
    assert sorted(code for code in found if f"| `{code}` |" not in docs) == []
