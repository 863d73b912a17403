"""The bundled NCT06478927 protocol encodes the registry text, and resolves its errors openly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncotrial.protocol import list_provenance, load_bundled_protocol, load_protocol

VECTORS = Path(__file__).parents[2] / "vectors" / "protocol"
PROTOCOLS = Path(__file__).parents[2] / "protocols"
# A copy of shared/seed/NCT06478927.txt (the public registry record), shipped with the tests.
REGISTRY = (VECTORS / "NCT06478927.txt").read_text(encoding="utf-8")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def protocol():
    return load_bundled_protocol()


def test_bundled_protocol_identifies_the_trial(protocol) -> None:
    """Identifiers, sponsor, site, design and enrolment are those of the registry."""
    assert protocol.study.registry_id == "NCT06478927"
    assert protocol.study.sponsor == "Henan Cancer Hospital"
    assert protocol.sites[0].city == "Zhengzhou"
    assert protocol.design.allocation == "single_group"
    assert protocol.design.masking == "open_label"
    assert protocol.design.randomised is False
    assert protocol.enrolment.target == 22
    assert (protocol.enrolment.min_age_years, protocol.enrolment.max_age_years) == (18, 75)


def test_intervention_has_label_dose_levels_and_schedule(protocol) -> None:
    """Palbociclib capsules 125/100/75 mg, 21 days on, 7 off, 28-day cycles, with food (PN-10)."""
    iv = protocol.intervention
    assert iv.drug == "palbociclib" and iv.formulation == "capsule" and iv.route == "oral"
    assert iv.dose_levels_mg() == [125.0, 100.0, 75.0]
    assert iv.starting_dose_mg == 125
    assert (iv.schedule.days_on, iv.schedule.days_off, iv.schedule.cycle_length_days) == (21, 7, 28)
    assert iv.schedule.take_with_food is True
    assert iv.provenance("dose_levels").ref == "PN-10"


def test_all_registry_criteria_are_present_in_registry_numbering(protocol) -> None:
    """14 inclusion (I1-I14, I11 labs and I12 cardiac per PN-14) and 10 exclusion criteria."""
    assert [c.id for c in protocol.criteria.inclusion] == [f"I{i}" for i in range(1, 15)]
    assert [c.id for c in protocol.criteria.exclusion] == [f"E{i}" for i in range(1, 11)]
    assert "Routine blood tests" in protocol.criteria.get("I11").registry_text
    assert "LVEF" in protocol.criteria.get("I12").registry_text


@pytest.mark.parametrize("criterion_id", [f"I{i}" for i in range(1, 15)]
                         + [f"E{i}" for i in range(1, 11)])
def test_criterion_registry_text_is_verbatim(protocol, criterion_id: str) -> None:
    """Each criterion's registry_text occurs word for word in the registry record."""
    criterion = protocol.criteria.get(criterion_id)
    assert _squash(criterion.registry_text) in _squash(REGISTRY)


def test_registry_errors_are_resolved_openly(protocol) -> None:
    """Perphenazine, randomisation and the missing items 11-12 are resolved with PN notes."""
    e6 = protocol.criteria.get("E6")
    assert "perphenazine" in e6.registry_text and "palbociclib" in e6.text
    assert e6.provenance("text").ref == "PN-11"
    assert protocol.endpoints.time_origin == "first_dose"
    assert protocol.endpoints.provenance("time_origin").ref == "PN-01"
    assert "randomization" in protocol.endpoints.pfs.registry_text
    assert "randomization" not in protocol.endpoints.pfs.definition
    assert protocol.criteria.get("I11").provenance("id").ref == "PN-14"


def test_endpoint_parameters(protocol) -> None:
    """Confirmation 28 days, SD 42 days, imaging every 56 +/- 7 days, TEAE window 30 days."""
    e = protocol.endpoints
    assert e.pfs.role == "primary"
    assert {x.role for x in (e.orr, e.dcr, e.os, e.adverse_events)} == {"secondary"}
    assert (e.orr.confirmation_required, e.orr.confirmation_min_days) == (True, 28)
    assert e.dcr.min_sd_days == 42
    assert (e.assessment_interval_days, e.assessment_window_days) == (56, 7)
    assert e.adverse_events.teae_window_days == 30
    assert protocol.standards.response_criteria == "RECIST 1.1"
    assert protocol.standards.ae_grading == "CTCAE v5.0"


def test_visit_schedule_covers_the_course(protocol) -> None:
    """Screening, C1D1, day 1 and day 15 visits, tumour assessments, EOT, safety and survival."""
    codes = [v.code for v in protocol.visits]
    assert codes == ["SCR", "C1D1", "CD1", "CD15", "TA", "EOT", "SFU", "SURV"]
    ta = next(v for v in protocol.visits if v.code == "TA")
    assert (ta.day, ta.window.start_day, ta.window.end_day, ta.repeat_every_days) == (
        56, 49, 63, 56)


def test_every_assumption_and_clarification_has_a_reason(protocol) -> None:
    """Each non-registry value carries a one-line reason; clarifications cite a PN-xx note."""
    entries = list_provenance(protocol, sources=("assumption", "clarification"))
    assert len(entries) > 20
    for e in entries:
        assert e.provenance.reason and "\n" not in e.provenance.reason.strip(), e.path
        if e.provenance.source == "clarification":
            assert re.fullmatch(r"PN-(0[1-9]|[1-3]\d|40)", e.provenance.ref or ""), e.path


def test_registry_values_are_marked_registry(protocol) -> None:
    """Values the registry gives are marked registry, e.g. the 21-day imaging window."""
    assert protocol.screening.provenance("imaging_max_days_before_enrolment").source == "registry"
    assert protocol.enrolment.provenance("target").source == "registry"


def test_second_protocol_loads_with_its_own_values() -> None:
    """A different single-arm trial loads: nothing of NCT06478927 is hard-coded."""
    other = load_protocol(PROTOCOLS / "examplinib_ovarian.yaml")
    assert other.study.registry_id == "DEMO-2026-001"
    assert other.intervention.dose_levels_mg() == [300.0, 250.0, 200.0, 150.0]
    assert other.intervention.schedule.days_off == 0
    assert other.endpoints.orr.role == "primary"
    assert other.endpoints.time_origin == "enrolment"
    assert len(other.sites) == 2
    assert [c.id for c in other.criteria.all()] == ["I1", "I2", "I3", "I4", "I5", "E1", "E2"]


def test_protocol_round_trips_through_its_json_form(protocol) -> None:
    """Dumping the model and validating the dump gives the same protocol."""
    from oncotrial.protocol import Protocol

    again = Protocol.model_validate(protocol.model_dump(mode="json"))
    assert again == protocol
