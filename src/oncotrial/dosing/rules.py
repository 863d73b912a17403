"""The dose-modification rules as the engine reads them: :class:`DosingRules`.

There is one model of the rules: the protocol file's ``intervention`` section
(:class:`oncotrial.protocol.model.Intervention`, documented in ``docs/protocol.md``), validated
once when the file loads. :class:`DosingRules` is a thin view over it, built explicitly with
:meth:`DosingRules.from_protocol`: it keeps the section itself and adds what the engine looks
up on every call (dose levels in whole mg, the rules grouped by category, the drug lists). No
number of the rules is copied or defaulted here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from oncotrial.dosing.model import CbcTerm, Cyp3aEffect
from oncotrial.errors import InputError, ProtocolError, ProtocolProblem
from oncotrial.protocol.model import (
    BloodCountMonitoring,
    HepaticImpairmentRule,
    InteractingDrugRule,
    Intervention,
    Protocol,
    ToxicityRule,
)
from oncotrial.records import ChildPughClass, Grade

__all__ = ["DosingRules"]


def _whole_mg(path: str, value: float, problems: list[ProtocolProblem]) -> int:
    if float(value).is_integer():
        return int(value)
    problems.append(ProtocolProblem(
        path, f"is {value:g} mg; the dosing engine prescribes whole mg",
        "Use a whole number of mg (the engine cannot split a dose level)."))
    return round(value)


@dataclass(frozen=True, slots=True)
class DosingRules:
    """The protocol's dose levels, schedule and modification rules, ready for the engine.

    ``intervention`` is the protocol section; everything else is derived from it. Build it
    with :meth:`from_protocol` (a :class:`~oncotrial.protocol.Protocol`) or
    :meth:`from_intervention`.

    Raises:
        ProtocolError: a dose (a level or a rule's ``dose_mg``) is not a whole number of mg,
            listing every such dose at once.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = DosingRules.from_protocol(load_bundled_protocol())
    >>> rules.dose_levels_mg, rules.starting_dose_mg, rules.lowest_dose_mg
    ((125, 100, 75), 125, 75)
    >>> rules.next_lower_dose_mg(125), rules.next_lower_dose_mg(75) is None
    (100, True)
    >>> [r.id for r in rules.haematological_rules]
    ['heme_grade4', 'heme_febrile_neutropenia', 'heme_grade3_day1', 'heme_grade3_mid_cycle']
    """

    intervention: Intervention
    source: str = field(default="protocol intervention section", compare=False)
    dose_levels_mg: tuple[int, ...] = field(init=False, compare=False)
    haematological_rules: tuple[ToxicityRule, ...] = field(init=False, compare=False, repr=False)
    non_haematological_rules: tuple[ToxicityRule, ...] = field(init=False, compare=False,
                                                               repr=False)
    listed_term_rules: Mapping[str, tuple[ToxicityRule, ...]] = field(
        init=False, compare=False, repr=False, hash=False)
    counted_terms: frozenset[CbcTerm] = field(init=False, compare=False, repr=False)
    clinical_event_terms: frozenset[CbcTerm] = field(init=False, compare=False, repr=False)
    interacting: Mapping[Cyp3aEffect, InteractingDrugRule] = field(
        init=False, compare=False, repr=False, hash=False)
    rule_dose_mg: Mapping[str, int] = field(init=False, compare=False, repr=False,
                                                   hash=False)
    hepatic: Mapping[ChildPughClass, HepaticImpairmentRule] = field(
        init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        iv = self.intervention
        mod = iv.dose_modification
        problems: list[ProtocolProblem] = []
        levels = sorted(iv.dose_levels, key=lambda d: -d.level)
        self._set("dose_levels_mg", tuple(
            _whole_mg(f"intervention.dose_levels[{d.level}].dose_mg", d.dose_mg, problems)
            for d in levels))
        doses: dict[str, int] = {}
        for i, drug in enumerate(mod.interacting_drugs):
            if drug.dose_mg is not None:
                doses[drug.id] = _whole_mg(
                    f"intervention.dose_modification.interacting_drugs[{i}] ({drug.id}).dose_mg",
                    drug.dose_mg, problems)
        for i, hep in enumerate(mod.hepatic_impairment):
            if hep.dose_mg is not None:
                doses[hep.id] = _whole_mg(
                    f"intervention.dose_modification.hepatic_impairment[{i}] ({hep.id}).dose_mg",
                    hep.dose_mg, problems)
        if problems:
            raise ProtocolError(self.source, problems)
        self._set("rule_dose_mg", MappingProxyType(doses))
        by_category = {c: tuple(r for r in mod.toxicity_rules if r.category == c)
                       for c in ("haematological", "non_haematological", "listed_terms")}
        self._set("haematological_rules", by_category["haematological"])
        self._set("non_haematological_rules", by_category["non_haematological"])
        listed: dict[str, tuple[ToxicityRule, ...]] = {}
        for rule in by_category["listed_terms"]:
            for term in rule.terms:
                key = term.strip().casefold()
                listed[key] = (*listed.get(key, ()), rule)
        self._set("listed_term_rules", MappingProxyType(listed))
        blood = mod.blood_counts
        self._set("counted_terms", frozenset(CbcTerm(t) for t in blood.counted_terms))
        self._set("clinical_event_terms",
                  frozenset(CbcTerm(t) for t in blood.terms_needing_clinical_event))
        self._set("interacting", MappingProxyType(
            {Cyp3aEffect(r.effect): r for r in mod.interacting_drugs}))
        self._set("hepatic", MappingProxyType(
            {ChildPughClass(r.child_pugh_class): r for r in mod.hepatic_impairment}))

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # The derived look-up tables are read-only mapping proxies, which do not pickle; the
        # rules are rebuilt from the protocol section they were read from.
        return (type(self), (self.intervention, self.source))

    @classmethod
    def from_protocol(cls, protocol: Protocol | Any) -> DosingRules:
        """The rules of a loaded protocol (its ``intervention`` section).

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> DosingRules.from_protocol(load_bundled_protocol()).drug
        'palbociclib'
        """
        registry_id = getattr(getattr(protocol, "study", None), "registry_id", "protocol")
        return cls(protocol.intervention, source=f"{registry_id} intervention section")

    @classmethod
    def from_intervention(cls, intervention: Intervention) -> DosingRules:
        """The rules of a validated ``intervention`` section on its own."""
        return cls(intervention)

    # --- the protocol section, as the engine reads it -------------------------------------

    @property
    def drug(self) -> str:
        """The study drug's name, for the sentences people read."""
        return self.intervention.drug

    @property
    def starting_dose_mg(self) -> int:
        """Dose level 0."""
        return self.dose_levels_mg[0]

    @property
    def lowest_dose_mg(self) -> int:
        """The lowest dose level; a reduction below it means discontinuation."""
        return self.dose_levels_mg[-1]

    @property
    def allow_reescalation(self) -> bool:
        """Whether the protocol lets the investigator raise the dose level after a reduction."""
        return self.intervention.dose_modification.re_escalation_allowed

    @property
    def days_on(self) -> int:
        """Dosing days per cycle."""
        return self.intervention.schedule.days_on

    @property
    def days_off(self) -> int:
        """Rest days per cycle."""
        return self.intervention.schedule.days_off

    @property
    def cycle_length_days(self) -> int:
        """Days per cycle."""
        return self.intervention.schedule.cycle_length_days

    @property
    def blood_counts(self) -> BloodCountMonitoring:
        """When blood counts are taken and which terms count."""
        return self.intervention.dose_modification.blood_counts

    @property
    def blood_count_resume_grade(self) -> Grade | None:
        """The grade every counted blood-count term must reach before any resumption: the
        strictest ``resume_at_grade`` of the haematological hold rules (None: no such rule)."""
        grades = [r.resume_at_grade for r in self.haematological_rules
                  if r.action == "hold" and r.resume_at_grade is not None]
        return Grade(min(grades)) if grades else None

    @property
    def fever_threshold_c(self) -> float | None:
        """The lowest fever of the fever-or-infection rules (None: no such rule)."""
        fevers = [r.fever_c for r in self.haematological_rules if r.fever_c is not None]
        return min(fevers) if fevers else None

    def next_lower_dose_mg(self, dose_mg: int) -> int | None:
        """The next lower dose level, or None when ``dose_mg`` is the lowest (discontinue).

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> rules = DosingRules.from_protocol(load_bundled_protocol())
        >>> rules.next_lower_dose_mg(100)
        75
        >>> rules.next_lower_dose_mg(90)
        Traceback (most recent call last):
        ...
        oncotrial.errors.InputError: A dose of 90 mg was given. ... levels (125/100/75 mg). ...

        Raises:
            InputError: ``dose_mg`` is not one of the protocol's dose levels.
        """
        if dose_mg not in self.dose_levels_mg:
            levels = "/".join(str(d) for d in self.dose_levels_mg)
            raise InputError(
                f"A dose of {dose_mg} mg was given. {dose_mg} mg is not one of the protocol's "
                f"dose levels ({levels} mg).", field="dose_mg", value=dose_mg,
                hint="Enter one of the protocol's dose levels.")
        index = self.dose_levels_mg.index(dose_mg)
        return self.dose_levels_mg[index + 1] if index + 1 < len(self.dose_levels_mg) else None

    def is_dosing_day(self, cycle_day: int) -> bool:
        """True on the days on of a cycle (Days 1-21 with a 21/7 schedule)."""
        return 1 <= cycle_day <= self.days_on

    def classify_comedication(self, name: str) -> Cyp3aEffect | None:
        """A co-medication's CYP3A effect from the protocol's drug lists, or None.

        Matching ignores case and surrounding spaces; a listed name also matches a longer name
        that contains it as a word ("ritonavir" matches "lopinavir/ritonavir").

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> rules = DosingRules.from_protocol(load_bundled_protocol())
        >>> rules.classify_comedication("Lopinavir/Ritonavir")
        <Cyp3aEffect.STRONG_INHIBITOR: 'strong_inhibitor'>
        >>> rules.classify_comedication("St John's wort extract")
        <Cyp3aEffect.STRONG_INDUCER: 'strong_inducer'>
        >>> rules.classify_comedication("entecavir") is None
        True
        """
        words = set(re.split(r"[^a-z']+", name.casefold()))
        folded = name.strip().casefold()
        for effect, rule in self.interacting.items():
            for listed in rule.drugs:
                key = listed.strip().casefold()
                if key == folded or key in words or (" " in key and key in folded):
                    return effect
        return None
