"""Laboratory values of a given CTCAE v5.0 grade, at the site's reference ranges (shell).

The generator decides the course of each subject's blood counts and liver tests in CTCAE
grades; this module turns a grade into a value a laboratory would report, with its unit and
reference range. The grade bands are not written here: each band is read once from
:func:`oncotrial.ctcae.grade_labs` over a grid of values (for the liver tests, over multiples
of the upper limit of normal, or of the baseline when the baseline is above it, as CTCAE v5.0
grades them), and values are drawn from the inside of a band so that a laboratory's rounding
cannot move them into the next one. ``tests/synth`` grades every generated value again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from oncotrial.ctcae import grade_labs
from oncotrial.records import Sex

__all__ = ["ANALYTES", "Analyte", "BloodBands", "RatioBands", "reference"]


@dataclass(frozen=True, slots=True)
class Analyte:
    """One analyte as the site's laboratory reports it: unit, limits, reporting precision.

    ``term`` is the CTCAE v5.0 term graded from it (``""`` when the generator does not grade
    it); ``decimals`` is the precision of reported values.
    """

    key: str
    term: str
    unit: str
    lln: float | None
    uln: float | None
    decimals: int


#: The site's laboratory (SI units, adult reference ranges; haemoglobin and creatinine by sex).
ANALYTES: dict[tuple[str, Sex | None], Analyte] = {
    ("anc", None): Analyte("anc", "Neutrophil count decreased", "10^9/L", 1.8, 6.3, 2),
    ("wbc", None): Analyte("wbc", "White blood cell decreased", "10^9/L", 3.5, 9.5, 2),
    ("platelets", None): Analyte("platelets", "Platelet count decreased", "10^9/L", 125, 350, 0),
    ("hemoglobin", Sex.MALE): Analyte("hemoglobin", "Anemia", "g/L", 130, 175, 0),
    ("hemoglobin", Sex.FEMALE): Analyte("hemoglobin", "Anemia", "g/L", 115, 150, 0),
    ("alt", None): Analyte("alt", "Alanine aminotransferase increased", "U/L", 7, 40, 0),
    ("ast", None): Analyte("ast", "Aspartate aminotransferase increased", "U/L", 13, 40, 0),
    ("bilirubin", None): Analyte("bilirubin", "Blood bilirubin increased", "umol/L", 3.4, 21, 1),
    ("albumin", None): Analyte("albumin", "", "g/L", 40, 55, 0),
    ("creatinine", Sex.MALE): Analyte("creatinine", "", "umol/L", 57, 111, 0),
    ("creatinine", Sex.FEMALE): Analyte("creatinine", "", "umol/L", 41, 81, 0),
    ("pt", None): Analyte("pt", "", "s", 9.8, 12.1, 1),
    ("inr", None): Analyte("inr", "", "", None, None, 2),
    ("aptt", None): Analyte("aptt", "", "s", 25, 31.3, 1),
}


def reference(key: str, sex: Sex) -> Analyte:
    """The analyte's reference entry for a subject of this sex.

    >>> reference("hemoglobin", Sex.FEMALE).lln, reference("anc", Sex.MALE).unit
    (115, '10^9/L')
    """
    return ANALYTES.get((key, sex)) or ANALYTES[(key, None)]


#: Plausible lowest and highest values drawn for the blood counts (a grade 4 ANC is drawn
#: from 0.05 up, not 0), in the analyte's unit.
_BLOOD_RANGE: dict[str, tuple[float, float]] = {
    "anc": (0.05, 6.3), "wbc": (0.4, 9.5), "platelets": (6, 350), "hemoglobin": (52, 170)}


@dataclass(frozen=True, slots=True)
class BloodBands:
    """The reportable values of a blood count, by CTCAE grade (0-4), at one LLN.

    An ANC of grade 3 (CTCAE v5.0: below 1.0 down to 0.5 x 10^9/L) is drawn from 0.50 to
    0.99; grade 0 from the LLN (1.8) to the ULN:

    >>> bands = BloodBands.of(reference("anc", Sex.MALE))
    >>> bands.draw(3, 0.0), bands.draw(3, 0.9999), bands.draw(0, 0.0), bands.grade_of(0.99)
    (0.5, 0.99, 1.8, 3)
    """

    values: tuple[npt.NDArray[np.float64], ...]
    grades: dict[float, int]

    @classmethod
    def of(cls, analyte: Analyte) -> BloodBands:
        """The bands of a blood-count analyte (cached per reference range)."""
        return _blood_bands(analyte)

    def grade_of(self, value: float) -> int:
        """The CTCAE grade of a reportable value (one of the grid's values).

        >>> BloodBands.of(reference("platelets", Sex.MALE)).grade_of(60.0)
        2
        """
        return self.grades[value]

    def draw(self, grade: int, u: float) -> float:
        """The value at quantile ``u`` (0-1) of the grade's band."""
        band = self.values[grade]
        return float(band[min(int(u * band.shape[0]), band.shape[0] - 1)])


@lru_cache(maxsize=16)
def _blood_bands(analyte: Analyte) -> BloodBands:
    low, high = _BLOOD_RANGE[analyte.key]
    step = 10.0 ** -analyte.decimals
    grid = np.round(np.arange(low, high + step / 2, step), analyte.decimals)
    grades = grade_labs(analyte.term, grid, analyte.unit, lln=analyte.lln,
                        uln=analyte.uln).grade
    return BloodBands(tuple(grid[grades == g] for g in range(5)),
                      dict(zip(grid.tolist(), grades.tolist(), strict=True)))


#: Multiples of the reference (ULN, or the baseline when it is above the ULN): the lowest drawn
#: for grade 0, the highest graded; grade 4 values are drawn up to 1.4 times its lower edge.
_RATIO_FLOOR, _RATIO_CEILING, _G4_SPAN = 0.45, 30.0, 1.4
#: Distance kept from a band's edges, as a multiple of the reference: wide enough that
#: rounding to the reported precision never crosses an edge (references are 15 or more).
_MARGIN = 0.06


@dataclass(frozen=True, slots=True)
class RatioBands:
    """The grades of a liver test as intervals of value / reference, read from CTCAE v5.0.

    ``abnormal_baseline`` chooses CTCAE v5.0's grading against a baseline above the ULN
    (multiples of the baseline) instead of against the ULN.

    ALT with a normal baseline: grade 3 is above 5 and up to 20 x ULN; with a ULN of 40 U/L
    values are drawn from just above 200 to just below 800 U/L:

    >>> b = RatioBands.of("Alanine aminotransferase increased", abnormal_baseline=False)
    >>> [round(lo, 2) for lo, _ in b.bands]
    [0.45, 1.0, 3.0, 5.0, 20.0]
    >>> round(b.value(3, 0.0, reference=40)), round(b.value(3, 1.0, reference=40))
    (202, 798)
    """

    bands: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, term: str, *, abnormal_baseline: bool) -> RatioBands:
        """The bands of a CTCAE term graded against the ULN or an abnormal baseline."""
        return _ratio_bands(term, abnormal_baseline)

    def near(self, ratio: float, *, reference: float) -> float:
        """A grade 0 value at ``ratio`` times the reference, kept inside grade 0's band.

        Bilirubin against an abnormal baseline of 40 umol/L: grade 1 starts above the
        baseline, so a grade 0 value stays below it:

        >>> round(RatioBands.of("Blood bilirubin increased", abnormal_baseline=True).near(
        ...     1.3, reference=40), 1)
        37.6
        """
        lo, hi = self.bands[0]
        return reference * min(hi - _MARGIN, max(lo + _MARGIN, ratio))

    def value(self, grade: int, u: float, *, reference: float) -> float:
        """The unrounded value at quantile ``u`` (0-1) of the grade's band, on a log scale."""
        lo, hi = self.bands[grade]
        lo, hi = lo + _MARGIN, hi - _MARGIN
        return reference * math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))


@lru_cache(maxsize=16)
def _ratio_bands(term: str, abnormal_baseline: bool) -> RatioBands:
    uln = 40.0  # any ULN will do: the bands are multiples of it (or of the baseline)
    baseline = 2 * uln if abnormal_baseline else uln / 2
    reference = baseline if abnormal_baseline else uln
    ratios = np.round(np.arange(0.01, _RATIO_CEILING + 1, 0.001), 3)
    grades = grade_labs(term, ratios * reference, "U/L" if "aminotransferase" in term
                        else "umol/L", uln=uln, baseline=baseline).grade
    bands: list[tuple[float, float]] = []
    for g in range(5):
        inside = ratios[grades == g]
        lo = float(inside.min()) if g else _RATIO_FLOOR
        hi = float(inside.max()) if g < 4 else lo * _G4_SPAN
        bands.append((lo, hi))
    return RatioBands(tuple(bands))
