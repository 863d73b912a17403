"""Laboratory grading by NCI CTCAE v5.0 (27 Nov 2017).

The numeric criteria live in ``ctcae/data/ctcae_v5_labs.json`` (versioned data transcribed from
the CTCAE v5.0 term tables and cross-checked against the pharmaverse admiral CTCAE v5.0 grading
metadata); this module is the generic code that applies them, one value at a time
(:func:`grade_lab`, :func:`explain_lab_grade`, :func:`grade_lab_result`) or a million at a time
with NumPy (:func:`grade_labs`, :func:`derive_lab_grades`). ``docs/safety.md`` explains the
rules with examples.

The rules, in words:

* A grade's criteria are alternatives (in CTCAE a semicolon means "or"); the grade is the
  highest grade with a criterion met, and 0 when none is met. Grade 0 ("within the limits of
  this term") is distinct from "not graded" (``None``).
* Boundaries follow the CTCAE text: "<1.0 - 0.5 x 10^9/L" (grade 3 ANC) means
  0.5 <= ANC < 1.0, so an ANC of exactly 1.0 is grade 2; "150 - 300 mg/dL" (grade 1
  triglycerides) includes 150. Values at a boundary are compared with a relative tolerance of
  1e-9, so 3 x 0.3 = 0.8999999999999999 does not move 0.9 into the next grade.
* ALT, AST, ALP, GGT and blood bilirubin use the v5.0 baseline rule: with a baseline at or
  below ULN the multiples apply to ULN; with a baseline above ULN they apply to the baseline.
  Without a baseline the ULN rule is used (it never gives a lower grade) and the result is
  flagged.
* When the needed limit (LLN or ULN) is missing and it could change the grade, the result is
  "cannot grade", with the reason: never a guess.
* Where the grade also depends on what a value cannot show (symptoms for lipase, amylase,
  uric acid, potassium and sodium; anticoagulation for INR), the default is the worst case,
  as pharmaverse admiral does, flagged so that the AE form asks the investigator to confirm.
  Pass ``qualifier_present=True`` or ``False`` once the investigator has said.
* Values are graded in the unit CTCAE lists them in when the value comes in such a unit (so a
  conventional-unit value meets CTCAE's conventional thresholds exactly); any other unit of the
  analyte is converted with :func:`oncotrial.clinical.convert` to the first unit CTCAE lists.
  LLN, ULN and baseline are in the same unit as the value.

Results are plain data: a :class:`LabGrade` carries a stable ``code`` (``ctcae.grade.3``,
``ctcae.not_graded.needs_lln``...; all listed in :data:`oncotrial.ctcae.RESULT_CODES`), the
``facts`` it used and the ``reason`` in words.
"""

from __future__ import annotations

import difflib
import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from oncotrial.clinical import ANALYTES, AnalyteSpec, analyte_key, convert, normalise_unit
from oncotrial.ctcae._codes import GRADE_CODES
from oncotrial.errors import (
    ImplausibleValueError,
    InputError,
    OncotrialError,
    UnitError,
    UnknownTermError,
)
from oncotrial.records import Fact, Facts, Grade, LabResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LabCriterion",
    "LabFlag",
    "LabGrade",
    "LabGrades",
    "LabTerm",
    "derive_lab_grades",
    "explain_lab_grade",
    "grade_lab",
    "grade_lab_result",
    "grade_labs",
    "lab_term",
    "lab_terms",
]

GUIDELINE: Final = "CTCAE v5.0"
_RTOL: Final = 1e-9
_NOT_GRADED: Final = -1

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class LabFlag(enum.StrEnum):
    """Why a lab grade needs a second look. Several can apply to one result."""

    WORST_CASE_ASSUMED = "worst_case_assumed"
    """The grade assumes the qualifier the value cannot show (e.g. symptomatic)."""
    INVESTIGATOR_MUST_CONFIRM = "investigator_must_confirm"
    """The AE form should ask the investigator to confirm or correct the grade."""
    BASELINE_ASSUMED_NORMAL = "baseline_assumed_normal"
    """Liver term graded against ULN because no baseline was given."""
    BASELINE_CRITERION_NOT_APPLIED = "baseline_criterion_not_applied"
    """A baseline criterion could have given a higher grade, but no baseline was given."""
    UNIT_CONVERTED = "unit_converted"
    """The value was converted to a unit CTCAE lists before grading."""


# The batch engine keeps flags as bits of a uint8 column; results carry tuples of LabFlag.
_FLAG_BITS: Final = {
    LabFlag.WORST_CASE_ASSUMED: 1,
    LabFlag.BASELINE_ASSUMED_NORMAL: 2,
    LabFlag.BASELINE_CRITERION_NOT_APPLIED: 4,
    LabFlag.UNIT_CONVERTED: 8,
}
_CONFIRM_BITS: Final = 1 | 2


class _Status(enum.IntEnum):
    GRADED = 0
    NO_VALUE = 1
    NEEDS_LLN = 2
    NEEDS_ULN = 3
    NEEDS_BASELINE = 4
    NOT_GRADABLE = 5
    UNKNOWN_TERM = 6
    UNIT_NOT_ACCEPTED = 7
    IMPLAUSIBLE_VALUE = 8
    IMPLAUSIBLE_LLN = 9
    IMPLAUSIBLE_ULN = 10
    IMPLAUSIBLE_BASELINE = 11
    LLN_ABOVE_ULN = 12


_STATUS_TEXT: Final = {
    _Status.GRADED: "graded",
    _Status.NO_VALUE: "no value",
    _Status.NEEDS_LLN: "needs LLN",
    _Status.NEEDS_ULN: "needs ULN",
    _Status.NEEDS_BASELINE: "needs baseline",
    _Status.NOT_GRADABLE: "not graded from a lab value",
    _Status.UNKNOWN_TERM: "unknown term",
    _Status.UNIT_NOT_ACCEPTED: "unit not accepted",
    _Status.IMPLAUSIBLE_VALUE: "implausible value",
    _Status.IMPLAUSIBLE_LLN: "implausible LLN",
    _Status.IMPLAUSIBLE_ULN: "implausible ULN",
    _Status.IMPLAUSIBLE_BASELINE: "implausible baseline",
    _Status.LLN_ABOVE_ULN: "LLN above ULN",
}
_STATUS_CODE: Final = {
    _Status.NO_VALUE: "ctcae.not_graded.no_value",
    _Status.NEEDS_LLN: "ctcae.not_graded.needs_lln",
    _Status.NEEDS_ULN: "ctcae.not_graded.needs_uln",
    _Status.NEEDS_BASELINE: "ctcae.not_graded.needs_baseline",
    _Status.NOT_GRADABLE: "ctcae.not_graded.clinical_only",
    _Status.UNKNOWN_TERM: "ctcae.not_graded.unknown_term",
    _Status.UNIT_NOT_ACCEPTED: "ctcae.not_graded.unit_not_accepted",
    _Status.IMPLAUSIBLE_VALUE: "ctcae.not_graded.implausible_value",
    _Status.IMPLAUSIBLE_LLN: "ctcae.not_graded.implausible_lln",
    _Status.IMPLAUSIBLE_ULN: "ctcae.not_graded.implausible_uln",
    _Status.IMPLAUSIBLE_BASELINE: "ctcae.not_graded.implausible_baseline",
    _Status.LLN_ABOVE_ULN: "ctcae.not_graded.lln_above_uln",
}
_REF_STATUS: Final = {"lln": _Status.NEEDS_LLN, "uln": _Status.NEEDS_ULN,
                      "baseline": _Status.NEEDS_BASELINE}
