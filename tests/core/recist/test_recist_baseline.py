"""check_baseline() and measurability: RECIST 1.1 and mRECIST baseline rules, one case per edge.

RECIST 1.1 (Eisenhauer et al. 2009) section 3.1.1: a non-nodal lesion is measurable at >= 10 mm
on CT with slices <= 5 mm (2 x slice thickness otherwise, 20 mm on chest X-ray); a node is a
measurable target at >= 15 mm short axis, pathological but non-measurable at 10 to < 15 mm,
normal < 10 mm. Section 3.1.3: a lesion in a field of local therapy is measurable only once it
has progressed. Section 4.2: at most 5 targets, at most 2 per organ (all nodes are one organ;
paired organs are one, EORTC RECIST FAQ). mRECIST (Lencioni & Llovet 2010): porta-hepatis nodes
need >= 20 mm; effusions, ascites and portal vein thrombus are non-measurable; atypical
(non-enhancing) lesions are not viable targets.
"""

from __future__ import annotations

import datetime as dt

import pytest

import oncotrial.recist as recist
from oncotrial.errors import InputError, UnknownTermError
from oncotrial.recist import (
    Lesion,
    LesionKind,
    Method,
    NewLesionStatus,
    check_baseline,
    classify_new_lesion_mrecist,
    is_measurable,
    measurability,
)

D = dt.date(2025, 2, 20)
START = dt.date(2025, 3, 1)
BIG = Lesion("T9", "lung", 30.0, D)  # keeps "no measurable disease" out of the single cases


def codes(lesions: list[Lesion], **kwargs: object) -> list[str]:
    """The finding codes, with the protocol's 21-day imaging window unless given."""
    kwargs = {"imaging_window_days": 21, **kwargs}
    return [f.code for f in check_baseline(lesions, reference_date=START, **kwargs)]  # type: ignore[arg-type]


CASES = [  # lesion, criteria, expected codes (besides none), why
    (Lesion("T1", "liver", 10.0, D), "RECIST 1.1", [], "10 mm is the lower edge for non-nodal"),
    (Lesion("T1", "liver", 9.9, D), "RECIST 1.1", ["recist.baseline.target_too_small"],
     "just under 10 mm"),
    (Lesion("T1", "liver", 15.0, D, slice_thickness_mm=8.0), "RECIST 1.1",
     ["recist.baseline.target_too_small"], "8 mm slices need 16 mm"),
    (Lesion("T1", "liver", 16.0, D, slice_thickness_mm=8.0), "RECIST 1.1", [],
     "16 mm on 8 mm slices is measurable"),
    (Lesion("T1", "liver", 10.0, D, slice_thickness_mm=5.0), "RECIST 1.1", [],
     "5 mm slices keep the 10 mm rule"),
    (Lesion("T1", "lung", 19.0, D, method=Method.CHEST_XRAY), "RECIST 1.1",
     ["recist.baseline.target_too_small"], "chest X-ray needs 20 mm"),
    (Lesion("T1", "skin", 10.0, D, method=Method.CALIPER), "RECIST 1.1", [],
     "caliper 10 mm"),
    (Lesion("N1", "neck", 15.0, D, nodal=True), "RECIST 1.1", [], "node 15 mm short axis"),
    (Lesion("N1", "neck", 14.9, D, nodal=True), "RECIST 1.1",
     ["recist.baseline.node_not_measurable"],
     "node 10 to < 15 mm is non-measurable"),
    (Lesion("N1", "neck", 10.0, D, nodal=True), "RECIST 1.1",
     ["recist.baseline.node_not_measurable"],
     "node of 10 mm is pathological"),
    (Lesion("N1", "neck", 9.9, D, nodal=True), "RECIST 1.1",
     ["recist.baseline.node_not_pathological"],
     "node under 10 mm is normal"),
    (Lesion("N1", "neck", 9.0, D, nodal=True, target=False), "RECIST 1.1",
     ["recist.baseline.node_not_pathological"], "normal node recorded as non-target"),
    (Lesion("T1", "liver", None, D), "RECIST 1.1", ["recist.baseline.target_not_measured"],
     "target without a diameter"),
    (Lesion("T1", "pleura", 40.0, D, kind=LesionKind.EFFUSION), "RECIST 1.1",
     ["recist.baseline.target_not_measurable_kind"], "effusion is non-measurable"),
    (Lesion("T1", "liver", 30.0, D, previously_treated=True), "RECIST 1.1",
     ["recist.baseline.previously_treated_target"], "target in a TACE field"),
    (Lesion("N1", "porta hepatis", 18.0, D, nodal=True), "RECIST 1.1", [],
     "porta-hepatis node of 18 mm is a RECIST 1.1 target"),
    (Lesion("N1", "porta hepatis", 18.0, D, nodal=True), "mRECIST",
     ["recist.baseline.mrecist_porta_hepatis_node"], "mRECIST needs 20 mm at the porta hepatis"),
    (Lesion("N1", "abdomen", 20.0, D, nodal=True, site="porta_hepatis"), "mRECIST", [],
     "20 mm porta-hepatis node is an mRECIST target"),
    (Lesion("T1", "liver", 30.0, D, typical_hcc=False), "mRECIST",
     ["recist.baseline.mrecist_atypical_target"],
     "non-enhancing lesion is not a viable target"),
    (Lesion("T1", "liver", 30.0, D, kind=LesionKind.PORTAL_VEIN_THROMBUS), "mRECIST",
     ["recist.baseline.target_not_measurable_kind"], "portal vein thrombus is non-measurable"),
]


