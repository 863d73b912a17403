"""Input and state types for palbociclib dosing: blood counts, toxicities, co-medications.

These are the dosing package's own small types, so that it does not depend on the CTCAE
package: a toxicity is a CTCAE v5.0 term with a grade and a category, and a blood count is
either CTCAE grades, values, or both (values are banded by the CTCAE v5.0 haematology table,
``shared/domain/ctcae_v5.md`` section 2). Grades 0 and 1 need the local LLN to tell apart; the
dosing rules treat them alike ("grade <= 2"), so a value above the grade-2 cut-off counts as
grade 1 here, the worse of the two.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date

from oncotrial.errors import ImplausibleValueError, InputError

__all__ = [
    "Action",
    "BloodCounts",
    "CbcTerm",
    "Comedication",
    "Cyp3aEffect",
    "DosingState",
    "Flag",
    "Hold",
    "HoldReason",
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
    """Carry on at a different dose for a non-toxicity reason (CYP3A inhibitor, Child-Pugh C)."""
    HOLD = "hold"
    """Withhold palbociclib and re-check by ``recheck_by``."""
    RESUME_SAME_DOSE = "resume_same_dose"
    """The reason for the hold has recovered: resume (or start the cycle) at the same dose."""
    RESUME_REDUCED = "resume_reduced"
    """The reason for the hold has recovered: resume one dose level lower."""
    DISCONTINUE = "discontinue"
    """Stop palbociclib permanently."""


class Flag(enum.StrEnum):
    """Something the investigator should see next to the recommendation."""

    CONSIDER_DOSE_REDUCTION = "consider_dose_reduction"
    DAY22_CBC_DUE = "day22_cbc_due"
    DAY22_CBC_MISSED = "day22_cbc_missed"
    CBC_NEEDED = "cbc_needed"
    INVESTIGATOR_DECISION = "investigator_decision"
    NOT_A_LABEL_DAY = "not_a_label_day"
    FEBRILE_NEUTROPENIA_AE = "febrile_neutropenia_ae"
    TEMPERATURE_NEEDED = "temperature_needed"
    TREAT_THEN_REASSESS = "treat_then_reassess"
    STRONG_CYP3A_INHIBITOR = "strong_cyp3a_inhibitor"
    INHIBITOR_HALF_LIFE_NEEDED = "inhibitor_half_life_needed"
    TOXICITY_ON_INHIBITOR = "toxicity_on_inhibitor"
    STRONG_CYP3A_INDUCER = "strong_cyp3a_inducer"
    MODERATE_CYP3A_INDUCER = "moderate_cyp3a_inducer"
    CHILD_PUGH_CHANGED = "child_pugh_changed"
    CHILD_PUGH_C = "child_pugh_c"


class ToxicityCategory(enum.StrEnum):
    """Which label table applies: Table 2 (haematological) or Table 3 (non-haematological)."""

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
    """A co-medication's effect on CYP3A (USPI 7.1-7.2)."""

    STRONG_INHIBITOR = "strong_inhibitor"
    STRONG_INDUCER = "strong_inducer"
    MODERATE_INDUCER = "moderate_inducer"


class HoldReason(enum.StrEnum):
    """Why palbociclib is withheld (the label row that applies)."""

    HAEM_DAY1 = "haematological grade 3 on Day 1"
    HAEM_GRADE3 = "haematological grade 3 during another hold"
    HAEM_GRADE4 = "haematological grade 4"
    HAEM_FEBRILE = "grade 3 neutropenia with fever or infection"
    NON_HAEMATOLOGICAL = "non-haematological grade >= 3"
    PNEUMONITIS = "pneumonitis"

    @property
    def haematological(self) -> bool:
        """True when recovery is judged on the CBC (grade <= 2)."""
        return self in (HoldReason.HAEM_DAY1, HoldReason.HAEM_GRADE3, HoldReason.HAEM_GRADE4,
                        HoldReason.HAEM_FEBRILE)


