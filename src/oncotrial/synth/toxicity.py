"""The course of blood counts, liver tests and clinical adverse events (shell, no I/O).

Blood counts: each subject has a worst grade for each count (ANC, platelets, haemoglobin,
WBC), drawn at the parameters' any-grade and grade >= 3 rates; ANC and WBC move together.
Palbociclib's myelosuppression is cyclical (IBRANCE USPI 2019 sections 2.2 and 6.1): counts
fall to a nadir in the second half of the 21 days on, recover over the 7 days off, and recover
week by week during a hold; a dose reduction lessens later nadirs. Liver tests: an episode of
transaminase or bilirubin increase starts at a chemistry visit of cycle 2-4 at the
parameters' rates and recovers over the following tests. Clinical adverse events (fatigue,
nausea, ...) start at a random time after the first dose at the parameters' rates, scaled up
for subjects whose treatment ends before the event would start, with a grade history and a
resolution. Everything here is in CTCAE v5.0 grades; :mod:`.labs` turns grades into values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from oncotrial.records import Relationship
from oncotrial.synth.params import SynthParams
from oncotrial.synth.stream import Stream

__all__ = ["BLOOD", "CLINICAL", "RELATIONSHIPS", "Blood", "ClinicalEvent", "ClinicalSpec", "Liver",
           "exposure_share"]

#: The blood counts: analyte key, parameter stem, share of grade 4 among grade >= 3 events
#: (haemoglobin has no laboratory grade 4 in CTCAE v5.0 Anemia).
BLOOD: tuple[tuple[str, str, float], ...] = (
    ("anc", "neutropenia", 0.20), ("wbc", "leukopenia", 0.10),
    ("platelets", "thrombocytopenia", 0.25), ("hemoglobin", "anaemia", 0.0))

#: The attribution scale in order (unrelated ... definite), for weighted draws.
RELATIONSHIPS: tuple[Relationship, ...] = tuple(Relationship)

#: Share of subjects whose count is grade 2 at baseline already (measured on the screening
#: model: cirrhosis lowers platelets and haemoglobin), who can have no grade 1-2 event: the
#: grade 1-2 rate of the others is raised so that the cohort's any-grade rate is the parameter.
_BASELINE_G2 = {"anc": 0.04, "wbc": 0.03, "platelets": 0.12, "hemoglobin": 0.13}
#: Recovery between a nadir and the next Day 1 (7 days off): grades gained, with weights.
_DAY1_RECOVERY = ((0, 0.20), (1, 0.40), (2, 0.30), (3, 0.10))
#: Recovery over a week on hold.
_WEEK_RECOVERY = ((0, 0.15), (1, 0.55), (2, 0.30))
#: From Day 15 to Day 22 (the last dose on Day 21): a count may still fall (never below the
#: subject's worst grade).
_DAY22_CHANGE = ((1, 0.08), (0, 0.37), (-1, 0.40), (-2, 0.15))


def _steps(stream: Stream, table: tuple[tuple[int, float], ...]) -> int:
    return stream.pick([s for s, _ in table], [w for _, w in table])


def _worst(u: float, baseline: int, any_rate: float, g3_rate: float, g4_share: float,
           stream: Stream) -> int:
    """The worst grade a subject's count reaches on full dose, from one uniform ``u``."""
    if u < g3_rate:
        return 4 if u < g3_rate * g4_share else 3
    if u < any_rate and baseline < 2:
        return stream.integer(max(baseline + 1, 1), 2)
    return baseline


