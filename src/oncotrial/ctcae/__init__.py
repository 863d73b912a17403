"""CTCAE v5.0: the term dictionary, laboratory grading and adverse-event rules (core).

NCI Common Terminology Criteria for Adverse Events version 5.0 (27 Nov 2017). Criteria are
versioned data in ``ctcae/data/`` applied by generic code; nothing here reads files other than
that bundled data, and nothing here knows today's date unless it is passed in. The adverse-event
record and its codelists live in :mod:`oncotrial.records` and are re-exported here. Every
result code the package emits is in :data:`RESULT_CODES`; ``docs/safety.md`` explains the rules.
"""

from oncotrial.ctcae._codes import RESULT_CODES
from oncotrial.ctcae.dictionary import (
    NCI_COLUMNS,
    CtcaeDictionary,
    CtcaeTerm,
    bundled_dictionary,
    parse_ctcae_rows,
)
from oncotrial.ctcae.events import (
    DEFAULT_TEAE_WINDOW_DAYS,
    SAE_REPORTING_HOURS,
    LabObservation,
    SuggestedAdverseEvent,
    check_adverse_events,
    check_sae_reporting,
    impute_onset,
    is_sae_report_overdue,
    is_treatment_emergent,
    lab_observations,
    sae_report_due,
    suggest_adverse_events,
    worst_grades,
)
from oncotrial.ctcae.labs import (
    LabCriterion,
    LabFlag,
    LabGrade,
    LabGrades,
    LabTerm,
    derive_lab_grades,
    explain_lab_grade,
    grade_lab,
    grade_lab_result,
    grade_labs,
    lab_term,
    lab_terms,
)
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    Grade,
    GradeChange,
    Outcome,
    Relationship,
    SeriousCriterion,
)

__all__ = [
    "DEFAULT_TEAE_WINDOW_DAYS",
    "NCI_COLUMNS",
    "RESULT_CODES",
    "SAE_REPORTING_HOURS",
    "ActionTaken",
    "AdverseEvent",
    "CtcaeDictionary",
    "CtcaeTerm",
    "Grade",
    "GradeChange",
    "LabCriterion",
    "LabFlag",
    "LabGrade",
    "LabGrades",
    "LabObservation",
    "LabTerm",
    "Outcome",
    "Relationship",
    "SeriousCriterion",
    "SuggestedAdverseEvent",
    "bundled_dictionary",
    "check_adverse_events",
    "check_sae_reporting",
    "derive_lab_grades",
    "explain_lab_grade",
    "grade_lab",
    "grade_lab_result",
    "grade_labs",
    "impute_onset",
    "is_sae_report_overdue",
    "is_treatment_emergent",
    "lab_observations",
    "lab_term",
    "lab_terms",
    "parse_ctcae_rows",
    "sae_report_due",
    "suggest_adverse_events",
    "worst_grades",
]
