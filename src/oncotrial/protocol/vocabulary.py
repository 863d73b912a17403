"""The vocabulary that protocol eligibility rules may use.

A rule in a protocol file names screening-record fields (``field:``) and named domain checks
(``check:``). Both must be known here, so that a typo in a protocol file is caught when the file
loads rather than when the first patient is screened. The eligibility engine evaluates these
names; its screening record provides every field listed in :data:`FIELDS` (a test holds that).

Each field has a kind (``number``, ``integer``, ``date``, ``bool``, ``category``, ``text``), a
unit where it has one, and a sentence for people. ``derived`` fields are computed by the engine
from other data (age from birth date, Child-Pugh from labs), never typed in.

Date fields distinguish "not recorded" (absent: the verdict is ``missing``) from "there was
none" (the record says ``none``: the rule's ``if_absent`` applies). Protocol clarifications
(PN-xx) are written up in ``docs/protocol-notes.md``. A number field's ``unit`` is
the canonical unit of :mod:`oncotrial.clinical.units`; a rule may state its limit in any unit
that analyte accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CHECKS", "FIELDS", "CheckSpec", "FieldSpec", "is_known_field"]

FieldKind = Literal["number", "integer", "date", "bool", "category", "text"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A screening-record field a rule may name."""

    kind: FieldKind
    description: str
    unit: str | None = None
    categories: tuple[str, ...] = ()
    derived: bool = False


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A named domain check (logic too rich for a single comparison) and its parameters."""

    description: str
    params: dict[str, str] = field(default_factory=dict)  # name -> meaning
    required: tuple[str, ...] = ()


FIELDS: dict[str, FieldSpec] = {
    # Demography and consent
    "age_years": FieldSpec("integer", "Age in completed years on the age reference date.",
                           unit="years", derived=True),
    "sex": FieldSpec("category", "Sex recorded at screening.", categories=("M", "F")),
    "informed_consent_date": FieldSpec(
        "date", "Date the informed consent form was signed ('none' when the subject declined)."),
    "ecog": FieldSpec("integer", "ECOG performance status (0-5)."),
    # Diagnosis and disease
    "diagnosis_method": FieldSpec(
        "category", "How HCC was confirmed.", categories=("histology", "cytology", "imaging")),
    "unresectable_advanced": FieldSpec("bool", "HCC is unresectable and advanced."),
    "bclc_stage": FieldSpec("category", "BCLC 2022 stage.", categories=("0", "A", "B", "C", "D")),
    "not_suitable_for_local_therapy": FieldSpec(
        "bool", "Not suitable for surgery or local treatment (resection, ablation, TACE/TARE, "
        "HAIC, radiotherapy)."),
    "progressed_after_local_therapy": FieldSpec(
        "bool", "Progressed after surgery or local treatment."),
    "measurable_lesion_count": FieldSpec(
        "integer", "Number of RECIST 1.1 measurable lesions on the qualifying scan.", derived=True),
    "imaging_date": FieldSpec("date", "Date of the qualifying baseline CT/MRI."),
    "cns_metastases": FieldSpec(
        "category", "CNS metastases status.",
        categories=("none", "asymptomatic", "treated_stable", "symptomatic")),
    "cns_stable_since": FieldSpec("date", "Date from which treated CNS metastases are stable."),
    "prior_systemic_lines": FieldSpec(
        "integer", "Prior lines of systemic therapy for advanced HCC, each ended by progression or "
        "intolerance.", derived=True),
    # Liver function
    "child_pugh_points": FieldSpec("integer", "Child-Pugh score (5-15).", derived=True),
    "child_pugh_class": FieldSpec("category", "Child-Pugh class.", categories=("A", "B", "C"),
                                  derived=True),
    # Laboratory values (units are the canonical ones; the record carries its own units)
    "anc": FieldSpec("number", "Absolute neutrophil count.", unit="10^9/L"),
    "platelets": FieldSpec("number", "Platelet count.", unit="10^9/L"),
    "hemoglobin": FieldSpec("number", "Haemoglobin.", unit="g/L"),
    "bilirubin": FieldSpec("number", "Total bilirubin.", unit="umol/L"),
    "alt": FieldSpec("number", "Alanine aminotransferase.", unit="U/L"),
    "ast": FieldSpec("number", "Aspartate aminotransferase.", unit="U/L"),
    "albumin": FieldSpec("number", "Serum albumin.", unit="g/L"),
    "creatinine": FieldSpec("number", "Serum creatinine.", unit="umol/L"),
    "creatinine_clearance": FieldSpec(
        "number", "Creatinine clearance by Cockcroft-Gault, actual body weight.", unit="mL/min",
        derived=True),
    "pt": FieldSpec("number", "Prothrombin time.", unit="s"),
    "inr": FieldSpec("number", "International normalised ratio."),
    "aptt": FieldSpec("number", "Activated partial thromboplastin time.", unit="s"),
    "lab_date": FieldSpec("date", "Date of the qualifying laboratory tests."),
    # Cardiac
    "lvef": FieldSpec("number", "Left ventricular ejection fraction by echocardiography.",
                      unit="%"),
    "echo_date": FieldSpec("date", "Date of the qualifying echocardiogram."),
    "qtc_fridericia": FieldSpec("number", "QTc by Fridericia (mean of triplicates if several).",
                                unit="ms", derived=True),
    "qtc_bazett": FieldSpec("number", "QTc by Bazett (mean of triplicates if several).",
                            unit="ms", derived=True),
    "ecg_date": FieldSpec("date", "Date of the qualifying ECG."),
    # Therapy history
    "last_trial_therapy_date": FieldSpec(
        "date", "Last dose of antitumour therapy given in another clinical trial (empty if none)."),
    "last_major_surgery_date": FieldSpec("date", "Date of the last major surgery (empty if none)."),
}

CHECKS: dict[str, CheckSpec] = {
    "hbv_control": CheckSpec(
        "HBV DNA below the limit in the unit the lab reports (never converted) and anti-HBV "
        "therapy started long enough before enrolment, for HBsAg-positive patients; no anti-HBV "
        "therapy does not meet it (PN-23, PN-24).",
        {"max_iu_per_ml": "HBV DNA limit in IU/mL (strict <)",
         "max_copies_per_ml": "HBV DNA limit in copies/mL (strict <)",
         "antiviral_min_days": "days of anti-HBV therapy before enrolment"},
        required=("max_iu_per_ml", "max_copies_per_ml", "antiviral_min_days")),
    "hcv_treated": CheckSpec(
        "HCV RNA-positive patients completed antiviral treatment long enough before enrolment "
        "(PN-25).",
        {"completed_min_days": "days between end of HCV treatment and enrolment"},
        required=("completed_min_days",)),
    "cns_metastases_controlled": CheckSpec(
        "No CNS metastases, asymptomatic ones, or treated ones stable long enough (PN-26).",
        {"stable_min_days": "days of clinical stability after treatment"},
        required=("stable_min_days",)),
    "prior_systemic_lines": CheckSpec(
        "Enough prior systemic lines for advanced HCC, each ended by progression or intolerance "
        "(PN-18).",
        {"min_lines": "minimum number of prior lines",
         "count_haic_as_line": "whether HAIC counts as a systemic line"},
        required=("min_lines",)),
    "measurable_disease": CheckSpec(
        "At least one RECIST 1.1 measurable lesion on a scan recent enough (PN-20).",
        {"min_lesions": "minimum number of measurable lesions",
         "max_days_before": "scan at most this many days before enrolment"},
        required=("min_lesions", "max_days_before")),
    "no_prior_cdk46_inhibitor": CheckSpec(
        "No prior CDK4/6 inhibitor in the therapy history (PN-40).",
        {"drugs": "drug names that count as CDK4/6 inhibitors"}, required=("drugs",)),
    "no_hepatitis_coinfection": CheckSpec(
        "Not HBsAg-positive together with HCV RNA-positive or anti-HDV-positive; anti-HCV "
        "negative rules out HCV and anti-HDV negative rules out HDV (PN-36).", {}),
    "no_recent_other_malignancy": CheckSpec(
        "No other malignancy within the look-back period, except the listed ones (PN-37).",
        {"years": "look-back period in years",
         "exceptions": "malignancies that do not count; a leading 'cured' means only once cured"},
        required=("years",)),
    "pregnancy_and_contraception": CheckSpec(
        "Not pregnant or breastfeeding; negative pregnancy test recent enough for women of "
        "childbearing potential; contraception agreed for patients of reproductive potential "
        "(PN-32, PN-39, PN-12).",
        {"test_max_days_before": "pregnancy test at most this many days before first dose",
         "contraception_months_after_last_dose": "months of contraception after the last dose"},
        required=("test_max_days_before", "contraception_months_after_last_dose")),
    "contraception_agreed": CheckSpec(
        "Patients of reproductive potential agree to abstinence or effective contraception "
        "(PN-12, PN-32).",
        {"months_after_last_dose": "months after the last dose"},
        required=("months_after_last_dose",)),
    "prothrombin_time": CheckSpec(
        "PT at most a multiple of the ULN; INR stands in only when PT in seconds was not "
        "reported, so a PT above the limit fails whatever the INR (PN-29).",
        {"max_times_uln": "PT limit as a multiple of the site's ULN (<=)",
         "inr_max": "INR limit (<=) used only when no PT was reported; absent: INR never "
                    "stands in"},
        required=("max_times_uln",)),
    "major_surgery_recovered": CheckSpec(
        "No major surgery within the window before enrolment, and, after an earlier major "
        "surgery, the investigator attests recovery; no major surgery needs no attestation "
        "(PN-34).",
        {"min_days_before": "days between the last major surgery and enrolment",
         "attestation": "attestation key of the recovery question (true means recovered)",
         "prompt": "the recovery question put to the investigator"},
        required=("min_days_before", "attestation")),
}


def is_known_field(name: str) -> bool:
    """True when ``name`` is a screening-record field a rule may use.

    >>> is_known_field("anc"), is_known_field("ANC count")
    (True, False)
    """
    return name in FIELDS
