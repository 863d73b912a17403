"""Inputs and state of the dose-modification engine: blood counts, toxicities, co-medications.

A blood count is a view over :class:`oncotrial.records.LabResult` rows
(:meth:`BloodCounts.from_labs`), or is given as values and/or grades. Values are graded by
:func:`oncotrial.ctcae.grade_lab` (CTCAE v5.0); this package keeps no grade thresholds of its
own. Without the laboratory's LLN a value above the grade 2 cut-off is grade 0 or 1, which the
dose rules treat alike ("grade <= 2"), so the engine counts it as grade 1, the worse of the two.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from oncotrial.clinical import analyte_key
from oncotrial.ctcae import grade_lab
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.records import (
    AdverseEvent,
    ChildPughClass,
    ConcomitantMedication,
    Grade,
    LabResult,
)

__all__ = [
    "Action",
    "AwaitedEvent",
    "BloodCounts",
    "CbcTerm",
    "Comedication",
    "Cyp3aEffect",
    "DosingState",
    "Flag",
    "Hold",
    "Toxicity",
    "ToxicityCategory",
]


class Action(enum.StrEnum):
    """What the engine recommends today."""

    START = "start"
    """Start the cycle (Day 1) at ``dose_mg``."""
    CONTINUE = "continue"
    """Carry on with the schedule at the same dose (on a day off: stay off)."""
    ADJUST = "adjust"
    """Carry on at a different dose for a non-toxicity reason (interacting drug, liver)."""
    HOLD = "hold"
    """Withhold the drug and re-check by ``recheck_by``."""
    RESUME_SAME_DOSE = "resume_same_dose"
    """The reason for the hold has recovered: resume (or start the cycle) at the same dose."""
    RESUME_REDUCED = "resume_reduced"
    """The reason for the hold has recovered: resume one dose level lower."""
    INVESTIGATOR_DECISION = "investigator_decision"
    """The reason for the hold has recovered, but the protocol leaves restarting to the
    investigator: no dose is recommended (record the decision with ``restart``)."""
    DISCONTINUE = "discontinue"
    """Stop the drug permanently."""


class Flag(enum.StrEnum):
    """Something the investigator should see next to the recommendation."""

    CONSIDER_DOSE_REDUCTION = "consider_dose_reduction"
    RECHECK_DUE = "blood_count_recheck_due"
    RECHECK_MISSED = "blood_count_recheck_missed"
    CBC_NEEDED = "cbc_needed"
    INVESTIGATOR_DECISION = "investigator_decision"
    APPLIED_BY_ANALOGY = "applied_by_analogy"
    FEBRILE_NEUTROPENIA_AE = "febrile_neutropenia_ae"
    TEMPERATURE_NEEDED = "temperature_needed"
    TREAT_THEN_REASSESS = "treat_then_reassess"
    INTERACTING_DRUG_DOSE = "interacting_drug_dose"
    HALF_LIFE_NEEDED = "half_life_needed"
    TOXICITY_ON_INTERACTING_DRUG = "toxicity_on_interacting_drug"
    INTERACTING_DRUG_ALERT = "interacting_drug_alert"
    CHILD_PUGH_CHANGED = "child_pugh_changed"
    HEPATIC_IMPAIRMENT = "hepatic_impairment"


class ToxicityCategory(enum.StrEnum):
    """Which kind of protocol rule applies: haematological or non-haematological."""

    HAEMATOLOGICAL = "haematological"
    NON_HAEMATOLOGICAL = "non_haematological"


class CbcTerm(enum.StrEnum):
    """CTCAE v5.0 terms graded from a complete blood count."""

    NEUTROPHIL = "Neutrophil count decreased"
    PLATELET = "Platelet count decreased"
    ANEMIA = "Anemia"
    WBC = "White blood cell decreased"
    LYMPHOCYTE = "Lymphocyte count decreased"


class Cyp3aEffect(enum.StrEnum):
    """A co-medication's effect on CYP3A (IBRANCE USPI 2019 sections 7.1-7.2)."""

    STRONG_INHIBITOR = "strong_inhibitor"
    MODERATE_INHIBITOR = "moderate_inhibitor"
    STRONG_INDUCER = "strong_inducer"
    MODERATE_INDUCER = "moderate_inducer"


