"""Analysis sets: enrolled, full analysis set, response-evaluable, safety.

Source: ``docs/endpoints.md``, analysis sets (the usual sets of a single-arm study, ICH E9
section 5.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from oncotrial.endpoints.model import SubjectData
from oncotrial.records import Facts

__all__ = ["SET_CODES", "AnalysisSets", "derive_analysis_sets"]

#: Every analysis-set code and its meaning.
SET_CODES: dict[str, str] = {
    "sets.enrolled_after_cutoff": "In no analysis set: enrolled after the data cut-off.",
    "sets.no_dose": "Enrolled, but no dose on or before the cut-off: not in the FAS or the "
                    "safety set.",
    "sets.fas_non_measurable": "In the FAS and the safety set; no measurable disease at "
                               "baseline, so not response-evaluable.",
    "sets.fas_response_evaluable": "In the FAS, the safety set and the response-evaluable set.",
}


@dataclass(frozen=True, slots=True)
class AnalysisSets:
    """One subject's membership of each analysis set, with the reason in words.

    * enrolled: registered (enrolment date on or before the cut-off);
    * fas (full analysis set): enrolled and at least one dose of the study drug;
    * response_evaluable: in the FAS with measurable disease at baseline (RECIST 1.1);
    * safety: at least one dose.

    ``code`` is one of :data:`SET_CODES`.
    """

    subject_id: str
    enrolled: bool
    fas: bool
    response_evaluable: bool
    safety: bool
    code: str
    facts: Facts = field(hash=False)
    reason: str

    def summary(self) -> str:
        """One line: the sets the subject is in, and why."""
        names = [n for n, on in (("enrolled", self.enrolled), ("FAS", self.fas),
                                 ("response-evaluable", self.response_evaluable),
                                 ("safety", self.safety)) if on]
        return f"{self.subject_id}: {', '.join(names) or 'no analysis set'} ({self.reason})"


def derive_analysis_sets(subject: SubjectData, *, cutoff: date) -> AnalysisSets:
    """Which analysis sets a subject belongs to at the data cut-off (``docs/endpoints.md``).

    Enrolled = signed consent and registered, on or before the cut-off; FAS = enrolled and
    received at least one dose (a record in the dosing file with a daily dose above 0, starting
    on or before the cut-off); response-evaluable = FAS with measurable disease at baseline by
    RECIST 1.1; safety set = received at least one dose.

    >>> from oncotrial.records import DosingRecord, Subject
    >>> s = SubjectData(Subject("012", date(2026, 3, 2), False),
    ...                 dosing=(DosingRecord("012", date(2026, 3, 4), date(2026, 3, 24), 125),))
    >>> sets = derive_analysis_sets(s, cutoff=date(2026, 6, 30))
    >>> sets.fas, sets.response_evaluable, sets.safety, sets.code
    (True, False, True, 'sets.fas_non_measurable')
    >>> print(sets.reason.replace("; ", ";\\n"))
    enrolled 2026-03-02;
    first dose 2026-03-04;
    no measurable disease at baseline, so not response-evaluable
    """
    sid = subject.subject_id
    enrolled_on = subject.subject.enrolled_on
    first_dose = subject.first_dose_on
    measurable = subject.subject.measurable_disease_at_baseline
    facts = {"enrolled_on": enrolled_on, "first_dose_on": first_dose, "cutoff": cutoff,
             "measurable_disease_at_baseline": measurable}
    if enrolled_on > cutoff:
        return AnalysisSets(sid, False, False, False, False, "sets.enrolled_after_cutoff",
                            facts, f"enrolled {enrolled_on}, after the cut-off {cutoff}")
    if first_dose is None or first_dose > cutoff:
        why = ("no dose recorded" if first_dose is None
               else f"first dose {first_dose} is after the cut-off {cutoff}")
        return AnalysisSets(sid, True, False, False, False, "sets.no_dose", facts,
                            f"enrolled {enrolled_on}; {why}, so not in the FAS or safety set")
    if measurable:
        code, tail = "sets.fas_response_evaluable", "measurable disease at baseline"
    else:
        code, tail = ("sets.fas_non_measurable",
                      "no measurable disease at baseline, so not response-evaluable")
    return AnalysisSets(sid, True, True, measurable, True, code, facts,
                        f"enrolled {enrolled_on}; first dose {first_dose}; {tail}")
