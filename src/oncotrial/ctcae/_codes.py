"""The result codes of ``oncotrial.ctcae``: every code the package can emit, with its meaning.

Codes are stable: pages and the database store and translate them, never the ``reason``
sentences. ``docs/safety.md`` lists them in a table; ``docs/result-codes.md`` is generated from
:data:`RESULT_CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "AE_ATTRIBUTION_MISSING",
    "AE_GRADE_NOT_ALLOWED",
    "AE_TERM_UNKNOWN",
    "GRADE_CODES",
    "RESULT_CODES",
    "SAE_AWARENESS_MISSING",
    "SAE_REPORTED_LATE",
    "SAE_REPORT_DUE",
    "SAE_REPORT_OVERDUE",
    "SAE_TIMEZONE_MIXED",
    "SUGGEST_GRADE_CHANGE",
    "SUGGEST_NEW_AE",
]

#: ``ctcae.grade.0`` ... ``ctcae.grade.4``, indexed by the grade.
GRADE_CODES: Final = tuple(f"ctcae.grade.{g}" for g in range(5))

SUGGEST_NEW_AE: Final = "ctcae.suggest_ae.no_record"
SUGGEST_GRADE_CHANGE: Final = "ctcae.suggest_ae.grade_change"

AE_TERM_UNKNOWN: Final = "ctcae.ae.term_unknown"
AE_GRADE_NOT_ALLOWED: Final = "ctcae.ae.grade_not_allowed"
AE_ATTRIBUTION_MISSING: Final = "ctcae.ae.attribution_missing"
SAE_AWARENESS_MISSING: Final = "ctcae.sae.awareness_missing"
SAE_REPORT_DUE: Final = "ctcae.sae.report_due"
SAE_REPORT_OVERDUE: Final = "ctcae.sae.report_overdue"
SAE_REPORTED_LATE: Final = "ctcae.sae.reported_late"
SAE_TIMEZONE_MIXED: Final = "ctcae.sae.timezone_mixed"

#: Every code ``oncotrial.ctcae`` emits, with its meaning (the order of ``docs/safety.md``).
RESULT_CODES: Mapping[str, str] = {
    # Laboratory grades (LabGrade.code, LabGrades.code_of, derive_lab_grades' ctcae_code).
    "ctcae.grade.0": "The lab value meets no grade 1-4 criterion of the CTCAE v5.0 term "
                     "(within the limits of this term).",
    "ctcae.grade.1": "The lab value meets a CTCAE v5.0 grade 1 criterion of the term.",
    "ctcae.grade.2": "The lab value meets a CTCAE v5.0 grade 2 criterion of the term.",
    "ctcae.grade.3": "The lab value meets a CTCAE v5.0 grade 3 criterion of the term.",
    "ctcae.grade.4": "The lab value meets a CTCAE v5.0 grade 4 criterion of the term.",
    "ctcae.not_graded.no_value": "Not graded: no value was given.",
    "ctcae.not_graded.needs_lln": "Not graded: the lower limit of normal is missing and could "
                                  "change the grade.",
    "ctcae.not_graded.needs_uln": "Not graded: the upper limit of normal is missing and could "
                                  "change the grade.",
    "ctcae.not_graded.needs_baseline": "Not graded: the baseline value is missing and could "
                                       "change the grade.",
    "ctcae.not_graded.clinical_only": "Not graded: CTCAE v5.0 grades this term by clinical "
                                      "criteria only (Hyperglycemia: the intervention needed).",
    "ctcae.not_graded.unknown_term": "Not graded (batch grading): the term is not a CTCAE "
                                     "v5.0 term graded from a lab value.",
    "ctcae.not_graded.unit_not_accepted": "Not graded (batch grading): the unit is not a unit "
                                          "of the term's analyte.",
    "ctcae.not_graded.implausible_value": "Not graded (batch grading): the value is not "
                                          "physically possible for the analyte.",
    "ctcae.not_graded.implausible_lln": "Not graded (batch grading): the lower limit of normal "
                                        "is not physically possible for the analyte.",
    "ctcae.not_graded.implausible_uln": "Not graded (batch grading): the upper limit of normal "
                                        "is not physically possible for the analyte.",
    "ctcae.not_graded.implausible_baseline": "Not graded (batch grading): the baseline value "
                                             "is not physically possible for the analyte.",
    "ctcae.not_graded.lln_above_uln": "Not graded (batch grading): the lower limit of normal "
                                      "is above the upper limit.",
    # Suggested adverse events (SuggestedAdverseEvent.code).
    SUGGEST_NEW_AE: "A lab grade worse than baseline has no AE of that CTCAE term ongoing on "
                    "the collection day: the investigator decides whether to record one.",
    SUGGEST_GRADE_CHANGE: "A lab grade is above the grade of the AE ongoing that day: the "
                          "investigator decides whether to record a grade change.",
    # Findings of check_adverse_events and check_sae_reporting (Finding.code).
    AE_TERM_UNKNOWN: "The AE term is not a CTCAE v5.0 term of the dictionary in use.",
    AE_GRADE_NOT_ALLOWED: "The AE has a grade that does not exist for its CTCAE v5.0 term.",
    AE_ATTRIBUTION_MISSING: "The AE has no attribution; it counts as related until answered.",
    SAE_AWARENESS_MISSING: "A serious AE has no site awareness time, so its reporting deadline "
                           "cannot be checked.",
    SAE_REPORT_DUE: "A serious AE is not yet reported to the sponsor and its deadline is ahead.",
    SAE_REPORT_OVERDUE: "A serious AE is not reported to the sponsor and its deadline has "
                        "passed.",
    SAE_REPORTED_LATE: "A serious AE was reported after its deadline (a protocol deviation).",
    SAE_TIMEZONE_MIXED: "A serious AE's awareness, report and current times mix "
                        "timezone-aware and naive datetimes.",
}
