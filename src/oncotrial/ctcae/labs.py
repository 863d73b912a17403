"""Laboratory grading by NCI CTCAE v5.0 (27 November 2017).

The numeric criteria live in ``ctcae/data/ctcae_v5_labs.json`` (versioned data, cross-checked
against the pharmaverse admiral CTCAE v5.0 grading metadata); this module is the generic code
that applies them, one value at a time (:func:`grade_lab`, :func:`explain_lab_grade`) or a
million at a time with NumPy (:func:`grade_labs`, :func:`derive_lab_grades`).

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
"""

from __future__ import annotations

import difflib
import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from oncotrial.clinical import ANALYTES, convert, normalise_unit
from oncotrial.errors import ImplausibleValueError, InputError, OncotrialError, UnitError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LabCriterion",
    "LabFlag",
    "LabGrade",
    "LabGrades",
    "LabTerm",
    "UnknownTermError",
    "derive_lab_grades",
    "explain_lab_grade",
    "grade_lab",
    "grade_labs",
    "lab_term",
    "lab_terms",
]

GUIDELINE: Final = "CTCAE v5.0"
_RTOL: Final = 1e-9
_NOT_GRADED: Final = -1

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class UnknownTermError(InputError):
    """A term is not one of the CTCAE v5.0 terms this platform grades from a lab value."""


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
    IMPLAUSIBLE = 8


_STATUS_TEXT: Final = {
    _Status.GRADED: "graded",
    _Status.NO_VALUE: "no value",
    _Status.NEEDS_LLN: "needs LLN",
    _Status.NEEDS_ULN: "needs ULN",
    _Status.NEEDS_BASELINE: "needs baseline",
    _Status.NOT_GRADABLE: "not graded from a lab value",
    _Status.UNKNOWN_TERM: "unknown term",
    _Status.UNIT_NOT_ACCEPTED: "unit not accepted",
    _Status.IMPLAUSIBLE: "implausible value or limits",
}
_REF_STATUS: Final = {"lln": _Status.NEEDS_LLN, "uln": _Status.NEEDS_ULN,
                      "baseline": _Status.NEEDS_BASELINE}


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
        hint = (f"Did you mean {' or '.join(repr(c) for c in close)}?" if close
                else "Run `oncotrial ctcae terms --lab` for the list.")
        raise UnknownTermError(
            f"{term!r} is not a CTCAE v5.0 term graded from a laboratory value. "
            "The term must be spelled as in CTCAE v5.0, for example 'Neutrophil count decreased'.",
            field="term", value=term, hint=hint,
        )
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


@dataclass(frozen=True, slots=True)
class _Outcome:
    grade: npt.NDArray[np.int8]
    status: npt.NDArray[np.uint8]
    flags: npt.NDArray[np.uint8]
    alternative: npt.NDArray[np.int8]
    decider: npt.NDArray[np.int16]


