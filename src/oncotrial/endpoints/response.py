"""Best overall response, ORR and DCR membership, time to response and duration of response.

Sources: ``docs/endpoints.md`` (best overall response, ORR and DCR) and RECIST 1.1 (Eisenhauer
et al. 2009) sections 4.4 and 4.6. The best overall response itself comes from
:func:`oncotrial.recist.best_overall_response`; this module chooses its inputs (assessments up
to the first PD, before new anticancer therapy, on or before the cut-off) and its settings from
:class:`~oncotrial.endpoints.rules.EndpointRules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from oncotrial.endpoints.model import SubjectData
from oncotrial.endpoints.rules import EndpointRules, TimeOrigin
from oncotrial.endpoints.survival import TimeToEvent, derive_pfs, derive_time_origin
from oncotrial.recist import BestOverallResponse, best_overall_response
from oncotrial.records import DiscontinuationLevel, Fact, Facts, Response

__all__ = ["NE_CATEGORIES", "RESPONSE_CODES", "ResponseOutcome", "derive_response"]

_RESPONDER = (Response.CR, Response.PR)
_CONTROL = (Response.CR, Response.PR, Response.SD)

#: Why a best overall response is NE (``docs/endpoints.md``, BOR table): category -> meaning.
NE_CATEGORIES: dict[str, str] = {
    "early_death": "death before any adequate post-baseline assessment",
    "early_discontinuation": "treatment stopped before any adequate post-baseline assessment",
    "no_post_baseline_assessment": "no post-baseline assessment",
    "all_assessments_ne": "every post-baseline assessment was NE",
    "sd_too_early": "the only non-PD assessments came before the minimum SD duration",
}

#: Every response code and its meaning.
RESPONSE_CODES: dict[str, str] = {
    "response.confirmed_cr": "Responder: complete response confirmed by a second assessment "
                             "(RECIST 1.1 section 4.6).",
    "response.confirmed_pr": "Responder: partial response confirmed by a second assessment "
                             "(RECIST 1.1 section 4.6).",
    "response.unconfirmed_cr": "Responder: complete response; the protocol does not require "
                               "confirmation.",
    "response.unconfirmed_pr": "Responder: partial response; the protocol does not require "
                               "confirmation.",
    "response.sd": "Disease control, not a responder: stable disease for at least the minimum "
                   "duration.",
    "response.non_cr_non_pd": "Neither response nor disease control in the primary DCR: "
                              "non-target disease only, NON-CR/NON-PD.",
    "response.pd": "Neither response nor disease control: progressive disease.",
    **{f"response.ne.{k}": f"Not evaluable (NE): {v}." for k, v in NE_CATEGORIES.items()},
}


@dataclass(frozen=True, slots=True)
class ResponseOutcome:
    """One subject's response endpoints.

    ``bor`` is the confirmed best overall response (primary ORR,
    ``docs/protocol-notes.md#pn-03``; unconfirmed only if the protocol sets
    ``confirmation_required`` false) and ``bor_unconfirmed`` the supplementary one.
    ``responder`` and ``disease_control`` are the ORR and DCR numerators;
    ``time_to_response_days`` and ``duration_of_response`` are set for confirmed responders
    only. ``ne_category`` is a key of :data:`NE_CATEGORIES` when the BOR is NE (None
    otherwise). ``code`` is one of :data:`RESPONSE_CODES`; ``facts`` holds the dates used.
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
    code: str
    facts: Facts = field(hash=False)
    reason: str

    def summary(self) -> str:
        """One line: the subject, the confirmed BOR and why."""
        return f"{self.subject_id}: BOR {self.bor.response.value}; {self.reason}"


def _bor(subject: SubjectData, *, first_dose: date, cutoff: date, rules: EndpointRules,
         confirm: bool) -> BestOverallResponse:
    timepoints = [(a.assessed_on, a.overall_response) for a in subject.assessments
                  if not a.baseline and a.overall_response is not None]
    therapy_on = next(
        (t.started_on for t in subject.new_therapies if t.started_on <= cutoff), None)
    return best_overall_response(
        timepoints, origin=first_dose, **{**rules.bor_kwargs(), "confirm": confirm},
        cutoff=cutoff, new_therapy_date=therapy_on,
        # RECIST 1.1 Table 2: without measurable (target) disease at baseline an unconfirmed
        # response is NON-CR/NON-PD, never SD; the baseline says so, not the time points.
        non_target_only=not subject.subject.measurable_disease_at_baseline,
    )


def _duration_of_response(subject: SubjectData, start: date, *, cutoff: date,
                          rules: EndpointRules) -> TimeToEvent:
    """First CR/PR to PD or death, censored as PFS; the code is the PFS code as ``dor.*``."""
    pfs = derive_pfs(subject, cutoff=cutoff, rules=rules)
    return TimeToEvent(
        subject_id=subject.subject_id,
        endpoint="DoR",
        origin_on=start,
        end_on=max(pfs.end_on, start),
        event=pfs.event,
        event_kind=pfs.event_kind,
        code="dor." + pfs.code.removeprefix("pfs."),
        facts={**pfs.facts, "first_response_on": start},
        reason=f"from first response {start}; {pfs.reason}",
    )