def _check_grade(grade: int | None, what: str, *, low: int = 0, high: int = 5) -> Grade | None:
    if grade is None:
        return None
    if isinstance(grade, bool) or not isinstance(grade, int) or not low <= grade <= high:
        raise InputError(
            f"{what} was given as grade {grade!r}. CTCAE v5.0 grades are whole numbers "
            f"from {low} to {high}.", field=what, value=grade,
            hint="Enter the CTCAE grade, or the value and let it be graded.")
    return Grade(grade)


#: Analyte key (docs/clinical.md) of each blood-count term.
_ANALYTES: Mapping[str, CbcTerm] = MappingProxyType({
    "neutrophils": CbcTerm.NEUTROPHIL, "platelets": CbcTerm.PLATELET,
    "hemoglobin": CbcTerm.ANEMIA, "wbc": CbcTerm.WBC, "lymphocytes": CbcTerm.LYMPHOCYTE})
#: The keyword fields of each term: (grade field, value field, unit of the value).
_FIELDS: Mapping[CbcTerm, tuple[str, str, str]] = MappingProxyType({
    CbcTerm.NEUTROPHIL: ("anc_grade", "anc_10e9_l", "10^9/L"),
    CbcTerm.PLATELET: ("platelet_grade", "platelets_10e9_l", "10^9/L"),
    CbcTerm.ANEMIA: ("anemia_grade", "hemoglobin_g_l", "g/L"),
    CbcTerm.WBC: ("wbc_grade", "wbc_10e9_l", "10^9/L"),
    CbcTerm.LYMPHOCYTE: ("lymphocyte_grade", "lymphocytes_10e9_l", "10^9/L"),
})
#: CTCAE v5.0 term Anemia: grade 3 is also "transfusion indicated" and grade 4 "life-threatening
#: consequences", so a recorded grade may exceed what the haemoglobin alone shows.
_GRADE_MAY_EXCEED_VALUE = frozenset({CbcTerm.ANEMIA})


def _ctcae_grade(term: CbcTerm, lab: LabResult) -> Grade | None:
    """The CTCAE v5.0 grade of one lab, from :func:`oncotrial.ctcae.grade_lab`."""
    return _graded(term.value, lab.value, lab.unit, lab.lln, lab.uln)


@lru_cache(maxsize=4096)
def _graded(term: str, value: float, unit: str, lln: float | None,
            uln: float | None) -> Grade | None:
    # Laboratories report counts to a few digits, so the same values recur; grade_lab is pure.
    graded: object = grade_lab(term, value, unit, lln=lln, uln=uln)
    grade: Any = getattr(graded, "grade", graded)  # a result with .grade, or the grade itself
    return None if grade is None else Grade(int(grade))


def _value_lab(term: CbcTerm, value: object, collected_on: date) -> LabResult:
    _, value_field, unit = _FIELDS[term]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise ImplausibleValueError(
            f"{term.value} value {value!r} {unit} is not a possible count. A count is a finite "
            "number of 0 or more.", field=value_field, value=value,
            hint=f"Enter the absolute count in {unit}.")
    return LabResult("", next(a for a, t in _ANALYTES.items() if t is term), float(value), unit,
                     None, None, collected_on)


def _labs_by_term(labs: tuple[LabResult, ...]) -> dict[CbcTerm, LabResult]:
    out: dict[CbcTerm, LabResult] = {}
    for lab in labs:
        term = _ANALYTES.get(analyte_key(lab.analyte))
        if term is None:
            raise InputError(
                f"{lab.analyte} is not a blood-count analyte.", field="labs", value=lab.analyte,
                hint=f"Give only {', '.join(_ANALYTES)}; BloodCounts.from_labs picks them out.")
        if term in out:
            raise InputError(f"{term.value} was given twice.", field="labs", value=lab.analyte,
                             hint="Give one result per analyte.")
        out[term] = lab
    return out


