"""The bundled case report forms of NCT06478927 and the small form set of the examplinib test
trial: both load against their protocols, every protocol visit collects forms, the screening
forms feed every entry the eligibility criteria read, and the example patient entered as form
data gives back the example screening record, which screens eligible."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncotrial.eligibility import ScreeningRecord, attestation_keys, example_record, screen
from oncotrial.eligibility.record import entry_paths
from oncotrial.forms import (
    FormDef,
    FormRecord,
    FormSet,
    ItemDef,
    Label,
    SubjectForms,
    canonical_text,
    check_form,
    form_data,
    forms_path_for,
    load_bundled_forms,
    load_forms,
    records_for,
    screening_record,
)
from oncotrial.protocol import load_bundled_protocol, load_protocol
from oncotrial.protocol.model import Protocol
from oncotrial.records import (
    ActionTaken,
    Contact,
    DiscontinuationLevel,
    DiscontinuationReason,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
)

TESTS = Path(__file__).resolve().parents[2]
OVARIAN = TESTS / "protocols" / "examplinib_ovarian.yaml"
#: The day the example patient is screened (example_patient.yaml: enrolment on 2026-03-02).
SCREENING_DAY = dt.date(2026, 3, 2)
#: A day on treatment, after every date the examples below enter.
LATER = dt.date(2026, 12, 1)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def hcc() -> tuple[Protocol, FormSet]:
    protocol = load_bundled_protocol()
    return protocol, load_bundled_forms(protocol.study.registry_id)


@pytest.fixture(scope="module")
def ovarian() -> tuple[Protocol, FormSet]:
    protocol = load_protocol(OVARIAN)
    return protocol, load_forms(forms_path_for(OVARIAN), protocol=protocol)


@pytest.fixture(scope="module", params=["hcc", "ovarian"])
def trial(request: pytest.FixtureRequest) -> tuple[Protocol, FormSet]:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


# --- loading ---------------------------------------------------------------------------------


def test_bundled_forms_load_beside_their_protocol(hcc: tuple[Protocol, FormSet]) -> None:
    protocol, forms = hcc
    assert forms.protocol == protocol.study.registry_id
    path = forms_path_for(
        Path(str(resources.files("oncotrial.protocol") / "data" / "nct06478927.yaml")))
    assert path.name == "nct06478927.forms.yaml"
    assert load_forms(path, protocol=protocol) == forms


def test_a_new_trial_is_a_new_forms_file(ovarian: tuple[Protocol, FormSet],
                                         hcc: tuple[Protocol, FormSet]) -> None:
    protocol, forms = ovarian
    assert forms.protocol == protocol.study.registry_id != hcc[1].protocol
    assert forms.subject_ids.subject_id(7) != hcc[1].subject_ids.subject_id(7)
    assert set(forms.schedule) - {"UNS"} <= {v.code for v in protocol.visits}


def test_every_protocol_visit_collects_forms(trial: tuple[Protocol, FormSet]) -> None:
    protocol, forms = trial
    empty = [v.code for v in protocol.visits if not forms.forms_at(v.code)]
    assert empty == []


def test_every_form_is_collected_at_a_visit_or_as_a_log(trial: tuple[Protocol, FormSet]) -> None:
    _, forms = trial
    used = {f for listed in forms.schedule.values() for f in listed} | set(forms.log_forms)
    assert {f.id for f in forms.forms} == used


def test_dose_codes_are_the_protocol_dose_levels_and_a_hold(
        trial: tuple[Protocol, FormSet]) -> None:
    protocol, forms = trial
    levels = {float(level.dose_mg) for level in protocol.intervention.dose_levels}
    dosing = [item for form in forms.forms if form.record is None
              for group in form.groups() if group.record and group.record.type == "DosingRecord"
              for item in group.items if item.id == group.record.fields["daily_dose_mg"]]
    assert len(dosing) == 1
    codes = {float(c.code) for c in forms.code_list(dosing[0].code_list or "")}
    assert codes == levels | {0.0}


# --- labels ----------------------------------------------------------------------------------


def _labels(forms: FormSet) -> Iterator[tuple[str, Label]]:
    for form in forms.forms:
        yield form.id, form.label
        for section in form.sections:
            yield f"{form.id}.{section.id}", section.label
            for group in section.groups:
                yield f"{form.id}.{group.id}", group.label
        for group_id, item in form.items():
            where = f"{form.id}.{group_id + '.' if group_id else ''}{item.id}"
            yield where, item.label
            if item.help is not None:
                yield f"{where} (help)", item.help
        for check in form.checks:
            yield f"{form.id} check {check.id}", check.message


def test_every_label_is_in_english_and_chinese(trial: tuple[Protocol, FormSet]) -> None:
    _, forms = trial
    missing = [where for where, label in _labels(forms)
               if not label.en.strip() or not _CJK.search(label.zh)]
    missing += [f"code list {name}: {c.code}" for name, codes in forms.code_lists.items()
                for c in codes if not c.en.strip() or not c.zh.strip()]
    assert missing == []


# --- the screening record --------------------------------------------------------------------


def _screening_items(forms: FormSet) -> Iterator[tuple[FormDef, str, ItemDef, str]]:
    """(form, group id, item, full screening path) of every item that feeds screening."""
    for form in forms.forms:
        groups = {g.id: g for g in form.groups()}
        for group_id, item in form.items():
            if item.screening is None:
                continue
            if group_id:
                prefix = groups[group_id].screening or ""
                yield form, group_id, item, f"{prefix}[].{item.screening.removesuffix('[]')}"
            else:
                yield form, group_id, item, item.screening


def _fed_paths(forms: FormSet) -> set[str]:
    """The screening record entries (as ``entry_paths`` names them) the forms fill."""
    fed: set[str] = set()
    for form in forms.forms:
        fed |= {g.screening for g in form.groups() if g.screening}
    for _, _, item, path in _screening_items(forms):
        if "[]" in path:
            continue
        fed.add(path)
        if item.type == "lab":  # a lab result carries its unit and the laboratory's limits
            fed |= {f"{path}.uln", f"{path}.lln"}
    return fed


def test_the_forms_feed_every_entry_of_the_screening_record(hcc: tuple[Protocol, FormSet]
                                                            ) -> None:
    """Every entry the eligibility engine can ask for (``missing`` names these) has a form
    item. A result's own sample date is not asked on the screening forms: results take the
    date of their form (``lab_date`` or the HBV DNA sample date)."""
    _, forms = hcc
    fed = _fed_paths(forms)
    wanted = {p for p in entry_paths() if p != "subject_id" and not p.endswith(".collected_on")}
    # An entry under a whole result (hepatitis.hbv_dna, reproductive.pregnancy_test) is fed
    # when its parts are.
    unfed = {p for p in wanted - fed
             if not any(f.startswith(p + ".") for f in fed)}
    assert unfed == set()


def test_every_attestation_the_protocol_asks_has_an_item(hcc: tuple[Protocol, FormSet]) -> None:
    protocol, forms = hcc
    asked = {f"attestations.{key}" for key in attestation_keys(protocol)}
    assert asked <= {path for _, _, _, path in _screening_items(forms)}


def _example() -> dict[str, Any]:
    text = (resources.files("oncotrial.eligibility") / "data" / "example_patient.yaml"
            ).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


_ABSENT = object()


def _at(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _ABSENT
        current = current[part]
    return current


def _answer(item: ItemDef, value: Any) -> Any:
    if item.type == "lab" and isinstance(value, Mapping):
        return {k: value[k] for k in ("value", "unit", "lln", "uln") if k in value}
    return canonical_text(value)


# What the research nurse also enters for the example patient: the answers the screening
# record does not hold (required items without a screening path).
def _extra(example: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Form id -> answers; the sample dates are the example's own."""
    return {
        "consent": {"icf_version": "2.0", "consent_obtained_by": "Dr Li", "copy_given": "yes"},
        "eligibility": {"attested_by": "Dr Li", "attested_on": "2026-03-01"},
        "hcc_history": {"diagnosis_date": "2024-08-20", "aetiology": "hbv",
                        "macrovascular_invasion": "no", "extrahepatic_spread": "yes"},
        "ecog": {"assessed_on": canonical_text(example["lab_date"])},
        "chemistry": {"collected_on": canonical_text(example["lab_date"])},
        "coagulation": {"collected_on": canonical_text(example["lab_date"])},
        "hepatitis": {"collected_on": canonical_text(
            example["hepatitis"]["hbv_dna"]["collected_on"])},
        "ecg": {"interpretation": "normal"},
        "echocardiogram": {"method": "echo"},
        "pregnancy": {"woman_of_childbearing_potential": "not_applicable"},
    }


