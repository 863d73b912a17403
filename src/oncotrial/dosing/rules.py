"""Palbociclib dose-modification rules as data: :class:`DosingRules`.

Defaults are the IBRANCE (palbociclib) capsule labelling, US Prescribing Information (USPI,
September 2019), section 2.2, Tables 1-3, with sections 5.2 (ILD/pneumonitis), 7.1-7.2 (CYP3A)
and 8.6 (hepatic impairment); ``shared/domain/palbociclib.md`` restates them and protocol note
PN-10 adopts them for NCT06478927. Every value is a protocol parameter: the engine reads it from
here and never from a constant, so a sponsor's final protocol can override any of them through
:meth:`DosingRules.from_protocol`.
"""

from __future__ import annotations

import enum
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oncotrial.dosing.model import Cyp3aEffect
from oncotrial.errors import ProtocolError, ProtocolProblem

if TYPE_CHECKING:  # pragma: no cover - typing only, the dosing core must not need the protocol
    from oncotrial.protocol.model import Protocol

__all__ = ["ChildPughCAction", "DosingRules", "InducerAction"]


class ChildPughCAction(enum.StrEnum):
    """What to do when a patient's liver function becomes Child-Pugh C on study (USPI 8.6)."""

    REDUCE_TO_LOWEST = "reduce_to_lowest"
    DISCONTINUE = "discontinue"


class InducerAction(enum.StrEnum):
    """What a strong CYP3A inducer triggers (USPI 7.2: avoid)."""

    ALERT = "alert"
    PROHIBIT = "prohibit"


def _ints(values: tuple[int, ...]) -> str:
    return "/".join(str(v) for v in values)


