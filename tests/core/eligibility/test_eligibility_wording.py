"""Wording snapshots: the sentences a clinician reads, pinned for the not-eligible example,
and every rule field, check and result code documented in docs/eligibility.md.

The QTcF of the example is worked by hand from Fridericia (1920): tracings (430 ms, 82 bpm),
(432, 80), (428, 84) give 477.2, 475.5 and 478.8 ms, mean 477.2 ms.
"""

from __future__ import annotations

from pathlib import Path

from oncotrial.eligibility import example_record, screen
from oncotrial.protocol import load_bundled_protocol
from oncotrial.protocol.vocabulary import CHECKS, FIELDS

PROTOCOL = load_bundled_protocol()

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
    result = screen(example_record("not_eligible"), PROTOCOL)
    assert {v.criterion_id: v.reason for v in result.by_status("not_met")} == NOT_MET
    assert result.verdicts["I9"].warnings == (
        "HBV DNA 2600 copies/mL on 2026-02-24, Sansure HBV DNA is close to the limit of 2500 "
        "copies/mL; the unit was compared as reported (PN-23), confirm the assay.",)


def test_incomplete_example_names_what_to_fill_in() -> None:
    """Missing verdicts list record paths; attestations give the prompt and the key to answer
    it under; an earlier surgery asks for the recovery attestation (E3)."""
    result = screen(example_record("incomplete"), PROTOCOL)
    assert result.verdicts["I12"].missing == ("cardiac.echo.lvef", "cardiac.ecgs",
                                              "cardiac.echo.date", "cardiac.ecg_date")
    assert result.verdicts["I12"].code == "I12.missing.echo_lvef"
    assert result.verdicts["I5"].reason == (
        "Investigator to attest (expected_survival_at_least_3_months): Is the patient's "
        "expected survival at least 3 months?")
    assert result.verdicts["E3"].code == "E3.attest.needed"
    assert result.verdicts["E3"].reason == (
        "Last major surgery 2025-10-02, 151 days before the enrolment on 2026-03-02 (at least "
        "28 days required). Investigator to attest (recovered_from_surgery): Has the patient "
        "fully recovered from the last major surgery?")


def test_every_rule_field_and_check_is_documented() -> None:
    """docs/eligibility.md names every vocabulary field and every named check."""
    text = DOCS.read_text(encoding="utf-8")
    undocumented = [name for name in [*FIELDS, *CHECKS] if f"`{name}" not in text]
    assert undocumented == []
