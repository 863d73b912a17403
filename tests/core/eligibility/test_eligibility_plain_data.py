"""Records and results as plain data (issue 10).

* The screening record round-trips to JSON (``model_dump_json`` / ``model_validate_json``),
  dates and ``none`` answers included, and its units stay validated on every path.
* Verdicts and screening results are plain data: JSON -> object -> JSON gives the same text,
  pickle gives an equal object, no field holds a function, and the sentence renders the same
  after the round trip.
* Every code a verdict can carry is in ``RESULT_CODES`` and documented in docs/eligibility.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from oncotrial.eligibility import (
    EXAMPLES,
    RESULT_CODES,
    ScreeningRecord,
    ScreeningResult,
    Verdict,
    example_record,
    parse_record,
    screen,
)
from oncotrial.errors import InputError, UnitError
from oncotrial.protocol import load_bundled_protocol, load_protocol
from oncotrial.records import LabResult, code_matches, from_json, to_json

ON = dt.date(2026, 3, 2)
PROTOCOL = load_bundled_protocol()
OTHER = load_protocol(Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml")
DOCS = Path(__file__).parents[3] / "docs" / "eligibility.md"

DATES = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 3, 10))
MAYBE_DATE = st.none() | DATES
MAYBE_BOOL = st.none() | st.booleans()
RESULT = st.sampled_from([None, "positive", "negative"])
REGIMENS = ["atezolizumab", "Ibrance", "palbociclib + letrozole", "sorafenib", "lenvatinib",
            "CDK4/6 trial drug", "Kisqali", "dalpiciclib", "TACE"]
MALIGNANCIES = ["basal cell carcinoma of the skin", "Basal-cell carcinoma of the skin",
                "carcinoma in situ of the prostate", "breast cancer", "colon cancer"]
KEYS = ["expected_survival_at_least_3_months", "recovered_from_surgery",
        "free_of_severe_cardiac_disease", "free_of_study_drug_allergy",
        "can_take_oral_capsules", "free_of_unsuitable_condition"]


def _lab(value: st.SearchStrategy[float], unit: str, *, uln: bool = True,
         ) -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.fixed_dictionaries({
        "value": value, "unit": st.just(unit),
        "uln": (st.none() | st.floats(5, 400)) if uln else st.none(),
        "lln": st.none() | st.floats(0.5, 5), "collected_on": MAYBE_DATE})


LABS = st.fixed_dictionaries({
    "anc": _lab(st.floats(0.1, 8.0), "10^9/L"),
    "platelets": st.one_of(_lab(st.floats(10, 400), "10^9/L"),
                           _lab(st.floats(10_000, 400_000), "/mm3")),
    "hemoglobin": st.one_of(_lab(st.floats(60, 170), "g/L"), _lab(st.floats(6, 17), "g/dL")),
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
    "last_treatment_on": MAYBE_DATE, "cured": MAYBE_BOOL})

LESION = st.fixed_dictionaries({
    "longest_diameter_mm": st.floats(0, 40), "short_axis_mm": st.none() | st.floats(0, 30),
    "lymph_node": st.booleans(), "slice_thickness_mm": st.none() | st.floats(1, 10),
    "previously_treated_locally": st.booleans(), "progressed_since_local_therapy": st.booleans(),
})

ATTEST = st.booleans() | st.fixed_dictionaries({
    "answer": st.booleans(), "by": st.none() | st.just("Dr Li"), "on": MAYBE_DATE})


@st.composite
def records(draw: st.DrawFn) -> ScreeningRecord:
    """A screening record with every part the eligibility rules read drawn at random,
    'none' answers included."""
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True))
    data: dict[str, Any] = {
        "subject_id": draw(st.sampled_from(["SCR-9", "HCH-001"])),
        "sex": draw(st.sampled_from([None, "M", "F"])),
        "birth_date": draw(st.none() | st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31))),
        "informed_consent_date": draw(MAYBE_DATE | st.just("none")),
        "planned_enrolment_date": ON,
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
                "value": st.sampled_from([0.0, 400.0, 500.0, 2499.0, 2500.0]) | st.floats(0, 4000),
                "unit": st.sampled_from(["IU/mL", "copies/mL"]),
                "below_detection": st.booleans(), "collected_on": MAYBE_DATE})),
            "anti_hbv_therapy_start": draw(MAYBE_DATE | st.just("none")),
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
        "attestations": {key: draw(ATTEST) for key in keys},
    }
    return ScreeningRecord.model_validate(data)


# --- the screening record -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_bundled_examples_round_trip_to_json(name: str) -> None:
    """The store keeps the record as a JSON document: the same record comes back."""
    record = example_record(name)
    text = record.model_dump_json()
    assert ScreeningRecord.model_validate_json(text) == record
    assert ScreeningRecord.model_validate_json(text).model_dump_json() == text


@given(record=records())
@settings(max_examples=60)
def test_any_record_round_trips_to_json(record: ScreeningRecord) -> None:
    """Dates, 'none' answers, attestations with who and when: JSON and back, equal."""
    text = record.model_dump_json()
    again = ScreeningRecord.model_validate_json(text)
    assert again == record and again.model_dump_json() == text


def test_none_answers_survive_the_round_trip() -> None:
    """'none' stays 'none' (an answer), distinct from an absent entry (not yet recorded)."""
    record = parse_record("subject_id: S-1\ninformed_consent_date: none\n"
                          "hepatitis: {anti_hbv_therapy_start: none}"
                          "\nhistory: {last_major_surgery_date: none}")
    again = ScreeningRecord.model_validate_json(record.model_dump_json())
    assert again.informed_consent_date == "none"
    assert again.hepatitis.anti_hbv_therapy_start == "none"
    assert again.history.last_major_surgery_date == "none"
    assert again.history.last_trial_therapy_date is None


def test_units_are_validated_on_every_path() -> None:
    """An unknown unit, or a unit of another analyte, is refused from YAML and from JSON."""
    with pytest.raises(InputError, match="not one we recognise"):
        parse_record("subject_id: S-1\nlabs: {anc: {value: 1.5, unit: furlongs}}")
    with pytest.raises(UnitError, match="not a unit of Total bilirubin"):
        parse_record("subject_id: S-1\nlabs: {bilirubin: {value: 20, unit: U/L}}")
    bad = json.dumps({"subject_id": "S-1", "labs": {"bilirubin": {"value": 20, "unit": "U/L"}}})
    with pytest.raises(ValidationError, match="not a unit of Total bilirubin"):
        ScreeningRecord.model_validate_json(bad)
    with pytest.raises(ValidationError, match="recognise"):
        ScreeningRecord.model_validate_json(
            '{"subject_id": "S-1", "labs": {"anc": {"value": 1, "unit": "x"}}}')


def test_patient_id_is_now_subject_id() -> None:
    """The old name is refused with the new one in the message."""
    with pytest.raises(InputError, match="now called 'subject_id'"):
        parse_record("patient_id: SCR-1")
    assert example_record().subject_id == "SCR-001"


def test_lab_results_are_shared_records() -> None:
    """The record's labs as oncotrial.records.LabResult: subject, analyte, value, unit as
    reported ('' for INR), the site's range, and the sample date (else lab_date)."""
    record = example_record()
    labs = {r.analyte: r for r in record.lab_results()}
    assert all(isinstance(r, LabResult) for r in labs.values())
    assert labs["anc"] == LabResult("SCR-001", "anc", 2.1, "10^9/L", 1.8, 6.3,
                                    dt.date(2026, 2, 27))
    assert labs["inr"].unit == "" and labs["inr"].uln is None
    assert list(labs) == ["anc", "platelets", "hemoglobin", "bilirubin", "alt", "ast",
                          "albumin", "creatinine", "pt", "inr", "aptt"]
    undated = record.model_copy(update={"lab_date": None})
    with pytest.raises(InputError, match=r"labs\.anc"):
        undated.lab_results()
    assert undated.lab_results(undated_on=ON)[0].collected_on == ON


