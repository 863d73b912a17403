"""Golden files: the report's tables (numbers and words, not pixels) from a fixed synthetic
cohort, compared with ``tests/reports/golden/*.json``.

The cohort is ``oncotrial.synth.generate_study(SynthParams(), seed)`` at its own cut-off, the
protocol the bundled NCT06478927. Every table is kept with its columns, rows and footnotes;
every figure with the data it draws (numbers at risk, the waterfall bars, the lanes shown),
never its SVG. Volatile parts are left out: the software version and the data source.

A difference means the report, the generator or a core derivation changed. Review it like
code, then regenerate on purpose::

    ONCOTRIAL_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/reports/test_report_golden.py

and commit the changed JSON files with the change that caused them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from oncotrial.context import TrialContext
from oncotrial.records import to_plain
from oncotrial.reports import Report, build_report
from oncotrial.synth import SynthParams, generate_study

GOLDEN = Path(__file__).parent / "golden"
#: The seeds kept as golden files: the default 22-subject trial, and one with more events.
SEEDS = (1, 20261031)
UPDATE = os.environ.get("ONCOTRIAL_UPDATE_GOLDEN") == "1"


def _rounded(value: Any) -> Any:
    """Floats to 9 decimals, so that the last bits of a platform's libm do not count."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def golden_data(report: Report) -> dict[str, Any]:
    """The numbers of a report, as kept in a golden file."""
    tables = {}
    for table in report.tables():
        plain = to_plain(table)
        tables[table.key] = {k: plain[k] for k in ("number", "title", "population", "columns",
                                                   "rows", "footnotes")}
    figures = {f.key: {"number": f.number, "title": f.title, "caption": f.caption,
                       "data": to_plain(f)["data"]} for f in report.figures()}
    return _rounded({"protocol_id": report.protocol_id, "cutoff_on": report.cutoff_on.isoformat(),
                     "findings": list(report.findings), "tables": tables, "figures": figures})


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed {s}" for s in SEEDS])
def seeded(request: pytest.FixtureRequest, ctx: TrialContext) -> tuple[int, Report]:
    params = SynthParams()
    study = generate_study(params, request.param, ctx=ctx)
    return request.param, build_report(study, ctx, cutoff=params.cutoff)


def test_report_tables_match_the_golden_file(seeded: tuple[int, Report]) -> None:
    seed, report = seeded
    path = GOLDEN / f"report_seed_{seed}.json"
    data = golden_data(report)
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"{path.name} is missing; make it with ONCOTRIAL_UPDATE_GOLDEN=1.")
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(data["tables"]) == sorted(expected["tables"]), "tables added or removed"
    for key, table in expected["tables"].items():
        assert data["tables"][key] == table, f"{table['number']} {table['title']} changed"
    assert data["figures"] == expected["figures"]
    assert data["findings"] == expected["findings"]
    assert data["cutoff_on"] == expected["cutoff_on"]


def test_golden_report_is_the_default_trial(seeded: tuple[int, Report]) -> None:
    """What the golden files hold is the default synthetic trial: 22 enrolled and treated."""
    _seed, report = seeded
    disposition = report.table("disposition")
    assert disposition.cell("Enrolled", 1) == SynthParams().n_enrolled
    assert disposition.cell("Treated (at least one dose)", 1) == SynthParams().n_enrolled
