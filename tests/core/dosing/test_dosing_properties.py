"""Hypothesis properties of the dose-modification engine.

Invariants from the IBRANCE USPI 2019 section 2.2 Table 1 (dose levels; below the lowest
level, discontinue): the engine only ever recommends a protocol dose level; without a protocol
that allows re-escalation the dose level never goes up after a reduction; discontinuation is
final. Visits are random sequences of blood counts, toxicities, fevers, CYP3A inhibitors and
Child-Pugh classes, each visit's returned state feeding the next one; an event a hold waits for
is either graded or given as resolved, and a restart left to the investigator is taken at the
level reached.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from oncotrial.dosing import (
    Action,
    BloodCounts,
    Comedication,
    Cyp3aEffect,
    DoseRecommendation,
    DosingRules,
    DosingState,
    Toxicity,
    ToxicityCategory,
    recommend,
    restart,
)
from oncotrial.protocol import load_bundled_protocol
from oncotrial.protocol.model import Intervention
from oncotrial.records import ChildPughClass

START = date(2026, 1, 5)
LABEL = DosingRules.from_protocol(load_bundled_protocol())
_SECTION: dict[str, Any] = LABEL.intervention.model_dump(mode="json")


@dataclass(frozen=True)
class Visit:
    gap_days: int
    cycle_step: int
    cycle_day: int
    anc: float | None
    platelets: float | None
    toxicity: Toxicity | None
    temperature_c: float | None
    inhibitor: str  # "none", "taking", "stopped"
    child_pugh: ChildPughClass | None


@st.composite
def dosing_rules(draw: st.DrawFn) -> DosingRules:
    """Protocols with 1-4 decreasing dose levels and a CYP3A dose among them."""
    levels = sorted(draw(st.lists(st.integers(5, 200), min_size=1, max_size=4, unique=True)),
                    reverse=True)
    data = copy.deepcopy(_SECTION)
    data["dose_levels"] = [{"level": -i, "dose_mg": d} for i, d in enumerate(levels)]
    data["starting_dose_mg"] = levels[0]
    data["dose_modification"]["interacting_drugs"][0]["dose_mg"] = draw(st.sampled_from(levels))
    return DosingRules.from_intervention(Intervention.model_validate(data))


toxicities = st.one_of(
    st.none(),
    st.builds(
        Toxicity,
        term=st.sampled_from(["Diarrhea", "Fatigue", "Pneumonitis", "Lung infection",
                              "Febrile neutropenia", "Anemia"]),
        grade=st.integers(1, 4),
        category=st.sampled_from(list(ToxicityCategory)),
        infection=st.booleans(),
        despite_optimal_treatment=st.booleans(),
        investigator_accepts_higher_grade=st.booleans(),
    ),
)

visits = st.builds(
    Visit,
    gap_days=st.integers(0, 10),
    cycle_step=st.sampled_from([0, 0, 0, 1]),
    cycle_day=st.integers(1, 28),
    anc=st.one_of(st.none(), st.floats(0.0, 4.0)),
    platelets=st.one_of(st.none(), st.floats(0.0, 300.0)),
    toxicity=toxicities,
    temperature_c=st.one_of(st.none(), st.floats(36.0, 40.5)),
    inhibitor=st.sampled_from(["none", "none", "taking", "stopped"]),
    child_pugh=st.sampled_from([None, *ChildPughClass]),
)


def _visit_args(state: DosingState | int, visit: Visit, on: date) -> dict[str, Any]:
    cbc = None
    if visit.anc is not None or visit.platelets is not None:
        cbc = BloodCounts(on, anc_10e9_l=visit.anc, platelets_10e9_l=visit.platelets)
    meds = []
    if visit.inhibitor != "none":
        meds.append(Comedication(
            "ketoconazole", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=8,
            stopped_on=on - timedelta(days=1) if visit.inhibitor == "stopped" else None))
    tox = [] if visit.toxicity is None else [visit.toxicity]
    hold = state.hold if isinstance(state, DosingState) else None
    graded = {t.term.casefold() for t in tox}
    resolved = [a.term for a in (hold.awaiting if hold else ()) if a.term.casefold() not in graded]
    return {"cbc": cbc, "toxicities": tox, "resolved": resolved,
            "temperature_c": visit.temperature_c, "comedications": meds,
            "child_pugh_class": visit.child_pugh}


def walk(rules: DosingRules, plan: list[Visit]) -> list[tuple[DosingState, DoseRecommendation]]:
    """Run the visits; a restart left to the investigator is taken at the level reached."""
    state: DosingState | int = rules.starting_dose_mg
    on, cycle = START, 1
    out = []
    for visit in plan:
        on += timedelta(days=visit.gap_days)
        cycle += visit.cycle_step
        result = recommend(state, rules=rules, cycle=cycle, cycle_day=visit.cycle_day,
                           assessed_on=on, **_visit_args(state, visit, on))
        out.append((state if isinstance(state, DosingState) else DosingState(state), result))
        state = result.state
        if result.action is Action.INVESTIGATOR_DECISION:
            hold = result.state.hold
            assert hold is not None
            level = (rules.next_lower_dose_mg(state.level_mg) if hold.reduce_on_resume
                     else state.level_mg)
            assert level is not None
            state = restart(result.state, dose_mg=level, rules=rules)
    return out


@given(rules=dosing_rules(), plan=st.lists(visits, min_size=1, max_size=25))
def test_only_protocol_dose_levels_are_ever_recommended(rules: DosingRules,
                                                        plan: list[Visit]) -> None:
    """The engine never recommends a dose that is not a protocol dose level."""
    for _, result in walk(rules, plan):
        for dose in (result.dose_mg, result.resume_dose_mg,
                     result.state.level_mg, result.state.dose_mg):
            assert dose is None or dose in rules.dose_levels_mg


@given(rules=dosing_rules(), plan=st.lists(visits, min_size=1, max_size=25))
def test_the_dose_never_goes_up_after_a_reduction(rules: DosingRules, plan: list[Visit]) -> None:
    """Re-escalation is not allowed: the dose level never rises, and after a reduction no
    recommended dose exceeds the reduced level (a CYP3A washout returns at most to it)."""
    ceiling = rules.starting_dose_mg
    for before, result in walk(rules, plan):
        state = result.state
        assert state.level_mg <= before.level_mg
        if state.reductions > before.reductions:
            ceiling = state.level_mg
        for dose in (result.dose_mg, result.resume_dose_mg):
            assert dose is None or dose <= ceiling


@given(rules=dosing_rules(), plan=st.lists(visits, min_size=1, max_size=25))
def test_discontinuation_is_final(rules: DosingRules, plan: list[Visit]) -> None:
    """After a DISCONTINUE, every later visit is DISCONTINUE with no dose."""
    stopped = False
    for _, result in walk(rules, plan):
        if stopped:
            assert result.action is Action.DISCONTINUE
            assert result.dose_mg is None
        stopped = stopped or result.action is Action.DISCONTINUE


@given(plan=st.lists(visits, min_size=1, max_size=25))
def test_hold_means_no_drug_today(plan: list[Visit]) -> None:
    """A HOLD never comes with a dose for today, and always with a re-check date; it names a
    resume dose unless the protocol leaves the restart to the investigator."""
    for _, result in walk(LABEL, plan):
        if result.action is Action.HOLD:
            assert result.dose_mg is None and not result.dosing_today
            assert result.recheck_by is not None
            hold = result.state.hold
            investigator = hold is not None and hold.investigator_restart
            assert (result.resume_dose_mg is None) == investigator
        if result.action is Action.INVESTIGATOR_DECISION:
            assert result.dose_mg is None and result.resume_dose_mg is None
