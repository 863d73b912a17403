"""Hypothesis properties of endpoint derivation.

* A censoring (or event) date never falls after the data cut-off, for PFS (every variant) and
  OS, and never before the origin.
* Permuting subjects, and the records within each domain, changes nothing.
* Records dated after the cut-off do not change any end date or outcome.
* The exchange format round-trips: dump then parse gives the same data set.
* Results are plain data: every code emitted is in RESULT_CODES, and every result goes
  JSON -> object -> JSON to the same text and through pickle.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oncotrial.endpoints import (
    RESULT_CODES,
    Contact,
    Dataset,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    EndpointAnalysis,
    EndpointRules,
    NewTherapy,
    PfsVariant,
    Subject,
    SubjectData,
    TherapyType,
    TumourAssessment,
    analyze_endpoints,
    check_dataset,
    derive_analysis_sets,
    derive_os,
    derive_pfs,
    derive_response,
    dump_exchange,
    load_example_dataset,
    parse_exchange,
)
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import Response, code_matches, from_json, to_json

RULES = EndpointRules.from_protocol(load_bundled_protocol())

START = date(2026, 1, 1)
# Data generation is heavier than Hypothesis expects on a shared 2-core machine; the other
# settings come from the active profile (tests/conftest.py).
relaxed = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
POST_BASELINE = [Response.CR, Response.PR, Response.SD, Response.PD, Response.NE]


@st.composite
def subjects(draw: st.DrawFn, sid: str = "P01", new_lesions: bool = True) -> SubjectData:
    """A dosed subject with a random history: scans, death, therapy, stops, contacts."""
    enrolled = START + timedelta(days=draw(st.integers(0, 200)))
    first_dose = enrolled + timedelta(days=draw(st.integers(0, 14)))
    offsets = sorted(draw(st.sets(st.integers(1, 500), max_size=8)))
    scans = []
    for off in offsets:
        on = first_dose + timedelta(days=off)
        response = draw(st.sampled_from(POST_BASELINE))
        lesion = None
        if new_lesions and response is Response.PD and draw(st.booleans()):
            lesion = on - timedelta(days=draw(st.integers(0, 5)))
        scans.append(TumourAssessment(sid, on, response, new_lesion_on=lesion))
    if draw(st.booleans()):
        scans.insert(0, TumourAssessment(sid, enrolled - timedelta(days=7), None, baseline=True))

    def maybe_day() -> date | None:
        return (first_dose + timedelta(days=draw(st.integers(1, 600)))
                if draw(st.booleans()) else None)

    died, therapy, stop_on, contact_on = maybe_day(), maybe_day(), maybe_day(), maybe_day()
    reason = draw(st.sampled_from(list(DiscontinuationReason)))
    level = draw(st.sampled_from(list(DiscontinuationLevel)))
    return SubjectData(
        Subject(sid, enrolled, draw(st.booleans())),
        dosing=(DosingRecord(sid, first_dose,
                             first_dose + timedelta(days=draw(st.integers(0, 300))), 125.0),),
        assessments=tuple(scans),
        deaths=() if died is None else (Death(sid, died, "other"),),
        contacts=() if contact_on is None else (
            Contact(sid, contact_on, "visit", draw(st.booleans())),),
        new_therapies=() if therapy is None else (
            NewTherapy(sid, therapy, TherapyType.SYSTEMIC, "x"),),
        discontinuations=() if stop_on is None else (
            Discontinuation(sid, level, stop_on, reason),),
    )


def cutoff_for(subject: SubjectData, days: int) -> date:
    first = subject.first_dose_on
    assert first is not None
    return first + timedelta(days=days)


@relaxed
@given(subject=subjects(), days=st.integers(0, 700))
def test_no_date_falls_after_the_cutoff_or_before_the_origin(
    subject: SubjectData, days: int
) -> None:
    """PFS (primary, S1-S4) and OS end on or before the cut-off and on or after the origin."""
    cutoff = cutoff_for(subject, days)
    results = [derive_pfs(subject, cutoff=cutoff, variant=v, rules=RULES) for v in PfsVariant]
    results.append(derive_os(subject, cutoff=cutoff, rules=RULES))
    for r in results:
        assert r.origin_on <= r.end_on <= cutoff, (r.endpoint, r.reason)
        assert r.days >= 1
        assert r.reason


def _dataset(subject_list: list[SubjectData]) -> Dataset:
    return Dataset(
        tuple(s.subject for s in subject_list),
        dosing=tuple(r for s in subject_list for r in s.dosing),
        assessments=tuple(r for s in subject_list for r in s.assessments),
        deaths=tuple(r for s in subject_list for r in s.deaths),
        contacts=tuple(r for s in subject_list for r in s.contacts),
        new_therapies=tuple(r for s in subject_list for r in s.new_therapies),
        discontinuations=tuple(r for s in subject_list for r in s.discontinuations),
    )


@st.composite
def datasets(draw: st.DrawFn, new_lesions: bool = True) -> list[SubjectData]:
    n = draw(st.integers(1, 6))
    return [draw(subjects(sid=f"P{i}", new_lesions=new_lesions)) for i in range(n)]


@relaxed
@given(subject_list=datasets(), days=st.integers(30, 700), data=st.data())
def test_permuting_subjects_and_records_changes_nothing(
    subject_list: list[SubjectData], days: int, data: st.DataObject
) -> None:
    """analyze_endpoints gives the same result whatever the order of subjects and records."""
    cutoff = START + timedelta(days=days)
    original = _dataset(subject_list)
    shuffled = Dataset(*(tuple(data.draw(st.permutations(getattr(original, f.name))))
                         for f in dataclasses.fields(Dataset)))
    a = analyze_endpoints(original, cutoff=cutoff, rules=RULES)
    b = analyze_endpoints(shuffled, cutoff=cutoff, rules=RULES)
    assert a == b
    assert a.to_dict() == b.to_dict()


def _until(subject: SubjectData, cutoff: date) -> SubjectData:
    """The subject's records dated on or before the cut-off only."""
    return dataclasses.replace(
        subject,
        assessments=tuple(a for a in subject.assessments if a.assessed_on <= cutoff),
        deaths=tuple(d for d in subject.deaths if d.died_on <= cutoff),
        contacts=tuple(c for c in subject.contacts if c.contact_on <= cutoff),
        new_therapies=tuple(t for t in subject.new_therapies if t.started_on <= cutoff),
        discontinuations=tuple(d for d in subject.discontinuations
                               if d.discontinued_on <= cutoff),
    )


