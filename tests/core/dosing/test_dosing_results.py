"""Dosing results are plain data: stable codes from RESULT_CODES, JSON and pickle round trips.

Every code the examples below emit matches a pattern of ``oncotrial.dosing.RESULT_CODES``, and
every pattern is emitted by one of them (so the catalogue lists nothing the engine cannot say).
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from oncotrial.dosing import (
    RESULT_CODES,
    BloodCounts,
    CapsuleDispensing,
    Comedication,
    Cyp3aEffect,
    DiaryEntry,
    DoseRecommendation,
    DosingRules,
    DosingState,
    ExposureSummary,
    Toxicity,
    ToxicityCategory,
    check_exposure,
    plan_calendar,
    recommend,
    summarise_exposure,
)
from oncotrial.protocol import load_bundled_protocol, load_protocol
from oncotrial.protocol.model import Intervention
from oncotrial.records import ChildPughClass, code_matches, from_json, to_json

RULES = DosingRules.from_protocol(load_bundled_protocol())
OTHER = DosingRules.from_protocol(
    load_protocol(Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"))
C1D1 = date(2026, 1, 5)
NON_HAEM = ToxicityCategory.NON_HAEMATOLOGICAL
VECTORS = Path(__file__).parents[2] / "vectors" / "dosing" / "label_rows.json"


def day(cycle: int, cycle_day: int, delay: int = 0) -> date:
    return C1D1 + timedelta(days=28 * (cycle - 1) + cycle_day - 1 + delay)


def anc(on: date, value: float) -> BloodCounts:
    return BloodCounts(on, anc_10e9_l=value)


def _chain(rules: DosingRules, *visits: dict[str, Any]) -> Iterator[DoseRecommendation]:
    state: DosingState | int = rules.starting_dose_mg
    for visit in visits:
        result = recommend(state, rules=rules, **visit)
        yield result
        state = result.state


def _examples(make_rules: Callable[..., DosingRules]) -> list[DoseRecommendation]:
    """Short courses that between them reach every dose code."""
    out: list[DoseRecommendation] = []
    inhibitor = Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, half_life_hours=24)
    stopped = Comedication("itraconazole", Cyp3aEffect.STRONG_INHIBITOR, stopped_on=day(1, 3),
                           half_life_hours=24)
    out += _chain(  # start, mid-cycle continue, grade 4 hold, resume lower, day off
        RULES, dict(cycle=1, cycle_day=1, assessed_on=day(1, 1), cbc=anc(day(1, 1), 2.0)),
        dict(cycle=1, cycle_day=15, assessed_on=day(1, 15), cbc=anc(day(1, 15), 0.8)),
        dict(cycle=1, cycle_day=22, assessed_on=day(1, 22), cbc=anc(day(1, 22), 0.4)),
        dict(cycle=1, cycle_day=24, assessed_on=day(1, 24), cbc=anc(day(1, 24), 1.2)),
        dict(cycle=1, cycle_day=26, assessed_on=day(1, 26)))
    out += _chain(  # Day-1 hold, awaiting, prolonged, resume same dose
        RULES, dict(cycle=2, cycle_day=1, assessed_on=day(2, 1), cbc=anc(day(2, 1), 0.8)),
        dict(cycle=2, cycle_day=1, assessed_on=day(2, 1, 3), cbc=anc(day(2, 1, 3), 0.8)),
        dict(cycle=2, cycle_day=1, assessed_on=day(2, 1, 7), cbc=anc(day(2, 1, 7), 0.8)),
        dict(cycle=2, cycle_day=1, assessed_on=day(2, 1, 9), cbc=anc(day(2, 1, 9), 1.4)))
    out += _chain(  # pneumonitis: hold, investigator decision, then severe: discontinue
        RULES, dict(cycle=1, cycle_day=8, assessed_on=day(1, 8),
                    toxicities=[Toxicity("Pneumonitis", 2, NON_HAEM)]),
        dict(cycle=1, cycle_day=12, assessed_on=day(1, 12), resolved=["Pneumonitis"]),
        dict(cycle=1, cycle_day=13, assessed_on=day(1, 13),
             toxicities=[Toxicity("Pneumonitis", 3, NON_HAEM)]),
        dict(cycle=1, cycle_day=14, assessed_on=day(1, 14)))
    out += _chain(  # interacting drug: adjust, then the washout ends
        RULES, dict(cycle=1, cycle_day=2, assessed_on=day(1, 2), comedications=[inhibitor]),
        dict(cycle=1, cycle_day=10, assessed_on=day(1, 10), comedications=[stopped]))
    out += _chain(  # Day 1 without a blood count; Child-Pugh C
        RULES, dict(cycle=2, cycle_day=1, assessed_on=day(2, 1)),
        dict(cycle=2, cycle_day=3, assessed_on=day(2, 3), child_pugh_class=ChildPughClass.C))
    out += _chain(RULES, dict(cycle=1, cycle_day=5, assessed_on=day(1, 5),
                              toxicities=[Toxicity("Sepsis", 5, NON_HAEM, infection=True)]))
    out += _chain(RULES, dict(cycle=1, cycle_day=5, assessed_on=day(1, 5),
                              cbc=BloodCounts(day(1, 5), anc_grade=4)),
                  dict(cycle=1, cycle_day=9, assessed_on=day(1, 9), cbc=anc(day(1, 9), 1.6)),
                  dict(cycle=2, cycle_day=5, assessed_on=day(2, 5),
                       cbc=BloodCounts(day(2, 5), anc_grade=4)),
                  dict(cycle=2, cycle_day=9, assessed_on=day(2, 9), cbc=anc(day(2, 9), 1.6)),
                  dict(cycle=3, cycle_day=5, assessed_on=day(3, 5),
                       cbc=BloodCounts(day(3, 5), anc_grade=4)))
    out += _chain(  # examplinib: a non-haematological hold with prolonged recovery
        OTHER, dict(cycle=1, cycle_day=3, assessed_on=day(1, 3),
                    toxicities=[Toxicity("Rash maculo-papular", 3, NON_HAEM)]),
        dict(cycle=1, cycle_day=20, assessed_on=day(1, 20),
             toxicities=[Toxicity("Rash maculo-papular", 2, NON_HAEM)]))
    discontinuing = make_rules(dose_modification__hepatic_impairment__0__action="discontinue")
    out += _chain(discontinuing, dict(cycle=1, cycle_day=3, assessed_on=day(1, 3),
                                      child_pugh_class=ChildPughClass.C))
    return out


def _prolonged_nonheme() -> DoseRecommendation:
    """A non-haematological rule with prolonged-recovery days and a same-dose restart."""
    data = copy.deepcopy(OTHER.intervention.model_dump(mode="json"))
    data["dose_modification"]["toxicity_rules"][2]["resume_dose"] = "same"
    rules = DosingRules.from_intervention(Intervention.model_validate(data))
    results = list(_chain(
        rules, dict(cycle=1, cycle_day=3, assessed_on=day(1, 3),
                    toxicities=[Toxicity("Rash maculo-papular", 3, NON_HAEM)]),
        dict(cycle=1, cycle_day=20, assessed_on=day(1, 20),
             toxicities=[Toxicity("Rash maculo-papular", 2, NON_HAEM)])))
    return results[-1]


def _exposure_findings() -> list[str]:
    cal = plan_calendar(C1D1, cycles=1, rules=RULES)
    diary = [DiaryEntry(C1D1, 125, 125), DiaryEntry(C1D1, 125, 125),
             DiaryEntry(C1D1 + timedelta(days=1), 110, 110),
             DiaryEntry(C1D1 + timedelta(days=2), 100, 125),
             DiaryEntry(C1D1 + timedelta(days=3), 125, 125, held=True),
             DiaryEntry(C1D1 + timedelta(days=22), 125, 125),
             DiaryEntry(C1D1 + timedelta(days=4), 125, -1)]
    findings = check_exposure(diary, calendar=cal, rules=RULES, dispensings=[
        CapsuleDispensing(C1D1, 75, dispensed=5, returned=4, lost=2),
        CapsuleDispensing(C1D1, 125, dispensed=30, returned=0)])
    return [f.code for f in findings]


def test_every_code_is_catalogued_and_every_catalogue_code_is_reachable(
        make_rules: Callable[..., DosingRules]) -> None:
    """Codes are the catalogue's, and the catalogue lists nothing the package cannot emit."""
    results = [*_examples(make_rules), _prolonged_nonheme()]
    codes = {r.code for r in results} | set(_exposure_findings())
    codes.add(summarise_exposure([DiaryEntry(C1D1, 125, 125)], period_start=C1D1,
                                 rules=RULES).code)
    cases = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    codes |= {c["expect"]["code"] for c in cases}
    unmatched = sorted(c for c in codes if not any(code_matches(c, p) for p in RESULT_CODES))
    assert unmatched == []
    unused = sorted(p for p in RESULT_CODES if not any(code_matches(c, p) for c in codes))
    assert unused == []
    assert all(c == c.lower() and " " not in c for c in codes)


