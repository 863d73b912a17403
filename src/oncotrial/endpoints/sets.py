"""Analysis sets: enrolled, full analysis set, response-evaluable, safety.

Source: ``endpoints.md`` section 1 (recommended analysis sets for this single-arm study).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from oncotrial.endpoints.model import SubjectData

__all__ = ["AnalysisSets", "derive_analysis_sets"]


@dataclass(frozen=True, slots=True)
class AnalysisSets:
    """One subject's membership of each analysis set, with the reason in words.

    * enrolled: registered (enrolment date on or before the cut-off);
    * fas (full analysis set): enrolled and at least one dose of palbociclib;
    * response_evaluable: in the FAS with measurable disease at baseline (RECIST 1.1);
    * safety: at least one dose.
    """

    subject_id: str
    enrolled: bool
    fas: bool
    response_evaluable: bool
    safety: bool
    reason: str

    def summary(self) -> str:
        """One line: the sets the subject is in, and why."""
        names = [n for n, on in (("enrolled", self.enrolled), ("FAS", self.fas),
                                 ("response-evaluable", self.response_evaluable),
                                 ("safety", self.safety)) if on]
        return f"{self.subject_id}: {', '.join(names) or 'no analysis set'} ({self.reason})"


def derive_analysis_sets(subject: SubjectData, *, cutoff: date) -> AnalysisSets:
    """Which analysis sets a subject belongs to at the data cut-off (``endpoints.md`` section 1).

    Enrolled = signed consent and registered, on or before the cut-off; FAS = enrolled and
    received at least one dose (a record in the dosing file with a daily dose above 0, starting
    on or before the cut-off); response-evaluable = FAS with measurable disease at baseline by
    RECIST 1.1; safety set = received at least one dose.

    >>> from oncotrial.endpoints.model import DosingRecord, Subject
    >>> s = SubjectData(Subject("012", date(2026, 3, 2), False),
    ...                 dosing=(DosingRecord("012", date(2026, 3, 4), date(2026, 3, 24), 125),))
    >>> sets = derive_analysis_sets(s, cutoff=date(2026, 6, 30))
    >>> sets.fas, sets.response_evaluable, sets.safety
    (True, False, True)
    >>> print(sets.reason.replace("; ", ";\\n"))
    enrolled 2026-03-02;
    first dose 2026-03-04;
    no measurable disease at baseline, so not response-evaluable
    """
    sid = subject.subject_id
    enrolled_on = subject.subject.enrolled_on
    if enrolled_on > cutoff:
        return AnalysisSets(sid, False, False, False, False,
                            f"enrolled {enrolled_on}, after the cut-off {cutoff}")
    first_dose = subject.first_dose_on
    dosed = first_dose is not None and first_dose <= cutoff
    if not dosed:
        why = ("no dose recorded" if first_dose is None
               else f"first dose {first_dose} is after the cut-off {cutoff}")
        return AnalysisSets(sid, True, False, False, False,
                            f"enrolled {enrolled_on}; {why}, so not in the FAS or safety set")
    measurable = subject.subject.measurable_disease_at_baseline
    tail = ("measurable disease at baseline" if measurable
            else "no measurable disease at baseline, so not response-evaluable")
    return AnalysisSets(sid, True, True, measurable, True,
                        f"enrolled {enrolled_on}; first dose {first_dose}; {tail}")
