"""Multi-visit palbociclib scenarios through :func:`oncotrial.dosing.recommend`.

Each scenario chains the returned ``state`` into the next visit, as the platform does. Expected
actions come from the IBRANCE USPI 2019 section 2.2 Tables 1-3 (``palbociclib.md`` sections
2-8), cited per test. C1D1 is Monday 2026-01-05 in every scenario.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.dosing import (
    Action,
    BloodCounts,
    CbcTerm,
    Comedication,
    Cyp3aEffect,
    DosingRules,
    DosingState,
    Flag,
    Toxicity,
    ToxicityCategory,
    escalate,
    recommend,
)
from oncotrial.errors import ImplausibleValueError, InputError, ProtocolError

C1D1 = date(2026, 1, 5)
NON_HAEM = ToxicityCategory.NON_HAEMATOLOGICAL


def day(cycle: int, cycle_day: int, delay: int = 0) -> date:
    return C1D1 + timedelta(days=28 * (cycle - 1) + cycle_day - 1 + delay)


def anc(on: date, value: float) -> BloodCounts:
    return BloodCounts(on, anc_10e9_l=value)


def test_issue_scenario_day15_grade3_then_day22_grade4_then_resume_at_100() -> None:
    """USPI Table 2: grade 3 on C1D15 continue; grade 4 on Day 22 hold; recovered -> 100 mg."""
    r = recommend(125, cycle=1, cycle_day=1, assessed_on=day(1, 1), cbc=anc(day(1, 1), 2.1))
    assert (r.action, r.dose_mg, r.dosing_today) == (Action.START, 125, True)
    r = recommend(r.state, cycle=1, cycle_day=15, assessed_on=day(1, 15),
                  cbc=anc(day(1, 15), 0.7))
    assert (r.action, r.dose_mg, r.recheck_by) == (Action.CONTINUE, 125, day(1, 22))
    assert r.state.day22_cbc_due_on == day(1, 22)
    r = recommend(r.state, cycle=1, cycle_day=22, assessed_on=day(1, 22),
                  cbc=anc(day(1, 22), 0.45))
    assert (r.action, r.dose_mg, r.resume_dose_mg) == (Action.HOLD, None, 100)
    assert r.dosing_today is False and r.state.day22_cbc_due_on is None
    r = recommend(r.state, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 1.1))
    assert (r.action, r.dose_mg) == (Action.RESUME_REDUCED, 100)
    assert (r.state.level_mg, r.state.reductions, r.state.holds) == (100, 1, 1)
    r = recommend(r.state, cycle=2, cycle_day=15, assessed_on=day(2, 15),
                  cbc=anc(day(2, 15), 1.3))
    assert (r.action, r.dose_mg) == (Action.CONTINUE, 100)


def test_day1_grade3_delays_the_cycle_and_restarts_at_the_same_dose() -> None:
    """USPI Table 2, grade 3 on Day 1: withhold, CBC within 1 week, same dose when <= 2."""
    r = recommend(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 0.8))
    assert (r.action, r.resume_dose_mg, r.recheck_by) == (Action.HOLD, 125, day(2, 8))
    assert r.state.day1_grade3_holds == 1
    on = day(2, 1, delay=6)
    r = recommend(r.state, cycle=2, cycle_day=1, assessed_on=on, cbc=anc(on, 1.1))
    assert (r.action, r.dose_mg) == (Action.RESUME_SAME_DOSE, 125)
    assert Flag.CONSIDER_DOSE_REDUCTION not in r.flags
    assert r.state.reductions == 0 and r.state.hold is None


def test_prolonged_recovery_over_one_week_is_flagged_not_reduced() -> None:
    """USPI Table 2: grade 3 with prolonged recovery (> 1 week): consider reduction (flag)."""
    r = recommend(125, cycle=3, cycle_day=1, assessed_on=day(3, 1), cbc=anc(day(3, 1), 0.8))
    on = day(3, 1, delay=7)
    r = recommend(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert r.action is Action.HOLD and Flag.CONSIDER_DOSE_REDUCTION not in r.flags  # 7 days
    on = day(3, 1, delay=9)
    r = recommend(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert r.action is Action.HOLD and Flag.CONSIDER_DOSE_REDUCTION in r.flags
    on = day(3, 1, delay=12)
    r = recommend(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 1.2))
    assert (r.action, r.dose_mg) == (Action.RESUME_SAME_DOSE, 125)
    assert Flag.CONSIDER_DOSE_REDUCTION in r.flags


def test_recurrent_day1_grade3_is_flagged() -> None:
    """USPI Table 2: recurrent grade 3 on Day 1 of later cycles: consider reduction (flag)."""
    r = recommend(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 0.9))
    on = day(2, 1, delay=5)
    r = recommend(r.state, cycle=2, cycle_day=1, assessed_on=on, cbc=anc(on, 1.4))
    assert r.action is Action.RESUME_SAME_DOSE
    on = day(3, 1, delay=5)
    r = recommend(r.state, cycle=3, cycle_day=1, assessed_on=on, cbc=anc(on, 0.9))
    assert r.action is Action.HOLD and Flag.CONSIDER_DOSE_REDUCTION in r.flags


def test_three_grade4_episodes_walk_down_the_levels_then_discontinue() -> None:
    """USPI Table 1: 125 -> 100 -> 75, and a further reduction means discontinuation."""
    state: DosingState | int = 125
    doses = []
    for cycle in (1, 2):
        hold = recommend(state, cycle=cycle, cycle_day=15, assessed_on=day(cycle, 15),
                         cbc=anc(day(cycle, 15), 0.3))
        assert hold.action is Action.HOLD
        back = recommend(hold.state, cycle=cycle, cycle_day=20, assessed_on=day(cycle, 20),
                         cbc=anc(day(cycle, 20), 1.6))
        assert back.action is Action.RESUME_REDUCED
        doses.append(back.dose_mg)
        state = back.state
    assert doses == [100, 75]
    third = recommend(state, cycle=3, cycle_day=15, assessed_on=day(3, 15),
                      cbc=anc(day(3, 15), 0.3))
    assert (third.action, third.dose_mg) == (Action.DISCONTINUE, None)
    assert "below the lowest dose level (75 mg)" in third.rule


def test_floor_discontinues_at_the_trigger_and_stays_discontinued() -> None:
    """USPI Table 1: no dose below 75 mg; discontinuation is permanent."""
    r = recommend(75, cycle=4, cycle_day=15, assessed_on=day(4, 15), cbc=anc(day(4, 15), 0.3))
    assert (r.action, r.dose_mg, r.state.discontinued) == (Action.DISCONTINUE, None, True)
    r = recommend(r.state, cycle=5, cycle_day=1, assessed_on=day(5, 1), cbc=anc(day(5, 1), 3.0))
    assert r.action is Action.DISCONTINUE and r.dose_mg is None


def test_non_haematological_waits_for_grade1_unless_grade2_is_accepted() -> None:
    """USPI Table 3: withhold until grade <= 1 (<= 2 if the investigator judges it safe)."""
    tox3 = Toxicity("Diarrhea", 3, NON_HAEM)
    r = recommend(125, cycle=1, cycle_day=8, assessed_on=day(1, 8), toxicities=[tox3])
    assert (r.action, r.resume_dose_mg) == (Action.HOLD, 100)
    r2 = recommend(r.state, cycle=1, cycle_day=11, assessed_on=day(1, 11),
                   toxicities=[Toxicity("Diarrhea", 2, NON_HAEM)])
    assert r2.action is Action.HOLD
    r3 = recommend(r2.state, cycle=1, cycle_day=13, assessed_on=day(1, 13),
                   toxicities=[Toxicity("Diarrhea", 1, NON_HAEM)])
    assert (r3.action, r3.dose_mg, r3.dosing_today) == (Action.RESUME_REDUCED, 100, True)
    ok2 = recommend(125, cycle=1, cycle_day=8, assessed_on=day(1, 8),
                    toxicities=[Toxicity("Diarrhea", 3, NON_HAEM, grade2_acceptable=True)])
    back = recommend(ok2.state, cycle=1, cycle_day=11, assessed_on=day(1, 11),
                     toxicities=[Toxicity("Diarrhea", 2, NON_HAEM, grade2_acceptable=True)])
    assert (back.action, back.dose_mg) == (Action.RESUME_REDUCED, 100)


def test_pneumonitis_grade2_interrupts_and_grade3_during_the_hold_discontinues() -> None:
    """USPI 5.2: interrupt for suspected pneumonitis; severe (grade >= 3) discontinues."""
    r = recommend(125, cycle=2, cycle_day=8, assessed_on=day(2, 8),
                  toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)])
    assert r.action is Action.HOLD and Flag.INVESTIGATOR_DECISION in r.flags
    resolved = recommend(r.state, cycle=2, cycle_day=14, assessed_on=day(2, 14))
    assert (resolved.action, resolved.dose_mg) == (Action.RESUME_SAME_DOSE, 125)
    assert Flag.INVESTIGATOR_DECISION in resolved.flags
    worse = recommend(r.state, cycle=2, cycle_day=10, assessed_on=day(2, 10),
                      toxicities=[Toxicity("pneumonitis", 3, NON_HAEM)])
    assert worse.action is Action.DISCONTINUE


def test_a_hold_needs_a_new_cbc_to_resume() -> None:
    """USPI Table 2: recovery to grade <= 2 is shown by a repeat CBC, not an old one."""
    r = recommend(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.4))
    same = recommend(r.state, cycle=1, cycle_day=18, assessed_on=day(1, 18),
                     toxicities=[Toxicity("Fatigue", 1, NON_HAEM)])
    assert same.action is Action.HOLD and same.resume_dose_mg == 100
    with pytest.raises(InputError, match="older than the CBC"):
        recommend(r.state, cycle=1, cycle_day=18, assessed_on=day(1, 18),
                  cbc=BloodCounts(day(1, 14), anc_10e9_l=1.8))


def test_resuming_on_a_day_off_waits_for_day1() -> None:
    """USPI 2.1: no dose on Days 22-28, so a resumption there takes effect on Day 1."""
    r = recommend(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.4))
    back = recommend(r.state, cycle=1, cycle_day=24, assessed_on=day(1, 24),
                     cbc=anc(day(1, 24), 1.2))
    assert (back.action, back.dose_mg, back.dosing_today) == (Action.RESUME_REDUCED, 100, False)


def test_missed_day22_cbc_is_flagged_until_a_later_cbc_arrives() -> None:
    """USPI Table 2: the Day-15 grade 3 row requires a CBC on Day 22."""
    r = recommend(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.8))
    late = recommend(r.state, cycle=1, cycle_day=25, assessed_on=day(1, 25))
    assert Flag.DAY22_CBC_MISSED in late.flags
    c2 = recommend(late.state, cycle=2, cycle_day=1, assessed_on=day(2, 1),
                   cbc=anc(day(2, 1), 1.6))
    assert c2.action is Action.START and c2.state.day22_cbc_due_on is None


def test_strong_cyp3a_inhibitor_75mg_then_back_after_five_half_lives() -> None:
    """USPI 2.2/7.1: 75 mg with a strong inhibitor; back to the prior dose after 3-5 t1/2."""
    taking = [Comedication("clarithromycin", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=24)]
    r = recommend(125, cycle=2, cycle_day=3, assessed_on=day(2, 3), comedications=taking)
    assert (r.action, r.dose_mg, r.state.level_mg) == (Action.ADJUST, 75, 125)
    stopped = [Comedication("clarithromycin", Cyp3aEffect.STRONG_INHIBITOR,
                            stopped_on=day(2, 10), half_life_hours=24)]
    during = recommend(r.state, cycle=2, cycle_day=14, assessed_on=day(2, 14),
                       comedications=stopped)
    assert (during.action, during.dose_mg) == (Action.CONTINUE, 75)  # 4 days < 5 half-lives
    after = recommend(during.state, cycle=2, cycle_day=15, assessed_on=day(2, 15),
                      comedications=stopped)
    assert (after.action, after.dose_mg) == (Action.ADJUST, 125)


def test_inhibitor_washout_unknown_keeps_75mg() -> None:
    """USPI 7.1: without the inhibitor's half-life the end of the washout is unknown."""
    stopped = [Comedication("posaconazole", Cyp3aEffect.STRONG_INHIBITOR, stopped_on=day(2, 2))]
    r = recommend(125, cycle=2, cycle_day=20, assessed_on=day(2, 20), comedications=stopped)
    assert r.dose_mg == 75 and Flag.INHIBITOR_HALF_LIFE_NEEDED in r.flags


