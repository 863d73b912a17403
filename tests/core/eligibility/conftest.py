"""Helpers for eligibility tests: the bundled eligible example, changed one entry at a time."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from oncotrial.eligibility import ScreeningRecord, ScreeningResult, example_record, screen
from oncotrial.protocol import load_bundled_protocol

ON = dt.date(2026, 3, 2)  # planned enrolment date of the bundled example
FIRST_DOSE = dt.date(2026, 3, 3)
DELETE = "__delete__"  # a value that removes the entry


def changed(base: ScreeningRecord, changes: dict[str, Any]) -> ScreeningRecord:
    """The record with dotted paths set (``{"labs.anc.value": 0.9}``) or removed (DELETE)."""
    data = base.model_dump(mode="python")
    for path, value in copy.deepcopy(changes).items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
        if value == DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return ScreeningRecord.model_validate(data)


@pytest.fixture(scope="session")
def protocol() -> Any:
    return load_bundled_protocol()


@pytest.fixture(scope="session")
def eligible() -> ScreeningRecord:
    return example_record()


@pytest.fixture()
def screen_with(eligible: ScreeningRecord, protocol: Any) -> Callable[..., ScreeningResult]:
    """Screen the eligible example with some entries changed."""

    def run(changes: dict[str, Any] | None = None, *, on: dt.date = ON) -> ScreeningResult:
        return screen(changed(eligible, changes or {}), protocol, on=on)

    return run
