"""Best overall response (BOR) over a subject's time points, RECIST 1.1 section 4.4.

The order of merit, the minimum duration for SD, BOR without confirmation and with
confirmation (RECIST 1.1 section 4.4 and Table 3), data cut-off and new anticancer therapy.
The confirmation settings default to those of pharmaverse admiralonco
``derive_param_confirmed_bor`` (``max_ne_between=1``, no SD between, ``accept_sd`` allowing
one SD); a SAP may choose otherwise. ``docs/recist.md`` (Best overall response) gives the
algorithm step by step.

The decision is made by small rule functions applied in order (:func:`_confirmed`,
:func:`_unconfirmed`, :func:`_stable`, :func:`_pd_or_ne`); each returns a :class:`_Decision`
or None. The loop works on plain ``(date, Response)`` pairs so that 10,000 subjects take well
under a second; see ``benchmarks/bench_recist.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from oncotrial.errors import InputError
from oncotrial.records import Fact, Facts, Response

__all__ = ["BestOverallResponse", "WindowStop", "best_overall_response"]

_CR = Response.CR
_PR = Response.PR
_SD = Response.SD
_NN = Response.NON_CR_NON_PD
_PD = Response.PD
_NE = Response.NE


class WindowStop(StrEnum):
    """What ended the BOR evaluation window (a code, not a sentence).

    ``pd``: the first PD (included); ``new_therapy``: an assessment on or after the start of
    new anticancer therapy; ``cutoff``: an assessment after the data cut-off.
    """

    PD = "pd"
    NEW_THERAPY = "new_therapy"
    CUTOFF = "cutoff"

    @property
    def words(self) -> str:
        """The stop in words, for reasons: "PD", "new anticancer therapy", "data cut-off"."""
        return _STOP_WORDS[self]


_STOP_WORDS = {WindowStop.PD: "PD", WindowStop.NEW_THERAPY: "new anticancer therapy",
               WindowStop.CUTOFF: "data cut-off"}

_BOR = "recist.bor."
REVIEW_CR_THEN_PR = "recist.bor.review.cr_then_pr"
REVIEW_CR_THEN_SD = "recist.bor.review.cr_then_sd"


@dataclass(frozen=True, slots=True)
class BestOverallResponse:
    """A subject's best overall response and the dates that other endpoints need.

    Attributes:
        response: the BOR category.
        assessed_on: date of the assessment that decides the BOR: for CR/PR the first
            assessment of the (confirmed) response; for SD or NON-CR/NON-PD the first
            assessment of that category that meets the minimum SD duration; for PD the PD
            assessment; for NE the last assessment considered (None when there was none).
        first_response_on: date of the first CR/PR assessment of the response that made the
            BOR CR or PR (start of duration of response); None when the BOR is not CR/PR.
        pd_on: date of the first PD time point within the evaluation window, None if none.
        last_adequate_on: date of the last assessment other than NE within the window
            (censoring date for duration of response), None if none.
        confirmation_required: whether CR/PR needed confirmation.
        code: what decided the BOR (``recist.bor.pr.confirmed``, ``recist.bor.sd``...;
            ``RESULT_CODES`` lists them).
        reason: one sentence with the dates and the rule that decided the BOR, followed by
            the review note when ``flags`` is not empty.
        stopped_by: what ended the evaluation window, or None.
        assessments_used: number of time points inside the evaluation window.
        flags: codes of sequences a reader should review (``recist.bor.review.cr_then_pr``:
            a CR followed by PR).
        facts: the settings, dates and counts the decision used.

    The old names ``date``, ``first_response_date``, ``pd_date`` and ``last_adequate_date``
    still read the ``*_on`` fields.
    """

    response: Response
    assessed_on: dt.date | None
    first_response_on: dt.date | None
    pd_on: dt.date | None
    last_adequate_on: dt.date | None
    confirmation_required: bool
    code: str
    reason: str
    stopped_by: WindowStop | None = None
    assessments_used: int = 0
    flags: tuple[str, ...] = ()
    facts: Facts = field(default_factory=dict, hash=False)

    @property
    def date(self) -> dt.date | None:
        """Old name of :attr:`assessed_on` (the date of the deciding assessment)."""
        return self.assessed_on

    @property
    def first_response_date(self) -> dt.date | None:
        """Old name of :attr:`first_response_on`."""
        return self.first_response_on

    @property
    def pd_date(self) -> dt.date | None:
        """Old name of :attr:`pd_on`."""
        return self.pd_on

    @property
    def last_adequate_date(self) -> dt.date | None:
        """Old name of :attr:`last_adequate_on`."""
        return self.last_adequate_on

    def summary(self) -> str:
        """One line for a listing: the BOR, whether confirmed, its date and the reason."""
        when = self.assessed_on.isoformat() if self.assessed_on else "no date"
        kind = "confirmed" if self.confirmation_required else "unconfirmed"
        return f"BOR {self.response.value} ({kind}, {when}): {self.reason}"


def _as_date(value: object, field_name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise InputError(
        f"{field_name} is {value!r}. It must be a calendar date.",
        field=field_name,
        value=value,
        hint="Give the date of the assessment as a datetime.date.",
    )


def _check_days(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"{name} is {value!r}. It must be a whole number of days (or assessments), 0 or "
            "more.",
            field=name,
            value=value,
            hint="Set it from the protocol (RECIST 1.1 section 4.4; docs/recist.md).",
        )


def _pair(item: Any) -> tuple[dt.date, Response]:
    """One (date, response) from a pair or from a record with assessed_on and overall."""
    if isinstance(item, tuple) and len(item) == 2:
        when, resp = item
    else:  # a TimepointResponse, or any record with assessed_on and overall
        when = getattr(item, "assessed_on", None)
        resp = getattr(item, "overall", None)
        if when is None or resp is None:
            raise InputError(
                f"Time point {item!r} is not a (date, response) pair. "
                "best_overall_response needs the date and overall response of each "
                "assessment.",
                field="timepoints",
                value=item,
                hint="Pass evaluate(...).responses(), or (date, response) pairs.",
            )
    if type(when) is not dt.date:
        when = _as_date(when, "timepoint date")
    if type(resp) is not Response:
        resp = Response.parse(resp)
    return when, resp


def _prepare(timepoints: Iterable[Any], origin: dt.date) -> list[tuple[dt.date, Response]]:
    """The time points as sorted (date, Response) pairs, checked against the origin."""
    out = [_pair(item) for item in timepoints]
    if any(out[k][0] > out[k + 1][0] for k in range(len(out) - 1)):
        out.sort(key=lambda tp: tp[0])
    for k, (when, resp) in enumerate(out):
        if when < origin:
            raise InputError(
                f"A {resp.value} time point is dated {when.isoformat()}, before the origin "
                f"{origin.isoformat()}. Response is assessed after the start of treatment; "
                "an earlier scan is the baseline.",
                field="timepoints",
                value=when,
                hint="Remove the baseline scan from the time points, or correct the date.",
            )
        if k and out[k - 1][0] == when and out[k - 1][1] is not resp:
            raise InputError(
                f"Two time-point responses are dated {when.isoformat()} "
                f"({out[k - 1][1].value} and {resp.value}). "
                "Each assessment has one overall response.",
                field="timepoints",
                value=when,
                hint="Merge the scans of one assessment into one time point.",
            )
    return out


@dataclass(frozen=True, slots=True)
class _Settings:
    """The BOR settings after checking; ``max_sd`` is 0 unless SD is allowed between."""

    origin: dt.date
    confirm: bool
    confirm_min_days: int
    sd_min_days: int
    sd_window_days: int
    max_ne: int
    max_sd: int
    cutoff: dt.date | None
    new_therapy_on: dt.date | None
    non_target_only: bool | None

    @property
    def min_sd_day(self) -> int:
        """The first day (from the origin) on which a non-PD assessment counts as SD."""
        return self.sd_min_days - self.sd_window_days


class _Window(NamedTuple):
    """The time points inside the evaluation window and what ended it."""

    tps: list[tuple[dt.date, Response]]
    stopped_by: WindowStop | None
    pd_on: dt.date | None
    last_adequate_on: dt.date | None


def _window(all_tps: Sequence[tuple[dt.date, Response]], s: _Settings) -> _Window:
    """Step 1: from the origin to the first PD, before new therapy, up to the cut-off."""
    stopped_by: WindowStop | None = None
    tps: list[tuple[dt.date, Response]] = []
    for when, resp in all_tps:
        if s.new_therapy_on is not None and when >= s.new_therapy_on:
            stopped_by = WindowStop.NEW_THERAPY
            break
        if s.cutoff is not None and when > s.cutoff:
            stopped_by = WindowStop.CUTOFF
            break
        tps.append((when, resp))
        if resp is _PD:
            stopped_by = WindowStop.PD
            break
    pd_on = tps[-1][0] if tps and tps[-1][1] is _PD else None
    last_adequate = next((when for when, resp in reversed(tps) if resp is not _NE), None)
    return _Window(tps, stopped_by, pd_on, last_adequate)


def _review(tps: Sequence[tuple[dt.date, Response]]) -> tuple[tuple[str, ...], str, Facts]:
    """A CR followed (past any NE) by PR or SD: flag it for a reader (RECIST 1.1 Table 3 note).

    Disease reappeared after a true CR, or the CR should be re-read as PR; the reader decides.
    """
    for k in range(len(tps) - 1):
        if tps[k][1] is _CR:
            nxt = next((r for _, r in tps[k + 1:] if r is not _NE), None)
            if nxt is _PR or nxt is _SD:
                code = REVIEW_CR_THEN_PR if nxt is _PR else REVIEW_CR_THEN_SD
                note = (f" Review: CR on {tps[k][0].isoformat()} is followed by {nxt.value}: "
                        "disease reappeared after a complete response, or the CR should be "
                        "re-read as PR (RECIST 1.1 Table 3, note).")
                return (code,), note, {"review_cr_on": tps[k][0]}
    return (), "", {}


class _Decision(NamedTuple):
    """What a rule decided: the BOR, its dates, its code and reason, and extra facts."""

    response: Response
    assessed_on: dt.date | None
    first_response_on: dt.date | None
    code: str
    reason: str
    facts: dict[str, Fact]


def _confirmation_of(
    tps: Sequence[tuple[dt.date, Response]],
    i: int,
    confirming: frozenset[Response],
    between: frozenset[Response],
    s: _Settings,
) -> int | None:
    """The index of the assessment that confirms the response at ``i``, or None.

    RECIST 1.1 section 4.4 and Table 3, as admiralonco ``derive_param_confirmed_bor``: the
    first later assessment in ``confirming`` at least ``confirm_min_days`` after ``i``
    confirms it, if every assessment in between is in ``between``, with at most
    ``max_ne_between`` NE and ``max_sd`` SD, and no PR comes after a CR (disease that
    reappears after a CR is not a continuing PR).
    """
    d_i = tps[i][0]
    ne = sd = 0
    seen_cr = False
    for j in range(i + 1, len(tps)):
        d_j, r_j = tps[j]
        if r_j is _PR and seen_cr:
            return None
        if r_j in confirming and (d_j - d_i).days >= s.confirm_min_days:
            return j
        if r_j is _NE:
            ne += 1
            if ne > s.max_ne:
                return None
        elif r_j not in between:
            return None
        elif r_j is _SD:
            sd += 1
            if sd > s.max_sd:
                return None
        seen_cr = seen_cr or r_j is _CR
    return None


def _find_confirmation(
    tps: Sequence[tuple[dt.date, Response]],
    first: Response,
    confirming: frozenset[Response],
    between: frozenset[Response],
    s: _Settings,
) -> tuple[int, int] | None:
    """The earliest ``first`` response that is confirmed, with its confirming assessment."""
    for i, (_, r_i) in enumerate(tps):
        if r_i is first:
            j = _confirmation_of(tps, i, confirming, between, s)
            if j is not None:
                return i, j
    return None


_CR_SET = frozenset({_CR})
_CRPR = frozenset({_CR, _PR})
_CRPRSD = frozenset({_CR, _PR, _SD})
_SD_LIKE = frozenset({_CR, _PR, _SD, _NN})


def _confirmed_decision(tps: Sequence[tuple[dt.date, Response]], found: tuple[int, int],
                        first_response_on: dt.date, s: _Settings) -> _Decision:
    (d_i, r_i), (d_j, r_j) = tps[found[0]], tps[found[1]]
    days = (d_j - d_i).days
    return _Decision(
        r_i, d_i, first_response_on, f"{_BOR}{r_i.value.lower()}.confirmed",
        f"{r_i.value} on {d_i.isoformat()} confirmed by {r_j.value} on {d_j.isoformat()}, "
        f"{days} days later (at least {s.confirm_min_days}).",
        {"confirmed_by": r_j.value, "confirmed_on": d_j, "days_to_confirmation": days})


def _confirmed(tps: Sequence[tuple[dt.date, Response]], s: _Settings) -> _Decision | None:
    """Step 2 and 3: a confirmed CR, else a confirmed PR (``confirm=True`` only)."""
    if not s.confirm:
        return None
    found_cr = _find_confirmation(tps, _CR, _CR_SET, _CR_SET, s)
    found_pr = _find_confirmation(tps, _PR, _CRPR, _CRPRSD if s.max_sd else _CRPR, s)
    if found_cr is not None:
        first = tps[found_cr[0]][0]
        if found_pr is not None:
            first = min(first, tps[found_pr[0]][0])
        return _confirmed_decision(tps, found_cr, first, s)
    if found_pr is not None:
        return _confirmed_decision(tps, found_pr, tps[found_pr[0]][0], s)
    return None


def _unconfirmed(tps: Sequence[tuple[dt.date, Response]], s: _Settings) -> _Decision | None:
    """Without confirmation (``confirm=False``) the best CR or PR by the order of merit."""
    if s.confirm or not tps:
        return None
    when, best = max(tps, key=lambda tp: tp[1].rank)
    if best not in _CRPR:
        return None
    first = next(w for w, r in tps if r in _CRPR)
    return _Decision(best, when, first, f"{_BOR}{best.value.lower()}.confirmation_not_required",
                     f"{best.value} on {when.isoformat()}, confirmation not required.", {})


def _is_non_target_only(tps: Sequence[tuple[dt.date, Response]], s: _Settings) -> bool:
    """Given by the caller, or read from the time points: NON-CR/NON-PD seen (RECIST 1.1
    Table 2) and no PR or SD (Table 1 only)."""
    if s.non_target_only is not None:
        return s.non_target_only
    return any(r is _NN for _, r in tps) and not any(r is _PR or r is _SD for _, r in tps)


def _stable(tps: Sequence[tuple[dt.date, Response]], s: _Settings) -> _Decision | None:
    """Step 4: SD or NON-CR/NON-PD of minimum duration, from the best qualifying time point.

    A non-PD assessment (SD, NON-CR/NON-PD, or an unconfirmed CR/PR) at least
    ``sd_min_days - sd_window_days`` days after the origin qualifies. A qualifying SD (or an
    unconfirmed CR/PR of a patient with target disease) gives SD; a qualifying NON-CR/NON-PD
    (or an unconfirmed CR of a patient with non-target disease only) gives NON-CR/NON-PD,
    which RECIST 1.1 prefers over SD for non-target disease (Table 2 note). SD ranks above
    NON-CR/NON-PD in the order of merit, so SD wins when both qualify.
    """
    min_day = s.min_sd_day
    nto = _is_non_target_only(tps, s)
    best: tuple[dt.date, Response, Response] | None = None
    for when, resp in tps:
        if resp in _SD_LIKE and (when - s.origin).days >= min_day:
            category = _NN if resp is _NN or (nto and resp in _CRPR) else _SD
            if best is None or (category is _SD and best[2] is _NN):
                best = (when, resp, category)
    if best is None:
        return None
    when, label, category = best
    days = (when - s.origin).days
    code = _BOR + ("sd" if category is _SD else "non_cr_non_pd")
    why = (f"{category.value}: {label.value} on {when.isoformat()} is {days} days after the "
           f"origin {s.origin.isoformat()} (at least {min_day})")
    if s.confirm and any(r in _CRPR for _, r in tps):
        code += ".response_not_confirmed"
        why += "; no CR/PR was confirmed"
    return _Decision(category, when, None, code, why + ".",
                     {"qualifying_response": label.value, "qualifying_day": days,
                      "non_target_only": nto})


def _pd_or_ne(tps: Sequence[tuple[dt.date, Response]], pd_on: dt.date | None,
              stopped_by: WindowStop | None, s: _Settings) -> _Decision:
    """Steps 5 and 6: without SD of minimum duration, PD if a PD follows, otherwise NE."""
    origin, min_day = s.origin, s.min_sd_day
    if not tps:
        why = "NE: no assessment after the origin " + origin.isoformat()
        if stopped_by is not None:
            why += f" before the {stopped_by.words}"
        return _Decision(_NE, None, None, _BOR + "ne.no_assessment", why + ".", {})
    early = [(w, r) for w, r in tps if r in _SD_LIKE]
    note = ""
    facts: dict[str, Fact] = {}
    if early:
        w, r = early[-1]
        note = (f"; the last non-PD assessment ({r.value} on {w.isoformat()}, day "
                f"{(w - origin).days}) is before the minimum SD duration of {min_day} days")
        facts = {"last_non_pd_on": w, "last_non_pd_day": (w - origin).days}
    if pd_on is not None:
        code = _BOR + ("pd.sd_too_early" if early else "pd")
        return _Decision(_PD, pd_on, None, code, f"PD on {pd_on.isoformat()}{note}.", facts)
    last = tps[-1][0]
    if note:
        return _Decision(_NE, last, None, _BOR + "ne.sd_too_early",
                         "NE" + note + ", and no PD followed.", facts)
    return _Decision(_NE, last, None, _BOR + "ne.all_not_evaluable",
                     f"NE: all {len(tps)} assessments up to {last.isoformat()} were not "
                     "evaluable.", facts)


def _settings(
    origin: dt.date, confirm: bool, confirm_min_days: int, sd_min_days: int,
    max_ne_between: int, allow_sd_between: bool, max_sd_between: int, sd_window_days: int,
    cutoff: dt.date | None, new_therapy_date: dt.date | None, non_target_only: bool | None,
) -> _Settings:
    for name, value in (
        ("confirm_min_days", confirm_min_days),
        ("sd_min_days", sd_min_days),
        ("max_ne_between", max_ne_between),
        ("max_sd_between", max_sd_between),
        ("sd_window_days", sd_window_days),
    ):
        _check_days(name, value)
    return _Settings(
        origin=_as_date(origin, "origin"),
        confirm=confirm,
        confirm_min_days=confirm_min_days,
        sd_min_days=sd_min_days,
        sd_window_days=sd_window_days,
        max_ne=max_ne_between,
        max_sd=max_sd_between if allow_sd_between else 0,
        cutoff=None if cutoff is None else _as_date(cutoff, "cutoff"),
        new_therapy_on=None if new_therapy_date is None else _as_date(
            new_therapy_date, "new_therapy_date"),
        non_target_only=non_target_only,
    )


def best_overall_response(
    timepoints: Iterable[tuple[dt.date, Response | str]] | Iterable[Any],
    *,
    origin: dt.date,
    confirm: bool = True,
    confirm_min_days: int = 28,
    sd_min_days: int,
    max_ne_between: int = 1,
    allow_sd_between: bool = False,
    max_sd_between: int = 1,
    sd_window_days: int = 0,
    cutoff: dt.date | None = None,
    new_therapy_date: dt.date | None = None,
    non_target_only: bool | None = None,
) -> BestOverallResponse:
    """Best overall response by RECIST 1.1 section 4.4 (``docs/recist.md``).

    The evaluation window runs from ``origin`` (date of first dose) up to and including the
    first PD; assessments after ``cutoff`` and on or after ``new_therapy_date`` are ignored.

    Order of merit: CR > PR > SD > NON-CR/NON-PD > PD > NE.
    SD (and NON-CR/NON-PD, and an unconfirmed CR/PR, which count as non-PD) only counts when
    an assessment falls at least ``sd_min_days`` after the origin (less ``sd_window_days`` if
    the protocol allows a window). The BOR is then the category of the best qualifying time
    point: NON-CR/NON-PD, not SD, for a patient whose best qualifying time point is
    NON-CR/NON-PD (non-target disease only, RECIST 1.1 Table 2 note). ``non_target_only``
    says whether the patient had non-target disease only at baseline; None reads it from the
    time points (NON-CR/NON-PD seen, no PR or SD). Without SD of that duration, BOR is PD if a
    PD follows, otherwise NE.

    With ``confirm=True`` (single-arm trials, this trial's primary ORR), as admiralonco:

    * CR needs a later CR at least ``confirm_min_days`` after it, with only CR and at most
      ``max_ne_between`` NE in between.
    * PR needs a later PR or CR at least ``confirm_min_days`` after a PR, with only PR/CR and
      at most ``max_ne_between`` NE in between; PD always breaks it. SD in between breaks it
      unless ``allow_sd_between``, which accepts at most ``max_sd_between`` SD (1, as
      admiralonco's ``accept_sd``).
    * A PR is not confirmed across a CR that is followed by PR (PR, CR, PR): disease that
      reappears after a CR is not a continuing PR (RECIST 1.1 Table 3 and note).
    * A CR followed by PR or SD is flagged for review (``flags``), because the first "CR" may
      have been a PR on re-reading.

    Args:
        timepoints: (date, response) pairs, responses as ``Response`` or their strings; or
            records with ``assessed_on`` and ``overall`` such as ``TimepointResponse``.
        origin: the time origin (date of first dose).
        sd_min_days: the protocol's minimum duration of SD from the origin; RECIST 1.1
            section 4.4 leaves it to the protocol, so it has no default (42 days in
            NCT06478927: ``TrialContext.bor`` or the protocol's endpoint rules give it).
        confirm_min_days: the confirmation interval, 28 days (RECIST 1.1: at least 4 weeks).
        max_ne_between, allow_sd_between, max_sd_between: admiralonco's defaults.

    Returns:
        A frozen :class:`BestOverallResponse` with ``code``, ``facts`` and ``reason``.

    Raises:
        InputError: a date is missing or before the origin, two different responses share a
            date, a response is not a RECIST category, or a day or count setting is negative.

    Worked example, first dose 1 March 2025, scans every 8 weeks:

    >>> from datetime import date
    >>> tps = [(date(2025, 4, 26), "SD"), (date(2025, 6, 21), "PR"),
    ...        (date(2025, 8, 16), "PR"), (date(2025, 10, 11), "PD")]
    >>> bor = best_overall_response(tps, origin=date(2025, 3, 1), sd_min_days=42)
    >>> bor.response, bor.code
    (<Response.PR: 'PR'>, 'recist.bor.pr.confirmed')
    >>> bor.assessed_on, bor.first_response_on
    (datetime.date(2025, 6, 21), datetime.date(2025, 6, 21))
    >>> bor.pd_on, bor.last_adequate_on, bor.stopped_by
    (datetime.date(2025, 10, 11), datetime.date(2025, 10, 11), <WindowStop.PD: 'pd'>)
    >>> print(bor.reason)
    PR on 2025-06-21 confirmed by PR on 2025-08-16, 56 days later (at least 28).
    >>> best_overall_response(tps[:2], origin=date(2025, 3, 1), sd_min_days=42).code
    'recist.bor.sd.response_not_confirmed'
    >>> best_overall_response(tps[:2], origin=date(2025, 3, 1), sd_min_days=42,
    ...                       confirm=False).response
    <Response.PR: 'PR'>
    """
    s = _settings(origin, confirm, confirm_min_days, sd_min_days, max_ne_between,
                  allow_sd_between, max_sd_between, sd_window_days, cutoff, new_therapy_date,
                  non_target_only)
    win = _window(_prepare(timepoints, s.origin), s)
    tps = win.tps
    flags, note, review_facts = _review(tps)
    decision = (
        (_confirmed(tps, s) or _unconfirmed(tps, s) or _stable(tps, s)) if tps else None
    ) or _pd_or_ne(tps, win.pd_on, win.stopped_by, s)
    facts: dict[str, Fact] = {
        "response": decision.response.value,
        "assessed_on": decision.assessed_on,
        "first_response_on": decision.first_response_on,
        "pd_on": win.pd_on,
        "last_adequate_on": win.last_adequate_on,
        "origin": s.origin,
        "confirm": s.confirm,
        "confirm_min_days": s.confirm_min_days,
        "sd_min_days": s.sd_min_days,
        "sd_window_days": s.sd_window_days,
        "max_ne_between": s.max_ne,
        "max_sd_between": s.max_sd,
        "cutoff": s.cutoff,
        "new_therapy_on": s.new_therapy_on,
        "stopped_by": None if win.stopped_by is None else win.stopped_by.value,
        "assessments_used": len(tps),
        **decision.facts,
        **review_facts,
    }
    return BestOverallResponse(
        response=decision.response,
        assessed_on=decision.assessed_on,
        first_response_on=decision.first_response_on,
        pd_on=win.pd_on,
        last_adequate_on=win.last_adequate_on,
        confirmation_required=s.confirm,
        code=decision.code,
        reason=decision.reason + note,
        stopped_by=win.stopped_by,
        assessments_used=len(tps),
        flags=flags,
        facts=facts,
    )
