"""The unit of work: one transaction per use case, with the audit context set first.

Every service runs inside :meth:`Database.transaction`: it sets who acts, why and the software
version for the database's audit triggers, then commits everything or nothing. No state lives
in the process beyond the engine's connection pool, so several application workers can share
one PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oncotrial import __version__
from oncotrial.services.access import Actor, Policy
from oncotrial.store.audit import set_context
from oncotrial.store.db import make_engine, make_session_factory

__all__ = ["SYSTEM", "Database"]

#: The actor of work the software does itself (schema set-up, the first administrator).
SYSTEM = Actor(user_pk=0, username="system", full_name="oncotrial system")


@dataclass
class Database:
    """An engine, its sessions, the software version written to the trail, and the policy."""

    engine: Engine
    sessions: sessionmaker[Session]
    software_version: str = __version__
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: object) -> Database:
        """Open (not create) the database at ``url``; run ``oncotrial db upgrade`` first."""
        engine = make_engine(url, **engine_kwargs)
        return cls(engine=engine, sessions=make_session_factory(engine))

    @contextmanager
    def transaction(self, actor: Actor | None, reason: str = "") -> Iterator[Session]:
        """A session in one transaction, audited as ``actor`` with ``reason``."""
        who = actor or SYSTEM
        with self.sessions.begin() as session:
            set_context(session.connection(), user_id=who.username, user_name=who.full_name,
                        reason=reason, version=self.software_version)
            yield session

    def dispose(self) -> None:
        """Close the connection pool."""
        self.engine.dispose()
