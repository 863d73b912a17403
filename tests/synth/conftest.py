"""Shared cohorts for the synthetic-cohort tests: generated once per session."""

from __future__ import annotations

import pytest

from oncotrial.context import TrialContext
from oncotrial.protocol import load_bundled_protocol
from oncotrial.study import StudyData
from oncotrial.synth import SynthParams, generate_study

#: A cohort large enough that every path of the generator is taken (holds, reductions, AE
#: discontinuations, responders, deaths without progression, screen failures of each kind).
COHORT_SIZE = 400
COHORT_SEED = 20240301


@pytest.fixture(scope="session")
def ctx() -> TrialContext:
    return TrialContext.from_protocol(load_bundled_protocol())


@pytest.fixture(scope="session")
def cohort(ctx: TrialContext) -> StudyData:
    return generate_study(SynthParams(n_enrolled=COHORT_SIZE), COHORT_SEED, ctx=ctx)