# CTCAE v5.0 haematology cut-offs (ctcae_v5.md section 2): lower edges of grades 2, 3, 4.
# "< 1.0 - 0.5" means 0.5 <= value < 1.0, so each band includes its lower edge.
_COUNT_CUTS: dict[CbcTerm, tuple[float, float, float]] = {
    CbcTerm.NEUTROPHIL: (1.5, 1.0, 0.5),
    CbcTerm.PLATELET: (75.0, 50.0, 25.0),
    CbcTerm.WBC: (3.0, 2.0, 1.0),
    CbcTerm.LYMPHOCYTE: (0.8, 0.5, 0.2),
}
_HB_CUTS_G_L = (100.0, 80.0)  # Anemia: grade 2 < 100 - 80 g/L, grade 3 < 80 g/L


def _check_grade(grade: int | None, what: str, *, low: int = 0, high: int = 5) -> None:
    if grade is None:
        return
    if isinstance(grade, bool) or not isinstance(grade, int) or not low <= grade <= high:
        raise InputError(
            f"{what} was given as grade {grade!r}. CTCAE v5.0 grades are whole numbers "
            f"from {low} to {high}.", field=what, value=grade,
            hint="Enter the CTCAE grade, or the value and let it be graded.")


def _value_band(term: CbcTerm, value: float) -> tuple[int, int]:
    """The grades a value allows for ``term``: (lowest, highest)."""
    if term is CbcTerm.ANEMIA:
        g2, g3 = _HB_CUTS_G_L
        # Clinical qualifiers (transfusion indicated, life-threatening) can raise the grade.
        if value < g3:
            return 3, 4
        return (2, 4) if value < g2 else (0, 4)
    c2, c3, c4 = _COUNT_CUTS[term]
    if value < c4:
        return 4, 4
    if value < c3:
        return 3, 3
    if value < c2:
        return 2, 2
    return 0, 1


_VALUE_FIELDS: dict[CbcTerm, tuple[str, str, str]] = {
    CbcTerm.NEUTROPHIL: ("anc_grade", "anc_10e9_l", "10^9/L"),
    CbcTerm.PLATELET: ("platelet_grade", "platelets_10e9_l", "10^9/L"),
    CbcTerm.ANEMIA: ("anemia_grade", "hemoglobin_g_l", "g/L"),
    CbcTerm.WBC: ("wbc_grade", "wbc_10e9_l", "10^9/L"),
    CbcTerm.LYMPHOCYTE: ("lymphocyte_grade", "lymphocytes_10e9_l", "10^9/L"),
}


