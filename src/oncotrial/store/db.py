"""Engines and sessions for SQLite and PostgreSQL (shell).

SQLite is the embedded default: a file under ``var/`` in WAL mode with foreign keys on and a
busy timeout, so a second process waits for the writer instead of failing. PostgreSQL (through
psycopg 3) is the path for a trial that outgrows one process: several application workers
against one database, no state in the process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from oncotrial.errors import ConfigurationError
from oncotrial.store.audit import register_sqlite_functions

__all__ = ["make_engine", "make_session_factory", "normalise_url"]


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver.

    >>> normalise_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalise_url("sqlite:///var/oncotrial.db")
    'sqlite:///var/oncotrial.db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        context: dict[str, str] = {}
        record.info["audit_ctx"] = context
        register_sqlite_functions(dbapi_connection, context)
        # Let SQLAlchemy drive transactions (pysqlite's own BEGIN handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE: take the write lock at the start, so two writers queue instead of
        # one failing at commit with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def _clear(connection: Any) -> None:
        connection.info.get("audit_ctx", {}).clear()

    event.listen(engine, "commit", _clear)
    event.listen(engine, "rollback", _clear)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings the audit trail and the workflow rely on.

    Raises:
        ConfigurationError: the URL is not SQLite or PostgreSQL, or unreadable.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(
            f"The database URL {url!r} cannot be read.", field="ONCOTRIAL_DATABASE_URL",
            hint="Use sqlite:///var/oncotrial.db or postgresql://user@host/dbname.") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _sqlite_setup(engine)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    raise ConfigurationError(
        f"The database {backend!r} is not supported.", field="ONCOTRIAL_DATABASE_URL",
        value=url, hint="Use SQLite (the default) or PostgreSQL.")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