# --- verdicts and results -------------------------------------------------------------------


def _no_functions(obj: Any) -> None:
    """No field of a result (or of its verdicts) holds a function or a lambda."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        assert not callable(value) or isinstance(value, type), (type(obj).__name__, f.name)


def _check_result(result: ScreeningResult) -> None:
    text = to_json(result)
    again = from_json(ScreeningResult, text)
    assert to_json(again) == text
    assert [v.reason for v in again.verdicts.values()] == [v.reason for v in
                                                           result.verdicts.values()]
    assert pickle.loads(pickle.dumps(result)) == result
    _no_functions(result)
    for verdict in result.verdicts.values():
        _no_functions(verdict)
        assert to_json(from_json(Verdict, to_json(verdict))) == to_json(verdict)
        assert any(code_matches(verdict.code, p) for p in RESULT_CODES), verdict.code
        assert verdict.code.startswith(f"{verdict.criterion_id}.{verdict.status}.") or \
            verdict.code == f"{verdict.criterion_id}.attest.needed"
        assert verdict.reason
        assert bool(verdict.missing) is (verdict.status == "missing")
    assert result.code in RESULT_CODES
    json.dumps(result.as_dict())


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_results_are_plain_data(name: str) -> None:
    """The bundled examples, screened against both protocols."""
    for protocol in (PROTOCOL, OTHER):
        _check_result(screen(example_record(name), protocol, on=ON))


@given(record=records())
@settings(max_examples=80)
def test_any_result_is_plain_data(record: ScreeningRecord) -> None:
    """JSON -> object -> JSON is the same text, pickle is equal, every code is catalogued."""
    _check_result(screen(record, PROTOCOL, on=ON))


def test_fast_verdict_construction_equals_the_dataclass() -> None:
    """The screening loop's verdicts are the objects Verdict(...) makes."""
    result = screen(example_record("not_eligible"), PROTOCOL, on=ON)
    for verdict in result.verdicts.values():
        fields = {f.name: getattr(verdict, f.name) for f in dataclasses.fields(Verdict)}
        assert Verdict(**fields) == verdict and type(verdict) is Verdict
        with pytest.raises(dataclasses.FrozenInstanceError):
            verdict.code = "x"  # type: ignore[misc]