@dataclass(frozen=True, slots=True)
class BloodCounts:
    """The latest complete blood count, as CTCAE v5.0 grades and/or values.

    Values are in 10^9/L for counts (10^3/uL is the same number) and g/L for haemoglobin.
    When both a grade and a value are given they must agree (a grade may exceed what the
    haemoglobin shows, since "transfusion indicated" or life-threatening consequences raise
    the anaemia grade). ``lymphopenia_clinical_event`` marks lymphopenia with a clinical event
    such as an opportunistic infection; without it the label does not apply its rules to
    lymphopenia.

    Raises:
        InputError: a grade outside 0-5, or a grade that contradicts the value.
        ImplausibleValueError: a negative or non-finite count.

    >>> cbc = BloodCounts(date(2026, 1, 15), anc_10e9_l=0.8, platelet_grade=1)
    >>> cbc.grade(CbcTerm.NEUTROPHIL), cbc.grade(CbcTerm.PLATELET), cbc.grade(CbcTerm.ANEMIA)
    (3, 1, None)
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
    lymphopenia_clinical_event: bool = False

    def __post_init__(self) -> None:
        for term in CbcTerm:
            grade_field, value_field, unit = _VALUE_FIELDS[term]
            grade = getattr(self, grade_field)
            value = getattr(self, value_field)
            _check_grade(grade, grade_field, high=4 if term is not CbcTerm.ANEMIA else 5)
            if value is None:
                continue
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ImplausibleValueError(
                    f"{term.value} value {value!r} {unit} is not a possible count. "
                    "A count is a finite number of 0 or more.", field=value_field, value=value,
                    hint=f"Enter the absolute count in {unit}.")
            low, high = _value_band(term, float(value))
            if grade is not None and not low <= grade <= high:
                raise InputError(
                    f"{term.value} was entered as grade {grade} with a value of {value} {unit}. "
                    f"CTCAE v5.0 gives that value grade {low if low == high else f'{low}-{high}'}.",
                    field=grade_field, value=grade,
                    hint="Correct the grade or the value; leave the grade empty to derive it.")

    def grade(self, term: CbcTerm) -> int | None:
        """The grade for ``term`` as the dosing rules see it, or None when not measured.

        A given grade wins; otherwise the value's band, taking the worse grade where the value
        alone cannot decide (0 vs 1 without LLN; 3 vs 4 for anaemia).
        """
        grade_field, value_field, _ = _VALUE_FIELDS[term]
        grade: int | None = getattr(self, grade_field)
        if grade is not None:
            return grade
        value = getattr(self, value_field)
        if value is None:
            return None
        low, _ = _value_band(term, float(value))
        # Grade 0 vs 1 needs the LLN and both mean "no change" here, so take 1; above grade 1
        # the lowest grade the value proves (anaemia 3 vs 4 depends on clinical consequences).
        return 1 if low < 2 else low


@dataclass(frozen=True, slots=True)
class Toxicity:
    """An open adverse event as the dosing rules need it.

    ``category`` chooses the label table. ``despite_optimal_treatment`` is the Table 3 condition
    ("persisting despite optimal medical treatment"); it defaults to True so that an unanswered
    question leads to the safer hold. ``grade2_acceptable`` records the investigator's judgement
    that grade 2 is not a safety risk (resume at grade <= 2 instead of <= 1). ``infection``
    marks an infection (used by the Table 2 fever-or-infection row); ``clinical_event`` marks
    lymphopenia with a clinical event such as an opportunistic infection.

    >>> Toxicity("Diarrhea", 3, ToxicityCategory.NON_HAEMATOLOGICAL).grade
    3
    """

    term: str
    grade: int
    category: ToxicityCategory
    infection: bool = False
    despite_optimal_treatment: bool = True
    grade2_acceptable: bool = False
    clinical_event: bool = False

    def __post_init__(self) -> None:
        if not self.term.strip():
            raise InputError("A toxicity was given without a CTCAE term.", field="term",
                             value=self.term, hint="Enter the CTCAE v5.0 term, e.g. 'Diarrhea'.")
        _check_grade(self.grade, f"{self.term} grade", low=1)


@dataclass(frozen=True, slots=True)
class Comedication:
    """A concomitant medication that changes CYP3A activity (USPI 7.1-7.2).

    ``stopped_on`` is the last day it was taken; ``half_life_hours`` is the inhibitor's own
    elimination half-life, needed to know when the washout ends.

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
                value=self.half_life_hours, hint="Take it from the inhibitor's label.")


@dataclass(frozen=True, slots=True)
class Hold:
    """An ongoing interruption: since when, why, and what recovery means.

    ``awaiting`` lists (term, highest acceptable grade) for non-haematological and pneumonitis
    holds; haematological holds wait for a CBC with every counted term at grade <= the protocol's
    resume grade.
    """

    started_on: date
    reasons: tuple[HoldReason, ...]
    reduce_on_resume: bool
    awaiting: tuple[tuple[str, int], ...] = ()

    @property
    def haematological(self) -> bool:
        """True when a CBC must show recovery before resuming."""
        return any(r.haematological for r in self.reasons)


@dataclass(frozen=True, slots=True)
class DosingState:
    """Where a patient is in the dosing rules; :func:`recommend` returns the next one.

    ``level_mg`` is the dose level reached by the toxicity rules; ``dose_mg`` is what is
    prescribed now, which can be lower while a strong CYP3A inhibitor is taken or after
    Child-Pugh C (``hepatic_cap_mg``). The counters feed exposure summaries and the
    "recurrent grade 3 on Day 1" flag. ``last_cbc_on`` is the newest CBC already evaluated, so
    that an older CBC cannot be acted on twice.

    >>> DosingState(level_mg=125).prescribed_mg
    125
    """

    level_mg: int
    dose_mg: int | None = None
    hold: Hold | None = None
    day22_cbc_due_on: date | None = None
    day1_grade3_holds: int = 0
    reductions: int = 0
    holds: int = 0
    child_pugh_class: str | None = None
    hepatic_cap_mg: int | None = None
    discontinued: bool = False
    last_cbc_on: date | None = None

    @property
    def prescribed_mg(self) -> int:
        """The dose to take on a dosing day when not on hold."""
        return self.level_mg if self.dose_mg is None else self.dose_mg
