"""Multi-visit palbociclib scenarios through :func:`oncotrial.dosing.recommend`.

Each scenario chains the returned ``state`` into the next visit, as the platform does. Expected
actions come from the IBRANCE USPI 2019 section 2.2 Tables 1-3 (and sections 5.2, 7.1-7.2,
8.6), cited per test; the rules are NCT06478927's, which adopts the label (PN-10). C1D1 is
Monday 2026-01-05 in every scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from oncotrial.dosing import (
    Action,
    BloodCounts,
    CbcTerm,
    Comedication,
    Cyp3aEffect,
    DoseRecommendation,
    DosingRules,
    DosingState,
    Flag,
    Toxicity,
    ToxicityCategory,
    escalate,
    recommend,
    restart,
)
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import ChildPughClass, Grade

RULES = DosingRules.from_protocol(load_bundled_protocol())
C1D1 = date(2026, 1, 5)
NON_HAEM = ToxicityCategory.NON_HAEMATOLOGICAL


def day(cycle: int, cycle_day: int, delay: int = 0) -> date:
    return C1D1 + timedelta(days=28 * (cycle - 1) + cycle_day - 1 + delay)


def anc(on: date, value: float) -> BloodCounts:
    return BloodCounts(on, anc_10e9_l=value)


def rec(current: DosingState | int, **kwargs: Any) -> DoseRecommendation:
    return recommend(current, rules=RULES, **kwargs)


def test_issue_scenario_day15_grade3_then_day22_grade4_then_resume_at_100() -> None:
    """USPI Table 2: grade 3 on C1D15 continue; grade 4 on Day 22 hold; recovered -> 100 mg."""
    r = rec(125, cycle=1, cycle_day=1, assessed_on=day(1, 1), cbc=anc(day(1, 1), 2.1))
    assert (r.code, r.action, r.dose_mg, r.dosing_today) == ("dose.start", Action.START, 125,
                                                             True)
    r = rec(r.state, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.7))
    assert (r.action, r.dose_mg, r.recheck_by) == (Action.CONTINUE, 125, day(1, 22))
    assert r.code == "dose.continue.heme_grade3_mid_cycle"
    assert r.state.recheck_due_on == day(1, 22)
    r = rec(r.state, cycle=1, cycle_day=22, assessed_on=day(1, 22), cbc=anc(day(1, 22), 0.45))
    assert (r.action, r.dose_mg, r.resume_dose_mg) == (Action.HOLD, None, 100)
    assert r.code == "dose.hold.heme_grade4"
    assert r.dosing_today is False and r.state.recheck_due_on is None
    r = rec(r.state, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 1.1))
    assert (r.code, r.action, r.dose_mg) == ("dose.resume.next_lower_level",
                                             Action.RESUME_REDUCED, 100)
    assert (r.state.level_mg, r.state.reductions, r.state.holds) == (100, 1, 1)
    r = rec(r.state, cycle=2, cycle_day=15, assessed_on=day(2, 15), cbc=anc(day(2, 15), 1.3))
    assert (r.action, r.dose_mg) == (Action.CONTINUE, 100)


def test_day1_grade3_delays_the_cycle_and_restarts_at_the_same_dose() -> None:
    """USPI Table 2, grade 3 on Day 1: withhold, CBC within 1 week, same dose when <= 2."""
    r = rec(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 0.8))
    assert (r.code, r.action, r.resume_dose_mg, r.recheck_by) == (
        "dose.hold.heme_grade3_day1", Action.HOLD, 125, day(2, 8))
    assert r.state.day1_holds == 1
    on = day(2, 1, delay=6)
    r = rec(r.state, cycle=2, cycle_day=1, assessed_on=on, cbc=anc(on, 1.1))
    assert (r.code, r.action, r.dose_mg) == ("dose.resume.same_dose", Action.RESUME_SAME_DOSE,
                                             125)
    assert Flag.CONSIDER_DOSE_REDUCTION not in r.flags
    assert r.state.reductions == 0 and r.state.hold is None


def test_grade3_still_present_at_the_7_day_recheck_is_prolonged_recovery() -> None:
    """IBRANCE USPI 2019 section 2.2 Table 2: "consider dose reduction in cases of prolonged
    (> 1 week) recovery from Grade 3". A grade 3 still present at the re-check 7 days after the
    Day-1 hold means recovery takes more than a week: the dose-reduction consideration is
    flagged at that re-check, not a week later. The reduction itself stays the investigator's:
    the resume dose does not change."""
    r = rec(125, cycle=3, cycle_day=1, assessed_on=day(3, 1), cbc=anc(day(3, 1), 0.8))
    on = day(3, 1, delay=6)
    early = rec(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert early.code == "dose.hold.awaiting_recovery"
    assert Flag.CONSIDER_DOSE_REDUCTION not in early.flags  # 6 days: not yet a week
    on = day(3, 1, delay=7)
    r = rec(early.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert (r.code, r.action, r.resume_dose_mg) == ("dose.hold.heme_prolonged_recovery",
                                                    Action.HOLD, 125)
    assert Flag.CONSIDER_DOSE_REDUCTION in r.flags
    on = day(3, 1, delay=12)
    r = rec(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 1.2))
    assert (r.action, r.dose_mg) == (Action.RESUME_SAME_DOSE, 125)
    assert Flag.CONSIDER_DOSE_REDUCTION in r.flags


def test_a_recheck_without_a_new_blood_count_is_not_prolonged_recovery() -> None:
    """IBRANCE USPI 2019 section 2.2 Table 2: after a Day-1 grade 3, "repeat complete blood count
    monitoring within 1 week"; prolonged (> 1 week) recovery is judged on that repeat count. A
    re-check 7 days after the hold with no blood count collected since the hold shows nothing
    about recovery: the result asks for a blood count (``dose.hold.blood_count_needed``), it
    does not flag prolonged recovery."""
    r = rec(125, cycle=3, cycle_day=1, assessed_on=day(3, 1), cbc=anc(day(3, 1), 0.8))
    on = day(3, 1, delay=7)
    r = rec(r.state, cycle=3, cycle_day=1, assessed_on=on)
    assert (r.code, r.action, r.resume_dose_mg) == ("dose.hold.blood_count_needed",
                                                    Action.HOLD, 125)
    assert Flag.CBC_NEEDED in r.flags and Flag.CONSIDER_DOSE_REDUCTION not in r.flags
    assert "a new blood count" in r.reason


def test_prolonged_recovery_counts_to_the_collection_date_not_the_entry_date() -> None:
    """IBRANCE USPI 2019 section 2.2 Table 2: prolonged recovery means grade 3 lasting more than
    1 week (the rule's prolonged_recovery_days, 7). A count collected 2 days after the Day-1 hold
    that still shows grade 3, entered 7 days after the hold, shows 2 days without recovery, not
    7: the hold continues (``dose.hold.awaiting_recovery``) without the dose-reduction flag.
    A count collected on the 7th day that still shows grade 3 is prolonged recovery."""
    r = rec(125, cycle=3, cycle_day=1, assessed_on=day(3, 1), cbc=anc(day(3, 1), 0.8))
    late = rec(r.state, cycle=3, cycle_day=1, assessed_on=day(3, 1, delay=7),
               cbc=anc(day(3, 1, delay=2), 0.9))
    assert (late.code, late.action, late.resume_dose_mg) == ("dose.hold.awaiting_recovery",
                                                             Action.HOLD, 125)
    assert Flag.CONSIDER_DOSE_REDUCTION not in late.flags
    on = day(3, 1, delay=7)
    week = rec(late.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert week.code == "dose.hold.heme_prolonged_recovery"
    assert Flag.CONSIDER_DOSE_REDUCTION in week.flags


def test_recurrent_day1_grade3_is_flagged() -> None:
    """USPI Table 2: recurrent grade 3 on Day 1 of later cycles: consider reduction (flag)."""
    r = rec(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 0.9))
    on = day(2, 1, delay=5)
    r = rec(r.state, cycle=2, cycle_day=1, assessed_on=on, cbc=anc(on, 1.4))
    assert r.action is Action.RESUME_SAME_DOSE
    on = day(3, 1, delay=5)
    r = rec(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert r.action is Action.HOLD and Flag.CONSIDER_DOSE_REDUCTION in r.flags


def test_three_grade4_episodes_walk_down_the_levels_then_discontinue() -> None:
    """USPI Table 1: 125 -> 100 -> 75, and a further reduction means discontinuation."""
    state: DosingState | int = 125
    doses = []
    for cycle in (1, 2):
        hold = rec(state, cycle=cycle, cycle_day=15, assessed_on=day(cycle, 15),
                   cbc=anc(day(cycle, 15), 0.3))
        assert hold.action is Action.HOLD
        back = rec(hold.state, cycle=cycle, cycle_day=20, assessed_on=day(cycle, 20),
                   cbc=anc(day(cycle, 20), 1.6))
        assert back.action is Action.RESUME_REDUCED
        doses.append(back.dose_mg)
        state = back.state
    assert doses == [100, 75]
    third = rec(state, cycle=3, cycle_day=15, assessed_on=day(3, 15), cbc=anc(day(3, 15), 0.3))
    assert (third.code, third.action, third.dose_mg) == (
        "dose.discontinue.below_lowest_level", Action.DISCONTINUE, None)
    assert "below the lowest dose level (75 mg)" in third.rule


def test_floor_discontinues_at_the_trigger_and_stays_discontinued() -> None:
    """USPI Table 1: no dose below 75 mg; discontinuation is permanent."""
    r = rec(75, cycle=4, cycle_day=15, assessed_on=day(4, 15), cbc=anc(day(4, 15), 0.3))
    assert (r.action, r.dose_mg, r.state.discontinued) == (Action.DISCONTINUE, None, True)
    r = rec(r.state, cycle=5, cycle_day=1, assessed_on=day(5, 1), cbc=anc(day(5, 1), 3.0))
    assert (r.code, r.action, r.dose_mg) == ("dose.discontinue.already_discontinued",
                                             Action.DISCONTINUE, None)


def test_non_haematological_waits_for_grade1_unless_grade2_is_accepted() -> None:
    """USPI Table 3: withhold until grade <= 1 (<= 2 if the investigator judges it safe)."""
    tox3 = Toxicity("Diarrhea", 3, NON_HAEM)
    r = rec(125, cycle=1, cycle_day=8, assessed_on=day(1, 8), toxicities=[tox3])
    assert (r.code, r.action, r.resume_dose_mg) == ("dose.hold.nonheme_grade3", Action.HOLD, 100)
    r2 = rec(r.state, cycle=1, cycle_day=11, assessed_on=day(1, 11),
             toxicities=[Toxicity("Diarrhea", 2, NON_HAEM)])
    assert r2.action is Action.HOLD
    r3 = rec(r2.state, cycle=1, cycle_day=13, assessed_on=day(1, 13),
             toxicities=[Toxicity("Diarrhea", 1, NON_HAEM)])
    assert (r3.action, r3.dose_mg, r3.dosing_today) == (Action.RESUME_REDUCED, 100, True)
    ok2 = rec(125, cycle=1, cycle_day=8, assessed_on=day(1, 8), toxicities=[
        Toxicity("Diarrhea", 3, NON_HAEM, investigator_accepts_higher_grade=True)])
    back = rec(ok2.state, cycle=1, cycle_day=11, assessed_on=day(1, 11), toxicities=[
        Toxicity("Diarrhea", 2, NON_HAEM, investigator_accepts_higher_grade=True)])
    assert (back.action, back.dose_mg) == (Action.RESUME_REDUCED, 100)


def test_an_awaited_event_left_out_is_an_error_that_names_it() -> None:
    """Resolution is an explicit input: a hold waiting for Diarrhea to reach grade <= 1 (USPI
    Table 3) does not end because a later assessment omits Diarrhea. The omission is an
    InputError naming the event; ``resolved=["Diarrhea"]`` says it has resolved."""
    held = rec(125, cycle=1, cycle_day=8, assessed_on=day(1, 8),
               toxicities=[Toxicity("Diarrhea", 3, NON_HAEM)])
    with pytest.raises(InputError, match="waits for Diarrhea") as info:
        rec(held.state, cycle=1, cycle_day=12, assessed_on=day(1, 12),
            toxicities=[Toxicity("Fatigue", 1, NON_HAEM)])
    assert info.value.value == "Diarrhea"
    assert info.value.hint == "Enter today's grade of Diarrhea, or mark Diarrhea as resolved."
    back = rec(held.state, cycle=1, cycle_day=12, assessed_on=day(1, 12), resolved=["diarrhea"])
    assert (back.code, back.dose_mg) == ("dose.resume.next_lower_level", 100)
    with pytest.raises(InputError, match="both as an open toxicity and as resolved"):
        rec(held.state, cycle=1, cycle_day=12, assessed_on=day(1, 12), resolved=["Diarrhea"],
            toxicities=[Toxicity("Diarrhea", 1, NON_HAEM)])


def test_a_term_both_open_and_resolved_is_reported_as_entered() -> None:
    """An event is either ongoing (with its grade) or resolved, never both; the error names the
    event as the user entered it ("Diarrhea"), not in a lower-cased matching form."""
    with pytest.raises(InputError, match="'Diarrhea' is given both") as info:
        rec(125, cycle=1, cycle_day=12, assessed_on=day(1, 12), resolved=["diarrhea"],
            toxicities=[Toxicity("Diarrhea", 1, NON_HAEM)])
    assert info.value.value == "Diarrhea" and "'diarrhea'" not in str(info.value)


def test_pneumonitis_grade2_leaves_the_restart_to_the_investigator() -> None:
    """IBRANCE USPI 2019 section 5.2: interrupt for suspected ILD/pneumonitis; the label gives
    no restart dose, so restarting is the investigator's decision: the recommendation carries
    no restart dose (no resume dose during the hold, no dose on recovery), only the
    investigator-decision flag. Severe (grade >= 3) pneumonitis discontinues."""
    r = rec(125, cycle=2, cycle_day=8, assessed_on=day(2, 8),
            toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    assert (r.code, r.action, r.dose_mg, r.resume_dose_mg) == (
        "dose.hold.pneumonitis_grade2", Action.HOLD, None, None)
    assert Flag.INVESTIGATOR_DECISION in r.flags
    resolved = rec(r.state, cycle=2, cycle_day=14, assessed_on=day(2, 14),
                   resolved=["Pneumonitis"])
    assert (resolved.code, resolved.action, resolved.dose_mg, resolved.resume_dose_mg) == (
        "dose.resume.investigator_decision", Action.INVESTIGATOR_DECISION, None, None)
    assert Flag.INVESTIGATOR_DECISION in resolved.flags and not resolved.dosing_today
    again = rec(resolved.state, cycle=2, cycle_day=15, assessed_on=day(2, 15))
    assert again.action is Action.INVESTIGATOR_DECISION  # until the investigator decides
    decided = restart(again.state, dose_mg=100, rules=RULES)
    after = rec(decided, cycle=2, cycle_day=16, assessed_on=day(2, 16))
    assert (after.action, after.dose_mg) == (Action.CONTINUE, 100)
    worse = rec(r.state, cycle=2, cycle_day=10, assessed_on=day(2, 10),
                toxicities=[Toxicity("pneumonitis", 3, NON_HAEM)])
    assert (worse.code, worse.action) == ("dose.discontinue.pneumonitis_grade3",
                                          Action.DISCONTINUE)


def test_restart_is_refused_above_the_level_or_without_such_a_hold() -> None:
    """The investigator's restart is a dose level no higher than the level reached."""
    r = rec(100, cycle=2, cycle_day=8, assessed_on=day(2, 8),
            toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    back = rec(r.state, cycle=2, cycle_day=14, assessed_on=day(2, 14), resolved=["Pneumonitis"])
    with pytest.raises(InputError, match="at most 100 mg"):
        restart(back.state, dose_mg=125, rules=RULES)
    with pytest.raises(InputError, match="no hold whose restart") as info:
        restart(DosingState(level_mg=125), dose_mg=100, rules=RULES)
    assert "recommend()" not in str(info.value)


def test_restart_is_refused_while_the_event_has_not_recovered() -> None:
    """IBRANCE USPI 2019 section 5.2: interrupt for suspected pneumonitis; the restart is the
    investigator's decision once it has recovered (NCT06478927: grade <= 1). A restart recorded
    while pneumonitis is still grade 2 is refused with an InputError that names what the hold
    still waits for (the term and the grade it must reach)."""
    r = rec(125, cycle=2, cycle_day=8, assessed_on=day(2, 8),
            toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    with pytest.raises(InputError, match=r"still waits for Pneumonitis to recover to grade "
                                         r"<= 1") as info:
        restart(r.state, dose_mg=100, rules=RULES)
    assert info.value.field == "dose_mg" and info.value.value == 100
    still = rec(r.state, cycle=2, cycle_day=12, assessed_on=day(2, 12),
                toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    assert still.action is Action.HOLD
    with pytest.raises(InputError, match="Pneumonitis to recover to grade <= 1"):
        restart(still.state, dose_mg=100, rules=RULES)
    back = rec(still.state, cycle=2, cycle_day=14, assessed_on=day(2, 14),
               toxicities=[Toxicity("Pneumonitis", 1, NON_HAEM)])
    assert back.action is Action.INVESTIGATOR_DECISION
    assert "Record the investigator's restart decision (the dose level to restart at)." in (
        " ".join(back.notes))
    assert "restart()" not in " ".join(back.notes)
    assert restart(back.state, dose_mg=100, rules=RULES).level_mg == 100


def test_a_hold_needs_a_new_cbc_to_resume() -> None:
    """USPI Table 2: recovery to grade <= 2 is shown by a repeat CBC, not an old one."""
    r = rec(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.4))
    same = rec(r.state, cycle=1, cycle_day=18, assessed_on=day(1, 18),
               toxicities=[Toxicity("Fatigue", 1, NON_HAEM)])
    assert same.action is Action.HOLD and same.resume_dose_mg == 100
    with pytest.raises(InputError, match="older than the CBC"):
        rec(r.state, cycle=1, cycle_day=18, assessed_on=day(1, 18),
            cbc=BloodCounts(day(1, 14), anc_10e9_l=1.8))


def test_resuming_on_a_day_off_waits_for_day1() -> None:
    """USPI 2.1: no dose on Days 22-28, so a resumption there takes effect on Day 1."""
    r = rec(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.4))
    back = rec(r.state, cycle=1, cycle_day=24, assessed_on=day(1, 24), cbc=anc(day(1, 24), 1.2))
    assert (back.action, back.dose_mg, back.dosing_today) == (Action.RESUME_REDUCED, 100, False)


def test_missed_day22_cbc_is_flagged_until_a_later_cbc_arrives() -> None:
    """USPI Table 2: the Day-15 grade 3 row requires a CBC on Day 22."""
    r = rec(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.8))
    late = rec(r.state, cycle=1, cycle_day=25, assessed_on=day(1, 25))
    assert Flag.RECHECK_MISSED in late.flags
    c2 = rec(late.state, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 1.6))
    assert c2.action is Action.START and c2.state.recheck_due_on is None


