"""CTCAE v5.0: the term dictionary, laboratory grading and the adverse-event model (core).

NCI Common Terminology Criteria for Adverse Events version 5.0 (27 November 2017). Criteria
are versioned data in ``ctcae/data/`` applied by generic code; nothing here reads files other
than that bundled data, and nothing here knows today's date unless it is passed in.
"""

from oncotrial.ctcae.labs import (
    LabCriterion,
    LabFlag,
    LabGrade,
    LabGrades,
    LabTerm,
    UnknownTermError,
    derive_lab_grades,
    explain_lab_grade,
    grade_lab,
    grade_labs,
    lab_term,
    lab_terms,
)

__all__ = [
    "LabCriterion",
    "LabFlag",
    "LabGrade",
    "LabGrades",
    "LabTerm",
    "UnknownTermError",
    "derive_lab_grades",
    "explain_lab_grade",
    "grade_lab",
    "grade_labs",
    "lab_term",
    "lab_terms",
]
