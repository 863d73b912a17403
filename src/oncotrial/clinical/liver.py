"""Liver function scores: Child-Pugh (Pugh 1973) and ALBI (Johnson, JCO 2015).

Both follow ``hcc_clinical_scores.md`` sections 1 and 2, including its boundary conventions and
its configurable points where published sources disagree (albumin 2-point band, bilirubin SI
cut-off, ALBI coefficient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from oncotrial.clinical.units import Quantity, convert, normalise_unit
from oncotrial.errors import InputError

__all__ = [
    "AlbiResult",
    "Ascites",
    "ChildPughClass",
    "ChildPughResult",
    "CoagulationItem",
    "Encephalopathy",
    "albi",
    "child_pugh",
]


E = TypeVar("E", bound=StrEnum)


class Ascites(StrEnum):
    """Ascites as graded by the investigator for Child-Pugh (never derived from imaging)."""

    NONE = "none"
    MILD = "mild"  # mild or slight, or controlled with diuretics
    MODERATE_SEVERE = "moderate_severe"  # moderate to severe (tense), or refractory


class Encephalopathy(StrEnum):
    """Hepatic encephalopathy by West Haven grade, as graded by the investigator."""

    NONE = "none"
    GRADE_1_2 = "grade_1_2"  # or suppressed with medication
    GRADE_3_4 = "grade_3_4"  # or refractory


class ChildPughClass(StrEnum):
    """Child-Pugh class: A 5-6 points, B 7-9, C 10-15."""

    A = "A"
    B = "B"
    C = "C"


class CoagulationItem(StrEnum):
    """Which coagulation test scored the Child-Pugh coagulation item."""

    INR = "inr"
    PT_PROLONGATION = "pt_prolongation"


# Points by category; StrEnum members hash like their values, so both look up here.
_ASCITES_POINTS: dict[str, int] = {"none": 1, "mild": 2, "moderate_severe": 3}
_ENCEPHALOPATHY_POINTS: dict[str, int] = {"none": 1, "grade_1_2": 2, "grade_3_4": 3}


@dataclass(frozen=True, slots=True)
class ChildPughResult:
    """A Child-Pugh score: total points, class and the points of each item."""

    points: int
    child_pugh_class: ChildPughClass
    bilirubin_points: int
    albumin_points: int
    coagulation_points: int
    coagulation_item: CoagulationItem
    ascites_points: int
    encephalopathy_points: int

    @property
    def label(self) -> str:
        """Class and points together, as clinicians write it: ``"B7"``."""
        return f"{self.child_pugh_class}{self.points}"

    def summary(self) -> str:
        """One line with the total and each item's points.

        >>> child_pugh(bilirubin=Quantity(1.2, "mg/dL"), albumin=Quantity(3.2, "g/dL"),
        ...            inr=1.1, ascites="none", encephalopathy="none").summary()
        'Child-Pugh A6 (bilirubin 1, albumin 2, INR 1, ascites 1, encephalopathy 1)'
        """
        coag = "INR" if self.coagulation_item is CoagulationItem.INR else "PT prolongation"
        return (
            f"Child-Pugh {self.label} (bilirubin {self.bilirubin_points}, albumin "
            f"{self.albumin_points}, {coag} {self.coagulation_points}, ascites "
            f"{self.ascites_points}, encephalopathy {self.encephalopathy_points})"
        )


def _band(value: float, low: float, high: float, *, higher_is_worse: bool) -> int:
    """Points 1-3 with the 2-point band closed at both ends (``hcc_clinical_scores.md`` 1)."""
    if higher_is_worse:
        return 1 if value < low else (2 if value <= high else 3)
    return 1 if value > high else (2 if value >= low else 3)


def _enum_value(kind: type[E], value: E | str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise InputError(
            f"{field} {value!r} is not a Child-Pugh category. It must be one of {allowed}.",
            field=field,
            value=value,
            hint="Record the investigator's grading in one of these categories.",
        ) from None


def _bilirubin_points(bilirubin: Quantity, bilirubin_si_upper_umol_l: float) -> int:
    unit = normalise_unit(bilirubin.unit)
    if unit == "mg/dL":  # grade on mg/dL directly, no round trip (scores section 1)
        return _band(bilirubin.value, 2.0, 3.0, higher_is_worse=True)
    value = convert(bilirubin.value, bilirubin.unit, "umol/L", analyte="bilirubin")
    return _band(value, 34.0, bilirubin_si_upper_umol_l, higher_is_worse=True)


def _albumin_points(albumin: Quantity, albumin_low_g_l: float) -> int:
    value = convert(albumin.value, albumin.unit, "g/L", analyte="albumin")
    if normalise_unit(albumin.unit) == "g/dL":  # compare g/dL with g/dL cut-offs
        return _band(albumin.value, albumin_low_g_l / 10.0, 3.5, higher_is_worse=False)
    return _band(value, albumin_low_g_l, 35.0, higher_is_worse=False)


def child_pugh(
    *,
    bilirubin: Quantity,
    albumin: Quantity,
    inr: float | None = None,
    ascites: Ascites | str,
    encephalopathy: Encephalopathy | str,
    pt_prolongation_s: float | None = None,
    albumin_low_g_l: float = 28.0,
    bilirubin_si_upper_umol_l: float = 51.0,
) -> ChildPughResult:
    """Score Child-Pugh (Child-Turcotte-Pugh, Pugh 1973 modification) from five items.

    Each item gives 1-3 points; the 2-point band is closed at both ends:

    * bilirubin < 2.0 / 2.0-3.0 / > 3.0 mg/dL, or < 34 / 34-51 / > 51 umol/L
      (a value in mg/dL is graded on the mg/dL cut-offs, without conversion);
    * albumin > 3.5 / 2.8-3.5 / < 2.8 g/dL, or > 35 / 28-35 / < 28 g/L;
    * INR < 1.7 / 1.7-2.3 / > 2.3; only when there is no INR, seconds of prothrombin time
      prolongation over control < 4 / 4-6 / > 6;
    * ascites none / mild (or controlled with diuretics) / moderate-severe or refractory;
    * encephalopathy none / West Haven grade 1-2 / grade 3-4.

    Class A is 5-6 points, B 7-9, C 10-15. Where sources disagree the defaults follow
    ``hcc_clinical_scores.md``: ``albumin_low_g_l=28`` (Harrison's uses 30) and
    ``bilirubin_si_upper_umol_l=51`` (some tables use 50).

    Raises:
        UnitError: bilirubin or albumin has a unit that is not one of theirs.
        InputError: neither INR nor PT prolongation is given, or a category is unknown.

    Example: bilirubin 2.5 mg/dL (2), albumin 30 g/L (2), INR 1.4 (1), mild ascites (2),
    no encephalopathy (1) give 8 points, class B:

    >>> result = child_pugh(bilirubin=Quantity(2.5, "mg/dL"), albumin=Quantity(30, "g/L"),
    ...                     inr=1.4, ascites="mild", encephalopathy="none")
    >>> result.points, result.child_pugh_class, result.label
    (8, <ChildPughClass.B: 'B'>, 'B8')
    """
    asc = _ASCITES_POINTS.get(ascites)
    if asc is None:
        asc = _ASCITES_POINTS[_enum_value(Ascites, ascites, "ascites")]
    enc = _ENCEPHALOPATHY_POINTS.get(encephalopathy)
    if enc is None:
        enc = _ENCEPHALOPATHY_POINTS[_enum_value(Encephalopathy, encephalopathy,
                                                 "encephalopathy")]
    if normalise_unit(bilirubin.unit) not in ("umol/L", "mg/dL"):
        convert(bilirubin.value, bilirubin.unit, "umol/L", analyte="bilirubin")  # raises
    bili = _bilirubin_points(bilirubin, bilirubin_si_upper_umol_l)
    alb = _albumin_points(albumin, albumin_low_g_l)
    if inr is not None:
        coag, item = _band(inr, 1.7, 2.3, higher_is_worse=True), CoagulationItem.INR
    elif pt_prolongation_s is not None:
        coag = _band(pt_prolongation_s, 4.0, 6.0, higher_is_worse=True)
        item = CoagulationItem.PT_PROLONGATION
    else:
        raise InputError(
            "Child-Pugh needs a coagulation item, but neither INR nor prothrombin time "
            "prolongation was given.",
            field="inr",
            hint="Enter the INR (preferred) or the seconds of PT prolongation over control.",
        )
    points = bili + alb + coag + asc + enc
    klass = ChildPughClass.A if points <= 6 else (ChildPughClass.B if points <= 9
                                                  else ChildPughClass.C)
    return ChildPughResult(points, klass, bili, alb, coag, item, asc, enc)


@dataclass(frozen=True, slots=True)
class AlbiResult:
    """An ALBI score (unrounded), its grade 1-3 and the modified ALBI grade (1, 2a, 2b, 3)."""

    score: float
    grade: int
    malbi_grade: str

    def summary(self) -> str:
        """The score rounded to 2 decimals for display, and the grade.

        >>> albi(bilirubin=Quantity(10, "umol/L"), albumin=Quantity(40, "g/L")).summary()
        'ALBI -2.74 (grade 1, mALBI 1)'
        """
        return f"ALBI {self.score:.2f} (grade {self.grade}, mALBI {self.malbi_grade})"


def albi(*, bilirubin: Quantity, albumin: Quantity, coefficient: float = -0.085) -> AlbiResult:
    """Compute the ALBI score and grade (Johnson et al., J Clin Oncol 2015;33:550).

    ALBI = 0.66 x log10(bilirubin in umol/L) + coefficient x albumin in g/L, with the
    published coefficient -0.085 by default (some calculators use -0.0852). Grade 1 is a score
    of -2.60 or less, grade 2 above -2.60 up to -1.39, grade 3 above -1.39, graded on the
    unrounded score. The modified ALBI (Hiraoka 2017) splits grade 2 at -2.27 into 2a (<= -2.27)
    and 2b.

    Raises:
        UnitError: a unit is not one of bilirubin or albumin.
        InputError: bilirubin is not above 0 (its logarithm is undefined).

    Example: bilirubin 10 umol/L and albumin 40 g/L give 0.66 x 1 - 0.085 x 40 = -2.74:

    >>> result = albi(bilirubin=Quantity(10, "umol/L"), albumin=Quantity(40, "g/L"))
    >>> round(result.score, 2), result.grade
    (-2.74, 1)
    """
    bili = convert(bilirubin.value, bilirubin.unit, "umol/L", analyte="bilirubin")
    alb = convert(albumin.value, albumin.unit, "g/L", analyte="albumin")
    if bili <= 0:
        raise InputError(
            f"ALBI needs a bilirubin above 0, but got {bilirubin}.",
            field="bilirubin",
            value=bilirubin.value,
            hint="Check the bilirubin result; ALBI uses its logarithm.",
        )
    score = 0.66 * math.log10(bili) + coefficient * alb
    if score <= -2.60:
        grade, malbi = 1, "1"
    elif score <= -1.39:
        grade, malbi = 2, ("2a" if score <= -2.27 else "2b")
    else:
        grade, malbi = 3, "3"
    return AlbiResult(score, grade, malbi)