@dataclass(frozen=True, slots=True)
class DosingRules:
    """Every number the palbociclib dose-modification engine uses, with the label's defaults.

    Label defaults (IBRANCE USPI 2019, section 2.2; ``palbociclib.md`` sections 1-8):

    * dose levels 125, 100, 75 mg once daily; below 75 mg means discontinuation (Table 1);
      re-escalation after a reduction is not described, so it is not allowed;
    * 21 days on, 7 days off, 28-day cycles (section 2.1);
    * haematological toxicity (Table 2): grade 3 on Day 1 holds the cycle, re-check the CBC
      within 7 days, start at the same dose once grade <= 2; grade 3 on Day 15 of cycles 1-2
      continues with a CBC on Day 22; grade 4, or grade 3 neutropenia with fever >= 38.5 C or
      infection, holds until grade <= 2 and resumes one level lower; recovery taking more than
      7 days is flagged for a possible reduction;
    * non-haematological grade >= 3 despite optimal treatment (Table 3): hold until grade <= 1
      (<= 2 if the investigator judges grade 2 safe), resume one level lower;
    * pneumonitis: grade >= 2 interrupts, grade >= 3 ("severe") discontinues (section 5.2);
    * strong CYP3A inhibitor: 75 mg, back to the previous dose after 5 half-lives of the
      inhibitor (the label says 3-5; the longest is the default); strong inducer: alert (7.1-7.2);
    * Child-Pugh C on study: the lowest level, 75 mg (8.6); Day-1 CBC at most 3 days old;
    * the con-med check list: the strong CYP3A inhibitors and inducers named in USPI 7.1-7.2
      (plus cobicistat, a booster used with HIV/HCV protease inhibitors; PN-13).

    Raises:
        ProtocolError: listing every inconsistent value at once (a dose that is not a level,
            days on + off not equal to the cycle length, a grade outside 1-5, ...).

    >>> rules = DosingRules()
    >>> rules.dose_levels_mg, rules.starting_dose_mg, rules.lowest_dose_mg
    ((125, 100, 75), 125, 75)
    >>> rules.next_lower_dose_mg(125), rules.next_lower_dose_mg(75) is None
    (100, True)
    >>> DosingRules(dose_levels_mg=(125, 100), starting_dose_mg=150)
    Traceback (most recent call last):
    ...
    oncotrial.errors.ProtocolError: dosing rules has 2 problems: ...
    """

    dose_levels_mg: tuple[int, ...] = (125, 100, 75)
    starting_dose_mg: int = 125
    allow_reescalation: bool = False
    days_on: int = 21
    days_off: int = 7
    cycle_length_days: int = 28
    # Table 2, haematological toxicity (all except lymphopenia without a clinical event).
    day1_hold_min_grade: int = 3
    haematological_reduce_min_grade: int = 4
    haematological_resume_max_grade: int = 2
    febrile_neutropenia_min_grade: int = 3
    fever_threshold_c: float = 38.5
    recheck_within_days: int = 7
    prolonged_recovery_days: int = 7
    day15_cbc_cycles: tuple[int, ...] = (1, 2)
    day15_cbc_day: int = 15
    day22_recheck_after_day15_grade: int = 3
    day22_recheck_day: int = 22
    cbc_max_days_before_day1: int = 3
    lymphopenia_needs_clinical_event: bool = True
    # Table 3, non-haematological toxicity.
    non_haematological_hold_min_grade: int = 3
    non_haematological_resume_max_grade: int = 1
    # Section 5.2, ILD / pneumonitis.
    pneumonitis_terms: tuple[str, ...] = ("Pneumonitis",)
    pneumonitis_hold_min_grade: int = 2
    pneumonitis_discontinue_min_grade: int = 3
    # Sections 7.1-7.2, CYP3A.
    strong_cyp3a_inhibitor_dose_mg: int = 75
    cyp3a_inhibitor_washout_half_lives: float = 5.0
    strong_cyp3a_inducer: InducerAction = InducerAction.ALERT
    strong_cyp3a_inhibitors: tuple[str, ...] = (
        "clarithromycin", "itraconazole", "ketoconazole", "posaconazole", "voriconazole",
        "ritonavir", "lopinavir", "indinavir", "nelfinavir", "saquinavir", "telaprevir",
        "telithromycin", "nefazodone", "cobicistat", "grapefruit")
    strong_cyp3a_inducers: tuple[str, ...] = (
        "rifampin", "rifampicin", "phenytoin", "carbamazepine", "enzalutamide",
        "St John's wort")
    # Section 8.6, hepatic impairment.
    child_pugh_c_action: ChildPughCAction = ChildPughCAction.REDUCE_TO_LOWEST
    # Monitoring: after 6 cycles with worst neutropenia grade 1-2, a CBC every 3 months.
    relaxed_cbc_after_cycle: int = 6
    relaxed_cbc_every_cycles: int = 3
    source: str = field(default="IBRANCE USPI 2019 (label defaults)", compare=False)

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ProtocolError("dosing rules", problems)

    def _problems(self) -> list[ProtocolProblem]:
        out: list[ProtocolProblem] = []
        levels = self.dose_levels_mg
        fix_levels = "List the daily doses from the starting dose down, e.g. 125, 100, 75."
        if not levels:
            out.append(ProtocolProblem("dose_levels_mg", "is empty", fix_levels))
        elif any(d <= 0 for d in levels) or any(a <= b for a, b in itertools.pairwise(levels)):
            out.append(ProtocolProblem(
                "dose_levels_mg", f"is {_ints(levels)} mg; doses must be positive and decrease "
                "from level to level", fix_levels))
        for name in ("starting_dose_mg", "strong_cyp3a_inhibitor_dose_mg"):
            dose = getattr(self, name)
            if dose not in levels:
                out.append(ProtocolProblem(
                    name, f"is {dose} mg, which is not a dose level ({_ints(levels)} mg)",
                    "Use one of the dose levels."))
        if self.days_on + self.days_off != self.cycle_length_days:
            out.append(ProtocolProblem(
                "cycle_length_days", f"is {self.cycle_length_days}, but days on "
                f"{self.days_on} + days off {self.days_off} = {self.days_on + self.days_off}",
                "Make days on plus days off equal the cycle length."))
        if self.days_on < 1 or self.days_off < 0:
            out.append(ProtocolProblem("days_on", "needs at least 1 day on and 0 or more off",
                                       "Correct the schedule."))
        for name in ("day1_hold_min_grade", "haematological_reduce_min_grade",
                     "febrile_neutropenia_min_grade", "day22_recheck_after_day15_grade",
                     "non_haematological_hold_min_grade", "pneumonitis_hold_min_grade",
                     "pneumonitis_discontinue_min_grade"):
            grade = getattr(self, name)
            if not 1 <= grade <= 5:
                out.append(ProtocolProblem(name, f"is grade {grade}; CTCAE grades are 1-5",
                                           "Use a CTCAE grade from 1 to 5."))
        for name in ("haematological_resume_max_grade", "non_haematological_resume_max_grade"):
            grade = getattr(self, name)
            if not 0 <= grade <= 3:
                out.append(ProtocolProblem(name, f"is grade {grade}; a recovery grade is 0-3",
                                           "Use 0, 1, 2 or 3 (the label uses 2 and 1)."))
        if not 37.0 <= self.fever_threshold_c <= 42.0:
            out.append(ProtocolProblem(
                "fever_threshold_c", f"is {self.fever_threshold_c} C; a fever threshold lies "
                "between 37.0 and 42.0 C", "The label uses 38.5 C."))
        for name in ("recheck_within_days", "prolonged_recovery_days", "relaxed_cbc_every_cycles"):
            if getattr(self, name) < 1:
                out.append(ProtocolProblem(name, f"is {getattr(self, name)}; it must be >= 1",
                                           "Use a positive number of days or cycles."))
        if self.cbc_max_days_before_day1 < 0:
            out.append(ProtocolProblem("cbc_max_days_before_day1", "is negative",
                                       "The label's Day-1 window is 3 days."))
        if not 1 <= self.day15_cbc_day < self.day22_recheck_day <= self.cycle_length_days:
            out.append(ProtocolProblem(
                "day22_recheck_day", f"Day {self.day15_cbc_day} CBC and Day "
                f"{self.day22_recheck_day} re-check must fall in order inside a "
                f"{self.cycle_length_days}-day cycle", "The label uses Day 15 and Day 22."))
        if self.cyp3a_inhibitor_washout_half_lives <= 0:
            out.append(ProtocolProblem("cyp3a_inhibitor_washout_half_lives", "must be positive",
                                       "The label says 3-5 half-lives of the inhibitor."))
        return out

    def classify_comedication(self, name: str) -> Cyp3aEffect | None:
        """A co-medication's CYP3A effect from the protocol's check lists, or None.

        Matching ignores case and surrounding spaces; a list entry also matches a longer name
        that contains it as a word ("ritonavir" matches "lopinavir/ritonavir").

        >>> DosingRules().classify_comedication("Lopinavir/Ritonavir")
        <Cyp3aEffect.STRONG_INHIBITOR: 'strong_inhibitor'>
        >>> DosingRules().classify_comedication("St John's wort extract")
        <Cyp3aEffect.STRONG_INDUCER: 'strong_inducer'>
        >>> DosingRules().classify_comedication("entecavir") is None
        True
        """
        words = set(re.split(r"[^a-z']+", name.casefold()))
        folded = name.strip().casefold()
        for effect, names in ((Cyp3aEffect.STRONG_INHIBITOR, self.strong_cyp3a_inhibitors),
                              (Cyp3aEffect.STRONG_INDUCER, self.strong_cyp3a_inducers)):
            for listed in names:
                key = listed.strip().casefold()
                if key == folded or key in words or (" " in key and key in folded):
                    return effect
        return None

    @property
    def lowest_dose_mg(self) -> int:
        """The lowest dose level; a reduction below it means discontinuation."""
        return self.dose_levels_mg[-1]

    def next_lower_dose_mg(self, dose_mg: int) -> int | None:
        """The next lower dose level, or None when ``dose_mg`` is the lowest (discontinue).

        >>> DosingRules().next_lower_dose_mg(100)
        75
        """
        index = self.dose_levels_mg.index(dose_mg)
        return self.dose_levels_mg[index + 1] if index + 1 < len(self.dose_levels_mg) else None

    def is_dosing_day(self, cycle_day: int) -> bool:
        """True on the days on of a cycle (Days 1-21 with the label schedule).

        >>> DosingRules().is_dosing_day(21), DosingRules().is_dosing_day(22)
        (True, False)
        """
        return 1 <= cycle_day <= self.days_on

    @classmethod
    def from_protocol(cls, protocol: Protocol | Any, **overrides: Any) -> DosingRules:
        """Read the rules from a protocol's ``intervention`` section (``oncotrial.protocol``).

        Maps ``dose_levels`` (ordered by level, 0 first), ``starting_dose_mg``,
        ``schedule.days_on/days_off/cycle_length_days``, ``strong_cyp3a_inhibitors``,
        ``strong_cyp3a_inducers`` and every ``dose_modification.*`` field the protocol model
        has (``below_lowest_level`` can only be "discontinue", which is what the engine does).
        Parameters the protocol model does not carry (the pneumonitis terms and the
        Day-15/Day-22 day numbers) keep the label default unless given in ``overrides``.

        Example, the bundled NCT06478927 protocol adopts the label (PN-10):

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> DosingRules.from_protocol(load_bundled_protocol()) == DosingRules()
        True

        Raises:
            ProtocolError: a dose in the protocol is not a whole number of mg, or the mapped
                rules are inconsistent (every problem at once).
        """
        intervention = protocol.intervention
        mod = intervention.dose_modification
        schedule = intervention.schedule
        problems: list[ProtocolProblem] = []

        def whole_mg(path: str, value: float) -> int:
            if float(value).is_integer():
                return int(value)
            problems.append(ProtocolProblem(
                path, f"is {value} mg; the dosing engine works in whole mg",
                "Use a whole number of mg for every dose level."))
            return round(value)

        levels = sorted(intervention.dose_levels, key=lambda d: -d.level)
        values: dict[str, Any] = {
            "dose_levels_mg": tuple(
                whole_mg(f"intervention.dose_levels[{d.level}]", d.dose_mg) for d in levels),
            "starting_dose_mg": whole_mg("intervention.starting_dose_mg",
                                         intervention.starting_dose_mg),
            "days_on": schedule.days_on,
            "days_off": schedule.days_off,
            "cycle_length_days": schedule.cycle_length_days,
            "allow_reescalation": mod.re_escalation_allowed,
            "day1_hold_min_grade": mod.haematological_day1_hold_min_grade,
            "haematological_resume_max_grade": mod.haematological_resume_max_grade,
            "haematological_reduce_min_grade": mod.haematological_reduce_min_grade,
            "recheck_within_days": mod.recheck_within_days,
            "day15_cbc_cycles": tuple(mod.day15_cbc_cycles),
            "day22_recheck_after_day15_grade": mod.day22_recheck_after_day15_grade,
            "prolonged_recovery_days": mod.prolonged_recovery_days,
            "fever_threshold_c": mod.febrile_neutropenia_fever_c,
            "non_haematological_hold_min_grade": mod.non_haematological_hold_min_grade,
            "non_haematological_resume_max_grade": mod.non_haematological_resume_max_grade,
            "pneumonitis_hold_min_grade": mod.pneumonitis_hold_min_grade,
            "pneumonitis_discontinue_min_grade": mod.pneumonitis_discontinue_min_grade,
            "febrile_neutropenia_min_grade": mod.febrile_neutropenia_min_grade,
            "lymphopenia_needs_clinical_event": mod.lymphopenia_needs_clinical_event,
            "cyp3a_inhibitor_washout_half_lives": mod.cyp3a_inhibitor_washout_half_lives,
            "relaxed_cbc_after_cycle": mod.relaxed_cbc_after_cycle,
            "relaxed_cbc_every_cycles": mod.relaxed_cbc_every_cycles,
            "strong_cyp3a_inhibitor_dose_mg": whole_mg(
                "intervention.dose_modification.strong_cyp3a_inhibitor_dose_mg",
                mod.strong_cyp3a_inhibitor_dose_mg),
            "strong_cyp3a_inducer": InducerAction(mod.strong_cyp3a_inducer),
            "child_pugh_c_action": ChildPughCAction(mod.child_pugh_c_action),
            "cbc_max_days_before_day1": mod.cbc_max_days_before_day1,
            "strong_cyp3a_inhibitors": tuple(intervention.strong_cyp3a_inhibitors),
            "strong_cyp3a_inducers": tuple(intervention.strong_cyp3a_inducers),
            "source": "protocol intervention section",
        }
        if problems:
            raise ProtocolError("protocol intervention", problems)
        values.update(overrides)
        return cls(**values)