def _example_as_form_data(forms: FormSet) -> list[FormRecord]:
    """The example patient typed into the screening forms at the screening visit, each form
    checked as a save would check it, with its canonical data."""
    example = _example()
    entered: list[FormRecord] = []
    for form in forms.forms:
        if not any(item.screening for _, item in form.items()):
            continue
        nested: dict[str, Any] = dict(_extra(example).get(form.id, {}))
        for group_id, item in form.items():
            if item.screening is None or group_id:
                continue
            value = _at(example, item.screening)
            if value is not _ABSENT:
                nested[item.id] = _answer(item, value)
        for group in form.groups():
            rows: Any = _at(example, group.screening) if group.screening else _ABSENT
            if rows is _ABSENT:
                continue
            nested[group.id] = [
                {item.id: _answer(item, row[key]) for item in group.items
                 if item.screening and (key := item.screening.removesuffix("[]")) in row}
                for row in rows]
        result = check_form(form, form_data(nested), today=SCREENING_DAY,
                            code_lists=forms.code_lists)
        assert result.errors == (), form.id
        entered.append(FormRecord(form.id, "SCR", SCREENING_DAY, result.data))
    return entered


def _example_with_sample_dates() -> ScreeningRecord:
    """The example record with each laboratory result dated by its sample, as the forms
    date them (the example leaves them to the record's ``lab_date``: the same dates)."""
    example = example_record()
    labs = {name: (entry.model_copy(update={"collected_on": example.lab_date})
                   if entry is not None and hasattr(entry, "collected_on") else entry)
            for name, entry in example.labs}
    return example.model_copy(update={"labs": example.labs.model_copy(update=labs)})