def test_facts_are_json_scalars_and_say_what_was_used() -> None:
    r = recommend(125, rules=RULES, cycle=1, cycle_day=15, assessed_on=day(1, 15),
                  cbc=anc(day(1, 15), 0.8), temperature_c=37.2)
    assert r.facts["rule"] == "heme_grade3_mid_cycle"
    assert (r.facts["anc_grade"], r.facts["worst_haematological_grade"]) == (3, 3)
    assert r.facts["recheck_by"] == day(1, 22) and r.facts["temperature_c"] == 37.2
    assert all(isinstance(v, str | int | float | bool | date | type(None))
               for v in r.facts.values())


# --- JSON and pickle round trips ----------------------------------------------------------

CBC_VALUES = st.one_of(st.none(), st.floats(0.0, 4.0))
TOXICITY = st.one_of(st.none(), st.builds(
    Toxicity, term=st.sampled_from(["Diarrhea", "Pneumonitis", "Febrile neutropenia"]),
    grade=st.integers(1, 4), category=st.sampled_from(list(ToxicityCategory)),
    infection=st.booleans()))


@st.composite
def recommendations(draw: st.DrawFn) -> DoseRecommendation:
    """The last result of a short random course (so states carry holds and counters)."""
    state: DosingState | int = 125
    on = C1D1
    result = None
    for _ in range(draw(st.integers(1, 5))):
        on += timedelta(days=draw(st.integers(0, 9)))
        value = draw(CBC_VALUES)
        tox = draw(TOXICITY)
        hold = state.hold if isinstance(state, DosingState) else None
        given = [] if tox is None else [tox.term.casefold()]
        resolved = [a.term for a in (hold.awaiting if hold else ()) if a.term.casefold()
                    not in given]
        result = recommend(
            state, rules=RULES, cycle=1 + (on - C1D1).days // 28,
            cycle_day=(on - C1D1).days % 28 + 1, assessed_on=on,
            cbc=None if value is None else anc(on, value),
            toxicities=[] if tox is None else [tox], resolved=resolved,
            temperature_c=draw(st.one_of(st.none(), st.floats(36.0, 40.0))),
            child_pugh_class=draw(st.sampled_from([None, *ChildPughClass])))
        state = result.state
    assert result is not None
    return result


