"""The forms file: a valid file loads as a frozen model, and each kind of mistake is reported
with its place in the file, what is wrong and how to fix it, all problems at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from oncotrial.errors import ProtocolError, UnknownTermError
from oncotrial.forms import (
    FormSet,
    Label,
    SubjectIds,
    forms_path_for,
    load_forms,
    parse_forms,
    protocol_path_for,
)
from oncotrial.protocol import load_protocol

PROTOCOL = load_protocol(Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml")

FORMS = """
forms_version: 1
protocol: DEMO-2026-001
version: "1.0"
subject_ids: {pattern: "EX-{n:03d}"}
code_lists:
  yes_no:
    - {code: "yes", en: "Yes", zh: "是"}
    - {code: "no", en: "No", zh: "否"}
  sex:
    - {code: "F", en: "Female", zh: "女"}
    - {code: "M", en: "Male", zh: "男"}
  relationship:
    - {code: "unrelated", en: "Unrelated", zh: "无关"}
    - {code: "possible", en: "Possibly related", zh: "可能有关"}
  grade:
    - {code: "1", en: "Grade 1", zh: "1级"}
    - {code: "2", en: "Grade 2", zh: "2级"}
    - {code: "3", en: "Grade 3", zh: "3级"}
  serious:
    - {code: "life_threatening", en: "Life-threatening", zh: "危及生命"}
    - {code: "requires_or_prolongs_hospitalisation", en: "Hospitalisation", zh: "住院"}
schedule:
  SCR: [demographics, haematology, imaging]
  CD1: [haematology]
  UNS: [haematology]
log_forms: [adverse_events]
forms:
  - id: demographics
    label: {en: Demographics, zh: 人口统计学资料}
    sections:
      - id: main
        label: {en: Demographics, zh: 人口统计学资料}
        items:
          - {id: birth_date, type: date, not_future: true, required: true,
             label: {en: Date of birth, zh: 出生日期}, screening: birth_date}
          - {id: sex, type: code, code_list: sex, subject: sex, screening: sex,
             label: {en: Sex, zh: 性别}}
  - id: haematology
    label: {en: Haematology, zh: 血常规}
    record: {type: LabResult, per_item: true, date: collected_on}
    sections:
      - id: main
        label: {en: Blood count, zh: 血细胞计数}
        items:
          - {id: collected_on, type: date, required: true, label: {en: Date, zh: 日期},
             screening: lab_date}
          - {id: anc, type: lab, units: ["10^9/L", "/mm3"], range: {min: 0, max: 500},
             expected: {min: 0.5, max: 20}, screening: labs.anc,
             label: {en: Absolute neutrophil count, zh: 中性粒细胞绝对值}}
          - {id: inr, type: lab, label: {en: INR, zh: 国际标准化比值}, screening: labs.inr}
  - id: imaging
    label: {en: Baseline imaging, zh: 基线影像}
    sections:
      - id: main
        label: {en: Scan, zh: 扫描}
        items:
          - {id: scan_date, type: date, label: {en: Scan date, zh: 扫描日期},
             screening: imaging.date}
          - {id: measurable, type: boolean, subject: measurable_disease_at_baseline,
             label: {en: Measurable disease, zh: 可测量病灶}}
        groups:
          - id: lesions
            label: {en: Lesions, zh: 病灶}
            max_rows: 5
            screening: imaging.lesions
            record:
              type: LesionMeasurement
              fields: {lesion_id: lesion_id, measured_on: scan_date, diameter_mm: diameter}
              constants: {kind: target}
            items:
              - {id: lesion_id, type: text, required: true, label: {en: Lesion, zh: 病灶}}
              - {id: diameter, type: decimal, units: [mm], screening: longest_diameter_mm,
                 label: {en: Longest diameter, zh: 最长径}}
  - id: adverse_events
    label: {en: Adverse event, zh: 不良事件}
    record:
      type: AdverseEvent
      fields: {term: term, verbatim: term, onset_on: onset_date, grade: grade,
               resolved_on: resolved_on, serious_criteria: serious_criteria,
               relationship: relationship}
    sections:
      - id: main
        label: {en: Adverse event, zh: 不良事件}
        items:
          - {id: term, type: text, required: true, label: {en: Term, zh: 术语}}
          - {id: onset_date, type: date, required: true, label: {en: Onset, zh: 发生日期}}
          - {id: resolved_on, type: date, label: {en: Resolved, zh: 缓解日期}}
          - {id: grade, type: code, code_list: grade, required: true,
             label: {en: Grade, zh: 分级}}
          - {id: serious, type: boolean, label: {en: Serious, zh: 严重}}
          - {id: serious_criteria, type: code, code_list: serious, multiple: true,
             label: {en: Seriousness criteria, zh: 严重性标准}}
          - {id: relationship, type: code, code_list: relationship,
             label: {en: Relationship, zh: 相关性}}
    checks:
      - {id: resolved_after_onset, kind: compare, left: resolved_on, op: ">=",
         right: onset_date, message: {en: Resolved before onset., zh: 缓解早于发生。}}
      - {id: serious_needs_criteria, kind: required_if, item: serious_criteria,
         when: {item: serious, in: ["yes"]},
         message: {en: A serious AE needs its criteria., zh: 严重不良事件需填写标准。}}
