"""The audit trail: database triggers, a hash chain and its verification (shell).

21 CFR 11.10(e) and ICH E6(R3) 4.2.2 ask for a secure, computer-generated, time-stamped trail
of every change that the users cannot switch off or alter. Here the database writes it:

* every audited table (:data:`oncotrial.store.models.AUDITED_TABLES`) has AFTER INSERT, UPDATE
  and DELETE triggers that append one ``audit_log`` row per changed row, whatever wrote it
  (the services, an import, an administrator's SQL session);
* ``audit_log`` itself has triggers that refuse UPDATE and DELETE (and TRUNCATE on
  PostgreSQL), so the trail is append-only;
* each row carries ``hash`` = SHA-256 over the previous row's hash and its own fields
  (:func:`row_hash`), and ids are gapless, so :func:`verify` names the first row that was
  altered, removed or moved;
* the time is the database server's clock in UTC, never the browser's.

Who and why come from the transaction's audit context (:func:`set_context`): the services set
the acting user, the reason for change and the software version before they write. A write with
no context (a direct SQL session) is still audited, as ``db-session`` (SQLite) or
``db:<role>`` (PostgreSQL). On SQLite the triggers call two functions that every connection of
the application registers (:func:`register_sqlite_functions`); a connection without them (the
``sqlite3`` shell) cannot write audited tables at all, which is the safe way to fail.

Written by hand because no maintained library does trigger-based, hash-chained audit on both
SQLite and PostgreSQL: SQLAlchemy-Continuum and similar packages audit through ORM events only,
which a direct SQL session skips (21 CFR 11.10(e) asks for every write path).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, inspect, text

__all__ = [
    "CONTEXT_KEYS",
    "AuditProblem",
    "append_event",
    "install",
    "register_sqlite_functions",
    "row_hash",
    "set_context",
    "verify",
]

#: The audit-context values a transaction may set.
CONTEXT_KEYS = ("user_id", "user_name", "reason", "version", "restoring")

#: Fields of an audit row in hash order (after the previous hash).
HASHED_FIELDS = ("id", "at", "user_id", "user_name", "action", "table_name", "row_key",
                 "subject_ref", "visit_ref", "form_ref", "item_ref", "old_value", "new_value",
                 "reason", "software_version")

_NULL = "<null>"
_SEP = "\x1f"
_REFS = ("subject_ref", "visit_ref", "form_ref", "item_ref")
_SECRET_COLUMNS = frozenset({"password_hash"})


def row_hash(prev_hash: str, *fields: object) -> str:
    """SHA-256 (hex) of the previous hash and the row's fields, in :data:`HASHED_FIELDS` order.

    None is written as ``<null>`` so that a missing value and an empty one differ.

    >>> row_hash("", 1, "2026-01-01T00:00:00.000Z")[:12]
    '2ee61d09430b'
    >>> row_hash("", 1, None) == row_hash("", 1, "")
    False
    """
    parts = [prev_hash, *(_NULL if f is None else str(f) for f in fields)]
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- context


def register_sqlite_functions(dbapi_connection: sqlite3.Connection,
                              context: dict[str, str]) -> None:
    """Give one SQLite connection the functions the audit triggers call.

    ``oncotrial_ctx(name)`` reads the connection's audit context; ``oncotrial_hash(...)``
    computes :func:`row_hash`.
    """
    dbapi_connection.create_function("oncotrial_ctx", 1, context.get, deterministic=False)
    dbapi_connection.create_function(
        "oncotrial_hash", -1, lambda prev, *fields: row_hash(prev, *fields))


def set_context(connection: Connection, **values: str | None) -> None:
    """Set the audit context of the current transaction (user_id, user_name, reason, version).

    On PostgreSQL the values are transaction-local settings (``set_config(..., true)``); on
    SQLite they live with the connection and are cleared at commit and rollback
    (:func:`oncotrial.store.db.make_engine` wires that).
    """
    unknown = set(values) - set(CONTEXT_KEYS)
    if unknown:
        raise ValueError(f"unknown audit context keys: {sorted(unknown)}")
    if connection.dialect.name == "sqlite":
        context: dict[str, str] = connection.info.setdefault("audit_ctx", {})
        for key, value in values.items():
            if value is None:
                context.pop(key, None)
            else:
                context[key] = value
        return
    for key, value in values.items():
        connection.execute(text("SELECT set_config(:k, :v, true)"),
                           {"k": f"oncotrial.{key}", "v": value or ""})


# --------------------------------------------------------------------------- SQLite DDL


def _sqlite_value_expr(row: str, columns: list[str], table: str) -> str:
    if table == "item_value":
        return (f"CASE WHEN {row}.value IS NULL THEN NULL ELSE trim({row}.value || ' ' || "
                f"coalesce({row}.unit, '')) || CASE WHEN {row}.lln IS NULL AND {row}.uln IS NULL "
                f"THEN '' ELSE ' (' || coalesce({row}.lln, '') || '-' || coalesce({row}.uln, '') "
                "|| ')' END END")
    pairs = ", ".join(f"'{c}', {row}.{c}" for c in columns if c not in _SECRET_COLUMNS)
    return f"json_object({pairs})"


_SQLITE_APPEND = """
INSERT INTO audit_log (id, at, user_id, user_name, action, table_name, row_key, subject_ref,
    visit_ref, form_ref, item_ref, old_value, new_value, reason, software_version, prev_hash, hash)
