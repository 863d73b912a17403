"""OS censoring, analysis sets, ORR/DCR, time to and duration of response (docs/endpoints.md;
RECIST 1.1 sections 4.4 and 4.6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from scipy.stats import binomtest

from oncotrial.endpoints import (
    Contact,
    Dataset,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    EndpointRules,
    NewTherapy,
    Subject,
    SubjectData,
    TherapyType,
    TumourAssessment,
    analyze_endpoints,
    derive_analysis_sets,
    derive_os,
    derive_response,
)
from oncotrial.errors import InputError
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import DAYS_PER_MONTH, Response

RULES = EndpointRules.from_protocol(load_bundled_protocol())

C1D1 = date(2026, 1, 5)
CUTOFF = date(2026, 12, 31)
CR, PR, SD, NN, PD, NE = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD,
                          Response.PD, Response.NE)


def day(n: int) -> date:
    """Study day n, C1D1 being day 1."""
    return C1D1 + timedelta(days=n - 1)


def make(
    sid: str = "P01",
    scans: tuple[tuple[int, Response], ...] = (),
    *,
    measurable: bool = True,
    died: int | None = None,
    contacts: tuple[tuple[int, bool], ...] = (),
    therapy: int | None = None,
    dose_days: int = 100,
    stops: tuple[tuple[int, DiscontinuationReason], ...] = (),
) -> SubjectData:
    """A subject dosed from day 1 for `dose_days` days; events on study days."""
    return SubjectData(
        Subject(sid, day(-3), measurable),
        dosing=(DosingRecord(sid, day(1), day(dose_days), 125),),
        assessments=(TumourAssessment(sid, day(-7), None, baseline=True),
                     *(TumourAssessment(sid, day(d), r) for d, r in scans)),
        deaths=() if died is None else (Death(sid, day(died)),),
        contacts=tuple(Contact(sid, day(d), "survival follow-up", alive) for d, alive in contacts),
        new_therapies=() if therapy is None else (
            NewTherapy(sid, day(therapy), TherapyType.LOCOREGIONAL, "TACE"),),
        discontinuations=tuple(
            Discontinuation(sid, DiscontinuationLevel.TREATMENT, day(d), why)
            for d, why in stops),
    )


# docs/endpoints.md, overall survival: death = event; otherwise censored at the last date known
# alive on or before the cut-off; follow-up continues after PD and after new therapy.
OS_CASES = [
    ("death on or before the cut-off is an event on its date",
     make(died=150), CUTOFF, day(150), True,
     "os.event.death"),
    ("death after PD and new therapy is still an OS event (no censoring for new therapy)",
     make(scans=((57, PD),), therapy=70, died=200), CUTOFF, day(200), True,
     "os.event.death"),
    ("death after the cut-off: censored at the last date known alive on or before it",
     make(died=300, contacts=((200, True), (280, True))), day(250), day(200), False,
     "os.censored.death_after_cutoff"),
    ("alive: the latest survival contact is the last date known alive",
     make(contacts=((150, True), (250, True))), CUTOFF, day(250), False,
     "os.censored.alive"),
    ("a contact that does not document the subject alive does not count",
     make(contacts=((150, True), (250, False))), CUTOFF, day(150), False,
     "os.censored.alive"),
    ("a tumour assessment documents the subject alive",
     make(scans=((57, SD), (113, SD)), dose_days=60), CUTOFF, day(113), False,
     "os.censored.alive"),
    ("the start of new therapy documents the subject alive",
     make(therapy=130, dose_days=60), CUTOFF, day(130), False,
     "os.censored.alive"),
    ("dosing that runs past the cut-off documents the subject alive on the cut-off",
     make(dose_days=400), day(200), day(200), False,
     "os.censored.alive"),
    ("records after the cut-off are not used",
     make(contacts=((150, True), (250, True))), day(200), day(150), False,
     "os.censored.alive"),
]


@pytest.mark.parametrize(("why", "subject", "cutoff", "end_on", "event", "code"), OS_CASES,
                         ids=[c[0] for c in OS_CASES])
def test_os_event_or_censoring(why: str, subject: SubjectData, cutoff: date, end_on: date,
                               event: bool, code: str) -> None:
    """docs/endpoints.md, overall survival, case by case, with the code of each outcome."""
    got = derive_os(subject, cutoff=cutoff, rules=RULES)
    assert (got.end_on, got.event, got.code) == (end_on, event, code), got.reason
    assert got.end_on <= cutoff


def test_os_reason_names_the_record_and_the_cutoff() -> None:
    """The reason says which record showed the subject alive, and why censored."""
    got = derive_os(make(died=300, contacts=((200, True),)), cutoff=day(250), rules=RULES)
    assert "contact: survival follow-up" in got.reason
    assert "after the data cut-off" in got.reason


# docs/endpoints.md, analysis sets.
def test_analysis_sets() -> None:
    """Enrolled after the cut-off: in no set; enrolled, undosed: enrolled only; dosed without
    measurable disease: FAS and safety, not response-evaluable."""
    def flags(subject: SubjectData) -> tuple[bool, bool, bool, bool]:
        s = derive_analysis_sets(subject, cutoff=CUTOFF)
        return s.enrolled, s.fas, s.response_evaluable, s.safety

    undosed = SubjectData(Subject("A", day(-3), True))
    late = SubjectData(Subject("B", day(400), True))
    assert flags(make()) == (True, True, True, True)
    assert flags(make(measurable=False)) == (True, True, False, True)
    assert flags(undosed) == (True, False, False, False)
    assert flags(late) == (False, False, False, False)
    assert "no dose recorded" in derive_analysis_sets(undosed, cutoff=CUTOFF).reason
    codes = [derive_analysis_sets(x, cutoff=CUTOFF).code
             for x in (make(), make(measurable=False), undosed, late)]
    assert codes == ["sets.fas_response_evaluable", "sets.fas_non_measurable", "sets.no_dose",
                     "sets.enrolled_after_cutoff"]


# docs/endpoints.md and RECIST 1.1 sections 4.4 and 4.6 (confirmation as admiralonco): (scans,
# BOR, responder, unconfirmed responder, disease control).
RESPONSE_CASES = [
    ("PR confirmed 56 days later", ((57, PR), (113, PR)), PR, True, True, True),
    ("PR confirmed by CR", ((57, PR), (113, CR)), PR, True, True, True),
    ("CR confirmed by CR", ((57, CR), (113, CR)), CR, True, True, True),
    ("PR followed only by PD: unconfirmed, SD duration met", ((57, PR), (113, PD)), SD, False,
     True, True),
    ("PR at day 30 then PD: SD duration not met", ((30, PR), (60, PD)), PD, False, True, False),
    ("SD at day 57 (>= 42 days): disease control", ((57, SD),), SD, False, False, True),
    ("SD only at day 36 then nothing: NE", ((36, SD),), NE, False, False, False),
    ("non-target disease only: NON-CR/NON-PD is not disease control", ((57, NN), (113, NN)), NN,
     False, False, False),
    ("PD first", ((57, PD),), PD, False, False, False),
]


@pytest.mark.parametrize(("why", "scans", "bor", "responder", "unconfirmed", "control"),
                         RESPONSE_CASES, ids=[c[0] for c in RESPONSE_CASES])
def test_response_endpoints(why: str, scans: tuple[tuple[int, Response], ...], bor: Response,
                            responder: bool, unconfirmed: bool, control: bool) -> None:
    """ORR counts confirmed CR/PR; DCR adds SD of at least 42 days; unconfirmed ORR is
    supplementary (PN-03, PN-04)."""
    got = derive_response(make(scans=scans), cutoff=CUTOFF, rules=RULES)
    assert got.bor.response is bor, got.reason
    assert (got.responder, got.responder_unconfirmed, got.disease_control) == (
        responder, unconfirmed, control)


def test_response_ignores_assessments_after_new_therapy() -> None:
    """docs/endpoints.md: only assessments before new anticancer therapy count."""
    got = derive_response(make(scans=((57, PR), (113, PR)), therapy=100), cutoff=CUTOFF,
                          rules=RULES)
    assert got.bor.response is SD and not got.responder


def test_response_ignores_assessments_after_cutoff() -> None:
    """Only what was known at the cut-off counts."""
    got = derive_response(make(scans=((57, PR), (113, PR))), cutoff=day(100), rules=RULES)
    assert not got.responder


def test_time_to_and_duration_of_response() -> None:
    """TTR = first CR/PR - C1D1 + 1; DoR from the first CR/PR to PD (docs/endpoints.md)."""
    got = derive_response(make(scans=((57, PR), (113, PR), (169, PD))), cutoff=CUTOFF,
                          rules=RULES)
    assert got.time_to_response_days == 57
    dor = got.duration_of_response
    assert dor is not None
    assert (dor.origin_on, dor.end_on, dor.event, dor.days) == (day(57), day(169), True, 113)
    assert dor.code == "dor.event.progression"
    assert got.code == "response.confirmed_pr"


def test_duration_of_response_is_censored_like_pfs() -> None:
    """DoR after new therapy: censored at the last adequate assessment before it (PFS table
    row 7, docs/endpoints.md)."""
    got = derive_response(make(scans=((57, PR), (113, PR), (169, PD)), therapy=150),
                          cutoff=CUTOFF, rules=RULES)
    dor = got.duration_of_response
    assert dor is not None
    assert (dor.end_on, dor.event, dor.code) == (day(113), False, "dor.censored.new_therapy")
    assert dor.facts["row"] == 7


@pytest.mark.parametrize(
    ("subject", "category", "words"),
    [
        (make(died=30), "early_death", f"early death on {day(30)}"),
        (make(stops=((20, DiscontinuationReason.ADVERSE_EVENT),)), "early_discontinuation",
         f"early discontinuation on {day(20)}"),
        (make(), "no_post_baseline_assessment", "no post-baseline assessment"),
        (make(scans=((30, SD),)), "sd_too_early", "29 days after the first dose, fewer than 42"),
        (make(scans=((57, NE),)), "all_assessments_ne", "every post-baseline assessment was NE"),
    ],
)
def test_ne_reasons(subject: SubjectData, category: str, words: str) -> None:
    """docs/endpoints.md: NE reasons for the BOR table, each with its code."""
    got = derive_response(subject, cutoff=CUTOFF, rules=RULES)
    assert got.bor.response is NE
    assert got.ne_category == category
    assert got.code == f"response.ne.{category}"
    assert "NE because: " in got.reason and words in got.reason


def test_response_before_first_dose_names_the_subject() -> None:
    """A post-baseline assessment before C1D1 is a data error the message locates."""
    ds = Dataset((Subject("P09", day(-3), True),),
                 dosing=(DosingRecord("P09", day(1), day(30), 125),),
                 assessments=(TumourAssessment("P09", day(-5), Response.SD),))
    with pytest.raises(InputError, match="Subject P09"):
        analyze_endpoints(ds, cutoff=CUTOFF, rules=RULES)


# Exact Clopper & Pearson (1934) 95 % intervals for n = 22, as tabulated in docs/endpoints.md:
# 0/22 (0.0-15.4), 1/22 (0.1-22.8), 2/22 (1.1-29.2), 3/22 (2.9-34.9), 5/22 (7.8-45.4),
# 11/22 (28.2-71.8), 13/22 (36.4-79.3).
GUIDE = [(0, "0.0", "15.4"), (1, "0.1", "22.8"), (2, "1.1", "29.2"), (3, "2.9", "34.9"),
         (5, "7.8", "45.4")]


def _trial(responders: int, controlled: int) -> Dataset:
    """22 measurable subjects: `responders` confirmed PR, then SD up to `controlled`, then PD."""
    subjects = []
    for i in range(22):
        if i < responders:
            scans: tuple[tuple[int, Response], ...] = ((57, PR), (113, PR))
        elif i < controlled:
            scans = ((57, SD),)
        else:
            scans = ((57, PD),)
        subjects.append(make(f"P{i:02d}", scans))
    return Dataset(
        tuple(s.subject for s in subjects),
        dosing=tuple(d for s in subjects for d in s.dosing),
        assessments=tuple(a for s in subjects for a in s.assessments),
    )


@pytest.mark.parametrize(("x", "low", "high"), GUIDE)
def test_orr_matches_endpoints_md_examples_for_22_patients(x: int, low: str, high: str) -> None:
    """ORR over the response-evaluable set with the exact Clopper-Pearson CI."""
    result = analyze_endpoints(_trial(x, x), cutoff=CUTOFF, rules=RULES)
    orr = result.rate("ORR").estimate
    assert orr is not None and (orr.x, orr.n) == (x, 22)
    assert (f"{100 * orr.lower:.1f}", f"{100 * orr.upper:.1f}") == (low, high)


@pytest.mark.parametrize(("x", "low", "high"), [(11, "28.2", "71.8"), (13, "36.4", "79.3")])
def test_dcr_matches_endpoints_md_examples_for_22_patients(x: int, low: str, high: str) -> None:
    """DCR = confirmed CR/PR or SD >= 42 days, over the response-evaluable set."""
    result = analyze_endpoints(_trial(2, x), cutoff=CUTOFF, rules=RULES)
    dcr = result.rate("DCR").estimate
    assert dcr is not None and (dcr.x, dcr.n) == (x, 22)
    assert (f"{100 * dcr.lower:.1f}", f"{100 * dcr.upper:.1f}") == (low, high)
    ci = binomtest(x, 22).proportion_ci(method="exact")
    assert dcr.lower == pytest.approx(ci.low, abs=1e-9)
    assert dcr.upper == pytest.approx(ci.high, abs=1e-9)


def test_non_measurable_subjects_leave_the_primary_denominator_and_are_listed() -> None:
    """docs/endpoints.md: non-measurable NON-CR/NON-PD is listed separately."""
    a = make("A", ((57, PR), (113, PR)))
    b = make("B", ((57, NN), (113, NN)), measurable=False)
    ds = Dataset((a.subject, b.subject), dosing=a.dosing + b.dosing,
                 assessments=a.assessments + b.assessments)
    result = analyze_endpoints(ds, cutoff=CUTOFF, rules=RULES)
    assert (result.rate("ORR").x, result.rate("ORR").n) == (1, 1)
    assert (result.rate("ORR", "FAS").x, result.rate("ORR", "FAS").n) == (1, 2)
    assert result.non_measurable_non_cr_non_pd == ("B",)


def test_confirmation_can_be_switched_off_by_the_protocol() -> None:
    """rules.confirmation_required = False makes the primary ORR the unconfirmed one."""
    subj = make(scans=((57, PR), (113, PD)))
    assert not derive_response(subj, cutoff=CUTOFF, rules=RULES).responder
    rules = replace(RULES, confirmation_required=False)
    assert derive_response(subj, cutoff=CUTOFF, rules=rules).responder


def test_sd_window_lets_an_early_sd_count() -> None:
    """A protocol may allow a window on the minimum SD duration (docs/recist.md): with
    sd_window_days = 7, SD on day 36 (35 days after C1D1) counts."""
    subj = make(scans=((36, SD),))
    assert derive_response(subj, cutoff=CUTOFF, rules=RULES).bor.response is NE
    rules = replace(RULES, sd_window_days=7)
    assert derive_response(subj, cutoff=CUTOFF, rules=rules).bor.response is SD


def test_time_to_response_summary() -> None:
    """Median and range of time to response over confirmed responders, in months."""
    a = make("A", ((57, PR), (113, PR)))
    b = make("B", ((113, PR), (169, PR)))
    c = make("C", ((57, SD),))
    ds = Dataset((a.subject, b.subject, c.subject), dosing=a.dosing + b.dosing + c.dosing,
                 assessments=a.assessments + b.assessments + c.assessments)
    ttr = analyze_endpoints(ds, cutoff=CUTOFF, rules=RULES).time_to_response
    assert ttr.n == 2
    assert DAYS_PER_MONTH == 30.4375  # 365.25 / 12
    assert ttr.median_months == pytest.approx((57 + 113) / 2 / 30.4375)
    assert ttr.min_months == pytest.approx(57 / 30.4375)
    assert ttr.max_months == pytest.approx(113 / 30.4375)
    assert ttr.code == "ttr.estimated"


def test_non_target_only_disease_is_read_from_the_baseline_not_the_time_points() -> None:
    """RECIST 1.1 Table 2: a subject without measurable disease at baseline has no SD; an
    unconfirmed CR after the minimum SD duration, then PD, is NON-CR/NON-PD, even though no
    NON-CR/NON-PD time point was recorded. With measurable disease the same sequence is SD."""
    scans = ((57, Response.CR), (113, Response.PD))
    without = derive_response(make(scans=scans, measurable=False), cutoff=CUTOFF, rules=RULES)
    with_targets = derive_response(make(scans=scans), cutoff=CUTOFF, rules=RULES)
    assert without.bor.response == Response.NON_CR_NON_PD
    assert with_targets.bor.response == Response.SD
