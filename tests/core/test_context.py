"""TrialContext.from_protocol: everything a service needs, from either protocol file, with no
code specific to either trial."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from oncotrial import dosing, recist
from oncotrial.context import TrialContext
from oncotrial.protocol import load_bundled_protocol, load_protocol

SECOND = Path(__file__).resolve().parents[1] / "protocols" / "examplinib_ovarian.yaml"


@pytest.fixture(scope="module", params=["bundled", "second"])
def ctx(request: pytest.FixtureRequest) -> TrialContext:
    protocol = load_bundled_protocol() if request.param == "bundled" else load_protocol(SECOND)
    return TrialContext.from_protocol(protocol)


def test_context_reads_each_part_from_its_protocol(ctx: TrialContext) -> None:
    p = ctx.protocol
    assert ctx.protocol_id == p.study.registry_id
    assert [c.id for c in ctx.criteria] == [c.id for c in p.criteria.all()]
    assert ctx.teae_window_days == p.endpoints.adverse_events.teae_window_days
    assert ctx.sae_report_within_hours == p.endpoints.adverse_events.sae_report_within_hours
    assert ctx.bor.confirm_min_days == p.endpoints.orr.confirmation_min_days
    assert ctx.bor.sd_min_days == p.endpoints.dcr.min_sd_days
    assert ctx.dose_rules.starting_dose_mg == p.intervention.starting_dose_mg
    assert ctx.endpoint_rules.conf_level == p.endpoints.conf_level


def test_the_two_trials_differ_where_their_files_differ() -> None:
    a = TrialContext.from_protocol(load_bundled_protocol())
    b = TrialContext.from_protocol(load_protocol(SECOND))
    assert a.protocol_id != b.protocol_id
    assert a.dose_rules.starting_dose_mg != b.dose_rules.starting_dose_mg


def test_bor_settings_are_the_keywords_of_best_overall_response(ctx: TrialContext) -> None:
    origin = dt.date(2026, 1, 1)
    points = [(dt.date(2026, 2, 26), "PR"), (dt.date(2026, 4, 23), "PR")]
    bor = recist.best_overall_response(points, origin=origin, **ctx.bor.as_kwargs())
    assert bor.response == recist.Response.PR


def test_first_dose_recommendation_is_the_protocols_starting_dose(ctx: TrialContext) -> None:
    rec = dosing.recommend(ctx.dose_rules.starting_dose_mg, cycle=1, cycle_day=1,
                           assessed_on=dt.date(2026, 3, 3),
                           cbc=dosing.BloodCounts(dt.date(2026, 3, 2), anc_10e9_l=3.0,
                                                  platelets_10e9_l=200),
                           rules=ctx.dose_rules)
    assert rec.dose_mg == ctx.dose_rules.starting_dose_mg


def test_context_pickles_for_worker_processes(ctx: TrialContext) -> None:
    again = pickle.loads(pickle.dumps(ctx))
    assert again.protocol_id == ctx.protocol_id and again.bor == ctx.bor


def test_a_protocol_can_allow_more_sd_between_a_response_and_its_confirmation() -> None:
    """bor_max_sd_between reaches best_overall_response through the context: PR, SD, SD, PR
    confirms only when two SDs between are allowed (admiralonco accept_sd counts one)."""
    base = load_bundled_protocol()
    endpoints = base.endpoints.model_copy(update={"bor_allow_sd_between": True,
                                                  "bor_max_sd_between": 2})
    two = TrialContext.from_protocol(base.model_copy(update={"endpoints": endpoints}))
    one = TrialContext.from_protocol(base.model_copy(update={"endpoints": base.endpoints.model_copy(
        update={"bor_allow_sd_between": True})}))
    assert (two.bor.max_sd_between, one.bor.max_sd_between) == (2, 1)
    origin = dt.date(2026, 1, 1)
    points = [(dt.date(2026, 2, 26), "PR"), (dt.date(2026, 3, 26), "SD"),
              (dt.date(2026, 4, 23), "SD"), (dt.date(2026, 5, 21), "PR")]
    assert recist.best_overall_response(points, origin=origin,
                                        **two.bor.as_kwargs()).response == recist.Response.PR
    assert recist.best_overall_response(points, origin=origin,
                                        **one.bor.as_kwargs()).response == recist.Response.SD
