"""The engine as a whole: examples, vocabulary coverage, record reading, another protocol,
and Hypothesis properties (a worse lab value never turns not_met into met)."""

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
from oncotrial.eligibility.fields import FIELD_SOURCES, resolvable_fields
from oncotrial.errors import ImplausibleValueError, InputError
from oncotrial.protocol import load_protocol
from oncotrial.protocol.vocabulary import CHECKS, FIELDS

ON = dt.date(2026, 3, 2)
PROTOCOLS = Path(__file__).parents[2] / "protocols"


def test_screening_record_covers_every_vocabulary_field() -> None:
    """Every field a protocol rule may name is resolvable from a ScreeningRecord."""
    assert set(FIELDS) <= resolvable_fields()
    assert set(FIELDS) == set(FIELD_SOURCES)


def test_every_vocabulary_check_is_implemented() -> None:
    """Every named check a protocol may call has an implementation."""
    assert set(CHECKS) == set(CHECK_FUNCTIONS)


def test_bundled_examples_give_their_documented_answers() -> None:
    """Eligible, not eligible (I4, I9, I11, I12) and incomplete examples."""
    eligible = screen(example_record("eligible"), on=ON)
    assert eligible.eligible and eligible.status == "eligible"
    assert list(eligible.verdicts) == [f"I{i}" for i in range(1, 15)] + [
        f"E{i}" for i in range(1, 11)]
    not_eligible = screen(example_record("not_eligible"), on=ON)
    assert not not_eligible.eligible and not_eligible.status == "not_eligible"
    assert [v.criterion_id for v in not_eligible.by_status("not_met")] == [
        "I4", "I9", "I11", "I12"]
    incomplete = screen(example_record("incomplete"), on=ON)
    assert incomplete.status == "incomplete"
    assert "labs.aptt" in incomplete.missing()
    assert incomplete.by_status(VerdictStatus.NEEDS_INVESTIGATOR)


def test_unknown_example_is_refused() -> None:
    """The hint lists the examples that exist."""
    with pytest.raises(InputError, match="eligible"):
        example_record("nonexistent")


def test_exclusion_met_means_not_excluded(screen_with: Callable[..., ScreeningResult]) -> None:
    """For an exclusion criterion, met means the patient is not excluded by it."""
    result = screen_with({})
    assert result.verdicts["E1"].kind == "exclusion"
    assert result.verdicts["E1"].status == "met"


def test_first_dose_before_enrolment_is_refused(eligible: ScreeningRecord) -> None:
    """A first dose before the enrolment date is a data error, not a verdict."""
    with pytest.raises(InputError, match="before the enrolment date"):
        screen(eligible, on=dt.date(2026, 3, 10))


def test_first_dose_defaults_to_enrolment(eligible: ScreeningRecord) -> None:
    """Without a planned first dose, windows before first dose use the enrolment date."""
    record = eligible.model_copy(update={"planned_first_dose_date": None})
    result = screen(record, on=ON)
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
    assert "3 problems" in text and "sex" in text and "ecog" in text and "labs.anc.unit" in text


def test_record_refuses_impossible_values() -> None:
    """LVEF 150 % and negative counts are refused before screening."""
    with pytest.raises(ImplausibleValueError, match="LVEF"):
        parse_record("cardiac: {echo: {lvef: 150}}")
    with pytest.raises(ImplausibleValueError, match="ANC"):
        parse_record("labs: {anc: {value: -1, unit: 10^9/L}}")


def test_record_refuses_a_unit_of_another_analyte() -> None:
    """U/L is not a unit of bilirubin."""
    with pytest.raises(InputError, match="bilirubin"):
        parse_record("labs: {bilirubin: {value: 20, unit: U/L}}")


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
    text = screen(example_record("not_eligible"), on=ON).summary()
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
        statuses.append(screen(record, on=ON).verdicts["I11"].status)
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
        statuses.append(screen(base.model_copy(update={"cardiac": cardiac}),
                               on=ON).verdicts["I12"].status)
    assert not (statuses[0] == "not_met" and statuses[1] == "met")


@pytest.mark.parametrize("name", ["eligible", "not_eligible", "incomplete"])
def test_compiled_rules_give_the_reference_outcomes(name: str) -> None:
    """The compiled fast path and the plain evaluator agree on status, reason and missing."""
    from oncotrial.eligibility.engine import evaluate_criterion
    from oncotrial.eligibility.fields import Context
    from oncotrial.protocol import load_bundled_protocol

    protocol = load_bundled_protocol()
    record = example_record(name)
    result = screen(record, protocol, on=ON)
    ctx = Context(record, on=ON, first_dose_on=result.first_dose_on,
                  age_reference=protocol.enrolment.age_reference)
    for criterion in protocol.criteria.all():
        kind = "inclusion" if criterion.id.startswith("I") else "exclusion"
        reference = evaluate_criterion(criterion, ctx, kind)
        assert result.verdicts[criterion.id] == reference
        assert result.verdicts[criterion.id].reason == reference.reason


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
    from oncotrial.protocol import load_bundled_protocol

    protocol = load_bundled_protocol()
    data = protocol.model_dump(mode="python")
    first = data["criteria"]["inclusion"][10]["rule"]["rules"][0]
    first.update({"value": 2200, "unit": "/mm3"})
    changed = type(protocol).model_validate(data)
    verdict = screen(eligible, changed, on=ON).verdicts["I11"]
    assert verdict.status == "not_met"  # 2.1 x 10^9/L = 2100 /mm3 < 2200
    assert "below the required 2200 cells/uL" in verdict.reason


