"""Server-side sessions of the web application (shell).

The browser holds a random token in an HttpOnly cookie; the database holds its SHA-256
(``web_session``), the CSRF token, the time last seen and whether the user has signed in this
session. Nothing lives in the process, so several workers share one PostgreSQL database and a
session revoked (log-out, an administrator, a password change) ends at the next request. A
session idle longer than :data:`IDLE_MINUTES` is over (21 CFR 11.300; ICH E6(R3) 4.3.8).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from oncotrial.services import Actor, Database
from oncotrial.services.access import now_utc
from oncotrial.store.audit import append_event
from oncotrial.store.models import AppUser, WebSession

__all__ = ["IDLE_MINUTES", "SessionInfo", "end_session", "load_session", "mark_signed",
           "revoke_user_sessions", "start_session"]

#: Minutes without a request after which a session is over.
IDLE_MINUTES = 30


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session: who, their language, the CSRF token and whether the password must be
    changed before anything else."""

    actor: Actor
    language: str
    csrf_token: str
    must_change_password: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, actor: Actor) -> str:
    """Open a session for ``actor`` (after :func:`oncotrial.services.authenticate`); return
    the token for the cookie."""
    token = secrets.token_urlsafe(32)
    moment = now_utc()
    with db.transaction(actor, reason="session started") as session:
        session.add(WebSession(token_hash=_hash(token), user_id=actor.user_pk,
                               csrf_token=secrets.token_urlsafe(32), created_at=moment,
                               last_seen_at=moment, revoked_at=None, has_signed=False))
    return token


def load_session(db: Database, token: str | None, *, idle_minutes: int = IDLE_MINUTES
                 ) -> SessionInfo | None:
    """The live session of ``token``, its last-seen time moved to now; None when there is no
    such session, or it was revoked, idle too long, or its user is inactive."""
    if not token:
        return None
    moment = now_utc()
    with db.sessions.begin() as session:
        row = session.get(WebSession, _hash(token))
        if row is None or row.revoked_at is not None:
            return None
        if moment - row.last_seen_at > timedelta(minutes=idle_minutes):
            row.revoked_at = moment
            return None
        user = session.get(AppUser, row.user_id)
        if user is None or not user.active:
            return None
        if moment - row.last_seen_at > timedelta(seconds=30):
            row.last_seen_at = moment  # written at most twice a minute
        return SessionInfo(Actor(user.id, user.username, user.full_name, row.has_signed),
                           user.language, row.csrf_token, user.must_change_password)


def mark_signed(db: Database, token: str) -> None:
    """Remember that the user has signed in this session (later signings need the password
    only, 21 CFR 11.200(a)(1)(i))."""
    with db.sessions.begin() as session:
        row = session.get(WebSession, _hash(token))
        if row is not None:
            row.has_signed = True


def end_session(db: Database, token: str | None, actor: Actor | None) -> None:
    """Log out: the session ends now (audited as ``logout``)."""
    if not token:
        return
    with db.transaction(actor, reason="log-out") as session:
        row = session.get(WebSession, _hash(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = now_utc()
            append_event(session.connection(), "logout", table="app_user",
                         row_key=str(row.user_id), new=actor.username if actor else "")


def revoke_user_sessions(db: Database, actor: Actor, user_pk: int, reason: str) -> int:
    """End every session of a user at once (password change, account locked); returns how
    many were live."""
    with db.transaction(actor, reason=reason) as session:
        result = session.execute(update(WebSession).where(
            WebSession.user_id == user_pk, WebSession.revoked_at.is_(None)
        ).values(revoked_at=now_utc()))
        return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(db: Database, user_pk: int, *, idle_minutes: int = IDLE_MINUTES) -> int:
    """How many live sessions a user has: not revoked and seen within the idle time."""
    since = now_utc() - timedelta(minutes=idle_minutes)
    with db.sessions() as session:
        return len(session.scalars(select(WebSession.token_hash).where(
            WebSession.user_id == user_pk, WebSession.revoked_at.is_(None),
            WebSession.last_seen_at > since)).all())
