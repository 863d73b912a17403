"""Copies of the records: a whole-database backup and its restore, and the audit trail as CSV.

**Backup** (:func:`backup`) writes one zip archive that any later version, on either back end,
can read without the running application (R-2: an archive format that does not depend on the
app): ``manifest.json`` and one JSON-lines file per table (``tables/<table>.jsonl``, one row
per line, columns by name). The manifest gives the format version, the schema revision, the
software version, the time of the copy (UTC), the row count and SHA-256 of every table file,
and the audit trail's row count and last hash. Every table is read inside one transaction, so
the copy is consistent: on SQLite a read transaction (WAL lets writers go on meanwhile), on
PostgreSQL ``REPEATABLE READ, READ ONLY``.

**Restore** (:func:`restore`) goes into an empty database only. In one transaction it migrates
the database to the archive's schema revision, inserts the rows table by table in foreign-key
order with the data triggers skipped (the audit rows are copied verbatim, so the hash chain
carries over), resets PostgreSQL's id sequences, then verifies the whole audit chain and
compares its row count, its last hash and every table's row count with the manifest. Any
difference fails the restore and nothing is kept. A successful restore appends one ``restore``
event to the trail. A backup made on SQLite restores into PostgreSQL and back (R-3: restore
drills on both back ends).

**Audit export** (:func:`export_audit_csv`) writes the trail, or one subject's part of it, as
CSV with readable column headings (AT-7), reading it in batches so that a long trail never sits
in memory, and appends an ``export`` event to the trail.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from oncotrial import __version__
from oncotrial.errors import InputError, OncotrialError
from oncotrial.store.audit import append_event, set_context, verify
from oncotrial.store.migrate import alembic_config

__all__ = [
    "AUDIT_CSV_COLUMNS",
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "Manifest",
    "TableInfo",
    "backup",
    "export_audit_csv",
    "operator_context",
    "read_manifest",
    "restore",
    "snapshot",
]

#: Name of the archive format, written in every manifest.
FORMAT: Final = "oncotrial-backup"
#: Version of the archive layout; :func:`restore` refuses versions it does not know.
FORMAT_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.json"
_TABLE_DIR = "tables/"
_SKIPPED_TABLES = frozenset({"alembic_version"})
_BATCH = 2000

#: Column headings of the audit CSV and the ``audit_log`` column under each (AT-7).
AUDIT_CSV_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("When (UTC)", "at"), ("User ID", "user_id"), ("User name", "user_name"),
    ("Action", "action"), ("Table", "table_name"), ("Subject", "subject_ref"),
    ("Visit", "visit_ref"), ("Form", "form_ref"), ("Item", "item_ref"),
    ("Old value", "old_value"), ("New value", "new_value"), ("Reason", "reason"),
    ("Software version", "software_version"), ("Row id", "id"), ("Hash", "hash"),
)
_ID_POSITION = [column for _, column in AUDIT_CSV_COLUMNS].index("id")


class BackupError(OncotrialError):
    """A backup or restore cannot go ahead, or its result does not match the archive.

    A failed restore keeps nothing: the database is as it was before.
    """


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One table of an archive: its columns, row count and the SHA-256 of its file."""

    rows: int
    sha256: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an archive holds (``manifest.json``)."""

    schema_revision: str
    software_version: str
    created_at: str
    backend: str
    tables: dict[str, TableInfo]
    audit_rows: int
    audit_last_hash: str
    audit_problem: str | None = None
    format_version: int = FORMAT_VERSION
    table_order: tuple[str, ...] = field(default=())

    @property
    def total_rows(self) -> int:
        """Rows in all tables together."""
        return sum(info.rows for info in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return {
            "format": FORMAT, "format_version": self.format_version,
            "schema_revision": self.schema_revision,
            "software_version": self.software_version, "created_at": self.created_at,
            "backend": self.backend, "table_order": list(self.table_order),
            "tables": {name: {"rows": t.rows, "sha256": t.sha256, "columns": list(t.columns)}
                       for name, t in self.tables.items()},
            "audit": {"rows": self.audit_rows, "last_hash": self.audit_last_hash,
                      "problem": self.audit_problem},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Manifest:
        """Read a manifest, refusing another format or a newer format version."""
        if data.get("format") != FORMAT:
            raise BackupError(f"{source} is not an oncotrial backup (no {FORMAT} manifest).",
                              hint="Give the .zip file written by 'oncotrial backup'.")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise BackupError(
                f"{source} has backup format version {version}; this software reads version "
                f"{FORMAT_VERSION}.", hint="Restore it with the oncotrial version that made it: "
                f"{data.get('software_version', 'unknown')}.")
        try:
            tables = {name: TableInfo(int(t["rows"]), str(t["sha256"]), tuple(t["columns"]))
                      for name, t in data["tables"].items()}
            audit = data["audit"]
            return cls(schema_revision=str(data["schema_revision"]),
                       software_version=str(data["software_version"]),
                       created_at=str(data["created_at"]), backend=str(data["backend"]),
                       tables=tables, audit_rows=int(audit["rows"]),
                       audit_last_hash=str(audit["last_hash"]),
                       audit_problem=audit.get("problem"),
                       table_order=tuple(data.get("table_order", tables)))
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"The manifest of {source} is incomplete or damaged ({exc}).",
                              hint="Use another backup.") from exc


# --------------------------------------------------------------------------- snapshots


def _sqlite_reader(engine: Engine) -> Engine:
    """A second engine on the same SQLite file whose transactions are plain (deferred) reads.

    The application's engine begins every transaction with ``BEGIN IMMEDIATE`` (the write
    lock); a backup or a verification must not stop data entry, and in WAL mode a deferred
    read transaction sees one consistent snapshot while writers carry on.
    """
    reader = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(reader, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return reader


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection inside one transaction: every query sees the same moment.

    SQLite: a deferred read transaction on a separate connection (writers are not blocked).
    PostgreSQL: ``REPEATABLE READ`` and ``READ ONLY``.
    """
    if engine.dialect.name == "sqlite":
        reader = _sqlite_reader(engine)
        try:
            with reader.begin() as connection:
                yield connection
        finally:
            reader.dispose()
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ",
                                     postgresql_readonly=True)
        with connection.begin():
            yield connection


