"""Best overall response: dates for other endpoints, reasons, input errors and invariants.

Rules: RECIST 1.1 section 4.4 (Eisenhauer 2009) as specified in recist11.md section 8.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import InputError
from oncotrial.recist import BestOverallResponse, Response, best_overall_response

ORIGIN = dt.date(2025, 3, 1)


def day(n: int) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


def test_reason_quotes_the_dates_and_the_interval() -> None:
    """A confirmed PR says which scan confirmed it and how many days later."""
    bor = best_overall_response([(day(56), "PR"), (day(112), "CR")], origin=ORIGIN)
    assert bor.reason == (
        "PR on 2025-04-26 confirmed by CR on 2025-06-21, 56 days later (at least 28)."
    )


def test_sd_too_early_then_pd_names_the_minimum_duration() -> None:
    """recist11.md 8.1: SD before day 42 followed by PD is PD, and the reason says why."""
    bor = best_overall_response([(day(35), "SD"), (day(70), "PD")], origin=ORIGIN)
    assert bor.response is Response.PD
    assert "before the minimum SD duration of 42 days" in bor.reason
    assert bor.pd_date == day(70) and bor.stopped_by == "PD"


def test_duration_of_response_inputs() -> None:
    """Responder: first response date, PD date and last adequate assessment for DoR."""
    tps = [(day(56), "PR"), (day(112), "PR"), (day(168), "NE"), (day(224), "PD")]
    bor = best_overall_response(tps, origin=ORIGIN)
    assert (bor.response, bor.first_response_date, bor.pd_date, bor.last_adequate_date) == (
        Response.PR, day(56), day(224), day(224))


def test_last_adequate_date_skips_trailing_ne() -> None:
    """The last adequate assessment is the last one that is not NE (endpoints.md 3)."""
    bor = best_overall_response([(day(56), "PR"), (day(112), "PR"), (day(168), "NE")],
                                origin=ORIGIN)
    assert bor.last_adequate_date == day(112) and bor.pd_date is None and bor.stopped_by is None


def test_new_therapy_stops_the_window_and_says_so() -> None:
    """endpoints.md 5: only assessments before new anticancer therapy count."""
    tps = [(day(56), "SD"), (day(112), "PD")]
    bor = best_overall_response(tps, origin=ORIGIN, new_therapy_date=day(100))
    assert (bor.response, bor.pd_date, bor.stopped_by, bor.assessments_used) == (
        Response.SD, None, "new anticancer therapy", 1)


def test_cutoff_before_any_assessment_is_ne_without_date() -> None:
    """Nothing on or before the data cut-off: NE with no date."""
    bor = best_overall_response([(day(56), "PR")], origin=ORIGIN, cutoff=day(50))
    assert (bor.response, bor.date, bor.stopped_by) == (Response.NE, None, "data cut-off")


def test_unsorted_input_and_enum_or_string_responses_agree() -> None:
    """Order of the input and the spelling of the categories do not matter."""
    a = best_overall_response([(day(112), "pr"), (day(56), Response.PR)], origin=ORIGIN)
    b = best_overall_response([(day(56), "PR"), (day(112), "PR")], origin=ORIGIN)
    assert a == b


def test_datetimes_are_read_as_dates() -> None:
    """A datetime (for example from a database) is read as its calendar date."""
    tps = [(dt.datetime(2025, 4, 26, 9, 30), "PR"), (dt.datetime(2025, 5, 24, 8, 0), "PR")]
    bor = best_overall_response(tps, origin=dt.datetime(2025, 3, 1, 12, 0))
    assert bor.response is Response.PR and bor.date == dt.date(2025, 4, 26)


def test_summary_is_one_readable_line() -> None:
    """summary() gives the BOR, whether confirmed, the date and the reason."""
    bor = best_overall_response([(day(56), "PR"), (day(84), "PR")], origin=ORIGIN)
    assert bor.summary() == (
        "BOR PR (confirmed, 2025-04-26): PR on 2025-04-26 confirmed by PR on 2025-05-24, "
        "28 days later (at least 28)."
    )


def test_result_is_frozen() -> None:
    """Results are values: they cannot be changed after the fact."""
    bor = best_overall_response([], origin=ORIGIN)
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
    ],
    ids=["scan before first dose", "two responses one day", "unknown category",
         "date as text", "negative interval", "fractional days"],
)
def test_bad_input_is_refused_with_the_value(
    timepoints: list[tuple[object, str]], kwargs: dict[str, object], fragment: str
) -> None:
    """Errors say what was checked and the value we got (STYLE.md section 3)."""
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        best_overall_response(timepoints, origin=ORIGIN, **kwargs)  # type: ignore[arg-type]


def test_same_response_twice_on_one_day_is_accepted() -> None:
    """Two identical records on one day (CT and MRI of one assessment) are one time point."""
    bor = best_overall_response([(day(56), "PR"), (day(56), "PR")], origin=ORIGIN)
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
    bor = best_overall_response(tps, origin=ORIGIN, confirm_min_days=confirm_min_days)
    if bor.response in (Response.CR, Response.PR):
        assert bor.date is not None
        window = []
        for when, resp in tps:
            window.append((when, resp))
            if resp == "PD":
                break
        good = {"CR"} if bor.response is Response.CR else {"CR", "PR"}
        assert any(
            resp in good and (when - bor.date).days >= confirm_min_days
            for when, resp in window if when > bor.date
        )


@given(tps=visit_sequences(), tail=visit_sequences(), confirm=st.booleans())
def test_nothing_after_pd_changes_the_bor(
    tps: list[tuple[dt.date, str]], tail: list[tuple[dt.date, str]], confirm: bool
) -> None:
    """PD is final: time points after the first PD never change the BOR."""
    last = tps[-1][0] if tps else ORIGIN
    with_pd = [*tps, (last + dt.timedelta(days=1), "PD")]
    shift = dt.timedelta(days=(last - ORIGIN).days + 2)
    later = [(when + shift, resp) for when, resp in tail]
    a = best_overall_response(with_pd, origin=ORIGIN, confirm=confirm)
    b = best_overall_response(with_pd + later, origin=ORIGIN, confirm=confirm)
    assert a == b


@given(tps=visit_sequences())
def test_confirmed_bor_is_never_better_than_unconfirmed(tps: list[tuple[dt.date, str]]) -> None:
    """Requiring confirmation can only lower the BOR (never raise it)."""
    confirmed = best_overall_response(tps, origin=ORIGIN)
    unconfirmed = best_overall_response(tps, origin=ORIGIN, confirm=False)
    assert confirmed.response.rank <= unconfirmed.response.rank


def test_accepts_timepoint_records() -> None:
    """Records with assessed_on and overall (TimepointResponse) work like (date, response)."""
    from oncotrial.recist import Assessment, Lesion, evaluate

    ev = evaluate([Lesion("T1", "liver", 50.0, ORIGIN - dt.timedelta(days=7))],
                  [Assessment(day(56), {"T1": 30.0}), Assessment(day(84), {"T1": 30.0})])
    assert best_overall_response(ev.timepoints, origin=ORIGIN) == best_overall_response(
        ev.responses(), origin=ORIGIN)
    with pytest.raises(InputError, match="is not a \\(date, response\\) pair"):
        best_overall_response([(day(56), "PR", "extra")], origin=ORIGIN)  # type: ignore[list-item]


@given(tps=visit_sequences(), cut=st.integers(0, 400), stop=st.integers(1, 400),
       confirm=st.booleans())
def test_no_date_after_cutoff_or_new_therapy(
    tps: list[tuple[dt.date, str]], cut: int, stop: int, confirm: bool
) -> None:
    """Every date the BOR reports is on or before the cut-off and before new therapy."""
    bor = best_overall_response(tps, origin=ORIGIN, confirm=confirm, cutoff=day(cut),
                                new_therapy_date=day(stop))
    for when in (bor.date, bor.first_response_date, bor.pd_date, bor.last_adequate_date):
        assert when is None or (when <= day(cut) and when < day(stop))


def test_recist_is_pure_and_independent_of_the_protocol_package() -> None:
    """oncotrial.recist takes protocol values as arguments; importing it loads no other
    oncotrial package (no protocol, settings, CLI or storage)."""
    import subprocess
    import sys

    code = ("import sys, oncotrial.recist\n"
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('oncotrial.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['errors', 'recist']"
