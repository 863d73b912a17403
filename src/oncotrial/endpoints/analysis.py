"""The endpoint table of a data set at a data cut-off: every subject's derived values and the
summary statistics a clinical study report needs.

Sources: ``endpoints.md`` sections 1-7. Kaplan-Meier estimates, quantiles, landmark rates and
median follow-up come from :mod:`oncotrial.stats` (``kaplan_meier``, ``median_follow_up``,
Brookmeyer-Crowley intervals with the protocol's transform, log-log by default); rates and
their exact Clopper-Pearson intervals from :func:`oncotrial.stats.estimate_proportion`.
Times are counted in days (day 1 = origin) and reported in months (days / 30.4375).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from oncotrial.endpoints.model import Dataset
from oncotrial.endpoints.response import ResponseOutcome, derive_response
from oncotrial.endpoints.rules import EndpointRules
from oncotrial.endpoints.sets import AnalysisSets, derive_analysis_sets
from oncotrial.endpoints.survival import (
    DAYS_PER_MONTH,
    PfsVariant,
    TimeToEvent,
    derive_os,
    derive_pfs,
)
from oncotrial.errors import InputError
from oncotrial.recist import Response
from oncotrial.stats import (
    ProportionEstimate,
    QuantileEstimate,
    estimate_proportion,
    kaplan_meier,
    median_follow_up,
)

__all__ = [
    "EndpointAnalysis",
    "LandmarkRate",
    "RateSummary",
    "SubjectEndpoints",
    "TimeToEventSummary",
    "TimeToResponseSummary",
    "analyze_endpoints",
]


@dataclass(frozen=True, slots=True)
class SubjectEndpoints:
    """Everything derived for one subject; endpoints outside the subject's sets are None."""

    subject_id: str
    sets: AnalysisSets
    pfs: TimeToEvent | None
    pfs_sensitivity: tuple[TimeToEvent, ...]
    os: TimeToEvent | None
    response: ResponseOutcome | None


@dataclass(frozen=True, slots=True)
class LandmarkRate:
    """Kaplan-Meier survival at a landmark (months), with its pointwise CI; None = not
    estimable (the landmark is after the last follow-up)."""

    months: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int


@dataclass(frozen=True, slots=True)
class TimeToEventSummary:
    """Kaplan-Meier summary of one time-to-event endpoint (``endpoints.md`` 3.2 and 4).

    Medians and quartiles are in months; None means not reached (or no subjects).
    ``censored_by_rule`` counts censored subjects by the censoring-table row.
    """

    endpoint: str
    description: str
    n: int
    events: int
    events_by_kind: tuple[tuple[str, int], ...]
    censored_by_rule: tuple[tuple[str, int], ...]
    median_months: float | None
    median_lower_months: float | None
    median_upper_months: float | None
    q25_months: float | None
    q75_months: float | None
    landmarks: tuple[LandmarkRate, ...]
    conf_type: str
    conf_level: float

    def summary(self) -> str:
        """One line: ``PFS: 12 subjects, 4 events; median 5.2 months (95 % CI 1.1-NR)``."""
        if self.n == 0:
            return f"{self.endpoint}: no subjects"
        return (
            f"{self.endpoint}: {self.n} subjects, {self.events} events; median "
            f"{_months(self.median_months)} months ({100 * self.conf_level:g} % CI "
            f"{_months(self.median_lower_months)}-{_months(self.median_upper_months)}, "
            f"{self.conf_type})"
        )


@dataclass(frozen=True, slots=True)
class RateSummary:
    """A rate over a population with its CI; ``estimate`` is None when the population is
    empty."""

    endpoint: str
    population: str
    x: int
    n: int
    estimate: ProportionEstimate | None

    def summary(self) -> str:
        """One line: ``ORR (response-evaluable): 3/22 = 13.6 % (95 % CI 2.9-34.9, ...)``."""
        body = self.estimate.summary() if self.estimate else f"{self.x}/{self.n}: not estimable"
        return f"{self.endpoint} ({self.population}): {body}"


