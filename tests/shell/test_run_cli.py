"""``oncotrial run`` (what ``make run`` does) on a fresh database and again on the same one."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.cli.run import DEMO_ACCOUNTS
from oncotrial.services import Database, authenticate
from oncotrial.store.migrate import head_revision


def test_run_sets_up_accounts_and_the_demo_trial_then_finds_them_again(tmp_path: Path) -> None:
    """A fresh database gets its schema and views, an administrator and one account per role
    with one-time passwords printed once, and the demo trial (the synthetic cohort of the
    protocol's 22 patients, dated up to today); a second run keeps them and prints no
    password."""
    file = tmp_path / "var" / "trial.db"
    env = {"COLUMNS": "200", "ONCOTRIAL_DATABASE_URL": f"sqlite:///{file}"}
    first = CliRunner().invoke(build_app(), ["run", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    assert f"at schema revision {head_revision()}" in first.output
    assert "hash chain intact" in first.output
    passwords = dict(re.findall(r"│ (\w+)\s+│ \w+\s+│ (\S+)\s+│", first.output))
    assert set(passwords) == set(DEMO_ACCOUNTS)
    found = re.search(r"Demo trial: (\d+) patients screened \((\d+) not enrolled\), 22 "
                      r"enrolled and followed through the forms", first.output)
    assert found, first.output
    screened, failed = int(found.group(1)), int(found.group(2))
    assert screened == 22 + failed and failed >= 1

    db = Database.from_url(f"sqlite:///{file}")
    login = authenticate(db, "coordinator", passwords["coordinator"])
    assert login.password_expired  # a one-time password is changed at the first log-in
    db.dispose()
    with sqlite3.connect(file) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        enrolled = connection.execute(
            "SELECT count(*) FROM subject WHERE subject_id LIKE 'HCH-%'").fetchone()[0]
        screen_failed = connection.execute(
            "SELECT count(*) FROM subject WHERE status = 'screen_failed'").fetchone()[0]
        last_enrolled = connection.execute("SELECT max(enrolled_on) FROM subject").fetchone()[0]
    assert {"subject", "item_value", "audit_log", "v_haematology", "vp_haematology"} <= names
    assert enrolled == 22
    assert screen_failed == failed
    assert str(last_enrolled) <= dt.date.today().isoformat()  # the demo is dated up to today

    second = CliRunner().invoke(build_app(), ["run", "--no-serve"], env=env)
    assert second.exit_code == 0, second.output
    assert "has accounts already" in second.output and "has subjects already" in second.output
    assert passwords["admin"] not in second.output