def test_strong_cyp3a_inhibitor_75mg_then_back_after_five_half_lives() -> None:
    """USPI 2.2/7.1: 75 mg with a strong inhibitor; back to the prior dose after 3-5 t1/2."""
    taking = [Comedication("clarithromycin", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=24)]
    r = rec(125, cycle=2, cycle_day=3, assessed_on=day(2, 3), comedications=taking)
    assert (r.code, r.action, r.dose_mg, r.state.level_mg) == (
        "dose.adjust.strong_cyp3a_inhibitor", Action.ADJUST, 75, 125)
    stopped = [Comedication("clarithromycin", Cyp3aEffect.STRONG_INHIBITOR,
                            stopped_on=day(2, 10), half_life_hours=24)]
    during = rec(r.state, cycle=2, cycle_day=14, assessed_on=day(2, 14), comedications=stopped)
    assert (during.action, during.dose_mg) == (Action.CONTINUE, 75)  # 4 days < 5 half-lives
    after = rec(during.state, cycle=2, cycle_day=15, assessed_on=day(2, 15),
                comedications=stopped)
    assert (after.code, after.action, after.dose_mg) == ("dose.adjust.washout_complete",
                                                         Action.ADJUST, 125)


def test_inhibitor_washout_unknown_keeps_75mg() -> None:
    """USPI 7.1: without the inhibitor's half-life the end of the washout is unknown."""
    stopped = [Comedication("posaconazole", Cyp3aEffect.STRONG_INHIBITOR, stopped_on=day(2, 2))]
    r = rec(125, cycle=2, cycle_day=20, assessed_on=day(2, 20), comedications=stopped)
    assert r.dose_mg == 75 and Flag.HALF_LIFE_NEEDED in r.flags


