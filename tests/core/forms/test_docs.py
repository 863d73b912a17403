"""docs/forms.md documents every key of the forms file, and every finding code of check_form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from oncotrial.forms import FINDING_CODES, model

DOC = (Path(__file__).parents[3] / "docs" / "forms.md").read_text(encoding="utf-8")
MODELS = [m for m in (getattr(model, n) for n in model.__all__)
          if isinstance(m, type) and issubclass(m, BaseModel)]


def _section(title: str) -> str:
    match = re.search(rf"^### {title}\n(.*?)(?=^##|\Z)", DOC, flags=re.M | re.S)
    return match.group(1) if match else ""


def _rows(section: str) -> dict[str, list[str]]:
    """Table rows by their first cell (the key in backticks), as lists of cells."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_forms_model_is_walked() -> None:
    """The test below sees each model of the file (so it cannot pass by seeing none)."""
    assert {m.__name__ for m in MODELS} >= {
        "FormSet", "FormDef", "SectionDef", "GroupDef", "ItemDef", "CheckDef", "Label",
        "CodeDef", "Limits", "RecordMap", "SubjectIds", "When"}


@pytest.mark.parametrize("cls", MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_docs_entry(cls: type[BaseModel]) -> None:
    """Each model has a '### Name' table with a row for each key: type, required or default,
    meaning and example all filled in."""
    section = _section(cls.__name__)
    assert section, f"docs/forms.md has no '### {cls.__name__}' section"
    rows = _rows(section)
    for name, info in cls.model_fields.items():
        key = info.alias or name
        assert key in rows, f"{cls.__name__}: no docs entry for {key!r}"
        cells = rows[key]
        assert len(cells) == 5 and all(cells), f"{cls.__name__}.{key}: a cell is empty: {cells}"


def test_every_finding_code_is_documented() -> None:
    missing = [code for code in FINDING_CODES if f"| `{code}` |" not in DOC]
    assert missing == []


def test_every_record_type_is_documented() -> None:
    missing = [t for t in model.RECORD_TYPE_NAMES if f"| `{t}` |" not in DOC]
    assert missing == []
