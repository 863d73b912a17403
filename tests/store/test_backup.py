"""Backup, restore and the audit CSV (oncotrial.store.backup).

R-2: the archive is a zip of JSON lines and a manifest, readable without the application, and
it restores on either back end. R-3: restore drills: a copy restores with equal rows, equal
audit hash and a passing audit verification, from SQLite into PostgreSQL and back; a damaged or
edited archive fails the restore and leaves nothing behind. AT-7: the trail exports as CSV with
readable headings. Runs on SQLite and on PostgreSQL (tests/store/conftest.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from oncotrial.errors import InputError
from oncotrial.services.database import Database
from oncotrial.services.users import add_site, authenticate, create_user
from oncotrial.store.audit import verify
from oncotrial.store.backup import (
    AUDIT_CSV_COLUMNS,
    FORMAT_VERSION,
    BackupError,
    backup,
    export_audit_csv,
    read_manifest,
    restore,
    snapshot,
)
from oncotrial.store.db import make_engine
from oncotrial.store.migrate import head_revision, upgrade
from oncotrial.store.models import (
    DerivedCache,
    FormInstance,
    ItemValue,
    Query,
    Subject,
    SubjectIdentity,
    Visit,
)

PG_URL = os.environ.get("ONCOTRIAL_TEST_DATABASE_URL", "")
PASSWORD = "correct horse 42 battery"
needs_pg = pytest.mark.skipif(not PG_URL, reason="the SQLite <-> PostgreSQL drill needs "
                              "ONCOTRIAL_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@"
                              "127.0.0.1:5432/test)")


def _pg_schema_url(name: str) -> str:
    """A fresh schema of the PostgreSQL test database, private to this process."""
    schema = f"oncotrial_backup_{name}_{os.getpid()}"
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


def _empty_like(db: Database, tmp_path: Path, name: str) -> Database:
    """A new, empty database on the same back end as ``db``."""
    if db.engine.dialect.name == "sqlite":
        return Database.from_url(f"sqlite:///{tmp_path / name}.db")
    return Database.from_url(_pg_schema_url(name))


def _fill(db: Database) -> None:
    """Accounts, a subject with identity, a visit, a lab form, a query and a cached result."""
    add_site(db, None, "HCH", "Hepatobiliary Centre")
    create_user(db, None, "admin", "Ada Admin", PASSWORD, {"administrator": None})
    authenticate(db, "admin", PASSWORD)
    with db.transaction(None, reason="test data") as session:
        subject = Subject(site_id=1, screening_number="S-001", subject_id="HCH-001",
                          pseudonym="P-00C0FFEE", status="enrolled", subject_ref="S-001",
                          consented_on=date(2026, 3, 1), casebook_locked=False)
        session.add(subject)
        session.flush()
        session.add(SubjectIdentity(subject_pk=subject.id, full_name="王小明", initials="WXM",
                                    birth_date=date(1960, 5, 4), hospital_number="H123",
                                    phone="", subject_ref="S-001"))
        visit = Visit(subject_pk=subject.id, code="SCR", occurrence=1,
                      actual_on=date(2026, 3, 2), status="done", subject_ref="S-001",
                      visit_ref="SCR")
        session.add(visit)
        session.flush()
        form = FormInstance(subject_pk=subject.id, visit_pk=visit.id, form_id="haematology",
                            form_version="1.0", status="complete", locked=False,
                            saved_at=datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=UTC),
                            saved_by="admin", content_hash="ab" * 32, subject_ref="S-001",
                            visit_ref="SCR", form_ref="haematology")
        session.add(form)
        session.flush()
        session.add(ItemValue(form_instance_id=form.id, item_id="anc", value="2.10",
                              unit="10^9/L", lln=1.8, uln=7.5, subject_ref="S-001",
                              visit_ref="SCR", form_ref="haematology", item_ref="anc"))
        session.add(Query(subject_pk=subject.id, form_instance_id=form.id, item_id="anc",
                          origin="manual", status="open", text="Please check the unit.",
                          raised_by="admin", raised_at=datetime(2026, 3, 3, tzinfo=UTC),
                          subject_ref="S-001", visit_ref="SCR", form_ref="haematology",
                          item_ref="anc"))
        session.add(DerivedCache(subject_pk=subject.id, kind="eligibility", inputs_hash="c" * 64,
                                 software_version="0.1.0",
                                 result={"status": "eligible", "criteria": [1, 2.5, None]}))


def _dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, with times as UTC, to compare two databases."""
    out: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            if name == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{name}" ORDER BY 1')).mappings()
            out[name] = [{k: _comparable(v) for k, v in r.items()} for r in rows]
    return out