def test_toxicity_on_inhibitor_reduces_the_level_and_the_return_respects_it() -> None:
    """USPI Tables 1-2 with 7.1: after grade 4 on 75 mg (inhibitor), the return is to 100 mg."""
    meds = [Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=30)]
    r = rec(125, cycle=1, cycle_day=10, assessed_on=day(1, 10), comedications=meds)
    hold = rec(r.state, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.3),
               comedications=meds)
    assert hold.action is Action.HOLD and hold.resume_dose_mg == 75
    assert Flag.TOXICITY_ON_INTERACTING_DRUG in hold.flags
    back = rec(hold.state, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 1.5),
               comedications=meds)
    assert (back.action, back.dose_mg, back.state.level_mg) == (Action.RESUME_REDUCED, 75, 100)
    gone = [Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, stopped_on=day(2, 2),
                         half_life_hours=30)]
    later = rec(back.state, cycle=2, cycle_day=15, assessed_on=day(2, 15),
                cbc=anc(day(2, 15), 1.5), comedications=gone)
    assert (later.action, later.dose_mg) == (Action.ADJUST, 100)


def test_child_pugh_change_is_alerted_and_c_caps_for_good() -> None:
    """USPI 2.2 and 8.6: Child-Pugh C (severe hepatic impairment) 75 mg; every class change
    is alerted; the cap stays for the rest of treatment (docs/safety.md)."""
    r = rec(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 2.0),
            child_pugh_class=ChildPughClass.B)
    assert Flag.CHILD_PUGH_CHANGED not in r.flags and r.state.child_pugh_class is ChildPughClass.B
    r = rec(r.state, cycle=3, cycle_day=1, assessed_on=day(3, 1), cbc=anc(day(3, 1), 2.0),
            child_pugh_class=ChildPughClass.C)
    assert (r.code, r.action, r.dose_mg) == ("dose.adjust.child_pugh_c", Action.START, 75)
    assert {Flag.CHILD_PUGH_CHANGED, Flag.HEPATIC_IMPAIRMENT} <= set(r.flags)
    r = rec(r.state, cycle=4, cycle_day=1, assessed_on=day(4, 1), cbc=anc(day(4, 1), 2.0),
            child_pugh_class=ChildPughClass.B)
    assert r.dose_mg == 75 and Flag.CHILD_PUGH_CHANGED in r.flags


