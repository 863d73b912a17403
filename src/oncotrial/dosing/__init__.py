"""Dose modification (core): cycle calendar, dose-modification engine and exposure.

The rules are the protocol's (its ``intervention.dose_modification`` section, in drug-neutral
terms), read through :class:`DosingRules` built explicitly with
``DosingRules.from_protocol(protocol)``; for NCT06478927 they are the IBRANCE (palbociclib)
capsule label, US Prescribing Information (2019) section 2.2 Tables 1-3, sections 5.2, 7.1-7.2
and 8.6, with toxicity grades by CTCAE v5.0 (:func:`oncotrial.ctcae.grade_lab`). Entry point:
:func:`recommend`. Every result has a stable ``code`` (:data:`RESULT_CODES`). See
``docs/safety.md`` ("Dose modification").
"""

from oncotrial.dosing.calendar import CalendarDay, CyclePlan, TreatmentCalendar, plan_calendar
from oncotrial.dosing.codes import RESULT_CODES
from oncotrial.dosing.engine import (
    DECISION_STEPS,
    Decision,
    DoseRecommendation,
    escalate,
    recommend,
    restart,
)
from oncotrial.dosing.exposure import (
    AccountabilityLine,
    CapsuleDispensing,
    DailyExposure,
    DiaryEntry,
    ExposureSummary,
    check_exposure,
    summarise_exposure,
)
from oncotrial.dosing.model import (
    Action,
    AwaitedEvent,
    BloodCounts,
    CbcTerm,
    Comedication,
    Cyp3aEffect,
    DosingState,
    Flag,
    Hold,
    Toxicity,
    ToxicityCategory,
)
from oncotrial.dosing.rules import DosingRules
from oncotrial.dosing.visit import DosingVisit, RuleMatch, build_visit

__all__ = [
    "DECISION_STEPS",
    "RESULT_CODES",
    "AccountabilityLine",
    "Action",
    "AwaitedEvent",
    "BloodCounts",
    "CalendarDay",
    "CapsuleDispensing",
    "CbcTerm",
    "Comedication",
    "CyclePlan",
    "Cyp3aEffect",
    "DailyExposure",
    "Decision",
    "DiaryEntry",
    "DoseRecommendation",
    "DosingRules",
    "DosingState",
    "DosingVisit",
    "ExposureSummary",
    "Flag",
    "Hold",
    "RuleMatch",
    "Toxicity",
    "ToxicityCategory",
    "TreatmentCalendar",
    "build_visit",
    "check_exposure",
    "escalate",
    "plan_calendar",
    "recommend",
    "restart",
    "summarise_exposure",
]