@dataclass(slots=True)
class Blood:
    """One subject's blood counts in CTCAE grades: baseline, worst, and where they are now."""

    baseline: dict[str, int]
    worst: dict[str, int]
    last: dict[str, int] = field(default_factory=dict)
    nadir: dict[str, int] = field(default_factory=dict)
    nadir_cycle: int = 0
    relief: int = 0

    @classmethod
    def draw(cls, stream: Stream, params: SynthParams, baseline: dict[str, int],
             factor: float, g4_scale: float = 1.0) -> Blood:
        """Draw the worst grades; ``factor`` (>= 1) scales the rates up for subjects who may
        not reach a nadir visit, so that the realised rates are the parameters';
        ``g4_scale`` scales the share of grade 4 among grade >= 3 counts (a grade 4 count
        means a dose reduction by the label, so it sets how many subjects have one)."""
        worst: dict[str, int] = {}
        shared = stream.u()  # ANC and WBC fall together
        for key, stem, g4 in BLOOD:
            u = shared if key in ("anc", "wbc") else stream.u()
            g3_rate = min(1.0, getattr(params, f"{stem}_g3") * factor)
            low = (getattr(params, f"{stem}_any") - getattr(params, f"{stem}_g3")) * factor
            any_rate = min(1.0, g3_rate + low / (1.0 - _BASELINE_G2[key]))
            worst[key] = _worst(u, baseline[key], any_rate, g3_rate, min(0.9, g4 * g4_scale),
                                stream)
        return cls(baseline, worst, dict(baseline))

    def reduced(self, stream: Stream) -> None:
        """A dose reduction: later nadirs are often a grade milder."""
        if stream.chance(0.6):
            self.relief += 1

    def _cycle_nadir(self, stream: Stream, cycle: int) -> dict[str, int]:
        if self.nadir_cycle != cycle:
            keep = 0.95 if cycle == 1 else 0.8
            shallower = 0 if stream.chance(keep) else 1
            self.nadir = {k: max(self.baseline[k], self.worst[k] - self.relief - shallower)
                          for k in self.worst}
            self.nadir_cycle = cycle
        return self.nadir

    def at_nadir(self, stream: Stream, cycle: int) -> dict[str, int]:
        """On drug in the second half of the days on (Day 15, or an unscheduled visit)."""
        self.last = dict(self._cycle_nadir(stream, cycle))
        return self.last

    def after_last_dose(self, stream: Stream) -> dict[str, int]:
        """A week after the last dose of a cycle (Day 22): still falling or recovering."""
        change = _steps(stream, _DAY22_CHANGE)
        self.last = {k: min(self.worst[k], max(self.baseline[k], g - change))
                     for k, g in self.last.items()}
        return self.last

    def day1(self, stream: Stream, cycle: int) -> dict[str, int]:
        """Day 1 of a cycle: recovered from the last nadir over the days off."""
        if cycle == 1:
            self.last = dict(self.baseline)
            return self.last
        gain = _steps(stream, _DAY1_RECOVERY)
        self.last = {k: max(self.baseline[k], g - gain) for k, g in self.last.items()}
        return self.last

    def week_off(self, stream: Stream) -> dict[str, int]:
        """After a week or more without the drug (a hold, or after treatment)."""
        gain = _steps(stream, _WEEK_RECOVERY)
        self.last = {k: max(self.baseline[k], g - gain) for k, g in self.last.items()}
        return self.last

    def early_cycle(self) -> dict[str, int]:
        """On drug in the first week of a cycle: as on Day 1."""
        return self.last


@dataclass(slots=True)
class Liver:
    """One subject's liver tests in CTCAE grades (against the baseline when it is abnormal).

    ``onset`` is the index of the Day-1 chemistry (cycle 2 is 1) at which an episode starts;
    ``peak`` its grade for AST/ALT (``alt_peak`` for ALT) and bilirubin.
    """

    onset: dict[str, int]
    peak: dict[str, int]
    grade: dict[str, int] = field(default_factory=lambda: {"alt": 0, "ast": 0, "bilirubin": 0})

    @classmethod
    def draw(cls, stream: Stream, params: SynthParams, factor: float) -> Liver:
        """Draw the episodes at the parameters' rates (scaled by ``factor``, as for blood)."""
        onset: dict[str, int] = {}
        peak: dict[str, int] = {}
        for stem, keys in (("transaminases", ("ast", "alt")), ("bilirubin", ("bilirubin",))):
            any_rate = min(1.0, getattr(params, f"{stem}_any") * factor)
            g3_rate = min(any_rate, getattr(params, f"{stem}_g3") * factor)
            u = stream.u()
            top = (4 if stream.chance(0.1) else 3) if u < g3_rate else \
                (1 if stream.chance(0.7) else 2) if u < any_rate else 0
            start = stream.pick((1, 2, 3), (0.65, 0.25, 0.10))
            for i, key in enumerate(keys):
                peak[key] = top if i == 0 else max(0, top - (1 if stream.chance(0.5) else 0))
                onset[key] = start
        return cls(onset, peak)

    def at_chemistry(self, stream: Stream, day1_index: int | None) -> dict[str, int]:
        """The grades at a chemistry: the episode's onset at its Day 1, then recovery."""
        for key, g in self.grade.items():
            if day1_index is not None and day1_index == self.onset[key] and self.peak[key]:
                self.grade[key] = self.peak[key]
                self.peak[key] = 0  # one episode
            elif g:
                self.grade[key] = max(0, g - stream.pick((0, 1, 2, 3), (0.15, 0.4, 0.3, 0.15)))
        return dict(self.grade)


@dataclass(frozen=True, slots=True)
class ClinicalSpec:
    """A clinical adverse event: CTCAE v5.0 term, verbatim, rates, onset and attribution.

    ``stem`` names the :class:`SynthParams` rates (``<stem>_any``/``<stem>_g3``, or one rate
    for alopecia); without a stem ``rate``/``g3_share`` are fixed assumptions (background
    events of cirrhosis and advanced HCC). ``onset_mean_days`` is the mean time from the first
    dose; ``related`` chooses the attribution mix; ``max_grade`` caps the grade (CTCAE).
    """

    term: str
    verbatim: str
    stem: str
    rate: float
    g3_share: float
    onset_mean_days: float
    related: bool
    max_grade: int = 3
    min_grade: int = 1
    serious_g3: float = 0.2