def test_toxicity_on_inhibitor_reduces_the_level_and_the_return_respects_it() -> None:
    """USPI Tables 1-2 with 7.1: after grade 4 on 75 mg (inhibitor), the return is to 100 mg."""
    meds = [Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=30)]
    r = recommend(125, cycle=1, cycle_day=10, assessed_on=day(1, 10), comedications=meds)
    hold = recommend(r.state, cycle=1, cycle_day=15, assessed_on=day(1, 15),
                     cbc=anc(day(1, 15), 0.3), comedications=meds)
    assert hold.action is Action.HOLD and hold.resume_dose_mg == 75
    assert Flag.TOXICITY_ON_INHIBITOR in hold.flags
    back = recommend(hold.state, cycle=2, cycle_day=1, assessed_on=day(2, 1),
                     cbc=anc(day(2, 1), 1.5), comedications=meds)
    assert (back.action, back.dose_mg, back.state.level_mg) == (Action.RESUME_REDUCED, 75, 100)
    gone = [Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, stopped_on=day(2, 2),
                         half_life_hours=30)]
    later = recommend(back.state, cycle=2, cycle_day=15, assessed_on=day(2, 15),
                      cbc=anc(day(2, 15), 1.5), comedications=gone)
    assert (later.action, later.dose_mg) == (Action.ADJUST, 100)