@dataclass(frozen=True, slots=True)
class TimeToResponseSummary:
    """Time to response among confirmed responders (``endpoints.md`` section 7): median and
    range in months; all None when there is no responder."""

    n: int
    median_months: float | None
    min_months: float | None
    max_months: float | None

    def summary(self) -> str:
        """One line: ``time to response: 3 responders, median 1.9 months (range 1.8-3.7)``."""
        if not self.n:
            return "time to response: no responders"
        noun = "responder" if self.n == 1 else "responders"
        return (f"time to response: {self.n} {noun}, median {_months(self.median_months)} "
                f"months (range {_months(self.min_months)}-{_months(self.max_months)})")


@dataclass(frozen=True, slots=True)
class EndpointAnalysis:
    """All endpoints of a data set at a cut-off. See :func:`analyze_endpoints`."""

    cutoff: date
    rules: EndpointRules
    subjects: tuple[SubjectEndpoints, ...]
    set_counts: tuple[tuple[str, int], ...]
    pfs: TimeToEventSummary
    pfs_sensitivity: tuple[TimeToEventSummary, ...]
    os: TimeToEventSummary
    follow_up: QuantileEstimate | None
    duration_of_response: TimeToEventSummary
    time_to_response: TimeToResponseSummary
    rates: tuple[RateSummary, ...]
    bor_distribution: tuple[tuple[str, int], ...]
    ne_reasons: tuple[tuple[str, int], ...]
    non_measurable_non_cr_non_pd: tuple[str, ...]

    def rate(self, endpoint: str, population: str = "response-evaluable") -> RateSummary:
        """The rate named ``endpoint`` ("ORR", "ORR unconfirmed", "DCR") over ``population``
        ("response-evaluable" or "FAS")."""
        for r in self.rates:
            if (r.endpoint, r.population) == (endpoint, population):
                return r
        raise KeyError(f"{endpoint} over {population}")

    def summary(self) -> str:
        """A readable report of the endpoint table."""
        lines = [f"Endpoints at data cut-off {self.cutoff}"]
        lines.append("  analysis sets: " + ", ".join(f"{k} {v}" for k, v in self.set_counts))
        lines.append("  " + self.pfs.summary())
        lines += ["  " + s.summary() for s in self.pfs_sensitivity]
        lines.append("  " + self.os.summary())
        lines += ["  " + r.summary() for r in self.rates]
        lines.append("  " + self.time_to_response.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: dates as ISO text, enums as their values."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain


def _months(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Response):
        return value.value
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    slots = getattr(type(value), "__slots__", None)
    if slots is not None:
        out = {name: _plain(getattr(value, name)) for name in slots}
        if isinstance(value, TimeToEvent):
            out["days"] = value.days
        return out
    return str(value)


def _to_months(days: float | None) -> float | None:
    return None if days is None else days / DAYS_PER_MONTH


def _summarize_time_to_event(
    endpoint: str,
    description: str,
    records: list[TimeToEvent],
    *,
    landmarks_months: tuple[float, ...],
    conf_type: str,
    conf_level: float,
) -> TimeToEventSummary:
    """Kaplan-Meier median (Brookmeyer-Crowley CI), quartiles and landmark rates of a list of
    times to event, in months."""
    events = [r for r in records if r.event]
    kinds = Counter(r.event_kind.value for r in events if r.event_kind is not None)
    censored = Counter(r.rule for r in records if not r.event)
    base: dict[str, Any] = {
        "endpoint": endpoint,
        "description": description,
        "n": len(records),
        "events": len(events),
        "events_by_kind": tuple(sorted(kinds.items())),
        "censored_by_rule": tuple(sorted(censored.items())),
        "conf_type": conf_type,
        "conf_level": conf_level,
    }
    if not records:
        return TimeToEventSummary(**base, median_months=None, median_lower_months=None,
                                  median_upper_months=None, q25_months=None, q75_months=None,
                                  landmarks=())
    km = kaplan_meier([r.days for r in records], [r.event for r in records],
                      conf_type=conf_type, conf_level=conf_level)
    # The median and its CI as R's print(survfit) and SAS report them (not R's quantile(), whose
    # upper limit can differ where the band rises again after crossing 0.5): see statistics.md.
    median_lower, median_upper = km.median_ci
    rates = []
    for m in landmarks_months:
        at = km.survival_at(m * DAYS_PER_MONTH)
        rates.append(LandmarkRate(m, at.estimate, at.lower, at.upper, at.n_risk))
    return TimeToEventSummary(
        **base,
        median_months=_to_months(km.median),
        median_lower_months=_to_months(median_lower),
        median_upper_months=_to_months(median_upper),
        q25_months=_to_months(km.quantile(0.25).time),
        q75_months=_to_months(km.quantile(0.75).time),
        landmarks=tuple(rates),
    )


def _rate(endpoint: str, population: str, hits: list[bool], rules: EndpointRules) -> RateSummary:
    x, n = sum(hits), len(hits)
    est = (estimate_proportion(x, n, method=rules.ci_method, conf_level=rules.conf_level)
           if n else None)
    return RateSummary(endpoint, population, x, n, est)


def analyze_endpoints(
    dataset: Dataset,
    *,
    cutoff: date,
    rules: EndpointRules = EndpointRules(),  # noqa: B008 - frozen, so a shared default is safe
) -> EndpointAnalysis:
    """Derive every endpoint of ``endpoints.md`` for a data set at a data cut-off.

    Per subject: analysis sets (section 1), PFS with the 3.1 censoring table and its
    sensitivity analyses S1-S4, OS (section 4), confirmed and unconfirmed best overall response,
    ORR/DCR membership, time to and duration of response (sections 5-7), each with its reason.
    Summaries: Kaplan-Meier median with Brookmeyer-Crowley CI, quartiles and landmark rates
    (PFS at ``rules.pfs_landmarks_months``, OS at ``rules.os_landmarks_months``), median
    follow-up by reverse Kaplan-Meier on OS, ORR and DCR with exact CIs over the
    response-evaluable set (primary, section 5) and over the FAS, unconfirmed ORR, and the BOR
    distribution with NE reasons.

    The result does not depend on the order of subjects or records in the data set.

    Raises:
        InputError: a subject's records cannot be derived (for example an assessment dated
            before the first dose); the message names the subject.

    Worked example with the bundled example data set (12 fictitious subjects, one per row of
    the censoring table), cut-off 31 October 2026:

    >>> from oncotrial.endpoints.exchange import load_example_dataset
    >>> result = analyze_endpoints(load_example_dataset(), cutoff=date(2026, 10, 31))
    >>> dict(result.set_counts)
    {'enrolled': 12, 'FAS': 12, 'response-evaluable': 11, 'safety': 12}
    >>> result.pfs.n, result.pfs.events, dict(result.pfs.events_by_kind)
    (12, 3, {'death': 2, 'progression': 1})
    >>> print(result.rate("ORR").summary())
    ORR (response-evaluable): 1/11 = 9.1 % (95 % CI 0.2-41.3, Clopper-Pearson exact)
    >>> print(result.rate("DCR").summary())
    DCR (response-evaluable): 9/11 = 81.8 % (95 % CI 48.2-97.7, Clopper-Pearson exact)
    """
    per_subject: list[SubjectEndpoints] = []
    for sid, data in dataset.by_subject().items():
        sets = derive_analysis_sets(data, cutoff=cutoff)
        pfs = os_ = response = None
        sensitivity: tuple[TimeToEvent, ...] = ()
        if sets.fas:
            try:
                pfs = derive_pfs(data, cutoff=cutoff, rules=rules)
                sensitivity = tuple(
                    derive_pfs(data, cutoff=cutoff, rules=rules, variant=v)
                    for v in PfsVariant if v is not PfsVariant.PRIMARY
                )
                os_ = derive_os(data, cutoff=cutoff, rules=rules)
                response = derive_response(data, cutoff=cutoff, rules=rules)
            except InputError as exc:
                raise InputError(f"Subject {sid}: {exc.message}", field=exc.field,
                                 value=exc.value, hint=exc.hint) from exc
        per_subject.append(SubjectEndpoints(sid, sets, pfs, sensitivity, os_, response))

    fas = [s for s in per_subject if s.sets.fas]
    evaluable = [s for s in fas if s.sets.response_evaluable]
    set_counts = (
        ("enrolled", sum(s.sets.enrolled for s in per_subject)),
        ("FAS", len(fas)),
        ("response-evaluable", len(evaluable)),
        ("safety", sum(s.sets.safety for s in per_subject)),
    )

    def tte(name: str, description: str, records: list[TimeToEvent],
            landmarks: tuple[float, ...], conf_type: str) -> TimeToEventSummary:
        return _summarize_time_to_event(name, description, records, landmarks_months=landmarks,
                                       conf_type=conf_type, conf_level=rules.conf_level)

    pfs_records = [s.pfs for s in fas if s.pfs is not None]
    pfs_summary = tte("PFS", PfsVariant.PRIMARY.description, pfs_records,
                      rules.pfs_landmarks_months, rules.pfs_conf_type)
    sensitivity_summaries = tuple(
        tte(f"PFS {v.value}", v.description,
            [t for s in fas for t in s.pfs_sensitivity if t.endpoint == f"PFS {v.value}"],
            rules.pfs_landmarks_months, rules.pfs_conf_type)
        for v in PfsVariant if v is not PfsVariant.PRIMARY
    )
    os_records = [s.os for s in fas if s.os is not None]
    os_summary = tte("OS", "death from any cause", os_records, rules.os_landmarks_months,
                     rules.os_conf_type)
    follow_up = None
    if os_records:
        follow_up = median_follow_up([r.days for r in os_records], [r.event for r in os_records],
                                     conf_type=rules.os_conf_type, conf_level=rules.conf_level)
    dor_records = [s.response.duration_of_response for s in fas
                   if s.response is not None and s.response.duration_of_response is not None]
    dor = tte("DoR", "first CR/PR to progression or death, censored as PFS", dor_records, (),
              rules.pfs_conf_type)

    ttr_days = sorted(s.response.time_to_response_days for s in fas
                      if s.response is not None and s.response.time_to_response_days is not None)
    ttr = TimeToResponseSummary(
        n=len(ttr_days),
        median_months=_to_months(statistics.median(ttr_days)) if ttr_days else None,
        min_months=_to_months(ttr_days[0]) if ttr_days else None,
        max_months=_to_months(ttr_days[-1]) if ttr_days else None,
    )

    def outcomes(group: list[SubjectEndpoints]) -> list[ResponseOutcome]:
        return [s.response for s in group if s.response is not None]

    rates = []
    for population, group in (("response-evaluable", evaluable), ("FAS", fas)):
        out = outcomes(group)
        rates.append(_rate("ORR", population, [o.responder for o in out], rules))
        rates.append(_rate("ORR unconfirmed", population,
                           [o.responder_unconfirmed for o in out], rules))
        rates.append(_rate("DCR", population, [o.disease_control for o in out], rules))

    bor_counts = Counter(o.bor.response for o in outcomes(evaluable))
    ne_counts = Counter(o.ne_category for o in outcomes(evaluable) if o.ne_category)
    non_measurable = tuple(
        s.subject_id for s in fas
        if not s.sets.response_evaluable and s.response is not None
        and s.response.bor.response is Response.NON_CR_NON_PD
    )
    return EndpointAnalysis(
        cutoff=cutoff,
        rules=rules,
        subjects=tuple(per_subject),
        set_counts=set_counts,
        pfs=pfs_summary,
        pfs_sensitivity=sensitivity_summaries,
        os=os_summary,
        follow_up=follow_up,
        duration_of_response=dor,
        time_to_response=ttr,
        rates=tuple(rates),
        bor_distribution=tuple((r.value, bor_counts.get(r, 0)) for r in Response),
        ne_reasons=tuple(sorted(ne_counts.items())),
        non_measurable_non_cr_non_pd=non_measurable,
    )
