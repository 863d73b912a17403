"""The result codes of ``oncotrial.dosing``: every code the package can emit, with its meaning.

Codes are stable: pages and the database store and translate them, never the ``reason``
sentences. ``{rule}`` stands for the id of a rule of the protocol's dose-modification section
(``heme_grade3_day1``, ``pneumonitis_grade2``, ``strong_cyp3a_inhibitor``, ``child_pugh_c``
for NCT06478927); a protocol cannot give a rule an id the engine uses itself
(:data:`oncotrial.protocol.model.RESERVED_RULE_IDS`). ``docs/safety.md`` lists the codes in a
table; ``docs/result-codes.md`` is generated from :data:`RESULT_CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["RESULT_CODES"]

#: Every code ``oncotrial.dosing`` emits (dose recommendations, exposure summaries and the
#: findings of ``check_exposure``), with its meaning.
RESULT_CODES: Mapping[str, str] = MappingProxyType({
    # DoseRecommendation.code
    "dose.start": "Day 1: start the cycle at the current dose; no rule asks for a change.",
    "dose.continue": "Continue at the current dose; no rule asks for a change.",
    "dose.continue.day_off": "A day off in the schedule: no dose is due; the dose stays.",
    "dose.continue.{rule}": "A protocol continue rule applies (a haematological grade 3 in "
                            "mid-cycle for NCT06478927): continue at the current dose and "
                            "repeat the blood count by the re-check date.",
    "dose.adjust.{rule}": "An interacting-drug or hepatic-impairment rule of the protocol "
                          "lowers the dose taken; the dose level reached stays.",
    "dose.adjust.washout_complete": "The interacting drug's washout is over: back to the dose "
                                    "level reached before it.",
    "dose.hold.{rule}": "A protocol hold rule applies: withhold the drug until recovery, then "
                        "resume as the rule says (same dose, next lower dose, or the "
                        "investigator's decision).",
    "dose.hold.awaiting_recovery": "The drug stays on hold: an event of the hold has not "
                                   "recovered yet (for a haematological hold, shown by a blood "
                                   "count collected since the hold began).",
    "dose.hold.heme_prolonged_recovery": "The drug stays on hold: a blood count collected at "
                                         "least the rule's prolonged-recovery days after the "
                                         "hold began still shows the grade (recovery takes "
                                         "more than 1 week in the label): consider a dose "
                                         "reduction.",
    "dose.hold.prolonged_recovery": "The drug stays on hold: a non-haematological toxicity is "
                                    "not recovered after the rule's prolonged-recovery days: "
                                    "consider a dose reduction.",
    "dose.hold.blood_count_needed": "A blood count is needed before deciding: Day 1 without "
                                    "one recent enough (the cycle does not start until one is "
                                    "available), or a haematological hold with no count "
                                    "collected since it began (recovery is unknown).",
    "dose.resume.same_dose": "The events of the hold have recovered: resume (or start the "
                             "cycle) at the same dose.",
    "dose.resume.next_lower_level": "The events of the hold have recovered: resume at the next "
                                    "lower dose level.",
    "dose.resume.investigator_decision": "The events of the hold have recovered, but the "
                                         "protocol leaves the restart to the investigator: no "
                                         "dose is recommended.",
    "dose.discontinue.{rule}": "A protocol rule (a toxicity such as severe pneumonitis, or a "
                               "hepatic-impairment class) discontinues the drug permanently.",
    "dose.discontinue.below_lowest_level": "A reduction below the lowest dose level is needed: "
                                           "discontinue permanently.",
    "dose.discontinue.fatal_event": "An adverse event is recorded at grade 5 (death).",
    "dose.discontinue.already_discontinued": "The drug was discontinued at an earlier "
                                             "assessment; discontinuation is permanent.",
    # ExposureSummary.code
    "exposure.summary": "Exposure summarised: planned and delivered dose, relative dose "
                        "intensity, reductions, holds and capsule accountability.",
    # Finding.code of check_exposure
    "exposure.diary.duplicate_day": "The dosing diary has two entries for one day.",
    "exposure.diary.negative_dose": "A diary entry has a negative dose.",
    "exposure.diary.not_a_dose_level": "A prescribed dose is not a protocol dose level.",
    "exposure.diary.taken_not_prescribed": "The dose taken differs from the dose prescribed "
                                           "(and is not 0).",
    "exposure.diary.taken_while_held": "A dose is recorded as taken on a day the drug was on "
                                       "hold.",
    "exposure.diary.dose_on_day_off": "A dose is recorded on a day with no dose due (day off, "
                                      "cycle delay, or outside the calendar).",
    "exposure.accountability.impossible": "More capsules were returned and lost than were "
                                          "dispensed.",
    "exposure.accountability.mismatch": "Capsules used by count differ from the doses in the "
                                        "diary.",
})