def test_child_pugh_change_is_alerted_and_c_caps_for_good() -> None:
    """USPI 8.6 and palbociclib.md s6: alert on a class change; Child-Pugh C 75 mg."""
    r = recommend(125, cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 2.0),
                  child_pugh_class="B")
    assert Flag.CHILD_PUGH_CHANGED not in r.flags
    r = recommend(r.state, cycle=3, cycle_day=1, assessed_on=day(3, 1),
                  cbc=anc(day(3, 1), 2.0), child_pugh_class="c")
    assert (r.action, r.dose_mg) == (Action.START, 75)
    assert {Flag.CHILD_PUGH_CHANGED, Flag.CHILD_PUGH_C} <= set(r.flags)
    r = recommend(r.state, cycle=4, cycle_day=1, assessed_on=day(4, 1),
                  cbc=anc(day(4, 1), 2.0), child_pugh_class="B")
    assert r.dose_mg == 75 and Flag.CHILD_PUGH_CHANGED in r.flags


def test_febrile_neutropenia_recorded_without_temperature_takes_the_stricter_row() -> None:
    """USPI Table 2 fever row (>= 38.5 C) vs CTCAE FN (> 38.3 C): unknown temperature -> hold."""
    fn = Toxicity("Febrile neutropenia", 3, ToxicityCategory.HAEMATOLOGICAL)
    r = recommend(125, cycle=1, cycle_day=12, assessed_on=day(1, 12), toxicities=[fn])
    assert (r.action, r.resume_dose_mg) == (Action.HOLD, 100)
    assert Flag.TEMPERATURE_NEEDED in r.flags
    r = recommend(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), toxicities=[fn],
                  temperature_c=38.4)
    assert r.action is Action.CONTINUE and Flag.FEBRILE_NEUTROPENIA_AE in r.flags


