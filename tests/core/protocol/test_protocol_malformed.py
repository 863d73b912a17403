"""Malformed protocol files fail at load time with every problem, its place and its fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from oncotrial.errors import ProtocolError
from oncotrial.protocol import bundled_protocol_path, parse_protocol

BASE: dict[str, Any] = yaml.safe_load(bundled_protocol_path().read_text(encoding="utf-8"))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for p in parents:
            node = node[p]
        node[last] = value
    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for p in parents:
            node = node[p]
        del node[last]
    return mutate


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


# (mutation, expected path in the report, expected words in the message, case id)
CASES = [
    (_set("intervention.schedul", {"days_on": 21}), "intervention.schedul",
     "unknown key 'schedul'", "a misspelt key is unknown, and the fix suggests 'schedule'"),
    (_set("visits.0.window", {"start_day": 5, "end_day": -3}), "visits[0] (SCR).window",
     "window starts on day 5, after its end on day -3",
     "a visit window whose start is after its end"),
    (_set("intervention.starting_dose_mg", 150), "intervention.starting_dose_mg",
     "starting dose 150 mg is not dose level 0", "a starting dose that is not a dose level"),
    (_set("intervention.dose_modification.interacting_drugs.0.dose_mg", 50),
     "intervention.dose_modification.interacting_drugs[0] (strong_cyp3a_inhibitor).dose_mg",
     "strong_cyp3a_inhibitor dose 50 mg is not a dose level",
     "a CYP3A-inhibitor dose that is not a dose level"),
    (_set("criteria.inclusion.10.rule.rules.0.field", "anc_count"),
     "criteria.inclusion[10] (I11).rule.rules[0].field", "unknown screening field 'anc_count'",
     "a criterion rule that names an unknown field"),
    (_set("criteria.exclusion.4.rule.check", "hepatitis"),
     "criteria.exclusion[4] (E5).rule.check", "unknown check 'hepatitis'",
     "a criterion rule that names an unknown check"),
    (_set("enrolment.target", "many"), "enrolment.target", "valid integer",
     "a target enrolment that is not a number"),
    (_set("intervention.schedule.days_off", 14), "intervention.schedule",
     "not the cycle length 28", "days on plus days off that do not make a cycle"),
    (_set("intervention.dose_levels",
          [{"level": 0, "dose_mg": 125}, {"level": -1, "dose_mg": 150}]),
     "intervention.dose_levels", "do not decrease", "a reduction level with a higher dose"),
    (_delete("endpoints.pfs.sources"), "endpoints.pfs", "no source given for",
     "a section whose values have no source"),
    (_set("endpoints.os.sources.definition", {"source": "clarification", "reason": "why"}),
     "endpoints.os.sources.definition", "a clarification needs 'ref'",
     "a clarification without its PN note"),
    (_set("endpoints.pfs.sources.landmarks_months", {"source": "assumption"}),
     "endpoints.pfs.sources.landmarks_months", "needs a one-line 'reason'",
     "an assumption without a reason"),
    (_set("criteria.exclusion.0.id", "I1"), "criteria", "does not start with 'E'",
     "an exclusion criterion numbered as an inclusion"),
    (_set("criteria.inclusion.1.rule", {"kind": "compare", "field": "ecog", "op": ">=",
                                         "value": 1, "times_uln": 2}),
     "criteria.inclusion[1] (I2).rule", "exactly one of value, times_uln",
     "a comparison with two limits"),
    (_set("criteria.inclusion.1.rule", {"kind": "maybe", "field": "ecog"}),
     "criteria.inclusion[1] (I2).rule", "no valid 'kind'", "a rule of an unknown kind"),
    (_set("endpoints.assessment_window_days", 30), "endpoints", "overlaps the next assessment",
     "an assessment window wider than half the interval"),
    (_set("enrolment.min_age_years", 80), "enrolment", "minimum age 80 is above maximum age 75",
     "an age range upside down"),
    (_set("standards.ae_grading", "CTCAE v6"), "standards.ae_grading", "not allowed",
     "an unknown grading system"),
    (_set("study.start_date", "15/01/2024"), "study.start_date", "date",
     "a date not written as YYYY-MM-DD"),
    (_set("endpoints.dcr.confirmation_min_days", 21), "endpoints",
     "dcr and orr confirm CR/PR differently", "DCR confirming responses unlike ORR"),
    (_set("endpoints.conf_level", 95), "endpoints.conf_level", "less than 1",
     "a confidence level given as a percentage"),
    (lambda doc: doc["intervention"]["dose_modification"]["toxicity_rules"][6].update(
        min_grade=4, max_grade=None),
     "intervention.dose_modification.toxicity_rules[6] (pneumonitis_grade2)",
     "rule pneumonitis_grade2 never applies: rule pneumonitis_grade3",
     "a pneumonitis hold rule that the discontinuation rule always overrides"),
    (_set("intervention.dose_modification.toxicity_rules.0.resume_dose", None),
     "intervention.dose_modification.toxicity_rules[0] (heme_grade4).resume_dose",
     "a hold rule needs resume_dose", "a hold rule that does not say how to resume"),
    (_set("intervention.dose_modification.toxicity_rules.1.id", "below_lowest_level"),
     "intervention.dose_modification.toxicity_rules[1] (below_lowest_level).id",
     "a reason the dosing engine gives by itself", "a rule id the engine uses itself"),
]


@pytest.mark.parametrize(("mutate", "path", "words", "why"), CASES, ids=[c[3] for c in CASES])
def test_malformed_protocol_is_reported(mutate, path: str, words: str, why: str) -> None:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    with pytest.raises(ProtocolError) as info:
        parse_protocol(yaml.safe_dump(doc, allow_unicode=True), source="bad.yaml")
    found = [p for p in info.value.problems if p.path == path]
    assert found, f"no problem at {path}: {info.value}"
    assert any(words in p.message for p in found), str(info.value)
    assert all(p.hint for p in found), "every problem says how to fix it"


def test_every_problem_is_reported_at_once() -> None:
    """Three independent mistakes give three problems in one error."""
    doc = copy.deepcopy(BASE)
    doc["enrolment"]["target"] = 0
    doc["visits"][4]["window"] = {"start_day": 70, "end_day": 49}
    doc["criteria"]["inclusion"][0]["rule"]["field"] = "age"
    with pytest.raises(ProtocolError) as info:
        parse_protocol(yaml.safe_dump(doc, allow_unicode=True))
    paths = {p.path for p in info.value.problems}
    assert {"enrolment.target", "visits[4] (TA).window",
            "criteria.inclusion[0] (I1).rule.field"} <= paths
    assert "has 3 problems" in str(info.value)


def test_problems_behind_an_unknown_key_are_reported_too() -> None:
    """A misspelt key does not hide the section's cross-field problem (starting dose)."""
    doc = copy.deepcopy(BASE)
    doc["intervention"]["schedul"] = {}
    doc["intervention"]["starting_dose_mg"] = 150
    with pytest.raises(ProtocolError) as info:
        parse_protocol(yaml.safe_dump(doc, allow_unicode=True))
    messages = [p.message for p in info.value.problems]
    assert "unknown key 'schedul'" in messages
    assert any("starting dose 150 mg is not dose level 0" in m for m in messages)


def test_unknown_key_hint_suggests_the_right_spelling() -> None:
    doc = copy.deepcopy(BASE)
    doc["intervention"]["schedul"] = {}
    with pytest.raises(ProtocolError) as info:
        parse_protocol(yaml.safe_dump(doc, allow_unicode=True))
    assert "Did you mean 'schedule'?" in str(info.value)


@pytest.mark.parametrize(("text", "words"), [
    ("study: [unclosed", "not valid YAML"),
    ("- just\n- a list\n", "must hold a mapping"),
    ("schema_version: 1\nschema_version: 1\n", "appears twice"),
], ids=["broken YAML", "a list instead of sections", "a key given twice"])
def test_unreadable_files_are_reported(text: str, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        parse_protocol(text)


def test_missing_file_is_reported(tmp_path) -> None:
    from oncotrial.protocol import load_protocol

    with pytest.raises(ProtocolError, match="does not exist"):
        load_protocol(tmp_path / "nope.yaml")
