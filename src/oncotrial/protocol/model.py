"""The protocol model: a single-arm oncology trial as a validated, frozen pydantic v2 object.

Everything trial-specific lives in a protocol file; this module is the schema, with no trial's
values in it. Every section records where each of its values came from in ``sources``:

``registry``       the value is in the registry text
``assumption``     the registry is silent; a default (from the label, a guideline or usual
                   practice) with a one-line reason
``clarification``  the registry is wrong or ambiguous; resolved by a protocol note ``PN-xx``
                   (``shared/domain/protocol_notes.md``) with a one-line reason

A section's ``sources`` maps each of its own fields (or ``"*"`` for all the others) to a
provenance; nested sections carry their own. A field without provenance fails validation.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oncotrial.protocol._problems import closest, problem
from oncotrial.protocol.rules import Rule

__all__ = [
    "AdverseEventEndpoint",
    "Criteria",
    "Criterion",
    "Design",
    "DoseLevel",
    "DoseModification",
    "Endpoints",
    "Enrolment",
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
                          "Add ref: PN-xx from protocol_notes.md.")
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


class DoseModification(Section):
    """Hold / reduce / discontinue rules (defaults from the drug label)."""

    re_escalation_allowed: bool
    below_lowest_level: Literal["discontinue"] = "discontinue"
    haematological_day1_hold_min_grade: int = Field(ge=1, le=4)
    haematological_resume_max_grade: int = Field(ge=0, le=3)
    haematological_reduce_min_grade: int = Field(ge=1, le=4)
    recheck_within_days: int = Field(ge=1)
    day15_cbc_cycles: list[int]
    day22_recheck_after_day15_grade: int = Field(ge=1, le=4)
    prolonged_recovery_days: int = Field(ge=1)
    febrile_neutropenia_fever_c: float = Field(ge=37.0, le=42.0)
    febrile_neutropenia_min_grade: int = Field(ge=1, le=4)
    lymphopenia_needs_clinical_event: bool
    non_haematological_hold_min_grade: int = Field(ge=1, le=4)
    non_haematological_resume_max_grade: int = Field(ge=0, le=3)
    pneumonitis_hold_min_grade: int = Field(ge=1, le=5)
    pneumonitis_discontinue_min_grade: int = Field(ge=1, le=5)
    strong_cyp3a_inhibitor_dose_mg: float = Field(gt=0)
    cyp3a_inhibitor_washout_half_lives: float = Field(gt=0)
    strong_cyp3a_inducer: Literal["alert", "prohibit"]
    child_pugh_c_action: Literal["reduce_to_lowest", "discontinue"]
    cbc_max_days_before_day1: int = Field(ge=0)
    relaxed_cbc_after_cycle: int = Field(ge=1)
    relaxed_cbc_every_cycles: int = Field(ge=1)

    @model_validator(mode="after")
    def _pneumonitis(self) -> DoseModification:
        if self.pneumonitis_hold_min_grade > self.pneumonitis_discontinue_min_grade:
            raise problem(
                f"pneumonitis hold grade {self.pneumonitis_hold_min_grade} is above its "
                f"discontinuation grade {self.pneumonitis_discontinue_min_grade}",
                "A grade that discontinues must also hold: lower the hold grade.")
        return self


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
    strong_cyp3a_inhibitors: list[str] = Field(default_factory=list)
    strong_cyp3a_inducers: list[str] = Field(default_factory=list)

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
    def _doses_are_levels(self) -> Intervention:
        allowed = {d.dose_mg for d in self.dose_levels}
        shown = ", ".join(f"{d:g}" for d in sorted(allowed, reverse=True))
        if self.starting_dose_mg != self.dose_levels[0].dose_mg:
            raise problem(
                f"starting dose {self.starting_dose_mg:g} mg is not dose level 0 "
                f"({self.dose_levels[0].dose_mg:g} mg)",
                f"Use one of the dose levels ({shown} mg) and list the starting dose first.")
        cyp = self.dose_modification.strong_cyp3a_inhibitor_dose_mg
        if cyp not in allowed:
            raise problem(
                f"strong CYP3A inhibitor dose {cyp:g} mg is not a dose level",
                f"Use one of the dose levels: {shown} mg.")
        return self

    def dose_levels_mg(self) -> list[float]:
        """Doses from the starting dose down: ``[125.0, 100.0, 75.0]``."""
        return [d.dose_mg for d in self.dose_levels]


class ScreeningWindows(Section):
    """How recent screening data must be, and how eligibility reads a few ambiguous items."""

    imaging_max_days_before_enrolment: int = Field(ge=0)
    labs_max_days_before_first_dose: int = Field(ge=0)
    ecg_echo_max_days_before_first_dose: int = Field(ge=0)
    pregnancy_test_max_days_before_first_dose: int = Field(ge=0)
    no_transfusion_or_growth_factor_days_before_labs: int = Field(ge=0)
    qtc_formula: Literal["fridericia", "bazett"]
    inr_may_replace_pt: bool


class Criterion(Section):
    """One eligibility criterion: the registry's words and the rule a machine checks."""

    id: str = Field(pattern=r"^[IE]\d{1,2}$", description="I1..In, E1..En, registry numbering.")
    title: str = Field(min_length=1, description="Short name for checklists.")
    registry_text: str = Field(min_length=1, description="Registry wording, verbatim.")
    text: str = Field(min_length=1, description="The wording as clarified, for people.")
    rule: Rule
    clarifications: list[str] = Field(default_factory=list,
                                      description="Protocol notes (PN-xx) applied.")

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
        """The criterion with this id; KeyError names the known ids."""
        for c in self.all():
            if c.id == criterion_id:
                return c
        raise KeyError(f"no criterion {criterion_id}; known: {', '.join(c.id for c in self.all())}")


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
