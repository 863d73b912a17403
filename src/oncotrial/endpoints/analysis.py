"""The endpoint table of a data set at a data cut-off: every subject's derived values and the
summary statistics a clinical study report needs.

Sources: ``docs/endpoints.md``. Kaplan-Meier estimates, quantiles, landmark rates and median
follow-up come from :mod:`oncotrial.stats` (``kaplan_meier``, ``median_follow_up``,
Brookmeyer & Crowley 1982 intervals with the protocol's transform, log-log by default); rates
and their exact Clopper & Pearson 1934 intervals from :func:`oncotrial.stats.estimate_proportion`.
Times are counted in days (day 1 = origin) and reported in months
(:data:`oncotrial.records.DAYS_PER_MONTH`).

Every row is plain data with a ``code``, its ``facts`` and a ``reason``; the whole
:class:`EndpointAnalysis` goes to JSON and back with :func:`oncotrial.records.to_json` /
:func:`oncotrial.records.from_json`.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oncotrial.endpoints.model import Dataset, SubjectData
from oncotrial.endpoints.response import ResponseOutcome, derive_response
from oncotrial.endpoints.rules import EndpointRules
from oncotrial.endpoints.sets import AnalysisSets, derive_analysis_sets
from oncotrial.endpoints.survival import PfsVariant, TimeToEvent, derive_os, derive_pfs
from oncotrial.errors import InputError, UnknownTermError
from oncotrial.records import DAYS_PER_MONTH, Facts, Response, months, to_plain
from oncotrial.stats import (
    ProportionEstimate,
    QuantileEstimate,
    estimate_proportion,
    kaplan_meier,
    median_follow_up,
)

__all__ = [
    "SUMMARY_CODES",
    "EndpointAnalysis",
    "LandmarkRate",
    "RateSummary",
    "SubjectEndpoints",
    "TimeToEventSummary",
    "TimeToResponseSummary",
    "analyze_endpoints",
]

#: Kaplan-Meier summaries (``km.<endpoint>.*``) by endpoint label.
_KM_ENDPOINTS = {"PFS": "pfs", **{f"PFS {v.value}": f"pfs_{v.value.lower()}" for v in PfsVariant
                                  if v is not PfsVariant.PRIMARY}, "OS": "os", "DoR": "dor"}
#: Rates (``rate.<rate>.*``) by endpoint label.
_RATES = {"ORR": "orr", "ORR unconfirmed": "orr_unconfirmed", "DCR": "dcr"}

#: Every code of the summary rows and its meaning.
SUMMARY_CODES: dict[str, str] = {
    "subject.endpoints_derived": "In the FAS: PFS (with S1-S4), OS and response derived.",
    "subject.not_in_fas": "Not in the FAS: only the analysis sets are given.",
    "landmark.estimated": "Kaplan-Meier survival at the landmark, with its pointwise CI.",
    "landmark.not_estimable": "Not estimable: the landmark is after the last follow-up.",
    **{f"km.{slug}.{what}": f"{label}: {meaning}"
       for label, slug in _KM_ENDPOINTS.items()
       for what, meaning in (
           ("median_reached", "Kaplan-Meier median reached, with its Brookmeyer-Crowley CI."),
           ("median_not_reached", "Kaplan-Meier median not reached (NR)."),
           ("no_subjects", "no subject to analyse."))},
    **{f"rate.{slug}.{what}": f"{label}: {meaning}"
       for label, slug in _RATES.items()
       for what, meaning in (
           ("estimated", "rate with its confidence interval (the protocol's ci_method)."),
           ("not_estimable", "not estimable, the population is empty."))},
    "ttr.estimated": "Time to response: median and range among confirmed responders.",
    "ttr.no_responders": "Time to response: no confirmed responder.",
}


@dataclass(frozen=True, slots=True)
class SubjectEndpoints:
    """Everything derived for one subject; endpoints outside the subject's sets are None."""

    subject_id: str
    sets: AnalysisSets
    pfs: TimeToEvent | None
    pfs_sensitivity: tuple[TimeToEvent, ...]
    os: TimeToEvent | None
    response: ResponseOutcome | None
    code: str
    facts: Facts = field(hash=False)
    reason: str


@dataclass(frozen=True, slots=True)
class LandmarkRate:
    """Kaplan-Meier survival at a landmark (months), with its pointwise CI; None = not
    estimable (the landmark is after the last follow-up)."""

    months: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int
    code: str
    facts: Facts = field(hash=False)
    reason: str


