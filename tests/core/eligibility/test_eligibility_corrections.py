"""The clinical corrections of issue 10, each test stating the rule it holds.

Every case changes the bundled eligible example (HBsAg positive, anti-HCV negative, HCV RNA
negative, anti-HDV negative, PT 12.9 s with ULN 12.1, INR 1.12, no major surgery) and checks one
criterion's verdict, its code and what it asks to fill in.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oncotrial.eligibility import ScreeningResult
from oncotrial.errors import UnknownTermError

DELETE = "__delete__"
Screen = Callable[..., ScreeningResult]


# --- E5: hepatitis B with hepatitis C or D (PN-36) ------------------------------------------


def test_e5_anti_hcv_negative_rules_out_hcv_without_rna(screen_with: Screen) -> None:
    """An HBsAg-positive subject who is anti-HCV negative has no HCV infection: E5 does not ask
    for an HCV RNA result."""
    verdict = screen_with({"hepatitis.hcv_rna": DELETE}).verdicts["E5"]
    assert verdict.status == "met" and verdict.missing == ()
    assert verdict.code == "E5.met.no_coinfection"
    assert "anti-HCV negative" in verdict.reason


def test_e5_hcv_rna_needed_only_when_anti_hcv_positive(screen_with: Screen) -> None:
    """HCV RNA is needed only when anti-HCV is positive (or anti-HCV is not known)."""
    positive = screen_with({"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": DELETE,
                            "hepatitis.hcv_antiviral": "never"}).verdicts["E5"]
    assert (positive.status, positive.missing) == ("missing", ("hepatitis.hcv_rna",))
    assert positive.code == "E5.missing.hcv_rna"
    unknown = screen_with({"hepatitis.anti_hcv": DELETE,
                           "hepatitis.hcv_rna": DELETE}).verdicts["E5"]
    assert unknown.missing == ("hepatitis.anti_hcv",)


def test_e5_anti_hdv_negative_rules_out_hdv(screen_with: Screen) -> None:
    """Anti-HDV negative rules out hepatitis D; anti-HDV positive with HBsAg is co-infection;
    anti-HDV not known in an HBsAg carrier is missing."""
    assert screen_with({}).verdicts["E5"].status == "met"
    assert screen_with({"hepatitis.anti_hdv": "positive"}).verdicts["E5"].code == \
        "E5.not_met.hbv_hdv_coinfection"
    assert screen_with({"hepatitis.anti_hdv": DELETE}).verdicts["E5"].missing == (
        "hepatitis.anti_hdv",)


def test_e5_hcv_rna_positive_is_coinfection_whatever_the_antibody(screen_with: Screen) -> None:
    """HBsAg positive with HCV RNA positive is hepatitis B and C co-infection (PN-36)."""
    verdict = screen_with({"hepatitis.hcv_rna": "positive"}).verdicts["E5"]
    assert (verdict.status, verdict.code) == ("not_met", "E5.not_met.hbv_hcv_coinfection")


# --- I11: prothrombin time, INR only when PT was not reported (PN-29) -----------------------


def test_i11_pt_above_limit_fails_whatever_the_inr(screen_with: Screen) -> None:
    """A PT above 1.5 x ULN is not met even with a normal INR: INR stands in for PT only when
    PT in seconds was not reported."""
    verdict = screen_with({"labs.pt": {"value": 18.2, "unit": "s", "uln": 12.0},
                           "labs.inr": {"value": 1.0, "unit": ""}}).verdicts["I11"]
    assert (verdict.status, verdict.code) == ("not_met", "I11.not_met.pt_above_max")
    assert verdict.facts["pt"] == 18.2 and verdict.facts["pt_max"] == 18.0
    assert "PT 18.2 s on 2026-02-27 is above the allowed 1.5 x ULN = 18 s (ULN 12)" in \
        verdict.reason


def test_i11_inr_stands_in_only_when_pt_not_reported(screen_with: Screen) -> None:
    """Without a PT in seconds, INR <= 1.5 meets 11(3) PT and INR > 1.5 does not (PN-29)."""
    met = screen_with({"labs.pt": DELETE, "labs.inr": {"value": 1.5, "unit": ""}})
    assert met.verdicts["I11"].status == "met"
    assert met.verdicts["I11"].facts["inr_stands_in_for_pt"] is True
    assert "PT in seconds not reported, so INR stands in for it (PN-29): INR 1.5 on " \
           "2026-02-27 is within the allowed 1.5." in met.verdicts["I11"].reason
    failed = screen_with({"labs.pt": DELETE, "labs.inr": {"value": 1.6, "unit": ""}})
    assert failed.verdicts["I11"].code == "I11.not_met.inr_above_max"


def test_i11_pt_without_uln_is_missing_its_uln_even_with_inr(screen_with: Screen) -> None:
    """A PT reported without the site's ULN cannot be judged; INR does not replace it."""
    verdict = screen_with({"labs.pt": {"value": 12.9, "unit": "s"}}).verdicts["I11"]
    assert (verdict.status, verdict.missing) == ("missing", ("labs.pt.uln",))
    assert verdict.code == "I11.missing.pt_uln"


