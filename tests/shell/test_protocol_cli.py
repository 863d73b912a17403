"""The `oncotrial protocol` commands and `oncotrial --version`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncotrial import __version__
from oncotrial.cli import main

PROTOCOLS = Path(__file__).parents[1] / "protocols"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"oncotrial {__version__}"


def test_validate_accepts_a_good_file(capsys) -> None:
    code, out, _ = run(capsys, "protocol", "validate", str(PROTOCOLS / "examplinib_ovarian.yaml"))
    assert code == 0
    assert "valid" in out and "DEMO-2026-001" in out and "5 inclusion and 2 exclusion" in out


def test_validate_reports_every_problem_and_exits_2(capsys, tmp_path) -> None:
    text = (PROTOCOLS / "examplinib_ovarian.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("target: 41", "target: -1").replace("days_off: 0", "days_off: 3"),
                   encoding="utf-8")
    code, _, err = run(capsys, "protocol", "validate", str(bad))
    assert code == 2
    assert "has 2 problems" in err
    assert "enrolment.target" in err and "intervention.schedule" in err
    assert "Traceback" not in err


def test_show_bundled_protocol_text(capsys) -> None:
    code, out, _ = run(capsys, "protocol", "show")
    assert code == 0
    assert "NCT06478927" in out and "125 -> 100 -> 75 mg" in out
    assert "I11" in out and "E10" in out and "SURV" in out


def test_show_section_as_json(capsys) -> None:
    code, out, _ = run(capsys, "protocol", "show", "--section", "intervention", "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["dose_mg"] for d in data["dose_levels"]] == [125.0, 100.0, 75.0]


def test_show_unknown_section_is_a_usage_error(capsys) -> None:
    code, _, err = run(capsys, "protocol", "show", "--section", "nonsense")
    assert code == 2 and "unknown section" in err


def test_assumptions_list_each_with_reason(capsys) -> None:
    code, out, _ = run(capsys, "protocol", "assumptions", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows and all(r["reason"] for r in rows)
    refs = {r["ref"] for r in rows}
    assert {"PN-01", "PN-10", "PN-11", "PN-14", "PN-31"} <= refs
    assert all(r["source"] in ("assumption", "clarification") for r in rows)


def test_assumptions_table_for_the_second_protocol(capsys) -> None:
    other = str(PROTOCOLS / "examplinib_ovarian.yaml")
    code, out, _ = run(capsys, "protocol", "assumptions", other)
    assert code == 0 and "made-up investigator's brochure" in out
