"""The bundled example data set entered through the services (``oncotrial.services.demo``,
what ``make run`` loads) gives, through ``oncotrial export
json`` and ``oncotrial analyze``, the same endpoint table as the example data itself (issue 11,
"Done when"). Every record travels the whole way: screening forms, eligibility, enrolment, the
dosing, tumour response, death, survival, subsequent-therapy, end-of-treatment and disposition
forms, the item rows, the one mapping back to the shared records, the exchange format."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from storekit import PASSWORD, Staff
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.context import TrialContext
from oncotrial.services import Database
from oncotrial.services.demo import load_example_trial

CUTOFF = "2026-10-31"


def _analyze(folder: Path) -> dict[str, Any]:
    result = CliRunner().invoke(build_app(), ["analyze", str(folder), "--json",
                                              "--cutoff", CUTOFF])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.output)
    payload.pop("source")
    payload.pop("findings")
    return payload


def _rename(payload: Any, names: dict[str, str]) -> Any:
    text = json.dumps(payload, sort_keys=True)
    for old, new in names.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    renamed = json.loads(text)
    # Subject rows are listed by subject id; after renaming, list them in one order again.
    renamed["subjects"] = sorted(renamed["subjects"], key=lambda row: row["subject_id"])
    return renamed


def test_example_data_through_the_services_gives_the_same_endpoints(
        db: Database, staff: Staff, ctx: TrialContext, tmp_path: Path) -> None:
    names = load_example_trial(db, ctx, nurse=staff["nurse"], investigator=staff["drli"],
                               today=dt.date(2026, 12, 1))
    expected_dir = tmp_path / "example"
    expected_dir.mkdir()
    from oncotrial.endpoints import example_files

    for name, content in example_files().items():
        (expected_dir / name).write_text(content, encoding="utf-8")
    exported = tmp_path / "export"
    url = str(db.engine.url.render_as_string(hide_password=False))
    env = {**os.environ, "ONCOTRIAL_PASSWORD": PASSWORD}
    result = CliRunner(env=env).invoke(build_app(), [
        "export", "json", "--out", str(exported), "--user", "dm", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert _rename(_analyze(exported), names) == _rename(_analyze(expected_dir), {})
