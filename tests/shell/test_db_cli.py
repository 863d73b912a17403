"""The operations commands: `oncotrial db upgrade`, `user add`, `audit verify`, `audit export`,
`backup` and `restore`. Run on SQLite, and on PostgreSQL when ONCOTRIAL_TEST_DATABASE_URL is
set (a schema private to this process)."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner, Result

from oncotrial.cli import build_app
from oncotrial.errors import OncotrialError
from oncotrial.forms import forms_path_for, load_forms
from oncotrial.services.errors import AuthenticationError
from oncotrial.store.db import make_engine
from oncotrial.store.views import view_names

PG_URL = os.environ.get("ONCOTRIAL_TEST_DATABASE_URL", "")
PROTOCOLS = Path(__file__).parents[1] / "protocols"
PASSWORD = "correct horse 42 battery"
OTHER_PASSWORD = "purple otter 77 lantern"


def _pg_schema_url(name: str) -> str:
    schema = f"oncotrial_cli_{name}_{os.getpid()}"
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL CLI tests need "
                       "ONCOTRIAL_TEST_DATABASE_URL")])])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _url(backend: str, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    return _pg_schema_url(name)


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    return _url(backend, tmp_path, "trial")


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(build_app(), list(args), input=input, env=env)


def _password_file(tmp_path: Path, password: str = PASSWORD) -> str:
    path = tmp_path / "password.txt"
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


def _ready(url: str, tmp_path: Path) -> None:
    """An upgraded database with the first administrator and site HCH."""
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    result = invoke("user", "add", "admin", "--name", "Ada Admin", "--role", "administrator",
                    "--site-code", "HCH", "--site-name", "Hepatobiliary Centre",
                    "--password-file", _password_file(tmp_path), "--database-url", url)
    assert result.exit_code == 0, result.output


def _scalar(url: str, sql: str) -> object:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_db_upgrade_migrates_and_makes_the_form_views(url: str) -> None:
    result = invoke("db", "upgrade", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "schema revision" in result.stdout and "v_haematology" in result.stdout
    engine = make_engine(url)
    try:
        views = set(inspect(engine).get_view_names())
        assert {"v_haematology", "vp_haematology", "v_tumour_lesions__lesions"} <= views
        assert "item_value" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    again = invoke("db", "upgrade", "--database-url", url)  # safe to run again
    assert again.exit_code == 0, again.output


def test_db_upgrade_takes_the_database_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    result = invoke("db", "upgrade", env={"ONCOTRIAL_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()


def test_db_upgrade_with_another_protocol_makes_its_views(url: str) -> None:
    """A new trial is a new forms file: its views come without new code."""
    protocol = PROTOCOLS / "examplinib_ovarian.yaml"
    result = invoke("db", "upgrade", "--protocol", str(protocol), "--database-url", url)
    assert result.exit_code == 0, result.output
    forms = load_forms(forms_path_for(protocol))
    engine = make_engine(url)
    try:
        views = set(inspect(engine).get_view_names())
    finally:
        engine.dispose()
    assert views == set(view_names(forms))
    assert forms.protocol in result.stdout


def test_first_administrator_is_made_without_log_in_then_admins_make_accounts(
        url: str, tmp_path: Path) -> None:
    _ready(url, tmp_path)
    assert _scalar(url, "SELECT name FROM site WHERE code = 'HCH'") == "Hepatobiliary Centre"
    # Once an account exists, another needs an administrator.
    refused = invoke("user", "add", "mona", "--name", "Mona Monitor", "--role", "monitor@HCH",
                     "--password-stdin", "--database-url", url, input=OTHER_PASSWORD + "\n")
    assert isinstance(refused.exception, OncotrialError)
    assert "--as" in str(refused.exception)
    made = invoke("user", "add", "mona", "--name", "Mona Monitor", "--role", "monitor@HCH",
                  "--role", "data_manager", "--password-stdin", "--as", "admin",
                  "--database-url", url, input=OTHER_PASSWORD + "\n",
                  env={"ONCOTRIAL_ADMIN_PASSWORD": PASSWORD})
    assert made.exit_code == 0, made.output
    assert "monitor@HCH" in made.stdout
    grants = _scalar(url, "SELECT count(*) FROM role_grant g JOIN app_user u ON u.id = g.user_id "
                          "WHERE u.username = 'mona'")
    assert grants == 2
    # Who made the account is in the trail.
    assert _scalar(url, "SELECT user_id FROM audit_log WHERE table_name = 'app_user' AND "
                        "action = 'insert' ORDER BY id DESC LIMIT 1") == "admin"


def test_admin_password_is_asked_for_and_checked(url: str, tmp_path: Path) -> None:
    _ready(url, tmp_path)
    wrong = invoke("user", "add", "mona", "--name", "Mona Monitor", "--role", "monitor",
                   "--password-file", _password_file(tmp_path, OTHER_PASSWORD), "--as", "admin",
                   "--database-url", url, input="not the password 1\n")
    assert isinstance(wrong.exception, AuthenticationError)
    prompted = invoke("user", "add", "mona", "--name", "Mona Monitor", "--role", "monitor",
                      "--password-file", _password_file(tmp_path, OTHER_PASSWORD), "--as",
                      "admin", "--database-url", url, input=PASSWORD + "\n")
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.stdout  # the prompt hides the input


def test_first_account_must_be_an_administrator(url: str, tmp_path: Path) -> None:
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    result = invoke("user", "add", "mona", "--name", "Mona Monitor", "--role", "monitor",
                    "--password-file", _password_file(tmp_path), "--database-url", url)
    assert isinstance(result.exception, OncotrialError)
    assert "administrator" in str(result.exception)
    assert _scalar(url, "SELECT count(*) FROM app_user") == 0


def test_password_is_never_a_command_line_argument(tmp_path: Path) -> None:
    """A password typed on the command line would stay in the shell history and the
    process list, so there is no --password option."""
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    plain = invoke("user", "add", "admin", "--name", "Ada Admin", "--role", "administrator",
                   "--password", PASSWORD, "--database-url", url)
    assert plain.exit_code == 2 and "--password" in plain.output
    neither = invoke("user", "add", "admin", "--name", "Ada Admin", "--role", "administrator",
                     "--database-url", url)
    assert isinstance(neither.exception, OncotrialError)
    assert "--password-file" in str(neither.exception)


def test_weak_password_and_unknown_role_are_refused(url: str, tmp_path: Path) -> None:
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    weak = invoke("user", "add", "admin", "--name", "Ada Admin", "--role", "administrator",
                  "--site-code", "HCH", "--site-name", "Hospital",
                  "--password-file", _password_file(tmp_path, "short1"), "--database-url", url)
    assert isinstance(weak.exception, OncotrialError) and "12" in str(weak.exception)
    assert _scalar(url, "SELECT count(*) FROM site") == 0  # nothing made before the refusal
    role = invoke("user", "add", "admin", "--name", "Ada Admin", "--role", "wizard",
                  "--password-file", _password_file(tmp_path), "--database-url", url)
    assert isinstance(role.exception, OncotrialError) and "wizard" in str(role.exception)


def test_audit_verify_passes_then_names_the_first_altered_row(tmp_path: Path) -> None:
    """AT-4: `audit verify` exits 0 on an intact trail and 1 naming the altered row."""
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    _ready(url, tmp_path)
    intact = invoke("audit", "verify", "--database-url", url)
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.stdout
    # Someone with file access drops the append-only trigger and edits a row.
    raw = sqlite3.connect(tmp_path / "trial.db")
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE id = 2")
    raw.commit()
    raw.close()
    broken = invoke("audit", "verify", "--database-url", url)
    assert broken.exit_code == 1
    assert "row 2" in broken.stderr and "audit.row_altered" in broken.stderr


def test_audit_verify_counts_the_rows_it_checked(url: str, tmp_path: Path) -> None:
    _ready(url, tmp_path)
    result = invoke("audit", "verify", "--database-url", url)
    assert result.exit_code == 0, result.output
    rows = _scalar(url, "SELECT count(*) FROM audit_log")
    assert f"{rows} rows checked" in result.stdout


def test_at7_audit_export_writes_csv_and_records_the_export(url: str, tmp_path: Path) -> None:
    """AT-7 / AT-6: the CSV has readable headings; the export is in the trail."""
    _ready(url, tmp_path)
    rows = _scalar(url, "SELECT count(*) FROM audit_log")
    out = tmp_path / "audit.csv"
    result = invoke("audit", "export", "--out", str(out), "--database-url", url)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert len(table) == rows
    assert {"When (UTC)", "User name", "Old value", "New value", "Reason"} <= set(table[0])
    assert _scalar(url, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "export"


def test_r3_backup_and_restore_commands(backend: str, tmp_path: Path) -> None:
    """R-3: `oncotrial backup` then `oncotrial restore` into an empty database; a second
    restore into the now filled database is refused."""
    source = _url(backend, tmp_path, "source")
    target = _url(backend, tmp_path, "target")
    _ready(source, tmp_path)
    archive = tmp_path / "trial.zip"
    made = invoke("backup", "--out", str(archive), "--database-url", source)
    assert made.exit_code == 0, made.output
    assert archive.exists() and "audit rows" in made.stdout
    again = invoke("backup", "--out", str(archive), "--database-url", source)
    assert isinstance(again.exception, OncotrialError)
    restored = invoke("restore", str(archive), "--database-url", target)
    assert restored.exit_code == 0, restored.output
    assert "audit trail verified" in restored.stdout
    assert invoke("audit", "verify", "--database-url", target).exit_code == 0
    assert _scalar(target, "SELECT username FROM app_user") == "admin"
    refused = invoke("restore", str(archive), "--database-url", target)
    assert isinstance(refused.exception, OncotrialError)
    assert "not empty" in str(refused.exception)
    upgraded = invoke("db", "upgrade", "--database-url", target)  # views after a restore
    assert upgraded.exit_code == 0, upgraded.output


def test_unusable_database_is_a_readable_error(tmp_path: Path) -> None:
    blocked = tmp_path / "no"
    blocked.write_text("a file where a directory should be", encoding="utf-8")
    for url, words in ((f"sqlite:///{blocked}/x.db", "cannot be created"),
                       (f"sqlite:///{tmp_path / 'blank.db'}", "cannot be used"),
                       ("postgresql://nobody@127.0.0.1:1/none", "cannot be used")):
        result = invoke("audit", "verify", "--database-url", url)
        assert isinstance(result.exception, OncotrialError), url
        assert words in str(result.exception) and "ONCOTRIAL_DATABASE_URL" in str(
            result.exception)
