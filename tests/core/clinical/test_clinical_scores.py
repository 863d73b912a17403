"""Clinical scores against their sources: Child-Pugh, ALBI, BCLC 2022, ECOG, Cockcroft-Gault,
QTc and age. Each table names the source it was transcribed from."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.clinical import (
    Ascites,
    BclcStage,
    ChildPughClass,
    CoagulationItem,
    EcogStatus,
    Encephalopathy,
    Quantity,
    age_in_years,
    albi,
    bclc_stage,
    check_ecog,
    child_pugh,
    cockcroft_gault,
    parse_ecog,
    qtc_bazett,
    qtc_fridericia,
)
from oncotrial.errors import ImplausibleValueError, InputError, UnitError

VECTORS = Path(__file__).parents[2] / "vectors" / "clinical"
CHILD_PUGH = json.loads((VECTORS / "child_pugh.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CHILD_PUGH, ids=[c["id"] for c in CHILD_PUGH])
def test_child_pugh_matches_the_published_table(case: dict[str, Any]) -> None:
    """Pugh et al. 1973: each cut-off and both sides of it (vector file)."""
    result = child_pugh(
        bilirubin=Quantity(*case["bilirubin"]),
        albumin=Quantity(*case["albumin"]),
        inr=case.get("inr"),
        pt_prolongation_s=case.get("pt_prolongation_s"),
        ascites=case["ascites"],
        encephalopathy=case["encephalopathy"],
    )
    assert result.points == case["points"]
    assert result.child_pugh_class == case["class"]


def test_child_pugh_records_which_coagulation_item_was_used() -> None:
    """Use one coagulation item only, INR preferred; record which one (docs/clinical.md)."""
    common: dict[str, Any] = {"bilirubin": Quantity(1, "mg/dL"), "albumin": Quantity(40, "g/L"),
                              "ascites": "none", "encephalopathy": "none"}
    assert child_pugh(inr=1.1, **common).coagulation_item is CoagulationItem.INR
    assert (child_pugh(pt_prolongation_s=2, **common).coagulation_item
            is CoagulationItem.PT_PROLONGATION)
    with pytest.raises(InputError, match="neither INR nor prothrombin"):
        child_pugh(**common)


def test_child_pugh_harrison_albumin_variant() -> None:
    """Harrison's table puts the 2-point albumin band at 30-35 g/L: 29 g/L is then 3 points."""
    common: dict[str, Any] = {"bilirubin": Quantity(1, "mg/dL"), "inr": 1.0, "ascites": "none",
                              "encephalopathy": "none"}
    assert child_pugh(albumin=Quantity(29, "g/L"), **common).albumin_points == 2
    assert child_pugh(albumin=Quantity(29, "g/L"), albumin_low_g_l=30, **common).albumin_points == 3
    assert child_pugh(albumin=Quantity(2.9, "g/dL"), albumin_low_g_l=30,
                      **common).albumin_points == 3


def test_child_pugh_refuses_wrong_units_and_categories() -> None:
    """A unit that is not bilirubin's, or an unknown ascites category, is refused."""
    with pytest.raises(UnitError, match="bilirubin"):
        child_pugh(bilirubin=Quantity(1, "g/L"), albumin=Quantity(40, "g/L"), inr=1.0,
                   ascites="none", encephalopathy="none")
    with pytest.raises(InputError, match="ascites 'severe'"):
        child_pugh(bilirubin=Quantity(1, "mg/dL"), albumin=Quantity(40, "g/L"), inr=1.0,
                   ascites="severe", encephalopathy="none")


def test_child_pugh_label_and_summary() -> None:
    """The B7 that inclusion 8 allows is written 'B7'."""
    result = child_pugh(bilirubin=Quantity(40, "umol/L"), albumin=Quantity(30, "g/L"), inr=1.2,
                        ascites=Ascites.NONE, encephalopathy=Encephalopathy.NONE)
    assert result.label == "B7"
    assert result.child_pugh_class is ChildPughClass.B
    assert "bilirubin 2, albumin 2, INR 1" in result.summary()


_ASCITES = list(Ascites)
_ENCEPH = list(Encephalopathy)


