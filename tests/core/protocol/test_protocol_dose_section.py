"""The intervention's dose-modification section: drug-neutral rules, every problem reported at
once with its place in the file and its fix (docs/protocol.md, "DoseModification")."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncotrial.errors import ProtocolError
from oncotrial.protocol import bundled_protocol_path, load_bundled_protocol, parse_protocol

BASE: dict[str, Any] = yaml.safe_load(bundled_protocol_path().read_text(encoding="utf-8"))
OTHER = Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"
MOD = "intervention.dose_modification"


def _problems(mutate: Any) -> list[tuple[str, str, str]]:
    doc = copy.deepcopy(BASE)
    mutate(doc["intervention"]["dose_modification"])
    with pytest.raises(ProtocolError) as info:
        parse_protocol(yaml.safe_dump(doc, allow_unicode=True), source="bad.yaml")
    return [(p.path, p.message, p.hint) for p in info.value.problems]


def test_bundled_section_describes_the_label_in_drug_neutral_rules() -> None:
    """NCT06478927 (PN-10): the label's rows are rules with ids, categories, grades, days,
    actions and citations; interacting drugs and hepatic impairment are rules too."""
    mod = load_bundled_protocol().intervention.dose_modification
    assert [(r.id, r.category, r.action) for r in mod.toxicity_rules] == [
        ("heme_grade4", "haematological", "hold"),
        ("heme_febrile_neutropenia", "haematological", "hold"),
        ("heme_grade3_day1", "haematological", "hold"),
        ("heme_grade3_mid_cycle", "haematological", "continue"),
        ("nonheme_grade3", "non_haematological", "hold"),
        ("nonheme_grade4", "non_haematological", "hold"),
        ("pneumonitis_grade2", "listed_terms", "hold"),
        ("pneumonitis_grade3", "listed_terms", "discontinue"),
    ]
    assert [(r.id, r.action, r.dose_mg) for r in mod.interacting_drugs] == [
        ("strong_cyp3a_inhibitor", "dose_level", 75), ("strong_cyp3a_inducer", "alert", None),
        ("moderate_cyp3a_inducer", "caution", None)]
    assert [(r.child_pugh_class, r.action) for r in mod.hepatic_impairment] == [
        ("C", "lowest_level")]
    day1 = mod.toxicity_rules[2]
    assert (day1.min_grade, day1.max_grade, day1.when, day1.resume_at_grade, day1.resume_dose,
            day1.recheck_within_days, day1.prolonged_recovery_days) == (
        3, 3, "day1", 2, "same", 7, 7)
    assert mod.toxicity_rules[6].resume_dose == "investigator"


def test_the_second_protocol_does_not_copy_palbociclibs_rules() -> None:
    """The made-up examplinib trial uses the same schema with rules of its own."""
    from oncotrial.protocol import load_protocol

    mod = load_protocol(OTHER).intervention.dose_modification
    assert [(r.id, r.when, r.min_grade, r.action, r.resume_dose) for r in mod.toxicity_rules] == [
        ("heme_grade3", "any_day", 3, "hold", "next_lower"),
        ("platelets_grade2", "any_day", 2, "continue", None),
        ("nonheme_grade3", "any_day", 3, "hold", "next_lower"),
        ("transaminases_grade3", "any_day", 3, "hold", "next_lower"),
        ("transaminases_grade4", "any_day", 4, "discontinue", None),
        ("pneumonitis_grade1", "any_day", 1, "hold", "same"),
        ("pneumonitis_grade2", "any_day", 2, "discontinue", None),
    ]
    assert mod.blood_counts.counted_terms == ["Neutrophil count decreased",
                                              "Platelet count decreased"]
    assert [(r.child_pugh_class, r.action) for r in mod.hepatic_impairment] == [
        ("B", "dose_level"), ("C", "discontinue")]


def test_every_problem_of_the_section_is_reported_at_once() -> None:
    """Four independent mistakes inside the rules give four problems, each at its place."""
    def mutate(mod: dict[str, Any]) -> None:
        mod["toxicity_rules"][0]["resume_at_grade"] = 4         # not below min_grade 4
        mod["toxicity_rules"][1]["fever_c"] = None               # fever rule without a fever
        mod["toxicity_rules"][6]["resume_dose"] = "later"        # not an allowed value
        mod["blood_counts"]["counted_terms"] = ["Neutrophil count decreased",  # no lymphocytes
                                                "Platelet count decreased"]
    found = _problems(mutate)
    assert sorted(p for p, _, _ in found) == [
        f"{MOD}.blood_counts.terms_needing_clinical_event",
        f"{MOD}.toxicity_rules[0] (heme_grade4).resume_at_grade",
        f"{MOD}.toxicity_rules[1] (heme_febrile_neutropenia).fever_c",
        f"{MOD}.toxicity_rules[6] (pneumonitis_grade2).resume_dose",
    ]
    assert all(hint for _, _, hint in found), "every problem says how to fix it"


def test_problems_across_rules_are_reported_at_once() -> None:
    """Once each rule is valid, the checks across rules report every problem together: an id
    used twice, two rules for one CYP3A effect, a rule that never applies."""
    def mutate(mod: dict[str, Any]) -> None:
        mod["toxicity_rules"][4]["id"] = "heme_grade4"
        mod["interacting_drugs"][2]["effect"] = "strong_inducer"
        mod["toxicity_rules"][6].update(min_grade=4, max_grade=None)
    found = _problems(mutate)
    assert sorted(p for p, _, _ in found) == [
        f"{MOD}.interacting_drugs[2] (moderate_cyp3a_inducer).effect",
        f"{MOD}.toxicity_rules[4] (heme_grade4).id",
        f"{MOD}.toxicity_rules[6] (pneumonitis_grade2)",
    ]
    # The dose-level check sits a level up and is reported once the section itself is valid.
    doc_problems = _problems(lambda mod: mod["interacting_drugs"][0].update(dose_mg=60))
    assert [p for p, _, _ in doc_problems] == [
        f"{MOD}.interacting_drugs[0] (strong_cyp3a_inhibitor).dose_mg"]


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"action": "continue"}, "resume_at_grade", "belongs to a hold rule"),
    ({"category": "listed_terms"}, "terms", "lists no terms"),
    ({"terms": ["Neutropenia"]}, "terms", "is not graded from a blood count"),
    ({"max_grade": 2}, "max_grade", "is below min_grade"),
    ({"cycles": [1]}, "cycles", "need when: day1 or mid_cycle"),
], ids=["hold fields on a continue rule", "listed terms without terms",
        "a blood-count rule on a non-blood-count term", "grades upside down",
        "cycles without a day"])
def test_a_rule_missing_or_misusing_a_field_is_refused(change: dict[str, Any], path: str,
                                                       words: str) -> None:
    found = _problems(lambda mod: mod["toxicity_rules"][0].update(change))
    at = [(m, h) for p, m, h in found if p.endswith(f"(heme_grade4).{path}")]
    assert at and any(words in m for m, _ in at) and all(h for _, h in at), found
