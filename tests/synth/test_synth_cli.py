"""``oncotrial synth --subjects N --seed S --out DIR [--format csv|json]`` through Typer's
CliRunner: the files read back (oncotrial.study.parse_study) to the generated study."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.study import dump_study, parse_study
from oncotrial.synth import SynthParams, generate_study

runner = CliRunner()


def _read(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_synth_writes_the_study_in_the_exchange_format(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "cohort"
    result = runner.invoke(build_app(), ["synth", "--subjects", "12", "--seed", "4", "--out",
                                         str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "12 enrolled" in result.output and "sha256:" in result.output
    files = _read(out)
    assert "screening.json" in files and f"subjects.{fmt}" in files
    assert all(name.endswith((f".{fmt}", "screening.json")) for name in files)
    expected = generate_study(SynthParams(n_enrolled=12), 4)
    assert files == dump_study(expected, fmt=fmt)  # written in parts, the same files
    read = parse_study(files)
    assert dataclasses.replace(read, source="") == dataclasses.replace(expected, source="")


def test_synth_refuses_a_folder_with_a_data_set_unless_told(tmp_path: Path) -> None:
    args = ["synth", "--subjects", "3", "--seed", "1", "--out", str(tmp_path)]
    assert runner.invoke(build_app(), args).exit_code == 0
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    refused = runner.invoke(build_app(), args)
    assert refused.exit_code != 0
    assert "already holds a data set" in str(refused.exception)
    again = runner.invoke(build_app(), [*args[:4], "2", *args[5:], "--overwrite"])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert parse_study(_read_exchange(tmp_path)).dataset.subjects == \
        generate_study(SynthParams(n_enrolled=3), 2).dataset.subjects


def _read_exchange(folder: Path) -> dict[str, str]:
    return {n: t for n, t in _read(folder).items() if n != "notes.txt"}


def test_synth_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["synth", "--out", str(tmp_path), "--format", "xml"])
    assert result.exit_code != 0
    assert "csv or json" in str(result.exception)
