"""Liver function scores: Child-Pugh (Pugh et al. 1973) and ALBI (Johnson et al. 2015).

Child-Pugh: Pugh RN, Murray-Lyon IM, Dawson JL, Pietroni MC, Williams R. Transection of the
oesophagus for bleeding oesophageal varices. Br J Surg 1973;60:646-649 (the modification of the
Child-Turcotte classification with the prothrombin item); the INR bands (< 1.7, 1.7-2.3, > 2.3)
are the usual stand-in for the 1973 seconds of prothrombin prolongation. ALBI: Johnson PJ et
al. J Clin Oncol 2015;33:550-558; modified ALBI grade: Hiraoka A et al. Liver Cancer
2017;6:325-336.

The Child-Pugh bands (each item's points and the class of a total) live here and nowhere else:
the eligibility engine, dosing and every other package call :func:`child_pugh` or
:func:`child_pugh_class`. Where published tables disagree (the albumin 2-point band starts at
28 or 30 g/L; the bilirubin SI cut-off is 50 or 51 umol/L) the choice is a keyword argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, TypeVar

from oncotrial.clinical.units import Quantity, convert, normalise_unit
from oncotrial.errors import InputError
from oncotrial.records import ChildPughClass, Facts

__all__ = [
    "CHILD_PUGH_CLASS_POINTS",
    "AlbiResult",
    "Ascites",
    "ChildPughClass",
    "ChildPughPoints",
    "ChildPughResult",
    "CoagulationItem",
    "Encephalopathy",
    "albi",
    "child_pugh",
    "child_pugh_class",
    "child_pugh_points",
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


class CoagulationItem(StrEnum):
    """Which coagulation test scored the Child-Pugh coagulation item."""

    INR = "inr"
    PT_PROLONGATION = "pt_prolongation"


#: Child-Pugh class by total points (Pugh et al. 1973): (class, lowest, highest points).
CHILD_PUGH_CLASS_POINTS: tuple[tuple[ChildPughClass, int, int], ...] = (
    (ChildPughClass.A, 5, 6),
    (ChildPughClass.B, 7, 9),
    (ChildPughClass.C, 10, 15),
)

# Points by category; StrEnum members hash like their values, so both look up here.
_ASCITES_POINTS: dict[str, int] = {"none": 1, "mild": 2, "moderate_severe": 3}
_ENCEPHALOPATHY_POINTS: dict[str, int] = {"none": 1, "grade_1_2": 2, "grade_3_4": 3}


def child_pugh_class(points: int) -> ChildPughClass:
    """The Child-Pugh class of a total score: A 5-6 points, B 7-9, C 10-15 (Pugh et al. 1973).

    Raises:
        InputError: the total is not a whole number from 5 to 15 (five items of 1-3 points).

    >>> child_pugh_class(6), child_pugh_class(7), child_pugh_class(10)
    (<ChildPughClass.A: 'A'>, <ChildPughClass.B: 'B'>, <ChildPughClass.C: 'C'>)
    """
    if not isinstance(points, bool) and isinstance(points, int):
        for klass, low, high in CHILD_PUGH_CLASS_POINTS:
            if low <= points <= high:
                return klass
    raise InputError(
        f"Child-Pugh total {points!r} is not possible: five items of 1 to 3 points give a whole "
        "number from 5 to 15.", field="child_pugh_points", value=points,
        hint="Add up the points of bilirubin, albumin, INR, ascites and encephalopathy again.")


@dataclass(frozen=True, slots=True)
class ChildPughResult:
    """A Child-Pugh score: total points, class and the points of each item.

    ``code`` is ``clinical.child_pugh.a``, ``.b`` or ``.c``; ``facts`` holds the inputs and
    each item's points; ``reason`` is the line :meth:`summary` returns.
    """

    points: int
    child_pugh_class: ChildPughClass
    bilirubin_points: int
    albumin_points: int
    coagulation_points: int
    coagulation_item: CoagulationItem
    ascites_points: int
    encephalopathy_points: int
    code: str
    reason: str
    facts: Facts = field(default_factory=dict, hash=False)

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
        return self.reason


def _band(value: float, low: float, high: float, *, higher_is_worse: bool) -> int:
    """Points 1-3 with the 2-point band closed at both ends (``low`` and ``high`` are 2)."""
    if higher_is_worse:
        return 1 if value < low else (2 if value <= high else 3)
    return 1 if value > high else (2 if value >= low else 3)


def _enum_value(kind: type[E], value: E | str, name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise InputError(
            f"{name} {value!r} is not a Child-Pugh category. It must be one of {allowed}.",
            field=name,
            value=value,
            hint="Record the investigator's grading in one of these categories.",
        ) from None


def _bilirubin_points(bilirubin: Quantity, bilirubin_si_upper_umol_l: float) -> int:
    unit = normalise_unit(bilirubin.unit)
    if unit == "mg/dL":  # grade on the mg/dL cut-offs directly, no round trip
        return _band(bilirubin.value, 2.0, 3.0, higher_is_worse=True)
    value = bilirubin.value if unit == "umol/L" else convert(
        bilirubin.value, bilirubin.unit, "umol/L", analyte="bilirubin")
    return _band(value, 34.0, bilirubin_si_upper_umol_l, higher_is_worse=True)


def _albumin_points(albumin: Quantity, albumin_low_g_l: float) -> int:
    unit = normalise_unit(albumin.unit)
    if unit == "g/dL":  # compare g/dL with g/dL cut-offs
        return _band(albumin.value, albumin_low_g_l / 10.0, 3.5, higher_is_worse=False)
    value = albumin.value if unit == "g/L" else convert(albumin.value, albumin.unit, "g/L",
                                                         analyte="albumin")
    return _band(value, albumin_low_g_l, 35.0, higher_is_worse=False)


def _coagulation_points(inr: float | None,
                        pt_prolongation_s: float | None) -> tuple[int, CoagulationItem]:
    if inr is not None:
        return _band(inr, 1.7, 2.3, higher_is_worse=True), CoagulationItem.INR
    if pt_prolongation_s is not None:
        return (_band(pt_prolongation_s, 4.0, 6.0, higher_is_worse=True),
                CoagulationItem.PT_PROLONGATION)
    raise InputError(
        "Child-Pugh needs a coagulation item, but neither INR nor prothrombin time "
        "prolongation was given.",
        field="inr",
        hint="Enter the INR (preferred) or the seconds of PT prolongation over control.",
    )


class ChildPughPoints(NamedTuple):
    """The points (1-3) of each Child-Pugh item, and which coagulation test scored (Pugh 1973).

    ``total`` is their sum, 5 to 15; :func:`child_pugh_class` gives its class.
    """

    bilirubin: int
    albumin: int
    coagulation: int
    coagulation_item: CoagulationItem
    ascites: int
    encephalopathy: int
    total: int


def child_pugh_points(
    *,
    bilirubin: Quantity,
    albumin: Quantity,
    inr: float | None = None,
    ascites: Ascites | str,
    encephalopathy: Encephalopathy | str,
    pt_prolongation_s: float | None = None,
    albumin_low_g_l: float = 28.0,
    bilirubin_si_upper_umol_l: float = 51.0,
) -> ChildPughPoints:
    """The points of each Child-Pugh item, by the bands of :func:`child_pugh` (which calls it).

    For callers that need the points alone (the eligibility engine); the arguments and the
    errors are those of :func:`child_pugh`.

    >>> child_pugh_points(bilirubin=Quantity(2.5, "mg/dL"), albumin=Quantity(30, "g/L"),
    ...                   inr=1.4, ascites="mild", encephalopathy="none").total
    8
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
    coag, item = _coagulation_points(inr, pt_prolongation_s)
    return ChildPughPoints(bili, alb, coag, item, asc, enc, bili + alb + coag + asc + enc)


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
    """Score Child-Pugh (Child-Turcotte-Pugh, Pugh et al. 1973) from five items.

    Each item gives 1-3 points; the 2-point band is closed at both ends:

    * bilirubin < 2.0 / 2.0-3.0 / > 3.0 mg/dL, or < 34 / 34-51 / > 51 umol/L
      (a value in mg/dL is graded on the mg/dL cut-offs, without conversion);
    * albumin > 3.5 / 2.8-3.5 / < 2.8 g/dL, or > 35 / 28-35 / < 28 g/L;
    * INR < 1.7 / 1.7-2.3 / > 2.3; only when there is no INR, seconds of prothrombin time
      prolongation over control < 4 / 4-6 / > 6;
    * ascites none / mild (or controlled with diuretics) / moderate-severe or refractory;
    * encephalopathy none / West Haven grade 1-2 / grade 3-4.

    Class A is 5-6 points, B 7-9, C 10-15 (:func:`child_pugh_class`). Where published tables
    disagree: ``albumin_low_g_l=28`` (Harrison's uses 30) and ``bilirubin_si_upper_umol_l=51``
    (3 mg/dL x 17.1; some tables round to 50).

    Raises:
        UnitError: bilirubin or albumin has a unit that is not one of theirs.
        InputError: neither INR nor PT prolongation is given, or a category is unknown.

    Example: bilirubin 2.5 mg/dL (2), albumin 30 g/L (2), INR 1.4 (1), mild ascites (2),
    no encephalopathy (1) give 8 points, class B:

    >>> result = child_pugh(bilirubin=Quantity(2.5, "mg/dL"), albumin=Quantity(30, "g/L"),
    ...                     inr=1.4, ascites="mild", encephalopathy="none")
    >>> result.points, result.child_pugh_class, result.label, result.code
    (8, <ChildPughClass.B: 'B'>, 'B8', 'clinical.child_pugh.b')
    """
    bili, alb, coag, item, asc, enc, points = child_pugh_points(
        bilirubin=bilirubin, albumin=albumin, inr=inr, ascites=ascites,
        encephalopathy=encephalopathy, pt_prolongation_s=pt_prolongation_s,
        albumin_low_g_l=albumin_low_g_l, bilirubin_si_upper_umol_l=bilirubin_si_upper_umol_l)
    klass = child_pugh_class(points)
    coag_name = "INR" if item is CoagulationItem.INR else "PT prolongation"
    reason = (f"Child-Pugh {klass}{points} (bilirubin {bili}, albumin {alb}, {coag_name} "
              f"{coag}, ascites {asc}, encephalopathy {enc})")
    facts: Facts = {
        "points": points, "child_pugh_class": str(klass),
        "bilirubin": bilirubin.value, "bilirubin_unit": bilirubin.unit, "bilirubin_points": bili,
        "albumin": albumin.value, "albumin_unit": albumin.unit, "albumin_points": alb,
        "inr": inr, "pt_prolongation_s": pt_prolongation_s, "coagulation_item": str(item),
        "coagulation_points": coag, "ascites": str(ascites), "ascites_points": asc,
        "encephalopathy": str(encephalopathy), "encephalopathy_points": enc,
    }
    return ChildPughResult(points, klass, bili, alb, coag, item, asc, enc,
                           f"clinical.child_pugh.{klass.value.lower()}", reason, facts)


