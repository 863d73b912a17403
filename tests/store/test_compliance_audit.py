"""The audit trail as the services and other write paths leave it (21 CFR 11.10(e); ICH E6(R3)
4.2.2): every write path audited (AT-1), each entry complete (AT-2), nothing overwritten (AT-3),
no switch to turn it off (AT-5), workflow events (AT-6), filtered and exported by subject
(AT-7), server time in UTC (AT-8). Runs on SQLite and on PostgreSQL (tests/store/conftest.py).
The trail's own protection (triggers, hash chain, tampering) is in test_audit.py."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from storekit import PASSWORD, SCREENING_DAY, VITALS, Staff, consented_subject
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.context import TrialContext
from oncotrial.services import (
    AuthenticationError,
    Database,
    answer_query,
    authenticate,
    close_query,
    create_user,
    export_json,
    grant_role,
    load_casebook,
    lock_form,
    raise_query,
    revoke_role,
    save_form,
    screen_subject,
    sign,
    unlock_form,
    verify_items,
)
from oncotrial.store.audit import set_context
from oncotrial.store.models import ItemValue

AuditRow = dict[str, Any]


def _audit(db: Database, where: str = "1 = 1", **params: object) -> list[AuditRow]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            text(f"SELECT * FROM audit_log WHERE {where} ORDER BY id"), params).mappings()]


def _item_rows(db: Database, item: str, action: str | None = None) -> list[AuditRow]:
    rows = _audit(db, "table_name = 'item_value' AND item_ref = :i", i=item)
    return [r for r in rows if action is None or r["action"] == action]


def _vitals(db: Database, staff: Staff, ctx: TrialContext, subject: str) -> int:
    saved = save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS, visit="SCR",
                      today=SCREENING_DAY)
    return saved.form_instance_id


def _correct(db: Database, staff: Staff, ctx: TrialContext, subject: str, reason: str,
             **changes: str) -> None:
    version = {f.form_id: f.version for f in load_casebook(db, staff["nurse"], ctx,
                                                           subject).forms}["vital_signs"]
    save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS | changes, visit="SCR",
              expected_version=version, reason=reason, today=SCREENING_DAY)


def _utc(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- AT-1


def test_at1_service_writes_are_audited(db: Database, staff: Staff, ctx: TrialContext,
                                        subject: str) -> None:
    """AT-1: a save through the services leaves one audit row per item value written, and one
    for the form instance, attributed to the user who saved."""
    _vitals(db, staff, ctx, subject)
    inserted = {r["item_ref"]: r for r in _audit(
        db, "table_name = 'item_value' AND form_ref = 'vital_signs' AND action = 'insert'")}
    assert set(inserted) == set(VITALS)
    assert {r["user_id"] for r in inserted.values()} == {"nurse"}
    assert _audit(db, "table_name = 'form_instance' AND form_ref = 'vital_signs' "
                      "AND action = 'insert'")


def test_at1_bulk_update_through_a_plain_session_is_audited(db: Database, staff: Staff,
                                                           ctx: TrialContext,
                                                           subject: str) -> None:
    """AT-1: a bulk UPDATE through an ordinary SQLAlchemy session, bypassing the services and
    setting no audit context, still leaves one audit row per changed row."""
    _vitals(db, staff, ctx, subject)
    with db.sessions.begin() as session:
        changed = session.execute(
            update(ItemValue).where(ItemValue.form_ref == "vital_signs",
                                    ItemValue.item_id.in_(["pulse", "systolic_bp"]))
            .values(value="99").execution_options(synchronize_session=False)).rowcount
    assert changed == 2
    rows = _audit(db, "table_name = 'item_value' AND action = 'update'")
    assert sorted(r["item_ref"] for r in rows) == ["pulse", "systolic_bp"]
    for row in rows:
        assert row["user_id"] != "nurse"  # not attributed to the last service user
        assert row["subject_ref"] == subject and row["form_ref"] == "vital_signs"
        assert str(row["new_value"]).startswith("99")
        assert row["old_value"].startswith(VITALS[row["item_ref"]])


def test_at1_administrator_edits_are_audited(db: Database, staff: Staff, ctx: TrialContext,
                                             subject: str) -> None:
    """AT-1: an administrator's edits are audited too, both through the services (a role
    revoked) and through a database console with the administrator named (a value changed)."""
    _vitals(db, staff, ctx, subject)
    revoke_role(db, staff["admin"], "monitor", "monitor", reason="left the study")
    revoked = _audit(db, "table_name = 'role_grant' AND action = 'update'")
    assert len(revoked) == 1
    assert (revoked[0]["user_id"], revoked[0]["reason"]) == ("admin", "left the study")
    with db.engine.begin() as conn:
        set_context(conn, user_id="admin", user_name="Ada Admin",
                    reason="data fix ticket 17", version="console")
        conn.execute(text("UPDATE item_value SET value = '77' WHERE item_ref = 'pulse'"))
    (edit,) = _item_rows(db, "pulse", "update")
    assert (edit["user_id"], edit["reason"]) == ("admin", "data fix ticket 17")
    assert edit["old_value"].startswith(VITALS["pulse"]) and edit["new_value"].startswith("77")


# --------------------------------------------------------------------------- AT-2


def test_at2_a_correction_row_holds_who_when_where_what_why_and_version(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """AT-2: the audit row of a correction names the user (resolvable to the full name), the
    server time in UTC, subject, visit, form and item, the old and the new value, the reason
    and the software version."""
    _vitals(db, staff, ctx, subject)
    _correct(db, staff, ctx, subject, "transcription error, see source", pulse="81")
    (row,) = _item_rows(db, "pulse", "update")
    with db.engine.connect() as conn:
        full_name = conn.execute(text("SELECT full_name FROM app_user WHERE username = :u"),
                                 {"u": row["user_id"]}).scalar_one()
    assert row["user_id"] == staff["nurse"].username
    assert full_name == row["user_name"] == staff["nurse"].full_name
    assert row["at"].endswith("Z")
    assert abs(_utc(row["at"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert (row["subject_ref"], row["visit_ref"], row["form_ref"], row["item_ref"]) == (
        subject, "SCR", "vital_signs", "pulse")
    assert row["old_value"].startswith(VITALS["pulse"]) and row["new_value"].startswith("81")
    assert row["action"] == "update"
    assert row["reason"] == "transcription error, see source"
    assert row["software_version"] == db.software_version


# --------------------------------------------------------------------------- AT-3


def test_at3_earlier_values_are_kept_and_a_deletion_keeps_the_last_value(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """AT-3: two corrections keep the whole history of the value in the trail, and an item
    removed from the form leaves a deletion row with the last value."""
    _vitals(db, staff, ctx, subject)
    _correct(db, staff, ctx, subject, "first correction", pulse="81")
    _correct(db, staff, ctx, subject, "second correction", pulse="82")
    history = [(r["old_value"], r["new_value"]) for r in _item_rows(db, "pulse")]
    assert [None if v is None else v.split()[0] for pair in history for v in pair] == [
        None, VITALS["pulse"], VITALS["pulse"], "81", "81", "82"]
    without_temperature = {k: v for k, v in VITALS.items() if k != "temperature"}
    version = load_casebook(db, staff["nurse"], ctx, subject).forms[-1].version
    save_form(db, staff["nurse"], ctx, subject, "vital_signs", without_temperature,
              visit="SCR", expected_version=version, reason="not measured",
              today=SCREENING_DAY)
    (deleted,) = _item_rows(db, "temperature", "delete")
    assert deleted["old_value"].startswith(VITALS["temperature"])
    assert deleted["new_value"] is None and deleted["reason"] == "not measured"


# --------------------------------------------------------------------------- AT-5


def test_at5_the_trail_cannot_be_switched_off_beyond_one_transaction(db: Database) -> None:
    """AT-5: the one way to write without audit rows (a restore, which needs the database's own
    switch) ends with its transaction: the next transaction on the same connection is
    audited, and a rolled-back attempt leaves nothing behind either."""
    with db.engine.connect() as conn:
        with conn.begin():
            if conn.dialect.name == "sqlite":
                set_context(conn, restoring="1")
            else:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(text("INSERT INTO site (code, name) VALUES ('R', 'Restored')"))
        with conn.begin():
            conn.execute(text("INSERT INTO site (code, name) VALUES ('A', 'After')"))
        with pytest.raises(RuntimeError), conn.begin():
            if conn.dialect.name == "sqlite":
                set_context(conn, restoring="1")
            else:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            raise RuntimeError("abandoned")
        with conn.begin():
            conn.execute(text("INSERT INTO site (code, name) VALUES ('B', 'After rollback')"))
    audited = [r["new_value"] for r in _audit(db, "table_name = 'site'")]
    assert len(audited) == 2
    assert "After" in audited[0] and "After rollback" in audited[1]


# --------------------------------------------------------------------------- AT-6


def test_at6_every_workflow_action_leaves_its_event(db: Database, staff: Staff,
                                                    ctx: TrialContext, subject: str,
                                                    tmp_path: Path) -> None:
    """AT-6: sign and a failed signing, form lock and unlock, SDV set and reset, query open,
    answer and close, export, eligibility decision, log-in success and failure, account
    creation, role grant and revocation each leave an event in the trail."""
    admin, dm, drli = staff["admin"], staff["dm"], staff["drli"]
    form = _vitals(db, staff, ctx, subject)
    with pytest.raises(AuthenticationError):
        authenticate(db, "drli", "not the password 1")
    authenticate(db, "drli", PASSWORD)
    create_user(db, admin, "newcomer", "New Comer", PASSWORD, {"monitor": "HCH"})
    grant_role(db, admin, "newcomer", "data_manager", "HCH", reason="covers for Dana")
    revoke_role(db, admin, "newcomer", "data_manager", reason="Dana is back")
    screen_subject(db, drli, ctx, subject, on=SCREENING_DAY)
    verify_items(db, staff["monitor"], ctx, form)
    query = raise_query(db, dm, ctx, form, ("", 0, "pulse"), "Pulse differs from source.")
    answer_query(db, staff["nurse"], ctx, query, "Source says 80.")
    close_query(db, dm, ctx, query, "resolved")
    _correct(db, staff, ctx, subject, "source says 80", pulse="80")
    with pytest.raises(AuthenticationError):
        sign(db, drli, ctx, subject, password="wrong password 1", meaning="Review",
             form_instance_id=form, username="drli")
    sign(db, drli, ctx, subject, password=PASSWORD, meaning="Investigator review",
         form_instance_id=form, username="drli")
    lock_form(db, dm, ctx, form, reason="review done")
    unlock_form(db, dm, ctx, form, reason="late lab result")
    export_json(db, dm, ctx, tmp_path / "export")
    actions = {(r["action"], r["table_name"]) for r in _audit(db)}
    names = {action for action, _ in actions}
    assert {"signed", "sign_failed", "form_locked", "form_unlocked", "sdv_set", "sdv_reset",
            "query_opened", "query_answered", "query_closed", "export",
            "eligibility_decision", "login_success", "login_failed"} <= names
    assert {("insert", "app_user"), ("insert", "role_grant"), ("update", "role_grant")
            } <= actions
    created = _audit(db, "table_name = 'app_user' AND action = 'insert' AND user_id = 'admin'")
    assert any("newcomer" in str(r["new_value"]) for r in created)


# --------------------------------------------------------------------------- AT-7


def test_at7_the_trail_is_filtered_by_subject_and_exported(db: Database, staff: Staff,
                                                          ctx: TrialContext, subject: str,
                                                          tmp_path: Path) -> None:
    """AT-7: the trail of one subject is selected by its subject reference (indexed column),
    holds none of another subject's rows, and ``oncotrial audit export --subject`` writes
    exactly those rows as CSV with readable headings."""
    other = consented_subject(db, staff, ctx, "S-002")
    _vitals(db, staff, ctx, subject)
    _vitals(db, staff, ctx, other)
    mine = _audit(db, "subject_ref = :s", s=subject)
    assert {r["form_ref"] for r in mine} >= {"consent", "vital_signs"}
    assert not [r for r in mine if other in (r["new_value"] or "")]
    theirs = _audit(db, "subject_ref = :s", s=other)
    assert theirs and not {r["id"] for r in mine} & {r["id"] for r in theirs}

    out = tmp_path / "audit.csv"
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(build_app(), ["audit", "export", "--out", str(out),
                                              "--subject", subject, "--database-url", url])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    assert len(rows) == len(mine)
    headings = " ".join(header).lower()
    for heading in ("subject", "visit", "form", "item", "old value", "new value", "reason"):
        assert heading in headings
    subject_col = [h.lower() for h in header].index("subject")
    assert {row[subject_col] for row in rows} == {subject}
    exports = _audit(db, "action = 'export' AND table_name = 'audit_log'")
    assert exports and exports[-1]["subject_ref"] == subject


# --------------------------------------------------------------------------- AT-8


def test_at8_times_come_from_the_database_clock_in_utc(db: Database, staff: Staff,
                                                      ctx: TrialContext, subject: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """AT-8: audit times are the database server's UTC clock: even with the application's
    clock set to another year, the rows written carry the real time now, ending in Z."""
    import oncotrial.services.access as access
    import oncotrial.services.entry as entry

    wrong = datetime(2001, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(access, "now_utc", lambda: wrong)
    monkeypatch.setattr(entry, "now_utc", lambda: wrong)
    before = _audit(db)
    _vitals(db, staff, ctx, subject)
    rows = _audit(db)[len(before):]
    assert rows
    for row in rows:
        assert row["at"].endswith("Z")
        assert abs(_utc(row["at"]) - datetime.now(UTC)) < timedelta(minutes=5)
