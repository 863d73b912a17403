"""``oncotrial design ...`` through Typer's CliRunner against the real root app."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import build_app, main

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(build_app(), ["design", *args], terminal_width=120)
    assert result.exit_code == 0, result.output
    return result.output


def test_report_defaults_to_the_bundled_protocols_22_patients(tmp_path: Path) -> None:
    """The report states n = 22 (the protocol's target), the exact CIs and the ORR rule,
    and writes the plot's data as CSV."""
    data = tmp_path / "plot.csv"
    out = _run("report", "--plot-data", str(data))
    assert "n = 22" in out and "PN-08" in out
    assert "15.4%" in out  # upper limit for 0/22: Clopper & Pearson 1934, 1 - 0.025 ** (1 / 22)
    assert "4 or more responses" in out
    with data.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["series"] for r in rows} == {"orr_power", "pfs_power"}


def test_report_json_for_scripts() -> None:
    """--json gives the same numbers in machine-readable form."""
    doc = json.loads(_run("report", "--json"))
    assert doc["n"] == 22 and doc["orr"]["min_responses"] == 4
    assert round(100 * doc["intervals"][1]["upper"], 1) == 22.8
    assert len(doc["plot_series"]["orr_power"]) == len(doc["orr"]["points"])


def test_report_takes_another_n() -> None:
    """--n overrides the protocol's target."""
    assert "n = 30" in _run("report", "--n", "30")


def test_report_takes_a_confidence_level() -> None:
    """--conf-level sets the level of the exact intervals: for 0/22 at 90 % the upper limit is
    1 - 0.05 ** (1 / 22) = 12.7 % (Clopper & Pearson 1934)."""
    doc = json.loads(_run("report", "--json", "--conf-level", "0.9"))
    assert doc["conf_level"] == 0.9
    assert round(100 * doc["intervals"][0]["upper"], 1) == 12.7


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib is not installed, so no PNG can be drawn")
def test_report_draws_a_png_when_matplotlib_is_there(tmp_path: Path) -> None:
    """--plot writes a PNG file (its data is tested through --plot-data)."""
    png = tmp_path / "power.png"
    _run("report", "--plot", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simon_prints_simon_1989_designs() -> None:
    """Simon (1989) Table 1, p0 0.05, p1 0.25, alpha 0.05, power 0.8: 0/9 2/17 and 0/12 2/16."""
    out = _run("simon", "0.05", "0.25")
    assert "0/9" in out and "2/17" in out and "0/12" in out and "2/16" in out


def test_single_stage_and_logrank_commands() -> None:
    """Single stage for 0.05 vs 0.25; Wu (2015) example gives 88 patients."""
    assert "treat 16 patients" in _run("single-stage", "0.05", "0.25")
    out = _run("logrank", "--median0", "9", "--hazard-ratio", str(1 / 1.75), "--accrual", "5",
               "--follow-up", "3", "--shape", "1.22")
    assert "with 88 patients" in out
    assert "with 22 patients" in _run("logrank", "--median0", "1.8", "--median1", "3.6",
                                      "--n", "22")


def test_boundaries_command_prints_a_table() -> None:
    """Toxicity boundary table for the bundled 22 patients, looks from patient 5."""
    out = _run("boundaries", "toxicity", "--rate", "0.2", "--prior-a", "0.2", "--prior-b", "0.8")
    assert "Stop for toxicity" in out and ">= 3" in out and "22" in out


def test_bop2_command_uses_the_protocols_n_for_default_looks() -> None:
    """Default looks for n = 22 are 10, 16 and 22; the toxicity table appears when asked."""
    out = _run("bop2", "--null-response", "0.05", "--alt-response", "0.25",
               "--null-toxicity", "0.3", "--alt-toxicity", "0.1")
    assert "BOP2-style design" in out and "Stop for toxicity" in out
    for look in ("10", "16", "22"):
        assert look in out


def test_simulate_is_reproducible_with_a_seed() -> None:
    """Same seed, same printed operating characteristics."""
    args = ("simulate", "--orr", "0.25", "--toxicity-rate", "0.1", "--toxicity-limit", "0.2",
            "--trials", "20000", "--seed", "5", "--futility")
    first, second = _run(*args), _run(*args)
    assert "P(declare success)" in first
    assert first == second


@pytest.mark.parametrize(
    "argv",
    [
        ["design", "simon", "0.3", "0.32", "--nmax", "40"],
        ["design", "simon", "0.3", "0.2"],
        ["design", "logrank", "--median0", "1.8"],
        ["design", "bop2", "--null-response", "0.1", "--alt-response", "0.3", "--looks", "a,b"],
    ],
    ids=["no design under nmax", "p1 below p0", "neither median1 nor hazard ratio",
         "looks not numbers"],
)
def test_fixable_problems_exit_2_with_a_sentence(argv: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Problems the user can fix print a sentence on stderr and exit with code 2."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("Error: ")
