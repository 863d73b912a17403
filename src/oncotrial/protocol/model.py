"""The protocol model: a single-arm oncology trial as a validated, frozen pydantic v2 object.

Everything trial-specific lives in a protocol file; this module is the schema, with no trial's
values in it. Every section records where each of its values came from in ``sources``:

``registry``       the value is in the registry text
``assumption``     the registry is silent; a default (from the label, a guideline or usual
                   practice) with a one-line reason
``clarification``  the registry is wrong or ambiguous; resolved by a protocol note ``PN-xx``
                   (``docs/protocol-notes.md``) with a one-line reason

A section's ``sources`` maps each of its own fields (or ``"*"`` for all the others) to a
provenance; nested sections carry their own. A field without provenance fails validation.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

from oncotrial.errors import UnknownTermError
from oncotrial.protocol._problems import closest, problem
from oncotrial.protocol.rules import Rule
from oncotrial.records import ChildPughClass

__all__ = [
    "AdverseEventEndpoint",
    "BloodCountMonitoring",
    "Criteria",
    "Criterion",
    "Design",
    "DoseLevel",
    "DoseModification",
    "Endpoints",
    "Enrolment",
    "HepaticImpairmentRule",
    "InteractingDrugRule",
    "Intervention",
    "OsEndpoint",
    "PfsEndpoint",
    "Protocol",
    "Provenance",
    "ResponseEndpoint",
    "Schedule",
    "ScreeningWindows",
    "Site",
    "Standards",
    "Study",
    "ToxicityRule",
    "Visit",
    "VisitWindow",
]

PN_PATTERN = r"^PN-\d{2}$"


class Provenance(BaseModel):
    """Where a value came from: the registry, an assumption, or a clarification (PN-xx)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["registry", "assumption", "clarification"]
    ref: str | None = Field(default=None, pattern=PN_PATTERN,
                            description="Protocol note id, e.g. PN-10.")
    reason: str | None = Field(default=None, description="One line: why this value.")
    needs_sponsor_confirmation: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `field: registry` is short for `field: {source: registry}`.
        return {"source": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _complete(self) -> Provenance:
        if self.source == "clarification" and not self.ref:
            raise problem("a clarification needs 'ref' (the PN-xx protocol note)",
                          "Add ref: PN-xx from docs/protocol-notes.md.")
        if self.source != "registry" and not (self.reason and self.reason.strip()):
            raise problem(f"an {self.source} needs a one-line 'reason'",
                          "Say in one line why this value was chosen.")
        if self.reason and "\n" in self.reason.strip():
            raise problem("'reason' must be one line", "Shorten it to a single sentence.")
        return self


class Section(BaseModel):
    """Base of every protocol section: closed to unknown keys, frozen, with provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: dict[str, Provenance] = Field(
        default_factory=dict,
        description="Provenance of each field of this section ('*' for all fields not listed).",
    )

    @model_validator(mode="after")
    def _every_value_has_a_source(self) -> Section:
        own = [name for name in type(self).model_fields if name != "sources"]
        unknown = [key for key in self.sources if key != "*" and key not in own]
        if unknown:
            raise problem(f"sources names {unknown[0]!r}, which is not a field of this section",
                          closest(unknown[0], own))
        if "*" in self.sources:
            return self
        missing = [name for name in own
                   if not _is_section_valued(getattr(self, name)) and name not in self.sources]
        if missing:
            raise problem(
                f"no source given for {', '.join(missing)}",
                "Add each under 'sources:' as registry, assumption (with reason) or "
                "clarification (with ref and reason).",
            )
        return self

    def provenance(self, name: str) -> Provenance | None:
        """The provenance of field ``name`` (its own entry, else the section's ``*``)."""
        return self.sources.get(name) or self.sources.get("*")


def _is_section_valued(value: object) -> bool:
    if isinstance(value, Section | Criteria):
        return True
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, Section) for v in value)


class Study(Section):
    """Identity of the study as registered."""

    registry_id: str = Field(pattern=r"^NCT\d{8}$|^[A-Z]{2,}[-\w]+$",
                             description="Registry number, e.g. NCT06478927.")
    registry: str = Field(description="Registry name, e.g. ClinicalTrials.gov.")
    title: str = Field(min_length=1, description="Brief title, verbatim.")
    sponsor: str = Field(min_length=1, description="Lead sponsor.")
    conditions: list[str] = Field(min_length=1, description="Conditions studied.")
    study_type: Literal["interventional", "observational"]
    phase: str = Field(description="Phase as registered (e.g. 'N/A', 'II').")
    phase_treated_as: str | None = Field(
        default=None, description="Phase used for reporting templates when the registry's is N/A.")
    status: str = Field(description="Recruitment status as registered.")
    start_date: dt.date | None = Field(default=None, description="Study start date.")
    estimated_completion_date: dt.date | None = Field(
        default=None, description="Estimated completion date.")
    brief_summary: str = Field(description="Registry brief summary, verbatim (read-only snapshot).")
    detailed_description: str = Field(
        default="", description="Registry detailed description, verbatim (read-only snapshot).")


