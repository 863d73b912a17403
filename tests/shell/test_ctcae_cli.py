"""`oncotrial ctcae` commands, through Typer's CliRunner against the real root app."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from oncotrial.cli import build_app, main

runner = CliRunner()

HEADER = ["MedDRA Code", "MedDRA SOC", "CTCAE Term", "Grade 1   ", "Grade 2   ", "Grade 3   ",
          "Grade 4   ", "Grade 5   ", "Definition", "Navigational Note", "CTCAE v5.0 Change"]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "CTCAE v5.0 Clean Copy"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_import_reads_an_nci_style_spreadsheet(tmp_path: Path) -> None:
    """A small workbook in NCI's layout becomes a dictionary file the terms command reads."""
    xlsx = _workbook(tmp_path / "ctcae.xlsx", [
        HEADER,
        [10002272, "Blood and lymphatic system disorders", "Anemia", "Hgb <LLN - 10.0 g/dL",
         "Hgb <10.0 - 8.0 g/dL", "Hgb <8.0 g/dL", "Life-threatening", "Death", "Low Hb.", None,
         None],
        [10001760, "Skin and subcutaneous tissue disorders", "Alopecia", "Hair loss <50%",
         "Hair loss >=50%", "-", "-", "-", "Hair loss.", None, None],
        [10020635, "Metabolism and nutrition disorders", "Hyperglycemia", "Abnormal glucose",
         "Oral agent", "Insulin", "Life-threatening", "Death", "High glucose.", None, None],
    ])
    out = tmp_path / "terms.json"
    result = runner.invoke(build_app(), ["ctcae", "import", str(xlsx), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 CTCAE v5.0 terms" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    anemia = next(t for t in doc["terms"] if t["term"] == "Anemia")
    assert anemia["meddra_code"] == "10002272" and anemia["lab_graded"] is True
    hyperglycemia = next(t for t in doc["terms"] if t["term"] == "Hyperglycemia")
    assert hyperglycemia["lab_graded"] is False  # CTCAE v5.0 grades it by the intervention
    listed = runner.invoke(build_app(), ["ctcae", "terms", "--dictionary", str(out)])
    assert listed.exit_code == 0, listed.output
    assert "Alopecia" in listed.output and "3 of 3 terms" in listed.output


def test_import_of_a_spreadsheet_without_the_nci_columns_exits_2(tmp_path: Path,
                                                                 capsys: object) -> None:
    """Missing columns: a sentence naming them, exit code 2 (through the real entry point)."""
    xlsx = _workbook(tmp_path / "bad.xlsx", [["Term", "Grade"], ["Anemia", "1"]])
    try:
        main(["ctcae", "import", str(xlsx), "--out", str(tmp_path / "x.json")])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:  # pragma: no cover
        raise AssertionError("expected exit code 2")


def test_grade_prints_the_grade_reason_and_code() -> None:
    """CTCAE v5.0 Neutrophil count decreased, 0.9 x 10^9/L is grade 3: exit 0, rule and code."""
    result = runner.invoke(build_app(), ["ctcae", "grade", "Neutrophil count decreased", "0.9",
                                         "10^9/L", "--lln", "2.0"])
    assert result.exit_code == 0, result.output
    assert "grade 3" in result.output
    assert "Code: ctcae.grade.3" in result.output


def test_grade_with_an_impossible_lln_exits_2_naming_the_lln(capsys: object) -> None:
    """A negative LLN is refused, and the message names the LLN, not the value."""
    try:
        main(["ctcae", "grade", "Neutrophil count decreased", "0.9", "10^9/L", "--lln", "-2"])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:  # pragma: no cover
        raise AssertionError("expected exit code 2")
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "lower limit of normal (LLN) -2" in err
    assert "0.9" not in err


def test_grade_flags_the_worst_case_and_accepts_the_investigator_answer() -> None:
    """Hyponatremia 128: grade 3 assumed symptomatic; grade 2 when said asymptomatic."""
    worst = runner.invoke(build_app(), ["ctcae", "grade", "Hyponatremia", "128", "mmol/L",
                                        "--lln", "135"])
    assert "grade 3" in worst.output and "worst_case_assumed" in worst.output
    said = runner.invoke(build_app(), ["ctcae", "grade", "Hyponatremia", "128", "mmol/L",
                                       "--lln", "135", "--qualifier-absent"])
    assert "grade 2" in said.output and "worst_case" not in said.output


def test_grade_that_cannot_be_decided_exits_1() -> None:
    """ANC 1.6 without LLN: not graded, the reason asks for the LLN, exit 1."""
    result = runner.invoke(build_app(), ["ctcae", "grade", "Neutrophil count decreased", "1.6",
                                         "10^9/L"])
    assert result.exit_code == 1
    assert "lower limit of normal" in result.output
    assert "Code: ctcae.not_graded.needs_lln" in result.output


def test_terms_lists_the_bundled_lab_terms() -> None:
    """--lab lists the lab-graded terms of the bundled dictionary."""
    result = runner.invoke(build_app(), ["ctcae", "terms", "--lab"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Platelet count decreased" in result.output
    assert "Alopecia" not in result.output


def test_grade_with_an_unknown_term_exits_2_with_a_suggestion(capsys: object) -> None:
    """A misspelt term is a fixable problem: exit 2 and the CTCAE spelling."""
    try:
        main(["ctcae", "grade", "Neutrophil count decrease", "1.0", "10^9/L"])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:  # pragma: no cover
        raise AssertionError("expected exit code 2")
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "Neutrophil count decreased" in err