def _top_grade(
    lt: LabTerm,
    key: str | None,
    v: FloatArray,
    refs: Mapping[str, FloatArray],
    qual_on: BoolArray,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.uint8], npt.NDArray[np.int16], BoolArray]:
    """Highest grade met; status (needs X) where a missing limit could change it.

    Criteria run highest grade first, so the first criterion met on a row gives its grade.
    A criterion whose limit is missing is "undecided" on that row; if an undecided criterion
    has a higher grade than the grade met, the row cannot be graded.
    """
    n = v.shape[0]
    top = np.zeros(n, dtype=np.int8)
    decider = np.full(n, -1, dtype=np.int16)
    found = np.zeros(n, dtype=bool)
    unknown_grade = np.zeros(n, dtype=np.int8)  # highest grade left undecided (0 = none)
    unknown_status = np.zeros(n, dtype=np.uint8)
    skipped_grade = np.zeros(n, dtype=np.int8)  # highest optional criterion skipped
    uln, lln, base = refs["uln"], refs["lln"], refs["baseline"]
    limit = uln if lt.direction == "high" else lln
    limit_status = _Status.NEEDS_ULN if lt.direction == "high" else _Status.NEEDS_LLN
    missing = {name: np.isnan(arr) for name, arr in refs.items()}
    any_missing = {name: bool(mask.any()) for name, mask in missing.items()}
    base_missing = missing["baseline"]
    limit_missing = missing["uln" if lt.direction == "high" else "lln"]
    abnormal: BoolArray | None = None
    if any(c.when in ("baseline_normal", "baseline_abnormal") for c in lt.criteria):
        abnormal = ~base_missing & ~limit_missing & (
            _compare(">", base, limit) if lt.direction == "high" else _compare("<", base, limit))
    all_qual = bool(qual_on.all())
    for index, c in enumerate(lt.criteria):
        known: BoolArray | None  # None: known on every row
        if c.abs_by_unit is not None:
            assert key is not None
            threshold: FloatArray | float = c.abs_by_unit[key]
            known, missing_status = None, _Status.GRADED
        else:
            assert c.ref is not None
            threshold = refs[c.ref] * c.factor
            if c.offset_by_unit is not None:
                assert key is not None
                threshold = threshold + c.offset_by_unit[key]
            known = ~missing[c.ref] if any_missing[c.ref] else None
            missing_status = _REF_STATUS[c.ref]
        qual_ok: BoolArray | None = qual_on if (c.qualifier and not all_qual) else None
        active = qual_ok
        when_unknown: BoolArray | None = None
        if c.when in ("baseline_normal", "baseline_abnormal"):
            assert abnormal is not None
            if c.when == "baseline_normal":  # no baseline: the ULN rule (flagged by the caller)
                rule = base_missing | (~limit_missing & ~abnormal)
            else:
                rule = abnormal
            active = rule if active is None else active & rule
            when_unknown = ~base_missing & limit_missing
        elif c.when == "value_abnormal":  # fibrinogen "if abnormal": the value is below LLN
            rule = ~limit_missing & (_compare("<", v, limit) if lt.direction == "low"
                                     else _compare(">", v, limit))
            active = rule if active is None else active & rule
            when_unknown = limit_missing
        hit = _compare(c.op, v, threshold)
        if known is not None:
            hit &= known
        if active is not None:
            hit &= active
        first = hit & ~found
        decider[first] = index
        top[first] = c.grade
        found |= hit
        # Rows where this criterion might apply but a limit is missing.
        could: BoolArray | None = None
        if known is not None:
            could = ~known if active is None else ~known & active
        if when_unknown is not None:
            wu = when_unknown if qual_ok is None else when_unknown & qual_ok
            could = wu if could is None else could | wu
        if c.optional:
            skipped = base_missing if qual_ok is None else base_missing & qual_ok
            np.maximum(skipped_grade, np.where(skipped, c.grade, 0).astype(np.int8),
                       out=skipped_grade)
            if could is not None:
                could &= ~base_missing
        if could is None or not could.any():
            continue
        undecided = could & (c.grade > unknown_grade)
        fresh = undecided & (unknown_grade == 0)
        if when_unknown is not None and known is None:
            unknown_status[fresh & when_unknown] = limit_status
            unknown_status[fresh & ~when_unknown] = missing_status
        elif when_unknown is not None:
            assert known is not None
            unknown_status[fresh & when_unknown & known] = limit_status
            unknown_status[fresh & ~(when_unknown & known)] = missing_status
        else:
            unknown_status[fresh] = missing_status
        unknown_grade[undecided] = c.grade
    undecided_rows = unknown_grade > top
    grade = top
    grade[undecided_rows] = _NOT_GRADED
    status = np.where(undecided_rows, unknown_status, np.uint8(_Status.GRADED)).astype(np.uint8)
    not_applied = (skipped_grade > top) & ~undecided_rows
    return grade, status, decider, not_applied


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


