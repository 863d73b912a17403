"""Best overall response, ORR and DCR membership, time to response and duration of response.

Sources: ``endpoints.md`` sections 5-7 and ``recist11.md`` section 8 (RECIST 1.1, Eisenhauer
et al. 2009, section 4.4). The best overall response itself comes from
:func:`oncotrial.recist.best_overall_response`; this module chooses its inputs (assessments up
to the first PD, before new anticancer therapy, on or before the cut-off) and its settings from
:class:`~oncotrial.endpoints.rules.EndpointRules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from oncotrial.endpoints.model import DiscontinuationLevel, SubjectData
from oncotrial.endpoints.rules import EndpointRules
from oncotrial.endpoints.survival import TimeToEvent, derive_pfs, derive_time_origin
from oncotrial.recist import BestOverallResponse, Response, best_overall_response

__all__ = ["ResponseOutcome", "derive_response"]

_RESPONDER = (Response.CR, Response.PR)
_CONTROL = (Response.CR, Response.PR, Response.SD)


@dataclass(frozen=True, slots=True)
class ResponseOutcome:
    """One subject's response endpoints.

    ``bor`` is the confirmed best overall response (primary ORR, PN-03; unconfirmed only if the
    protocol sets ``confirmation_required`` false) and ``bor_unconfirmed`` the supplementary
    one. ``responder`` and ``disease_control`` are the ORR and DCR numerators;
    ``time_to_response_days`` and ``duration_of_response`` are set for confirmed responders only.
    ``ne_category`` classifies an NE best response for the BOR table (``endpoints.md`` section
    5: early death, early discontinuation, no post-baseline assessment, all assessments NE, SD
    too early) and ``ne_reason`` says it with dates.
    """

    subject_id: str
    bor: BestOverallResponse
    bor_unconfirmed: BestOverallResponse
    responder: bool
    responder_unconfirmed: bool
    disease_control: bool
    time_to_response_days: int | None
    duration_of_response: TimeToEvent | None
    ne_category: str | None
    ne_reason: str | None
    reason: str

    def summary(self) -> str:
        """One line: the subject, the confirmed BOR and why."""
        return f"{self.subject_id}: BOR {self.bor.response.value}; {self.reason}"


def derive_response(
    subject: SubjectData,
    *,
    cutoff: date,
    rules: EndpointRules = EndpointRules(),  # noqa: B008 - frozen, so a shared default is safe
) -> ResponseOutcome:
    """Best overall response, ORR/DCR membership, time to and duration of response.

    ``endpoints.md`` sections 5-7, RECIST 1.1 section 4.4: only assessments up to the first PD,
    before any new anticancer therapy and on or before the cut-off count. A responder has a
    confirmed BOR of CR or PR (second assessment at least ``rules.confirm_min_days`` later).
    Disease control is a confirmed BOR of CR, PR or SD, where SD needs an assessment at least
    ``rules.min_sd_days`` after the first dose; NON-CR/NON-PD (non-target disease only) is not
    disease control in the primary DCR. Time to response = first CR/PR date - first dose + 1
    days. Duration of response runs from the first CR/PR to progression or death, censored by
    the same rules as PFS (``endpoints.md`` 3.1).

    Raises:
        InputError: the subject has no first dose on or before the cut-off, or an assessment
            is dated before the first dose, or two responses share a date.

    Worked example: PR at week 8 confirmed at week 16, PD at week 24.

    >>> from oncotrial.endpoints.model import DosingRecord, Subject, TumourAssessment as T
    >>> s = SubjectData(
    ...     Subject("004", date(2026, 1, 2), True),
    ...     dosing=(DosingRecord("004", date(2026, 1, 5), date(2026, 6, 1), 125),),
    ...     assessments=(T("004", date(2025, 12, 29), None, baseline=True),
    ...                  T("004", date(2026, 3, 2), Response.PR),
    ...                  T("004", date(2026, 4, 27), Response.PR),
    ...                  T("004", date(2026, 6, 22), Response.PD)))
    >>> out = derive_response(s, cutoff=date(2026, 9, 30))
    >>> out.bor.response, out.responder, out.disease_control, out.time_to_response_days
    (<Response.PR: 'PR'>, True, True, 57)
    >>> dor = out.duration_of_response
    >>> dor.origin, dor.end_on, dor.event, dor.days
    (datetime.date(2026, 3, 2), datetime.date(2026, 6, 22), True, 113)
    """
    first_dose = derive_time_origin(subject, cutoff=cutoff)
    timepoints = [
        (a.assessed_on, a.overall_response)
        for a in subject.assessments
        if not a.baseline and a.overall_response is not None
    ]
    therapy_on = next(
        (t.started_on for t in subject.new_therapies if t.started_on <= cutoff), None
    )
    def bor_of(confirm: bool) -> BestOverallResponse:
        return best_overall_response(
            timepoints, origin=first_dose, confirm=confirm,
            confirm_min_days=rules.confirm_min_days, sd_min_days=rules.min_sd_days,
            max_ne_between=rules.max_ne_between, allow_sd_between=rules.allow_sd_between,
            sd_window_days=rules.sd_window_days,
            cutoff=cutoff, new_therapy_date=therapy_on,
        )

    bor = bor_of(rules.confirmation_required)
    unconfirmed = bor_of(False)
    responder = bor.response in _RESPONDER
    control = bor.response in _CONTROL
    ttr: int | None = None
    dor: TimeToEvent | None = None
    if responder and bor.first_response_date is not None:
        start = bor.first_response_date
        ttr = (start - first_dose).days + 1
        pfs = derive_pfs(subject, cutoff=cutoff, rules=rules)
        dor = TimeToEvent(
            subject_id=subject.subject_id,
            endpoint="DoR",
            origin=start,
            end_on=max(pfs.end_on, start),
            event=pfs.event,
            event_kind=pfs.event_kind,
            rule=pfs.rule,
            reason=f"from first response {start}; {pfs.reason}",
        )
    ne = _ne_reason(subject, bor, first_dose=first_dose, cutoff=cutoff, rules=rules)
    ne_category, ne_reason = (None, None) if ne is None else ne
    if responder:
        why = f"responder (confirmed {bor.response.value}): {bor.reason}"
    elif control:
        why = f"disease control ({bor.response.value}), not a responder: {bor.reason}"
    else:
        why = f"neither response nor disease control ({bor.response.value}): {bor.reason}"
        if ne_reason:
            why += f" NE because: {ne_reason}."
    return ResponseOutcome(
        subject_id=subject.subject_id,
        bor=bor,
        bor_unconfirmed=unconfirmed,
        responder=responder,
        responder_unconfirmed=unconfirmed.response in _RESPONDER,
        disease_control=control,
        time_to_response_days=ttr,
        duration_of_response=dor,
        ne_category=ne_category,
        ne_reason=ne_reason,
        reason=why,
    )


def _ne_reason(
    subject: SubjectData,
    bor: BestOverallResponse,
    *,
    first_dose: date,
    cutoff: date,
    rules: EndpointRules,
) -> tuple[str, str] | None:
    """The NE categories of ``endpoints.md`` section 5: no post-baseline scan, early death,
    early discontinuation, SD too early (or every assessment NE)."""
    if bor.response is not Response.NE:
        return None
    if bor.last_adequate_date is None:
        died_on = subject.died_on
        if died_on is not None and died_on <= cutoff:
            return ("early death",
                    f"early death on {died_on}, no adequate post-baseline assessment")
        stop = next((d for d in subject.discontinuations
                     if d.level is DiscontinuationLevel.TREATMENT and d.discontinued_on <= cutoff),
                    None)
        if stop is not None:
            return ("early discontinuation", f"early discontinuation on "
                    f"{stop.discontinued_on}, no adequate post-baseline assessment")
        if bor.assessments_used:
            return "all assessments NE", "every post-baseline assessment was NE"
        return "no post-baseline assessment", "no post-baseline assessment"
    days = (bor.last_adequate_date - first_dose).days
    return ("SD too early", f"SD too early: the last adequate assessment was {days} days "
            f"after the first dose, fewer than {rules.min_sd_days - rules.sd_window_days}")
