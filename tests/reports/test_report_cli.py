"""``oncotrial report [--data DIR] [--cutoff DATE] --out DIR [--pdf]`` through Typer's
CliRunner, on the small study written in the exchange format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from reportkit import CUTOFF
from typer.testing import CliRunner

from oncotrial.cli import build_app, main
from oncotrial.cli.report import latest_date
from oncotrial.study import StudyData, dump_study, files_digest

runner = CliRunner()


@pytest.fixture
def folder(study: StudyData, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name, text in dump_study(study).items():
        (data / name).write_text(text, encoding="utf-8")
    return data


def test_report_from_an_exchange_folder(folder: Path, tmp_path: Path) -> None:
    """report.html and the listings are written; the page names the files' digest."""
    out = tmp_path / "out"
    result = runner.invoke(build_app(), ["report", "--data", str(folder), "--cutoff",
                                         CUTOFF.isoformat(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}
    assert f"exchange format, {files_digest(files)}" in html
    assert "Data cut-off" in html and CUTOFF.isoformat() in html
    assert (out / "listings" / "listing_efficacy.csv").exists()
    assert not (out / "report.pdf").exists()
    assert str(out / "report.html") in result.stdout


@pytest.mark.slow
def test_report_with_pdf_and_the_default_cut_off(folder: Path, tmp_path: Path,
                                                  study: StudyData) -> None:
    """Without --cutoff the latest date in the data is the cut-off, and the output says so."""
    out = tmp_path / "out"
    result = runner.invoke(build_app(), ["report", "--data", str(folder), "--out", str(out),
                                         "--pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    said = " ".join(result.output.split())
    assert "the latest date in the data" in said
    assert f"data cut-off {latest_date(study).isoformat()}" in said


def test_latest_date_reads_every_domain(study: StudyData) -> None:
    """The bundled example's last record is S11's PD scan of 2026-11-16."""
    assert latest_date(study) == date(2026, 11, 16)


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "missing-folder"], "is not a folder"),
    (["--cutoff", "31/10/2026"], "ISO 8601"),
])
def test_mistakes_are_explained(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                args: list[str], message: str) -> None:
    argv = ["report", "--out", str(tmp_path / "out"), *args]
    if "--data" not in args:
        argv += ["--data", str(folder)]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_database_needs_a_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "--user" in capsys.readouterr().err


@pytest.mark.slow
def test_report_from_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --data the command reads ONCOTRIAL_DATABASE_URL through export_study as the
    logged-in user (password from ONCOTRIAL_PASSWORD); the page names the database and its
    audit trail head."""
    import datetime as dt

    from argon2 import PasswordHasher
    from storekit import PASSWORD, make_staff

    import oncotrial.services.access
    from oncotrial.services import Database, load_study, load_trial
    from oncotrial.store.migrate import upgrade
    from oncotrial.synth import SynthParams, generate_study

    monkeypatch.setattr(oncotrial.services.access, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    db = Database.from_url(url)
    try:
        upgrade(db.engine)
        staff = make_staff(db)
        ctx = load_trial()
        study = generate_study(SynthParams(n_enrolled=3), 7, ctx=ctx)
        load_study(db, ctx, study, nurse=staff["nurse"], investigator=staff["drli"],
                   today=dt.date(2026, 12, 1), site="HCH")
    finally:
        db.dispose()
    monkeypatch.setenv("ONCOTRIAL_DATABASE_URL", url)
    monkeypatch.setenv("ONCOTRIAL_PASSWORD", PASSWORD)
    out = tmp_path / "out"
    result = runner.invoke(build_app(), ["report", "--user", "dm", "--cutoff", "2026-10-31",
                                         "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "audit trail head" in html
    assert "Patients screened" in html