@dataclass(frozen=True, slots=True)
class TimeToEventSummary:
    """Kaplan-Meier summary of one time-to-event endpoint (``docs/endpoints.md``).

    Medians and quartiles are in months; None means not reached (or no subjects).
    ``censored_by_code`` counts censored subjects by their code (``pfs.censored.new_therapy``).
    """

    endpoint: str
    description: str
    n: int
    events: int
    events_by_kind: tuple[tuple[str, int], ...]
    censored_by_code: tuple[tuple[str, int], ...]
    median_months: float | None
    median_lower_months: float | None
    median_upper_months: float | None
    q25_months: float | None
    q75_months: float | None
    landmarks: tuple[LandmarkRate, ...]
    conf_type: str
    conf_level: float
    code: str
    facts: Facts = field(hash=False)
    reason: str

    def summary(self) -> str:
        """One line: ``PFS: 12 subjects, 4 events; median 5.2 months (95 % CI 1.1-NR)``."""
        return f"{self.endpoint}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RateSummary:
    """A rate over a population with its CI; ``estimate`` is None when the population is
    empty."""

    endpoint: str
    population: str
    x: int
    n: int
    estimate: ProportionEstimate | None
    code: str
    facts: Facts = field(hash=False)
    reason: str

    def summary(self) -> str:
        """One line: ``ORR (response-evaluable): 3/22 = 13.6 % (95 % CI 2.9-34.9, ...)``."""
        return f"{self.endpoint} ({self.population}): {self.reason}"


@dataclass(frozen=True, slots=True)
class TimeToResponseSummary:
    """Time to response among confirmed responders (``docs/endpoints.md``): median and range
    in months; all None when there is no responder."""

    n: int
    median_months: float | None
    min_months: float | None
    max_months: float | None
    code: str
    facts: Facts = field(hash=False)
    reason: str

    def summary(self) -> str:
        """One line: ``time to response: 3 responders, median 1.9 months (range 1.8-3.7)``."""
        return f"time to response: {self.reason}"


@dataclass(frozen=True, slots=True)
class EndpointAnalysis:
    """All endpoints of a data set at a cut-off. See :func:`analyze_endpoints`.

    Plain data: :func:`oncotrial.records.to_json` writes it and
    :func:`oncotrial.records.from_json` reads it back.
    """

    cutoff_on: date
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
        ("response-evaluable" or "FAS").

        Raises:
            UnknownTermError: no such rate over that population.
        """
        for r in self.rates:
            if (r.endpoint, r.population) == (endpoint, population):
                return r
        known = [f"{r.endpoint} over {r.population}" for r in self.rates]
        raise UnknownTermError("rate", f"{endpoint} over {population}", known[:3],
                               message=f"There is no rate {endpoint!r} over {population!r}.",
                               hint=f"Known rates: {', '.join(known)}.")

    def summary(self) -> str:
        """A readable report of the endpoint table."""
        lines = [f"Endpoints at data cut-off {self.cutoff_on}"]
        lines.append("  analysis sets: " + ", ".join(f"{k} {v}" for k, v in self.set_counts))
        lines.append("  " + self.pfs.summary())
        lines += ["  " + s.summary() for s in self.pfs_sensitivity]
        lines.append("  " + self.os.summary())
        lines += ["  " + r.summary() for r in self.rates]
        lines.append("  " + self.time_to_response.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (:func:`oncotrial.records.to_plain`): dates as ISO text, enums
        as their values."""
        plain: dict[str, Any] = to_plain(self)
        return plain


