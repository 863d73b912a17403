"""Pinned wording of the reasons and summaries people read (wording snapshots). A change here is
a change in what clinicians see; review it like code."""

from __future__ import annotations

from datetime import date

from oncotrial.endpoints import (
    EndpointRules,
    derive_analysis_sets,
    derive_os,
    derive_pfs,
    derive_response,
    load_example_dataset,
)
from oncotrial.protocol import load_bundled_protocol

RULES = EndpointRules.from_protocol(load_bundled_protocol())

CUTOFF = date(2026, 10, 31)
SUBJECTS = load_example_dataset().by_subject()

PFS = {
    "S01": "PFS S01: censored, 1 day (PFS table row 1): censored at first dose 2026-01-08: no "
           "baseline tumour assessment",
    "S03": "PFS S03: event, 110 days (PFS table row 3): event: PD on 2026-05-01 (new lesion first "
           "seen; assessment 2026-05-04)",
    "S07": "PFS S07: censored, 57 days (PFS table row 7): censored at last adequate assessment "
           "2026-04-27: new anticancer therapy (systemic, sorafenib) started 2026-05-20, before "
           "PD on 2026-06-29",
    "S10": "PFS S10: censored, 57 days (PFS table row 10): censored at last adequate assessment "
           "2026-03-23: PD on 2026-08-03 came 133 days after the last adequate assessment, more "
           "than 2 x 56 + 7 = 119 days (two or more missed assessments)",
    "S11": "PFS S11: censored, 113 days (PFS table row 11): censored at last adequate assessment "
           "2026-09-21: PD on 2026-11-16 is after the data cut-off 2026-10-31",
    "S12": "PFS S12: censored, 57 days (PFS table row 12): censored at last adequate assessment "
           "2026-04-13: lost to follow-up on 2026-06-08, no progression or death",
}


def test_pfs_summaries_are_pinned() -> None:
    """The PFS line for six rows of the censoring table."""
    for sid, text in PFS.items():
        assert derive_pfs(SUBJECTS[sid], cutoff=CUTOFF, rules=RULES).summary() == text


def test_os_response_and_set_wording_is_pinned() -> None:
    """One OS reason, one response reason, one analysis-set reason."""
    assert derive_os(SUBJECTS["S12"], cutoff=CUTOFF, rules=RULES).reason == (
        "censored at last date known alive 2026-06-08 (dosing): no death on or before the "
        "cut-off 2026-10-31")
    assert derive_response(SUBJECTS["S08"], cutoff=CUTOFF, rules=RULES).summary() == (
        "S08: BOR NE; neither response nor disease control (NE): NE: no assessment after the "
        "origin 2026-04-06. NE because: early death on 2026-05-10, no adequate post-baseline "
        "assessment.")
    assert derive_analysis_sets(SUBJECTS["S02"], cutoff=CUTOFF).summary() == (
        "S02: enrolled, FAS, safety (enrolled 2026-02-27; first dose 2026-03-02; no measurable "
        "disease at baseline, so not response-evaluable)")
