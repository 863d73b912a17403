"""Each decision rule of the engine on its own: it decides when its row of the label applies
and passes (returns None) otherwise. The rules are NCT06478927's (IBRANCE USPI 2019 section 2.2
Tables 1-3, sections 5.2, 7.1 and 8.6); ``recommend`` tries them in DECISION_STEPS order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from oncotrial.dosing import (
    DECISION_STEPS,
    Action,
    AwaitedEvent,
    BloodCounts,
    Comedication,
    Cyp3aEffect,
    DosingRules,
    DosingState,
    DosingVisit,
    Flag,
    Hold,
    Toxicity,
    ToxicityCategory,
    build_visit,
    engine,
)
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import ChildPughClass, Grade

RULES = DosingRules.from_protocol(load_bundled_protocol())
C1D1 = date(2026, 1, 5)
NON_HAEM = ToxicityCategory.NON_HAEMATOLOGICAL


def visit(current: DosingState | int = 125, cycle: int = 1, cycle_day: int = 8,
          **kwargs: Any) -> DosingVisit:
    on = C1D1 + timedelta(days=28 * (cycle - 1) + cycle_day - 1)
    if "anc" in kwargs:
        kwargs["cbc"] = BloodCounts(on, anc_10e9_l=kwargs.pop("anc"))
    return build_visit(current, rules=RULES, cycle=cycle, cycle_day=cycle_day, assessed_on=on,
                       **kwargs)


def test_the_steps_are_tried_in_the_documented_order() -> None:
    assert [s.__name__ for s in DECISION_STEPS] == [
        "decide_already_discontinued", "decide_hepatic_discontinue", "decide_fatal_event",
        "decide_discontinue_rule", "decide_below_lowest_level", "decide_during_hold",
        "decide_new_hold", "decide_blood_count_needed", "decide_continue_rule",
        "decide_start_or_continue"]


def test_already_discontinued() -> None:
    """Discontinuation is permanent (the label has no restart after it)."""
    assert engine.decide_already_discontinued(visit()) is None
    d = engine.decide_already_discontinued(visit(DosingState(125, discontinued=True)))
    assert d is not None and d.code == "dose.discontinue.already_discontinued"


def test_hepatic_discontinue_only_when_the_protocol_says(make_rules: Any) -> None:
    """USPI 8.6 gives 75 mg for Child-Pugh C; a protocol may discontinue instead."""
    assert engine.decide_hepatic_discontinue(visit(child_pugh_class=ChildPughClass.C)) is None
    strict = make_rules(dose_modification__hepatic_impairment__0__action="discontinue")
    v = build_visit(125, rules=strict, cycle=1, cycle_day=3, assessed_on=C1D1,
                    child_pugh_class=ChildPughClass.C)
    d = engine.decide_hepatic_discontinue(v)
    assert d is not None and (d.code, d.action) == ("dose.discontinue.child_pugh_c",
                                                    Action.DISCONTINUE)


def test_fatal_event() -> None:
    """CTCAE v5.0: grade 5 is death related to the adverse event."""
    assert engine.decide_fatal_event(visit(toxicities=[Toxicity("Sepsis", 4, NON_HAEM)])) is None
    d = engine.decide_fatal_event(visit(toxicities=[Toxicity("Sepsis", 5, NON_HAEM)]))
    assert d is not None and d.state.discontinued


def test_discontinue_rule() -> None:
    """USPI 5.2: severe (grade >= 3) pneumonitis discontinues; grade 2 does not."""
    mild = visit(toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    assert engine.decide_discontinue_rule(mild) is None
    d = engine.decide_discontinue_rule(visit(toxicities=[Toxicity("Pneumonitis", 3, NON_HAEM)]))
    assert d is not None and d.code == "dose.discontinue.pneumonitis_grade3"


def test_below_lowest_level() -> None:
    """USPI Table 1: a reduction below 75 mg means discontinuation."""
    assert engine.decide_below_lowest_level(visit(100, anc=0.3)) is None
    assert engine.decide_below_lowest_level(visit(75, anc=1.8)) is None
    d = engine.decide_below_lowest_level(visit(75, anc=0.3))
    assert d is not None and d.code == "dose.discontinue.below_lowest_level"


def test_new_hold_takes_the_strictest_haematological_row() -> None:
    """USPI Table 2: grade 3 neutropenia with fever >= 38.5 C resumes one level lower, even on
    Day 1 where grade 3 alone would restart at the same dose."""
    plain = engine.decide_new_hold(visit(cycle=2, cycle_day=1, anc=0.8))
    assert plain is not None and (plain.code, plain.resume_dose_mg) == (
        "dose.hold.heme_grade3_day1", 125)
    febrile = engine.decide_new_hold(visit(cycle=2, cycle_day=1, anc=0.8, temperature_c=38.6))
    assert febrile is not None and (febrile.code, febrile.resume_dose_mg) == (
        "dose.hold.heme_febrile_neutropenia", 100)
    assert engine.decide_new_hold(visit(cycle=1, cycle_day=15, anc=0.8)) is None


def test_during_hold_waits_then_resumes() -> None:
    """USPI Table 3: withhold until grade <= 1, then resume at the next lower dose."""
    held = DosingState(125, hold=Hold(C1D1, ("nonheme_grade3",), True, 7, awaiting=(
        AwaitedEvent("Diarrhea", Grade.G1),)))
    assert engine.decide_during_hold(visit()) is None
    waiting = engine.decide_during_hold(
        visit(held, toxicities=[Toxicity("Diarrhea", 2, NON_HAEM)]))
    assert waiting is not None and waiting.code == "dose.hold.awaiting_recovery"
    back = engine.decide_during_hold(visit(held, resolved=["Diarrhea"]))
    assert back is not None and (back.code, back.dose_mg) == ("dose.resume.next_lower_level", 100)


def test_blood_count_needed_on_day1() -> None:
    """USPI 2.2 monitoring: a blood count before each cycle (at most 3 days old, an
    assumption of the protocol file listed in docs/safety.md)."""
    assert engine.decide_blood_count_needed(visit(cycle=2, cycle_day=1, anc=2.0)) is None
    assert engine.decide_blood_count_needed(visit(cycle=2, cycle_day=8)) is None
    d = engine.decide_blood_count_needed(visit(cycle=2, cycle_day=1))
    assert d is not None and d.code == "dose.hold.blood_count_needed"


def test_continue_rule_sets_the_day22_recheck_and_flags_analogy() -> None:
    """USPI Table 2: grade 3 on Day 15 of cycles 1-2 continues with a CBC on Day 22; other
    days and cycles follow the row by analogy, flagged."""
    d = engine.decide_continue_rule(visit(cycle=1, cycle_day=15, anc=0.8))
    assert d is not None and d.state.recheck_due_on == C1D1 + timedelta(days=21)
    assert all(flag is not Flag.APPLIED_BY_ANALOGY for flag, _ in d.notes)
    other = engine.decide_continue_rule(visit(cycle=3, cycle_day=15, anc=0.8))
    assert other is not None and Flag.APPLIED_BY_ANALOGY in {f for f, _ in other.notes}
    assert engine.decide_continue_rule(visit(cycle=1, cycle_day=15, anc=1.2)) is None


def test_start_or_continue_caps_the_dose_not_the_level() -> None:
    """USPI 2.2 and 7.1: 75 mg with a strong CYP3A inhibitor; the level reached stays."""
    start = engine.decide_start_or_continue(visit(cycle=2, cycle_day=1, anc=2.0))
    assert (start.code, start.action, start.dose_mg) == ("dose.start", Action.START, 125)
    meds = [Comedication("clarithromycin", Cyp3aEffect.STRONG_INHIBITOR)]
    capped = engine.decide_start_or_continue(visit(comedications=meds))
    assert (capped.code, capped.dose_mg, capped.state.level_mg) == (
        "dose.adjust.strong_cyp3a_inhibitor", 75, 125)
    off = engine.decide_start_or_continue(visit(cycle_day=25))
    assert off.code == "dose.continue.day_off"


def test_matching_counts_lymphopenia_only_with_a_clinical_event() -> None:
    """USPI Table 2 footnote: lymphopenia counts only with a clinical event."""
    on = C1D1 + timedelta(days=28)
    quiet = build_visit(125, rules=RULES, cycle=2, cycle_day=1, assessed_on=on,
                        cbc=BloodCounts(on, lymphocytes_10e9_l=0.1, anc_10e9_l=2.0))
    assert quiet.matches == () and quiet.worst_haem == Grade.G1
    event = build_visit(125, rules=RULES, cycle=2, cycle_day=1, assessed_on=on,
                        cbc=BloodCounts(on, lymphocytes_10e9_l=0.1, clinical_event=True))
    assert [m.rule.id for m in event.matches] == ["heme_grade4"]
