"""DosingRules read from real protocol files: the bundled label rules and a different trial.

The made-up examplinib trial writes its rules in the same drug-neutral terms without copying
palbociclib's: other ids, categories, grades, re-check days and actions.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from oncotrial.dosing import (
    Action,
    BloodCounts,
    CbcTerm,
    DosingRules,
    Toxicity,
    ToxicityCategory,
    recommend,
)
from oncotrial.protocol import load_protocol
from oncotrial.records import ChildPughClass, Grade

OTHER = Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"
RULES = DosingRules.from_protocol(load_protocol(OTHER))
DAY1 = date(2026, 3, 2)


def test_second_protocol_sets_its_own_rules() -> None:
    """The made-up examplinib trial differs from the palbociclib label throughout."""
    r = RULES
    assert r.drug == "examplinib"
    assert r.dose_levels_mg == (300, 250, 200, 150) and r.starting_dose_mg == 300
    assert (r.days_on, r.days_off, r.cycle_length_days) == (28, 0, 28)
    assert r.allow_reescalation is True
    assert r.counted_terms == {CbcTerm.NEUTROPHIL, CbcTerm.PLATELET}
    assert r.clinical_event_terms == frozenset()
    assert r.blood_count_resume_grade == Grade.G1
    assert r.fever_threshold_c is None
    assert sorted(r.listed_term_rules) == ["alanine aminotransferase increased",
                                           "aspartate aminotransferase increased", "pneumonitis"]
    assert r.rule_dose_mg == {"strong_cyp3a_inhibitor": 150, "child_pugh_b": 200}
    assert r.hepatic[ChildPughClass.C].action == "discontinue"
    assert r.next_lower_dose_mg(150) is None and r.next_lower_dose_mg(300) == 250


def test_second_protocol_drives_the_engine() -> None:
    """Examplinib brochure (made up): grade 3 ANC holds at any time and resumes one level lower
    at grade <= 1; grade 1 pneumonitis holds and grade 2 discontinues; Child-Pugh B caps at
    200 mg."""
    hold = recommend(300, rules=RULES, cycle=1, cycle_day=15, assessed_on=DAY1 + timedelta(14),
                     cbc=BloodCounts(DAY1 + timedelta(14), anc_10e9_l=0.8))
    assert (hold.code, hold.resume_dose_mg) == ("dose.hold.heme_grade3", 250)
    still = recommend(hold.state, rules=RULES, cycle=1, cycle_day=18,
                      assessed_on=DAY1 + timedelta(17),
                      cbc=BloodCounts(DAY1 + timedelta(17), anc_10e9_l=1.2))
    assert still.code == "dose.hold.awaiting_recovery"  # grade 2 is not <= 1 here
    lung = recommend(300, rules=RULES, cycle=2, cycle_day=3, assessed_on=DAY1 + timedelta(30),
                     toxicities=[Toxicity("Pneumonitis", 1, ToxicityCategory.NON_HAEMATOLOGICAL)])
    assert (lung.code, lung.action, lung.resume_dose_mg) == ("dose.hold.pneumonitis_grade1",
                                                             Action.HOLD, 300)
    liver = recommend(300, rules=RULES, cycle=2, cycle_day=3, assessed_on=DAY1 + timedelta(30),
                      child_pugh_class=ChildPughClass.B)
    assert (liver.code, liver.dose_mg) == ("dose.adjust.child_pugh_b", 200)
    platelets = recommend(300, rules=RULES, cycle=2, cycle_day=3,
                          assessed_on=DAY1 + timedelta(30),
                          cbc=BloodCounts(DAY1 + timedelta(30), platelets_10e9_l=60))
    assert (platelets.code, platelets.dose_mg, platelets.recheck_by) == (
        "dose.continue.platelets_grade2", 300, DAY1 + timedelta(37))
    day1 = recommend(platelets.state, rules=RULES, cycle=3, cycle_day=1,
                     assessed_on=DAY1 + timedelta(56),
                     cbc=BloodCounts(DAY1 + timedelta(56), platelets_10e9_l=60))
    assert (day1.code, day1.action, day1.dose_mg) == ("dose.continue.platelets_grade2",
                                                      Action.START, 300)