def test_fever_without_an_anc_asks_for_a_cbc() -> None:
    """USPI Table 2 fever row needs the ANC grade: a fever alone cannot decide, so ask."""
    r = recommend(125, cycle=1, cycle_day=9, assessed_on=day(1, 9), temperature_c=38.9)
    assert r.action is Action.CONTINUE and Flag.CBC_NEEDED in r.flags


def test_a_cbc_term_is_haematological_whatever_category_was_entered() -> None:
    """USPI Table 2 (not Table 3) applies to neutropenia even if miscategorised: C1D15 grade 3
    continues instead of the Table 3 hold-and-reduce."""
    tox = Toxicity("Neutrophil count decreased", 3, NON_HAEM)
    r = recommend(125, cycle=1, cycle_day=15, assessed_on=day(1, 15), toxicities=[tox])
    assert (r.action, r.dose_mg) == (Action.CONTINUE, 125)


def test_reescalation_is_refused_by_default_and_allowed_when_the_protocol_says() -> None:
    """palbociclib.md s2: re-escalation not described in the label; default not allowed."""
    with pytest.raises(InputError, match="do not allow re-escalation"):
        escalate(DosingState(level_mg=75))
    assert escalate(DosingState(level_mg=75),
                    rules=DosingRules(allow_reescalation=True)).level_mg == 100
    with pytest.raises(InputError, match="already the starting dose"):
        escalate(DosingState(level_mg=125), rules=DosingRules(allow_reescalation=True))


# CTCAE v5.0 haematology (ctcae_v5.md s2): each band includes its lower edge.
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
    assert BloodCounts(C1D1, **{field: value}).grade(term) == expected


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
    with pytest.raises(error, match=match):
        recommend(args.pop("current"), **args)  # type: ignore[arg-type]


def test_bad_toxicity_and_rules_are_refused() -> None:
    with pytest.raises(InputError, match="grades are whole numbers from 1 to 5"):
        Toxicity("Diarrhea", 6, NON_HAEM)
    with pytest.raises(ProtocolError) as info:
        DosingRules(dose_levels_mg=(100, 125), days_on=14)
    paths = {p.path for p in info.value.problems}
    assert {"dose_levels_mg", "cycle_length_days"} <= paths


def test_summary_wording_is_pinned() -> None:
    """Snapshot of what the investigator reads for the label's grade 4 row (USPI Table 2)."""
    r = recommend(125, cycle=1, cycle_day=22, assessed_on=day(1, 22), cbc=anc(day(1, 22), 0.4))
    assert r.summary() == (
        "hold (resume at 100 mg); re-check by 2026-02-02\n"
        "rule: Haematological grade 4 (Neutrophil count decreased): withhold until grade <= 2, "
        "then resume at the next lower dose (USPI 2.2, Table 2, grade 4).")
