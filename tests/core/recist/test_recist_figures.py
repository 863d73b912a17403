"""Figure data (docs/recist.md, Figures): waterfall, spider and swimmer, from evaluate() results."""

from __future__ import annotations

import datetime as dt

from oncotrial.recist import (
    Assessment,
    Lesion,
    Response,
    derive_spider,
    derive_swimmer,
    derive_waterfall,
    evaluate,
)

B = dt.date(2025, 1, 1)
ORIGIN = dt.date(2025, 1, 6)


def d(n: int) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


def cohort() -> dict[str, object]:
    t = [Lesion("T1", "liver", 50.0, B)]
    return {
        "P01": evaluate(t, [Assessment(d(56), {"T1": 30.0}), Assessment(d(112), {"T1": 45.0}),
                            Assessment(d(168), {"T1": 10.0})]),
        "P02": evaluate(t, [Assessment(d(56), {"T1": 55.0}), Assessment(d(112), {})]),
        "P03": evaluate(t, [Assessment(d(56), {})]),
        "P04": evaluate([Lesion("NT1", "bone", None, B, target=False)],
                        [Assessment(d(56), {}, {"NT1": "PRESENT"})]),
    }


def test_waterfall_excludes_after_pd_incomplete_and_no_targets() -> None:
    """Best % change up to PD; P01's -80 % after PD is left out; P03 and P04 have no bar."""
    bars = derive_waterfall(cohort(), best_overall_responses={"P01": Response.SD})  # type: ignore[arg-type]
    assert [(b.subject_id, b.best_change_pct, b.best_overall_response) for b in bars] == [
        ("P02", 10.0, None), ("P01", -40.0, Response.SD)]


def test_waterfall_stops_at_new_therapy() -> None:
    """Scans on or after the start of new anticancer therapy are excluded."""
    bars = derive_waterfall(cohort(), new_therapy_dates={"P01": d(56)})  # type: ignore[arg-type]
    assert [b.subject_id for b in bars] == ["P02"]


def test_spider_has_baseline_point_and_study_days() -> None:
    """Each patient with targets starts at (0, 0 %); days count from the origin."""
    points = derive_spider(cohort(), origins={k: ORIGIN for k in ("P01", "P02", "P03", "P04")})  # type: ignore[arg-type]
    p01 = [(p.day, p.change_pct) for p in points if p.subject_id == "P01"]
    assert p01 == [(0, 0.0), (56, -40.0), (112, -10.0)]
    assert not [p for p in points if p.subject_id == "P04"]


def test_swimmer_lanes() -> None:
    """Lanes sorted by length; first response and progression days for the markers."""
    evs = cohort()
    lanes = derive_swimmer(evs, origins=dict.fromkeys(evs, ORIGIN),  # type: ignore[arg-type]
                           end_dates={"P01": d(200), "P02": d(120), "P03": d(60), "P04": d(90)})
    assert [lane.subject_id for lane in lanes] == ["P01", "P02", "P04", "P03"]
    assert (lanes[0].first_response_day, lanes[0].progression_day) == (56, 112)
    assert lanes[0].markers[-1] == (168, Response.PD)
