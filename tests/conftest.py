"""Shared test configuration: Hypothesis profiles and markers.

Profiles: ``dev`` (default, quick) and ``ci`` (more examples, derandomised so a CI run is
repeatable). Choose with ``HYPOTHESIS_PROFILE``; ``.ci/run`` sets ``ci``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing() -> Iterator[None]:
    """Argon2 with the lowest cost in tests: every storage test makes eight accounts, and the
    production cost (argon2-cffi's defaults, about 50 ms a hash) would spend most of the suite's
    time hashing. The algorithm, the stored format and every check are the same."""
    from argon2 import PasswordHasher

    from oncotrial.services import access

    production = access._HASHER
    access._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    access._HASHER = production