# The numbers of one lab result, the order a problem with them is reported in.
_ITEMS: Final = ("value", "lln", "uln", "baseline")
_ITEM_STATUS: Final = {"value": _Status.IMPLAUSIBLE_VALUE, "lln": _Status.IMPLAUSIBLE_LLN,
                       "uln": _Status.IMPLAUSIBLE_ULN, "baseline": _Status.IMPLAUSIBLE_BASELINE}
_ITEM_NAME: Final = {"value": "the value", "lln": "the lower limit of normal (LLN)",
                     "uln": "the upper limit of normal (ULN)", "baseline": "the baseline value"}


# --- the criteria as data -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabCriterion:
    """One alternative criterion of one grade, as written in ``ctcae_v5_labs.json``.

    ``abs_by_unit`` gives an absolute threshold in each unit CTCAE lists; otherwise the
    threshold is ``factor`` x the reference (``lln``, ``uln`` or ``baseline``) plus an
    optional ``offset_by_unit``. ``when`` limits the criterion to a normal or abnormal
    baseline; ``qualifier`` means it also needs the term's qualifier (e.g. symptomatic);
    ``optional`` means it is skipped, with a flag, when the baseline is not given.
    """

    grade: int
    op: str
    text: str
    abs_by_unit: Mapping[str, float] | None = None
    ref: str | None = None
    factor: float = 1.0
    offset_by_unit: Mapping[str, float] | None = None
    when: str | None = None
    qualifier: bool = False
    optional: bool = False


@dataclass(frozen=True, slots=True)
class LabTerm:
    """A CTCAE v5.0 term graded from a laboratory value, with its criteria.

    ``name`` is the grading name (``"Hypocalcemia (Ionized)"`` grades ionised calcium);
    ``ctcae_term`` is the CTCAE term an adverse event is recorded under (``"Hypocalcemia"``).
    ``units`` are the units CTCAE lists thresholds in (display spelling of
    :func:`oncotrial.clinical.normalise_unit`), or empty when the criteria are multiples of
    LLN/ULN/baseline only and any unit of the analyte will do.
    """

    name: str
    ctcae_term: str
    soc: str
    analyte: str
    direction: str
    units: tuple[str, ...]
    criteria: tuple[LabCriterion, ...]
    qualifier: str | None = None
    baseline_rule: str | None = None
    specimen: str | None = None
    clinical_only_grades: tuple[int, ...] = ()
    not_gradable: str | None = None

    @property
    def lab_grades(self) -> tuple[int, ...]:
        """The grades a lab value alone can reach for this term, lowest first."""
        return tuple(sorted({c.grade for c in self.criteria}))

    @property
    def needs(self) -> tuple[str, ...]:
        """Which of ``lln``, ``uln``, ``baseline`` the criteria refer to."""
        refs = {c.ref for c in self.criteria if c.ref}
        if self.baseline_rule == "liver" or any(c.when for c in self.criteria):
            refs.add("uln" if self.direction == "high" else "lln")
        return tuple(r for r in ("lln", "uln", "baseline") if r in refs)


def _unit_key(unit: str) -> str:
    normal = normalise_unit(unit)
    if normal is None:  # pragma: no cover - the data file is checked by the tests
        raise ValueError(f"ctcae_v5_labs.json uses an unknown unit spelling {unit!r}")
    return normal


def _by_unit(raw: Mapping[str, float] | None) -> Mapping[str, float] | None:
    if raw is None:
        return None
    return {_unit_key(unit): float(value) for unit, value in raw.items()}


def _parse_term(raw: Mapping[str, Any]) -> LabTerm:
    criteria = tuple(
        LabCriterion(
            grade=int(c["grade"]),
            op=str(c["op"]),
            text=str(c["text"]),
            abs_by_unit=_by_unit(c.get("abs")),
            ref=c.get("ref"),
            factor=float(c.get("factor", 1.0)),
            offset_by_unit=_by_unit(c.get("offset")),
            when=c.get("when"),
            qualifier=bool(c.get("qualifier", False)),
            optional=bool(c.get("optional", False)),
        )
        for c in raw["criteria"]
    )
    # Highest grade first: the evaluation relies on this order.
    criteria = tuple(sorted(criteria, key=lambda c: -c.grade))
    return LabTerm(
        name=str(raw["name"]),
        ctcae_term=str(raw["ctcae_term"]),
        soc=str(raw["soc"]),
        analyte=str(raw["analyte"]),
        direction=str(raw["direction"]),
        units=tuple(dict.fromkeys(_unit_key(u) for u in raw.get("units") or [])),
        criteria=criteria,
        qualifier=raw.get("qualifier"),
        baseline_rule=raw.get("baseline_rule"),
        specimen=raw.get("specimen"),
        clinical_only_grades=tuple(raw.get("clinical_only_grades", [])),
        not_gradable=raw.get("not_gradable"),
    )


@cache
def _catalogue() -> dict[str, LabTerm]:
    text = resources.files("oncotrial.ctcae").joinpath("data/ctcae_v5_labs.json").read_text(
        encoding="utf-8"
    )
    raw = json.loads(text)
    return {t["name"]: _parse_term(t) for t in raw["terms"]}


@cache
def _folded() -> dict[str, str]:
    return {" ".join(name.casefold().split()): name for name in _catalogue()}


def lab_terms() -> tuple[str, ...]:
    """Return the names of every CTCAE v5.0 term graded from a lab value, sorted.

    >>> len(lab_terms()) >= 40, "Neutrophil count decreased" in lab_terms()
    (True, True)
    """
    return tuple(sorted(_catalogue(), key=str.casefold))


def lab_term(term: str) -> LabTerm:
    """Return the criteria of the CTCAE v5.0 lab term ``term`` (case and spacing are ignored).

    >>> lab_term("platelet count decreased").units
    ('10^9/L', 'cells/uL')

    Raises:
        UnknownTermError: ``term`` is not a CTCAE v5.0 term this platform grades from a lab
            value; the message suggests the closest names.
    """
    name = _folded().get(" ".join(str(term).casefold().split()))
    if name is None:
        close = difflib.get_close_matches(str(term), lab_terms(), n=3, cutoff=0.5)
        raise UnknownTermError(
            "ctcae_lab_term", term, close,
            message=f"{term!r} is not a CTCAE v5.0 term graded from a laboratory value. The "
                    "term must be spelled as in CTCAE v5.0, for example 'Neutrophil count "
                    "decreased'.",
            hint=(f"Did you mean {' or '.join(repr(c) for c in close)}?" if close
                  else "Run `oncotrial ctcae terms --lab` for the list."))
    return _catalogue()[name]


# --- units ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _UnitPlan:
    key: str | None  # the CTCAE unit whose thresholds apply (None: ratios only)
    factor: float  # multiplies an incoming value to give it in ``key``
    converted: bool
    to_canonical: float  # multiplies a graded value to give it in the analyte's canonical unit