@pytest.mark.parametrize(("lesion", "criteria", "expected", "why"), CASES,
                         ids=[c[3] for c in CASES])
def test_single_lesion_rules(lesion: Lesion, criteria: str, expected: list[str], why: str
                             ) -> None:
    """Each measurability edge, both sides."""
    assert codes([lesion, BIG], criteria=criteria) == expected


def test_more_than_five_targets() -> None:
    """RECIST 1.1 section 4.2: at most 5 targets in total."""
    organs = ["liver", "lung", "bone", "adrenal", "spleen", "kidney"]
    lesions = [Lesion(f"T{k}", organ, 20.0, D) for k, organ in enumerate(organs)]
    assert codes(lesions) == ["recist.baseline.too_many_targets"]
    assert codes(lesions[:5]) == []


def test_more_than_two_per_organ_counts_nodes_and_paired_organs_as_one() -> None:
    """RECIST 1.1 section 4.2: all nodes are one organ; left and right lung are one organ."""
    lungs = [Lesion("T1", "left lung", 20.0, D), Lesion("T2", "Right lung", 20.0, D),
             Lesion("T3", "lungs", 20.0, D)]
    nodes = [Lesion(f"N{k}", site, 16.0, D, nodal=True)
             for k, site in enumerate(["neck", "axilla", "groin"])]
    assert codes(lungs) == ["recist.baseline.too_many_targets_in_organ"]
    assert codes(nodes) == ["recist.baseline.too_many_targets_in_organ"]
    assert codes(lungs[:2] + nodes[:2]) == []


def test_imaging_window() -> None:
    """The protocol allows baseline imaging at most 21 days before the reference date."""
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=21))]) == []
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=22))]) == [
        "recist.baseline.imaging_too_old"]
    assert codes([Lesion("T1", "liver", 20.0, START + dt.timedelta(days=1))]) == [
        "recist.baseline.imaging_after_start"]
    assert codes([Lesion("T1", "liver", 20.0, START - dt.timedelta(days=25))],
                 imaging_window_days=28) == []


def test_imaging_window_has_no_silent_protocol_default() -> None:
    """The imaging window is the protocol's (21 days in NCT06478927), not the core's: a
    reference date without a window is a wrong call, refused with the fix."""
    with pytest.raises(InputError, match="no imaging window"):
        check_baseline([Lesion("T1", "liver", 20.0, D)], reference_date=START)
    assert check_baseline([Lesion("T1", "liver", 20.0, D)]) == ()


def test_no_measurable_disease_and_duplicate_ids() -> None:
    """No measurable lesion at all; and one id used twice."""
    assert codes([Lesion("NT1", "bone", None, D, target=False)]) == [
        "recist.baseline.no_measurable_disease"]
    assert codes([Lesion("T1", "liver", 20.0, D), Lesion("T1", "lung", 20.0, D)]) == [
        "recist.baseline.duplicate_lesion_id"]


def test_findings_never_raise_and_wording_is_stable() -> None:
    """check_baseline returns findings for bad data; the message says value, rule and fix."""
    found = check_baseline([Lesion("N1", "neck", 12.0, D, nodal=True)])
    assert [f.field for f in found] == ["lesions[N1]", "lesions"]
    assert found[0].message == (
        "Target lymph node N1 has a short axis of 12 mm at baseline. RECIST 1.1 needs at least "
        "15 mm for a lymph node (short axis); a smaller pathological node may only be a "
        "non-target. Record N1 as a non-target lesion, or correct the measurement.")


def test_is_measurable() -> None:
    """Measurability as used for 'measurable disease at baseline' (RECIST 1.1 section 3.1)."""
    assert is_measurable(Lesion("T1", "liver", 10.0, D))
    assert not is_measurable(Lesion("N1", "neck", 14.0, D, nodal=True))
    assert not is_measurable(Lesion("T1", "liver", 30.0, D, typical_hcc=False), "mRECIST")


