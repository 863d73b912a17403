"""Fixtures of the report tests: the trial context, the small study of
``tests/support/reportkit.py`` and its report at the cut-off."""

from __future__ import annotations

import pytest
from reportkit import CUTOFF, make_study

from oncotrial.context import TrialContext
from oncotrial.protocol import load_bundled_protocol
from oncotrial.reports import Report, build_report
from oncotrial.study import StudyData


@pytest.fixture(scope="session")
def ctx() -> TrialContext:
    return TrialContext.from_protocol(load_bundled_protocol())


@pytest.fixture(scope="session")
def study() -> StudyData:
    return make_study()


@pytest.fixture(scope="session")
def report(study: StudyData, ctx: TrialContext) -> Report:
    return build_report(study, ctx, cutoff=CUTOFF)
