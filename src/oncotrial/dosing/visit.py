"""One assessment's inputs, checked, and what the dose rules derive from them.

:func:`build_visit` refuses inputs a clinician must correct (a dose that is not a protocol
level, a blood count from the future, an event a hold waits for that is neither graded nor
resolved) and derives a :class:`DosingVisit`: the counted haematological grades, the protocol
toxicity rules that apply today (:class:`RuleMatch`), the interacting-drug and hepatic caps and
the notes every outcome carries. The decision rules of :mod:`oncotrial.dosing.engine` read only
the visit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from oncotrial.dosing.model import (
    BloodCounts,
    CbcTerm,
    Comedication,
    DosingState,
    Flag,
    Toxicity,
    ToxicityCategory,
)
from oncotrial.dosing.rules import DosingRules
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.protocol.model import HepaticImpairmentRule, ToxicityRule
from oncotrial.records import ChildPughClass, Grade

__all__ = [
    "DosingVisit",
    "RuleMatch",
    "build_visit",
    "haematological_grades",
    "match_rules",
]

_FEBRILE_NEUTROPENIA = "febrile neutropenia"
#: CTCAE v5.0 term Febrile neutropenia: "ANC <1000/mm3 with a single temperature of >38.3 C".
_CTCAE_FN_FEVER_C = 38.3
_SEVERITY = {"continue": 0, "hold": 1, "discontinue": 2}
_RESUME_RANK = {None: 0, "same": 0, "investigator": 1, "next_lower": 2}

Note = tuple[Flag, str]



@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A protocol toxicity rule that applies today, the events it applies to and their grade.

    ``by_analogy`` marks a Day-1 or mid-cycle rule applied outside the cycles (or the day) it
    is written for; ``accepted_grade`` is the grade the investigator accepted instead of the
    rule's ``resume_at_grade``.
    """

    rule: ToxicityRule
    terms: tuple[str, ...]
    grade: Grade
    by_analogy: bool = False
    accepted_grade: int | None = None

    @property
    def resume_grade(self) -> int:
        """The grade to recover to before resuming."""
        if self.accepted_grade is not None:
            return self.accepted_grade
        return self.rule.resume_at_grade if self.rule.resume_at_grade is not None else 0


@dataclass(frozen=True, slots=True)
class DosingVisit:
    """One assessment's checked inputs and everything the decision rules derive from them.

    Build it with :func:`build_visit`. ``state`` is the incoming state with today's blood-count
    date and Child-Pugh class recorded. ``observations`` are the notes every outcome carries
    (interacting-drug alerts, a Child-Pugh change...).
    """

    rules: DosingRules
    state: DosingState
    cycle: int
    cycle_day: int
    assessed_on: date
    cbc: BloodCounts | None
    toxicities: tuple[Toxicity, ...]
    resolved: frozenset[str]
    temperature_c: float | None
    infected: bool
    dosing_day: bool
    haem_grades: Mapping[str, Grade]
    worst_haem: Grade | None
    anc_grade: Grade | None
    matches: tuple[RuleMatch, ...]
    interacting_cap_mg: int | None
    hepatic_rule: HepaticImpairmentRule | None
    hepatic_cap_mg: int | None
    observations: tuple[Note, ...] = ()

    def capped(self, level: int) -> int:
        """The dose to take at ``level`` with today's interacting-drug and hepatic caps."""
        dose = level
        for cap in (self.interacting_cap_mg, self.hepatic_cap_mg):
            if cap is not None:
                dose = min(dose, cap)
        return dose

    @property
    def lower_mg(self) -> int | None:
        """The next lower dose level from the level reached (None at the lowest level)."""
        return self.rules.next_lower_dose_mg(self.state.level_mg)

    @property
    def day1_count_ok(self) -> bool:
        """A blood count recent enough for Day 1 (``blood_counts.day1_max_age_days``)."""
        return self.cbc is not None and 0 <= (self.assessed_on - self.cbc.collected_on).days \
            <= self.rules.blood_counts.day1_max_age_days

    def grade_of(self, term: str) -> int:
        """Today's grade of a non-haematological event (0 when given as resolved)."""
        key = term.strip().casefold()
        return max((int(t.grade) for t in self.toxicities if t.term.strip().casefold() == key),
                   default=0)


# --- checking the inputs ------------------------------------------------------------------


def _check_dose(dose: int, what: str, rules: DosingRules) -> None:
    if dose not in rules.dose_levels_mg:
        levels = "/".join(str(d) for d in rules.dose_levels_mg)
        raise InputError(
            f"The current dose was given as {dose} mg. {rules.drug} is dosed only at the "
            f"protocol dose levels ({levels} mg).", field=what, value=dose,
            hint="Enter the dose level the subject is prescribed.")


