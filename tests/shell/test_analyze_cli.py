"""``oncotrial analyze DATA [--cutoff DATE] [--json]`` through Typer's CliRunner."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import build_app, main
from oncotrial.endpoints import Death, dump_exchange, load_example_dataset

runner = CliRunner()


def test_analyze_example_prints_the_endpoint_table() -> None:
    """The bundled example: every subject listed with its PFS reason; the ORR row."""
    out = runner.invoke(build_app(), ["analyze", "--example", "--cutoff", "2026-10-31"],
                        terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "data cut-off 2026-10-31" in out.output
    for n in range(1, 13):
        assert f"S{n:02d}" in out.output
    assert "ORR (%)" in out.output and "0.2-41.3" in out.output  # 1/11, scipy exact CI
    assert "new anticancer therapy" in out.output
    assert "censored (row 7)" in out.output


def test_analyze_folder_as_json(tmp_path: Path) -> None:
    """A folder in the exchange format; --json gives the per-subject values and reasons."""
    for name, text in dump_exchange(load_example_dataset(), fmt="json").items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = runner.invoke(build_app(), ["analyze", str(tmp_path), "--cutoff", "2026-10-31",
                                      "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    s07 = next(s for s in data["subjects"] if s["subject_id"] == "S07")
    assert s07["pfs"]["end_on"] == "2026-04-27" and s07["pfs"]["event"] is False
    assert "new anticancer therapy (systemic, sorafenib) started 2026-05-20" in s07["pfs"]["reason"]
    assert s07["pfs"]["code"] == "pfs.censored.new_therapy" and s07["pfs"]["facts"]["row"] == 7
    assert data["cutoff_on"] == "2026-10-31"


def test_analyze_reads_a_whole_study_folder(tmp_path: Path) -> None:
    """A folder written by oncotrial synth (the endpoint domains beside labs, lesions, AEs,
    baseline, medications and the screening log) gives the endpoints of its Dataset; an
    unknown file in it is still refused."""
    from oncotrial.context import TrialContext
    from oncotrial.endpoints import analyze_endpoints
    from oncotrial.protocol import load_bundled_protocol
    from oncotrial.study import dump_study
    from oncotrial.synth import SynthParams, generate_study

    study = generate_study(SynthParams(n_enrolled=5), 3)
    for name, text in dump_study(study).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert (tmp_path / "labs.csv").exists() and (tmp_path / "screening.json").exists()
    out = runner.invoke(build_app(), ["analyze", str(tmp_path), "--cutoff", "2025-12-31",
                                      "--json"])
    assert out.exit_code == 0, out.output
    rules = TrialContext.from_protocol(load_bundled_protocol()).endpoint_rules
    expected = analyze_endpoints(study.dataset, cutoff=date(2025, 12, 31), rules=rules)
    got = {s["subject_id"]: s["pfs"]["end_on"] for s in json.loads(out.output)["subjects"]}
    assert got == {s.subject_id: s.pfs.end_on.isoformat() for s in expected.subjects
                   if s.pfs is not None}
    assert len(got) == 5
    (tmp_path / "lab.csv").write_text("subject_id\n", encoding="utf-8")
    wrong = runner.invoke(build_app(), ["analyze", str(tmp_path)])
    assert wrong.exit_code != 0 and "lab.csv: is not a domain file" in str(wrong.exception)


def test_analyze_without_cutoff_uses_the_latest_date_and_says_so() -> None:
    """No --cutoff: the latest date in the data, printed as such."""
    out = runner.invoke(build_app(), ["analyze", "--example"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "2026-11-16 (no --cutoff given" in out.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["analyze", "--example", "--cutoff", "31/10/2026"], "It must be an ISO 8601 date"),
        (["analyze", "/no/such/folder"], "is not a folder"),
        (["analyze"], "Give either DATA"),
        (["analyze", "--example", "--cutoff", "2026-10-31", "--protocol", "/no/protocol.yaml"],
         "protocol"),
    ],
)
def test_analyze_usage_errors_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad date, missing folder, neither DATA nor --example: exit code 2 and a sentence."""
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    assert words in capsys.readouterr().err


def test_analyze_reports_data_problems(tmp_path: Path) -> None:
    """A data problem is an InputError naming the file and the fix (exit 2 via the root)."""
    (tmp_path / "subjects.csv").write_text(
        "subject_id,enrolled_on,measurable_disease_at_baseline\n001,yesterday,yes\n")
    out = runner.invoke(build_app(), ["analyze", str(tmp_path)])
    assert out.exit_code != 0
    assert "enrolled_on is 'yesterday'" in str(out.exception)


def test_analyze_prints_data_findings(tmp_path: Path) -> None:
    """Contradicting records are listed after the table with their codes."""
    ds = load_example_dataset()
    bad = dataclasses.replace(ds, deaths=(*ds.deaths, Death("S04", date(2026, 9, 1))))
    for name, text in dump_exchange(bad).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = runner.invoke(build_app(), ["analyze", str(tmp_path), "--cutoff", "2026-10-31"],
                        terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "Data findings" in out.output and "EP001" in out.output
    out = runner.invoke(build_app(), ["analyze", str(tmp_path), "--cutoff", "2026-10-31",
                                      "--json"])
    assert "EP001" in {f["code"] for f in json.loads(out.output)["findings"]}
