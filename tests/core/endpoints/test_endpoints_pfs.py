"""PFS event/censoring: one test per row of the PFS table and per precedence conflict.

Source: the PFS table of docs/endpoints.md (adapted from the example PFS tables of the US FDA
guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics", December
2018), RECIST 1.1 section 9 (date of progression). Every expected date is worked out by hand from
those rules for a subject dosed on 2026-01-05 with scans every 56 days (I = 56, W = 7, so the
"two or more missed assessments" limit is 2 x 56 + 7 = 119 days).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from oncotrial.endpoints import (
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    EndpointRules,
    EventKind,
    NewTherapy,
    PfsVariant,
    Subject,
    SubjectData,
    TherapyType,
    TimeOrigin,
    TumourAssessment,
    derive_pfs,
)
from oncotrial.errors import InputError
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import Response

C1D1 = date(2026, 1, 5)
ENROLLED = date(2026, 1, 2)
BASELINE = date(2025, 12, 29)
CUTOFF = date(2026, 12, 31)


def week(n: int, shift: int = 0) -> date:
    """The scheduled scan at week n (C1D1 + 7n days), moved by `shift` days."""
    return C1D1 + timedelta(days=7 * n + shift)


def subject(
    scans: list[tuple[date, Response]] | None = None,
    *,
    baseline: bool = True,
    died_on: date | None = None,
    therapy_on: date | None = None,
    stops: list[tuple[DiscontinuationLevel, date, DiscontinuationReason]] | None = None,
    new_lesion_on: dict[date, date] | None = None,
) -> SubjectData:
    """A subject dosed on C1D1 with the given post-baseline scans and events."""
    sid = "P01"
    assessments = [TumourAssessment(sid, BASELINE, None, baseline=True)] if baseline else []
    for on, response in scans or []:
        assessments.append(TumourAssessment(sid, on, response,
                                            new_lesion_on=(new_lesion_on or {}).get(on)))
    return SubjectData(
        Subject(sid, ENROLLED, True),
        dosing=(DosingRecord(sid, C1D1, C1D1 + timedelta(days=200), 125),),
        assessments=tuple(assessments),
        deaths=() if died_on is None else (Death(sid, died_on),),
        new_therapies=() if therapy_on is None else (
            NewTherapy(sid, therapy_on, TherapyType.SYSTEMIC, "lenvatinib"),),
        discontinuations=tuple(Discontinuation(sid, lv, on, why) for lv, on, why in stops or []),
    )


SD, PR, PD, NE = Response.SD, Response.PR, Response.PD, Response.NE
RULES = EndpointRules.from_protocol(load_bundled_protocol())

# The code of each row of the PFS table of docs/endpoints.md (FDA 2018 guidance, adapted).
ROW1 = "pfs.censored.no_baseline_assessment"
ROW2 = "pfs.censored.no_adequate_assessment"
ROW3 = "pfs.event.progression"
ROW4 = "pfs.censored.no_progression_or_death"
ROW5 = "pfs.censored.stopped_for_clinical_progression"
ROW6 = "pfs.censored.treatment_discontinued"
ROW7 = "pfs.censored.new_therapy"
ROW8 = "pfs.event.death_before_first_assessment"
ROW9 = "pfs.event.death_between_assessments"
ROW10 = "pfs.censored.missed_assessments"
ROW11 = "pfs.censored.event_after_cutoff"
ROW12_LOST = "pfs.censored.lost_to_follow_up"
ROW12_CONSENT = "pfs.censored.withdrawal_of_consent"
ROW_NUMBER = {ROW1: 1, ROW2: 2, ROW3: 3, ROW4: 4, ROW5: 5, ROW6: 6, ROW7: 7, ROW8: 8, ROW9: 9,
              ROW10: 10, ROW11: 11, ROW12_LOST: 12, ROW12_CONSENT: 12}
TREATMENT, STUDY = DiscontinuationLevel.TREATMENT, DiscontinuationLevel.STUDY
R = DiscontinuationReason

# (case id, subject, expected end date, event?, rule, words the reason must contain)
ROWS = [
    ("row 1: no baseline assessment is censored at C1D1, even with a later PD",
     subject([(week(8), PD)], baseline=False), C1D1, False, ROW1,
     ["no baseline tumour assessment"]),
    ("row 2: baseline only, alive, no new therapy: censored at C1D1",
     subject(), C1D1, False, ROW2, ["no adequate post-baseline"]),
    ("row 2: only NE post-baseline assessments are not adequate: censored at C1D1",
     subject([(week(8), NE), (week(16), NE)]), C1D1, False, ROW2,
     ["no adequate post-baseline"]),
    ("row 3: PD at a scheduled assessment is an event on the scan date",
     subject([(week(8), SD), (week(16), PD)]), week(16), True, ROW3,
     [f"PD on {week(16)}"]),
    ("row 3: PD at an unscheduled assessment between visits is an event on its date",
     subject([(week(8), SD), (week(11, 3), PD)]), week(11, 3), True, ROW3, []),
    ("row 3: PD by new lesion takes the date of the scan that first showed it",
     subject([(week(8), SD), (week(16), PD)], new_lesion_on={week(16): week(16, -4)}),
     week(16, -4), True, ROW3, ["new lesion first seen"]),
    ("row 4: no PD, no death: censored at the last adequate assessment",
     subject([(week(8), SD), (week(16), PR), (week(24), NE)]), week(16), False, ROW4,
     [f"last adequate assessment {week(16)}", "no progression or death"]),
    ("row 5: treatment stopped for undocumented progression: censored at last adequate",
     subject([(week(8), SD), (week(16), SD)],
             stops=[(TREATMENT, week(18), R.CLINICAL_PROGRESSION)]),
     week(16), False, ROW5, ["clinical progression not documented by imaging"]),
    ("row 6: treatment stopped for toxicity, no PD: censored at last adequate",
     subject([(week(8), SD), (week(16), SD)], stops=[(TREATMENT, week(10), R.ADVERSE_EVENT)]),
     week(16), False, ROW6, ["adverse event"]),
    ("row 6 note: treatment stopped for toxicity, imaging continued until PD: the PD counts",
     subject([(week(8), SD), (week(16), PD)], stops=[(TREATMENT, week(10), R.ADVERSE_EVENT)]),
     week(16), True, ROW3, []),
    ("row 7: new therapy before PD: censored at last adequate assessment before it",
     subject([(week(8), SD), (week(16), SD)], therapy_on=week(18)),
     week(16), False, ROW7, [f"new anticancer therapy (systemic, lenvatinib) "
                                    f"started {week(18)}"]),
    ("row 7: new therapy before any adequate assessment: censored at C1D1",
     subject([(week(8), SD)], therapy_on=week(4)), C1D1, False, ROW7,
     [f"censored at first dose {C1D1}"]),
    ("row 7: a scan on the day new therapy starts is not before it",
     subject([(week(8), SD), (week(16), SD)], therapy_on=week(16)),
     week(8), False, ROW7, []),
    ("row 8: death before the first post-baseline assessment is an event",
     subject(died_on=week(5)), week(5), True, ROW8,
     ["before the first post-baseline assessment"]),
    ("row 9: death between adequate assessments (one missed) is an event",
     subject([(week(8), SD)], died_on=week(8, 100)), week(8, 100), True, ROW9,
     ["100 days after the last adequate assessment"]),
    ("row 10: PD after two missed assessments: censored at last adequate before the gap",
     subject([(week(8), SD), (week(8, 120), PD)]), week(8), False, ROW10,
     ["120 days", "two or more missed assessments"]),
    ("row 10: death after two missed assessments: censored at last adequate before the gap",
     subject([(week(8), SD)], died_on=week(8, 140)), week(8), False, ROW10,
     [f"death on {week(8, 140)}"]),
    ("row 10: death with no post-baseline assessment beyond 2I+W of C1D1: censored at C1D1",
     subject(died_on=C1D1 + timedelta(days=120)), C1D1, False, ROW10,
     [f"censored at first dose {C1D1}"]),
    ("row 11: PD after the data cut-off: censored at last adequate on or before cut-off",
     subject([(week(8), SD), (week(16), SD), (week(24), PD)]), week(16), False, ROW11,
     ["after the data cut-off"]),
    ("row 12: lost to follow-up: censored at last adequate assessment",
     subject([(week(8), SD), (week(16), NE)], stops=[(STUDY, week(20), R.LOST_TO_FOLLOW_UP)]),
     week(8), False, ROW12_LOST, ["lost to follow-up"]),
    ("row 12: consent withdrawn: censored at last adequate assessment",
     subject([(week(8), SD)], stops=[(STUDY, week(12), R.WITHDRAWAL_OF_CONSENT)]),
     week(8), False, ROW12_CONSENT, ["consent withdrawn"]),
]

# Precedence conflicts: 1 -> 7 -> 10 -> 3/8/9 -> 11 -> 2/4/5/6/12 (docs/endpoints.md).
CONFLICTS = [
    ("new therapy and then PD: row 7 wins over row 3",
     subject([(week(8), SD), (week(16), PD)], therapy_on=week(12)),
     week(8), False, ROW7, [f"before PD on {week(16)}"]),
    ("new therapy and then death: row 7 wins over row 9",
     subject([(week(8), SD)], therapy_on=week(12), died_on=week(14)),
     week(8), False, ROW7, [f"before death on {week(14)}"]),
    ("PD before new therapy: the PD counts",
     subject([(week(8), SD), (week(16), PD)], therapy_on=week(17)),
     week(16), True, ROW3, []),
    ("PD on the day new therapy starts: the therapy is not before PD, so PD counts",
     subject([(week(8), SD), (week(16), PD)], therapy_on=week(16)),
     week(16), True, ROW3, []),
    ("PD after two missed scans: row 10 wins over row 3",
     subject([(week(8), SD), (week(32), PD)]), week(8), False, ROW10, []),
    ("new therapy, then PD after a gap: row 7 wins over row 10",
     subject([(week(8), SD), (week(32), PD)], therapy_on=week(20)),
     week(8), False, ROW7, []),
    ("no baseline and new therapy: row 1 wins over row 7",
     subject([(week(8), SD)], baseline=False, therapy_on=week(10)),
     C1D1, False, ROW1, []),
    ("gap edge: event exactly 2I+W = 119 days after the last adequate assessment counts",
     subject([(week(8), SD), (week(8, 119), PD)]), week(8, 119), True, ROW3, []),
    ("gap edge: event 120 days after the last adequate assessment is censored",
     subject([(week(8), SD), (week(8, 120), PD)]), week(8), False, ROW10, []),
    ("an NE scan does not reset the gap: PD 120 days after the last adequate one is censored",
     subject([(week(8), SD), (week(16), NE), (week(8, 120), PD)]), week(8), False,
     ROW10, []),
    ("PD and death: the earlier one is the event",
     subject([(week(8), SD), (week(16), PD)], died_on=week(17)), week(16), True, ROW3, []),
    ("death before a scheduled PD scan: death is the event",
     subject([(week(8), SD), (week(16), PD)], died_on=week(15)), week(15), True, ROW9, []),
    ("PD absorbs: SD after PD does not undo the event",
     subject([(week(8), PD), (week(16), SD)]), week(8), True, ROW3, []),
    ("treatment stopped for toxicity and lost to follow-up: the study-level reason is given",
     subject([(week(8), SD)], stops=[(TREATMENT, week(9), R.ADVERSE_EVENT),
                                     (STUDY, week(12), R.LOST_TO_FOLLOW_UP)]),
     week(8), False, ROW12_LOST, []),
]


def _check(case: tuple[object, ...], cutoff: date) -> None:
    _, subj, end_on, event, code, words = case
    pfs = derive_pfs(subj, cutoff=cutoff, rules=RULES)  # type: ignore[arg-type]
    assert (pfs.end_on, pfs.event, pfs.code) == (end_on, event, code), pfs.reason
    assert pfs.facts["row"] == ROW_NUMBER[code]  # type: ignore[index]
    for w in words:  # type: ignore[attr-defined]
        assert w in pfs.reason
    assert pfs.end_on <= cutoff
    assert pfs.days == (pfs.end_on - C1D1).days + 1


@pytest.mark.parametrize("case", ROWS, ids=[c[0] for c in ROWS])
def test_pfs_censoring_table_row(case: tuple[object, ...]) -> None:
    """Each row of the PFS table (docs/endpoints.md) gives the date, outcome, code and reason
    of the table."""
    cutoff = week(20) if "cut-off" in str(case[0]) else CUTOFF
    _check(case, cutoff)


@pytest.mark.parametrize("case", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_pfs_precedence_conflict(case: tuple[object, ...]) -> None:
    """When two rows apply, the precedence of the PFS table (docs/endpoints.md) decides."""
    _check(case, CUTOFF)


def test_pfs_event_after_cutoff_following_a_gap_is_row_11() -> None:
    """An event after the cut-off is unknown at the cut-off: row 11, not row 10, whatever the
    gap (documented reading of the precedence; both give the same date)."""
    subj = subject([(week(8), SD), (week(40), PD)])
    pfs = derive_pfs(subj, cutoff=week(30), rules=RULES)
    assert (pfs.end_on, pfs.event, pfs.code) == (week(8), False, ROW11)


def test_pfs_new_therapy_after_cutoff_is_ignored() -> None:
    """Therapy started after the cut-off is not known at the cut-off; the censoring reason is
    the cut-off (row 11), and the censoring date is not after the cut-off."""
    subj = subject([(week(8), SD), (week(16), SD), (week(24), PD)], therapy_on=week(22))
    pfs = derive_pfs(subj, cutoff=week(20), rules=RULES)
    assert (pfs.end_on, pfs.code) == (week(16), ROW11)


def test_pfs_death_after_cutoff_is_censored_row_11() -> None:
    """Row 11 for a death after the cut-off."""
    pfs = derive_pfs(subject([(week(8), SD)], died_on=week(12)), cutoff=week(10), rules=RULES)
    assert (pfs.end_on, pfs.event, pfs.code) == (week(8), False, ROW11)


def test_pfs_assessments_after_cutoff_are_not_used_for_censoring() -> None:
    """Row 4 with a cut-off between scans: the last adequate assessment on or before it."""
    pfs = derive_pfs(subject([(week(8), SD), (week(16), SD)]), cutoff=week(12), rules=RULES)
    assert (pfs.end_on, pfs.code) == (week(8), ROW4)


def test_pfs_event_kind_is_recorded() -> None:
    """The event says whether it was progression or death (docs/endpoints.md, PFS reporting)."""
    def kind(s: SubjectData) -> EventKind | None:
        return derive_pfs(s, cutoff=CUTOFF, rules=RULES).event_kind

    assert kind(subject([(week(8), PD)])) is EventKind.PROGRESSION
    assert kind(subject(died_on=week(3))) is EventKind.DEATH
    assert kind(subject([(week(8), SD)])) is None


def test_pfs_without_first_dose_raises_an_actionable_error() -> None:
    """PFS is for the FAS: a subject without a dose gets an error that says so and the fix."""
    subj = SubjectData(Subject("P02", ENROLLED, True))
    with pytest.raises(InputError, match="full analysis set") as info:
        derive_pfs(subj, cutoff=CUTOFF, rules=RULES)
    assert info.value.field == "first_dose_on"
    assert info.value.hint


# Sensitivity analyses S1-S4 (docs/endpoints.md).


def test_pfs_s1_counts_pd_after_new_therapy() -> None:
    """S1: PD counts regardless of new anticancer therapy."""
    subj = subject([(week(8), SD), (week(16), PD)], therapy_on=week(12))
    pfs = derive_pfs(subj, cutoff=CUTOFF, variant=PfsVariant.S1, rules=RULES)
    assert (pfs.end_on, pfs.event, pfs.endpoint) == (week(16), True, "PFS S1")


def test_pfs_s1_counts_pd_after_two_missed_assessments() -> None:
    """S1: PD counts regardless of missed assessments."""
    subj = subject([(week(8), SD), (week(32), PD)])
    pfs = derive_pfs(subj, cutoff=CUTOFF, variant=PfsVariant.S1, rules=RULES)
    assert (pfs.end_on, pfs.event) == (week(32), True)


def test_pfs_s1_still_censors_an_event_after_cutoff() -> None:
    """S1 drops rows 7 and 10 only; row 11 still applies."""
    subj = subject([(week(8), SD), (week(32), PD)])
    pfs = derive_pfs(subj, cutoff=week(20), variant=PfsVariant.S1, rules=RULES)
    assert (pfs.end_on, pfs.event, pfs.code) == (week(8), False, ROW11)


def test_pfs_s2_counts_symptomatic_deterioration_as_event() -> None:
    """S2: clinical progression is an event at the date of deterioration."""
    subj = subject([(week(8), SD), (week(16), SD)],
                   stops=[(TREATMENT, week(18), R.CLINICAL_PROGRESSION)])
    primary = derive_pfs(subj, cutoff=CUTOFF, rules=RULES)
    s2 = derive_pfs(subj, cutoff=CUTOFF, variant=PfsVariant.S2, rules=RULES)
    assert (primary.end_on, primary.event) == (week(16), False)
    assert (s2.end_on, s2.event, s2.event_kind) == (week(18), True,
                                                    EventKind.CLINICAL_PROGRESSION)
    assert (s2.code, s2.facts["row"], s2.facts["variant"]) == (
        "pfs.event.clinical_progression", None, "S2")


def test_pfs_s3_measures_from_enrolment() -> None:
    """S3: origin = enrolment date, so the same PD date gives 3 more days."""
    subj = subject([(week(8), SD), (week(16), PD)])
    primary = derive_pfs(subj, cutoff=CUTOFF, rules=RULES)
    s3 = derive_pfs(subj, cutoff=CUTOFF, variant=PfsVariant.S3, rules=RULES)
    assert s3.origin_on == ENROLLED and s3.end_on == primary.end_on
    assert s3.days == primary.days + (C1D1 - ENROLLED).days


def test_pfs_time_origin_rule_enrolment_matches_s3() -> None:
    """time_origin=ENROLMENT gives the S3 origin in the primary analysis."""
    subj = subject([(week(8), SD)])
    rules = replace(RULES, time_origin=TimeOrigin.ENROLMENT)
    assert derive_pfs(subj, cutoff=CUTOFF, rules=rules).origin_on == ENROLLED


@pytest.mark.parametrize(
    ("scan", "scheduled"),
    [
        (week(8), week(8)),  # on time
        (week(8, 5), week(8)),  # late, inside the +7 day window
        (week(8, -6), week(8)),  # early, inside the window
        (week(8, 7), week(8)),  # last day of the window
        (week(8, 8), week(16)),  # between windows: the next scheduled visit
        (week(11), week(16)),  # unscheduled between visits: the next scheduled visit
    ],
)
def test_pfs_s4_dates_pd_at_the_scheduled_visit(scan: date, scheduled: date) -> None:
    """S4: PD is assigned to its scheduled visit, C1D1 + k x 56 days."""
    subj = subject([(week(4), SD), (scan, PD)])
    pfs = derive_pfs(subj, cutoff=CUTOFF, variant=PfsVariant.S4, rules=RULES)
    assert (pfs.end_on, pfs.event) == (scheduled, True)


def test_pfs_gap_follows_the_protocol_interval() -> None:
    """With 6-weekly imaging (I = 42, W = 7) the limit is 91 days, not 119."""
    subj = subject([(week(8), SD), (week(8, 100), PD)])
    rules = replace(RULES, assessment_interval_days=42)
    assert derive_pfs(subj, cutoff=CUTOFF, rules=RULES).event is True
    pfs = derive_pfs(subj, cutoff=CUTOFF, rules=rules)
    assert (pfs.event, pfs.code) == (False, ROW10)
    assert "2 x 42 + 7 = 91 days" in pfs.reason