def _check_days(cycle: int, cycle_day: int, rules: DosingRules) -> None:
    if cycle < 1:
        raise InputError(f"Cycle {cycle} was given. Cycles are numbered from 1.",
                         field="cycle", value=cycle, hint="Enter the cycle number (1 = first).")
    if not 1 <= cycle_day <= rules.cycle_length_days:
        raise InputError(
            f"Cycle day {cycle_day} was given. A {rules.cycle_length_days}-day cycle has days 1 "
            f"to {rules.cycle_length_days}.", field="cycle_day", value=cycle_day,
            hint="While the next cycle is delayed, enter Day 1 of that cycle until it starts.")


def _check_cbc(cbc: BloodCounts | None, assessed_on: date, state: DosingState) -> None:
    if cbc is None:
        return
    if cbc.collected_on > assessed_on:
        raise InputError(
            f"The blood count is dated {cbc.collected_on.isoformat()}, after the assessment "
            f"date {assessed_on.isoformat()}. A recommendation can only use results already "
            "available.", field="cbc.collected_on", value=cbc.collected_on,
            hint="Check the blood-count date or the assessment date.")
    if state.last_cbc_on is not None and cbc.collected_on < state.last_cbc_on:
        raise InputError(
            f"The blood count is dated {cbc.collected_on.isoformat()}, older than the CBC of "
            f"{state.last_cbc_on.isoformat()} already used for this subject. A recommendation "
            "uses the latest blood count, so an older one would be acted on twice.",
            field="cbc.collected_on", value=cbc.collected_on,
            hint="Pass the most recent blood count, or none if there is no new one.")


def _check_temperature(temperature_c: float | None) -> None:
    if temperature_c is not None and not (
            math.isfinite(temperature_c) and 30.0 <= temperature_c <= 45.0):
        raise ImplausibleValueError(
            f"Body temperature {temperature_c} C is outside 30-45 C, which is not compatible "
            "with life.", field="temperature_c", value=temperature_c,
            hint="Enter the temperature in degrees Celsius.")


def _child_pugh(value: ChildPughClass | str | None) -> ChildPughClass | None:
    if value is None or isinstance(value, ChildPughClass):
        return value
    text = value.strip().upper() if isinstance(value, str) else value
    try:
        return ChildPughClass(text)
    except ValueError:
        raise InputError(
            f"Child-Pugh class {value!r} was given. Child-Pugh classes are A, B or C "
            "(Pugh et al. 1973).", field="child_pugh_class", value=value,
            hint="Enter the class (A 5-6 points, B 7-9, C 10-15).") from None


def _check_resolution(state: DosingState, toxicities: Sequence[Toxicity],
                      resolved: frozenset[str]) -> None:
    """An awaited event is either graded today or explicitly resolved; never just omitted."""
    entered = {t.term.strip().casefold(): t.term.strip() for t in toxicities}
    given = set(entered)
    both = sorted(given & resolved)
    if both:
        term = entered[both[0]]
        raise InputError(
            f"{term!r} is given both as an open toxicity and as resolved.",
            field="resolved", value=term,
            hint="Give its grade if it is ongoing, or list it as resolved, not both.")
    if state.hold is None:
        return
    for awaited in state.hold.awaiting:
        key = awaited.term.strip().casefold()
        if key not in given and key not in resolved:
            raise InputError(
                f"The hold since {state.hold.started_on.isoformat()} waits for {awaited.term} "
                f"to recover to grade <= {int(awaited.max_grade)}, but this assessment neither "
                "gives its grade nor says it resolved. An event left out is not taken as "
                "resolved.", field="resolved", value=awaited.term,
                hint=f"Enter today's grade of {awaited.term}, or mark {awaited.term} as "
                     "resolved.")


# --- deriving what the rules need ---------------------------------------------------------


def _cbc_term(term: str) -> CbcTerm | None:
    folded = term.strip().casefold()
    if folded == _FEBRILE_NEUTROPENIA:
        return CbcTerm.NEUTROPHIL
    return next((t for t in CbcTerm if t.value.casefold() == folded), None)


def _is_haematological(tox: Toxicity) -> bool:
    """The haematological rules apply to a blood-count term or febrile neutropenia always."""
    return tox.category is ToxicityCategory.HAEMATOLOGICAL or _cbc_term(tox.term) is not None


