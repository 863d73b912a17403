"""Palbociclib dosing (core): cycle calendar, dose-modification engine and exposure.

Guideline: IBRANCE (palbociclib) capsules, US Prescribing Information (September 2019),
section 2 and Tables 1-3, with toxicity grades by CTCAE v5.0; rules are data
(:class:`DosingRules`, label defaults, overridable from the protocol file). Entry point:
:func:`recommend`. See ``docs/safety.md`` ("Dose modification").
"""

from oncotrial.dosing.calendar import CalendarDay, CyclePlan, TreatmentCalendar, plan_calendar
from oncotrial.dosing.engine import LABEL_RULES, DoseRecommendation, escalate, recommend
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
    BloodCounts,
    CbcTerm,
    Comedication,
    Cyp3aEffect,
    DosingState,
    Flag,
    Hold,
    HoldReason,
    Toxicity,
    ToxicityCategory,
)
from oncotrial.dosing.rules import ChildPughCAction, DosingRules, InducerAction

__all__ = [
    "LABEL_RULES",
    "AccountabilityLine",
    "Action",
    "BloodCounts",
    "CalendarDay",
    "CapsuleDispensing",
    "CbcTerm",
    "ChildPughCAction",
    "Comedication",
    "CyclePlan",
    "Cyp3aEffect",
    "DailyExposure",
    "DiaryEntry",
    "DoseRecommendation",
    "DosingRules",
    "DosingState",
    "ExposureSummary",
    "Flag",
    "Hold",
    "HoldReason",
    "InducerAction",
    "Toxicity",
    "ToxicityCategory",
    "TreatmentCalendar",
    "check_exposure",
    "escalate",
    "plan_calendar",
    "recommend",
    "summarise_exposure",
]
