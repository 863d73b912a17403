"""docs/protocol.md documents every field of the protocol schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from oncotrial.protocol import model, rules

DOC = (Path(__file__).parents[3] / "docs" / "protocol.md").read_text(encoding="utf-8")
MODELS = [getattr(model, n) for n in model.__all__] + [
    getattr(rules, n) for n in rules.__all__ if n != "Rule"] + [model.Section]


def _section(title: str) -> str:
    match = re.search(rf"^### {title}\n(.*?)(?=^##|\Z)", DOC, flags=re.M | re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize("cls", [m for m in MODELS if issubclass(m, BaseModel)],
                         ids=lambda m: m.__name__)
def test_every_schema_field_has_a_docs_entry(cls: type[BaseModel]) -> None:
    """Each model has a '### Name' section with a table row for each of its own fields."""
    section = _section(cls.__name__)
    assert section, f"docs/protocol.md has no '### {cls.__name__}' section"
    inherited = set(model.Section.model_fields) if cls is not model.Section else set()
    missing = [f for f in cls.model_fields
               if f not in inherited and f"| `{f}` |" not in section]
    assert not missing, f"{cls.__name__}: no docs entry for {missing}"