"""

BASE: dict[str, Any] = yaml.safe_load(FORMS)


def _text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_a_valid_file_loads_against_its_protocol() -> None:
    forms = parse_forms(FORMS, "demo.forms.yaml", PROTOCOL)
    assert [f.id for f in forms.forms_at("SCR")] == ["demographics", "haematology", "imaging"]
    assert forms.forms_at("C1D1") == ()
    assert [f.id for f in forms.log()] == ["adverse_events"]
    assert [c.code for c in forms.code_list("sex")] == ["F", "M"]
    assert forms.subject_ids.subject_id(12) == "EX-012"
    form = forms.form("imaging")
    assert [(g, i.id) for g, i in form.items()] == [
        ("", "scan_date"), ("", "measurable"), ("lesions", "lesion_id"), ("lesions", "diameter")]
    assert form.group_of("diameter") == "lesions" and form.group("lesions").max_rows == 5
    assert forms.item_count() == sum(1 for f in forms.forms for _ in f.items())


def test_the_model_is_frozen() -> None:
    forms = parse_forms(FORMS)
    with pytest.raises(ValidationError):
        forms.version = "2.0"  # type: ignore[misc]


def test_unknown_names_raise_unknown_term_errors_with_a_suggestion() -> None:
    forms = parse_forms(FORMS)
    with pytest.raises(UnknownTermError, match="haematology"):
        forms.form("haematolgy")
    with pytest.raises(UnknownTermError, match="'yes_no'"):
        forms.code_list("yesno")
    with pytest.raises(UnknownTermError, match="'anc'"):
        forms.form("haematology").item("anc_count")


def test_labels_give_the_language_asked_for() -> None:
    label = Label(en="Haematology", zh="血常规")
    assert (label.text("zh-CN"), label.text("en"), label.text("fr")) == (
        "血常规", "Haematology", "Haematology")


def test_subject_id_pattern_must_count() -> None:
    with pytest.raises(ValidationError, match="same id for every subject"):
        SubjectIds(pattern="HCH-001")
    with pytest.raises(ValidationError, match="one field"):
        SubjectIds(pattern="HCH-{m}")


def test_paths_of_a_protocol_and_its_forms_mirror_each_other(tmp_path: Path) -> None:
    assert forms_path_for(tmp_path / "trial.yaml") == tmp_path / "trial.forms.yaml"
    assert protocol_path_for(tmp_path / "trial.forms.yaml") == tmp_path / "trial.yaml"


def test_load_forms_reads_a_file_and_reports_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "demo.forms.yaml"
    path.write_text(FORMS, encoding="utf-8")
    assert load_forms(path, PROTOCOL) == parse_forms(FORMS)
    with pytest.raises(ProtocolError, match="does not exist"):
        load_forms(tmp_path / "missing.forms.yaml")


def test_yaml_errors_and_repeated_keys_name_the_line() -> None:
    with pytest.raises(ProtocolError, match=r"line \d+, column \d+: not valid YAML"):
        parse_forms("forms_version: 1\nprotocol: [unclosed\n")
    with pytest.raises(ProtocolError, match="appears twice"):
        parse_forms("forms_version: 1\nforms_version: 1\n")
    with pytest.raises(ProtocolError, match="must hold a mapping"):
        parse_forms("- just a list\n")


# --- malformed files -------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for p in parents:
            node = node[p]
        node[last] = value
    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for p in parents:
            node = node[p]
        del node[last]
    return mutate


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


ITEM = "forms.1.sections.0.items"
ITEM_AT = "forms[1] (haematology).sections[0] (main).items"
AE = "forms.3"
AE_AT = "forms[3] (adverse_events)"
GROUP = "forms.2.sections.0.groups.0"
GROUP_AT = "forms[2] (imaging).sections[0] (main).groups[0] (lesions)"

# (mutation, expected place, words of the message, words of the hint, case id)
CASES = [
    (_set(f"{ITEM}.1.unit", "x"), f"{ITEM_AT}[1] (anc).unit", "unknown key 'unit'",
     "Did you mean 'units'?", "a misspelt key is unknown and the hint names the right one"),
    (_set(f"{ITEM}.1.units", ["10^9/L", "g/L"]), f"{ITEM_AT}[1] (anc).units[1]",
     "'g/L' is not a unit of neutrophils", "Accepted units: 10^9/L, 10^3/uL, cells/uL",
     "a unit that does not fit the analyte"),
    (_set(f"{ITEM}.1.analyte", "neutrofils"), f"{ITEM_AT}[1] (anc).analyte",
     "'neutrofils' is not an analyte", "neutrophils", "an unknown analyte, with a suggestion"),
    (_delete(f"{ITEM}.1.units"), f"{ITEM_AT}[1] (anc).units", "a neutrophils result needs its "
     "units", "Add units:", "a lab item without units (unless its analyte is a ratio)"),
    (_set(f"{ITEM}.2.not_future", True), f"{ITEM_AT}[2] (inr).not_future",
     "not_future is for date and datetime items", "Remove it", "an option on the wrong type"),
    (_set("forms.0.label.zh", " "), "forms[0] (demographics).label.zh", "the text is empty",
     "Simplified Chinese", "a label needs both languages"),
    (_set("forms.0.sections.0.items.1.code_list", "sexes"),
     "forms[0] (demographics).sections[0] (main).items[1] (sex).code_list",
     "there is no code list 'sexes'", "Did you mean 'sex'?", "an unknown code list"),
    (_set("schedule.SCR", ["demographics", "haematolgy", "imaging"]), "schedule.SCR[1]",
     "there is no form 'haematolgy'", "Did you mean 'haematology'?",
     "a schedule names an unknown form"),
    (_set("log_forms", []), f"{AE_AT}.id", "form 'adverse_events' is never collected",
     "log_forms", "a form that no visit collects"),
    (_set(f"{AE}.checks.0.right", "onset"), f"{AE_AT}.checks[0] (resolved_after_onset).right",
     "there is no item 'onset'", "Did you mean 'onset_date'?", "a check names an unknown item"),
    (_set(f"{AE}.checks.1.when.in", ["ja"]),
     f"{AE_AT}.checks[1] (serious_needs_criteria).when.in[0]", "'ja' is not an answer of serious",
     "", "a condition on an answer the item cannot have"),
    (_set(f"{AE}.checks.0.right", "grade"), f"{AE_AT}.checks[0] (resolved_after_onset).right",
     "resolved_on (date) cannot be compared with grade (code)", "same kind",
     "a comparison of different kinds"),
    (_set(f"{AE}.record.fields.onset", "onset_date"), f"{AE_AT}.record.fields.onset",
     "AdverseEvent has no field 'onset'", "Did you mean 'onset_on'?",
     "a record field that does not exist"),
    (_delete(f"{AE}.record.fields.grade"), f"{AE_AT}.record.fields", "AdverseEvent needs grade",
     "Map each", "a record without a field it needs"),
    (_set(f"{AE}.record.fields.relationship", "term"), f"{AE_AT}.record.fields.relationship",
     "cannot come from term, a text item", "code item", "a field from an item of the wrong type"),
    (_set("code_lists.relationship.1.code", "maybe"), f"{AE_AT}.record.fields.relationship",
     "codes 'maybe' of 'relationship' do not fit AdverseEvent.relationship", "possible",
     "a code list with a code that is not a member of the record's enum"),
    (_set(f"{GROUP}.record.constants.kind", ["target"]),
     f"{GROUP_AT}.record.constants.kind", "does not fit LesionMeasurement.kind", "one text",
     "a constant that does not fit its field"),
    (_set(f"{GROUP}.screening", "imaging.date"), f"{GROUP_AT}.screening",
     "imaging.date is not a list of rows", "imaging.lesions",
     "a group whose screening path is not a list"),
    (_set(f"{GROUP}.items.1.screening", "longest_diametre_mm"),
     f"{GROUP_AT}.items[1] (diameter).screening", "Lesion has no field 'longest_diametre_mm'",
     "Did you mean 'longest_diameter_mm'?", "a row key the screening list's rows do not have"),
    (_set(f"{ITEM}.2.screening", "labs.anc"), f"{ITEM_AT}[2] (inr).screening",
     "screening path 'labs.anc' is already filled", "one source",
     "two items feeding one screening path"),
    (_set("forms.0.sections.0.items.0.screening", "sex"),
     "forms[0] (demographics).sections[0] (main).items[0] (birth_date).screening",
     "sex does not take the answers of birth_date", "same kind",
     "a screening path of another kind than its item"),
    (_set("forms.2.sections.0.items.0.subject", "sex"),
     "forms[2] (imaging).sections[0] (main).items[0] (scan_date).subject",
     "sex is fed by a code item", "", "a subject field from an item of the wrong type"),
    (_set("code_lists.sex.1.code", "F"), "code_lists.sex[1] (F).code",
     "code 'F' appears twice", "", "a code given twice in one list"),
    (_set("forms.1.id", "demographics"), "forms[1] (demographics).id",
     "form id 'demographics' is used twice", "", "two forms with one id"),
    (_set("version", 1.0), "version", "expected text, got 1.0", "quotes",
     "an unquoted version is a number in YAML"),
]


@pytest.mark.parametrize(("mutate", "place", "message", "hint", "why"), CASES,
                         ids=[c[4] for c in CASES])
def test_malformed_file_names_place_problem_and_fix(
        mutate: Callable[[dict[str, Any]], None], place: str, message: str, hint: str,
        why: str) -> None:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    with pytest.raises(ProtocolError) as info:
        parse_forms(_text(doc), "demo.forms.yaml")
    found = [p for p in info.value.problems if p.path == place]
    assert found, f"no problem at {place}; got {[str(p) for p in info.value.problems]}"
    assert any(message in p.message and hint in p.hint for p in found), [str(p) for p in found]


def test_every_problem_is_reported_at_once() -> None:
    """Three unrelated mistakes in three places give three problems in one error."""
    doc = copy.deepcopy(BASE)
    _set(f"{ITEM}.1.unit", "x")(doc)
    _set("forms.0.label.zh", "")(doc)
    _set(f"{AE}.checks.0.right", "onset")(doc)  # only seen once the keys are valid
    with pytest.raises(ProtocolError) as info:
        parse_forms(_text(doc), "demo.forms.yaml")
    paths = {p.path for p in info.value.problems}
    assert {f"{ITEM_AT}[1] (anc).unit", "forms[0] (demographics).label.zh"} <= paths
    assert str(info.value).startswith("demo.forms.yaml has ")


def test_forms_of_another_protocol_are_refused() -> None:
    doc = copy.deepcopy(BASE)
    doc["protocol"] = "NCT06478927"
    doc["schedule"]["C1D15"] = ["haematology"]
    with pytest.raises(ProtocolError) as info:
        parse_forms(_text(doc), "demo.forms.yaml", PROTOCOL)
    by_path = {p.path: p for p in info.value.problems}
    assert "DEMO-2026-001" in by_path["protocol"].message
    assert "'C1D15' is not a visit of protocol DEMO-2026-001" in by_path["schedule.C1D15"].message


def test_unscheduled_visits_need_no_protocol_visit() -> None:
    forms = parse_forms(FORMS, "demo.forms.yaml", PROTOCOL)
    assert "UNS" not in {v.code for v in PROTOCOL.visits}
    assert [f.id for f in forms.forms_at("UNS")] == ["haematology"]


def test_model_built_in_python_is_checked_the_same_way() -> None:
    doc = copy.deepcopy(BASE)
    _set("schedule.SCR", ["nothing"])(doc)
    with pytest.raises(ValidationError, match="there is no form 'nothing'"):
        FormSet.model_validate(doc)