def haematological_grades(cbc: BloodCounts | None, toxicities: Sequence[Toxicity],
                          rules: DosingRules) -> dict[str, Grade]:
    """Counted haematological grades by term: the blood count first, then haematological AEs.

    Only the protocol's ``counted_terms`` count, and its ``terms_needing_clinical_event``
    (lymphopenia, IBRANCE USPI 2019 Table 2 footnote) only with a clinical event. An AE of a
    blood-count term (or febrile neutropenia, an ANC term) is superseded by a blood count that
    measured the term.
    """
    grades: dict[str, Grade] = {}
    if cbc is not None:
        for term in rules.counted_terms:
            grade = cbc.grade(term)
            if grade is not None and (term not in rules.clinical_event_terms
                                      or cbc.clinical_event):
                grades[term.value] = grade
    for tox in toxicities:
        if not _is_haematological(tox):
            continue
        cbc_term = _cbc_term(tox.term)
        if cbc_term is not None and (
                cbc_term not in rules.counted_terms
                or (cbc is not None and cbc.grade(cbc_term) is not None)
                or (cbc_term in rules.clinical_event_terms and not tox.clinical_event)):
            continue
        key = tox.term if cbc_term is None else cbc_term.value
        grades[key] = max(grades.get(key, Grade.G0), tox.grade)
    return grades


def _strictest(matches: Sequence[RuleMatch]) -> RuleMatch | None:
    """The match whose action is strictest (then a reduction, then the higher grade)."""
    return max(matches, default=None, key=lambda m: (
        _SEVERITY[m.rule.action], _RESUME_RANK[m.rule.resume_dose], m.rule.min_grade))


def _in_grades(rule: ToxicityRule, grade: int) -> bool:
    return rule.min_grade <= grade <= (rule.max_grade or 5)


def _day_applies(rule: ToxicityRule, cycle: int, cycle_day: int,
                 rules: DosingRules) -> tuple[bool, bool]:
    """(the rule applies today, it applies by analogy outside its written cycles/day)."""
    if rule.when == "day1":
        return cycle_day == 1, bool(rule.cycles) and cycle not in rule.cycles
    if rule.when == "mid_cycle":
        written = (not rule.cycles or cycle in rule.cycles) and (
            cycle_day == rules.blood_counts.mid_cycle_day)
        return cycle_day != 1, not written
    return True, False


def _fever_met(rule: ToxicityRule, temperature_c: float | None, infected: bool,
               fn_recorded: bool) -> bool:
    """Fever at or above the rule's threshold, an infection, or febrile neutropenia recorded
    without a temperature (the stricter reading until the temperature is entered)."""
    if infected:
        return True
    if temperature_c is None:
        return fn_recorded
    return rule.fever_c is not None and temperature_c >= rule.fever_c


def _haematological_match(rules: DosingRules, haem: Mapping[str, Grade], cycle: int,
                          cycle_day: int, temperature_c: float | None, infected: bool,
                          fn_recorded: bool) -> RuleMatch | None:
    matches = []
    for rule in rules.haematological_rules:
        terms = tuple(t for t, g in haem.items()
                      if (not rule.terms or t in rule.terms) and _in_grades(rule, g))
        applies, analogy = _day_applies(rule, cycle, cycle_day, rules)
        if not terms or not applies:
            continue
        if rule.condition == "fever_or_infection" and not _fever_met(
                rule, temperature_c, infected, fn_recorded):
            continue
        matches.append(RuleMatch(rule, terms, max(haem[t] for t in terms), analogy))
    return _strictest(matches)


def _event_match(candidates: Sequence[ToxicityRule], tox: Toxicity, cycle: int, cycle_day: int,
                 rules: DosingRules) -> RuleMatch | None:
    matches = []
    for rule in candidates:
        applies, analogy = _day_applies(rule, cycle, cycle_day, rules)
        if not applies or not _in_grades(rule, tox.grade):
            continue
        if rule.condition == "despite_optimal_treatment" and not tox.despite_optimal_treatment:
            continue
        accepted = (rule.investigator_may_accept_grade
                    if tox.investigator_accepts_higher_grade else None)
        matches.append(RuleMatch(rule, (tox.term,), tox.grade, analogy, accepted))
    return _strictest(matches)