# --- Negative facts: "there was none" is an answer ------------------------------------------


def test_i9_no_anti_hbv_therapy_is_not_met(screen_with: Screen) -> None:
    """An HBsAg-positive subject recorded as receiving no anti-HBV therapy does not meet I9
    (PN-24 requires at least 14 days of it); this is not_met, not missing."""
    verdict = screen_with({"hepatitis.anti_hbv_therapy_start": "none"}).verdicts["I9"]
    assert (verdict.status, verdict.code) == ("not_met", "I9.not_met.no_anti_hbv_therapy")
    assert verdict.missing == ()
    assert verdict.facts["anti_hbv_therapy_start"] == "none"


def test_i9_no_anti_hbv_therapy_is_not_asked_without_hbv(screen_with: Screen) -> None:
    """For an HBsAg- and anti-HBc-negative subject the HBV rule does not apply, therapy or not."""
    verdict = screen_with({"hepatitis.hbsag": "negative", "hepatitis.anti_hbc": "negative",
                           "hepatitis.hbv_dna": DELETE,
                           "hepatitis.anti_hbv_therapy_start": "none"}).verdicts["I9"]
    assert verdict.status == "met"


def test_i14_consent_declined_is_not_met(screen_with: Screen) -> None:
    """Consent declined (``informed_consent_date: none``) is not_met for I14, not missing."""
    verdict = screen_with({"informed_consent_date": "none"}).verdicts["I14"]
    assert (verdict.status, verdict.code) == ("not_met", "I14.not_met.informed_consent_date_none")
    assert verdict.reason == "No informed consent signed (the record says none)."


def test_e3_no_major_surgery_needs_no_recovery_attestation(screen_with: Screen) -> None:
    """No major surgery (``last_major_surgery_date: none``) meets E3 without any attestation."""
    result = screen_with({"history.last_major_surgery_date": "none",
                          "attestations.recovered_from_surgery": DELETE})
    verdict = result.verdicts["E3"]
    assert (verdict.status, verdict.code) == ("met", "E3.met.last_major_surgery_date_none")
    assert result.eligible


def test_other_events_accept_none(screen_with: Screen) -> None:
    """Every event a criterion asks about can be recorded as none: no trial therapy (E2 met),
    no other malignancy (E7 met), no prior therapy (I4 not met: no lines), no CNS metastases."""
    result = screen_with({"history.last_trial_therapy_date": "none",
                          "history.other_malignancies": [], "prior_therapies": [],
                          "cns_metastases": "none"})
    assert result.verdicts["E2"].code == "E2.met.last_trial_therapy_date_none"
    assert result.verdicts["E7"].status == "met"
    assert result.verdicts["I4"].code == "I4.not_met.prior_systemic_lines_below_min"
    assert result.verdicts["I10"].code == "I10.met.cns_metastases_none"


# --- Attestation keys read in the direction of the question ---------------------------------


def test_attestation_keys_read_as_the_question(screen_with: Screen) -> None:
    """``recovered_from_surgery: true`` means recovered (E3 met); false means not recovered
    (E3 not met). A criterion id is not a key: ``E3: true`` is refused with the right key."""
    earlier = {"history.last_major_surgery_date": "2025-10-01"}
    recovered = screen_with({**earlier, "attestations.recovered_from_surgery": True})
    assert recovered.verdicts["E3"].code == "E3.met.attested_yes"
    assert recovered.verdicts["E3"].facts["recovered_from_surgery"] is True
    not_recovered = screen_with({**earlier, "attestations.recovered_from_surgery": False})
    assert not_recovered.verdicts["E3"].code == "E3.not_met.attested_no"
    with pytest.raises(UnknownTermError, match="criterion id") as err:
        screen_with({**earlier, "attestations.E3": True})
    assert "recovered_from_surgery" in str(err.value)
    with pytest.raises(UnknownTermError, match="Did you mean: recovered_from_surgery"):
        screen_with({**earlier, "attestations.recovered_from_surgry": True})
    cardiac = screen_with({"attestations.free_of_severe_cardiac_disease": False})
    assert cardiac.verdicts["E4"].code == "E4.not_met.attested_no"


def test_i9_says_the_anti_hcv_result_as_recorded(screen_with: Screen) -> None:
    """The sentence names the anti-HCV result that was entered, never an assumed positive one
    (a nurse corrects the field the sentence names)."""
    negative_before = screen_with({"hepatitis.anti_hcv": "negative", "hepatitis.hcv_rna": DELETE,
                                   "hepatitis.hcv_rna_ever_positive": True}).verdicts["I9"]
    assert negative_before.missing == ("hepatitis.hcv_rna",)
    assert "Anti-HCV negative and HCV RNA was positive before" in negative_before.reason
    assert "Anti-HCV positive" not in negative_before.reason
    unknown = screen_with({"hepatitis.anti_hcv": DELETE, "hepatitis.hcv_rna": "negative",
                           "hepatitis.hcv_rna_ever_positive": DELETE,
                           "hepatitis.hcv_antiviral": DELETE}).verdicts["I9"]
    assert "Anti-HCV not recorded, HCV RNA negative now" in unknown.reason