# --------------------------------------------------------------------------- encoding


def _encode(value: object) -> object:
    """A column value as JSON: times in UTC ISO 8601, dates ISO, decimals as text."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        raise BackupError("A binary column cannot be written to the archive.")
    return value


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """How to turn an archived value back into what the column's type expects."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return _same
    if python_type is datetime:
        aware = bool(getattr(column.type, "timezone", False))
        return lambda v: None if v is None else _parse_datetime(v, aware)
    if python_type is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if python_type is Decimal:
        return lambda v: None if v is None else Decimal(str(v))
    return _same


def _same(value: Any) -> Any:
    return value


def _parse_datetime(value: str, aware: bool) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment if aware else moment.replace(tzinfo=None)


# --------------------------------------------------------------------------- backup


def _data_tables(connection: Connection) -> list[Table]:
    """The database's own tables (reflected, so any schema revision), parents first."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name not in _SKIPPED_TABLES]


def _dump_table(connection: Connection, tbl: Table, archive: zipfile.ZipFile,
                batch: int) -> tuple[TableInfo, str]:
    """Write one table as JSON lines; return its info and the last row's ``hash`` (if any)."""
    digest, count, last_hash = hashlib.sha256(), 0, ""
    order = list(tbl.primary_key.columns) or list(tbl.columns)
    statement = select(tbl).order_by(*order).execution_options(yield_per=batch)
    with archive.open(f"{_TABLE_DIR}{tbl.name}.jsonl", "w", force_zip64=True) as out:
        for row in connection.execute(statement).mappings():
            record = {key: _encode(value) for key, value in row.items()}
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            data = line.encode("utf-8")
            out.write(data)
            digest.update(data)
            count += 1
            last_hash = str(row.get("hash", ""))
    return TableInfo(count, digest.hexdigest(), tuple(c.name for c in tbl.columns)), last_hash