@relaxed
@given(subject=subjects(new_lesions=False), days=st.integers(0, 700))
def test_records_after_the_cutoff_change_no_date_or_outcome(
    subject: SubjectData, days: int
) -> None:
    """What happened after the cut-off may change a reason (row 11), never a date or outcome."""
    cutoff = cutoff_for(subject, days)
    trimmed = _until(subject, cutoff)
    for v in PfsVariant:
        full = derive_pfs(subject, cutoff=cutoff, variant=v, rules=RULES)
        cut = derive_pfs(trimmed, cutoff=cutoff, variant=v, rules=RULES)
        assert (full.end_on, full.event) == (cut.end_on, cut.event), (full.reason, cut.reason)
    full_os = derive_os(subject, cutoff=cutoff, rules=RULES)
    cut_os = derive_os(trimmed, cutoff=cutoff, rules=RULES)
    assert (full_os.end_on, full_os.event) == (cut_os.end_on, cut_os.event)


@relaxed
@given(subject_list=datasets(), fmt=st.sampled_from(["csv", "json"]))
def test_exchange_format_round_trips(subject_list: list[SubjectData], fmt: str) -> None:
    """dump_exchange then parse_exchange gives an equal data set (CSV and JSON)."""
    original = _dataset(subject_list)
    assert parse_exchange(dump_exchange(original, fmt=fmt)) == original


@relaxed
@given(subject=subjects(), days=st.integers(0, 700))
def test_every_primary_pfs_event_is_an_s1_event_on_the_same_date(
    subject: SubjectData, days: int
) -> None:
    """S1 only removes censoring rules (7 and 10), so it keeps every primary event."""
    cutoff = cutoff_for(subject, days)
    primary = derive_pfs(subject, cutoff=cutoff, rules=RULES)
    s1 = derive_pfs(subject, cutoff=cutoff, variant=PfsVariant.S1, rules=RULES)
    if primary.event:
        assert (s1.event, s1.end_on) == (True, primary.end_on)
    assert s1.end_on >= primary.end_on or s1.event