#: Clinical events: palbociclib's (label pattern, rates from the parameters) and those of the
#: underlying liver disease (assumed rates, mostly unrelated to the drug).
CLINICAL: tuple[ClinicalSpec, ...] = (
    ClinicalSpec("Fatigue", "fatigue", "fatigue", 0, 0, 20, True),
    ClinicalSpec("Nausea", "nausea", "nausea", 0, 0, 10, True),
    ClinicalSpec("Anorexia", "decreased appetite", "decreased_appetite", 0, 0, 20, True),
    ClinicalSpec("Diarrhea", "diarrhoea", "diarrhoea", 0, 0, 15, True),
    ClinicalSpec("Mucositis oral", "stomatitis", "stomatitis", 0, 0, 14, True),
    ClinicalSpec("Alopecia", "hair thinning", "alopecia", 0, 0, 40, True, max_grade=2),
    ClinicalSpec("Rash maculo-papular", "rash", "", 0.06, 0.0, 25, True),
    ClinicalSpec("Dysgeusia", "taste change", "", 0.05, 0.0, 20, True, max_grade=2),
    ClinicalSpec("Abdominal pain", "right upper quadrant pain", "", 0.15, 0.1, 30, False),
    ClinicalSpec("Ascites", "ascites", "", 0.10, 0.25, 35, False, serious_g3=0.6),
    ClinicalSpec("Edema limbs", "ankle oedema", "", 0.08, 0.0, 30, False),
    ClinicalSpec("Fever", "fever", "", 0.08, 0.0, 25, False, max_grade=2),
    ClinicalSpec("Back pain", "back pain", "", 0.06, 0.0, 30, False),
    ClinicalSpec("Lung infection", "pneumonia", "", 0.04, 0.4, 35, False, min_grade=2,
                 serious_g3=1.0),
    ClinicalSpec("Upper gastrointestinal hemorrhage", "variceal bleeding", "", 0.03, 1.0, 40,
                 False, serious_g3=1.0),
)


def exposure_share(mean_days: float, end_days: list[float]) -> float:
    """Share of subjects whose event, starting Exp(mean) days after the first dose, starts by
    their end of observation (last dose + TEAE window).

    >>> round(exposure_share(20.0, [40.0, 1e9]), 3)
    0.932
    """
    if not end_days:
        return 1.0
    return sum(-math.expm1(-e / mean_days) for e in end_days) / len(end_days)


@dataclass(frozen=True, slots=True)
class ClinicalEvent:
    """A clinical adverse event drawn for a subject: grades by day from the first dose."""

    spec: ClinicalSpec
    changes: tuple[tuple[int, int], ...]
    resolved_day: int
    relationship: Relationship

    @property
    def onset_day(self) -> int:
        """Day of onset (from the first dose)."""
        return self.changes[0][0]

    @property
    def worst(self) -> int:
        """The worst grade of the episode."""
        return max(g for _, g in self.changes)

    def grade_on(self, day: int) -> int:
        """The grade on ``day`` (0 before onset and after resolution)."""
        if day < self.onset_day or day > self.resolved_day:
            return 0
        grade = 0
        for on, g in self.changes:
            if on <= day:
                grade = g
        return grade

    @classmethod
    def draw(cls, stream: Stream, spec: ClinicalSpec, *, grade3: bool, onset: int,
             ) -> ClinicalEvent:
        """An episode starting on day ``onset``: grade 3 first when ``grade3``, then better."""
        changes: list[tuple[int, int]] = []
        day = onset
        if grade3:
            changes.append((day, 3))
            day += stream.integer(4, 10)
            if stream.chance(0.5):
                changes.append((day, 2))
                day += stream.integer(3, 7)
            if spec.min_grade <= 1:
                changes.append((day, 1))
                day += stream.integer(3, 14)
        else:
            grade = max(spec.min_grade, 2 if stream.chance(0.3) else 1)
            grade = min(grade, spec.max_grade)
            changes.append((day, grade))
            day += stream.integer(5, 35)
            if grade == 1 and spec.max_grade >= 2 and stream.chance(0.15):
                changes.append((day, 2))
                day += stream.integer(5, 20)
        weights = (0.0, 0.1, 0.35, 0.45, 0.1) if spec.related else (0.45, 0.4, 0.15, 0, 0)
        relationship = stream.pick(RELATIONSHIPS, weights)
        return cls(spec, tuple(changes), day, relationship)