def _write_archive(connection: Connection, path: Path, software_version: str,
                   batch: int) -> Manifest:
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise BackupError("The database has no schema yet; there is nothing to back up.",
                          hint="Check --database-url / ONCOTRIAL_DATABASE_URL.")
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, TableInfo] = {}
    last_hash = ""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for tbl in _data_tables(connection):
            tables[tbl.name], table_last = _dump_table(connection, tbl, archive, batch)
            if tbl.name == "audit_log":
                last_hash = table_last
        _, problem = verify(connection)
        audit = tables.get("audit_log", TableInfo(0, "", ()))
        manifest = Manifest(
            schema_revision=revision, software_version=software_version,
            created_at=created_at, backend=connection.dialect.name, tables=tables,
            audit_rows=audit.rows, audit_last_hash=last_hash,
            audit_problem=None if problem is None else
            f"row {problem.row_id} ({problem.code}): {problem.reason}",
            table_order=tuple(tables))
        archive.writestr(MANIFEST_NAME, json.dumps(manifest.as_dict(), indent=2,
                                                   ensure_ascii=False))
    return manifest


def backup(engine: Engine, out: Path, *, software_version: str = __version__,
           batch: int = _BATCH) -> Manifest:
    """Write a consistent copy of the whole database to the zip archive ``out``.

    The file appears only when complete (written beside it, then renamed). The manifest's
    ``audit_problem`` is set when the trail failed verification at the time of the copy.
    Afterwards one ``backup`` event is appended to the trail (a copy of every record is an
    export, AT-6); the archive holds the trail up to just before it.

    Raises:
        BackupError: ``out`` exists already, or the database has no schema.
    """
    if out.exists():
        raise BackupError(f"{out} exists already; a backup never overwrites a file.",
                          field="out", value=str(out), hint="Choose a new file name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with snapshot(engine) as connection:
            manifest = _write_archive(connection, partial, software_version, batch)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    with engine.begin() as connection:
        operator_context(connection, "backup", software_version)
        append_event(connection, "backup", new=(
            f"{out.name}: schema {manifest.schema_revision}, {manifest.total_rows} rows, "
            f"{manifest.audit_rows} audit rows up to hash {manifest.audit_last_hash[:12]}"))
    return manifest


# --------------------------------------------------------------------------- restore


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive at ``path``.

    Raises:
        BackupError: the file is missing, not a zip archive, or not an oncotrial backup.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return _manifest_of(archive, str(path))
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} cannot be read as a backup archive ({exc}).",
                          hint="Give the .zip file written by 'oncotrial backup'.") from exc


def _manifest_of(archive: zipfile.ZipFile, source: str) -> Manifest:
    try:
        data = json.loads(archive.read(MANIFEST_NAME))
    except KeyError:
        raise BackupError(f"{source} has no {MANIFEST_NAME}; it is not an oncotrial backup.",
                          hint="Give the .zip file written by 'oncotrial backup'.") from None
    except ValueError as exc:
        raise BackupError(f"The manifest of {source} is not valid JSON ({exc}).",
                          hint="Use another backup.") from exc
    if not isinstance(data, dict):
        raise BackupError(f"The manifest of {source} is not a JSON object.",
                          hint="Use another backup.")
    return Manifest.from_dict(data, source)


def _count(connection: Connection, name: str) -> int:
    return int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())


def _require_empty(connection: Connection) -> None:
    names = [n for n in inspect(connection).get_table_names() if n not in _SKIPPED_TABLES]
    filled = [n for n in names if _count(connection, n)]
    if filled:
        raise BackupError(
            f"The database is not empty ({', '.join(sorted(filled))} hold rows); a restore "
            "never mixes an archive with existing records.",
            hint="Restore into a new, empty database: a new SQLite file, or a new PostgreSQL "
                 "database (createdb), then point --database-url at it.")


def _migrate_to(connection: Connection, revision: str) -> None:
    """Bring the empty database to the archive's schema revision (never downwards)."""
    script = ScriptDirectory.from_config(alembic_config())
    try:
        ancestry = {r.revision for r in script.walk_revisions(base="base", head=revision)}
    except Exception as exc:  # alembic raises several types for an unknown revision
        raise BackupError(
            f"The archive's schema revision {revision!r} is unknown to this software.",
            hint="Restore it with the oncotrial version that made it, or a newer one.") from exc
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in ancestry:
        raise BackupError(
            f"The empty database is at schema revision {current}, newer than the archive's "
            f"{revision}; a restore does not migrate downwards.",
            hint="Restore into a new database without a schema.")
    command.upgrade(alembic_config(connection), revision)


