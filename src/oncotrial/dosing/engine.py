"""The dose-modification engine: :func:`recommend`, a chain of small decision rules.

Every number and every rule comes from the protocol's dose-modification section, read through
:class:`~oncotrial.dosing.rules.DosingRules`; for NCT06478927 that is the palbociclib label
(IBRANCE USPI 2019 section 2.2 Tables 1-3, sections 5.2, 7.1-7.2 and 8.6). The engine is a
pure state machine: :func:`build_visit` checks the inputs and derives what the rules need (a
:class:`DosingVisit`); the decision rules of :data:`DECISION_STEPS` are then tried in order,
and the first that applies decides. Each one is a plain function of the visit, testable alone.

The engine only ever prescribes a protocol dose level and never raises the dose level after a
reduction: re-escalation (:func:`escalate`) and a restart the protocol leaves to the
investigator (:func:`restart`) are the investigator's explicit steps. Operational readings
where the label is silent are listed in ``docs/safety.md`` ("Dose modification").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from oncotrial.dosing.model import (
    Action,
    AwaitedEvent,
    BloodCounts,
    Comedication,
    DosingState,
    Flag,
    Hold,
    Toxicity,
)
from oncotrial.dosing.rules import DosingRules
from oncotrial.dosing.visit import (
    DosingVisit,
    Note,
    RuleMatch,
    _check_dose,
    _strictest,
    build_visit,
)
from oncotrial.errors import InputError
from oncotrial.records import ChildPughClass, Fact, Facts, Grade

__all__ = [
    "DECISION_STEPS",
    "Decision",
    "DoseRecommendation",
    "escalate",
    "recommend",
    "restart",
]


@dataclass(frozen=True, slots=True)
class DoseRecommendation:
    """What to do today, the dose, and the protocol rule it came from.

    ``code`` is the stable machine code (``dose.hold.heme_grade3_day1``; ``RESULT_CODES``
    lists them), ``reason`` the sentence with its citation, ``facts`` what was used. ``dose_mg``
    is the dose to take on dosing days from now on (None while on hold, after discontinuation
    and while the restart is the investigator's decision); ``resume_dose_mg`` is, during a
    hold, the dose to resume at if recovery comes (None when the restart is the
    investigator's). ``dosing_today`` is False on days off and during a hold. ``state`` goes
    into the next call of :func:`recommend`.
    """

    code: str
    action: Action
    dose_mg: int | None
    reason: str
    state: DosingState
    recheck_by: date | None = None
    dosing_today: bool = False
    resume_dose_mg: int | None = None
    flags: tuple[Flag, ...] = ()
    notes: tuple[str, ...] = ()
    facts: Facts = field(default_factory=dict, hash=False)

    @property
    def rule(self) -> str:
        """The reason sentence (the name this field had before ``reason``)."""
        return self.reason

    def summary(self) -> str:
        """A readable account: action, dose, re-check date, reason and notes."""
        dose = (f" at {self.dose_mg} mg" if self.dose_mg is not None
                else f" (resume at {self.resume_dose_mg} mg)" if self.resume_dose_mg else "")
        lines = [f"{self.action.value.replace('_', ' ')}{dose}"]
        if self.recheck_by is not None:
            lines[0] += f"; re-check by {self.recheck_by.isoformat()}"
        lines.append(f"rule: {self.reason}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Decision:
    """What one decision rule decided; :func:`recommend` turns it into the result."""

    action: Action
    code: str
    reason: str
    state: DosingState
    dose_mg: int | None = None
    recheck_by: date | None = None
    resume_dose_mg: int | None = None
    rule: str | None = None
    notes: tuple[Note, ...] = ()


# --- the sentences people read ------------------------------------------------------------

_RESUME_WORDS = {"same": "resume at the same dose",
                 "next_lower": "resume at the next lower dose",
                 "investigator": "the investigator decides whether, and at which dose, to "
                                 "restart"}


def _what(match: RuleMatch) -> str:
    grade = int(match.grade)
    if match.rule.category == "haematological":
        return f"Haematological grade {grade} ({', '.join(sorted(match.terms))})"
    return f"{match.terms[0]} grade {grade}"


def _match_reason(match: RuleMatch, visit: DosingVisit) -> str:
    rule = match.rule
    if rule.action == "discontinue":
        return (f"{_what(match)} ({rule.id}, {rule.grades}): permanently discontinue "
                f"{visit.rules.drug} ({rule.citation}).")
    if rule.action == "hold":
        return (f"{_what(match)}: withhold {visit.rules.drug} until grade <= "
                f"{match.resume_grade} (re-check within {rule.recheck_within_days} days), then "
                f"{_RESUME_WORDS[rule.resume_dose or 'same']} ({rule.citation}).")
    day = (f"; repeat the blood count on Day {rule.recheck_on_day}"
           if rule.recheck_on_day is not None else "")
    return (f"{_what(match)} on Day {visit.cycle_day} of cycle {visit.cycle}: continue at the "
            f"current dose{day} ({rule.citation}).")


# --- the decision rules, in order ---------------------------------------------------------


def _stop(visit: DosingVisit, code: str, reason: str, rule: str | None = None) -> Decision:
    return Decision(Action.DISCONTINUE, code, reason,
                    replace(visit.state, discontinued=True, hold=None, dose_mg=None), rule=rule)


def decide_already_discontinued(visit: DosingVisit) -> Decision | None:
    """Discontinuation is permanent: a discontinued subject stays discontinued."""
    if not visit.state.discontinued:
        return None
    return _stop(visit, "dose.discontinue.already_discontinued",
                 f"{visit.rules.drug} was permanently discontinued at an earlier assessment; "
                 "the protocol has no restart after discontinuation.")


def decide_hepatic_discontinue(visit: DosingVisit) -> Decision | None:
    """A hepatic-impairment rule whose action is discontinue (the protocol may be stricter
    than the label's dose for Child-Pugh C)."""
    rule = visit.hepatic_rule
    if rule is None or rule.action != "discontinue":
        return None
    return _stop(visit, f"dose.discontinue.{rule.id}",
                 f"Child-Pugh {rule.child_pugh_class} on study: the protocol discontinues "
                 f"{visit.rules.drug} ({rule.citation}).", rule.id)


def decide_fatal_event(visit: DosingVisit) -> Decision | None:
    """A grade 5 event (CTCAE v5.0: death related to the adverse event) ends treatment."""
    fatal = next((t.term for t in visit.toxicities if t.grade == Grade.G5), None)
    if fatal is None:
        return None
    return _stop(visit, "dose.discontinue.fatal_event",
                 f"{fatal} is recorded at grade 5 (death related to the adverse event; CTCAE "
                 "v5.0).")


def decide_discontinue_rule(visit: DosingVisit) -> Decision | None:
    """A protocol toxicity rule says discontinue (e.g. severe pneumonitis)."""
    match = next((m for m in visit.matches if m.rule.action == "discontinue"), None)
    if match is None:
        return None
    return _stop(visit, f"dose.discontinue.{match.rule.id}", _match_reason(match, visit),
                 match.rule.id)


def decide_below_lowest_level(visit: DosingVisit) -> Decision | None:
    """A reduction is needed at the lowest dose level: that means discontinuation
    (IBRANCE USPI 2019 section 2.2 Table 1: discontinue if a dose below 75 mg is required)."""
    reducing = [m for m in visit.matches
                if m.rule.action == "hold" and m.rule.resume_dose == "next_lower"]
    ongoing = visit.state.hold is not None and visit.state.hold.reduce_on_resume
    if visit.lower_mg is not None or not (reducing or ongoing):
        return None
    why = " ".join(_match_reason(m, visit) for m in reducing) or (
        "The ongoing hold requires resuming one level lower.")
    return _stop(visit, "dose.discontinue.below_lowest_level",
                 f"{why} A reduction below the lowest dose level "
                 f"({visit.rules.lowest_dose_mg} mg) is needed, which means discontinuation "
                 "(the protocol's dose levels).", reducing[0].rule.id if reducing else None)


def _hold_from(matches: Sequence[RuleMatch], started_on: date, visit: DosingVisit,
               base: Hold | None = None) -> Hold:
    """A hold for ``matches``, merged into ``base`` (the strictest value of each part)."""
    holds = [m for m in matches if m.rule.action == "hold"]
    heme_grades = [m.resume_grade for m in holds if m.rule.category == "haematological"]
    if base is not None and base.blood_count_max_grade is not None:
        heme_grades.append(int(base.blood_count_max_grade))
    if base is not None and not heme_grades and any(
            m.rule.category == "haematological" for m in matches):
        resume = visit.rules.blood_count_resume_grade  # a mid-cycle grade 3 during a hold
        heme_grades += [] if resume is None else [int(resume)]
    awaiting = {a.term: int(a.max_grade) for a in (base.awaiting if base else ())}
    for m in holds:
        if m.rule.category != "haematological":
            awaiting[m.terms[0]] = min(m.resume_grade, awaiting.get(m.terms[0], 5))
    prolonged = [d for d in [base.prolonged_recovery_days if base else None]
                 + [m.rule.prolonged_recovery_days for m in holds] if d is not None]
    return Hold(
        started_on=started_on,
        rules=tuple(dict.fromkeys([*(base.rules if base else ()), *(m.rule.id for m in holds)])),
        reduce_on_resume=(base is not None and base.reduce_on_resume)
        or any(m.rule.resume_dose == "next_lower" for m in holds),
        recheck_within_days=min(([base.recheck_within_days] if base else [])
                                + [m.rule.recheck_within_days or 7 for m in holds]),
        investigator_restart=(base is not None and base.investigator_restart)
        or any(m.rule.resume_dose == "investigator" for m in holds),
        blood_count_max_grade=Grade(min(heme_grades)) if heme_grades else None,
        awaiting=tuple(AwaitedEvent(t, Grade(g)) for t, g in awaiting.items()),
        prolonged_recovery_days=min(prolonged) if prolonged else None,
    )


def _waiting_for(hold: Hold, visit: DosingVisit) -> list[str]:
    """What the hold still waits for, in words; empty when everything has recovered."""
    pending = [f"{a.term} (needs grade <= {int(a.max_grade)}, now {visit.grade_of(a.term)})"
               for a in hold.awaiting if visit.grade_of(a.term) > a.max_grade]
    limit = hold.blood_count_max_grade or visit.rules.blood_count_resume_grade
    if hold.haematological and not _fresh_count(hold, visit):
        pending.append("a new blood count")
    elif visit.worst_haem is not None and limit is not None and visit.worst_haem > limit:
        pending.append(f"haematological grade <= {int(limit)} (now {int(visit.worst_haem)})")
    return pending


def _fresh_count(hold: Hold, visit: DosingVisit) -> bool:
    """A blood count collected since the hold began was given at this assessment."""
    return visit.cbc is not None and visit.cbc.collected_on >= hold.started_on


def _unrecovered_for(hold: Hold, visit: DosingVisit) -> int | None:
    """Days the hold's toxicity is known to have lasted without recovery (None: not known).

    A haematological hold is judged on the blood count: the days from the hold's start to the
    collection of today's count when it still shows the grade (not to the day the count is
    entered). Without such a count recovery is unknown, so prolonged recovery is not decided.
    Other events are graded at the assessment, so their days run to ``assessed_on``.
    """
    if hold.haematological:
        limit = hold.blood_count_max_grade
        if (visit.cbc is not None and _fresh_count(hold, visit) and limit is not None
                and visit.worst_haem is not None and visit.worst_haem > limit):
            return (visit.cbc.collected_on - hold.started_on).days
        if any(visit.grade_of(a.term) > a.max_grade for a in hold.awaiting):
            return (visit.assessed_on - hold.started_on).days  # the count has recovered
        return None
    return (visit.assessed_on - hold.started_on).days


def _still_held(hold: Hold, pending: list[str], visit: DosingVisit,
                new: Sequence[RuleMatch]) -> Decision:
    notes: list[Note] = []
    code = "dose.hold.awaiting_recovery"
    days = _unrecovered_for(hold, visit)
    if hold.haematological and not _fresh_count(hold, visit):
        code = "dose.hold.blood_count_needed"
        notes.append((Flag.CBC_NEEDED,
                      f"No blood count collected since the hold began on "
                      f"{hold.started_on.isoformat()} was entered: take one. Recovery, and "
                      "whether it is prolonged, is judged on that count's collection date."))
    elif (hold.prolonged_recovery_days is not None and not hold.reduce_on_resume
            and days is not None and days >= hold.prolonged_recovery_days):
        heme = (hold.haematological and visit.worst_haem is not None
                and hold.blood_count_max_grade is not None
                and visit.worst_haem > hold.blood_count_max_grade)
        code = "dose.hold.heme_prolonged_recovery" if heme else "dose.hold.prolonged_recovery"
        when = "in the blood count collected" if heme else "at the re-check"
        notes.append((Flag.CONSIDER_DOSE_REDUCTION,
                      f"Not recovered {when} {days} days after the hold began: recovery takes "
                      f"more than {hold.prolonged_recovery_days} days (prolonged recovery), so "
                      f"consider a dose reduction (investigator judgement; "
                      f"{', '.join(hold.rules)})."))
    if hold.investigator_restart:
        notes.append((Flag.INVESTIGATOR_DECISION, "The protocol leaves the restart to the "
                      "investigator: no restart dose is recommended."))
    level = visit.lower_mg if hold.reduce_on_resume and visit.lower_mg else visit.state.level_mg
    reason = (f"{visit.rules.drug} is on hold since {hold.started_on.isoformat()} "
              f"({', '.join(hold.rules)}). Waiting for {', '.join(pending)}; re-check within "
              f"{hold.recheck_within_days} days. " + " ".join(_match_reason(m, visit) for m in new))
    return Decision(
        Action.HOLD, code, reason.strip(),
        replace(visit.state, hold=hold, hepatic_cap_mg=visit.hepatic_cap_mg),
        recheck_by=visit.assessed_on + timedelta(days=hold.recheck_within_days),
        resume_dose_mg=None if hold.investigator_restart else visit.capped(level),
        rule=hold.rules[0], notes=tuple(notes))


def _blood_count_needed(visit: DosingVisit, state: DosingState, resume: int | None,
                        notes: tuple[Note, ...] = ()) -> Decision:
    days = visit.rules.blood_counts.day1_max_age_days
    limit = visit.rules.blood_count_resume_grade
    grade = "" if limit is None else f" with haematological grade <= {int(limit)}"
    return Decision(
        Action.HOLD, "dose.hold.blood_count_needed",
        f"Day 1 of cycle {visit.cycle} needs a blood count at most {days} days old{grade} "
        "before the cycle starts (the protocol's blood-count monitoring).", state,
        recheck_by=visit.assessed_on, resume_dose_mg=resume,
        notes=((Flag.CBC_NEEDED, f"No blood count from the last {days} days before Day 1."),
               *notes))


def _resumed(hold: Hold, visit: DosingVisit) -> Decision:
    recovered_on = (visit.cbc.collected_on if hold.haematological and visit.cbc is not None
                    else visit.assessed_on)
    took = (recovered_on - hold.started_on).days
    notes: list[Note] = []
    if (hold.prolonged_recovery_days is not None and not hold.reduce_on_resume
            and took > hold.prolonged_recovery_days):
        notes.append((Flag.CONSIDER_DOSE_REDUCTION,
                      f"Recovery took {took} days, more than {hold.prolonged_recovery_days}: "
                      "consider a dose reduction (investigator judgement)."))
    if hold.investigator_restart:
        notes.append((Flag.INVESTIGATOR_DECISION,
                      "Recovered: the protocol leaves whether, and at which dose, to restart to "
                      "the investigator. Record the investigator's restart decision (the dose "
                      "level to restart at)."))
        return Decision(
            Action.INVESTIGATOR_DECISION, "dose.resume.investigator_decision",
            f"Recovered from the hold of {hold.started_on.isoformat()} "
            f"({', '.join(hold.rules)}): the investigator decides whether, and at which dose, "
            f"to restart {visit.rules.drug}; no dose is recommended.",
            replace(visit.state, hepatic_cap_mg=visit.hepatic_cap_mg, hold=replace(
                hold, awaiting=(), blood_count_max_grade=None)),  # recovered: only the decision
            rule=hold.rules[0], notes=tuple(notes))
    if visit.cycle_day == 1 and not visit.day1_count_ok:
        level = visit.lower_mg if hold.reduce_on_resume and visit.lower_mg else \
            visit.state.level_mg
        return _blood_count_needed(visit, replace(visit.state, hold=hold,
                                                  hepatic_cap_mg=visit.hepatic_cap_mg),
                                   visit.capped(level))
    reduced = hold.reduce_on_resume and visit.lower_mg is not None
    level = visit.lower_mg if reduced and visit.lower_mg is not None else visit.state.level_mg
    dose = visit.capped(level)
    when = ("start the cycle" if visit.cycle_day == 1 else "resume for the remaining days on"
            if visit.dosing_day else "no drug until Day 1 of the next cycle, then start")
    return Decision(
        Action.RESUME_REDUCED if reduced else Action.RESUME_SAME_DOSE,
        "dose.resume.next_lower_level" if reduced else "dose.resume.same_dose",
        f"Recovered from the hold of {hold.started_on.isoformat()} ({', '.join(hold.rules)}): "
        f"{when} at {'the next lower dose' if reduced else 'the same dose'}, {dose} mg.",
        replace(visit.state, level_mg=level, dose_mg=dose, hold=None,
                hepatic_cap_mg=visit.hepatic_cap_mg,
                reductions=visit.state.reductions + (1 if reduced else 0)),
        dose_mg=dose, rule=hold.rules[0], notes=tuple(notes))


def decide_during_hold(visit: DosingVisit) -> Decision | None:
    """During a hold: new reasons join it; resume once every awaited event and the blood count
    have recovered (or leave the restart to the investigator when the protocol does); flag a
    recovery still incomplete after the prolonged-recovery days, counted for a haematological
    hold to the collection date of a blood count that still shows the grade (IBRANCE USPI 2019
    section 2.2 Table 2: prolonged recovery, more than 1 week)."""
    hold = visit.state.hold
    if hold is None:
        return None
    new = [m for m in visit.matches if m.rule.action in ("hold", "continue")]
    if new:
        hold = _hold_from(new, hold.started_on, visit, hold)
    pending = _waiting_for(hold, visit)
    if pending:
        return _still_held(hold, pending, visit, [m for m in new if m.rule.action == "hold"])
    return _resumed(hold, visit)


def decide_new_hold(visit: DosingVisit) -> Decision | None:
    """A protocol hold rule applies: withhold until recovery, then resume as it says (same
    dose, next lower, or the investigator's decision)."""
    holds = [m for m in visit.matches if m.rule.action == "hold"]
    if not holds:
        return None
    hold = _hold_from(holds, visit.assessed_on, visit)
    primary = _strictest(holds) or holds[0]
    recurrence = any(m.rule.flag_recurrence for m in holds)
    notes: list[Note] = []
    if recurrence and visit.state.day1_holds >= 1:
        notes.append((Flag.CONSIDER_DOSE_REDUCTION,
                      "Recurrent Day-1 hold in a later cycle: consider a dose reduction "
                      f"(investigator judgement; {primary.rule.citation})."))
    if visit.interacting_cap_mg is not None and hold.reduce_on_resume:
        notes.append((Flag.TOXICITY_ON_INTERACTING_DRUG,
                      "This toxicity occurred while an interacting drug raised exposure: the "
                      "dose level is reduced; consider stopping the interacting drug."))
    if hold.investigator_restart:
        notes.append((Flag.INVESTIGATOR_DECISION, "The protocol leaves the restart to the "
                      "investigator: no restart dose is recommended."))
    state = replace(visit.state, hold=hold, hepatic_cap_mg=visit.hepatic_cap_mg,
                    holds=visit.state.holds + 1,
                    day1_holds=visit.state.day1_holds + (1 if recurrence else 0))
    level = visit.lower_mg if hold.reduce_on_resume and visit.lower_mg else visit.state.level_mg
    return Decision(
        Action.HOLD, f"dose.hold.{primary.rule.id}",
        " ".join(_match_reason(m, visit) for m in sorted(holds, key=lambda m: m is not primary)),
        state, recheck_by=visit.assessed_on + timedelta(days=hold.recheck_within_days),
        resume_dose_mg=None if hold.investigator_restart else visit.capped(level),
        rule=primary.rule.id, notes=tuple(notes))


def _recheck_notes(visit: DosingVisit) -> tuple[Note, ...]:
    due = visit.state.recheck_due_on
    if due is None:
        return ()
    if visit.assessed_on > due:
        return ((Flag.RECHECK_MISSED,
                 f"The blood-count re-check due on {due.isoformat()} has no result yet."),)
    return ((Flag.RECHECK_DUE, f"Blood-count re-check due on {due.isoformat()}."),)


def _running_state(visit: DosingVisit) -> DosingState:
    return replace(visit.state, hepatic_cap_mg=visit.hepatic_cap_mg,
                   dose_mg=visit.capped(visit.state.level_mg))


def decide_blood_count_needed(visit: DosingVisit) -> Decision | None:
    """Day 1 without a recent blood count: do not start the cycle yet (IBRANCE USPI 2019
    section 2.2: a blood count at the beginning of each cycle)."""
    if visit.cycle_day != 1 or visit.day1_count_ok:
        return None
    state = _running_state(visit)
    return _blood_count_needed(visit, state, state.prescribed_mg, _recheck_notes(visit))


def decide_continue_rule(visit: DosingVisit) -> Decision | None:
    """A protocol continue rule applies (IBRANCE USPI 2019 Table 2: grade 3 on Day 15 of
    cycles 1-2, continue and repeat the blood count on Day 22): continue, with a re-check by
    the rule's day or within its days, whichever is sooner."""
    match = next((m for m in visit.matches if m.rule.action == "continue"), None)
    if match is None:
        return None
    rule, rules = match.rule, visit.rules
    state = _running_state(visit)
    notes = list(_recheck_notes(visit))
    soonest = [visit.assessed_on + timedelta(days=rule.recheck_within_days)] \
        if rule.recheck_within_days is not None else []
    next_day1 = visit.assessed_on + timedelta(days=rules.cycle_length_days - visit.cycle_day + 1)
    if rule.recheck_on_day is not None and visit.cycle_day < rule.recheck_on_day:
        due = visit.assessed_on + timedelta(days=rule.recheck_on_day - visit.cycle_day)
        soonest.append(due)
        if visit.dosing_day:
            state = replace(state, recheck_due_on=due)
            notes.append((Flag.RECHECK_DUE,
                          f"Blood count due on Day {rule.recheck_on_day} ({due.isoformat()})."))
    elif rule.recheck_on_day is not None:
        soonest.append(next_day1)
    reason = _match_reason(match, visit)
    if not visit.dosing_day:
        limit = rules.blood_count_resume_grade
        reason = (f"{_what(match)} on Day {visit.cycle_day}, a day off: no {rules.drug} is due; "
                  "the next cycle starts only with "
                  f"{'recovery' if limit is None else f'grade <= {int(limit)}'} on Day 1 "
                  f"({rule.citation}).")
    elif match.by_analogy:
        notes.append((Flag.APPLIED_BY_ANALOGY,
                      f"Rule {rule.id} is written for {rule.when.replace('_', '-')} counts of "
                      f"cycles {', '.join(map(str, rule.cycles)) or 'any'}; on Day "
                      f"{visit.cycle_day} of cycle {visit.cycle} it is applied by analogy: "
                      "investigator to confirm."))
    action = (Action.START if visit.cycle_day == 1 else Action.ADJUST
              if state.prescribed_mg != visit.state.prescribed_mg else Action.CONTINUE)
    return Decision(action, f"dose.continue.{rule.id}", reason, state,
                    dose_mg=state.prescribed_mg, recheck_by=min(soonest) if soonest else None,
                    rule=rule.id, notes=tuple(notes))


def _cap_rule(visit: DosingVisit) -> str | None:
    """The id of the rule that caps today's dose below the level reached, if any."""
    level = visit.state.level_mg
    if visit.interacting_cap_mg is not None and visit.interacting_cap_mg < level:
        return next((r.id for r in visit.rules.intervention.dose_modification.interacting_drugs
                     if visit.rules.rule_dose_mg.get(r.id) == visit.interacting_cap_mg),
                    "interacting_drug")
    if visit.hepatic_cap_mg is not None and visit.hepatic_cap_mg < level:
        return next((r.id for r in visit.rules.intervention.dose_modification.hepatic_impairment
                     if r.action != "discontinue"), "hepatic_impairment")
    return None


def decide_start_or_continue(visit: DosingVisit) -> Decision:
    """No rule asks for a change: start the cycle (Day 1) or continue; an interacting drug or a
    hepatic-impairment rule may change the dose taken, never the dose level reached."""
    state = _running_state(visit)
    rules = visit.rules
    dose = state.prescribed_mg
    notes = _recheck_notes(visit)
    action = Action.START if visit.cycle_day == 1 else Action.CONTINUE
    code = "dose.start" if visit.cycle_day == 1 else "dose.continue"
    cap: str | None = None
    if visit.cycle_day == 1:
        reason = "No blood-count or other rule asks for a change on Day 1: start the cycle."
    elif visit.dosing_day:
        reason = "No toxicity that needs a change: continue at the current dose."
    else:
        code = "dose.continue.day_off"
        reason = (f"Day {visit.cycle_day} is a day off ({rules.days_on} days on, "
                  f"{rules.days_off} off): no {rules.drug} until Day 1 of the next cycle.")
    if dose != visit.state.prescribed_mg:
        action = action if visit.cycle_day == 1 else Action.ADJUST
        cap = _cap_rule(visit)
        if dose < visit.state.prescribed_mg and cap is not None:
            code = f"dose.adjust.{cap}"
            reason = (f"Take {dose} mg once daily because of {cap.replace('_', ' ')}; the dose "
                      f"level reached by the toxicity rules stays {visit.state.level_mg} mg.")
        else:
            cap = None
            code = "dose.adjust.washout_complete"
            reason = (f"The interacting drug's washout is over: return to the dose level "
                      f"reached before it, {dose} mg.")
    return Decision(action, code, reason, state, dose_mg=dose, rule=cap, notes=notes)


#: The decision rules in the order they are tried; the first that returns a decision wins.
DECISION_STEPS: tuple[Callable[[DosingVisit], Decision | None], ...] = (
    decide_already_discontinued,
    decide_hepatic_discontinue,
    decide_fatal_event,
    decide_discontinue_rule,
    decide_below_lowest_level,
    decide_during_hold,
    decide_new_hold,
    decide_blood_count_needed,
    decide_continue_rule,
    decide_start_or_continue,
)


def _facts(visit: DosingVisit, decision: Decision) -> dict[str, Fact]:
    return {
        "cycle": visit.cycle,
        "cycle_day": visit.cycle_day,
        "assessed_on": visit.assessed_on,
        "rule": decision.rule,
        "level_mg": decision.state.level_mg,
        "dose_mg": decision.dose_mg,
        "resume_dose_mg": decision.resume_dose_mg,
        "recheck_by": decision.recheck_by,
        "worst_haematological_grade": None if visit.worst_haem is None else int(visit.worst_haem),
        "anc_grade": None if visit.anc_grade is None else int(visit.anc_grade),
        "blood_count_on": None if visit.cbc is None else visit.cbc.collected_on,
        "temperature_c": visit.temperature_c,
        "hold_since": None if decision.state.hold is None
        else decision.state.hold.started_on,
    }


def recommend(
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
) -> DoseRecommendation:
    """Recommend today's action from the protocol's dose-modification rules.

    ``rules`` is required: ``DosingRules.from_protocol(protocol)`` (or a trial context's
    ``dose_rules``). The decision rules of :data:`DECISION_STEPS` are tried in order:

    1. Discontinue when already discontinued, for a hepatic-impairment rule that discontinues,
       for a grade 5 event, for a protocol rule that discontinues (severe pneumonitis), or
       when a reduction below the lowest level is needed.
    2. During a hold, new reasons join it; it ends when every awaited event has recovered and
       a blood count collected since the hold shows recovery: resume at the same or the next
       lower dose, or, where the protocol leaves the restart to the investigator (pneumonitis
       grade 2), recommend no dose. A blood count collected the rule's prolonged-recovery days
       (7, Table 2) or more after the hold that still shows the grade is flagged for a possible
       reduction; a haematological hold with no count since it began asks for one.
    3. A protocol hold rule starts a hold (haematological grade 4, grade 3 neutropenia with
       fever or infection, grade 3 on Day 1, non-haematological grade >= 3...).
    4. Day 1 needs a recent blood count; a protocol continue rule (grade 3 on Day 15)
       continues with a re-check; otherwise start or continue. Interacting drugs and hepatic
       impairment change the dose taken, never the dose level reached.

    Args:
        current: the subject's :class:`DosingState` from the previous call, or the current
            dose level in mg for a first call.
        rules: the protocol's rules.
        cycle, cycle_day: where the subject is; while a cycle start is delayed, pass Day 1 of
            the delayed cycle.
        assessed_on: today's date (the core has no clock).
        cbc: the latest blood count; toxicities: the open adverse events today, each with its
            current grade; resolved: CTCAE terms of adverse events that have resolved (an event
            a hold waits for must be in ``toxicities`` or here);
        temperature_c: the highest temperature since the last assessment; infection: an
            infection is present; comedications: CYP3A-active co-medications;
        child_pugh_class: today's class, if re-assessed.

    Raises:
        InputError: a dose that is not a protocol level, an impossible cycle day, a blood
            count dated after ``assessed_on`` or older than one already used, an unknown
            Child-Pugh class, or an event the hold waits for that is neither graded nor
            resolved (the message names it).
        ImplausibleValueError: a temperature outside 30-45 C.

    Example, the label's Day-15 scenario in cycle 1 (first day 2026-01-05):

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> d15 = recommend(125, rules=rules, cycle=1, cycle_day=15, assessed_on=date(2026, 1, 19),
    ...                 cbc=BloodCounts(date(2026, 1, 19), anc_10e9_l=0.8))
    >>> d15.code, d15.dose_mg, d15.recheck_by
    ('dose.continue.heme_grade3_mid_cycle', 125, datetime.date(2026, 1, 26))
    >>> d22 = recommend(d15.state, rules=rules, cycle=1, cycle_day=22,
    ...                 assessed_on=date(2026, 1, 26),
    ...                 cbc=BloodCounts(date(2026, 1, 26), anc_10e9_l=0.4))
    >>> d22.code, d22.resume_dose_mg, d22.recheck_by
    ('dose.hold.heme_grade4', 100, datetime.date(2026, 2, 2))
    >>> c2 = recommend(d22.state, rules=rules, cycle=2, cycle_day=1, assessed_on=date(2026, 2, 2),
    ...                cbc=BloodCounts(date(2026, 2, 2), anc_10e9_l=1.2))
    >>> c2.action, c2.dose_mg
    (<Action.RESUME_REDUCED: 'resume_reduced'>, 100)
    """
    visit = build_visit(
        current, rules=rules, cycle=cycle, cycle_day=cycle_day, assessed_on=assessed_on,
        cbc=cbc, toxicities=toxicities, resolved=resolved, temperature_c=temperature_c,
        infection=infection, comedications=comedications, child_pugh_class=child_pugh_class)
    decision = next(d for d in (step(visit) for step in DECISION_STEPS) if d is not None)
    notes: dict[str, Flag] = {}
    for flag, text in (*visit.observations, *decision.notes):
        notes.setdefault(text, flag)
    return DoseRecommendation(
        code=decision.code, action=decision.action, dose_mg=decision.dose_mg,
        reason=decision.reason, state=decision.state, recheck_by=decision.recheck_by,
        dosing_today=decision.dose_mg is not None and visit.dosing_day
        and decision.action is not Action.HOLD,
        resume_dose_mg=decision.resume_dose_mg, flags=tuple(dict.fromkeys(notes.values())),
        notes=tuple(notes), facts=_facts(visit, decision))


def escalate(state: DosingState, *, rules: DosingRules) -> DosingState:
    """Raise the dose level by one, where the protocol allows re-escalation.

    The palbociclib label does not describe re-escalation after a reduction, so NCT06478927's
    rules refuse it; a protocol with ``re_escalation_allowed`` lets the investigator take this
    step explicitly (the engine never does it by itself).

    Raises:
        InputError: re-escalation is not allowed, or the dose is already the starting dose.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> escalate(DosingState(level_mg=100),
    ...          rules=DosingRules.from_protocol(load_bundled_protocol()))
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: Re-escalation from 100 mg was requested. ...
    """
    _check_dose(state.level_mg, "level_mg", rules)
    if not rules.allow_reescalation:
        raise InputError(
            f"Re-escalation from {state.level_mg} mg was requested. The protocol's dose rules "
            "do not allow re-escalation after a reduction.", field="level_mg",
            value=state.level_mg,
            hint="Keep the current dose, or amend the protocol to allow re-escalation.")
    index = rules.dose_levels_mg.index(state.level_mg)
    if index == 0:
        raise InputError(
            f"Re-escalation from {state.level_mg} mg was requested. That is already the starting "
            "dose, the highest protocol dose level.", field="level_mg", value=state.level_mg,
            hint="No higher dose level exists.")
    return replace(state, level_mg=rules.dose_levels_mg[index - 1], dose_mg=None)


def restart(state: DosingState, *, dose_mg: int, rules: DosingRules) -> DosingState:
    """Record the investigator's restart after a hold the protocol leaves to them.

    ``dose_mg`` must be a dose level no higher than the level reached (the next lower one when
    the hold also asked for a reduction), unless the protocol allows re-escalation. To stop
    instead, record the discontinuation; the engine does not restart by itself.

    The restart is recorded only in the investigator-decision state, after every event of the
    hold has recovered (:func:`recommend` returned ``dose.resume.investigator_decision``).

    Raises:
        InputError: there is no such hold, the hold still waits for recovery (the message
            names each event and the grade it must reach), or the dose is not allowed.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> held = DosingState(level_mg=125, hold=Hold(date(2026, 2, 9), ("pneumonitis_grade2",),
    ...                    False, 7, investigator_restart=True))
    >>> restart(held, dose_mg=100, rules=rules).level_mg
    100
    """
    _check_dose(dose_mg, "dose_mg", rules)
    hold = state.hold
    if hold is None or not hold.investigator_restart:
        raise InputError(
            "A restart was recorded, but there is no hold whose restart the protocol leaves to "
            "the investigator.", field="dose_mg", value=dose_mg,
            hint="Enter today's assessment instead: the protocol's dose rules decide when, "
                 "and at which dose, any other hold ends.")
    awaited = [f"{a.term} to recover to grade <= {int(a.max_grade)}" for a in hold.awaiting]
    if hold.blood_count_max_grade is not None:
        awaited.append("a blood count collected since the hold began with every "
                       f"haematological grade <= {int(hold.blood_count_max_grade)}")
    if awaited:
        raise InputError(
            f"A restart at {dose_mg} mg was recorded, but the hold since "
            f"{hold.started_on.isoformat()} ({', '.join(hold.rules)}) still waits for "
            f"{' and '.join(awaited)}. The investigator decides on the restart only after "
            "recovery.", field="dose_mg", value=dose_mg,
            hint="Enter today's assessment with the current grades; once it shows recovery, "
                 "record the investigator's restart decision.")
    ceiling = rules.next_lower_dose_mg(state.level_mg) if hold.reduce_on_resume else \
        state.level_mg
    if ceiling is None or (dose_mg > ceiling and not rules.allow_reescalation):
        raise InputError(
            f"A restart at {dose_mg} mg was recorded. After this hold the dose can be at most "
            f"{ceiling} mg (the level reached{', one lower' if hold.reduce_on_resume else ''}).",
            field="dose_mg", value=dose_mg,
            hint="Choose a lower dose level, or record a discontinuation.")
    return replace(state, level_mg=dose_mg, dose_mg=None, hold=None,
                   reductions=state.reductions + (1 if dose_mg < state.level_mg else 0))
