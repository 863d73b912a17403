"""A new trial is a new file: the made-up examplinib ovarian trial (tests/protocols/) is loaded
from its protocol and forms files and stored, enrolled (subject ids ``EX-0001``), read back and
exported through the same services as NCT06478927, with no code of its own. Runs on SQLite and
on PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from storekit import Staff

from oncotrial.context import TrialContext
from oncotrial.records import DosingRecord, Response, Sex, Subject, TumourAssessment
from oncotrial.services import (
    Database,
    enrol,
    export_dataset,
    list_subjects,
    load_casebook,
    load_trial,
    record_dosing,
    record_visit,
    register_subject,
    report_ae,
    save_form,
    screen_subject,
)

PROTOCOL = Path(__file__).parents[1] / "protocols" / "examplinib_ovarian.yaml"
DAY = date(2026, 3, 2)

#: The screening forms the shipped forms file has.
SCREENING: dict[str, dict[str, Any]] = {
    "demographics": {"birth_date": "1960-05-01", "sex": "F"},
    "haematology": {"collected_on": "2026-02-25",
                    "anc": {"value": "3.1", "unit": "10^9/L"},
                    "platelets": {"value": "210", "unit": "10^9/L"},
                    "hemoglobin": {"value": "11.8", "unit": "g/dL"}},
    "tumour_response": {"assessed_on": "2026-02-20", "baseline": "yes",
                        "measurable_disease_at_baseline": "yes"},
}

#: The answers of the consent and eligibility forms: consent (V-3), ECOG (I2), the two
#: attestations (I3, E1), bilirubin (I5), the ECG (E2) and the baseline scan (I4).
EXTRA_SCREENING: dict[str, dict[str, Any]] = {
    "consent": {"consent_date": "2026-02-20"},
    "eligibility": {
        "ecog": "1", "platinum_resistant": "yes", "no_prior_parp": "yes",
        "bilirubin": {"value": "10", "unit": "umol/L", "lln": "3", "uln": "21"},
        "ecg_date": "2026-02-25", "scan_date": "2026-02-20", "modality": "CT",
        "tracings": [{"qt_ms": "412", "heart_rate_bpm": "70"}],
        "lesions": [{"site": "pelvic mass", "longest_diameter_mm": "35"}]},
}


@pytest.fixture(scope="module")
def shipped() -> TrialContext:
    """The second trial exactly as its files in tests/protocols/ declare it."""
    return load_trial(PROTOCOL)


def _values(db: Database, staff: Staff, ctx: TrialContext, subject: str
            ) -> dict[tuple[str, str], dict[tuple[str, int, str], str | None]]:
    return {(f.form_id, f.visit): {k: e.value for k, e in f.values.items()}
            for f in load_casebook(db, staff["nurse"], ctx, subject).forms}


def _store_enrol_and_export(db: Database, staff: Staff, ctx: TrialContext,
                            screening: dict[str, dict[str, Any]]) -> None:
    """Register, enter the screening forms, screen, enrol, record a cycle and a response,
    then read the casebook and the export back."""
    nurse, drli = staff["nurse"], staff["drli"]
    register_subject(db, nurse, ctx, site="HCH", screening_number="OV-S01")
    for form_id, values in screening.items():
        save_form(db, nurse, ctx, "OV-S01", form_id, values, visit="SCR", today=DAY)
    assert screen_subject(db, drli, ctx, "OV-S01", on=DAY).code == "eligibility.eligible"
    enrolment = enrol(db, drli, ctx, "OV-S01", enrolled_on=DAY)
    assert (enrolment.subject_id, enrolment.target) == ("EX-0001", 41)
    subject = enrolment.subject_id

    record_visit(db, nurse, ctx, subject, "CD1", actual_on=date(2026, 3, 3))
    record_dosing(db, nurse, ctx, subject, {"doses": [
        {"start_on": "2026-03-03", "end_on": "2026-03-16", "daily_dose_mg": "300"},
        {"start_on": "2026-03-17", "end_on": "2026-03-30", "daily_dose_mg": "250"}]},
        visit="CD1", today=date(2026, 3, 31))
    ae = {"term": "Nausea", "verbatim": "felt sick after tablets", "onset_on": "2026-03-10",
          "grade": "2", "resolved_on": "2026-03-14", "relationship": "possible",
          "outcome": "recovered"}
    report_ae(db, nurse, ctx, subject, {"events": [ae]}, today=date(2026, 3, 31))
    save_form(db, nurse, ctx, subject, "tumour_response",
              {"assessed_on": "2026-05-05", "baseline": "no", "overall_response": "PR"},
              visit="TA", today=date(2026, 5, 6))

    stored = _values(db, staff, ctx, subject)
    for form_id, values in screening.items():
        flat = {k[2]: v for k, v in stored[(form_id, "SCR")].items() if k[0] == ""}
        for item, value in values.items():
            if isinstance(value, str):
                assert flat[item] == value, (form_id, item)
            elif isinstance(value, dict):
                assert flat[item] == value["value"], (form_id, item)
    assert stored[("dosing", "CD1")][("doses", 2, "daily_dose_mg")] == "250"
    assert {k[2]: v for k, v in stored[("adverse_events", "")].items()} == ae
    assert stored[("tumour_response", "TA")][("", 0, "overall_response")] == "PR"

    dataset = export_dataset(db, staff["dm"], ctx)
    assert dataset.subjects == (Subject(subject, DAY, True, sex=Sex.FEMALE),)
    assert dataset.dosing == (DosingRecord(subject, date(2026, 3, 3), date(2026, 3, 16), 300.0),
                              DosingRecord(subject, date(2026, 3, 17), date(2026, 3, 30), 250.0))
    assert dataset.assessments == (
        TumourAssessment(subject, date(2026, 2, 20), None, baseline=True, visit="SCR"),
        TumourAssessment(subject, date(2026, 5, 5), Response.PR, visit="TA"))
    assert dataset.deaths == ()


def test_the_second_trial_loads_with_its_own_forms_visits_and_subject_ids(
        db: Database, staff: Staff, shipped: TrialContext) -> None:
    """The second trial's files load into a context of their own (protocol DEMO-2026-001,
    target 41, subject ids EX-0001, its visits and log forms), and a patient is registered
    in it."""
    forms = shipped.forms
    assert forms is not None
    assert (shipped.protocol_id, shipped.protocol.enrolment.target) == ("DEMO-2026-001", 41)
    assert forms.subject_ids.subject_id(1) == "EX-0001"
    assert [f.id for f in forms.forms_at("CD1")] == ["haematology", "dosing"]
    assert [f.id for f in forms.log()] == ["adverse_events", "death"]
    register_subject(db, staff["nurse"], shipped, site="HCH", screening_number="OV-S01")
    (listed,) = list_subjects(db, staff["nurse"], shipped)
    assert (listed.screening_number, listed.status, listed.subject_id) == (
        "OV-S01", "screened", None)


def test_the_shipped_second_trial_is_stored_enrolled_and_exported(
        db: Database, staff: Staff, shipped: TrialContext) -> None:
    """A new trial is a new file: the second trial as shipped, stored through the same
    services with no new code. Its screening forms are entered, the patient is screened
    eligible on all 7 criteria and enrolled as EX-0001, a cycle of dosing, an adverse event
    and a response are recorded, and the casebook and the export give back the values
    entered."""
    _store_enrol_and_export(db, staff, shipped, EXTRA_SCREENING | SCREENING)
