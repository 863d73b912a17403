"""DosingRules: label defaults, validation, the protocol mapping and the con-med check list.

Defaults: IBRANCE USPI 2019 section 2.2 Table 1 (125/100/75 mg), 2.1 (21/7, 28 days), Table 2
(38.5 C, 7 days), 7.1 (75 mg with a strong CYP3A inhibitor), 8.6 (Child-Pugh C 75 mg).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from oncotrial.dosing import (
    ChildPughCAction,
    Cyp3aEffect,
    DosingRules,
    InducerAction,
)
from oncotrial.errors import ProtocolError


def test_label_defaults() -> None:
    r = DosingRules()
    assert r.dose_levels_mg == (125, 100, 75) and r.starting_dose_mg == 125
    assert (r.days_on, r.days_off, r.cycle_length_days) == (21, 7, 28)
    assert r.allow_reescalation is False
    assert r.fever_threshold_c == 38.5 and r.recheck_within_days == 7
    assert r.day15_cbc_cycles == (1, 2) and r.day22_recheck_day == 22
    assert r.strong_cyp3a_inhibitor_dose_mg == 75
    assert r.child_pugh_c_action is ChildPughCAction.REDUCE_TO_LOWEST
    assert r.strong_cyp3a_inducer is InducerAction.ALERT
    assert r.next_lower_dose_mg(125) == 100 and r.next_lower_dose_mg(75) is None


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ProtocolError) as info:
        DosingRules(dose_levels_mg=(125, 125), starting_dose_mg=150,
                    strong_cyp3a_inhibitor_dose_mg=60, fever_threshold_c=45.0,
                    day1_hold_min_grade=6, haematological_resume_max_grade=4)
    paths = [p.path for p in info.value.problems]
    assert paths == ["dose_levels_mg", "starting_dose_mg", "strong_cyp3a_inhibitor_dose_mg",
                     "day1_hold_min_grade", "haematological_resume_max_grade",
                     "fever_threshold_c"]


@pytest.mark.parametrize(("name", "expected"), [
    ("Clarithromycin", Cyp3aEffect.STRONG_INHIBITOR),
    ("lopinavir/ritonavir", Cyp3aEffect.STRONG_INHIBITOR),
    ("Grapefruit juice", Cyp3aEffect.STRONG_INHIBITOR),
    ("rifampicin", Cyp3aEffect.STRONG_INDUCER),
    ("St John's wort", Cyp3aEffect.STRONG_INDUCER),
    ("entecavir", None),
    ("tenofovir", None),
], ids=lambda v: str(v))
def test_conmed_check_list(name: str, expected: Cyp3aEffect | None) -> None:
    """USPI 7.1-7.2 and palbociclib.md s8 (tenofovir and entecavir are not CYP3A modulators)."""
    assert DosingRules().classify_comedication(name) == expected


def _protocol(**mod: Any) -> SimpleNamespace:
    dose_modification = dict(
        re_escalation_allowed=True, haematological_day1_hold_min_grade=3,
        haematological_resume_max_grade=1, haematological_reduce_min_grade=4,
        recheck_within_days=5, day15_cbc_cycles=[1, 2, 3], day22_recheck_after_day15_grade=3,
        prolonged_recovery_days=10, febrile_neutropenia_fever_c=38.3,
        non_haematological_hold_min_grade=3, non_haematological_resume_max_grade=2,
        pneumonitis_hold_min_grade=1, pneumonitis_discontinue_min_grade=2,
        strong_cyp3a_inhibitor_dose_mg=75.0, cyp3a_inhibitor_washout_half_lives=3.0,
        febrile_neutropenia_min_grade=3, lymphopenia_needs_clinical_event=False,
        strong_cyp3a_inducer="prohibit", child_pugh_c_action="discontinue",
        cbc_max_days_before_day1=2, relaxed_cbc_after_cycle=4, relaxed_cbc_every_cycles=2)
    dose_modification.update(mod)
    return SimpleNamespace(intervention=SimpleNamespace(
        dose_levels=[SimpleNamespace(level=-1, dose_mg=100.0), SimpleNamespace(level=0,
                     dose_mg=125.0), SimpleNamespace(level=-2, dose_mg=75.0)],
        starting_dose_mg=125.0,
        schedule=SimpleNamespace(days_on=21, days_off=7, cycle_length_days=28),
        dose_modification=SimpleNamespace(**dose_modification),
        strong_cyp3a_inhibitors=["ketoconazole"], strong_cyp3a_inducers=["rifampin"]))


def test_from_protocol_maps_every_field() -> None:
    """A protocol that differs from the label in every mapped field."""
    r = DosingRules.from_protocol(_protocol())
    assert r.dose_levels_mg == (125, 100, 75)  # ordered by level, not by file order
    assert r.allow_reescalation is True
    assert r.haematological_resume_max_grade == 1 and r.recheck_within_days == 5
    assert r.day15_cbc_cycles == (1, 2, 3) and r.prolonged_recovery_days == 10
    assert r.fever_threshold_c == 38.3 and r.non_haematological_resume_max_grade == 2
    assert r.pneumonitis_discontinue_min_grade == 2 and r.pneumonitis_hold_min_grade == 1
    assert r.cyp3a_inhibitor_washout_half_lives == 3.0
    assert r.lymphopenia_needs_clinical_event is False
    assert (r.relaxed_cbc_after_cycle, r.relaxed_cbc_every_cycles) == (4, 2)
    assert r.strong_cyp3a_inducer is InducerAction.PROHIBIT
    assert r.child_pugh_c_action is ChildPughCAction.DISCONTINUE
    assert r.cbc_max_days_before_day1 == 2
    assert r.strong_cyp3a_inhibitors == ("ketoconazole",)
    assert r.classify_comedication("clarithromycin") is None


def test_from_protocol_refuses_fractional_mg() -> None:
    with pytest.raises(ProtocolError, match="whole mg"):
        DosingRules.from_protocol(_protocol(strong_cyp3a_inhibitor_dose_mg=75.5))


def test_bundled_protocol_adopts_the_label() -> None:
    """PN-10: the NCT06478927 protocol uses the label's schedule and modification rules."""
    protocol = pytest.importorskip("oncotrial.protocol")
    assert DosingRules.from_protocol(protocol.load_bundled_protocol()) == DosingRules()
