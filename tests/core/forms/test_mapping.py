"""The one mapping from stored forms to the shared records and to the screening record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from oncotrial.errors import InputError
from oncotrial.forms import (
    FormRecord,
    SubjectForms,
    form_data,
    parse_forms,
    records_for,
    screening_record,
)
from oncotrial.records import (
    ActionTaken,
    Contact,
    DiscontinuationLevel,
    DiscontinuationReason,
    Grade,
    Outcome,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
    TherapyType,
)

FORMS = parse_forms("""
forms_version: 1
protocol: DEMO-1
version: "1.0"
subject_ids: {pattern: "D-{n:03d}"}
code_lists:
  yes_no: [{code: "yes", en: "Yes", zh: "是"}, {code: "no", en: "No", zh: "否"}]
  sex: [{code: "female", en: "Female", zh: "女"}, {code: "male", en: "Male", zh: "男"}]
  grade: [{code: "1", en: "1", zh: "1级"}, {code: "2", en: "2", zh: "2级"},
          {code: "3", en: "3", zh: "3级"}, {code: "5", en: "5", zh: "5级"}]
  relationship: [{code: "unrelated", en: "Unrelated", zh: "无关"},
                 {code: "possible", en: "Possible", zh: "可能有关"}]
  action: [{code: "dose_reduced", en: "Dose reduced", zh: "减量"},
           {code: "dose_not_changed", en: "Not changed", zh: "未改变"}]
  outcome: [{code: "recovered", en: "Recovered", zh: "已恢复"},
            {code: "not_recovered", en: "Not recovered", zh: "未恢复"},
            {code: "fatal", en: "Fatal", zh: "死亡"}]
  serious: [{code: "life_threatening", en: "Life-threatening", zh: "危及生命"},
            {code: "requires_or_prolongs_hospitalisation", en: "Hospital", zh: "住院"}]
  response: [{code: "PR", en: "PR", zh: "部分缓解"}, {code: "non_cr_non_pd", en: "Non-CR/non-PD",
              zh: "非CR/非PD"}, {code: "PD", en: "PD", zh: "疾病进展"}]
  dose: [{code: "125", en: "125 mg", zh: "125 mg"}, {code: "0", en: "Held", zh: "暂停"}]
  therapy: [{code: "systemic", en: "Systemic", zh: "全身治疗"},
            {code: "radiotherapy", en: "Radiotherapy", zh: "放疗"}]
  level: [{code: "treatment", en: "Treatment", zh: "治疗"},
          {code: "study", en: "Study", zh: "研究"}]
  reason: [{code: "progressive_disease", en: "PD", zh: "疾病进展"},
           {code: "adverse_event", en: "AE", zh: "不良事件"}]
schedule:
  SCR: [demographics, labs, history, imaging]
  C1D1: [labs, dosing]
  TA: [imaging, response]
  UNS: [labs]