def _implausible(lt: LabTerm, to_canonical: float, *arrays: FloatArray) -> BoolArray:
    """Values outside the analyte's possible range (ranges of oncotrial.clinical)."""
    spec = ANALYTES[lt.analyte]
    bad = np.zeros(arrays[0].shape[0], dtype=bool)
    for arr in arrays:
        scaled = arr * to_canonical
        low_bad = scaled < spec.low if spec.low_inclusive else scaled <= spec.low
        bad |= ~np.isnan(arr) & (low_bad | (scaled > spec.high))
    return bad


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
    """The CTCAE v5.0 grade of one lab value, with the reason and any flags.

    ``grade`` is 0-4 (5 is never reached from a value), or None when it cannot be graded;
    ``reason`` says why, in words. ``grade_if_qualifier_absent`` is the grade if the
    investigator says the qualifier the value cannot show (``qualifier``, e.g. "symptomatic")
    is absent; it equals ``grade`` when that makes no difference.
    """

    term: str
    ctcae_term: str
    value: float | None
    unit: str
    grade: int | None
    reason: str
    flags: frozenset[LabFlag]
    qualifier: str | None = None
    grade_if_qualifier_absent: int | None = None

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
        what = "not graded" if self.grade is None else f"grade {self.grade}"
        return f"{self.term}: {what}. {self.reason}"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _flags_from_bits(bits: int) -> frozenset[LabFlag]:
    flags = {flag for flag, bit in _FLAG_BITS.items() if bits & bit}
    if bits & _CONFIRM_BITS:
        flags.add(LabFlag.INVESTIGATOR_MUST_CONFIRM)
    return frozenset(flags)


