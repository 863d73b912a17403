"""`oncotrial forms validate`: OK with counts, or every problem with its place (exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncotrial.cli import main

PROTOCOLS = Path(__file__).parents[1] / "protocols"

FORMS = """\
forms_version: 1
protocol: DEMO-2026-001
version: "1.0"
subject_ids: {pattern: "EX-{n:03d}"}
schedule:
  SCR: [vitals]
  CD1: [vitals]
forms:
  - id: vitals
    label: {en: Vital signs, zh: 生命体征}
    sections:
      - id: main
        label: {en: Vital signs, zh: 生命体征}
        items:
          - {id: weight, type: decimal, analyte: weight, units: [kg, lb],
             label: {en: Weight, zh: 体重}}
          - {id: visit_date, type: date, label: {en: Date, zh: 日期}}
        groups:
          - id: readings
            label: {en: Blood pressure, zh: 血压}
            items:
              - {id: systolic, type: integer, label: {en: Systolic, zh: 收缩压}}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_prints_ok_with_counts(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    path = tmp_path / "demo.forms.yaml"
    path.write_text(FORMS, encoding="utf-8")
    code, out, _ = run(capsys, "forms", "validate", str(path), "--protocol",
                       str(PROTOCOLS / "examplinib_ovarian.yaml"))
    assert code == 0
    assert out.startswith("OK ") and "1 forms, 3 items, 1 repeating groups" in out
    assert "checked against protocol DEMO-2026-001" in out


def test_validate_finds_the_protocol_beside_the_file(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(
        (PROTOCOLS / "examplinib_ovarian.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "demo.forms.yaml").write_text(FORMS, encoding="utf-8")
    code, out, _ = run(capsys, "forms", "validate", str(tmp_path / "demo.forms.yaml"))
    assert code == 0 and "checked against protocol DEMO-2026-001" in out


def test_validate_without_a_protocol_says_so(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    path = tmp_path / "alone.forms.yaml"
    path.write_text(FORMS, encoding="utf-8")
    code, out, _ = run(capsys, "forms", "validate", str(path))
    assert code == 0 and "not checked against a protocol" in out


def test_validate_reports_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "bad.forms.yaml"
    path.write_text(FORMS.replace("units: [kg, lb]", "units: [kg, mmHg]")
                    .replace("zh: 收缩压", "zh: ''").replace("CD1:", "C9D9:"), encoding="utf-8")
    code, out, err = run(capsys, "forms", "validate", str(path), "--protocol",
                         str(PROTOCOLS / "examplinib_ovarian.yaml"))
    assert code == 1 and out == ""
    assert "has 3 problems" in err
    assert "schedule.C9D9: 'C9D9' is not a visit of protocol DEMO-2026-001" in err
    assert "forms[0] (vitals).sections[0] (main).items[0] (weight).units[1]" in err
    assert "readings).items[0] (systolic).label.zh: the text is empty" in err
    assert "Traceback" not in err


def test_validate_names_a_protocol_mismatch(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    path = tmp_path / "bad.forms.yaml"
    path.write_text(FORMS.replace("CD1:", "C9D9:"), encoding="utf-8")
    code, _, err = run(capsys, "forms", "validate", str(path), "--protocol",
                       str(PROTOCOLS / "examplinib_ovarian.yaml"))
    assert code == 1 and "schedule.C9D9: 'C9D9' is not a visit of protocol DEMO-2026-001" in err


def test_validate_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "forms", "validate", str(tmp_path / "none.forms.yaml"))
    assert code == 1 and "does not exist" in err