def match_rules(rules: DosingRules, cycle: int, cycle_day: int, cbc: BloodCounts | None,
                toxicities: Sequence[Toxicity], temperature_c: float | None,
                infected: bool) -> tuple[RuleMatch, ...]:
    """Every protocol toxicity rule that applies today: the strictest haematological rule for
    the blood count as a whole, and the strictest rule for each other event."""
    haem = haematological_grades(cbc, toxicities, rules)
    fn_recorded = any(t.term.strip().casefold() == _FEBRILE_NEUTROPENIA for t in toxicities)
    found = [_haematological_match(rules, haem, cycle, cycle_day, temperature_c, infected,
                                   fn_recorded)]
    for tox in toxicities:
        if _is_haematological(tox):
            continue
        listed = rules.listed_term_rules.get(tox.term.strip().casefold())
        found.append(_event_match(listed if listed is not None
                                  else rules.non_haematological_rules,
                                  tox, cycle, cycle_day, rules))
    return tuple(m for m in found if m is not None)


def _interacting(comedications: Sequence[Comedication], assessed_on: date,
                 rules: DosingRules) -> tuple[int | None, list[Note]]:
    """The dose cap of the interacting-drug rules in force today, and their notes."""
    cap: int | None = None
    notes: list[Note] = []
    for med in comedications:
        rule = rules.interacting.get(med.effect)
        if rule is None:
            continue
        taking = med.stopped_on is None or med.stopped_on >= assessed_on
        if rule.action != "dose_level":
            if taking:
                verb = {"prohibit": "prohibited", "alert": "to be avoided",
                        "caution": "to be used with caution"}[rule.action]
                notes.append((Flag.INTERACTING_DRUG_ALERT,
                              f"{med.name} is a {med.effect.replace('_', ' ')} of CYP3A, "
                              f"{verb} with {rules.drug} ({rule.citation}): record it, and "
                              "consider an alternative."))
            continue
        half_lives = rule.washout_half_lives or 0.0
        active = taking
        if not taking and med.half_life_hours is None:
            active = True
            notes.append((Flag.HALF_LIFE_NEEDED,
                          f"{med.name} was stopped on {med.stopped_on}, but its half-life is "
                          f"not recorded, so the end of the washout ({half_lives:g} "
                          "half-lives) is unknown: the reduced dose stays until it is entered."))
        elif not taking and med.stopped_on is not None and med.half_life_hours is not None:
            washout = math.ceil(half_lives * med.half_life_hours / 24.0)
            active = assessed_on < med.stopped_on + timedelta(days=washout)
        if active:
            dose = rules.rule_dose_mg[rule.id]
            cap = dose if cap is None else min(cap, dose)
            notes.append((Flag.INTERACTING_DRUG_DOSE,
                          f"{med.name} ({rule.id.replace('_', ' ')}) is taken or still in its "
                          f"washout: {rules.drug} {dose} mg, back to the dose level reached "
                          f"{half_lives:g} half-lives after it is stopped ({rule.citation})."))
    return cap, notes


def _hepatic(state: DosingState, today: ChildPughClass | None,
             rules: DosingRules) -> tuple[HepaticImpairmentRule | None, int | None, list[Note]]:
    """Today's hepatic-impairment rule, the cap it sets (kept for the rest of treatment)."""
    notes: list[Note] = []
    if today is not None and state.child_pugh_class not in (None, today):
        notes.append((Flag.CHILD_PUGH_CHANGED,
                      f"Child-Pugh class changed from {state.child_pugh_class} to {today}."))
    rule = None if today is None else rules.hepatic.get(today)
    cap = state.hepatic_cap_mg
    if rule is not None and rule.action != "discontinue":
        dose = (rules.lowest_dose_mg if rule.action == "lowest_level"
                else rules.rule_dose_mg[rule.id])
        cap = dose if cap is None else min(cap, dose)
        notes.append((Flag.HEPATIC_IMPAIRMENT,
                      f"Child-Pugh {today} on study: {rules.drug} at most {dose} mg once daily "
                      f"for the rest of treatment ({rule.citation})."))
    return rule, cap, notes