def _agree(term: CbcTerm, given: Grade, lab: LabResult, computed: Grade | None) -> None:
    """Refuse a recorded grade that contradicts the value's CTCAE grade."""
    low = Grade.G0 if computed is None else computed
    high = Grade.G1 if computed is None else computed
    if term in _GRADE_MAY_EXCEED_VALUE:
        high = Grade.G5
    if not low <= given <= high:
        shown = f"{int(low)}" if low == high else f"{int(low)}-{int(high)}"
        raise InputError(
            f"{term.value} was entered as grade {int(given)} with a value of {lab.value:g} "
            f"{lab.unit}. CTCAE v5.0 gives that value grade {shown}.",
            field=_FIELDS[term][0], value=int(given),
            hint="Correct the grade or the value; leave the grade empty to derive it.")


@dataclass(frozen=True, slots=True)
class BloodCounts:
    """The latest complete blood count: a view over lab results, graded by CTCAE v5.0.

    Build it from stored results with :meth:`from_labs`, or give values (counts in 10^9/L,
    which is the same number as 10^3/uL; haemoglobin in g/L) and/or grades by keyword. A grade
    given with a value must agree with the value's CTCAE v5.0 grade (an anaemia grade may be
    higher: "transfusion indicated" and life-threatening consequences raise it).
    ``clinical_event`` marks a clinical event, such as an opportunistic infection, with the
    counts: the terms a protocol counts only with a clinical event (lymphopenia, IBRANCE USPI
    2019 section 2.2 Table 2 footnote) count then.

    Raises:
        InputError: a grade outside 0-5, a grade that contradicts its value, or a term given
            both as a value and as a lab result.
        ImplausibleValueError: a negative or non-finite count.

    >>> cbc = BloodCounts(date(2026, 1, 15), anc_10e9_l=0.8, platelet_grade=1)
    >>> cbc.grade(CbcTerm.NEUTROPHIL), cbc.grade(CbcTerm.PLATELET), cbc.grade(CbcTerm.ANEMIA)
    (<Grade.G3: 3>, <Grade.G1: 1>, None)
    >>> BloodCounts(date(2026, 1, 15), anc_grade=2, anc_10e9_l=0.4)
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: Neutrophil count decreased was entered as grade 2 with ...
    """

    collected_on: date
    anc_grade: int | None = None
    platelet_grade: int | None = None
    anemia_grade: int | None = None
    wbc_grade: int | None = None
    lymphocyte_grade: int | None = None
    anc_10e9_l: float | None = None
    platelets_10e9_l: float | None = None
    hemoglobin_g_l: float | None = None
    wbc_10e9_l: float | None = None
    lymphocytes_10e9_l: float | None = None
    clinical_event: bool = False
    labs: tuple[LabResult, ...] = ()
    grades: Mapping[CbcTerm, Grade] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        from_labs = _labs_by_term(self.labs)
        grades: dict[CbcTerm, Grade] = {}
        for term, (grade_field, value_field, _) in _FIELDS.items():
            given = _check_grade(getattr(self, grade_field), grade_field,
                                 high=5 if term in _GRADE_MAY_EXCEED_VALUE else 4)
            value = getattr(self, value_field)
            if value is not None and term in from_labs:
                raise InputError(
                    f"{term.value} was given both as {value_field} and as a lab result.",
                    field=value_field, value=value, hint="Give each count once.")
            lab = from_labs.get(term) or (
                None if value is None else _value_lab(term, value, self.collected_on))
            if lab is None:
                if given is not None:
                    grades[term] = given
                continue
            computed = _ctcae_grade(term, lab)
            if given is not None:
                _agree(term, given, lab, computed)
            grades[term] = given if given is not None else (
                Grade.G1 if computed is None or computed < Grade.G1 else computed)
        object.__setattr__(self, "grades", MappingProxyType(grades))

    def grade(self, term: CbcTerm) -> Grade | None:
        """The grade of ``term`` as the dose rules see it, or None when not measured.

        A given grade wins; otherwise the value's CTCAE v5.0 grade, with grade 0 counted as 1
        (0 and 1 alike mean "no change" to the rules, and 0 needs the LLN).
        """
        return self.grades.get(term)

    @classmethod
    def from_labs(cls, labs: Iterable[LabResult], *, clinical_event: bool = False,
                  ) -> BloodCounts:
        """The latest complete blood count among a subject's lab results.

        Keeps the results of the latest day on which any blood-count analyte (``neutrophils``,
        ``platelets``, ``hemoglobin``, ``wbc``, ``lymphocytes`` or an alias of docs/clinical.md)
        was collected; other analytes are ignored. Units, LLN and ULN come from each result.

        Raises:
            InputError: no blood-count result, results of two subjects, or two results of one
                analyte on that day.

        >>> day = date(2026, 1, 19)
        >>> cbc = BloodCounts.from_labs([
        ...     LabResult("001", "anc", 800, "/mm3", 2000, 7500, day),
        ...     LabResult("001", "platelets", 140, "10^9/L", 150, 400, day),
        ...     LabResult("001", "alt", 30, "U/L", None, 40, day)])
        >>> cbc.grade(CbcTerm.NEUTROPHIL), cbc.grade(CbcTerm.PLATELET)
        (<Grade.G3: 3>, <Grade.G1: 1>)
        """
        counts = []
        for lab in labs:
            key = analyte_key(lab.analyte)
            if key in _ANALYTES:
                counts.append((key, lab))
        if not counts:
            raise InputError("No blood-count result was given, so there is no blood count.",
                             field="labs", hint="Pass the ANC, platelets, haemoglobin, WBC or "
                             "lymphocyte results of the latest blood count.")
        subjects = sorted({lab.subject_id for _, lab in counts})
        if len(subjects) > 1:
            raise InputError(f"The lab results belong to subjects {', '.join(subjects)}. A "
                             "blood count is one subject's.", field="subject_id",
                             value=subjects, hint="Pass one subject's results.")
        latest = max(lab.collected_on for _, lab in counts)
        chosen: dict[str, LabResult] = {}
        for key, lab in counts:
            if lab.collected_on != latest:
                continue
            if key in chosen and chosen[key] != lab:
                raise InputError(
                    f"Two {key} results were collected on {latest.isoformat()} "
                    f"({chosen[key].value:g} and {lab.value:g} {lab.unit}).", field="labs",
                    value=key, hint="Keep the result of the blood count to use.")
            chosen[key] = lab
        return cls(latest, clinical_event=clinical_event, labs=tuple(chosen.values()))


