"""Creatinine clearance by Cockcroft-Gault (Cockcroft DW, Gault MH. Prediction of creatinine
clearance from serum creatinine. Nephron 1976;16:31-41).

:class:`Sex` is the shared enum of :mod:`oncotrial.records`, re-exported here.
"""

from __future__ import annotations

from oncotrial.clinical.units import Quantity, check_plausible, convert
from oncotrial.errors import InputError
from oncotrial.records import Sex

__all__ = ["Sex", "cockcroft_gault", "cockcroft_gault_formula", "parse_sex"]


def parse_sex(value: Sex | str) -> Sex:
    """Return :class:`Sex` for ``"M"``/``"F"`` (also ``male``/``female``, any case).

    >>> parse_sex("female")
    <Sex.FEMALE: 'F'>

    Raises:
        InputError: the value is not one of these.
    """
    if isinstance(value, Sex):
        return value
    text = str(value).strip().upper()
    text = {"MALE": "M", "FEMALE": "F"}.get(text, text)
    if text not in ("M", "F"):
        raise InputError(
            f"Sex {value!r} is not recognised: it must be 'M' or 'F'.",
            field="sex",
            value=value,
            hint="Record sex as M or F.",
        )
    return Sex(text)


def cockcroft_gault(
    *, age_years: int, weight_kg: float, sex: Sex | str, creatinine: Quantity
) -> float:
    """Estimate creatinine clearance in mL/min by Cockcroft-Gault (1976).

    CrCl = (140 - age in years) x weight in kg / (72 x serum creatinine in mg/dL), times 0.85
    for women. Creatinine in umol/L is first divided by 88.4. Weight is actual body weight;
    the result is not normalised to body surface area. Round only for display.

    Raises:
        UnitError: creatinine has a unit that is not one of creatinine.
        ImplausibleValueError: age, weight or creatinine is impossible.
        InputError: sex is not M or F.

    Example: a 60-year-old man of 72 kg with creatinine 1.0 mg/dL (88.4 umol/L) clears
    (140 - 60) x 72 / (72 x 1.0) = 80 mL/min; a woman of the same age and weight 68:

    >>> cockcroft_gault(age_years=60, weight_kg=72, sex="M", creatinine=Quantity(1.0, "mg/dL"))
    80.0
    >>> round(cockcroft_gault(age_years=60, weight_kg=72, sex="F",
    ...                       creatinine=Quantity(88.4, "umol/L")), 6)
    68.0
    """
    kind = parse_sex(sex)
    check_plausible("age", age_years, "years")
    check_plausible("weight", weight_kg, "kg")
    check_plausible("creatinine", creatinine.value, creatinine.unit)
    if age_years >= 140:
        raise InputError(
            f"Cockcroft-Gault is undefined for age {age_years}.",
            field="age_years",
            value=age_years,
        )
    scr_mg_dl = convert(creatinine.value, creatinine.unit, "mg/dL", analyte="creatinine")
    return cockcroft_gault_formula(age_years, weight_kg, kind is Sex.FEMALE, scr_mg_dl)


def cockcroft_gault_formula(age_years: int, weight_kg: float, female: bool,
                            creatinine_mg_dl: float) -> float:
    """The Cockcroft-Gault (1976) formula on checked numbers, in mL/min (no validation).

    For callers that have already validated their inputs; others use :func:`cockcroft_gault`.

    >>> cockcroft_gault_formula(60, 72, False, 1.0), cockcroft_gault_formula(60, 72, True, 1.0)
    (80.0, 68.0)
    """
    clearance = (140 - age_years) * weight_kg / (72.0 * creatinine_mg_dl)
    return clearance * 0.85 if female else clearance