def test_example_patient_entered_on_the_forms_gives_the_example_record(
        hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    record = screening_record(forms, example_record().subject_id, _example_as_form_data(forms))
    assert record == _example_with_sample_dates()


def test_example_patient_entered_on_the_forms_is_eligible(hcc: tuple[Protocol, FormSet]
                                                          ) -> None:
    protocol, forms = hcc
    record = screening_record(forms, example_record().subject_id, _example_as_form_data(forms))
    result = screen(record, protocol, on=SCREENING_DAY)
    assert result.eligible, result.reason
    assert result.missing() == ()


# --- the forms make the shared records -------------------------------------------------------


def _saved(forms: FormSet, form_id: str, answers: Mapping[str, Any], *,
           visit: str | None = None, on: dt.date = SCREENING_DAY) -> FormRecord:
    """One form as saved: checked, refused on any error, stored in canonical form."""
    result = check_form(forms.form(form_id), form_data(answers), today=on,
                        code_lists=forms.code_lists)
    assert result.errors == (), [f.message for f in result.errors]
    return FormRecord(form_id, visit, on if visit else None, result.data)


def _findings(forms: FormSet, form_id: str, answers: Mapping[str, Any], *,
              on: dt.date = LATER) -> set[str]:
    result = check_form(forms.form(form_id), form_data(answers), today=on,
                        code_lists=forms.code_lists)
    return {f.check_id or f.code for f in (*result.errors, *result.warnings)}


_AE = {"term": "Neutrophil count decreased", "verbatim": "neutropenia",
       "onset_on": "2026-03-20", "grade": "3", "serious": "no", "relationship": "probable",
       "action_taken": "drug_interrupted", "outcome": "recovered", "resolved_on": "2026-03-27"}


def test_adverse_event_rows_become_adverse_events(hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    serious = _AE | {"term": "Febrile neutropenia", "verbatim": "fever with neutropenia",
                     "serious": "yes", "aware_at": "2026-03-21T08:30:00+08:00",
                     "serious_criteria": "requires_or_prolongs_hospitalisation"}
    saved = _saved(forms, "adverse_events", {"events": [_AE, serious]}, on=LATER)
    events = records_for(forms, SubjectForms("HCH-001", dt.date(2026, 3, 2), [saved])
                         ).adverse_events
    assert [(e.term, int(e.grade), e.relationship, e.action_taken, e.serious)
            for e in events] == [
        ("Neutrophil count decreased", 3, Relationship.PROBABLE, ActionTaken.DRUG_INTERRUPTED,
         False),
        ("Febrile neutropenia", 3, Relationship.PROBABLE, ActionTaken.DRUG_INTERRUPTED, True)]
    assert events[1].serious_criteria == {SeriousCriterion.HOSPITALISATION}
    assert events[1].aware_at == dt.datetime(2026, 3, 21, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("change", "check_id"), [
    ({"serious": "yes"}, "serious_needs_criteria"),
    ({"resolved_on": "2026-03-19"}, "resolved_after_onset"),
    ({"resolved_on": None}, "recovered_has_date"),
    ({"grade": "6"}, "forms.bad_code"),
])
def test_adverse_event_checks_a_research_nurse_needs(hcc: tuple[Protocol, FormSet],
                                                     change: dict[str, Any],
                                                     check_id: str) -> None:
    _, forms = hcc
    row = {k: v for k, v in (_AE | change).items() if v is not None}
    assert check_id in _findings(forms, "adverse_events", {"events": [row]})


def test_dosing_diary_uses_the_protocol_dose_levels(hcc: tuple[Protocol, FormSet]) -> None:
    protocol, forms = hcc
    start = str(protocol.intervention.starting_dose_mg).removesuffix(".0")
    rows = [{"start_on": "2026-03-03", "end_on": "2026-03-16", "daily_dose_mg": start,
             "change_reason": "as_planned"},
            {"start_on": "2026-03-17", "end_on": "2026-03-23", "daily_dose_mg": "0",
             "change_reason": "adverse_event"}]
    saved = _saved(forms, "dosing", {"doses": rows}, visit="CD1", on=dt.date(2026, 3, 31))
    dosing = records_for(forms, SubjectForms("HCH-001", dt.date(2026, 3, 2), [saved])).dosing
    assert [(d.start_on, d.end_on, d.daily_dose_mg) for d in dosing] == [
        (dt.date(2026, 3, 3), dt.date(2026, 3, 16), protocol.intervention.starting_dose_mg),
        (dt.date(2026, 3, 17), dt.date(2026, 3, 23), 0.0)]
    late = rows[0] | {"end_on": "2026-03-01"}
    assert "dose_end_after_start" in _findings(forms, "dosing", {"doses": [late]})
    assert "forms.bad_code" in _findings(forms, "dosing", {"doses": [rows[0] | {
        "daily_dose_mg": "150"}]})


def test_tumour_assessment_forms_become_lesions_and_responses(
        hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    lesions = _saved(forms, "tumour_lesions", {
        "measured_on": "2026-04-28", "method": "CT",
        "lesions": [{"lesion_id": "T1", "kind": "target", "organ": "liver", "nodal": "no",
                     "state": "measured", "diameter_mm": "31"},
                    {"lesion_id": "NT1", "kind": "non_target", "organ": "lung",
                     "nodal": "no", "state": "not_evaluable", "status": "present"}]},
        visit="TA", on=dt.date(2026, 4, 29))
    response = _saved(forms, "tumour_response", {
        "assessed_on": "2026-04-28", "baseline": "no", "overall_response": "PR",
        "assessed_by": "investigator"}, visit="TA", on=dt.date(2026, 4, 29))
    records = records_for(forms, SubjectForms("HCH-001", dt.date(2026, 3, 2),
                                              [lesions, response]))
    assert [(m.lesion_id, m.kind, m.diameter_mm, m.status) for m in records.lesions] == [
        ("T1", "target", 31.0, ""), ("NT1", "non_target", None, "present")]
    (assessment,) = records.assessments
    assert (assessment.overall_response, assessment.baseline, assessment.visit) == (
        Response.PR, False, "TA")
    assert "response_after_baseline" in _findings(forms, "tumour_response", {
        "assessed_on": "2026-04-28", "baseline": "no", "assessed_by": "investigator"})


def test_end_of_treatment_death_and_follow_up_records(hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    on = LATER
    stored = [
        _saved(forms, "end_of_treatment", {"last_dose_on": "2026-06-20",
                                           "discontinued_on": "2026-06-22",
                                           "reason": "progressive_disease"},
               visit="EOT", on=on),
        _saved(forms, "survival_follow_up", {"contact_on": "2026-09-01", "method": "phone",
                                             "alive": "yes", "new_anticancer_therapy": "no"},
               visit="SURV", on=on),
        _saved(forms, "death", {"died_on": "2026-10-30", "cause": "disease_progression",
                                "source": "phone"}, on=on),
        _saved(forms, "disposition", {"ended_on": "2026-10-30", "reason": "death"}, on=on)]
    records = records_for(forms, SubjectForms("HCH-001", dt.date(2026, 3, 2), stored))
    assert [(d.level, d.discontinued_on, d.reason) for d in records.discontinuations] == [
        (DiscontinuationLevel.TREATMENT, dt.date(2026, 6, 22),
         DiscontinuationReason.PROGRESSIVE_DISEASE),
        (DiscontinuationLevel.STUDY, dt.date(2026, 10, 30), DiscontinuationReason.DEATH)]
    assert [d.died_on for d in records.deaths] == [dt.date(2026, 10, 30)]
    assert Contact("HCH-001", dt.date(2026, 9, 1), "survival follow-up", True) \
        in records.contacts


def test_concomitant_medication_feeds_the_cyp3a_rules(hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    saved = _saved(forms, "concomitant_medications", {"medications": [
        {"name": "clarithromycin", "indication": "pneumonia", "started_on": "2026-03-10",
         "ongoing": "no", "stopped_on": "2026-03-17", "cyp3a_effect": "strong_inhibitor",
         "half_life_hours": "5"}]}, on=LATER)
    (med,) = records_for(forms, SubjectForms("HCH-001", dt.date(2026, 3, 2), [saved])).conmeds
    assert (med.cyp3a_effect, med.half_life_hours, med.stopped_on) == (
        "strong_inhibitor", 5.0, dt.date(2026, 3, 17))
    assert "stop_date_when_stopped" in _findings(forms, "concomitant_medications", {
        "medications": [{"name": "omeprazole", "indication": "reflux",
                         "started_on": "2026-03-10", "ongoing": "no"}]})


def test_laboratory_limits_apply_in_every_allowed_unit(hcc: tuple[Protocol, FormSet]) -> None:
    _, forms = hcc
    base = {"collected_on": "2026-02-27", "hemoglobin": {"value": "118", "unit": "g/L"},
            "platelets": {"value": "112", "unit": "10^9/L"}}
    assert _findings(forms, "haematology", base | {"anc": {"value": "2100",
                                                           "unit": "/mm3"}}) == set()
    assert "forms.unexpected_value" in _findings(forms, "haematology", base | {
        "anc": {"value": "45", "unit": "10^9/L"}})
    anc = {"anc": {"value": "2.1", "unit": "10^9/L"}}
    assert "forms.out_of_range" in _findings(forms, "haematology", base | anc | {
        "hemoglobin": {"value": "0.5", "unit": "g/dL"}})


def test_the_test_trial_makes_its_records_with_no_new_code(
        ovarian: tuple[Protocol, FormSet]) -> None:
    protocol, forms = ovarian
    first = forms.subject_ids.subject_id(1)
    stored = [
        _saved(forms, "demographics", {"birth_date": "1961-05-02", "sex": "F"}, visit="SCR"),
        _saved(forms, "dosing", {"doses": [{"start_on": "2026-03-03", "end_on": "2026-03-30",
                                            "daily_dose_mg": "300"}]},
               visit="CD1", on=dt.date(2026, 3, 31)),
        _saved(forms, "adverse_events", {"events": [
            {k: v for k, v in _AE.items() if forms.form("adverse_events").has_item(k)}
            | {"relationship": "possible"}]}, on=LATER)]
    records = records_for(forms, SubjectForms(first, dt.date(2026, 3, 2), stored))
    assert records.subject is not None and records.subject.sex is Sex.FEMALE
    assert [d.daily_dose_mg for d in records.dosing] == [
        protocol.intervention.starting_dose_mg]
    assert [e.relationship for e in records.adverse_events] == [Relationship.POSSIBLE]