class Site(Section):
    """A trial site."""

    name: str = Field(min_length=1)
    city: str
    region: str = ""
    country: str


class Design(Section):
    """Design: single-arm, open-label, no control, no randomisation."""

    allocation: Literal["single_group"] = Field(description="Only single-arm trials are modelled.")
    masking: Literal["open_label"]
    arms: Literal[1] = 1
    randomised: Literal[False] = False
    control: Literal["none", "historical"] = "none"


class Enrolment(Section):
    """Who and how many."""

    target: int = Field(ge=1, le=10_000, description="Planned number of patients.")
    sex: Literal["all", "female", "male"]
    min_age_years: int = Field(ge=0, le=120)
    max_age_years: int = Field(ge=0, le=120)
    age_reference: Literal["informed_consent", "enrolment", "first_dose"] = Field(
        description="Date on which age in completed years is taken.")

    @model_validator(mode="after")
    def _ages(self) -> Enrolment:
        if self.min_age_years > self.max_age_years:
            raise problem(f"minimum age {self.min_age_years} is above maximum age "
                          f"{self.max_age_years}", "Swap or correct the ages.")
        return self


BloodCountTerm = Literal["Neutrophil count decreased", "Platelet count decreased", "Anemia",
                         "White blood cell decreased", "Lymphocyte count decreased"]
"""The CTCAE v5.0 terms graded from a complete blood count."""

#: The reasons the dosing engine gives by itself (``dose.discontinue.below_lowest_level``...).
#: A protocol rule id becomes part of a result code too (``dose.hold.<id>``), so it may not be
#: one of these.
RESERVED_RULE_IDS = frozenset({
    "already_discontinued", "awaiting_recovery", "below_lowest_level", "blood_count_needed",
    "day_off", "fatal_event", "heme_prolonged_recovery", "investigator_decision",
    "next_lower_level", "prolonged_recovery", "same_dose", "washout_complete"})

_RULE_ID = r"^[a-z][a-z0-9_]*$"


def _report(title: str, problems: list[tuple[tuple[str | int, ...], str, str]],
            data: object) -> None:
    """Raise every problem of a dose section at once, each at its own place in the file."""
    if problems:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=problem(message, hint), loc=loc, input=data)
            for loc, message, hint in problems])