@dataclass(frozen=True, slots=True)
class Toxicity:
    """An open adverse event as the dose rules need it.

    ``category`` chooses the protocol's haematological or non-haematological rules (a
    blood-count term is haematological whatever the category). ``despite_optimal_treatment``
    is the condition "persisting despite optimal medical treatment" (IBRANCE USPI 2019 section
    2.2 Table 3); it defaults to True so that an unanswered question leads to the safer hold.
    ``investigator_accepts_higher_grade`` records the investigator's judgement that the rule's
    ``investigator_may_accept_grade`` (grade 2 in the label) is not a safety risk.
    ``infection`` marks an infection (the fever-or-infection rules); ``clinical_event`` marks
    a clinical event for the terms counted only with one (lymphopenia).

    >>> Toxicity("Diarrhea", 3, ToxicityCategory.NON_HAEMATOLOGICAL).grade
    <Grade.G3: 3>
    """

    term: str
    grade: Grade
    category: ToxicityCategory
    infection: bool = False
    despite_optimal_treatment: bool = True
    investigator_accepts_higher_grade: bool = False
    clinical_event: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.term, str) or not self.term.strip():
            raise InputError("A toxicity was given without a CTCAE term.", field="term",
                             value=self.term, hint="Enter the CTCAE v5.0 term, e.g. 'Diarrhea'.")
        grade = _check_grade(self.grade, f"{self.term} grade", low=1)
        object.__setattr__(self, "grade", grade)

    @classmethod
    def from_adverse_event(cls, event: AdverseEvent, *, on: date, category: ToxicityCategory,
                           **judgements: bool) -> Toxicity | None:
        """The event's toxicity on ``on`` (its grade that day), or None when it is not ongoing.

        ``judgements`` are the keyword flags of :class:`Toxicity` (``infection``,
        ``despite_optimal_treatment``...), which the AE record does not carry.
        """
        grade = event.grade_on(on)
        return None if grade is None else cls(event.term, grade, category, **judgements)


