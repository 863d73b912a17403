"""EndpointRules: read from a protocol file, never defaulted to a trial, refused when impossible."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from oncotrial.endpoints import EndpointRules, TimeOrigin
from oncotrial.errors import ConfigurationError, InputError
from oncotrial.protocol import load_bundled_protocol, load_protocol

OTHER = Path(__file__).parents[2] / "protocols" / "examplinib_ovarian.yaml"
BUNDLED = EndpointRules.from_protocol(load_bundled_protocol())


def test_rules_from_the_bundled_protocol_are_the_protocol_notes_readings() -> None:
    """docs/protocol-notes.md: PN-01 origin first dose; PN-05 imaging every 56 +/- 7 days;
    PN-03 confirmation 28 days (RECIST 1.1 section 4.6); PN-04 SD from 42 days. The FDA 2018
    "two or more missed assessments" limit is then 2 x 56 + 7 = 119 days."""
    r = BUNDLED
    assert (r.time_origin, r.assessment_interval_days, r.assessment_window_days,
            r.confirm_min_days, r.min_sd_days, r.max_ne_between, r.allow_sd_between) == (
        TimeOrigin.FIRST_DOSE, 56, 7, 28, 42, 1, False)
    assert r.missed_assessment_gap_days == 2 * 56 + 7


def test_rules_have_no_built_in_trial() -> None:
    """No silent NCT06478927 default: the origin, the imaging schedule and the minimum SD
    duration (RECIST 1.1 section 4.4 leaves it to the protocol) must be given."""
    with pytest.raises(TypeError):
        EndpointRules()  # type: ignore[call-arg]
    rules = EndpointRules(time_origin=TimeOrigin.ENROLMENT, assessment_interval_days=42,
                          assessment_window_days=3, min_sd_days=35)
    assert rules.missed_assessment_gap_days == 2 * 42 + 3
    assert rules.confirm_min_days == 28  # RECIST 1.1 section 4.6: at least 4 weeks


@pytest.mark.parametrize(
    ("field", "value"),
    [("assessment_interval_days", 0), ("assessment_window_days", -1), ("confirm_min_days", 0),
     ("min_sd_days", -7), ("missed_assessments_for_censoring", 0), ("conf_level", 1.0),
     ("sd_window_days", -1), ("max_ne_between", -1)],
)
def test_rules_refuse_impossible_values(field: str, value: float) -> None:
    """A rule outside its range is an input error (a protocol value, not a setting) naming the
    protocol field, with the fix."""
    with pytest.raises(InputError) as info:
        replace(BUNDLED, **{field: value})
    assert not isinstance(info.value, ConfigurationError)
    assert isinstance(info.value, ValueError)
    assert info.value.field == f"endpoints.{field}"
    assert info.value.hint


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


def test_bor_and_interval_settings_come_from_the_protocol(tmp_path: Path) -> None:
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
