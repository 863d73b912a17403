"""Stored form values: building form data, typed values, and check_form, the one check every
write path runs (each finding code, its severity and its place; canonical text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import InputError
from oncotrial.forms import (
    FINDING_CODES,
    CodeDef,
    Entry,
    FormDef,
    check_form,
    form_data,
    nested_data,
    typed_value,
)

TODAY = dt.date(2026, 3, 10)

FORM = FormDef.model_validate(yaml.safe_load("""
id: visit
label: {en: Visit, zh: 访视}
sections:
  - id: main
    label: {en: Visit, zh: 访视}
    items:
      - {id: visit_date, type: date, required: true, not_future: true,
         label: {en: Visit date, zh: 访视日期}}
      - {id: surgery_date, type: date, none_allowed: true, label: {en: Last surgery, zh: 末次手术}}
      - {id: taken_at, type: datetime, label: {en: Time of sample, zh: 采样时间}}
      - {id: weight, type: decimal, units: [kg], range: {min: 20, max: 300},
         expected: {min: 35, max: 200}, label: {en: Weight, zh: 体重}}
      - {id: ecog, type: integer, range: {min: 0, max: 5}, label: {en: ECOG, zh: ECOG}}
      - {id: anc, type: lab, units: ["10^9/L", "/mm3"], range: {min: 0, max: 100},
         expected: {min: 0.5, max: 20}, label: {en: ANC, zh: 中性粒细胞}}
      - {id: inr, type: lab, label: {en: INR, zh: 国际标准化比值}}
      - {id: hbv_dna, type: lab, units: [IU/mL, copies/mL], label: {en: HBV DNA, zh: HBV DNA}}
      - {id: smoker, type: boolean, label: {en: Smoker, zh: 吸烟}}
      - {id: sex, type: code, code_list: sex, label: {en: Sex, zh: 性别}}
      - {id: symptoms, type: code, code_list: symptoms, multiple: true,
         label: {en: Symptoms, zh: 症状}}
      - {id: note, type: text, label: {en: Note, zh: 备注}}
    groups:
      - id: meds
        label: {en: Medications, zh: 药物}
        max_rows: 2
        items:
          - {id: name, type: text, required: true, label: {en: Name, zh: 名称}}
          - {id: start, type: date, label: {en: Start, zh: 开始}}
          - {id: stop, type: date, label: {en: Stop, zh: 停止}}
checks:
  - {id: ecog_at_most_2, kind: compare, left: ecog, op: "<=", value: 2, severity: warning,
     message: {en: ECOG above 2., zh: ECOG大于2。}}
  - {id: smoker_note, kind: required_if, item: note, when: {item: smoker, in: ["yes"]},
     message: {en: Describe the smoking., zh: 请描述吸烟情况。}}
  - {id: stop_after_start, kind: compare, left: stop, op: ">=", right: start,
     message: {en: Stopped before it started., zh: 停药早于开始。}}
