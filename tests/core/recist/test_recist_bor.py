"""Best overall response: dates for other endpoints, codes, reasons, input errors, invariants.

Rules: RECIST 1.1 (Eisenhauer et al. 2009) section 4.4 and Table 3; the confirmation settings
of pharmaverse admiralonco ``derive_param_confirmed_bor``; docs/recist.md (Best overall
response) gives the algorithm step by step.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import InputError
from oncotrial.recist import BestOverallResponse, Response, WindowStop, best_overall_response

ORIGIN = dt.date(2025, 3, 1)


def day(n: int) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


def test_reason_quotes_the_dates_and_the_interval() -> None:
    """A confirmed PR says which scan confirmed it and how many days later."""
    bor = best_overall_response([(day(56), "PR"), (day(112), "CR")], origin=ORIGIN, sd_min_days=42)
    assert bor.reason == (
        "PR on 2025-04-26 confirmed by CR on 2025-06-21, 56 days later (at least 28)."
    )


def test_sd_too_early_then_pd_names_the_minimum_duration() -> None:
    """RECIST 1.1 section 4.4: SD before the protocol's minimum (42 days) followed by PD is PD,
    and the code and reason say why."""
    bor = best_overall_response([(day(35), "SD"), (day(70), "PD")], origin=ORIGIN, sd_min_days=42)
    assert (bor.response, bor.code) == (Response.PD, "recist.bor.pd.sd_too_early")
    assert "before the minimum SD duration of 42 days" in bor.reason
    assert bor.pd_on == day(70) and bor.stopped_by is WindowStop.PD
    assert bor.facts["last_non_pd_day"] == 35 and bor.facts["sd_min_days"] == 42


def test_duration_of_response_inputs() -> None:
    """Responder: first response date, PD date and last adequate assessment for DoR."""
    tps = [(day(56), "PR"), (day(112), "PR"), (day(168), "NE"), (day(224), "PD")]
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42)
    assert (bor.response, bor.first_response_on, bor.pd_on, bor.last_adequate_on) == (
        Response.PR, day(56), day(224), day(224))
    # The old names still read the *_on fields.
    assert (bor.date, bor.first_response_date, bor.pd_date, bor.last_adequate_date) == (
        day(56), day(56), day(224), day(224))


def test_last_adequate_date_skips_trailing_ne() -> None:
    """The last adequate assessment is the last one that is not NE (FDA 2018 guidance on
    endpoints: censoring at the last adequate assessment; docs/endpoints.md)."""
    bor = best_overall_response([(day(56), "PR"), (day(112), "PR"), (day(168), "NE")],
                                origin=ORIGIN, sd_min_days=42)
    assert bor.last_adequate_on == day(112) and bor.pd_on is None and bor.stopped_by is None


def test_new_therapy_stops_the_window_and_says_so() -> None:
    """Only assessments before new anticancer therapy count (RECIST 1.1 section 4.4: best
    response before subsequent therapy; docs/endpoints.md)."""
    tps = [(day(56), "SD"), (day(112), "PD")]
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, new_therapy_date=day(100))
    assert (bor.response, bor.pd_on, bor.stopped_by, bor.assessments_used) == (
        Response.SD, None, WindowStop.NEW_THERAPY, 1)
    assert bor.stopped_by == "new_therapy" and bor.facts["new_therapy_on"] == day(100)


def test_cutoff_before_any_assessment_is_ne_without_date() -> None:
    """Nothing on or before the data cut-off: NE with no date."""
    bor = best_overall_response([(day(56), "PR")], origin=ORIGIN, sd_min_days=42, cutoff=day(50))
    assert (bor.response, bor.assessed_on, bor.stopped_by, bor.code) == (
        Response.NE, None, WindowStop.CUTOFF, "recist.bor.ne.no_assessment")
    assert bor.reason == "NE: no assessment after the origin 2025-03-01 before the data cut-off."


def test_unsorted_input_and_enum_or_string_responses_agree() -> None:
    """Order of the input and the spelling of the categories do not matter."""
    a = best_overall_response([(day(112), "pr"), (day(56), Response.PR)], origin=ORIGIN,
                              sd_min_days=42)
    b = best_overall_response([(day(56), "PR"), (day(112), "PR")], origin=ORIGIN, sd_min_days=42)
    assert a == b


def test_datetimes_are_read_as_dates() -> None:
    """A datetime (for example from a database) is read as its calendar date."""
    tps = [(dt.datetime(2025, 4, 26, 9, 30), "PR"), (dt.datetime(2025, 5, 24, 8, 0), "PR")]
    bor = best_overall_response(tps, origin=dt.datetime(2025, 3, 1, 12, 0), sd_min_days=42)
    assert bor.response is Response.PR and bor.assessed_on == dt.date(2025, 4, 26)


def test_summary_is_one_readable_line() -> None:
    """summary() gives the BOR, whether confirmed, the date and the reason."""
    bor = best_overall_response([(day(56), "PR"), (day(84), "PR")], origin=ORIGIN, sd_min_days=42)
    assert bor.summary() == (
        "BOR PR (confirmed, 2025-04-26): PR on 2025-04-26 confirmed by PR on 2025-05-24, "
        "28 days later (at least 28)."
    )


def test_result_is_frozen() -> None:
    """Results are values: they cannot be changed after the fact."""
    bor = best_overall_response([], origin=ORIGIN, sd_min_days=42)
    with pytest.raises(AttributeError):
        bor.response = Response.CR  # type: ignore[misc]
    assert isinstance(bor, BestOverallResponse)


@pytest.mark.parametrize(
    ("timepoints", "kwargs", "fragment"),
    [
        ([(day(-3), "SD")], {}, "before the origin 2025-03-01"),
        ([(day(56), "PR"), (day(56), "SD")], {}, "Two time-point responses are dated 2025-04-26"),
        ([(day(56), "partial")], {}, "'partial' is not a RECIST 1.1 response category"),
        ([("2025-04-26", "PR")], {}, "must be a calendar date"),
        ([], {"confirm_min_days": -1}, "confirm_min_days is -1"),
        ([], {"sd_min_days": 6.5}, "sd_min_days is 6.5"),
        ([], {"max_sd_between": -1}, "max_sd_between is -1"),
    ],
    ids=["scan before first dose", "two responses one day", "unknown category",
         "date as text", "negative interval", "fractional days", "negative SD count"],
)
def test_bad_input_is_refused_with_the_value(
    timepoints: list[tuple[object, str]], kwargs: dict[str, object], fragment: str
) -> None:
    """Errors say what was checked and the value we got (docs/architecture.md, error tree)."""
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        best_overall_response(timepoints, origin=ORIGIN,
                              **{"sd_min_days": 42, **kwargs})  # type: ignore[arg-type]


def test_same_response_twice_on_one_day_is_accepted() -> None:
    """Two identical records on one day (CT and MRI of one assessment) are one time point."""
    bor = best_overall_response([(day(56), "PR"), (day(56), "PR")], origin=ORIGIN, sd_min_days=42)
    assert bor.response is Response.SD


# --- Properties -----------------------------------------------------------------------------

RESPONSES = [r.value for r in Response if r is not Response.NON_CR_NON_PD]


@st.composite
def visit_sequences(draw: st.DrawFn) -> list[tuple[dt.date, str]]:
    """Strictly increasing scan days with target-disease time-point responses."""
    gaps = draw(st.lists(st.integers(1, 70), max_size=10))
    days, total = [], 0
    for gap in gaps:
        total += gap
        days.append(total)
    return [(day(d), draw(st.sampled_from(RESPONSES))) for d in days]


@given(tps=visit_sequences(), confirm_min_days=st.integers(0, 60))
def test_confirmed_response_needs_two_assessments_far_enough_apart(
    tps: list[tuple[dt.date, str]], confirm_min_days: int
) -> None:
    """A confirmed CR/PR has CR/PR assessments at least the interval apart before any PD."""
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42,
                                confirm_min_days=confirm_min_days)
    if bor.response in (Response.CR, Response.PR):
        assert bor.assessed_on is not None
        window = []
        for when, resp in tps:
            window.append((when, resp))
            if resp == "PD":
                break
        good = {"CR"} if bor.response is Response.CR else {"CR", "PR"}
        assert any(
            resp in good and (when - bor.assessed_on).days >= confirm_min_days
            for when, resp in window if when > bor.assessed_on
        )
        assert bor.code == f"recist.bor.{bor.response.value.lower()}.confirmed"
        confirmed_on = bor.facts["confirmed_on"]
        assert isinstance(confirmed_on, dt.date)
        assert bor.facts["days_to_confirmation"] == (confirmed_on - bor.assessed_on).days


@given(tps=visit_sequences(), tail=visit_sequences(), confirm=st.booleans())
def test_nothing_after_pd_changes_the_bor(
    tps: list[tuple[dt.date, str]], tail: list[tuple[dt.date, str]], confirm: bool
) -> None:
    """PD is final: time points after the first PD never change the BOR."""
    last = tps[-1][0] if tps else ORIGIN
    with_pd = [*tps, (last + dt.timedelta(days=1), "PD")]
    shift = dt.timedelta(days=(last - ORIGIN).days + 2)
    later = [(when + shift, resp) for when, resp in tail]
    a = best_overall_response(with_pd, origin=ORIGIN, sd_min_days=42, confirm=confirm)
    b = best_overall_response(with_pd + later, origin=ORIGIN, sd_min_days=42, confirm=confirm)
    assert a == b


@given(tps=visit_sequences())
def test_confirmed_bor_is_never_better_than_unconfirmed(tps: list[tuple[dt.date, str]]) -> None:
    """Requiring confirmation can only lower the BOR (never raise it)."""
    confirmed = best_overall_response(tps, origin=ORIGIN, sd_min_days=42)
    unconfirmed = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, confirm=False)
    assert confirmed.response.rank <= unconfirmed.response.rank


def test_accepts_timepoint_records() -> None:
    """Records with assessed_on and overall (TimepointResponse) work like (date, response)."""
    from oncotrial.recist import Assessment, Lesion, evaluate

    ev = evaluate([Lesion("T1", "liver", 50.0, ORIGIN - dt.timedelta(days=7))],
                  [Assessment(day(56), {"T1": 30.0}), Assessment(day(84), {"T1": 30.0})])
    assert best_overall_response(ev.timepoints, origin=ORIGIN,
                                 sd_min_days=42) == best_overall_response(
        ev.responses(), origin=ORIGIN, sd_min_days=42)
    with pytest.raises(InputError, match="is not a \\(date, response\\) pair"):
        best_overall_response([(day(56), "PR", "extra")], origin=ORIGIN, sd_min_days=42)


@given(tps=visit_sequences(), cut=st.integers(0, 400), stop=st.integers(1, 400),
       confirm=st.booleans())
def test_no_date_after_cutoff_or_new_therapy(
    tps: list[tuple[dt.date, str]], cut: int, stop: int, confirm: bool
) -> None:
    """Every date the BOR reports is on or before the cut-off and before new therapy."""
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, confirm=confirm,
                                cutoff=day(cut),
                                new_therapy_date=day(stop))
    for when in (bor.assessed_on, bor.first_response_on, bor.pd_on, bor.last_adequate_on):
        assert when is None or (when <= day(cut) and when < day(stop))


def test_recist_is_pure_and_independent_of_the_protocol_package() -> None:
    """oncotrial.recist takes protocol values as arguments; importing it loads no other
    oncotrial package than the shared records and errors (no protocol, settings, CLI or
    storage)."""
    import subprocess
    import sys

    code = ("import sys, oncotrial.recist\n"
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('oncotrial.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['errors', 'recist', 'records']"


# --- Clinical corrections (issue 10), each stating its rule ----------------------------------


def test_best_qualifying_time_point_non_cr_non_pd_gives_non_cr_non_pd_not_sd() -> None:
    """RECIST 1.1 section 4.4 and Table 2 note: a patient whose best time point meeting the
    minimum SD duration is NON-CR/NON-PD has BOR NON-CR/NON-PD, not SD ("non-CR/non-PD is
    preferred over stable disease for non-target disease"). An SD read before day 42 does not
    qualify, so it cannot turn the BOR into SD."""
    bor = best_overall_response([(day(21), "SD"), (day(56), "NON-CR/NON-PD")], origin=ORIGIN,
                                sd_min_days=42)
    assert (bor.response, bor.assessed_on, bor.code) == (
        Response.NON_CR_NON_PD, day(56), "recist.bor.non_cr_non_pd")
    # SD ranks above NON-CR/NON-PD in the order of merit: a qualifying SD still wins, and the
    # BOR date is that of the SD.
    bor = best_overall_response([(day(56), "NON-CR/NON-PD"), (day(112), "SD")], origin=ORIGIN,
                                sd_min_days=42)
    assert (bor.response, bor.assessed_on) == (Response.SD, day(112))


def test_unconfirmed_cr_of_non_target_only_patient_is_non_cr_non_pd() -> None:
    """RECIST 1.1 Table 2 and section 4.4: for a patient with non-target disease only, an
    unconfirmed CR counts as a non-PD time point, and the BOR it supports is NON-CR/NON-PD
    (SD is not assigned to non-target disease). With target disease the same sequence is SD,
    as admiralonco gives."""
    tps = [(day(56), "CR"), (day(70), "NE")]
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, non_target_only=True)
    assert (bor.response, bor.code) == (
        Response.NON_CR_NON_PD, "recist.bor.non_cr_non_pd.response_not_confirmed")
    assert best_overall_response(tps, origin=ORIGIN, sd_min_days=42,
                                 non_target_only=False).response is (
        Response.SD)
    from oncotrial.recist import Assessment, Lesion, evaluate

    ev = evaluate([Lesion("NT1", "bone", None, ORIGIN - dt.timedelta(days=7), target=False)],
                  [Assessment(day(56), {}, {"NT1": "ABSENT"}),
                   Assessment(day(70), {}, {"NT1": "NOT_EVALUATED"})])
    assert [tp.overall for tp in ev.timepoints] == [Response.CR, Response.NE]
    assert ev.best_overall_response(origin=ORIGIN, sd_min_days=42).response is (
        Response.NON_CR_NON_PD)


def test_pr_is_not_confirmed_across_a_cr_followed_by_pr() -> None:
    """RECIST 1.1 Table 3 and note, as admiralonco: disease that reappears after a CR is not a
    continuing PR, so PR, CR, PR does not confirm the first PR (the later PR cannot confirm
    it across the intervening CR). The BOR is SD and the CR-then-PR sequence is flagged."""
    bor = best_overall_response([(day(56), "PR"), (day(70), "CR"), (day(112), "PR")],
                                origin=ORIGIN, sd_min_days=42)
    assert (bor.response, bor.assessed_on, bor.code) == (
        Response.SD, day(56), "recist.bor.sd.response_not_confirmed")
    assert bor.flags == ("recist.bor.review.cr_then_pr",)
    assert "Review: CR on 2025-05-10 is followed by PR" in bor.reason
    # A CR at least 28 days after the PR still confirms it, whatever follows.
    bor = best_overall_response([(day(56), "PR"), (day(84), "CR"), (day(112), "PR")],
                                origin=ORIGIN, sd_min_days=42)
    assert (bor.response, bor.code) == (Response.PR, "recist.bor.pr.confirmed")


def test_sd_between_confirmations_allows_at_most_one_sd() -> None:
    """admiralonco accept_sd: with SD allowed between a PR and its confirmation, at most one
    SD assessment is accepted; two break the confirmation. A protocol that needs more sets
    max_sd_between."""
    tps = [(day(56), "PR"), (day(84), "SD"), (day(112), "SD"), (day(140), "PR")]
    one = [(day(56), "PR"), (day(84), "SD"), (day(112), "PR")]
    assert best_overall_response(one, origin=ORIGIN, sd_min_days=42,
                                 allow_sd_between=True).response is (
        Response.PR)
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, allow_sd_between=True)
    assert (bor.response, bor.facts["max_sd_between"]) == (Response.SD, 1)
    bor = best_overall_response(tps, origin=ORIGIN, sd_min_days=42, allow_sd_between=True,
                                max_sd_between=2)
    assert (bor.response, bor.assessed_on) == (Response.PR, day(56))
    # Without allow_sd_between no SD is accepted, whatever max_sd_between says.
    assert best_overall_response(one, origin=ORIGIN, sd_min_days=42,
                                 max_sd_between=3).response is Response.SD


def test_contract_call_of_the_public_api_test() -> None:
    """The keyword set tests/test_public_contracts.py uses keeps working and reads .date."""
    bor = best_overall_response(
        [(day(56), "PR"), (day(112), "PR")], origin=ORIGIN, confirm=True, confirm_min_days=28,
        sd_min_days=42, max_ne_between=1, allow_sd_between=False)
    assert (bor.response, bor.date) == ("PR", day(56))


BOR_CODES = {
    "recist.bor.cr.confirmed": [(56, "CR"), (112, "CR")],
    "recist.bor.pr.confirmed": [(56, "PR"), (112, "PR")],
    "recist.bor.sd": [(56, "SD")],
    "recist.bor.sd.response_not_confirmed": [(56, "PR"), (70, "SD")],
    "recist.bor.non_cr_non_pd": [(56, "NON-CR/NON-PD")],
    "recist.bor.pd": [(56, "PD")],
    "recist.bor.pd.sd_too_early": [(20, "SD"), (56, "PD")],
    "recist.bor.ne.no_assessment": [],
    "recist.bor.ne.sd_too_early": [(20, "SD")],
    "recist.bor.ne.all_not_evaluable": [(56, "NE")],
}


@pytest.mark.parametrize("code", sorted(BOR_CODES))
def test_each_bor_code(code: str) -> None:
    """Each BOR code is emitted by the sequence that defines it (RESULT_CODES meaning)."""
    bor = best_overall_response([(day(d), r) for d, r in BOR_CODES[code]], origin=ORIGIN,
                                sd_min_days=42)
    assert bor.code == code, bor.reason
    assert bor.facts["response"] == bor.response.value


def test_unconfirmed_codes() -> None:
    """confirm=False: CR and PR carry "confirmation not required" codes."""
    for resp in ("CR", "PR"):
        bor = best_overall_response([(day(56), resp)], origin=ORIGIN, sd_min_days=42, confirm=False)
        assert bor.code == f"recist.bor.{resp.lower()}.confirmation_not_required"