@given(
    bili=st.tuples(st.floats(0.1, 10), st.floats(0.1, 10)),
    alb=st.tuples(st.floats(1.0, 6.0), st.floats(1.0, 6.0)),
    inr=st.tuples(st.floats(0.8, 5), st.floats(0.8, 5)),
    asc=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    enc=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_child_pugh_points_are_monotone_in_each_input(
    bili: tuple[float, float], alb: tuple[float, float], inr: tuple[float, float],
    asc: tuple[int, int], enc: tuple[int, int],
) -> None:
    """Worse bilirubin, albumin, INR, ascites or encephalopathy never lowers the points."""
    b_lo, b_hi = sorted(bili)
    a_lo, a_hi = sorted(alb)
    i_lo, i_hi = sorted(inr)
    s_lo, s_hi = sorted(asc)
    e_lo, e_hi = sorted(enc)
    better = child_pugh(bilirubin=Quantity(b_lo, "mg/dL"), albumin=Quantity(a_hi, "g/dL"),
                        inr=i_lo, ascites=_ASCITES[s_lo], encephalopathy=_ENCEPH[e_lo])
    worse = child_pugh(bilirubin=Quantity(b_hi, "mg/dL"), albumin=Quantity(a_lo, "g/dL"),
                       inr=i_hi, ascites=_ASCITES[s_hi], encephalopathy=_ENCEPH[e_hi])
    assert better.points <= worse.points
    assert 5 <= better.points <= 15


# ALBI (Johnson 2015): 0.66 log10(bili umol/L) - 0.085 albumin g/L; grade 1 <= -2.60,
# grade 2 > -2.60 and <= -1.39, grade 3 > -1.39. Scores worked by hand from the formula.
ALBI_CASES = [  # bilirubin umol/L, albumin g/L, score, grade, why
    (10, 40, 0.66 - 3.40, 1, "log10(10)=1: 0.66 - 3.40 = -2.74"),
    (100, 30, 1.32 - 2.55, 3, "log10(100)=2: 1.32 - 2.55 = -1.23"),
    (10, 38, 0.66 - 3.23, 2, "0.66 - 3.23 = -2.57, just above -2.60"),
    (1, 30.588235294117645, -2.60, 1, "score exactly -2.60 is grade 1 (<= -2.60)"),
    (1, 16.352941176470587, -1.39, 2, "score exactly -1.39 is grade 2 (<= -1.39)"),
]


@pytest.mark.parametrize(("bili", "alb", "score", "grade", "why"), ALBI_CASES,
                         ids=[c[4] for c in ALBI_CASES])
def test_albi_matches_johnson_2015(bili: float, alb: float, score: float, grade: int,
                                   why: str) -> None:
    """Johnson et al. JCO 2015 formula and cut-offs."""
    result = albi(bilirubin=Quantity(bili, "umol/L"), albumin=Quantity(alb, "g/L"))
    assert result.score == pytest.approx(score, abs=1e-9)
    assert result.grade == grade


def test_albi_converts_conventional_units() -> None:
    """mg/dL x 17.1 and g/dL x 10 before the formula (Johnson et al. 2015 uses umol/L, g/L)."""
    si = albi(bilirubin=Quantity(17.1, "umol/L"), albumin=Quantity(35, "g/L"))
    conventional = albi(bilirubin=Quantity(1.0, "mg/dL"), albumin=Quantity(3.5, "g/dL"))
    assert conventional.score == pytest.approx(si.score)
    assert si.score == pytest.approx(0.66 * math.log10(17.1) - 0.085 * 35)


def test_modified_albi_splits_grade_2_at_minus_2_27() -> None:
    """Hiraoka 2017: grade 2a <= -2.27 < 2b."""
    assert albi(bilirubin=Quantity(10, "umol/L"), albumin=Quantity(35, "g/L")).malbi_grade == "2a"
    assert albi(bilirubin=Quantity(30, "umol/L"), albumin=Quantity(30, "g/L")).malbi_grade == "2b"


def test_albi_refuses_zero_bilirubin() -> None:
    """log10(0) is undefined."""
    with pytest.raises(InputError, match="above 0"):
        albi(bilirubin=Quantity(0, "umol/L"), albumin=Quantity(40, "g/L"))


# BCLC 2022 (Reig et al., J Hepatol 2022;76:681-693, figure 1).
BCLC_CASES = [  # kwargs, stage, why
    ({"ecog": 0, "nodule_count": 1, "largest_nodule_cm": 2.0}, BclcStage.VERY_EARLY,
     "single nodule 2 cm, PS 0 is 0"),
    ({"ecog": 0, "nodule_count": 1, "largest_nodule_cm": 2.1}, BclcStage.EARLY,
     "single nodule above 2 cm is A"),
    ({"ecog": 0, "nodule_count": 1, "largest_nodule_cm": 9.0}, BclcStage.EARLY,
     "single nodule of any size is A"),
    ({"ecog": 0, "nodule_count": 3, "largest_nodule_cm": 3.0}, BclcStage.EARLY,
     "3 nodules each <= 3 cm is A"),
    ({"ecog": 0, "nodule_count": 3, "largest_nodule_cm": 3.1}, BclcStage.INTERMEDIATE,
     "3 nodules, one above 3 cm is B"),
    ({"ecog": 0, "nodule_count": 4, "largest_nodule_cm": 2.0}, BclcStage.INTERMEDIATE,
     "4 small nodules is B"),
    ({"ecog": 0, "nodule_count": 2, "largest_nodule_cm": 2.0, "macrovascular_invasion": True},
     BclcStage.ADVANCED, "portal invasion is C"),
    ({"ecog": 0, "nodule_count": 2, "largest_nodule_cm": 2.0, "extrahepatic_spread": True},
     BclcStage.ADVANCED, "extrahepatic spread is C"),
    ({"ecog": 1, "nodule_count": 1, "largest_nodule_cm": 2.0}, BclcStage.ADVANCED,
     "cancer-related PS 1 is C"),
    ({"ecog": 2, "nodule_count": 1, "largest_nodule_cm": 2.0}, BclcStage.ADVANCED,
     "cancer-related PS 2 is C"),
    ({"ecog": 1, "nodule_count": 1, "largest_nodule_cm": 5.0, "ps_cancer_related": False},
     BclcStage.EARLY, "PS 1 not related to cancer: staged by burden"),
    ({"ecog": 3, "nodule_count": 1, "largest_nodule_cm": 2.0}, BclcStage.TERMINAL,
     "PS 3 is D"),
    ({"ecog": 0, "nodule_count": 1, "largest_nodule_cm": 2.0, "liver_function_preserved": False},
     BclcStage.TERMINAL, "end-stage liver function is D"),
    ({"ecog": 0, "nodule_count": 1, "largest_nodule_cm": 2.0, "child_pugh_class": "C"},
     BclcStage.TERMINAL, "Child-Pugh C is D"),
    ({"ecog": 4, "nodule_count": 5, "largest_nodule_cm": 8.0, "macrovascular_invasion": True},
     BclcStage.TERMINAL, "D is checked before C"),
]


@pytest.mark.parametrize(("kwargs", "stage", "why"), BCLC_CASES, ids=[c[2] for c in BCLC_CASES])
def test_bclc_2022_stage(kwargs: dict[str, Any], stage: BclcStage, why: str) -> None:
    """Reig 2022: D, then C, then tumour burden for 0/A/B."""
    args: dict[str, Any] = {"liver_function_preserved": True, "macrovascular_invasion": False,
                            "extrahepatic_spread": False}
    args.update(kwargs)
    result = bclc_stage(**args)
    assert result.stage is stage
    assert result.reason


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4, 5, "2", 2.0])
def test_ecog_accepts_0_to_5(value: object) -> None:
    """Oken 1982: PS 0-5."""
    assert parse_ecog(value) in set(EcogStatus)


