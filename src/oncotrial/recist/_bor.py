"""Best overall response (BOR) over a subject's time points, RECIST 1.1 section 4.4.

Implements ``recist11.md`` section 8: the order of merit, the minimum duration for SD,
BOR without confirmation (section 8.2) and with confirmation (section 8.3, the worked
algorithm of section 8.4), data cut-off and new anticancer therapy.
The confirmation settings default to those of pharmaverse admiralonco
(``max_ne_between=1``, ``allow_sd_between=False``); a SAP may choose otherwise.

The loop works on plain ``(date, Response)`` pairs so that 10,000 subjects take well under
a second; see ``benchmarks/bench_recist.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from oncotrial.errors import InputError
from oncotrial.recist._response import Response

__all__ = ["BestOverallResponse", "best_overall_response"]

_CR = Response.CR
_PR = Response.PR
_SD = Response.SD
_NN = Response.NON_CR_NON_PD
_PD = Response.PD
_NE = Response.NE

STOP_PD = "PD"
STOP_NEW_THERAPY = "new anticancer therapy"
STOP_CUTOFF = "data cut-off"


@dataclass(frozen=True, slots=True)
class BestOverallResponse:
    """A subject's best overall response and the dates that other endpoints need.

    Attributes:
        response: the BOR category.
        date: date of the assessment that decides the BOR: for CR/PR the first assessment of
            the (confirmed) response; for SD or NON-CR/NON-PD the first assessment that meets
            the minimum SD duration; for PD the PD assessment; for NE the last assessment
            considered (None when there was none).
        first_response_date: date of the first CR/PR assessment of the response that made the
            BOR CR or PR (start of duration of response); None when the BOR is not CR/PR.
        pd_date: date of the first PD time point within the evaluation window, None if none.
        last_adequate_date: date of the last assessment other than NE within the window
            (censoring date for duration of response), None if none.
        confirmation_required: whether CR/PR needed confirmation.
        reason: one sentence with the dates and the rule that decided the BOR.
        stopped_by: what ended the evaluation window: "PD", "new anticancer therapy",
            "data cut-off" or None.
        assessments_used: number of time points inside the evaluation window.
        flags: sequences a reader should review (for example CR followed by PR).
    """

    response: Response
    date: dt.date | None
    first_response_date: dt.date | None
    pd_date: dt.date | None
    last_adequate_date: dt.date | None
    confirmation_required: bool
    reason: str
    stopped_by: str | None = None
    assessments_used: int = 0
    flags: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for a listing: the BOR, its date and the reason."""
        when = self.date.isoformat() if self.date else "no date"
        kind = "confirmed" if self.confirmation_required else "unconfirmed"
        text = f"BOR {self.response.value} ({kind}, {when}): {self.reason}"
        if self.flags:
            text += " Review: " + " ".join(self.flags)
        return text


def _as_date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise InputError(
        f"{field} is {value!r}. It must be a calendar date.",
        field=field,
        value=value,
        hint="Give the date of the assessment as a datetime.date.",
    )


def _check_days(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"{name} is {value!r}. It must be a whole number of days, 0 or more.",
            field=name,
            value=value,
            hint="Set it from the protocol (RECIST 1.1 section 4.4; recist11.md section 8).",
        )


def _prepare(
    timepoints: Iterable[tuple[dt.date, Response | str]] | Iterable[Any],
    origin: dt.date,
) -> list[tuple[dt.date, Response]]:
    out: list[tuple[dt.date, Response]] = []
    for item in timepoints:
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
        out.append((when, resp))
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


def _find_confirmation(
    tps: Sequence[tuple[dt.date, Response]],
    first: frozenset[Response],
    confirming: frozenset[Response],
    between: frozenset[Response],
    min_days: int,
    max_ne: int,
) -> tuple[int, int] | None:
    """Earliest i with a confirming j: recist11.md section 8.4 steps 2 and 3."""
    n = len(tps)
    for i in range(n):
        d_i, r_i = tps[i]
        if r_i not in first:
            continue
        ne = 0
        for j in range(i + 1, n):
            d_j, r_j = tps[j]
            if r_j in confirming and (d_j - d_i).days >= min_days:
                return i, j
            if r_j is _NE:
                ne += 1
                if ne > max_ne:
                    break
            elif r_j not in between:
                break
    return None


_CR_SET = frozenset({_CR})
_PR_FIRST = frozenset({_PR})
_CRPR = frozenset({_CR, _PR})
_CRPRSD = frozenset({_CR, _PR, _SD})
_SD_LIKE = frozenset({_CR, _PR, _SD, _NN})