log_forms: [adverse_events, conmeds, death, survival, new_therapy, end_of_treatment]
forms:
  - id: demographics
    label: {en: Demographics, zh: 人口统计学资料}
    sections:
      - id: main
        label: {en: Demographics, zh: 人口统计学资料}
        items:
          - {id: sex, type: code, code_list: sex, subject: sex, screening: sex,
             label: {en: Sex, zh: 性别}}
          - {id: ecog, type: integer, screening: ecog, label: {en: ECOG, zh: ECOG}}
          - {id: capsules, type: boolean, screening: attestations.can_take_oral_capsules,
             label: {en: Can swallow capsules, zh: 能吞服胶囊}}
  - id: labs
    label: {en: Laboratory, zh: 实验室检查}
    record: {type: LabResult, per_item: true, date: collected_on}
    sections:
      - id: main
        label: {en: Laboratory, zh: 实验室检查}
        items:
          - {id: collected_on, type: date, label: {en: Date, zh: 日期}, screening: lab_date}
          - {id: anc, type: lab, units: ["10^9/L", "/mm3"], screening: labs.anc,
             label: {en: ANC, zh: 中性粒细胞}}
          - {id: inr, type: lab, screening: labs.inr, label: {en: INR, zh: 国际标准化比值}}
          - {id: hbv_dna, type: lab, units: [IU/mL, copies/mL], screening: hepatitis.hbv_dna,
             label: {en: HBV DNA, zh: HBV DNA}}
  - id: history
    label: {en: History, zh: 病史}
    sections:
      - id: main
        label: {en: History, zh: 病史}
        items:
          - {id: surgery, type: date, none_allowed: true,
             screening: history.last_major_surgery_date, label: {en: Surgery, zh: 手术}}
        groups:
          - id: prior
            label: {en: Prior therapies, zh: 既往治疗}
            screening: prior_therapies
            items:
              - {id: regimen, type: text, screening: regimen, label: {en: Regimen, zh: 方案}}
              - {id: drugs, type: text, screening: "drugs[]", label: {en: Drugs, zh: 药物}}
              - {id: line, type: integer, screening: line, label: {en: Line, zh: 线数}}
  - id: imaging
    label: {en: Imaging, zh: 影像}
    sections:
      - id: main
        label: {en: Imaging, zh: 影像}
        items:
          - {id: scan_date, type: date, label: {en: Scan date, zh: 扫描日期},
             screening: imaging.date}
          - {id: measurable, type: boolean, subject: measurable_disease_at_baseline,
             label: {en: Measurable, zh: 可测量}}
        groups:
          - id: lesions
            label: {en: Lesions, zh: 病灶}
            screening: imaging.lesions
            record:
              type: LesionMeasurement
              fields: {lesion_id: lesion_id, measured_on: scan_date, diameter_mm: diameter,
                       nodal: nodal, kind: kind}
            items:
              - {id: lesion_id, type: text, label: {en: Lesion, zh: 病灶}}
              - {id: kind, type: text, label: {en: Kind, zh: 类型}}
              - {id: diameter, type: decimal, units: [mm], screening: longest_diameter_mm,
                 label: {en: Diameter, zh: 直径}}
              - {id: nodal, type: boolean, screening: lymph_node, label: {en: Node, zh: 淋巴结}}
  - id: response
    label: {en: Response, zh: 疗效}
    record: {type: TumourAssessment,
             fields: {assessed_on: assessed_on, overall_response: response, baseline: baseline}}
    sections:
      - id: main
        label: {en: Response, zh: 疗效}
        items:
          - {id: assessed_on, type: date, label: {en: Date, zh: 日期}}
          - {id: response, type: code, code_list: response, label: {en: Response, zh: 疗效}}
          - {id: baseline, type: boolean, label: {en: Baseline, zh: 基线}}
  - id: dosing
    label: {en: Dosing, zh: 给药}
    sections:
      - id: main
        label: {en: Dosing, zh: 给药}
        groups:
          - id: doses
            label: {en: Doses, zh: 剂量}
            record: {type: DosingRecord,
                     fields: {start_on: start, end_on: end, daily_dose_mg: dose}}
            items:
              - {id: start, type: date, label: {en: Start, zh: 开始}}
              - {id: end, type: date, label: {en: End, zh: 结束}}
              - {id: dose, type: code, code_list: dose, label: {en: Dose, zh: 剂量}}
  - id: adverse_events
    label: {en: Adverse event, zh: 不良事件}
    record:
      type: AdverseEvent
      fields: {term: term, verbatim: verbatim, onset_on: onset, grade: grade,
               resolved_on: resolved, serious_criteria: criteria, relationship: relationship,
               action_taken: action, outcome: outcome, aware_at: aware_at}
    sections:
      - id: main
        label: {en: Adverse event, zh: 不良事件}
        items:
          - {id: term, type: text, label: {en: Term, zh: 术语}}
          - {id: verbatim, type: text, label: {en: Verbatim, zh: 原文}}
          - {id: onset, type: date, label: {en: Onset, zh: 发生}}
          - {id: resolved, type: date, label: {en: Resolved, zh: 缓解}}
          - {id: grade, type: code, code_list: grade, label: {en: Grade, zh: 分级}}
          - {id: criteria, type: code, code_list: serious, multiple: true,
             label: {en: Criteria, zh: 标准}}
          - {id: relationship, type: code, code_list: relationship,
             label: {en: Relationship, zh: 相关性}}
          - {id: action, type: code, code_list: action, label: {en: Action, zh: 措施}}
          - {id: outcome, type: code, code_list: outcome, label: {en: Outcome, zh: 转归}}
          - {id: aware_at, type: datetime, label: {en: Site aware, zh: 获知时间}}
  - id: conmeds
    label: {en: Medications, zh: 合并用药}
    sections:
      - id: main
        label: {en: Medications, zh: 合并用药}
        groups:
          - id: meds
            label: {en: Medications, zh: 合并用药}
            record: {type: ConcomitantMedication,
                     fields: {name: name, started_on: started, stopped_on: stopped}}
            items:
              - {id: name, type: text, label: {en: Name, zh: 名称}}
              - {id: started, type: date, label: {en: Started, zh: 开始}}
              - {id: stopped, type: date, label: {en: Stopped, zh: 停止}}
  - id: death
    label: {en: Death, zh: 死亡}
    record: {type: Death, fields: {died_on: died_on, cause: cause}}
    sections:
      - id: main
        label: {en: Death, zh: 死亡}
        items:
          - {id: died_on, type: date, label: {en: Date, zh: 日期}}
          - {id: cause, type: text, label: {en: Cause, zh: 原因}}
  - id: survival
    label: {en: Survival call, zh: 生存随访}
    record: {type: Contact, fields: {contact_on: called_on, alive: alive},
             constants: {source: survival_call}}
    sections:
      - id: main
        label: {en: Survival call, zh: 生存随访}
        items:
          - {id: called_on, type: date, label: {en: Date, zh: 日期}}
          - {id: alive, type: code, code_list: yes_no, label: {en: Alive, zh: 存活}}
  - id: new_therapy
    label: {en: New therapy, zh: 后续治疗}
    record: {type: NewTherapy, when: {item: started, in: ["yes"]},
             fields: {started_on: started_on, therapy_type: kind, name: name}}
    sections:
      - id: main
        label: {en: New therapy, zh: 后续治疗}
        items:
          - {id: started, type: boolean, label: {en: Any new therapy, zh: 是否开始新治疗}}
          - {id: started_on, type: date, label: {en: Date, zh: 日期}}
          - {id: kind, type: code, code_list: therapy, label: {en: Kind, zh: 类型}}
          - {id: name, type: text, label: {en: Name, zh: 名称}}
  - id: end_of_treatment
    label: {en: End of treatment, zh: 治疗结束}
    record: {type: Discontinuation,
             fields: {level: level, discontinued_on: stopped_on, reason: reason}}
    sections:
      - id: main
        label: {en: End of treatment, zh: 治疗结束}
        items:
          - {id: level, type: code, code_list: level, label: {en: Level, zh: 层级}}
          - {id: stopped_on, type: date, label: {en: Date, zh: 日期}}
          - {id: reason, type: code, code_list: reason, label: {en: Reason, zh: 原因}}
