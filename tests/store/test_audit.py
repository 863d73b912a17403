"""The audit trail at the database level (21 CFR 11.10(e); ICH E6(R3) 4.2.2): triggers on every
write path, append-only, hash-chained, and ``verify`` names the first bad row. Runs on SQLite and
on PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from oncotrial.services.database import Database
from oncotrial.store.audit import append_event, row_hash, set_context, verify


def _site(db: Database, code: str = "HCH", user: str | None = "alice") -> None:
    with db.engine.begin() as conn:
        if user:
            set_context(conn, user_id=user, user_name="Alice Example", reason="set-up",
                        version="9.9")
        conn.execute(text("INSERT INTO site (code, name) VALUES (:c, 'Hospital')"), {"c": code})


def _rows(db: Database) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY id"))
                .mappings()]


def test_at1_insert_update_delete_from_raw_sql_are_audited(db: Database) -> None:
    """AT-1: a write path that bypasses the services (a direct SQL session) is audited."""
    _site(db, user=None)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE site SET name = 'Renamed' WHERE code = 'HCH'"))
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM site WHERE code = 'HCH'"))
    rows = _rows(db)
    assert [r["action"] for r in rows] == ["insert", "update", "delete"]
    assert all(r["table_name"] == "site" for r in rows)
    assert str(rows[0]["user_id"]).startswith(("db-session", "db:"))
    assert "Renamed" in str(rows[1]["new_value"]) and "Hospital" in str(rows[1]["old_value"])
    # AT-3: the deletion keeps the last values.
    assert "Renamed" in str(rows[2]["old_value"]) and rows[2]["new_value"] is None


def test_at2_entry_holds_who_when_why_and_version(db: Database) -> None:
    """AT-2: user id and name, UTC server time, reason, software version, old and new value."""
    _site(db)
    (row,) = _rows(db)
    assert (row["user_id"], row["user_name"], row["reason"], row["software_version"]) == (
        "alice", "Alice Example", "set-up", "9.9")
    assert str(row["at"]).endswith("Z")  # AT-8/L-5: UTC from the database server's clock


def test_at4_audit_rows_cannot_be_updated_or_deleted(db: Database) -> None:
    """AT-4: UPDATE and DELETE on the trail are refused by the database itself."""
    _site(db)
    for statement in ("UPDATE audit_log SET reason = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(_rows(db)) == 1


def _drop_guards(db: Database) -> None:
    """What an attacker with DDL rights does first: remove the append-only triggers."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


@pytest.mark.parametrize(("tamper", "code", "bad_row"), [
    ("UPDATE audit_log SET new_value = 'forged' WHERE id = 2", "audit.row_altered", 2),
    ("DELETE FROM audit_log WHERE id = 2", "audit.row_removed", 2),
    ("UPDATE audit_log SET prev_hash = 'x' WHERE id = 3", "audit.chain_broken", 3),
])
def test_at4_verify_names_the_first_altered_removed_or_moved_row(
        db: Database, tamper: str, code: str, bad_row: int) -> None:
    """AT-4/V-4: raw SQL edits of the trail (guards dropped) are found by verify."""
    for site in ("A", "B", "C", "D"):
        _site(db, site)
    with db.engine.connect() as conn:
        assert verify(conn) == (4, None)
    _drop_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text(tamper))
    with db.engine.connect() as conn:
        _, problem = verify(conn)
    assert problem is not None
    assert (problem.code, problem.row_id) == (code, bad_row)


def test_at4_swapping_two_rows_is_detected(db: Database) -> None:
    """AT-4: reordering rows (swapping their contents) breaks the chain."""
    for site in ("A", "B", "C"):
        _site(db, site)
    _drop_guards(db)
    rows = _rows(db)
    with db.engine.begin() as conn:
        for a, b in ((rows[0], rows[1]), (rows[1], rows[0])):
            conn.execute(text("UPDATE audit_log SET new_value = :v, hash = :h, prev_hash = :p "
                              "WHERE id = :i"),
                         {"v": b["new_value"], "h": b["hash"], "p": b["prev_hash"],
                          "i": a["id"]})
    with db.engine.connect() as conn:
        _, problem = verify(conn)
    assert problem is not None and problem.row_id == 1


def test_at6_workflow_events_join_the_chain(db: Database) -> None:
    """AT-6: a workflow event (here a log-in) is a row of the same chain, with its actor."""
    _site(db)
    with db.engine.begin() as conn:
        set_context(conn, user_id="bob", user_name="Bob Example", reason="", version="1")
        append_event(conn, "login_success", table="app_user", row_key="7", new="bob")
    rows = _rows(db)
    assert rows[-1]["action"] == "login_success" and rows[-1]["user_id"] == "bob"
    fields = [rows[-1][f] for f in ("id", "at", "user_id", "user_name", "action", "table_name",
                                     "row_key", "subject_ref", "visit_ref", "form_ref",
                                     "item_ref", "old_value", "new_value", "reason",
                                     "software_version")]
    assert rows[-1]["hash"] == row_hash(str(rows[0]["hash"]), *fields)


def test_at5_context_is_cleared_after_commit(db: Database) -> None:
    """AT-5: the trail cannot be silenced: a later transaction without context is still audited
    (and not attributed to the previous user)."""
    _site(db, "A")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO site (code, name) VALUES ('B', 'Other')"))
    rows = _rows(db)
    assert rows[0]["user_id"] == "alice" and rows[1]["user_id"] != "alice"
