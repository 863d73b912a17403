"""Every criterion of NCT06478927 at and on both sides of its edges, and with missing data.

Each table quotes the registry wording (or the protocol note that clarifies it) above it.
Cases change the bundled eligible example (enrolment 2026-03-02, first dose 2026-03-03,
informed consent 2026-02-20) and check one criterion's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oncotrial.eligibility import ScreeningResult

Case = tuple[str, dict[str, Any], str, str]  # criterion, changes, expected, why
DELETE = "__delete__"


def _run(cases: list[Case]) -> Any:
    return pytest.mark.parametrize(("criterion", "changes", "expected", "why"), cases,
                                   ids=[c[3] for c in cases])


# I1 "Patients aged >=18 years and <=75 years"; PN-16: completed years on the consent date.
AGE: list[Case] = [
    ("I1", {"birth_date": "2008-02-20"}, "met", "18th birthday on the consent date"),
    ("I1", {"birth_date": "2008-02-21"}, "not_met", "17 on the consent date"),
    ("I1", {"birth_date": "1950-02-21"}, "met", "75, day before 76th birthday"),
    ("I1", {"birth_date": "1950-02-20"}, "not_met", "76th birthday on the consent date"),
    ("I1", {"birth_date": DELETE}, "missing", "no birth date"),
    ("I1", {"informed_consent_date": DELETE}, "missing", "no consent date to take age on"),
]

# I2 "ECOG score 0~2" (PN-15: 0, 1 or 2).
ECOG: list[Case] = [
    ("I2", {"ecog": 0}, "met", "ECOG 0"),
    ("I2", {"ecog": 2}, "met", "ECOG 2 is the upper edge"),
    ("I2", {"ecog": 3}, "not_met", "ECOG 3"),
    ("I2", {"ecog": DELETE}, "missing", "ECOG not recorded"),
]

# I3 histologically or cytologically confirmed, unresectable advanced (PN-17).
DIAGNOSIS: list[Case] = [
    ("I3", {"diagnosis.method": "cytology"}, "met", "cytology"),
    ("I3", {"diagnosis.method": "imaging"}, "not_met", "imaging-only diagnosis (PN-17)"),
    ("I3", {"diagnosis.unresectable_advanced": False}, "not_met", "resectable"),
    ("I3", {"diagnosis.method": DELETE}, "missing", "diagnosis method not recorded"),
]

_LINE = {"drugs": [], "kind": "systemic", "setting": "advanced"}


def _lines(*items: tuple[str, int | None, str, str]) -> list[dict[str, Any]]:
    return [{**_LINE, "regimen": name, "line": line, "end_reason": end, "kind": kind}
            for name, line, end, kind in items]


# I4 "failed or are intolerant of at least second-line treatment"; PN-18: >= 2 systemic lines.
LINES: list[Case] = [
    ("I4", {"prior_therapies": _lines(("sorafenib", 1, "progression", "systemic"))},
     "not_met", "one line"),
    ("I4", {"prior_therapies": _lines(("sorafenib", 1, "intolerance", "systemic"),
                                      ("lenvatinib", 2, "progression", "systemic"))},
     "met", "intolerance counts as failure"),
    ("I4", {"prior_therapies": _lines(("atezolizumab", 1, "progression", "systemic"),
                                      ("bevacizumab", 1, "progression", "systemic"))},
     "not_met", "a combination is one line"),
    ("I4", {"prior_therapies": _lines(("sorafenib", 1, "progression", "systemic"),
                                      ("lenvatinib", 2, "ongoing", "systemic"))},
     "not_met", "an ongoing line has not failed"),
    ("I4", {"prior_therapies": _lines(("sorafenib", 1, "progression", "systemic"),
                                      ("HAIC FOLFOX", 2, "progression", "haic"))},
     "not_met", "HAIC is not a systemic line by default"),
    ("I4", {"prior_therapies": _lines(("sorafenib", 1, "progression", "systemic"),
                                      ("TACE", None, "progression", "tace"))},
     "not_met", "TACE is locoregional"),
    ("I4", {"prior_therapies": _lines(("sorafenib", None, "progression", "systemic"),
                                      ("regorafenib", None, "progression", "systemic"))},
     "met", "entries without line numbers count one each"),
    ("I4", {"prior_therapies": DELETE}, "missing", "no therapy history"),
    ("I4", {"prior_therapies": []}, "not_met", "no prior therapy"),
]

# I6 measurable lesion <= 21 days before enrolment (PN-20, RECIST 1.1 section 3.1).
IMAGING: list[Case] = [
    ("I6", {"imaging.date": "2026-02-09"}, "met", "scan 21 days before"),
    ("I6", {"imaging.date": "2026-02-08"}, "not_met", "scan 22 days before"),
    ("I6", {"imaging.date": "2026-03-02"}, "met", "scan on the enrolment day"),
    ("I6", {"imaging.date": "2026-03-03"}, "not_met", "scan after enrolment"),
    ("I6", {"imaging.lesions": [{"longest_diameter_mm": 10}]}, "met", "10 mm is measurable"),
    ("I6", {"imaging.lesions": [{"longest_diameter_mm": 9.9}]}, "not_met", "9.9 mm is not"),
    ("I6", {"imaging.lesions": [{"longest_diameter_mm": 12, "slice_thickness_mm": 8}]},
     "not_met", "needs twice an 8 mm slice"),
    ("I6", {"imaging.lesions": [{"lymph_node": True, "longest_diameter_mm": 20,
                                 "short_axis_mm": 15}]}, "met", "node short axis 15 mm"),
    ("I6", {"imaging.lesions": [{"lymph_node": True, "longest_diameter_mm": 20,
                                 "short_axis_mm": 14.9}]}, "not_met", "node short axis 14.9"),
    ("I6", {"imaging.lesions": [{"longest_diameter_mm": 40,
                                 "previously_treated_locally": True}]},
     "not_met", "TACE-treated lesion without progression (PN-20)"),
    ("I6", {"imaging.lesions": [{"longest_diameter_mm": 40, "previously_treated_locally": True,
                                 "progressed_since_local_therapy": True}]},
     "met", "treated lesion that progressed"),
    ("I6", {"imaging.date": DELETE}, "missing", "no scan date"),
]

# I7 BCLC B or C and (not suitable for local therapy or progressed after it) (PN-21).
BCLC: list[Case] = [
    ("I7", {"diagnosis.bclc_stage": "B"}, "met", "stage B"),
    ("I7", {"diagnosis.bclc_stage": "A"}, "not_met", "stage A"),
    ("I7", {"diagnosis.bclc_stage": "D"}, "not_met", "stage D"),
    ("I7", {"diagnosis.not_suitable_for_local_therapy": False,
            "diagnosis.progressed_after_local_therapy": True}, "met", "progressed after local"),
    ("I7", {"diagnosis.not_suitable_for_local_therapy": False,
            "diagnosis.progressed_after_local_therapy": False}, "not_met", "neither"),
    ("I7", {"diagnosis.not_suitable_for_local_therapy": False,
            "diagnosis.progressed_after_local_therapy": DELETE}, "missing",
     "one alternative false, the other unknown"),
]

# I8 Child-Pugh A or B (<= 7 points) (PN-22); points by Pugh et al. 1973 (docs/clinical.md).
CHILD_PUGH: list[Case] = [
    ("I8", {"liver.ascites": "mild", "labs.albumin": {"value": 35, "unit": "g/L"}}, "met",
     "B7: albumin 2 + ascites 2"),
    ("I8", {"liver.ascites": "mild", "labs.albumin": {"value": 35, "unit": "g/L"},
            "liver.encephalopathy": "grade_1_2"}, "not_met", "B8"),
    ("I8", {"labs.inr": {"value": 1.7, "unit": ""}, "labs.albumin": {"value": 28, "unit": "g/L"}},
     "met", "B7 from INR 1.7 and albumin 28 g/L"),
    ("I8", {"labs.bilirubin": {"value": 3.1, "unit": "mg/dL", "uln": 1.2},
            "liver.ascites": "mild"}, "not_met", "B8 from bilirubin 3.1 mg/dL"),
    ("I8", {"liver.ascites": DELETE}, "missing", "ascites not graded"),
    ("I8", {"labs.inr": DELETE, "labs.pt_prolongation_s": 3.0}, "met",
     "PT prolongation used without INR"),
]

# I9 HBV DNA < 500 IU/mL or < 2500 copies/mL, anti-HBV >= 14 days; HCV treated >= 28 days
# (PN-23, PN-24, PN-25).
_HBV = "hepatitis.hbv_dna"
HEPATITIS: list[Case] = [
    ("I9", {_HBV: {"value": 499, "unit": "IU/mL"}}, "met", "HBV DNA 499 IU/mL"),
    ("I9", {_HBV: {"value": 500, "unit": "IU/mL"}}, "not_met", "HBV DNA 500 IU/mL"),
    ("I9", {_HBV: {"value": 2499, "unit": "copies/mL"}}, "met", "HBV DNA 2499 copies/mL"),
    ("I9", {_HBV: {"value": 2500, "unit": "copies/mL"}}, "not_met", "HBV DNA 2500 copies/mL"),
    ("I9", {_HBV: {"value": 600, "unit": "copies/mL"}}, "met",
     "600 copies/mL is compared in copies, never converted (PN-23)"),
    ("I9", {_HBV: {"value": 0, "unit": "IU/mL", "below_detection": True}}, "met",
     "undetectable"),
    ("I9", {"hepatitis.anti_hbv_therapy_start": "2026-02-16"}, "met", "antiviral 14 days"),
    ("I9", {"hepatitis.anti_hbv_therapy_start": "2026-02-17"}, "not_met", "antiviral 13 days"),
    ("I9", {"hepatitis.anti_hbv_therapy_start": DELETE}, "missing", "antiviral start unknown"),
    ("I9", {"hepatitis.anti_hbv_therapy_start": "none"}, "not_met",
     "HBsAg positive without anti-HBV therapy (record says none)"),
    ("I9", {_HBV: DELETE}, "missing", "HBsAg positive without HBV DNA"),
    ("I9", {"hepatitis.hbsag": "negative", "hepatitis.anti_hbc": "negative", _HBV: DELETE,
            "hepatitis.anti_hbv_therapy_start": DELETE}, "met", "no HBV: rule does not apply"),
    ("I9", {"hepatitis.hbsag": "negative", "hepatitis.anti_hbc": "positive",
            _HBV: {"value": 700, "unit": "IU/mL"}, "hepatitis.anti_hbv_therapy_start": DELETE},
     "not_met", "occult HBV with detectable DNA above the limit (PN-23)"),
    ("I9", {"hepatitis.hbsag": DELETE}, "missing", "HBsAg unknown"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": "negative",
            "hepatitis.hcv_rna_ever_positive": True, "hepatitis.hcv_antiviral": "completed",
            "hepatitis.hcv_antiviral_end": "2026-02-02"}, "met", "HCV treated 28 days before"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": "negative",
            "hepatitis.hcv_rna_ever_positive": True, "hepatitis.hcv_antiviral": "completed",
            "hepatitis.hcv_antiviral_end": "2026-02-03"}, "not_met", "HCV treated 27 days before"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": "positive",
            "hepatitis.hcv_antiviral": "ongoing"}, "not_met", "HCV treatment ongoing"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": "positive",
            "hepatitis.hcv_antiviral": "never"}, "needs_investigator",
     "viraemic and untreated: investigator query (PN-25)"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": "negative",
            "hepatitis.hcv_rna_ever_positive": False, "hepatitis.hcv_antiviral": "never"},
     "met", "anti-HCV positive, RNA never positive"),
    ("I9", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": DELETE}, "missing",
     "anti-HCV positive, RNA unknown"),
]

# I10 CNS metastases absent, asymptomatic, or stable >= 4 weeks after treatment (PN-26).
CNS: list[Case] = [
    ("I10", {"cns_metastases": "asymptomatic"}, "met", "asymptomatic"),
    ("I10", {"cns_metastases": "symptomatic"}, "not_met", "symptomatic"),
    ("I10", {"cns_metastases": "treated_stable", "cns_stable_since": "2026-02-02"}, "met",
     "stable 28 days"),
    ("I10", {"cns_metastases": "treated_stable", "cns_stable_since": "2026-02-03"}, "not_met",
     "stable 27 days"),
    ("I10", {"cns_metastases": "treated_stable"}, "missing", "stable since unknown"),
    ("I10", {"cns_metastases": DELETE}, "missing", "CNS status not recorded"),
]

# I13 contraception for 7 months after the last dose (PN-12, PN-32); I14 consent.
CONSENT: list[Case] = [
    ("I13", {"reproductive.contraception_agreed": False}, "not_met", "refuses contraception"),
    ("I13", {"reproductive.reproductive_potential": False,
             "reproductive.contraception_agreed": DELETE}, "met", "no reproductive potential"),
    ("I13", {"reproductive.contraception_agreed": DELETE}, "missing", "not asked"),
    ("I14", {"informed_consent_date": "2026-03-02"}, "met", "consent on the enrolment day"),
    ("I14", {"informed_consent_date": "2026-03-03", "birth_date": "1968-01-01"}, "not_met",
     "consent after enrolment"),
    ("I14", {"informed_consent_date": DELETE}, "missing", "no consent date"),
    ("I14", {"informed_consent_date": "none"}, "not_met", "consent declined (record says none)"),
]

# E1 prior CDK4/6 inhibitor (PN-40).
_CDK = {"drugs": [], "kind": "systemic", "setting": "advanced", "line": 3,
        "end_reason": "progression"}
CDK46: list[Case] = [
    ("E1", {"prior_therapies": [{**_CDK, "regimen": "palbociclib + letrozole",
                                 "drugs": ["palbociclib", "letrozole"]}]}, "not_met",
     "palbociclib"),
    ("E1", {"prior_therapies": [{**_CDK, "regimen": "Kisqali"}]}, "not_met",
     "brand name of ribociclib"),
    ("E1", {"prior_therapies": [{**_CDK, "regimen": "dalpiciclib"}]}, "not_met", "dalpiciclib"),
    ("E1", {"prior_therapies": [{**_CDK, "regimen": "sorafenib"}]}, "met", "no CDK4/6"),
    ("E1", {"prior_therapies": DELETE}, "missing", "history not recorded"),
]

# E2 antitumour therapy in another trial within 4 weeks; E3 major surgery within 4 weeks.
WASHOUT: list[Case] = [
    ("E2", {"history.last_trial_therapy_date": "2026-02-02"}, "met", "trial therapy 28 days"),
    ("E2", {"history.last_trial_therapy_date": "2026-02-03"}, "not_met",
     "trial therapy 27 days"),
    ("E2", {"history.last_trial_therapy_date": DELETE}, "missing", "not asked"),
    ("E3", {"history.last_major_surgery_date": "2026-02-02",
            "attestations.recovered_from_surgery": True}, "met", "surgery 28 days, recovered"),
    ("E3", {"history.last_major_surgery_date": "2026-02-03",
            "attestations.recovered_from_surgery": True}, "not_met", "surgery 27 days"),
    ("E3", {"history.last_major_surgery_date": "2025-10-01",
            "attestations.recovered_from_surgery": False}, "not_met",
     "not recovered from surgery"),
    ("E3", {"history.last_major_surgery_date": "2025-10-01"}, "needs_investigator",
     "recovery not attested"),
    ("E3", {"history.last_major_surgery_date": "none"}, "met",
     "no major surgery: no recovery attestation needed"),
    ("E3", {"history.last_major_surgery_date": DELETE}, "missing", "surgery history not asked"),
]

# E5 hepatitis B with hepatitis C or D (PN-36): HCV infection is HCV RNA positive; anti-HCV
# negative rules it out; anti-HDV negative rules out HDV.
COINFECTION: list[Case] = [
    ("E5", {"hepatitis.hcv_rna": "positive", "hepatitis.anti_hcv": "positive",
            "hepatitis.hcv_antiviral": "completed", "hepatitis.hcv_antiviral_end": "2025-01-01"},
     "not_met", "HBsAg and HCV RNA positive"),
    ("E5", {"hepatitis.anti_hdv": "positive"}, "not_met", "HBsAg and anti-HDV positive"),
    ("E5", {"hepatitis.anti_hdv": DELETE}, "missing", "anti-HDV unknown in an HBsAg carrier"),
    ("E5", {"hepatitis.hcv_rna": DELETE}, "met",
     "anti-HCV negative: no HCV RNA needed"),
    ("E5", {"hepatitis.anti_hcv": "positive", "hepatitis.hcv_rna": DELETE,
            "hepatitis.hcv_antiviral": "never"}, "missing",
     "anti-HCV positive: HCV RNA needed"),
    ("E5", {"hepatitis.anti_hcv": DELETE, "hepatitis.hcv_rna": DELETE}, "missing",
     "neither anti-HCV nor HCV RNA known"),
    ("E5", {"hepatitis.hbsag": "negative", "hepatitis.anti_hbc": "negative", _HBV: DELETE,
            "hepatitis.anti_hdv": "positive"}, "met", "no hepatitis B"),
]

# E7 other malignancy within 5 years except cured BCC of the skin, CIS of prostate or cervix.
_M = "history.other_malignancies"
MALIGNANCY: list[Case] = [
    ("E7", {_M: [{"diagnosis": "breast cancer", "diagnosed_on": "2021-03-02"}]}, "met",
     "exactly 5 years before"),
    ("E7", {_M: [{"diagnosis": "breast cancer", "diagnosed_on": "2021-03-03"}]}, "not_met",
     "one day within 5 years"),
    ("E7", {_M: [{"diagnosis": "colon cancer", "diagnosed_on": "2019-01-01",
                  "last_treatment_on": "2022-06-01"}]}, "not_met", "treated within 5 years"),
    ("E7", {_M: [{"diagnosis": "Basal cell carcinoma of the skin", "diagnosed_on": "2024-01-01",
                  "cured": True}]}, "met", "cured BCC is excepted"),
    ("E7", {_M: [{"diagnosis": "basal cell carcinoma of the skin", "diagnosed_on": "2024-01-01",
                  "cured": False}]}, "not_met", "BCC not cured is not excepted"),
    ("E7", {_M: [{"diagnosis": "carcinoma in situ of the cervix", "diagnosed_on": "2024-01-01"}]},
     "met", "CIS of the cervix is excepted"),
    ("E7", {_M: [{"diagnosis": "carcinoma in situ of the prostate",
                  "diagnosed_on": "2025-01-01"}]}, "met", "CIS of the prostate is excepted"),
    ("E7", {_M: [{"diagnosis": "melanoma"}]}, "needs_investigator", "undated malignancy"),
    ("E7", {_M: DELETE}, "missing", "not asked"),
]

# E9 pregnancy, breastfeeding, pregnancy test <= 7 days before first dose (PN-39, PN-32).
_F = {"sex": "F", "reproductive": {"reproductive_potential": True, "pregnant": False,
                                   "breastfeeding": False, "contraception_agreed": True,
                                   "pregnancy_test": {"result": "negative",
                                                      "date": "2026-02-24"}}}
PREGNANCY: list[Case] = [
    ("E9", _F, "met", "negative test 7 days before first dose"),
    ("E9", {**_F, "reproductive.pregnancy_test": {"result": "negative", "date": "2026-02-23"}},
     "not_met", "test 8 days before first dose"),
    ("E9", {**_F, "reproductive.pregnancy_test": {"result": "positive", "date": "2026-02-28"}},
     "not_met", "positive test"),
    ("E9", {**_F, "reproductive.breastfeeding": True}, "not_met", "breastfeeding"),
    ("E9", {**_F, "reproductive.pregnancy_test": DELETE}, "missing", "no test"),
    ("E9", {**_F, "reproductive.reproductive_potential": False,
            "reproductive.pregnancy_test": DELETE}, "met", "post-menopausal: no test needed"),
    ("E9", {"reproductive.contraception_agreed": False}, "not_met",
     "man of reproductive potential refusing contraception"),
]

# Attestations (I5, E4, E6, E8, E10): the investigator answers each question under its key,
# read in the question's direction; absent means pending.
_SURVIVAL = "attestations.expected_survival_at_least_3_months"
ATTEST: list[Case] = [
    ("I5", {_SURVIVAL: DELETE}, "needs_investigator", "expected survival not attested"),
    ("I5", {_SURVIVAL: False}, "not_met", "expected survival below 3 months"),
    ("E6", {"attestations.free_of_study_drug_allergy": {"answer": True, "by": "Dr Li",
                                                        "on": "2026-03-01"}}, "met",
     "attestation with who and when"),
    ("E4", {"attestations.free_of_severe_cardiac_disease": False}, "not_met",
     "severe cardiac disease: the question is answered no"),
]

ALL = (AGE + ECOG + DIAGNOSIS + LINES + IMAGING + BCLC + CHILD_PUGH + HEPATITIS + CNS + CONSENT
       + CDK46 + WASHOUT + COINFECTION + MALIGNANCY + PREGNANCY + ATTEST)


@_run(ALL)
def test_criterion_verdict(criterion: str, changes: dict[str, Any], expected: str, why: str,
                           screen_with: Callable[..., ScreeningResult]) -> None:
    """Changing one entry of the eligible example gives the expected verdict."""
    result = screen_with(changes)
    verdict = result.verdicts[criterion]
    assert verdict.status == expected, verdict.reason
    assert verdict.reason
    if expected == "missing":
        assert verdict.missing, "a missing verdict names the data to fill in"
    else:
        assert verdict.missing == ()
    assert result.eligible is (expected == "met" and all(
        v.status == "met" for v in result.verdicts.values()))


def test_missing_lists_exactly_the_absent_entries(
        screen_with: Callable[..., ScreeningResult]) -> None:
    """The missing verdict names the record paths, nothing else."""
    result = screen_with({"labs.aptt": DELETE, "cardiac.ecgs": DELETE})
    assert result.verdicts["I11"].missing == ("labs.aptt",)
    assert result.verdicts["I12"].missing == ("cardiac.ecgs",)
    assert result.missing() == ("labs.aptt", "cardiac.ecgs")
    assert result.status == "incomplete" and not result.eligible


def test_hbv_near_threshold_warns(screen_with: Callable[..., ScreeningResult]) -> None:
    """PN-23: a value close to the limit is met but carries a warning."""
    verdict = screen_with({_HBV: {"value": 450, "unit": "IU/mL"}}).verdicts["I9"]
    assert verdict.status == "met"
    assert any("close to the limit" in w for w in verdict.warnings)
