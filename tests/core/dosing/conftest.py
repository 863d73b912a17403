"""Shared helpers of the dosing tests: the bundled protocol's rules, and rules changed the way a
protocol author would change them (through the validated protocol section)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from oncotrial.dosing import DosingRules
from oncotrial.protocol import load_bundled_protocol
from oncotrial.protocol.model import Intervention

LABEL = DosingRules.from_protocol(load_bundled_protocol())
_SECTION: dict[str, Any] = LABEL.intervention.model_dump(mode="json")


def rules_with(**changes: Any) -> DosingRules:
    """The bundled rules with ``changes`` applied to the intervention section, then validated.

    Keys are dotted paths inside ``intervention`` with ``__`` for dots and list indexes as
    numbers: ``dose_modification__re_escalation_allowed=True``,
    ``dose_modification__hepatic_impairment__0__action="discontinue"``.
    """
    data = copy.deepcopy(_SECTION)
    for key, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in key.split("__")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value
    return DosingRules.from_intervention(Intervention.model_validate(data))


@pytest.fixture(scope="session")
def label_rules() -> DosingRules:
    """NCT06478927's rules (the palbociclib label, PN-10)."""
    return LABEL


@pytest.fixture(scope="session")
def make_rules() -> Callable[..., DosingRules]:
    """:func:`rules_with` as a fixture."""
    return rules_with