class DoseLevel(BaseModel):
    """One dose level: 0 is the starting dose, -1 the first reduction, and so on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: int = Field(le=0, description="0 = starting dose; -1, -2 = reductions.")
    dose_mg: float = Field(gt=0, description="Daily dose in mg.")


class Schedule(Section):
    """Cycle schedule: days on, days off, cycle length."""

    doses_per_day: int = Field(ge=1, le=4)
    days_on: int = Field(ge=1)
    days_off: int = Field(ge=0)
    cycle_length_days: int = Field(ge=1)
    take_with_food: bool

    @model_validator(mode="after")
    def _cycle(self) -> Schedule:
        if self.days_on + self.days_off != self.cycle_length_days:
            raise problem(
                f"days_on {self.days_on} + days_off {self.days_off} = "
                f"{self.days_on + self.days_off}, not the cycle length {self.cycle_length_days}",
                "Make days on plus days off equal the cycle length.",
            )
        return self


class BloodCountMonitoring(Section):
    """Blood counts for the dose rules: which CTCAE terms count, and when counts are taken."""

    counted_terms: list[BloodCountTerm] = Field(
        min_length=1, description="CTCAE terms the haematological rules grade from the CBC.")
    terms_needing_clinical_event: list[BloodCountTerm] = Field(
        default_factory=list, description="Counted only with a clinical event (lymphopenia "
        "with an opportunistic infection, IBRANCE USPI 2019 section 2.2 Table 2 footnote).")
    day1_max_age_days: int = Field(ge=0, description="Day-1 blood count at most this old.")
    mid_cycle_day: int = Field(ge=2, description="Cycle day of the mid-cycle blood count.")
    mid_cycle_cycles: list[int] = Field(default_factory=list,
                                        description="Cycles with a mid-cycle blood count.")
    relaxed_after_cycle: int | None = Field(
        default=None, ge=1, description="After this cycle, Day-1 counts may be spaced out.")
    relaxed_every_cycles: int = Field(default=1, ge=1, description="Spaced-out interval.")
    relaxed_max_worst_grade: int = Field(
        default=2, ge=0, le=4, description="Spacing out needs the worst neutropenia grade of "
        "the first cycles at or below this.")

    @model_validator(mode="after")
    def _terms(self) -> BloodCountMonitoring:
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        extra = [t for t in self.terms_needing_clinical_event if t not in self.counted_terms]
        if extra:
            problems.append((("terms_needing_clinical_event",),
                             f"{extra[0]!r} is not one of the counted_terms",
                             "List it under counted_terms too, or remove it here."))
        for name in ("counted_terms", "terms_needing_clinical_event"):
            terms = getattr(self, name)
            if len(set(terms)) != len(terms):
                problems.append(((name,), "a term is listed twice", "List each term once."))
        bad = [c for c in self.mid_cycle_cycles if c < 1]
        if bad:
            problems.append((("mid_cycle_cycles",), f"cycle {bad[0]} is not a cycle number",
                             "Cycles are numbered from 1."))
        _report("BloodCountMonitoring", problems, self)
        return self


class ToxicityRule(Section):
    """One dose-modification rule: which adverse events, from which grade, on which days, and
    what to do (continue with a re-check, hold until recovery, or discontinue).

    A reduction is a hold whose ``resume_dose`` is ``next_lower``; ``investigator`` leaves the
    restart (whether, and at which dose) to the investigator."""

    id: str = Field(pattern=_RULE_ID, description="Stable id, part of the result code.")
    category: Literal["haematological", "non_haematological", "listed_terms"]
    terms: list[str] = Field(default_factory=list, description="CTCAE terms the rule covers.")
    min_grade: int = Field(ge=1, le=5)
    max_grade: int | None = Field(default=None, ge=1, le=5)
    when: Literal["any_day", "day1", "mid_cycle"] = "any_day"
    cycles: list[int] = Field(default_factory=list,
                              description="Cycles the rule is written for (others: by analogy).")
    condition: Literal["none", "fever_or_infection", "despite_optimal_treatment"] = "none"
    fever_c: float | None = Field(default=None, ge=37.0, le=42.0)
    action: Literal["continue", "hold", "discontinue"]
    resume_at_grade: int | None = Field(default=None, ge=0, le=4)
    investigator_may_accept_grade: int | None = Field(default=None, ge=0, le=4)
    resume_dose: Literal["same", "next_lower", "investigator"] | None = None
    recheck_within_days: int | None = Field(default=None, ge=1)
    recheck_on_day: int | None = Field(default=None, ge=2)
    prolonged_recovery_days: int | None = Field(default=None, ge=1)
    flag_recurrence: bool = False
    citation: str = Field(min_length=1, description="The published rule, e.g. a label table.")

    @model_validator(mode="after")
    def _consistent(self) -> ToxicityRule:
        _report("ToxicityRule", _toxicity_rule_problems(self), self)
        return self

    @property
    def grades(self) -> str:
        """The grade range in words: ``"grade 3"``, ``"grade >= 3"``, ``"grade 2-3"``."""
        if self.max_grade == self.min_grade:
            return f"grade {self.min_grade}"
        if self.max_grade is None or self.max_grade == 5:
            return f"grade >= {self.min_grade}"
        return f"grade {self.min_grade}-{self.max_grade}"


def _toxicity_rule_problems(rule: ToxicityRule) -> list[tuple[tuple[str | int, ...], str, str]]:
    out: list[tuple[tuple[str | int, ...], str, str]] = []
    if rule.id in RESERVED_RULE_IDS:
        out.append((("id",), f"{rule.id!r} is a reason the dosing engine gives by itself",
                    f"Choose another id; reserved: {', '.join(sorted(RESERVED_RULE_IDS))}."))
    if rule.max_grade is not None and rule.max_grade < rule.min_grade:
        out.append((("max_grade",), f"max_grade {rule.max_grade} is below min_grade "
                    f"{rule.min_grade}", "Swap them, or leave max_grade out for 'and above'."))
    if rule.category == "listed_terms" and not rule.terms:
        out.append((("terms",), "a listed_terms rule lists no terms",
                    "List the CTCAE terms it covers, e.g. [Pneumonitis]."))
    if rule.category == "non_haematological" and rule.terms:
        out.append((("terms",), "a non_haematological rule covers every non-haematological "
                    "term", "Remove terms, or make it a listed_terms rule."))
    bad_terms = [t for t in rule.terms if rule.category == "haematological"
                 and t not in get_args(BloodCountTerm)]
    if bad_terms:
        out.append((("terms",), f"{bad_terms[0]!r} is not graded from a blood count",
                    f"Use: {', '.join(get_args(BloodCountTerm))}."))
    if (rule.condition == "fever_or_infection") != (rule.fever_c is not None):
        out.append((("fever_c",), "fever_c goes with condition fever_or_infection (and only "
                    "with it)", "Give both, e.g. condition: fever_or_infection, fever_c: 38.5."))
    if rule.condition == "fever_or_infection" and rule.category != "haematological":
        out.append((("condition",), "fever_or_infection applies to haematological rules",
                    "Use it on a haematological rule."))
    if rule.cycles and rule.when == "any_day":
        out.append((("cycles",), "cycles need when: day1 or mid_cycle",
                    "Set when, or remove cycles."))
    if rule.recheck_on_day is not None and (rule.when != "mid_cycle"
                                            or rule.action != "continue"):
        out.append((("recheck_on_day",), "recheck_on_day belongs to a mid_cycle continue rule",
                    "Remove it, or set when: mid_cycle and action: continue."))
    out += _hold_field_problems(rule)
    return out


def _hold_field_problems(rule: ToxicityRule) -> list[tuple[tuple[str | int, ...], str, str]]:
    out: list[tuple[tuple[str | int, ...], str, str]] = []
    hold_only = ("resume_at_grade", "investigator_may_accept_grade", "resume_dose",
                 "prolonged_recovery_days")
    if rule.action != "hold":
        out += [((name,), f"{name} belongs to a hold rule, not a {rule.action} rule",
                 "Remove it, or set action: hold.")
                for name in hold_only if getattr(rule, name) is not None]
        if rule.flag_recurrence:
            out.append((("flag_recurrence",), "flag_recurrence belongs to a hold rule",
                        "Remove it, or set action: hold."))
        return out
    out += [((name,), f"a hold rule needs {name}", hint) for name, hint in (
        ("resume_at_grade", "Give the grade to recover to before resuming, e.g. 2."),
        ("resume_dose", "Say how to resume: same, next_lower or investigator."),
        ("recheck_within_days", "Give the days within which to re-check, e.g. 7."),
    ) if getattr(rule, name) is None]
    if rule.resume_at_grade is not None and rule.resume_at_grade >= rule.min_grade:
        out.append((("resume_at_grade",), f"resume_at_grade {rule.resume_at_grade} is not below "
                    f"min_grade {rule.min_grade}", "Resume only after recovery below the "
                    "grade that holds."))
    accept = rule.investigator_may_accept_grade
    if accept is not None and not (rule.resume_at_grade or 0) <= accept < rule.min_grade:
        out.append((("investigator_may_accept_grade",), f"investigator_may_accept_grade "
                    f"{accept} is not between resume_at_grade and min_grade",
                    "It is the grade the investigator may accept instead, e.g. 2 with "
                    "resume_at_grade 1."))
    if rule.flag_recurrence and rule.when != "day1":
        out.append((("flag_recurrence",), "flag_recurrence is for Day-1 holds",
                    "Set when: day1, or remove it."))
    return out


class InteractingDrugRule(Section):
    """A rule for a concomitant drug that changes the study drug's exposure (CYP3A)."""

    id: str = Field(pattern=_RULE_ID, description="Stable id, part of the result code.")
    effect: Literal["strong_inhibitor", "moderate_inhibitor", "strong_inducer",
                    "moderate_inducer"]
    action: Literal["dose_level", "alert", "prohibit", "caution"]
    dose_mg: float | None = Field(default=None, gt=0)
    washout_half_lives: float | None = Field(default=None, gt=0)
    drugs: list[str] = Field(default_factory=list, description="Names checked automatically.")
    citation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> InteractingDrugRule:
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        if self.id in RESERVED_RULE_IDS:
            problems.append((("id",), f"{self.id!r} is a reason the dosing engine gives by "
                             "itself", "Choose another id."))
        for name, hint in (("dose_mg", "Give the dose level to use with the drug."),
                           ("washout_half_lives", "Give the half-lives to wait after the drug "
                            "stops, e.g. 5.")):
            if (self.action == "dose_level") != (getattr(self, name) is not None):
                problems.append(((name,), f"{name} goes with action dose_level (and only "
                                 "with it)", hint))
        if any(not d.strip() for d in self.drugs):
            problems.append((("drugs",), "a drug name is empty", "Remove the empty entry."))
        _report("InteractingDrugRule", problems, self)
        return self


