"""DosingRules read from real protocol files: the bundled label defaults and a different trial."""

from __future__ import annotations

from pathlib import Path

from oncotrial.dosing import ChildPughCAction, DosingRules, InducerAction
from oncotrial.protocol import load_protocol

OTHER = Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"


def test_second_protocol_sets_every_dosing_parameter() -> None:
    """The made-up examplinib trial differs from the palbociclib label in each parameter."""
    r = DosingRules.from_protocol(load_protocol(OTHER))
    assert r.dose_levels_mg == (300, 250, 200, 150) and r.starting_dose_mg == 300
    assert (r.days_on, r.days_off, r.cycle_length_days) == (28, 0, 28)
    assert r.allow_reescalation is True
    assert (r.pneumonitis_hold_min_grade, r.pneumonitis_discontinue_min_grade) == (1, 2)
    assert r.cyp3a_inhibitor_washout_half_lives == 3
    assert r.strong_cyp3a_inhibitor_dose_mg == 150
    assert r.strong_cyp3a_inducer is InducerAction.PROHIBIT
    assert r.child_pugh_c_action is ChildPughCAction.DISCONTINUE
    assert r.lymphopenia_needs_clinical_event is False
    assert (r.relaxed_cbc_after_cycle, r.relaxed_cbc_every_cycles) == (4, 2)
    assert r.next_lower_dose_mg(150) is None and r.next_lower_dose_mg(300) == 250
