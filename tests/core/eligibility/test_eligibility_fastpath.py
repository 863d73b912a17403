"""The status-only fast path against the plain evaluator, on widely varied records.

Screening many records decides each criterion's status with compiled rules, raw field values
(``fields.raw_getter``) and status-only checks (``checks.status_check``); the verdict's reason
comes from the plain evaluator. These properties draw records that vary every part the
fast path reads (therapy history, malignancies, hepatitis, CNS, lesions, units, attestations)
and require the same answer from both paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from oncotrial.eligibility import ScreeningRecord, screen
from oncotrial.eligibility.checks import CHECK_FUNCTIONS, status_check
from oncotrial.eligibility.engine import evaluate_criterion
from oncotrial.eligibility.fields import (
    NONE_RECORDED,
    Context,
    FieldValue,
    Missing,
    NoneRecorded,
    raw_getter,
    resolvable_fields,
)
from oncotrial.protocol import load_bundled_protocol

ON = dt.date(2026, 3, 2)
DATES = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 3, 10))
MAYBE_DATE = st.none() | DATES
MAYBE_BOOL = st.none() | st.booleans()
RESULT = st.sampled_from([None, "positive", "negative"])

REGIMENS = ["atezolizumab", "Ibrance", "palbociclib + letrozole", "sorafenib", "lenvatinib",
            "CDK4/6 trial drug", "Kisqali", "dalpiciclib", "TACE"]
MALIGNANCIES = ["basal cell carcinoma of the skin", "Basal-cell carcinoma of the skin",
                "carcinoma in situ of the prostate", "Carcinoma in situ of the cervix",
                "breast cancer", "colon cancer"]


def _lab(value: st.SearchStrategy[float], unit: str, *, uln: bool = True,
         ) -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.fixed_dictionaries({
        "value": value, "unit": st.just(unit),
        "uln": (st.none() | st.floats(5, 400)) if uln else st.none(),
        "lln": st.none() | st.floats(0.5, 5),
        "collected_on": MAYBE_DATE,
    })


LABS = st.fixed_dictionaries({
    "anc": _lab(st.floats(0.1, 8.0), "10^9/L"),
    "platelets": _lab(st.floats(10, 400), "10^9/L"),
    "hemoglobin": _lab(st.floats(60, 170), "g/L"),
    "bilirubin": st.one_of(_lab(st.floats(3, 120), "umol/L"), _lab(st.floats(0.2, 7), "mg/dL")),
    "alt": _lab(st.floats(5, 300), "U/L"),
    "ast": _lab(st.floats(5, 300), "U/L"),
    "albumin": st.one_of(_lab(st.floats(15, 50), "g/L"), _lab(st.floats(1.5, 5.0), "g/dL")),
    "creatinine": st.one_of(_lab(st.floats(30, 300), "umol/L"),
                            _lab(st.floats(0.3, 3.5), "mg/dL")),
    "pt": _lab(st.floats(9, 30), "s"),
    "inr": _lab(st.floats(0.8, 3.5), "", uln=False),
    "aptt": _lab(st.floats(20, 80), "s"),
    "pt_prolongation_s": st.none() | st.floats(0, 10),
})

THERAPY = st.fixed_dictionaries({
    "regimen": st.sampled_from(REGIMENS),
    "drugs": st.lists(st.sampled_from(REGIMENS), max_size=2),
    "kind": st.sampled_from(["systemic", "haic", "tace"]),
    "setting": st.sampled_from(["advanced", "adjuvant"]),
    "line": st.none() | st.integers(1, 3),
    "end_reason": st.sampled_from([None, "progression", "intolerance", "completed", "ongoing"]),
})

MALIGNANCY = st.fixed_dictionaries({
    "diagnosis": st.sampled_from(MALIGNANCIES), "diagnosed_on": MAYBE_DATE,
    "last_treatment_on": MAYBE_DATE, "cured": MAYBE_BOOL,
})

LESION = st.fixed_dictionaries({
    "longest_diameter_mm": st.floats(0, 40), "short_axis_mm": st.none() | st.floats(0, 30),
    "lymph_node": st.booleans(), "slice_thickness_mm": st.none() | st.floats(1, 10),
    "previously_treated_locally": st.booleans(), "progressed_since_local_therapy": st.booleans(),
})

ATTEST = st.booleans() | st.fixed_dictionaries({"answer": st.booleans()})


@st.composite
def records(draw: st.DrawFn) -> ScreeningRecord:
    """A screening record with every part the eligibility rules read drawn at random."""
    attest_keys = draw(st.lists(st.sampled_from(["I5", "E3", "E3.recovery", "E4", "E6", "E8",
                                                 "E10", "I13"]), unique=True))
    data: dict[str, Any] = {
        "sex": draw(st.sampled_from([None, "M", "F"])),
        "birth_date": draw(st.none() | st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31))),
        "informed_consent_date": draw(MAYBE_DATE),
        "planned_first_dose_date": draw(st.none() | st.sampled_from(
            [ON, ON + dt.timedelta(days=1), ON + dt.timedelta(days=5)])),
        "ecog": draw(st.none() | st.integers(0, 5)),
        "weight_kg": draw(st.none() | st.floats(40, 120)),
        "diagnosis": {
            "method": draw(st.sampled_from([None, "histology", "cytology", "imaging"])),
            "unresectable_advanced": draw(MAYBE_BOOL),
            "bclc_stage": draw(st.sampled_from([None, "A", "B", "C"])),
            "not_suitable_for_local_therapy": draw(MAYBE_BOOL),
            "progressed_after_local_therapy": draw(MAYBE_BOOL),
        },
        "liver": {"ascites": draw(st.sampled_from([None, "none", "mild", "moderate_severe"])),
                  "encephalopathy": draw(st.sampled_from([None, "none", "grade_1_2",
                                                          "grade_3_4"]))},
        "prior_therapies": draw(st.none() | st.lists(THERAPY, max_size=4)),
        "imaging": {"date": draw(MAYBE_DATE),
                    "lesions": draw(st.none() | st.lists(LESION, max_size=3))},
        "cns_metastases": draw(st.sampled_from([None, "none", "asymptomatic", "treated_stable",
                                                "symptomatic"])),
        "cns_stable_since": draw(MAYBE_DATE),
        "lab_date": draw(MAYBE_DATE),
        "labs": draw(LABS),
        "cardiac": {
            "ecg_date": draw(MAYBE_DATE),
            "ecgs": draw(st.none() | st.lists(st.fixed_dictionaries({
                "qt_ms": st.integers(330, 520), "heart_rate_bpm": st.integers(45, 120)}),
                max_size=3)),
            "echo": draw(st.none() | st.fixed_dictionaries({
                "date": MAYBE_DATE, "lvef": st.none() | st.floats(20, 80)})),
        },
        "hepatitis": {
            "hbsag": draw(RESULT), "anti_hbc": draw(RESULT),
            "hbv_dna": draw(st.none() | st.fixed_dictionaries({
                "value": st.sampled_from([0.0, 400.0, 500.0, 2499.0, 2500.0, 3000.0])
                | st.floats(0, 4000),
                "unit": st.sampled_from(["IU/mL", "copies/mL"]),
                "below_detection": st.booleans()})),
            "anti_hbv_therapy_start": draw(MAYBE_DATE),
            "anti_hcv": draw(RESULT), "hcv_rna": draw(RESULT),
            "hcv_rna_ever_positive": draw(MAYBE_BOOL),
            "hcv_antiviral": draw(st.sampled_from([None, "never", "ongoing", "completed"])),
            "hcv_antiviral_end": draw(MAYBE_DATE), "anti_hdv": draw(RESULT),
        },
        "history": {
            "last_trial_therapy_date": draw(st.none() | st.just("none") | DATES),
            "last_major_surgery_date": draw(st.none() | st.just("none") | DATES),
            "other_malignancies": draw(st.none() | st.lists(MALIGNANCY, max_size=3)),
        },
        "reproductive": {
            "reproductive_potential": draw(MAYBE_BOOL), "pregnant": draw(MAYBE_BOOL),
            "breastfeeding": draw(MAYBE_BOOL), "contraception_agreed": draw(MAYBE_BOOL),
            "pregnancy_test": draw(st.none() | st.fixed_dictionaries({
                "result": st.sampled_from(["negative", "positive"]), "date": DATES})),
        },
        "attestations": {key: draw(ATTEST) for key in attest_keys},
    }
    return ScreeningRecord.model_validate(data)


def _context(record: ScreeningRecord) -> Context:
    first_dose = record.planned_first_dose_date or ON
    return Context(record, on=ON, first_dose_on=first_dose, age_reference="informed_consent")


@given(record=records())
def test_fast_statuses_equal_the_plain_evaluator_on_varied_records(record: ScreeningRecord,
                                                                    ) -> None:
    """Every criterion of the bundled protocol gets the same status from both paths."""
    protocol = load_bundled_protocol()
    result = screen(record, protocol, on=ON)
    ctx = _context(record)
    for criterion, status in zip(protocol.criteria.all(), result.statuses, strict=True):
        reference = evaluate_criterion(criterion, ctx, "inclusion")
        assert status == reference.status, (criterion.id, reference.reason)


@given(record=records())
def test_raw_values_equal_the_resolved_fields(record: ScreeningRecord) -> None:
    """Each raw getter gives the resolved value, None for Missing, NONE_RECORDED for none."""
    for name in sorted(resolvable_fields()):
        resolved = _context(record).get(name)
        raw = raw_getter(name)(_context(record))
        if isinstance(resolved, Missing):
            assert raw is None, name
        elif isinstance(resolved, NoneRecorded):
            assert raw is NONE_RECORDED, name
        else:
            assert isinstance(resolved, FieldValue)
            assert raw == resolved.value and type(raw) is type(resolved.value), name


PARAMS = st.fixed_dictionaries({
    "max_iu_per_ml": st.sampled_from([100, 500, 2000]),
    "max_copies_per_ml": st.sampled_from([500, 2500, 10000]),
    "antiviral_min_days": st.integers(0, 400),
    "completed_min_days": st.integers(0, 400),
    "stable_min_days": st.integers(0, 400),
    "min_lines": st.integers(0, 3),
    "count_haic_as_line": st.booleans(),
    "min_lesions": st.integers(0, 3),
    "max_days_before": st.integers(0, 60),
    "drugs": st.lists(st.sampled_from(["palbociclib", "ribociclib", "abemaciclib",
                                       "dalpiciclib", "Trilaciclib"]), max_size=3),
    "years": st.integers(1, 6),
    "exceptions": st.lists(st.sampled_from(["cured basal cell carcinoma of the skin",
                                            "basal cell carcinoma of the skin",
                                            "carcinoma in situ of the prostate"]), max_size=3),
    "months_after_last_dose": st.integers(0, 12),
    "test_max_days_before": st.integers(0, 14),
    "contraception_months_after_last_dose": st.integers(0, 12),
})


@given(record=records(), params=PARAMS)
def test_status_checks_equal_the_full_checks(record: ScreeningRecord,
                                             params: dict[str, Any]) -> None:
    """Each named check's status-only form gives the full check's status, any parameters."""
    for name, check in sorted(CHECK_FUNCTIONS.items()):
        ctx = _context(record)
        assert status_check(name, params)(ctx) == check(params, ctx).status, name