class HepaticImpairmentRule(Section):
    """What a Child-Pugh class on study triggers (Pugh et al. 1973 classes A, B, C)."""

    id: str = Field(pattern=_RULE_ID, description="Stable id, part of the result code.")
    child_pugh_class: ChildPughClass
    action: Literal["lowest_level", "dose_level", "discontinue"]
    dose_mg: float | None = Field(default=None, gt=0)
    citation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> HepaticImpairmentRule:
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        if self.id in RESERVED_RULE_IDS:
            problems.append((("id",), f"{self.id!r} is a reason the dosing engine gives by "
                             "itself", "Choose another id."))
        if (self.action == "dose_level") != (self.dose_mg is not None):
            problems.append((("dose_mg",), "dose_mg goes with action dose_level (and only "
                             "with it)", "Give the dose level, or change the action."))
        _report("HepaticImpairmentRule", problems, self)
        return self


_SEVERITY = {"continue": 0, "hold": 1, "discontinue": 2}


class DoseModification(Section):
    """Hold / reduce / discontinue rules in drug-neutral terms (defaults from the drug label).

    ``toxicity_rules`` are matched by category, grade, cycle day and condition; when several
    match the same event, the strictest action applies (discontinue, hold, continue).
    """

    re_escalation_allowed: bool
    below_lowest_level: Literal["discontinue"] = "discontinue"
    blood_counts: BloodCountMonitoring
    toxicity_rules: list[ToxicityRule] = Field(min_length=1)
    interacting_drugs: list[InteractingDrugRule] = Field(default_factory=list)
    hepatic_impairment: list[HepaticImpairmentRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> DoseModification:
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        seen: dict[str, str] = {}
        for name in ("toxicity_rules", "interacting_drugs", "hepatic_impairment"):
            for i, rule in enumerate(getattr(self, name)):
                if rule.id in seen:
                    problems.append(((name, i, "id"), f"rule id {rule.id!r} is used twice "
                                     f"(also in {seen[rule.id]})", "Give each rule its own id."))
                seen.setdefault(rule.id, name)
        for name, key in (("interacting_drugs", "effect"),
                          ("hepatic_impairment", "child_pugh_class")):
            values = [getattr(r, key) for r in getattr(self, name)]
            problems += [((name, i, key), f"two rules for {key} {v!r}",
                          "Keep one rule per value.")
                         for i, v in enumerate(values) if v in values[:i]]
        counted = set(self.blood_counts.counted_terms)
        for i, rule in enumerate(self.toxicity_rules):
            missing = [t for t in rule.terms if rule.category == "haematological"
                       and t in get_args(BloodCountTerm) and t not in counted]
            if missing:
                problems.append((("toxicity_rules", i, "terms"), f"{missing[0]!r} is not one "
                                 "of blood_counts.counted_terms",
                                 "Count the term, or remove it from the rule."))
            shadow = _shadowing_rule(rule, self.toxicity_rules)
            if shadow is not None:
                problems.append((("toxicity_rules", i), f"rule {rule.id} never applies: rule "
                                 f"{shadow.id} ({shadow.action}, {shadow.grades}) covers the "
                                 f"same events at {rule.grades} with a stricter action",
                                 "Narrow or reorder the grades so each rule has events of "
                                 "its own."))
        _report("DoseModification", problems, self)
        return self


def _shadowing_rule(rule: ToxicityRule, rules: list[ToxicityRule]) -> ToxicityRule | None:
    """A stricter rule that covers every event ``rule`` covers, or None."""
    for other in rules:
        if other is rule or _SEVERITY[other.action] <= _SEVERITY[rule.action]:
            continue
        same_events = (other.category == rule.category and other.when in ("any_day", rule.when)
                       and other.condition in ("none", rule.condition)
                       and _within(rule.terms, other.terms) and _within(rule.cycles, other.cycles))
        top, other_top = rule.max_grade or 5, other.max_grade or 5
        if same_events and other.min_grade <= rule.min_grade and top <= other_top:
            return other
    return None


def _within(narrow: list[Any], wide: list[Any]) -> bool:
    """True when ``narrow`` is inside ``wide``; an empty list means "all"."""
    return not wide or (bool(narrow) and set(narrow) <= set(wide))


class Intervention(Section):
    """The study drug, its dose levels, schedule and modification rules."""

    drug: str = Field(min_length=1)
    formulation: Literal["capsule", "tablet", "oral_solution", "injection", "infusion"]
    route: Literal["oral", "intravenous", "subcutaneous", "intramuscular"]
    frequency: str = Field(description="As registered, e.g. 'qd' (once daily).")
    dose_levels: list[DoseLevel] = Field(min_length=1)
    starting_dose_mg: float = Field(gt=0)
    schedule: Schedule
    dose_modification: DoseModification
    excipients: list[str] = Field(default_factory=list)
    contraception_months_after_last_dose: int = Field(ge=0)

    @field_validator("dose_levels")
    @classmethod
    def _levels(cls, levels: list[DoseLevel]) -> list[DoseLevel]:
        numbers = [d.level for d in levels]
        doses = [d.dose_mg for d in levels]
        if sorted(numbers, reverse=True) != list(range(0, -len(levels), -1)):
            raise problem(f"dose levels are numbered {numbers}",
                          "Number them 0 (starting), -1, -2, ... in that order.")
        if any(a <= b for a, b in itertools.pairwise(doses)):
            raise problem(f"doses {doses} do not decrease from level to level",
                          "Each reduction level must have a lower dose than the one before.")
        return levels

    @model_validator(mode="after")
    def _doses_and_days(self) -> Intervention:
        allowed = {d.dose_mg for d in self.dose_levels}
        shown = ", ".join(f"{d:g}" for d in sorted(allowed, reverse=True))
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        if self.starting_dose_mg != self.dose_levels[0].dose_mg:
            problems.append((("starting_dose_mg",),
                             f"starting dose {self.starting_dose_mg:g} mg is not dose level 0 "
                             f"({self.dose_levels[0].dose_mg:g} mg)",
                             f"Use one of the dose levels ({shown} mg) and list the starting "
                             "dose first."))
        mod = self.dose_modification
        for name in ("interacting_drugs", "hepatic_impairment"):
            for i, rule in enumerate(getattr(mod, name)):
                if rule.dose_mg is not None and rule.dose_mg not in allowed:
                    problems.append((("dose_modification", name, i, "dose_mg"),
                                     f"{rule.id} dose {rule.dose_mg:g} mg is not a dose level",
                                     f"Use one of the dose levels: {shown} mg."))
        problems += self._day_problems()
        _report("Intervention", problems, self)
        return self

    def _day_problems(self) -> list[tuple[tuple[str | int, ...], str, str]]:
        length = self.schedule.cycle_length_days
        mod = self.dose_modification
        out: list[tuple[tuple[str | int, ...], str, str]] = []
        if mod.blood_counts.mid_cycle_day > length:
            out.append((("dose_modification", "blood_counts", "mid_cycle_day"),
                        f"day {mod.blood_counts.mid_cycle_day} is after the end of a "
                        f"{length}-day cycle", "Use a day inside the cycle."))
        for i, rule in enumerate(mod.toxicity_rules):
            if rule.recheck_on_day is not None and not (
                    mod.blood_counts.mid_cycle_day < rule.recheck_on_day <= length):
                out.append((("dose_modification", "toxicity_rules", i, "recheck_on_day"),
                            f"re-check day {rule.recheck_on_day} is not between the mid-cycle "
                            f"count (day {mod.blood_counts.mid_cycle_day}) and the end of the "
                            f"{length}-day cycle", "Use a later day inside the cycle."))
        return out

    def dose_levels_mg(self) -> list[float]:
        """Doses from the starting dose down: ``[125.0, 100.0, 75.0]``."""
        return [d.dose_mg for d in sorted(self.dose_levels, key=lambda d: -d.level)]


class ScreeningWindows(Section):
    """How recent screening data must be, and how eligibility reads a few ambiguous items."""

    imaging_max_days_before_enrolment: int = Field(ge=0)
    labs_max_days_before_first_dose: int = Field(ge=0)
    ecg_echo_max_days_before_first_dose: int = Field(ge=0)
    pregnancy_test_max_days_before_first_dose: int = Field(ge=0)
    no_transfusion_or_growth_factor_days_before_labs: int = Field(ge=0)
    qtc_formula: Literal["fridericia", "bazett"]
    inr_may_replace_pt: bool


class CriterionTranslation(BaseModel):
    """A criterion's title and clarified text in another language, for checklists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, description="Short name for checklists.")
    text: str = Field(min_length=1, description="The clarified wording.")


class Criterion(Section):
    """One eligibility criterion: the registry's words and the rule a machine checks."""

    id: str = Field(pattern=r"^[IE]\d{1,2}$", description="I1..In, E1..En, registry numbering.")
    title: str = Field(min_length=1, description="Short name for checklists.")
    registry_text: str = Field(min_length=1, description="Registry wording, verbatim.")
    text: str = Field(min_length=1, description="The wording as clarified, for people.")
    rule: Rule
    clarifications: list[str] = Field(default_factory=list,
                                      description="Protocol notes (PN-xx) applied.")
    translations: dict[str, CriterionTranslation] = Field(
        default_factory=dict,
        description="Title and text in other languages, keyed by language tag (zh-CN).")

    @field_validator("clarifications")
    @classmethod
    def _pn_ids(cls, ids: list[str]) -> list[str]:
        import re

        bad = [i for i in ids if not re.fullmatch(PN_PATTERN, i)]
        if bad:
            raise problem(f"{bad[0]!r} is not a protocol note id", "Write it as PN-xx, e.g. PN-18.")
        return ids

    @property
    def is_attestation(self) -> bool:
        """True when the rule is only an investigator attestation."""
        return self.rule.kind == "attest"


class Criteria(BaseModel):
    """Inclusion and exclusion criteria, in registry order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inclusion: list[Criterion] = Field(min_length=1)
    exclusion: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids(self) -> Criteria:
        for name, prefix, items in (("inclusion", "I", self.inclusion),
                                    ("exclusion", "E", self.exclusion)):
            wrong = [c.id for c in items if not c.id.startswith(prefix)]
            if wrong:
                raise problem(f"{name} criterion {wrong[0]} does not start with {prefix!r}",
                              f"Number {name} criteria {prefix}1, {prefix}2, ...")
        ids = [c.id for c in self.all()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise problem(f"criterion id {dupes[0]} is used twice",
                          "Give each criterion its own id.")
        return self

    def all(self) -> list[Criterion]:
        """Inclusion then exclusion criteria."""
        return [*self.inclusion, *self.exclusion]

    def get(self, criterion_id: str) -> Criterion:
        """The criterion with this id.

        Raises:
            UnknownTermError: the protocol has no such criterion; the message lists its ids.
        """
        for c in self.all():
            if c.id == criterion_id:
                return c
        known = [c.id for c in self.all()]
        raise UnknownTermError(
            "criterion id", criterion_id,
            message=f"{criterion_id!r} is not a criterion of this protocol.",
            hint=f"Use one of: {', '.join(known)}.")


class VisitWindow(BaseModel):
    """Allowed days, relative to the visit's anchor, inclusive at both ends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_day: int
    end_day: int

    @model_validator(mode="after")
    def _ordered(self) -> VisitWindow:
        if self.start_day > self.end_day:
            raise problem(f"window starts on day {self.start_day}, after its end on day "
                          f"{self.end_day}", "Swap start_day and end_day, or correct one.")
        return self


class Visit(Section):
    """A scheduled visit or assessment, anchored to an event of the patient's course."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="Short code, e.g. C1D15.")
    name: str = Field(min_length=1)
    anchor: Literal["enrolment", "first_dose", "cycle_start", "last_dose", "end_of_treatment"]
    day: int = Field(description="Nominal day relative to the anchor (the anchor is day 0 "
                                 "for enrolment/first dose/last dose, day 1 for cycle_start).")
    window: VisitWindow
    cycles: list[int] | Literal["all"] | None = Field(
        default=None, description="For cycle_start visits: which cycles.")
    repeat_every_days: int | None = Field(default=None, ge=1)
    until: str | None = Field(default=None, description="When repeats stop, in words.")
    procedures: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _nominal_in_window(self) -> Visit:
        if not self.window.start_day <= self.day <= self.window.end_day:
            raise problem(f"nominal day {self.day} lies outside its window "
                          f"[{self.window.start_day}, {self.window.end_day}]",
                          "Widen the window or correct the nominal day.")
        if self.anchor == "cycle_start" and self.cycles is None:
            raise problem("a cycle visit needs 'cycles' (a list or 'all')", "Add cycles: all.")
        return self


class Standards(Section):
    """The guidelines the trial uses."""

    response_criteria: Literal["RECIST 1.1", "mRECIST", "iRECIST"]
    exploratory_response_criteria: list[Literal["RECIST 1.1", "mRECIST", "iRECIST"]] = Field(
        default_factory=list)
    ae_grading: Literal["CTCAE v5.0", "CTCAE v4.03"]


class _Endpoint(Section):
    name: str
    role: Literal["primary", "secondary", "exploratory"]
    registry_text: str = Field(description="Registry wording, verbatim (typos included).")
    definition: str = Field(description="Operational definition, corrected.")
    time_frame: str


class PfsEndpoint(_Endpoint):
    """Progression-free survival."""

    progression_assessed_by: Literal["investigator", "central"]
    missed_assessments_for_censoring: int = Field(ge=1)
    censor_at_new_anticancer_therapy: bool
    landmarks_months: list[float] = Field(default_factory=list)
    conf_type: Literal["log-log", "log", "plain"]


class OsEndpoint(_Endpoint):
    """Overall survival."""

    landmarks_months: list[float] = Field(default_factory=list)
    conf_type: Literal["log-log", "log", "plain"]


class ResponseEndpoint(_Endpoint):
    """ORR or DCR."""

    confirmation_required: bool
    confirmation_min_days: int = Field(ge=0)
    min_sd_days: int | None = Field(default=None, ge=0,
                                    description="DCR only: SD counts from this many days.")
    ci_method: Literal["clopper-pearson", "wilson", "jeffreys"]


class AdverseEventEndpoint(_Endpoint):
    """Adverse events."""

    teae_window_days: int = Field(ge=0)
    sae_report_within_hours: int = Field(ge=1)


class Endpoints(Section):
    """Endpoints and the parameters every derivation uses."""

    time_origin: Literal["first_dose", "enrolment"]
    sensitivity_time_origin: Literal["first_dose", "enrolment"] | None = None
    assessment_interval_days: int = Field(ge=1)
    assessment_window_days: int = Field(ge=0)
    conf_level: float = Field(default=0.95, ge=0.5, lt=1.0,
                              description="Confidence level of every interval reported.")
    sd_window_days: int = Field(default=0, ge=0, description="Tolerance on the minimum SD "
                                "duration (an SD this many days early still counts).")
    bor_max_ne_between: int = Field(default=1, ge=0, description="NE assessments allowed "
                                    "between a response and its confirmation.")
    bor_allow_sd_between: bool = Field(default=False, description="Whether an SD between a "
                                       "response and its confirmation still confirms it.")
    bor_max_sd_between: int = Field(default=1, ge=0, description="When SD between is allowed, "
                                    "how many SD assessments may stand between a response "
                                    "and its confirmation.")
    pfs: PfsEndpoint
    orr: ResponseEndpoint
    dcr: ResponseEndpoint
    os: OsEndpoint
    adverse_events: AdverseEventEndpoint

    @model_validator(mode="after")
    def _window_fits(self) -> Endpoints:
        if self.assessment_window_days * 2 >= self.assessment_interval_days:
            raise problem(
                f"an assessment window of +/-{self.assessment_window_days} days overlaps the next "
                f"assessment {self.assessment_interval_days} days later",
                "Shorten the window to less than half the interval.")
        if self.dcr.min_sd_days is None:
            raise problem("dcr needs min_sd_days", "Set the minimum SD duration (e.g. 42).")
        orr, dcr = self.orr, self.dcr
        if (orr.confirmation_required, orr.confirmation_min_days) != (
                dcr.confirmation_required, dcr.confirmation_min_days):
            raise problem(
                "dcr and orr confirm CR/PR differently (confirmation_required / "
                "confirmation_min_days)",
                "A confirmed response is one thing: give dcr the same values as orr.")
        return self


class Protocol(BaseModel):
    """A single-arm oncology trial protocol; load it with ``load_protocol``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(description="Version of this schema; 1.")
    study: Study
    sites: list[Site] = Field(min_length=1)
    design: Design
    enrolment: Enrolment
    intervention: Intervention
    standards: Standards
    screening: ScreeningWindows
    criteria: Criteria
    visits: list[Visit] = Field(min_length=1)
    endpoints: Endpoints

    @model_validator(mode="after")
    def _visit_codes(self) -> Protocol:
        codes = [v.code for v in self.visits]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise problem(f"visit code {dupes[0]} is used twice", "Give each visit its own code.")
        return self

    def sections(self) -> dict[str, Any]:
        """Top-level sections by name (for ``protocol show --section``)."""
        return {name: getattr(self, name) for name in type(self).model_fields}