SELECT v.id, v.at, v.user_id, v.user_name, v.action, v.table_name, v.row_key, v.subject_ref,
    v.visit_ref, v.form_ref, v.item_ref, v.old_value, v.new_value, v.reason, v.software_version,
    v.prev_hash, oncotrial_hash(v.prev_hash, v.id, v.at, v.user_id, v.user_name, v.action,
    v.table_name, v.row_key, v.subject_ref, v.visit_ref, v.form_ref, v.item_ref, v.old_value,
    v.new_value, v.reason, v.software_version)
FROM (SELECT coalesce((SELECT max(id) FROM audit_log), 0) + 1 AS id,
    coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '') AS prev_hash,
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
    coalesce(oncotrial_ctx('user_id'), 'db-session') AS user_id,
    coalesce(oncotrial_ctx('user_name'), 'direct database session') AS user_name,
    {action} AS action, {table} AS table_name, {row_key} AS row_key,
    {subject_ref} AS subject_ref, {visit_ref} AS visit_ref, {form_ref} AS form_ref,
    {item_ref} AS item_ref, {old} AS old_value, {new} AS new_value,
    coalesce(oncotrial_ctx('reason'), '') AS reason,
    coalesce(oncotrial_ctx('version'), 'unknown') AS software_version) AS v;