def _comparable(value: object) -> object:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return datetime.fromisoformat(value).replace(tzinfo=UTC)  # SQLite DATETIME text
    if isinstance(value, str) and value.startswith("{"):
        return json.loads(value)  # JSON column read as text on SQLite
    if isinstance(value, bool):
        return int(value)
    return value


@pytest.fixture
def filled(db: Database) -> Database:
    _fill(db)
    return db


def _audit_state(db: Database) -> tuple[int, str]:
    with db.engine.connect() as conn:
        rows, problem = verify(conn)
        last = conn.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    assert problem is None
    return rows, str(last)


def test_r2_archive_is_plain_json_lines_with_a_manifest(filled: Database,
                                                         tmp_path: Path) -> None:
    """R-2: the archive does not depend on the app: a zip of JSON lines and a manifest."""
    rows_before, hash_before = _audit_state(filled)
    archive = tmp_path / "trial.zip"
    manifest = backup(filled.engine, archive)
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.schema_revision == head_revision()
    assert manifest.created_at.endswith("+00:00")
    assert (manifest.audit_rows, manifest.audit_last_hash) == (rows_before, hash_before)
    assert manifest.audit_problem is None
    with zipfile.ZipFile(archive) as zf:
        data = json.loads(zf.read("manifest.json"))
        assert data["audit"]["rows"] == rows_before
        for name, info in data["tables"].items():
            lines = zf.read(f"tables/{name}.jsonl").decode("utf-8").splitlines()
            assert len(lines) == info["rows"]
            assert all(set(json.loads(line)) == set(info["columns"]) for line in lines)
        identity = json.loads(zf.read("tables/subject_identity.jsonl").decode("utf-8"))
    assert identity["full_name"] == "王小明" and identity["birth_date"] == "1960-05-04"
    assert read_manifest(archive) == manifest
    # The backup itself is recorded in the trail (after the copy).
    with filled.engine.connect() as conn:
        action = conn.execute(text("SELECT action FROM audit_log ORDER BY id DESC")).scalar()
    assert action == "backup"


def test_r3_restore_gives_the_same_rows_and_audit_hash(filled: Database,
                                                       tmp_path: Path) -> None:
    """R-3: a restore drill on the same back end: equal rows, equal hash chain."""
    archive = tmp_path / "trial.zip"
    manifest = backup(filled.engine, archive)
    source = _dump(filled)
    target = _empty_like(filled, tmp_path, "copy")
    try:
        restored = restore(target.engine, archive)
        assert restored == manifest
        copy = _dump(target)
        for name, rows in source.items():
            if name != "audit_log":
                assert copy[name] == rows, name
        # The trail is copied verbatim, then the restore itself is appended.
        assert copy["audit_log"][:manifest.audit_rows] == source["audit_log"][
            :manifest.audit_rows]
        assert [r["action"] for r in copy["audit_log"][manifest.audit_rows:]] == ["restore"]
        rows, _ = _audit_state(target)
        assert rows == manifest.audit_rows + 1
        # Ids continue after the restored ones (PostgreSQL sequences were reset).
        assert add_site(target, None, "PUMCH", "Second site") == 2
        assert authenticate(target, "admin", PASSWORD).actor.username == "admin"
    finally:
        target.dispose()