def _skip_triggers(connection: Connection) -> None:
    """Switch the data triggers off for this transaction only (the archive has their rows)."""
    if connection.dialect.name == "sqlite":
        set_context(connection, restoring="1")
        return
    try:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError as exc:
        raise BackupError(
            "Restoring into PostgreSQL needs a role that may set session_replication_role "
            "(a superuser), so that the rows go in without firing the audit triggers.",
            hint="Run the restore as the database's superuser (e.g. postgres).") from exc


def _resume_triggers(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        set_context(connection, restoring=None)
    else:
        connection.exec_driver_sql("SET LOCAL session_replication_role = origin")


def _target_tables(connection: Connection, manifest: Manifest) -> list[Table]:
    tables = _data_tables(connection)
    names = {t.name for t in tables}
    if names != set(manifest.tables):
        extra = sorted(set(manifest.tables) - names)
        missing = sorted(names - set(manifest.tables))
        raise BackupError(
            f"The archive's tables do not match schema revision {manifest.schema_revision} "
            f"(only in the archive: {extra or 'none'}; missing from it: {missing or 'none'}).",
            hint="The archive is damaged or was edited; use another backup.")
    for tbl in tables:
        if set(manifest.tables[tbl.name].columns) != {c.name for c in tbl.columns}:
            raise BackupError(
                f"The archive's columns of {tbl.name} do not match schema revision "
                f"{manifest.schema_revision}.", hint="Use another backup.")
    return tables


def _load_table(connection: Connection, archive: zipfile.ZipFile, tbl: Table,
                expected: TableInfo, batch: int) -> None:
    decoders = {c.name: _decoder(c) for c in tbl.columns}
    digest, rows = hashlib.sha256(), list[dict[str, Any]]()
    statement = insert(tbl)
    with archive.open(f"{_TABLE_DIR}{tbl.name}.jsonl") as lines:
        for line in lines:
            digest.update(line)
            record = json.loads(line)
            rows.append({name: decoders[name](record.get(name)) for name in decoders})
            if len(rows) >= batch:
                connection.execute(statement, rows)
                rows = []
    if rows:
        connection.execute(statement, rows)
    if digest.hexdigest() != expected.sha256:
        raise BackupError(
            f"The archive's file of table {tbl.name} does not match its checksum in the "
            "manifest: the archive was damaged or edited.", hint="Use another backup.")


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: let each id sequence continue after the highest restored id."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for tbl in tables:
        keys = list(tbl.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": quote(tbl.name), "c": keys[0].name}).scalar()
        if sequence:
            connection.execute(text(
                f"SELECT setval(:s, coalesce((SELECT max({quote(keys[0].name)}) FROM "
                f"{quote(tbl.name)}), 0) + 1, false)"), {"s": sequence})


def _check_restored(connection: Connection, manifest: Manifest) -> None:
    """Verify the chain, then compare its count, its last hash and every table with the
    manifest; any difference fails the restore."""
    rows, problem = verify(connection)
    if problem is not None:
        raise BackupError(
            f"The restored audit trail fails verification at row {problem.row_id} "
            f"({problem.code}): {problem.reason}. Nothing was restored.",
            hint="The archive was altered or damaged; restore another backup.")
    last = connection.execute(text(
        "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar() or ""
    if rows != manifest.audit_rows or last != manifest.audit_last_hash:
        raise BackupError(
            f"The restored audit trail ({rows} rows, last hash {last[:12] or 'none'}) differs "
            f"from the manifest ({manifest.audit_rows} rows, last hash "
            f"{manifest.audit_last_hash[:12] or 'none'}). Nothing was restored.",
            hint="The archive was altered or damaged; restore another backup.")
    for name, info in manifest.tables.items():
        found = _count(connection, name)
        if found != info.rows:
            raise BackupError(
                f"Table {name} has {found} rows after the restore; the manifest says "
                f"{info.rows}. Nothing was restored.", hint="Use another backup.")


def operator_context(connection: Connection, reason: str, software_version: str) -> None:
    """Audit context for work done from the command line: the operating-system user."""
    who = getpass.getuser()
    set_context(connection, user_id=f"os:{who}", user_name=f"{who} (command line)",
                reason=reason, version=software_version)


def restore(engine: Engine, path: Path, *, software_version: str = __version__,
            batch: int = _BATCH) -> Manifest:
    """Restore the archive at ``path`` into the empty database of ``engine``, all or nothing.

    Returns the archive's manifest. After the checks pass, one ``restore`` event is appended
    to the trail (by the operating-system user running the command).

    Raises:
        BackupError: the archive is unreadable or damaged, the database is not empty, or the
            restored data do not match the manifest (nothing is kept).
    """
    manifest = read_manifest(path)
    with zipfile.ZipFile(path) as archive, engine.begin() as connection:
        _require_empty(connection)
        _migrate_to(connection, manifest.schema_revision)
        tables = _target_tables(connection, manifest)
        _skip_triggers(connection)
        for tbl in tables:
            _load_table(connection, archive, tbl, manifest.tables[tbl.name], batch)
        _reset_sequences(connection, tables)
        _check_restored(connection, manifest)
        _resume_triggers(connection)
        operator_context(connection, f"restored from backup {path.name}", software_version)
        append_event(connection, "restore", new=(
            f"{path.name}: made {manifest.created_at} on {manifest.backend} by oncotrial "
            f"{manifest.software_version}, schema {manifest.schema_revision}, "
            f"{manifest.total_rows} rows, {manifest.audit_rows} audit rows"))
    return manifest


# --------------------------------------------------------------------------- audit export


def _audit_batches(connection: Connection, subject: str | None, upto: int,
                   batch: int) -> Iterator[list[Any]]:
    columns = ", ".join(column for _, column in AUDIT_CSV_COLUMNS)
    where = "id > :last AND id <= :upto" + (" AND subject_ref = :subject" if subject else "")
    statement = text(f"SELECT {columns} FROM audit_log WHERE {where} ORDER BY id LIMIT :n")
    last = 0
    while True:
        chunk = connection.execute(statement, {"last": last, "upto": upto, "n": batch,
                                               "subject": subject}).all()
        if not chunk:
            return
        yield [list(row) for row in chunk]
        last = int(chunk[-1][_ID_POSITION])


def _write_csv(connection: Connection, out: IO[str], subject: str | None,
               batch: int) -> tuple[int, int]:
    upto = int(connection.execute(text("SELECT coalesce(max(id), 0) FROM audit_log"))
               .scalar_one())
    writer = csv.writer(out)
    writer.writerow([heading for heading, _ in AUDIT_CSV_COLUMNS])
    count = 0
    for rows in _audit_batches(connection, subject, upto, batch):
        writer.writerows(rows)
        count += len(rows)
    return count, upto


def _subject_ref(connection: Connection, subject: str) -> str:
    """The audit reference (the screening number) of a subject named by subject id or
    screening number."""
    ref = connection.execute(text(
        "SELECT subject_ref FROM subject WHERE subject_id = :s OR screening_number = :s"),
        {"s": subject}).scalar()
    if ref is None:
        raise InputError(f"There is no subject {subject!r}.", field="subject", value=subject,
                         hint="Give a subject id (e.g. HCH-001) or a screening number.")
    return str(ref)


def export_audit_csv(engine: Engine, out: Path, *, subject: str | None = None,
                     software_version: str = __version__, batch: int = 5000) -> int:
    """Write the audit trail (or one subject's rows) to ``out`` as CSV; return the row count.

    ``subject`` is a subject id or a screening number; the trail names subjects by screening
    number (``Subject`` column), which stays the same after enrolment. UTF-8 with a byte-order
    mark, so that spreadsheet programs show Chinese text correctly.
    The rows are those present when the export starts (up to the highest id then), in id
    order. Afterwards one ``export`` event naming the file, the subject and the rows is
    appended to the trail (AT-6).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with snapshot(engine) as connection, out.open("w", encoding="utf-8-sig",
                                                      newline="") as stream:
            if subject is not None:
                subject = _subject_ref(connection, subject)
            count, upto = _write_csv(connection, stream, subject, batch)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    with engine.begin() as connection:
        operator_context(connection, "audit trail exported", software_version)
        append_event(connection, "export", table="audit_log", subject_ref=subject or "",
                     new=f"audit trail CSV {out.name}: {count} rows up to id {upto}"
                         + (f" for subject {subject}" if subject else ""))
    return count