""", "demo.forms.yaml")

DAY1 = dt.date(2026, 3, 2)


def instance(form_id: str, answers: dict[str, Any], visit: str | None = None,
             on: dt.date | None = None) -> FormRecord:
    return FormRecord(form_id, visit, on, form_data(answers))


def subject(*instances: FormRecord, enrolled_on: dt.date | None = DAY1) -> SubjectForms:
    return SubjectForms("D-001", enrolled_on, instances, site_id="01")


# --- the subject -----------------------------------------------------------------------------


def test_no_subject_record_before_enrolment() -> None:
    assert records_for(FORMS, subject(enrolled_on=None)).subject is None


def test_subject_takes_sex_and_measurable_disease_from_their_items() -> None:
    result = records_for(FORMS, subject(
        instance("demographics", {"sex": "female"}, "SCR", dt.date(2026, 2, 20)),
        instance("imaging", {"scan_date": "2026-02-21", "measurable": "no"}, "SCR")))
    assert result.subject is not None
    assert (result.subject.sex, result.subject.measurable_disease_at_baseline,
            result.subject.enrolled_on, result.subject.site_id) == (Sex.FEMALE, False, DAY1, "01")


@pytest.mark.parametrize(("kind", "measurable"), [("target", True), ("non_target", False)])
def test_without_an_answer_disease_is_measurable_when_a_target_lesion_was_recorded(
        kind: str, measurable: bool) -> None:
    """RECIST 1.1 section 3.1: measurable disease at baseline is at least one target lesion."""
    result = records_for(FORMS, subject(instance("imaging", {
        "scan_date": "2026-02-21", "lesions": [{"lesion_id": "L1", "kind": kind,
                                                "diameter": "23"}]}, "SCR")))
    assert result.subject is not None
    assert result.subject.measurable_disease_at_baseline is measurable


# --- records ---------------------------------------------------------------------------------


def test_lab_items_give_one_result_each_with_unit_limits_and_date() -> None:
    result = records_for(FORMS, subject(instance("labs", {
        "collected_on": "2026-03-01", "anc": {"value": "1500", "unit": "/mm3", "lln": 1800},
        "inr": "1.1", "hbv_dna": None}, "C1D1", DAY1)))
    by_analyte = {lab.analyte: lab for lab in result.labs}
    assert set(by_analyte) == {"anc", "inr"}
    anc = by_analyte["anc"]
    assert (anc.value, anc.unit, anc.lln, anc.uln, anc.collected_on) == (
        1500.0, "/mm3", 1800.0, None, dt.date(2026, 3, 1))
    assert by_analyte["inr"].unit == ""  # a ratio


def test_lab_results_without_a_date_name_the_date_item() -> None:
    with pytest.raises(InputError, match=r"Subject D-001, form labs at UNS, item collected_on"):
        records_for(FORMS, subject(instance("labs", {"anc": {"value": "2", "unit": "10^9/L"}},
                                            "UNS")))


def test_adverse_event_codes_become_the_record_enums() -> None:
    result = records_for(FORMS, subject(instance("adverse_events", {
        "term": "Diarrhea", "verbatim": "loose stools", "onset": "2026-03-05",
        "resolved": "2026-03-09", "grade": "3",
        "criteria": "life_threatening,requires_or_prolongs_hospitalisation",
        "relationship": "possible", "action": "dose_reduced", "outcome": "recovered",
        "aware_at": "2026-03-05T10:00:00+08:00"})))
    (ae,) = result.adverse_events
    assert (ae.term, ae.verbatim, ae.onset_on, ae.resolved_on, ae.grade) == (
        "Diarrhea", "loose stools", dt.date(2026, 3, 5), dt.date(2026, 3, 9), Grade.G3)
    assert ae.serious_criteria == {SeriousCriterion.LIFE_THREATENING,
                                   SeriousCriterion.HOSPITALISATION}
    assert (ae.relationship, ae.action_taken, ae.outcome) == (
        Relationship.POSSIBLE, ActionTaken.DOSE_REDUCED, Outcome.RECOVERED)
    assert ae.aware_at is not None and ae.aware_at.utcoffset() == dt.timedelta(hours=8)


def test_an_adverse_event_that_contradicts_itself_names_subject_and_form() -> None:
    with pytest.raises(InputError,
                       match=r"Subject D-001, form adverse_events, item outcome: .*grade 5"):
        records_for(FORMS, subject(instance("adverse_events", {
            "term": "Sepsis", "verbatim": "sepsis", "onset": "2026-03-05", "grade": "5",
            "outcome": "recovered"})))


def test_a_record_missing_a_needed_answer_names_the_item() -> None:
    with pytest.raises(InputError, match=r"form adverse_events, item onset: .*needs onset_on"):
        records_for(FORMS, subject(instance("adverse_events", {
            "term": "Nausea", "verbatim": "nausea", "grade": "1"})))


def test_stored_text_that_does_not_parse_names_subject_form_and_item() -> None:
    with pytest.raises(InputError, match=r"Subject D-001, form death, item died_on: .*not a date"):
        records_for(FORMS, subject(instance("death", {"died_on": "yesterday"})))


def test_an_unknown_form_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"'vitals' is not in form set 1\.0"):
        records_for(FORMS, subject(instance("vitals", {})))


def test_tumour_assessments_take_the_visit_code_and_allow_no_response_at_baseline() -> None:
    result = records_for(FORMS, subject(
        instance("response", {"assessed_on": "2026-02-21", "baseline": True}, "SCR"),
        instance("response", {"assessed_on": "2026-04-27", "response": "non_cr_non_pd"}, "TA"),
        instance("response", {"assessed_on": "2026-06-22", "response": "PD"}, "TA")))
    assert [(a.visit, a.overall_response, a.baseline) for a in result.assessments] == [
        ("SCR", None, True), ("TA", Response.NON_CR_NON_PD, False), ("TA", Response.PD, False)]


def test_group_rows_give_one_record_each() -> None:
    result = records_for(FORMS, subject(
        instance("dosing", {"doses": [
            {"start": "2026-03-02", "end": "2026-03-22", "dose": "125"},
            {"start": "2026-03-23", "end": "2026-03-29", "dose": "0"}]}, "C1D1", DAY1),
        instance("imaging", {"scan_date": "2026-02-21", "lesions": [
            {"lesion_id": "T1", "kind": "target", "diameter": "23.5"},
            {"lesion_id": "N1", "kind": "target", "diameter": "16", "nodal": "yes"}]}, "SCR"),
        instance("conmeds", {"meds": [{"name": "omeprazole"},
                                      {"name": "aspirin", "started": "2025-01-01"}]})))
    assert [(d.start_on.day, d.end_on.day, d.daily_dose_mg) for d in result.dosing] == [
        (2, 22, 125.0), (23, 29, 0.0)]
    assert [(m.lesion_id, m.measured_on, m.diameter_mm, m.nodal) for m in result.lesions] == [
        ("T1", dt.date(2026, 2, 21), 23.5, False), ("N1", dt.date(2026, 2, 21), 16.0, True)]
    assert [(m.name, m.started_on) for m in result.conmeds] == [
        ("omeprazole", None), ("aspirin", dt.date(2025, 1, 1))]


def test_a_lesion_row_without_a_diameter_is_a_lesion_not_measured() -> None:
    result = records_for(FORMS, subject(instance("imaging", {
        "scan_date": "2026-04-27", "lesions": [{"lesion_id": "T1", "kind": "target"}]}, "TA")))
    assert result.lesions[0].diameter_mm is None


def test_death_therapy_and_discontinuation() -> None:
    result = records_for(FORMS, subject(
        instance("death", {"died_on": "2026-09-01", "cause": "progression"}),
        instance("new_therapy", {"started": "yes", "started_on": "2026-07-01",
                                 "kind": "radiotherapy", "name": "SBRT"}),
        instance("end_of_treatment", {"level": "treatment", "stopped_on": "2026-06-30",
                                      "reason": "progressive_disease"})))
    assert [(d.died_on, d.cause) for d in result.deaths] == [(dt.date(2026, 9, 1), "progression")]
    assert [(t.therapy_type, t.name) for t in result.new_therapies] == [
        (TherapyType.RADIOTHERAPY, "SBRT")]
    (stop,) = result.discontinuations
    assert (stop.level, stop.reason) == (DiscontinuationLevel.TREATMENT,
                                         DiscontinuationReason.PROGRESSIVE_DISEASE)


def test_a_record_whose_condition_does_not_hold_is_not_made() -> None:
    result = records_for(FORMS, subject(instance("new_therapy", {"started": "no"})))
    assert result.new_therapies == ()


def test_an_empty_form_makes_no_record() -> None:
    result = records_for(FORMS, subject(instance("death", {}), instance("dosing", {})))
    assert result.deaths == () and result.dosing == ()


def test_every_dated_visit_is_a_contact_and_survival_calls_add_theirs() -> None:
    result = records_for(FORMS, subject(
        instance("labs", {}, "C1D1", DAY1), instance("dosing", {}, "C1D1", DAY1),
        instance("imaging", {}, "TA", None),
        instance("survival", {"called_on": "2026-10-01", "alive": "no"})))
    assert result.contacts == (Contact("D-001", DAY1, "visit", True),
                               Contact("D-001", dt.date(2026, 10, 1), "survival_call", False))


# --- the screening record --------------------------------------------------------------------


def test_screening_record_from_the_screening_paths() -> None:
    record = screening_record(FORMS, "SCR-009", [
        instance("demographics", {"sex": "female", "ecog": "1", "capsules": "yes"}, "SCR"),
        instance("labs", {"collected_on": "2026-02-20",
                          "anc": {"value": "2.1", "unit": "10^9/L", "lln": 1.8, "uln": 7.5},
                          "inr": "1.1", "hbv_dna": {"value": "150", "unit": "IU/mL"}}, "SCR"),
        instance("history", {"surgery": "none", "prior": [
            {"regimen": "sorafenib", "drugs": "sorafenib", "line": "1"},
            {"regimen": "atezo-bev", "drugs": "atezolizumab, bevacizumab", "line": "2"}]}, "SCR"),
        instance("imaging", {"scan_date": "2026-02-21", "lesions": [
            {"lesion_id": "T1", "diameter": "23.5"},
            {"lesion_id": "N1", "diameter": "16", "nodal": "yes"}]}, "SCR"),
    ])
    assert (record.subject_id, record.sex, record.ecog) == ("SCR-009", Sex.FEMALE, 1)
    assert record.attestations == {"can_take_oral_capsules": True}
    anc = record.labs.anc
    assert anc is not None
    assert (anc.value, anc.unit, anc.lln, anc.uln, anc.collected_on) == (
        2.1, "10^9/L", 1.8, 7.5, dt.date(2026, 2, 20))
    assert record.labs.inr is not None and record.labs.inr.value == 1.1
    assert record.lab_date == dt.date(2026, 2, 20)
    assert record.hepatitis.hbv_dna is not None and record.hepatitis.hbv_dna.unit == "IU/mL"
    assert record.history.last_major_surgery_date == "none"
    assert [(p.regimen, p.drugs, p.line) for p in record.prior_therapies or []] == [
        ("sorafenib", ["sorafenib"], 1), ("atezo-bev", ["atezolizumab", "bevacizumab"], 2)]
    assert [(les.longest_diameter_mm, les.lymph_node) for les in record.imaging.lesions or []] == [
        (23.5, False), (16.0, True)]


def test_a_later_instance_replaces_an_earlier_answer() -> None:
    record = screening_record(FORMS, "SCR-009", [
        instance("demographics", {"ecog": "2"}, "SCR"),
        instance("demographics", {"ecog": "1"}, "SCR")])
    assert record.ecog == 1


def test_a_group_saved_without_rows_means_none() -> None:
    record = screening_record(FORMS, "SCR-009", [instance("history", {"surgery": "none"})])
    assert record.prior_therapies == []


def test_screening_answers_the_record_refuses_name_form_and_item() -> None:
    with pytest.raises(InputError, match=r"form demographics.ecog \(ecog\)"):
        screening_record(FORMS, "SCR-009", [instance("demographics", {"ecog": "7"}, "SCR")])
