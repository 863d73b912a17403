"""SynthParams: defaults from the evidence benchmarks, and every bad value refused with a
sentence that says what to change."""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.errors import InputError
from oncotrial.synth import TOXICITY_FIELDS, SynthParams


def test_defaults_are_the_documented_benchmarks() -> None:
    p = SynthParams()
    assert (p.n_enrolled, p.median_pfs_months, p.median_os_months, p.orr, p.dcr) == \
        (22, 2.0, 6.5, 0.04, 0.35)
    assert (p.death_without_pd_share, p.ae_discontinuation, p.dose_reduction) == \
        (0.15, 0.10, 0.30)
    assert (p.neutropenia_any, p.neutropenia_g3) == (0.70, 0.45)


@pytest.mark.parametrize(("n", "failures"), [(22, 9), (1, 0), (7, 3), (100, 43), (100_000, 42857)])
def test_screen_failures_are_the_share_of_all_screened(n: int, failures: int) -> None:
    p = SynthParams(n_enrolled=n)
    assert p.n_screen_failures == failures
    share = failures / (n + failures)
    assert abs(share - p.screen_failure_share) <= 0.5 / (n + failures) + 1e-12


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"orr": 1.5}, "orr", "between 0 and 1"),
    ({"dcr": -0.1}, "dcr", "between 0 and 1"),
    ({"neutropenia_g3": 0.8}, "neutropenia_g3", "above neutropenia_any"),
    ({"n_enrolled": 0}, "n_enrolled", "at least 1"),
    ({"n_enrolled": 2.5}, "n_enrolled", "whole number"),
    ({"median_pfs_months": 0.0}, "median_pfs_months", "positive"),
    ({"median_os_months": 1.5}, "median_os_months", "not above"),
    ({"cutoff": date(2024, 6, 1)}, "cutoff", "end of accrual"),
    ({"ecog_shares": (0.5, 0.5, 0.5)}, "ecog_shares", "add up"),
    ({"bclc_b_share": 0.4}, "bclc_b_share", "ECOG 0"),
    ({"aetiology_hbv": 0.9, "aetiology_hcv": 0.2}, "aetiology_hbv", "more than 1"),
    ({"screen_failure_share": 1.0}, "screen_failure_share", "nobody"),
])
def test_bad_parameters_are_refused_with_the_field_and_a_hint(
        changes: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        SynthParams(**changes)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.hint


def test_every_toxicity_stem_has_its_two_rates() -> None:
    p = SynthParams()
    for stem in TOXICITY_FIELDS:
        assert 0 <= getattr(p, f"{stem}_g3") <= getattr(p, f"{stem}_any") <= 1