def _resolve_unit(lt: LabTerm, unit: str) -> _UnitPlan:
    """Decide which CTCAE thresholds apply to a value in ``unit``, converting if needed.

    Raises UnitError when ``unit`` is not a unit of the term's analyte.
    """
    spec = ANALYTES[lt.analyte]
    normal = normalise_unit(unit)
    if normal is None or normal not in spec.factors:
        listed = ", ".join(lt.units or tuple(spec.factors))
        raise UnitError(
            f"{lt.name} cannot be graded from a value in {unit!r}: it is not a unit of "
            f"{spec.label}. {GUIDELINE} thresholds for this term are in {listed}.",
            field="unit", value=unit,
            hint=f"Enter the value, LLN, ULN and baseline in one of: "
                 f"{', '.join(spec.factors)}.",
        )
    if not lt.units:
        return _UnitPlan(None, 1.0, False, spec.factors[normal])
    if normal in lt.units:
        return _UnitPlan(normal, 1.0, False, spec.factors[normal])
    target = lt.units[0]
    factor = convert(1.0, normal, target, analyte=lt.analyte)
    return _UnitPlan(target, factor, True, spec.factors[target])


# --- the vectorised engine ------------------------------------------------------------------


def _compare(op: str, value: FloatArray, threshold: FloatArray | float) -> BoolArray:
    tol = _RTOL * np.abs(threshold)
    if op == ">":
        return np.asarray(value - threshold > tol)
    if op == ">=":
        return np.asarray(value - threshold >= -tol)
    if op == "<":
        return np.asarray(threshold - value > tol)
    if op == "<=":
        return np.asarray(threshold - value >= -tol)
    raise ValueError(f"unknown operator {op!r} in ctcae_v5_labs.json")  # pragma: no cover


def _and(a: BoolArray | None, b: BoolArray | None) -> BoolArray | None:
    """``a & b`` where None means "true on every row"."""
    if a is None:
        return b
    return a if b is None else a & b


def _or(a: BoolArray | None, b: BoolArray | None) -> BoolArray | None:
    """``a | b`` where None means "false on every row"."""
    if a is None:
        return b
    return a if b is None else a | b


@dataclass(frozen=True, slots=True)
class _Outcome:
    grade: npt.NDArray[np.int8]
    status: npt.NDArray[np.uint8]
    flags: npt.NDArray[np.uint8]
    alternative: npt.NDArray[np.int8]
    decider: npt.NDArray[np.int16]


_BASELINE_WHEN: Final = ("baseline_normal", "baseline_abnormal")


class _Scan:
    """The criteria of one term applied to arrays of values, highest grade first.

    The first criterion met on a row gives its grade. A criterion whose limit is missing is
    "undecided" on that row; if an undecided criterion has a higher grade than the grade met,
    the row cannot be graded and its status names the missing limit.
    """

    def __init__(self, lt: LabTerm, key: str | None, v: FloatArray,
                 refs: Mapping[str, FloatArray], qual_on: BoolArray) -> None:
        n = v.shape[0]
        self.lt, self.key, self.v, self.refs, self.qual_on = lt, key, v, refs, qual_on
        self.all_qual = bool(qual_on.all())
        self.top = np.zeros(n, dtype=np.int8)
        self.decider = np.full(n, -1, dtype=np.int16)
        self.found = np.zeros(n, dtype=bool)
        self.unknown_grade = np.zeros(n, dtype=np.int8)  # highest grade undecided (0 = none)
        self.unknown_status = np.zeros(n, dtype=np.uint8)
        self.skipped_grade = np.zeros(n, dtype=np.int8)  # highest optional criterion skipped
        high = lt.direction == "high"
        self.limit = refs["uln" if high else "lln"]
        self.limit_status = _Status.NEEDS_ULN if high else _Status.NEEDS_LLN
        self.missing = {name: np.isnan(arr) for name, arr in refs.items()}
        self.any_missing = {name: bool(mask.any()) for name, mask in self.missing.items()}
        self.base_missing = self.missing["baseline"]
        self.limit_missing = self.missing["uln" if high else "lln"]
        self.abnormal: BoolArray | None = None
        if any(c.when in _BASELINE_WHEN for c in lt.criteria):
            self.abnormal = ~self.base_missing & ~self.limit_missing & _compare(
                ">" if high else "<", refs["baseline"], self.limit)

    def _threshold(self, c: LabCriterion) -> tuple[FloatArray | float, BoolArray | None,
                                                   _Status]:
        """The threshold, where it is known (None: everywhere) and the status if unknown."""
        if c.abs_by_unit is not None:
            assert self.key is not None
            return c.abs_by_unit[self.key], None, _Status.GRADED
        assert c.ref is not None
        threshold: FloatArray = self.refs[c.ref] * c.factor
        if c.offset_by_unit is not None:
            assert self.key is not None
            threshold = threshold + c.offset_by_unit[self.key]
        known = ~self.missing[c.ref] if self.any_missing[c.ref] else None
        return threshold, known, _REF_STATUS[c.ref]

    def _when(self, c: LabCriterion) -> tuple[BoolArray | None, BoolArray | None]:
        """Rows the criterion's ``when`` allows, and rows where a missing limit hides that."""
        if c.when in _BASELINE_WHEN:
            assert self.abnormal is not None
            if c.when == "baseline_normal":  # no baseline: the ULN rule (flagged by the caller)
                rule = self.base_missing | (~self.limit_missing & ~self.abnormal)
            else:
                rule = self.abnormal
            return rule, ~self.base_missing & self.limit_missing
        if c.when == "value_abnormal":  # fibrinogen "if abnormal": the value is below LLN
            beyond = _compare("<" if self.lt.direction == "low" else ">", self.v, self.limit)
            return ~self.limit_missing & beyond, self.limit_missing
        return None, None

    def apply(self, index: int, c: LabCriterion) -> None:
        """Apply criterion ``c`` (the ``index``-th, highest grade first) to every row."""
        threshold, known, missing_status = self._threshold(c)
        qual_ok = self.qual_on if (c.qualifier and not self.all_qual) else None
        rule, when_unknown = self._when(c)
        active = _and(qual_ok, rule)
        hit = _and(_and(_compare(c.op, self.v, threshold), known), active)
        assert hit is not None
        first = hit & ~self.found
        self.decider[first] = index
        self.top[first] = c.grade
        self.found |= hit
        # Rows where this criterion might apply but a limit is missing.
        could = None if known is None else _and(~known, active)
        if when_unknown is not None:
            could = _or(could, _and(when_unknown, qual_ok))
        if c.optional:
            skipped = self.base_missing if qual_ok is None else self.base_missing & qual_ok
            np.maximum(self.skipped_grade, np.where(skipped, c.grade, 0).astype(np.int8),
                       out=self.skipped_grade)
            could = _and(could, ~self.base_missing) if could is not None else None
        if could is not None and could.any():
            self._undecided(c, could, known, when_unknown, missing_status)

    def _undecided(self, c: LabCriterion, could: BoolArray, known: BoolArray | None,
                   when_unknown: BoolArray | None, missing_status: _Status) -> None:
        undecided = could & (c.grade > self.unknown_grade)
        fresh = undecided & (self.unknown_grade == 0)
        if when_unknown is None:
            self.unknown_status[fresh] = missing_status
        else:
            limit_case = when_unknown if known is None else when_unknown & known
            self.unknown_status[fresh & limit_case] = self.limit_status
            self.unknown_status[fresh & ~limit_case] = missing_status
        self.unknown_grade[undecided] = c.grade

    def result(self) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.uint8],
                              npt.NDArray[np.int16], BoolArray]:
        """Grade (-1: undecided), status, deciding criterion and "baseline not applied"."""
        undecided_rows = self.unknown_grade > self.top
        not_applied = (self.skipped_grade > self.top) & ~undecided_rows
        grade = self.top
        grade[undecided_rows] = _NOT_GRADED
        status = np.where(undecided_rows, self.unknown_status,
                          np.uint8(_Status.GRADED)).astype(np.uint8)
        return grade, status, self.decider, not_applied