def derive_response(subject: SubjectData, *, cutoff: date,
                    rules: EndpointRules) -> ResponseOutcome:
    """Best overall response, ORR/DCR membership, time to and duration of response.

    ``docs/endpoints.md``, RECIST 1.1 section 4.4: only assessments up to the first PD, before
    any new anticancer therapy and on or before the cut-off count. A responder has a
    confirmed BOR of CR or PR (second assessment at least ``rules.confirm_min_days`` later,
    RECIST 1.1 section 4.6). Disease control is a confirmed BOR of CR, PR or SD, where SD needs
    an assessment at least ``rules.min_sd_days`` after the first dose; NON-CR/NON-PD (non-target
    disease only) is not disease control in the primary DCR. Time to response = first CR/PR
    date - first dose + 1 days. Duration of response runs from the first CR/PR to progression
    or death, censored by the same rules as PFS.

    Raises:
        InputError: the subject has no first dose on or before the cut-off, or an assessment
            is dated before the first dose, or two responses share a date.

    Worked example: PR at week 8 confirmed at week 16, PD at week 24.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> from oncotrial.records import DosingRecord, Subject, TumourAssessment as T
    >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
    >>> s = SubjectData(
    ...     Subject("004", date(2026, 1, 2), True),
    ...     dosing=(DosingRecord("004", date(2026, 1, 5), date(2026, 6, 1), 125),),
    ...     assessments=(T("004", date(2025, 12, 29), None, baseline=True),
    ...                  T("004", date(2026, 3, 2), Response.PR),
    ...                  T("004", date(2026, 4, 27), Response.PR),
    ...                  T("004", date(2026, 6, 22), Response.PD)))
    >>> out = derive_response(s, cutoff=date(2026, 9, 30), rules=rules)
    >>> out.code, out.responder, out.disease_control, out.time_to_response_days
    ('response.confirmed_pr', True, True, 57)
    >>> dor = out.duration_of_response
    >>> dor.origin_on, dor.end_on, dor.code, dor.days
    (datetime.date(2026, 3, 2), datetime.date(2026, 6, 22), 'dor.event.progression', 113)
    """
    first_dose = derive_time_origin(subject, cutoff=cutoff, origin=TimeOrigin.FIRST_DOSE)
    bor = _bor(subject, first_dose=first_dose, cutoff=cutoff, rules=rules,
               confirm=rules.confirmation_required)
    unconfirmed = _bor(subject, first_dose=first_dose, cutoff=cutoff, rules=rules,
                       confirm=False)
    responder = bor.response in _RESPONDER
    control = bor.response in _CONTROL
    ttr: int | None = None
    dor: TimeToEvent | None = None
    facts: dict[str, Fact] = {"first_dose_on": first_dose, "cutoff": cutoff,
                              "bor": bor.response.value, "bor_on": bor.assessed_on,
                              "bor_unconfirmed": unconfirmed.response.value}
    if responder and bor.first_response_on is not None:
        start = bor.first_response_on
        ttr = (start - first_dose).days + 1
        dor = _duration_of_response(subject, start, cutoff=cutoff, rules=rules)
        facts["first_response_on"] = start
    ne = _ne_reason(subject, bor, first_dose=first_dose, cutoff=cutoff, rules=rules)
    code = _code(bor.response, rules.confirmation_required, ne)
    if responder:
        why = f"responder (confirmed {bor.response.value}): {bor.reason}"
    elif control:
        why = f"disease control ({bor.response.value}), not a responder: {bor.reason}"
    else:
        why = f"neither response nor disease control ({bor.response.value}): {bor.reason}"
        if ne is not None:
            why += f" NE because: {ne[1]}."
    return ResponseOutcome(
        subject_id=subject.subject_id,
        bor=bor,
        bor_unconfirmed=unconfirmed,
        responder=responder,
        responder_unconfirmed=unconfirmed.response in _RESPONDER,
        disease_control=control,
        time_to_response_days=ttr,
        duration_of_response=dor,
        ne_category=None if ne is None else ne[0],
        code=code,
        facts=facts,
        reason=why,
    )


_CODE_OF = {Response.SD: "response.sd", Response.NON_CR_NON_PD: "response.non_cr_non_pd",
            Response.PD: "response.pd"}


def _code(response: Response, confirmed: bool, ne: tuple[str, str] | None) -> str:
    if response in _RESPONDER:
        kind = "confirmed" if confirmed else "unconfirmed"
        return f"response.{kind}_{response.value.lower()}"
    if ne is not None:
        return f"response.ne.{ne[0]}"
    return _CODE_OF[response]  # NE always has a category (see _ne_reason)


def _ne_reason(
    subject: SubjectData,
    bor: BestOverallResponse,
    *,
    first_dose: date,
    cutoff: date,
    rules: EndpointRules,
) -> tuple[str, str] | None:
    """The NE category (a key of :data:`NE_CATEGORIES`) and its sentence with dates: no
    post-baseline scan, early death, early discontinuation, SD too early, every scan NE."""
    if bor.response is not Response.NE:
        return None
    if bor.last_adequate_on is None:
        died_on = subject.died_on
        if died_on is not None and died_on <= cutoff:
            return ("early_death",
                    f"early death on {died_on}, no adequate post-baseline assessment")
        stop = next((d for d in subject.discontinuations
                     if d.level is DiscontinuationLevel.TREATMENT and d.discontinued_on <= cutoff),
                    None)
        if stop is not None:
            return ("early_discontinuation", f"early discontinuation on "
                    f"{stop.discontinued_on}, no adequate post-baseline assessment")
        if bor.assessments_used:
            return "all_assessments_ne", "every post-baseline assessment was NE"
        return "no_post_baseline_assessment", "no post-baseline assessment"
    days = (bor.last_adequate_on - first_dose).days
    return ("sd_too_early", f"SD too early: the last adequate assessment was {days} days "
            f"after the first dose, fewer than {rules.min_sd_days - rules.sd_window_days}")
