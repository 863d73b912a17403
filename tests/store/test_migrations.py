"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL, and
the audit triggers follow a table whose columns a later revision changed."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from oncotrial.services import Database
from oncotrial.store.migrate import current_revision, head_revision
from oncotrial.store.models import Base


def test_migrated_schema_equals_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert current_revision(db.engine) == head_revision()


def test_a_column_added_by_a_later_revision_is_audited(db: Database) -> None:
    """r0002 adds ``app_user.language``; a change to it is in the audit trail (AT-1)."""
    with db.transaction(None, reason="set-up") as session:
        session.execute(text(
            "INSERT INTO app_user (username, full_name, email, password_hash, active, "
            "failed_logins, password_changed_at, created_at, must_change_password, language) "
            "VALUES ('zhou', 'Zhou Min', '', 'x', true, 0, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, false, 'en')"))
    with db.transaction(None, reason="prefers Chinese") as session:
        session.execute(text("UPDATE app_user SET language = 'zh-CN' WHERE username = 'zhou'"))
    with db.engine.connect() as connection:
        old, new, reason = connection.execute(text(
            "SELECT old_value, new_value, reason FROM audit_log WHERE table_name = 'app_user' "
            "AND action = 'update' ORDER BY id DESC")).first()  # type: ignore[misc]
    assert "zh-CN" in new and "zh-CN" not in old
    assert reason == "prefers Chinese"