def best_overall_response(
    timepoints: Iterable[tuple[dt.date, Response | str]] | Iterable[Any],
    *,
    origin: dt.date,
    confirm: bool = True,
    confirm_min_days: int = 28,
    sd_min_days: int = 42,
    max_ne_between: int = 1,
    allow_sd_between: bool = False,
    sd_window_days: int = 0,
    cutoff: dt.date | None = None,
    new_therapy_date: dt.date | None = None,
) -> BestOverallResponse:
    """Best overall response by RECIST 1.1 section 4.4 (``recist11.md`` section 8).

    The evaluation window runs from ``origin`` (date of first dose) up to and including the
    first PD; assessments after ``cutoff`` and on or after ``new_therapy_date`` are ignored.

    Order of merit: CR > PR > SD > NON-CR/NON-PD > PD > NE.
    SD (and NON-CR/NON-PD, and an unconfirmed CR/PR, which count as non-PD) only counts when
    an assessment falls at least ``sd_min_days`` after the origin
    (less ``sd_window_days`` if the protocol allows a window).
    Without SD of that duration, BOR is PD if a PD follows, otherwise NE.

    With ``confirm=True`` (single-arm trials, this trial's primary ORR):

    * CR needs a later CR at least ``confirm_min_days`` after it, with only CR and at most
      ``max_ne_between`` NE in between.
    * PR needs a later PR or CR at least ``confirm_min_days`` after a PR, with only PR/CR,
      at most ``max_ne_between`` NE, and SD only if ``allow_sd_between``; PD always breaks it.
    * A CR followed by PR or SD does not confirm a PR (RECIST 1.1 Table 3 and note:
      disease reappeared after a true CR). The sequence is listed in ``flags`` for review,
      because the first "CR" may have been a PR on re-reading.

    Args:
        timepoints: (date, response) pairs, responses as ``Response`` or their strings; or
            records with ``assessed_on`` and ``overall`` such as ``TimepointResponse``.
        origin: the time origin (date of first dose).

    Returns:
        A frozen :class:`BestOverallResponse`.

    Raises:
        InputError: a date is missing or before the origin, two different responses share a
            date, a response is not a RECIST category, or a day setting is negative.

    Worked example, first dose 1 March 2025, scans every 8 weeks:

    >>> from datetime import date
    >>> tps = [(date(2025, 4, 26), "SD"), (date(2025, 6, 21), "PR"),
    ...        (date(2025, 8, 16), "PR"), (date(2025, 10, 11), "PD")]
    >>> bor = best_overall_response(tps, origin=date(2025, 3, 1))
    >>> bor.response, bor.date, bor.first_response_date
    (<Response.PR: 'PR'>, datetime.date(2025, 6, 21), datetime.date(2025, 6, 21))
    >>> bor.pd_date, bor.last_adequate_date, bor.stopped_by
    (datetime.date(2025, 10, 11), datetime.date(2025, 10, 11), 'PD')
    >>> print(bor.reason)
    PR on 2025-06-21 confirmed by PR on 2025-08-16, 56 days later (at least 28).
    >>> best_overall_response(tps[:2], origin=date(2025, 3, 1)).response
    <Response.SD: 'SD'>
    >>> best_overall_response(tps[:2], origin=date(2025, 3, 1), confirm=False).response
    <Response.PR: 'PR'>
    """
    origin = _as_date(origin, "origin")
    for name, value in (
        ("confirm_min_days", confirm_min_days),
        ("sd_min_days", sd_min_days),
        ("max_ne_between", max_ne_between),
        ("sd_window_days", sd_window_days),
    ):
        _check_days(name, value)
    cutoff = None if cutoff is None else _as_date(cutoff, "cutoff")
    new_therapy_date = None if new_therapy_date is None else _as_date(
        new_therapy_date, "new_therapy_date"
    )
    all_tps = _prepare(timepoints, origin)

    # 1. The evaluation window (recist11.md 8.4 step 1; endpoints.md section 5).
    stopped_by: str | None = None
    tps: list[tuple[dt.date, Response]] = []
    for when, resp in all_tps:
        if new_therapy_date is not None and when >= new_therapy_date:
            stopped_by = STOP_NEW_THERAPY
            break
        if cutoff is not None and when > cutoff:
            stopped_by = STOP_CUTOFF
            break
        tps.append((when, resp))
        if resp is _PD:
            stopped_by = STOP_PD
            break

    pd_date = tps[-1][0] if tps and tps[-1][1] is _PD else None
    last_adequate: dt.date | None = None
    for when, resp in reversed(tps):
        if resp is not _NE:
            last_adequate = when
            break

    flags: list[str] = []
    for k in range(len(tps) - 1):
        if tps[k][1] is _CR:
            nxt = next((r for _, r in tps[k + 1 :] if r is not _NE), None)
            if nxt is not None and nxt in (_PR, _SD):
                flags.append(
                    f"CR on {tps[k][0].isoformat()} is followed by {nxt.value}: disease "
                    "reappeared after a complete response, or the CR should be re-read as PR "
                    "(RECIST 1.1 Table 3, note)."
                )
                break

    def result(resp: Response, when: dt.date | None, first: dt.date | None, why: str
               ) -> BestOverallResponse:
        return BestOverallResponse(
            response=resp,
            date=when,
            first_response_date=first,
            pd_date=pd_date,
            last_adequate_date=last_adequate,
            confirmation_required=confirm,
            reason=why,
            stopped_by=stopped_by,
            assessments_used=len(tps),
            flags=tuple(flags),
        )

    if not tps:
        why = "NE: no assessment after the origin " + origin.isoformat()
        if stopped_by is not None:
            why += f" before the {stopped_by}"
        return result(_NE, None, None, why + ".")

    if confirm:
        found = _find_confirmation(tps, _CR_SET, _CR_SET, _CR_SET, confirm_min_days,
                                   max_ne_between)
        found_pr = _find_confirmation(
            tps, _PR_FIRST, _CRPR, _CRPRSD if allow_sd_between else _CRPR, confirm_min_days,
            max_ne_between,
        )
        if found is not None:
            i, j = found
            first = tps[i][0] if found_pr is None else min(tps[i][0], tps[found_pr[0]][0])
            return result(_CR, tps[i][0], first, _confirmed_reason(tps, i, j, confirm_min_days))
        if found_pr is not None:
            i, j = found_pr
            return result(_PR, tps[i][0], tps[i][0],
                          _confirmed_reason(tps, i, j, confirm_min_days))
    else:
        best = max(tps, key=lambda tp: tp[1].rank)
        if best[1] in _CRPR:
            first_resp = next(w for w, r in tps if r in _CRPR)
            return result(best[1], best[0], first_resp,
                          f"{best[1].value} on {best[0].isoformat()}, confirmation not required.")

    # SD of minimum duration: any non-PD, evaluable time point late enough (8.4 step 4).
    min_days = sd_min_days - sd_window_days
    sd_hit: tuple[dt.date, Response] | None = None
    for when, resp in tps:
        if resp in _SD_LIKE and (when - origin).days >= min_days:
            sd_hit = (when, resp)
            break
    if sd_hit is not None:
        # A CR/PR counted here is a non-PD assessment (8.3). It makes the BOR SD for a patient
        # with target disease, NON-CR/NON-PD for one with non-target disease only (Table 2).
        non_target_only = any(r is _NN for _, r in tps) and not any(
            r is _PR or r is _SD for _, r in tps)
        category = _NN if non_target_only else _SD
        when, label = sd_hit
        days = (when - origin).days
        why = (
            f"{category.value}: {label.value} on {when.isoformat()} is {days} days after the "
            f"origin {origin.isoformat()} (at least {min_days})"
        )
        if confirm and any(r in _CRPR for _, r in tps):
            why += "; no CR/PR was confirmed"
        return result(category, when, None, why + ".")

    early = [(w, r) for w, r in tps if r in _SD_LIKE]
    note = ""
    if early:
        w, r = early[-1]
        note = (
            f"; the last non-PD assessment ({r.value} on {w.isoformat()}, day "
            f"{(w - origin).days}) is before the minimum SD duration of {min_days} days"
        )
    if pd_date is not None:
        return result(_PD, pd_date, None, f"PD on {pd_date.isoformat()}{note}.")
    last = tps[-1][0]
    if note:
        return result(_NE, last, None, "NE" + note + ", and no PD followed.")
    return result(_NE, last, None,
                  f"NE: all {len(tps)} assessments up to {last.isoformat()} were not evaluable.")


def _confirmed_reason(tps: Sequence[tuple[dt.date, Response]], i: int, j: int,
                      min_days: int) -> str:
    (d_i, r_i), (d_j, r_j) = tps[i], tps[j]
    return (
        f"{r_i.value} on {d_i.isoformat()} confirmed by {r_j.value} on {d_j.isoformat()}, "
        f"{(d_j - d_i).days} days later (at least {min_days})."
    )