def _as_float(name: str, x: float | None) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool) or not isinstance(x, int | float | np.floating | np.integer):
        raise InputError(
            f"{name} {x!r} is not a number.", field=name, value=x,
            hint=f"Enter {name} as a number in the same unit as the value.",
        )
    return float(x)


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

    CTCAE v5.0 (NCI, 27 November 2017), the criteria of ``term`` in
    ``ctcae_v5_labs.json``. The grade is the highest grade whose criterion the value meets;
    grade 0 when none is met. LLN, ULN and baseline must be in ``unit``. For ALT, AST, ALP,
    GGT and bilirubin a baseline above ULN switches the criteria to multiples of the baseline.
    ``qualifier_present`` is what the investigator said about the term's qualifier (symptoms,
    anticoagulation); None means unknown, which grades the worst case and flags it.

    Returns a :class:`LabGrade`; its ``grade`` is None ("cannot grade") when the value is
    missing, when a limit that could change the grade is missing, or when CTCAE does not grade
    the term from a value (Hyperglycemia).

    Raises:
        UnknownTermError: ``term`` is not a CTCAE v5.0 lab term (the message suggests one).
        UnitError: ``unit`` is not a unit of the term's analyte.
        ImplausibleValueError: the value or a limit is physically impossible, or LLN > ULN.

    Example: grade 3 neutropenia on cycle 1 day 15, and a lipase that needs the
    investigator (worst case: symptomatic):

    >>> explain_lab_grade("Neutrophil count decreased", 0.9, "10^9/L", lln=2.0).grade
    3
    >>> r = explain_lab_grade("Lipase increased", 180, "U/L", uln=60)
    >>> r.grade, r.grade_if_qualifier_absent, sorted(str(f) for f in r.flags)
    (3, 2, ['investigator_must_confirm', 'worst_case_assumed'])
    """
    lt = lab_term(term)
    numbers = {"value": _as_float("value", value), "lln": _as_float("LLN", lln),
               "uln": _as_float("ULN", uln), "baseline": _as_float("baseline", baseline)}
    for name, x in numbers.items():
        if math.isinf(x):
            raise ImplausibleValueError(
                f"{lt.name}: {name} {x} is not a finite number.", field=name, value=x,
                hint="Enter the result as reported by the laboratory.")
    plan = _resolve_unit(lt, unit)
    key, factor, converted = plan.key, plan.factor, plan.converted
    arrays = {k: np.array([x * factor]) for k, x in numbers.items()}
    spec = ANALYTES[lt.analyte]
    canonical = [x * factor * plan.to_canonical for x in numbers.values() if not math.isnan(x)]
    if any(c > spec.high or c < spec.low or (c == spec.low and not spec.low_inclusive)
           for c in canonical):
        shown = ", ".join(f"{k} {_fmt(x)}" for k, x in numbers.items() if not math.isnan(x))
        raise ImplausibleValueError(
            f"{lt.name}: {shown} ({unit}) is not physically possible for {spec.label}.",
            field="value", value=value,
            hint="Check the value, the limits and the unit against the laboratory report.",
        )
    if not math.isnan(numbers["lln"]) and not math.isnan(numbers["uln"]) and (
            numbers["lln"] > numbers["uln"]):
        raise InputError(
            f"{lt.name}: LLN {_fmt(numbers['lln'])} is above ULN {_fmt(numbers['uln'])}. "
            "The lower limit of normal must not exceed the upper limit.",
            field="lln", value=lln, hint="Check the reference range on the laboratory report.",
        )
    qual = np.array([-1 if qualifier_present is None else int(bool(qualifier_present))],
                    dtype=np.int8)
    out = _evaluate(lt, key, arrays["value"], arrays["lln"], arrays["uln"], arrays["baseline"],
                    qual)
    grade_raw = int(out.grade[0])
    grade = None if grade_raw < 0 else grade_raw
    alt_raw = int(out.alternative[0])
    bits = int(out.flags[0]) | (_FLAG_BITS[LabFlag.UNIT_CONVERTED] if converted else 0)
    flags = _flags_from_bits(bits)
    reason = _reason(lt, numbers, unit, key, factor, grade, _Status(int(out.status[0])),
                     int(out.decider[0]), flags, None if alt_raw < 0 else alt_raw)
    return LabGrade(
        term=lt.name, ctcae_term=lt.ctcae_term, value=None if value is None else float(value),
        unit=unit, grade=grade, reason=reason, flags=flags, qualifier=lt.qualifier,
        grade_if_qualifier_absent=None if alt_raw < 0 else alt_raw,
    )


def _reason(
    lt: LabTerm,
    numbers: Mapping[str, float],
    unit: str,
    key: str | None,
    factor: float,
    grade: int | None,
    status: _Status,
    decider: int,
    flags: frozenset[LabFlag],
    alternative: int | None,
) -> str:
    value = numbers["value"]
    unit_shown = "" if normalise_unit(unit) == "1" else f" {unit}"
    shown = f"{_fmt(value)}{unit_shown}" if not math.isnan(value) else "no value"
    head = f"{GUIDELINE} {lt.name}: "
    if status is _Status.NOT_GRADABLE:
        return head + f"not graded from a value: {lt.not_gradable}. The investigator grades it."
    if status is _Status.NO_VALUE:
        return head + "cannot grade: no value was given."
    if status in (_Status.NEEDS_LLN, _Status.NEEDS_ULN, _Status.NEEDS_BASELINE):
        limit = {_Status.NEEDS_LLN: "lower limit of normal (LLN)",
                 _Status.NEEDS_ULN: "upper limit of normal (ULN)",
                 _Status.NEEDS_BASELINE: "baseline value"}[status]
        return (head + f"cannot grade {shown} without the {limit}, which could change the "
                f"grade. Enter the {limit} from the laboratory report, in {unit}.")
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
    if LabFlag.UNIT_CONVERTED in flags and key is not None:
        parts.append(f"converted to {_fmt(value * factor)} {key} to apply the CTCAE thresholds")
    if grade == 0:
        text = head + f"{shown} meets no grade 1-4 criterion: grade 0."
    else:
        c = lt.criteria[decider]
        text = head + f"{shown} meets grade {grade} ({c.text})."
    if parts:
        joined = "; ".join(parts)
        text += " " + joined[0].upper() + joined[1:] + "."
    if LabFlag.WORST_CASE_ASSUMED in flags:
        text += (f" Worst case assumed ({lt.qualifier}); if not {lt.qualifier}, grade "
                 f"{alternative}. The investigator must confirm.")
    if LabFlag.BASELINE_CRITERION_NOT_APPLIED in flags:
        text += (" No baseline was given, so the baseline criterion was not applied; the grade "
                 "may be higher.")
    if grade is not None and grade >= 1 and lt.clinical_only_grades and grade == max(
            lt.lab_grades):
        text += (f" Grade {', '.join(str(g) for g in lt.clinical_only_grades)} need clinical "
                 "information and are not derived from the value.")
    return text


def grade_lab(
    term: str,
    value: float | None,
    unit: str,
    *,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    qualifier_present: bool | None = None,
) -> int | None:
    """Return the CTCAE v5.0 grade (0-4) of one lab value, or None when it cannot be graded.

    CTCAE v5.0 (NCI, 27 November 2017): the highest grade whose criterion ``value`` meets, as
    listed in ``ctcae_v5_labs.json``; see :func:`explain_lab_grade` for the reason and flags,
    the baseline rule of the liver terms and the worst-case default for qualifiers.

    Raises:
        UnknownTermError, UnitError, ImplausibleValueError: as :func:`explain_lab_grade`.

    Example: boundaries are exact (an ANC of 1.0 is grade 2; 999/mm3 is grade 3), the same
    ALT of 130 U/L is grade 2 with a normal baseline and grade 0 with a baseline of 100 U/L,
    and without an LLN an ANC of 1.6 cannot be graded:

    >>> grade_lab("Neutrophil count decreased", 1.0, "10^9/L", lln=2.0)
    2
    >>> grade_lab("Neutrophil count decreased", 999, "/mm3", lln=2000)
    3
    >>> grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40, baseline=30)
    2
    >>> grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40, baseline=100)
    0
    >>> grade_lab("Neutrophil count decreased", 1.6, "10^9/L") is None
    True
    """
    return explain_lab_grade(term, value, unit, lln=lln, uln=uln, baseline=baseline,
                             qualifier_present=qualifier_present).grade


# --- vectorised API -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabGrades:
    """Grades of many lab values (from :func:`grade_labs`), as read-only NumPy arrays.

    ``grade`` is int8 with -1 where not graded (see ``status``); ``alternative_grade`` is the
    grade if the qualifier is absent; ``flags`` is a bit set (see :meth:`flags_of`).
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

    def flags_of(self, i: int) -> frozenset[LabFlag]:
        """The flags of row ``i``."""
        return _flags_from_bits(int(self.flags[i]))

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with nullable ``grade`` / ``alternative_grade`` (Int8) and the status."""
        import pandas as pd

        categories = [_STATUS_TEXT[s] for s in _Status]
        return pd.DataFrame({
            "grade": pd.arrays.IntegerArray(self.grade.copy(), ~self.graded),
            "alternative_grade": pd.arrays.IntegerArray(self.alternative_grade.copy(),
                                                        self.alternative_grade < 0),
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

    Bad rows do not stop the batch: an unknown term, a unit that does not fit, or an
    impossible value gives grade -1 with that ``status`` (see :meth:`LabGrades.status_text`).

    Example: three platelet counts, one without an LLN:

    >>> g = grade_labs("Platelet count decreased", [150, 49.9, 100], "10^9/L",
    ...                lln=[140, 140, None])
    >>> g.grade.tolist(), g.status_text(2)
    ([0, 3, -1], 'needs LLN')
    """
    v = _column(value, None, "value")
    if v.ndim != 1:
        raise InputError("value must be one-dimensional.", field="value",
                         hint="Pass one value per row.")
    n = v.shape[0]
    lln_a, uln_a, base_a = (_column(lln, n, "lln"), _column(uln, n, "uln"),
                            _column(baseline, n, "baseline"))
    for name, arr in (("lln", lln_a), ("uln", uln_a), ("baseline", base_a)):
        if arr.shape != (n,):
            raise InputError(f"{name} has {arr.shape[0]} rows but value has {n}.", field=name,
                             hint="Give one entry per row, or one number for all rows.")
    qual = _qualifier_column(qualifier_present, n)
    tcodes, tlabels = _labels(term, n)
    ucodes, ulabels = _labels(unit, n)
    combined = tcodes * len(ulabels) + ucodes
    if len(tlabels) == 1 and len(ulabels) == 1:
        order: npt.NDArray[np.intp] | None = None
        groups = [(0, 0, n)]
        sv, sl, su, sb, sq = v, lln_a, uln_a, base_a, qual
    else:
        # A stable sort of small integer codes is a radix sort in NumPy: linear time.
        small = combined.astype(np.uint16) if combined.max() < 65_535 else combined
        order = np.argsort(small, kind="stable")
        sorted_codes = combined[order]
        cuts = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [n]))
        groups = [(int(sorted_codes[a]), int(a), int(b))
                  for a, b in zip(starts, ends, strict=True) if b > a]
        sv, sl, su, sb, sq = v[order], lln_a[order], uln_a[order], base_a[order], qual[order]
    g_all = np.full(n, _NOT_GRADED, dtype=np.int8)
    st_all = np.full(n, _Status.UNKNOWN_TERM, dtype=np.uint8)
    fl_all = np.zeros(n, dtype=np.uint8)
    alt_all = np.full(n, _NOT_GRADED, dtype=np.int8)
    for code, a, b in groups:
        t_label, u_label = tlabels[code // len(ulabels)], ulabels[code % len(ulabels)]
        try:
            lt = lab_term(t_label)
        except UnknownTermError:
            continue  # status stays UNKNOWN_TERM
        try:
            plan = _resolve_unit(lt, u_label)
        except OncotrialError:
            st_all[a:b] = _Status.UNIT_NOT_ACCEPTED
            continue
        f = plan.factor
        gv, gl, gu, gb = sv[a:b], sl[a:b], su[a:b], sb[a:b]
        if f != 1.0:
            gv, gl, gu, gb = gv * f, gl * f, gu * f, gb * f
        out = _evaluate(lt, plan.key, gv, gl, gu, gb, sq[a:b])
        bad = _implausible(lt, plan.to_canonical, gv, gl, gu, gb) | (gl > gu)
        g_all[a:b] = out.grade
        st_all[a:b] = out.status
        fl_all[a:b] = out.flags | (_FLAG_BITS[LabFlag.UNIT_CONVERTED] if plan.converted else 0)
        alt_all[a:b] = out.alternative
        if bad.any():
            g_all[a:b][bad] = _NOT_GRADED
            st_all[a:b][bad] = _Status.IMPLAUSIBLE
            fl_all[a:b][bad] = 0
            alt_all[a:b][bad] = _NOT_GRADED
    if order is None:
        grade, status, flags, alt = g_all, st_all, fl_all, alt_all
    else:
        grade = np.empty_like(g_all)
        status = np.empty_like(st_all)
        flags = np.empty_like(fl_all)
        alt = np.empty_like(alt_all)
        grade[order], status[order], flags[order], alt[order] = g_all, st_all, fl_all, alt_all
    for column in (grade, status, flags, alt):
        column.setflags(write=False)
    return LabGrades(grade=grade, status=status, flags=flags, alternative_grade=alt)


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
    ``ctcae_status`` and ``ctcae_needs_confirmation``.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"term": ["Anemia", "Anemia"], "value": [79, 8.0],
    ...                    "unit": ["g/L", "g/dL"], "lln": [120, 12.0]})
    >>> derive_lab_grades(df)["ctcae_grade"].tolist()
    [3, 2]
    """
    def col(name: str) -> Any:
        return frame[name] if name in frame.columns else None

    result = grade_labs(frame[term], frame[value], frame[unit], lln=col(lln), uln=col(uln),
                        baseline=col(baseline), qualifier_present=col(qualifier_present))
    table = result.to_frame()
    out = frame.copy()
    out["ctcae_grade"] = table["grade"].to_numpy()
    out["ctcae_grade_if_qualifier_absent"] = table["alternative_grade"].to_numpy()
    out["ctcae_status"] = table["status"].to_numpy()
    out["ctcae_needs_confirmation"] = table["needs_confirmation"].to_numpy()
    return out