def test_febrile_neutropenia_recorded_without_temperature_takes_the_stricter_row() -> None:
    """USPI Table 2 fever row (>= 38.5 C) vs CTCAE FN (> 38.3 C): unknown temperature -> hold."""
    fn = Toxicity("Febrile neutropenia", 3, ToxicityCategory.HAEMATOLOGICAL)
    r = rec(125, cycle=1, cycle_day=12, assessed_on=day(1, 12), toxicities=[fn])
    assert (r.code, r.action, r.resume_dose_mg) == ("dose.hold.heme_febrile_neutropenia",
                                                    Action.HOLD, 100)
    assert Flag.TEMPERATURE_NEEDED in r.flags
    r = rec(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), toxicities=[fn],
            temperature_c=38.4)
    assert r.action is Action.CONTINUE and Flag.FEBRILE_NEUTROPENIA_AE in r.flags


def test_fever_without_an_anc_asks_for_a_cbc() -> None:
    """USPI Table 2 fever row needs the ANC grade: a fever alone cannot decide, so ask."""
    r = rec(125, cycle=1, cycle_day=9, assessed_on=day(1, 9), temperature_c=38.9)
    assert r.action is Action.CONTINUE and Flag.CBC_NEEDED in r.flags


def test_a_cbc_term_is_haematological_whatever_category_was_entered() -> None:
    """USPI Table 2 (not Table 3) applies to neutropenia even if miscategorised: C1D15 grade 3
    continues instead of the Table 3 hold-and-reduce."""
    tox = Toxicity("Neutrophil count decreased", 3, NON_HAEM)
    r = rec(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), toxicities=[tox])
    assert (r.action, r.dose_mg) == (Action.CONTINUE, 125)