def _top_grade(
    lt: LabTerm,
    key: str | None,
    v: FloatArray,
    refs: Mapping[str, FloatArray],
    qual_on: BoolArray,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.uint8], npt.NDArray[np.int16], BoolArray]:
    """Highest grade met; status (needs X) where a missing limit could change it."""
    scan = _Scan(lt, key, v, refs, qual_on)
    for index, c in enumerate(lt.criteria):
        scan.apply(index, c)
    return scan.result()


def _evaluate(
    lt: LabTerm,
    key: str | None,
    v: FloatArray,
    lln: FloatArray,
    uln: FloatArray,
    base: FloatArray,
    qual: npt.NDArray[np.int8],
) -> _Outcome:
    n = v.shape[0]
    refs = {"lln": lln, "uln": uln, "baseline": base}
    if lt.not_gradable:
        status = np.full(n, _Status.NOT_GRADABLE, dtype=np.uint8)
        empty = np.full(n, _NOT_GRADED, dtype=np.int8)
        return _Outcome(empty, status, np.zeros(n, np.uint8), empty.copy(),
                        np.full(n, -1, np.int16))
    grade, status, decider, not_applied = _top_grade(lt, key, v, refs, qual != 0)
    flags = np.where(not_applied, _FLAG_BITS[LabFlag.BASELINE_CRITERION_NOT_APPLIED], 0)
    alternative = grade.copy()
    if lt.qualifier is not None:
        unknown = qual < 0
        if unknown.any():
            alt, _, _, _ = _top_grade(lt, key, v, refs, np.zeros(n, dtype=bool))
            alternative = np.where(unknown, alt, grade).astype(np.int8)
            worst = unknown & (grade >= 0) & (alt != grade)
            flags = flags | np.where(worst, _FLAG_BITS[LabFlag.WORST_CASE_ASSUMED], 0)
    if lt.baseline_rule == "liver":
        flags = flags | np.where(np.isnan(base) & (grade >= 0),
                                 _FLAG_BITS[LabFlag.BASELINE_ASSUMED_NORMAL], 0)
    no_value = np.isnan(v)
    grade = np.where(no_value, _NOT_GRADED, grade).astype(np.int8)
    alternative = np.where(no_value, _NOT_GRADED, alternative).astype(np.int8)
    status = np.where(no_value, _Status.NO_VALUE, status).astype(np.uint8)
    flags = np.where(no_value, 0, flags).astype(np.uint8)
    return _Outcome(grade, status, flags, alternative, decider)


def _out_of_range(spec: AnalyteSpec, canonical: FloatArray) -> BoolArray:
    """Values outside the analyte's possible range (the ranges of oncotrial.clinical)."""
    low_bad = canonical < spec.low if spec.low_inclusive else canonical <= spec.low
    return np.asarray(low_bad | (canonical > spec.high))


def _implausible(lt: LabTerm, to_canonical: float,
                 arrays: Mapping[str, FloatArray]) -> npt.NDArray[np.uint8]:
    """Per row, the status of the first impossible item (value, LLN, ULN, baseline), else 0.

    LLN above ULN comes last: an impossible number is reported before a contradictory pair.
    """
    spec = ANALYTES[lt.analyte]
    status = np.zeros(arrays["value"].shape[0], dtype=np.uint8)
    for item in reversed(_ITEMS):  # reversed, so that the first item's status wins
        status[_out_of_range(spec, arrays[item] * to_canonical)] = _ITEM_STATUS[item]
    status[(status == 0) & (arrays["lln"] > arrays["uln"])] = _Status.LLN_ABOVE_ULN
    return status


def _finite_or_nan(arr: FloatArray) -> FloatArray:
    infinite = np.isinf(arr)
    if not infinite.any():
        return arr
    out = arr.copy()
    out[infinite] = np.nan
    return out


# --- scalar API -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabGrade:
    """The CTCAE v5.0 grade of one lab value: code, grade, flags, facts and reason.

    ``grade`` is 0-4 (5 is never reached from a value), or None when it cannot be graded;
    ``code`` says which (``ctcae.grade.3``, ``ctcae.not_graded.needs_lln``; see
    :data:`oncotrial.ctcae.RESULT_CODES`) and ``reason`` says why, in words.
    ``grade_if_qualifier_absent`` is the grade if the investigator says the qualifier the value
    cannot show (``qualifier``, e.g. "symptomatic") is absent; it equals ``grade`` when that
    makes no difference. ``flags`` lists the :class:`LabFlag` that apply, in their declaration
    order. ``facts`` are the numbers used: ``value``, ``unit``, ``lln``, ``uln``, ``baseline``
    (None when not given), ``qualifier_present``; for a grade of 1 or more the ``criterion``
    met (its CTCAE text), its ``operator`` and ``threshold`` in ``threshold_unit``; after a
    unit conversion ``graded_value`` in ``graded_unit``.
    """

    code: str
    term: str
    ctcae_term: str
    grade: Grade | None
    value: float | None
    unit: str
    reason: str
    flags: tuple[LabFlag, ...] = ()
    qualifier: str | None = None
    grade_if_qualifier_absent: Grade | None = None
    facts: Facts = field(default_factory=dict, hash=False)

    @property
    def graded(self) -> bool:
        """True when a grade (0-4) was assigned."""
        return self.grade is not None

    @property
    def needs_confirmation(self) -> bool:
        """True when the investigator must confirm the grade on the AE form."""
        return LabFlag.INVESTIGATOR_MUST_CONFIRM in self.flags

    def summary(self) -> str:
        """One line for a listing: term, grade (or "not graded") and the reason."""
        what = "not graded" if self.grade is None else f"grade {int(self.grade)}"
        return f"{self.term}: {what}. {self.reason}"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _flags_from_bits(bits: int) -> tuple[LabFlag, ...]:
    flags = {flag for flag, bit in _FLAG_BITS.items() if bits & bit}
    if bits & _CONFIRM_BITS:
        flags.add(LabFlag.INVESTIGATOR_MUST_CONFIRM)
    return tuple(flag for flag in LabFlag if flag in flags)


def _as_float(item: str, x: float | None) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool) or not isinstance(x, int | float | np.floating | np.integer):
        name = _ITEM_NAME[item]
        raise InputError(
            f"{name[0].upper()}{name[1:]} {x!r} is not a number.", field=item, value=x,
            hint=f"Enter {name} as a number in the same unit as the value.",
        )
    return float(x)


