"""Wording snapshots: the sentences a clinician reads, pinned for the not-eligible example,
and every rule field and check documented in docs/eligibility.md.

The QTcF of the example is worked by hand from Fridericia (1920): tracings (430 ms, 82 bpm),
(432, 80), (428, 84) give 477.2, 475.5 and 478.8 ms, mean 477.2 ms.
"""

from __future__ import annotations

from pathlib import Path

from oncotrial.eligibility import example_record, screen
from oncotrial.protocol.vocabulary import CHECKS, FIELDS

DOCS = Path(__file__).parents[3] / "docs" / "eligibility.md"

NOT_MET = {
    "I4": "1 prior systemic line for advanced HCC ended by progression or intolerance: "
          "lenvatinib; at least 2 are required (PN-18).",
    "I9": "HBV: HBsAg positive: HBV DNA 2600 copies/mL on 2026-02-24, Sansure HBV DNA is not "
          "below the required 2500 copies/mL (compared in the unit reported, PN-23).",
    "I11": "11(1) ANC: ANC 0.9 x10^9/L on 2026-03-01 is below the required 1.0 x10^9/L.",
    "I12": "12 QTc: QTcF 477 ms (mean of 3 ECGs) on 2026-02-26 is not below the required "
           "470 ms for women.",
}


def test_not_eligible_example_wording() -> None:
    """Each failed criterion shows the value, the unit, the date and the limit."""
    result = screen(example_record("not_eligible"))
    assert {v.criterion_id: v.reason for v in result.by_status("not_met")} == NOT_MET
    assert result.verdicts["I9"].warnings == (
        "HBV DNA 2600 copies/mL on 2026-02-24, Sansure HBV DNA is close to the limit of 2500 "
        "copies/mL; the unit was compared as reported (PN-23), confirm the assay.",)


def test_incomplete_example_names_what_to_fill_in() -> None:
    """Missing verdicts list record paths; attestations give the prompt."""
    result = screen(example_record("incomplete"))
    assert result.verdicts["I12"].missing == ("cardiac.echo.lvef", "cardiac.ecgs",
                                              "cardiac.echo.date", "cardiac.ecg_date")
    assert result.verdicts["I5"].reason == (
        "Investigator to attest: Is the patient's expected survival at least 3 months?")


def test_every_rule_field_and_check_is_documented() -> None:
    """docs/eligibility.md names every vocabulary field and every named check."""
    text = DOCS.read_text(encoding="utf-8")
    undocumented = [name for name in [*FIELDS, *CHECKS] if f"`{name}" not in text]
    assert undocumented == []
