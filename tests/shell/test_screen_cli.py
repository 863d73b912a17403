"""``oncotrial screen``: exit codes, table, JSON with codes and facts,
--on and --protocol (Typer CliRunner)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.errors import InputError

DATA = resources.files("oncotrial.eligibility") / "data"
PROTOCOLS = Path(__file__).parents[1] / "protocols"


def _file(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("name", "code", "words"), [
    ("example_patient.yaml", 0, "ELIGIBLE"),
    ("example_not_eligible.yaml", 1, "NOT ELIGIBLE"),
    ("example_incomplete.yaml", 2, "NOT YET DECIDED"),
])
def test_exit_code_follows_the_answer(tmp_path: Path, name: str, code: int, words: str) -> None:
    """0 eligible, 1 not eligible, 2 data missing."""
    result = CliRunner().invoke(build_app(), ["screen", _file(tmp_path, name)],
                                env={"COLUMNS": "160"})
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "I11" in result.output and "E10" in result.output


def test_json_output(tmp_path: Path) -> None:
    """--json prints one verdict per criterion with status and reason."""
    result = CliRunner().invoke(build_app(), ["screen", _file(tmp_path,
                                                              "example_not_eligible.yaml"),
                                              "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["status"] == "not_eligible" and data["eligible"] is False
    assert data["subject_id"] == "SCR-002" and data["code"] == "eligibility.not_eligible"
    by_id = {v["criterion_id"]: v for v in data["verdicts"]}
    assert by_id["I11"]["status"] == "not_met"
    assert by_id["I11"]["code"] == "I11.not_met.anc_below_min"
    assert by_id["I11"]["facts"]["anc"] == 0.9 and by_id["I11"]["facts"]["anc_min"] == 1.0
    assert by_id["I11"]["facts"]["anc_on"] == "2026-03-01"
    assert "ANC 0.9 x10^9/L on 2026-03-01 is below the required 1.0 x10^9/L" in \
        by_id["I11"]["reason"]


def test_on_moves_the_windows(tmp_path: Path) -> None:
    """Screening 10 days later makes the 21-day imaging window fail (scan 2026-02-16)."""
    path = Path(_file(tmp_path, "example_patient.yaml"))
    text = path.read_text(encoding="utf-8").replace("planned_first_dose_date: 2026-03-03\n", "")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(build_app(), ["screen", str(path), "--on", "2026-03-12",
                                              "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert {v["criterion_id"]: v["status"] for v in data["verdicts"]}["I6"] == "not_met"


def test_bad_date_is_a_fixable_problem(tmp_path: Path) -> None:
    """A wrong --on raises InputError (the root prints it and exits 2)."""
    result = CliRunner().invoke(build_app(), ["screen", _file(tmp_path, "example_patient.yaml"),
                                              "--on", "03/12/2026"])
    assert isinstance(result.exception, InputError)
    assert "YYYY-MM-DD" in str(result.exception)


def test_other_protocol(tmp_path: Path) -> None:
    """--protocol screens against that protocol's criteria."""
    result = CliRunner().invoke(build_app(), [
        "screen", _file(tmp_path, "example_patient.yaml"), "--json",
        "--protocol", str(PROTOCOLS / "examplinib_ovarian.yaml")])
    data = json.loads(result.output)
    assert [v["criterion_id"] for v in data["verdicts"]] == ["I1", "I2", "I3", "I4", "I5", "E1",
                                                              "E2"]
    assert result.exit_code == 2  # I3 and E1 are attestations the example has not answered


def test_table_shows_the_codes(tmp_path: Path) -> None:
    """The checklist shows each verdict's result code under its reason."""
    result = CliRunner().invoke(build_app(), ["screen", _file(tmp_path,
                                                              "example_not_eligible.yaml")],
                                env={"COLUMNS": "200"})
    assert "I11.not_met.anc_below_min" in result.output and "I1.met.age_years_within_limits" \
        in result.output


def test_every_unit_and_plausibility_problem_is_reported_at_once(tmp_path) -> None:
    """A record with a wrong unit and an impossible value lists both, and screens nothing."""
    import yaml

    from oncotrial.eligibility import load_record
    from oncotrial.eligibility.record import __file__ as record_file
    from oncotrial.errors import InputError

    example = Path(record_file).parent / "data" / "example_patient.yaml"
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data["labs"]["anc"]["unit"] = "%"
    data["labs"]["platelets"]["value"] = -5
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_record(bad)
    text = str(info.value)
    assert "has 2 problems" in text
    assert "Unit '%' is not a unit of ANC" in text and "Platelets of -5" in text