def _fever_notes(visit_anc: Grade | None, temperature_c: float | None, infected: bool,
                 toxicities: Sequence[Toxicity], rules: DosingRules) -> list[Note]:
    notes: list[Note] = []
    fn_recorded = any(t.term.strip().casefold() == _FEBRILE_NEUTROPENIA for t in toxicities)
    threshold = rules.fever_threshold_c
    if (visit_anc is not None and visit_anc >= Grade.G3 and temperature_c is not None
            and temperature_c > _CTCAE_FN_FEVER_C and not fn_recorded):
        notes.append((Flag.FEBRILE_NEUTROPENIA_AE,
                      f"ANC grade {int(visit_anc)} with {temperature_c:g} C meets CTCAE v5.0 "
                      "Febrile neutropenia (> 38.3 C): record the adverse event if it is not "
                      "recorded."))
    if fn_recorded and temperature_c is None and not infected and threshold is not None:
        notes.append((Flag.TEMPERATURE_NEEDED,
                      "Febrile neutropenia is recorded but no temperature was given; the "
                      f"protocol's threshold is {threshold:g} C, so the stricter rule is applied "
                      "until the temperature is entered."))
    if fn_recorded and temperature_c is not None and threshold is not None and (
            temperature_c < threshold and not infected):
        notes.append((Flag.FEBRILE_NEUTROPENIA_AE,
                      f"Febrile neutropenia is recorded (CTCAE > 38.3 C), but {temperature_c:g} C "
                      f"is below the protocol's {threshold:g} C and there is no infection: the "
                      "fever-or-infection rule does not apply."))
    if (threshold is not None and temperature_c is not None and temperature_c >= threshold
            and visit_anc is None):
        notes.append((Flag.CBC_NEEDED,
                      f"Fever {temperature_c:g} C without a neutrophil count: check the ANC now "
                      "(neutropenia with fever can mean a hold and a lower dose)."))
    return notes


def _untreated_notes(toxicities: Sequence[Toxicity], matches: Sequence[RuleMatch],
                     rules: DosingRules) -> list[Note]:
    """Events a rule would hold once they persist despite optimal medical treatment."""
    matched = {t for m in matches for t in m.terms}
    notes: list[Note] = []
    for tox in toxicities:
        if tox.term in matched or tox.despite_optimal_treatment or _is_haematological(tox):
            continue
        waiting = [r for r in rules.non_haematological_rules
                   if r.condition == "despite_optimal_treatment" and _in_grades(r, tox.grade)]
        if waiting:
            notes.append((Flag.TREAT_THEN_REASSESS,
                          f"{tox.term} grade {int(tox.grade)} has not yet had optimal medical "
                          "treatment: treat it; if it persists, withhold and resume as "
                          f"{waiting[0].id} says ({waiting[0].citation})."))
    return notes


def build_visit(
    current: DosingState | int,
    *,
    rules: DosingRules,
    cycle: int,
    cycle_day: int,
    assessed_on: date,
    cbc: BloodCounts | None = None,
    toxicities: Sequence[Toxicity] = (),
    resolved: Sequence[str] = (),
    temperature_c: float | None = None,
    infection: bool = False,
    comedications: Sequence[Comedication] = (),
    child_pugh_class: ChildPughClass | None = None,
) -> DosingVisit:
    """Check one assessment's inputs and derive what the decision rules need.

    Takes the arguments of :func:`recommend`. Raises as :func:`recommend` does.
    """
    state = current if isinstance(current, DosingState) else DosingState(level_mg=current)
    _check_dose(state.level_mg, "level_mg", rules)
    if state.dose_mg is not None:
        _check_dose(state.dose_mg, "dose_mg", rules)
    _check_days(cycle, cycle_day, rules)
    _check_cbc(cbc, assessed_on, state)
    _check_temperature(temperature_c)
    today_class = _child_pugh(child_pugh_class)
    gone = frozenset(t.strip().casefold() for t in resolved)
    _check_resolution(state, toxicities, gone)
    infected = infection or any(t.infection for t in toxicities)
    haem = haematological_grades(cbc, toxicities, rules)
    matches = match_rules(rules, cycle, cycle_day, cbc, toxicities, temperature_c, infected)
    interacting_cap, drug_notes = _interacting(comedications, assessed_on, rules)
    hepatic_rule, hepatic_cap, liver_notes = _hepatic(state, today_class, rules)
    anc = haem.get(CbcTerm.NEUTROPHIL.value)
    if cbc is not None:
        due = state.recheck_due_on
        state = replace(state, last_cbc_on=cbc.collected_on, recheck_due_on=None if (
            due is not None and cbc.collected_on >= due) else due)
    state = replace(state, child_pugh_class=today_class or state.child_pugh_class)
    return DosingVisit(
        rules=rules, state=state, cycle=cycle, cycle_day=cycle_day, assessed_on=assessed_on,
        cbc=cbc, toxicities=tuple(toxicities), resolved=gone, temperature_c=temperature_c,
        infected=infected, dosing_day=rules.is_dosing_day(cycle_day), haem_grades=haem,
        worst_haem=max(haem.values(), default=None), anc_grade=anc, matches=matches,
        interacting_cap_mg=interacting_cap, hepatic_rule=hepatic_rule, hepatic_cap_mg=hepatic_cap,
        observations=tuple(liver_notes + drug_notes
                           + _fever_notes(anc, temperature_c, infected, toxicities, rules)
                           + _untreated_notes(toxicities, matches, rules)))