_DATES = st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2026, 3, 4))


@st.composite
def varied_records(draw: st.DrawFn) -> ScreeningRecord:
    """The eligible example with labs, dates, ECG, hepatitis and history drawn at random."""
    data = example_record().model_dump(mode="python")
    labs = data["labs"]
    for name, low, high in (("anc", 0.0, 4.0), ("platelets", 20.0, 200.0),
                            ("hemoglobin", 60.0, 150.0), ("bilirubin", 5.0, 90.0),
                            ("alt", 5.0, 300.0), ("ast", 5.0, 300.0), ("creatinine", 40.0, 250.0),
                            ("pt", 9.0, 25.0), ("aptt", 20.0, 70.0)):
        labs[name]["value"] = draw(st.floats(low, high))
        if draw(st.booleans()) and draw(st.booleans()):
            labs[name] = None
    labs["inr"]["value"] = draw(st.floats(0.8, 2.5))
    data["lab_date"] = draw(_DATES)
    data["sex"] = draw(st.sampled_from(["M", "F"]))
    data["reproductive"] = {"reproductive_potential": draw(st.none() | st.booleans()),
                            "pregnant": draw(st.none() | st.booleans()),
                            "breastfeeding": False,
                            "contraception_agreed": draw(st.none() | st.booleans()),
                            "pregnancy_test": draw(st.none() | st.fixed_dictionaries(
                                {"result": st.sampled_from(["negative", "positive"]),
                                 "date": _DATES}))}
    data["cardiac"]["ecgs"] = [{"qt_ms": draw(st.integers(330, 520)),
                                "heart_rate_bpm": draw(st.integers(50, 110))}]
    data["cardiac"]["ecg_date"] = draw(_DATES)
    data["ecog"] = draw(st.integers(0, 4))
    data["liver"]["ascites"] = draw(st.sampled_from(["none", "mild", "moderate_severe", None]))
    data["imaging"]["date"] = draw(_DATES)
    data["hepatitis"]["hbv_dna"] = draw(st.none() | st.fixed_dictionaries(
        {"value": st.floats(0, 4000), "unit": st.sampled_from(["IU/mL", "copies/mL"])}))
    data["hepatitis"]["hbsag"] = draw(st.sampled_from(["positive", "negative", None]))
    data["history"]["last_major_surgery_date"] = draw(st.none() | st.just("none") | _DATES)
    data["attestations"] = {k: v for k, v in data["attestations"].items()
                            if draw(st.booleans()) or k == "I5"}
    data["attestations"]["I5"] = draw(st.booleans())
    return ScreeningRecord.model_validate(data)


@given(record=varied_records())
def test_fast_status_equals_the_reference_evaluator(record: ScreeningRecord) -> None:
    """The compiled status path and the plain evaluator agree on every criterion."""
    from oncotrial.eligibility.engine import evaluate_criterion
    from oncotrial.eligibility.fields import Context
    from oncotrial.protocol import load_bundled_protocol

    protocol = load_bundled_protocol()
    result = screen(record, protocol, on=ON)
    ctx = Context(record, on=ON, first_dose_on=result.first_dose_on,
                  age_reference=protocol.enrolment.age_reference)
    for criterion in protocol.criteria.all():
        kind = "inclusion" if criterion.id.startswith("I") else "exclusion"
        reference = evaluate_criterion(criterion, ctx, kind)
        fast = result.verdicts[criterion.id]
        assert fast.status == reference.status, (criterion.id, reference.reason)
        assert fast.reason == reference.reason and fast.missing == reference.missing


def test_rule_windows_match_the_protocol_screening_section() -> None:
    """The day counts in the bundled criteria equal the screening section (PN-31, PN-39, I6)."""
    from oncotrial.protocol import load_bundled_protocol

    protocol = load_bundled_protocol()
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


def test_inr_needs_no_unit() -> None:
    """INR is a ratio: the unit may be left out; a count without a unit is refused."""
    record = parse_record("labs: {inr: {value: 1.1}}")
    assert record.labs.inr is not None and record.labs.inr.unit == "1"
    with pytest.raises(InputError, match="ANC"):
        parse_record("labs: {anc: {value: 1.5}}")