@pytest.mark.parametrize("value", [-1, 6, 1.5, "1-2", None, True])
def test_ecog_refuses_anything_else(value: object) -> None:
    """No other value is an ECOG score; check_ecog reports it without raising."""
    with pytest.raises(InputError, match="ECOG"):
        parse_ecog(value)
    assert [f.code for f in check_ecog(value)] == ["ecog.invalid"]


# Cockcroft-Gault 1976: (140 - age) x weight / (72 x SCr mg/dL), x 0.85 female.
CG_CASES = [  # age, weight, sex, creatinine, expected, why
    (60, 72, "M", Quantity(1.0, "mg/dL"), 80.0, "(140-60) x 72 / 72 = 80"),
    (60, 72, "F", Quantity(1.0, "mg/dL"), 68.0, "female x 0.85 = 68"),
    (60, 72, "M", Quantity(88.4, "umol/L"), 80.0, "88.4 umol/L = 1.0 mg/dL"),
    (40, 90, "M", Quantity(2.0, "mg/dL"), 62.5, "(100 x 90) / 144 = 62.5"),
    (75, 50, "F", Quantity(1.3, "mg/dL"), 65 * 50 / (72 * 1.3) * 0.85, "older woman"),
]


@pytest.mark.parametrize(("age", "weight", "sex", "creatinine", "expected", "why"), CG_CASES,
                         ids=[c[5] for c in CG_CASES])
