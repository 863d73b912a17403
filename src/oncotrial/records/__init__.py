"""The shared vocabulary of the platform: records, enums and results as plain data (core).

Every core package reads and returns these types and the store persists them; no package
defines its own copy of a subject, a lab result, an adverse event or a grade.

* Enums: :class:`Grade`, :class:`Response`, :class:`ChildPughClass`, :class:`Sex` and the
  adverse-event and disposition codelists.
* Records: :class:`Subject`, :class:`LabResult`, :class:`LesionMeasurement`,
  :class:`TumourAssessment`, :class:`DosingRecord`, :class:`AdverseEvent`,
  :class:`ConcomitantMedication`, :class:`Death`, :class:`Contact`, :class:`NewTherapy`,
  :class:`Discontinuation`.
* Results: every derived result has ``code``, ``facts`` and ``reason``
  (:class:`Result`) and goes to JSON and back with :func:`to_json` / :func:`from_json`.

Naming: ``subject_id``; dates ``*_on``; timestamps ``*_at``; ``conf_level`` for confidence
levels; months from days by :data:`DAYS_PER_MONTH`. See ``docs/architecture.md``.
"""

from oncotrial.records._domain import (
    DAYS_PER_MONTH,
    AdverseEvent,
    ConcomitantMedication,
    Contact,
    Death,
    Discontinuation,
    DosingRecord,
    GradeChange,
    LabResult,
    LesionMeasurement,
    NewTherapy,
    Subject,
    TumourAssessment,
    months,
)
from oncotrial.records._enums import (
    ActionTaken,
    ChildPughClass,
    DiscontinuationLevel,
    DiscontinuationReason,
    Grade,
    Outcome,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
    TherapyType,
)
from oncotrial.records._plain import (
    Fact,
    Facts,
    Result,
    code_matches,
    from_json,
    from_plain,
    slot_constructor,
    to_json,
    to_plain,
)

__all__ = [
    "DAYS_PER_MONTH",
    "ActionTaken",
    "AdverseEvent",
    "ChildPughClass",
    "ConcomitantMedication",
    "Contact",
    "Death",
    "Discontinuation",
    "DiscontinuationLevel",
    "DiscontinuationReason",
    "DosingRecord",
    "Fact",
    "Facts",
    "Grade",
    "GradeChange",
    "LabResult",
    "LesionMeasurement",
    "NewTherapy",
    "Outcome",
    "Relationship",
    "Response",
    "Result",
    "SeriousCriterion",
    "Sex",
    "Subject",
    "TherapyType",
    "TumourAssessment",
    "code_matches",
    "from_json",
    "from_plain",
    "months",
    "slot_constructor",
    "to_json",
    "to_plain",
]
