"""The shared enumerations of the trial vocabulary (core, no I/O).

Every package and the store use these; none defines its own copy. Values are the stored form:
they never change once data exist (a new member may be added, an old one never renamed).
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum

from oncotrial.errors import InputError

__all__ = [
    "ActionTaken",
    "ChildPughClass",
    "DiscontinuationLevel",
    "DiscontinuationReason",
    "Grade",
    "Outcome",
    "Relationship",
    "Response",
    "SeriousCriterion",
    "Sex",
    "TherapyType",
]


class Grade(IntEnum):
    """A CTCAE v5.0 grade, 0 to 5 (CTCAE v5.0, "Grades").

    Grade 0 means "within normal limits / no adverse event"; grade 5 is death related to the
    adverse event. An ``IntEnum``, so grades compare and sort as numbers.

    >>> Grade(3) > Grade.G2, Grade.parse("4"), int(Grade.G5)
    (True, <Grade.G4: 4>, 5)
    """

    G0 = 0
    G1 = 1
    G2 = 2
    G3 = 3
    G4 = 4
    G5 = 5

    @classmethod
    def parse(cls, value: Grade | int | str) -> Grade:
        """A grade from 0-5, ``"3"`` or ``"grade 3"``.

        Raises:
            InputError: the value is not a CTCAE grade.

        >>> Grade.parse("Grade 2")
        <Grade.G2: 2>
        """
        if isinstance(value, Grade):
            return value
        text = str(value).strip().lower().removeprefix("grade").strip()
        if not isinstance(value, bool) and text in {"0", "1", "2", "3", "4", "5"}:
            return cls(int(text))
        raise InputError(
            f"Grade {value!r} is not a CTCAE v5.0 grade; a grade is a whole number from 0 to 5.",
            field="grade", value=value, hint="Enter the grade as 0, 1, 2, 3, 4 or 5.")


class Response(StrEnum):
    """A RECIST 1.1 response category (time point or best overall response).

    The value is the category as written in the guideline's tables.
    ``NON_CR_NON_PD`` is only used for patients with non-target disease only
    (RECIST 1.1 Table 2), where it is deliberately not called SD.

    >>> Response.parse("non-CR/non-PD")
    <Response.NON_CR_NON_PD: 'NON-CR/NON-PD'>
    >>> Response.CR.rank > Response.PR.rank > Response.SD.rank > Response.PD.rank > Response.NE.rank
    True
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"

    @property
    def rank(self) -> int:
        """Order of merit for best overall response (RECIST 1.1 section 4.4.1).

        CR > PR > SD > NON-CR/NON-PD > PD > NE.
        """
        return _RANK[self]

    @classmethod
    def parse(cls, value: Response | str) -> Response:
        """Read a response category written as in the guideline, in any case and spacing.

        "IR/SD" (mRECIST's name for non-CR/non-PD) is read as ``NON_CR_NON_PD``.

        Raises:
            InputError: the text is not a RECIST response category.

        >>> Response.parse("pr"), Response.parse("IR/SD")
        (<Response.PR: 'PR'>, <Response.NON_CR_NON_PD: 'NON-CR/NON-PD'>)
        """
        if isinstance(value, Response):
            return value
        if isinstance(value, str):
            found = _ALIASES.get(re.sub(r"[^A-Z/]", "", value.upper()))
            if found is not None:
                return found
        raise InputError(
            f"Response {value!r} is not a RECIST 1.1 response category. "
            "It must be one of CR, PR, SD, NON-CR/NON-PD, PD or NE.",
            field="response",
            value=value,
            hint="Correct the time-point response.",
        )


_RANK = {
    Response.CR: 5,
    Response.PR: 4,
    Response.SD: 3,
    Response.NON_CR_NON_PD: 2,
    Response.PD: 1,
    Response.NE: 0,
}
_ALIASES = {
    "CR": Response.CR,
    "PR": Response.PR,
    "SD": Response.SD,
    "NONCR/NONPD": Response.NON_CR_NON_PD,
    "IR/SD": Response.NON_CR_NON_PD,
    "PD": Response.PD,
    "NE": Response.NE,
}


class ChildPughClass(StrEnum):
    """Child-Pugh class (Pugh et al. 1973): A 5-6 points, B 7-9, C 10-15."""

    A = "A"
    B = "B"
    C = "C"


class Sex(StrEnum):
    """Sex as recorded for formulas that depend on it (Cockcroft-Gault, QTc limits)."""

    MALE = "M"
    FEMALE = "F"


class Relationship(StrEnum):
    """Attribution to the study drug, NCI CTEP five-level scale."""

    UNRELATED = "unrelated"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"

    @property
    def is_related(self) -> bool:
        """Possible, probable and definite count as treatment-related (CTCAE v5.0 attribution)."""
        return self in (Relationship.POSSIBLE, Relationship.PROBABLE, Relationship.DEFINITE)


class SeriousCriterion(StrEnum):
    """ICH E2A seriousness criteria."""

    DEATH = "results_in_death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "requires_or_prolongs_hospitalisation"
    DISABILITY = "persistent_or_significant_disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event"


class ActionTaken(StrEnum):
    """Action taken with the study drug because of the AE (CDISC ACN codelist wording)."""

    DOSE_NOT_CHANGED = "dose_not_changed"
    DOSE_REDUCED = "dose_reduced"
    DRUG_INTERRUPTED = "drug_interrupted"
    DRUG_WITHDRAWN = "drug_withdrawn"
    DOSE_INCREASED = "dose_increased"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """Outcome of the AE (CDISC OUT codelist wording)."""

    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


class TherapyType(StrEnum):
    """Kinds of new anticancer therapy that end PFS follow-up (FDA 2018 PFS table, row 7)."""

    SYSTEMIC = "systemic"
    LOCOREGIONAL = "locoregional"
    SURGERY = "surgery"
    RADIOTHERAPY = "radiotherapy"
    OTHER = "other"


class DiscontinuationLevel(StrEnum):
    """Whether the subject stopped the study drug or left the study altogether."""

    TREATMENT = "treatment"
    STUDY = "study"


class DiscontinuationReason(StrEnum):
    """Why a subject stopped treatment or left the study (FDA 2018 PFS table rows 5, 6, 12)."""

    PROGRESSIVE_DISEASE = "progressive_disease"
    CLINICAL_PROGRESSION = "clinical_progression"
    ADVERSE_EVENT = "adverse_event"
    WITHDRAWAL_OF_CONSENT = "withdrawal_of_consent"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    PHYSICIAN_DECISION = "physician_decision"
    DEATH = "death"
    COMPLETED = "completed"
    OTHER = "other"