@relaxed
@given(subject=subjects(), days=st.integers(0, 700))
def test_pfs_never_ends_after_os(subject: SubjectData, days: int) -> None:
    """With consistent records (nothing dated after death), PFS ends on or before OS."""
    assume(not any(f.code == "EP001"
                   for f in check_dataset(_dataset([subject]))))
    cutoff = cutoff_for(subject, days)
    pfs = derive_pfs(subject, cutoff=cutoff, rules=RULES)
    assert pfs.end_on <= derive_os(subject, cutoff=cutoff, rules=RULES).end_on


# Results are plain data: stable codes from the catalogue, JSON and pickle round trips.


def _rows(result: EndpointAnalysis) -> Iterator[Any]:
    """Every row of an analysis that carries a code."""
    for s in result.subjects:
        yield s
        yield s.sets
        yield from (r for r in (s.pfs, s.os) if r is not None)
        yield from s.pfs_sensitivity
        if s.response is not None:
            yield s.response
            if s.response.duration_of_response is not None:
                yield s.response.duration_of_response
    for summary in (result.pfs, *result.pfs_sensitivity, result.os,
                    result.duration_of_response):
        yield summary
        yield from summary.landmarks
    yield from result.rates
    yield result.time_to_response


def _codes_are_catalogued(result: EndpointAnalysis) -> None:
    for row in _rows(result):
        assert isinstance(row.code, str) and isinstance(row.reason, str) and row.reason
        assert any(code_matches(row.code, p) for p in RESULT_CODES), row.code
        assert all(not callable(v) for v in row.facts.values())


def test_example_codes_are_in_the_catalogue() -> None:
    """Every code the bundled example emits is listed in RESULT_CODES (docs/endpoints.md)."""
    result = analyze_endpoints(load_example_dataset(), cutoff=date(2026, 10, 31), rules=RULES)
    _codes_are_catalogued(result)


def test_result_codes_are_lowercase_dotted_with_a_meaning() -> None:
    """Codes are stable machine keys: lowercase dotted parts; each has a one-sentence meaning."""
    for code, meaning in RESULT_CODES.items():
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", code), code
        assert meaning.endswith(".") and meaning[0].isupper(), code


@relaxed
@given(subject_list=datasets(), days=st.integers(30, 700))
def test_generated_codes_are_in_the_catalogue_and_results_round_trip(
    subject_list: list[SubjectData], days: int
) -> None:
    """Every code emitted is catalogued; the whole analysis and each row go JSON -> object ->
    JSON to the same text (oncotrial.records.to_json / from_json), and pickle to an equal
    object."""
    result = analyze_endpoints(_dataset(subject_list), cutoff=START + timedelta(days=days),
                               rules=RULES)
    _codes_are_catalogued(result)
    for obj in (result, *_rows(result)):
        text = to_json(obj)
        assert to_json(from_json(type(obj), text)) == text, type(obj).__name__
        assert pickle.loads(pickle.dumps(obj)) == obj


@relaxed
@given(subject=subjects(), days=st.integers(0, 700))
def test_time_to_event_rows_round_trip(subject: SubjectData, days: int) -> None:
    """TimeToEvent, ResponseOutcome and AnalysisSets rows: JSON text round trip and pickle."""
    cutoff = cutoff_for(subject, days)
    rows: list[Any] = [derive_pfs(subject, cutoff=cutoff, variant=v, rules=RULES)
                       for v in PfsVariant]
    rows += [derive_os(subject, cutoff=cutoff, rules=RULES),
             derive_response(subject, cutoff=cutoff, rules=RULES),
             derive_analysis_sets(subject, cutoff=cutoff)]
    for row in rows:
        text = to_json(row)
        back = from_json(type(row), text)
        assert to_json(back) == text
        assert (back.code, back.reason) == (row.code, row.reason)
        assert pickle.loads(pickle.dumps(row)) == row