@dataclass(frozen=True, slots=True)
class Comedication:
    """A concomitant medication that changes CYP3A activity (IBRANCE USPI 2019 7.1-7.2).

    ``stopped_on`` is the last day it was taken; ``half_life_hours`` is the drug's own
    elimination half-life, needed to know when a washout ends.

    >>> Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=64).name
    'itraconazole'
    """

    name: str
    effect: Cyp3aEffect
    stopped_on: date | None = None
    half_life_hours: float | None = None

    def __post_init__(self) -> None:
        if self.half_life_hours is not None and not (
            math.isfinite(self.half_life_hours) and self.half_life_hours > 0
        ):
            raise ImplausibleValueError(
                f"The half-life of {self.name} was given as {self.half_life_hours} h. "
                "A half-life is a positive number of hours.", field="half_life_hours",
                value=self.half_life_hours, hint="Take it from the drug's label.")

    @classmethod
    def from_record(cls, med: ConcomitantMedication) -> Comedication | None:
        """The record as a CYP3A co-medication, or None when it records no CYP3A effect.

        Raises:
            InputError: ``cyp3a_effect`` is not a known effect.
        """
        if not med.cyp3a_effect:
            return None
        try:
            effect = Cyp3aEffect(med.cyp3a_effect)
        except ValueError:
            raise InputError(
                f"{med.name} has CYP3A effect {med.cyp3a_effect!r}, which is not known.",
                field="cyp3a_effect", value=med.cyp3a_effect,
                hint=f"Use one of: {', '.join(e.value for e in Cyp3aEffect)}.") from None
        return cls(med.name, effect, med.stopped_on, med.half_life_hours)


@dataclass(frozen=True, slots=True)
class AwaitedEvent:
    """An adverse event a hold waits for: resume once its grade is at most ``max_grade``."""

    term: str
    max_grade: Grade


@dataclass(frozen=True, slots=True)
class Hold:
    """An ongoing interruption: since when, which protocol rules, and what recovery means.

    ``rules`` are the ids of the protocol rules that started or joined the hold.
    ``blood_count_max_grade`` (haematological holds) asks for a blood count collected since the
    hold with every counted term at or below it; ``awaiting`` lists the other events and the
    grade each must reach. ``investigator_restart`` means the protocol leaves the restart to
    the investigator (:func:`oncotrial.dosing.restart`).
    """

    started_on: date
    rules: tuple[str, ...]
    reduce_on_resume: bool
    recheck_within_days: int
    investigator_restart: bool = False
    blood_count_max_grade: Grade | None = None
    awaiting: tuple[AwaitedEvent, ...] = ()
    prolonged_recovery_days: int | None = None

    @property
    def haematological(self) -> bool:
        """True when a blood count must show recovery before resuming."""
        return self.blood_count_max_grade is not None


@dataclass(frozen=True, slots=True)
class DosingState:
    """Where a subject is in the dose rules; :func:`recommend` returns the next one.

    ``level_mg`` is the dose level reached by the toxicity rules; ``dose_mg`` is what is
    prescribed now, which can be lower while an interacting drug is taken or after a hepatic
    impairment rule (``hepatic_cap_mg``). ``recheck_due_on`` is the date of a mid-cycle
    blood-count re-check still due. The counters feed exposure summaries and the "recurrent
    Day-1 hold" flag. ``last_cbc_on`` is the newest blood count already evaluated, so that an
    older one cannot be acted on twice.

    >>> DosingState(level_mg=125).prescribed_mg
    125
    """

    level_mg: int
    dose_mg: int | None = None
    hold: Hold | None = None
    recheck_due_on: date | None = None
    day1_holds: int = 0
    reductions: int = 0
    holds: int = 0
    child_pugh_class: ChildPughClass | None = None
    hepatic_cap_mg: int | None = None
    discontinued: bool = False
    last_cbc_on: date | None = None

    @property
    def prescribed_mg(self) -> int:
        """The dose to take on a dosing day when not on hold."""
        return self.level_mg if self.dose_mg is None else self.dose_mg

