"""The report's efficacy numbers are the endpoint module's output, not a second derivation:
every cell of the efficacy tables equals the value of ``analyze_endpoints`` run on its own."""

from __future__ import annotations

import pytest
from reportkit import CUTOFF

from oncotrial.context import TrialContext
from oncotrial.endpoints import EndpointAnalysis, TimeToEventSummary, analyze_endpoints
from oncotrial.records import Response, months
from oncotrial.reports import Report
from oncotrial.reports.tables import BOR_LABELS, humanise
from oncotrial.stats import estimate_proportion
from oncotrial.study import StudyData


@pytest.fixture(scope="module")
def analysis(study: StudyData, ctx: TrialContext) -> EndpointAnalysis:
    """The endpoint module called directly, as ``oncotrial analyze`` calls it."""
    return analyze_endpoints(study.dataset, cutoff=CUTOFF, rules=ctx.endpoint_rules)


def test_bor_table_is_the_endpoint_modules_distribution(report: Report,
                                                        analysis: EndpointAnalysis) -> None:
    table = report.table("bor")
    for code, count in analysis.bor_distribution:
        assert table.cell(BOR_LABELS[code], 1) == count
    evaluable = [s for s in analysis.subjects if s.sets.response_evaluable and s.response]
    for code in BOR_LABELS:
        expected = sum(1 for s in evaluable if s.response
                       and s.response.bor_unconfirmed.response.value == code)
        assert table.cell(BOR_LABELS[code], 2) == expected
    ne = dict(analysis.ne_reasons)
    assert sum(r.cells[1] for r in table.rows if r.level == 1) == sum(ne.values())  # type: ignore[misc]
    assert table.columns[1].denominator == dict(analysis.set_counts)["response-evaluable"]


def test_rates_equal_the_endpoint_modules_rates(report: Report,
                                                analysis: EndpointAnalysis) -> None:
    """ORR, unconfirmed ORR and DCR over both populations, with their exact intervals."""
    rows = {(r.cells[0], r.cells[1]): r.cells for r in report.table("response_rates").rows}
    for rate in analysis.rates:
        cells = rows[(rate.endpoint, rate.population)]
        assert rate.estimate is not None
        assert cells[2] == (rate.x, rate.n)
        assert cells[3] == rate.estimate.estimate
        assert cells[4] == (rate.estimate.lower, rate.estimate.upper)


def test_unconfirmed_dcr_counts_the_unconfirmed_bor_with_the_protocols_interval(
        report: Report, analysis: EndpointAnalysis, ctx: TrialContext) -> None:
    rules = ctx.endpoint_rules
    evaluable = [s.response for s in analysis.subjects
                 if s.sets.response_evaluable and s.response is not None]
    x = sum(o.bor_unconfirmed.response in (Response.CR, Response.PR, Response.SD)
            for o in evaluable)
    expected = estimate_proportion(x, len(evaluable), method=rules.ci_method,
                                   conf_level=rules.conf_level)
    row = next(r.cells for r in report.table("response_rates").rows
               if r.cells[:2] == ("DCR unconfirmed", "response-evaluable"))
    assert row[2:5] == ((x, len(evaluable)), expected.estimate, (expected.lower, expected.upper))


def _column(report: Report, index: int) -> dict[tuple[object, object], object]:
    return {(r.cells[0], r.cells[1]): r.cells[index] for r in report.table("time_to_event").rows}


@pytest.mark.parametrize(("index", "endpoint"), [(2, "pfs"), (3, "os")])
def test_time_to_event_cells_are_the_endpoint_modules_summary(
        report: Report, analysis: EndpointAnalysis, index: int, endpoint: str) -> None:
    s: TimeToEventSummary = getattr(analysis, endpoint)
    col = _column(report, index)
    assert col[("Subjects", "n")] == s.n
    assert col[("Events", "n (%)")] == s.events
    assert col[("Censored", "n (%)")] == s.n - s.events
    for kind, k in s.events_by_kind:
        assert col[("Events", humanise(kind))] == k
    for code, k in s.censored_by_code:
        assert col[("Censored", humanise(code))] == k
    assert col[("Median (months)", "Estimate (95 % CI)")] == (
        s.median_months, s.median_lower_months, s.median_upper_months)
    assert col[("Quartiles (months)", "25th percentile")] == s.q25_months
    assert col[("Quartiles (months)", "75th percentile")] == s.q75_months
    for lm in s.landmarks:
        assert col[(f"Rate at {lm.months:g} months", "% (95 % CI)")] == (
            lm.estimate, lm.lower, lm.upper)
        assert col[(f"Rate at {lm.months:g} months", "Subjects at risk")] == lm.n_risk


def test_median_follow_up_is_the_reverse_kaplan_meier_of_the_endpoint_module(
        report: Report, analysis: EndpointAnalysis) -> None:
    fu = analysis.follow_up
    assert fu is not None and fu.time is not None
    cell = _column(report, 3)[("Median follow-up (months)", "Reverse Kaplan-Meier (95 % CI)")]
    assert cell == tuple(None if v is None else months(v) for v in (fu.time, fu.lower, fu.upper))


def test_sensitivity_and_response_duration_tables(report: Report,
                                                  analysis: EndpointAnalysis) -> None:
    rows = report.table("pfs_sensitivity").rows
    for row, s in zip(rows, (analysis.pfs, *analysis.pfs_sensitivity), strict=True):
        assert row.cells == (s.endpoint, s.description, s.n, s.events,
                             (s.median_months, s.median_lower_months, s.median_upper_months))
    dor, ttr = analysis.duration_of_response, analysis.time_to_response
    table = report.table("response_duration")
    cells = {(r.cells[0], r.cells[1]): r.cells[2] for r in table.rows}
    assert cells[("Duration of response", "Responders")] == dor.n
    assert cells[("Time to response", "Median (range), months")] == (
        ttr.median_months, ttr.min_months, ttr.max_months)


def test_kaplan_meier_figures_show_the_endpoint_modules_subjects(
        report: Report, analysis: EndpointAnalysis) -> None:
    """The plot draws every FAS subject's time; numbers at risk count times reaching each
    tick, as printed under the axis."""
    for key, attr in (("km_pfs", "pfs"), ("km_os", "os")):
        data = report.figure(key).data
        records = [getattr(s, attr) for s in analysis.subjects if getattr(s, attr)]
        assert data["n"] == len(records) == getattr(analysis, attr).n
        assert data["events"] == getattr(analysis, attr).events
        assert data["at_risk"][0] == len(records)
        for m, k in zip(data["risk_months"], data["at_risk"], strict=True):
            assert k == sum(1 for r in records if months(r.days) >= m - 1e-9)
        assert data["at_risk"] == sorted(data["at_risk"], reverse=True)
        assert 'role="img"' in report.figure(key).svg


def test_waterfall_colours_are_the_confirmed_bor(report: Report,
                                                 analysis: EndpointAnalysis) -> None:
    bors = {s.subject_id: s.response.bor.response.value for s in analysis.subjects
            if s.response}
    bars = report.figure("waterfall").data["bars"]
    assert bars, "the fixture has target lesions followed up"
    for subject_id, _change, bor in bars:
        assert bor == bors[subject_id]
    # S04: 80 mm at baseline, 44 mm at its best: -45 %.
    assert ("S04", pytest.approx(-45.0), "PR") in [tuple(b) for b in bars]
    changes = [b[1] for b in bars]
    assert changes == sorted(changes, reverse=True)