def _check_numbers(lt: LabTerm, numbers: Mapping[str, float], unit: str,
                   plan: _UnitPlan) -> None:
    """Refuse the first impossible number, naming it alone; then an LLN above the ULN."""
    spec = ANALYTES[lt.analyte]
    scale = plan.factor * plan.to_canonical  # a number in ``unit`` to the canonical unit
    for item in _ITEMS:
        x = numbers[item]
        if math.isnan(x):
            continue
        name = _ITEM_NAME[item]
        canonical = x * scale
        too_low = canonical < spec.low or (canonical == spec.low and not spec.low_inclusive)
        if math.isinf(x) or too_low or canonical > spec.high:
            low_word = "at least" if spec.low_inclusive else "above"
            shown_unit = "" if normalise_unit(unit) == "1" else f" {unit}"
            raise ImplausibleValueError(
                f"{lt.name}: {name} {_fmt(x)}{shown_unit} is not physically possible for "
                f"{spec.label}; it must be {low_word} {_fmt(spec.low / scale)} and at most "
                f"{_fmt(spec.high / scale)}{shown_unit}.",
                field=item, value=x,
                hint=f"Check {name} and its unit against the laboratory report.")
    if numbers["lln"] > numbers["uln"]:  # False when either is missing (NaN)
        raise InputError(
            f"{lt.name}: the LLN {_fmt(numbers['lln'])} is above the ULN "
            f"{_fmt(numbers['uln'])}. The lower limit of normal must not exceed the upper limit.",
            field="lln", value=numbers["lln"],
            hint="Check the reference range on the laboratory report.")


def _optional(x: float) -> float | None:
    return None if math.isnan(x) else x


def _threshold_of(c: LabCriterion, key: str | None, scaled: Mapping[str, float]) -> float:
    """The number criterion ``c`` compares with, in the unit its thresholds are in."""
    if c.abs_by_unit is not None:
        assert key is not None
        return c.abs_by_unit[key]
    assert c.ref is not None
    threshold = scaled[c.ref] * c.factor
    if c.offset_by_unit is not None:
        assert key is not None
        threshold += c.offset_by_unit[key]
    return threshold


def _facts(lt: LabTerm, numbers: Mapping[str, float], unit: str, plan: _UnitPlan,
           criterion: LabCriterion | None, qualifier_present: bool | None) -> dict[str, Fact]:
    facts: dict[str, Fact] = {"term": lt.name, "ctcae_term": lt.ctcae_term}
    facts.update({item: _optional(numbers[item]) for item in _ITEMS})
    facts["unit"] = unit
    facts["qualifier_present"] = qualifier_present
    if plan.converted and not math.isnan(numbers["value"]):
        facts["graded_value"] = numbers["value"] * plan.factor
        facts["graded_unit"] = plan.key
    if criterion is not None:
        scaled = {k: x * plan.factor for k, x in numbers.items()}
        facts["criterion"] = criterion.text
        facts["operator"] = criterion.op
        facts["threshold"] = _threshold_of(criterion, plan.key, scaled)
        facts["threshold_unit"] = plan.key if plan.key is not None else unit
    return facts


def _not_graded_text(lt: LabTerm, status: _Status, shown: str, unit: str) -> str:
    if status is _Status.NOT_GRADABLE:
        return f"not graded from a value: {lt.not_gradable}. The investigator grades it."
    if status is _Status.NO_VALUE:
        return "cannot grade: no value was given."
    limit = {_Status.NEEDS_LLN: "lower limit of normal (LLN)",
             _Status.NEEDS_ULN: "upper limit of normal (ULN)",
             _Status.NEEDS_BASELINE: "baseline value"}[status]
    return (f"cannot grade {shown} without the {limit}, which could change the grade. Enter "
            f"the {limit} from the laboratory report, in {unit}.")


def _context(lt: LabTerm, numbers: Mapping[str, float], plan: _UnitPlan,
             flags: tuple[LabFlag, ...]) -> str:
    """The liver baseline rule applied and any unit conversion, as one sentence (or "")."""
    parts: list[str] = []
    if lt.baseline_rule == "liver":
        base, uln = numbers["baseline"], numbers["uln"]
        if math.isnan(base):
            parts.append("no baseline was given, so the criteria are multiples of ULN "
                         "(as for a normal baseline; a lower grade is possible if the baseline "
                         "was above ULN)")
        elif base > uln:
            parts.append(f"baseline {_fmt(base)} is above ULN {_fmt(uln)}, so the criteria are "
                         "multiples of the baseline")
        else:
            parts.append(f"baseline {_fmt(base)} is not above ULN {_fmt(uln)}, so the "
                         "criteria are multiples of ULN")
    if LabFlag.UNIT_CONVERTED in flags and plan.key is not None:
        parts.append(f"converted to {_fmt(numbers['value'] * plan.factor)} {plan.key} to apply "
                     "the CTCAE thresholds")
    if not parts:
        return ""
    joined = "; ".join(parts)
    return " " + joined[0].upper() + joined[1:] + "."


def _caveats(lt: LabTerm, grade: int, flags: tuple[LabFlag, ...],
             alternative: int | None) -> str:
    text = ""
    if LabFlag.WORST_CASE_ASSUMED in flags:
        text += (f" Worst case assumed ({lt.qualifier}); if not {lt.qualifier}, grade "
                 f"{alternative}. The investigator must confirm.")
    if LabFlag.BASELINE_CRITERION_NOT_APPLIED in flags:
        text += (" No baseline was given, so the baseline criterion was not applied; the grade "
                 "may be higher.")
    if grade >= 1 and lt.clinical_only_grades and grade == max(lt.lab_grades):
        text += (f" Grade {', '.join(str(g) for g in lt.clinical_only_grades)} need clinical "
                 "information and are not derived from the value.")
    return text


def _reason(lt: LabTerm, numbers: Mapping[str, float], unit: str, plan: _UnitPlan,
            grade: int | None, status: _Status, criterion: LabCriterion | None,
            flags: tuple[LabFlag, ...], alternative: int | None) -> str:
    value = numbers["value"]
    unit_shown = "" if normalise_unit(unit) == "1" else f" {unit}"
    shown = f"{_fmt(value)}{unit_shown}" if not math.isnan(value) else "no value"
    head = f"{GUIDELINE} {lt.name}: "
    if grade is None:
        return head + _not_graded_text(lt, status, shown, unit)
    if criterion is None:
        text = head + f"{shown} meets no grade 1-4 criterion: grade 0."
    else:
        text = head + f"{shown} meets grade {grade} ({criterion.text})."
    return text + _context(lt, numbers, plan, flags) + _caveats(lt, grade, flags, alternative)


