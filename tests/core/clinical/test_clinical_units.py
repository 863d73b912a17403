"""Unit conversion for every analyte of the protocol and of CTCAE v5.0 lab terms.

Expected factors come from the SI conversion tables of the AMA Manual of Style, 11th edition
(bilirubin x 17.1, creatinine x 88.4, albumin/haemoglobin g/dL x 10, haemoglobin g/dL x 0.6206
mmol/L, calcium x 0.2495, magnesium x 0.4114, glucose x 0.0555) and from CTCAE v5.0, which
prints each count threshold both per mm3 and in 10^9/L (/mm3 / 1000).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.clinical import (
    ANALYTES,
    Quantity,
    accepted_units,
    canonical_unit,
    check_plausible,
    convert,
    normalise_unit,
)
from oncotrial.errors import ImplausibleValueError, InputError, UnitError, UnknownTermError

# value, from, to, analyte, expected, source
CONVERSIONS = [
    (1.0, "mg/dL", "umol/L", "bilirubin", 17.1, "scores 8: bilirubin x 17.1"),
    (3.0, "mg/dL", "umol/L", "bilirubin", 51.3, "scores 1: 3 mg/dL x 17.1 = 51.3"),
    (1.0, "mg/dL", "umol/L", "creatinine", 88.4, "scores 5: creatinine x 88.4"),
    (3.5, "g/dL", "g/L", "albumin", 35.0, "scores 1: albumin 3.5 g/dL = 35 g/L"),
    (2.8, "g/dL", "g/L", "albumin", 28.0, "scores 1: albumin 2.8 g/dL = 28 g/L"),
    (10.0, "g/dL", "g/L", "hemoglobin", 100.0, "CTCAE anaemia: 10.0 g/dL = 100 g/L"),
    (8.0, "g/dL", "mmol/L", "hemoglobin", 4.9648, "scores 8: Hb g/dL x 0.6206"),
    (150_000, "/mm3", "10^9/L", "platelets", 150.0, "scores 8: 150,000/mm3 = 150 x 10^9/L"),
    (1500, "/mm3", "10^9/L", "neutrophils", 1.5, "scores 8: 1500/mm3 = 1.5 x 10^9/L"),
    (1.5, "10^3/uL", "10^9/L", "anc", 1.5, "scores 8: 10^3/uL is the same number"),
    (3000, "cells/uL", "10^9/L", "wbc", 3.0, "CTCAE WBC: 3000/mm3 = 3.0 x 10^9/L"),
    (800, "/mm3", "10^9/L", "lymphocytes", 0.8, "CTCAE lymphocytes: 800/mm3 = 0.8"),
    (500, "cells/uL", "10^9/L", "cd4", 0.5, "CTCAE CD4: 500/mm3 = 0.5 x 10^9/L"),
    (75_000, "/mm3", "10^9/L", "platelets", 75.0, "CTCAE platelets: 75,000/mm3 = 75.0"),
    (135, "mEq/L", "mmol/L", "sodium", 135.0, "scores 8: sodium mEq/L = mmol/L"),
    (3.0, "mEq/L", "mmol/L", "potassium", 3.0, "scores 8: potassium mEq/L = mmol/L"),
    (8.0, "mg/dL", "mmol/L", "calcium", 1.996, "scores 8: calcium x 0.2495 (CTCAE 8.0 ~ 2.0)"),
    (1.2, "mg/dL", "mmol/L", "magnesium", 0.49368, "scores 8: magnesium x 0.4114"),
    (55, "mg/dL", "mmol/L", "glucose", 3.0525, "scores 8: glucose x 0.0555 (CTCAE 55 ~ 3.0)"),
    (2.0, "mEq/L", "mmol/L", "magnesium", 1.0, "Mg is divalent: 2 mEq = 1 mmol"),
    (300, "mg/dL", "g/L", "fibrinogen", 3.0, "100 mg/dL = 1 g/L"),
    (1.0, "ukat/L", "U/L", "alt", 60.0, "1 ukat/L = 60 U/L (IFCC)"),
    (0.45, "s", "ms", "qtc", 450.0, "seconds to milliseconds"),
    (1.0, "lb", "kg", "weight", 0.45359237, "international pound"),
    (1.7, "m", "cm", "height", 170.0, "metres to centimetres"),
    (600, "IU/mL", "IU/mL", "hbv_dna", 600.0, "same unit is allowed for HBV DNA"),
]


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "analyte", "expected", "source"),
    CONVERSIONS,
    ids=[c[5] for c in CONVERSIONS],
)
def test_convert_matches_published_factor(
    value: float, from_unit: str, to_unit: str, analyte: str, expected: float, source: str
) -> None:
    """Each conversion gives the figure of the cited table (relative tolerance 1e-9)."""
    assert convert(value, from_unit, to_unit, analyte=analyte) == pytest.approx(expected, rel=1e-9)


SPELLINGS = [
    ("10^9/L", "10^9/L"), ("10*9/L", "10^9/L"), ("x10^9/L", "10^9/L"), ("× 10⁹/L", "10^9/L"),
    ("10E9/L", "10^9/L"), ("10^3/uL", "10^3/uL"), ("K/uL", "10^3/uL"), ("10^3/µL", "10^3/uL"),
    ("/mm3", "cells/uL"), ("/mm³", "cells/uL"), ("cells/uL", "cells/uL"), ("/µL", "cells/uL"),
    ("umol/L", "umol/L"), ("µmol/L", "umol/L"), ("μmol/L", "umol/L"), ("mg/dl", "mg/dL"),
    ("g/dl", "g/dL"), ("g/L", "g/L"), ("mmol/l", "mmol/L"), ("mEq/L", "mEq/L"),
    ("U/L", "U/L"), ("IU/L", "U/L"), ("%", "%"), ("msec", "ms"), ("sec", "s"),
    ("IU/ml", "IU/mL"), ("copies/ml", "copies/mL"), ("", "1"),
]


@pytest.mark.parametrize(
    ("given_unit", "expected"), SPELLINGS, ids=[s[0] or "empty" for s in SPELLINGS]
)
def test_common_spellings_are_normalised(given_unit: str, expected: str) -> None:
    """Case, spaces, micro signs and power-of-ten spellings do not matter."""
    assert normalise_unit(given_unit) == expected


def test_unknown_unit_names_analyte_unit_and_accepted_units() -> None:
    """The message says which analyte, which unit was given and which units are accepted."""
    with pytest.raises(UnitError) as info:
        convert(1.0, "furlongs", "umol/L", analyte="bilirubin")
    text = str(info.value)
    assert "furlongs" in text and "bilirubin" in text and "umol/L, mg/dL" in text
    assert info.value.field == "bilirubin" and info.value.value == "furlongs"


def test_incompatible_unit_is_refused_with_accepted_units() -> None:
    """U/L is a real unit but not one of bilirubin."""
    with pytest.raises(UnitError, match=r"'U/L' is not a unit of Total bilirubin.*umol/L, mg/dL"):
        convert(1.0, "U/L", "umol/L", analyte="bilirubin")


def test_unknown_analyte_is_refused() -> None:
    """An analyte key we do not know lists the keys we do (an unknown term, not a KeyError)."""
    with pytest.raises(UnknownTermError, match=r"not one the platform knows.*bilirubin"):
        canonical_unit("unobtainium")
    with pytest.raises(UnknownTermError) as info:
        canonical_unit("bilirubn")
    assert info.value.suggestions == ("bilirubin",)
    assert info.value.vocabulary == "analyte" and info.value.name == "bilirubn"
    assert not isinstance(info.value, KeyError)


@pytest.mark.parametrize(("source", "target"), [("IU/mL", "copies/mL"), ("copies/mL", "IU/mL")])
def test_hbv_dna_is_never_converted_pn23(source: str, target: str) -> None:
    """PN-23: HBV DNA is compared in the reported unit; IU/mL <-> copies/mL is refused."""
    with pytest.raises(UnitError, match="PN-23"):
        convert(400.0, source, target, analyte="hbv_dna")


IMPLAUSIBLE = [
    ("neutrophils", -0.1, "10^9/L", "negative count"),
    ("platelets", -5, "/mm3", "negative count in /mm3"),
    ("lvef", 150, "%", "LVEF 150 %"),
    ("lvef", 0, "%", "LVEF 0 % is not a living heart"),
    ("qtc", 45, "ms", "QTc 45 ms: probably 450 typed wrongly"),
    ("hemoglobin", 800, "g/L", "Hb 800 g/L"),
    ("age", -1, "years", "negative age"),
    ("weight", 0, "kg", "weight 0 kg"),
    ("bilirubin", float("nan"), "umol/L", "not a number"),
    ("ph", 9.5, "", "pH 9.5"),
]


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "why"), IMPLAUSIBLE, ids=[c[3] for c in IMPLAUSIBLE]
)
def test_impossible_values_are_refused(analyte: str, value: float, unit: str, why: str) -> None:
    """Physiologically impossible values raise ImplausibleValueError, an InputError."""
    with pytest.raises(ImplausibleValueError) as info:
        check_plausible(analyte, value, unit)
    assert isinstance(info.value, InputError)


PLAUSIBLE = [
    ("neutrophils", 0.0, "10^9/L"), ("lvef", 100, "%"), ("qtc", 449, "ms"), ("age", 75, "years"),
    ("bilirubin", 1.2, "mg/dL"), ("ph", 7.4, ""), ("inr", 1.1, ""), ("hbv_dna", 0, "IU/mL"),
]


@pytest.mark.parametrize(("analyte", "value", "unit"), PLAUSIBLE)
def test_ordinary_values_are_accepted(analyte: str, value: float, unit: str) -> None:
    """Normal and abnormal-but-possible values pass."""
    check_plausible(analyte, value, unit)


def test_every_analyte_has_its_canonical_unit_first() -> None:
    """accepted_units starts with the canonical unit, and the canonical factor is 1."""
    for key, spec in ANALYTES.items():
        assert accepted_units(key)[0] == canonical_unit(key) == spec.canonical
        assert spec.factors[spec.canonical] == 1.0


CTCAE_ANALYTES = ["neutrophils", "wbc", "lymphocytes", "platelets", "hemoglobin", "alt", "ast",
                  "alp", "ggt", "bilirubin", "creatinine", "albumin", "inr", "aptt", "sodium",
                  "potassium", "calcium", "magnesium", "glucose", "chloride", "ionized_calcium",
                  "cholesterol", "triglycerides", "uric_acid", "fibrinogen", "cd4",
                  "haptoglobin", "lipase", "amylase", "ldh", "cpk", "ph", "eosinophils"]


@pytest.mark.parametrize("analyte", CTCAE_ANALYTES)
def test_ctcae_lab_analytes_are_known(analyte: str) -> None:
    """Every analyte a CTCAE v5.0 lab term grades has a canonical unit."""
    assert canonical_unit(analyte)


def test_quantity_is_frozen_and_normalises_its_unit() -> None:
    """A Quantity cannot be changed after creation and stores the display spelling."""
    q = Quantity(20, "µmol/L")
    assert q == Quantity(20.0, "umol/L")
    with pytest.raises(AttributeError):
        q.value = 3.0  # type: ignore[misc]


def test_quantity_refuses_non_numbers() -> None:
    """A quantity needs a finite number."""
    with pytest.raises(ImplausibleValueError):
        Quantity(float("inf"), "g/L")
    with pytest.raises(ImplausibleValueError):
        Quantity("12", "g/L")  # type: ignore[arg-type]


_CONVERTIBLE = [(k, s) for k, s in ANALYTES.items() if not s.never_convert]


@given(
    pair=st.sampled_from(_CONVERTIBLE),
    data=st.data(),
    value=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_converting_there_and_back_gives_the_value(pair: tuple[str, object], data: st.DataObject,
                                                   value: float) -> None:
    """Converting to any accepted unit and back returns the value (relative 1e-12)."""
    key, _spec = pair
    units = accepted_units(key)
    source = data.draw(st.sampled_from(units))
    target = data.draw(st.sampled_from(units))
    there = convert(value, source, target, analyte=key)
    back = convert(there, target, source, analyte=key)
    assert math.isclose(back, value, rel_tol=1e-12)


@given(a=st.floats(0, 1e4), b=st.floats(0, 1e4))
def test_conversion_preserves_order(a: float, b: float) -> None:
    """A larger value stays larger after conversion (factors are positive)."""
    lo, hi = sorted((a, b))
    assert convert(lo, "mg/dL", "umol/L", analyte="creatinine") <= convert(
        hi, "mg/dL", "umol/L", analyte="creatinine"
    )
