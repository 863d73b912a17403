"""``oncotrial demo``: an empty SQLite file becomes a trial with the demo accounts and a
synthetic cohort entered through the services; a database with subjects is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.services import Database
from oncotrial.store.models import AppUser, Subject


def test_demo_fills_an_empty_database_and_refuses_a_second_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three enrolled subjects and their screen failures, the demo accounts, a progress bar;
    run again, the command refuses with exit code 1 and says why."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("ONCOTRIAL_DATABASE_URL", url)
    runner = CliRunner()
    out = runner.invoke(build_app(), ["demo", "--subjects", "3", "--seed", "7"],
                        terminal_width=160)
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())  # Rich wraps at the terminal's width
    assert "3 enrolled and followed through the forms" in text
    assert "one-time passwords" in text
    db = Database.from_url(url)
    try:
        with db.sessions() as session:
            enrolled = session.scalar(select(func.count()).select_from(Subject).where(
                Subject.subject_id.is_not(None)))
            failed = session.scalar(select(func.count()).select_from(Subject).where(
                Subject.status == "screen_failed"))
            users = set(session.scalars(select(AppUser.username)))
    finally:
        db.dispose()
    assert enrolled == 3 and failed and failed >= 1
    assert {"coordinator", "investigator", "statistician"} <= users
    again = runner.invoke(build_app(), ["demo", "--subjects", "3"], terminal_width=160)
    assert again.exit_code == 1
    said = " ".join(again.output.split())
    assert re.search(r"already has \d+ subjects", said), said
    assert "fills an empty trial database only" in said