def grade_lab(
    term: str,
    value: float | None,
    unit: str,
    *,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    qualifier_present: bool | None = None,
) -> Grade | None:
    """Return the CTCAE v5.0 grade (0-4) of one lab value, or None when it cannot be graded.

    NCI CTCAE v5.0 (27 Nov 2017), the criteria of ``term``: the highest grade whose criterion
    ``value`` meets. See :func:`explain_lab_grade` for the code, reason and flags, the baseline
    rule of the liver terms and the worst-case default for qualifiers.

    Raises:
        UnknownTermError, UnitError, ImplausibleValueError: as :func:`explain_lab_grade`.

    Example: boundaries are exact (CTCAE v5.0 Neutrophil count decreased: an ANC of 1.0 is
    grade 2; 999/mm3 is grade 3), the same ALT of 130 U/L is grade 2 with a normal baseline and
    grade 0 with a baseline of 100 U/L, and without an LLN an ANC of 1.6 cannot be graded:

    >>> grade_lab("Neutrophil count decreased", 1.0, "10^9/L", lln=2.0)
    <Grade.G2: 2>
    >>> grade_lab("Neutrophil count decreased", 999, "/mm3", lln=2000)
    <Grade.G3: 3>
    >>> grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40, baseline=30)
    <Grade.G2: 2>
    >>> grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40, baseline=100)
    <Grade.G0: 0>
    >>> grade_lab("Neutrophil count decreased", 1.6, "10^9/L") is None
    True
    """
    return explain_lab_grade(term, value, unit, lln=lln, uln=uln, baseline=baseline,
                             qualifier_present=qualifier_present).grade


def explain_lab_grade(
    term: str,
    value: float | None,
    unit: str,
    *,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    qualifier_present: bool | None = None,
) -> LabGrade:
    """Grade one lab value by CTCAE v5.0 and say why, with flags for the AE form.

    NCI CTCAE v5.0 (27 Nov 2017), the criteria of ``term``. The grade is the highest grade
    whose criterion the value meets; grade 0 when none is met. LLN, ULN and baseline must be in
    ``unit``. For ALT, AST, ALP, GGT and bilirubin a baseline above ULN switches the criteria
    to multiples of the baseline. ``qualifier_present`` is what the investigator said about the
    term's qualifier (symptoms, anticoagulation); None means unknown, which grades the worst
    case and flags it.

    Returns a :class:`LabGrade`; its ``grade`` is None ("cannot grade", code
    ``ctcae.not_graded.*``) when the value is missing, when a limit that could change the grade
    is missing, or when CTCAE does not grade the term from a value (Hyperglycemia).

    Raises:
        UnknownTermError: ``term`` is not a CTCAE v5.0 lab term (the message suggests one).
        UnitError: ``unit`` is not a unit of the term's analyte.
        ImplausibleValueError: the value, the LLN, the ULN or the baseline is physically
            impossible; ``field`` and the message name that one item.
        InputError: a number is not a number, or the LLN is above the ULN.

    Example: grade 3 neutropenia on cycle 1 day 15, and a lipase that needs the
    investigator (worst case: symptomatic):

    >>> r = explain_lab_grade("Neutrophil count decreased", 0.9, "10^9/L", lln=2.0)
    >>> r.code, r.facts["criterion"], r.facts["threshold"]
    ('ctcae.grade.3', '<1 x 10^9/L (<1000/mm3)', 1.0)
    >>> r = explain_lab_grade("Lipase increased", 180, "U/L", uln=60)
    >>> r.grade, r.grade_if_qualifier_absent, [str(f) for f in r.flags]
    (<Grade.G3: 3>, <Grade.G2: 2>, ['worst_case_assumed', 'investigator_must_confirm'])
    """
    lt = lab_term(term)
    numbers = {"value": _as_float("value", value), "lln": _as_float("lln", lln),
               "uln": _as_float("uln", uln), "baseline": _as_float("baseline", baseline)}
    plan = _resolve_unit(lt, unit)
    _check_numbers(lt, numbers, unit, plan)
    qual = np.array([-1 if qualifier_present is None else int(bool(qualifier_present))],
                    dtype=np.int8)
    arrays = {k: np.array([numbers[k] * plan.factor]) for k in _ITEMS}
    out = _evaluate(lt, plan.key, arrays["value"], arrays["lln"], arrays["uln"],
                    arrays["baseline"], qual)
    grade_raw, alt_raw = int(out.grade[0]), int(out.alternative[0])
    grade = None if grade_raw < 0 else Grade(grade_raw)
    alternative = None if alt_raw < 0 else Grade(alt_raw)
    status = _Status(int(out.status[0]))
    flags = _flags_from_bits(
        int(out.flags[0]) | (_FLAG_BITS[LabFlag.UNIT_CONVERTED] if plan.converted else 0))
    criterion = lt.criteria[int(out.decider[0])] if grade else None
    return LabGrade(
        code=_STATUS_CODE[status] if grade is None else GRADE_CODES[grade],
        term=lt.name, ctcae_term=lt.ctcae_term, grade=grade,
        value=_optional(numbers["value"]), unit=unit,
        reason=_reason(lt, numbers, unit, plan, grade, status, criterion, flags, alternative),
        flags=flags, qualifier=lt.qualifier, grade_if_qualifier_absent=alternative,
        facts=_facts(lt, numbers, unit, plan, criterion, qualifier_present),
    )


def _terms_of_analyte(analyte: str) -> tuple[str, ...]:
    """The lab terms that grade ``analyte`` (glucose: Hyperglycemia and Hypoglycemia)."""
    try:
        key = analyte_key(analyte)
    except OncotrialError as exc:
        raise UnknownTermError(
            "analyte", analyte,
            message=f"Analyte {analyte!r} is not an analyte the platform knows.",
            hint="Use an analyte key of docs/clinical.md (anc, platelets, alt...), or pass the "
                 "CTCAE term.") from exc
    terms = tuple(name for name in lab_terms() if _catalogue()[name].analyte == key)
    if not terms:
        raise UnknownTermError(
            "ctcae_lab_analyte", analyte,
            message=f"No CTCAE v5.0 term is graded from {ANALYTES[key].label} ({key}).",
            hint="Record an adverse event with the investigator's grade if the result is "
                 "clinically significant.")
    return terms


def _beyond_limit(grade: LabGrade, result: LabResult) -> bool:
    """Whether the value lies beyond the normal limit on the side of the grade's term."""
    if lab_term(grade.term).direction == "high":
        return result.uln is not None and result.value > result.uln
    return result.lln is not None and result.value < result.lln


def _worst(grades: Sequence[LabGrade], result: LabResult) -> LabGrade:
    """The result to report when an analyte has several terms (potassium: hypo and hyper)."""
    graded = [g for g in grades if g.grade]
    if graded:
        return max(graded, key=lambda g: g.grade or 0)
    clinical = "ctcae.not_graded.clinical_only"
    undecided = [g for g in grades if g.grade is None and g.code != clinical]
    beyond = [g for g in grades if g.code == clinical and _beyond_limit(g, result)]
    zero = [g for g in grades if g.grade is not None]
    return (undecided or beyond or zero or list(grades))[0]