def _months_text(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def _to_months(days: float | None) -> float | None:
    return None if days is None else months(days)


def _pct(value: float | None) -> str:
    return "NA" if value is None else f"{100 * value:.1f} %"


def _landmark(km: Any, m: float, conf_level: float) -> LandmarkRate:
    days = m * DAYS_PER_MONTH
    at = km.survival_at(days)
    facts = {"months": m, "days": days, "conf_level": conf_level}
    if at.estimate is None:
        return LandmarkRate(m, None, None, None, at.n_risk, "landmark.not_estimable", facts,
                            f"{m:g} months: not estimable, after the last follow-up")
    return LandmarkRate(m, at.estimate, at.lower, at.upper, at.n_risk, "landmark.estimated",
                        facts, f"{m:g} months: {_pct(at.estimate)} ({100 * conf_level:g} % CI "
                        f"{_pct(at.lower)}-{_pct(at.upper)}), {at.n_risk} at risk")


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
    censored = Counter(r.code for r in records if not r.event)
    slug = _KM_ENDPOINTS[endpoint]
    base: dict[str, Any] = {
        "endpoint": endpoint,
        "description": description,
        "n": len(records),
        "events": len(events),
        "events_by_kind": tuple(sorted(kinds.items())),
        "censored_by_code": tuple(sorted(censored.items())),
        "conf_type": conf_type,
        "conf_level": conf_level,
        "facts": {"conf_type": conf_type, "conf_level": conf_level},
    }
    if not records:
        return TimeToEventSummary(**base, median_months=None, median_lower_months=None,
                                  median_upper_months=None, q25_months=None, q75_months=None,
                                  landmarks=(), code=f"km.{slug}.no_subjects",
                                  reason="no subjects")
    km = kaplan_meier([r.days for r in records], [r.event for r in records],
                      conf_type=conf_type, conf_level=conf_level)
    # The median and its CI as R's print(survfit) and SAS report them (not R's quantile(), whose
    # upper limit can differ where the band rises again after crossing 0.5): see statistics.md.
    median_lower, median_upper = km.median_ci
    median = _to_months(km.median)
    lower, upper = _to_months(median_lower), _to_months(median_upper)
    reached = "median_reached" if median is not None else "median_not_reached"
    return TimeToEventSummary(
        **base,
        median_months=median,
        median_lower_months=lower,
        median_upper_months=upper,
        q25_months=_to_months(km.quantile(0.25).time),
        q75_months=_to_months(km.quantile(0.75).time),
        landmarks=tuple(_landmark(km, m, conf_level) for m in landmarks_months),
        code=f"km.{slug}.{reached}",
        reason=(f"{len(records)} subjects, {len(events)} events; median "
                f"{_months_text(median)} months ({100 * conf_level:g} % CI "
                f"{_months_text(lower)}-{_months_text(upper)}, {conf_type})"),
    )


def _rate(endpoint: str, population: str, hits: list[bool], rules: EndpointRules) -> RateSummary:
    x, n = sum(hits), len(hits)
    facts = {"ci_method": rules.ci_method, "conf_level": rules.conf_level}
    slug = _RATES[endpoint]
    if not n:
        return RateSummary(endpoint, population, x, n, None, f"rate.{slug}.not_estimable",
                           facts, f"{x}/{n}: not estimable")
    est = estimate_proportion(x, n, method=rules.ci_method, conf_level=rules.conf_level)
    return RateSummary(endpoint, population, x, n, est, f"rate.{slug}.estimated", facts,
                       est.summary())


def _time_to_response(ttr_days: list[int]) -> TimeToResponseSummary:
    if not ttr_days:
        return TimeToResponseSummary(0, None, None, None, "ttr.no_responders", {},
                                     "no responders")
    ttr_days = sorted(ttr_days)
    median = months(statistics.median(ttr_days))
    low, high = months(ttr_days[0]), months(ttr_days[-1])
    noun = "responder" if len(ttr_days) == 1 else "responders"
    return TimeToResponseSummary(
        len(ttr_days), median, low, high, "ttr.estimated",
        {"min_days": ttr_days[0], "max_days": ttr_days[-1]},
        f"{len(ttr_days)} {noun}, median {_months_text(median)} months (range "
        f"{_months_text(low)}-{_months_text(high)})")


def _subject_endpoints(sid: str, data: SubjectData, *, cutoff: date,
                       rules: EndpointRules) -> SubjectEndpoints:
    sets = derive_analysis_sets(data, cutoff=cutoff)
    facts = {"cutoff": cutoff}
    if not sets.fas:
        return SubjectEndpoints(sid, sets, None, (), None, None, "subject.not_in_fas", facts,
                                sets.reason)
    try:
        pfs = derive_pfs(data, cutoff=cutoff, rules=rules)
        sensitivity = tuple(derive_pfs(data, cutoff=cutoff, rules=rules, variant=v)
                            for v in PfsVariant if v is not PfsVariant.PRIMARY)
        os_ = derive_os(data, cutoff=cutoff, rules=rules)
        response = derive_response(data, cutoff=cutoff, rules=rules)
    except InputError as exc:
        raise InputError(f"Subject {sid}: {exc.message}", field=exc.field,
                         value=exc.value, hint=exc.hint) from exc
    return SubjectEndpoints(sid, sets, pfs, sensitivity, os_, response,
                            "subject.endpoints_derived", facts,
                            f"{sets.reason}; PFS, OS and response derived")


def analyze_endpoints(dataset: Dataset, *, cutoff: date, rules: EndpointRules) -> EndpointAnalysis:
    """Derive every endpoint of ``docs/endpoints.md`` for a data set at a data cut-off.

    Per subject: analysis sets, PFS with the censoring table and its sensitivity analyses
    S1-S4, OS, confirmed and unconfirmed best overall response, ORR/DCR membership, time to and
    duration of response, each with its code and reason. Summaries: Kaplan-Meier median with
    Brookmeyer-Crowley CI, quartiles and landmark rates (PFS at ``rules.pfs_landmarks_months``,
    OS at ``rules.os_landmarks_months``), median follow-up by reverse Kaplan-Meier on OS, ORR
    and DCR with exact CIs over the response-evaluable set (primary) and over the FAS,
    unconfirmed ORR, and the BOR distribution with NE reasons.

    The result does not depend on the order of subjects or records in the data set.

    Raises:
        InputError: a subject's records cannot be derived (for example an assessment dated
            before the first dose); the message names the subject.

    Worked example with the bundled example data set (12 fictitious subjects, one per row of
    the censoring table), cut-off 31 October 2026, rules of the bundled protocol:

    >>> from oncotrial.endpoints.exchange import load_example_dataset
    >>> from oncotrial.protocol import load_bundled_protocol
    >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
    >>> result = analyze_endpoints(load_example_dataset(), cutoff=date(2026, 10, 31),
    ...                            rules=rules)
    >>> dict(result.set_counts)
    {'enrolled': 12, 'FAS': 12, 'response-evaluable': 11, 'safety': 12}
    >>> result.pfs.n, result.pfs.events, dict(result.pfs.events_by_kind)
    (12, 3, {'death': 2, 'progression': 1})
    >>> print(result.rate("ORR").summary())
    ORR (response-evaluable): 1/11 = 9.1 % (95 % CI 0.2-41.3, Clopper-Pearson exact)
    >>> print(result.rate("DCR").summary())
    DCR (response-evaluable): 9/11 = 81.8 % (95 % CI 48.2-97.7, Clopper-Pearson exact)
    """
    per_subject = [_subject_endpoints(sid, data, cutoff=cutoff, rules=rules)
                   for sid, data in dataset.by_subject().items()]
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
    sensitivity_summaries = tuple(
        tte(f"PFS {v.value}", v.description,
            [t for s in fas for t in s.pfs_sensitivity if t.endpoint == f"PFS {v.value}"],
            rules.pfs_landmarks_months, rules.pfs_conf_type)
        for v in PfsVariant if v is not PfsVariant.PRIMARY
    )
    os_records = [s.os for s in fas if s.os is not None]
    follow_up = None
    if os_records:
        follow_up = median_follow_up([r.days for r in os_records], [r.event for r in os_records],
                                     conf_type=rules.os_conf_type, conf_level=rules.conf_level)
    responses = [s.response for s in fas if s.response is not None]
    dor_records = [o.duration_of_response for o in responses
                   if o.duration_of_response is not None]
    rates = []
    for population, group in (("response-evaluable", evaluable), ("FAS", fas)):
        out = [s.response for s in group if s.response is not None]
        rates.append(_rate("ORR", population, [o.responder for o in out], rules))
        rates.append(_rate("ORR unconfirmed", population,
                           [o.responder_unconfirmed for o in out], rules))
        rates.append(_rate("DCR", population, [o.disease_control for o in out], rules))

    evaluable_out = [s.response for s in evaluable if s.response is not None]
    bor_counts = Counter(o.bor.response for o in evaluable_out)
    ne_counts = Counter(o.ne_category for o in evaluable_out if o.ne_category)
    return EndpointAnalysis(
        cutoff_on=cutoff,
        rules=rules,
        subjects=tuple(per_subject),
        set_counts=set_counts,
        pfs=tte("PFS", PfsVariant.PRIMARY.description, pfs_records,
                rules.pfs_landmarks_months, rules.pfs_conf_type),
        pfs_sensitivity=sensitivity_summaries,
        os=tte("OS", "death from any cause", os_records, rules.os_landmarks_months,
               rules.os_conf_type),
        follow_up=follow_up,
        duration_of_response=tte("DoR", "first CR/PR to progression or death, censored as PFS",
                                 dor_records, (), rules.pfs_conf_type),
        time_to_response=_time_to_response(
            [o.time_to_response_days for o in responses if o.time_to_response_days is not None]),
        rates=tuple(rates),
        bor_distribution=tuple((r.value, bor_counts.get(r, 0)) for r in Response),
        ne_reasons=tuple(sorted(ne_counts.items())),
        non_measurable_non_cr_non_pd=tuple(
            s.subject_id for s in fas
            if not s.sets.response_evaluable and s.response is not None
            and s.response.bor.response is Response.NON_CR_NON_PD),
    )
