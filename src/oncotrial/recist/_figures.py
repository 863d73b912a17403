"""Plain data behind the response figures: waterfall, spider and swimmer plots.

What goes into each figure is described in ``docs/recist.md`` (Figures): the waterfall shows each
patient's best % change of the target sum from baseline, using patients with a baseline and at
least one complete post-baseline target measurement and excluding scans after PD or after new
anticancer therapy; the spider shows % change over time; the swimmer shows time on study with
response markers. Drawing is the report layer's job; these functions return values only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from oncotrial.recist._timepoint import Evaluation, TimepointResponse
from oncotrial.records import Response

__all__ = [
    "SpiderPoint",
    "SwimmerLane",
    "WaterfallBar",
    "derive_spider",
    "derive_swimmer",
    "derive_waterfall",
]


@dataclass(frozen=True, slots=True)
class WaterfallBar:
    """One patient's bar: the best (most negative) % change of the target sum from baseline."""

    subject_id: str
    best_change_pct: float
    assessed_on: dt.date
    best_overall_response: Response | None


@dataclass(frozen=True, slots=True)
class SpiderPoint:
    """One patient's % change of the target sum from baseline at one assessment."""

    subject_id: str
    day: int
    change_pct: float
    overall: Response


@dataclass(frozen=True, slots=True)
class SwimmerLane:
    """One patient's lane: days on study and the response at each assessment."""

    subject_id: str
    end_day: int
    markers: tuple[tuple[int, Response], ...]
    first_response_day: int | None
    progression_day: int | None


def _window(ev: Evaluation, new_therapy_date: dt.date | None) -> list[TimepointResponse]:
    """Time points up to and including the first PD, before new anticancer therapy."""
    out: list[TimepointResponse] = []
    for tp in ev.timepoints:
        if new_therapy_date is not None and tp.assessed_on >= new_therapy_date:
            break
        out.append(tp)
        if tp.overall is Response.PD:
            break
    return out


def derive_waterfall(
    evaluations: Mapping[str, Evaluation],
    *,
    best_overall_responses: Mapping[str, Response] | None = None,
    new_therapy_dates: Mapping[str, dt.date] | None = None,
) -> tuple[WaterfallBar, ...]:
    """Waterfall data: each patient's best % change of the target sum (``docs/recist.md``).

    The best change is the smallest % change from baseline among complete target assessments
    up to the first PD and before new anticancer therapy. Patients without target lesions or
    without such an assessment are left out. Bars are sorted from the largest increase to the
    largest decrease, as the plot draws them.

    >>> from oncotrial.recist import Assessment, Lesion, evaluate
    >>> d = dt.date(2025, 1, 1)
    >>> ev = evaluate([Lesion("T1", "liver", 50.0, d)],
    ...               [Assessment(dt.date(2025, 3, 1), {"T1": 30.0}),
    ...                Assessment(dt.date(2025, 5, 1), {"T1": 35.0})])
    >>> [(bar.subject_id, bar.best_change_pct) for bar in derive_waterfall({"P01": ev})]
    [('P01', -40.0)]
    """
    bars: list[WaterfallBar] = []
    bors = best_overall_responses or {}
    stops = new_therapy_dates or {}
    for subject_id, ev in evaluations.items():
        best: TimepointResponse | None = None
        for tp in _window(ev, stops.get(subject_id)):
            pct = tp.change_from_baseline_pct
            if tp.complete and pct is not None and (
                best is None or best.change_from_baseline_pct is None
                or pct < best.change_from_baseline_pct
            ):
                best = tp
        if best is not None and best.change_from_baseline_pct is not None:
            bars.append(WaterfallBar(subject_id, best.change_from_baseline_pct,
                                     best.assessed_on, bors.get(subject_id)))
    bars.sort(key=lambda bar: (-bar.best_change_pct, bar.subject_id))
    return tuple(bars)


def derive_spider(
    evaluations: Mapping[str, Evaluation],
    *,
    origins: Mapping[str, dt.date],
    new_therapy_dates: Mapping[str, dt.date] | None = None,
) -> tuple[SpiderPoint, ...]:
    """Spider data: % change of the target sum from baseline by study day, per patient.

    Day 0 is the origin (first dose) and each patient starts with a point (0, 0 %) for
    baseline. Only complete target assessments up to the first PD and before new therapy.

    >>> from oncotrial.recist import Assessment, Lesion, evaluate
    >>> ev = evaluate([Lesion("T1", "liver", 50.0, dt.date(2025, 1, 1))],
    ...               [Assessment(dt.date(2025, 3, 3), {"T1": 30.0})])
    >>> [(p.day, p.change_pct) for p in derive_spider({"P01": ev},
    ...                                               origins={"P01": dt.date(2025, 1, 6)})]
    [(0, 0.0), (56, -40.0)]
    """
    points: list[SpiderPoint] = []
    stops = new_therapy_dates or {}
    for subject_id, ev in evaluations.items():
        if ev.baseline_sum_mm is None:
            continue
        origin = origins[subject_id]
        points.append(SpiderPoint(subject_id, 0, 0.0, Response.NE))
        for tp in _window(ev, stops.get(subject_id)):
            if tp.complete and tp.change_from_baseline_pct is not None:
                points.append(SpiderPoint(subject_id, (tp.assessed_on - origin).days,
                                          tp.change_from_baseline_pct, tp.overall))
    return tuple(points)


def derive_swimmer(
    evaluations: Mapping[str, Evaluation],
    *,
    origins: Mapping[str, dt.date],
    end_dates: Mapping[str, dt.date],
) -> tuple[SwimmerLane, ...]:
    """Swimmer data: days from origin to the end of treatment, with a marker per assessment.

    ``end_dates`` gives each patient's last day on treatment (or the cut-off); markers after
    it are left out. The first CR/PR day and the progression day are given for the symbols.

    >>> from oncotrial.recist import Assessment, Lesion, evaluate
    >>> ev = evaluate([Lesion("T1", "liver", 50.0, dt.date(2025, 1, 1))],
    ...               [Assessment(dt.date(2025, 3, 3), {"T1": 30.0}),
    ...                Assessment(dt.date(2025, 4, 28), {"T1": 45.0})])
    >>> lane = derive_swimmer({"P01": ev}, origins={"P01": dt.date(2025, 1, 6)},
    ...                       end_dates={"P01": dt.date(2025, 5, 2)})[0]
    >>> lane.end_day, lane.markers, lane.first_response_day, lane.progression_day
    (116, ((56, <Response.PR: 'PR'>), (112, <Response.PD: 'PD'>)), 56, 112)
    """
    lanes: list[SwimmerLane] = []
    for subject_id, ev in evaluations.items():
        origin, end = origins[subject_id], end_dates[subject_id]
        markers = tuple(((tp.assessed_on - origin).days, tp.overall) for tp in ev.timepoints
                        if tp.assessed_on <= end)
        first = next((day for day, resp in markers if resp in (Response.CR, Response.PR)), None)
        pd_day = None
        if ev.progression_on is not None and ev.progression_on <= end:
            pd_day = (ev.progression_on - origin).days
        lanes.append(SwimmerLane(subject_id, (end - origin).days, markers, first, pd_day))
    lanes.sort(key=lambda lane: (-lane.end_day, lane.subject_id))
    return tuple(lanes)