def grade_lab_result(
    result: LabResult,
    term: str | None = None,
    *,
    baseline: float | None = None,
    qualifier_present: bool | None = None,
) -> LabGrade:
    """Grade a stored lab result (:class:`oncotrial.records.LabResult`) by CTCAE v5.0.

    The value, unit, LLN and ULN come from the record; ``baseline`` (same unit) is the
    subject's baseline value where the term needs one. Without ``term`` the CTCAE term is
    looked up from the analyte: an ANC is graded as "Neutrophil count decreased". When an
    analyte has two terms (potassium: Hypokalemia and Hyperkalemia) it is graded under each
    and the result is the term with a grade of 1 or more; if neither has one, the term that
    cannot be graded for a missing limit (its reason names the limit); then a term CTCAE grades
    by clinical criteria only when the value is beyond the normal limit on its side (a glucose
    above ULN gives Hyperglycemia, ``ctcae.not_graded.clinical_only``); else grade 0 under the
    first term in alphabetical order. The facts add ``subject_id``, ``analyte`` and
    ``collected_on``.

    Raises:
        UnknownTermError: ``term`` is not a CTCAE v5.0 lab term, or no CTCAE term grades the
            analyte.
        UnitError, ImplausibleValueError, InputError: as :func:`explain_lab_grade`.

    >>> from datetime import date
    >>> anc = LabResult("HCH-001", "anc", 0.9, "10^9/L", 2.0, 7.5, date(2026, 3, 15))
    >>> r = grade_lab_result(anc)
    >>> r.term, r.code, r.facts["collected_on"]
    ('Neutrophil count decreased', 'ctcae.grade.3', '2026-03-15')
    >>> k = LabResult("HCH-001", "potassium", 6.2, "mmol/L", 3.5, 5.1, date(2026, 3, 15))
    >>> grade_lab_result(k).term, grade_lab_result(k).grade
    ('Hyperkalemia', <Grade.G3: 3>)
    """
    names = (lab_term(term).name,) if term is not None else _terms_of_analyte(result.analyte)
    chosen = _worst([explain_lab_grade(name, result.value, result.unit, lln=result.lln,
                                       uln=result.uln, baseline=baseline,
                                       qualifier_present=qualifier_present)
                     for name in names], result)
    facts = {**chosen.facts, "subject_id": result.subject_id, "analyte": result.analyte,
             "collected_on": result.collected_on.isoformat()}
    return replace(chosen, facts=facts)


# --- vectorised API -------------------------------------------------------------------------

# Code categories of LabGrades.to_frame: the five grades, then one per "not graded" status.
_CODE_CATEGORIES: Final = (*GRADE_CODES, *(_STATUS_CODE[s] for s in _Status if s in _STATUS_CODE))
# The category of each status (GRADED: the grade itself, so its entry is unused).
_CODE_INDEX: Final = np.array([0, *(len(GRADE_CODES) - 1 + int(s) for s in _Status if s)],
                              dtype=np.int8)


