"""The bundled example data set against hand-worked expectations (tests/vectors/endpoints).

Each case in ``example_expected.json`` names the row of the PFS table of docs/endpoints.md or the
RECIST 1.1 section it checks.
The CSV copy bundled in the package and the JSON copy in the vectors folder must read the same.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from oncotrial.endpoints import (
    EndpointRules,
    analyze_endpoints,
    load_example_dataset,
    parse_exchange,
)
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import DAYS_PER_MONTH

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "endpoints"
EXPECTED: dict[str, Any] = json.loads((VECTORS / "example_expected.json").read_text("utf-8"))
CUTOFF = date.fromisoformat(EXPECTED["cutoff"])
RULES = EndpointRules.from_protocol(load_bundled_protocol())
RESULT = analyze_endpoints(load_example_dataset(), cutoff=CUTOFF, rules=RULES)
BY_ID = {s.subject_id: s for s in RESULT.subjects}


@pytest.mark.parametrize("case", EXPECTED["cases"], ids=[c["source"] for c in EXPECTED["cases"]])
def test_example_subject_matches_hand_worked_expectation(case: dict[str, Any]) -> None:
    """PFS date, outcome, row, code and days; OS date and outcome; confirmed BOR."""
    got = BY_ID[case["subject_id"]]
    assert got.pfs is not None and got.os is not None and got.response is not None
    assert got.pfs.end_on.isoformat() == case["pfs"]["end_on"], got.pfs.reason
    assert got.pfs.event is case["pfs"]["event"]
    assert got.pfs.facts["row"] == case["pfs"]["row"]
    assert got.pfs.code == case["pfs"]["code"]
    assert got.pfs.days == case["pfs"]["days"]
    assert got.os.end_on.isoformat() == case["os"]["end_on"], got.os.reason
    assert got.os.event is case["os"]["event"]
    assert got.response.bor.response.value == case["bor"]


def test_example_csv_and_json_copies_read_the_same() -> None:
    """The exchange format's CSV and JSON forms carry the same data."""
    files = {p.name: p.read_text("utf-8") for p in (VECTORS / "example_json").iterdir()}
    assert parse_exchange(files) == load_example_dataset()


def test_example_covers_every_row_of_the_censoring_table() -> None:
    """The example is meant to show all 12 rows of the PFS table at the cut-off."""
    rows = {s.pfs.facts["row"] for s in RESULT.subjects if s.pfs is not None}
    assert rows == set(range(1, 13))


def test_example_pfs_kaplan_meier_matches_lifelines() -> None:
    """The PFS summary of the example against lifelines 0.28+ ``KaplanMeierFitter`` on the same
    days and events: median (no flat stretch at 50 % here, so both conventions agree) and the
    3- and 6-month rates with their log-log Greenwood intervals, to 1e-9."""
    import warnings

    lifelines = pytest.importorskip("lifelines")
    days = [s.pfs.days for s in RESULT.subjects if s.pfs is not None]
    events = [s.pfs.event for s in RESULT.subjects if s.pfs is not None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lifelines.KaplanMeierFitter().fit(days, events)
        band = fit.confidence_interval_survival_function_
        at = fit.survival_function_at_times([3 * DAYS_PER_MONTH, 6 * DAYS_PER_MONTH]).to_numpy()
    assert RESULT.pfs.median_months == pytest.approx(fit.median_survival_time_ / DAYS_PER_MONTH,
                                                     abs=1e-9)
    for k, landmark in enumerate(RESULT.pfs.landmarks[:2]):
        row = band[band.index <= landmark.months * DAYS_PER_MONTH].iloc[-1]
        assert landmark.estimate == pytest.approx(at[k], abs=1e-9)
        assert landmark.lower == pytest.approx(row.iloc[0], abs=1e-9)
        assert landmark.upper == pytest.approx(row.iloc[1], abs=1e-9)