def test_reescalation_is_refused_by_default_and_allowed_when_the_protocol_says(
        make_rules: Callable[..., DosingRules]) -> None:
    """The label does not describe re-escalation, so NCT06478927 does not allow it."""
    with pytest.raises(InputError, match="do not allow re-escalation"):
        escalate(DosingState(level_mg=75), rules=RULES)
    allowing = make_rules(dose_modification__re_escalation_allowed=True)
    assert escalate(DosingState(level_mg=75), rules=allowing).level_mg == 100
    with pytest.raises(InputError, match="already the starting dose"):
        escalate(DosingState(level_mg=125), rules=allowing)


# CTCAE v5.0 Neutrophil count decreased, Platelet count decreased, Anemia, White blood cell
# decreased and Lymphocyte count decreased: each band includes its lower edge. The grades come
# from oncotrial.ctcae.grade_lab; without an LLN a value above the grade 2 cut-off is 0 or 1,
# counted as 1.
BANDS = [  # term, field, value, expected grade, why
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 1.5, 1, "ANC 1.5 is grade 1 or 0; counted as 1"),
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 1.49, 2, "ANC just below 1.5 is grade 2"),
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 1.0, 2, "ANC exactly 1.0 is grade 2"),
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 0.99, 3, "ANC just below 1.0 is grade 3"),
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 0.5, 3, "ANC exactly 0.5 is grade 3"),
    (CbcTerm.NEUTROPHIL, "anc_10e9_l", 0.49, 4, "ANC below 0.5 is grade 4"),
    (CbcTerm.PLATELET, "platelets_10e9_l", 50.0, 2, "platelets exactly 50 are grade 2"),
    (CbcTerm.PLATELET, "platelets_10e9_l", 49.9, 3, "platelets below 50 are grade 3"),
    (CbcTerm.PLATELET, "platelets_10e9_l", 25.0, 3, "platelets exactly 25 are grade 3"),
    (CbcTerm.PLATELET, "platelets_10e9_l", 24.9, 4, "platelets below 25 are grade 4"),
    (CbcTerm.ANEMIA, "hemoglobin_g_l", 80.0, 2, "Hb exactly 80 g/L is grade 2"),
    (CbcTerm.ANEMIA, "hemoglobin_g_l", 79.9, 3, "Hb below 80 g/L is grade 3 (4 is clinical)"),
    (CbcTerm.WBC, "wbc_10e9_l", 1.0, 3, "WBC exactly 1.0 is grade 3"),
    (CbcTerm.WBC, "wbc_10e9_l", 0.99, 4, "WBC below 1.0 is grade 4"),
    (CbcTerm.LYMPHOCYTE, "lymphocytes_10e9_l", 0.2, 3, "lymphocytes exactly 0.2 are grade 3"),
    (CbcTerm.LYMPHOCYTE, "lymphocytes_10e9_l", 0.19, 4, "lymphocytes below 0.2 are grade 4"),
]