@dataclass(frozen=True, slots=True)
class LabGrades:
    """Grades of many lab values (from :func:`grade_labs`), as read-only NumPy arrays.

    ``grade`` is int8 with -1 where not graded (see ``status`` and :meth:`code_of`);
    ``alternative_grade`` is the grade if the qualifier is absent; ``flags`` is a bit set
    (see :meth:`flags_of`). A columnar batch, not a stored result: :meth:`to_frame` gives one
    row per value with its ``code``.
    """

    grade: npt.NDArray[np.int8]
    status: npt.NDArray[np.uint8]
    flags: npt.NDArray[np.uint8]
    alternative_grade: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.grade.shape[0])

    @property
    def graded(self) -> BoolArray:
        """True where a grade (0-4) was assigned."""
        return np.asarray(self.grade >= 0)

    @property
    def needs_confirmation(self) -> BoolArray:
        """True where the investigator must confirm the grade on the AE form."""
        return np.asarray((self.flags & _CONFIRM_BITS) != 0)

    def status_text(self, i: int) -> str:
        """The status of row ``i`` in words ("graded", "needs LLN", "unknown term", ...)."""
        return _STATUS_TEXT[_Status(int(self.status[i]))]

    def code_of(self, i: int) -> str:
        """The result code of row ``i`` (``ctcae.grade.3``, ``ctcae.not_graded.needs_lln``)."""
        status = _Status(int(self.status[i]))
        return GRADE_CODES[int(self.grade[i])] if status is _Status.GRADED else \
            _STATUS_CODE[status]

    def flags_of(self, i: int) -> tuple[LabFlag, ...]:
        """The flags of row ``i``, in LabFlag declaration order."""
        return _flags_from_bits(int(self.flags[i]))

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame: nullable ``grade`` / ``alternative_grade`` (Int8), ``code``, status."""
        import pandas as pd

        categories = [_STATUS_TEXT[s] for s in _Status]
        graded = self.status == _Status.GRADED
        codes = np.where(graded, self.grade, _CODE_INDEX[self.status]).astype(np.int8)
        return pd.DataFrame({
            "grade": pd.arrays.IntegerArray(self.grade.copy(), ~self.graded),
            "alternative_grade": pd.arrays.IntegerArray(self.alternative_grade.copy(),
                                                        self.alternative_grade < 0),
            "code": pd.Categorical.from_codes(codes, categories=list(_CODE_CATEGORIES)),
            "status": pd.Categorical.from_codes(self.status.astype(np.int8),
                                                categories=categories),
            "needs_confirmation": self.needs_confirmation,
        })


def _column(x: Any, n: int | None, name: str) -> FloatArray:
    if x is None:
        assert n is not None
        return np.full(n, np.nan)
    if hasattr(x, "to_numpy"):
        arr = np.asarray(x.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)
    else:
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"Column {name} holds something that is not a number ({exc}).",
                field=name, hint=f"Give {name} as numbers, with missing values as None or NaN.",
            ) from exc
    if arr.ndim == 0:
        assert n is not None
        arr = np.full(n, float(arr))
    return _finite_or_nan(arr)


def _labels(x: str | Sequence[str] | Any, n: int) -> tuple[npt.NDArray[np.intp], list[str]]:
    import pandas as pd

    if isinstance(x, str):
        return np.zeros(n, dtype=np.intp), [x]
    if isinstance(x, pd.Series) and isinstance(x.dtype, pd.CategoricalDtype):
        x = x.array
    if isinstance(x, pd.Categorical):  # already coded: no hashing of a million strings
        codes, uniques = np.asarray(x.codes, dtype=np.intp), x.categories
    else:
        codes, uniques = pd.factorize(np.asarray(x, dtype=object), use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    codes = np.asarray(codes, dtype=np.intp)
    if (codes < 0).any():
        labels.append("")
        codes = np.where(codes < 0, len(labels) - 1, codes)
    return codes, labels


def _qualifier_column(x: Any, n: int) -> npt.NDArray[np.int8]:
    if x is None:
        return np.full(n, -1, dtype=np.int8)
    if isinstance(x, bool | np.bool_):
        return np.full(n, int(x), dtype=np.int8)
    import pandas as pd

    series = pd.Series(x, dtype="boolean")
    return np.where(series.isna().to_numpy(), -1,
                    series.fillna(False).to_numpy(dtype=bool)).astype(np.int8)


def _numeric_columns(value: Any, lln: Any, uln: Any, baseline: Any) -> dict[str, FloatArray]:
    v = _column(value, None, "value")
    if v.ndim != 1:
        raise InputError("value must be one-dimensional.", field="value",
                         hint="Pass one value per row.")
    n = v.shape[0]
    columns = {"value": v, "lln": _column(lln, n, "lln"), "uln": _column(uln, n, "uln"),
               "baseline": _column(baseline, n, "baseline")}
    for name, arr in columns.items():
        if arr.shape != (n,):
            raise InputError(f"{name} has {arr.shape[0]} rows but value has {n}.", field=name,
                             hint="Give one entry per row, or one number for all rows.")
    return columns


def _groups(term: Any, unit: Any, n: int
            ) -> tuple[npt.NDArray[np.intp] | None, list[tuple[str, str, int, int]]]:
    """Row order (None: as given) and the (term, unit, start, end) runs of rows to grade."""
    tcodes, tlabels = _labels(term, n)
    ucodes, ulabels = _labels(unit, n)
    if len(tlabels) == 1 and len(ulabels) == 1:
        return None, [(tlabels[0], ulabels[0], 0, n)]
    combined = tcodes * len(ulabels) + ucodes
    # A stable sort of small integer codes is a radix sort in NumPy: linear time.
    small = combined.astype(np.uint16) if combined.max() < 65_535 else combined
    order = np.argsort(small, kind="stable")
    sorted_codes = combined[order]
    cuts = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [n]))
    runs = []
    for a, b in zip(starts, ends, strict=True):
        if b > a:
            code = int(sorted_codes[a])
            runs.append((tlabels[code // len(ulabels)], ulabels[code % len(ulabels)],
                         int(a), int(b)))
    return order, runs


def _grade_run(t_label: str, u_label: str, cols: Mapping[str, FloatArray],
               qual: npt.NDArray[np.int8], out: Mapping[str, npt.NDArray[Any]]) -> None:
    """Grade one run of rows of the same term and unit into the ``out`` columns."""
    try:
        lt = lab_term(t_label)
    except UnknownTermError:
        return  # status stays UNKNOWN_TERM
    try:
        plan = _resolve_unit(lt, u_label)
    except OncotrialError:
        out["status"][:] = _Status.UNIT_NOT_ACCEPTED
        return
    scaled = {k: arr * plan.factor for k, arr in cols.items()} if plan.factor != 1.0 else cols
    result = _evaluate(lt, plan.key, scaled["value"], scaled["lln"], scaled["uln"],
                       scaled["baseline"], qual)
    bad = _implausible(lt, plan.to_canonical, scaled)
    converted = _FLAG_BITS[LabFlag.UNIT_CONVERTED] if plan.converted else 0
    out["grade"][:] = result.grade
    out["status"][:] = result.status
    out["flags"][:] = result.flags | converted
    out["alternative"][:] = result.alternative
    rows = bad != 0
    if rows.any():
        out["grade"][rows] = _NOT_GRADED
        out["status"][rows] = bad[rows]
        out["flags"][rows] = 0
        out["alternative"][rows] = _NOT_GRADED


def grade_labs(
    term: str | Sequence[str] | Any,
    value: Any,
    unit: str | Sequence[str] | Any,
    *,
    lln: Any = None,
    uln: Any = None,
    baseline: Any = None,
    qualifier_present: Any = None,
) -> LabGrades:
    """Grade many lab values by CTCAE v5.0 at once (NumPy, no Python loop per row).

    Same rules as :func:`grade_lab`, applied to arrays (lists, NumPy arrays or pandas
    Series); ``term`` and ``unit`` may be one string for all rows; ``lln``, ``uln``,
    ``baseline`` may be None, a number, or an array with NaN/None where missing. Rows are
    grouped by (term, unit), so the cost is a few array operations per criterion.

    Bad rows do not stop the batch: an unknown term, a unit that does not fit, an impossible
    value, LLN, ULN or baseline, or an LLN above the ULN gives grade -1 with that ``status``
    (see :meth:`LabGrades.code_of` and :meth:`LabGrades.status_text`).

    Example: three platelet counts, one without an LLN:

    >>> g = grade_labs("Platelet count decreased", [150, 49.9, 100], "10^9/L",
    ...                lln=[140, 140, None])
    >>> g.grade.tolist(), g.code_of(1), g.code_of(2)
    ([0, 3, -1], 'ctcae.grade.3', 'ctcae.not_graded.needs_lln')
    """
    cols = _numeric_columns(value, lln, uln, baseline)
    n = cols["value"].shape[0]
    qual = _qualifier_column(qualifier_present, n)
    order, runs = _groups(term, unit, n)
    if order is not None:
        cols = {k: arr[order] for k, arr in cols.items()}
        qual = qual[order]
    out: dict[str, npt.NDArray[Any]] = {
        "grade": np.full(n, _NOT_GRADED, dtype=np.int8),
        "status": np.full(n, _Status.UNKNOWN_TERM, dtype=np.uint8),
        "flags": np.zeros(n, dtype=np.uint8),
        "alternative": np.full(n, _NOT_GRADED, dtype=np.int8)}
    for t_label, u_label, a, b in runs:
        _grade_run(t_label, u_label, {k: arr[a:b] for k, arr in cols.items()}, qual[a:b],
                   {k: arr[a:b] for k, arr in out.items()})
    if order is not None:
        unsorted = {k: np.empty_like(arr) for k, arr in out.items()}
        for k, arr in out.items():
            unsorted[k][order] = arr
        out = unsorted
    for column in out.values():
        column.setflags(write=False)
    return LabGrades(grade=out["grade"], status=out["status"], flags=out["flags"],
                     alternative_grade=out["alternative"])


def derive_lab_grades(
    frame: pd.DataFrame,
    *,
    term: str = "term",
    value: str = "value",
    unit: str = "unit",
    lln: str = "lln",
    uln: str = "uln",
    baseline: str = "baseline",
    qualifier_present: str = "qualifier_present",
) -> pd.DataFrame:
    """Return a copy of ``frame`` with CTCAE v5.0 grade columns added (see :func:`grade_labs`).

    Reads the named columns (``lln``, ``uln``, ``baseline`` and ``qualifier_present`` may be
    absent) and adds ``ctcae_grade`` (nullable Int8), ``ctcae_grade_if_qualifier_absent``,
    ``ctcae_code`` (the result code of each row), ``ctcae_status`` and
    ``ctcae_needs_confirmation``.

    Raises:
        InputError: the term, value or unit column is missing.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"term": ["Anemia", "Anemia"], "value": [79, 8.0],
    ...                    "unit": ["g/L", "g/dL"], "lln": [120, 12.0]})
    >>> derive_lab_grades(df)["ctcae_grade"].tolist()
    [3, 2]
    """
    missing = [name for name in (term, value, unit) if name not in frame.columns]
    if missing:
        raise InputError(
            f"The lab table lacks the column(s) {', '.join(missing)}.", field="frame",
            value=list(frame.columns),
            hint="Name the columns with the keyword arguments of derive_lab_grades.")

    def col(name: str) -> Any:
        return frame[name] if name in frame.columns else None

    result = grade_labs(frame[term], frame[value], frame[unit], lln=col(lln), uln=col(uln),
                        baseline=col(baseline), qualifier_present=col(qualifier_present))
    table = result.to_frame()
    out = frame.copy()
    out["ctcae_grade"] = table["grade"].to_numpy()
    out["ctcae_grade_if_qualifier_absent"] = table["alternative_grade"].to_numpy()
    out["ctcae_code"] = table["code"].to_numpy()
    out["ctcae_status"] = table["status"].to_numpy()
    out["ctcae_needs_confirmation"] = table["needs_confirmation"].to_numpy()
    return out