def test_cockcroft_gault(age: int, weight: float, sex: str, creatinine: Quantity,
                         expected: float, why: str) -> None:
    """Cockcroft and Gault, Nephron 1976;16:31-41, with 88.4 umol/L per mg/dL."""
    result = cockcroft_gault(age_years=age, weight_kg=weight, sex=sex, creatinine=creatinine)
    assert result == pytest.approx(expected, rel=1e-12)


def test_cockcroft_gault_refuses_bad_inputs() -> None:
    """Sex must be M or F; weight must be possible."""
    with pytest.raises(InputError, match="Sex 'X'"):
        cockcroft_gault(age_years=60, weight_kg=70, sex="X", creatinine=Quantity(1, "mg/dL"))
    with pytest.raises(ImplausibleValueError):
        cockcroft_gault(age_years=60, weight_kg=0, sex="M", creatinine=Quantity(1, "mg/dL"))


# Bazett (1920) QT/sqrt(RR), Fridericia (1920) QT/cbrt(RR), RR = 60/HR.
QTC_CASES = [  # qt, hr, bazett, fridericia, why
    (400, 60, 400.0, 400.0, "at 60 bpm both equal QT"),
    (400, 100, 400 / math.sqrt(0.6), 400 / 0.6 ** (1 / 3), "RR 0.6 s"),
    (360, 120, 360 / math.sqrt(0.5), 360 / 0.5 ** (1 / 3), "RR 0.5 s: Bazett over-corrects"),
    (440, 50, 440 / math.sqrt(1.2), 440 / 1.2 ** (1 / 3), "RR 1.2 s: bradycardia"),
]


@pytest.mark.parametrize(("qt", "hr", "bazett", "fridericia", "why"), QTC_CASES,
                         ids=[c[4] for c in QTC_CASES])
def test_qtc_formulas(qt: float, hr: float, bazett: float, fridericia: float, why: str) -> None:
    """Bazett 1920 and Fridericia 1920."""
    assert qtc_bazett(qt_ms=qt, heart_rate_bpm=hr) == pytest.approx(bazett, rel=1e-12)
    assert qtc_fridericia(qt_ms=qt, heart_rate_bpm=hr) == pytest.approx(fridericia, rel=1e-12)


def test_qtc_is_the_mean_of_triplicates() -> None:
    """PN-30: with triplicate ECGs, use the mean QTc."""
    single = [qtc_fridericia(qt_ms=q, heart_rate_bpm=h) for q, h in [(400, 70), (410, 75),
                                                                     (420, 80)]]
    mean = qtc_fridericia(qt_ms=[400, 410, 420], heart_rate_bpm=[70, 75, 80])
    assert mean == pytest.approx(sum(single) / 3)
    with pytest.raises(InputError, match="one heart rate per QT"):
        qtc_bazett(qt_ms=[400, 410], heart_rate_bpm=[70])


AGE_CASES = [  # birth, on, age, why
    (date(1951, 3, 2), date(2026, 3, 2), 75, "75th birthday itself"),
    (date(1951, 3, 3), date(2026, 3, 2), 74, "day before 75th birthday"),
    (date(2008, 3, 2), date(2026, 3, 2), 18, "18th birthday"),
    (date(2008, 3, 3), date(2026, 3, 2), 17, "day before 18th birthday"),
    (date(2000, 2, 29), date(2026, 2, 28), 25, "leap-day birth, 28 Feb of a common year"),
    (date(2000, 2, 29), date(2026, 3, 1), 26, "leap-day birth, 1 Mar of a common year"),
]


@pytest.mark.parametrize(("birth", "on", "age", "why"), AGE_CASES, ids=[c[3] for c in AGE_CASES])
def test_age_in_completed_years(birth: date, on: date, age: int, why: str) -> None:
    """PN-16: age in completed years on the reference date."""
    assert age_in_years(birth, on=on) == age


def test_age_refuses_reference_before_birth() -> None:
    """A reference date before birth is a data error."""
    with pytest.raises(InputError, match="before the date of birth"):
        age_in_years(date(2000, 1, 1), on=date(1999, 1, 1))
