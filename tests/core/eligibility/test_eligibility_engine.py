"""The engine as a whole: examples, vocabulary coverage, record reading, another protocol, the
protocol required, unknown names, and Hypothesis properties (a worse lab value never turns
not_met into met)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.eligibility import (
    ScreeningRecord,
    ScreeningResult,
    VerdictStatus,
    example_record,
    load_record,
    parse_record,
    screen,
)
from oncotrial.eligibility.checks import CHECK_FUNCTIONS
from oncotrial.eligibility.fields import FIELD_SOURCES, Context, resolvable_fields
from oncotrial.errors import ImplausibleValueError, InputError, UnknownTermError
from oncotrial.protocol import Protocol, load_bundled_protocol, load_protocol
from oncotrial.protocol.vocabulary import CHECKS, FIELDS

ON = dt.date(2026, 3, 2)
PROTOCOLS = Path(__file__).parents[2] / "protocols"
BUNDLED = load_bundled_protocol()


def test_screening_record_covers_every_vocabulary_field() -> None:
    """Every field a protocol rule may name is resolvable from a ScreeningRecord."""
    assert set(FIELDS) <= resolvable_fields()
    assert set(FIELDS) == set(FIELD_SOURCES)


def test_every_vocabulary_check_is_implemented() -> None:
    """Every named check a protocol may call has an implementation."""
    assert set(CHECKS) == set(CHECK_FUNCTIONS)


def test_bundled_examples_give_their_documented_answers() -> None:
    """Eligible, not eligible (I4, I9, I11, I12) and incomplete examples."""
    eligible = screen(example_record("eligible"), BUNDLED, on=ON)
    assert eligible.eligible and eligible.status == "eligible"
    assert list(eligible.verdicts) == [f"I{i}" for i in range(1, 15)] + [
        f"E{i}" for i in range(1, 11)]
    not_eligible = screen(example_record("not_eligible"), BUNDLED, on=ON)
    assert not not_eligible.eligible and not_eligible.status == "not_eligible"
    assert [v.criterion_id for v in not_eligible.by_status("not_met")] == [
        "I4", "I9", "I11", "I12"]
    incomplete = screen(example_record("incomplete"), BUNDLED, on=ON)
    assert incomplete.status == "incomplete"
    assert "labs.aptt" in incomplete.missing()
    assert incomplete.by_status(VerdictStatus.NEEDS_INVESTIGATOR)


def test_unknown_example_is_refused() -> None:
    """The hint lists the examples that exist; it is an unknown term, not a KeyError."""
    with pytest.raises(UnknownTermError, match="eligible") as info:
        example_record("nonexistent")
    assert not isinstance(info.value, KeyError)


def test_screen_needs_the_protocol(eligible: ScreeningRecord) -> None:
    """No silent NCT06478927 default: screening without a protocol says to load one."""
    with pytest.raises(InputError, match="needs the protocol") as info:
        screen(eligible, None, on=ON)  # type: ignore[arg-type]
    assert "load_protocol" in str(info.value) and info.value.field == "protocol"
    with pytest.raises(TypeError):
        screen(eligible, on=ON)  # type: ignore[call-arg]


def test_unknown_field_is_an_unknown_term(eligible: ScreeningRecord) -> None:
    """A field the engine does not know raises UnknownTermError with suggestions, never a
    bare KeyError."""
    ctx = Context(eligible, on=ON, first_dose_on=ON, age_reference="informed_consent")
    with pytest.raises(UnknownTermError) as info:
        ctx.get("anc_count")
    assert info.value.suggestions[0] == "anc" and not isinstance(info.value, KeyError)


def test_exclusion_met_means_not_excluded(screen_with: Callable[..., ScreeningResult]) -> None:
    """For an exclusion criterion, met means the patient is not excluded by it."""
    result = screen_with({})
    assert result.verdicts["E1"].kind == "exclusion"
    assert result.verdicts["E1"].status == "met"


def test_first_dose_before_enrolment_is_refused(eligible: ScreeningRecord) -> None:
    """A first dose before the enrolment date is a data error, not a verdict."""
    with pytest.raises(InputError, match="before the enrolment date"):
        screen(eligible, BUNDLED, on=dt.date(2026, 3, 10))


def test_first_dose_defaults_to_enrolment(eligible: ScreeningRecord) -> None:
    """Without a planned first dose, windows before first dose use the enrolment date."""
    record = eligible.model_copy(update={"planned_first_dose_date": None})
    result = screen(record, BUNDLED, on=ON)
    assert result.first_dose_on == ON
    assert "3 days before the first dose on 2026-03-02" in result.verdicts["I11"].reason


def test_record_reads_from_json(tmp_path: Path, eligible: ScreeningRecord) -> None:
    """JSON and YAML give the same record."""
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(eligible.model_dump(mode="json")), encoding="utf-8")
    assert load_record(path) == eligible


def test_record_lists_every_problem() -> None:
    """A wrong record reports each field with its problem."""
    with pytest.raises(InputError) as info:
        parse_record("sex: X\necog: 7\nlabs: {anc: {value: 1, unit: furlongs}}")
    text = str(info.value)
    assert "4 problems" in text and "subject_id" in text and "sex" in text
    assert "ecog" in text and "labs.anc.unit" in text


def test_record_refuses_impossible_values() -> None:
    """LVEF 150 % and negative counts are refused before screening."""
    with pytest.raises(ImplausibleValueError, match="LVEF"):
        parse_record("subject_id: S-1\ncardiac: {echo: {lvef: 150}}")
    with pytest.raises(ImplausibleValueError, match="ANC"):
        parse_record("subject_id: S-1\nlabs: {anc: {value: -1, unit: 10^9/L}}")


def test_record_refuses_a_unit_of_another_analyte() -> None:
    """U/L is not a unit of bilirubin."""
    with pytest.raises(InputError, match="bilirubin"):
        parse_record("subject_id: S-1\nlabs: {bilirubin: {value: 20, unit: U/L}}")


def test_another_protocol_is_screened_from_its_own_criteria(eligible: ScreeningRecord) -> None:
    """The engine reads the criteria from the protocol: a second trial gives its own verdicts."""
    other = load_protocol(PROTOCOLS / "examplinib_ovarian.yaml")
    result = screen(eligible, other, on=ON)
    assert list(result.verdicts) == ["I1", "I2", "I3", "I4", "I5", "E1", "E2"]
    assert result.verdicts["I3"].status == "needs_investigator"
    # ANC >= 1.5, platelets >= 100, bilirubin <= 1.5 x ULN: 2.1, 112 and 22.4 <= 31.5 pass.
    assert result.verdicts["I5"].status == "met"
    assert "1.5 x ULN = 31.5 umol/L" in result.verdicts["I5"].reason
    low_anc = eligible.labs.model_copy(update={"anc": eligible.labs.anc.model_copy(  # type: ignore[union-attr]
        update={"value": 1.4})})
    again = screen(eligible.model_copy(update={"labs": low_anc}), other, on=ON)
    assert again.verdicts["I5"].status == "not_met"  # 1.4 passes NCT06478927, not this trial
    assert result.verdicts["E2"].status == "met"  # QTcB of the example is below 480 ms


def test_summary_lists_the_criteria_not_met() -> None:
    """The summary names the answer and each criterion that is not met."""
    text = screen(example_record("not_eligible"), BUNDLED, on=ON).summary()
    assert "NOT eligible" in text and "I11 not_met" in text and "I1 " not in text


# --- Hypothesis: a worse lab value never turns not_met into met ---------------------------

LOWER_IS_WORSE = {"anc": ("10^9/L", 0.0, 5.0), "platelets": ("10^9/L", 0.0, 300.0),
                  "hemoglobin": ("g/L", 40.0, 180.0)}
HIGHER_IS_WORSE = {"bilirubin": ("umol/L", 2.0, 120.0), "alt": ("U/L", 5.0, 400.0),
                   "ast": ("U/L", 5.0, 400.0), "creatinine": ("umol/L", 30.0, 400.0),
                   "aptt": ("s", 20.0, 80.0)}
_ANALYTES = sorted({**LOWER_IS_WORSE, **HIGHER_IS_WORSE})


@given(analyte=st.sampled_from(_ANALYTES), a=st.floats(0, 1), b=st.floats(0, 1))
def test_a_worse_lab_value_never_turns_not_met_into_met(analyte: str, a: float,
                                                         b: float) -> None:
    """If a value fails inclusion 11, every worse value of the same lab fails too."""
    base = example_record()
    unit, low, high = {**LOWER_IS_WORSE, **HIGHER_IS_WORSE}[analyte]
    x, y = low + (high - low) * a, low + (high - low) * b
    better, worse = (max(x, y), min(x, y)) if analyte in LOWER_IS_WORSE else (min(x, y),
                                                                                  max(x, y))
    current = getattr(base.labs, analyte)
    statuses = []
    for value in (better, worse):
        lab = current.model_copy(update={"value": value, "unit": unit})
        record = base.model_copy(update={"labs": base.labs.model_copy(update={analyte: lab})})
        statuses.append(screen(record, BUNDLED, on=ON).verdicts["I11"].status)
    if statuses[0] == "not_met":
        assert statuses[1] == "not_met"
    if statuses[1] == "met":
        assert statuses[0] == "met"


@given(qt=st.integers(300, 600), extra=st.integers(0, 100))
def test_a_longer_qtc_never_turns_not_met_into_met(qt: int, extra: int) -> None:
    """Inclusion 12 QTc: a longer QT at the same heart rate never passes where a shorter fails."""
    base = example_record()
    statuses: list[Any] = []
    for value in (qt, qt + extra):
        cardiac = base.cardiac.model_copy(update={"ecgs": [
            base.cardiac.ecgs[0].model_copy(update={"qt_ms": value})]})  # type: ignore[index]
        statuses.append(screen(base.model_copy(update={"cardiac": cardiac}), BUNDLED,
                               on=ON).verdicts["I12"].status)
    assert not (statuses[0] == "not_met" and statuses[1] == "met")


def test_compare_unit_must_fit_the_field() -> None:
    """A protocol rule with a unit of another analyte fails when the protocol loads."""
    from pydantic import TypeAdapter, ValidationError

    from oncotrial.protocol.rules import Rule

    adapter: TypeAdapter[Any] = TypeAdapter(Rule)
    ok = adapter.validate_python({"kind": "compare", "field": "anc", "op": ">=", "value": 1500,
                                  "unit": "/mm3"})
    assert ok.unit == "/mm3"
    with pytest.raises(ValidationError, match="not a unit of anc"):
        adapter.validate_python({"kind": "compare", "field": "anc", "op": ">=", "value": 1.0,
                                 "unit": "g/L"})


def test_limit_in_another_unit_is_converted(eligible: ScreeningRecord) -> None:
    """A protocol may state ANC >= 1500 /mm3; a result in 10^9/L is converted before comparing."""
    data = BUNDLED.model_dump(mode="python")
    first = data["criteria"]["inclusion"][10]["rule"]["rules"][0]
    first.update({"value": 2200, "unit": "/mm3"})
    changed = Protocol.model_validate(data)
    verdict = screen(eligible, changed, on=ON).verdicts["I11"]
    assert verdict.status == "not_met"  # 2.1 x 10^9/L = 2100 /mm3 < 2200
    assert "below the required 2200 cells/uL" in verdict.reason


def test_rule_windows_match_the_protocol_screening_section() -> None:
    """The day counts in the bundled criteria equal the screening section (PN-31, PN-39, I6),
    and PT's INR stand-in follows screening.inr_may_replace_pt (PN-29)."""
    protocol = BUNDLED
    windows = protocol.screening
    i11 = {r.label: r for r in protocol.criteria.get("I11").rule.rules}  # type: ignore[union-attr]
    i12 = {r.label: r for r in protocol.criteria.get("I12").rule.rules}  # type: ignore[union-attr]
    assert i11["lab window"].max_days_before == windows.labs_max_days_before_first_dose
    assert i12["echo window"].max_days_before == windows.ecg_echo_max_days_before_first_dose
    assert i12["ECG window"].max_days_before == windows.ecg_echo_max_days_before_first_dose
    assert protocol.criteria.get("I6").rule.params["max_days_before"] == (  # type: ignore[union-attr]
        windows.imaging_max_days_before_enrolment)
    assert protocol.criteria.get("E9").rule.params["test_max_days_before"] == (  # type: ignore[union-attr]
        windows.pregnancy_test_max_days_before_first_dose)
    assert protocol.criteria.get("I13").rule.params["months_after_last_dose"] == (  # type: ignore[union-attr]
        protocol.intervention.contraception_months_after_last_dose)
    pt = next(r for r in protocol.criteria.get("I11").rule.rules  # type: ignore[union-attr]
              if r.kind == "check" and r.check == "prothrombin_time")
    assert ("inr_max" in pt.params) is windows.inr_may_replace_pt


def test_inr_needs_no_unit() -> None:
    """INR is a ratio: the unit may be left out; a count without a unit is refused."""
    record = parse_record("subject_id: S-1\nlabs: {inr: {value: 1.1}}")
    assert record.labs.inr is not None and record.labs.inr.unit == "1"
    with pytest.raises(InputError, match="ANC"):
        parse_record("subject_id: S-1\nlabs: {anc: {value: 1.5}}")