"""))

CODES: dict[str, list[CodeDef]] = {
    "sex": [CodeDef(code="F", en="Female", zh="女"), CodeDef(code="M", en="Male", zh="男")],
    "symptoms": [CodeDef(code="pain", en="Pain", zh="疼痛"),
                 CodeDef(code="fatigue", en="Fatigue", zh="乏力")],
}


def check(nested: dict[str, Any]) -> Any:
    data = {"visit_date": "2026-03-09", **nested}
    return check_form(FORM, form_data(data), today=TODAY, code_lists=CODES)


# --- building form data ----------------------------------------------------------------------


def test_form_data_reads_values_entries_and_rows() -> None:
    data = form_data({"weight": 70.5, "smoker": True, "visit_date": dt.date(2026, 3, 1),
                      "anc": {"value": "2.1", "unit": "/mm3", "lln": "1.8", "uln": 7.5},
                      "symptoms": ["pain", "fatigue"],
                      "meds": [{"name": "aspirin"}, {"name": "omeprazole", "start": None}]})
    assert data[("", 0, "weight")] == Entry("70.5")
    assert data[("", 0, "smoker")] == Entry("yes")
    assert data[("", 0, "visit_date")] == Entry("2026-03-01")
    assert data[("", 0, "anc")] == Entry("2.1", "/mm3", 1.8, 7.5)
    assert data[("", 0, "symptoms")] == Entry("pain,fatigue")
    assert data[("meds", 2, "name")] == Entry("omeprazole")
    assert data[("meds", 2, "start")] == Entry(None)


def test_form_data_refuses_what_is_not_an_answer() -> None:
    with pytest.raises(InputError, match="unknown keys"):
        form_data({"anc": {"value": "2.1", "units": "10^9/L"}})
    with pytest.raises(InputError, match="not a number"):
        form_data({"anc": {"value": "2.1", "lln": "low"}})
    with pytest.raises(InputError, match="mixes rows"):
        form_data({"meds": [{"name": "a"}, "b"]})


def test_nested_data_is_the_inverse_of_form_data() -> None:
    nested = {"weight": {"value": "70.5", "unit": "kg"}, "note": "ok",
              "meds": [{"name": "a", "start": "2026-01-01"}, {"name": "b"}]}
    assert nested_data(form_data(nested)) == nested


# --- check_form: canonical data --------------------------------------------------------------


def test_a_clean_form_passes_and_is_canonical() -> None:
    result = check({"weight": " 70.50 ", "ecog": "1", "smoker": "No", "sex": "f",
                    "symptoms": "fatigue, pain,fatigue", "taken_at": "2026-03-09T08:30+08:00",
                    "surgery_date": "None", "inr": "1.1", "note": "  ",
                    "anc": {"value": "2.1", "unit": "10*9/l", "lln": 1.8, "uln": 7.5},
                    "meds": [{"name": "aspirin", "start": "2026-01-01"}]})
    assert result.ok and result.errors == () and result.warnings == ()
    data = result.data
    assert data[("", 0, "weight")] == Entry("70.50", "kg")  # as entered; the one unit filled in
    assert data[("", 0, "smoker")].value == "no"
    assert data[("", 0, "sex")].value == "F"
    assert data[("", 0, "symptoms")].value == "fatigue,pain"
    assert data[("", 0, "taken_at")].value == "2026-03-09T08:30:00+08:00"
    assert data[("", 0, "surgery_date")].value == "none"
    assert data[("", 0, "anc")] == Entry("2.1", "10^9/L", 1.8, 7.5)  # the item's spelling
    assert data[("", 0, "inr")].unit == ""
    assert ("", 0, "note") not in data  # empty answers are left out
    assert data[("meds", 1, "name")].value == "aspirin"


# --- check_form: each finding ----------------------------------------------------------------

# (answers, finding code, key, severity, case id)
FINDINGS = [
    ({"bmi": "22"}, "forms.unknown_item", ("", 0, "bmi"), "error", "an item the form lacks"),
    ({"meds": [{"weight": "7"}]}, "forms.unknown_item", ("meds", 1, "weight"), "error",
     "an item outside groups given inside a group"),
    ({"visit_date": None}, "forms.required_missing", ("", 0, "visit_date"), "error",
     "a required item left empty"),
    ({"meds": [{"start": "2026-01-01"}]}, "forms.required_missing", ("meds", 1, "name"),
     "error", "a required item empty in a row that has answers"),
    ({"weight": "seventy"}, "forms.bad_number", ("", 0, "weight"), "error", "words for a number"),
    ({"ecog": "1.5"}, "forms.bad_number", ("", 0, "ecog"), "error",
     "a decimal for an integer item"),
    ({"visit_date": "09/03/2026"}, "forms.bad_date", ("", 0, "visit_date"), "error",
     "a date not written YYYY-MM-DD"),
    ({"visit_date": "none"}, "forms.bad_date", ("", 0, "visit_date"), "error",
     "'none' where it is not allowed"),
    ({"taken_at": "2026-03-09T08:30"}, "forms.bad_datetime", ("", 0, "taken_at"), "error",
     "a date and time without its UTC offset"),
    ({"smoker": "sometimes"}, "forms.bad_boolean", ("", 0, "smoker"), "error",
     "a boolean that is not yes or no"),
    ({"sex": "X"}, "forms.bad_code", ("", 0, "sex"), "error", "a code not in the code list"),
    ({"symptoms": "pain,nausea"}, "forms.bad_code", ("", 0, "symptoms"), "error",
     "one of several codes not in the code list"),
    ({"visit_date": "2026-03-11"}, "forms.future_date", ("", 0, "visit_date"), "error",
     "a date after today where the item refuses it"),
    ({"anc": "2.1"}, "forms.unit_missing", ("", 0, "anc"), "error",
     "no unit where several are allowed"),
    ({"anc": {"value": "2.1", "unit": "g/L"}}, "forms.unit_unknown", ("", 0, "anc"), "error",
     "a unit the item does not allow"),
    ({"weight": {"value": "70", "unit": "lb"}}, "forms.unit_unknown", ("", 0, "weight"),
     "error", "a unit of the analyte the item does not list"),
    ({"note": {"value": "x", "unit": "kg"}}, "forms.unit_unknown", ("", 0, "note"), "error",
     "a unit on a text answer"),
    ({"anc": {"value": "2.1", "unit": "10^9/L", "lln": 7.5, "uln": 1.8}}, "forms.bad_limits",
     ("", 0, "anc"), "error", "a lower limit of normal above the upper"),
    ({"weight": {"value": "70", "lln": 50}}, "forms.bad_limits", ("", 0, "weight"), "error",
     "limits of normal on an answer that is not a lab result"),
    ({"anc": {"value": "-1", "unit": "10^9/L"}}, "forms.implausible", ("", 0, "anc"), "error",
     "a negative blood count"),
    ({"weight": "301"}, "forms.out_of_range", ("", 0, "weight"), "error",
     "just above the hard limit"),
    ({"anc": {"value": "200000", "unit": "/mm3"}}, "forms.out_of_range", ("", 0, "anc"),
     "error", "above the hard limit once converted to the first unit"),
    ({"weight": "34.9"}, "forms.unexpected_value", ("", 0, "weight"), "warning",
     "just below the expected limit"),
    ({"anc": {"value": "400", "unit": "/mm3"}}, "forms.unexpected_value", ("", 0, "anc"),
     "warning", "400 /mm3 is 0.4 10^9/L, below the expected 0.5"),
    ({"meds": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}, "forms.too_many_rows",
     ("meds", 0, ""), "error", "more rows than max_rows"),
    ({"ecog": "3"}, "forms.check_failed", ("", 0, "ecog"), "warning",
     "a compare check with a fixed value and warning severity"),
    ({"smoker": "yes"}, "forms.check_failed", ("", 0, "note"), "error",
     "a required_if check whose condition holds"),
    ({"meds": [{"name": "a", "start": "2026-02-01", "stop": "2026-01-01"}]},
     "forms.check_failed", ("meds", 1, "stop"), "error", "a compare check within a group row"),
]


@pytest.mark.parametrize(("answers", "code", "key", "severity", "why"), FINDINGS,
                         ids=[f[4] for f in FINDINGS])
def test_each_finding(answers: dict[str, Any], code: str, key: tuple[str, int, str],
                      severity: str, why: str) -> None:
    result = check(answers)
    findings = result.errors if severity == "error" else result.warnings
    assert [(f.code, f.key) for f in findings] == [(code, key)], why
    finding = findings[0]
    assert finding.message and finding.hint and finding.severity == severity
    assert code in FINDING_CODES


def test_values_on_the_limits_pass() -> None:
    """Limits are inclusive: 20 and 300 kg are allowed, 35 and 200 kg are expected."""
    for weight in ("20", "35", "200", "300"):
        assert check({"weight": weight}).errors == ()
    assert check({"weight": "35"}).warnings == ()
    assert check({"weight": "200"}).warnings == ()


def test_check_failures_carry_the_check_id_and_its_message() -> None:
    finding = check({"ecog": "4"}).warnings[0]
    assert finding.check_id == "ecog_at_most_2" and finding.message == "ECOG above 2."


def test_checks_with_an_unanswered_side_are_not_made() -> None:
    assert check({"meds": [{"name": "a", "stop": "2026-01-01"}]}).ok
    assert check({"smoker": "no"}).ok


def test_a_bad_answer_does_not_hide_the_others() -> None:
    result = check({"weight": "x", "sex": "X", "visit_date": "2027-01-01"})
    assert sorted(f.code for f in result.errors) == [
        "forms.bad_code", "forms.bad_number", "forms.future_date"]


def test_viral_load_in_either_unit_is_kept_as_reported() -> None:
    """HBV DNA IU/mL and copies/mL are never converted (the factor is assay-specific)."""
    result = check({"hbv_dna": {"value": "1200", "unit": "copies/mL"}})
    assert result.ok and result.data[("", 0, "hbv_dna")] == Entry("1200", "copies/mL")


def test_the_form_needs_min_rows() -> None:
    form = FormDef.model_validate({**FORM.model_dump(by_alias=True), "sections": [{
        **FORM.sections[0].model_dump(by_alias=True),
        "groups": [{**FORM.sections[0].groups[0].model_dump(by_alias=True), "min_rows": 1}]}]})
    result = check_form(form, form_data({"visit_date": "2026-03-01"}), today=TODAY,
                        code_lists=CODES)
    assert [(f.code, f.key) for f in result.errors] == [("forms.too_few_rows", ("meds", 0, ""))]


# --- typed values ----------------------------------------------------------------------------

TYPED = [
    ("visit_date", "2026-03-01", dt.date(2026, 3, 1)),
    ("surgery_date", "none", "none"),
    ("taken_at", "2026-03-01T08:00:00+08:00",
     dt.datetime(2026, 3, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    ("weight", "70.50", Decimal("70.50")),
    ("ecog", "2", 2),
    ("anc", "2.1", Decimal("2.1")),
    ("smoker", "yes", True),
    ("sex", "F", "F"),
    ("symptoms", "pain,fatigue", ["pain", "fatigue"]),
    ("note", "text", "text"),
    ("note", "", None),
]


@pytest.mark.parametrize(("item_id", "stored", "expected"), TYPED,
                         ids=[f"{t[0]}={t[1]!r}" for t in TYPED])
def test_typed_value(item_id: str, stored: str, expected: object) -> None:
    assert typed_value(FORM.item(item_id), Entry(stored)) == expected


def test_typed_value_of_no_entry_is_none() -> None:
    assert typed_value(FORM.item("weight"), None) is None


def test_typed_value_refuses_text_that_does_not_fit() -> None:
    with pytest.raises(InputError, match=r"Visit date \(visit_date\): '2026-13-01' is not a date"):
        typed_value(FORM.item("visit_date"), Entry("2026-13-01"))


# --- properties ------------------------------------------------------------------------------

answers = st.fixed_dictionaries({}, optional={
    "weight": st.decimals(10, 400, places=2).map(str),
    "ecog": st.integers(-1, 7).map(str),
    "smoker": st.sampled_from(["yes", "no", "Y", "false", "maybe"]),
    "sex": st.sampled_from(["F", "m", "x"]),
    "surgery_date": st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)).map(str) | st.just("none"),
    "anc": st.builds(lambda v, u: {"value": v, "unit": u},
                     st.decimals(0, 2000, places=1).map(str),
                     st.sampled_from(["10^9/L", "/mm3", "K/uL", ""])),
})


@given(answers)
def test_checking_canonical_data_again_changes_nothing(nested: dict[str, Any]) -> None:
    """Canonical data are a fixed point: a second check gives the same data, and the same
    findings except for the answers the first check refused (they are not in its data)."""
    first = check(nested)
    second = check_form(FORM, first.data, today=TODAY, code_lists=CODES)
    assert second.data == first.data
    refused = set(form_data(nested)) - set(first.data)
    kept = [f for f in first.errors + first.warnings if f.key not in refused]
    assert list(second.errors + second.warnings) == kept