"""


def _sqlite_triggers(table: str, columns: list[str], pk: list[str]) -> list[str]:
    statements = []
    for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        refs = {r: (f"coalesce({row}.{r}, '')" if r in columns else "''") for r in _REFS}
        key = " || ',' || ".join(f"CAST({row}.{c} AS TEXT)" for c in pk)
        old = "NULL" if op == "INSERT" else _sqlite_value_expr("OLD", columns, table)
        new = "NULL" if op == "DELETE" else _sqlite_value_expr("NEW", columns, table)
        body = _SQLITE_APPEND.format(action=f"'{op.lower()}'", table=f"'{table}'", row_key=key,
                                     old=old, new=new, **refs)
        statements.append(
            f"CREATE TRIGGER audit_{table}_{op.lower()} AFTER {op} ON {table} "
            f"WHEN oncotrial_ctx('restoring') IS NULL BEGIN {body} END")
    return statements


_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END",
]


# --------------------------------------------------------------------------- PostgreSQL DDL

_PG_APPEND = r"""
CREATE OR REPLACE FUNCTION oncotrial_audit_append(p_action text, p_table text, p_key text,
    p_subject text, p_visit text, p_form text, p_item text, p_old text, p_new text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v_id bigint; v_prev text; v_at text; v_user text; v_name text; v_reason text;
    v_version text; v_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(724305171);
    SELECT id, hash INTO v_id, v_prev FROM audit_log ORDER BY id DESC LIMIT 1;
    v_id := coalesce(v_id, 0) + 1;
    v_prev := coalesce(v_prev, '');
    v_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    v_user := coalesce(nullif(current_setting('oncotrial.user_id', true), ''),
                       'db:' || session_user);
    v_name := coalesce(nullif(current_setting('oncotrial.user_name', true), ''),
                       'direct database session');
    v_reason := coalesce(current_setting('oncotrial.reason', true), '');
    v_version := coalesce(nullif(current_setting('oncotrial.version', true), ''), 'unknown');
    v_hash := encode(sha256(convert_to(concat_ws(chr(31), v_prev, v_id::text, v_at, v_user,
        v_name, p_action, p_table, p_key, p_subject, p_visit, p_form, p_item,
        coalesce(p_old, '<null>'), coalesce(p_new, '<null>'), v_reason, v_version), 'UTF8')),
        'hex');
    INSERT INTO audit_log (id, at, user_id, user_name, action, table_name, row_key,
        subject_ref, visit_ref, form_ref, item_ref, old_value, new_value, reason,
        software_version, prev_hash, hash)
    VALUES (v_id, v_at, v_user, v_name, p_action, p_table, p_key, p_subject, p_visit, p_form,
        p_item, p_old, p_new, v_reason, v_version, v_prev, v_hash);
END
$fn$;
"""

_PG_ROW_TRIGGER = r"""
CREATE OR REPLACE FUNCTION oncotrial_audit_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    v_row jsonb; v_old text; v_new text;
BEGIN
    IF TG_OP = 'DELETE' THEN v_row := to_jsonb(OLD); ELSE v_row := to_jsonb(NEW); END IF;
    IF TG_TABLE_NAME = 'item_value' THEN
        IF TG_OP <> 'INSERT' AND OLD.value IS NOT NULL THEN
            v_old := trim(OLD.value || ' ' || coalesce(OLD.unit, '')) ||
                CASE WHEN OLD.lln IS NULL AND OLD.uln IS NULL THEN '' ELSE
                ' (' || coalesce(OLD.lln::text, '') || '-' || coalesce(OLD.uln::text, '') || ')'
                END;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.value IS NOT NULL THEN
            v_new := trim(NEW.value || ' ' || coalesce(NEW.unit, '')) ||
                CASE WHEN NEW.lln IS NULL AND NEW.uln IS NULL THEN '' ELSE
                ' (' || coalesce(NEW.lln::text, '') || '-' || coalesce(NEW.uln::text, '') || ')'
                END;
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN v_old := (to_jsonb(OLD) - 'password_hash')::text; END IF;
        IF TG_OP <> 'DELETE' THEN v_new := (to_jsonb(NEW) - 'password_hash')::text; END IF;
    END IF;
    PERFORM oncotrial_audit_append(lower(TG_OP), TG_TABLE_NAME::text,
        coalesce(v_row->>TG_ARGV[0], ''),
        coalesce(v_row->>'subject_ref', ''), coalesce(v_row->>'visit_ref', ''),
        coalesce(v_row->>'form_ref', ''), coalesce(v_row->>'item_ref', ''), v_old, v_new);
    RETURN NULL;
END
$fn$;
"""

_PG_APPEND_ONLY = [
    r"""CREATE OR REPLACE FUNCTION oncotrial_audit_refuse() RETURNS trigger LANGUAGE plpgsql
    AS $fn$ BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $fn$;""",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION oncotrial_audit_refuse()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION oncotrial_audit_refuse()",
]


def _pg_triggers(table: str, pk: list[str]) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS audit_{table} ON {table}",
            f"CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION oncotrial_audit_row('{pk[0]}')"]


def install(connection: Connection, tables: tuple[str, ...]) -> None:
    """Create the audit functions and triggers for ``tables`` as they are in the database now.

    Migrations call it after creating or altering an audited table (SQLite triggers list the
    table's columns, so a changed table needs its triggers made again).
    """
    inspector = inspect(connection)
    if connection.dialect.name == "sqlite":
        statements: list[str] = []
        for table in tables:
            columns = [c["name"] for c in inspector.get_columns(table)]
            pk = inspector.get_pk_constraint(table)["constrained_columns"]
            statements += [f"DROP TRIGGER IF EXISTS audit_{table}_{op}"
                           for op in ("insert", "update", "delete")]
            statements += _sqlite_triggers(table, columns, pk)
        statements += ["DROP TRIGGER IF EXISTS audit_log_no_update",
                       "DROP TRIGGER IF EXISTS audit_log_no_delete", *_SQLITE_APPEND_ONLY]
    else:
        statements = [_PG_APPEND, _PG_ROW_TRIGGER,
                      "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
                      "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
                      *_PG_APPEND_ONLY]
        for table in tables:
            pk = inspector.get_pk_constraint(table)["constrained_columns"]
            statements += _pg_triggers(table, pk)
    for statement in statements:
        if connection.dialect.name != "sqlite":
            statement = statement.replace("%", "%%")  # psycopg's placeholder escape
        connection.exec_driver_sql(statement)


# --------------------------------------------------------------------------- workflow events


def append_event(connection: Connection, action: str, *, table: str = "workflow",
                 row_key: str = "", subject_ref: str = "", visit_ref: str = "",
                 form_ref: str = "", item_ref: str = "", old: str | None = None,
                 new: str | None = None) -> None:
    """Append a workflow event (sign, lock, SDV, query, export, login...) to the trail.

    The acting user, reason and version come from the transaction's audit context, exactly as
    for data changes; the row joins the same hash chain (ICH E6(R3) 4.2.2(a)(iii)).
    """
    params = {"action": action, "table": table, "row_key": row_key, "subject_ref": subject_ref,
              "visit_ref": visit_ref, "form_ref": form_ref, "item_ref": item_ref, "old": old,
              "new": new}
    if connection.dialect.name == "sqlite":
        sql = _SQLITE_APPEND.format(**{k: f":{k}" for k in params})
        connection.execute(text(sql), params)
    else:
        connection.execute(text(
            "SELECT oncotrial_audit_append(:action, :table, :row_key, :subject_ref, "
            ":visit_ref, :form_ref, :item_ref, :old, :new)"), params)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first row where the chain breaks: its id, what is wrong, and the stored values."""

    row_id: int
    code: str
    reason: str


def _rows(connection: Connection, batch: int = 5000) -> Iterator[RowMapping]:
    columns = ", ".join(("prev_hash", "hash", *HASHED_FIELDS))
    last = 0
    while True:
        chunk = connection.execute(
            text(f"SELECT {columns} FROM audit_log WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch}).mappings().all()
        if not chunk:
            return
        yield from chunk
        last = int(chunk[-1]["id"])


def verify(connection: Connection) -> tuple[int, AuditProblem | None]:
    """Check the whole chain; return the number of rows read and the first problem, if any.

    A row was removed when an id is missing, altered when its hash does not match its fields,
    and moved or replaced when its ``prev_hash`` is not the previous row's hash.
    """
    prev, expected_id, count = "", 1, 0
    for row in _rows(connection):
        count += 1
        row_id = int(row["id"])
        if row_id != expected_id:
            first = expected_id
            return count, AuditProblem(first, "audit.row_removed",
                                       f"row {first} is missing (the next row is {row_id}): "
                                       "an audit row was removed")
        if row["prev_hash"] != prev:
            return count, AuditProblem(row_id, "audit.chain_broken",
                                       f"row {row_id} does not follow row {row_id - 1}: the "
                                       "rows were reordered or one was replaced")
        fields = [row[f] for f in HASHED_FIELDS]
        if row_hash(prev, *fields) != row["hash"]:
            return count, AuditProblem(row_id, "audit.row_altered",
                                       f"row {row_id} was altered after it was written: its "
                                       "hash does not match its content")
        prev, expected_id = row["hash"], row_id + 1
    return count, None
