"""``oncotrial demo``: an empty SQLite file becomes a trial with the demo accounts and a
synthetic cohort entered through the services; a database with subjects is refused."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from studykit import hand_made, only_subjects
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.cli import demo as demo_cli
from oncotrial.services import Database
from oncotrial.store.models import AppUser, Subject
from oncotrial.study import StudyData


def _synth_or_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real generator once oncotrial.synth has it; until then the hand-made study of
    tests/support/studykit.py, cut to the requested number of enrolled subjects."""
    real = demo_cli._synth()
    if hasattr(real, "generate_study"):
        return

    def generate_study(params: Any, seed: int, *, ctx: Any = None,
                       progress: Any = None) -> StudyData:
        study = hand_made()
        keep = {s.subject_id for s in study.dataset.subjects[:params.n_enrolled]}
        if progress:
            progress(params.n_enrolled, params.n_enrolled)
        return only_subjects(study, keep)

    fake = types.SimpleNamespace(
        SynthParams=lambda n_enrolled: types.SimpleNamespace(n_enrolled=n_enrolled),
        generate_study=generate_study)
    monkeypatch.setattr(demo_cli, "_synth", lambda: fake)


def test_demo_fills_an_empty_database_and_refuses_a_second_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three enrolled subjects and their screen failures, the demo accounts, a progress bar;
    run again, the command refuses with exit code 1 and says why."""
    _synth_or_stand_in(monkeypatch)
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
