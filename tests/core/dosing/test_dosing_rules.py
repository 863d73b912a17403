"""DosingRules: a thin view over the protocol's intervention section, read once.

NCT06478927's values are the label's: IBRANCE USPI 2019 section 2.2 Table 1 (125/100/75 mg),
section 2.1 (21/7, 28 days), Table 2 (38.5 C, 7 days), sections 2.2 and 7.1 (75 mg with a
strong CYP3A inhibitor), 2.2 and 8.6 (Child-Pugh C 75 mg).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oncotrial.dosing import CbcTerm, Cyp3aEffect, DosingRules
from oncotrial.errors import InputError, ProtocolError
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import ChildPughClass, Grade

RULES = DosingRules.from_protocol(load_bundled_protocol())


def test_label_values_come_from_the_protocol_section() -> None:
    r = RULES
    assert r.dose_levels_mg == (125, 100, 75) and r.starting_dose_mg == 125
    assert (r.days_on, r.days_off, r.cycle_length_days) == (21, 7, 28)
    assert r.allow_reescalation is False
    assert r.fever_threshold_c == 38.5
    assert r.blood_count_resume_grade == Grade.G2
    assert (r.blood_counts.mid_cycle_day, r.blood_counts.mid_cycle_cycles) == (15, [1, 2])
    assert r.rule_dose_mg["strong_cyp3a_inhibitor"] == 75
    assert r.hepatic[ChildPughClass.C].action == "lowest_level"
    assert r.interacting[Cyp3aEffect.STRONG_INDUCER].action == "alert"
    assert r.counted_terms == frozenset(CbcTerm)
    assert r.clinical_event_terms == {CbcTerm.LYMPHOCYTE}
    assert r.next_lower_dose_mg(125) == 100 and r.next_lower_dose_mg(75) is None
    assert r.intervention is load_bundled_protocol().intervention  # a view, not a copy


def test_next_lower_dose_refuses_a_dose_that_is_not_a_level() -> None:
    """IBRANCE USPI 2019 section 2.2 Table 1: the dose levels are 125, 100 and 75 mg; a dose of
    90 mg is none of them, so it has no next lower level. The refusal is an InputError that
    names the dose and lists the protocol's levels, not a bare ValueError from a lookup."""
    with pytest.raises(InputError, match=r"90 mg is not one of the protocol's dose levels "
                                         r"\(125/100/75 mg\)") as info:
        RULES.next_lower_dose_mg(90)
    assert (info.value.field, info.value.value) == ("dose_mg", 90)


def test_rules_are_grouped_by_category() -> None:
    assert [x.id for x in RULES.non_haematological_rules] == ["nonheme_grade3", "nonheme_grade4"]
    assert [x.id for x in RULES.listed_term_rules["pneumonitis"]] == [
        "pneumonitis_grade2", "pneumonitis_grade3"]


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
    """IBRANCE USPI 2019 sections 7.1-7.2 (tenofovir and entecavir are not CYP3A modulators)."""
    assert RULES.classify_comedication(name) == expected


def test_fractional_mg_is_refused_listing_every_dose(
        make_rules: Callable[..., DosingRules]) -> None:
    """The engine prescribes whole mg: every fractional dose is listed in one error."""
    with pytest.raises(ProtocolError) as info:
        make_rules(dose_levels=[{"level": 0, "dose_mg": 125.5}, {"level": -1, "dose_mg": 100},
                                {"level": -2, "dose_mg": 75.5}], starting_dose_mg=125.5,
                   dose_modification__interacting_drugs__0__dose_mg=75.5)
    paths = [p.path for p in info.value.problems]
    assert paths == ["intervention.dose_levels[0].dose_mg", "intervention.dose_levels[-2].dose_mg",
                     "intervention.dose_modification.interacting_drugs[0] "
                     "(strong_cyp3a_inhibitor).dose_mg"]
    assert all("whole" in p.message and p.hint for p in info.value.problems)


def test_bundled_protocol_adopts_the_label() -> None:
    """PN-10: the NCT06478927 protocol uses the label's schedule and modification rules, each
    rule citing the label section it comes from."""
    citations = [r.citation for r in RULES.intervention.dose_modification.toxicity_rules]
    assert all(c.startswith("IBRANCE USPI 2019 section") for c in citations)
    assert DosingRules.from_protocol(load_bundled_protocol()) == RULES
