"""The palbociclib dose-modification engine: :func:`recommend`.

Guideline: IBRANCE (palbociclib) capsules, US Prescribing Information (September 2019),
section 2.2 (Tables 1-3), 5.2 (ILD/pneumonitis), 7.1-7.2 (CYP3A) and 8.6 (hepatic impairment),
as restated in ``shared/domain/palbociclib.md`` sections 2-8; CTCAE v5.0 grades. Every number
comes from :class:`~oncotrial.dosing.rules.DosingRules`, so the protocol can change it.

The engine is a pure state machine. It takes the patient's :class:`DosingState` (or just the
current dose level), the day in the cycle, the latest CBC and the open toxicities, and returns a
:class:`DoseRecommendation` whose ``state`` is passed to the next call. It only ever prescribes
a protocol dose level, and it never raises the dose level after a reduction (re-escalation,
where a protocol allows it, is the investigator's explicit step: :func:`escalate`). The dose can
rise back only to the dose level already reached, when a strong CYP3A inhibitor's washout ends.

Operational readings where the label is silent (all documented in ``docs/safety.md``):

* grade 3 on a dosing day other than Day 15 of cycles 1-2 follows the Day-15 row (continue,
  re-check by Day 22 or within 7 days, whichever is sooner) and is flagged for the investigator;
* resuming after any hold needs a CBC with haematological grade <= 2 when a CBC is available;
* a non-haematological grade 4 holds even if not yet treated (grade 3 waits for treatment);
* a toxicity while on a strong CYP3A inhibitor reduces the dose level, not the capped dose;
* Child-Pugh C caps the dose for the rest of treatment, even if the class later improves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from oncotrial.dosing.model import (
    Action,
    BloodCounts,
    CbcTerm,
    Comedication,
    Cyp3aEffect,
    DosingState,
    Flag,
    Hold,
    HoldReason,
    Toxicity,
    ToxicityCategory,
)
from oncotrial.dosing.rules import ChildPughCAction, DosingRules, InducerAction
from oncotrial.errors import ImplausibleValueError, InputError

__all__ = ["LABEL_RULES", "DoseRecommendation", "escalate", "recommend"]

LABEL_RULES = DosingRules()
"""The label defaults (IBRANCE USPI 2019)."""

_FEBRILE_NEUTROPENIA = "febrile neutropenia"
_CTCAE_FN_FEVER_C = 38.3  # CTCAE v5.0 Febrile neutropenia: single temperature > 38.3 C


@dataclass(frozen=True, slots=True)
class DoseRecommendation:
    """What to do today, the dose, and the label rule it came from.

    ``dose_mg`` is the dose to take on dosing days from now on (None while on hold or after
    discontinuation); ``resume_dose_mg`` is, during a hold, the dose to resume at if recovery
    comes. ``dosing_today`` is False on days off and during a hold. ``state`` goes into the next
    call of :func:`recommend`.
    """

    action: Action
    dose_mg: int | None
    rule: str
    state: DosingState
    recheck_by: date | None = None
    dosing_today: bool = False
    resume_dose_mg: int | None = None
    flags: tuple[Flag, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A readable account: action, dose, re-check date, rule and notes.

        >>> print(recommend(125, cycle=1, cycle_day=1, assessed_on=date(2026, 1, 5),
        ...                 cbc=BloodCounts(date(2026, 1, 5), anc_grade=1)).summary())
        start at 125 mg
        rule: Haematological grade 1-2 (or none) on Day 1: start the cycle at the current dose ...
        """
        dose = (f" at {self.dose_mg} mg" if self.dose_mg is not None
                else f" (resume at {self.resume_dose_mg} mg)" if self.resume_dose_mg else "")
        lines = [f"{self.action.value.replace('_', ' ')}{dose}"]
        if self.recheck_by is not None:
            lines[0] += f"; re-check by {self.recheck_by.isoformat()}"
        lines.append(f"rule: {self.rule}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def escalate(state: DosingState, *, rules: DosingRules = LABEL_RULES) -> DosingState:
    """Raise the dose level by one, where the protocol allows re-escalation.

    The palbociclib label does not describe re-escalation after a reduction, so the default
    rules refuse it; a protocol with ``allow_reescalation`` lets the investigator take this
    step explicitly (the engine never does it by itself).

    Raises:
        InputError: re-escalation is not allowed, or the dose is already the starting dose.

    >>> escalate(DosingState(level_mg=100), rules=DosingRules(allow_reescalation=True)).level_mg
    125
    >>> escalate(DosingState(level_mg=100))
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: Re-escalation from 100 mg was requested. ...
    """
    _check_dose(state.level_mg, "level_mg", rules)
    if not rules.allow_reescalation:
        raise InputError(
            f"Re-escalation from {state.level_mg} mg was requested. The protocol's dosing rules "
            "do not allow re-escalation after a reduction (the palbociclib label does not "
            "describe it).", field="level_mg", value=state.level_mg,
            hint="Keep the current dose, or amend the protocol to allow re-escalation.")
    index = rules.dose_levels_mg.index(state.level_mg)
    if index == 0:
        raise InputError(
            f"Re-escalation from {state.level_mg} mg was requested. That is already the starting "
            "dose, the highest protocol dose level.", field="level_mg", value=state.level_mg,
            hint="No higher dose level exists.")
    higher = rules.dose_levels_mg[index - 1]
    return replace(state, level_mg=higher, dose_mg=None)


def _check_dose(dose: int, what: str, rules: DosingRules) -> None:
    if dose not in rules.dose_levels_mg:
        levels = "/".join(str(d) for d in rules.dose_levels_mg)
        raise InputError(
            f"The current dose was given as {dose} mg. Palbociclib is dosed only at the protocol "
            f"dose levels ({levels} mg).", field=what, value=dose,
            hint="Enter the dose level the patient is prescribed.")


def _validate(state: DosingState, cycle: int, cycle_day: int, assessed_on: date,
              cbc: BloodCounts | None, temperature_c: float | None,
              child_pugh_class: str | None, rules: DosingRules) -> str | None:
    _check_dose(state.level_mg, "level_mg", rules)
    if state.dose_mg is not None:
        _check_dose(state.dose_mg, "dose_mg", rules)
    if cycle < 1:
        raise InputError(f"Cycle {cycle} was given. Cycles are numbered from 1.",
                         field="cycle", value=cycle, hint="Enter the cycle number (1 = first).")
    if not 1 <= cycle_day <= rules.cycle_length_days:
        raise InputError(
            f"Cycle day {cycle_day} was given. A {rules.cycle_length_days}-day cycle has days 1 "
            f"to {rules.cycle_length_days}.", field="cycle_day", value=cycle_day,
            hint="While the next cycle is delayed, enter Day 1 of that cycle until it starts.")
    if cbc is not None and cbc.collected_on > assessed_on:
        raise InputError(
            f"The CBC is dated {cbc.collected_on.isoformat()}, after the assessment date "
            f"{assessed_on.isoformat()}. A recommendation can only use results already "
            "available.", field="cbc.collected_on", value=cbc.collected_on,
            hint="Check the CBC date or the assessment date.")
    if temperature_c is not None and not (
        math.isfinite(temperature_c) and 30.0 <= temperature_c <= 45.0
    ):
        raise ImplausibleValueError(
            f"Body temperature {temperature_c} C is outside 30-45 C, which is not compatible "
            "with life.", field="temperature_c", value=temperature_c,
            hint="Enter the temperature in degrees Celsius.")
    if child_pugh_class is None:
        return None
    cls = child_pugh_class.strip().upper()
    if cls not in ("A", "B", "C"):
        raise InputError(
            f"Child-Pugh class {child_pugh_class!r} was given. Child-Pugh classes are A, B or C.",
            field="child_pugh_class", value=child_pugh_class,
            hint="Enter the class (A 5-6 points, B 7-9, C 10-15).")
    return cls


def _is_pneumonitis(tox: Toxicity, rules: DosingRules) -> bool:
    return tox.term.strip().casefold() in {t.casefold() for t in rules.pneumonitis_terms}


def _cbc_term(term: str) -> CbcTerm | None:
    folded = term.strip().casefold()
    for cbc_term in CbcTerm:
        if cbc_term.value.casefold() == folded:
            return cbc_term
    return None


def _is_haematological(tox: Toxicity) -> bool:
    """Table 2 applies to haematological AEs; a CBC term or febrile neutropenia always is one."""
    return (tox.category is ToxicityCategory.HAEMATOLOGICAL or _cbc_term(tox.term) is not None
            or tox.term.strip().casefold() == _FEBRILE_NEUTROPENIA)


def _haematological_grades(cbc: BloodCounts | None, toxicities: Sequence[Toxicity],
                           rules: DosingRules) -> dict[str, int]:
    """Counted haematological grades by term: the CBC first, then haematological AEs.

    Lymphopenia counts only with a clinical event (USPI Table 2 footnote). An AE for a CBC term
    (or febrile neutropenia) is superseded by a CBC that measured that term.
    """
    grades: dict[str, int] = {}
    if cbc is not None:
        for term in CbcTerm:
            grade = cbc.grade(term)
            if grade is None:
                continue
            if (term is CbcTerm.LYMPHOCYTE and rules.lymphopenia_needs_clinical_event
                    and not cbc.lymphopenia_clinical_event):
                continue
            grades[term.value] = grade
    for tox in toxicities:
        if not _is_haematological(tox):
            continue
        cbc_term = _cbc_term(tox.term)
        if tox.term.strip().casefold() == _FEBRILE_NEUTROPENIA:
            cbc_term = CbcTerm.NEUTROPHIL
        if cbc is not None and cbc_term is not None and cbc.grade(cbc_term) is not None:
            continue
        if (cbc_term is CbcTerm.LYMPHOCYTE and rules.lymphopenia_needs_clinical_event
                and not tox.clinical_event):
            continue
        key = CbcTerm.NEUTROPHIL.value if cbc_term is CbcTerm.NEUTROPHIL else tox.term
        grades[key] = max(grades.get(key, 0), tox.grade)
    return grades


@dataclass(frozen=True, slots=True)
class _Trigger:
    reason: HoldReason
    reduce: bool
    rule: str
    awaiting: tuple[tuple[str, int], ...] = ()


class _Notes:
    def __init__(self) -> None:
        self.flags: list[Flag] = []
        self.texts: list[str] = []

    def add(self, flag: Flag, text: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)
            self.texts.append(text)


def _inhibitor_active(comedications: Sequence[Comedication], assessed_on: date,
                      rules: DosingRules, notes: _Notes) -> bool:
    active = False
    for med in comedications:
        taking = med.stopped_on is None or med.stopped_on >= assessed_on
        if med.effect is Cyp3aEffect.STRONG_INDUCER and taking:
            verb = ("prohibited" if rules.strong_cyp3a_inducer is InducerAction.PROHIBIT
                    else "to be avoided")
            notes.add(Flag.STRONG_CYP3A_INDUCER,
                      f"{med.name} is a strong CYP3A inducer, {verb} with palbociclib (it can "
                      "lower exposure by about 85 %; USPI 7.2): record a protocol deviation and "
                      "consider an alternative.")
        elif med.effect is Cyp3aEffect.MODERATE_INDUCER and taking:
            notes.add(Flag.MODERATE_CYP3A_INDUCER,
                      f"{med.name} is a moderate CYP3A inducer: use with caution (EU SmPC 4.5).")
        elif med.effect is Cyp3aEffect.STRONG_INHIBITOR:
            if taking:
                active = True
                continue
            assert med.stopped_on is not None
            if med.half_life_hours is None:
                active = True
                notes.add(Flag.INHIBITOR_HALF_LIFE_NEEDED,
                          f"{med.name} was stopped on {med.stopped_on.isoformat()}, but its "
                          "half-life is not recorded, so the end of the washout "
                          f"({rules.cyp3a_inhibitor_washout_half_lives:g} half-lives) is "
                          "unknown: the reduced dose stays until it is entered.")
                continue
            washout = math.ceil(rules.cyp3a_inhibitor_washout_half_lives
                                * med.half_life_hours / 24.0)
            if assessed_on < med.stopped_on + timedelta(days=washout):
                active = True
    if active:
        notes.add(Flag.STRONG_CYP3A_INHIBITOR,
                  "A strong CYP3A inhibitor is taken or still in its washout: palbociclib "
                  f"{rules.strong_cyp3a_inhibitor_dose_mg} mg once daily, back to the previous "
                  f"dose {rules.cyp3a_inhibitor_washout_half_lives:g} half-lives of the "
                  "inhibitor after it is stopped (USPI 2.2, 7.1).")
    return active


def recommend(
    current: DosingState | int,
    *,
    cycle: int,
    cycle_day: int,
    assessed_on: date,
    cbc: BloodCounts | None = None,
    toxicities: Sequence[Toxicity] = (),
    temperature_c: float | None = None,
    infection: bool = False,
    comedications: Sequence[Comedication] = (),
    child_pugh_class: str | None = None,
    rules: DosingRules = LABEL_RULES,
) -> DoseRecommendation:
    """Recommend today's palbociclib action from the label's dose-modification rules.

    Guideline: IBRANCE (palbociclib) USPI 2019, section 2.2 Tables 1-3, 5.2, 7.1-7.2 and 8.6;
    toxicity grades by CTCAE v5.0. Rules in words, with the label defaults (each one is a field
    of ``rules``), in order of precedence:

    1. Discontinue for a grade 5 event, pneumonitis grade >= 3, Child-Pugh C when the protocol
       says so, or when a reduction below the lowest level (75 mg) is needed.
    2. Hold (re-check within 7 days) for haematological grade 4, grade 3 neutropenia with fever
       >= 38.5 C or infection, or non-haematological grade >= 3 despite optimal treatment: all
       resume one level lower; for haematological grade 3 on Day 1 (do not start the cycle;
       resume at the same dose); for pneumonitis grade 2 (interrupt; investigator decides).
    3. During a hold: resume once the CBC is grade <= 2 and each awaited toxicity is back to
       its grade (<= 1, or <= 2 if the investigator judged grade 2 safe); flag recovery that
       took more than 7 days.
    4. Haematological grade 3 on Day 15 of cycles 1-2: continue, CBC on Day 22.
    5. Otherwise start (Day 1, with a CBC at most 3 days old) or continue. A strong CYP3A
       inhibitor caps the dose at 75 mg until its washout ends; Child-Pugh C caps it at the
       lowest level; a strong inducer raises an alert.

    Args:
        current: the patient's :class:`DosingState` from the previous call, or just the current
            dose level in mg for a first call.
        cycle, cycle_day: where the patient is; while a cycle start is delayed, pass Day 1 of
            the delayed cycle.
        assessed_on: today's date (the core has no clock).
        cbc: the latest blood count; toxicities: the open adverse events today;
        temperature_c: the highest temperature since the last assessment; infection: an
            infection is present; comedications: CYP3A-active co-medications;
        child_pugh_class: today's class, if re-assessed.

    Raises:
        InputError: a dose that is not a protocol level, an impossible cycle day, a CBC dated
            after ``assessed_on``, an unknown Child-Pugh class.
        ImplausibleValueError: a temperature outside 30-45 C.

    Example, the label's Day-15 scenario in cycle 1 (first day 2026-01-05):

    >>> d15 = recommend(125, cycle=1, cycle_day=15, assessed_on=date(2026, 1, 19),
    ...                 cbc=BloodCounts(date(2026, 1, 19), anc_10e9_l=0.8))
    >>> d15.action, d15.dose_mg, d15.recheck_by
    (<Action.CONTINUE: 'continue'>, 125, datetime.date(2026, 1, 26))
    >>> d22 = recommend(d15.state, cycle=1, cycle_day=22, assessed_on=date(2026, 1, 26),
    ...                 cbc=BloodCounts(date(2026, 1, 26), anc_10e9_l=0.4))
    >>> d22.action, d22.resume_dose_mg, d22.recheck_by
    (<Action.HOLD: 'hold'>, 100, datetime.date(2026, 2, 2))
    >>> c2 = recommend(d22.state, cycle=2, cycle_day=1, assessed_on=date(2026, 2, 2),
    ...                cbc=BloodCounts(date(2026, 2, 2), anc_10e9_l=1.2))
    >>> c2.action, c2.dose_mg
    (<Action.RESUME_REDUCED: 'resume_reduced'>, 100)
    """
    state = current if isinstance(current, DosingState) else DosingState(level_mg=current)
    cp_class = _validate(state, cycle, cycle_day, assessed_on, cbc, temperature_c,
                         child_pugh_class, rules)
    if cbc is not None and state.last_cbc_on is not None and cbc.collected_on < state.last_cbc_on:
        raise InputError(
            f"The CBC is dated {cbc.collected_on.isoformat()}, older than the CBC of "
            f"{state.last_cbc_on.isoformat()} already used for this patient. A recommendation "
            "uses the latest CBC, so an older one would be acted on twice.",
            field="cbc.collected_on", value=cbc.collected_on,
            hint="Pass the most recent CBC, or none if there is no new one.")
    if cbc is not None:
        state = replace(state, last_cbc_on=cbc.collected_on)
    notes = _Notes()
    dosing_day = rules.is_dosing_day(cycle_day)

    def done(action: Action, rule: str, new_state: DosingState, *, dose: int | None = None,
             recheck_by: date | None = None, resume: int | None = None) -> DoseRecommendation:
        return DoseRecommendation(
            action=action, dose_mg=dose, rule=rule, state=new_state, recheck_by=recheck_by,
            dosing_today=dose is not None and dosing_day and action is not Action.HOLD,
            resume_dose_mg=resume, flags=tuple(notes.flags), notes=tuple(notes.texts))

    def stop(rule: str) -> DoseRecommendation:
        return done(Action.DISCONTINUE, rule,
                    replace(state, discontinued=True, hold=None, dose_mg=None))

    if state.discontinued:
        return stop("Palbociclib was permanently discontinued at an earlier assessment; "
                    "the label has no restart after discontinuation.")

    # Hepatic impairment (USPI 8.6): re-assessed each cycle; alert on any class change.
    hepatic_cap = state.hepatic_cap_mg
    if cp_class is not None and state.child_pugh_class not in (None, cp_class):
        notes.add(Flag.CHILD_PUGH_CHANGED,
                  f"Child-Pugh class changed from {state.child_pugh_class} to {cp_class}.")
    state = replace(state, child_pugh_class=cp_class or state.child_pugh_class)
    if (state.day22_cbc_due_on is not None and cbc is not None
            and cbc.collected_on >= state.day22_cbc_due_on):
        state = replace(state, day22_cbc_due_on=None)  # the Day-22 CBC has been done
    if cp_class == "C":
        if rules.child_pugh_c_action is ChildPughCAction.DISCONTINUE:
            return stop("Child-Pugh C (severe hepatic impairment) on study: the protocol says "
                        "discontinue palbociclib (USPI 8.6 gives 75 mg; the protocol is stricter).")
        hepatic_cap = rules.lowest_dose_mg
        notes.add(Flag.CHILD_PUGH_C,
                  f"Child-Pugh C (severe hepatic impairment): {rules.lowest_dose_mg} mg once "
                  f"daily, {rules.days_on} days on, {rules.days_off} off (USPI 2.2, 8.6).")

    # Discontinuation triggers.
    if any(t.grade == 5 for t in toxicities):
        fatal = next(t.term for t in toxicities if t.grade == 5)
        return stop(f"{fatal} is recorded at grade 5 (death related to the adverse event).")
    pneumonitis = [t for t in toxicities if _is_pneumonitis(t, rules)]
    worst_pneumonitis = max((t.grade for t in pneumonitis), default=0)
    if worst_pneumonitis >= rules.pneumonitis_discontinue_min_grade:
        return stop(f"Pneumonitis grade {worst_pneumonitis} (severe ILD/pneumonitis, grade >= "
                    f"{rules.pneumonitis_discontinue_min_grade}): permanently discontinue "
                    "palbociclib (USPI 5.2).")

    inhibitor = _inhibitor_active(comedications, assessed_on, rules, notes)
    haem = _haematological_grades(cbc, toxicities, rules)
    worst_haem = max(haem.values(), default=None)
    anc_grade = haem.get(CbcTerm.NEUTROPHIL.value)
    infected = infection or any(t.infection for t in toxicities)
    fever = temperature_c is not None and temperature_c >= rules.fever_threshold_c

    # CTCAE febrile neutropenia is a different definition from the label's 38.5 C threshold.
    fn_records = [t for t in toxicities if t.term.strip().casefold() == _FEBRILE_NEUTROPENIA]
    if (anc_grade is not None and anc_grade >= 3 and temperature_c is not None
            and temperature_c > _CTCAE_FN_FEVER_C and not fn_records):
        notes.add(Flag.FEBRILE_NEUTROPENIA_AE,
                  f"ANC grade {anc_grade} with {temperature_c:g} C meets CTCAE v5.0 febrile "
                  "neutropenia (> 38.3 C): record the adverse event if it is not recorded.")

    if fever and anc_grade is None:
        notes.add(Flag.CBC_NEEDED,
                  f"Fever {temperature_c:g} C without a neutrophil count: check the ANC now "
                  f"(grade {rules.febrile_neutropenia_min_grade} neutropenia with fever >= "
                  f"{rules.fever_threshold_c:g} C means hold, then one level lower).")

    triggers: list[_Trigger] = []
    reduce_min = rules.haematological_reduce_min_grade
    resume_max = rules.haematological_resume_max_grade
    if worst_haem is not None and worst_haem >= reduce_min:
        terms = ", ".join(sorted(t for t, g in haem.items() if g >= reduce_min))
        triggers.append(_Trigger(
            HoldReason.HAEM_GRADE4, True,
            f"Haematological grade {worst_haem} ({terms}): withhold until grade <= {resume_max}, "
            "then resume at the next lower dose (USPI 2.2, Table 2, grade 4)."))
    febrile_min = rules.febrile_neutropenia_min_grade
    if anc_grade is not None and febrile_min <= anc_grade < reduce_min:
        fn_unverified = bool(fn_records) and temperature_c is None and not infected
        if fever or infected or fn_unverified:
            why = (f"fever {temperature_c:g} C" if fever else "infection" if infected
                   else "febrile neutropenia recorded")
            if fn_unverified:
                notes.add(Flag.TEMPERATURE_NEEDED,
                          "Febrile neutropenia is recorded but no temperature was given; the "
                          f"label's threshold is {rules.fever_threshold_c:g} C, so the stricter "
                          "rule is applied until the temperature is entered.")
            triggers.append(_Trigger(
                HoldReason.HAEM_FEBRILE, True,
                f"Grade {anc_grade} neutropenia with {why} (fever >= "
                f"{rules.fever_threshold_c:g} C and/or infection): withhold until grade <= "
                f"{resume_max}, then resume at the next lower dose (USPI 2.2, Table 2)."))
        elif fn_records and temperature_c is not None:
            notes.add(Flag.FEBRILE_NEUTROPENIA_AE,
                      f"Febrile neutropenia is recorded (CTCAE > 38.3 C), but {temperature_c:g} C "
                      f"is below the label's {rules.fever_threshold_c:g} C and there is no "
                      "infection: the fever-or-infection row does not apply.")
    for tox in toxicities:
        if _is_haematological(tox) or _is_pneumonitis(tox, rules):
            continue
        if tox.grade < rules.non_haematological_hold_min_grade:
            continue
        if not tox.despite_optimal_treatment and tox.grade < 4:
            notes.add(Flag.TREAT_THEN_REASSESS,
                      f"{tox.term} grade {tox.grade} has not yet had optimal medical treatment: "
                      "treat it; if it persists, withhold and resume one level lower "
                      "(USPI 2.2, Table 3).")
            continue
        back_to = 2 if tox.grade2_acceptable else rules.non_haematological_resume_max_grade
        triggers.append(_Trigger(
            HoldReason.NON_HAEMATOLOGICAL, True,
            f"{tox.term} grade {tox.grade}, non-haematological grade >= "
            f"{rules.non_haematological_hold_min_grade} persisting despite optimal medical "
            f"treatment: withhold until grade <= {back_to}, then resume at the next lower dose "
            "(USPI 2.2, Table 3).", ((tox.term, back_to),)))
    for tox in pneumonitis:
        if tox.grade >= rules.pneumonitis_hold_min_grade:
            triggers.append(_Trigger(
                HoldReason.PNEUMONITIS, False,
                f"{tox.term} grade {tox.grade}: interrupt palbociclib immediately and evaluate; "
                f"grade >= {rules.pneumonitis_discontinue_min_grade} means permanent "
                "discontinuation (USPI 5.2).", ((tox.term, rules.pneumonitis_hold_min_grade - 1),)))
            notes.add(Flag.INVESTIGATOR_DECISION,
                      "Pneumonitis: the investigator decides whether to resume or discontinue.")

    haem_g3 = (worst_haem is not None and rules.day1_hold_min_grade <= worst_haem < reduce_min
               and not any(t.reason is HoldReason.HAEM_FEBRILE for t in triggers))
    recheck = assessed_on + timedelta(days=rules.recheck_within_days)
    reduce_needed = any(t.reduce for t in triggers) or (
        state.hold is not None and state.hold.reduce_on_resume)
    lower = rules.next_lower_dose_mg(state.level_mg)
    if reduce_needed and lower is None:
        why = " ".join(t.rule for t in triggers if t.reduce) or (
            "The ongoing hold requires resuming one level lower.")
        return stop(f"{why} A reduction below the lowest dose level ({rules.lowest_dose_mg} mg) "
                    "is needed, which means discontinuation (USPI 2.2, Table 1).")
    if inhibitor and any(t.reduce for t in triggers):
        notes.add(Flag.TOXICITY_ON_INHIBITOR,
                  "This toxicity occurred while a strong CYP3A inhibitor raised palbociclib "
                  "exposure: the dose level is reduced; consider stopping the inhibitor.")

    def capped(level: int) -> int:
        dose = level
        if inhibitor:
            dose = min(dose, rules.strong_cyp3a_inhibitor_dose_mg)
        if hepatic_cap is not None:
            dose = min(dose, hepatic_cap)
        return dose

    day1_cbc_ok = cbc is not None and (
        0 <= (assessed_on - cbc.collected_on).days <= rules.cbc_max_days_before_day1)

    def need_day1_cbc(new_state: DosingState, resume: int) -> DoseRecommendation:
        notes.add(Flag.CBC_NEEDED,
                  f"No CBC from the last {rules.cbc_max_days_before_day1} days before Day 1.")
        return done(Action.HOLD,
                    f"Day 1 of cycle {cycle} needs a CBC at most {rules.cbc_max_days_before_day1} "
                    f"days old with haematological grade <= {resume_max} before the cycle "
                    "starts (USPI 2.2, monitoring).", new_state, recheck_by=assessed_on,
                    resume=resume)

    # --- During a hold: merge new reasons, then check recovery. -------------------------
    if state.hold is not None:
        hold = state.hold
        if triggers or (haem_g3 and not hold.haematological):
            reasons = list(hold.reasons)
            awaiting = dict(hold.awaiting)
            for trig in triggers:
                if trig.reason not in reasons:
                    reasons.append(trig.reason)
                for term, back_to in trig.awaiting:
                    awaiting[term] = min(back_to, awaiting.get(term, back_to))
            if haem_g3 and not any(r.haematological for r in reasons):
                reasons.append(HoldReason.HAEM_DAY1 if cycle_day == 1 else HoldReason.HAEM_GRADE3)
            hold = Hold(hold.started_on, tuple(reasons), reduce_needed, tuple(awaiting.items()))
        open_grades = {t.term.strip().casefold(): t.grade for t in toxicities}
        waiting = [term for term, back_to in hold.awaiting
                   if open_grades.get(term.strip().casefold(), 0) > back_to]
        cbc_fresh = cbc is not None and cbc.collected_on >= hold.started_on
        haem_pending = hold.haematological and not cbc_fresh
        haem_high = worst_haem is not None and worst_haem > resume_max
        resume_level = lower if hold.reduce_on_resume and lower is not None else state.level_mg
        held_state = replace(state, hold=hold, hepatic_cap_mg=hepatic_cap)
        if waiting or haem_pending or haem_high:
            days = (assessed_on - hold.started_on).days
            if (hold.haematological and not hold.reduce_on_resume
                    and days > rules.prolonged_recovery_days):
                notes.add(Flag.CONSIDER_DOSE_REDUCTION,
                          f"Grade 3 not recovered after {days} days (more than "
                          f"{rules.prolonged_recovery_days}): consider a dose reduction "
                          "(investigator judgement; USPI 2.2, Table 2).")
            pending = [f"{t} (needs grade <= {g})" for t, g in hold.awaiting if t in waiting]
            if haem_pending:
                pending.append("a new CBC")
            elif haem_high:
                pending.append(f"haematological grade <= {resume_max} (now {worst_haem})")
            rule = (f"Palbociclib is on hold since {hold.started_on.isoformat()} for "
                    f"{'; '.join(r.value for r in hold.reasons)}. Waiting for "
                    f"{', '.join(pending)}; re-check within {rules.recheck_within_days} days. "
                    + " ".join(t.rule for t in triggers))
            return done(Action.HOLD, rule.strip(), held_state, recheck_by=recheck,
                        resume=capped(resume_level))
        if cycle_day == 1 and not day1_cbc_ok:
            return need_day1_cbc(held_state, capped(resume_level))
        if (hold.haematological and not hold.reduce_on_resume and cbc is not None
                and (cbc.collected_on - hold.started_on).days > rules.prolonged_recovery_days):
            notes.add(Flag.CONSIDER_DOSE_REDUCTION,
                      "Recovery from grade 3 took more than "
                      f"{rules.prolonged_recovery_days} days: consider a dose reduction "
                      "(investigator judgement; USPI 2.2, Table 2).")
        if HoldReason.PNEUMONITIS in hold.reasons:
            notes.add(Flag.INVESTIGATOR_DECISION,
                      "Pneumonitis has resolved to grade <= 1: the investigator confirms "
                      "resumption (USPI 5.2).")
        reduced = hold.reduce_on_resume
        new_level = resume_level
        new_state = replace(state, level_mg=new_level, dose_mg=capped(new_level), hold=None,
                            hepatic_cap_mg=hepatic_cap,
                            reductions=state.reductions + (1 if reduced else 0))
        when = ("start the cycle" if cycle_day == 1 else "resume for the remaining days on"
                if dosing_day else "no drug until Day 1 of the next cycle, then start")
        table = "3" if hold.reasons == (HoldReason.NON_HAEMATOLOGICAL,) else "2"
        rule = (f"Recovered from {'; '.join(r.value for r in hold.reasons)}: {when} at "
                f"{'the next lower dose' if reduced else 'the same dose'}, {capped(new_level)} mg "
                f"(USPI 2.2, Table {table}).")
        return done(Action.RESUME_REDUCED if reduced else Action.RESUME_SAME_DOSE, rule,
                    new_state, dose=capped(new_level))

    # --- Not on hold. --------------------------------------------------------------------
    if haem_g3 and cycle_day == 1:
        triggers.append(_Trigger(
            HoldReason.HAEM_DAY1, False,
            f"Haematological grade {worst_haem} on Day 1: do not start cycle {cycle}; repeat "
            f"the CBC within {rules.recheck_within_days} days and start at the same dose when "
            f"grade <= {resume_max} (USPI 2.2, Table 2)."))
        if state.day1_grade3_holds >= 1:
            notes.add(Flag.CONSIDER_DOSE_REDUCTION,
                      "Recurrent grade 3 on Day 1 of a later cycle: consider a dose reduction "
                      "(investigator judgement; USPI 2.2, Table 2).")
    if triggers:
        reduce = any(t.reduce for t in triggers)
        hold = Hold(assessed_on, tuple(t.reason for t in triggers), reduce,
                    tuple(a for t in triggers for a in t.awaiting))
        new_state = replace(
            state, hold=hold, hepatic_cap_mg=hepatic_cap, holds=state.holds + 1,
            day1_grade3_holds=state.day1_grade3_holds
            + (1 if HoldReason.HAEM_DAY1 in hold.reasons else 0))
        resume_level = lower if reduce and lower is not None else state.level_mg
        return done(Action.HOLD, " ".join(t.rule for t in triggers), new_state,
                    recheck_by=recheck, resume=capped(resume_level))

    # Day-22 re-check bookkeeping (USPI 2.2, Table 2, Day-15 row).
    due = state.day22_cbc_due_on
    if due is not None:
        if assessed_on > due:
            notes.add(Flag.DAY22_CBC_MISSED,
                      f"The Day-22 CBC due on {due.isoformat()} has no result yet.")
        else:
            notes.add(Flag.DAY22_CBC_DUE, f"CBC due on Day 22 ({due.isoformat()}).")
    new_state = replace(state, hepatic_cap_mg=hepatic_cap, day22_cbc_due_on=due)
    dose = capped(state.level_mg)
    new_state = replace(new_state, dose_mg=dose)
    recheck_by: date | None = None

    if cycle_day == 1 and not day1_cbc_ok:
        return need_day1_cbc(new_state, dose)

    if haem_g3 and worst_haem is not None:
        grade = worst_haem
        day22 = rules.day22_recheck_day
        if cycle_day < day22:
            day22_on = assessed_on + timedelta(days=day22 - cycle_day)
            recheck_by = min(day22_on, recheck)
        else:
            recheck_by = min(recheck, assessed_on
                             + timedelta(days=rules.cycle_length_days - cycle_day + 1))
        if dosing_day:
            label_day = (cycle_day == rules.day15_cbc_day and cycle in rules.day15_cbc_cycles)
            if not label_day:
                notes.add(Flag.NOT_A_LABEL_DAY,
                          f"The label gives the grade 3 mid-cycle rule for Day "
                          f"{rules.day15_cbc_day} of cycles "
                          f"{', '.join(str(c) for c in rules.day15_cbc_cycles)}; on Day "
                          f"{cycle_day} of cycle {cycle} it is applied by analogy: investigator "
                          "to confirm.")
            if cycle_day < day22 and grade >= rules.day22_recheck_after_day15_grade:
                new_state = replace(new_state, day22_cbc_due_on=day22_on)
                notes.add(Flag.DAY22_CBC_DUE, f"CBC due on Day {day22} ({day22_on.isoformat()}).")
            rule = (f"Haematological grade {grade} on Day {cycle_day} of cycle {cycle}: continue "
                    f"at the current dose to complete the cycle; repeat the CBC on Day {day22}; "
                    f"grade {reduce_min} then follows the grade {reduce_min} rule "
                    "(USPI 2.2, Table 2, Day 15).")
        else:
            rule = (f"Haematological grade {grade} on Day {cycle_day}, a day off: no "
                    "palbociclib is due; the next cycle starts only with grade <= "
                    f"{resume_max} on Day 1 (USPI 2.2, Table 2).")
        action = Action.ADJUST if dose != state.prescribed_mg else Action.CONTINUE
        if action is Action.ADJUST:
            rule += f" The dose changes to {dose} mg (CYP3A inhibitor or Child-Pugh C)."
        return done(action, rule, new_state, dose=dose, recheck_by=recheck_by)

    action = Action.START if cycle_day == 1 else Action.CONTINUE
    if cycle_day == 1:
        rule = ("Haematological grade 1-2 (or none) on Day 1: start the cycle at the current "
                "dose (USPI 2.2, Table 2).")
    elif dosing_day:
        rule = ("No toxicity that needs a change (grade 1-2, USPI 2.2, Tables 2-3): continue "
                "at the current dose.")
    else:
        rule = (f"Day {cycle_day} is a day off ({rules.days_on} days on, {rules.days_off} off): "
                "no palbociclib until Day 1 of the next cycle.")
    if dose != state.prescribed_mg:
        if cycle_day != 1:
            action = Action.ADJUST
        if dose < state.prescribed_mg:
            causes = []
            if inhibitor and rules.strong_cyp3a_inhibitor_dose_mg < state.level_mg:
                causes.append("a strong CYP3A inhibitor (USPI 2.2, 7.1)")
            if hepatic_cap is not None and hepatic_cap < state.level_mg:
                causes.append("Child-Pugh C (USPI 2.2, 8.6)")
            rule = (f"Take {dose} mg once daily because of {' and '.join(causes)}; the dose "
                    f"level reached by the toxicity rules stays {state.level_mg} mg.")
        else:
            rule = (f"The strong CYP3A inhibitor's washout "
                    f"({rules.cyp3a_inhibitor_washout_half_lives:g} half-lives) is over: return "
                    f"to the dose used before it, {dose} mg (USPI 2.2, 7.1).")
    return done(action, rule, new_state, dose=dose, recheck_by=recheck_by)
