"""Laboratory and clinical units: one table of analytes, their units and conversion factors.

Sources: the SI conversion tables of the AMA Manual of Style, 11th edition (2020), whose factors
follow from each analyte's molar mass: bilirubin x 17.1 (584.7 g/mol),
creatinine x 88.4 (113.12 g/mol), albumin and haemoglobin g/dL x 10, haemoglobin g/dL x 0.6206
to mmol/L (monomer, 16.11 g/mmol), calcium x 0.2495, magnesium x 0.4114, glucose x 0.0555,
cholesterol x 0.02586, triglycerides x 0.01129, uric acid x 59.48, phosphate x 0.3229. Counts:
CTCAE v5.0 writes them both as /mm3 and as 10^9/L; 1 x 10^3/uL is the same number as
1 x 10^9/L, and /mm3 / 1000 = 10^9/L.

Every analyte has a canonical unit (the SI unit the platform stores and compares in) and a
table of accepted units with the factor that turns a value in that unit into the canonical
unit. Common spellings (``10*9/L``, ``x10^9/L``, ``K/uL``, ``/mm3``, ``µmol/L``, ``IU/L``,
``mEq/L``...) are normalised before the lookup.

HBV DNA in IU/mL and in copies/mL are both accepted but never converted into each other:
the factor depends on the assay (3.41 to 5.82 copies per IU), and protocol note PN-23 says to
apply the eligibility threshold in the unit the laboratory reported
(``docs/protocol-notes.md#pn-23``).

Why hand-written: ``pint`` and similar libraries know physical dimensions but not
analyte-specific molar masses or clinical count spellings, and they would be a new dependency.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from oncotrial.errors import ImplausibleValueError, UnitError, UnknownTermError

__all__ = [
    "ANALYTES",
    "AnalyteSpec",
    "Quantity",
    "accepted_units",
    "analyte_key",
    "canonical_unit",
    "check_plausible",
    "convert",
    "normalise_unit",
]


# --- unit spellings -------------------------------------------------------------------------

#: Spellings (after lower-casing, removing spaces and mapping µ to u) to the unit we display.
_SPELLINGS: dict[str, str] = {}


def _spell(canonical: str, *spellings: str) -> None:
    for spelling in (canonical, *spellings):
        _SPELLINGS[_squash(spelling)] = canonical


def _squash(unit: str) -> str:
    """Lower-case, drop spaces, write micro as ``u`` and powers of ten as ``10^n``."""
    text = unit.strip().lower().replace("µ", "u").replace("μ", "u")  # micro sign, Greek mu
    text = text.replace("×", "x").replace(" ", "")
    text = text.replace("⁹", "^9").replace("³", "^3").replace("¹²", "^12")
    text = re.sub(r"10(\*\*|\*|e|\^)?(9|3|6|12)(?=/)", r"10^\2", text)
    text = re.sub(r"^x(?=10\^)", "", text)
    text = re.sub(r"^(10\^\d+)(cells)?/", r"\1/", text)
    return text


_spell("10^9/L", "10^9/l", "10*9/L", "x10^9/L", "10e9/L", "10^9 cells/L", "giga/L")
_spell("10^3/uL", "10^3/ul", "x10^3/uL", "10*3/uL", "K/uL", "k/µL", "thou/uL", "10^3/mm3",
       "x10^3/mm3", "10^3/mm^3", "K/mm3")
_spell("cells/uL", "/uL", "/µL", "/mm3", "/mm^3", "/mm³", "cells/mm3", "cells/mm^3", "cells/µL",
       "per uL", "per mm3")
_spell("umol/L", "µmol/L", "μmol/L", "micromol/L", "umol/l")
_spell("mmol/L", "mmol/l", "mM")
_spell("mEq/L", "meq/l", "mval/L")
_spell("mg/dL", "mg/dl", "mg%", "mg/100mL")
_spell("g/dL", "g/dl", "g/100mL")
_spell("g/L", "g/l")
_spell("mg/L", "mg/l")
_spell("U/L", "IU/L", "u/l", "iu/l", "units/L")
_spell("ukat/L", "µkat/L", "microkat/L")
_spell("%", "percent", "pct")
_spell("ms", "msec", "millisecond", "milliseconds")
_spell("s", "sec", "secs", "second", "seconds")
_spell("1", "", "ratio", "(ratio)", "none", "unitless", "inr", "ph")
_spell("IU/mL", "IU/ml", "iu/ml", "IU per mL")
_spell("copies/mL", "copies/ml", "cp/mL", "copy/mL")
_spell("kg", "kilogram", "kilograms", "kgs")
_spell("lb", "lbs", "pound", "pounds")
_spell("cm", "centimetre", "centimeter", "centimetres", "centimeters")
_spell("m", "metre", "meter", "metres", "meters")
_spell("in", "inch", "inches")
_spell("years", "year", "y", "yr", "yrs")
_spell("mL/min", "ml/min", "mL/minute")
_spell("bpm", "/min", "beats/min", "min^-1")
_spell("ng/mL", "ng/ml")
_spell("ug/L", "µg/L", "ug/l")


def normalise_unit(unit: str) -> str | None:
    """Return the display spelling of ``unit``, or None when the spelling is unknown.

    The rule: case, spaces and the micro sign do not matter; ``10*9``, ``10e9`` and ``x10^9``
    all mean ``10^9``; ``/mm3``, ``/uL`` and ``cells/uL`` are the same count unit; ``IU/L``
    is ``U/L`` (enzyme activity). The result is the spelling used in messages and storage.

    >>> normalise_unit("x10*9/l"), normalise_unit("K/µL"), normalise_unit("/mm³")
    ('10^9/L', '10^3/uL', 'cells/uL')
    >>> normalise_unit("µmol/L"), normalise_unit("IU/L"), normalise_unit("furlongs") is None
    ('umol/L', 'U/L', True)
    """
    known = _NORMALISED.get(unit)
    if known is not None or unit in _NORMALISED:
        return known
    result = _SPELLINGS.get(_squash(unit))
    if len(_NORMALISED) < 4096:  # memo: the same few spellings recur in every record
        _NORMALISED[unit] = result
    return result


_NORMALISED: dict[str, str | None] = {}


# --- analytes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnalyteSpec:
    """One analyte: its canonical unit, accepted units with factors, and the plausible range.

    ``factors[unit]`` multiplies a value in ``unit`` to give the value in ``canonical``.
    ``low``/``high`` bound the physiologically possible values, in the canonical unit;
    ``low_inclusive`` says whether ``low`` itself is possible (a count of 0 is, an LVEF of
    0 % is not).
    """

    key: str
    label: str
    canonical: str
    factors: dict[str, float]
    low: float
    high: float
    low_inclusive: bool = True
    never_convert: bool = False


_COUNT = {"10^9/L": 1.0, "10^3/uL": 1.0, "cells/uL": 0.001}
_ENZYME = {"U/L": 1.0, "ukat/L": 60.0}


def _spec(
    key: str,
    label: str,
    canonical: str,
    factors: dict[str, float],
    low: float,
    high: float,
    *,
    low_inclusive: bool = True,
    never_convert: bool = False,
) -> AnalyteSpec:
    return AnalyteSpec(key, label, canonical, dict(factors), low, high, low_inclusive,
                       never_convert)


_SPECS: tuple[AnalyteSpec, ...] = (
    # Liver function.
    _spec("bilirubin", "Total bilirubin", "umol/L", {"umol/L": 1.0, "mg/dL": 17.1}, 0.0, 1500.0),
    _spec("albumin", "Albumin", "g/L", {"g/L": 1.0, "g/dL": 10.0}, 0.0, 100.0,
          low_inclusive=False),
    _spec("alt", "ALT", "U/L", _ENZYME, 0.0, 100_000.0),
    _spec("ast", "AST", "U/L", _ENZYME, 0.0, 100_000.0),
    _spec("alp", "Alkaline phosphatase", "U/L", _ENZYME, 0.0, 100_000.0),
    _spec("ggt", "GGT", "U/L", _ENZYME, 0.0, 100_000.0),
    # Kidney.
    _spec("creatinine", "Serum creatinine", "umol/L", {"umol/L": 1.0, "mg/dL": 88.4}, 0.0,
          3000.0, low_inclusive=False),
    _spec("creatinine_clearance", "Creatinine clearance", "mL/min", {"mL/min": 1.0}, 0.0, 1000.0),
    # Blood counts (10^3/uL is the same number as 10^9/L; /mm3 is 1000 times larger).
    _spec("hemoglobin", "Haemoglobin", "g/L",
          {"g/L": 1.0, "g/dL": 10.0, "mmol/L": 10.0 / 0.6206}, 0.0, 300.0),
    _spec("neutrophils", "ANC", "10^9/L", _COUNT, 0.0, 500.0),
    _spec("platelets", "Platelets", "10^9/L", _COUNT, 0.0, 5000.0),
    _spec("wbc", "WBC", "10^9/L", _COUNT, 0.0, 1000.0),
    _spec("lymphocytes", "Lymphocytes", "10^9/L", _COUNT, 0.0, 1000.0),
    _spec("eosinophils", "Eosinophils", "10^9/L", _COUNT, 0.0, 200.0),
    _spec("cd4", "CD4 lymphocytes", "10^9/L", _COUNT, 0.0, 20.0),
    # Coagulation.
    _spec("inr", "INR", "1", {"1": 1.0}, 0.0, 30.0, low_inclusive=False),
    _spec("pt", "Prothrombin time", "s", {"s": 1.0, "ms": 0.001}, 0.0, 600.0,
          low_inclusive=False),
    _spec("aptt", "aPTT", "s", {"s": 1.0, "ms": 0.001}, 0.0, 600.0, low_inclusive=False),
    _spec("fibrinogen", "Fibrinogen", "g/L", {"g/L": 1.0, "mg/dL": 0.01}, 0.0, 30.0),
    # Viral load: never converted between IU/mL and copies/mL (PN-23).
    _spec("hbv_dna", "HBV DNA", "IU/mL", {"IU/mL": 1.0, "copies/mL": 1.0}, 0.0, 1e13,
          never_convert=True),
    _spec("hcv_rna", "HCV RNA", "IU/mL", {"IU/mL": 1.0}, 0.0, 1e12),
    # Cardiac.
    _spec("qt", "QT interval", "ms", {"ms": 1.0, "s": 1000.0}, 150.0, 900.0),
    _spec("qtc", "QTc interval", "ms", {"ms": 1.0, "s": 1000.0}, 150.0, 900.0),
    _spec("lvef", "LVEF", "%", {"%": 1.0}, 0.0, 100.0, low_inclusive=False),
    _spec("heart_rate", "Heart rate", "bpm", {"bpm": 1.0}, 0.0, 350.0, low_inclusive=False),
    # Body and age.
    _spec("weight", "Body weight", "kg", {"kg": 1.0, "lb": 0.45359237}, 0.0, 500.0,
          low_inclusive=False),
    _spec("height", "Height", "cm", {"cm": 1.0, "m": 100.0, "in": 2.54}, 30.0, 280.0),
    _spec("age", "Age", "years", {"years": 1.0}, 0.0, 130.0),
    # Electrolytes and chemistry used by CTCAE v5.0 lab terms.
    _spec("sodium", "Sodium", "mmol/L", {"mmol/L": 1.0, "mEq/L": 1.0}, 50.0, 250.0),
    _spec("potassium", "Potassium", "mmol/L", {"mmol/L": 1.0, "mEq/L": 1.0}, 0.5, 15.0),
    _spec("chloride", "Chloride", "mmol/L", {"mmol/L": 1.0, "mEq/L": 1.0}, 40.0, 200.0),
    _spec("bicarbonate", "Bicarbonate", "mmol/L", {"mmol/L": 1.0, "mEq/L": 1.0}, 0.0, 80.0),
    _spec("calcium", "Calcium", "mmol/L",
          {"mmol/L": 1.0, "mg/dL": 0.2495, "mEq/L": 0.5}, 0.5, 6.0),
    _spec("ionized_calcium", "Ionised calcium", "mmol/L",
          {"mmol/L": 1.0, "mg/dL": 0.2495, "mEq/L": 0.5}, 0.2, 4.0),
    _spec("magnesium", "Magnesium", "mmol/L",
          {"mmol/L": 1.0, "mg/dL": 0.4114, "mEq/L": 0.5}, 0.05, 5.0),
    _spec("phosphate", "Phosphate", "mmol/L", {"mmol/L": 1.0, "mg/dL": 0.3229}, 0.0, 10.0),
    _spec("glucose", "Glucose", "mmol/L", {"mmol/L": 1.0, "mg/dL": 0.0555}, 0.0, 150.0,
          low_inclusive=False),
    _spec("cholesterol", "Cholesterol", "mmol/L", {"mmol/L": 1.0, "mg/dL": 0.02586}, 0.0, 80.0),
    _spec("triglycerides", "Triglycerides", "mmol/L", {"mmol/L": 1.0, "mg/dL": 0.01129}, 0.0,
          300.0),
    _spec("uric_acid", "Uric acid", "umol/L", {"umol/L": 1.0, "mg/dL": 59.48}, 0.0, 3000.0),
    _spec("haptoglobin", "Haptoglobin", "g/L", {"g/L": 1.0, "mg/dL": 0.01}, 0.0, 20.0),
    _spec("lipase", "Lipase", "U/L", _ENZYME, 0.0, 1_000_000.0),
    _spec("amylase", "Amylase", "U/L", _ENZYME, 0.0, 1_000_000.0),
    _spec("ldh", "LDH", "U/L", _ENZYME, 0.0, 1_000_000.0),
    _spec("cpk", "CPK", "U/L", _ENZYME, 0.0, 1_000_000.0),
    _spec("ph", "pH", "1", {"1": 1.0}, 6.0, 8.0),
    _spec("afp", "Alpha-fetoprotein", "ng/mL", {"ng/mL": 1.0, "ug/L": 1.0}, 0.0, 1e8),
)

#: Every analyte key to its specification.
ANALYTES: dict[str, AnalyteSpec] = {spec.key: spec for spec in _SPECS}

_ALIASES: dict[str, str] = {
    "anc": "neutrophils",
    "neutrophil_count": "neutrophils",
    "plt": "platelets",
    "platelet_count": "platelets",
    "hb": "hemoglobin",
    "hgb": "hemoglobin",
    "haemoglobin": "hemoglobin",
    "tbil": "bilirubin",
    "total_bilirubin": "bilirubin",
    "white_blood_cells": "wbc",
    "lymphocyte_count": "lymphocytes",
    "cd4_count": "cd4",
    "alkaline_phosphatase": "alp",
    "gamma_gt": "ggt",
    "crcl": "creatinine_clearance",
    "corrected_calcium": "calcium",
    "ionised_calcium": "ionized_calcium",
    "ck": "cpk",
    "creatine_kinase": "cpk",
    "lactate_dehydrogenase": "ldh",
    "urate": "uric_acid",
    "ptt": "aptt",
    "hr": "heart_rate",
    "qtcf": "qtc",
    "qtcb": "qtc",
}


def analyte_key(analyte: str) -> str:
    """Return the canonical analyte key for ``analyte`` (a key or a documented alias).

    >>> analyte_key("ANC"), analyte_key("haemoglobin"), analyte_key("bilirubin")
    ('neutrophils', 'hemoglobin', 'bilirubin')
    >>> analyte_key("bilirubn")
    Traceback (most recent call last):
    ...
    oncotrial.errors.UnknownTermError: Analyte 'bilirubn' ... Did you mean: bilirubin?

    Raises:
        UnknownTermError: the analyte is not one the platform knows (vocabulary ``analyte``,
            with the closest keys as suggestions).
    """
    if analyte in ANALYTES:
        return analyte
    key = analyte.strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in ANALYTES:
        close = difflib.get_close_matches(key, [*ANALYTES, *_ALIASES], n=3, cutoff=0.75)
        raise UnknownTermError(
            "analyte", analyte, list(dict.fromkeys(_ALIASES.get(c, c) for c in close)),
            message=f"Analyte {analyte!r} is not one the platform knows how to convert.",
            hint=None if close else f"Use one of: {', '.join(sorted(ANALYTES))}.")
    return key


def _spec_of(analyte: str) -> AnalyteSpec:
    return ANALYTES[analyte_key(analyte)]


def canonical_unit(analyte: str) -> str:
    """Return the unit the platform stores and compares ``analyte`` in (SI where there is one).

    >>> canonical_unit("bilirubin"), canonical_unit("anc"), canonical_unit("inr")
    ('umol/L', '10^9/L', '1')
    """
    return _spec_of(analyte).canonical


def accepted_units(analyte: str) -> tuple[str, ...]:
    """Return the units accepted for ``analyte``, canonical first, in display spelling.

    >>> accepted_units("creatinine")
    ('umol/L', 'mg/dL')
    >>> accepted_units("hbv_dna")
    ('IU/mL', 'copies/mL')
    """
    spec = _spec_of(analyte)
    others = [unit for unit in spec.factors if unit != spec.canonical]
    return (spec.canonical, *others)


def _resolve_unit(spec: AnalyteSpec, unit: str) -> str:
    normal = normalise_unit(unit)
    if normal is None or normal not in spec.factors:
        accepted = ", ".join(accepted_units(spec.key))
        problem = "is not a unit we recognise" if normal is None else "is not a unit of"
        what = (f"Unit {unit!r} for {spec.label} ({spec.key}) {problem}."
                if normal is None else f"Unit {unit!r} {problem} {spec.label} ({spec.key}).")
        raise UnitError(
            what,
            field=spec.key,
            value=unit,
            hint=f"Accepted units: {accepted}. Enter the value in one of them.",
        )
    return normal


def convert(value: float, from_unit: str, to_unit: str, *, analyte: str) -> float:
    """Convert ``value`` of ``analyte`` from ``from_unit`` to ``to_unit``.

    Rule: multiply by the factor of ``from_unit`` to the canonical unit, then divide by the
    factor of ``to_unit`` (factors: see the module docstring). HBV DNA is
    never converted between IU/mL and copies/mL (protocol note PN-23: the factor is
    assay-specific, and the threshold is applied in the unit reported).

    Raises:
        UnknownTermError: the analyte is unknown.
        UnitError: a unit is unknown, the unit does not fit the analyte, or the conversion
            is refused (HBV DNA IU/mL <-> copies/mL).

    >>> round(convert(1.2, "mg/dL", "µmol/L", analyte="bilirubin"), 2)
    20.52
    >>> convert(1500, "/mm3", "10^9/L", analyte="anc")
    1.5
    >>> convert(3.5, "g/dL", "g/L", analyte="albumin")
    35.0
    >>> convert(600, "IU/mL", "copies/mL", analyte="hbv_dna")
    Traceback (most recent call last):
    ...
    oncotrial.errors.UnitError: HBV DNA in IU/mL cannot be converted to copies/mL...
    """
    spec = _spec_of(analyte)
    source = _resolve_unit(spec, from_unit)
    target = _resolve_unit(spec, to_unit)
    if source == target:
        return float(value)
    if spec.never_convert:
        raise UnitError(
            f"{spec.label} in {source} cannot be converted to {target}: the factor depends on "
            "the assay (3.41 to 5.82 copies per IU), and protocol note PN-23 says to apply the "
            "threshold in the unit the laboratory reported.",
            field=spec.key,
            value=f"{value} {source}",
            hint=f"Keep the value in {source} and compare it with the {source} threshold.",
        )
    return float(value) * spec.factors[source] / spec.factors[target]


def check_plausible(analyte: str, value: float, unit: str) -> None:
    """Refuse a value that is physiologically impossible for ``analyte``.

    The rule: after conversion to the canonical unit the value must be a finite number within
    the analyte's possible range (for example counts are never negative, LVEF is above 0 and
    at most 100 %, QT lies between 150 and 900 ms). The ranges are deliberately wide: they
    catch typing and unit mistakes, not abnormal results.

    Raises:
        UnknownTermError: the analyte is unknown.
        UnitError: the unit is unknown or does not fit the analyte.
        ImplausibleValueError: the value is impossible.

    >>> check_plausible("lvef", 62, "%") is None
    True
    >>> check_plausible("lvef", 150, "%")
    Traceback (most recent call last):
    ...
    oncotrial.errors.ImplausibleValueError: LVEF of 150 % is not physically possible...
    """
    spec = _spec_of(analyte)
    source = _resolve_unit(spec, unit)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ImplausibleValueError(
            f"{spec.label} of {value!r} is not a finite number.",
            field=spec.key,
            value=value,
            hint="Enter the numeric result as reported by the laboratory.",
        )
    canonical = value * spec.factors[source]
    too_low = canonical < spec.low or (canonical == spec.low and not spec.low_inclusive)
    if too_low or canonical > spec.high:
        shown = f"{value:g} {source}" if source != "1" else f"{value:g}"
        low_word = "at least" if spec.low_inclusive else "above"
        unit_text = "" if spec.canonical == "1" else f" {spec.canonical}"
        raise ImplausibleValueError(
            f"{spec.label} of {shown} is not physically possible: it must be {low_word} "
            f"{spec.low:g} and at most {spec.high:g}{unit_text}.",
            field=spec.key,
            value=value,
            hint="Check the value and its unit against the laboratory report.",
        )


@dataclass(frozen=True, slots=True)
class Quantity:
    """A measured value with its unit, for example ``Quantity(1.2, "mg/dL")``.

    The unit is stored in its display spelling when the spelling is known (``"µmol/L"``
    becomes ``"umol/L"``), otherwise as given; whether it fits an analyte is checked when the
    quantity is used for one (:meth:`to`, or a score).

    >>> Quantity(20, "µmol/L")
    Quantity(value=20.0, unit='umol/L')
    >>> Quantity(1.2, "mg/dL").to("umol/L", analyte="bilirubin")
    Quantity(value=20.52, unit='umol/L')
    """

    value: float
    unit: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise ImplausibleValueError(
                f"Quantity value {self.value!r} is not a number.",
                value=self.value,
                hint="Enter the numeric result, with its unit separately.",
            )
        if not math.isfinite(self.value):
            raise ImplausibleValueError(
                f"Quantity value {self.value!r} is not a finite number.",
                value=self.value,
                hint="Enter the numeric result as reported by the laboratory.",
            )
        object.__setattr__(self, "value", float(self.value))
        normal = normalise_unit(self.unit)
        if normal is not None:
            object.__setattr__(self, "unit", normal)

    def to(self, unit: str, *, analyte: str) -> Quantity:
        """Return this quantity of ``analyte`` expressed in ``unit`` (see :func:`convert`)."""
        value = convert(self.value, self.unit, unit, analyte=analyte)
        if abs(value) >= 1e-9:  # hide float noise such as 20.520000000000003
            value = float(f"{value:.12g}")
        return Quantity(value, unit)

    def value_in(self, unit: str, *, analyte: str) -> float:
        """Return the number of ``unit`` in this quantity of ``analyte``.

        >>> Quantity(88.4, "umol/L").value_in("mg/dL", analyte="creatinine")
        1.0
        """
        return self.to(unit, analyte=analyte).value

    def __str__(self) -> str:
        return f"{self.value:g}" if self.unit == "1" else f"{self.value:g} {self.unit}"