@dataclass(frozen=True, slots=True)
class AlbiResult:
    """An ALBI score (unrounded), its grade 1-3 and the modified ALBI grade (1, 2a, 2b, 3).

    ``code`` is ``clinical.albi.grade_1``, ``grade_2`` or ``grade_3``.
    """

    score: float
    grade: int
    malbi_grade: str
    code: str
    reason: str
    facts: Facts = field(default_factory=dict, hash=False)

    def summary(self) -> str:
        """The score rounded to 2 decimals for display, and the grade.

        >>> albi(bilirubin=Quantity(10, "umol/L"), albumin=Quantity(40, "g/L")).summary()
        'ALBI -2.74 (grade 1, mALBI 1)'
        """
        return self.reason


def albi(*, bilirubin: Quantity, albumin: Quantity, coefficient: float = -0.085) -> AlbiResult:
    """Compute the ALBI score and grade (Johnson et al., J Clin Oncol 2015;33:550-558).

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
    >>> round(result.score, 2), result.grade, result.code
    (-2.74, 1, 'clinical.albi.grade_1')
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
    facts: Facts = {"score": score, "grade": grade, "malbi_grade": malbi,
                    "bilirubin_umol_l": bili, "albumin_g_l": alb, "coefficient": coefficient}
    return AlbiResult(score, grade, malbi, f"clinical.albi.grade_{grade}",
                      f"ALBI {score:.2f} (grade {grade}, mALBI {malbi})", facts)