@needs_pg
def test_r3_sqlite_to_postgresql_and_back(tmp_path: Path) -> None:
    """R-3: the drill across back ends: SQLite -> PostgreSQL -> SQLite keeps every row, and
    the audit chain verifies with the same hashes on both."""
    sqlite = Database.from_url(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade(sqlite.engine)
    _fill(sqlite)
    postgres = Database.from_url(_pg_schema_url("pg"))
    back = Database.from_url(f"sqlite:///{tmp_path / 'back.db'}")
    try:
        first = backup(sqlite.engine, tmp_path / "from_sqlite.zip")
        source = _dump(sqlite)
        restore(postgres.engine, tmp_path / "from_sqlite.zip")
        assert _audit_state(postgres)[0] == first.audit_rows + 1
        second = backup(postgres.engine, tmp_path / "from_postgres.zip")
        assert second.tables.keys() == first.tables.keys()
        assert all(second.tables[n].rows == first.tables[n].rows for n in first.tables
                   if n != "audit_log")
        restore(back.engine, tmp_path / "from_postgres.zip")
        copy = _dump(back)
        for name, rows in source.items():
            if name != "audit_log":
                assert copy[name] == rows, name
        assert copy["audit_log"][:first.audit_rows] == source["audit_log"][:first.audit_rows]
        rows, _ = _audit_state(back)
        assert rows == second.audit_rows + 1
        with back.engine.connect() as conn:
            at_second = conn.execute(text("SELECT hash FROM audit_log WHERE id = :n"),
                                     {"n": second.audit_rows}).scalar()
        assert at_second == second.audit_last_hash
    finally:
        for database in (sqlite, postgres, back):
            database.dispose()


def _rewrite(archive: Path, out: Path, table: str, edit: Any, fix_checksum: bool,
             manifest_edit: Any = None) -> None:
    """Copy an archive, editing one table's lines (and, if asked, its checksum)."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == f"tables/{table}.jsonl":
                lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
                edit(lines)
                data = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":"))
                               + "\n" for line in lines).encode("utf-8")
                if fix_checksum:
                    manifest["tables"][table]["sha256"] = hashlib.sha256(data).hexdigest()
            if info.filename != "manifest.json":
                dst.writestr(info.filename, data)
        if manifest_edit is not None:
            manifest_edit(manifest)
        dst.writestr("manifest.json", json.dumps(manifest))


def _assert_left_empty(db: Database) -> None:
    with db.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        assert all(not conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()
                   for n in names if n != "alembic_version")


def _forge(lines: list[dict[str, Any]]) -> None:
    lines[1]["new_value"] = lines[1]["new_value"].replace("Ada Admin", "Eve Forger")


def test_r3_edited_audit_row_fails_the_restore(filled: Database, tmp_path: Path) -> None:
    """R-3 / AT-4: an audit row edited in the archive (checksum made to match) fails the
    verification after loading; nothing is kept."""
    archive = tmp_path / "trial.zip"
    backup(filled.engine, archive)
    forged = tmp_path / "forged.zip"
    _rewrite(archive, forged, "audit_log", _forge, fix_checksum=True)
    target = _empty_like(filled, tmp_path, "forged")
    try:
        with pytest.raises(BackupError, match=r"fails verification at row 2 \(audit.row_altered"):
            restore(target.engine, forged)
        _assert_left_empty(target)
    finally:
        target.dispose()


def test_r3_edited_table_file_fails_its_checksum(filled: Database, tmp_path: Path) -> None:
    """R-3: a data row edited in the archive without updating the manifest is caught."""
    archive = tmp_path / "trial.zip"
    backup(filled.engine, archive)
    edited = tmp_path / "edited.zip"

    def edit(lines: list[dict[str, Any]]) -> None:
        lines[0]["value"] = "9.99"

    _rewrite(archive, edited, "item_value", edit, fix_checksum=False)
    target = _empty_like(filled, tmp_path, "edited")
    try:
        with pytest.raises(BackupError, match="item_value does not match its checksum"):
            restore(target.engine, edited)
        _assert_left_empty(target)
    finally:
        target.dispose()


@pytest.mark.parametrize("what", ["audit_rows", "last_hash", "table_rows"])
def test_r3_manifest_that_disagrees_with_the_data_fails(filled: Database, tmp_path: Path,
                                                        what: str) -> None:
    """R-3: the restored counts and last hash are compared with the manifest."""
    archive = tmp_path / "trial.zip"
    backup(filled.engine, archive)

    def edit_manifest(manifest: dict[str, Any]) -> None:
        if what == "audit_rows":
            manifest["audit"]["rows"] += 1
        elif what == "last_hash":
            manifest["audit"]["last_hash"] = "0" * 64
        else:
            manifest["tables"]["site"]["rows"] = 5

    bad = tmp_path / "bad.zip"
    _rewrite(archive, bad, "site", lambda lines: None, fix_checksum=False,
             manifest_edit=edit_manifest)
    target = _empty_like(filled, tmp_path, "bad")
    try:
        with pytest.raises(BackupError, match="Nothing was restored"):
            restore(target.engine, bad)
        _assert_left_empty(target)
    finally:
        target.dispose()


def test_restore_refuses_a_database_with_records(filled: Database, tmp_path: Path) -> None:
    archive = tmp_path / "trial.zip"
    backup(filled.engine, archive)
    before = _dump(filled)
    with pytest.raises(BackupError, match="not empty") as caught:
        restore(filled.engine, archive)
    assert "new, empty database" in str(caught.value)
    assert _dump(filled) == before


def test_restore_into_a_migrated_empty_database(filled: Database, tmp_path: Path) -> None:
    """An empty database that already has the schema ('oncotrial db upgrade') is accepted."""
    archive = tmp_path / "trial.zip"
    manifest = backup(filled.engine, archive)
    target = _empty_like(filled, tmp_path, "migrated")
    try:
        upgrade(target.engine)
        restore(target.engine, archive)
        assert _audit_state(target)[0] == manifest.audit_rows + 1
    finally:
        target.dispose()


def test_restore_refuses_other_files_and_formats(tmp_path: Path, filled: Database) -> None:
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(BackupError, match="cannot be read as a backup"):
        read_manifest(not_zip)
    archive = tmp_path / "trial.zip"
    backup(filled.engine, archive)
    newer = tmp_path / "newer.zip"
    _rewrite(archive, newer, "site", lambda lines: None, fix_checksum=False,
             manifest_edit=lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(BackupError, match="format version"):
        read_manifest(newer)
    unknown = tmp_path / "unknown.zip"
    _rewrite(archive, unknown, "site", lambda lines: None, fix_checksum=False,
             manifest_edit=lambda m: m.update(schema_revision="9999"))
    target = _empty_like(filled, tmp_path, "unknown")
    try:
        with pytest.raises(BackupError, match="unknown to this software"):
            restore(target.engine, unknown)
    finally:
        target.dispose()


def test_backup_never_overwrites(filled: Database, tmp_path: Path) -> None:
    archive = tmp_path / "trial.zip"
    archive.write_bytes(b"precious")
    with pytest.raises(BackupError, match="exists already"):
        backup(filled.engine, archive)
    assert archive.read_bytes() == b"precious"


def test_snapshot_sees_one_moment_and_does_not_block_writers(filled: Database) -> None:
    """The backup reads in one transaction: a commit made meanwhile is not in the copy, and
    the writer is not kept waiting."""
    count = "SELECT count(*) FROM site"
    with snapshot(filled.engine) as reader:
        before = reader.execute(text(count)).scalar()
        add_site(filled, None, "PUMCH", "Second site")  # commits while the snapshot is open
        assert reader.execute(text(count)).scalar() == before
    with filled.engine.connect() as conn:
        assert conn.execute(text(count)).scalar() == before + 1


def test_at7_audit_export_is_csv_with_readable_headings(filled: Database,
                                                        tmp_path: Path) -> None:
    """AT-7: the trail exports as CSV with field headings, read in batches; the export is
    itself recorded (AT-6)."""
    rows_before, _ = _audit_state(filled)
    out = tmp_path / "audit.csv"
    assert export_audit_csv(filled.engine, out, batch=2) == rows_before
    with out.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert list(table[0]) == [heading for heading, _ in AUDIT_CSV_COLUMNS]
    assert [int(r["Row id"]) for r in table] == list(range(1, rows_before + 1))
    with filled.engine.connect() as conn:
        stored = conn.execute(text("SELECT id, hash, user_id, action FROM audit_log ORDER BY id"
                                   )).all()
    assert [(r["Hash"], r["User ID"], r["Action"]) for r in table] == [
        (h, u, a) for _, h, u, a in stored[:rows_before]]
    last = stored[-1]
    assert len(stored) == rows_before + 1 and last.action == "export"


def test_at7_audit_export_of_one_subject(filled: Database, tmp_path: Path) -> None:
    """AT-7: filtered by subject (its subject id or screening number)."""
    by_id, by_number = tmp_path / "by_id.csv", tmp_path / "by_number.csv"
    count = export_audit_csv(filled.engine, by_id, subject="HCH-001")
    # The first export is itself in the subject's trail, so the second has one row more.
    assert export_audit_csv(filled.engine, by_number, subject="S-001") == count + 1
    with by_id.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert len(table) == count > 0
    assert {r["Subject"] for r in table} == {"S-001"}
    assert {"subject", "subject_identity", "visit", "form_instance", "item_value"} <= {
        r["Table"] for r in table}
    with pytest.raises(InputError, match="no subject"):
        export_audit_csv(filled.engine, tmp_path / "none.csv", subject="HCH-999")
    assert not (tmp_path / "none.csv").exists()
