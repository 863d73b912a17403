"""Plausibility checks on a data set before endpoints are derived.

Findings, not exceptions (:class:`oncotrial.errors.Finding`): each says what was checked, the
rule, the value and how to fix it, with a stable code for tests and tools. The exchange-format
reader already refuses what cannot be read at all (``parse_exchange``); these checks catch
records that read fine but cannot all be true, which would otherwise bend an endpoint silently.
Each check is a small function of one subject's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise

from oncotrial.endpoints.model import Dataset, SubjectData
from oncotrial.errors import Finding

__all__ = ["check_dataset"]

#: One finding before the subject is named: (code, field, text).
_Raw = tuple[str, str, str]


def _deaths(s: SubjectData) -> Iterator[_Raw]:
    """EP006 several deaths; EP001 a record dated after death."""
    died_on = s.died_on
    if len(s.deaths) > 1:
        dates = ", ".join(str(d.died_on) for d in s.deaths)
        yield ("EP006", "deaths.died_on", f"{len(s.deaths)} deaths are recorded ({dates}). "
               f"Keep one; the earliest ({died_on}) is used meanwhile.")
    if died_on is None:
        return
    dated = [(a.assessed_on, "tumour assessment", "tumour_assessments.assessed_on")
             for a in s.assessments]
    dated += [(c.contact_on, "contact", "contacts.contact_on") for c in s.contacts if c.alive]
    dated += [(d.start_on, "dosing stretch", "dosing.start_on") for d in s.dosing]
    dated += [(t.started_on, "new anticancer therapy", "new_anticancer_therapy.started_on")
              for t in s.new_therapies]
    for on, what, field in sorted(dated):
        if on > died_on:
            yield ("EP001", field, f"the {what} on {on} is dated after death on {died_on}. "
                   "A record cannot follow death; correct the date of the record or of the "
                   "death.")


def _first_dose(s: SubjectData) -> Iterator[_Raw]:
    """EP004 first dose before enrolment."""
    first_dose = s.first_dose_on
    if first_dose is not None and first_dose < s.subject.enrolled_on:
        yield ("EP004", "dosing.start_on", f"the first dose on {first_dose} is before "
               f"enrolment on {s.subject.enrolled_on}. Treatment starts after registration; "
               "correct one of the dates.")


def _baselines(s: SubjectData) -> Iterator[_Raw]:
    """EP003 more than one baseline assessment."""
    baselines = [a for a in s.assessments if a.baseline]
    if len(baselines) > 1:
        dates = ", ".join(str(a.assessed_on) for a in baselines)
        yield ("EP003", "tumour_assessments.baseline", f"{len(baselines)} baseline "
               f"assessments ({dates}). RECIST 1.1 has one baseline; mark the others as "
               "post-baseline or remove them.")


def _assessment_dates(s: SubjectData) -> Iterator[_Raw]:
    """EP007 baseline after the first dose; EP002 post-baseline on or before it; EP005 a
    new-lesion date after its assessment."""
    first_dose = s.first_dose_on
    for a in s.assessments:
        if first_dose is not None and a.baseline and a.assessed_on > first_dose:
            yield ("EP007", "tumour_assessments.assessed_on", f"the baseline assessment on "
                   f"{a.assessed_on} is after the first dose on {first_dose}. The baseline "
                   "scan comes before treatment (docs/protocol-notes.md#pn-20).")
        if first_dose is not None and not a.baseline and a.assessed_on <= first_dose:
            yield ("EP002", "tumour_assessments.assessed_on", f"the post-baseline "
                   f"assessment on {a.assessed_on} is not after the first dose on "
                   f"{first_dose}. Mark it as the baseline, or correct its date.")
        if a.new_lesion_on is not None and a.new_lesion_on > a.assessed_on:
            yield ("EP005", "tumour_assessments.new_lesion_on", f"the new lesion of the "
                   f"assessment on {a.assessed_on} is dated {a.new_lesion_on}, later than the "
                   "assessment. Give the date of the scan that first showed it "
                   "(RECIST 1.1 section 9).")


def _same_day(s: SubjectData) -> Iterator[_Raw]:
    """EP008 two post-baseline assessments on one day with different responses."""
    post = [a for a in s.assessments if not a.baseline]
    for prev, cur in pairwise(post):
        if prev.assessed_on == cur.assessed_on and prev.overall_response != cur.overall_response:
            yield ("EP008", "tumour_assessments.overall_response", f"two assessments on "
                   f"{cur.assessed_on} have different overall responses. One assessment has "
                   "one overall response; merge them.")


_SUBJECT_CHECKS: tuple[Callable[[SubjectData], Iterator[_Raw]], ...] = (
    _deaths, _first_dose, _baselines, _assessment_dates, _same_day)


def _unknown_subjects(dataset: Dataset) -> Iterator[Finding]:
    """EP009 records of a subject who is not in ``subjects``."""
    known = {s.subject_id for s in dataset.subjects}
    domains = (("dosing", dataset.dosing), ("tumour_assessments", dataset.assessments),
               ("deaths", dataset.deaths), ("contacts", dataset.contacts),
               ("new_anticancer_therapy", dataset.new_therapies),
               ("discontinuations", dataset.discontinuations))
    for name, records in domains:
        for sid in sorted({r.subject_id for r in records} - known):
            yield Finding(
                "EP009", f"{name}.subject_id",
                f"Subject {sid} has {name} records but is not in subjects, so they are left "
                "out of every endpoint. Add the subject, or correct the identifier.")


def check_dataset(dataset: Dataset) -> list[Finding]:
    """Findings about records that contradict each other, in subject order.

    Codes (``docs/endpoints.md``, data checks; RECIST 1.1 section 9):

    * ``EP001`` a record is dated after the subject's death;
    * ``EP002`` a post-baseline tumour assessment is dated on or before the first dose;
    * ``EP003`` more than one baseline tumour assessment;
    * ``EP004`` the first dose is before enrolment;
    * ``EP005`` a new-lesion date is after its assessment date;
    * ``EP006`` more than one death recorded;
    * ``EP007`` a baseline assessment is dated after the first dose;
    * ``EP008`` two post-baseline assessments share a date with different responses;
    * ``EP009`` a record names a subject who is not in ``subjects`` (it is left out).

    Never raises for bad data.

    >>> from datetime import date
    >>> from oncotrial.records import Death, DosingRecord, Response, Subject, TumourAssessment
    >>> ds = Dataset((Subject("S1", date(2026, 1, 2), True),),
    ...              dosing=(DosingRecord("S1", date(2026, 1, 5), date(2026, 2, 1), 125),),
    ...              assessments=(TumourAssessment("S1", date(2026, 3, 2), Response.SD),),
    ...              deaths=(Death("S1", date(2026, 2, 20)),))
    >>> [f.code for f in check_dataset(ds)]
    ['EP001']
    >>> print(check_dataset(ds)[0].message.replace(". ", ".\\n"))
    Subject S1: the tumour assessment on 2026-03-02 is dated after death on 2026-02-20.
    A record cannot follow death; correct the date of the record or of the death.
    """
    findings = list(_unknown_subjects(dataset))
    for sid, s in dataset.by_subject().items():
        findings += [Finding(code, field, f"Subject {sid}: {text}")
                     for check in _SUBJECT_CHECKS for code, field, text in check(s)]
    return findings