@st.composite
def exposures(draw: st.DrawFn) -> ExposureSummary:
    days = draw(st.integers(1, 40))
    diary = []
    for i in range(days):
        prescribed = draw(st.sampled_from([125, 100, 75]))
        held = draw(st.booleans())
        taken = 0 if held else draw(st.sampled_from([0, prescribed]))
        diary.append(DiaryEntry(C1D1 + timedelta(days=i), prescribed, taken, held))
    dispensings = [CapsuleDispensing(C1D1, 125, dispensed=draw(st.integers(0, 60)),
                                     returned=draw(st.integers(0, 10)))]
    return summarise_exposure(diary, period_start=C1D1, dispensings=dispensings, rules=RULES)


@given(result=recommendations())
def test_dose_recommendation_round_trips_through_json(result: DoseRecommendation) -> None:
    """JSON -> object -> JSON gives the same text; pickle gives an equal object."""
    text = to_json(result)
    again = from_json(DoseRecommendation, text)
    assert to_json(again) == text
    assert (again.code, again.action, again.dose_mg, again.state) == (
        result.code, result.action, result.dose_mg, result.state)
    assert pickle.loads(pickle.dumps(result)) == result


@given(summary=exposures())
def test_exposure_summary_round_trips_through_json(summary: ExposureSummary) -> None:
    text = to_json(summary)
    assert to_json(from_json(ExposureSummary, text)) == text
    assert pickle.loads(pickle.dumps(summary)) == summary