@pytest.mark.parametrize(("term", "field", "value", "expected", "why"), BANDS,
                         ids=[b[4] for b in BANDS])
def test_cbc_value_bands(term: CbcTerm, field: str, value: float, expected: int,
                         why: str) -> None:
    assert BloodCounts(C1D1, **{field: value}).grade(term) == Grade(expected)


def test_cbc_grade_that_contradicts_the_value_is_refused() -> None:
    """A grade 2 ANC entered with 0.4 x 10^9/L (grade 4) must be corrected, not guessed."""
    with pytest.raises(InputError, match=r"CTCAE v5\.0 gives that value grade 4"):
        BloodCounts(C1D1, anc_grade=2, anc_10e9_l=0.4)
    # Anaemia may be graded above its Hb (transfusion indicated, life-threatening).
    assert BloodCounts(C1D1, anemia_grade=4, hemoglobin_g_l=75).grade(CbcTerm.ANEMIA) == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"current": 50}, InputError, "protocol dose levels"),
        ({"cycle_day": 29}, InputError, "Day 1 of that cycle"),
        ({"cycle": 0}, InputError, "numbered from 1"),
        ({"temperature_c": 20.0}, ImplausibleValueError, "30-45 C"),
        ({"child_pugh_class": "D"}, InputError, "A, B or C"),
        ({"cbc": BloodCounts(C1D1 + timedelta(days=30), anc_grade=1)}, InputError, "after the"),
    ],
    ids=["dose not a level", "cycle day past the cycle", "cycle 0", "temperature 20 C",
         "Child-Pugh D", "CBC from the future"],
)
def test_bad_inputs_are_refused_with_a_fix(kwargs: dict[str, object], error: type[Exception],
                                           match: str) -> None:
    args: dict[str, object] = {"current": 125, "cycle": 1, "cycle_day": 10,
                               "assessed_on": C1D1 + timedelta(days=9)}
    args.update(kwargs)
    with pytest.raises(error, match=match) as info:
        rec(args.pop("current"), **args)  # type: ignore[arg-type]
    assert info.value.hint  # type: ignore[attr-defined]


def test_recommend_needs_the_rules() -> None:
    """No silent NCT06478927 default: the rules are a required argument."""
    with pytest.raises(TypeError, match="rules"):
        recommend(125, cycle=1, cycle_day=1, assessed_on=C1D1)  # type: ignore[call-arg]


def test_bad_toxicity_is_refused() -> None:
    with pytest.raises(InputError, match="grades are whole numbers from 1 to 5"):
        Toxicity("Diarrhea", 6, NON_HAEM)  # type: ignore[arg-type]


def test_summary_wording_is_pinned() -> None:
    """Snapshot of what the investigator reads for the label's grade 4 row (USPI Table 2)."""
    r = rec(125, cycle=1, cycle_day=22, assessed_on=day(1, 22), cbc=anc(day(1, 22), 0.4))
    assert r.summary() == (
        "hold (resume at 100 mg); re-check by 2026-02-02\n"
        "rule: Haematological grade 4 (Neutrophil count decreased): withhold palbociclib until "
        "grade <= 2 (re-check within 7 days), then resume at the next lower dose (IBRANCE USPI "
        "2019 section 2.2 Table 2, grade 4).")
