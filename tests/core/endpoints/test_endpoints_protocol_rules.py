"""EndpointRules.from_protocol reads every endpoint parameter a protocol file sets."""

from __future__ import annotations

from pathlib import Path

from oncotrial.endpoints import EndpointRules
from oncotrial.endpoints.rules import TimeOrigin
from oncotrial.protocol import load_protocol

OTHER = Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"


def test_second_protocol_sets_its_own_endpoint_rules() -> None:
    """The made-up ovarian trial: origin enrolment, imaging every 63 days, SD 112 days."""
    rules = EndpointRules.from_protocol(load_protocol(OTHER))
    assert rules.time_origin is TimeOrigin.ENROLMENT
    assert (rules.assessment_interval_days, rules.assessment_window_days) == (63, 7)
    assert rules.missed_assessment_gap_days == 2 * 63 + 7
    assert rules.min_sd_days == 112
    assert rules.pfs_conf_type == "log" and rules.os_conf_type == "log"
    assert rules.pfs_landmarks_months == (6.0,)
    assert rules.teae_window_days == 28
    assert rules.conf_level == 0.95 and rules.max_ne_between == 1


def test_bor_and_interval_settings_come_from_the_protocol(tmp_path) -> None:
    """conf_level, sd_window_days and the BOR confirmation settings are read, not defaulted."""
    text = OTHER.read_text(encoding="utf-8").replace(
        "  assessment_window_days: 7\n",
        "  assessment_window_days: 7\n  conf_level: 0.9\n  sd_window_days: 7\n"
        "  bor_max_ne_between: 0\n  bor_allow_sd_between: true\n", 1)
    path = tmp_path / "trial.yaml"
    path.write_text(text, encoding="utf-8")
    rules = EndpointRules.from_protocol(load_protocol(path))
    assert (rules.conf_level, rules.sd_window_days) == (0.9, 7)
    assert (rules.max_ne_between, rules.allow_sd_between) == (0, True)