def test_verdict_is_built_eagerly() -> None:
    """Code, status, facts and missing entries are there as soon as screening returns."""
    verdict = screen(example_record("not_eligible"), PROTOCOL, on=ON).verdicts["I9"]
    assert verdict.code == "I9.not_met.hbv_dna_too_high"
    assert verdict.facts["hbv_dna"] == 2600 and verdict.facts["hbv_dna_unit"] == "copies/mL"
    assert verdict.facts["hbv_dna_max"] == 2500 and verdict.facts["hbv_dna_on"] == \
        dt.date(2026, 2, 24)
    assert verdict.phrases and verdict.missing == ()


def test_result_counts_and_code() -> None:
    """The overall result: its code, its sentence and the counts by status."""
    result = screen(example_record("incomplete"), PROTOCOL, on=ON)
    assert result.code == "eligibility.incomplete" and result.status == "incomplete"
    assert result.facts["missing"] == 3 and result.facts["needs_investigator"] == 6
    assert result.facts["met"] + result.facts["not_met"] + 9 == result.facts["criteria"] == 24
    assert result.reason == ("SCR-003 on 2026-03-02 (NCT06478927): not yet decided (data or "
                             "attestations due).")


# --- the code catalogue ---------------------------------------------------------------------


def test_codes_of_the_criteria_tests_are_catalogued(screen_with: Any) -> None:
    """Every verdict of every criterion test case carries a catalogued code."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "criteria_cases", Path(__file__).with_name("test_eligibility_criteria.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen = set()
    for _, changes, _, _ in module.ALL:
        for verdict in screen_with(changes).verdicts.values():
            assert any(code_matches(verdict.code, p) for p in RESULT_CODES), verdict.code
            seen.add(verdict.code)
    assert len(seen) > 90


def test_every_code_is_documented() -> None:
    """docs/eligibility.md lists each code: literally, or by its family with <field> or
    <entry> standing for a vocabulary field or a record entry."""
    text = DOCS.read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)
    families = [re.compile("^" + re.escape(d).replace("<field>", "[a-z0-9_]+")
                           .replace("<entry>", "[a-z0-9_]+") + "$") for d in documented]
    undocumented = [c for c in RESULT_CODES if not any(f.match(c) for f in families)]
    assert undocumented == []


def test_a_tampered_verdict_says_so_instead_of_a_key_error() -> None:
    """A stored verdict whose facts were edited cannot render its sentence: an InputError that
    says so, not a bare KeyError."""
    verdict = screen(example_record("not_eligible"), PROTOCOL, on=ON).verdicts["I11"]
    broken = dataclasses.replace(verdict, facts={})
    with pytest.raises(InputError, match="cannot be rendered"):
        _ = broken.reason


def test_a_stored_verdict_carries_its_sentence() -> None:
    """The JSON the store keeps has the reason for people next to the code and the facts, the
    same sentence the checklist shows; reading it back renders the same sentence."""
    result = screen(example_record(), load_bundled_protocol(), on=dt.date(2026, 3, 2))
    stored = json.loads(to_json(result))
    i11 = result.verdicts["I11"]
    assert stored["verdicts"]["I11"]["reason"] == i11.reason
    assert stored["verdicts"]["I11"]["code"] == i11.code
    assert from_json(type(i11), to_json(i11)).reason == i11.reason