MEASURABILITY = [  # lesion, criteria, code suffix, minimum mm
    (Lesion("T1", "liver", 10.0, D), "RECIST 1.1", "measurable", 10.0),
    (Lesion("T1", "liver", 9.9, D), "RECIST 1.1", "too_small", 10.0),
    (Lesion("T1", "liver", 15.0, D, slice_thickness_mm=8.0), "RECIST 1.1", "too_small", 16.0),
    (Lesion("T1", "lung", 19.0, D, method=Method.CHEST_XRAY), "RECIST 1.1", "too_small", 20.0),
    (Lesion("N1", "neck", 15.0, D, nodal=True), "RECIST 1.1", "measurable", 15.0),
    (Lesion("N1", "neck", 12.0, D, nodal=True), "RECIST 1.1", "node_too_small", 15.0),
    (Lesion("N1", "neck", 9.0, D, nodal=True), "RECIST 1.1", "node_not_pathological", 10.0),
    (Lesion("N1", "porta hepatis", 18.0, D, nodal=True), "mRECIST",
     "porta_hepatis_node_too_small", 20.0),
    (Lesion("T1", "pleura", 40.0, D, kind=LesionKind.EFFUSION), "RECIST 1.1",
     "non_measurable_kind", None),
    (Lesion("T1", "liver", None, D), "RECIST 1.1", "not_measured", None),
    (Lesion("T1", "liver", 30.0, D, typical_hcc=False), "mRECIST", "mrecist_atypical", 10.0),
    (Lesion("T1", "liver", 30.0, D, previously_treated=True), "RECIST 1.1",
     "previously_treated", 10.0),
    (Lesion("T1", "liver", 30.0, D, previously_treated=True, progressed_since_treatment=True),
     "RECIST 1.1", "measurable", 10.0),
]


@pytest.mark.parametrize(("lesion", "criteria", "suffix", "minimum"), MEASURABILITY,
                         ids=[f"{c[0].lesion_id} {c[2]} {c[1]}" for c in MEASURABILITY])
def test_measurability_names_the_deciding_rule(lesion: Lesion, criteria: str, suffix: str,
                                               minimum: float | None) -> None:
    """measurability() is the one place RECIST 1.1 section 3.1 is decided: the code names the
    first rule the lesion fails, the minimum is the size it needed, and is_measurable agrees."""
    m = measurability(lesion, criteria)
    assert m.code == f"recist.measurability.{suffix}"
    assert m.minimum_mm == minimum
    assert m.measurable is (suffix == "measurable") is is_measurable(lesion, criteria)
    assert m.reason.startswith(f"{lesion.lesion_id} is ")
    assert m.facts["diameter_mm"] == lesion.diameter_mm


def test_previously_treated_lesion_is_not_measurable_until_it_progresses() -> None:
    """RECIST 1.1 section 3.1.3: a lesion in a previously irradiated (or locally treated) field
    is not measurable unless progression in it has been demonstrated; the only such lesion
    leaves the patient without measurable disease."""
    treated = Lesion("T1", "liver", 30.0, D, previously_treated=True)
    assert codes([treated]) == ["recist.baseline.previously_treated_target",
                                "recist.baseline.no_measurable_disease"]
    progressed = Lesion("T1", "liver", 30.0, D, previously_treated=True,
                        progressed_since_treatment=True)
    assert codes([progressed]) == []


def test_measurement_method_is_parsed_or_refused() -> None:
    """Methods of RECIST 1.1 section 3.2 in any spelling; anything else is an unknown term."""
    assert Method.parse("Chest X-ray") is Method.CHEST_XRAY
    assert Method.parse("mri") is Method.MRI
    with pytest.raises(UnknownTermError, match="'PET' is not known"):
        Method.parse("PET")


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
    """mRECIST (Lencioni & Llovet 2010): a new intrahepatic lesion >= 10 mm with arterial
    enhancement and washout is HCC."""
    assert classify_new_lesion_mrecist(diameter, intrahepatic=intra, typical_hallmark=hallmark,
                                       first_diameter_mm=first) is expected


def test_public_api_is_complete() -> None:
    """The package's public API is an __all__ of distinct names that exist (ruff RUF022 keeps
    it sorted)."""
    assert len(set(recist.__all__)) == len(recist.__all__)
    assert all(hasattr(recist, name) for name in recist.__all__)
    for name in ("target_response", "overall_response", "evaluate", "best_overall_response",
                 "Response"):
        assert name in recist.__all__


def test_every_finding_code_is_in_the_catalogue_and_documented() -> None:
    """Each finding code check_baseline can return is in RESULT_CODES, and every code of
    RESULT_CODES has a row in docs/recist.md."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[3]
    source = (root / "src" / "oncotrial" / "recist" / "_lesions.py").read_text(encoding="utf-8")
    docs = (root / "docs" / "recist.md").read_text(encoding="utf-8")
    body = source[source.index("def _duplicate_ids"):source.index("def check_baseline")]
    found = {"recist.baseline." + code for code in re.findall(r'add\(\s*"([a-z_]+)"', body)}
    found |= {"recist.baseline." + code for code in ("mrecist_porta_hepatis_node",
                                                      "node_not_measurable")}
    assert len(found) == 14
    assert sorted(found - set(recist.RESULT_CODES)) == []
    assert sorted(code for code in recist.RESULT_CODES if f"| `{code}` |" not in docs) == []
